//! A slice of a report: the generations with given values (a model, a user,
//! a tag, a day, ...) in a range of days, summed again from the report's
//! per-call records, without the file.
//!
//! What comes from the per-call records is recomputed for the slice: totals,
//! every dimension's groups, the days, the top traces, the spikes, and what
//! is asked of the slice afterwards (the metrics query, the daily split, a
//! budget replay). What was measured while importing stays the whole
//! export's: the audit, the what-ifs, cache savings, unknown models and the
//! pricing note.

use alloc::string::String;
use alloc::vec::Vec;

use super::aggregate::{Fact, Report, Slice, Whole};
use super::split::DayRange;
use super::Dimension;

/// Which generations a slice keeps: all of `only` (a dimension and one of
/// its values, as the report's groups name them) and a day in `days`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Each a dimension and the value a generation must have in it.
    pub only: Vec<(Dimension, String)>,
    /// The days; generations without a timestamp only when it is unbounded.
    pub days: DayRange,
}

impl Filter {
    /// Whether it keeps every generation.
    pub fn is_empty(&self) -> bool {
        self.only.is_empty() && self.days == DayRange::default()
    }
}

impl Report {
    fn keeps(&self, filter: &Filter, f: &Fact, keys: &mut Vec<Option<String>>) -> bool {
        if filter.days != DayRange::default() && !f.at.is_some_and(|at| filter.days.contains(at.date())) {
            return false;
        }
        filter.only.iter().all(|(d, value)| {
            keys.clear();
            self.group_keys(f, d, keys);
            keys.iter().any(|k| k.as_deref() == Some(value.as_str()))
        })
    }

    /// The report of the generations `filter` keeps (see the module docs).
    pub fn filtered(&self, filter: &Filter) -> Report {
        let mut keys = Vec::new();
        let facts: Vec<Fact> = self.facts.iter().filter(|f| self.keeps(filter, f, &mut keys)).cloned().collect();
        let mut overflow = self.overflow;
        let slice = Slice::of(facts.iter(), &self.strings, &self.options, &mut overflow);
        slice.report(Whole {
            cache_savings: self.cache_savings,
            audit: self.audit.clone(),
            what_ifs: self.what_ifs.clone(),
            unknown_models: self.unknown_models.clone(),
            pricing: self.pricing.clone(),
            overflow,
            facts,
            strings: self.strings.clone(),
            options: self.options.clone(),
        })
    }
}
