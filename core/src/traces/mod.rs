//! Trace analytics: import the traces people export, re-cost them, and
//! aggregate.
//!
//! - Importers turn each format into one normalised record, [`Generation`]:
//!   Langfuse exports (single trace with observations; batch JSON, JSONL and
//!   CSV of traces or observations; public-API pages `{data, meta}`) in
//!   [`langfuse`], OpenTelemetry OTLP/JSON in [`otel`].
//! - [`Importer`] (in [`stream`]) drives them incrementally: chunks in,
//!   [`Progress`] out, without holding the whole text (see its docs).
//! - [`detect`] tells the container (JSON document, JSON Lines, CSV) from the
//!   first bytes; [`csv`] is the incremental RFC 4180 reader.
//! - [`Dimension`] (in [`dimension`]) is what generations are grouped by,
//!   one list for [`Report::groups`], the metrics query's `group_by` and the
//!   hosts; [`Dimension::parse`] reads its names.
//!
//! Usage rules per source (every [`Usage`] is exclusive, as everywhere):
//! - Langfuse `usageDetails` / `usage_details` keys are exclusive (its SDKs
//!   subtract details); they are read by [`crate::usage::usage_from_value`]
//!   as [`UsageFormat::Langfuse`](crate::usage::UsageFormat::Langfuse). The
//!   legacy `usage` `{input, output, total, unit}` and flat
//!   `promptTokens`/`completionTokens` are read the same way when
//!   `usageDetails` is absent.
//! - OpenTelemetry GenAI `gen_ai.usage.input_tokens` *includes*
//!   `gen_ai.usage.cache_read.input_tokens` and
//!   `gen_ai.usage.cache_creation.input_tokens`, and `output_tokens` includes
//!   reasoning tokens (semantic conventions); details larger than their
//!   total are an error for that span, never clamped. A
//!   `langfuse.observation.usage_details` attribute (Langfuse's exclusive
//!   keys) wins over them.
//!
//! Exported costs are JSON numbers written from floats; they are read from
//! their text with [`Usd::parse_float_text`], never through `f64`.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::money::Usd;
use crate::time::Timestamp;
use crate::usage::Usage;

pub mod aggregate;
pub mod csv;
pub mod detect;
pub mod dimension;
pub mod export;
pub mod filter;
pub mod langfuse;
pub mod metrics;
pub mod otel;
pub mod replay;
pub mod split;
pub mod stream;

pub use aggregate::{AnalysisOptions, Analyzer, Report, WhatIf};
pub use detect::Format;
pub use dimension::{Dimension, UnknownDimension};
pub use export::Exposition;
pub use filter::Filter;
pub use metrics::{Granularity, Metric, MetricsQuery};
pub use replay::Replay;
pub use split::{DailySplit, DayRange, Series};
pub use stream::{ImportOptions, ImportReport, Importer, Progress, RecordError, Sink};

/// What an imported record stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// One model call (a Langfuse generation or embedding, an OTel GenAI span).
    #[default]
    Generation,
    /// A whole trace known only by its totals (a trace list without its
    /// observations): it has an exported cost but no model to re-cost.
    TraceTotal,
}

/// One imported model call, in every format's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Generation {
    /// Generation, or a trace's totals.
    pub kind: RecordKind,
    /// The trace it belongs to.
    pub trace_id: Option<String>,
    /// The observation (Langfuse) or span (OTel) id.
    pub observation_id: Option<String>,
    /// When it started.
    pub timestamp: Option<Timestamp>,
    /// The observation or span name (the "operation").
    pub name: Option<String>,
    /// The name of its trace.
    pub trace_name: Option<String>,
    /// The model name as exported.
    pub model: Option<String>,
    /// The provider, where the export names it (`gen_ai.provider.name`).
    pub provider: Option<String>,
    /// The user id.
    pub user: Option<String>,
    /// The session (conversation) id.
    pub session: Option<String>,
    /// Tags of the trace.
    pub tags: Vec<String>,
    /// Metadata of the trace and the observation (the observation's win),
    /// values as text (nested values as their JSON).
    pub metadata: BTreeMap<String, String>,
    /// Exclusive usage.
    pub usage: Usage,
    /// The cost the exporting tool computed, if it wrote one.
    pub exported_cost: Option<Usd>,
    /// The environment (`production`, ...).
    pub environment: Option<String>,
    /// The line (JSON Lines, CSV, JSON documents) where its record starts.
    pub line: u64,
}

/// Where a record starts, for error messages and [`Generation::line`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Location {
    /// 1-based record (line, row or array element) number.
    pub record: u64,
    /// 1-based line number where it starts.
    pub line: u64,
}

/// What a record produced: generations, things skipped (spans that are no
/// model call), and errors for parts of it.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub generations: Vec<Generation>,
    pub skipped: u64,
    pub errors: Vec<String>,
    pub kinds: SourceCounts,
}

/// How many records of each source shape were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    /// Langfuse traces (with or without their observations).
    pub langfuse_traces: u64,
    /// Langfuse observations (standalone or inside traces).
    pub langfuse_observations: u64,
    /// OpenTelemetry spans.
    pub otel_spans: u64,
}

impl SourceCounts {
    pub(crate) fn add(&mut self, other: &SourceCounts) {
        self.langfuse_traces += other.langfuse_traces;
        self.langfuse_observations += other.langfuse_observations;
        self.otel_spans += other.otel_spans;
    }
}

/// A JSON object whose values are left as raw text until asked for: only
/// the fields farebox reads are ever parsed (prompts and completions are
/// skipped unparsed), and numbers keep their exact text.
#[derive(Debug, Default)]
pub(crate) struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some((Key(k), v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    entries.push((k, v));
                }
                Ok(RawObject { entries })
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(Visitor)
    }
}

impl<'a> RawObject<'a> {
    pub(crate) fn parse(text: &'a [u8]) -> Result<RawObject<'a>, String> {
        serde_json::from_slice(text).map_err(|e| short_json_error(&e))
    }

    /// The first of `names` present and not `null`.
    pub(crate) fn get(&self, names: &[&str]) -> Option<&'a RawValue> {
        names.iter().find_map(|n| self.entries.iter().find(|(k, v)| k == n && v.get() != "null").map(|(_, v)| *v))
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == name)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &'a RawValue)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

/// serde_json's message without its "at line 1 column N" when the record
/// is a single line (the importer names the line itself).
pub(crate) fn short_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() == 1 => format!("{} (column {})", &text[..i], e.column()),
        _ => text,
    }
}

/// The text of a raw string, number or boolean; `None` for objects, arrays
/// and strings that are empty.
pub(crate) fn raw_text(raw: &RawValue) -> Option<String> {
    let t = raw.get();
    match t.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(t).ok().filter(|s| !s.is_empty()),
        b'{' | b'[' | b'n' => None,
        _ => Some(t.to_string()),
    }
}

/// A cost written by a tool from a float (a JSON number or numeric string).
pub(crate) fn raw_cost(raw: &RawValue, field: &str) -> Result<Usd, String> {
    let text = crate::json::decimal_text(raw).map_err(|e| format!("`{field}`: {e}"))?;
    cost_text(&text, field)
}

/// A cost from its decimal text, rounded as float-written text is (see
/// [`Usd::parse_float_text`]).
pub(crate) fn cost_text(text: &str, field: &str) -> Result<Usd, String> {
    Usd::parse_float_text(text.trim()).map_err(|e| format!("`{field}`: {e}"))
}
