//! Differential fuzzing of the vocabularies beyond OpenAI's against their
//! references (`farebox_tests::references`, on the files the vocabularies
//! were generated from, which `cargo xtask vocab` installs): Llama 3 against
//! Hugging Face's `tokenizers` (`encode(text, add_special_tokens=false)`),
//! Tekken against tiktoken-rs on Tekken's ranks and pattern (what
//! mistral-common runs), Llama 4 against tiktoken-rs on its ranks with
//! o200k_base's pattern (what Meta's `llama-models` runs), DeepSeek V3 and
//! Qwen 3 (its NFC too) against Hugging Face's `tokenizers` like Llama 3. The first byte
//! picks the encoding, the rest is the text (lossy UTF-8). Checks the same
//! ids and a count equal to their number, twice (the second from the
//! tokenizer's memo).
#![no_main]

use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer};
use farebox_tests::references::reference;
use libfuzzer_sys::fuzz_target;

const FAMILIES: [Encoding; 5] =
    [Encoding::Llama3, Encoding::Tekken, Encoding::Llama4, Encoding::DeepSeekV3, Encoding::Qwen3];

fn tokenizers() -> &'static [Tokenizer] {
    static ALL: OnceLock<Vec<Tokenizer>> = OnceLock::new();
    ALL.get_or_init(|| FAMILIES.iter().map(|&e| Tokenizer::embedded(e)).collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let i = usize::from(which) % FAMILIES.len();
    let (ours, e) = (&tokenizers()[i], FAMILIES[i]);
    let text = String::from_utf8_lossy(text);
    let expected = reference(e).ids(&text);
    assert_eq!(ours.encode(&text), expected, "{e}: {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count of {text:?}");
    assert_eq!(ours.count(&text), expected.len(), "{e}: count again of {text:?}");
});
