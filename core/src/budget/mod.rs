//! Budget policies: should a planned call be made, given what it will cost
//! and what has been spent?
//!
//! A [`Policy`] is JSON a user writes:
//!
//! ```json
//! {"per_call_max_usd":"0.50","per_session_usd":"10","per_user_daily_usd":"50",
//!  "per_user_monthly_usd":"500","per_org_daily_usd":"1000",
//!  "per_model_max_usd":{"gpt-4o":"0.10"},"allow_models":["gpt-4o*"],"deny_models":["o1-pro*"],
//!  "max_input_tokens":100000,"unpriced_model":"deny"}
//! ```
//!
//! `stored_context` (`refuse` | `full_context_window`), `background`
//! (`refuse` | `allow`) and `unset_service_tier` (`dearest` | `standard`) say
//! what a guard does with requests whose cost the body does not bound; the
//! estimate reads them as its request rules.
//!
//! Money is a decimal string or a JSON number, read from its text (never a
//! float); unknown fields are an error so that a typo (`per_user_daly_usd`)
//! does not silently remove a limit. Model lists are glob patterns (`*` is
//! the only wildcard) matched case-insensitively against both the requested
//! name and the canonical id the price table resolves it to, so
//! `"gpt-4o*"` also covers `azure/gpt-4o-2024-08-06`'s canonical id.
//!
//! [`Budget::check`] returns a [`Decision`]. Rules are applied in this order
//! and the first violated one denies: `model_denied`, `model_not_allowed`,
//! `input_tokens_limit`, `unpriced_model`, `per_call_limit`, `model_limit`,
//! `session_limit`, `user_daily_limit`, `user_monthly_limit`,
//! `org_daily_limit`. An allowed call reports the tightest limit: the one
//! with the least left after the call. A call is allowed up to its limit
//! inclusive (spent + estimate ≤ limit). A cumulative limit applies only
//! when the call names the id it is kept under (no user id, no user limit).
//!
//! Cumulative spend is read through a [`Ledger`]; `check` only reads, so it
//! is pure given the ledger. After the call, [`Budget::commit`] records the
//! actual cost and returns the threshold alerts it crossed. Hosts where
//! requests race (the worker) use [`Budget::reserve`], which checks and adds
//! the estimate atomically per key through [`Ledger::reserve`], then
//! [`Budget::settle`] with the actual cost.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Usd;
use crate::pricing::PriceTable;
use crate::time::Timestamp;

pub mod alerts;
mod hash;
pub mod ledger;

pub use alerts::{Alert, AlertKind, SpikeRule};
pub use hash::IdHasher;
pub use ledger::{BudgetKey, Holder, Ledger, LedgerError, MemoryLedger, Scope};

/// What to do with a call whose cost cannot be estimated (unknown model, or
/// usage the model has no price for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnpricedModel {
    /// Refuse it: a limit that an unknown model can walk around is no limit.
    #[default]
    Deny,
    /// Let it through; cumulative limits still refuse it once nothing is left.
    Allow,
}

/// What a guard does with a request that names stored context the provider
/// adds to the prompt (Responses `previous_response_id`, `conversation`,
/// `prompt`; Gemini `cachedContent`): its size cannot be read from the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredContext {
    /// Refuse the request (`stored_context` refusal).
    #[default]
    Refuse,
    /// Price it as if the stored context filled the model's whole context
    /// window (and so its highest context tier); refused when the price
    /// table has no context window for the model.
    FullContextWindow,
}

impl StoredContext {
    fn is_default(&self) -> bool {
        *self == StoredContext::default()
    }
}

/// What a guard does with a Responses request with `background: true`
/// (answered at once; its usage arrives only when the response is polled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Background {
    /// Refuse it (`background_mode` refusal).
    #[default]
    Refuse,
    /// Let it through (its reservation is kept until its usage is known).
    Allow,
}

impl Background {
    fn is_default(&self) -> bool {
        *self == Background::default()
    }
}

/// What a guard assumes of a request that names no service tier (or
/// `auto`): the provider then serves it at the project's default tier, which
/// the request does not show (OpenAI projects can default to a dearer tier
/// than standard).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsetServiceTier {
    /// The maximum is priced at the dearest synchronous tier the model has.
    #[default]
    Dearest,
    /// The operator's projects default to the standard tier: priced at it.
    Standard,
}

impl UnsetServiceTier {
    fn is_default(&self) -> bool {
        *self == UnsetServiceTier::default()
    }
}

/// A user's budget policy. Every limit is optional; absent means unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Most one call may cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_call_max_usd: Option<Usd>,
    /// Most one session may spend in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_session_usd: Option<Usd>,
    /// Most one user may spend in a UTC day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_daily_usd: Option<Usd>,
    /// Most one user may spend in a UTC calendar month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_monthly_usd: Option<Usd>,
    /// Most one organisation may spend in a UTC day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_org_daily_usd: Option<Usd>,
    /// Per-call maxima by model glob; where several match, the smallest applies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_model_max_usd: BTreeMap<String, Usd>,
    /// If not empty, only models matching one of these globs may be called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_models: Vec<String>,
    /// Models matching one of these globs may never be called (beats `allow_models`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_models: Vec<String>,
    /// Most prompt tokens one call may send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    /// What to do with a call that cannot be priced.
    #[serde(default)]
    pub unpriced_model: UnpricedModel,
    /// What to do with a request that names stored context (`"refuse"`, the
    /// default, or `"full_context_window"`).
    #[serde(default, skip_serializing_if = "StoredContext::is_default")]
    pub stored_context: StoredContext,
    /// What to do with a Responses `background: true` request (`"refuse"`,
    /// the default, or `"allow"`).
    #[serde(default, skip_serializing_if = "Background::is_default")]
    pub background: Background,
    /// What a request without a service tier is priced at (`"dearest"`, the
    /// default, or `"standard"`).
    #[serde(default, skip_serializing_if = "UnsetServiceTier::is_default")]
    pub unset_service_tier: UnsetServiceTier,
    /// Percentages of a cumulative limit at which [`Budget::commit`] raises
    /// an alert; [`alerts::DEFAULT_THRESHOLDS`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_at_percent: Option<Vec<u32>>,
}

/// Why a policy text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a policy: not JSON, an unknown field, a value of the wrong type
    /// (the parser's message names the field and the place).
    Malformed(String),
    /// A limit is negative (the field, e.g. `per_model_max_usd.gpt-4o`).
    NegativeLimit(String),
    /// A model pattern is empty.
    EmptyPattern,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid budget policy: ")?;
        match self {
            PolicyError::Malformed(why) => f.write_str(why),
            PolicyError::NegativeLimit(field) => write!(f, "`{field}` is negative"),
            PolicyError::EmptyPattern => f.write_str("a model pattern is empty"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PolicyError {}

impl Policy {
    /// Reads a policy from JSON text; unknown fields, negative limits and
    /// empty model patterns are errors.
    pub fn from_json(json: &[u8]) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_slice(json).map_err(|e| PolicyError::Malformed(e.to_string()))?;
        let limits = [
            ("per_call_max_usd", policy.per_call_max_usd),
            ("per_session_usd", policy.per_session_usd),
            ("per_user_daily_usd", policy.per_user_daily_usd),
            ("per_user_monthly_usd", policy.per_user_monthly_usd),
            ("per_org_daily_usd", policy.per_org_daily_usd),
        ];
        for (name, limit) in limits {
            if limit.is_some_and(Usd::is_negative) {
                return Err(PolicyError::NegativeLimit(String::from(name)));
            }
        }
        if let Some((model, _)) = policy.per_model_max_usd.iter().find(|(_, l)| l.is_negative()) {
            return Err(PolicyError::NegativeLimit(format!("per_model_max_usd.{model}")));
        }
        let patterns = policy.allow_models.iter().chain(&policy.deny_models).chain(policy.per_model_max_usd.keys());
        if patterns.into_iter().any(|p| p.trim().is_empty()) {
            return Err(PolicyError::EmptyPattern);
        }
        Ok(policy)
    }

    /// Whether any cumulative limit counts `holder`'s spend.
    pub fn limits(&self, holder: Holder) -> bool {
        holder.scopes().any(|s| self.limit(s).is_some())
    }

    /// The cumulative limit of a scope, if set.
    pub fn limit(&self, scope: Scope) -> Option<Usd> {
        match scope {
            Scope::Session => self.per_session_usd,
            Scope::UserDay => self.per_user_daily_usd,
            Scope::UserMonth => self.per_user_monthly_usd,
            Scope::OrgDay => self.per_org_daily_usd,
        }
    }

    fn thresholds(&self) -> &[u32] {
        self.alert_at_percent.as_deref().unwrap_or(&alerts::DEFAULT_THRESHOLDS)
    }
}

/// `*`-only glob, ASCII case-insensitive, over the whole name. Iterative
/// with one backtrack point, so linear-ish and never recursive on hostile
/// patterns.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&n[ni]) {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// A call about to be made, as the budget sees it: decoupled from how its
/// cost was estimated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCall {
    /// The model name as requested.
    pub model: String,
    /// The most the call can cost; `None` when it could not be priced.
    pub max_cost: Option<Usd>,
    /// Prompt tokens it sends.
    pub input_tokens: u64,
    /// Who makes it (as the host keys it: the worker passes a keyed hash).
    #[serde(default)]
    pub user: Option<String>,
    /// The session it belongs to.
    #[serde(default)]
    pub session: Option<String>,
    /// The organisation it is billed to.
    #[serde(default)]
    pub org: Option<String>,
    /// When it is made: picks the day and month buckets.
    pub at: Timestamp,
}

impl PlannedCall {
    /// The id the call names for `holder`.
    pub fn id(&self, holder: Holder) -> Option<&str> {
        match holder {
            Holder::Session => self.session.as_deref(),
            Holder::User => self.user.as_deref(),
            Holder::Org => self.org.as_deref(),
        }
    }

    /// The same call naming only its `holder` id: its share in that
    /// holder's ledger alone.
    pub fn only(&self, holder: Holder) -> PlannedCall {
        let keep = |h: Holder| (h == holder).then(|| self.id(h).map(String::from)).flatten();
        PlannedCall { session: keep(Holder::Session), user: keep(Holder::User), org: keep(Holder::Org), ..self.clone() }
    }

    /// A call to `model` at `at` that could not be priced (no cost, no
    /// tokens, no ids): fill in what is known with struct update syntax.
    pub fn new(model: &str, at: Timestamp) -> PlannedCall {
        PlannedCall {
            model: model.to_string(),
            max_cost: None,
            input_tokens: 0,
            user: None,
            session: None,
            org: None,
            at,
        }
    }
}

/// Why a call was allowed or denied. Stable snake_case names for hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Allowed.
    Ok,
    /// The model matches `deny_models`.
    ModelDenied,
    /// `allow_models` is set and the model matches none of it.
    ModelNotAllowed,
    /// More prompt tokens than `max_input_tokens`.
    InputTokensLimit,
    /// The call has no price and the policy denies unpriced calls.
    UnpricedModel,
    /// Above `per_call_max_usd`.
    PerCallLimit,
    /// Above the model's `per_model_max_usd`.
    ModelLimit,
    /// Would take the session past `per_session_usd`.
    SessionLimit,
    /// Would take the user past `per_user_daily_usd` today.
    UserDailyLimit,
    /// Would take the user past `per_user_monthly_usd` this month.
    UserMonthlyLimit,
    /// Would take the organisation past `per_org_daily_usd` today.
    OrgDailyLimit,
}

impl Reason {
    /// The snake_case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::ModelDenied => "model_denied",
            Reason::ModelNotAllowed => "model_not_allowed",
            Reason::InputTokensLimit => "input_tokens_limit",
            Reason::UnpricedModel => "unpriced_model",
            Reason::PerCallLimit => "per_call_limit",
            Reason::ModelLimit => "model_limit",
            Reason::SessionLimit => "session_limit",
            Reason::UserDailyLimit => "user_daily_limit",
            Reason::UserMonthlyLimit => "user_monthly_limit",
            Reason::OrgDailyLimit => "org_daily_limit",
        }
    }

    fn of_scope(scope: Scope) -> Reason {
        match scope {
            Scope::Session => Reason::SessionLimit,
            Scope::UserDay => Reason::UserDailyLimit,
            Scope::UserMonth => Reason::UserMonthlyLimit,
            Scope::OrgDay => Reason::OrgDailyLimit,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The answer for a planned call. Hosts that decide in one place and act in
/// another (a Durable Object and the worker) pass it as JSON both ways.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the call may be made.
    pub allow: bool,
    /// The rule that denied it, or `ok`.
    pub reason: Reason,
    /// The limit that decided: the violated one, or (allowed) the tightest.
    pub limit: Option<Usd>,
    /// The call's estimated cost (`None`: unpriced).
    pub estimate: Option<Usd>,
    /// Denied by a money limit: what was left under it before the call
    /// (never below zero). Allowed: what is left under the tightest limit
    /// after the call.
    pub remaining: Option<Usd>,
    /// The ledger key of the deciding cumulative limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For `input_tokens_limit`: the token limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<u64>,
    /// A sentence for people.
    pub message: String,
}

/// A policy applied to calls and a ledger. Ids are used as given: a host
/// that keeps ids out of its store hashes them first ([`IdHasher`]).
#[derive(Clone, Debug)]
pub struct Budget {
    policy: Policy,
}

/// A limit that applies to a call, with what is left under it before the call.
struct Applicable {
    reason: Reason,
    limit: Usd,
    left: Usd,
    key: Option<BudgetKey>,
}

impl Budget {
    /// A budget keyed by the ids calls name.
    pub fn new(policy: Policy) -> Budget {
        Budget { policy }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The ledger keys a call is recorded under (those whose id it names),
    /// in [`Scope::ALL`] order.
    pub fn keys(&self, call: &PlannedCall) -> Vec<BudgetKey> {
        Scope::ALL
            .into_iter()
            .filter_map(|scope| Some(BudgetKey::new(scope, call.id(scope.holder())?, call.at)))
            .collect()
    }

    /// Decides a planned call. Reads the ledger, never writes it.
    pub fn check<L: Ledger + ?Sized>(
        &self,
        table: &PriceTable,
        call: &PlannedCall,
        ledger: &L,
    ) -> Result<Decision, LedgerError> {
        if let Some(denied) = self.static_rules(table, call) {
            return Ok(denied);
        }
        let estimate = call.max_cost.unwrap_or(Usd::ZERO);
        let mut applicable = self.per_call_limits(table, call);
        for key in self.keys(call) {
            let Some(limit) = self.policy.limit(key.scope) else { continue };
            let left = limit.checked_sub(ledger.spent(&key)?)?;
            applicable.push(Applicable { reason: Reason::of_scope(key.scope), limit, left, key: Some(key) });
        }
        for a in &applicable {
            if exceeds(call.max_cost, estimate, a.left) {
                return Ok(deny_limit(a, call));
            }
        }
        allow(&applicable, call)
    }

    /// Records a finished call's actual cost under every key it names, and
    /// returns the alerts that recording raised: thresholds crossed, and a
    /// call that cost more than a per-call limit.
    pub fn commit<L: Ledger + ?Sized>(
        &self,
        table: &PriceTable,
        call: &PlannedCall,
        actual: Usd,
        ledger: &mut L,
    ) -> Result<Vec<Alert>, LedgerError> {
        let mut raised = self.over_limit_alerts(table, call, actual);
        for key in self.keys(call) {
            let before = ledger.spent(&key)?;
            ledger.record(&key, actual)?;
            if let Some(limit) = self.policy.limit(key.scope) {
                let after = before.checked_add(actual)?;
                raised.extend(alerts::threshold_crossings(&key, limit, before, after, self.policy.thresholds()));
            }
        }
        Ok(raised)
    }

    /// [`Budget::check`] for hosts where requests race: the estimate is
    /// added under every limited key with [`Ledger::reserve`] (atomic in a
    /// store that implements it so), and released again if a later key
    /// refuses. An allowed call must be followed by [`Budget::settle`].
    pub fn reserve<L: Ledger + ?Sized>(
        &self,
        table: &PriceTable,
        call: &PlannedCall,
        ledger: &mut L,
    ) -> Result<Decision, LedgerError> {
        if let Some(denied) = self.static_rules(table, call) {
            return Ok(denied);
        }
        let estimate = call.max_cost.unwrap_or(Usd::ZERO);
        let mut applicable = self.per_call_limits(table, call);
        if let Some(a) = applicable.iter().find(|a| exceeds(call.max_cost, estimate, a.left)) {
            return Ok(deny_limit(a, call));
        }
        let mut reserved: Vec<BudgetKey> = Vec::new();
        for key in self.keys(call) {
            let Some(limit) = self.policy.limit(key.scope) else { continue };
            // An unpriced call (allowed by policy) needs something left, as in `check`.
            let ok = if call.max_cost.is_none() {
                ledger.spent(&key)? < limit
            } else {
                ledger.reserve(&key, estimate, limit)?
            };
            if !ok {
                for done in &reserved {
                    ledger.record(done, Usd::ZERO.checked_sub(estimate)?)?;
                }
                let left = limit.checked_sub(ledger.spent(&key)?)?;
                let a = Applicable { reason: Reason::of_scope(key.scope), limit, left, key: Some(key) };
                return Ok(deny_limit(&a, call));
            }
            // After the reservation, `left` already excludes this call.
            let left = limit.checked_sub(ledger.spent(&key)?)?.checked_add(estimate)?;
            applicable.push(Applicable { reason: Reason::of_scope(key.scope), limit, left, key: Some(key.clone()) });
            reserved.push(key);
        }
        allow(&applicable, call)
    }

    /// Completes a call [`Budget::reserve`] allowed: replaces the reserved
    /// estimate by the actual cost under the limited keys and records it
    /// under the others. Returns the alerts, as [`Budget::commit`].
    pub fn settle<L: Ledger + ?Sized>(
        &self,
        table: &PriceTable,
        call: &PlannedCall,
        actual: Usd,
        ledger: &mut L,
    ) -> Result<Vec<Alert>, LedgerError> {
        let reserved = call.max_cost.unwrap_or(Usd::ZERO);
        let mut raised = self.over_limit_alerts(table, call, actual);
        for key in self.keys(call) {
            let limit = self.policy.limit(key.scope);
            let held = if limit.is_some() { reserved } else { Usd::ZERO };
            let before = ledger.spent(&key)?.checked_sub(held)?;
            ledger.record(&key, actual.checked_sub(held)?)?;
            if let Some(limit) = limit {
                let after = before.checked_add(actual)?;
                raised.extend(alerts::threshold_crossings(&key, limit, before, after, self.policy.thresholds()));
            }
        }
        Ok(raised)
    }

    /// The rules that need no ledger: model lists, input tokens, unpriced.
    fn static_rules(&self, table: &PriceTable, call: &PlannedCall) -> Option<Decision> {
        let canonical = table.resolve(&call.model).ok().map(|r| r.model.id.clone());
        let matches = |pattern: &String| {
            glob_match(pattern, call.model.trim()) || canonical.as_deref().is_some_and(|id| glob_match(pattern, id))
        };
        let decision = |reason: Reason, message: String| Decision {
            allow: false,
            reason,
            limit: None,
            estimate: call.max_cost,
            remaining: None,
            key: None,
            max_input_tokens: None,
            message,
        };
        if let Some(p) = self.policy.deny_models.iter().find(|p| matches(p)) {
            return Some(decision(Reason::ModelDenied, format!("model `{}` is denied by `{p}`", call.model)));
        }
        if !self.policy.allow_models.is_empty() && !self.policy.allow_models.iter().any(matches) {
            let list = self.policy.allow_models.join(", ");
            return Some(decision(
                Reason::ModelNotAllowed,
                format!("model `{}` is not in the allow list ({list})", call.model),
            ));
        }
        if let Some(max) = self.policy.max_input_tokens.filter(|&max| call.input_tokens > max) {
            let mut d = decision(
                Reason::InputTokensLimit,
                format!("{} input tokens exceed the limit of {max}", call.input_tokens),
            );
            d.max_input_tokens = Some(max);
            return Some(d);
        }
        if call.max_cost.is_none() && self.policy.unpriced_model == UnpricedModel::Deny {
            return Some(decision(
                Reason::UnpricedModel,
                format!(
                    "the cost of a call to `{}` cannot be estimated, and the policy denies unpriced calls",
                    call.model
                ),
            ));
        }
        None
    }

    /// Per-call and per-model limits, as applicable limits with nothing spent.
    fn per_call_limits(&self, table: &PriceTable, call: &PlannedCall) -> Vec<Applicable> {
        let mut out = Vec::new();
        if let Some(limit) = self.policy.per_call_max_usd {
            out.push(Applicable { reason: Reason::PerCallLimit, limit, left: limit, key: None });
        }
        if let Some(limit) = self.model_limit(table, &call.model) {
            out.push(Applicable { reason: Reason::ModelLimit, limit, left: limit, key: None });
        }
        out
    }

    /// The smallest `per_model_max_usd` whose glob matches the model.
    fn model_limit(&self, table: &PriceTable, model: &str) -> Option<Usd> {
        let canonical = table.resolve(model).ok().map(|r| r.model.id.clone());
        self.policy
            .per_model_max_usd
            .iter()
            .filter(|(p, _)| glob_match(p, model.trim()) || canonical.as_deref().is_some_and(|id| glob_match(p, id)))
            .map(|(_, &l)| l)
            .min()
    }

    fn over_limit_alerts(&self, table: &PriceTable, call: &PlannedCall, actual: Usd) -> Vec<Alert> {
        let subject = format!("model:{}", call.model);
        let limits = [self.policy.per_call_max_usd, self.model_limit(table, &call.model)];
        limits
            .into_iter()
            .flatten()
            .min()
            .and_then(|limit| alerts::call_over_limit(&subject, call.at, actual, limit))
            .into_iter()
            .collect()
    }
}

/// Whether a call with this estimate does not fit in `left`. An unpriced
/// call (allowed by policy) counts as zero but needs something left.
fn exceeds(max_cost: Option<Usd>, estimate: Usd, left: Usd) -> bool {
    match max_cost {
        Some(_) => estimate > left,
        None => left <= Usd::ZERO,
    }
}

fn deny_limit(a: &Applicable, call: &PlannedCall) -> Decision {
    let left = a.left.max(Usd::ZERO);
    let what = match &a.key {
        Some(key) => format!("{key} has ${left} left of its ${} limit", a.limit),
        None => format!("the {} is ${}", a.reason, a.limit),
    };
    let estimate = match call.max_cost {
        Some(e) => format!("estimated ${e}"),
        None => String::from("of unknown cost"),
    };
    Decision {
        allow: false,
        reason: a.reason,
        limit: Some(a.limit),
        estimate: call.max_cost,
        remaining: Some(left),
        key: a.key.as_ref().map(ToString::to_string),
        max_input_tokens: None,
        message: format!("denied: a call to `{}` {estimate}, but {what}", call.model),
    }
}

fn allow(applicable: &[Applicable], call: &PlannedCall) -> Result<Decision, LedgerError> {
    let estimate = call.max_cost.unwrap_or(Usd::ZERO);
    let mut tightest: Option<(&Applicable, Usd)> = None;
    for a in applicable {
        let after = a.left.checked_sub(estimate)?;
        if tightest.is_none_or(|(_, t)| after < t) {
            tightest = Some((a, after));
        }
    }
    let message = match (tightest, call.max_cost) {
        (Some((a, after)), _) => format!("allowed: ${after} left under the {} (${})", a.reason, a.limit),
        (None, Some(_)) => String::from("allowed: no limit applies"),
        (None, None) => String::from("allowed: unpriced, and the policy allows unpriced calls"),
    };
    Ok(Decision {
        allow: true,
        reason: Reason::Ok,
        limit: tightest.map(|(a, _)| a.limit),
        estimate: call.max_cost,
        remaining: tightest.map(|(_, after)| after),
        key: tightest.and_then(|(a, _)| a.key.as_ref().map(ToString::to_string)),
        max_input_tokens: None,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("gpt-4o*", "GPT-4o-mini"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*claude*sonnet*", "us.anthropic.claude-sonnet-4-5-v1:0"));
        assert!(!glob_match("gpt-4o", "gpt-4o-mini"));
        assert!(!glob_match("o1-pro*", "o1"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(!glob_match(&"*a".repeat(50), &"a".repeat(40)));
    }
}
