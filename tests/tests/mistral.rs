//! Mistral's SentencePiece v1, v3 and v7 vocabularies against their reference:
//! token ids equal to sentencepiece's with mistral-common's models (what
//! mistral-common encodes a message's text with), on the corpus, generated
//! text and long runs. The fixtures are written by `tests/mistral/oracle.py`.

mod spm;

use farebox_core::tokens::{Encoding, Tokenizer};

const VOCABULARIES: [Encoding; 3] = [Encoding::MistralV1, Encoding::MistralV3, Encoding::MistralV7];

fn each(check: fn(&Tokenizer, &serde_json::Value)) {
    for e in VOCABULARIES {
        check(&Tokenizer::embedded(e), &spm::fixture(&format!("mistral/{e}.json")));
    }
}

#[test]
fn same_ids_as_sentencepiece_on_the_corpus() {
    each(spm::same_ids_on_the_corpus);
}

#[test]
fn same_ids_as_sentencepiece_on_generated_text() {
    each(spm::same_ids_on_generated_text);
}

#[test]
fn same_ids_as_sentencepiece_on_long_runs() {
    each(spm::same_ids_on_long_runs);
}
