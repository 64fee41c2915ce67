//! The JS options objects, as the JS layer sends them (JSON text, camelCase
//! keys), read into core's option types.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a typo such as
//! `serviceTeir` must not silently price the standard tier. Amounts are read
//! from their JSON text by core's `Usd` (a decimal string, or a number's text),
//! never through a float.

use std::collections::BTreeMap;

use farebox_core::budget::{PlannedCall, SpikeRule};
use farebox_core::estimate::{EstimateOptions, RequestFormat};
use farebox_core::traces::aggregate::PricesAt;
use farebox_core::traces::{AnalysisOptions, Format, ImportOptions, WhatIf};
use farebox_core::{CostOptions, PriceFileFormat, Timestamp, UsageFormat, Usd};
use serde::Deserialize;

use crate::error::{from_json, Failure};

/// Parses an options object; `""` (no options) is the default.
pub fn parse<'a, T: Deserialize<'a> + Default>(what: &str, json: &'a str) -> Result<T, Failure> {
    if json.is_empty() {
        return Ok(T::default());
    }
    from_json(what, json)
}

/// Tier-selecting request parameters: `serviceTier` (`batch`, `flex`,
/// `priority`, ...) over `params` (any parameter a tier tests: `speed`, or a
/// user-defined tier's own). Both option structs carry the two fields
/// themselves: serde cannot deny unknown fields through `flatten`.
fn cost_options(service_tier: Option<String>, params: BTreeMap<String, String>) -> CostOptions {
    let options = CostOptions { params, at: None };
    match service_tier {
        Some(tier) => options.with_param(farebox_core::pricing::SERVICE_TIER, &tier),
        None => options,
    }
}

/// `costFromUsage` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageOptions {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    /// Price at the prices in force on this call's day (a date or an RFC 3339
    /// instant; the JS layer writes a `Date` or epoch milliseconds as one)
    /// instead of today's. A string, not `At`: one more untagged enum costs
    /// the module a kilobyte.
    #[serde(default)]
    at: Option<String>,
}

impl UsageOptions {
    pub fn into_core(self) -> Result<(Option<UsageFormat>, CostOptions), Failure> {
        let format = match self.format.as_deref() {
            None => None,
            Some(name) => Some(UsageFormat::from_name(name).ok_or_else(|| {
                Failure::invalid_argument(format!(
                    "options.format `{name}` is not a usage format: use openai_chat, openai_responses, anthropic, gemini or langfuse"
                ))
            })?),
        };
        let mut options = cost_options(self.service_tier, self.params);
        options.at = self.at.map(|at| At::Text(at).timestamp("options.at")).transpose()?.map(Timestamp::date);
        Ok((format, options))
    }
}

/// `estimateCost` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EstimateInput {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    max_body_bytes: Option<usize>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
}

impl EstimateInput {
    pub fn into_core(self) -> Result<EstimateOptions, Failure> {
        let format = match self.format.as_deref() {
            None => None,
            Some(name) => Some(RequestFormat::from_name(name).ok_or_else(|| {
                Failure::invalid_argument(format!(
                    "options.format `{name}` is not a request format: use openai_chat, openai_responses, anthropic, gemini or openai_embeddings"
                ))
            })?),
        };
        let defaults = EstimateOptions::default();
        Ok(EstimateOptions {
            model: self.model,
            format,
            cost: cost_options(self.service_tier, self.params),
            max_body_bytes: self.max_body_bytes.unwrap_or(defaults.max_body_bytes),
            ..defaults
        })
    }
}

/// A price file format name, as `Pricing.load` takes it.
pub fn price_file_format(name: &str) -> Result<PriceFileFormat, Failure> {
    Ok(match name {
        "" | "auto" => PriceFileFormat::Auto,
        "farebox" => PriceFileFormat::Farebox,
        "litellm" => PriceFileFormat::LiteLlm,
        "langfuse" => PriceFileFormat::Langfuse,
        other => {
            return Err(Failure::invalid_argument(format!(
                "price file format `{other}` is unknown: use auto, farebox, litellm or langfuse"
            )))
        }
    })
}

/// `Pricing.createModel`'s definition: Langfuse's `create_model`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelDefinition {
    pub name: String,
    #[serde(default)]
    pub match_pattern: String,
    #[serde(default = "tokens_unit")]
    pub unit: String,
    pub input_price: Decimal,
    pub output_price: Decimal,
}

fn tokens_unit() -> String {
    String::from("TOKENS")
}

/// A price as decimal text: a JS string, or a number's JSON text
/// (`2.5e-7`), which core then reads exactly.
#[derive(Debug)]
pub struct Decimal(pub String);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => serde_json::from_str::<String>(text).map(Decimal).map_err(serde::de::Error::custom),
            Some(b'-' | b'0'..=b'9') => Ok(Decimal(text.to_string())),
            _ => Err(serde::de::Error::custom(format!("expected a decimal string or a number, found {text}"))),
        }
    }
}

/// When a planned call is made: an RFC 3339 string or milliseconds since the epoch.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum At {
    Millis(i64),
    Text(String),
}

impl At {
    /// The instant; `what` names the option in an error.
    fn timestamp(self, what: &str) -> Result<Timestamp, Failure> {
        match self {
            At::Millis(ms) => Ok(Timestamp::from_millis(ms)),
            At::Text(text) => Timestamp::parse(&text).map_err(|e| Failure::invalid_argument(format!("{what}: {e}"))),
        }
    }
}

/// `checkBudget`'s call, as the JS layer sends it (from an estimate or a
/// planned call).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallInput {
    model: String,
    /// `null`: a call that could not be priced.
    max_cost: Option<Usd>,
    input_tokens: u64,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    org: Option<String>,
    at: At,
}

impl CallInput {
    pub fn into_core(self) -> Result<PlannedCall, Failure> {
        if self.max_cost.is_some_and(Usd::is_negative) {
            return Err(Failure::invalid_argument("call.maxCost is negative"));
        }
        let at = self.at.timestamp("call.at")?;
        Ok(PlannedCall {
            model: self.model,
            max_cost: self.max_cost,
            input_tokens: self.input_tokens,
            user: self.user,
            session: self.session,
            org: self.org,
            at,
        })
    }
}

/// What has been spent already, per scope of the call being checked.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spent {
    #[serde(default)]
    pub session: Option<Usd>,
    #[serde(default)]
    pub user_day: Option<Usd>,
    #[serde(default)]
    pub user_month: Option<Usd>,
    #[serde(default)]
    pub org_day: Option<Usd>,
}

impl Spent {
    /// Refuses negative amounts, naming the field.
    pub fn validate(&self) -> Result<(), Failure> {
        let fields = [
            ("session", self.session),
            ("userDay", self.user_day),
            ("userMonth", self.user_month),
            ("orgDay", self.org_day),
        ];
        match fields.iter().find(|(_, v)| v.is_some_and(Usd::is_negative)) {
            Some((name, _)) => Err(Failure::invalid_argument(format!("spent.{name} is negative"))),
            None => Ok(()),
        }
    }
}

/// A what-if in JS form: `{ model, only? }` or `{ cacheHitRate }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WhatIfInput {
    Model {
        model: String,
        #[serde(default)]
        only: Option<String>,
    },
    CacheHitRate {
        #[serde(rename = "cacheHitRate")]
        cache_hit_rate: u8,
    },
    /// `{ todaysPrices: true }`: each call's usage at today's prices.
    TodaysPrices {
        #[serde(rename = "todaysPrices")]
        todays_prices: bool,
    },
}

/// `analyzeTraces` options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceOptions {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    max_errors: Option<usize>,
    #[serde(default)]
    max_record_bytes: Option<usize>,
    #[serde(default)]
    top_n: Option<usize>,
    #[serde(default)]
    metadata_keys: Option<Vec<String>>,
    #[serde(default)]
    max_groups: Option<usize>,
    #[serde(default)]
    audit_tolerance: Option<Usd>,
    #[serde(default)]
    max_discrepancies: Option<usize>,
    #[serde(default)]
    what_ifs: Vec<WhatIfInput>,
    #[serde(default)]
    spike_rule: Option<SpikeRuleInput>,
    /// `callDate` (default: each generation at its own day's prices) or `today`.
    #[serde(default)]
    prices_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpikeRuleInput {
    #[serde(default)]
    factor_percent: Option<u32>,
    #[serde(default)]
    trailing_days: Option<u32>,
    #[serde(default)]
    min_history_days: Option<u32>,
}

impl TraceOptions {
    pub fn into_core(self) -> Result<(ImportOptions, AnalysisOptions), Failure> {
        let format = match self.format.as_deref() {
            None => None,
            Some("json") => Some(Format::Json),
            Some("json_lines") => Some(Format::JsonLines),
            Some("csv") => Some(Format::Csv),
            Some(other) => {
                return Err(Failure::invalid_argument(format!(
                    "options.format `{other}` is not a trace container: use json, json_lines or csv"
                )))
            }
        };
        let import_defaults = ImportOptions::default();
        let import = ImportOptions {
            format,
            max_errors: self.max_errors.unwrap_or(import_defaults.max_errors),
            max_record_bytes: self.max_record_bytes.unwrap_or(import_defaults.max_record_bytes),
        };
        if self.audit_tolerance.is_some_and(Usd::is_negative) {
            return Err(Failure::invalid_argument("options.auditTolerance is negative"));
        }
        let mut what_ifs = Vec::with_capacity(self.what_ifs.len());
        for w in self.what_ifs {
            what_ifs.push(match w {
                WhatIfInput::Model { model, only } => WhatIf::Model { model, only },
                WhatIfInput::CacheHitRate { cache_hit_rate } if cache_hit_rate <= 100 => {
                    WhatIf::CacheHitRate { percent: cache_hit_rate }
                }
                WhatIfInput::CacheHitRate { cache_hit_rate } => {
                    return Err(Failure::invalid_argument(format!(
                        "options.whatIfs: cacheHitRate {cache_hit_rate} is not a percentage (0–100)"
                    )))
                }
                WhatIfInput::TodaysPrices { todays_prices: true } => WhatIf::TodaysPrices,
                WhatIfInput::TodaysPrices { todays_prices: false } => {
                    return Err(Failure::invalid_argument("options.whatIfs: todaysPrices must be true"))
                }
            });
        }
        let d = AnalysisOptions::default();
        let spike_rule = match self.spike_rule {
            None => d.spike_rule,
            Some(s) => SpikeRule {
                factor_percent: s.factor_percent.unwrap_or(d.spike_rule.factor_percent),
                trailing_days: s.trailing_days.unwrap_or(d.spike_rule.trailing_days),
                min_history_days: s.min_history_days.unwrap_or(d.spike_rule.min_history_days),
            },
        };
        let prices_at = match self.prices_at.as_deref() {
            None | Some("callDate") => PricesAt::CallDate,
            Some("today") => PricesAt::Today,
            Some(other) => {
                return Err(Failure::invalid_argument(format!("options.pricesAt `{other}` is not callDate or today")))
            }
        };
        let analysis = AnalysisOptions {
            prices_at,
            top_n: self.top_n.unwrap_or(d.top_n),
            metadata_keys: self.metadata_keys.or(d.metadata_keys),
            max_groups: self.max_groups.unwrap_or(d.max_groups),
            audit_tolerance: self.audit_tolerance.unwrap_or(d.audit_tolerance),
            max_discrepancies: self.max_discrepancies.unwrap_or(d.max_discrepancies),
            what_ifs,
            spike_rule,
        };
        Ok((import, analysis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_option_is_named() {
        let err = parse::<UsageOptions>("options", r#"{"serviceTeir":"flex"}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert!(err.message().contains("serviceTeir"), "{}", err.message());
    }

    #[test]
    fn service_tier_becomes_a_param() {
        let o: UsageOptions = parse("options", r#"{"serviceTier":"flex","format":"openai_chat"}"#).unwrap();
        let (format, cost) = o.into_core().unwrap();
        assert_eq!(format, Some(UsageFormat::OpenAiChat));
        assert_eq!(cost.params.get("service_tier").map(String::as_str), Some("flex"));
    }

    #[test]
    fn decimals_keep_their_text() {
        let d: ModelDefinition =
            serde_json::from_str(r#"{"name":"m","inputPrice":2.5e-7,"outputPrice":"0.000001"}"#).unwrap();
        assert_eq!((d.input_price.0.as_str(), d.output_price.0.as_str()), ("2.5e-7", "0.000001"));
        assert!(serde_json::from_str::<ModelDefinition>(r#"{"name":"m","inputPrice":true,"outputPrice":1}"#).is_err());
    }

    #[test]
    fn calls_take_millis_or_text_and_refuse_negative_costs() {
        let call: CallInput =
            serde_json::from_str(r#"{"model":"gpt-4o","maxCost":"0.5","inputTokens":10,"at":0}"#).unwrap();
        assert_eq!(call.into_core().unwrap().at, Timestamp::from_millis(0));
        let call: CallInput =
            serde_json::from_str(r#"{"model":"gpt-4o","maxCost":"-1","inputTokens":10,"at":"2026-11-22"}"#).unwrap();
        assert_eq!(call.into_core().unwrap_err().code(), "invalid_argument");
    }

    #[test]
    fn what_ifs_and_spike_rules() {
        let o: TraceOptions = parse(
            "options",
            r#"{"whatIfs":[{"model":"gpt-4o-mini","only":"gpt-4o*"},{"cacheHitRate":50}],"spikeRule":{"factorPercent":300}}"#,
        )
        .unwrap();
        let (_, analysis) = o.into_core().unwrap();
        assert_eq!(analysis.what_ifs.len(), 2);
        assert_eq!(analysis.spike_rule.factor_percent, 300);
        assert_eq!(analysis.spike_rule.trailing_days, SpikeRule::default().trailing_days);
        let o: TraceOptions = parse("options", r#"{"whatIfs":[{"cacheHitRate":101}]}"#).unwrap();
        assert!(o.into_core().is_err());
    }

    #[test]
    fn negative_spend_is_refused() {
        let s: Spent = parse("spent", r#"{"userDay":"-0.01"}"#).unwrap();
        assert!(s.validate().unwrap_err().message().contains("userDay"));
    }
}
