//! The pre-call estimate: what a request will cost before it is sent.
//!
//! A request body (OpenAI Chat Completions or Responses, Anthropic Messages,
//! Gemini `generateContent`, OpenAI embeddings) is read into a *tally*: text
//! to count, fixed overheads, images, and Anthropic cache breakpoints. The
//! text is counted exactly with the model's own encoding where farebox has
//! it (OpenAI's, or another maker's published tokenizer, by
//! [`Encoding::mapping`]'s rules);
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
//!   plus the predicted output's tokens (OpenAI `prediction`: rejected
//!   prediction tokens are billed as output), times the choices (Chat `n`,
//!   Gemini `candidateCount`; the prompt is billed once), at the dearest
//!   output-side rate the request can produce (output, reasoning, and audio
//!   output when it asks for audio) — with the tier that usage falls in (a
//!   250k-token Gemini prompt is priced above 200k). Response schemas
//!   (`response_format`, `text.format`, `responseSchema`, `output_format`) and
//!   Anthropic's tool-use system prompt and client-tool overheads are prompt.
//!
//! The maximum is meant to bound what the provider can bill. What a request
//! can ask for that its body does not bound is refused ([`Error::Refused`],
//! with a [`RefusalKind`]) unless [`RequestRules`] say how to price it: stored
//! context (Responses `previous_response_id`, `conversation`, `prompt`;
//! Gemini `cachedContent`: refused, or priced as a full context window),
//! tools the provider runs (web search, code execution, file search, MCP, ...),
//! unknown tool types, Responses `background: true`, output modalities the
//! model has no price for, and (for a guard) top-level fields this reader
//! does not know. Bodies are bounded before parsing: bytes, JSON values and
//! nesting depth.
//!
//! Every cost goes through [`crate::cost`], the one pricing function.
//!
//! The counting alone is public too, for hosts that show token counts:
//! [`count_prompt`] (a request's prompt tokens, what [`estimate`] prices) and
//! [`estimate_text`] (plain text as a model's prompt, with no message
//! framing), both with the same rule for exact counts and estimates.
//!
//! A guard can often decide without counting at all: [`estimate_bounds`]
//! prices the request with every text at the fewest and the most tokens its
//! bytes allow (at most one per byte, at least one per longest token), so
//! that a policy that allows the one or denies the other decides as the
//! exact count would.

mod image;
mod ratios;
mod request;
mod template;

use alloc::string::{String, ToString};

use serde::Serialize;

use crate::budget::{Background, PlannedCall, Policy, UnsetServiceTier};
use crate::cost::{Cost, CostOptions};
use crate::error::{Error, RefusalKind};
use crate::pricing::{Condition, Mode, Model, PriceTable, SERVICE_TIER};
use crate::time::Timestamp;
use crate::tokens::{Encoding, Mapping, Tokenizer, Tokenizers, Vocabulary};
use crate::usage::{Usage, UsageKind};
use crate::Usd;

pub use crate::budget::StoredContext;
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

/// What a request may ask for that its body does not bound: how such a
/// request is priced, or that it is refused ([`Error::Refused`]). The default
/// refuses stored context and background mode and ignores unknown fields (the
/// web app's and the npm package's reading); a guard also refuses unknown
/// fields ([`RequestRules::from_policy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestRules {
    /// Stored context: refused (default) or priced as if it filled the
    /// model's whole context window (and so its highest context tier).
    pub stored_context: StoredContext,
    /// Responses `background: true` (returns no usage until polled): refused unless true.
    pub allow_background: bool,
    /// Refuse top-level request fields this reader does not know (and unknown
    /// Gemini `generationConfig` keys): a guard's setting, since a field an
    /// API adds tomorrow may cost money. Default false (the web app and npm
    /// package ignore them).
    pub refuse_unknown_fields: bool,
    /// The Anthropic request carries the 1M-context beta (`anthropic-beta:
    /// context-1m-…`): the context window for stored-context pricing is 1,000,000.
    pub anthropic_long_context: bool,
    /// A request that names no service tier (or `auto`) is served at its
    /// project's default tier, which the request does not show: price the
    /// maximum at the dearest synchronous tier the model has. Default false
    /// (the standard tier, as the web app and npm package show it).
    pub unset_tier_at_dearest: bool,
}

impl RequestRules {
    /// A guard's rules under `policy`: its `stored_context` and `background`
    /// settings, and unknown fields refused. A host sets
    /// `anthropic_long_context` from the request's headers.
    pub fn from_policy(policy: &Policy) -> RequestRules {
        RequestRules {
            stored_context: policy.stored_context,
            allow_background: policy.background == Background::Allow,
            refuse_unknown_fields: true,
            anthropic_long_context: false,
            unset_tier_at_dearest: policy.unset_service_tier == UnsetServiceTier::Dearest,
        }
    }
}

/// The most JSON values (and object keys) a request body may hold by default.
///
/// A `serde_json::Value` is 32 bytes, and an array or object adds its own
/// storage (a `Vec`'s spare capacity, a `BTreeMap`'s nodes), so a million
/// values is a parsed tree of some tens of MiB at worst, within a Worker's
/// 128 MiB; a 16 MiB body of `[0,0,0,…]` (8 million values, 256 MiB and more
/// parsed) is refused before parsing. Real requests hold far fewer: the
/// largest legitimate shape, an embeddings request of token-id arrays, is
/// capped by OpenAI at 300,000 tokens per request.
pub const DEFAULT_MAX_JSON_VALUES: usize = 1_000_000;

/// The deepest nesting of arrays and objects a request body may have
/// (serde_json's own recursion limit, checked first for a clear message).
pub const MAX_JSON_DEPTH: usize = 128;

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
    /// Bodies holding more JSON values than this (object keys included) are
    /// refused before parsing, as are bodies nested deeper than
    /// [`MAX_JSON_DEPTH`]: default [`DEFAULT_MAX_JSON_VALUES`].
    pub max_json_values: usize,
    /// What the request may ask for that its body does not bound.
    pub rules: RequestRules,
    /// The prompt's tokens as the provider's own counting endpoint counted
    /// this very body: they replace farebox's count or estimate.
    pub provider_count: Option<ProviderCount>,
}

/// A prompt's tokens as counted by the provider's free counting endpoint
/// (Anthropic `POST /v1/messages/count_tokens`, Gemini `models/{m}:countTokens`)
/// for the body that is then sent: the count of the very tokenizer that bills
/// it, system prompt, tools and images included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderCount {
    pub tokens: u64,
    /// The endpoint that counted, for the estimate's `method`.
    pub endpoint: String,
}

impl Default for EstimateOptions {
    fn default() -> EstimateOptions {
        EstimateOptions {
            model: None,
            format: None,
            cost: CostOptions::default(),
            max_body_bytes: 16 << 20,
            max_json_values: DEFAULT_MAX_JSON_VALUES,
            rules: RequestRules::default(),
            provider_count: None,
        }
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
    /// The most output tokens one choice can produce (the request's limit or
    /// the model's maximum), and where that came from. Predicted-output
    /// tokens and further choices are not in it: see `prediction_tokens` and
    /// `choices`.
    pub max_output_tokens: u64,
    pub output_limit: OutputLimit,
    /// OpenAI predicted outputs: the prediction's tokens, which may be billed
    /// as output (rejected prediction tokens) on top of `max_output_tokens`,
    /// per choice. 0 without a prediction.
    pub prediction_tokens: u64,
    /// How many completions the call generates (Chat `n`, Gemini
    /// `candidateCount`; 1 otherwise). The prompt is billed once, the output
    /// once per choice.
    pub choices: u64,
    /// Input only, at the fewest tokens, with cache hits.
    pub min_cost: Cost,
    /// The most the call can cost: most input, cache writes, and
    /// `choices × (max_output_tokens + prediction_tokens)` output tokens at
    /// the dearest output-side rate the request can produce.
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

/// A request body's JSON, refused when larger than `options.max_body_bytes`,
/// or, from one scan of its bytes before parsing, when it holds more than
/// `options.max_json_values` values or nests deeper than [`MAX_JSON_DEPTH`]:
/// what it parses into is bounded by what it is allowed to be.
fn read_body(body: &[u8], options: &EstimateOptions) -> Result<serde_json::Value, Error> {
    if body.len() > options.max_body_bytes {
        return Err(invalid(alloc::format!(
            "the request body is {} bytes; the limit is {} bytes",
            body.len(),
            options.max_body_bytes
        )));
    }
    let shape = crate::json::shape(body, options.max_json_values, MAX_JSON_DEPTH);
    if shape.values > options.max_json_values {
        return Err(invalid(alloc::format!(
            "the request body holds more than {} JSON values; no request farebox reads needs that many",
            options.max_json_values
        )));
    }
    if shape.depth > MAX_JSON_DEPTH {
        return Err(invalid(alloc::format!(
            "the request body nests arrays and objects more than {MAX_JSON_DEPTH} deep"
        )));
    }
    serde_json::from_slice(body).map_err(|e| invalid(alloc::format!("not valid JSON: {e}")))
}

/// A request body read up to its counting: the model resolved, the format
/// known, the items read, and the model's own encoding if it has one.
struct Read<'t> {
    model: &'t Model,
    format: RequestFormat,
    parsed: request::Parsed<'t>,
    mapping: Option<Mapping>,
}

/// Reads a request body up to its counting: everything that can fail before a tokenizer is needed.
fn read<'t>(
    prices: &'t PriceTable,
    tokenizers: Option<&Tokenizers>,
    value: &'t serde_json::Value,
    options: &EstimateOptions,
) -> Result<Read<'t>, Error> {
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
    // A host that says it lacks the vocabulary (the edge worker without a
    // feature) estimates the model as one without a public tokenizer.
    let mapping = Encoding::mapping(&model.id)
        .or_else(|| Encoding::mapping(&requested))
        .filter(|m| tokenizers.is_none_or(|t| !t.lacks(m.encoding.vocabulary())));
    let gemma3 = mapping.is_some_and(|m| m.encoding == Encoding::Gemma3);
    let parsed = request::read(format, obj, &options.rules, gemma3)?;
    Ok(Read { model, format, parsed, mapping })
}

/// Reads a request body's prompt and counts it.
fn prompt<'t>(
    prices: &'t PriceTable,
    tokenizers: &'t Tokenizers,
    value: &'t serde_json::Value,
    options: &EstimateOptions,
) -> Result<Prompt<'t>, Error> {
    let read = read(prices, Some(tokenizers), value, options)?;
    let counting = Counting::exact(tokenizers, read.mapping, &read.model.id, &read.parsed)?;
    count(read, counting, options)
}

/// Counts what [`read`] read, with `counting`.
fn count<'t>(read: Read<'t>, mut counting: Counting<'t>, options: &EstimateOptions) -> Result<Prompt<'t>, Error> {
    let Read { model, format, parsed, mapping } = read;
    let encoding = mapping.map(|m| m.encoding);
    counting.detail = mapping.and_then(|m| detail(m.encoding, format, &parsed));
    let rule = image::ImageRule::for_model(&model.id.to_ascii_lowercase());
    let segments = parsed.count(&counting.counter, counting.scale.as_ref(), rule, encoding)?;
    let total = |which: &dyn Fn(&Segment) -> bool| {
        segments.iter().filter(|s| which(s)).fold(Range::exact(0), |a, s| a.plus(s.range))
    };
    let mut input = total(&|_| true);
    if !parsed.stored_context.is_empty() {
        input = with_stored_context(input, model, format, &parsed.stored_context, &options.rules)?;
    }
    let (mut cached_5m, mut cached_1h) =
        (total(&|s| s.cache == Some(Ttl::FiveMinutes)), total(&|s| s.cache == Some(Ttl::OneHour)));
    if let Some(provider) = &options.provider_count {
        // The provider counted the whole prompt; the stretches before cache
        // breakpoints keep farebox's bounds, within that total.
        let n = provider.tokens;
        input = Range::exact(n);
        let within = |r: Range| Range { tokens: r.tokens.min(n), exact: false, low: r.low.min(n), high: r.high.min(n) };
        cached_5m = within(cached_5m);
        cached_1h = within(cached_1h);
        counting.provider = Some(provider.endpoint.clone());
    }
    Ok(Prompt { input, cached_5m, cached_1h, model, format, parsed, counting })
}

/// The prompt with context the provider adds from storage: refused, or (by
/// the rules) bounded by the model's whole context window.
fn with_stored_context(
    input: Range,
    model: &Model,
    format: RequestFormat,
    fields: &[String],
    rules: &RequestRules,
) -> Result<Range, Error> {
    let named = fields.iter().map(|f| alloc::format!("`{f}`")).collect::<alloc::vec::Vec<_>>().join(", ");
    match rules.stored_context {
        StoredContext::Refuse => Err(Error::Refused {
            kind: RefusalKind::StoredContext,
            detail: alloc::format!(
                "the request names stored context ({named}) that the provider adds to the prompt, and its size \
                 cannot be read from the request: send the context itself, or set the policy's `stored_context` \
                 to `full_context_window` to price it as a full context window"
            ),
        }),
        StoredContext::FullContextWindow => {
            let window = if format == RequestFormat::Anthropic && rules.anthropic_long_context {
                Some(1_000_000)
            } else {
                model.context_window
            };
            let window = window.ok_or_else(|| Error::Refused {
                kind: RefusalKind::StoredContext,
                detail: alloc::format!(
                    "the request names stored context ({named}), priced as a full context window, and the price \
                     table has no context window for `{}`: add one to its definition",
                    model.id
                ),
            })?;
            let high = input.high.max(window);
            Ok(Range { tokens: input.tokens, exact: false, low: input.low, high })
        }
    }
}

/// How a model's prompt text is counted: with its own OpenAI encoding
/// (exact), or with o200k_base scaled by the calibrated ratio of its
/// tokenizer family for the text's script mix (an estimate with a bound).
struct Counting<'t> {
    mapping: Option<Mapping>,
    encoding: Option<Encoding>,
    counter: Counter<'t>,
    scale: Option<ratios::Scale>,
    /// The provider's endpoint that counted the prompt instead ([`ProviderCount`]).
    provider: Option<String>,
    /// What another maker's count covers and leaves out ([`detail`]).
    detail: Option<String>,
}

/// What a count with a non-OpenAI encoding covers and leaves out, for
/// [`Estimate::method`] (OpenAI's is the documented whole: nothing to say).
/// A Gemini body counted with Gemma 3 is counted as the SDK's
/// `LocalTokenizer` counts it; anything else is framed by the model's chat
/// template, which each host applies its own way.
fn detail(encoding: Encoding, format: RequestFormat, parsed: &request::Parsed<'_>) -> Option<String> {
    if encoding.is_openai() {
        return None;
    }
    if format == RequestFormat::OpenAiChat {
        return Some(String::from(template::Template::of(Some(encoding), false).describe()));
    }
    if encoding != Encoding::Gemma3 || format != RequestFormat::Gemini {
        return Some(String::from(
            "; message framing, if any, estimated: the model's chat template is applied by the host and not counted",
        ));
    }
    let mut detail = String::from(
        "; counted as its LocalTokenizer counts: texts, function declarations, calls and responses, system \
         instruction, response schema",
    );
    for skipped in &parsed.sdk_skipped {
        detail.push_str(&alloc::format!("; {skipped} estimated as JSON text (the SDK does not read it)"));
    }
    detail.push_str("; images estimated by formula; not counted: files, the chat template");
    Some(detail)
}

/// One end of what a text can count without counting it (see [`Counter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    Fewest,
    Most,
}

/// What a text counts: its tokens (exact), or one end of what they can be,
/// from its length alone. Byte-level BPE starts from one token per byte
/// and only merges, so a text of n bytes makes at most n tokens; no token is
/// longer than the vocabulary's longest (`longest` bytes), so it makes at
/// least ⌈n / longest⌉. A vocabulary that normalises text first (Qwen 3's
/// NFC) counts the normalised text, up to `factor` times longer or shorter
/// ([`Vocabulary::normalization_factor`]): at most n × factor tokens, at
/// least ⌈n / (longest × factor)⌉. Everything an estimate computes from counts (the
/// ratio scaling, overheads, the tools formula, the prices) grows with each
/// count, so the estimate with every text at its fewest (most) tokens is at
/// or below (above) the exact one in every number a budget compares.
pub(crate) enum Counter<'t> {
    Exact(&'t Tokenizer),
    Fewest { longest: u64 },
    Most { per_byte: u64 },
}

impl Counter<'_> {
    pub(crate) fn count(&self, text: &str) -> u64 {
        let bytes = text.len() as u64;
        match self {
            Counter::Exact(tokenizer) => tokenizer.count(text) as u64,
            Counter::Fewest { longest } => bytes.div_ceil(*longest),
            Counter::Most { per_byte } => bytes * per_byte,
        }
    }

    pub(crate) fn is_exact(&self) -> bool {
        matches!(self, Counter::Exact(_))
    }
}

impl<'t> Counting<'t> {
    /// Counting with the tokenizer: `tokenizers` must hold `encoding`, or
    /// o200k_base when there is none.
    fn exact(
        tokenizers: &'t Tokenizers,
        mapping: Option<Mapping>,
        model_id: &str,
        parsed: &request::Parsed<'_>,
    ) -> Result<Counting<'t>, Error> {
        let encoding = mapping.map(|m| m.encoding);
        let vocabulary = Counting::vocabulary(encoding);
        let tokenizer = tokenizers.get(encoding.unwrap_or(vocabulary.encoding()));
        let counter = Counter::Exact(tokenizer.ok_or(Error::TokenizerNotLoaded(vocabulary))?);
        Ok(Counting::with(counter, mapping, model_id, parsed))
    }

    /// One end of what the text can count: only the vocabulary's longest
    /// token's length is used (a constant of the vocabulary), never its bytes.
    fn bounded(mapping: Option<Mapping>, model_id: &str, parsed: &request::Parsed<'_>, bound: Bound) -> Counting<'t> {
        let encoding = mapping.map(|m| m.encoding);
        let vocabulary = Counting::vocabulary(encoding);
        let factor = vocabulary.normalization_factor();
        let counter = match bound {
            Bound::Fewest => Counter::Fewest { longest: vocabulary.longest_token() * factor },
            Bound::Most => Counter::Most { per_byte: factor },
        };
        Counting::with(counter, mapping, model_id, parsed)
    }

    fn with(
        counter: Counter<'t>,
        mapping: Option<Mapping>,
        model_id: &str,
        parsed: &request::Parsed<'_>,
    ) -> Counting<'t> {
        let encoding = mapping.map(|m| m.encoding);
        let scale = match encoding {
            Some(_) => None,
            None => Some(ratios::for_model(model_id, parsed.non_ascii_share())),
        };
        Counting { mapping, encoding, counter, scale, provider: None, detail: None }
    }

    /// The vocabulary text is counted with: the model's own encoding's, else
    /// o200k_base's (scaled). The one place that decides which vocabulary a
    /// count needs.
    fn vocabulary(encoding: Option<Encoding>) -> Vocabulary {
        encoding.map_or(Vocabulary::O200kBase, Encoding::vocabulary)
    }

    /// An encoding name, or the estimate's basis.
    fn method(&self) -> String {
        if let Some(endpoint) = &self.provider {
            return alloc::format!("counted by the provider ({endpoint})");
        }
        let basis = match (&self.scale, self.mapping) {
            (Some(s), _) => s.describe(),
            (None, Some(m)) if m.encoding.is_openai() => String::from(m.encoding.name()),
            (None, Some(m)) => alloc::format!(
                "{} (text exact; mapped by the rule {}){}",
                m.encoding.name(),
                m.rule,
                self.detail.as_deref().unwrap_or("")
            ),
            (None, None) => String::from("o200k_base"),
        };
        match self.counter {
            Counter::Exact(_) => basis,
            Counter::Fewest { longest } => {
                alloc::format!("bound: {basis}, every text its fewest tokens (one per {longest} bytes)")
            }
            Counter::Most { per_byte: 1 } => {
                alloc::format!("bound: {basis}, every text its most tokens (one per byte)")
            }
            Counter::Most { per_byte } => alloc::format!(
                "bound: {basis}, every text its most tokens ({per_byte} per byte: normalising can lengthen it)"
            ),
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
    let named = Encoding::from_name(model.trim()).map(|encoding| Mapping { encoding, rule: "an encoding's name" });
    let own = |name: &str| Encoding::mapping(name).filter(|m| !tokenizers.lacks(m.encoding.vocabulary()));
    let (mapping, model_id) = match named.or_else(|| own(model)) {
        Some(mapping) => (Some(mapping), model),
        None => {
            let id = &prices.resolve(model)?.model.id;
            (own(id), id.as_str())
        }
    };
    let counting = Counting::exact(tokenizers, mapping, model_id, &parsed)?;
    let segments = parsed.count(&counting.counter, counting.scale.as_ref(), None, counting.encoding)?;
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
    price(prices, prompt(prices, tokenizers, &value, options)?, options)
}

/// A request's estimate at both ends of what its text can count, without
/// counting it: `fewest` as if every text made the fewest tokens it can,
/// `most` the most (see [`Counter`]). Neither loads a vocabulary.
#[derive(Clone, Debug)]
pub struct Bounds {
    pub fewest: Estimate,
    pub most: Estimate,
}

/// [`estimate`]'s two ends without counting ([`Bounds`]), or `None` when the
/// model's prices do not grow with its token counts (a tier chosen by usage,
/// which a count could move into or out of, or a negative price): the caller
/// counts then. A policy's decision only grows stricter as the maximum cost
/// and the input tokens grow, so the exact estimate is allowed whenever
/// `most` is and denied whenever `fewest` is; in between, count. Errors are
/// the exact estimate's, except those a count can cause (a sum too large):
/// a caller that gets one counts.
pub fn estimate_bounds(
    prices: &PriceTable,
    tokenizers: &Tokenizers,
    body: &[u8],
    options: &EstimateOptions,
) -> Result<Option<Bounds>, Error> {
    bounds(prices, Some(tokenizers), body, options)
}

/// [`estimate_bounds`] before the vocabulary is at hand, for a host that
/// shows the bounds while it downloads one (the web app on a restored
/// request): the bounds use only the vocabulary's longest token's length, a
/// constant. Unlike [`estimate_bounds`], a request whose vocabulary is not
/// loaded is bounded rather than [`Error::TokenizerNotLoaded`]; a guard,
/// which must decide as the count would (and that count would fail), uses
/// [`estimate_bounds`].
pub fn estimate_bounds_before_loading(
    prices: &PriceTable,
    body: &[u8],
    options: &EstimateOptions,
) -> Result<Option<Bounds>, Error> {
    bounds(prices, None, body, options)
}

/// The bounds, requiring the vocabulary to be available in `tokenizers` when given.
fn bounds(
    prices: &PriceTable,
    tokenizers: Option<&Tokenizers>,
    body: &[u8],
    options: &EstimateOptions,
) -> Result<Option<Bounds>, Error> {
    let value = read_body(body, options)?;
    if !grows_with_tokens(read(prices, tokenizers, &value, options)?.model) {
        return Ok(None);
    }
    let at = |bound| -> Result<Estimate, Error> {
        let read = read(prices, tokenizers, &value, options)?;
        let vocabulary = Counting::vocabulary(read.mapping.map(|m| m.encoding));
        // Held without being parsed is enough ([`Tokenizers::available`]).
        if tokenizers.is_some_and(|t| !t.available(vocabulary)) {
            return Err(Error::TokenizerNotLoaded(vocabulary));
        }
        let counting = Counting::bounded(read.mapping, &read.model.id, &read.parsed, bound);
        price(prices, count(read, counting, options)?, options)
    };
    Ok(Some(Bounds { fewest: at(Bound::Fewest)?, most: at(Bound::Most)? }))
}

/// Whether every price of `model` is at least zero and no tier depends on
/// usage: then its cost grows with every token count.
fn grows_with_tokens(model: &Model) -> bool {
    let prices = core::iter::once(&model.prices).chain(model.tiers.iter().map(|t| &t.prices));
    let usage_tier = model.tiers.iter().flat_map(|t| &t.when).any(|c| matches!(c, Condition::Usage { .. }));
    !usage_tier
        && prices.into_iter().all(|p| {
            UsageKind::ALL
                .into_iter()
                .filter_map(|k| p.get(k))
                .chain(p.others().map(|(_, u)| u))
                .all(|u| u >= Usd::ZERO)
        })
}

/// Prices a counted prompt: [`estimate`]'s second half.
fn price(prices: &PriceTable, prompt: Prompt<'_>, options: &EstimateOptions) -> Result<Estimate, Error> {
    let Prompt { model, format, parsed, counting, input, cached_5m, cached_1h } = prompt;

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

    let choices = parsed.choices;
    let prediction_tokens = parsed.prediction_tokens(&counting.counter, counting.scale.as_ref());
    let output_tokens = max_output_tokens.saturating_add(prediction_tokens).saturating_mul(choices);

    let mut cost_options = options.cost.clone();
    if let Some(tier) = parsed.service_tier.clone() {
        cost_options.params.entry(SERVICE_TIER.to_string()).or_insert(tier);
    }
    // The tiers the maximum is priced through: the one the request (or the
    // caller) names, or, when it names none (`auto` is none), every tier the
    // project could default to when the rules ask for that.
    let unset = cost_options.params.get(SERVICE_TIER).is_none_or(|t| t == "auto");
    let mut max_tiers = alloc::vec![cost_options.clone()];
    if unset && options.rules.unset_tier_at_dearest {
        max_tiers.push(cost_options.clone().with_param(SERVICE_TIER, "priority"));
    }
    let uncached = |n: u64, c5: u64, c1: u64| n.saturating_sub(c5).saturating_sub(c1);
    let min_usage = Usage::new()
        .with(UsageKind::Input, uncached(input.low, cached_5m.low, cached_1h.low))
        .with(UsageKind::CacheRead, cached_5m.low + cached_1h.low);
    // The output kinds the request can produce: text (output, or reasoning
    // where that is dearer) and, when asked for, audio. A modality the model
    // has no price for is refused: never priced at the text rate.
    let mut output_kinds = alloc::vec![UsageKind::Output, UsageKind::Reasoning];
    if parsed.audio_output {
        if model.prices.get(UsageKind::AudioOutput).is_none() {
            return Err(Error::Refused {
                kind: RefusalKind::UnpricedModality,
                detail: alloc::format!(
                    "the request asks for audio output and the price table has no audio output price for `{}`: \
                     ask for text only, or add the price to its definition",
                    model.id
                ),
            });
        }
        output_kinds.push(UsageKind::AudioOutput);
    }
    let max_usage_as = |kind: UsageKind| {
        Usage::new()
            .with(UsageKind::Input, uncached(input.high, cached_5m.high, cached_1h.high))
            .with(UsageKind::CacheWrite5m, cached_5m.high)
            .with(UsageKind::CacheWrite1h, cached_1h.high)
            .with(kind, output_tokens)
    };
    let min_cost = prices.cost(&model.id, &min_usage, &cost_options)?;
    // Within the tier the prompt selects, cost is linear in the output's
    // split between kinds, so the dearest kind alone is the maximum; each
    // kind is priced through the tier (a tier can make reasoning dearer than
    // output where the base prices do not).
    let mut max_cost: Option<Cost> = None;
    for tier in &max_tiers {
        for kind in &output_kinds {
            let cost = prices.cost(&model.id, &max_usage_as(*kind), tier)?;
            // An incomplete cost wins: what cannot be priced is no upper bound.
            let better = match &max_cost {
                None => true,
                Some(best) => (!cost.complete, cost.total) > (!best.complete, best.total),
            };
            if better {
                max_cost = Some(cost);
            }
        }
    }
    let max_cost = match max_cost {
        Some(c) => c,
        None => prices.cost(&model.id, &max_usage_as(UsageKind::Output), &cost_options)?,
    };

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
        prediction_tokens,
        choices,
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

    #[test]
    fn bounds_before_loading_need_no_vocabulary() {
        let prices = PriceTable::builtin();
        let body =
            br#"{"model":"gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"hello there, how are you"}]}"#;
        let options = EstimateOptions::default();
        let empty = Tokenizers::new();
        // A guard's bounds still need the vocabulary the count would need ...
        assert!(matches!(
            estimate_bounds(&prices, &empty, body, &options),
            Err(Error::TokenizerNotLoaded(Vocabulary::O200kBase))
        ));
        // ... the bounds before loading do not, and bracket every text's length.
        let bounds = estimate_bounds_before_loading(&prices, body, &options).unwrap().unwrap();
        let (fewest, most) = (&bounds.fewest, &bounds.most);
        assert!(!fewest.exact && !most.exact);
        assert!(fewest.input_tokens.high < most.input_tokens.high);
        assert!(most.input_tokens.high >= 24, "one token per byte of the text at least");
        assert!(fewest.max_cost.total < most.max_cost.total);
        assert!(most.method.contains("most tokens"), "{}", most.method);
        // Prices that a count can move into another tier are not bounded.
        let tiered = br#"{"model":"gemini-2.5-pro","generationConfig":{"maxOutputTokens":10},"contents":[{"parts":[{"text":"hi"}]}]}"#;
        assert!(estimate_bounds_before_loading(&prices, tiered, &options).unwrap().is_none());
    }
}
