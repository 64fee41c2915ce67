//! The pre-call estimate: what a request will cost before it is sent.
//!
//! A request body (OpenAI Chat Completions or Responses, Anthropic Messages,
//! Gemini `generateContent`, OpenAI embeddings) is read into a *tally*: text
//! to count, fixed overheads, images, and Anthropic cache breakpoints. The
//! text is counted exactly with the model's OpenAI encoding where it has one;
//! otherwise it is counted with o200k_base and scaled by a ratio calibrated
//! against the provider's tokenizer (`data/estimate_ratios.json`, from
//! `tests/calibration/`), with the calibration's low/high as the bound. The
//! result is an input-token [`Range`] and a cost range:
//!
//! - minimum: the fewest input tokens, cache-marked prompt read from cache,
//!   no output;
//! - maximum: the most input tokens, cache-marked prompt written to cache,
//!   plus the whole output allowance (`max_tokens`, `max_completion_tokens`,
//!   `max_output_tokens`, `maxOutputTokens`; the model's maximum when absent)
//!   at the reasoning rate where that is higher — with the tier that usage
//!   falls in (a 250k-token Gemini prompt is priced above 200k).
//!
//! Every cost goes through [`crate::cost`], the one pricing function.
//!
//! The counting alone is public too, for hosts that show token counts:
//! [`count_prompt`] (a request's prompt tokens, what [`estimate`] prices) and
//! [`estimate_text`] (plain text as a model's prompt, with no message
//! framing), both with the same rule for exact counts and estimates.

mod image;
mod ratios;
mod request;

use alloc::string::{String, ToString};

use serde::Serialize;

use crate::budget::PlannedCall;
use crate::cost::{Cost, CostOptions};
use crate::error::Error;
use crate::pricing::{Mode, Model, PriceTable};
use crate::time::Timestamp;
use crate::tokens::{Encoding, Tokenizer, Tokenizers};
use crate::usage::{Usage, UsageKind};

pub use request::RequestFormat;

/// A token count that is exact or bounded: `low ≤ tokens ≤ high`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Range {
    pub tokens: u64,
    pub exact: bool,
    pub low: u64,
    pub high: u64,
}

impl Range {
    pub fn exact(n: u64) -> Range {
        Range { tokens: n, exact: true, low: n, high: n }
    }

    pub fn estimate(tokens: u64, low: u64, high: u64) -> Range {
        Range { tokens, exact: false, low: low.min(tokens), high: high.max(tokens) }
    }

    fn plus(self, other: Range) -> Range {
        Range {
            tokens: self.tokens.saturating_add(other.tokens),
            exact: self.exact && other.exact,
            low: self.low.saturating_add(other.low),
            high: self.high.saturating_add(other.high),
        }
    }
}

/// How to read and price a request.
#[derive(Clone, Debug)]
pub struct EstimateOptions {
    /// The model, when the body does not name it (Gemini's names it in the URL) or to override it.
    pub model: Option<String>,
    /// The body's format; `None` detects it from its shape and the model.
    pub format: Option<RequestFormat>,
    /// Tier-selecting parameters; the body's own `service_tier` applies unless this sets one.
    pub cost: CostOptions,
    /// Bodies larger than this are refused before parsing (default 16 MiB:
    /// larger than any model's context, small enough to count quickly).
    pub max_body_bytes: usize,
}

impl Default for EstimateOptions {
    fn default() -> EstimateOptions {
        EstimateOptions { model: None, format: None, cost: CostOptions::default(), max_body_bytes: 16 << 20 }
    }
}

/// Where the output allowance came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputLimit {
    /// The request's own limit field.
    Request,
    /// The request asked for more than the model can produce: the model's maximum.
    ClampedToModel,
    /// The request set none: the model's maximum output.
    ModelMaximum,
    /// An embeddings request produces no output tokens.
    None,
}

/// What a request will cost.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    /// The model as priced (canonical id) and its provider.
    pub model: String,
    pub provider: String,
    pub format: RequestFormat,
    /// Prompt tokens, exact or bounded.
    pub input_tokens: Range,
    /// How the input was counted: an encoding name, or the estimate's basis.
    pub method: String,
    /// Prompt tokens before a 5-minute / 1-hour Anthropic cache breakpoint.
    pub cache_write_5m_tokens: u64,
    pub cache_write_1h_tokens: u64,
    /// The most output tokens the call can produce, and where that came from.
    pub max_output_tokens: u64,
    pub output_limit: OutputLimit,
    /// Input only, at the fewest tokens, with cache hits.
    pub min_cost: Cost,
    /// The most the call can cost: most input, cache writes, the whole output allowance.
    pub max_cost: Cost,
    /// Whether the token counts are exact (the costs then are too).
    pub exact: bool,
}

impl Estimate {
    /// The call as a budget sees it, made at `at` under the `requested` model
    /// name. Its cost is the estimate's maximum; `None` (unpriced) when the
    /// model has no price for some usage, so that a policy's
    /// `unpriced_model` rule decides instead of a partial sum.
    pub fn planned_call(&self, requested: &str, at: Timestamp) -> PlannedCall {
        PlannedCall {
            max_cost: self.max_cost.complete.then_some(self.max_cost.total),
            input_tokens: self.input_tokens.high,
            ..PlannedCall::new(requested, at)
        }
    }
}

/// A request body read and its prompt counted: what [`estimate`] prices and
/// [`count_prompt`] returns.
struct Prompt<'t> {
    model: &'t Model,
    format: RequestFormat,
    parsed: request::Parsed<'t>,
    counting: Counting<'t>,
    input: Range,
    cached_5m: Range,
    cached_1h: Range,
}

/// A request body's JSON, refused when larger than `options.max_body_bytes`.
fn read_body(body: &[u8], options: &EstimateOptions) -> Result<serde_json::Value, Error> {
    if body.len() > options.max_body_bytes {
        return Err(invalid(alloc::format!(
            "the request body is {} bytes; the limit is {} bytes",
            body.len(),
            options.max_body_bytes
        )));
    }
    serde_json::from_slice(body).map_err(|e| invalid(alloc::format!("not valid JSON: {e}")))
}

/// Reads a request body's prompt and counts it.
fn prompt<'t>(
    prices: &'t PriceTable,
    tokenizers: &'t Tokenizers,
    value: &'t serde_json::Value,
    options: &EstimateOptions,
) -> Result<Prompt<'t>, Error> {
    let serde_json::Value::Object(obj) = value else {
        return Err(invalid(String::from("a request body is a JSON object")));
    };
    let requested = options
        .model
        .clone()
        .or_else(|| obj.get("model").and_then(|m| m.as_str()).map(String::from))
        .ok_or_else(|| invalid(String::from("no model: the body names none, so pass one")))?;
    let model = prices.resolve(&requested)?.model;
    let format = match options.format {
        Some(f) => f,
        None => RequestFormat::detect(obj, model)?,
    };
    let parsed = request::read(format, obj)?;
    let encoding = Encoding::for_model(&model.id).or_else(|| Encoding::for_model(&requested));
    let counting = Counting::new(tokenizers, encoding, &model.id, &parsed)?;
    let rule = image::ImageRule::for_model(&model.id.to_ascii_lowercase());
    let segments = parsed.count(counting.tokenizer, counting.scale.as_ref(), rule, encoding.is_some())?;
    let total = |which: &dyn Fn(&Segment) -> bool| {
        segments.iter().filter(|s| which(s)).fold(Range::exact(0), |a, s| a.plus(s.range))
    };
    Ok(Prompt {
        input: total(&|_| true),
        cached_5m: total(&|s| s.cache == Some(Ttl::FiveMinutes)),
        cached_1h: total(&|s| s.cache == Some(Ttl::OneHour)),
        model,
        format,
        parsed,
        counting,
    })
}

/// How a model's prompt text is counted: with its own OpenAI encoding
/// (exact), or with o200k_base scaled by the calibrated ratio of its
/// tokenizer family for the text's script mix (an estimate with a bound).
struct Counting<'t> {
    encoding: Option<Encoding>,
    tokenizer: &'t Tokenizer,
    scale: Option<ratios::Scale>,
}

impl<'t> Counting<'t> {
    /// `tokenizers` must hold `encoding`, or o200k_base when there is none.
    fn new(
        tokenizers: &'t Tokenizers,
        encoding: Option<Encoding>,
        model_id: &str,
        parsed: &request::Parsed<'_>,
    ) -> Result<Counting<'t>, Error> {
        let counter = encoding.unwrap_or(Encoding::O200kBase);
        let tokenizer = tokenizers.get(counter).ok_or(Error::TokenizerNotLoaded(counter.name()))?;
        let scale = match encoding {
            Some(_) => None,
            None => Some(ratios::for_model(model_id, parsed.non_ascii_share())),
        };
        Ok(Counting { encoding, tokenizer, scale })
    }

    /// An encoding name, or the estimate's basis.
    fn method(&self) -> String {
        match (&self.scale, self.encoding) {
            (Some(s), _) => s.describe(),
            (None, Some(e)) => String::from(e.name()),
            (None, None) => String::from("o200k_base"),
        }
    }
}

/// The prompt tokens of a request body, exact or bounded: what [`estimate`]
/// counts, without the output allowance or prices (so a body without an
/// output limit, or a model the table has no maximum output for, counts).
pub fn count_prompt(
    prices: &PriceTable,
    tokenizers: &Tokenizers,
    body: &[u8],
    options: &EstimateOptions,
) -> Result<Range, Error> {
    Ok(prompt(prices, tokenizers, &read_body(body, options)?, options)?.input)
}

/// The tokens of `text` as prompt text for `model`, with no message framing
/// around it. Exact where `model` has an OpenAI encoding: an encoding name
/// (`o200k_base`), a model tiktoken maps to one (`gpt-4o`,
/// `ft:gpt-4o-mini:org::id`; no price needed), or a name the price table
/// resolves to such a model. Otherwise the model must be in the price table
/// ([`Error::UnknownModel`], with suggestions, if not) and the count is
/// o200k_base × its family's calibrated ratio with the bound, as [`estimate`]
/// counts a request's text.
pub fn estimate_text(prices: &PriceTable, tokenizers: &Tokenizers, text: &str, model: &str) -> Result<Range, Error> {
    let parsed = request::Parsed::text(text);
    let (encoding, model_id) = match Encoding::from_name(model.trim()).or_else(|| Encoding::for_model(model)) {
        Some(encoding) => (Some(encoding), model),
        None => {
            let id = &prices.resolve(model)?.model.id;
            (Encoding::for_model(id), id.as_str())
        }
    };
    let counting = Counting::new(tokenizers, encoding, model_id, &parsed)?;
    let segments = parsed.count(counting.tokenizer, counting.scale.as_ref(), None, encoding.is_some())?;
    Ok(segments.iter().fold(Range::exact(0), |a, s| a.plus(s.range)))
}

/// Estimates a request body. `tokenizers` must hold the model's encoding, or
/// o200k_base for models without a public tokenizer.
pub fn estimate(
    prices: &PriceTable,
    tokenizers: &Tokenizers,
    body: &[u8],
    options: &EstimateOptions,
) -> Result<Estimate, Error> {
    let value = read_body(body, options)?;
    let Prompt { model, format, parsed, counting, input, cached_5m, cached_1h } =
        prompt(prices, tokenizers, &value, options)?;

    // Output allowance.
    let (max_output_tokens, output_limit) =
        if format == RequestFormat::OpenAiEmbeddings || model.mode == Mode::Embedding {
            (0, OutputLimit::None)
        } else {
            match (parsed.max_output, model.max_output_tokens) {
                (Some(asked), Some(cap)) if asked > cap => (cap, OutputLimit::ClampedToModel),
                (Some(asked), _) => (asked, OutputLimit::Request),
                (None, Some(cap)) => (cap, OutputLimit::ModelMaximum),
                (None, None) => {
                    return Err(invalid(alloc::format!(
                        "the request sets no output limit and the price table has no maximum output for `{}`: set one",
                        model.id
                    )))
                }
            }
        };

    let mut cost_options = options.cost.clone();
    if let Some(tier) = parsed.service_tier.clone() {
        cost_options.params.entry(crate::pricing::SERVICE_TIER.to_string()).or_insert(tier);
    }
    let uncached = |n: u64, c5: u64, c1: u64| n.saturating_sub(c5).saturating_sub(c1);
    let min_usage = Usage::new()
        .with(UsageKind::Input, uncached(input.low, cached_5m.low, cached_1h.low))
        .with(UsageKind::CacheRead, cached_5m.low + cached_1h.low);
    let reasoning_dearer = {
        let prices = &model.prices;
        matches!((prices.get(UsageKind::Reasoning), prices.get(UsageKind::Output)), (Some(r), Some(o)) if r > o)
    };
    let output_kind = if reasoning_dearer { UsageKind::Reasoning } else { UsageKind::Output };
    let max_usage = Usage::new()
        .with(UsageKind::Input, uncached(input.high, cached_5m.high, cached_1h.high))
        .with(UsageKind::CacheWrite5m, cached_5m.high)
        .with(UsageKind::CacheWrite1h, cached_1h.high)
        .with(output_kind, max_output_tokens);
    let min_cost = prices.cost(&model.id, &min_usage, &cost_options)?;
    let max_cost = prices.cost(&model.id, &max_usage, &cost_options)?;

    Ok(Estimate {
        model: model.id.clone(),
        provider: model.provider.clone(),
        format,
        exact: input.exact,
        input_tokens: input,
        method: counting.method(),
        cache_write_5m_tokens: cached_5m.tokens,
        cache_write_1h_tokens: cached_1h.tokens,
        max_output_tokens,
        output_limit,
        min_cost,
        max_cost,
    })
}

fn invalid(why: String) -> Error {
    Error::InvalidRequest(why)
}

/// An Anthropic cache breakpoint's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ttl {
    FiveMinutes,
    OneHour,
}

/// A counted stretch of the prompt, and whether it precedes a cache breakpoint.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub range: Range,
    pub cache: Option<Ttl>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_add_and_keep_exactness() {
        let r = Range::exact(3).plus(Range::estimate(10, 8, 14));
        assert_eq!((r.tokens, r.low, r.high, r.exact), (13, 11, 17, false));
        assert!(Range::exact(1).plus(Range::exact(2)).exact);
    }
}
