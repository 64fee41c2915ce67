//! OpenTelemetry OTLP/JSON traces (`ExportTraceServiceRequest`: what a
//! collector's file exporter writes, one request per line, and what
//! `/v1/traces` receives): `resourceSpans[].scopeSpans[].spans[]`, each
//! attribute `{key, value: {stringValue | intValue | doubleValue |
//! boolValue | arrayValue}}`. In OTLP/JSON `intValue` is a *string*
//! (`"1500"`), as are `*TimeUnixNano`; both spellings are accepted.
//!
//! A span becomes a [`Generation`] when it names a model or carries token
//! or cost attributes; other spans are skipped and counted. Attributes are
//! read from the span, then its resource:
//!
//! | field | attributes, first present wins |
//! |---|---|
//! | model | `gen_ai.response.model`, `gen_ai.request.model`, `llm.model_name`, `llm.model`, `langfuse.observation.model.name` |
//! | provider | `gen_ai.provider.name`, `gen_ai.system`, `llm.provider`, `llm.system` |
//! | input tokens (inclusive) | `gen_ai.usage.input_tokens`, `gen_ai.usage.prompt_tokens`, `llm.tokens.input`, `llm.token_count.prompt` |
//! | output tokens (inclusive) | `gen_ai.usage.output_tokens`, `gen_ai.usage.completion_tokens`, `llm.tokens.output`, `llm.token_count.completion` |
//! | cache reads (in input) | `gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_read_input_tokens`, `gen_ai.usage.input_tokens.cached`, `llm.token_count.prompt_details.cache_read` |
//! | cache writes (in input) | `gen_ai.usage.cache_creation.input_tokens`, `gen_ai.usage.cache_creation_input_tokens`, `gen_ai.usage.input_tokens.cache_write`, `llm.token_count.prompt_details.cache_write` |
//! | reasoning (in output) | `gen_ai.usage.reasoning.output_tokens`, `gen_ai.usage.output_tokens.reasoning`, `llm.token_count.completion_details.reasoning` |
//! | exclusive usage | `langfuse.observation.usage_details` (JSON text, Langfuse keys; wins) |
//! | exported cost | `llm.cost_usd`, `gen_ai.usage.cost`, `langfuse.observation.cost_details` (its `total`) |
//! | user | `user.id`, `enduser.id`, `langfuse.user.id`, `cost.user_id` |
//! | session | `session.id`, `gen_ai.conversation.id`, `langfuse.session.id` |
//! | tags | `langfuse.trace.tags`, `tags` |
//! | trace name | `langfuse.trace.name`, else the name of the trace's root span in the same request |
//! | environment | `langfuse.environment`, `deployment.environment.name`, `deployment.environment` |
//! | metadata | `cost.<key>` (the seeds' `cost.feature`, `cost.agent`, `cost.org_id`) as `<key>`; `langfuse.trace.metadata.<key>` and `langfuse.observation.metadata.<key>` as `<key>`; `gen_ai.operation.name` as `operation`; `service.name` as `service` |

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{cost_text, Generation, Location, Output, RecordKind};
use crate::time::Timestamp;
use crate::usage::{usage_from_value, Usage, UsageFormat, UsageKind};

/// `ExportTraceServiceRequest`.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default, rename = "resourceSpans", alias = "resource_spans")]
    resource_spans: Vec<ResourceSpans<'a>>,
}

/// One element of `resourceSpans`.
#[derive(Deserialize)]
pub(crate) struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    resource: Option<Resource<'a>>,
    #[serde(
        borrow,
        default,
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans"
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(borrow, default)]
    spans: Vec<Span<'a>>,
}

#[derive(Deserialize)]
struct Span<'a> {
    #[serde(default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<String>,
    #[serde(default, rename = "spanId", alias = "span_id")]
    span_id: Option<String>,
    #[serde(default, rename = "parentSpanId", alias = "parent_span_id")]
    parent_span_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(borrow, default, rename = "startTimeUnixNano", alias = "start_time_unix_nano")]
    start: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    key: String,
    #[serde(borrow, default)]
    value: Option<AnyValue<'a>>,
}

/// OTLP's `AnyValue`; numbers keep their raw text.
#[derive(Deserialize)]
struct AnyValue<'a> {
    #[serde(default, rename = "stringValue", alias = "string_value")]
    string: Option<String>,
    #[serde(borrow, default, rename = "intValue", alias = "int_value")]
    int: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "doubleValue", alias = "double_value")]
    double: Option<&'a RawValue>,
    #[serde(default, rename = "boolValue", alias = "bool_value")]
    boolean: Option<bool>,
    #[serde(borrow, default, rename = "arrayValue", alias = "array_value")]
    array: Option<ArrayValue<'a>>,
}

#[derive(Deserialize)]
struct ArrayValue<'a> {
    #[serde(borrow, default)]
    values: Vec<AnyValue<'a>>,
}

impl AnyValue<'_> {
    /// The value as text: strings as themselves, numbers as their text.
    fn text(&self) -> Option<String> {
        if let Some(s) = &self.string {
            return Some(s.clone());
        }
        if let Some(raw) = self.int.or(self.double) {
            return crate::json::decimal_text(raw).ok();
        }
        if let Some(b) = self.boolean {
            return Some(b.to_string());
        }
        self.array.as_ref().map(|a| {
            let items: Vec<Value> = a.values.iter().filter_map(AnyValue::text).map(Value::String).collect();
            Value::Array(items).to_string()
        })
    }

    /// The value as a list of strings (an array, or a JSON array in a string).
    fn list(&self) -> Vec<String> {
        if let Some(a) = &self.array {
            return a.values.iter().filter_map(AnyValue::text).collect();
        }
        match &self.string {
            Some(s) if s.trim_start().starts_with('[') => serde_json::from_str(s).unwrap_or_default(),
            Some(s) => s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect(),
            None => Vec::new(),
        }
    }
}

/// Span attributes over resource attributes.
struct Attributes<'s, 'a> {
    span: &'s [KeyValue<'a>],
    resource: &'s [KeyValue<'a>],
}

impl<'s, 'a> Attributes<'s, 'a> {
    fn get(&self, names: &[&str]) -> Option<&'s AnyValue<'a>> {
        names.iter().find_map(|n| {
            let find = |list: &'s [KeyValue<'a>]| list.iter().find(|kv| kv.key == *n).and_then(|kv| kv.value.as_ref());
            find(self.span).or_else(|| find(self.resource))
        })
    }

    fn text(&self, names: &[&str]) -> Option<String> {
        self.get(names).and_then(AnyValue::text).filter(|t| !t.is_empty())
    }

    /// A token count: an integer, or a whole number written as a double or a string.
    fn count(&self, names: &[&str]) -> Result<Option<u64>, String> {
        let Some(text) = self.text(names) else { return Ok(None) };
        let name = names.iter().find(|n| self.get(&[n]).is_some()).copied().unwrap_or(names[0]);
        let n: serde_json::Number =
            serde_json::from_str(&text).map_err(|_| format!("`{name}` should be a whole number, found `{text}`"))?;
        crate::json::whole_number(&n)
            .map(Some)
            .ok_or_else(|| format!("`{name}` is {text}; token counts are whole numbers ≥ 0"))
    }
}

const MODEL: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "llm.model",
    "langfuse.observation.model.name",
];
const PROVIDER: &[&str] = &["gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"];
const INPUT: &[&str] =
    &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.tokens.input", "llm.token_count.prompt"];
const OUTPUT: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.tokens.output",
    "llm.token_count.completion",
];
const CACHE_READ: &[&str] = &[
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "llm.token_count.prompt_details.cache_read",
];
const CACHE_WRITE: &[&str] = &[
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
    "llm.token_count.prompt_details.cache_write",
];
const REASONING: &[&str] = &[
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.output_tokens.reasoning",
    "llm.token_count.completion_details.reasoning",
];
const USAGE_DETAILS: &[&str] = &["langfuse.observation.usage_details"];
const COST: &[&str] = &["llm.cost_usd", "gen_ai.usage.cost"];
const COST_DETAILS: &[&str] = &["langfuse.observation.cost_details"];
const USER: &[&str] = &["user.id", "enduser.id", "langfuse.user.id", "cost.user_id"];
const SESSION: &[&str] = &["session.id", "gen_ai.conversation.id", "langfuse.session.id"];
const TAGS: &[&str] = &["langfuse.trace.tags", "tags"];
const TRACE_NAME: &[&str] = &["langfuse.trace.name"];
const ENVIRONMENT: &[&str] = &["langfuse.environment", "deployment.environment.name", "deployment.environment"];

/// Reads a whole `ExportTraceServiceRequest` object.
pub(crate) fn request(text: &[u8], loc: Location, out: &mut Output) {
    match serde_json::from_slice::<Request<'_>>(text) {
        Ok(req) => {
            for rs in &req.resource_spans {
                resource_spans(rs, loc, out);
            }
        }
        Err(e) => out.errors.push(format!("OTLP request: {}", super::short_json_error(&e))),
    }
}

/// Reads one `resourceSpans` element given as text (a split array element).
pub(crate) fn resource_spans_text(text: &[u8], loc: Location, out: &mut Output) {
    match serde_json::from_slice::<ResourceSpans<'_>>(text) {
        Ok(rs) => resource_spans(&rs, loc, out),
        Err(e) => out.errors.push(format!("OTLP resourceSpans: {}", super::short_json_error(&e))),
    }
}

fn resource_spans(rs: &ResourceSpans<'_>, loc: Location, out: &mut Output) {
    let resource: &[KeyValue<'_>] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
    // Root span names name their traces, for spans without `langfuse.trace.name`.
    let mut roots: BTreeMap<&str, &str> = BTreeMap::new();
    for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
        if span.parent_span_id.as_deref().is_none_or(str::is_empty) {
            if let (Some(t), Some(n)) = (span.trace_id.as_deref(), span.name.as_deref()) {
                roots.insert(t, n);
            }
        }
    }
    for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
        out.kinds.otel_spans += 1;
        let attrs = Attributes { span: &span.attributes, resource };
        match generation(span, &attrs, &roots, loc) {
            Ok(Some(g)) => out.generations.push(g),
            Ok(None) => out.skipped += 1,
            Err(e) => {
                let id = span.span_id.as_deref().unwrap_or("?");
                out.errors.push(format!("span {id}: {e}"));
            }
        }
    }
}

fn generation(
    span: &Span<'_>,
    attrs: &Attributes<'_, '_>,
    roots: &BTreeMap<&str, &str>,
    loc: Location,
) -> Result<Option<Generation>, String> {
    let model = attrs.text(MODEL);
    let usage = usage(attrs)?;
    let exported_cost = cost(attrs)?;
    if model.is_none() && usage.is_empty() && exported_cost.is_none() {
        return Ok(None);
    }
    let timestamp = match span.start.map(crate::json::decimal_text) {
        Some(Ok(text)) => {
            let nanos: u64 =
                text.parse().map_err(|_| format!("`startTimeUnixNano` should be a whole number, found `{text}`"))?;
            Some(Timestamp::from_unix_nanos(nanos))
        }
        Some(Err(e)) => return Err(format!("`startTimeUnixNano`: {e}")),
        None => None,
    };
    let trace_name =
        attrs.text(TRACE_NAME).or_else(|| span.trace_id.as_deref().and_then(|t| roots.get(t)).map(|n| n.to_string()));
    Ok(Some(Generation {
        kind: RecordKind::Generation,
        trace_id: span.trace_id.clone().filter(|t| !t.is_empty()),
        observation_id: span.span_id.clone().filter(|s| !s.is_empty()),
        timestamp,
        name: span.name.clone(),
        trace_name,
        model,
        provider: attrs.text(PROVIDER),
        user: attrs.text(USER),
        session: attrs.text(SESSION),
        tags: attrs.get(TAGS).map(AnyValue::list).unwrap_or_default(),
        metadata: metadata(attrs),
        usage,
        exported_cost,
        environment: attrs.text(ENVIRONMENT),
        line: loc.line,
    }))
}

/// Exclusive usage from the inclusive GenAI counts (see the module docs).
fn usage(attrs: &Attributes<'_, '_>) -> Result<Usage, String> {
    if let Some(text) = attrs.text(USAGE_DETAILS) {
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("`{}`: {e}", USAGE_DETAILS[0]))?;
        return usage_from_value(&v, Some(UsageFormat::Langfuse))
            .map(|p| p.usage)
            .map_err(|e| format!("`{}`: {}", USAGE_DETAILS[0], e.detail()));
    }
    let input = attrs.count(INPUT)?.unwrap_or(0);
    let output = attrs.count(OUTPUT)?.unwrap_or(0);
    let read = attrs.count(CACHE_READ)?.unwrap_or(0);
    let write = attrs.count(CACHE_WRITE)?.unwrap_or(0);
    let reasoning = attrs.count(REASONING)?.unwrap_or(0);
    let cached = read.saturating_add(write);
    let plain_in = input.checked_sub(cached).ok_or_else(|| {
        format!("cache reads ({read}) and writes ({write}) exceed `gen_ai.usage.input_tokens` ({input}) which should include them")
    })?;
    let plain_out = output.checked_sub(reasoning).ok_or_else(|| {
        format!(
            "reasoning tokens ({reasoning}) exceed `gen_ai.usage.output_tokens` ({output}) which should include them"
        )
    })?;
    Ok(Usage::new()
        .with(UsageKind::Input, plain_in)
        .with(UsageKind::CacheRead, read)
        .with(UsageKind::CacheWrite5m, write)
        .with(UsageKind::Output, plain_out)
        .with(UsageKind::Reasoning, reasoning))
}

fn cost(attrs: &Attributes<'_, '_>) -> Result<Option<crate::money::Usd>, String> {
    if let Some(text) = attrs.text(COST) {
        return cost_text(&text, COST[0]).map(Some);
    }
    if let Some(text) = attrs.text(COST_DETAILS) {
        let obj = super::RawObject::parse(text.as_bytes()).map_err(|e| format!("`{}`: {e}", COST_DETAILS[0]))?;
        if let Some(raw) = obj.get(&["total"]) {
            return super::raw_cost(raw, "langfuse.observation.cost_details.total").map(Some);
        }
    }
    Ok(None)
}

fn metadata(attrs: &Attributes<'_, '_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for kv in attrs.resource.iter().chain(attrs.span) {
        let key = kv.key.as_str();
        let name = if key == "gen_ai.operation.name" {
            "operation"
        } else if key == "service.name" {
            "service"
        } else if let Some(rest) =
            key.strip_prefix("langfuse.trace.metadata.").or_else(|| key.strip_prefix("langfuse.observation.metadata."))
        {
            rest
        } else if let Some(rest) = key.strip_prefix("cost.").filter(|r| *r != "user_id" && !r.ends_with("usd")) {
            rest
        } else {
            continue;
        };
        if let Some(text) = kv.value.as_ref().and_then(AnyValue::text) {
            out.insert(name.to_string(), text);
        }
    }
    out
}
