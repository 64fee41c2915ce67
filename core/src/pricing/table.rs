//! Which model a requested name means.
//!
//! Resolution goes through two layers, user first: anything a user defined
//! (a single model, or a whole LiteLLM/Langfuse/farebox file) beats the
//! built-in table, even when the user's is a broad pattern and the built-in
//! an exact id. Within a layer:
//!
//! 1. the name as given, case-insensitively, against ids and aliases;
//! 2. the same for *normalised* forms of the name, each a rewrite that cloud
//!    SDKs apply to the same model (`models/gemini-2.5-pro` → `gemini-2.5-pro`,
//!    `us.anthropic.claude-x-v1:0` → `anthropic.claude-x-v1:0` → `claude-x`,
//!    `claude-x@20250929` → `claude-x-20250929`, `openai/gpt-4o` → `gpt-4o`,
//!    and a bare first-party name to the vendor's prefix, `grok-4.20` → `xai/grok-4.20`);
//!    a bare name that the table also lists under the vendor's prefix with
//!    another provider is the vendor's own API's model even though the bare
//!    id exists (`gemini-2.5-pro` is Google's Gemini API, not Vertex AI);
//! 3. match patterns (regexes), in definition order, over the name as given.
//!
//! An exact entry always wins over a rewrite, so a provider that prices a
//! model differently (Bedrock's regional `us.` profiles cost 10% more) is
//! found as itself. The result says which step matched. No match is an
//! error carrying the closest known ids — never a silent $0.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::history::{parse_history, Change, Effective, History, Period, Release};
use super::{invalid, Model, Pattern, Skipped};
use crate::error::Error;
use crate::money::Usd;
use crate::time::Date;

/// A set of models with its name index.
#[derive(Clone, Debug, Default)]
struct Layer {
    models: Vec<Model>,
    /// Lower-cased id and aliases → index in `models`.
    names: BTreeMap<String, usize>,
    /// Models with a match pattern, in definition order, with its regex.
    patterns: Vec<(Pattern, usize)>,
}

impl Layer {
    /// Adds or replaces (by id) a model. Its pattern is compiled now, so
    /// that a bad one fails the load. (The built-in table's patterns, tested
    /// to compile, wait in [`Builtin`] until a name reaches the pattern step.)
    fn insert(&mut self, model: Model) -> Result<(), Error> {
        let model = normalised(model)?;
        let pattern = match &model.pattern {
            Some(p) => {
                let re = Pattern::new(p, false).map_err(|e| {
                    Error::InvalidPriceFile(format!(
                        "model `{}`: match pattern `{p}` is not a valid regex: {e}",
                        model.id
                    ))
                })?;
                Some(re)
            }
            None => None,
        };
        let key = model.id.to_ascii_lowercase();
        let index = match self.names.get(&key) {
            Some(&i) if self.models[i].id.eq_ignore_ascii_case(&model.id) => {
                self.patterns.retain(|&(_, j)| j != i);
                self.models[i] = model;
                i
            }
            _ => {
                self.models.push(model);
                self.models.len() - 1
            }
        };
        let model = &self.models[index];
        for name in core::iter::once(&model.id).chain(&model.aliases) {
            self.names.insert(name.to_ascii_lowercase(), index);
        }
        if let Some(re) = pattern {
            self.patterns.push((re, index));
        }
        Ok(())
    }
}

/// A model's names are compared trimmed (requests are trimmed too): an id
/// with stray whitespace must still be found by its own name.
fn normalised(mut model: Model) -> Result<Model, Error> {
    model.id = model.id.trim().to_string();
    for alias in &mut model.aliases {
        *alias = alias.trim().to_string();
    }
    model.validate().map_err(Error::InvalidPriceFile)?;
    Ok(model)
}

/// The two lookups a layer answers; resolution over them is the same for both.
trait Lookup {
    /// The model a lower-cased id or alias names.
    fn exact(&self, lowered: &str) -> Option<&Model>;
    /// The first model, in definition order, whose match pattern matches `name`.
    fn pattern(&self, name: &str) -> Option<&Model>;

    fn resolve(&self, requested: &str, lowered: &str, rewrites: &[String]) -> Option<(&Model, Resolution)> {
        if let Some(m) = self.exact(lowered) {
            // A bare name means the maker's own API: when the table lists the
            // name under another provider too (a cloud that resells the model
            // under its bare id), the maker's entry answers.
            let maker = first_party_form(lowered).and_then(|form| Some((self.exact(&form)?, form)));
            if let Some((first, form)) = maker.filter(|(first, _)| first.provider != m.provider) {
                return Some((first, Resolution::Maker { form }));
            }
            let via = if m.id.eq_ignore_ascii_case(requested) { Resolution::Id } else { Resolution::Alias };
            return Some((m, via));
        }
        for form in rewrites {
            if let Some(m) = self.exact(form) {
                return Some((m, Resolution::Normalised { form: form.clone() }));
            }
        }
        self.pattern(requested).map(|m| (m, Resolution::Pattern))
    }
}

impl Lookup for Layer {
    fn exact(&self, lowered: &str) -> Option<&Model> {
        self.names.get(lowered).map(|&i| &self.models[i])
    }

    fn pattern(&self, name: &str) -> Option<&Model> {
        self.patterns.iter().find(|(re, _)| re.is_match(name)).map(|&(_, i)| &self.models[i])
    }
}

/// The index of the built-in table, generated beside `prices.json` by
/// `cargo xtask prices` (`write_price_index` in `xtask/src/prices.rs`, which
/// derives the names and patterns as `Layer::insert` does, and tests that
/// every name resolves as in the loaded file): the snapshot and sources,
/// where each model's JSON and its id lie in [`BUILTIN`] (as lengths: a few
/// bytes per model, rather than strings and pointers, because every byte of
/// it is downloaded with the npm package's module), the models sorted by
/// lower-cased id, other names (aliases) sorted, the match patterns in order.
mod index {
    include!("../../data/prices_index.rs");
}

/// Where a built-in model's JSON text and its id's text lie in [`BUILTIN`].
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    id_start: usize,
    id_end: usize,
}

/// The built-in table, ready without parsing: names are looked up in the
/// generated [`index`] by binary search, and a model is parsed from its own
/// slice of [`BUILTIN`] the first time a lookup or an iteration reaches it.
/// Parsing all 2,000-odd models up front cost ~45 million instructions
/// (natively; several times that in WebAssembly's first run), which an edge
/// worker paid on the first request of every isolate, for the one or two
/// models a request names.
#[derive(Clone, Debug, Default)]
struct Builtin {
    /// Per model of the index, in file order; none in an empty table.
    spans: Vec<Span>,
    /// One cell per model: the model, parsed on first use.
    models: Vec<crate::Once<Box<Model>>>,
    /// One cell per `index::PATTERNS` entry: its regex, compiled on first use.
    patterns: Vec<crate::Once<Option<Pattern>>>,
}

impl Builtin {
    fn new() -> Builtin {
        // The index stores lengths; the offsets are their running sum.
        let mut at = index::FIRST as usize;
        let spans = index::MODELS
            .iter()
            .map(|&(len, gap, id_at, id_len)| {
                let start = at;
                at += len as usize + gap as usize;
                let id_start = start + id_at as usize;
                Span { start, end: start + len as usize, id_start, id_end: id_start + id_len as usize }
            })
            .collect::<Vec<_>>();
        Builtin {
            models: spans.iter().map(|_| crate::Once::new()).collect(),
            spans,
            patterns: index::PATTERNS.iter().map(|_| crate::Once::new()).collect(),
        }
    }

    fn model(&self, i: usize) -> &Model {
        self.models[i].get_or_init(|| {
            let span = self.spans[i];
            let model = serde_json::from_str(&BUILTIN[span.start..span.end])
                .map_err(|e| invalid("built-in", &e))
                .and_then(normalised);
            Box::new(model.expect("the embedded price table is valid (tested)"))
        })
    }

    fn models(&self) -> impl Iterator<Item = &Model> {
        (0..self.models.len()).map(|i| self.model(i))
    }

    /// Model `i`'s id, without parsing the model.
    fn id(&self, i: usize) -> &'static str {
        let span = self.spans[i];
        &BUILTIN[span.id_start..span.id_end]
    }
}

impl Lookup for Builtin {
    fn exact(&self, lowered: &str) -> Option<&Model> {
        if self.models.is_empty() {
            return None;
        }
        // Ids are compared lower-cased byte by byte: the order the index was sorted in.
        let by_id = index::BY_ID
            .binary_search_by(|&i| self.id(i as usize).bytes().map(|b| b.to_ascii_lowercase()).cmp(lowered.bytes()));
        let i = match by_id {
            Ok(found) => index::BY_ID[found],
            Err(_) => index::ALIASES[index::ALIASES.binary_search_by(|&(name, _)| name.cmp(lowered)).ok()?].1,
        };
        Some(self.model(i as usize))
    }

    fn pattern(&self, name: &str) -> Option<&Model> {
        self.patterns
            .iter()
            .zip(index::PATTERNS)
            .find(|(cell, &(_, pattern))| {
                // Compiled on first use (dozens of regexes that most lookups
                // never reach); tested to compile, a failure would never match.
                cell.get_or_init(|| Pattern::new(pattern, false).ok()).as_ref().is_some_and(|re| re.is_match(name))
            })
            .map(|(_, &(i, _))| self.model(i as usize))
    }
}

/// How a requested name found its model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "via")]
pub enum Resolution {
    /// The canonical id, case-insensitively.
    Id,
    /// One of the model's aliases.
    Alias,
    /// A normalised form of the name (provider prefix, region or version suffix removed).
    Normalised { form: String },
    /// The model's match pattern.
    Pattern,
    /// A bare name the table lists both as itself (a cloud's resale) and
    /// under its maker's own API (`form`): the maker's answers.
    Maker { form: String },
}

/// A resolved model and how it was found.
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    pub model: &'a Model,
    pub via: Resolution,
    /// Whether a user definition (rather than the built-in table) matched.
    pub user_defined: bool,
}

/// A model as priced on a given day ([`PriceTable::resolve_at`]).
#[derive(Clone, Debug)]
pub struct DatedModel<'a> {
    /// The model with that day's prices.
    pub resolved: Resolved<'a>,
    /// Since when (and until when) those prices applied.
    pub effective: Effective,
}

/// What [`PriceTable::load_history`] loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistorySummary {
    /// Sampled releases.
    pub releases: usize,
    pub first: Option<Date>,
    pub last: Option<Date>,
}

/// The formats [`PriceTable::load`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceFileFormat {
    /// Detect from the shape: an object with `models` is farebox's, an array
    /// of objects with `modelName` Langfuse's, any other object LiteLLM's.
    Auto,
    /// farebox's own format (`core/data/prices.json`).
    Farebox,
    /// LiteLLM's `model_prices_and_context_window.json`.
    LiteLlm,
    /// Langfuse's model definitions (`default-model-prices.json` or an API export).
    Langfuse,
}

/// What [`PriceTable::load`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub format: PriceFileFormat,
    pub loaded: usize,
    /// Entries with nothing farebox can price (image generation, rerankers, ...).
    pub skipped: Vec<Skipped>,
}

/// farebox's price file: models plus where their prices come from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceFile {
    pub schema: u32,
    /// The day the prices were taken.
    pub snapshot: String,
    /// Where they were taken from.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// The current flagship and small model of each major maker, as
    /// `cargo xtask prices` derives them (the Compare view's defaults).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub featured: Vec<String>,
    pub models: Vec<Model>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub origin: String,
    pub version: String,
    pub date: String,
    pub sha256: String,
}

pub(crate) const SCHEMA: u32 = 1;

/// Built-in prices, generated by `cargo xtask prices` from the public tables.
const BUILTIN: &str = include_str!("../../data/prices.json");

/// Models and their prices: the built-in table under the user's definitions.
#[derive(Clone, Debug, Default)]
pub struct PriceTable {
    user: Layer,
    builtin: Builtin,
    snapshot: String,
    sources: Vec<Source>,
    /// The built-in models' past prices, once [`PriceTable::load_history`] ran.
    history: History,
    /// Dated user definitions (Langfuse `startDate`).
    user_history: History,
}

impl PriceTable {
    /// No models at all; add them with [`PriceTable::add_model`] or [`PriceTable::load`].
    pub fn empty() -> PriceTable {
        PriceTable::default()
    }

    /// The built-in table. Cheap to make (no model is parsed until a lookup
    /// or an iteration reaches it); keep it to keep the parsed models.
    pub fn builtin() -> PriceTable {
        let sources = serde_json::from_str(index::SOURCES).expect("the embedded price table is valid (tested)");
        PriceTable {
            user: Layer::default(),
            builtin: Builtin::new(),
            snapshot: index::SNAPSHOT.to_string(),
            sources,
            history: History::default(),
            user_history: History::default(),
        }
    }

    /// The day the built-in prices were taken (`YYYY-MM-DD`); empty for [`PriceTable::empty`].
    pub fn snapshot(&self) -> &str {
        &self.snapshot
    }

    /// Where the built-in prices come from.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The current flagship and small model of each major maker in the
    /// built-in table (derived from the data when it is generated, not named
    /// by hand); empty for [`PriceTable::empty`].
    pub fn featured(&self) -> &'static [&'static str] {
        if self.builtin.models.is_empty() {
            &[]
        } else {
            index::FEATURED
        }
    }

    /// Every model, user definitions first.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.user.models.iter().chain(self.builtin.models())
    }

    pub fn user_models(&self) -> &[Model] {
        &self.user.models
    }

    /// Adds a user definition, replacing an earlier user definition with the
    /// same id. It beats every built-in model it matches.
    pub fn add_model(&mut self, model: Model) -> Result<(), Error> {
        self.user.insert(model)
    }

    /// Langfuse's `create_model`: a name, a match pattern, a unit (`TOKENS`
    /// or `CHARACTERS`) and USD prices per unit as decimal text.
    pub fn create_model(
        &mut self,
        name: &str,
        match_pattern: &str,
        unit: &str,
        input_price: &str,
        output_price: &str,
    ) -> Result<(), Error> {
        let per_character = match unit.to_ascii_uppercase().as_str() {
            "TOKENS" => false,
            "CHARACTERS" => true,
            other => {
                return Err(Error::InvalidPriceFile(format!(
                    "unit `{other}` is not supported: use TOKENS or CHARACTERS"
                )))
            }
        };
        let price = |what: &str, text: &str| {
            Usd::parse(text).map_err(|e| Error::InvalidPriceFile(format!("model `{name}`: {what} price: {e}")))
        };
        let mut model =
            Model::simple(name, price("input", input_price)?, price("output", output_price)?, per_character);
        model.pattern = (!match_pattern.is_empty()).then(|| match_pattern.to_string());
        self.add_model(model)
    }

    /// Loads a whole price file as user definitions. Entries that price
    /// nothing farebox meters are skipped and listed; a malformed entry fails
    /// the load (naming it) and leaves the table as it was.
    pub fn load(&mut self, text: &[u8], format: PriceFileFormat) -> Result<LoadReport, Error> {
        let (format, models, skipped, dated) = parse_price_file(text, format)?;
        let mut user = self.user.clone();
        let loaded = models.len();
        for model in models {
            user.insert(model)?;
        }
        for (id, period) in dated {
            self.user_history.insert(&id, period);
        }
        self.user = user;
        Ok(LoadReport { format, loaded, skipped })
    }

    /// The model a requested name means, or [`Error::UnknownModel`] with the
    /// nearest known ids.
    pub fn resolve(&self, requested: &str) -> Result<Resolved<'_>, Error> {
        let requested = requested.trim();
        let lowered = requested.to_ascii_lowercase();
        let rewrites = rewrites(&lowered);
        let layers: [(&dyn Lookup, bool); 2] = [(&self.user, true), (&self.builtin, false)];
        for (layer, user_defined) in layers {
            if let Some((model, via)) = layer.resolve(requested, &lowered, &rewrites) {
                return Ok(Resolved { model, via, user_defined });
            }
        }
        Err(Error::UnknownModel { model: requested.to_string(), suggestions: self.suggestions(&lowered) })
    }

    /// Loads the built-in models' price history (`core/data/price_history.json`,
    /// or a newer one from `cargo xtask prices --update`); replaces any loaded before.
    pub fn load_history(&mut self, text: &[u8]) -> Result<HistorySummary, Error> {
        let history = parse_history(text)?;
        let summary = HistorySummary {
            releases: history.releases.len(),
            first: history.releases.first().map(|r| r.date),
            last: history.releases.last().map(|r| r.date),
        };
        self.history = history;
        Ok(summary)
    }

    /// Whether [`PriceTable::load_history`] has run.
    pub fn has_history(&self) -> bool {
        !self.history.is_empty()
    }

    /// The releases the loaded history was sampled from, oldest first.
    pub fn history_releases(&self) -> &[Release] {
        &self.history.releases
    }

    /// The model `requested` names as it was priced on `at`, and since when
    /// those prices applied: the built-in history for built-in models, a
    /// Langfuse file's `startDate`s for its models, and a user's undated
    /// definition at every date. A model the table no longer lists is found
    /// in the history. A day before the built-in snapshot needs the history:
    /// without it, [`Error::PriceHistoryNotLoaded`] (never today's price silently).
    pub fn resolve_at(&self, requested: &str, at: Date) -> Result<DatedModel<'_>, Error> {
        let current = match self.resolve(requested) {
            Ok(found) => found,
            Err(unknown) => return self.delisted(requested, at).ok_or(unknown),
        };
        let (history, fallback) = if current.user_defined {
            (&self.user_history, "user")
        } else {
            if self.history.is_empty() {
                let snapshot = Date::parse(&self.snapshot).map_err(|_| Error::PriceHistoryNotLoaded)?;
                if at < snapshot {
                    return Err(Error::PriceHistoryNotLoaded);
                }
                let seen = format!("built-in snapshot {snapshot}");
                return Ok(DatedModel { resolved: current, effective: Effective::undated(&seen) });
            }
            (&self.history, current.model.source.as_str())
        };
        let Some((index, mut effective)) = history.at(&current.model.id, at) else {
            return Ok(DatedModel { effective: Effective::undated(fallback), resolved: current });
        };
        if effective.until.is_some() {
            let model = history.periods(&current.model.id)[index].model.as_ref().unwrap_or(current.model);
            return Ok(DatedModel { resolved: Resolved { model, ..current }, effective });
        }
        // The period in force now: the table's own model (limits, filled
        // tiers). A model the sampled releases stopped listing that the table
        // still has (from Langfuse) is priced as the table prices it since then.
        if let Some(day) = effective.delisted {
            effective = Effective { from: Some(day), ..Effective::undated(&current.model.source) };
        }
        Ok(DatedModel { resolved: current, effective })
    }

    /// A model only the history knows (the sources stopped listing it), as priced on `at`.
    fn delisted(&self, requested: &str, at: Date) -> Option<DatedModel<'_>> {
        let (id, via) = self.history_id(requested)?;
        let (index, effective) = self.history.at(id, at)?;
        let model = self.history.periods(id)[index].model.as_ref()?;
        Some(DatedModel { resolved: Resolved { model, via, user_defined: false }, effective })
    }

    /// The id the history knows `requested` by: as given or a normalised form.
    fn history_id(&self, requested: &str) -> Option<(&str, Resolution)> {
        let lowered = requested.trim().to_ascii_lowercase();
        let forms = core::iter::once(lowered.clone()).chain(rewrites(&lowered));
        let (form, id) = forms.filter_map(|f| self.history.knows(&f).map(|id| (f, id))).next()?;
        Some((id, if form == lowered { Resolution::Id } else { Resolution::Normalised { form } }))
    }

    /// What the history's newest release changed against the one before:
    /// models added, removed, or priced differently. Empty without a history.
    pub fn latest_changes(&self) -> Vec<Change<'_>> {
        self.history.latest_changes()
    }

    /// Every period of the model `requested` names, oldest first, each with
    /// its prices: the Prices view's history chart. Empty without a history.
    pub fn price_periods(&self, requested: &str) -> Result<Vec<(Effective, &Model)>, Error> {
        let (id, history) = match self.resolve(requested) {
            Ok(found) if found.user_defined => (found.model.id.as_str(), &self.user_history),
            Ok(found) => (found.model.id.as_str(), &self.history),
            Err(unknown) => (self.history_id(requested).ok_or(unknown)?.0, &self.history),
        };
        Ok(history.priced(id))
    }

    /// Up to five known ids sharing the longest prefix with `lowered`
    /// (after dropping a provider prefix), for "did you mean".
    fn suggestions(&self, lowered: &str) -> Vec<String> {
        let bare = |name: &str| name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        let wanted = bare(lowered);
        let common = |id: &str| bare(id).bytes().zip(wanted.bytes()).take_while(|(a, b)| a == b).count();
        // The built-in ids come from the index: an unknown name parses no model.
        let builtin = (0..self.builtin.models.len()).map(|i| self.builtin.id(i));
        let ids = self.user.models.iter().map(|m| m.id.as_str()).chain(builtin);
        let mut scored: Vec<(usize, &str)> = ids.map(|id| (common(id), id)).filter(|&(n, _)| n >= 3).collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.len().cmp(&b.1.len())).then(a.1.cmp(b.1)));
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(5).map(|(_, id)| id.to_string()).collect()
    }
}

/// Routing prefixes that name who serves a model, not a different model.
const ROUTING_PREFIXES: &[&str] = &[
    "models/",
    "openai/",
    "anthropic/",
    "gemini/",
    "google/",
    "vertex_ai/",
    "vertex_ai_beta/",
    "bedrock/",
    "bedrock/converse/",
    "mistral/",
    "mistralai/",
    "deepseek/",
    "xai/",
    "x-ai/",
    "meta-llama/",
    "meta_llama/",
    "litellm_proxy/",
    "openrouter/",
];

/// Bedrock cross-region inference profile prefixes.
const BEDROCK_REGIONS: &[&str] = &["us.", "eu.", "apac.", "global.", "jp.", "au.", "us-gov.", "ca."];

/// Normalised forms of a lower-cased name, nearest first, each distinct.
fn rewrites(name: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    let mut frontier = alloc::vec![name.to_string()];
    // Each rewrite shortens the name, so this ends; three rounds cover every
    // composition seen in practice (prefix + region + version suffix).
    for _ in 0..4 {
        let mut next = Vec::new();
        for form in &frontier {
            for rewritten in rewrite_once(form) {
                if rewritten != name && !forms.contains(&rewritten) {
                    forms.push(rewritten.clone());
                    next.push(rewritten);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    forms.extend(first_party_form(name));
    forms
}

/// A bare name as the vendor's own API takes it (`grok-4.20`, `gemini-2.5-pro`),
/// where the table files first-party models under the vendor's prefix
/// (`xai/grok-4.20`, `gemini/gemini-2.5-pro`: LiteLLM's bare `gemini-…`
/// entries are Vertex AI's).
fn first_party_form(name: &str) -> Option<String> {
    if name.contains('/') {
        return None;
    }
    let prefix = match super::infer_provider(name) {
        "xai" => "xai/",
        "mistral" => "mistral/",
        "deepseek" => "deepseek/",
        "google" => "gemini/",
        "meta" => "meta_llama/",
        _ => return None,
    };
    Some(format!("{prefix}{name}"))
}

fn rewrite_once(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ROUTING_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            if !rest.is_empty() {
                out.push(rest.to_string());
            }
        }
    }
    for region in BEDROCK_REGIONS {
        if let Some(rest) = name.strip_prefix(region) {
            if rest.contains('.') {
                out.push(rest.to_string());
            }
        }
    }
    // Bedrock ids: `anthropic.claude-…-v1:0`, `meta.llama3-…-v1:0`, `mistral.…-v1:0`.
    if let Some((vendor, rest)) = name.split_once('.') {
        if matches!(vendor, "anthropic" | "meta" | "mistral" | "deepseek" | "openai") && !rest.is_empty() {
            out.push(strip_bedrock_version(rest).to_string());
        }
    }
    let stripped = strip_bedrock_version(name);
    if stripped != name {
        out.push(stripped.to_string());
    }
    // Vertex AI writes the snapshot date after an `@`.
    if let Some((base, version)) = name.split_once('@') {
        if version.len() == 8 && version.bytes().all(|b| b.is_ascii_digit()) {
            out.push(format!("{base}-{version}"));
        }
        out.push(base.to_string());
    }
    out
}

/// `claude-x-v1:0` → `claude-x`; `llama3-70b-instruct-v1:0` → `llama3-70b-instruct`.
fn strip_bedrock_version(name: &str) -> &str {
    if let Some(i) = name.rfind("-v") {
        let version = &name[i + 2..];
        let (major, minor) = version.split_once(':').unwrap_or((version, "0"));
        if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) && minor.bytes().all(|b| b.is_ascii_digit()) {
            return &name[..i];
        }
    }
    name
}

/// Models, skipped entries, and the dated periods a Langfuse file's `startDate`s give.
type Parsed = (PriceFileFormat, Vec<Model>, Vec<Skipped>, Vec<(String, Period)>);

/// Parses a price file in any supported format into models.
pub(crate) fn parse_price_file(text: &[u8], format: PriceFileFormat) -> Result<Parsed, Error> {
    let text = core::str::from_utf8(text)
        .map_err(|e| Error::InvalidPriceFile(format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to())))?;
    let format = match format {
        PriceFileFormat::Auto => detect_format(text)?,
        f => f,
    };
    let mut dated = Vec::new();
    let (models, skipped) = match format {
        PriceFileFormat::Farebox => {
            let file: PriceFile = serde_json::from_str(text).map_err(|e| invalid("farebox", &e))?;
            if file.schema != SCHEMA {
                return Err(Error::InvalidPriceFile(format!(
                    "farebox price file schema {} is not supported (this build reads schema {SCHEMA})",
                    file.schema
                )));
            }
            (file.models, Vec::new())
        }
        PriceFileFormat::LiteLlm => super::litellm::parse(text)?,
        PriceFileFormat::Langfuse => {
            let (models, periods) = langfuse_periods(super::langfuse::parse(text)?);
            dated = periods;
            (models, Vec::new())
        }
        PriceFileFormat::Auto => unreachable!("detected above"),
    };
    Ok((format, models, skipped, dated))
}

/// Langfuse keeps a model's price changes as several definitions of one
/// name with different `startDate`s (`since`), and prices a generation with
/// the one whose day is the latest on or before it (no day: from the
/// beginning). The latest becomes the model (on equal days, the later
/// definition, as a reload would); when any of a name's definitions is
/// dated, all of them become its periods.
fn langfuse_periods(definitions: Vec<Model>) -> (Vec<Model>, Vec<(String, Period)>) {
    let same = |a: &Model, b: &Model| a.id.trim().eq_ignore_ascii_case(b.id.trim());
    let mut periods = Vec::new();
    for model in &definitions {
        if !definitions.iter().any(|m| m.since.is_some() && same(m, model)) {
            continue;
        }
        let (from, seen) = match model.since {
            Some(d) => (d, "langfuse startDate"),
            None => (Date { year: 1, month: 1, day: 1 }, "langfuse (no startDate)"),
        };
        let period = Period { from, changed_after: None, seen: seen.to_string(), model: Some(model.clone()) };
        periods.push((model.id.trim().to_string(), period));
    }
    let mut models: Vec<Model> = Vec::new();
    for model in definitions {
        match models.iter_mut().find(|m| same(m, &model)) {
            Some(kept) if kept.since <= model.since => *kept = model,
            Some(_) => {}
            None => models.push(model),
        }
    }
    (models, periods)
}

fn detect_format(text: &str) -> Result<PriceFileFormat, Error> {
    let first = text.trim_start().as_bytes().first().copied();
    match first {
        Some(b'[') => Ok(PriceFileFormat::Langfuse),
        Some(b'{') => {
            // Langfuse's API pages wrap the array: `{"data": [...], "meta": ...}`.
            #[derive(Deserialize)]
            struct Probe<'a> {
                #[serde(borrow, default)]
                models: Option<&'a serde_json::value::RawValue>,
                #[serde(borrow, default)]
                data: Option<&'a serde_json::value::RawValue>,
            }
            let probe: Probe = serde_json::from_str(text).map_err(|e| invalid("the", &e))?;
            Ok(if probe.models.is_some() {
                PriceFileFormat::Farebox
            } else if probe.data.is_some() {
                PriceFileFormat::Langfuse
            } else {
                PriceFileFormat::LiteLlm
            })
        }
        _ => Err(Error::InvalidPriceFile(String::from(
            "a price file is a JSON object (farebox, LiteLLM) or array (Langfuse)",
        ))),
    }
}

/// Serialises models as a farebox price file (what `cargo xtask prices` writes).
pub fn write_price_file(models: &[Model], snapshot: &str, sources: &[Source], featured: &[String]) -> String {
    // One model per line: small diffs when prices change, and still JSON.
    let featured =
        if featured.is_empty() { String::new() } else { format!("\"featured\":{},", crate::json::to_text(featured)) };
    let mut out = format!(
        "{{\"schema\":{SCHEMA},\"snapshot\":{},\"sources\":{},{featured}\"models\":[\n",
        crate::json::to_text(snapshot),
        crate::json::to_text(sources)
    );
    for (i, m) in models.iter().enumerate() {
        let sep = if i + 1 < models.len() { ",\n" } else { "\n" };
        out.push_str(&crate::json::to_text(m));
        out.push_str(sep);
    }
    out.push_str("]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazily_parsed_models_are_those_of_a_full_parse() {
        let (_, models, _, _) = parse_price_file(BUILTIN.as_bytes(), PriceFileFormat::Farebox).unwrap();
        let full: Vec<Model> = models.into_iter().map(|m| normalised(m).unwrap()).collect();
        let table = PriceTable::builtin();
        // Some parsed by lookups first, the rest by the iteration.
        assert_eq!(table.resolve(&full[7].id).unwrap().model, &full[7]);
        assert!(table.models().eq(full.iter()));
        assert!((0..full.len()).all(|i| table.builtin.id(i) == full[i].id));
        let file: PriceFile = serde_json::from_str(BUILTIN).unwrap();
        assert_eq!((table.snapshot(), table.sources()), (file.snapshot.as_str(), &file.sources[..]));
    }

    #[test]
    fn an_empty_table_has_no_built_in_models() {
        let table = PriceTable::empty();
        assert_eq!(table.models().count(), 0);
        assert!(matches!(table.resolve("gpt-4o"), Err(Error::UnknownModel { .. })));
        assert!(table.snapshot().is_empty());
    }
}
