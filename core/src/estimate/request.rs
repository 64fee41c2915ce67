//! Request bodies read into what is billed as prompt: text, overheads, images
//! and cache breakpoints, each with the rule (and its source) it is counted by.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{Map, Value};

use super::image::{data_url_size, ImageRule};
use super::ratios::Scale;
use super::{invalid, Range, Segment, Ttl};
use crate::error::Error;
use crate::json::kind_of;
use crate::pricing::{Mode, Model};
use crate::tokens::Tokenizer;

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
        } else if obj.contains_key("input") {
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
    /// Tokens the API adds around messages; exact where the provider documents them.
    Overhead(Range),
    Image {
        size: Option<(u64, u64)>,
        low_detail: bool,
    },
    /// OpenAI tool definitions, by the cookbook's formula.
    OpenAiTools {
        tools: &'a [Value],
        gpt35: bool,
    },
    /// Text that is sent as JSON (tool schemas, tool inputs): counted as compact JSON.
    Json(&'a Value),
    /// Everything before it is written to Anthropic's prompt cache.
    Breakpoint(Ttl),
}

/// A request read into items.
pub(crate) struct Parsed<'a> {
    items: Vec<Item<'a>>,
    pub max_output: Option<u64>,
    pub service_tier: Option<String>,
}

/// OpenAI documents 3 tokens per message (4 for gpt-3.5-turbo-0301), 1 per
/// name (−1 there) and 3 priming the reply: OpenAI cookbook, "How to count
/// tokens with tiktoken". Other APIs do not publish theirs: 0–6 per message.
const UNDOCUMENTED_MESSAGE: Range = Range { tokens: 3, exact: false, low: 0, high: 6 };

pub(crate) fn read(format: RequestFormat, obj: &Map<String, Value>) -> Result<Parsed<'_>, Error> {
    let mut p = Parsed { items: Vec::new(), max_output: None, service_tier: None };
    p.service_tier = obj.get("service_tier").and_then(Value::as_str).map(String::from);
    match format {
        RequestFormat::OpenAiChat => openai_chat(obj, &mut p)?,
        RequestFormat::OpenAiResponses => openai_responses(obj, &mut p)?,
        RequestFormat::Anthropic => anthropic(obj, &mut p)?,
        RequestFormat::Gemini => gemini(obj, &mut p)?,
        RequestFormat::OpenAiEmbeddings => embeddings(obj, &mut p)?,
    }
    Ok(p)
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
    let model = obj.get("model").and_then(Value::as_str).unwrap_or("");
    let gpt35_0301 = model.contains("gpt-3.5-turbo-0301");
    let (per_message, per_name) = if gpt35_0301 { (4, -1i64) } else { (3, 1) };
    let messages = array(obj, "messages")?;
    if messages.is_empty() {
        return Err(invalid(String::from("`messages` is missing or empty")));
    }
    for (i, m) in messages.iter().enumerate() {
        let path = format!("messages[{i}]");
        let m = object(m, &path)?;
        let role = role(m, &path, &["system", "developer", "user", "assistant", "tool", "function"])?;
        p.items.push(Item::Overhead(Range::exact(per_message)));
        p.items.push(Item::Text(role));
        // The cookbook counts every string field of a message.
        for (key, value) in m {
            match (key.as_str(), value) {
                ("role", _) | (_, Value::Null) => {}
                ("content", content) => openai_content(content, &format!("{path}.content"), p)?,
                ("name", Value::String(name)) => {
                    p.items.push(Item::Text(name));
                    p.items.push(Item::Overhead(Range::exact(per_name.max(0) as u64)));
                }
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
    p.items.push(Item::Overhead(Range::exact(3)));
    // `tools`, or the legacy `functions` (each entry the function itself).
    let tools = match array(obj, "tools")? {
        [] => array(obj, "functions")?,
        tools => tools,
    };
    if !tools.is_empty() {
        p.items.push(Item::OpenAiTools { tools, gpt35: !model.contains("gpt-4o") });
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

fn openai_responses<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>) -> Result<(), Error> {
    p.max_output = limit(obj, &["max_output_tokens"])?;
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
                    Some("function_call_output") => match item.get("output") {
                        Some(Value::String(s)) => p.items.push(Item::Text(s)),
                        Some(other) => p.items.push(Item::Json(other)),
                        None => {}
                    },
                    Some(other) => {
                        return Err(invalid(format!("`{path}` is a `{other}` item, which farebox cannot estimate yet")))
                    }
                }
            }
        }
        Some(other) => return Err(invalid(format!("`input` must be a string or an array, found {}", kind_of(other)))),
        None => return Err(invalid(String::from("`input` is missing"))),
    }
    for tool in array(obj, "tools")? {
        p.items.push(Item::Json(tool));
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
    // The prompt is tools, then system, then messages: the order caching follows.
    for (i, tool) in array(obj, "tools")?.iter().enumerate() {
        let t = object(tool, &format!("tools[{i}]"))?;
        p.items.push(Item::Json(tool));
        if let Some(ttl) = breakpoint(t) {
            p.items.push(Item::Breakpoint(ttl));
        }
    }
    if let Some(system) = obj.get("system").filter(|s| !s.is_null()) {
        anthropic_content(system, "system", p)?;
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
                .and_then(|s| {
                    let media = s.get("media_type")?.as_str()?;
                    let data = s.get("data")?.as_str()?;
                    data_url_size(&format!("data:{media};base64,{}", &data[..data.len().min(360_000)]))
                });
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

fn gemini<'a>(obj: &'a Map<String, Value>, p: &mut Parsed<'a>) -> Result<(), Error> {
    if let Some(config) = obj.get("generationConfig").or(obj.get("generation_config")) {
        p.max_output = limit(object(config, "generationConfig")?, &["maxOutputTokens", "max_output_tokens"])?;
    }
    let system = obj.get("systemInstruction").or(obj.get("system_instruction"));
    if let Some(system) = system {
        gemini_parts(object(system, "systemInstruction")?, "systemInstruction", p)?;
    }
    let contents = array(obj, "contents")?;
    if contents.is_empty() {
        return Err(invalid(String::from("`contents` is missing or empty")));
    }
    for (i, c) in contents.iter().enumerate() {
        let path = format!("contents[{i}]");
        let c = object(c, &path)?;
        if c.contains_key("role") {
            role(c, &path, &["user", "model", "function", "tool"])?;
        }
        p.items.push(Item::Overhead(UNDOCUMENTED_MESSAGE));
        gemini_parts(c, &path, p)?;
    }
    for tool in array(obj, "tools")? {
        p.items.push(Item::Json(tool));
    }
    Ok(())
}

fn gemini_parts<'a>(content: &'a Map<String, Value>, path: &str, p: &mut Parsed<'a>) -> Result<(), Error> {
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
            let data = str_field(inline, "data", &part_path)?.unwrap_or("");
            let size = data_url_size(&format!("data:image;base64,{}", &data[..data.len().min(360_000)]));
            p.items.push(Item::Image { size, low_detail: false });
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
    /// Plain text with nothing around it (no message framing, no output limit).
    pub(crate) fn text(text: &'a str) -> Parsed<'a> {
        Parsed { items: alloc::vec![Item::Text(text)], max_output: None, service_tier: None }
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

    /// Counts every item into segments split at cache breakpoints. `exact_encoding`:
    /// the tokenizer is the model's own (documented overheads are then exact).
    pub(crate) fn count(
        &self,
        tokenizer: &Tokenizer,
        scale: Option<&Scale>,
        images: Option<ImageRule>,
        exact_encoding: bool,
    ) -> Result<Vec<Segment>, Error> {
        let mut segments = Vec::new();
        let (mut raw_text, mut fixed) = (0u64, Range::exact(0));
        let close = |raw: u64, fixed: Range| {
            let text = match scale {
                Some(s) => s.apply(raw),
                None => Range::exact(raw),
            };
            let mut r = text.plus(fixed);
            r.exact &= exact_encoding;
            r
        };
        for item in &self.items {
            match item {
                Item::Text(t) => raw_text += tokenizer.count(t) as u64,
                Item::Overhead(r) => fixed = fixed.plus(*r),
                Item::Image { size, low_detail } => {
                    let rule =
                        images.ok_or_else(|| invalid(String::from("images cannot be estimated for this model")))?;
                    fixed = fixed.plus(rule.tokens(*size, *low_detail));
                }
                Item::Json(v) => raw_text += tokenizer.count(&v.to_string()) as u64,
                Item::OpenAiTools { tools, gpt35 } => {
                    let formula = openai_tools(tokenizer, tools, *gpt35)?;
                    let json: u64 = tools.iter().map(|t| tokenizer.count(&t.to_string()) as u64).sum();
                    fixed = fixed.plus(Range::estimate(formula, formula.min(json), formula.max(json)));
                }
                Item::Breakpoint(ttl) => {
                    segments.push(Segment { range: close(raw_text, fixed), cache: Some(*ttl) });
                    (raw_text, fixed) = (0, Range::exact(0));
                }
            }
        }
        segments.push(Segment { range: close(raw_text, fixed), cache: None });
        Ok(segments)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Tool definitions as the OpenAI cookbook counts them ("How to count tokens
/// for chat completions API calls" with tools): per function 7 (10 for
/// gpt-3.5/gpt-4) + `name:description`; 3 to open the properties; per
/// property 3 + `name:type:description`, enums −3 + 3 and the item per item;
/// 12 to close. The cookbook notes it is an approximation for nested schemas.
fn openai_tools(tokenizer: &Tokenizer, tools: &[Value], gpt35: bool) -> Result<u64, Error> {
    let count = |s: &str| tokenizer.count(s) as i64;
    let func_init: i64 = if gpt35 { 10 } else { 7 };
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
