//! Prices by date: the built-in history pinned against the dated sources
//! themselves (LiteLLM's releases on PyPI: `vendor/price-tables/litellm-history.jsonl`),
//! Langfuse `startDate`s, costs on a past day, the trace analysis pricing each
//! call at its own day, and the audit telling a price change from an error.

use farebox_core::pricing::PriceFileFormat;
use farebox_core::time::Date;
use farebox_core::traces::aggregate::PricesAt;
use farebox_core::traces::{AnalysisOptions, Analyzer, ImportOptions, Importer, WhatIf};
use farebox_core::{CostOptions, Error, PriceTable, Usage, UsageKind, Usd};
use farebox_tests::{dated_prices, prices};

fn day(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::parse(text).unwrap()
}

/// (input, output) price per token of `model` on `on`, and since when.
fn prices_on(table: &PriceTable, model: &str, on: &str) -> (Usd, Usd, Option<Date>, Option<Date>) {
    let dated = table.resolve_at(model, day(on)).unwrap();
    let p = &dated.resolved.model.prices;
    (p.get(UsageKind::Input).unwrap(), p.get(UsageKind::Output).unwrap(), dated.effective.from, dated.effective.until)
}

#[test]
fn known_price_changes_before_and_after() {
    let t = dated_prices();
    // LiteLLM 1.61.20 (2025-02-27) listed claude-3-5-haiku-20241022 at $1/$5 per
    // million; 1.65.0 (2025-03-28) at $0.80/$4.
    let before = prices_on(t, "claude-3-5-haiku-20241022", "2025-02-01");
    assert_eq!(before, (usd("0.000001"), usd("0.000005"), Some(day("2024-11-28")), Some(day("2025-03-28"))));
    let after = prices_on(t, "claude-3-5-haiku-20241022", "2025-04-02");
    assert_eq!((after.0, after.1, after.2), (usd("0.0000008"), usd("0.000004"), Some(day("2025-03-28"))));
    let change = t.resolve_at("claude-3-5-haiku-20241022", day("2025-04-02")).unwrap().effective;
    assert_eq!((change.changed_after, change.seen.as_str()), (Some(day("2025-02-27")), "litellm 1.65.0"));

    // deepseek-chat (DeepSeek's own API): $0.60/$1.70 from 1.77.5 (2025-09-28),
    // $0.28/$0.42 from 1.81.5 (2026-01-29), which is today's price.
    let v3 = prices_on(t, "deepseek-chat", "2025-11-01");
    assert_eq!((v3.0, v3.1, v3.3), (usd("0.0000006"), usd("0.0000017"), Some(day("2026-01-29"))));
    let now = prices_on(t, "deepseek-chat", "2026-06-01");
    assert_eq!((now.0, now.1, now.3), (usd("0.00000028"), usd("0.00000042"), None));
    assert_eq!(t.resolve("deepseek-chat").unwrap().model.prices.get(UsageKind::Input), Some(now.0));

    // gpt-5.6: $5/$30 from 1.94.1 (2026-07-30), $4/$20 from 1.103.1 (2026-09-29).
    assert_eq!(prices_on(t, "gpt-5.6", "2026-08-15").0, usd("0.000005"));
    assert_eq!(prices_on(t, "gpt-5.6", "2026-10-01").0, usd("0.000004"));
}

#[test]
fn a_cost_on_a_past_day_uses_that_days_prices_and_says_so() {
    let usage = Usage::new().with(UsageKind::Input, 1_000_000).with(UsageKind::Output, 1_000_000);
    let then = CostOptions::default().at(day("2025-11-01"));
    let cost = dated_prices().cost("deepseek-chat", &usage, &then).unwrap();
    assert_eq!(cost.total, usd("2.3"));
    let e = cost.effective.unwrap();
    assert_eq!(
        (e.from, e.until, e.seen.as_str()),
        (Some(day("2025-09-28")), Some(day("2026-01-29")), "litellm 1.77.5")
    );
    // Today's price without a date; a past day without the history is an
    // explicit error, never today's price in disguise.
    assert_eq!(dated_prices().cost("deepseek-chat", &usage, &CostOptions::default()).unwrap().total, usd("0.7"));
    assert_eq!(
        prices().cost("deepseek-chat", &usage, &then),
        Err(Error::PriceHistoryNotLoaded).map(|()| unreachable!())
    );
    // On or after the snapshot the built-in table answers alone.
    let today = CostOptions::default().at(day("2026-12-01"));
    assert_eq!(prices().cost("deepseek-chat", &usage, &today).unwrap().total, usd("0.7"));
}

#[test]
fn models_no_longer_listed_are_priced_from_the_history() {
    let t = dated_prices();
    // claude-4-sonnet-20250514 left LiteLLM's table in 1.106.6 (2026-10-28);
    // the table does not know it now.
    assert!(matches!(prices().resolve("claude-4-sonnet-20250514"), Err(Error::UnknownModel { .. })));
    // Listed from 1.73.6 (2025-06-28); its long-context tier from 1.76.1 (2025-08-30).
    let then = t.resolve_at("claude-4-sonnet-20250514", day("2025-07-15")).unwrap();
    assert_eq!(then.resolved.model.prices.get(UsageKind::Input), Some(usd("0.000003")));
    assert_eq!((then.effective.from, then.effective.until), (Some(day("2025-06-28")), Some(day("2025-08-30"))));
    assert!(then.resolved.model.tiers.is_empty());
    let after = t.resolve_at("claude-4-sonnet-20250514", day("2026-11-10")).unwrap();
    assert_eq!(after.effective.delisted, Some(day("2026-10-28")));
    assert_eq!(after.resolved.model.tiers[0].name, "above_200k");
    // A model the table still has from Langfuse after LiteLLM dropped it:
    // today's table prices it since then.
    let kept = t.resolve_at("claude-2.1", day("2026-01-01")).unwrap();
    assert_eq!((kept.effective.from, kept.effective.seen.as_str()), (Some(day("2025-07-31")), "langfuse"));
    // Before anything the sources list: the earliest known price, flagged.
    let early = t.resolve_at("gpt-4o", day("2023-01-01")).unwrap().effective;
    assert!(early.before_first_known);
}

#[test]
fn langfuse_start_dates_are_a_models_price_history() {
    let file = br#"[
      {"modelName":"acme-chat","matchPattern":"(?i)^acme-chat$","startDate":"2026-03-01T00:00:00.000Z","inputPrice":0.000002,"outputPrice":0.000004},
      {"modelName":"acme-chat","matchPattern":"(?i)^acme-chat$","startDate":null,"inputPrice":0.000003,"outputPrice":0.000006}
    ]"#;
    let mut t = PriceTable::empty();
    t.load(file, PriceFileFormat::Langfuse).unwrap();
    let usage = Usage::new().with(UsageKind::Input, 1_000_000);
    let on = |d: &str| t.cost("acme-chat", &usage, &CostOptions::default().at(day(d))).unwrap();
    assert_eq!(on("2026-02-28").total, usd("3"));
    assert_eq!(on("2026-03-01").total, usd("2"));
    assert_eq!(on("2026-03-01").effective.unwrap().seen, "langfuse startDate");
    // Undated, the latest definition is the model.
    assert_eq!(t.cost("acme-chat", &usage, &CostOptions::default()).unwrap().total, usd("2"));
}

#[test]
fn a_bare_name_is_the_makers_own_api() {
    let t = prices();
    assert_eq!(t.resolve("gemini-2.5-pro").unwrap().model.provider, "gemini");
    assert_eq!(t.resolve("gemini/gemini-2.5-pro").unwrap().model.provider, "gemini");
    assert_eq!(t.resolve("vertex_ai/gemini-2.5-pro").unwrap().model.provider, "vertex_ai");
    assert_eq!(t.resolve("gpt-4o").unwrap().model.provider, "openai");
    assert_eq!(t.resolve("claude-sonnet-4-5").unwrap().model.provider, "anthropic");
    // Facts merged from the cloud copies of the same model.
    for id in ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"] {
        assert!(t.resolve(id).unwrap().model.context_window.is_some(), "{id}");
    }
}

/// Two calls to deepseek-chat, one before and one after its 2026-01-29 price
/// change, each exported with the cost of its own day (Langfuse's
/// `calculatedTotalCost`), as Langfuse observations.
const TWO_DAYS: &str = r#"{"id":"a","type":"GENERATION","startTime":"2025-11-01T10:00:00Z","model":"deepseek-chat","usageDetails":{"input":1000000,"output":1000000},"calculatedTotalCost":2.3}
{"id":"b","type":"GENERATION","startTime":"2026-06-01T10:00:00Z","model":"deepseek-chat","usageDetails":{"input":1000000,"output":1000000},"calculatedTotalCost":0.7}
"#;

fn analyse(table: &PriceTable, options: AnalysisOptions) -> farebox_core::traces::Report {
    let mut importer = Importer::with_sink(ImportOptions::default(), Analyzer::new(table, options));
    importer.push(TWO_DAYS.as_bytes());
    importer.finish().1.finish()
}

#[test]
fn traces_are_priced_at_their_own_day_and_the_audit_explains_price_changes() {
    let options = AnalysisOptions { what_ifs: vec![WhatIf::TodaysPrices], ..AnalysisOptions::default() };
    let r = analyse(dated_prices(), options.clone());
    assert_eq!(r.totals.cost, usd("3.0"));
    assert_eq!((r.audit.checked, r.audit.agreeing, r.audit.differing), (2, 2, 0));
    assert_eq!((r.pricing.at_earlier_prices, r.pricing.without_history), (1, 0));
    assert!(r.pricing.history.as_deref().unwrap().ends_with("litellm 1.110.2 (2026-11-20)"));
    // At today's prices the first call would have cost $0.70: $1.60 less.
    let today = &r.what_ifs[0];
    assert_eq!((today.baseline, today.cost, today.difference), (usd("3.0"), usd("1.4"), usd("-1.6")));

    // Priced at today's prices, the first call's exported cost is explained by
    // the price in force on its day.
    let r = analyse(dated_prices(), AnalysisOptions { prices_at: PricesAt::Today, ..options.clone() });
    assert_eq!((r.audit.differing, r.audit.price_changes), (1, 1));
    let change = r.audit.discrepancies[0].price_change.as_ref().unwrap();
    assert_eq!((change.from, change.until), (Some(day("2025-09-28")), Some(day("2026-01-29"))));

    // Without the history days before the snapshot are priced at today's
    // prices, and counted.
    let r = analyse(prices(), options);
    assert_eq!((r.pricing.without_history, r.audit.differing), (2, 1));
}
