//! Fuzzes loading a vocabulary from arbitrary bytes (`Tokenizer::from_vocab`,
//! which a host calls with a downloaded file). Checks: nothing panics, and a
//! vocabulary that loads can count text, with short pieces and with a long
//! one (the backtracking encoder, which verifies the file's merge pairs).
#![no_main]

use farebox_core::tokens::{Encoding, Tokenizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Tokenizer::from_vocab(Encoding::Cl100kBase, data) {
        let _ = t.count("hello world, 123 ☃");
        let _ = t.count("abababababababababababababababababababababab ☃☃☃☃☃☃☃☃☃☃☃☃☃");
    }
});
