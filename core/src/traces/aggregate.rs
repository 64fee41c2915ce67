//! Aggregates over imported generations: totals, groups by every dimension,
//! the most expensive traces, token breakdown, cache savings, the audit of
//! exported costs against farebox's, and what-ifs.
//!
//! [`Analyzer`] is a [`Sink`]: the importer streams generations into it and
//! it prices each one as it arrives (resolving each model name once), keeping
//! a compact record per generation with its strings interned, so a large
//! export costs a few hundred bytes per call rather than its text (the
//! benchmark's 100 MB export peaks at 94 MB resident, price table included;
//! see docs/PERFORMANCE.md). [`Analyzer::finish`]
//! builds the [`Report`], which keeps those records to answer
//! [`Report::query`] (metrics) and [`Report::replay`] (budgets) later.
//!
//! Costs: `cost` is farebox's own, from the price table; `exported_cost` is
//! what the export says. A generation farebox cannot price (no model, an
//! unknown model, or usage the model has no price for) counts in
//! `unpriced`, and `cost` holds only what could be priced (a lower bound).
//! Sums are exact; a sum beyond ±1.7 × 10²⁰ USD (only a hostile file gets
//! there) is capped and flagged in [`Report::overflow`].

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::stream::Sink;
use super::{Dimension, Generation, RecordKind};
use crate::budget::alerts::{daily_spikes, Alert, SpikeRule};
use crate::budget::glob_match;
use crate::cost::price;
use crate::money::Usd;
use crate::pricing::{infer_provider, Effective, Model, PriceTable};
use crate::time::{Date, Timestamp};
use crate::usage::{Usage, UsageKind};

/// A scenario to price the same traffic under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WhatIf {
    /// The same usage on another model; `only` limits it to generations
    /// whose model matches a glob (`gpt-4o*`).
    Model {
        /// The model to price on.
        model: String,
        /// A glob over the exported model names; all generations if absent.
        #[serde(default)]
        only: Option<String>,
    },
    /// The same prompts with this share (0–100 %) of their text input tokens
    /// read from the cache, on each generation's own model.
    CacheHitRate {
        /// The percentage of input (uncached + cached) tokens read from the cache.
        percent: u8,
    },
    /// The same usage on each generation's own model at today's prices
    /// (against the prices of each call's own day).
    TodaysPrices,
}

/// Which day's prices price a generation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricesAt {
    /// The prices in force on the generation's own day (its timestamp): an
    /// audit compares like with like. Needs the price history for days
    /// before the built-in snapshot.
    #[default]
    CallDate,
    /// Today's prices for every generation.
    Today,
}

/// What to aggregate and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// How many of the most expensive traces to list.
    pub top_n: usize,
    /// Metadata keys to group by; `None` groups by every key seen.
    pub metadata_keys: Option<Vec<String>>,
    /// Most groups per dimension; the rest are summed under `(other)`, so a
    /// unique-per-call metadata value cannot blow a report up.
    pub max_groups: usize,
    /// Exported and farebox costs closer than this agree.
    pub audit_tolerance: Usd,
    /// Most discrepancies listed (the largest); all are counted.
    pub max_discrepancies: usize,
    /// Scenarios to price.
    pub what_ifs: Vec<WhatIf>,
    /// When a day's spend is a spike.
    pub spike_rule: SpikeRule,
    /// Which day's prices price each generation.
    pub prices_at: PricesAt,
}

impl Default for AnalysisOptions {
    fn default() -> AnalysisOptions {
        AnalysisOptions {
            top_n: 10,
            metadata_keys: None,
            max_groups: 10_000,
            audit_tolerance: Usd::from_atto(1_000_000_000_000), // 10⁻⁶ USD
            max_discrepancies: 100,
            what_ifs: Vec::new(),
            spike_rule: SpikeRule::default(),
            prices_at: PricesAt::default(),
        }
    }
}

/// Token counts by the groups dashboards show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// Uncached prompt tokens (text, audio, image).
    pub input: u64,
    /// Prompt tokens read from the cache.
    pub cache_read: u64,
    /// Prompt tokens written to the cache (any lifetime).
    pub cache_write: u64,
    /// Completion tokens other than reasoning (text, audio).
    pub output: u64,
    /// Reasoning tokens.
    pub reasoning: u64,
    /// All of the above.
    pub total: u64,
}

impl Tokens {
    /// The breakdown of one usage.
    pub fn of(usage: &Usage) -> Tokens {
        let g = |kinds: &[UsageKind]| kinds.iter().fold(0u64, |a, &k| a.saturating_add(usage.get(k)));
        let input = g(&[UsageKind::Input, UsageKind::AudioInput, UsageKind::ImageInput]);
        let cache_read = g(&[UsageKind::CacheRead]);
        let cache_write = g(&[UsageKind::CacheWrite5m, UsageKind::CacheWrite1h]);
        let output = g(&[UsageKind::Output, UsageKind::AudioOutput]);
        let reasoning = g(&[UsageKind::Reasoning]);
        let total = [input, cache_read, cache_write, output, reasoning].iter().fold(0u64, |a, &n| a.saturating_add(n));
        Tokens { input, cache_read, cache_write, output, reasoning, total }
    }

    fn add(&mut self, o: &Tokens) {
        self.input = self.input.saturating_add(o.input);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_write = self.cache_write.saturating_add(o.cache_write);
        self.output = self.output.saturating_add(o.output);
        self.reasoning = self.reasoning.saturating_add(o.reasoning);
        self.total = self.total.saturating_add(o.total);
    }

    /// `(token_type, count)` pairs, the labels of `llm_tokens_used_total`.
    pub fn by_type(&self) -> [(&'static str, u64); 5] {
        [
            ("input", self.input),
            ("cache_read", self.cache_read),
            ("cache_write", self.cache_write),
            ("output", self.output),
            ("reasoning", self.reasoning),
        ]
    }
}

/// Sums over a set of generations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Generations (and trace-total records) counted.
    pub generations: u64,
    /// farebox's cost of what it could price.
    pub cost: Usd,
    /// The exports' own costs.
    pub exported_cost: Usd,
    /// Generations farebox could not (fully) price.
    pub unpriced: u64,
    /// Token breakdown.
    pub tokens: Tokens,
}

/// One group of a dimension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The dimension's value (`(none)` where generations have none).
    pub key: String,
    /// Its sums.
    #[serde(flatten)]
    pub totals: Totals,
}

/// A trace and what it cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceCost {
    /// The trace id.
    pub trace_id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its user.
    pub user: Option<String>,
    /// When its first generation started.
    pub first_seen: Option<Timestamp>,
    /// Its sums.
    #[serde(flatten)]
    pub totals: Totals,
}

/// One generation whose exported cost is not farebox's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// Its trace.
    pub trace_id: Option<String>,
    /// Its observation or span.
    pub observation_id: Option<String>,
    /// The line its record starts on.
    pub line: u64,
    /// The model as exported.
    pub model: String,
    /// The cost the export says.
    pub exported: Usd,
    /// farebox's cost.
    pub farebox: Usd,
    /// `exported − farebox`: positive when the export charged more.
    pub difference: Usd,
    /// The export's cost is that of the same model's prices in another
    /// period: a price change, not an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_change: Option<Effective>,
}

/// The audit: exported costs re-computed with farebox's prices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Generations with both an exported cost and a complete farebox cost.
    pub checked: u64,
    /// Of those, within the tolerance.
    pub agreeing: u64,
    /// Of those, beyond it.
    pub differing: u64,
    /// Of the differing, those whose exported cost is the model's cost in
    /// another price period (the export priced at the price before or after a change).
    pub price_changes: u64,
    /// Σ exported over the checked generations.
    pub exported_total: Usd,
    /// Σ farebox over the checked generations.
    pub farebox_total: Usd,
    /// `exported_total − farebox_total`.
    pub net_difference: Usd,
    /// The largest discrepancies by size, largest first.
    pub discrepancies: Vec<Discrepancy>,
}

/// A what-if's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhatIfResult {
    /// The scenario.
    pub scenario: WhatIf,
    /// Generations priced both ways.
    pub compared: u64,
    /// Their cost as they ran (farebox's prices).
    pub baseline: Usd,
    /// Their cost in the scenario.
    pub cost: Usd,
    /// `cost − baseline`: negative is money saved.
    pub difference: Usd,
    /// Generations the scenario applies to but that could not be priced both ways.
    pub unpriced: u64,
}

/// An interned string; `NONE` for an absent value.
type Sym = u32;
const NONE: Sym = u32::MAX;

/// Strings stored once, found by hash: an open-addressing table of FNV-1a
/// hashes (no dependency, deterministic), because a `BTreeMap<String, _>`
/// compares whole strings at every level and made interning most of the
/// cost of aggregation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    strings: Vec<String>,
    /// `sym + 1` per slot, 0 when empty; the length is a power of two.
    slots: Vec<u32>,
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Interner {
    fn intern(&mut self, s: Option<&str>) -> Sym {
        let Some(s) = s else { return NONE };
        // Keep the table at most half full.
        if (self.strings.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = fnv1a(s) as usize & mask;
        loop {
            match self.slots[i] {
                0 => {
                    let sym = self.strings.len() as Sym;
                    self.strings.push(s.to_string());
                    self.slots[i] = sym + 1;
                    return sym;
                }
                n if self.strings[(n - 1) as usize] == s => return n - 1,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        self.slots = alloc::vec![0; size];
        let mask = size - 1;
        for (sym, s) in self.strings.iter().enumerate() {
            let mut i = fnv1a(s) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = sym as u32 + 1;
        }
    }

    pub(crate) fn get(&self, sym: Sym) -> Option<&str> {
        self.strings.get(sym as usize).map(String::as_str)
    }
}

/// One generation, compactly (see the module docs): besides its ids and
/// sums, what the import measured of it that a slice sums again (what its
/// cached tokens saved, its audit, its what-ifs in [`Extras`]).
#[derive(Clone, Debug)]
pub(crate) struct Fact {
    pub at: Option<Timestamp>,
    pub kind: RecordKind,
    pub model: Sym,
    pub provider: Sym,
    pub user: Sym,
    pub session: Sym,
    pub trace: Sym,
    pub trace_name: Sym,
    pub name: Sym,
    pub environment: Sym,
    pub tags: Vec<Sym>,
    pub metadata: Vec<(Sym, Sym)>,
    pub tokens: Tokens,
    /// farebox's cost; zero when `priced` is false. (Not `Option<Usd>`:
    /// its tag would pad each record by 16 bytes.)
    cost: Usd,
    /// The export's cost; zero when `has_exported` is false.
    exported: Usd,
    /// What the cached tokens would have cost uncached, minus what they cost.
    pub saved: Usd,
    /// Its place in the import: its row of [`Extras::what_ifs`].
    pub seq: u32,
    /// Its entry in [`Extras::details`] when its exported cost differs; `NONE` otherwise.
    pub detail: u32,
    /// Whether the model is known and `cost` is farebox's.
    priced: bool,
    /// Whether `cost` covers all usage.
    pub complete: bool,
    has_exported: bool,
}

impl Fact {
    /// farebox's cost; `None` when the model is unknown or absent.
    pub(crate) fn cost(&self) -> Option<Usd> {
        self.priced.then_some(self.cost)
    }

    /// The cost the export says.
    pub(crate) fn exported(&self) -> Option<Usd> {
        self.has_exported.then_some(self.exported)
    }

    /// The cost a budget replay charges: farebox's if complete, else the export's.
    pub(crate) fn best_cost(&self) -> Option<Usd> {
        if self.complete {
            self.cost()
        } else {
            self.exported()
        }
    }

    fn totals(&self) -> Totals {
        Totals {
            generations: 1,
            cost: self.cost,
            exported_cost: self.exported,
            unpriced: u64::from(!self.complete),
            tokens: self.tokens,
        }
    }
}

/// A what-if for one generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The scenario does not apply to it.
    Skipped,
    /// It applies, but the generation could not be priced both ways.
    Unpriced,
    /// Its cost in the scenario (its baseline is its own complete cost).
    Cost(Usd),
}

/// Where a generation whose exported cost differs came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Detail {
    /// Its observation id: `ids[start..start + len]`; `len == NONE` for none.
    start: u32,
    len: u32,
    line: u64,
    /// Its index in `periods`, `NONE` when no price change explains it.
    price_change: u32,
}

/// What the import measured per generation beyond its [`Fact`], shared by
/// a report and its slices: the what-ifs (a row of `what_ifs.len()` per
/// generation, by [`Fact::seq`]; nothing without scenarios) and, only for
/// the generations whose exported cost differs, what their discrepancy
/// lists (observation ids in one text, no allocation each).
#[derive(Clone, Debug, Default)]
pub(crate) struct Extras {
    pub(crate) scenarios: usize,
    pub(crate) what_ifs: Vec<Outcome>,
    ids: String,
    details: Vec<Detail>,
    periods: Vec<Effective>,
}

impl Extras {
    fn outcomes(&self, f: &Fact) -> &[Outcome] {
        let row = f.seq as usize * self.scenarios;
        self.what_ifs.get(row..row + self.scenarios).unwrap_or(&[])
    }

    fn detail(&self, f: &Fact) -> (Option<String>, u64, Option<Effective>) {
        let Some(d) = self.details.get(f.detail as usize) else { return (None, 0, None) };
        let id = (d.len != NONE).then(|| self.ids[d.start as usize..(d.start + d.len) as usize].to_string());
        (id, d.line, self.periods.get(d.price_change as usize).cloned())
    }

    fn push_detail(&mut self, observation: Option<&str>, line: u64, price_change: Option<Effective>) -> u32 {
        let (start, len) = match observation {
            Some(id) => {
                let start = self.ids.len() as u32;
                self.ids.push_str(id);
                (start, id.len() as u32)
            }
            None => (0, NONE),
        };
        let price_change = match price_change {
            Some(e) => match self.periods.iter().position(|p| *p == e) {
                Some(i) => i as u32,
                None => {
                    self.periods.push(e);
                    (self.periods.len() - 1) as u32
                }
            },
            None => NONE,
        };
        self.details.push(Detail { start, len, line, price_change });
        (self.details.len() - 1) as u32
    }
}

/// Adds, capping at the range of [`Usd`] and raising `overflow`.
fn sat_add(a: Usd, b: Usd, overflow: &mut bool) -> Usd {
    match a.checked_add(b) {
        Ok(s) => s,
        Err(_) => {
            *overflow = true;
            if b.is_negative() {
                Usd::from_atto(i128::MIN)
            } else {
                Usd::from_atto(i128::MAX)
            }
        }
    }
}

impl Totals {
    fn add(&mut self, o: &Totals, overflow: &mut bool) {
        self.generations += o.generations;
        self.cost = sat_add(self.cost, o.cost, overflow);
        self.exported_cost = sat_add(self.exported_cost, o.exported_cost, overflow);
        self.unpriced += o.unpriced;
        self.tokens.add(&o.tokens);
    }
}

/// Per-scenario running sums.
#[derive(Clone, Debug, Default)]
struct WhatIfSum {
    compared: u64,
    baseline: Usd,
    cost: Usd,
    unpriced: u64,
}

/// The streaming aggregator (see the module docs).
#[derive(Debug)]
pub struct Analyzer<'t> {
    table: &'t PriceTable,
    options: AnalysisOptions,
    /// Model name → what it resolves to, found once per name (and per day).
    models: BTreeMap<String, Names<'t>>,
    pricing: PricingNote,
    /// What-if target models, resolved once.
    targets: Vec<Option<&'t Model>>,
    strings: Interner,
    facts: Vec<Fact>,
    extras: Extras,
    unknown_models: BTreeMap<String, u64>,
}

impl<'t> Analyzer<'t> {
    /// An analyzer pricing with `table`.
    pub fn new(table: &'t PriceTable, options: AnalysisOptions) -> Analyzer<'t> {
        let targets = options
            .what_ifs
            .iter()
            .map(|w| match w {
                WhatIf::Model { model, .. } => table.resolve(model).ok().map(|r| r.model),
                WhatIf::CacheHitRate { .. } | WhatIf::TodaysPrices => None,
            })
            .collect();
        let extras = Extras { scenarios: options.what_ifs.len(), ..Extras::default() };
        let prices_at = options.prices_at;
        Analyzer {
            table,
            options,
            models: BTreeMap::new(),
            pricing: PricingNote { prices_at, history: history_span(table), ..PricingNote::default() },
            targets,
            strings: Interner::default(),
            facts: Vec::new(),
            extras,
            unknown_models: BTreeMap::new(),
        }
    }

    /// What `name` resolves to, found on first use.
    fn names(&mut self, name: &str) -> &mut Names<'t> {
        if !self.models.contains_key(name) {
            let today = self.table.resolve(name).ok().map(|r| r.model);
            self.models.insert(name.to_string(), Names { today, days: Vec::new(), periods: None });
        }
        self.models.get_mut(name).unwrap_or_else(|| unreachable!("inserted above"))
    }

    /// The model `name` resolves to, with the prices of the generation's day
    /// (per [`AnalysisOptions::prices_at`]), counted in the pricing note.
    fn model_for(&mut self, name: &str, at: Option<Timestamp>) -> Option<&'t Model> {
        let (table, prices_at) = (self.table, self.options.prices_at);
        // One lookup of the name per generation; the day's model is found once per day.
        let names = self.names(name);
        let current = names.today;
        let day = match (prices_at, at) {
            (PricesAt::CallDate, Some(at)) => at.date(),
            (PricesAt::CallDate, None) => {
                self.pricing.undated += u64::from(current.is_some());
                return current;
            }
            (PricesAt::Today, _) => return current,
        };
        let key = day.days_since_epoch();
        let found = match names.days.binary_search_by_key(&key, |&(d, _)| d) {
            Ok(i) => names.days[i].1,
            Err(i) => {
                let found = match table.resolve_at(name, day) {
                    Ok(dated) => {
                        let earlier = dated.effective.until.is_some() || dated.effective.delisted.is_some();
                        Some((dated.resolved.model, if earlier { Dating::Earlier } else { Dating::Current }))
                    }
                    Err(crate::Error::PriceHistoryNotLoaded) => current.map(|m| (m, Dating::NoHistory)),
                    Err(_) => None,
                };
                names.days.insert(i, (key, found));
                found
            }
        };
        match found {
            Some((_, Dating::Earlier)) => self.pricing.at_earlier_prices += 1,
            Some((_, Dating::NoHistory)) => self.pricing.without_history += 1,
            _ => {}
        }
        found.map(|(m, _)| m)
    }

    /// Another price period of the model under which the export's cost is
    /// right: the export used the price before (or after) a change.
    fn price_change(&mut self, name: &str, usage: &Usage, exported: Usd, used: &Model) -> Option<Effective> {
        let tolerance = self.options.audit_tolerance.atto().unsigned_abs();
        let table = self.table;
        let names = self.names(name);
        names
            .periods
            .get_or_insert_with(|| table.price_periods(name).unwrap_or_default())
            .iter()
            .filter(|(_, m)| m.prices != used.prices || m.tiers != used.tiers)
            .find(|(_, m)| {
                Analyzer::price(m, usage).is_some_and(|(cost, complete)| {
                    complete && exported.checked_sub(cost).is_ok_and(|d| d.atto().unsigned_abs() <= tolerance)
                })
            })
            .map(|(e, _)| e.clone())
    }

    /// Builds the report.
    pub fn finish(mut self) -> Report {
        let mut overflow = false;
        let strings = Arc::new(self.strings);
        let extras = Arc::new(self.extras);
        let slice = Slice::of(self.facts.iter(), &strings, &extras, &self.options, &mut overflow);
        let mut unknown_models: Vec<(String, u64)> = core::mem::take(&mut self.unknown_models).into_iter().collect();
        unknown_models.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        slice.report(Whole {
            unknown_models,
            pricing: self.pricing,
            overflow,
            facts: self.facts,
            strings,
            extras,
            options: self.options,
        })
    }

    /// farebox's cost of `usage` on `model`: `(total, complete)`.
    fn price(model: &Model, usage: &Usage) -> Option<(Usd, bool)> {
        price(model, usage, &BTreeMap::new()).ok().map(|p| (p.total, p.unpriced.is_empty()))
    }
}

/// The group of generations without a value.
pub(crate) const NONE_KEY: &str = "(none)";
/// The group of the values past a limit (`max_groups`, a chart's series).
pub(crate) const OTHER_KEY: &str = "(other)";

/// Groups facts by the keys `keys` gives each (none, one or several),
/// sums them, names each key, sorts by cost (then name) and folds groups
/// past `max` into `(other)`. Keys are integers (interned strings, day
/// numbers) so that grouping compares no strings.
fn groups<'f>(
    facts: impl Iterator<Item = &'f Fact>,
    keys: impl Fn(&Fact, &mut Vec<i64>),
    name: impl Fn(i64) -> String,
    max: usize,
    overflow: &mut bool,
) -> Vec<Group> {
    let mut map: BTreeMap<i64, Totals> = BTreeMap::new();
    let mut buf = Vec::new();
    for f in facts {
        buf.clear();
        keys(f, &mut buf);
        let t = f.totals();
        for &k in &buf {
            map.entry(k).or_default().add(&t, overflow);
        }
    }
    let mut list: Vec<Group> = map.into_iter().map(|(k, totals)| Group { key: name(k), totals }).collect();
    list.sort_by(|a, b| {
        (b.totals.cost, b.totals.exported_cost, b.totals.generations)
            .cmp(&(a.totals.cost, a.totals.exported_cost, a.totals.generations))
            .then_with(|| a.key.cmp(&b.key))
    });
    if list.len() > max {
        let mut other = Totals::default();
        for g in list.drain(max..) {
            other.add(&g.totals, overflow);
        }
        list.push(Group { key: OTHER_KEY.to_string(), totals: other });
    }
    list
}

/// What a report computes from its per-call records alone: the whole
/// export's in [`Analyzer::finish`], a slice's in [`Report::filtered`].
pub(crate) struct Slice {
    pub(crate) totals: Totals,
    pub(crate) by_day: Vec<Group>,
    pub(crate) by_model: Vec<Group>,
    pub(crate) by_provider: Vec<Group>,
    pub(crate) by_user: Vec<Group>,
    pub(crate) by_session: Vec<Group>,
    pub(crate) by_tag: Vec<Group>,
    pub(crate) by_trace_name: Vec<Group>,
    pub(crate) by_name: Vec<Group>,
    pub(crate) by_environment: Vec<Group>,
    pub(crate) by_metadata: BTreeMap<String, Vec<Group>>,
    pub(crate) top_traces: Vec<TraceCost>,
    pub(crate) spikes: Vec<Alert>,
    pub(crate) cache_savings: Usd,
    pub(crate) audit: Audit,
    pub(crate) what_ifs: Vec<WhatIfResult>,
}

/// What a [`Report`] holds beside its [`Slice`]: what only the import
/// computes (the same under any filter) and the per-call records.
pub(crate) struct Whole {
    pub(crate) unknown_models: Vec<(String, u64)>,
    pub(crate) pricing: PricingNote,
    pub(crate) overflow: bool,
    pub(crate) facts: Vec<Fact>,
    pub(crate) strings: Arc<Interner>,
    pub(crate) extras: Arc<Extras>,
    pub(crate) options: AnalysisOptions,
}

impl Slice {
    /// The report of this slice with `whole`.
    pub(crate) fn report(self, whole: Whole) -> Report {
        let Slice {
            totals,
            by_day,
            by_model,
            by_provider,
            by_user,
            by_session,
            by_tag,
            by_trace_name,
            by_name,
            by_environment,
            by_metadata,
            top_traces,
            spikes,
            cache_savings,
            audit,
            what_ifs,
        } = self;
        let Whole { unknown_models, pricing, overflow, facts, strings, extras, options } = whole;
        Report {
            totals,
            by_day,
            by_model,
            by_provider,
            by_user,
            by_session,
            by_tag,
            by_trace_name,
            by_name,
            by_environment,
            by_metadata,
            top_traces,
            cache_savings,
            audit,
            what_ifs,
            spikes,
            unknown_models,
            pricing,
            overflow,
            facts,
            strings,
            extras,
            options,
        }
    }

    pub(crate) fn of<'f>(
        facts: impl Iterator<Item = &'f Fact> + Clone,
        strings: &Interner,
        extras: &Extras,
        options: &AnalysisOptions,
        overflow: &mut bool,
    ) -> Slice {
        let mut totals = Totals::default();
        for f in facts.clone() {
            totals.add(&f.totals(), overflow);
        }
        let name = |k: i64| strings.get(k as Sym).unwrap_or(NONE_KEY).to_string();
        let max = options.max_groups;
        let group = |key: fn(&Fact) -> Sym, overflow: &mut bool| {
            groups(facts.clone(), |f, out| out.push(i64::from(key(f))), name, max, overflow)
        };
        let by_model = group(|f| f.model, overflow);
        let by_provider = group(|f| f.provider, overflow);
        let by_user = group(|f| f.user, overflow);
        let by_session = group(|f| f.session, overflow);
        let by_trace_name = group(|f| f.trace_name, overflow);
        let by_name = group(|f| f.name, overflow);
        let by_environment = group(|f| f.environment, overflow);
        let by_tag =
            groups(facts.clone(), |f, out| out.extend(f.tags.iter().map(|&t| i64::from(t))), name, max, overflow);
        // Days since the epoch; `i64::MIN` for generations without a timestamp.
        let day_name = |d: i64| {
            if d == i64::MIN {
                NONE_KEY.to_string()
            } else {
                Date::from_days_since_epoch(d).day_key()
            }
        };
        let mut by_day = groups(
            facts.clone(),
            |f, out| out.push(f.at.map_or(i64::MIN, |t| t.date().days_since_epoch())),
            day_name,
            usize::MAX,
            overflow,
        );
        by_day.sort_by(|a, b| a.key.cmp(&b.key));
        let mut keys: Vec<Sym> = facts.clone().flat_map(|f| f.metadata.iter().map(|&(k, _)| k)).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut by_metadata = BTreeMap::new();
        for key in keys {
            let key_name = name(i64::from(key));
            if options.metadata_keys.as_ref().is_some_and(|wanted| !wanted.contains(&key_name)) {
                continue;
            }
            let g = groups(
                facts.clone(),
                |f, out| out.extend(f.metadata.iter().filter(|&&(k, _)| k == key).map(|&(_, v)| i64::from(v))),
                name,
                max,
                overflow,
            );
            by_metadata.insert(key_name, g);
        }
        let top_traces = top_traces(facts.clone(), strings, options.top_n, overflow);
        let days: Vec<(Date, Usd)> =
            by_day.iter().filter_map(|g| Timestamp::parse(&g.key).ok().map(|t| (t.date(), g.totals.cost))).collect();
        let spikes = daily_spikes("total", &days, &options.spike_rule);
        let cache_savings = facts.clone().fold(Usd::ZERO, |sum, f| sat_add(sum, f.saved, overflow));
        let audit = audit(facts.clone(), strings, extras, options, overflow);
        let what_ifs = what_ifs(facts, extras, options, overflow);
        Slice {
            totals,
            by_day,
            by_model,
            by_provider,
            by_user,
            by_session,
            by_tag,
            by_trace_name,
            by_name,
            by_environment,
            by_metadata,
            top_traces,
            spikes,
            cache_savings,
            audit,
            what_ifs,
        }
    }
}

/// The audit of `facts`: each one's exported cost against farebox's, the
/// largest discrepancies listed (ties in import order).
fn audit<'f>(
    facts: impl Iterator<Item = &'f Fact>,
    strings: &Interner,
    extras: &Extras,
    options: &AnalysisOptions,
    overflow: &mut bool,
) -> Audit {
    let tolerance = options.audit_tolerance.atto().unsigned_abs();
    let mut a = Audit::default();
    // The differing, by size; cut back to the largest when twice the cap,
    // so memory stays bounded. The sort is stable: ties keep their order.
    let cap = options.max_discrepancies.max(1);
    let mut largest: Vec<(u128, &Fact, Usd, Usd, Usd)> = Vec::new();
    let cut = |list: &mut Vec<(u128, &Fact, Usd, Usd, Usd)>, keep: usize| {
        list.sort_by_key(|d| core::cmp::Reverse(d.0));
        list.truncate(keep);
    };
    for f in facts {
        let (Some(exported), Some(farebox), true) = (f.exported(), f.cost(), f.complete) else { continue };
        a.checked += 1;
        a.exported_total = sat_add(a.exported_total, exported, overflow);
        a.farebox_total = sat_add(a.farebox_total, farebox, overflow);
        let Ok(difference) = exported.checked_sub(farebox) else {
            *overflow = true;
            continue;
        };
        let size = difference.atto().unsigned_abs();
        if size <= tolerance {
            a.agreeing += 1;
            continue;
        }
        a.differing += 1;
        a.price_changes += u64::from(extras.details.get(f.detail as usize).is_some_and(|d| d.price_change != NONE));
        largest.push((size, f, exported, farebox, difference));
        if largest.len() >= 2 * cap {
            cut(&mut largest, cap);
        }
    }
    cut(&mut largest, options.max_discrepancies);
    a.discrepancies = largest
        .into_iter()
        .map(|(_, f, exported, farebox, difference)| {
            let (observation_id, line, price_change) = extras.detail(f);
            Discrepancy {
                trace_id: strings.get(f.trace).map(String::from),
                observation_id,
                line,
                model: strings.get(f.model).unwrap_or_default().to_string(),
                exported,
                farebox,
                difference,
                price_change,
            }
        })
        .collect();
    a.net_difference = a.exported_total.checked_sub(a.farebox_total).unwrap_or_else(|_| {
        *overflow = true;
        Usd::ZERO
    });
    a
}

/// The scenarios summed over `facts`.
fn what_ifs<'f>(
    facts: impl Iterator<Item = &'f Fact>,
    extras: &Extras,
    options: &AnalysisOptions,
    overflow: &mut bool,
) -> Vec<WhatIfResult> {
    let mut sums = alloc::vec![WhatIfSum::default(); options.what_ifs.len()];
    if !sums.is_empty() {
        for f in facts {
            for (sum, outcome) in sums.iter_mut().zip(extras.outcomes(f)) {
                match outcome {
                    Outcome::Skipped => {}
                    Outcome::Unpriced => sum.unpriced += 1,
                    Outcome::Cost(cost) => {
                        sum.compared += 1;
                        sum.baseline = sat_add(sum.baseline, f.cost, overflow);
                        sum.cost = sat_add(sum.cost, *cost, overflow);
                    }
                }
            }
        }
    }
    options
        .what_ifs
        .iter()
        .zip(sums)
        .map(|(scenario, s)| WhatIfResult {
            scenario: scenario.clone(),
            compared: s.compared,
            baseline: s.baseline,
            cost: s.cost,
            difference: s.cost.checked_sub(s.baseline).unwrap_or_else(|_| {
                *overflow = true;
                Usd::ZERO
            }),
            unpriced: s.unpriced,
        })
        .collect()
}

fn top_traces<'f>(
    facts: impl Iterator<Item = &'f Fact>,
    s: &Interner,
    top_n: usize,
    overflow: &mut bool,
) -> Vec<TraceCost> {
    let mut traces: BTreeMap<Sym, (Totals, Option<Timestamp>, Sym, Sym)> = BTreeMap::new();
    for f in facts.filter(|f| f.trace != NONE) {
        let e = traces.entry(f.trace).or_insert((Totals::default(), None, f.trace_name, f.user));
        e.0.add(&f.totals(), overflow);
        e.1 = match (e.1, f.at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if e.2 == NONE {
            e.2 = f.trace_name;
        }
        if e.3 == NONE {
            e.3 = f.user;
        }
    }
    let mut list: Vec<_> = traces.into_iter().collect();
    // farebox's cost first; the export's breaks ties (trace totals have only that).
    list.sort_by(|a, b| {
        (b.1 .0.cost, b.1 .0.exported_cost).cmp(&(a.1 .0.cost, a.1 .0.exported_cost)).then(a.0.cmp(&b.0))
    });
    list.truncate(top_n);
    list.into_iter()
        .map(|(trace, (totals, first_seen, name, user))| TraceCost {
            trace_id: s.get(trace).unwrap_or_default().to_string(),
            name: s.get(name).map(String::from),
            user: s.get(user).map(String::from),
            first_seen,
            totals,
        })
        .collect()
}

impl Sink for Analyzer<'_> {
    fn generation(&mut self, g: Generation) {
        let model = g.model.as_deref().and_then(|m| self.model_for(m, g.timestamp));
        if let (Some(name), None) = (&g.model, model) {
            *self.unknown_models.entry(name.clone()).or_insert(0) += 1;
        }
        let priced = model.and_then(|m| Analyzer::price(m, &g.usage));
        // A trace known only by its total has no model: farebox cannot price
        // it, and says so (`unpriced`), while its exported cost still counts.
        let (cost, complete) = match priced {
            Some((c, complete)) => (Some(c), complete),
            None => (None, false),
        };
        let detail = self.audit_one(&g, model, cost, complete);
        let saved = match (model, priced) {
            (Some(m), Some((actual, true))) => Analyzer::saved(m, &g.usage, actual),
            _ => Usd::ZERO,
        };
        for i in 0..self.options.what_ifs.len() {
            let outcome = match cost.filter(|_| complete) {
                _ if !applies(&self.options.what_ifs[i], &g) => Outcome::Skipped,
                Some(_) => self.what_if(i, &g, model),
                None => Outcome::Unpriced,
            };
            self.extras.what_ifs.push(outcome);
        }
        let provider = g
            .provider
            .clone()
            .or_else(|| model.map(|m| m.provider.clone()))
            .or_else(|| g.model.as_deref().map(|m| infer_provider(m).to_string()).filter(|p| p != "unknown"));
        let s = &mut self.strings;
        let fact = Fact {
            at: g.timestamp,
            kind: g.kind,
            model: s.intern(g.model.as_deref()),
            provider: s.intern(provider.as_deref()),
            user: s.intern(g.user.as_deref()),
            session: s.intern(g.session.as_deref()),
            trace: s.intern(g.trace_id.as_deref()),
            trace_name: s.intern(g.trace_name.as_deref()),
            name: s.intern(g.name.as_deref()),
            environment: s.intern(g.environment.as_deref()),
            tags: g.tags.iter().map(|t| s.intern(Some(t))).collect(),
            metadata: g.metadata.iter().map(|(k, v)| (s.intern(Some(k)), s.intern(Some(v)))).collect(),
            tokens: Tokens::of(&g.usage),
            cost: cost.unwrap_or(Usd::ZERO),
            exported: g.exported_cost.unwrap_or(Usd::ZERO),
            saved,
            seq: self.facts.len() as u32,
            detail,
            priced: cost.is_some(),
            complete,
            has_exported: g.exported_cost.is_some(),
        };
        self.facts.push(fact);
    }
}

/// Whether a what-if applies to a generation.
fn applies(w: &WhatIf, g: &Generation) -> bool {
    match w {
        WhatIf::Model { only: Some(glob), .. } => g.model.as_deref().is_some_and(|m| glob_match(glob, m)),
        WhatIf::Model { only: None, .. } | WhatIf::CacheHitRate { .. } | WhatIf::TodaysPrices => {
            g.kind == RecordKind::Generation
        }
    }
}

impl Analyzer<'_> {
    /// Where a generation whose exported cost differs from farebox's came
    /// from, and the price change that explains it (the sums are
    /// [`Slice::of`]'s); `NONE` for any other generation.
    fn audit_one(&mut self, g: &Generation, model: Option<&Model>, cost: Option<Usd>, complete: bool) -> u32 {
        let (Some(exported), Some(farebox), true) = (g.exported_cost, cost, complete) else { return NONE };
        let tolerance = self.options.audit_tolerance.atto().unsigned_abs();
        match exported.checked_sub(farebox) {
            Ok(difference) if difference.atto().unsigned_abs() > tolerance => {}
            _ => return NONE,
        }
        let price_change = match (model, g.model.as_deref()) {
            (Some(used), Some(name)) => self.price_change(name, &g.usage, exported, used),
            _ => None,
        };
        self.extras.push_detail(g.observation_id.as_deref(), g.line, price_change)
    }

    /// What the cached tokens would have cost uncached, minus what they cost.
    fn saved(model: &Model, usage: &Usage, actual: Usd) -> Usd {
        let cached = usage.get(UsageKind::CacheRead);
        if cached == 0 {
            return Usd::ZERO;
        }
        let mut uncached = usage.clone();
        uncached.set(UsageKind::CacheRead, 0);
        uncached.add(UsageKind::Input, cached);
        match Analyzer::price(model, &uncached) {
            Some((full, true)) => full.checked_sub(actual).unwrap_or(Usd::ZERO),
            _ => Usd::ZERO,
        }
    }

    /// The `i`th scenario's cost of a generation farebox priced completely.
    fn what_if(&self, i: usize, g: &Generation, model: Option<&Model>) -> Outcome {
        let scenario = match &self.options.what_ifs[i] {
            WhatIf::Model { .. } => self.targets[i].and_then(|t| Analyzer::price(t, &g.usage)),
            WhatIf::CacheHitRate { percent } => model.and_then(|m| {
                let mut u = g.usage.clone();
                let text = u.get(UsageKind::Input).saturating_add(u.get(UsageKind::CacheRead));
                let cached = (u128::from(text) * u128::from((*percent).min(100)) / 100) as u64;
                u.set(UsageKind::CacheRead, cached);
                u.set(UsageKind::Input, text - cached);
                Analyzer::price(m, &u)
            }),
            // The name resolved today (cached when the generation was priced).
            WhatIf::TodaysPrices => g
                .model
                .as_deref()
                .and_then(|name| self.models.get(name).and_then(|n| n.today))
                .and_then(|today| Analyzer::price(today, &g.usage)),
        };
        match scenario {
            Some((cost, true)) => Outcome::Cost(cost),
            _ => Outcome::Unpriced,
        }
    }
}

/// How an analysis dated its prices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PricingNote {
    /// Each call's own day, or today.
    pub prices_at: PricesAt,
    /// Generations priced at prices that have changed since their day.
    pub at_earlier_prices: u64,
    /// Generations without a timestamp, priced at today's prices.
    pub undated: u64,
    /// Generations from before the built-in prices were taken, priced at
    /// today's prices because the price history was not loaded.
    pub without_history: u64,
    /// The loaded history's span (`litellm 0.12.7 (2023-10-31) to litellm 1.110.2 (2026-11-20)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
}

/// The model as priced on one day (`None`: unknown) and whether those prices are today's.
type DatedModel<'t> = Option<(&'t Model, Dating)>;

/// What one exported model name resolves to.
#[derive(Clone, Debug)]
struct Names<'t> {
    /// Today (`None`: unknown).
    today: Option<&'t Model>,
    /// By day (days since the epoch, sorted): the model as priced that day.
    days: Vec<(i64, DatedModel<'t>)>,
    /// Its price periods, found when an audit difference asks.
    periods: Option<Vec<(Effective, &'t Model)>>,
}

/// Whether the prices that priced a generation are today's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dating {
    Current,
    Earlier,
    NoHistory,
}

fn history_span(table: &PriceTable) -> Option<String> {
    let releases = table.history_releases();
    let (first, last) = (releases.first()?, releases.last()?);
    Some(alloc::format!(
        "{} {} ({}) to {} {} ({})",
        first.source,
        first.version,
        first.date,
        last.source,
        last.version,
        last.date
    ))
}

/// The analysis of an import.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Everything.
    pub totals: Totals,
    /// By UTC day, in date order.
    pub by_day: Vec<Group>,
    /// By model name as exported, most expensive first (as all groups below).
    pub by_model: Vec<Group>,
    /// By provider (named by the export, else the resolved model's).
    pub by_provider: Vec<Group>,
    /// By user.
    pub by_user: Vec<Group>,
    /// By session.
    pub by_session: Vec<Group>,
    /// By tag; a generation with several tags counts in each.
    pub by_tag: Vec<Group>,
    /// By trace name.
    pub by_trace_name: Vec<Group>,
    /// By observation or span name (the operation).
    pub by_name: Vec<Group>,
    /// By environment.
    pub by_environment: Vec<Group>,
    /// By each metadata key's values (`agent_type`, `feature`, ...).
    pub by_metadata: BTreeMap<String, Vec<Group>>,
    /// The most expensive traces.
    pub top_traces: Vec<TraceCost>,
    /// What the cached tokens would have cost uncached, minus what they cost.
    pub cache_savings: Usd,
    /// Exported costs against farebox's.
    pub audit: Audit,
    /// The scenarios asked for.
    pub what_ifs: Vec<WhatIfResult>,
    /// Days whose cost was above the spike rule's multiple of their trailing average.
    pub spikes: Vec<Alert>,
    /// Model names the price table does not know, with their counts.
    pub unknown_models: Vec<(String, u64)>,
    /// Which day's prices priced the generations, and what that changed.
    pub pricing: PricingNote,
    /// A sum went beyond ±1.7 × 10²⁰ USD and was capped.
    pub overflow: bool,
    #[serde(skip)]
    pub(crate) facts: Vec<Fact>,
    /// Shared with the report's slices ([`Report::filtered`]).
    #[serde(skip)]
    pub(crate) strings: Arc<Interner>,
    /// Shared with the report's slices.
    #[serde(skip)]
    pub(crate) extras: Arc<Extras>,
    #[serde(skip)]
    pub(crate) options: AnalysisOptions,
}

impl Report {
    /// A dimension's groups. `None` for the trace (see
    /// [`Dimension::Trace`]) and a metadata key the report has no groups
    /// for: no generation has it, or [`AnalysisOptions::metadata_keys`] left it out.
    pub fn groups(&self, dimension: &Dimension) -> Option<&[Group]> {
        Some(match dimension {
            Dimension::Day => &self.by_day,
            Dimension::Model => &self.by_model,
            Dimension::Provider => &self.by_provider,
            Dimension::User => &self.by_user,
            Dimension::Session => &self.by_session,
            Dimension::Tag => &self.by_tag,
            Dimension::TraceName => &self.by_trace_name,
            Dimension::Name => &self.by_name,
            Dimension::Environment => &self.by_environment,
            Dimension::Trace => return None,
            Dimension::Metadata(key) => return self.by_metadata.get(key).map(Vec::as_slice),
        })
    }

    /// The report as JSON (amounts as exact decimal strings).
    pub fn to_json(&self) -> String {
        crate::json::to_text(self)
    }
}
