//! Langfuse exports: a single trace with its observations, batch JSON /
//! JSONL / CSV of traces or of observations, and public-API pages
//! (`/api/public/traces`, `/api/public/observations`,
//! `/api/public/v2/observations`, all `{data, meta}`).
//!
//! Field names are read in both spellings Langfuse writes (`traceId` and
//! `trace_id`, `usageDetails` and `usage_details`, ...); CSV headers match
//! them case- and underscore-insensitively. What is read:
//!
//! - ids and names: `id`, `traceId`, `name`, `type`, `traceName`;
//! - time: `startTime` (observations), `timestamp` (traces), `createdAt`;
//! - model: `model`, else `providedModelName` (v2);
//! - usage: `usageDetails` (exclusive keys), else the legacy `usage`
//!   `{input, output, total, unit}` (its cost fields ignored), else flat
//!   `promptTokens` / `completionTokens` (`inputUsage` / `outputUsage`);
//! - exported cost: `costDetails.total`, else `totalCost`, else
//!   `calculatedTotalCost`, else the sum of `costDetails`;
//! - attribution: `userId`, `sessionId`, `tags`, `metadata`, `environment`
//!   — an observation inherits each from its trace when it has none.
//!
//! Observations that are no model call (a `SPAN` or `EVENT` with no model,
//! usage or cost) are skipped and counted. A trace whose observations are
//! not embedded (API trace lists give their ids only) becomes one
//! [`RecordKind::TraceTotal`] record carrying its `totalCost`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{cost_text, raw_cost, raw_text, Generation, Location, Output, RawObject, RecordKind};
use crate::money::Usd;
use crate::time::Timestamp;
use crate::usage::{usage_from_value, Usage, UsageFormat};

const ID: &[&str] = &["id"];
const TRACE_ID: &[&str] = &["traceId", "trace_id"];
const TYPE: &[&str] = &["type"];
const NAME: &[&str] = &["name"];
const TRACE_NAME: &[&str] = &["traceName", "trace_name"];
const START: &[&str] = &["startTime", "start_time", "timestamp", "createdAt", "created_at"];
const MODEL: &[&str] = &["model", "providedModelName", "provided_model_name"];
const USAGE_DETAILS: &[&str] = &["usageDetails", "usage_details"];
const LEGACY_USAGE: &[&str] = &["usage"];
const PROMPT_TOKENS: &[&str] = &["promptTokens", "prompt_tokens", "inputUsage", "input_usage"];
const COMPLETION_TOKENS: &[&str] = &["completionTokens", "completion_tokens", "outputUsage", "output_usage"];
const COST_DETAILS: &[&str] = &["costDetails", "cost_details"];
const TOTAL_COST: &[&str] = &["totalCost", "total_cost", "calculatedTotalCost", "calculated_total_cost"];
const USER: &[&str] = &["userId", "user_id"];
const SESSION: &[&str] = &["sessionId", "session_id"];
const TAGS: &[&str] = &["tags"];
const METADATA: &[&str] = &["metadata"];
const ENVIRONMENT: &[&str] = &["environment"];
const OBSERVATIONS: &[&str] = &["observations"];

/// Read access to one record's fields, from a JSON object or a CSV row, so
/// that both are interpreted by the same code.
pub(crate) trait Fields {
    /// The text of the first named field that is a non-empty scalar.
    fn text(&self, names: &[&str]) -> Option<String>;
    /// The first named field holding JSON (an object or array; in CSV, a
    /// cell holding JSON text).
    fn json(&self, names: &[&str]) -> Result<Option<Value>, String>;
    /// A cost written from a float.
    fn cost(&self, names: &[&str]) -> Result<Option<Usd>, String>;
    /// `costDetails` entries, each a float-written cost.
    fn cost_details(&self, names: &[&str]) -> Result<Vec<(String, Usd)>, String>;
    /// A token count (a whole number ≥ 0).
    fn count(&self, names: &[&str]) -> Result<Option<u64>, String>;
    /// Whether a field is present, even if null.
    fn has(&self, name: &str) -> bool;
}

impl Fields for RawObject<'_> {
    fn text(&self, names: &[&str]) -> Option<String> {
        self.get(names).and_then(raw_text)
    }

    fn json(&self, names: &[&str]) -> Result<Option<Value>, String> {
        match self.get(names) {
            None => Ok(None),
            Some(raw) => serde_json::from_str(raw.get()).map(Some).map_err(|e| format!("`{}`: {e}", names[0])),
        }
    }

    fn cost(&self, names: &[&str]) -> Result<Option<Usd>, String> {
        self.get(names).map(|raw| raw_cost(raw, names[0])).transpose()
    }

    fn cost_details(&self, names: &[&str]) -> Result<Vec<(String, Usd)>, String> {
        match self.get(names) {
            None => Ok(Vec::new()),
            Some(raw) => cost_details_json(raw.get().as_bytes(), names[0]),
        }
    }

    fn count(&self, names: &[&str]) -> Result<Option<u64>, String> {
        match self.get(names) {
            None => Ok(None),
            Some(raw) => {
                let v: Value = serde_json::from_str(raw.get()).map_err(|e| format!("`{}`: {e}", names[0]))?;
                crate::json::count_value(&v, names[0]).map(Some)
            }
        }
    }

    fn has(&self, name: &str) -> bool {
        RawObject::has(self, name)
    }
}

/// `costDetails` as JSON text: `{"input": 0.0045, "output": 0.015, "total": 0.0195}`.
fn cost_details_json(text: &[u8], field: &str) -> Result<Vec<(String, Usd)>, String> {
    let obj = RawObject::parse(text).map_err(|e| format!("`{field}`: {e}"))?;
    obj.entries()
        .filter(|(_, v)| v.get() != "null")
        .map(|(k, v)| Ok((k.to_string(), raw_cost(v, &format!("{field}.{k}"))?)))
        .collect()
}

/// One CSV row under its header.
pub(crate) struct CsvRow<'a> {
    /// Normalised header name → column.
    pub columns: &'a BTreeMap<String, usize>,
    pub cells: &'a [String],
}

/// Header names compared without case, `_`, `-` or spaces: `traceId`,
/// `trace_id` and `Trace ID` are one column.
pub(crate) fn normalise_header(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-' | ' ')).flat_map(char::to_lowercase).collect()
}

impl CsvRow<'_> {
    fn cell<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &str)> {
        names.iter().find_map(|n| {
            let i = *self.columns.get(&normalise_header(n))?;
            let cell = self.cells.get(i)?.trim();
            (!cell.is_empty() && cell != "null").then_some((*n, cell))
        })
    }
}

impl Fields for CsvRow<'_> {
    fn text(&self, names: &[&str]) -> Option<String> {
        self.cell(names).map(|(_, c)| c.to_string())
    }

    fn json(&self, names: &[&str]) -> Result<Option<Value>, String> {
        match self.cell(names) {
            Some((name, cell)) if cell.starts_with(['{', '[']) => {
                serde_json::from_str(cell).map(Some).map_err(|e| format!("`{name}`: {e}"))
            }
            Some((_, cell)) if names == TAGS => {
                // A plain cell of comma-separated tags.
                Ok(Some(Value::Array(
                    cell.split(',').map(str::trim).filter(|t| !t.is_empty()).map(Value::from).collect(),
                )))
            }
            Some((name, _)) => Err(format!("`{name}` should hold JSON")),
            None => Ok(None),
        }
    }

    fn cost(&self, names: &[&str]) -> Result<Option<Usd>, String> {
        self.cell(names).map(|(name, cell)| cost_text(cell, name)).transpose()
    }

    fn cost_details(&self, names: &[&str]) -> Result<Vec<(String, Usd)>, String> {
        match self.cell(names) {
            None => Ok(Vec::new()),
            Some((name, cell)) => cost_details_json(cell.as_bytes(), name),
        }
    }

    fn count(&self, names: &[&str]) -> Result<Option<u64>, String> {
        match self.cell(names) {
            None => Ok(None),
            Some((name, cell)) => {
                let n: serde_json::Number = serde_json::from_str(cell)
                    .map_err(|_| format!("`{name}` should be a whole number, found `{cell}`"))?;
                crate::json::count_value(&Value::Number(n), name).map(Some)
            }
        }
    }

    fn has(&self, name: &str) -> bool {
        self.columns.contains_key(&normalise_header(name))
    }
}

/// What an observation inherits from its trace.
#[derive(Clone, Debug, Default)]
struct TraceContext {
    id: Option<String>,
    name: Option<String>,
    user: Option<String>,
    session: Option<String>,
    tags: Vec<String>,
    metadata: BTreeMap<String, String>,
    environment: Option<String>,
    timestamp: Option<Timestamp>,
}

/// Whether a record is an observation rather than a trace.
fn is_observation<F: Fields>(f: &F) -> bool {
    TRACE_ID.iter().chain(TYPE).chain(&["startTime", "start_time"]).any(|n| f.has(n))
}

/// Reads one Langfuse record (trace, observation) from a JSON object.
pub(crate) fn json_record(obj: &RawObject<'_>, loc: Location, out: &mut Output) {
    let embedded = match obj.get(OBSERVATIONS) {
        Some(raw) => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
            Ok(list) => list.into_iter().filter(|r| r.get().starts_with('{')).collect(),
            Err(e) => {
                out.errors.push(format!("`observations` should be an array: {e}"));
                return;
            }
        },
        None => Vec::new(),
    };
    if !embedded.is_empty() || !is_observation(obj) {
        out.kinds.langfuse_traces += 1;
        let trace = match trace_context(obj) {
            Ok(t) => t,
            Err(e) => return out.errors.push(e),
        };
        if embedded.is_empty() {
            match trace_total(obj, &trace, loc) {
                Ok(g) => out.generations.push(g),
                Err(e) => out.errors.push(e),
            }
        }
        for (i, raw) in embedded.into_iter().enumerate() {
            out.kinds.langfuse_observations += 1;
            let parsed = RawObject::parse(raw.get().as_bytes()).and_then(|o| observation(&o, Some(&trace), loc));
            match parsed {
                Ok(Some(g)) => out.generations.push(g),
                Ok(None) => out.skipped += 1,
                Err(e) => out.errors.push(format!("observations[{i}]: {e}")),
            }
        }
    } else {
        out.kinds.langfuse_observations += 1;
        match observation(obj, None, loc) {
            Ok(Some(g)) => out.generations.push(g),
            Ok(None) => out.skipped += 1,
            Err(e) => out.errors.push(e),
        }
    }
}

/// Reads one CSV row of a trace or observation export.
pub(crate) fn csv_row(row: &CsvRow<'_>, loc: Location, out: &mut Output) {
    if is_observation(row) {
        out.kinds.langfuse_observations += 1;
        match observation(row, None, loc) {
            Ok(Some(g)) => out.generations.push(g),
            Ok(None) => out.skipped += 1,
            Err(e) => out.errors.push(e),
        }
    } else {
        out.kinds.langfuse_traces += 1;
        match trace_context(row).and_then(|t| trace_total(row, &t, loc)) {
            Ok(g) => out.generations.push(g),
            Err(e) => out.errors.push(e),
        }
    }
}

/// Whether a CSV header names enough Langfuse columns to be an export.
pub(crate) fn is_known_header(columns: &BTreeMap<String, usize>) -> bool {
    let known = [ID, TRACE_ID, MODEL, START, USAGE_DETAILS, TOTAL_COST, NAME];
    known.iter().flat_map(|names| names.iter()).any(|n| columns.contains_key(&normalise_header(n)))
}

fn timestamp<F: Fields>(f: &F) -> Result<Option<Timestamp>, String> {
    // One name at a time, so that an error names the field that is there.
    for name in START {
        if let Some(t) = f.text(&[name]) {
            return Timestamp::parse(&t).map(Some).map_err(|e| format!("`{name}`: {e}"));
        }
    }
    Ok(None)
}

fn trace_context<F: Fields>(f: &F) -> Result<TraceContext, String> {
    Ok(TraceContext {
        id: f.text(ID),
        name: f.text(NAME),
        user: f.text(USER),
        session: f.text(SESSION),
        tags: tags(f)?,
        metadata: metadata(f)?,
        environment: f.text(ENVIRONMENT),
        timestamp: timestamp(f)?,
    })
}

/// A trace known only by its totals.
fn trace_total<F: Fields>(f: &F, t: &TraceContext, loc: Location) -> Result<Generation, String> {
    Ok(Generation {
        kind: RecordKind::TraceTotal,
        trace_id: t.id.clone(),
        observation_id: None,
        timestamp: t.timestamp,
        name: t.name.clone(),
        trace_name: t.name.clone(),
        model: None,
        provider: None,
        user: t.user.clone(),
        session: t.session.clone(),
        tags: t.tags.clone(),
        metadata: t.metadata.clone(),
        usage: usage(f)?,
        exported_cost: exported_cost(f)?,
        environment: t.environment.clone(),
        line: loc.line,
    })
}

fn observation<F: Fields>(f: &F, trace: Option<&TraceContext>, loc: Location) -> Result<Option<Generation>, String> {
    let kind = f.text(TYPE).unwrap_or_default();
    let model = f.text(MODEL);
    let usage = usage(f)?;
    let cost = exported_cost(f)?;
    let is_call = kind.eq_ignore_ascii_case("GENERATION") || kind.eq_ignore_ascii_case("EMBEDDING");
    if !is_call && model.is_none() && usage.is_empty() && cost.is_none() {
        return Ok(None);
    }
    let inherit = |own: Option<String>, from: fn(&TraceContext) -> &Option<String>| {
        own.or_else(|| trace.and_then(|t| from(t).clone()))
    };
    let mut meta = trace.map(|t| t.metadata.clone()).unwrap_or_default();
    meta.extend(metadata(f)?);
    let mut tags = tags(f)?;
    if tags.is_empty() {
        tags = trace.map(|t| t.tags.clone()).unwrap_or_default();
    }
    Ok(Some(Generation {
        kind: RecordKind::Generation,
        trace_id: inherit(f.text(TRACE_ID), |t| &t.id),
        observation_id: f.text(ID),
        timestamp: timestamp(f)?.or(trace.and_then(|t| t.timestamp)),
        name: f.text(NAME),
        trace_name: inherit(f.text(TRACE_NAME), |t| &t.name),
        model,
        provider: None,
        user: inherit(f.text(USER), |t| &t.user),
        session: inherit(f.text(SESSION), |t| &t.session),
        tags,
        metadata: meta,
        usage,
        exported_cost: cost,
        environment: inherit(f.text(ENVIRONMENT), |t| &t.environment),
        line: loc.line,
    }))
}

/// Usage by the rules in the module docs, through the core normaliser.
fn usage<F: Fields>(f: &F) -> Result<Usage, String> {
    if let Some(v) = f.json(USAGE_DETAILS)?.filter(|v| v.as_object().is_some_and(|m| !m.is_empty())) {
        return langfuse_usage(&v, USAGE_DETAILS[0]);
    }
    if let Some(Value::Object(m)) = f.json(LEGACY_USAGE)? {
        // The API's legacy `usage` carries `inputCost`/`totalCost` next to the counts.
        let counts: Map<String, Value> =
            m.into_iter().filter(|(k, v)| !k.to_ascii_lowercase().contains("cost") && !v.is_null()).collect();
        if !counts.is_empty() {
            return langfuse_usage(&Value::Object(counts), LEGACY_USAGE[0]);
        }
    }
    let mut flat = Map::new();
    if let Some(n) = f.count(PROMPT_TOKENS)? {
        flat.insert(String::from("input"), Value::from(n));
    }
    if let Some(n) = f.count(COMPLETION_TOKENS)? {
        flat.insert(String::from("output"), Value::from(n));
    }
    if flat.is_empty() {
        return Ok(Usage::new());
    }
    langfuse_usage(&Value::Object(flat), PROMPT_TOKENS[0])
}

fn langfuse_usage(v: &Value, field: &str) -> Result<Usage, String> {
    usage_from_value(v, Some(UsageFormat::Langfuse)).map(|p| p.usage).map_err(|e| format!("`{field}`: {}", e.detail()))
}

fn exported_cost<F: Fields>(f: &F) -> Result<Option<Usd>, String> {
    let details = f.cost_details(COST_DETAILS)?;
    if let Some((_, total)) = details.iter().find(|(k, _)| k == "total") {
        return Ok(Some(*total));
    }
    if let Some(total) = f.cost(TOTAL_COST)? {
        return Ok(Some(total));
    }
    if details.is_empty() {
        return Ok(None);
    }
    let sum = details.iter().try_fold(Usd::ZERO, |a, (_, c)| a.checked_add(*c)).map_err(|e| e.to_string())?;
    Ok(Some(sum))
}

fn tags<F: Fields>(f: &F) -> Result<Vec<String>, String> {
    match f.json(TAGS)? {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect()),
        Some(_) => Err(String::from("`tags` should be an array of strings")),
    }
}

fn metadata<F: Fields>(f: &F) -> Result<BTreeMap<String, String>, String> {
    let value = match f.json(METADATA) {
        Ok(v) => v,
        // Metadata is free-form: a scalar is kept under its own name.
        Err(_) => {
            return Ok(f.text(METADATA).map(|t| BTreeMap::from([(String::from("metadata"), t)])).unwrap_or_default())
        }
    };
    let value = match value {
        // Some SDKs send metadata JSON-encoded as a string.
        Some(Value::String(s)) if s.trim_start().starts_with('{') => serde_json::from_str(&s).ok(),
        other => other,
    };
    Ok(match value {
        Some(Value::Object(m)) => m
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        Some(Value::Null) | None => BTreeMap::new(),
        Some(other) => BTreeMap::from([(String::from("metadata"), other.to_string())]),
    })
}
