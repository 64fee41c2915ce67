//! Differential fuzzing of the SentencePiece vocabularies against
//! sentencepiece itself (the C++ library, through the `sentencepiece` crate)
//! on the models they were generated from: Gemma 3's (what Google's SDK
//! counts Gemini with) and Mistral's v1, v3 and v7 (what mistral-common
//! encodes a message's text with). `cargo xtask fuzz` names the model files
//! in `FAREBOX_SPM_<VOCABULARY>` (the sha256-checked files `cargo xtask vocab`
//! reads). The first byte picks the vocabulary, the rest is the text (lossy
//! UTF-8). Checks the same ids (`sp.encode(text)`, no BOS) and a count equal
//! to their number, twice (the second from the tokenizer's memo).
#![no_main]

use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer};
use libfuzzer_sys::fuzz_target;
use sentencepiece::SentencePieceProcessor;

const FAMILIES: [Encoding; 4] = [Encoding::Gemma3, Encoding::MistralV1, Encoding::MistralV3, Encoding::MistralV7];

fn pairs() -> &'static [(Tokenizer, SentencePieceProcessor)] {
    static ALL: OnceLock<Vec<(Tokenizer, SentencePieceProcessor)>> = OnceLock::new();
    ALL.get_or_init(|| {
        FAMILIES
            .iter()
            .map(|&e| {
                let variable = format!("FAREBOX_SPM_{}", e.name().to_ascii_uppercase());
                let path = std::env::var(&variable).unwrap_or_else(|_| panic!("{variable}: run `cargo xtask fuzz`"));
                let reference = SentencePieceProcessor::open(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
                (Tokenizer::embedded(e), reference)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let i = usize::from(which) % FAMILIES.len();
    let (ours, reference) = &pairs()[i];
    let text = String::from_utf8_lossy(text);
    let expected: Vec<u32> = reference.encode(&text).expect("sentencepiece encodes").iter().map(|p| p.id).collect();
    let e = FAMILIES[i];
    assert_eq!(ours.encode(&text), expected, "{e}: {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count of {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count again of {text:?}");
});
