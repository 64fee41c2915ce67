//! LiteLLM's `model_prices_and_context_window.json`: an object keyed by model
//! name (the provider prefix may be part of the key), prices in USD per unit.
//!
//! Field names compose a base, an optional context threshold and an optional
//! service tier: `input_cost_per_token_above_200k_tokens_priority`. Each
//! distinct (threshold, service tier) becomes one [`Tier`]; a tier's missing
//! prices are filled from the threshold-only tier and then the base, as
//! LiteLLM falls back. Tiers are ordered most specific first: threshold and
//! service tier, service tier, threshold (highest first).
//!
//! The file is written from Python floats, so prices go through
//! [`Usd::parse_float_text`] (`1.0000000000000001e-07` is `1e-07`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::value::RawValue;

use super::{invalid, Condition, Mode, Model, PriceSet, Skipped, Tier};
use crate::error::Error;
use crate::json::whole_number;
use crate::money::{float_written_price, Usd};
use crate::usage::UsageKind;

/// Price field bases, longest first so that a prefix never shadows a longer base.
/// `secondary` bases only fill a kind no primary base set.
const BASES: &[(&str, UsageKind, bool)] = &[
    ("cache_creation_input_token_cost_above_1hr", UsageKind::CacheWrite1h, false),
    ("cache_creation_input_token_cost", UsageKind::CacheWrite5m, false),
    ("cache_read_input_token_cost", UsageKind::CacheRead, false),
    ("input_cost_per_token_cache_hit", UsageKind::CacheRead, true),
    ("output_cost_per_reasoning_token", UsageKind::Reasoning, false),
    ("input_cost_per_audio_token", UsageKind::AudioInput, false),
    ("output_cost_per_audio_token", UsageKind::AudioOutput, false),
    ("input_cost_per_image_token", UsageKind::ImageInput, false),
    ("input_cost_per_character", UsageKind::InputCharacters, false),
    ("output_cost_per_character", UsageKind::OutputCharacters, false),
    ("input_cost_per_request", UsageKind::Requests, false),
    ("input_cost_per_token", UsageKind::Input, false),
    ("output_cost_per_token", UsageKind::Output, false),
];

/// (context threshold in tokens, service tier)
type TierKey = (Option<u64>, Option<String>);

pub(crate) fn parse(text: &str) -> Result<(Vec<Model>, Vec<Skipped>), Error> {
    let entries: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).map_err(|e| invalid("LiteLLM", &e))?;
    let mut models = Vec::new();
    let mut skipped = Vec::new();
    for (name, raw) in entries {
        if name == "sample_spec" {
            continue;
        }
        match entry(&name, &raw)? {
            Ok(model) => models.push(model),
            Err(reason) => skipped.push(Skipped { name, reason }),
        }
    }
    Ok((models, skipped))
}

/// One entry: `Ok(Err(reason))` for an entry farebox does not meter.
fn entry(name: &str, raw: &RawValue) -> Result<Result<Model, String>, Error> {
    let bad = |why: String| Error::InvalidPriceFile(format!("LiteLLM entry `{name}`: {why}"));
    let fields: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(raw.get()).map_err(|e| bad(format!("should be an object of fields ({e})")))?;
    let string = |key: &str| -> Result<Option<String>, Error> {
        match fields.get(key) {
            None => Ok(None),
            Some(v) => {
                serde_json::from_str::<Option<String>>(v.get()).map_err(|_| bad(format!("`{key}` should be a string")))
            }
        }
    };
    let count = |key: &str| -> Result<Option<u64>, Error> {
        match fields.get(key) {
            None => Ok(None),
            // A few entries write limits as floats (`8192.0`); a fractional or negative one is an error.
            Some(v) => match serde_json::from_str::<Option<serde_json::Number>>(v.get()) {
                Ok(None) => Ok(None),
                Ok(Some(n)) => whole_number(&n)
                    .map(Some)
                    .ok_or_else(|| bad(format!("`{key}` should be a whole number ≥ 0, found {n}"))),
                Err(_) => Err(bad(format!("`{key}` should be a number"))),
            },
        }
    };
    let mode = match string("mode")?.as_deref() {
        Some("chat") | None => Mode::Chat,
        Some("responses") => Mode::Responses,
        Some("completion") => Mode::Completion,
        Some("embedding") => Mode::Embedding,
        Some(other) => return Ok(Err(format!("mode `{other}` is not metered in tokens"))),
    };

    let mut groups: BTreeMap<TierKey, PriceSet> = BTreeMap::new();
    let mut secondary: Vec<(TierKey, UsageKind, Usd)> = Vec::new();
    for (field, value) in &fields {
        let Some((base, kind, is_secondary)) = BASES.iter().find(|(b, _, _)| field.starts_with(b)) else {
            continue;
        };
        let Some(key) = tier_key(&field[base.len()..]) else {
            continue; // e.g. `_above_12hr`: a cache lifetime farebox does not meter
        };
        if value.get() == "null" {
            continue;
        }
        let price = float_written_price(value).map_err(|e| bad(format!("`{field}`: {e}")))?;
        if *is_secondary {
            secondary.push((key, *kind, price));
        } else {
            groups.entry(key).or_default().set(*kind, price);
        }
    }
    for (key, kind, price) in secondary {
        let set = groups.entry(key).or_default();
        if set.get(kind).is_none() {
            set.set(kind, price);
        }
    }
    if let Some(raw_tiers) = fields.get("tiered_pricing") {
        range_tiers(raw_tiers, &mut groups).map_err(bad)?;
    }

    let base = groups.remove(&(None, None)).unwrap_or_default();
    if base.is_empty() && groups.is_empty() {
        return Ok(Err(String::from("no token, character or request price")));
    }
    let mut tiers: Vec<(u8, u64, Tier)> = Vec::new();
    for ((threshold, service), own) in &groups {
        let threshold_only = threshold.and_then(|t| groups.get(&(Some(t), None)));
        let mut prices = base.clone();
        if service.is_some() {
            if let Some(t) = threshold_only {
                prices = prices.overlaid(t);
            }
        }
        let prices = prices.overlaid(own);
        let mut when = Vec::new();
        let mut label = Vec::new();
        if let Some(s) = service {
            when.push(Condition::service_tier(s));
            label.push(s.clone());
        }
        if let Some(t) = threshold {
            when.push(Condition::prompt_tokens_above(*t));
            label.push(format!("above_{}k", t / 1000));
        }
        let rank = match (threshold, service) {
            (Some(_), Some(_)) => 0,
            (None, Some(_)) => 1,
            _ => 2,
        };
        tiers.push((rank, u64::MAX - threshold.unwrap_or(0), Tier { name: label.join("_"), when, prices }));
    }
    tiers.sort_by(|a, b| (a.0, a.1, &a.2.name).cmp(&(b.0, b.1, &b.2.name)));

    Ok(Ok(Model {
        since: None,
        id: name.to_string(),
        provider: provider(string("litellm_provider")?.as_deref().unwrap_or("unknown")),
        mode,
        aliases: Vec::new(),
        pattern: None,
        context_window: count("max_input_tokens")?,
        max_output_tokens: count("max_output_tokens")?,
        prices: base,
        tiers: tiers.into_iter().map(|(_, _, t)| t).collect(),
        source: String::from("litellm"),
    }))
}

/// The tier a field-name suffix selects: `""`, `_above_200k_tokens`,
/// `_priority`, `_above_272k_tokens_flex`, `_batches`. `None` for suffixes
/// that are not a tier.
fn tier_key(suffix: &str) -> Option<TierKey> {
    let (threshold, rest) = match suffix.strip_prefix("_above_") {
        Some(rest) => {
            let (n, rest) = rest.split_once("k_tokens")?;
            (Some(n.parse::<u64>().ok()?.checked_mul(1000)?), rest)
        }
        None => (None, suffix),
    };
    let service = match rest {
        "" => None,
        s => {
            let s = s.strip_prefix('_')?;
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_lowercase()) {
                return None;
            }
            // LiteLLM's `_batches` is the Batch API, which requests name `batch`.
            Some(if s == "batches" { String::from("batch") } else { s.to_string() })
        }
    };
    Some((threshold, service))
}

/// `tiered_pricing: [{"range": [0, 200000], "input_cost_per_token": …}, …]`:
/// the range starting at 0 is the base, each later range a threshold tier.
fn range_tiers(raw: &RawValue, groups: &mut BTreeMap<TierKey, PriceSet>) -> Result<(), String> {
    let ranges: Vec<BTreeMap<String, Box<RawValue>>> =
        serde_json::from_str(raw.get()).map_err(|e| format!("`tiered_pricing` should be a list of objects ({e})"))?;
    for (i, range) in ranges.iter().enumerate() {
        let bounds: Vec<serde_json::Number> = match range.get("range") {
            Some(r) => serde_json::from_str(r.get())
                .map_err(|_| format!("`tiered_pricing[{i}].range` should be [from, to]"))?,
            None => return Err(format!("`tiered_pricing[{i}]` has no `range`")),
        };
        let from = match bounds.first().and_then(whole_number) {
            Some(from) => from,
            None => return Err(format!("`tiered_pricing[{i}].range` should start at a whole number ≥ 0")),
        };
        let key: TierKey = ((from > 0).then_some(from), None);
        for (field, value) in range {
            let Some((_, kind, _)) = BASES.iter().find(|(b, _, _)| b == field) else { continue };
            let price = float_written_price(value).map_err(|e| format!("`tiered_pricing[{i}].{field}`: {e}"))?;
            let set = groups.entry(key.clone()).or_default();
            if set.get(*kind).is_none() {
                set.set(*kind, price);
            }
        }
    }
    Ok(())
}

/// LiteLLM's provider names, folded to who bills: `vertex_ai-anthropic_models` → `vertex_ai`.
fn provider(litellm: &str) -> String {
    match litellm {
        "bedrock_converse" | "bedrock_mantle" => String::from("bedrock"),
        "text-completion-openai" => String::from("openai"),
        "azure_text" => String::from("azure"),
        "text-completion-codestral" => String::from("codestral"),
        other => other.split('-').next().unwrap_or(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_select_tiers() {
        assert_eq!(tier_key(""), Some((None, None)));
        assert_eq!(tier_key("_above_200k_tokens"), Some((Some(200_000), None)));
        assert_eq!(tier_key("_priority"), Some((None, Some("priority".into()))));
        assert_eq!(tier_key("_batches"), Some((None, Some("batch".into()))));
        assert_eq!(tier_key("_above_272k_tokens_flex"), Some((Some(272_000), Some("flex".into()))));
        assert_eq!(tier_key("_above_12hr"), None);
        assert_eq!(tier_key("_cache_hit"), None);
        assert_eq!(tier_key("_above_99999999999999999999k_tokens"), None);
    }

    #[test]
    fn an_entry_with_thresholds_and_service_tiers() {
        let json = r#"{"m": {"litellm_provider": "vertex_ai-language-models", "mode": "chat", "max_input_tokens": 1048576,
            "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-07,
            "input_cost_per_token_above_200k_tokens": 2.5e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
            "input_cost_per_token_priority": 2.25e-06,
            "input_cost_per_token_above_200k_tokens_priority": 4.5e-06,
            "input_cost_per_token_batches": 6.25e-07}}"#;
        let (models, skipped) = parse(json).unwrap();
        assert!(skipped.is_empty());
        let m = &models[0];
        assert_eq!(m.provider, "vertex_ai");
        assert_eq!(m.context_window, Some(1_048_576));
        let names: Vec<&str> = m.tiers.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["priority_above_200k", "batch", "priority", "above_200k"]);
        let combo = &m.tiers[0].prices;
        // Own input price; output from the threshold tier; cache read from the base.
        assert_eq!(combo.get(UsageKind::Input), Some(Usd::parse("4.5e-06").unwrap()));
        assert_eq!(combo.get(UsageKind::Output), Some(Usd::parse("1.5e-05").unwrap()));
        assert_eq!(combo.get(UsageKind::CacheRead), Some(Usd::parse("1.25e-07").unwrap()));
    }

    #[test]
    fn unmetered_entries_are_skipped_and_bad_ones_refused() {
        let (models, skipped) =
            parse(r#"{"img": {"mode": "image_generation", "output_cost_per_image": 0.04}, "x": {"mode": "chat"}}"#)
                .unwrap();
        assert!(models.is_empty());
        assert_eq!(skipped.len(), 2);
        for (json, needle) in [
            (r#"{"m": {"input_cost_per_token": "abc"}}"#, "`input_cost_per_token`"),
            (r#"{"m": {"input_cost_per_token": -1e-6}}"#, "negative"),
            (r#"{"m": {"input_cost_per_token": [1]}}"#, "expected a decimal number"),
            (r#"{"m": {"max_input_tokens": -4, "input_cost_per_token": 1}}"#, "whole number"),
            (r#"{"m": 5}"#, "should be an object"),
            (r#"[1]"#, "LiteLLM price file"),
        ] {
            let e = parse(json).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should contain {needle}");
        }
    }
}
