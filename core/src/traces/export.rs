//! Exports of any aggregate: CSV, JSON, and Prometheus / OpenMetrics text.
//!
//! The metric names are the conventional ones (the seeds' Prometheus
//! counters): `llm_tokens_used_total{model,operation,token_type}` and
//! `llm_cost_dollars_total{model,operation}`, where `operation` is the
//! generation's `operation` metadata (OTel `gen_ai.operation.name`) or else
//! its observation or span name. Amounts are exact decimals, which both
//! formats accept as sample values.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use super::aggregate::{Group, Report, Tokens};
use super::metrics::MetricsResult;
use super::Dimension;
use crate::money::Usd;

/// The text exposition flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposition {
    /// Prometheus text format 0.0.4: `# TYPE llm_cost_dollars_total counter`.
    Prometheus,
    /// OpenMetrics 1.0: the family is named without `_total`, and `# EOF` ends it.
    OpenMetrics,
}

/// One CSV field, quoted when it must be (RFC 4180).
fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Groups as CSV, the key column named by `dimension`:
/// `model,generations,cost_usd,exported_cost_usd,unpriced,input_tokens,...`.
pub fn groups_csv(dimension: &Dimension, groups: &[Group]) -> String {
    let mut out = String::new();
    csv_field(&mut out, &dimension.to_string());
    out.push_str(
        ",generations,cost_usd,exported_cost_usd,unpriced,input_tokens,cache_read_tokens,cache_write_tokens,\
         output_tokens,reasoning_tokens,total_tokens\n",
    );
    for g in groups {
        csv_field(&mut out, &g.key);
        let t = &g.totals;
        let k = &t.tokens;
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{},{},{},{}",
            t.generations,
            t.cost,
            t.exported_cost,
            t.unpriced,
            k.input,
            k.cache_read,
            k.cache_write,
            k.output,
            k.reasoning,
            k.total
        );
    }
    out
}

/// Groups as a JSON array (amounts as exact decimal strings).
pub fn groups_json(groups: &[Group]) -> String {
    crate::json::to_text(groups)
}

/// Any list of records as CSV: one column per top-level field of the first
/// record (in its serialisation order), nested values as JSON text, absent
/// values empty. For the tables that are not groups: top traces,
/// discrepancies, alerts, blocked calls.
pub fn records_csv<T: serde::Serialize>(records: &[T]) -> String {
    let rows: Vec<Fields> = records
        .iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .filter_map(|text| serde_json::from_str::<Fields>(&text).ok())
        .collect();
    let Some(first) = rows.first() else { return String::new() };
    let columns: Vec<&str> = first.0.iter().map(|(k, _)| k.as_str()).collect();
    let mut out = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(&mut out, c);
    }
    out.push('\n');
    for row in &rows {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match row.0.iter().find(|(k, _)| k == c).map(|(_, v)| v) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::String(s)) => csv_field(&mut out, s),
                Some(other) => csv_field(&mut out, &other.to_string()),
            }
        }
        out.push('\n');
    }
    out
}

/// A JSON object's fields in document order (`serde_json::Map` sorts them
/// unless a crate-wide feature is switched on; the CSV wants the struct's order).
struct Fields(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A metrics result as CSV: `bucket,group,value` (columns present when used).
pub fn metrics_csv(result: &MetricsResult) -> String {
    let has_bucket = result.rows.iter().any(|r| r.bucket.is_some());
    let has_group = result.rows.iter().any(|r| r.group.is_some());
    let mut out = String::new();
    let header: Vec<&str> =
        [has_bucket.then_some("bucket"), has_group.then_some("group"), Some("value")].into_iter().flatten().collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for r in &result.rows {
        let mut cells: Vec<String> = Vec::new();
        if has_bucket {
            cells.push(r.bucket.clone().unwrap_or_default());
        }
        if has_group {
            cells.push(r.group.clone().unwrap_or_default());
        }
        cells.push(r.value.to_string());
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, c);
        }
        out.push('\n');
    }
    out
}

/// A label value, escaped as both formats require (`\\`, `\"`, `\n`).
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The report's token and cost counters by model and operation.
pub fn exposition(report: &Report, flavour: Exposition) -> String {
    let mut by: BTreeMap<(String, String), (Tokens, Usd)> = BTreeMap::new();
    for f in &report.facts {
        let model = report.strings.get(f.model).unwrap_or("unknown").to_string();
        let operation = f
            .metadata
            .iter()
            .find(|&&(k, _)| report.strings.get(k) == Some("operation"))
            .map(|&(_, v)| v)
            .or(Some(f.name).filter(|&n| n != u32::MAX))
            .and_then(|s| report.strings.get(s))
            .unwrap_or("unknown")
            .to_string();
        let e = by.entry((model, operation)).or_default();
        e.0 = {
            let mut t = e.0;
            t.input = t.input.saturating_add(f.tokens.input);
            t.cache_read = t.cache_read.saturating_add(f.tokens.cache_read);
            t.cache_write = t.cache_write.saturating_add(f.tokens.cache_write);
            t.output = t.output.saturating_add(f.tokens.output);
            t.reasoning = t.reasoning.saturating_add(f.tokens.reasoning);
            t
        };
        e.1 = e.1.checked_add(f.cost().unwrap_or(Usd::ZERO)).unwrap_or(e.1);
    }
    let (tokens_family, cost_family) = match flavour {
        Exposition::Prometheus => ("llm_tokens_used_total", "llm_cost_dollars_total"),
        Exposition::OpenMetrics => ("llm_tokens_used", "llm_cost_dollars"),
    };
    let mut out = String::new();
    let _ = writeln!(out, "# HELP {tokens_family} Total LLM tokens");
    let _ = writeln!(out, "# TYPE {tokens_family} counter");
    for ((model, op), (tokens, _)) in &by {
        for (token_type, n) in tokens.by_type() {
            let _ = writeln!(
                out,
                "llm_tokens_used_total{{model=\"{}\",operation=\"{}\",token_type=\"{token_type}\"}} {n}",
                label(model),
                label(op)
            );
        }
    }
    let _ = writeln!(out, "# HELP {cost_family} Total LLM cost in dollars");
    let _ = writeln!(out, "# TYPE {cost_family} counter");
    for ((model, op), (_, cost)) in &by {
        let _ =
            writeln!(out, "llm_cost_dollars_total{{model=\"{}\",operation=\"{}\"}} {cost}", label(model), label(op));
    }
    if flavour == Exposition::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

impl Report {
    /// A dimension's groups as CSV ([`groups_csv`]); `None` where
    /// [`Report::groups`] has none.
    pub fn csv(&self, dimension: &Dimension) -> Option<String> {
        self.groups(dimension).map(|g| groups_csv(dimension, g))
    }

    /// The report's token and cost counters as Prometheus or OpenMetrics text.
    pub fn exposition(&self, flavour: Exposition) -> String {
        exposition(self, flavour)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_csv_columns_in_field_order() {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            id: &'a str,
            cost: Usd,
            note: Option<&'a str>,
            tags: [&'a str; 2],
        }
        let rows = [
            Row { id: "t1", cost: Usd::from_atto(19_500_000_000_000_000), note: Some("a, b"), tags: ["x", "y"] },
            Row { id: "t2", cost: Usd::ZERO, note: None, tags: ["z", "w"] },
        ];
        assert_eq!(
            records_csv(&rows),
            "id,cost,note,tags\nt1,0.0195,\"a, b\",\"[\"\"x\"\",\"\"y\"\"]\"\nt2,0,,\"[\"\"z\"\",\"\"w\"\"]\"\n"
        );
        assert_eq!(records_csv::<Row>(&[]), "");
    }

    #[test]
    fn labels_and_csv_fields_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut s = String::new();
        csv_field(&mut s, "x,\"y\"");
        assert_eq!(s, "\"x,\"\"y\"\"\"");
    }
}
