//! The shipped price table and cost engine, end to end: the worked examples,
//! the cloud aliases users send, user overrides, and the table against the
//! public reference tables it was generated from (`vendor/price-tables`).

use std::path::PathBuf;

use farebox_core::pricing::Resolution;
use farebox_core::{CostOptions, Error, Model, PriceFileFormat, PriceTable, Usage, UsageKind, Usd};

fn table() -> PriceTable {
    PriceTable::builtin()
}

fn usd(s: &str) -> Usd {
    Usd::parse(s).unwrap()
}

fn usage(pairs: &[(UsageKind, u64)]) -> Usage {
    pairs.iter().fold(Usage::new(), |u, &(k, n)| u.with(k, n))
}

#[test]
fn worked_example_claude_sonnet_4_5() {
    let u = usage(&[(UsageKind::Input, 1500), (UsageKind::Output, 1000)]);
    let cost = table().cost("claude-sonnet-4-5", &u, &CostOptions::default()).unwrap();
    assert_eq!(cost.total.to_string(), "0.0195");
    assert_eq!(cost.tier, "standard");
    assert!(cost.complete);
    // The seed's Langfuse call names the dated snapshot: same price.
    let dated = table().cost("claude-sonnet-4-5-20250929", &u, &CostOptions::default()).unwrap();
    assert_eq!(dated.total, cost.total);
}

#[test]
fn worked_example_gpt_4o_cached_tokens_counted_once() {
    let body = br#"{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}"#;
    let cost = table().cost_of_usage_json(Some("gpt-4o"), body, None, &CostOptions::default()).unwrap();
    assert_eq!(cost.total, usd("0.025"));
    let line = |k: &str| cost.lines.iter().find(|l| l.kind == k).unwrap();
    assert_eq!((line("input").quantity, line("input").unit_price), (6000, usd("2.5e-6")));
    assert_eq!((line("cache_read").quantity, line("cache_read").unit_price), (4000, usd("1.25e-6")));
    assert_eq!((line("output").quantity, line("output").unit_price), (500, usd("10e-6")));
}

#[test]
fn worked_example_gemini_2_5_pro_above_200k_reprices_everything() {
    let body = br#"{"usageMetadata":{"promptTokenCount":250000,"candidatesTokenCount":1000}}"#;
    let cost = table().cost_of_usage_json(Some("gemini-2.5-pro"), body, None, &CostOptions::default()).unwrap();
    assert_eq!(cost.tier, "above_200k");
    // 250,000 × $2.50/M + 1,000 × $15/M
    assert_eq!(cost.total, usd("0.64"));
    let small = br#"{"usageMetadata":{"promptTokenCount":200000,"candidatesTokenCount":1000}}"#;
    let cost = table().cost_of_usage_json(Some("gemini-2.5-pro"), small, None, &CostOptions::default()).unwrap();
    assert_eq!(cost.tier, "standard");
    assert_eq!(cost.total, usd("0.26")); // 200,000 × $1.25/M + 1,000 × $10/M
}

#[test]
fn context_tiers_of_claude_on_bedrock_and_gpt_5_4() {
    let t = table();
    let big = usage(&[(UsageKind::Input, 150_000), (UsageKind::CacheRead, 60_000), (UsageKind::Output, 10)]);
    let c = t.cost("anthropic.claude-sonnet-4-5-20250929-v1:0", &big, &CostOptions::default()).unwrap();
    assert_eq!(c.tier, "above_200k", "cache reads count toward the 200k prompt");
    let c = t.cost("gpt-5.4", &usage(&[(UsageKind::Input, 272_001)]), &CostOptions::default()).unwrap();
    assert_eq!((c.tier.as_str(), c.total), ("above_272k", usd("1.360005")));
    let c = t.cost("gpt-5.4", &usage(&[(UsageKind::Input, 272_000)]), &CostOptions::default()).unwrap();
    assert_eq!(c.tier, "standard");
}

#[test]
fn service_tiers_batch_flex_priority() {
    let t = table();
    let u = usage(&[(UsageKind::Input, 100_000), (UsageKind::Output, 100_000)]);
    let cost = |tier: &str| t.cost("gpt-5.4", &u, &CostOptions::service_tier(tier)).unwrap();
    assert_eq!(cost("default").total, usd("1.75"));
    assert_eq!(cost("batch").total, usd("0.875"));
    assert_eq!(cost("flex").total, usd("0.875"));
    assert_eq!(cost("priority").total, usd("3.5"));
    // Service tier and context size together.
    let big = usage(&[(UsageKind::Input, 300_000)]);
    let c = t.cost("gpt-5.4", &big, &CostOptions::service_tier("flex")).unwrap();
    assert_eq!((c.tier.as_str(), c.total), ("flex_above_272k", usd("0.75")));
    // A response body's own `service_tier` selects the tier.
    let body =
        br#"{"model":"gpt-4o","service_tier":"priority","usage":{"prompt_tokens":1000000,"completion_tokens":0}}"#;
    let c = t.cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap();
    assert_eq!((c.tier.as_str(), c.total), ("priority", usd("4.25")));
}

#[test]
fn anthropic_cache_writes_by_lifetime() {
    let body = br#"{"model":"claude-sonnet-4-5","type":"message","usage":{"input_tokens":100,"output_tokens":10,
        "cache_read_input_tokens":1000,"cache_creation_input_tokens":3000,
        "cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000}}}"#;
    let c = table().cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap();
    // 100×3 + 10×15 + 1000×0.3 + 1000×3.75 + 2000×6, per million
    assert_eq!(c.total, usd("0.0165"));
}

#[test]
fn reasoning_tokens_at_the_output_rate_and_said_so() {
    let body = br#"{"model":"o3","usage":{"prompt_tokens":100,"completion_tokens":1000,
        "completion_tokens_details":{"reasoning_tokens":800}}}"#;
    let c = table().cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap();
    let reasoning = c.lines.iter().find(|l| l.kind == "reasoning").unwrap();
    assert_eq!(reasoning.quantity, 800);
    assert_eq!(reasoning.priced_as, Some("output"));
    let output = c.lines.iter().find(|l| l.kind == "output").unwrap();
    assert_eq!((output.quantity, reasoning.unit_price), (200, output.unit_price));
}

#[test]
fn unknown_models_are_errors_with_suggestions_never_zero() {
    let e = table().cost("gpt-4o-2099-01-01", &usage(&[(UsageKind::Input, 1)]), &CostOptions::default()).unwrap_err();
    match &e {
        Error::UnknownModel { model, suggestions } => {
            assert_eq!(model, "gpt-4o-2099-01-01");
            assert!(suggestions.iter().any(|s| s.starts_with("gpt-4o")), "{suggestions:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "unknown_model");
    assert!(e.to_string().contains("did you mean"));
    assert!(table().resolve("").is_err());
}

#[test]
fn unpriced_usage_is_reported_not_dropped() {
    let body = br#"{"model":"claude-sonnet-4-5","type":"message","usage":{"input_tokens":10,"output_tokens":1,
        "server_tool_use":{"web_search_requests":3}}}"#;
    let c = table().cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap();
    assert!(!c.complete);
    assert_eq!(c.unpriced.len(), 1);
    assert_eq!((c.unpriced[0].kind.as_str(), c.unpriced[0].quantity), ("web_search_requests", 3));
}

#[test]
fn cloud_aliases_users_send() {
    let t = table();
    let id =
        |name: &str| t.resolve(name).map(|r| (r.model.id.clone(), r.via)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(id("gpt-4o").1, Resolution::Id);
    assert_eq!(id("GPT-4o").1, Resolution::Id);
    assert_eq!(id("gpt-4o-2024-08-06").0, "gpt-4o-2024-08-06");
    assert_eq!(id("openai/gpt-4o").0, "openai/gpt-4o".trim_start_matches("openai/"));
    assert_eq!(id("azure/gpt-4o").0, "azure/gpt-4o");
    assert_eq!(id("anthropic.claude-sonnet-4-5-20250929-v1:0").1, Resolution::Id);
    // Regional Bedrock profiles are priced as themselves (10% more), not as the base id.
    let us = t.resolve("us.anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
    assert_eq!(us.model.prices.get(UsageKind::Input), Some(usd("3.3e-6")));
    assert_eq!(
        id("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0").0,
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0".replace("bedrock/", "")
    );
    assert_eq!(id("vertex_ai/claude-sonnet-4-5@20250929").1, Resolution::Id);
    let (vertex, via) = id("claude-sonnet-4-5@20250929");
    assert_eq!(
        (vertex.as_str(), via),
        ("claude-sonnet-4-5-20250929", Resolution::Normalised { form: "claude-sonnet-4-5-20250929".into() })
    );
    assert_eq!(id("models/gemini-2.5-pro").0, "gemini-2.5-pro");
    assert_eq!(id("gemini/gemini-2.5-pro").0, "gemini/gemini-2.5-pro");
    for name in [
        "mistral/mistral-large-latest",
        "deepseek-chat",
        "xai/grok-4.20",
        "grok-4.20",
        "mistral-large-latest",
        "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "text-embedding-3-small",
    ] {
        id(name);
    }
}

#[test]
fn user_definitions_beat_the_builtin_table() {
    let mut t = table();
    // The seed's `create_model`: a broad pattern beats the exact built-in id.
    t.create_model("claude-sonnet-4-5-20250929", "claude-sonnet-4.*", "TOKENS", "0.000002", "0.00001").unwrap();
    let u = usage(&[(UsageKind::Input, 1500), (UsageKind::Output, 1000)]);
    let c = t.cost("claude-sonnet-4-5", &u, &CostOptions::default()).unwrap();
    assert!(c.user_defined);
    assert_eq!((c.model.as_str(), c.resolution.clone()), ("claude-sonnet-4-5-20250929", Resolution::Pattern));
    assert_eq!(c.total, usd("0.013"));
    // Other models are unaffected.
    assert!(!t.cost("gpt-4o", &u, &CostOptions::default()).unwrap().user_defined);
    // Per-character pricing.
    t.create_model("my-tts", "", "CHARACTERS", "0.000015", "0").unwrap();
    let c = t.cost("my-tts", &usage(&[(UsageKind::InputCharacters, 1000)]), &CostOptions::default()).unwrap();
    assert_eq!(c.total, usd("0.015"));
    // Bad definitions are refused, naming the problem.
    assert!(t.create_model("x", "(", "TOKENS", "1", "1").unwrap_err().to_string().contains("not a valid regex"));
    // Patterns are matched with ASCII semantics, which equal Unicode's only
    // on ASCII: a pattern beyond ASCII is refused, a name beyond it matches
    // no pattern (it stays an unknown model instead of a guess).
    assert!(t.create_model("x", "(?i)^modèle$", "TOKENS", "1", "1").unwrap_err().to_string().contains("ASCII"));
    t.create_model("acme-large", r"(?i)^acme-l.rge-\d+$", "TOKENS", "0.000001", "0.000002").unwrap();
    let one = usage(&[(UsageKind::Input, 1_000_000)]);
    let c = t.cost("ACME-LARGE-2", &one, &CostOptions::default()).unwrap();
    assert_eq!((c.model.as_str(), c.resolution, c.total), ("acme-large", Resolution::Pattern, usd("1")));
    // Both would match with Unicode semantics (`.` a character, `\d` any digit).
    assert!(t.cost("acme-lärge-2", &one, &CostOptions::default()).is_err());
    assert!(t.cost("acme-large-٣", &one, &CostOptions::default()).is_err());
    assert!(t.create_model("x", "", "TOKENS", "-1", "1").unwrap_err().to_string().contains("negative"));
    assert!(t.create_model("x", "", "TOKENS", "1e-30", "1").unwrap_err().to_string().contains("decimal places"));
    assert!(t.create_model("x", "", "MINUTES", "1", "1").unwrap_err().to_string().contains("unit"));
}

#[test]
fn loading_files_user_layer_and_atomicity() {
    let mut t = table();
    let litellm = br#"{"gpt-4o": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}"#;
    let report = t.load(litellm, PriceFileFormat::Auto).unwrap();
    assert_eq!((report.format, report.loaded), (PriceFileFormat::LiteLlm, 1));
    let u = usage(&[(UsageKind::Input, 1_000_000)]);
    assert_eq!(t.cost("gpt-4o", &u, &CostOptions::default()).unwrap().total, usd("1"));
    // A bad file leaves the table as it was.
    let bad = br#"{"gpt-4o": {"input_cost_per_token": 5e-06}, "bad": {"input_cost_per_token": "nope"}}"#;
    assert!(t.load(bad, PriceFileFormat::Auto).is_err());
    assert_eq!(t.cost("gpt-4o", &u, &CostOptions::default()).unwrap().total, usd("1"));
    for (bytes, needle) in [
        (&b"\xff\xfe"[..], "not UTF-8"),
        (b"42", "JSON object"),
        (b"{\"schema\": 99, \"snapshot\": \"\", \"models\": []}", "schema 99"),
        (b"{\"models\": [{\"id\": \"m\", \"provider\": \"p\", \"prices\": {\"input\": 1}, \"extra\": 1}], \"schema\": 1, \"snapshot\": \"\"}", "unknown field"),
        (b"[{\"modelName\": 1}]", "Langfuse model #0"),
    ] {
        let e = t.load(bytes, PriceFileFormat::Auto).unwrap_err().to_string();
        assert!(e.contains(needle), "{e} should contain {needle}");
    }
}

fn reference(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vendor/price-tables").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (the vendored price tables)", path.display()))
}

/// Every built-in model taken from LiteLLM has exactly the prices a fresh
/// import of the reference file gives, and every Langfuse definition
/// resolves to a model with its own default prices or LiteLLM's.
#[test]
fn builtin_table_agrees_with_the_reference_tables() {
    let builtin = table();
    let mut litellm = PriceTable::empty();
    litellm.load(&reference("litellm-model_prices_and_context_window.json"), PriceFileFormat::LiteLlm).unwrap();
    // By id: name resolution would take a bare name to the maker's own API.
    let by_id: std::collections::BTreeMap<&str, &Model> =
        litellm.user_models().iter().map(|m| (m.id.as_str(), m)).collect();
    let mut compared = 0;
    for m in builtin.models().filter(|m| m.source == "litellm") {
        assert_eq!(m, by_id[m.id.as_str()], "{}", m.id);
        compared += 1;
    }
    assert!(compared > 1500, "only {compared} LiteLLM models in the built-in table");

    let mut langfuse = PriceTable::empty();
    langfuse.load(&reference("langfuse-default-model-prices.json"), PriceFileFormat::Langfuse).unwrap();
    for lf in langfuse.user_models() {
        let found = builtin.resolve(&lf.id).unwrap_or_else(|e| panic!("Langfuse's {}: {e}", lf.id));
        if found.model.source == "langfuse" {
            assert_eq!(found.model, lf);
        }
    }
    assert!(!builtin.snapshot().is_empty());
    assert_eq!(builtin.sources().len(), 2);
}

#[test]
fn every_vendor_family_is_covered() {
    let t = table();
    for (family, at_least) in [
        ("gpt-", 50),
        ("claude", 50),
        ("gemini", 30),
        ("mistral", 10),
        ("deepseek", 10),
        ("grok", 10),
        ("llama", 30),
        ("embedding", 10),
    ] {
        let n = t.models().filter(|m| m.id.to_ascii_lowercase().contains(family)).count();
        assert!(n >= at_least, "{family}: {n} models");
    }
    for m in t.models() {
        assert!(!m.prices.is_empty() || !m.tiers.is_empty(), "{} has no prices", m.id);
    }
}

/// Found by fuzzing: ids with surrounding whitespace load and resolve.
#[test]
fn ids_are_trimmed_on_load() {
    for file in [
        &br#"{" m":{"input_cost_per_token":1}}"#[..],
        br#"[{"modelName":"m ","inputPrice":1}]"#,
        br#"{"schema":1,"snapshot":"","models":[{"id":"\tm","provider":"p","prices":{}}]}"#,
    ] {
        let mut t = PriceTable::empty();
        t.load(file, PriceFileFormat::Auto).unwrap();
        assert_eq!(t.resolve("m").unwrap().model.id, "m");
    }
}

/// The built-in table compiles its match patterns lazily: every one must compile.
#[test]
fn every_builtin_pattern_compiles() {
    let t = table();
    let patterns: Vec<&str> = t.models().filter_map(|m| m.pattern.as_deref()).collect();
    assert!(patterns.len() > 50, "{} patterns", patterns.len());
    for p in patterns {
        let mut user = PriceTable::empty();
        user.create_model("probe", p, "TOKENS", "1", "1").unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    // A Langfuse-only model found through its pattern, with the lazy regex.
    // Langfuse writes Azure's `gpt-35` spelling into its pattern for gpt-3.5-turbo-0613.
    let azure = t.resolve("gpt-35-turbo-0613").unwrap();
    assert_eq!((azure.model.id.as_str(), azure.via), ("gpt-3.5-turbo-0613", Resolution::Pattern));
}

/// First-party Claude ids whose long-context tier or limits LiteLLM lists
/// only on cloud copies take them from those copies (`cargo xtask prices`):
/// a 300k-token request is priced at the >200k rate, as on Bedrock and
/// Vertex, not at the base rate (an under-estimate a cost cap would let
/// through).
#[test]
fn first_party_claude_has_the_long_context_tier_of_its_cloud_copies() {
    let t = table();
    let opts = CostOptions::default();
    let long = usage(&[(UsageKind::Input, 300_000), (UsageKind::Output, 1_000)]);
    let short = usage(&[(UsageKind::Input, 200_000), (UsageKind::Output, 1_000)]);
    for (first, copies) in [
        ("claude-sonnet-4-5", &["vertex_ai/claude-sonnet-4-5"][..]),
        (
            "claude-sonnet-4-5-20250929",
            &["bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0", "vertex_ai/claude-sonnet-4-5@20250929"][..],
        ),
        ("claude-sonnet-4-20250514", &["bedrock/anthropic.claude-sonnet-4-20250514-v1:0"][..]),
    ] {
        let cost = t.cost(first, &long, &opts).unwrap();
        assert_eq!((cost.tier.as_str(), cost.complete), ("above_200k", true), "{first}");
        // 300,000 × $6/MTok + 1,000 × $22.50/MTok
        assert_eq!(cost.total, usd("1.8225"), "{first}");
        for copy in copies {
            assert_eq!(t.cost(copy, &long, &opts).unwrap().total, cost.total, "{first} vs {copy}");
        }
        assert_eq!(t.cost(first, &short, &opts).unwrap().tier, "standard", "{first}");
    }
    // The copy's tier has no 1-hour cache write price: unpriced, not the base rate.
    let cached = usage(&[(UsageKind::Input, 300_000), (UsageKind::CacheWrite1h, 1_000)]);
    let cost = t.cost("claude-sonnet-4-20250514", &cached, &opts).unwrap();
    assert!(!cost.complete && cost.unpriced.iter().any(|u| u.kind == "cache_write_1h"));
}

/// First-party Claude ids without limits take them from their cloud copies.
#[test]
fn first_party_claude_has_the_context_window_of_its_cloud_copies() {
    let t = table();
    for (first, copy) in [
        ("claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("claude-3-5-haiku-20241022", "anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-opus-4-1-20250805", "anthropic.claude-opus-4-1-20250805-v1:0"),
    ] {
        let (m, c) = (t.resolve(first).unwrap().model, t.resolve(copy).unwrap().model);
        assert_eq!(m.context_window, Some(200_000), "{first}");
        assert_eq!((m.context_window, m.max_output_tokens), (c.context_window, c.max_output_tokens), "{first}");
    }
}

/// A model the generator filled from cloud copies says so in `source`
/// (`litellm; above_200k tier from <ids>`) and differs from the reference
/// table only by what those copies have: the same base prices, its own tiers
/// kept, each added tier price and limit found on a named copy.
#[test]
fn filled_models_only_add_what_their_named_copies_have() {
    use farebox_core::Model;
    let builtin = table();
    let (mut litellm, mut langfuse) = (PriceTable::empty(), PriceTable::empty());
    litellm.load(&reference("litellm-model_prices_and_context_window.json"), PriceFileFormat::LiteLlm).unwrap();
    langfuse.load(&reference("langfuse-default-model-prices.json"), PriceFileFormat::Langfuse).unwrap();
    let mut filled = 0;
    for m in builtin.models() {
        let Some((origin, note)) = m.source.split_once("; ") else { continue };
        filled += 1;
        let (_, named) = note.split_once(" from ").unwrap_or_else(|| panic!("{}: {}", m.id, m.source));
        let copies: Vec<_> = named.split(", ").map(|id| builtin.resolve(id).unwrap().model).collect();
        let public = if origin == "langfuse" { &langfuse } else { &litellm };
        let found = public.resolve(&m.id).unwrap();
        assert_eq!(found.via, Resolution::Id, "{}", m.id);
        let r = found.model;
        assert_eq!(
            (r.source.as_str(), &r.prices, &r.pattern, r.provider.as_str()),
            (origin, &m.prices, &m.pattern, "anthropic")
        );
        for c in &copies {
            assert_eq!(
                (c.prices.get(UsageKind::Input), c.prices.get(UsageKind::Output)),
                (m.prices.get(UsageKind::Input), m.prices.get(UsageKind::Output)),
                "{} vs {}",
                m.id,
                c.id
            );
        }
        let kept: Vec<_> = m.tiers.iter().filter(|t| r.tiers.contains(t)).collect();
        assert_eq!(kept, r.tiers.iter().collect::<Vec<_>>(), "{}", m.id);
        for tier in m.tiers.iter().filter(|t| !r.tiers.contains(t)) {
            for (kind, price) in tier.prices.kinds() {
                let on_a_copy = copies.iter().any(|c| {
                    c.tiers
                        .iter()
                        .any(|ct| ct.name == tier.name && ct.when == tier.when && ct.prices.get(kind) == Some(price))
                });
                assert!(on_a_copy, "{} {} {kind}", m.id, tier.name);
            }
        }
        for (mine, theirs, get) in [
            (m.context_window, r.context_window, (|c: &Model| c.context_window) as fn(&Model) -> Option<u64>),
            (m.max_output_tokens, r.max_output_tokens, |c: &Model| c.max_output_tokens),
        ] {
            assert!(theirs.is_none() || mine == theirs, "{}", m.id);
            assert!(mine == theirs || copies.iter().any(|c| get(c) == mine), "{}", m.id);
        }
    }
    assert!(filled >= 5, "only {filled} filled models");
}
