//! Budget replay: a [`Budget`] run over imported history, in time order, to
//! list what it would have blocked and the money that would have saved.
//!
//! Each generation becomes a [`PlannedCall`] whose estimate is its actual
//! cost (farebox's when complete, else the exported one; neither makes it
//! unpriced), with its prompt tokens, user, session, org (metadata `org_id`
//! or `org`, as `cost.org_id` imports) and timestamp. An allowed call is
//! committed to an in-memory ledger; a blocked one is not (it would not have
//! run), so later calls see only the spend that would have happened.
//! Generations without a timestamp or a model (trace totals) cannot be
//! replayed and are counted apart.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use super::aggregate::{Fact, Report};
use super::RecordKind;
use crate::budget::{Alert, Budget, MemoryLedger, PlannedCall, Reason};
use crate::money::Usd;
use crate::pricing::PriceTable;
use crate::time::Timestamp;

/// Most blocked calls (and alerts) listed; all are counted.
pub const MAX_LISTED: usize = 100;

/// A call the policy would have blocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockedCall {
    /// Its trace.
    pub trace_id: Option<String>,
    /// When it ran.
    pub at: Timestamp,
    /// Its model.
    pub model: String,
    /// Its cost (`None`: unpriced).
    pub cost: Option<Usd>,
    /// The rule that blocks it.
    pub reason: Reason,
    /// The decision's sentence.
    pub message: String,
}

/// Blocked calls of one reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReasonTotal {
    /// How many.
    pub calls: u64,
    /// Their cost.
    pub saved: Usd,
}

/// What the replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// Calls replayed.
    pub calls: u64,
    /// Allowed.
    pub allowed: u64,
    /// Blocked.
    pub blocked: u64,
    /// The cost of the blocked calls.
    pub saved: Usd,
    /// Blocked calls and savings by reason.
    pub by_reason: BTreeMap<Reason, ReasonTotal>,
    /// The first blocked calls, in time order.
    pub blocked_calls: Vec<BlockedCall>,
    /// Threshold and over-limit alerts the allowed calls raised, in time order (the first ones).
    pub alerts: Vec<Alert>,
    /// Generations without a timestamp or a model, not replayed.
    pub not_replayed: u64,
}

impl Report {
    /// Replays the imported history through `budget` (see the module docs).
    pub fn replay(&self, table: &PriceTable, budget: &Budget) -> Replay {
        let mut order: Vec<usize> = (0..self.facts.len()).filter(|&i| replayable(&self.facts[i])).collect();
        // Stable: calls at the same instant keep their import order.
        order.sort_by_key(|&i| self.facts[i].at);
        let mut out = Replay { not_replayed: (self.facts.len() - order.len()) as u64, ..Replay::default() };
        let mut ledger = MemoryLedger::new();
        let text = |sym: u32| self.strings.get(sym).map(String::from);
        for i in order {
            let f = &self.facts[i];
            let Some(at) = f.at else { continue };
            let org = f
                .metadata
                .iter()
                .find(|&&(k, _)| matches!(self.strings.get(k), Some("org_id" | "org")))
                .and_then(|&(_, v)| text(v));
            let call = PlannedCall {
                model: text(f.model).unwrap_or_default(),
                max_cost: f.best_cost(),
                input_tokens: f.tokens.input.saturating_add(f.tokens.cache_read).saturating_add(f.tokens.cache_write),
                user: text(f.user),
                session: text(f.session),
                org,
                at,
            };
            // The ledger is in memory: it fails only on an amount overflow
            // (a hostile file), and such a call is not replayed.
            let Ok(decision) = budget.check(table, &call, &ledger) else {
                out.not_replayed += 1;
                continue;
            };
            out.calls += 1;
            if decision.allow {
                out.allowed += 1;
                if let Ok(alerts) = budget.commit(table, &call, call.max_cost.unwrap_or(Usd::ZERO), &mut ledger) {
                    let room = MAX_LISTED.saturating_sub(out.alerts.len());
                    out.alerts.extend(alerts.into_iter().take(room));
                }
                continue;
            }
            out.blocked += 1;
            let cost = call.max_cost.unwrap_or(Usd::ZERO);
            out.saved = out.saved.checked_add(cost).unwrap_or(out.saved);
            let r = out.by_reason.entry(decision.reason).or_default();
            r.calls += 1;
            r.saved = r.saved.checked_add(cost).unwrap_or(r.saved);
            if out.blocked_calls.len() < MAX_LISTED {
                out.blocked_calls.push(BlockedCall {
                    trace_id: text(f.trace),
                    at,
                    model: call.model.to_string(),
                    cost: call.max_cost,
                    reason: decision.reason,
                    message: decision.message,
                });
            }
        }
        out
    }
}

/// A generation with a model and a time: what a budget can decide on.
fn replayable(f: &Fact) -> bool {
    f.kind == RecordKind::Generation && f.at.is_some() && f.model != u32::MAX
}
