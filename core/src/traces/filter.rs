//! A slice of a report: the generations with given values (a model, a user,
//! a tag, a day, ...) in a range of days, summed again from the report's
//! per-call records, without the file.
//!
//! Everything that comes from the per-call records is recomputed for the
//! slice, exactly as for the whole export (the same [`Slice::of`]): totals,
//! every dimension's groups, the days, the top traces, the spikes, the cache
//! savings, the audit and the what-ifs (each call's saving, audit details
//! and scenario costs are kept from the import), and what is asked of the
//! slice afterwards (the metrics query, the daily split, a budget replay).
//! Only the unknown models and the pricing note stay the whole export's.

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
        let slice = Slice::of(facts.iter(), &self.strings, &self.extras, &self.options, &mut overflow);
        slice.report(Whole {
            unknown_models: self.unknown_models.clone(),
            pricing: self.pricing.clone(),
            overflow,
            facts,
            strings: self.strings.clone(),
            extras: self.extras.clone(),
            options: self.options.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec;

    use super::*;
    use crate::money::Usd;
    use crate::pricing::PriceTable;
    use crate::time::{Date, Timestamp};
    use crate::traces::aggregate::AnalysisOptions;
    use crate::traces::stream::Sink;
    use crate::traces::{Analyzer, Generation, WhatIf};
    use crate::usage::{Usage, UsageKind};

    const MODELS: [&str; 4] = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "no-such-model"];
    const USERS: [&str; 3] = ["ann", "bob", "cy"];

    /// Calls over five days, models (one unknown), users and sessions,
    /// some with cached tokens; exported costs that agree with farebox's,
    /// differ from it by call-dependent amounts, or are missing.
    fn calls(table: &PriceTable) -> Vec<Generation> {
        (0..120u64)
            .map(|i| {
                let model = MODELS[(i % 4) as usize];
                let mut usage = Usage::new();
                usage.set(UsageKind::Input, 1_000 + 37 * i);
                usage.set(UsageKind::Output, 100 + 11 * (i % 9));
                if i % 3 == 0 {
                    usage.set(UsageKind::CacheRead, 500 + 13 * i);
                }
                let own = table
                    .resolve(model)
                    .ok()
                    .and_then(|r| crate::cost::price(r.model, &usage, &Default::default()).ok())
                    .map(|p| p.total);
                let exported = match i % 5 {
                    0 => None,
                    1 | 2 => own,
                    _ => Some(Usd::from_atto(i128::from(i) * 7_000_000_000_000)),
                };
                Generation {
                    trace_id: Some(alloc::format!("t{}", i / 3)),
                    observation_id: Some(alloc::format!("o{i}")),
                    timestamp: Some(Timestamp::parse(&alloc::format!("2026-11-{:02}T10:00:00Z", 10 + i % 5)).unwrap()),
                    model: Some(model.to_string()),
                    user: Some(USERS[(i % 3) as usize].to_string()),
                    session: Some(alloc::format!("s{}", i % 7)),
                    tags: vec![if i % 2 == 0 { "even" } else { "odd" }.to_string()],
                    usage,
                    exported_cost: exported,
                    line: i + 1,
                    ..Generation::default()
                }
            })
            .collect()
    }

    /// Which calls a filter keeps, told from the calls themselves.
    type Keeps = alloc::boxed::Box<dyn Fn(&Generation) -> bool>;

    fn options() -> AnalysisOptions {
        AnalysisOptions {
            max_discrepancies: 3,
            what_ifs: vec![
                WhatIf::Model { model: "gpt-4o-mini".into(), only: Some("gpt-4o*".into()) },
                WhatIf::CacheHitRate { percent: 50 },
                WhatIf::TodaysPrices,
                WhatIf::Model { model: "no-such-model".into(), only: None },
            ],
            ..AnalysisOptions::default()
        }
    }

    fn analyse<'g>(table: &PriceTable, calls: impl Iterator<Item = &'g Generation>) -> Report {
        let mut analyzer = Analyzer::new(table, options());
        calls.for_each(|g| analyzer.generation(g.clone()));
        analyzer.finish()
    }

    fn assert_same(slice: &Report, alone: &Report, what: &str) {
        assert_eq!(slice.totals, alone.totals, "{what}");
        assert_eq!(slice.cache_savings, alone.cache_savings, "{what}");
        assert_eq!(slice.audit, alone.audit, "{what}");
        assert_eq!(slice.what_ifs, alone.what_ifs, "{what}");
        assert_eq!(slice.by_model, alone.by_model, "{what}");
        assert_eq!(slice.by_user, alone.by_user, "{what}");
        assert_eq!(slice.by_session, alone.by_session, "{what}");
        assert_eq!(slice.by_tag, alone.by_tag, "{what}");
        assert_eq!(slice.by_day, alone.by_day, "{what}");
        assert_eq!(slice.top_traces, alone.top_traces, "{what}");
        assert_eq!(slice.spikes, alone.spikes, "{what}");
        assert_eq!(slice.by_provider, alone.by_provider, "{what}");
        assert_eq!(slice.by_metadata, alone.by_metadata, "{what}");
    }

    /// A slice's cache savings, audit and what-ifs (and everything else it
    /// sums) are those of a report built from only the slice's calls.
    #[test]
    fn a_slice_is_the_report_of_its_calls_alone() {
        let table = PriceTable::builtin();
        let calls = calls(&table);
        let whole = analyse(&table, calls.iter());
        // The fixture exercises what it should: savings, agreeing and
        // differing costs, more discrepancies than listed, every scenario.
        assert!(whole.cache_savings > Usd::ZERO);
        assert!(whole.audit.agreeing > 0 && whole.audit.differing > 3);
        assert_eq!(whole.audit.discrepancies.len(), 3);
        assert!(whole.what_ifs.iter().all(|w| w.compared + w.unpriced > 0));
        let day = |d: u8| Date::new(2026, 11, d);
        let mut filters: Vec<(Filter, Keeps)> = Vec::new();
        for m in MODELS {
            filters.push((
                Filter { only: vec![(Dimension::Model, m.into())], ..Filter::default() },
                alloc::boxed::Box::new(move |g: &Generation| g.model.as_deref() == Some(m)),
            ));
        }
        for u in USERS {
            filters.push((
                Filter {
                    only: vec![(Dimension::User, u.into()), (Dimension::Tag, "even".into())],
                    ..Filter::default()
                },
                alloc::boxed::Box::new(move |g: &Generation| {
                    g.user.as_deref() == Some(u) && g.tags.iter().any(|t| t == "even")
                }),
            ));
        }
        filters.push((
            Filter { only: vec![(Dimension::Trace, "t7".into())], ..Filter::default() },
            alloc::boxed::Box::new(|g: &Generation| g.trace_id.as_deref() == Some("t7")),
        ));
        let range = DayRange { from: day(11), to: day(12) };
        filters.push((
            Filter { only: vec![(Dimension::Model, "gpt-4o".into())], days: range },
            alloc::boxed::Box::new(move |g: &Generation| {
                g.model.as_deref() == Some("gpt-4o") && range.contains(g.timestamp.unwrap().date())
            }),
        ));
        let mut differs = 0;
        for (filter, keeps) in &filters {
            let slice = whole.filtered(filter);
            let alone = analyse(&table, calls.iter().filter(|g| keeps(g)));
            assert!(slice.totals.generations > 0, "{filter:?}");
            assert_same(&slice, &alone, &alloc::format!("{filter:?}"));
            differs += usize::from(slice.audit.discrepancies != whole.audit.discrepancies);
            // A slice of a slice is the slice of both filters.
            let again = slice.filtered(&Filter::default());
            assert_same(&again, &alone, "unfiltered slice");
        }
        // The slices' figures are their own, not the whole export's.
        assert!(differs >= filters.len() - 1, "{differs}");
        assert!(filters.iter().any(|(f, _)| whole.filtered(f).cache_savings != whole.cache_savings));
        assert_same(&whole.filtered(&Filter::default()), &whole, "no filter");
    }
}
