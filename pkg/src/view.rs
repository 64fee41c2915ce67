//! Core's results in the shapes the JS API documents (`js/index.d.ts`):
//! camelCase keys, a cost's lines as `breakdown`, amounts as exact decimal
//! strings (core's `Usd` serialises that way). Only shape changes here; every
//! value is core's.

use farebox_core::budget::Decision;
use farebox_core::cost::{Cost, CostLine, Unpriced};
use farebox_core::estimate::{Estimate, Range};
use farebox_core::pricing::{Resolution, Resolved};
use farebox_core::Usd;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostView<'a> {
    model: &'a str,
    provider: &'a str,
    resolution: &'a Resolution,
    user_defined: bool,
    tier: &'a str,
    total: Usd,
    breakdown: Vec<LineView<'a>>,
    unpriced: &'a [Unpriced],
    complete: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineView<'a> {
    kind: &'a str,
    quantity: u64,
    unit_price: Usd,
    amount: Usd,
    #[serde(skip_serializing_if = "Option::is_none")]
    priced_as: Option<&'static str>,
}

impl<'a> From<&'a CostLine> for LineView<'a> {
    fn from(l: &'a CostLine) -> LineView<'a> {
        LineView {
            kind: &l.kind,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
            priced_as: l.priced_as,
        }
    }
}

impl<'a> From<&'a Cost> for CostView<'a> {
    fn from(c: &'a Cost) -> CostView<'a> {
        CostView {
            model: &c.model,
            provider: &c.provider,
            resolution: &c.resolution,
            user_defined: c.user_defined,
            tier: &c.tier,
            total: c.total,
            breakdown: c.lines.iter().map(LineView::from).collect(),
            unpriced: &c.unpriced,
            complete: c.complete,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateView<'a> {
    model: &'a str,
    provider: &'a str,
    format: &'static str,
    input_tokens: Range,
    method: &'a str,
    cache_write_5m_tokens: u64,
    cache_write_1h_tokens: u64,
    max_output_tokens: u64,
    output_limit: farebox_core::estimate::OutputLimit,
    min_cost: Usd,
    max_cost: Usd,
    exact: bool,
    breakdown: Breakdown<'a>,
}

#[derive(Serialize)]
struct Breakdown<'a> {
    min: CostView<'a>,
    max: CostView<'a>,
}

impl<'a> From<&'a Estimate> for EstimateView<'a> {
    fn from(e: &'a Estimate) -> EstimateView<'a> {
        EstimateView {
            model: &e.model,
            provider: &e.provider,
            format: e.format.name(),
            input_tokens: e.input_tokens,
            method: &e.method,
            cache_write_5m_tokens: e.cache_write_5m_tokens,
            cache_write_1h_tokens: e.cache_write_1h_tokens,
            max_output_tokens: e.max_output_tokens,
            output_limit: e.output_limit,
            min_cost: e.min_cost.total,
            max_cost: e.max_cost.total,
            exact: e.exact,
            breakdown: Breakdown { min: (&e.min_cost).into(), max: (&e.max_cost).into() },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView<'a> {
    allow: bool,
    reason: &'static str,
    limit: Option<Usd>,
    estimate: Option<Usd>,
    remaining: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_input_tokens: Option<u64>,
    message: &'a str,
}

impl<'a> From<&'a Decision> for DecisionView<'a> {
    fn from(d: &'a Decision) -> DecisionView<'a> {
        DecisionView {
            allow: d.allow,
            reason: d.reason.name(),
            limit: d.limit,
            estimate: d.estimate,
            remaining: d.remaining,
            key: d.key.as_deref(),
            max_input_tokens: d.max_input_tokens,
            message: &d.message,
        }
    }
}

/// What loading a price file did; the format by the name `Pricing.load` takes.
#[derive(Serialize)]
pub struct LoadReportView<'a> {
    format: &'static str,
    loaded: usize,
    skipped: &'a [farebox_core::pricing::Skipped],
}

impl<'a> From<&'a farebox_core::pricing::LoadReport> for LoadReportView<'a> {
    fn from(r: &'a farebox_core::pricing::LoadReport) -> LoadReportView<'a> {
        use farebox_core::PriceFileFormat as F;
        let format = match r.format {
            F::Auto => "auto",
            F::Farebox => "farebox",
            F::LiteLlm => "litellm",
            F::Langfuse => "langfuse",
        };
        LoadReportView { format, loaded: r.loaded, skipped: &r.skipped }
    }
}

/// A resolved model: how the name was found, and the model's definition
/// (prices per unit by usage kind, tiers in order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelView<'a> {
    id: &'a str,
    provider: &'a str,
    mode: farebox_core::pricing::Mode,
    resolution: &'a Resolution,
    user_defined: bool,
    context_window: Option<u64>,
    max_output_tokens: Option<u64>,
    prices: &'a farebox_core::PriceSet,
    tiers: &'a [farebox_core::pricing::Tier],
    source: &'a str,
}

impl<'a> From<&'a Resolved<'a>> for ModelView<'a> {
    fn from(r: &'a Resolved<'a>) -> ModelView<'a> {
        let m = r.model;
        ModelView {
            id: &m.id,
            provider: &m.provider,
            mode: m.mode,
            resolution: &r.via,
            user_defined: r.user_defined,
            context_window: m.context_window,
            max_output_tokens: m.max_output_tokens,
            prices: &m.prices,
            tiers: &m.tiers,
            source: &m.source,
        }
    }
}

/// JSON text of a view; serialising these types cannot fail (no maps with
/// non-string keys, no custom errors).
pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Renames object keys from core's snake_case to camelCase, recursively,
/// except the keys of objects under a key in `verbatim` (user data such as
/// metadata keys, which are names, not fields).
pub fn camel_case_keys(value: Value, verbatim: &[&str]) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, v) in map {
                let v = if verbatim.contains(&key.as_str()) {
                    match v {
                        Value::Object(inner) => {
                            Value::Object(inner.into_iter().map(|(k, v)| (k, camel_case_keys(v, verbatim))).collect())
                        }
                        other => camel_case_keys(other, verbatim),
                    }
                } else {
                    camel_case_keys(v, verbatim)
                };
                out.insert(camel_case(&key), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| camel_case_keys(v, verbatim)).collect()),
        other => other,
    }
}

/// `cache_read` → `cacheRead`, `by_day` → `byDay`; other text unchanged.
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn camel_case_names() {
        assert_eq!(camel_case("cache_read"), "cacheRead");
        assert_eq!(camel_case("by_day"), "byDay");
        assert_eq!(camel_case("total"), "total");
        assert_eq!(camel_case("cache_write_5m"), "cacheWrite5m");
        assert_eq!(camel_case("_private"), "_private");
    }

    #[test]
    fn verbatim_keys_keep_their_children() {
        let v = json!({"by_metadata": {"agent_type": [{"key": "a", "exported_cost": "1"}]}, "top_traces": []});
        let out = camel_case_keys(v, &["by_metadata"]);
        assert_eq!(out, json!({"byMetadata": {"agent_type": [{"key": "a", "exportedCost": "1"}]}, "topTraces": []}));
    }
}
