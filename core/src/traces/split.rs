//! Each day's cost split by a dimension: what a stacked daily chart draws
//! (which model, provider, user or tag made a day expensive).
//!
//! Computed from the report's per-call records, never the file again. The
//! `top` most expensive values over the days asked for are a series each and
//! the rest are summed under `(other)`, so a dimension with a value per call
//! (sessions) still makes a chart of `top + 1` series: memory is
//! `days × (top + 1)` amounts, not `days × values`. Sums are exact.
//!
//! A generation counts under each of its keys, as in the report's groups: a
//! call with two tags is in both tags' series, so split by tag the series of
//! a day can add up to more than its cost.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use super::aggregate::{Report, OTHER_KEY};
use super::Dimension;
use crate::money::Usd;
use crate::time::Date;

/// Days from `from` to `to`, both inclusive; an open end is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayRange {
    /// The first day.
    pub from: Option<Date>,
    /// The last day.
    pub to: Option<Date>,
}

impl DayRange {
    /// Whether `day` is in the range.
    pub fn contains(&self, day: Date) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }
}

/// One value's cost on each day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The dimension's value (`(none)`, `(other)` for the rest).
    pub key: String,
    /// Its cost over all the days.
    pub total: Usd,
    /// Its cost per day, one per [`DailySplit::days`].
    pub costs: Vec<Usd>,
}

/// Daily costs split by a dimension (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DailySplit {
    /// The UTC days with at least one generation (`2026-11-22`), in order.
    pub days: Vec<String>,
    /// The most expensive first, `(other)` last.
    pub series: Vec<Series>,
}

/// Adds `b` to `a`. A sum of some calls' costs cannot exceed the total's,
/// which the report already capped and flagged (`Report::overflow`).
fn add(a: &mut Usd, b: Usd) {
    *a = a.checked_add(b).unwrap_or(*a);
}

impl Report {
    /// Each day's cost in `range` split by `dimension`, the `top` most
    /// expensive values a series each (see the module docs). Generations
    /// without a timestamp belong to no day and are left out.
    pub fn daily_split(&self, dimension: &Dimension, top: usize, range: DayRange) -> DailySplit {
        let dated = || {
            self.facts.iter().filter_map(|f| {
                let day = f.at?.date();
                range.contains(day).then_some((day, f))
            })
        };
        let mut days: Vec<Date> = dated().map(|(day, _)| day).collect();
        days.sort_unstable();
        days.dedup();
        // First each value's total, to choose the series ...
        let mut keys = Vec::new();
        let mut totals: BTreeMap<String, Usd> = BTreeMap::new();
        for (_, f) in dated() {
            keys.clear();
            self.group_keys(f, dimension, &mut keys);
            for key in keys.drain(..).flatten() {
                add(totals.entry(key).or_insert(Usd::ZERO), f.cost().unwrap_or(Usd::ZERO));
            }
        }
        let mut ranked: Vec<(String, Usd)> = totals.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let rest = ranked.split_off(top.min(ranked.len()));
        let index: BTreeMap<&str, usize> = ranked.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
        let mut series: Vec<Series> = ranked
            .iter()
            .map(|(key, total)| Series { key: key.clone(), total: *total, costs: alloc::vec![Usd::ZERO; days.len()] })
            .collect();
        if !rest.is_empty() {
            let mut total = Usd::ZERO;
            rest.iter().for_each(|(_, t)| add(&mut total, *t));
            series.push(Series { key: OTHER_KEY.to_string(), total, costs: alloc::vec![Usd::ZERO; days.len()] });
        }
        // ... then the chosen values' days, the rest in `(other)`.
        let other = ranked.len();
        for (day, f) in dated() {
            let Ok(d) = days.binary_search(&day) else { continue };
            keys.clear();
            self.group_keys(f, dimension, &mut keys);
            for key in keys.drain(..).flatten() {
                let s = index.get(key.as_str()).copied().unwrap_or(other);
                add(&mut series[s].costs[d], f.cost().unwrap_or(Usd::ZERO));
            }
        }
        DailySplit { days: days.into_iter().map(Date::day_key).collect(), series }
    }
}
