//! Gemma 3 (the tokenizer Google's `google-genai` SDK counts Gemini text
//! with) against its references: token ids equal to sentencepiece's with the
//! model the SDK pins, on the corpus, generated text and long runs, and whole
//! Gemini request bodies counted as the SDK's `LocalTokenizer.count_tokens`
//! counts them. The fixtures are written by `tests/gemma3/oracle.py`.

mod spm;

use std::sync::OnceLock;

use farebox_core::estimate::{count_prompt, estimate, EstimateOptions};
use farebox_core::tokens::{Encoding, Tokenizer};
use farebox_tests::{prices, tokenizers};
use serde_json::Value;
use spm::{fixture, root};

fn gemma3() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| Tokenizer::embedded(Encoding::Gemma3))
}

#[test]
fn same_ids_as_sentencepiece_on_the_corpus() {
    spm::same_ids_on_the_corpus(gemma3(), &fixture("gemma3/text.json"));
}

#[test]
fn same_ids_as_sentencepiece_on_generated_text() {
    spm::same_ids_on_generated_text(gemma3(), &fixture("gemma3/text.json"));
}

#[test]
fn same_ids_as_sentencepiece_on_long_runs() {
    spm::same_ids_on_long_runs(gemma3(), &fixture("gemma3/text.json"));
}

#[test]
fn requests_count_as_the_sdk_counts() {
    let bodies: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("gemma3/requests.json")).unwrap()).unwrap();
    let fixture = fixture("gemma3/requests.json");
    let requests = fixture["requests"].as_array().unwrap();
    assert_eq!(requests.len(), bodies.as_object().unwrap().len());
    for r in requests {
        let name = r["name"].as_str().unwrap();
        let body = serde_json::to_vec(&bodies[name]).unwrap();
        // Every provider the table prices the model at counts it the same.
        for model in
            ["gemini-2.5-pro", "gemini/gemini-2.5-pro", "vertex_ai/gemini-2.5-pro", r["model"].as_str().unwrap()]
        {
            let options = EstimateOptions { model: Some(model.into()), ..EstimateOptions::default() };
            let range = count_prompt(prices(), tokenizers(), &body, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(range.tokens, r["sdk_count"].as_u64().unwrap(), "{name} as {model}");
            assert!(range.exact && range.low == range.tokens && range.high == range.tokens, "{name}: {range:?}");
        }
    }
}

#[test]
fn the_estimate_names_the_mapping_and_what_is_not_counted() {
    let body = br#"{"contents": [{"role": "user", "parts": [{"text": "hello world"}]}], "generationConfig": {"maxOutputTokens": 10}}"#;
    let options =
        EstimateOptions { model: Some("vertex_ai/gemini-2.0-flash-001".into()), ..EstimateOptions::default() };
    let e = estimate(prices(), tokenizers(), body, &options).unwrap();
    assert_eq!((e.input_tokens.tokens, e.exact), (2, true));
    assert!(
        e.method.starts_with(
            "gemma3 (text exact; mapped by the rule google-genai 3.6.1's _GEMINI_STABLE_MODELS_TO_TOKENIZER_NAMES"
        ),
        "{}",
        e.method
    );
    assert!(e.method.contains("not counted: files, the chat template"), "{}", e.method);
    // A model the SDK maps to Gemma 4 stays an estimate from o200k_base.
    let options = EstimateOptions { model: Some("gemini-3.1-pro-preview".into()), ..EstimateOptions::default() };
    let e = estimate(prices(), tokenizers(), body, &options).unwrap();
    assert!(!e.exact && e.method.starts_with("estimate"), "{}", e.method);
}

#[test]
fn a_host_without_the_vocabulary_estimates_gemini_as_before() {
    use farebox_core::tokens::{Tokenizers, Vocabulary};
    // A host that says what it carries (the edge worker without its `gemma3`
    // feature): Gemini is estimated from o200k_base, not refused.
    let o200k_only = Tokenizers::with_source(|v| {
        (v == Vocabulary::O200kBase).then_some(include_bytes!("../../core/data/vocab/o200k_base.bin").as_slice())
    });
    let body = br#"{"contents": [{"role": "user", "parts": [{"text": "hello world"}]}], "generationConfig": {"maxOutputTokens": 10}}"#;
    let options = EstimateOptions { model: Some("gemini-2.5-pro".into()), ..EstimateOptions::default() };
    let e = estimate(prices(), &o200k_only, body, &options).unwrap();
    assert!(!e.exact && e.method.starts_with("estimate"), "{}", e.method);
    // A host that fetches on need is told which vocabulary to fetch.
    let e = estimate(prices(), &Tokenizers::new(), body, &options).unwrap_err();
    assert_eq!(e, farebox_core::Error::TokenizerNotLoaded(Vocabulary::Gemma3));
}
