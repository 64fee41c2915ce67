//! Fuzzes the pre-call estimate on arbitrary request bodies, detected and
//! forced to each `RequestFormat`, for an OpenAI model (exact counting), a
//! Claude and a Gemini model (estimates).
//!
//! Checks: nothing panics; when an estimate succeeds, `low ≤ tokens ≤ high`
//! and the minimum cost is at most the maximum.
#![no_main]

use std::sync::OnceLock;

use farebox_core::estimate::{estimate, EstimateOptions, RequestFormat};
use farebox_core::tokens::Tokenizers;
use farebox_core::PriceTable;
use libfuzzer_sys::fuzz_target;

fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fn tokenizers() -> &'static Tokenizers {
    static T: OnceLock<Tokenizers> = OnceLock::new();
    T.get_or_init(Tokenizers::embedded)
}

fuzz_target!(|data: &[u8]| {
    let formats = [
        None,
        Some(RequestFormat::OpenAiChat),
        Some(RequestFormat::OpenAiResponses),
        Some(RequestFormat::Anthropic),
        Some(RequestFormat::Gemini),
        Some(RequestFormat::OpenAiEmbeddings),
    ];
    for model in [None, Some("gpt-4o"), Some("claude-sonnet-4-5"), Some("gemini-2.5-pro")] {
        for format in formats {
            let options = EstimateOptions { model: model.map(String::from), format, ..EstimateOptions::default() };
            if let Ok(e) = estimate(table(), tokenizers(), data, &options) {
                let t = e.input_tokens;
                assert!(t.low <= t.tokens && t.tokens <= t.high, "{t:?}");
                assert!(e.min_cost.total <= e.max_cost.total, "{} > {}", e.min_cost.total, e.max_cost.total);
            }
        }
    }
});
