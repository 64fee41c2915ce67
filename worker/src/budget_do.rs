//! The budget Durable Object: one per hashed budget id (a user header's
//! value or an API key, a session header's, an org header's; HMAC-ed with
//! `HASH_SALT`), holding that id's spend: a user's per UTC day and month, an
//! org's per day, a session's in total (`ledger::ledger_parts`).
//!
//! Atomicity: the ledger lives in memory (loaded from storage on first use
//! of a key) and every operation runs the core's synchronous
//! `Budget::reserve` / `settle` on it between two awaits, so concurrent
//! requests to the object cannot interleave inside a check-and-add; the new
//! totals are written with one `put_multiple` issued in the same turn.
//! Periods that are over (yesterday's day key, last month's) are deleted
//! when the object first sees a new one, so its storage stays small.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use farebox_core::budget::{Budget, Ledger};
use farebox_core::{MemoryLedger, Usd};
use worker::*;

use crate::ledger::{apply_ledger_op, expired_keys, LedgerOp};

#[durable_object(fetch)]
pub struct BudgetDo {
    state: State,
    env: Env,
    ledger: RefCell<MemoryLedger>,
    loaded: RefCell<BTreeSet<String>>,
}

impl DurableObject for BudgetDo {
    fn new(state: State, env: Env) -> Self {
        BudgetDo { state, env, ledger: RefCell::new(MemoryLedger::new()), loaded: RefCell::new(BTreeSet::new()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let op: LedgerOp = serde_json::from_str(&req.text().await?)?;
        let shared = crate::entry::shared(&self.env);
        let config = match &shared.config {
            Ok(c) => c,
            Err(e) => return Response::error(e.to_string(), 500),
        };
        let call = match &op {
            LedgerOp::Reserve { call } | LedgerOp::Settle { call, .. } | LedgerOp::Spent { call } => call,
        };
        let keys = Budget::new(config.policy.clone()).keys(call);
        let storage = self.state.storage();
        let mut new_period = false;
        for key in &keys {
            let name = key.to_string();
            if self.loaded.borrow().contains(&name) {
                continue;
            }
            let stored: Option<String> = storage.get(&name).await?;
            // Another request may have loaded it while this one waited.
            if self.loaded.borrow_mut().insert(name) {
                new_period = true;
                if let Some(text) = stored {
                    let amount = Usd::parse(&text).map_err(|e| Error::RustError(e.to_string()))?;
                    self.ledger.borrow_mut().record(key, amount).map_err(|e| Error::RustError(e.to_string()))?;
                }
            }
        }
        // From here to the put: no await, so no other request runs in between.
        let (answer, totals) = {
            let mut ledger = self.ledger.borrow_mut();
            let answer = apply_ledger_op(config, &op, &mut *ledger).map_err(|e| Error::RustError(e.to_string()))?;
            let mut totals = BTreeMap::new();
            for key in &keys {
                let spent = ledger.spent(key).map_err(|e| Error::RustError(e.to_string()))?;
                totals.insert(key.to_string(), spent.to_string());
            }
            (answer, totals)
        };
        if !matches!(op, LedgerOp::Spent { .. }) {
            storage.put_multiple(totals).await?;
        }
        if new_period && matches!(op, LedgerOp::Reserve { .. }) {
            // A reservation (made now) in a period this instance had not seen:
            // delete the stored periods that are over (earlier days and months).
            let stored = storage.list().await?;
            let names: Vec<String> = stored.keys().into_iter().filter_map(|k| k.ok()?.as_string()).collect();
            let old = expired_keys(&names, call.at);
            if !old.is_empty() {
                storage.delete_multiple(old).await?;
            }
        }
        Response::from_json(&answer)
    }
}
