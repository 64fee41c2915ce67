//! Langfuse model definitions: the `default-model-prices.json` array, or a
//! page of the public models API (`{"data": [...]}`).
//!
//! Each definition has a `modelName`, a `matchPattern` regex and either
//! `pricingTiers` (a default tier plus conditional ones, by `priority`) or
//! the older flat `inputPrice`/`outputPrice`/`totalPrice` (or `prices`).
//! Langfuse prices usage *keys*; several keys name the same kind
//! (`input_cached_tokens`, `cache_read_input_tokens`, `input_cache_read`), and
//! a `total` price is the price of input and output alike.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{infer_provider, invalid, Condition, Mode, Model, Op, Pattern, PriceSet, Tier};
use crate::error::Error;
use crate::money::float_written_price;
use crate::time::Date;
use crate::usage::{langfuse_kind, UsageKind, LANGFUSE_KEYS};

/// A page of the public API: `{"data": [...], "meta": {...}}`.
#[derive(Deserialize)]
struct Page {
    data: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    model_name: String,
    #[serde(default)]
    match_pattern: Option<String>,
    #[serde(default)]
    pricing_tiers: Option<Vec<RawTier>>,
    #[serde(default)]
    input_price: Option<Box<RawValue>>,
    #[serde(default)]
    output_price: Option<Box<RawValue>>,
    #[serde(default)]
    total_price: Option<Box<RawValue>>,
    #[serde(default)]
    unit: Option<String>,
    /// The day from which this definition's prices apply (the API's
    /// `startDate`); definitions of one model with different days are its price history.
    #[serde(default)]
    start_date: Option<String>,
    /// The v1 API: `{"input": {"price": 0.0001}, ...}`.
    #[serde(default)]
    prices: Option<BTreeMap<String, PriceObject>>,
}

#[derive(Deserialize)]
struct PriceObject {
    price: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTier {
    name: String,
    #[serde(default)]
    is_default: bool,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    conditions: Vec<RawCondition>,
    prices: BTreeMap<String, Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCondition {
    #[serde(default)]
    usage_detail_pattern: Option<String>,
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    value: Option<serde_json::Number>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    values: Vec<String>,
}

/// The definitions, each with its `startDate` (as `since`) if it has one.
pub(crate) fn parse(text: &str) -> Result<Vec<Model>, Error> {
    // (An untagged enum would buffer the input, which `RawValue` cannot read from.)
    let raws: Vec<Box<RawValue>> = if text.trim_start().starts_with('{') {
        serde_json::from_str::<Page>(text).map_err(|e| invalid("Langfuse", &e))?.data
    } else {
        serde_json::from_str(text).map_err(|e| invalid("Langfuse", &e))?
    };
    let mut models = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        let def: Definition = serde_json::from_str(raw.get())
            .map_err(|e| Error::InvalidPriceFile(format!("Langfuse model #{i}: {e}")))?;
        let name = def.model_name.clone();
        let fail = |why: String| Error::InvalidPriceFile(format!("Langfuse model `{name}`: {why}"));
        let start = match def.start_date.as_deref() {
            Some(text) => Some(Date::parse(text).map_err(|e| fail(format!("startDate: {e}")))?),
            None => None,
        };
        models.push(Model { since: start, ..model(def).map_err(fail)? });
    }
    Ok(models)
}

fn model(def: Definition) -> Result<Model, String> {
    let (prices, tiers) = match def.pricing_tiers {
        Some(raw_tiers) => tiered(raw_tiers)?,
        None => (flat(&def)?, Vec::new()),
    };
    let id = def.model_name;
    Ok(Model {
        provider: String::from(infer_provider(&id)),
        mode: if id.contains("embed") { Mode::Embedding } else { Mode::Chat },
        aliases: Vec::new(),
        pattern: def.match_pattern.filter(|p| !p.is_empty()).map(|p| postgres_to_rust_regex(&p)),
        context_window: None,
        max_output_tokens: None,
        prices,
        tiers,
        source: String::from("langfuse"),
        since: None,
        id,
    })
}

/// Langfuse stores patterns for PostgreSQL, which accepts a doubled `$$` as an
/// end anchor; the Rust regex syntax wants one.
fn postgres_to_rust_regex(p: &str) -> String {
    let mut s = p.to_string();
    while s.ends_with("$$") {
        s.pop();
    }
    s
}

fn tiered(raw_tiers: Vec<RawTier>) -> Result<(PriceSet, Vec<Tier>), String> {
    let mut base = None;
    let mut tiers = Vec::new();
    for t in raw_tiers {
        let prices = price_set(&t.prices).map_err(|e| format!("tier `{}`: {e}", t.name))?;
        if t.is_default {
            if base.replace(prices).is_some() {
                return Err(String::from("has more than one default tier"));
            }
            continue;
        }
        let when = t
            .conditions
            .iter()
            .map(condition)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("tier `{}`: {e}", t.name))?;
        if when.is_empty() {
            return Err(format!("tier `{}` is not the default but has no conditions", t.name));
        }
        tiers.push((t.priority, Tier { name: t.name, when, prices }));
    }
    tiers.sort_by_key(|(priority, _)| *priority);
    let base = base.ok_or_else(|| String::from("has no default tier"))?;
    Ok((base, tiers.into_iter().map(|(_, t)| t).collect()))
}

fn flat(def: &Definition) -> Result<PriceSet, String> {
    let mut raw: BTreeMap<String, &RawValue> = BTreeMap::new();
    if let Some(prices) = &def.prices {
        raw.extend(prices.iter().map(|(k, v)| (k.clone(), &*v.price)));
    }
    for (key, value) in [("input", &def.input_price), ("output", &def.output_price), ("total", &def.total_price)] {
        if let Some(v) = value {
            raw.entry(key.to_string()).or_insert(v);
        }
    }
    let mut set = price_set(&raw)?;
    if def.unit.as_deref() == Some("CHARACTERS") {
        for (tokens, chars) in
            [(UsageKind::Input, UsageKind::InputCharacters), (UsageKind::Output, UsageKind::OutputCharacters)]
        {
            if let Some(p) = set.get(tokens) {
                let mut moved = PriceSet::new();
                for (k, q) in set.kinds().filter(|&(k, _)| k != tokens) {
                    moved.set(k, q);
                }
                for (k, q) in set.others() {
                    moved.set_other(k, q);
                }
                set = moved.with(chars, p);
            }
        }
    }
    Ok(set)
}

/// Usage-key prices to a [`PriceSet`]. Keys naming the same kind must agree.
fn price_set<V: core::ops::Deref<Target = RawValue>>(raw: &BTreeMap<String, V>) -> Result<PriceSet, String> {
    let mut set = PriceSet::new();
    let mut total = None;
    for (key, value) in raw {
        if value.get() == "null" {
            continue;
        }
        // Langfuse's file is written from JavaScript numbers.
        let price = float_written_price(value).map_err(|e| format!("price `{key}`: {e}"))?;
        match (key.as_str(), langfuse_kind(key)) {
            ("total", _) => total = Some(price),
            (_, Some(kind)) => match set.get(kind) {
                Some(existing) if existing != price => {
                    return Err(format!("price `{key}` ({price}) disagrees with another `{kind}` key ({existing})"));
                }
                _ => set.set(kind, price),
            },
            (_, None) => set.set_other(key, price),
        }
    }
    // A price per total token is the price of every input and output token.
    if let Some(t) = total {
        for kind in [UsageKind::Input, UsageKind::Output] {
            if set.get(kind).is_none() {
                set.set(kind, t);
            }
        }
    }
    Ok(set)
}

fn condition(c: &RawCondition) -> Result<Condition, String> {
    if let Some(pattern) = &c.usage_detail_pattern {
        let re = Pattern::new(pattern, !c.case_sensitive).map_err(|e| format!("usage pattern `{pattern}`: {e}"))?;
        // Langfuse sums the usage keys the pattern matches; farebox's kinds
        // are those with a Langfuse key the pattern matches.
        let mut kinds: Vec<UsageKind> =
            LANGFUSE_KEYS.iter().filter(|(k, _)| re.is_match(k)).map(|&(_, kind)| kind).collect();
        kinds.sort();
        kinds.dedup();
        if kinds.is_empty() {
            return Err(format!("usage pattern `{pattern}` matches no usage key farebox meters"));
        }
        let op = match c.operator.as_deref() {
            Some("gt") => Op::Gt,
            Some("gte") => Op::Gte,
            Some("lt") => Op::Lt,
            Some("lte") => Op::Lte,
            Some("eq") => Op::Eq,
            Some("neq") => Op::Neq,
            other => return Err(format!("operator {other:?} is not one of gt, gte, lt, lte, eq, neq")),
        };
        let value = c.value.as_ref().and_then(|n| n.as_u64()).ok_or("a usage condition needs a whole `value` ≥ 0")?;
        return Ok(Condition::Usage { kinds, op, value });
    }
    match (&c.key, c.operator.as_deref()) {
        (Some(key), Some("in")) if !c.values.is_empty() => {
            Ok(Condition::Param { key: key.clone(), values: c.values.clone() })
        }
        _ => Err(String::from("a condition is neither a usage pattern nor a `key in values` parameter test")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Usd;

    #[test]
    fn tiers_by_priority_with_usage_and_parameter_conditions() {
        let json = r#"[{"modelName":"gemini-2.5-pro","matchPattern":"(?i)^(google/)?(gemini-2.5-pro)$","pricingTiers":[
            {"name":"Standard","isDefault":true,"priority":0,"conditions":[],"prices":{"input":1.25e-06,"output":1e-05,"input_cached_tokens":1.25e-07,"cache_read_input_tokens":1.25e-07}},
            {"name":"Large Context","isDefault":false,"priority":2,"conditions":[{"usageDetailPattern":"(input|prompt|cached)","operator":"gt","value":200000,"caseSensitive":false}],"prices":{"input":2.5e-06,"output":1.5e-05}},
            {"name":"Flex","isDefault":false,"priority":1,"conditions":[{"source":"model_parameters","key":"service_tier","operator":"in","values":["flex"]}],"prices":{"input":6e-07,"output":5e-06}}]}]"#;
        let m = &parse(json).unwrap()[0];
        assert_eq!(m.provider, "google");
        assert_eq!(m.prices.get(UsageKind::CacheRead), Some(Usd::parse("1.25e-07").unwrap()));
        assert_eq!(m.tiers[0].name, "Flex");
        let Condition::Usage { kinds, op, value } = &m.tiers[1].when[0] else { panic!() };
        assert_eq!((*op, *value), (Op::Gt, 200000));
        assert!(kinds.contains(&UsageKind::Input) && kinds.contains(&UsageKind::CacheRead));
        assert!(!kinds.contains(&UsageKind::Output));
    }

    #[test]
    fn total_price_and_flat_api_shape() {
        let m = &parse(
            r#"{"data":[{"modelName":"text-embedding-3-small","matchPattern":"x$$","totalPrice":"2e-08"}],"meta":{}}"#,
        )
        .unwrap()[0];
        assert_eq!(m.pattern.as_deref(), Some("x$"));
        assert_eq!(m.prices.get(UsageKind::Input), Some(Usd::parse("2e-08").unwrap()));
        assert_eq!(m.mode, Mode::Embedding);
        let c = &parse(r#"[{"modelName":"m","unit":"CHARACTERS","inputPrice":1e-06,"outputPrice":2e-06}]"#).unwrap()[0];
        assert_eq!(c.prices.get(UsageKind::InputCharacters), Some(Usd::parse("1e-06").unwrap()));
        assert_eq!(c.prices.get(UsageKind::Input), None);
    }

    #[test]
    fn malformed_definitions_name_the_model() {
        for (json, needle) in [
            (r#"[{"modelName":"a","pricingTiers":[]}]"#, "`a`: has no default tier"),
            (
                r#"[{"modelName":"b","pricingTiers":[{"name":"s","isDefault":true,"prices":{"input":1e-6,"input_text":2e-6}}]}]"#,
                "disagrees",
            ),
            (r#"[{"modelName":"c","pricingTiers":[{"name":"s","isDefault":true,"prices":{"input":-1}}]}]"#, "negative"),
            (
                r#"[{"modelName":"d","pricingTiers":[{"name":"s","isDefault":true,"prices":{}},{"name":"t","prices":{},"conditions":[{"usageDetailPattern":"(","operator":"gt","value":1}]}]}]"#,
                "usage pattern",
            ),
            (
                r#"[{"modelName":"e","pricingTiers":[{"name":"s","isDefault":true,"prices":{}},{"name":"t","prices":{},"conditions":[]}]}]"#,
                "no conditions",
            ),
            (r#"[{"nope":1}]"#, "model #0"),
            (r#"{"x":1}"#, "Langfuse price file"),
        ] {
            let e = parse(json).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should contain {needle}");
        }
    }
}
