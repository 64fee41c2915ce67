//! Fuzzes `parse_usage` on arbitrary bytes, auto-detected (`None`) and forced
//! to each `UsageFormat`.
//!
//! Checks: parsing never panics; when it succeeds, `Usage::prompt_tokens`
//! (a saturating sum) does not panic and is at most the saturating sum of the
//! prompt-side counts, and pricing the usage on `gpt-4o`,
//! `claude-sonnet-4-5` and `gemini-2.5-pro` from the built-in table never
//! panics (an `Err`, e.g. an amount out of range, is fine).
#![no_main]

use std::sync::OnceLock;

use farebox_core::{parse_usage, CostOptions, PriceTable, UsageFormat, UsageKind};
use libfuzzer_sys::fuzz_target;

fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fuzz_target!(|data: &[u8]| {
    let formats = [
        None,
        Some(UsageFormat::OpenAiChat),
        Some(UsageFormat::OpenAiResponses),
        Some(UsageFormat::Anthropic),
        Some(UsageFormat::Gemini),
        Some(UsageFormat::Langfuse),
    ];
    let options = CostOptions::default();
    for format in formats {
        let Ok(parsed) = parse_usage(data, format) else { continue };
        let usage = &parsed.usage;
        let prompt_side = UsageKind::ALL
            .into_iter()
            .filter(|k| k.is_prompt_tokens())
            .fold(0u64, |a, k| a.saturating_add(usage.get(k)));
        let prompt = usage.prompt_tokens();
        assert!(prompt <= prompt_side, "{format:?}: prompt_tokens {prompt} > prompt-side sum {prompt_side}");
        for model in ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"] {
            let _ = table().cost(model, usage, &options);
        }
    }
});
