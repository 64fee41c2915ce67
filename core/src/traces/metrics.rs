//! A small metrics query over a [`Report`], in the spirit of Langfuse's
//! metrics API: one metric, an optional time range, an optional time
//! granularity, an optional dimension to group by.
//!
//! ```json
//! {"metric":"total_cost","from":"2026-11-01T00:00:00Z","to":"2026-12-01T00:00:00Z",
//!  "granularity":"day","group_by":"model"}
//! ```
//!
//! `from` is inclusive and `to` exclusive. Generations without a timestamp
//! are left out as soon as a range or a granularity is asked for (they
//! belong to no bucket). Buckets are UTC: hours (`2026-11-22T15:00:00.000Z`),
//! days (`2026-11-22`), ISO weeks starting Monday (`2026-W47`), months
//! (`2026-11`). Group-by dimensions are the report's ([`Dimension`]): `day`,
//! `model`, `provider`, `user`, `session`, `tag` (a generation counts under
//! each of its tags), `trace_name`, `name`, `environment`, `metadata.<key>`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::aggregate::{Fact, Report, NONE_KEY};
use super::Dimension;
use crate::money::Usd;
use crate::time::Timestamp;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// farebox's cost (of what it could price).
    TotalCost,
    /// The exports' own costs.
    ExportedCost,
    /// All tokens.
    TotalTokens,
    /// Generations.
    Count,
}

/// Time buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// UTC hours.
    Hour,
    /// UTC days.
    Day,
    /// ISO weeks (Monday first).
    Week,
    /// Calendar months.
    Month,
}

/// A metrics query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// What to measure.
    pub metric: Metric,
    /// Inclusive start.
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// Exclusive end.
    #[serde(default)]
    pub to: Option<Timestamp>,
    /// Time buckets; one row per group over the whole range if absent.
    #[serde(default)]
    pub granularity: Option<Granularity>,
    /// The dimension to group by.
    #[serde(default)]
    pub group_by: Option<Dimension>,
}

impl MetricsQuery {
    /// Reads a query from JSON.
    pub fn from_json(json: &[u8]) -> Result<MetricsQuery, String> {
        serde_json::from_slice(json).map_err(|e| format!("invalid metrics query: {e}"))
    }
}

/// A metric's value: money as an exact decimal string, counts as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// An amount.
    Usd(Usd),
    /// A count.
    Count(u64),
}

impl fmt::Display for MetricValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricValue::Usd(u) => fmt::Display::fmt(u, f),
            MetricValue::Count(n) => fmt::Display::fmt(n, f),
        }
    }
}

/// One row of a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricsRow {
    /// The time bucket, when a granularity was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The group, when a dimension was asked for (`(none)` for generations without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The value.
    pub value: MetricValue,
}

/// A query's rows, in bucket then group order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricsResult {
    /// The metric measured.
    pub metric: Metric,
    /// The rows.
    pub rows: Vec<MetricsRow>,
}

fn bucket(at: Timestamp, g: Granularity) -> String {
    let date = at.date();
    match g {
        Granularity::Hour => at.floor_hour().to_string(),
        Granularity::Day => date.day_key(),
        Granularity::Week => date.week_key(),
        Granularity::Month => date.month_key(),
    }
}

#[derive(Clone, Copy, Default)]
struct Acc {
    usd: Usd,
    count: u64,
}

impl Report {
    /// Runs a metrics query over the imported generations.
    pub fn query(&self, q: &MetricsQuery) -> MetricsResult {
        let timed = q.from.is_some() || q.to.is_some() || q.granularity.is_some();
        let mut acc: BTreeMap<(Option<String>, Option<String>), Acc> = BTreeMap::new();
        let mut groups = Vec::new();
        for f in &self.facts {
            if timed {
                let Some(at) = f.at else { continue };
                if q.from.is_some_and(|from| at < from) || q.to.is_some_and(|to| at >= to) {
                    continue;
                }
            }
            let b = q.granularity.and_then(|g| f.at.map(|at| bucket(at, g)));
            groups.clear();
            match &q.group_by {
                None => groups.push(None),
                Some(d) => self.group_keys(f, d, &mut groups),
            }
            for g in groups.drain(..) {
                let a = acc.entry((b.clone(), g)).or_default();
                match q.metric {
                    Metric::TotalCost => a.usd = a.usd.checked_add(f.cost().unwrap_or(Usd::ZERO)).unwrap_or(a.usd),
                    Metric::ExportedCost => {
                        a.usd = a.usd.checked_add(f.exported().unwrap_or(Usd::ZERO)).unwrap_or(a.usd)
                    }
                    Metric::TotalTokens => a.count = a.count.saturating_add(f.tokens.total),
                    Metric::Count => a.count += 1,
                }
            }
        }
        let rows = acc
            .into_iter()
            .map(|((bucket, group), a)| MetricsRow {
                bucket,
                group,
                value: match q.metric {
                    Metric::TotalCost | Metric::ExportedCost => MetricValue::Usd(a.usd),
                    Metric::TotalTokens | Metric::Count => MetricValue::Count(a.count),
                },
            })
            .collect();
        MetricsResult { metric: q.metric, rows }
    }

    /// The keys `f` counts under in `d` (none, one or several).
    pub(crate) fn group_keys(&self, f: &Fact, d: &Dimension, out: &mut Vec<Option<String>>) {
        let key = |sym| Some(self.strings.get(sym).unwrap_or(NONE_KEY).to_string());
        match d {
            Dimension::Day => out.push(Some(f.at.map_or_else(|| String::from(NONE_KEY), |at| at.date().day_key()))),
            Dimension::Model => out.push(key(f.model)),
            Dimension::Provider => out.push(key(f.provider)),
            Dimension::User => out.push(key(f.user)),
            Dimension::Session => out.push(key(f.session)),
            Dimension::TraceName => out.push(key(f.trace_name)),
            Dimension::Name => out.push(key(f.name)),
            Dimension::Environment => out.push(key(f.environment)),
            Dimension::Trace => out.push(key(f.trace)),
            Dimension::Tag => out.extend(f.tags.iter().map(|&t| key(t))),
            Dimension::Metadata(k) => out.extend(
                f.metadata.iter().filter(|&&(mk, _)| self.strings.get(mk) == Some(k.as_str())).map(|&(_, v)| key(v)),
            ),
        }
    }
}
