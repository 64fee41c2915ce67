//! The sentencepiece fixture checks shared by the SentencePiece vocabularies'
//! tests (`gemma3.rs`, `mistral.rs`): each fixture holds the library's ids of
//! corpus samples (by count and SHA-256), generated texts (ids) and long runs
//! (by count and SHA-256), written by that vocabulary's oracle script.

use std::path::Path;

use farebox_core::tokens::Tokenizer;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<path>`, parsed.
pub fn fixture(path: &str) -> Value {
    let path = root().join("fixtures").join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn digest(ids: &[u32]) -> String {
    let mut h = Sha256::new();
    for id in ids {
        h.update(id.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `text` encodes to the ids whose count and digest the oracle recorded, and
/// counts the same twice (the second time from the memo of part counts).
fn check_digest(t: &Tokenizer, what: &str, text: &str, count: u64, sha: &str) {
    let ids = t.encode(text);
    assert_eq!((ids.len() as u64, digest(&ids).as_str()), (count, sha), "{what}");
    assert_eq!(t.count(text) as u64, count, "{what}: count");
    assert_eq!(t.count(text) as u64, count, "{what}: count again");
}

pub fn same_ids_on_the_corpus(t: &Tokenizer, fixture: &Value) {
    let samples = fixture["corpus"].as_array().unwrap();
    assert!(samples.len() > 300, "{} corpus samples", samples.len());
    for s in samples {
        let file = s["file"].as_str().unwrap();
        let bytes = std::fs::read(root().join("corpus").join(file)).unwrap();
        let (a, b) = (s["start"].as_u64().unwrap() as usize, s["end"].as_u64().unwrap() as usize);
        let text = std::str::from_utf8(&bytes[a..b]).unwrap();
        let (count, sha) = (s["count"].as_u64().unwrap(), s["ids_sha256"].as_str().unwrap());
        check_digest(t, &format!("{file}[{a}..{b}]"), text, count, sha);
    }
}

pub fn same_ids_on_generated_text(t: &Tokenizer, fixture: &Value) {
    let generated = fixture["generated"].as_array().unwrap();
    assert!(generated.len() > 400);
    for g in generated {
        let text = g["text"].as_str().unwrap();
        let expected: Vec<u32> = g["ids"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect();
        assert_eq!(t.encode(text), expected, "{text:?}");
        assert_eq!(t.count(text), expected.len(), "{text:?}");
    }
}

pub fn same_ids_on_long_runs(t: &Tokenizer, fixture: &Value) {
    for r in fixture["runs"].as_array().unwrap() {
        let unit = r["unit"].as_str().unwrap();
        let text = unit.repeat(r["times"].as_u64().unwrap() as usize);
        let (count, sha) = (r["count"].as_u64().unwrap(), r["ids_sha256"].as_str().unwrap());
        check_digest(t, &format!("{unit:?} × {}", r["times"]), &text, count, sha);
    }
}
