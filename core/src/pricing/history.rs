//! Prices by date: what a model cost on a given day.
//!
//! A price table answers "what does this cost now"; an audit of last
//! spring's traces needs "what did it cost then". A [`History`] holds, per
//! model id, the periods its prices were in force, oldest first:
//!
//! - the built-in history (`core/data/price_history.json`, a farebox price
//!   file written by `cargo xtask prices` from a LiteLLM release per month on PyPI) dates a
//!   period by the release that first listed those prices; the change
//!   happened after the previous sampled release (`changed_after`) and on or
//!   before that one's upload day (`from`). It is a separate file, loaded by
//!   [`PriceTable::load_history`](super::PriceTable::load_history) only when a
//!   dated question is asked, so a page pricing today's calls never downloads it;
//! - a loaded Langfuse file dates a definition by its `startDate`, exactly.
//!
//! A period either prices the model or records that the sources stopped
//! listing it (no model): a call after that day is priced at the last listed
//! prices, and the answer says since when they are no longer listed.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use super::{invalid, Model};
use crate::error::Error;
use crate::time::Date;

/// When the prices that priced a call were in force, and how that is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// The first day these prices are known to apply: the upload day of the
    /// release that first listed them, or a Langfuse `startDate`. `None`:
    /// undated (a user definition, or the built-in table without its history).
    pub from: Option<Date>,
    /// The change to these prices happened after this day (the previous
    /// sampled release); `None` when `from` is exact or nothing earlier was sampled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_after: Option<Date>,
    /// The first day of the next prices (or of the model's listing again
    /// after `delisted`); `None` while current.
    pub until: Option<Date>,
    /// Where these prices were first seen: `litellm 1.63.2`, `langfuse startDate`, `user`.
    pub seen: String,
    /// The asked date lies before anything the sources list: the earliest known prices were used.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub before_first_known: bool,
    /// The sources stopped listing the model on this day; the last listed prices were used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delisted: Option<Date>,
}

impl Effective {
    /// Prices that apply at every date (a user definition).
    pub(crate) fn undated(seen: &str) -> Effective {
        Effective {
            from: None,
            changed_after: None,
            until: None,
            seen: seen.to_string(),
            before_first_known: false,
            delisted: None,
        }
    }
}

/// A model's prices before and after the newest release of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    pub id: &'a str,
    /// `None`: new in the release.
    pub before: Option<&'a Model>,
    /// `None`: no longer listed.
    pub after: Option<&'a Model>,
}

/// One period of a model's prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub changed_after: Option<Date>,
    pub seen: String,
    /// The model with this period's prices; `None`: no longer listed from `from`.
    pub model: Option<Model>,
}

/// Periods per lower-cased model id, each list sorted by `from`.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    models: BTreeMap<String, Vec<Period>>,
    /// The releases the periods were sampled from (empty for Langfuse dates).
    pub(crate) releases: Vec<Release>,
}

/// One sampled release of a price source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub source: String,
    pub version: String,
    /// Its upload day on the registry.
    pub date: Date,
}

impl History {
    pub(crate) fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    pub(crate) fn periods(&self, id: &str) -> &[Period] {
        self.models.get(&id.to_ascii_lowercase()).map_or(&[], Vec::as_slice)
    }

    /// Whether the history knows `lowered` (a lower-cased id).
    pub(crate) fn knows(&self, lowered: &str) -> Option<&str> {
        self.models.get(lowered).and_then(|p| p.iter().find_map(|p| p.model.as_ref())).map(|m| m.id.as_str())
    }

    /// Adds a dated period; periods stay sorted by day (a later insert for
    /// the same day replaces the earlier).
    pub(crate) fn insert(&mut self, id: &str, period: Period) {
        let list = self.models.entry(id.to_ascii_lowercase()).or_default();
        match list.binary_search_by(|p| p.from.cmp(&period.from)) {
            Ok(i) => list[i] = period,
            Err(i) => list.insert(i, period),
        }
    }

    /// Each priced period of `id`, oldest first, with when it applied.
    pub(crate) fn priced(&self, id: &str) -> Vec<(Effective, &Model)> {
        let periods = self.periods(id);
        (0..periods.len()).filter_map(|i| Some((effective(periods, i, i), periods[i].model.as_ref()?))).collect()
    }

    /// What the newest release changed: each model whose prices it first
    /// lists (before: its previous prices, if any) or that it no longer lists.
    pub(crate) fn latest_changes(&self) -> Vec<Change<'_>> {
        let Some(last) = self.releases.last() else { return Vec::new() };
        let mut changes = Vec::new();
        for periods in self.models.values() {
            let Some((now, earlier)) = periods.split_last() else { continue };
            if now.from != last.date {
                continue;
            }
            let before = earlier.iter().rev().find_map(|p| p.model.as_ref());
            let after = now.model.as_ref();
            if let Some(id) = after.or(before).map(|m| m.id.as_str()) {
                changes.push(Change { id, before, after });
            }
        }
        changes
    }

    /// The period in force on `at`: its index and how it applies.
    /// `None` when the id has no periods.
    pub(crate) fn at(&self, id: &str, at: Date) -> Option<(usize, Effective)> {
        let periods = self.periods(id);
        let first_priced = periods.iter().position(|p| p.model.is_some())?;
        // The last period starting on or before `at`, else the first known.
        let starts = periods.partition_point(|p| p.from <= at);
        let (mut index, before_first_known) = match starts.checked_sub(1) {
            Some(i) if i >= first_priced => (i, false),
            _ => (first_priced, true),
        };
        let in_force = index;
        if periods[index].model.is_none() {
            index = (0..index).rev().find(|&i| periods[i].model.is_some()).unwrap_or(first_priced);
        }
        Some((index, Effective { before_first_known, ..effective(periods, index, in_force) }))
    }
}

/// How the priced period `priced` applies on a day in period `in_force`
/// (the same one, or a later delisting: then its last listed prices).
fn effective(periods: &[Period], priced: usize, in_force: usize) -> Effective {
    let p = &periods[priced];
    let delisted = &periods[in_force];
    Effective {
        from: Some(p.from),
        changed_after: p.changed_after,
        until: periods.get(in_force + 1).map(|next| next.from),
        seen: p.seen.clone(),
        before_first_known: false,
        delisted: delisted.model.is_none().then_some(delisted.from),
    }
}

/// Parses a history file: a farebox price file whose `sources` are the
/// sampled releases, oldest first, and whose `models` are the periods: one
/// entry per model and price change, dated by `since` (the upload day of the
/// release that first listed those prices, named in `source`); an entry with
/// no prices at all marks the day the releases stopped listing the model.
/// The format, and so its parser, are the price file's own: a history is
/// checked as any price file is, and costs the module no parser of its own.
pub(crate) fn parse_history(text: &[u8]) -> Result<History, Error> {
    let text = core::str::from_utf8(text).map_err(|e| {
        Error::InvalidPriceFile(format!("price history: not UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })?;
    let file: super::table::PriceFile = serde_json::from_str(text).map_err(|e| invalid("price history", &e))?;
    let mut releases = Vec::with_capacity(file.sources.len());
    for s in &file.sources {
        let date = Date::parse(&s.date)
            .map_err(|e| Error::InvalidPriceFile(format!("price history: release {}: {e}", s.version)))?;
        releases.push(Release { source: s.name.clone(), version: s.version.clone(), date });
    }
    let mut history = History { releases, ..History::default() };
    for model in file.models {
        let from = model
            .since
            .ok_or_else(|| Error::InvalidPriceFile(format!("price history: `{}` has no `since` day", model.id)))?;
        model.validate().map_err(Error::InvalidPriceFile)?;
        // The change happened after the release before the one that first listed it.
        let changed_after = history.releases.iter().rev().map(|r| r.date).find(|&d| d < from);
        let seen = model.source.clone();
        let id = model.id.clone();
        let listed = !(model.prices.is_empty() && model.tiers.is_empty());
        history.insert(&id, Period { from, changed_after, seen, model: listed.then_some(model) });
    }
    Ok(history)
}
