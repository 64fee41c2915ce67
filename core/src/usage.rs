//! What a call consumed, in billable units, and how each provider's own
//! `usage` object maps onto them.
//!
//! A [`Usage`] is *exclusive*: every unit is in exactly one [`UsageKind`], so
//! cost is simply `Σ count × price`. Providers report *inclusive* totals in
//! different ways, and getting that wrong is the most reported bug in LLM
//! cost tools (cached tokens billed twice, or reasoning tokens on top of an
//! output count that already holds them). The normalisers below subtract
//! each detail from the total that contains it, and refuse usage whose
//! details exceed their total instead of clamping it to zero.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use crate::json::{count, count_value, kind_of, object};

/// One billable kind of unit. Token kinds are disjoint (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UsageKind {
    /// Prompt tokens billed at the plain input rate (not cached, not audio or image).
    Input,
    /// Prompt tokens read from the provider's prompt cache.
    CacheRead,
    /// Prompt tokens written to the cache with the default (5-minute) lifetime.
    CacheWrite5m,
    /// Prompt tokens written to the cache with a 1-hour lifetime.
    CacheWrite1h,
    /// Prompt audio tokens (not cached).
    AudioInput,
    /// Prompt image tokens, where a provider prices them apart from text.
    ImageInput,
    /// Completion tokens billed at the plain output rate (not reasoning or audio).
    Output,
    /// Reasoning ("thinking") tokens; billed at the output rate unless the model prices them apart.
    Reasoning,
    /// Completion audio tokens.
    AudioOutput,
    /// Prompt characters, for models priced per character.
    InputCharacters,
    /// Completion characters, for models priced per character.
    OutputCharacters,
    /// Requests, for models with a per-request fee.
    Requests,
}

impl UsageKind {
    pub const ALL: [UsageKind; 12] = [
        UsageKind::Input,
        UsageKind::CacheRead,
        UsageKind::CacheWrite5m,
        UsageKind::CacheWrite1h,
        UsageKind::AudioInput,
        UsageKind::ImageInput,
        UsageKind::Output,
        UsageKind::Reasoning,
        UsageKind::AudioOutput,
        UsageKind::InputCharacters,
        UsageKind::OutputCharacters,
        UsageKind::Requests,
    ];

    /// The stable snake_case name used in JSON, breakdowns and price files.
    pub const fn name(self) -> &'static str {
        match self {
            UsageKind::Input => "input",
            UsageKind::CacheRead => "cache_read",
            UsageKind::CacheWrite5m => "cache_write_5m",
            UsageKind::CacheWrite1h => "cache_write_1h",
            UsageKind::AudioInput => "audio_input",
            UsageKind::ImageInput => "image_input",
            UsageKind::Output => "output",
            UsageKind::Reasoning => "reasoning",
            UsageKind::AudioOutput => "audio_output",
            UsageKind::InputCharacters => "input_characters",
            UsageKind::OutputCharacters => "output_characters",
            UsageKind::Requests => "requests",
        }
    }

    pub fn from_name(name: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the kind is part of the prompt: what context-size price tiers
    /// ("above 200k input tokens") are measured on.
    pub const fn is_prompt_tokens(self) -> bool {
        matches!(
            self,
            UsageKind::Input
                | UsageKind::CacheRead
                | UsageKind::CacheWrite5m
                | UsageKind::CacheWrite1h
                | UsageKind::AudioInput
                | UsageKind::ImageInput
        )
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl serde::Serialize for UsageKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for UsageKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        UsageKind::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = UsageKind::ALL.iter().map(|k| k.name()).collect();
            serde::de::Error::custom(format!("unknown usage kind `{name}` (known: {})", known.join(", ")))
        })
    }
}

impl fmt::Display for UsageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Exclusive counts per kind, plus provider-specific units (`web_search_requests`,
/// ...) under their own names so that nothing reported is dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    counts: [u64; UsageKind::ALL.len()],
    other: BTreeMap<String, u64>,
}

impl Usage {
    pub fn new() -> Usage {
        Usage::default()
    }

    /// Builder form: `Usage::new().with(UsageKind::Input, 1500)`.
    pub fn with(mut self, kind: UsageKind, count: u64) -> Usage {
        self.counts[kind.index()] = count;
        self
    }

    pub fn get(&self, kind: UsageKind) -> u64 {
        self.counts[kind.index()]
    }

    pub fn set(&mut self, kind: UsageKind, count: u64) {
        self.counts[kind.index()] = count;
    }

    /// Adds `count` to a kind, saturating (a count near 2⁶⁴ is already absurd
    /// and the cost of it overflows with an error downstream).
    pub fn add(&mut self, kind: UsageKind, count: u64) {
        let slot = &mut self.counts[kind.index()];
        *slot = slot.saturating_add(count);
    }

    /// A unit with no [`UsageKind`], kept under its provider name.
    pub fn add_other(&mut self, name: &str, count: u64) {
        let slot = self.other.entry(name.to_string()).or_insert(0);
        *slot = slot.saturating_add(count);
    }

    pub fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }

    /// The non-zero kinds, in [`UsageKind::ALL`] order.
    pub fn kinds(&self) -> impl Iterator<Item = (UsageKind, u64)> + '_ {
        UsageKind::ALL.into_iter().map(|k| (k, self.get(k))).filter(|&(_, n)| n > 0)
    }

    /// All prompt-side tokens (cached, cache writes, audio, images included).
    pub fn prompt_tokens(&self) -> u64 {
        self.kinds().filter(|(k, _)| k.is_prompt_tokens()).fold(0, |a, (_, n)| a.saturating_add(n))
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&n| n == 0) && self.other.values().all(|&n| n == 0)
    }
}

impl serde::Serialize for Usage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (k, n) in self.kinds() {
            map.serialize_entry(k.name(), &n)?;
        }
        for (k, n) in &self.other {
            map.serialize_entry(k, n)?;
        }
        map.end()
    }
}

/// The usage object shapes farebox reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageFormat {
    /// Chat Completions: `prompt_tokens` *includes* `prompt_tokens_details.cached_tokens`
    /// and `.audio_tokens`; `completion_tokens` includes `completion_tokens_details.reasoning_tokens`
    /// and `.audio_tokens`.
    OpenAiChat,
    /// Responses API: `input_tokens` includes `input_tokens_details.cached_tokens`;
    /// `output_tokens` includes `output_tokens_details.reasoning_tokens`.
    OpenAiResponses,
    /// Messages API: `input_tokens` *excludes* `cache_read_input_tokens` and
    /// `cache_creation_input_tokens` (split by `cache_creation.ephemeral_5m/1h_input_tokens`).
    Anthropic,
    /// Gemini `usageMetadata`: `promptTokenCount` includes `cachedContentTokenCount`;
    /// `thoughtsTokenCount` is separate from `candidatesTokenCount`.
    Gemini,
    /// Langfuse `usage_details` (exclusive keys: `input`, `output`, `input_cached_tokens`, ...)
    /// or the legacy `usage` object `{input, output, total, unit}`.
    Langfuse,
}

impl UsageFormat {
    pub const fn name(self) -> &'static str {
        match self {
            UsageFormat::OpenAiChat => "openai_chat",
            UsageFormat::OpenAiResponses => "openai_responses",
            UsageFormat::Anthropic => "anthropic",
            UsageFormat::Gemini => "gemini",
            UsageFormat::Langfuse => "langfuse",
        }
    }

    pub fn from_name(name: &str) -> Option<UsageFormat> {
        [
            UsageFormat::OpenAiChat,
            UsageFormat::OpenAiResponses,
            UsageFormat::Anthropic,
            UsageFormat::Gemini,
            UsageFormat::Langfuse,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

/// Usage read from a provider object, with what was learnt on the way.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParsedUsage {
    pub format: UsageFormat,
    pub usage: Usage,
    /// The model named by the enclosing response body, when a whole response was given.
    pub model: Option<String>,
    /// The OpenAI `service_tier` the provider reports it ran the call on, if any.
    pub service_tier: Option<String>,
}

/// Why a usage object could not be read or priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsageError {
    /// The text is not JSON (the parser's message).
    NotJson(String),
    /// The body, or the member that should hold the usage, is not an
    /// object: the field (empty for the body) and what was found.
    NotAnObject { field: String, found: &'static str },
    /// No usage shape farebox reads (OpenAI, Anthropic, Gemini, Langfuse).
    UnknownFormat,
    /// Neither the caller nor the body names the model to price it with.
    NoModel,
    /// Counts that contradict each other: details larger than the total
    /// that includes them, a split that does not add up (the message names
    /// the fields and their values). Never clamped.
    Inconsistent(String),
    /// A field of the wrong type or value (the message names it).
    Malformed(String),
}

impl UsageError {
    /// What is wrong, without the `invalid usage: ` the message starts with
    /// (for a host that puts it in its own sentence).
    pub fn detail(&self) -> String {
        let text = self.to_string();
        String::from(text.strip_prefix("invalid usage: ").unwrap_or(&text))
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid usage: ")?;
        match self {
            UsageError::NotJson(why) => write!(f, "not valid JSON: {why}"),
            UsageError::NotAnObject { field, found } if field.is_empty() => {
                write!(f, "expected a JSON object, found {found}")
            }
            UsageError::NotAnObject { field, found } => write!(f, "`{field}` should be an object, found {found}"),
            UsageError::UnknownFormat => f.write_str(
                "cannot tell the usage format: expected OpenAI (`prompt_tokens` or `input_tokens`), \
                 Anthropic (`input_tokens` with `cache_*_input_tokens`), Gemini (`promptTokenCount`) \
                 or Langfuse (`input`/`output`) fields",
            ),
            UsageError::NoModel => {
                f.write_str("no model: name one, or pass the whole response body (it names its model)")
            }
            UsageError::Inconsistent(why) | UsageError::Malformed(why) => f.write_str(why),
        }
    }
}

/// The JSON field readers (`crate::json`) say what is wrong with a field in
/// words that name it: a malformed field.
impl From<String> for UsageError {
    fn from(why: String) -> UsageError {
        UsageError::Malformed(why)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UsageError {}

/// Reads a usage object — or a whole response body holding one (`usage`,
/// `usageMetadata`, a Langfuse observation's `usageDetails`) — from JSON text.
/// `format` forces a shape; `None` detects it from the field names.
pub fn parse_usage(json: &[u8], format: Option<UsageFormat>) -> Result<ParsedUsage, UsageError> {
    let value: Value = serde_json::from_slice(json).map_err(|e| UsageError::NotJson(e.to_string()))?;
    usage_from_value(&value, format)
}

/// [`parse_usage`] over an already parsed value.
pub fn usage_from_value(value: &Value, format: Option<UsageFormat>) -> Result<ParsedUsage, UsageError> {
    let top = match value {
        Value::Object(m) => m,
        other => return Err(UsageError::NotAnObject { field: String::new(), found: kind_of(other) }),
    };
    let (usage_obj, path, model) = locate_usage(top)?;
    let format = match format {
        Some(f) => f,
        None => detect(usage_obj, top).ok_or(UsageError::UnknownFormat)?,
    };
    let usage = match format {
        UsageFormat::OpenAiChat => openai_chat(usage_obj, path),
        UsageFormat::OpenAiResponses => openai_responses(usage_obj, path),
        UsageFormat::Anthropic => anthropic(usage_obj, path),
        UsageFormat::Gemini => gemini(usage_obj, path),
        UsageFormat::Langfuse => langfuse(usage_obj, path),
    }?;
    let service_tier = top.get("service_tier").and_then(Value::as_str).map(String::from);
    Ok(ParsedUsage { format, usage, model, service_tier })
}

/// A usage object found in a body: the object, its path, the body's model.
type Located<'a> = (&'a Map<String, Value>, &'static str, Option<String>);

/// Finds the usage object inside a response body, or takes the object itself.
fn locate_usage(top: &Map<String, Value>) -> Result<Located<'_>, UsageError> {
    let model_of = |key: &str| top.get(key).and_then(Value::as_str).map(String::from);
    // OpenAI Responses wraps its result in `response` in the final stream event.
    if let Some(Value::Object(inner)) = top.get("response") {
        if inner.get("usage").is_some_and(Value::is_object) {
            return locate_usage(inner);
        }
    }
    for (key, model_key) in [
        ("usage", "model"),
        ("usageMetadata", "modelVersion"),
        ("usage_metadata", "model_version"),
        ("usageDetails", "model"),
        ("usage_details", "model"),
    ] {
        match top.get(key) {
            Some(Value::Object(inner)) => return Ok((inner, key_path(key), model_of(model_key))),
            Some(Value::Null) | None => {}
            Some(other) => return Err(UsageError::NotAnObject { field: String::from(key), found: kind_of(other) }),
        }
    }
    Ok((top, "", None))
}

fn key_path(key: &str) -> &'static str {
    match key {
        "usage" => "usage",
        "usageMetadata" => "usageMetadata",
        "usage_metadata" => "usage_metadata",
        "usageDetails" => "usageDetails",
        _ => "usage_details",
    }
}

fn detect(usage: &Map<String, Value>, top: &Map<String, Value>) -> Option<UsageFormat> {
    let has = |k: &str| usage.contains_key(k);
    if has("prompt_tokens") || has("completion_tokens") {
        Some(UsageFormat::OpenAiChat)
    } else if has("promptTokenCount")
        || has("candidatesTokenCount")
        || has("prompt_token_count")
        || has("totalTokenCount")
    {
        Some(UsageFormat::Gemini)
    } else if has("cache_read_input_tokens")
        || has("cache_creation_input_tokens")
        || has("cache_creation")
        || has("server_tool_use")
    {
        // Langfuse also uses these key names, but next to `input`/`output`.
        if has("input") || has("output") {
            Some(UsageFormat::Langfuse)
        } else {
            Some(UsageFormat::Anthropic)
        }
    } else if has("input_tokens_details") || has("output_tokens_details") {
        Some(UsageFormat::OpenAiResponses)
    } else if has("input_tokens") || has("output_tokens") {
        // Without detail fields the two APIs' counts mean the same thing; name
        // the one the enclosing body says, if it says.
        let anthropic = top.get("type").and_then(Value::as_str) == Some("message");
        Some(if anthropic { UsageFormat::Anthropic } else { UsageFormat::OpenAiResponses })
    } else if usage.keys().any(|k| langfuse_kind(k).is_some() || k == "total" || k == "unit") {
        Some(UsageFormat::Langfuse)
    } else {
        None
    }
}

/// `total − parts`, refusing parts that exceed the total they belong to.
fn exclusive(total: u64, total_path: &str, parts: &[(u64, &str)]) -> Result<u64, UsageError> {
    let sum = parts.iter().try_fold(0u64, |a, &(n, _)| a.checked_add(n)).unwrap_or(u64::MAX);
    total.checked_sub(sum).ok_or_else(|| {
        let names: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, p)| format!("`{p}` ({n})")).collect();
        UsageError::Inconsistent(format!(
            "{} exceed `{total_path}` ({total}) which should include them",
            names.join(" + ")
        ))
    })
}

fn openai_chat(u: &Map<String, Value>, path: &str) -> Result<Usage, UsageError> {
    inclusive_openai(
        u,
        path,
        ("prompt_tokens", "prompt_tokens_details"),
        ("completion_tokens", "completion_tokens_details"),
    )
}

fn openai_responses(u: &Map<String, Value>, path: &str) -> Result<Usage, UsageError> {
    inclusive_openai(u, path, ("input_tokens", "input_tokens_details"), ("output_tokens", "output_tokens_details"))
}

/// Both OpenAI APIs report totals that include their details; they differ only in names.
fn inclusive_openai(
    u: &Map<String, Value>,
    path: &str,
    (input_key, input_details_key): (&str, &str),
    (output_key, output_details_key): (&str, &str),
) -> Result<Usage, UsageError> {
    let p = |k: &str| crate::json::join(path, k);
    let input = count(u, input_key, path)?.unwrap_or(0);
    let output = count(u, output_key, path)?.unwrap_or(0);
    let in_path = p(input_details_key);
    let out_path = p(output_details_key);
    let in_details = object(u, input_details_key, path)?;
    let out_details = object(u, output_details_key, path)?;
    let detail = |d: Option<&Map<String, Value>>, k: &str, dp: &str| match d {
        Some(m) => count(m, k, dp).map(|n| n.unwrap_or(0)),
        None => Ok(0),
    };
    let cached = detail(in_details, "cached_tokens", &in_path)?;
    let audio_in = detail(in_details, "audio_tokens", &in_path)?;
    let image_in = detail(in_details, "image_tokens", &in_path)?;
    let reasoning = detail(out_details, "reasoning_tokens", &out_path)?;
    let audio_out = detail(out_details, "audio_tokens", &out_path)?;
    let cached_path = format!("{in_path}.cached_tokens");
    let audio_in_path = format!("{in_path}.audio_tokens");
    let image_in_path = format!("{in_path}.image_tokens");
    let reasoning_path = format!("{out_path}.reasoning_tokens");
    let audio_out_path = format!("{out_path}.audio_tokens");
    let plain_in = exclusive(
        input,
        &p(input_key),
        &[(cached, &cached_path), (audio_in, &audio_in_path), (image_in, &image_in_path)],
    )?;
    let plain_out = exclusive(output, &p(output_key), &[(reasoning, &reasoning_path), (audio_out, &audio_out_path)])?;
    Ok(Usage::new()
        .with(UsageKind::Input, plain_in)
        .with(UsageKind::CacheRead, cached)
        .with(UsageKind::AudioInput, audio_in)
        .with(UsageKind::ImageInput, image_in)
        .with(UsageKind::Output, plain_out)
        .with(UsageKind::Reasoning, reasoning)
        .with(UsageKind::AudioOutput, audio_out))
}

fn anthropic(u: &Map<String, Value>, path: &str) -> Result<Usage, UsageError> {
    let input = count(u, "input_tokens", path)?.unwrap_or(0);
    let output = count(u, "output_tokens", path)?.unwrap_or(0);
    let cache_read = count(u, "cache_read_input_tokens", path)?.unwrap_or(0);
    let cache_write_total = count(u, "cache_creation_input_tokens", path)?;
    let (write_5m, write_1h) = match object(u, "cache_creation", path)? {
        Some(split) => {
            let sp = crate::json::join(path, "cache_creation");
            let w5 = count(split, "ephemeral_5m_input_tokens", &sp)?.unwrap_or(0);
            let w1 = count(split, "ephemeral_1h_input_tokens", &sp)?.unwrap_or(0);
            if let Some(total) = cache_write_total {
                if w5.checked_add(w1) != Some(total) {
                    return Err(UsageError::Inconsistent(format!(
                        "`{sp}` splits {w5} + {w1} cache-write tokens but `cache_creation_input_tokens` says {total}"
                    )));
                }
            }
            (w5, w1)
        }
        // Without the split, writes have the default 5-minute lifetime.
        None => (cache_write_total.unwrap_or(0), 0),
    };
    let mut usage = Usage::new()
        .with(UsageKind::Input, input)
        .with(UsageKind::CacheRead, cache_read)
        .with(UsageKind::CacheWrite5m, write_5m)
        .with(UsageKind::CacheWrite1h, write_1h)
        .with(UsageKind::Output, output);
    if let Some(tools) = object(u, "server_tool_use", path)? {
        let tp = crate::json::join(path, "server_tool_use");
        for (k, v) in tools {
            if !v.is_null() {
                usage.add_other(k, count_value(v, &crate::json::join(&tp, k))?);
            }
        }
    }
    Ok(usage)
}

fn gemini(u: &Map<String, Value>, path: &str) -> Result<Usage, UsageError> {
    // The REST API uses camelCase; the Python SDK's `usage_metadata` snake_case.
    let get = |camel: &str, snake: &str| -> Result<u64, String> {
        Ok(count(u, camel, path)?.or(count(u, snake, path)?).unwrap_or(0))
    };
    let prompt = get("promptTokenCount", "prompt_token_count")?;
    let cached = get("cachedContentTokenCount", "cached_content_token_count")?;
    let candidates = get("candidatesTokenCount", "candidates_token_count")?;
    let thoughts = get("thoughtsTokenCount", "thoughts_token_count")?;
    let tool_prompt = get("toolUsePromptTokenCount", "tool_use_prompt_token_count")?;
    // Audio is priced apart on Gemini; the per-modality lists say how much of
    // the prompt (and of the cached part) was audio.
    let prompt_audio = modality_tokens(u, "promptTokensDetails", "prompt_tokens_details", "AUDIO", path)?;
    let cached_audio = modality_tokens(u, "cacheTokensDetails", "cache_tokens_details", "AUDIO", path)?;
    let uncached_audio = prompt_audio.saturating_sub(cached_audio);
    let prompt_path = crate::json::join(path, "promptTokenCount");
    let plain_in = exclusive(
        prompt,
        &prompt_path,
        &[(cached, "cachedContentTokenCount"), (uncached_audio, "promptTokensDetails[AUDIO]")],
    )?;
    Ok(Usage::new()
        .with(UsageKind::Input, plain_in.saturating_add(tool_prompt))
        .with(UsageKind::CacheRead, cached)
        .with(UsageKind::AudioInput, uncached_audio)
        .with(UsageKind::Output, candidates)
        .with(UsageKind::Reasoning, thoughts))
}

fn modality_tokens(
    u: &Map<String, Value>,
    camel: &str,
    snake: &str,
    modality: &str,
    path: &str,
) -> Result<u64, String> {
    let list = match u.get(camel).or_else(|| u.get(snake)) {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!("`{}` should be an array, found {}", crate::json::join(path, camel), kind_of(other)))
        }
    };
    let mut total = 0u64;
    for (i, entry) in list.iter().enumerate() {
        let ep = format!("{}[{i}]", crate::json::join(path, camel));
        let Value::Object(e) = entry else {
            return Err(format!("`{ep}` should be an object, found {}", kind_of(entry)));
        };
        if e.get("modality").and_then(Value::as_str) == Some(modality) {
            total = total.saturating_add(count(e, "tokenCount", &ep)?.or(count(e, "token_count", &ep)?).unwrap_or(0));
        }
    }
    Ok(total)
}

/// Langfuse usage keys with a [`UsageKind`]. Langfuse's keys are exclusive
/// (its SDKs subtract each detail from `input`/`output`), and several names
/// mean the same kind.
pub(crate) const LANGFUSE_KEYS: &[(&str, UsageKind)] = &[
    ("input", UsageKind::Input),
    ("input_text", UsageKind::Input),
    ("input_text_tokens", UsageKind::Input),
    ("promptTokens", UsageKind::Input),
    ("input_cached_tokens", UsageKind::CacheRead),
    ("cache_read_input_tokens", UsageKind::CacheRead),
    ("input_cache_read", UsageKind::CacheRead),
    ("cached_tokens", UsageKind::CacheRead),
    ("input_cached_text_tokens", UsageKind::CacheRead),
    ("cache_creation_input_tokens", UsageKind::CacheWrite5m),
    ("input_cache_creation", UsageKind::CacheWrite5m),
    ("input_cache_creation_5m", UsageKind::CacheWrite5m),
    ("cache_write_tokens", UsageKind::CacheWrite5m),
    ("input_cache_creation_1h", UsageKind::CacheWrite1h),
    ("input_audio", UsageKind::AudioInput),
    ("input_audio_tokens", UsageKind::AudioInput),
    ("input_image", UsageKind::ImageInput),
    ("output", UsageKind::Output),
    ("output_text", UsageKind::Output),
    ("output_text_tokens", UsageKind::Output),
    ("completionTokens", UsageKind::Output),
    ("output_reasoning", UsageKind::Reasoning),
    ("output_reasoning_tokens", UsageKind::Reasoning),
    ("reasoning_tokens", UsageKind::Reasoning),
    ("output_audio", UsageKind::AudioOutput),
    ("output_audio_tokens", UsageKind::AudioOutput),
];

pub(crate) fn langfuse_kind(key: &str) -> Option<UsageKind> {
    LANGFUSE_KEYS.iter().find(|(k, _)| *k == key).map(|&(_, kind)| kind)
}

fn langfuse(u: &Map<String, Value>, path: &str) -> Result<Usage, UsageError> {
    let unit = match u.get("unit") {
        None | Some(Value::Null) => "TOKENS",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(UsageError::Malformed(format!(
                "`{}` should be a string, found {}",
                crate::json::join(path, "unit"),
                kind_of(other)
            )))
        }
    };
    let mut usage = Usage::new();
    for (key, v) in u {
        // `total` is derived from the others; `unit` qualifies them.
        if matches!(key.as_str(), "unit" | "total" | "totalTokens") || v.is_null() {
            continue;
        }
        let n = count_value(v, &crate::json::join(path, key))?;
        match (unit, langfuse_kind(key)) {
            ("TOKENS", Some(kind)) => usage.add(kind, n),
            ("CHARACTERS", Some(UsageKind::Input)) => usage.add(UsageKind::InputCharacters, n),
            ("CHARACTERS", Some(UsageKind::Output)) => usage.add(UsageKind::OutputCharacters, n),
            ("REQUESTS", _) => usage.add(UsageKind::Requests, n),
            ("TOKENS", None) => usage.add_other(key, n),
            (unit, _) => usage.add_other(&format!("{key}_{}", unit.to_ascii_lowercase()), n),
        }
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ParsedUsage {
        parse_usage(json.as_bytes(), None).unwrap()
    }

    #[test]
    fn openai_chat_cached_tokens_are_not_counted_twice() {
        let p =
            parse(r#"{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}"#);
        assert_eq!(p.format, UsageFormat::OpenAiChat);
        assert_eq!(p.usage.get(UsageKind::Input), 6000);
        assert_eq!(p.usage.get(UsageKind::CacheRead), 4000);
        assert_eq!(p.usage.get(UsageKind::Output), 500);
        assert_eq!(p.usage.prompt_tokens(), 10000);
    }

    #[test]
    fn openai_chat_reasoning_and_audio_are_split_out_of_their_totals() {
        let p = parse(
            r#"{"usage":{"prompt_tokens":100,"completion_tokens":900,
                "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":30},
                "completion_tokens_details":{"reasoning_tokens":700,"audio_tokens":50,"accepted_prediction_tokens":0}},
                "model":"o3-2025-04-16","service_tier":"flex"}"#,
        );
        assert_eq!(p.model.as_deref(), Some("o3-2025-04-16"));
        assert_eq!(p.service_tier.as_deref(), Some("flex"));
        let u = &p.usage;
        assert_eq!((u.get(UsageKind::Input), u.get(UsageKind::AudioInput)), (70, 30));
        assert_eq!(
            (u.get(UsageKind::Output), u.get(UsageKind::Reasoning), u.get(UsageKind::AudioOutput)),
            (150, 700, 50)
        );
    }

    #[test]
    fn details_larger_than_their_total_are_refused() {
        let e = parse_usage(
            br#"{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}"#,
            None,
        )
        .unwrap_err();
        assert!(matches!(e, UsageError::Inconsistent(_)), "{e:?}");
        assert!(e.to_string().contains("cached_tokens` (11) exceed `prompt_tokens` (10)"), "{e}");
    }

    #[test]
    fn openai_responses_usage() {
        let p = parse(
            r#"{"type":"response.completed","response":{"model":"gpt-5","usage":{"input_tokens":2000,
                "input_tokens_details":{"cached_tokens":1500},"output_tokens":300,
                "output_tokens_details":{"reasoning_tokens":256},"total_tokens":2300}}}"#,
        );
        assert_eq!(p.format, UsageFormat::OpenAiResponses);
        assert_eq!(p.model.as_deref(), Some("gpt-5"));
        assert_eq!(p.usage.get(UsageKind::Input), 500);
        assert_eq!(p.usage.get(UsageKind::CacheRead), 1500);
        assert_eq!(p.usage.get(UsageKind::Output), 44);
        assert_eq!(p.usage.get(UsageKind::Reasoning), 256);
    }

    #[test]
    fn anthropic_input_excludes_cache_and_splits_write_lifetimes() {
        let p = parse(
            r#"{"type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":50,"cache_read_input_tokens":10000,
                "cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},
                "output_tokens":400,"server_tool_use":{"web_search_requests":2}}}"#,
        );
        assert_eq!(p.format, UsageFormat::Anthropic);
        let u = &p.usage;
        assert_eq!(u.get(UsageKind::Input), 50);
        assert_eq!(u.get(UsageKind::CacheRead), 10000);
        assert_eq!((u.get(UsageKind::CacheWrite5m), u.get(UsageKind::CacheWrite1h)), (1000, 2000));
        assert_eq!(u.other().get("web_search_requests"), Some(&2));
        assert_eq!(u.prompt_tokens(), 13050);
    }

    #[test]
    fn anthropic_without_split_writes_5m_and_a_bad_split_is_refused() {
        let p = parse(r#"{"input_tokens":5,"cache_creation_input_tokens":70,"output_tokens":1}"#);
        assert_eq!(p.usage.get(UsageKind::CacheWrite5m), 70);
        let e = parse_usage(
            br#"{"input_tokens":5,"cache_creation_input_tokens":70,"cache_creation":{"ephemeral_5m_input_tokens":1}}"#,
            None,
        )
        .unwrap_err();
        assert!(matches!(e, UsageError::Inconsistent(_)) && e.to_string().contains("says 70"), "{e}");
    }

    #[test]
    fn gemini_usage_metadata() {
        let p = parse(
            r#"{"usageMetadata":{"promptTokenCount":250000,"cachedContentTokenCount":50000,"candidatesTokenCount":800,
                "thoughtsTokenCount":200,"totalTokenCount":251000,
                "promptTokensDetails":[{"modality":"TEXT","tokenCount":249000},{"modality":"AUDIO","tokenCount":1000}]},
                "modelVersion":"gemini-2.5-pro"}"#,
        );
        assert_eq!(p.format, UsageFormat::Gemini);
        assert_eq!(p.model.as_deref(), Some("gemini-2.5-pro"));
        let u = &p.usage;
        assert_eq!(
            (u.get(UsageKind::Input), u.get(UsageKind::CacheRead), u.get(UsageKind::AudioInput)),
            (199000, 50000, 1000)
        );
        assert_eq!((u.get(UsageKind::Output), u.get(UsageKind::Reasoning)), (800, 200));
        assert_eq!(u.prompt_tokens(), 250000);
    }

    #[test]
    fn langfuse_usage_details_and_legacy_units() {
        let p = parse(r#"{"input":1500,"output":1000,"input_cached_tokens":200,"total":2700,"web_search_queries":1}"#);
        assert_eq!(p.format, UsageFormat::Langfuse);
        assert_eq!((p.usage.get(UsageKind::Input), p.usage.get(UsageKind::CacheRead)), (1500, 200));
        assert_eq!(p.usage.other().get("web_search_queries"), Some(&1));
        let c = parse(r#"{"usage":{"input":120,"output":40,"unit":"CHARACTERS"}}"#);
        assert_eq!(c.usage.get(UsageKind::InputCharacters), 120);
        assert_eq!(c.usage.get(UsageKind::OutputCharacters), 40);
    }

    #[test]
    fn bad_usage_names_the_field() {
        let cases: [(&[u8], &str); 7] = [
            (b"{\"prompt_tokens\":-5}", "`prompt_tokens` is negative"),
            (b"{\"prompt_tokens\":1.5}", "`prompt_tokens` is 1.5"),
            (
                b"{\"usage\":{\"prompt_tokens\":\"7\"}}",
                "`usage.prompt_tokens` should be a whole number, found a string",
            ),
            (b"{\"prompt_tokens\":1,\"prompt_tokens_details\":[]}", "`prompt_tokens_details` should be an object"),
            (b"[1,2]", "expected a JSON object, found an array"),
            (b"{\"prompt_tokens\":1", "not valid JSON"),
            (b"{\"foo\":1}", "cannot tell the usage format"),
        ];
        for (json, expected) in cases {
            let e = parse_usage(json, None).unwrap_err();
            assert!(e.to_string().contains(expected), "{e} should contain {expected}");
        }
        assert!(parse_usage(b"{\"prompt_tokens\":1}\xff", None).is_err());
    }

    #[test]
    fn nulls_are_absent() {
        let p = parse(r#"{"prompt_tokens":10,"completion_tokens":null,"prompt_tokens_details":null}"#);
        assert_eq!(p.usage.get(UsageKind::Input), 10);
        assert_eq!(p.usage.get(UsageKind::Output), 0);
    }

    #[test]
    fn forced_format_overrides_detection() {
        // The same numbers read as inclusive (OpenAI) or exclusive (Anthropic).
        let json = br#"{"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"cache_read_input_tokens":40}"#;
        let openai = parse_usage(json, Some(UsageFormat::OpenAiResponses)).unwrap();
        let anthropic = parse_usage(json, Some(UsageFormat::Anthropic)).unwrap();
        assert_eq!(openai.usage.get(UsageKind::Input), 60);
        assert_eq!(anthropic.usage.get(UsageKind::Input), 100);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn output_tokens(u: &Usage) -> u64 {
            [UsageKind::Output, UsageKind::Reasoning, UsageKind::AudioOutput].iter().map(|&k| u.get(k)).sum()
        }

        proptest! {
            /// OpenAI totals are conserved: every prompt and completion token lands in
            /// exactly one kind, whatever the split.
            #[test]
            fn openai_conserves_totals(prompt in 0u64..1 << 40, completion in 0u64..1 << 40,
                                       c in 0u64..=100, a in 0u64..=100, r in 0u64..=100, ao in 0u64..=100) {
                let cached = prompt / 100 * c / 2;
                let audio = prompt / 100 * a / 2;
                let reasoning = completion / 100 * r / 2;
                let audio_out = completion / 100 * ao / 2;
                for (total_in, total_out, details_in, details_out) in [
                    ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"),
                    ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"),
                ] {
                    let json = format!(r#"{{"{total_in}":{prompt},"{total_out}":{completion},
                        "{details_in}":{{"cached_tokens":{cached},"audio_tokens":{audio}}},
                        "{details_out}":{{"reasoning_tokens":{reasoning},"audio_tokens":{audio_out}}}}}"#);
                    let p = parse_usage(json.as_bytes(), None).unwrap();
                    prop_assert_eq!(p.usage.prompt_tokens(), prompt);
                    prop_assert_eq!(output_tokens(&p.usage), completion);
                    prop_assert_eq!(p.usage.get(UsageKind::CacheRead), cached);
                }
            }

            /// Details larger than their total are always refused, never clamped.
            #[test]
            fn openai_refuses_details_beyond_total(prompt in 0u64..1 << 40, extra in 1u64..1000) {
                let json = format!(r#"{{"prompt_tokens":{prompt},"prompt_tokens_details":{{"cached_tokens":{}}}}}"#, prompt + extra);
                prop_assert!(parse_usage(json.as_bytes(), None).is_err());
            }

            /// Anthropic's counts are exclusive: the prompt is their sum.
            #[test]
            fn anthropic_prompt_is_the_sum(input in 0u64..1 << 40, read in 0u64..1 << 40, w5 in 0u64..1 << 40, w1 in 0u64..1 << 40) {
                let json = format!(r#"{{"input_tokens":{input},"cache_read_input_tokens":{read},"cache_creation_input_tokens":{},
                    "cache_creation":{{"ephemeral_5m_input_tokens":{w5},"ephemeral_1h_input_tokens":{w1}}},"output_tokens":1}}"#, w5 + w1);
                let p = parse_usage(json.as_bytes(), None).unwrap();
                prop_assert_eq!(p.format, UsageFormat::Anthropic);
                prop_assert_eq!(p.usage.prompt_tokens(), input + read + w5 + w1);
            }

            /// Gemini's prompt count includes the cached part; thoughts are extra output.
            #[test]
            fn gemini_conserves_totals(prompt in 0u64..1 << 40, c in 0u64..=100, candidates in 0u64..1 << 40, thoughts in 0u64..1 << 40) {
                let cached = prompt / 100 * c;
                let json = format!(r#"{{"promptTokenCount":{prompt},"cachedContentTokenCount":{cached},
                    "candidatesTokenCount":{candidates},"thoughtsTokenCount":{thoughts}}}"#);
                let p = parse_usage(json.as_bytes(), None).unwrap();
                prop_assert_eq!(p.usage.prompt_tokens(), prompt);
                prop_assert_eq!(output_tokens(&p.usage), candidates + thoughts);
            }

            /// Arbitrary bytes never panic.
            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = parse_usage(&bytes, None);
            }
        }
    }
}
