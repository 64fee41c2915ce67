//! Request bodies read into what is billed as prompt: text, overheads, images
//! and cache breakpoints, each with the rule (and its source) it is counted by.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{Map, Value};

use super::image::{base64_image_size, data_url_size, ImageRule};
use super::ratios::Scale;
use super::template::Template;
use super::{invalid, Counter, Range, RequestRules, Segment, Ttl};
use crate::error::{Error, RefusalKind};
use crate::json::kind_of;
use crate::pricing::{Mode, Model};
use crate::tokens::Encoding;

/// The request shapes farebox reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestFormat {
    /// `POST /v1/chat/completions`
    OpenAiChat,
    /// `POST /v1/responses`
    OpenAiResponses,
    /// `POST /v1/messages`
    Anthropic,
    /// `POST /v1beta/models/{model}:generateContent`
    Gemini,
    /// `POST /v1/embeddings`
    OpenAiEmbeddings,
}

impl RequestFormat {
    pub const fn name(self) -> &'static str {
        match self {
            RequestFormat::OpenAiChat => "openai_chat",
            RequestFormat::OpenAiResponses => "openai_responses",
            RequestFormat::Anthropic => "anthropic",
            RequestFormat::Gemini => "gemini",
            RequestFormat::OpenAiEmbeddings => "openai_embeddings",
        }
    }

    pub fn from_name(name: &str) -> Option<RequestFormat> {
        [
            RequestFormat::OpenAiChat,
            RequestFormat::OpenAiResponses,
            RequestFormat::Anthropic,
            RequestFormat::Gemini,
            RequestFormat::OpenAiEmbeddings,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }

    /// From the body's shape; `messages` is both OpenAI's and Anthropic's, so
    /// the model's provider decides between them.
    pub(crate) fn detect(obj: &Map<String, Value>, model: &Model) -> Result<RequestFormat, Error> {
        if obj.contains_key("contents") {
            Ok(RequestFormat::Gemini)
        } else if obj.contains_key("messages") {
            let claude = model.id.to_ascii_lowercase().contains("claude");
            Ok(if claude { RequestFormat::Anthropic } else { RequestFormat::OpenAiChat })
        } else if ["input", "prompt", "conversation", "previous_response_id"].iter().any(|k| obj.contains_key(*k)) {
            // A Responses request may take its whole input from a stored prompt or conversation.
            Ok(if model.mode == Mode::Embedding {
                RequestFormat::OpenAiEmbeddings
            } else {
                RequestFormat::OpenAiResponses
            })
        } else {
            Err(invalid(String::from(
                "cannot tell the request format: expected `messages` (OpenAI Chat, Anthropic), `input` (Responses, embeddings) or `contents` (Gemini)",
            )))
        }
    }
}

/// One billable element of a prompt.
enum Item<'a> {
    Text(&'a str),
    /// A chat message's framing and role, by the model's chat template ([`Template`]).
    Message(&'a str),
    /// A chat message's `name`.
    Name(&'a str),
    /// The framing before a chat's reply.
    Reply,
    /// Tokens the API adds around messages; exact where the provider documents them.
    Overhead(Range),
    Image {
        size: Option<(u64, u64)>,
        low_detail: bool,
    },
    /// OpenAI function definitions, by the cookbook's formula (its constants
    /// depend on the encoding: see [`openai_tools`]).
    OpenAiTools(Vec<&'a Value>),
    /// Text that is sent as JSON (tool schemas, tool inputs): counted as compact JSON.
    Json(&'a Value),
    /// Everything before it is written to Anthropic's prompt cache.
    Breakpoint(Ttl),
}

/// A request read into items.
pub(crate) struct Parsed<'a> {
    items: Vec<Item<'a>>,
    /// OpenAI predicted outputs: rejected prediction tokens are billed as
    /// completion tokens, so this text's count is added to each choice's output.
    prediction: Vec<Item<'a>>,
    pub max_output: Option<u64>,
    pub service_tier: Option<String>,
    /// Completions generated (Chat `n`, Gemini `candidateCount`): each may use the whole allowance.
    pub choices: u64,
    /// The request can produce audio output.
    pub audio_output: bool,
    /// Fields naming context the provider adds to the prompt from storage.
    pub stored_context: Vec<String>,
    /// Read by the `google-genai` SDK's rules, which left these out (what
    /// they are): counted another way, as estimates.
    pub sdk_skipped: Vec<&'static str>,
    /// The chat names gpt-3.5-turbo-0301, whose framing constants differ.
    gpt35_0301: bool,
}

/// OpenAI documents 3 tokens per message (4 for gpt-3.5-turbo-0301), 1 per
/// name (−1 there) and 3 priming the reply: OpenAI cookbook, "How to count
/// tokens with tiktoken". Other APIs do not publish theirs: 0–6 per message.
const UNDOCUMENTED_MESSAGE: Range = Range { tokens: 3, exact: false, low: 0, high: 6 };

/// Under a guard's rules, a named service tier must be one the API serves a
/// call at and farebox prices: OpenAI's `auto`, `default`, `flex`,
/// `priority`; Anthropic's `auto`, `standard_only`. Anything else (`batch`,
/// which only the Batch API bills; a tier added tomorrow) is refused.
fn service_tier_known(format: RequestFormat, tier: Option<&str>) -> Result<(), Error> {
    let Some(tier) = tier else { return Ok(()) };
    let known: &[&str] = match format {
        RequestFormat::OpenAiChat | RequestFormat::OpenAiResponses => &["auto", "default", "flex", "priority"],
        RequestFormat::Anthropic => &["auto", "standard_only"],
        RequestFormat::Gemini | RequestFormat::OpenAiEmbeddings => &[],
    };
    if known.contains(&tier) {
        return Ok(());
    }
    Err(Error::Refused {
        kind: RefusalKind::UnknownField,
        detail: format!(
            "`service_tier` `{tier}` is not a tier farebox can price for this API (known: {}): leave it out or use one of those",
            if known.is_empty() { String::from("none") } else { known.join(", ") }
        ),
    })
}

/// `sdk`: read a Gemini body as the `google-genai` SDK's local tokenizer
/// reads it ([`gemini`]), for a model that SDK counts with Gemma 3.
pub(crate) fn read<'a>(
    format: RequestFormat,
    obj: &'a Map<String, Value>,
    rules: &RequestRules,
    sdk: bool,
) -> Result<Parsed<'a>, Error> {
    let mut p = Parsed::empty();
    p.service_tier = obj.get("service_tier").and_then(Value::as_str).map(String::from);
    if rules.refuse_unknown_fields {
        service_tier_known(format, p.service_tier.as_deref())?;
    }
    match format {
        RequestFormat::OpenAiChat => openai_chat(obj, &mut p)?,
        RequestFormat::OpenAiResponses => openai_responses(obj, &mut p, rules)?,
        RequestFormat::Anthropic => anthropic(obj, &mut p)?,
        RequestFormat::Gemini => gemini(obj, &mut p, rules, sdk)?,
        RequestFormat::OpenAiEmbeddings => embeddings(obj, &mut p)?,
    }
    // Known fields that add cost are refused above with their own reason;
    // what is left unknown is refused last, and only when asked.
    if rules.refuse_unknown_fields {
        let known = match format {
            RequestFormat::OpenAiChat => CHAT_FIELDS,
            RequestFormat::OpenAiResponses => RESPONSES_FIELDS,
            RequestFormat::Anthropic => ANTHROPIC_FIELDS,
            RequestFormat::Gemini => GEMINI_FIELDS,
            RequestFormat::OpenAiEmbeddings => EMBEDDINGS_FIELDS,
        };
        unknown_fields(obj, known, "", format == RequestFormat::Gemini)?;
    }
    Ok(p)
}

/// Top-level fields known not to add cost beyond what the reader counts (or
/// that it refuses with a reason of their own), from each API's reference:
/// OpenAI "Create chat completion", "Create a model response", "Create
/// embeddings"; Anthropic "Messages"; Google "generateContent" (REST; the
/// snake_case spellings of Gemini's fields are accepted too).
const CHAT_FIELDS: &[&str] = &[
    "model",
    "messages",
    "audio",
    "frequency_penalty",
    "function_call",
    "functions",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "metadata",
    "modalities",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
];
const RESPONSES_FIELDS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "background",
    "conversation",
    "include",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
];
const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "thinking",
    "tool_choice",
    "tools",
    "top_k",
    "top_p",
    "service_tier",
    "container",
    "mcp_servers",
    "output_format",
    "output_config",
];
const GEMINI_FIELDS: &[&str] = &[
    "model",
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
    "labels",
];
/// `generationConfig` keys. Left out on purpose: `mediaResolution` (changes
/// image tokens beyond the formulas here) and `routingConfig`.
const GEMINI_GENERATION_FIELDS: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "_responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "audioTimestamp",
];
const EMBEDDINGS_FIELDS: &[&str] = &["model", "input", "dimensions", "encoding_format", "user"];

/// Refuses the first key of `obj` not in `known` (`snake_case` spellings of
/// camelCase names accepted when `gemini`).
fn unknown_fields(obj: &Map<String, Value>, known: &[&str], path: &str, gemini: bool) -> Result<(), Error> {
    for key in obj.keys() {
        let ok = known.contains(&key.as_str()) || (gemini && known.iter().any(|k| snake_eq(k, key)));
        if !ok {
            let field = crate::json::join(path, key);
            return Err(refuse(
                RefusalKind::UnknownField,
                format!(
                    "`{field}` is a field farebox does not know, and a field it does not know may cost money: \
                     remove it, or turn off `refuse_unknown_fields` to ignore unknown fields"
                ),
            ));
        }
    }
    Ok(())
}

/// `camel` (`maxOutputTokens`) spelled in snake_case is `snake` (`max_output_tokens`).
fn snake_eq(camel: &str, snake: &str) -> bool {
    let mut s = snake.bytes();
    for c in camel.bytes() {
        if c.is_ascii_uppercase() {
            if s.next() != Some(b'_') || s.next() != Some(c.to_ascii_lowercase()) {
                return false;
            }
        } else if s.next() != Some(c) {
            return false;
        }
    }
    s.next().is_none()
}

pub(crate) fn refuse(kind: RefusalKind, detail: String) -> Error {
    Error::Refused { kind, detail }
}

fn server_tool(what: &str) -> Error {
    refuse(
        RefusalKind::ServerTool,
        format!(
            "{what} is a tool the provider runs itself: it is billed per call and each of its internal turns \
             bills the context again, so the request shows no bound on the cost; remove it to send this request"
        ),
    )
}

fn unknown_tool(what: &str) -> Error {
    refuse(
        RefusalKind::UnknownTool,
        format!(
            "{what} is a tool type whose cost farebox does not know (its added prompt tokens are not documented, \
             or the type is new): use function tools, or remove it"
        ),
    )
}

/// A stored-context field, if present and not null.
fn note_stored(obj: &Map<String, Value>, keys: &[&str], p: &mut Parsed<'_>) {
    for key in keys {
        if obj.get(*key).is_some_and(|v| !v.is_null()) {
            p.stored_context.push(String::from(*key));
        }
    }
}

/// A multiplier of the output (`n`, `candidateCount`): a whole number in `1..=max`; absent or null is 1.
fn choices(obj: &Map<String, Value>, key: &str, path: &str, max: u64) -> Result<u64, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=max).contains(&n)) => Ok(n.as_u64().unwrap_or(1)),
        Some(other) => Err(invalid(format!("`{path}{key}` must be a whole number from 1 to {max}, found {other}"))),
    }
}

fn limit(obj: &Map<String, Value>, keys: &[&str]) -> Result<Option<u64>, Error> {
    for key in keys {
        match obj.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                return n
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| invalid(format!("`{key}` must be a whole number ≥ 0, found {n}")));
            }
            Some(other) => return Err(invalid(format!("`{key}` must be a number, found {}", kind_of(other)))),
        }
    }
    Ok(None)
}

fn array<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], Error> {
    match obj.get(key) {
        Some(Value::Array(a)) => Ok(a),
        None | Some(Value::Null) => Ok(&[]),
        Some(other) => Err(invalid(format!("`{key}` must be an array, found {}", kind_of(other)))),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| invalid(format!("`{path}` must be an object, found {}", kind_of(v))))
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<Option<&'a str>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(format!("`{path}.{key}` must be a string, found {}", kind_of(other)))),
    }
}

fn role<'a>(m: &'a Map<String, Value>, path: &str, allowed: &[&str]) -> Result<&'a str, Error> {
    let role = str_field(m, "role", path)?.ok_or_else(|| invalid(format!("`{path}` has no `role`")))?;
    if allowed.contains(&role) {
        Ok(role)
    } else {
        Err(invalid(format!("`{path}.role` is `{role}`; expected one of {}", allowed.join(", "))))
    }
}

fn openai_chat<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>) -> Result<(), Error> {
    p.max_output = limit(obj, &["max_completion_tokens", "max_tokens"])?;
    p.choices = choices(obj, "n", "", 128)?;
    if obj.get("web_search_options").is_some_and(|v| !v.is_null()) {
        return Err(server_tool("`web_search_options` (web search)"));
    }
    // Output modalities: text, and audio with `modalities: ["text", "audio"]` / `audio`.
    for (i, m) in array(obj, "modalities")?.iter().enumerate() {
        match m.as_str() {
            Some("text") => {}
            Some("audio") => p.audio_output = true,
            _ => {
                return Err(refuse(
                    RefusalKind::UnpricedModality,
                    format!("`modalities[{i}]` is {m}; farebox prices text and audio output only"),
                ))
            }
        }
    }
    if obj.get("audio").is_some_and(|v| !v.is_null()) {
        p.audio_output = true;
    }
    // Predicted outputs: rejected prediction tokens are billed as completion tokens.
    if let Some(prediction) = obj.get("prediction").filter(|v| !v.is_null()) {
        let prediction = object(prediction, "prediction")?;
        let mut predicted = Parsed::empty();
        openai_content(prediction.get("content").unwrap_or(&Value::Null), "prediction.content", &mut predicted)?;
        p.prediction = predicted.items;
    }
    // A response schema is sent to the model as part of the prompt.
    if let Some(format) = obj.get("response_format").filter(|v| !v.is_null()) {
        p.items.push(Item::Json(format));
    }
    let model = obj.get("model").and_then(Value::as_str).unwrap_or("");
    p.gpt35_0301 = model.contains("gpt-3.5-turbo-0301");
    let messages = array(obj, "messages")?;
    if messages.is_empty() {
        return Err(invalid(String::from("`messages` is missing or empty")));
    }
    for (i, m) in messages.iter().enumerate() {
        let path = format!("messages[{i}]");
        let m = object(m, &path)?;
        let role = role(m, &path, &["system", "developer", "user", "assistant", "tool", "function"])?;
        p.items.push(Item::Message(role));
        // The cookbook counts every string field of a message.
        for (key, value) in m {
            match (key.as_str(), value) {
                ("role", _) | (_, Value::Null) => {}
                ("content", content) => openai_content(content, &format!("{path}.content"), p)?,
                ("name", Value::String(name)) => p.items.push(Item::Name(name)),
                ("tool_calls" | "function_call", calls) => {
                    // Rendered by the API in an undocumented format: the JSON, as an estimate.
                    p.items.push(Item::Json(calls));
                    p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
                }
                (_, Value::String(s)) => p.items.push(Item::Text(s)),
                _ => {}
            }
        }
    }
    p.items.push(Item::Reply);
    // `tools`, or the legacy `functions` (each entry the function itself).
    let mut functions = Vec::new();
    for (i, tool) in array(obj, "tools")?.iter().enumerate() {
        let path = format!("tools[{i}]");
        match str_field(object(tool, &path)?, "type", &path)? {
            None | Some("function") => functions.push(tool),
            // A freeform tool the client runs: its definition is prompt text.
            Some("custom") => p.items.push(Item::Json(tool)),
            Some(other) => return Err(unknown_tool(&format!("`{path}` (`{other}`)"))),
        }
    }
    functions.extend(array(obj, "functions")?);
    if !functions.is_empty() {
        p.items.push(Item::OpenAiTools(functions));
    }
    Ok(())
}

/// Chat content: a string, or parts (`text`, `image_url`, ...).
fn openai_content<'a>(content: &'a Value, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
    match content {
        Value::String(s) => p.items.push(Item::Text(s)),
        Value::Array(parts) => {
            for (j, part) in parts.iter().enumerate() {
                let part_path = format!("{path}[{j}]");
                let part = object(part, &part_path)?;
                match str_field(part, "type", &part_path)? {
                    Some("text" | "input_text" | "output_text" | "refusal") => {
                        let text = str_field(part, "text", &part_path)?.or(str_field(part, "refusal", &part_path)?);
                        p.items.push(Item::Text(text.unwrap_or("")));
                    }
                    Some("image_url" | "input_image") => {
                        let (url, detail) = match part.get("image_url") {
                            Some(Value::Object(img)) => (str_field(img, "url", &part_path)?, str_field(img, "detail", &part_path)?),
                            Some(Value::String(url)) => (Some(url.as_str()), str_field(part, "detail", &part_path)?),
                            _ => (None, str_field(part, "detail", &part_path)?),
                        };
                        p.items.push(Item::Image { size: url.and_then(data_url_size), low_detail: detail == Some("low") });
                    }
                    Some(other) => {
                        return Err(invalid(format!(
                            "`{part_path}` is a `{other}` part, which farebox cannot estimate yet (text and images are supported)"
                        )))
                    }
                    None => return Err(invalid(format!("`{part_path}` has no `type`"))),
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(invalid(format!("`{path}` must be a string or an array of parts, found {}", kind_of(other))))
        }
    }
    Ok(())
}

fn openai_responses<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>, rules: &RequestRules) -> Result<(), Error> {
    p.max_output = limit(obj, &["max_output_tokens"])?;
    if obj.get("background").and_then(Value::as_bool) == Some(true) && !rules.allow_background {
        return Err(refuse(
            RefusalKind::Background,
            String::from(
                "`background: true` answers at once and reports usage only when the response is polled, so its \
                 cost cannot be settled when it is made: send it without `background`, or set the policy's \
                 `background` to `allow`",
            ),
        ));
    }
    note_stored(obj, &["previous_response_id", "conversation", "prompt"], p);
    for (i, tool) in array(obj, "tools")?.iter().enumerate() {
        let path = format!("tools[{i}]");
        match str_field(object(tool, &path)?, "type", &path)? {
            Some("function" | "custom") => p.items.push(Item::Json(tool)),
            Some(
                t @ ("file_search"
                | "code_interpreter"
                | "image_generation"
                | "computer_use_preview"
                | "computer_use"
                | "mcp"),
            ) => return Err(server_tool(&format!("`{path}` (`{t}`)"))),
            Some(t) if t.starts_with("web_search") => return Err(server_tool(&format!("`{path}` (`{t}`)"))),
            Some(t) => return Err(unknown_tool(&format!("`{path}` (`{t}`)"))),
            None => return Err(invalid(format!("`{path}` has no `type`"))),
        }
    }
    // A response schema (`text.format`) is sent to the model as part of the prompt.
    if let Some(format) = obj.get("text").and_then(|t| t.get("format")).filter(|v| !v.is_null()) {
        p.items.push(Item::Json(format));
    }
    if let Some(instructions) = str_field(obj, "instructions", "")? {
        p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
        p.items.push(Item::Text(instructions));
    }
    match obj.get("input") {
        Some(Value::String(s)) => {
            p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
            p.items.push(Item::Text(s));
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("input[{i}]");
                let item = object(item, &path)?;
                p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
                match str_field(item, "type", &path)? {
                    None | Some("message") => {
                        role(item, &path, &["system", "developer", "user", "assistant"])?;
                        openai_content(item.get("content").unwrap_or(&Value::Null), &format!("{path}.content"), p)?;
                    }
                    Some("function_call") => {
                        p.items.push(Item::Text(str_field(item, "name", &path)?.unwrap_or("")));
                        p.items.push(Item::Text(str_field(item, "arguments", &path)?.unwrap_or("")));
                    }
                    Some("function_call_output" | "custom_tool_call_output") => match item.get("output") {
                        Some(Value::String(s)) => p.items.push(Item::Text(s)),
                        Some(other) => p.items.push(Item::Json(other)),
                        None => {}
                    },
                    Some("custom_tool_call") => {
                        p.items.push(Item::Text(str_field(item, "name", &path)?.unwrap_or("")));
                        p.items.push(Item::Text(str_field(item, "input", &path)?.unwrap_or("")));
                    }
                    // An earlier item the provider fetches from storage.
                    Some("item_reference") => p.stored_context.push(format!("{path} (item_reference)")),
                    Some(other) => {
                        return Err(invalid(format!("`{path}` is a `{other}` item, which farebox cannot estimate yet")))
                    }
                }
            }
        }
        Some(other) => return Err(invalid(format!("`input` must be a string or an array, found {}", kind_of(other)))),
        // The whole input may come from a stored prompt or conversation.
        None if !p.stored_context.is_empty() => {}
        None => return Err(invalid(String::from("`input` is missing"))),
    }
    Ok(())
}

/// The `cache_control` of a block, if it marks a breakpoint.
fn breakpoint(block: &Map<String, Value>) -> Option<Ttl> {
    let cc = block.get("cache_control")?.as_object()?;
    Some(if cc.get("ttl").and_then(Value::as_str) == Some("1h") { Ttl::OneHour } else { Ttl::FiveMinutes })
}

fn anthropic<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>) -> Result<(), Error> {
    p.max_output = limit(obj, &["max_tokens"])?;
    if p.max_output.is_none() {
        return Err(invalid(String::from("`max_tokens` is required by the Messages API")));
    }
    if array(obj, "mcp_servers")?.iter().next().is_some() {
        return Err(server_tool("`mcp_servers` (MCP connector)"));
    }
    if obj.get("container").is_some_and(|v| !v.is_null()) {
        return Err(server_tool("`container` (code execution and skills)"));
    }
    // The prompt is tools, then system, then messages: the order caching follows.
    let tools = array(obj, "tools")?;
    if !tools.is_empty() {
        // The tool-use system prompt Anthropic adds whenever tools are given:
        // 346 tokens (`auto`/`none`) or 313 (`any`/`tool`) on current models,
        // 159-530 on older ones (Anthropic, "Tool use with Claude — pricing").
        // First, so that a breakpoint anywhere prices it as a cache write.
        p.items.push(Item::Overhead(Range::estimate(346, 159, 530)));
    }
    for (i, tool) in tools.iter().enumerate() {
        let path = format!("tools[{i}]");
        let t = object(tool, &path)?;
        match str_field(t, "type", &path)? {
            None | Some("custom") => {}
            // Anthropic-defined client tools: fixed extra input tokens per tool,
            // as documented (Anthropic, "Bash tool", "Text editor tool",
            // "Computer use tool" — pricing sections): bash 245; text editor
            // 700; computer use 735 per definition plus its 466-499-token
            // system prompt.
            Some(ty) if ty.starts_with("bash_") => p.items.push(Item::Overhead(Range::estimate(245, 245, 245))),
            Some(ty) if ty.starts_with("text_editor_") => p.items.push(Item::Overhead(Range::estimate(700, 700, 700))),
            Some(ty) if ty.starts_with("computer_") => {
                p.items.push(Item::Overhead(Range::estimate(735 + 499, 735 + 466, 735 + 499)))
            }
            Some(ty)
                if ["web_search_", "web_fetch_", "code_execution_", "tool_search_tool_", "mcp_toolset"]
                    .iter()
                    .any(|s| ty.starts_with(s)) =>
            {
                return Err(server_tool(&format!("`{path}` (`{ty}`)")))
            }
            Some(ty) => return Err(unknown_tool(&format!("`{path}` (`{ty}`)"))),
        }
        p.items.push(Item::Json(tool));
        if let Some(ttl) = breakpoint(t) {
            p.items.push(Item::Breakpoint(ttl));
        }
    }
    if let Some(system) = obj.get("system").filter(|s| !s.is_null()) {
        anthropic_content(system, "system", p)?;
    }
    // A response schema (structured outputs) is sent to the model as part of the prompt.
    let output_config_format = obj.get("output_config").and_then(|c| c.get("format"));
    for format in [obj.get("output_format"), output_config_format].into_iter().flatten() {
        if !format.is_null() {
            p.items.push(Item::Json(format));
        }
    }
    let messages = array(obj, "messages")?;
    if messages.is_empty() {
        return Err(invalid(String::from("`messages` is missing or empty")));
    }
    for (i, m) in messages.iter().enumerate() {
        let path = format!("messages[{i}]");
        let m = object(m, &path)?;
        role(m, &path, &["user", "assistant"])?;
        p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
        let content = m.get("content").ok_or_else(|| invalid(format!("`{path}` has no `content`")))?;
        anthropic_content(content, &format!("{path}.content"), p)?;
    }
    Ok(())
}

/// A system prompt or message content: a string, or content blocks.
fn anthropic_content<'a>(content: &'a Value, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
    match content {
        Value::String(s) => p.items.push(Item::Text(s)),
        Value::Array(blocks) => {
            for (j, block) in blocks.iter().enumerate() {
                anthropic_block(block, &format!("{path}[{j}]"), p)?;
            }
        }
        other => return Err(invalid(format!("`{path}` must be a string or blocks, found {}", kind_of(other)))),
    }
    Ok(())
}

fn anthropic_block<'a>(block: &'a Value, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
    let b = object(block, path)?;
    match str_field(b, "type", path)? {
        Some("text") => p.items.push(Item::Text(str_field(b, "text", path)?.unwrap_or(""))),
        Some("thinking") => p.items.push(Item::Text(str_field(b, "thinking", path)?.unwrap_or(""))),
        Some("image") => {
            let size = b
                .get("source")
                .and_then(Value::as_object)
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("base64"))
                .and_then(|s| base64_image_size(s.get("data")?.as_str()?));
            p.items.push(Item::Image { size, low_detail: false });
        }
        Some("tool_use") => {
            p.items.push(Item::Text(str_field(b, "name", path)?.unwrap_or("")));
            p.items.push(Item::Json(b.get("input").unwrap_or(&Value::Null)));
        }
        Some("tool_result") => match b.get("content") {
            Some(Value::String(s)) => p.items.push(Item::Text(s)),
            Some(Value::Array(inner)) => {
                for (k, c) in inner.iter().enumerate() {
                    anthropic_block(c, &format!("{path}.content[{k}]"), p)?;
                }
            }
            _ => {}
        },
        Some(other) => {
            return Err(invalid(format!("`{path}` is a `{other}` block, which farebox cannot estimate yet")))
        }
        None => return Err(invalid(format!("`{path}` has no `type`"))),
    }
    if let Some(ttl) = breakpoint(b) {
        p.items.push(Item::Breakpoint(ttl));
    }
    Ok(())
}

/// A Gemini `generateContent` body. With `sdk`, the prompt is what the
/// `google-genai` SDK's `LocalTokenizer.count_tokens` counts
/// (`local_tokenizer.py`, `_TextsAccumulator`, google-genai 3.6.1): each text
/// part; a function call's name and its arguments' keys and string values; a
/// function response's name and its response's keys and string values; each
/// function declaration's name, description and parameter and response
/// schemas ([`sdk_schema`]); the response schema; the system instruction's
/// texts. Each string is counted alone and the counts summed; nothing is
/// added per turn (the SDK counts no chat template). What the SDK does not
/// read (JSON schemas given as `parametersJsonSchema` or
/// `responseJsonSchema`) is counted as JSON text, an estimate, and named in
/// `sdk_skipped`; images are estimated by their formula.
fn gemini<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>, rules: &RequestRules, sdk: bool) -> Result<(), Error> {
    note_stored(obj, &["cachedContent", "cached_content"], p);
    if let Some(config) = obj.get("generationConfig").or(obj.get("generation_config")).filter(|c| !c.is_null()) {
        let config = object(config, "generationConfig")?;
        // Thinking tokens (`thoughtsTokenCount`) count against `maxOutputTokens`
        // with the candidates' own: a response that thinks up to the limit ends
        // with MAX_TOKENS and no text (googleapis/python-genai#782, #811, #2062).
        p.max_output = limit(config, &["maxOutputTokens", "max_output_tokens"])?;
        let key = if config.contains_key("candidate_count") { "candidate_count" } else { "candidateCount" };
        p.choices = choices(config, key, "generationConfig.", 8)?;
        let key = if config.contains_key("response_modalities") { "response_modalities" } else { "responseModalities" };
        for (i, m) in array(config, key)?.iter().enumerate() {
            match m.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("TEXT" | "MODALITY_UNSPECIFIED") => {}
                Some("AUDIO") => p.audio_output = true,
                _ => {
                    return Err(refuse(
                        RefusalKind::UnpricedModality,
                        format!(
                            "`generationConfig.responseModalities[{i}]` is {m}; farebox prices text and audio \
                             output only (there is no image output price to bound it with)"
                        ),
                    ))
                }
            }
        }
        if config.get("speechConfig").or(config.get("speech_config")).is_some_and(|v| !v.is_null()) {
            p.audio_output = true;
        }
        // A response schema is sent to the model as part of the prompt.
        for key in
            ["responseSchema", "response_schema", "responseJsonSchema", "response_json_schema", "_responseJsonSchema"]
        {
            if let Some(schema) = config.get(key).filter(|v| !v.is_null()) {
                // The SDK reads `response_schema` only (a `Schema`); a JSON schema it skips.
                if sdk && matches!(key, "responseSchema" | "response_schema") {
                    sdk_schema(schema, &format!("generationConfig.{key}"), p)?;
                } else {
                    if sdk {
                        p.sdk_skipped.push("a JSON response schema");
                    }
                    p.items.push(Item::Json(schema));
                }
            }
        }
        if rules.refuse_unknown_fields {
            unknown_fields(config, GEMINI_GENERATION_FIELDS, "generationConfig", true)?;
        }
    }
    let system = obj.get("systemInstruction").or(obj.get("system_instruction"));
    if let Some(system) = system {
        gemini_parts(object(system, "systemInstruction")?, "systemInstruction", p, sdk)?;
    }
    let contents = array(obj, "contents")?;
    if contents.is_empty() {
        return Err(invalid(String::from("`contents` is missing or empty")));
    }
    for (i, tool) in array(obj, "tools")?.iter().enumerate() {
        let path = format!("tools[{i}]");
        for (key, value) in object(tool, &path)? {
            match key.as_str() {
                "functionDeclarations" | "function_declarations" if sdk => {
                    let declarations =
                        value.as_array().ok_or_else(|| invalid(format!("`{path}.{key}` is not an array")))?;
                    for (j, d) in declarations.iter().enumerate() {
                        sdk_declaration(d, &format!("{path}.{key}[{j}]"), p)?;
                    }
                }
                "functionDeclarations" | "function_declarations" => p.items.push(Item::Json(value)),
                k if [
                    "googleSearch",
                    "googleSearchRetrieval",
                    "codeExecution",
                    "urlContext",
                    "googleMaps",
                    "fileSearch",
                    "computerUse",
                    "enterpriseWebSearch",
                    "retrieval",
                ]
                .iter()
                .any(|known| *known == k || snake_eq(known, k)) =>
                {
                    return Err(server_tool(&format!("`{path}.{k}`")))
                }
                k => return Err(unknown_tool(&format!("`{path}.{k}`"))),
            }
        }
    }
    for (i, c) in contents.iter().enumerate() {
        let path = format!("contents[{i}]");
        let c = object(c, &path)?;
        if c.contains_key("role") {
            role(c, &path, &["user", "model", "function", "tool"])?;
        }
        if !sdk {
            p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
        }
        gemini_parts(c, &path, p, sdk)?;
    }
    Ok(())
}

/// A function declaration's strings as the SDK's
/// `_function_declaration_traverse` takes them.
fn sdk_declaration<'a>(declaration: &'a Value, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
    let d = object(declaration, path)?;
    for key in ["name", "description"] {
        if let Some(text) = str_field(d, key, path)? {
            p.items.push(Item::Text(text));
        }
    }
    for key in ["parameters", "response"] {
        if let Some(schema) = d.get(key).filter(|v| !v.is_null()) {
            sdk_schema(schema, &format!("{path}.{key}"), p)?;
        }
    }
    for key in ["parametersJsonSchema", "parameters_json_schema", "responseJsonSchema", "response_json_schema"] {
        if let Some(schema) = d.get(key).filter(|v| !v.is_null()) {
            p.sdk_skipped.push("a function's JSON schema");
            p.items.push(Item::Json(schema));
        }
    }
    Ok(())
}

/// A schema's strings as the SDK's `add_schema` takes them: `format`,
/// `description`, each `enum` value and `required` name, `items` and each
/// property (its name, then its schema) recursively, and the strings of
/// `example` ([`sdk_value`]). `type`, `title`, `default`, `nullable`,
/// `anyOf`, bounds and the rest are not counted: the SDK does not read them.
fn sdk_schema<'a>(schema: &'a Value, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
    let s = object(schema, path)?;
    for key in ["format", "description"] {
        if let Some(text) = str_field(s, key, path)? {
            p.items.push(Item::Text(text));
        }
    }
    for key in ["enum", "required"] {
        for value in array(s, key)? {
            let text =
                value.as_str().ok_or_else(|| invalid(format!("`{path}.{key}` holds a value that is not a string")))?;
            p.items.push(Item::Text(text));
        }
    }
    if let Some(items) = s.get("items").filter(|v| !v.is_null()) {
        sdk_schema(items, &format!("{path}.items"), p)?;
    }
    if let Some(properties) = s.get("properties").filter(|v| !v.is_null()) {
        for (name, property) in object(properties, &format!("{path}.properties"))? {
            p.items.push(Item::Text(name));
            sdk_schema(property, &format!("{path}.properties.{name}"), p)?;
        }
    }
    if let Some(example) = s.get("example") {
        sdk_value(example, p);
    }
    Ok(())
}

/// The strings of a JSON value as the SDK's `_any_traverse` takes them: a
/// string; an object's keys and its values' strings; an array's items'
/// strings. Numbers, booleans and null count nothing.
fn sdk_value<'a>(value: &'a Value, p: &mut Parsed<'a>) {
    match value {
        Value::String(text) => p.items.push(Item::Text(text)),
        Value::Object(map) => {
            for key in map.keys() {
                p.items.push(Item::Text(key));
            }
            for v in map.values() {
                sdk_value(v, p);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| sdk_value(v, p)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn gemini_parts<'a>(content: &'a Map<String, Value>, path: &str, p: &mut Parsed<'a>, sdk: bool) -> Result<(), Error> {
    for (j, part) in array(content, "parts")?.iter().enumerate() {
        let part_path = format!("{path}.parts[{j}]");
        let part = object(part, &part_path)?;
        if let Some(text) = str_field(part, "text", &part_path)? {
            p.items.push(Item::Text(text));
        } else if let Some(inline) = part.get("inlineData").or(part.get("inline_data")) {
            let inline = object(inline, &part_path)?;
            let mime = str_field(inline, "mimeType", &part_path)?.or(str_field(inline, "mime_type", &part_path)?);
            if !mime.is_some_and(|m| m.starts_with("image/")) {
                return Err(invalid(format!("`{part_path}` is {mime:?} data; farebox estimates text and images")));
            }
            let size = base64_image_size(str_field(inline, "data", &part_path)?.unwrap_or(""));
            p.items.push(Item::Image { size, low_detail: false });
        } else if let Some(call) = part.get("functionCall").or(part.get("functionResponse")).filter(|_| sdk) {
            // The SDK's `add_function_call` / `add_function_response`: the
            // name, then the keys and strings of `args` / `response`.
            let call = object(call, &part_path)?;
            if let Some(name) = str_field(call, "name", &part_path)? {
                p.items.push(Item::Text(name));
            }
            for key in ["args", "response"] {
                if let Some(value) = call.get(key) {
                    object(value, &format!("{part_path}.{key}"))?;
                    sdk_value(value, p);
                }
            }
        } else if let Some(call) = part.get("functionCall").or(part.get("functionResponse")) {
            p.items.push(Item::Json(call));
        } else {
            return Err(invalid(format!(
                "`{part_path}` is a part farebox cannot estimate yet (text, images, function calls)"
            )));
        }
    }
    Ok(())
}

fn embeddings<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>) -> Result<(), Error> {
    let bad = || invalid(String::from("`input` must be a string, an array of strings, or token arrays"));
    match obj.get("input").ok_or_else(|| invalid(String::from("`input` is missing")))? {
        Value::String(s) => p.items.push(Item::Text(s)),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => p.items.push(Item::Text(s)),
                    // A token id: one token.
                    Value::Number(_) => p.items.push(Item::Overhead(Range::exact(1))),
                    Value::Array(ids) if ids.iter().all(Value::is_number) => {
                        p.items.push(Item::Overhead(Range::exact(ids.len() as u64)))
                    }
                    _ => return Err(bad()),
                }
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

impl<'a> Parsed<'a> {
    fn empty() -> Parsed<'a> {
        Parsed {
            items: Vec::new(),
            prediction: Vec::new(),
            max_output: None,
            service_tier: None,
            choices: 1,
            audio_output: false,
            stored_context: Vec::new(),
            sdk_skipped: Vec::new(),
            gpt35_0301: false,
        }
    }

    /// Plain text with nothing around it (no message framing, no output limit).
    pub(crate) fn text(text: &'a str) -> Parsed<'a> {
        let mut p = Parsed::empty();
        p.items.push(Item::Text(text));
        p
    }

    /// The predicted output's tokens (OpenAI predicted outputs), counted as
    /// the prompt is: at most this many rejected prediction tokens are billed.
    pub(crate) fn prediction_tokens(&self, counter: &Counter, scale: Option<&Scale>) -> u64 {
        let raw: u64 = self
            .prediction
            .iter()
            .map(|item| match item {
                Item::Text(t) => counter.count(t),
                _ => 0,
            })
            .sum();
        match scale {
            Some(s) => s.apply(raw).high,
            None => raw,
        }
    }

    /// Share (in thousandths) of the text's characters that are not ASCII, and of those how many are CJK.
    pub(crate) fn non_ascii_share(&self) -> (u32, u32) {
        let (mut total, mut non_ascii, mut cjk) = (0u64, 0u64, 0u64);
        for item in &self.items {
            if let Item::Text(t) = item {
                for c in t.chars() {
                    total += 1;
                    if !c.is_ascii() {
                        non_ascii += 1;
                        if is_cjk(c) {
                            cjk += 1;
                        }
                    }
                }
            }
        }
        let per_mille = |a: u64, b: u64| (a * 1000).checked_div(b).unwrap_or(0) as u32;
        (per_mille(non_ascii, total), per_mille(cjk, non_ascii))
    }

    /// Counts every item into segments split at cache breakpoints. `encoding`:
    /// the model's own encoding, when the counter counts with it (documented
    /// overheads are then exact, and so is the count if the counter is).
    pub(crate) fn count(
        &self,
        counter: &Counter,
        scale: Option<&Scale>,
        images: Option<ImageRule>,
        encoding: Option<Encoding>,
    ) -> Result<Vec<Segment>, Error> {
        let exact_encoding = encoding.is_some() && counter.is_exact() && self.sdk_skipped.is_empty();
        // OpenAI documents its messages' framing; another maker's model is
        // framed by its chat template, which the host applies: counted
        // exactly only when there is none (a Gemini body for Gemma 3 has
        // none: the SDK counts its strings alone).
        let framing_known = encoding.is_some_and(Encoding::is_openai);
        let template = Template::of(encoding, self.gpt35_0301);
        let mut segments = Vec::new();
        let (mut raw_text, mut fixed) = (0u64, Range::exact(0));
        let close = |raw: u64, fixed: Range| {
            let text = match scale {
                Some(s) => s.apply(raw),
                None => Range::exact(raw),
            };
            let mut r = text.plus(fixed);
            r.exact &= exact_encoding && (framing_known || fixed == Range::exact(0));
            r
        };
        // A chat opens with what its template writes once.
        let first_role = self.items.iter().find_map(|i| if let Item::Message(role) = i { Some(*role) } else { None });
        if first_role.is_some() {
            let tools = self.items.iter().any(|i| matches!(i, Item::OpenAiTools(_)));
            fixed = fixed.plus(template.start(counter, first_role, tools));
        }
        // A template that joins the system prompt to the last user message's
        // text: where that message is, the prompt gathered until then, whether
        // the item is inside a system message, and whether the next text
        // takes the prompt.
        let join_at = template
            .joins_system_to_last_user()
            .then(|| self.items.iter().rposition(|i| matches!(i, Item::Message("user"))))
            .flatten();
        let (mut system, mut system_messages, mut in_system, mut joins_next) = (String::new(), 0, false, false);
        for (index, item) in self.items.iter().enumerate() {
            match item {
                Item::Text(t) if in_system && join_at.is_some() => system.push_str(t),
                Item::Text(t) if joins_next => {
                    joins_next = false;
                    raw_text += counter.count(&[core::mem::take(&mut system).as_str(), "\n\n", t].concat());
                }
                Item::Text(t) => raw_text += counter.count(t),
                Item::Message(role) => {
                    in_system = matches!(*role, "system" | "developer");
                    if in_system && join_at.is_some() {
                        if system_messages > 0 {
                            system.push_str("\n\n");
                        }
                        system_messages += 1;
                    }
                    // An empty prompt is not joined (mistral-common: `if system_prompt`).
                    joins_next = Some(index) == join_at && !system.is_empty();
                    fixed = fixed.plus(template.message(counter, role));
                }
                Item::Name(name) => fixed = fixed.plus(template.name(counter, name)),
                Item::Reply => fixed = fixed.plus(template.reply(counter)),
                Item::Overhead(r) => fixed = fixed.plus(*r),
                Item::Image { size, low_detail } => {
                    let rule =
                        images.ok_or_else(|| invalid(String::from("images cannot be estimated for this model")))?;
                    fixed = fixed.plus(rule.tokens(*size, *low_detail));
                }
                Item::Json(v) => raw_text += counter.count(&v.to_string()),
                Item::OpenAiTools(tools) => {
                    let formula = openai_tools(counter, tools, encoding)?;
                    let json: u64 = tools.iter().map(|t| counter.count(&t.to_string())).sum();
                    let high = formula.max(json).max(template.tools_high(counter, tools));
                    fixed = fixed.plus(Range::estimate(formula, formula.min(json), high));
                }
                Item::Breakpoint(ttl) => {
                    segments.push(Segment { range: close(raw_text, fixed), cache: Some(*ttl) });
                    (raw_text, fixed) = (0, Range::exact(0));
                }
            }
        }
        // A system prompt no user text took (none came after it) is counted alone.
        raw_text += counter.count(&system);
        segments.push(Segment { range: close(raw_text, fixed), cache: None });
        Ok(segments)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Tool definitions as the OpenAI cookbook counts them ("How to count tokens
/// for chat completions API calls" with tools): per function 7 for the
/// o200k_base models (gpt-4o, gpt-4.1, gpt-5, o-series) and 10 for the
/// cl100k_base ones (gpt-3.5-turbo, gpt-4) + `name:description`; 3 to open
/// the properties; per property 3 + `name:type:description`, enums −3 + 3
/// and the item per item; 12 to close. The cookbook notes it is an
/// approximation for nested schemas. Keyed on the encoding (not the name), so
/// that `gpt-4.1` or `o3` is counted as the o200k_base model it is; a model
/// without an OpenAI encoding gets o200k_base's constant (its own
/// tokenizer's framing of tools is not documented; the count is an estimate
/// either way).
fn openai_tools(counter: &Counter, tools: &[&Value], encoding: Option<Encoding>) -> Result<u64, Error> {
    let count = |s: &str| counter.count(s) as i64;
    let func_init: i64 = match encoding {
        None
        | Some(
            Encoding::O200kBase
            | Encoding::O200kHarmony
            | Encoding::Gemma3
            | Encoding::Llama3
            | Encoding::Tekken
            | Encoding::Llama4
            | Encoding::MistralV1
            | Encoding::MistralV3
            | Encoding::MistralV7
            | Encoding::DeepSeekV3
            | Encoding::Qwen3,
        ) => 7,
        Some(Encoding::Cl100kBase | Encoding::P50kBase | Encoding::R50kBase) => 10,
    };
    let mut total: i64 = 0;
    for (i, tool) in tools.iter().enumerate() {
        let path = format!("tools[{i}]");
        let tool = object(tool, &path)?;
        let f = match tool.get("function") {
            Some(f) => object(f, &format!("{path}.function"))?,
            None => tool, // legacy `functions` entries are the function itself
        };
        total += func_init;
        let name = str_field(f, "name", &path)?.unwrap_or("");
        let desc = str_field(f, "description", &path)?.unwrap_or("");
        total += count(&format!("{name}:{}", desc.strip_suffix('.').unwrap_or(desc)));
        let props = f.get("parameters").and_then(|p| p.get("properties")).and_then(Value::as_object);
        if let Some(props) = props.filter(|p| !p.is_empty()) {
            total += 3;
            for (key, prop) in props {
                total += 3;
                let ty = prop.get("type").and_then(Value::as_str).unwrap_or("");
                let pdesc = prop.get("description").and_then(Value::as_str).unwrap_or("");
                if let Some(items) = prop.get("enum").and_then(Value::as_array) {
                    total -= 3;
                    for item in items {
                        total += 3 + count(item.as_str().unwrap_or(&item.to_string()));
                    }
                }
                total += count(&format!("{key}:{ty}:{}", pdesc.strip_suffix('.').unwrap_or(pdesc)));
            }
        }
    }
    total += 12;
    Ok(total.max(0) as u64)
}
