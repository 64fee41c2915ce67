//! Differential fuzzing of token counting against the reference, tiktoken-rs:
//! the first byte picks the encoding, the rest is the text (lossy UTF-8).
//! Checks: the same token ids as tiktoken's `encode_ordinary`, and a count
//! equal to their number, twice (the tokenizers live across inputs, so their
//! memo of piece counts answers pieces of earlier inputs, and the second count
//! this input's own).
#![no_main]

use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer};
use libfuzzer_sys::fuzz_target;
use tiktoken_rs::CoreBPE;

fn pair(e: Encoding) -> &'static (Tokenizer, &'static CoreBPE) {
    static ALL: OnceLock<Vec<(Tokenizer, &'static CoreBPE)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Encoding::OPENAI
            .iter()
            .map(|&e| {
                let reference = match e {
                    Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
                    Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
                    Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
                    Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
                    Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
                    // Their references are other targets': tokens_families, and
                    // sentencepiece's for Gemma 3 and Mistral (tokens_sentencepiece).
                    other => unreachable!("{other} is not one of OpenAI's"),
                };
                (Tokenizer::embedded(e), reference)
            })
            .collect()
    });
    &all[Encoding::OPENAI.iter().position(|&x| x == e).unwrap_or(0)]
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let e = Encoding::OPENAI[usize::from(which) % Encoding::OPENAI.len()];
    let text = String::from_utf8_lossy(text);
    let (ours, reference) = pair(e);
    let expected = reference.encode_ordinary(&text);
    assert_eq!(ours.encode(&text), expected, "{e}: {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count of {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count again of {text:?}");
});
