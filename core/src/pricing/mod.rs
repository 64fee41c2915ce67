//! The model price table: what one unit of each [`UsageKind`] costs on each
//! model, with the tiers that reprice a whole request.
//!
//! - [`Model`]: one priced model: canonical id, provider, aliases or a match
//!   pattern, limits, base [`PriceSet`] and ordered [`Tier`]s.
//! - [`PriceTable`] (in `table`): built-in models plus user definitions, and
//!   the resolution of a requested model name (`azure/gpt-4o`,
//!   `us.anthropic.claude-…-v1:0`, `models/gemini-2.5-pro`) to one model.
//! - `litellm` and `langfuse`: importers for the two public table formats;
//!   the built-in table is generated from them by `cargo xtask prices`.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::money::Usd;
use crate::usage::{Usage, UsageKind};

mod history;
pub(crate) mod langfuse;
pub(crate) mod litellm;
mod table;

pub use history::{Change, Effective, Release};
pub use table::{
    write_price_file, DatedModel, HistorySummary, LoadReport, PriceFileFormat, PriceTable, Resolution, Resolved, Source,
};

/// Unit prices in USD, one per [`UsageKind`] that the model charges for,
/// plus provider-specific units under their own names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceSet {
    prices: [Option<Usd>; UsageKind::ALL.len()],
    other: BTreeMap<String, Usd>,
}

impl PriceSet {
    pub fn new() -> PriceSet {
        PriceSet::default()
    }

    /// Builder form: `PriceSet::new().with(UsageKind::Input, price)`.
    pub fn with(mut self, kind: UsageKind, price: Usd) -> PriceSet {
        self.set(kind, price);
        self
    }

    pub fn get(&self, kind: UsageKind) -> Option<Usd> {
        self.prices[kind as usize]
    }

    pub fn set(&mut self, kind: UsageKind, price: Usd) {
        self.prices[kind as usize] = Some(price);
    }

    pub fn get_other(&self, name: &str) -> Option<Usd> {
        self.other.get(name).copied()
    }

    pub fn set_other(&mut self, name: &str, price: Usd) {
        self.other.insert(String::from(name), price);
    }

    /// The priced kinds, in [`UsageKind::ALL`] order.
    pub fn kinds(&self) -> impl Iterator<Item = (UsageKind, Usd)> + '_ {
        UsageKind::ALL.into_iter().filter_map(|k| self.get(k).map(|p| (k, p)))
    }

    pub fn others(&self) -> impl Iterator<Item = (&str, Usd)> + '_ {
        self.other.iter().map(|(k, &v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.prices.iter().all(Option::is_none) && self.other.is_empty()
    }

    /// `self` with every price `over` sets replaced by `over`'s.
    pub fn overlaid(&self, over: &PriceSet) -> PriceSet {
        let mut merged = self.clone();
        for (k, p) in over.kinds() {
            merged.set(k, p);
        }
        for (k, p) in over.others() {
            merged.set_other(k, p);
        }
        merged
    }

    /// The first negative price, if any: prices are never negative.
    fn negative(&self) -> Option<String> {
        self.kinds()
            .find(|(_, p)| p.is_negative())
            .map(|(k, _)| String::from(k.name()))
            .or_else(|| self.others().find(|(_, p)| p.is_negative()).map(|(k, _)| String::from(k)))
    }
}

impl Serialize for PriceSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (k, p) in self.kinds() {
            map.serialize_entry(k.name(), &p)?;
        }
        for (k, p) in self.others() {
            map.serialize_entry(k, &p)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PriceSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<String, Usd> = BTreeMap::deserialize(d)?;
        let mut set = PriceSet::new();
        for (name, price) in map {
            match UsageKind::from_name(&name) {
                Some(kind) => set.set(kind, price),
                None => set.set_other(&name, price),
            }
        }
        if let Some(kind) = set.negative() {
            return Err(serde::de::Error::custom(alloc::format!("the `{kind}` price is negative")));
        }
        Ok(set)
    }
}

/// What kind of endpoint a model serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Chat,
    Responses,
    Completion,
    Embedding,
}

/// A comparison in a usage condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl Op {
    fn holds(self, left: u64, right: u64) -> bool {
        match self {
            Op::Gt => left > right,
            Op::Gte => left >= right,
            Op::Lt => left < right,
            Op::Lte => left <= right,
            Op::Eq => left == right,
            Op::Neq => left != right,
        }
    }
}

/// One condition of a [`Tier`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The sum of these usage kinds compared with `value`: "above 200k prompt tokens".
    Usage { kinds: Vec<UsageKind>, op: Op, value: u64 },
    /// A request parameter is one of `values`: `service_tier` in `["flex"]`.
    Param { key: String, values: Vec<String> },
}

impl Condition {
    /// "More than `threshold` prompt tokens": the context-size tiers.
    pub fn prompt_tokens_above(threshold: u64) -> Condition {
        let kinds = UsageKind::ALL.into_iter().filter(|k| k.is_prompt_tokens()).collect();
        Condition::Usage { kinds, op: Op::Gt, value: threshold }
    }

    /// `service_tier` is `value` (`"batch"`, `"flex"`, `"priority"`, ...).
    pub fn service_tier(value: &str) -> Condition {
        Condition::Param { key: String::from(SERVICE_TIER), values: alloc::vec![String::from(value)] }
    }

    fn holds(&self, usage: &Usage, params: &BTreeMap<String, String>) -> bool {
        match self {
            Condition::Usage { kinds, op, value } => {
                let sum = kinds.iter().fold(0u64, |a, &k| a.saturating_add(usage.get(k)));
                op.holds(sum, *value)
            }
            Condition::Param { key, values } => params.get(key).is_some_and(|v| values.iter().any(|w| w == v)),
        }
    }
}

/// The providers that are makers' own APIs (rather than clouds or resellers
/// of their models): listed first, and where the Compare view's defaults come from.
pub const MAKERS: &[&str] = &["openai", "anthropic", "gemini", "xai", "deepseek", "mistral", "meta_llama"];

/// The request parameter that selects batch, flex or priority pricing.
pub const SERVICE_TIER: &str = "service_tier";

/// Prices that replace the base prices when every condition holds. The first
/// tier of a model whose conditions all hold applies to the whole request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub when: Vec<Condition>,
    /// Complete: a kind missing here is not priced in this tier.
    pub prices: PriceSet,
}

/// One priced model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Canonical id, unique in its table (`gpt-4o`, `azure/gpt-4o`, `us.anthropic.claude-…-v1:0`).
    pub id: String,
    /// Who bills for it (`openai`, `azure`, `bedrock`, `vertex_ai`, ...).
    pub provider: String,
    #[serde(default)]
    pub mode: Mode,
    /// Other exact names for the same prices (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// A regular expression (Langfuse style, `(?i)` for case-insensitive) over requested names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Most prompt tokens the model accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Most tokens it generates in one response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Standard-tier prices.
    pub prices: PriceSet,
    /// In order; the first whose conditions all hold replaces `prices`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    /// Where the prices come from (`litellm`, `langfuse`, `user`, a file name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// The first day these prices apply: a Langfuse `startDate`, or in the
    /// price history the upload day of the release that first listed them.
    /// `None`: undated (every model of the current table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<crate::time::Date>,
}

impl Model {
    /// A model priced per input and output unit, the shape of Langfuse's
    /// `create_model`. `per_character` selects character instead of token units.
    pub fn simple(id: &str, input: Usd, output: Usd, per_character: bool) -> Model {
        let (i, o) = if per_character {
            (UsageKind::InputCharacters, UsageKind::OutputCharacters)
        } else {
            (UsageKind::Input, UsageKind::Output)
        };
        Model {
            id: String::from(id),
            provider: String::from(infer_provider(id)),
            mode: Mode::Chat,
            aliases: Vec::new(),
            pattern: None,
            context_window: None,
            max_output_tokens: None,
            prices: PriceSet::new().with(i, input).with(o, output),
            tiers: Vec::new(),
            source: String::from("user"),
            since: None,
        }
    }

    /// The tier that prices this request (`None`: the base prices).
    pub fn tier_for(&self, usage: &Usage, params: &BTreeMap<String, String>) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.when.iter().all(|c| c.holds(usage, params)))
    }

    /// Checks the invariants a loaded model must hold.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err(String::from("a model has an empty id"));
        }
        let sets =
            core::iter::once(("base", &self.prices)).chain(self.tiers.iter().map(|t| (t.name.as_str(), &t.prices)));
        for (tier, set) in sets {
            if let Some(kind) = set.negative() {
                return Err(alloc::format!("model `{}`: the {tier} `{kind}` price is negative", self.id));
            }
        }
        Ok(())
    }
}

/// The vendor a bare model id belongs to, from its family name. Used where a
/// table names no provider (Langfuse's, a user's `create_model`).
pub fn infer_provider(id: &str) -> &'static str {
    let id = id.to_ascii_lowercase();
    let name = id.rsplit('/').next().unwrap_or(&id);
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
    if starts(&[
        "gpt-", "o1", "o3", "o4", "text-", "chatgpt", "davinci", "babbage", "whisper", "tts-", "dall-e", "omni-",
        "codex",
    ]) {
        "openai"
    } else if starts(&["claude"]) {
        "anthropic"
    } else if starts(&["gemini", "gemma", "text-bison", "chat-bison", "codechat-", "textembedding", "text-unicorn"]) {
        "google"
    } else if starts(&["mistral", "codestral", "magistral", "ministral", "pixtral", "devstral", "open-mi", "voxtral"]) {
        "mistral"
    } else if starts(&["deepseek"]) {
        "deepseek"
    } else if starts(&["grok"]) {
        "xai"
    } else if starts(&["llama", "meta-llama"]) {
        "meta"
    } else {
        "unknown"
    }
}

/// An entry of a loaded file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// A price file that does not parse as `what` (`LiteLLM`, `farebox`, ...).
/// Here, beside the model types, because the importers and the table both
/// use it (the table calls the importers: they must not call back into it).
pub(crate) fn invalid(what: &str, e: &serde_json::Error) -> Error {
    Error::InvalidPriceFile(alloc::format!("{what} price file: {e}"))
}

/// A compiled Langfuse-style match pattern: a regex *searched* in the name
/// (anchored only where it says `^…$`, as PostgreSQL's `~` that Langfuse uses).
///
/// Patterns and the names they match are ASCII, and are matched with ASCII
/// semantics (`(?i)` folds A–Z, `\d` is 0–9, `.` is one byte). On ASCII text
/// that is exactly what Unicode semantics give, and it spares the module the
/// Unicode case-folding and class tables (18.6 KB of the npm module, brotli).
/// Beyond ASCII the two differ (`.` is a byte, not a character; `(?i)ſ`
/// matches `s`), so a pattern with other characters is refused when its file
/// loads, and a name with other characters matches no pattern: an explicit
/// unknown model, never a price found by a rule that reads it differently.
#[derive(Clone, Debug)]
pub(crate) struct Pattern(regex_automata::meta::Regex);

impl Pattern {
    /// Compiles `pattern`, size- and nesting-limited so that a hostile price
    /// file cannot make one that takes unbounded memory; matching is linear
    /// in the name (a Pike VM, no backtracking).
    pub(crate) fn new(pattern: &str, case_insensitive: bool) -> Result<Pattern, String> {
        if !pattern.is_ascii() {
            return Err("match patterns are ASCII (they are matched with ASCII semantics)".into());
        }
        let syntax = regex_automata::util::syntax::Config::new()
            .unicode(false)
            .utf8(false)
            .case_insensitive(case_insensitive)
            .nest_limit(64);
        let regex = regex_automata::meta::Regex::builder()
            .syntax(syntax)
            .configure(regex_automata::meta::Regex::config().nfa_size_limit(Some(1 << 20)))
            .build(pattern)
            .map_err(|e| e.to_string())?;
        Ok(Pattern(regex))
    }

    /// Whether the pattern is found in `name` (never, for a name beyond ASCII).
    pub(crate) fn is_match(&self, name: &str) -> bool {
        name.is_ascii() && self.0.is_match(name)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id, self.provider)
    }
}
