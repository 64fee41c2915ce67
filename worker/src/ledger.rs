//! The budget Durable Object's protocol: which objects a call reserves in,
//! the operations on one (reserve, settle, read), the whole synchronous
//! logic an object runs on its ledger, and what a finished call is settled at.

use farebox_core::budget::{Budget, BudgetKey, Holder, Ledger, LedgerError};
use farebox_core::Timestamp;
use farebox_core::{PlannedCall, Usd};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Config;

/// A call's share in one budget Durable Object: the object's name and the
/// call with only that object's id. Each hashed id (user, session, org) has
/// its own object, so an id's spend is counted in one place, atomically,
/// whatever else the calls reaching it name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerPart {
    pub object: String,
    pub call: PlannedCall,
}

/// The objects a call reserves in, in the order the core checks their limits
/// (session, user, org). The host reserves in each in turn and, when one
/// refuses, settles the earlier ones at zero: a call is counted everywhere or
/// nowhere, and no id is ever over its limit (a concurrent call may be
/// refused while another's reservation is about to be released).
pub fn ledger_parts(call: &PlannedCall) -> Vec<LedgerPart> {
    Holder::ALL
        .into_iter()
        .filter_map(|holder| {
            let object = format!("{}:{}", holder.name(), call.id(holder)?);
            Some(LedgerPart { object, call: call.only(holder) })
        })
        .collect()
}

/// A request to the budget Durable Object. Externally tagged: an internally
/// tagged enum would buffer its fields, and amounts are read from their JSON text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerOp {
    /// Check and add the estimate atomically ([`Budget::reserve`]).
    Reserve { call: PlannedCall },
    /// Replace the reservation by the actual cost ([`Budget::settle`]).
    Settle { call: PlannedCall, actual: Usd },
    /// What is spent under each key of the call.
    Spent { call: PlannedCall },
}

/// Runs `op` on `ledger`: the Durable Object's whole logic, synchronous so
/// that it is atomic in the object's single thread. Returns the JSON answer:
/// core's `Decision` for a reserve.
pub fn apply_ledger_op<L: Ledger>(config: &Config, op: &LedgerOp, ledger: &mut L) -> Result<Value, LedgerError> {
    let budget = Budget::new(config.policy.clone());
    match op {
        LedgerOp::Reserve { call } => Ok(json!(budget.reserve(&config.prices, call, ledger)?)),
        LedgerOp::Settle { call, actual } => {
            let alerts = budget.settle(&config.prices, call, *actual, ledger)?;
            Ok(json!({"settled": true, "alerts": alerts.len()}))
        }
        LedgerOp::Spent { call } => {
            let mut out = serde_json::Map::new();
            for key in budget.keys(call) {
                out.insert(key.to_string(), json!(ledger.spent(&key)?));
            }
            Ok(Value::Object(out))
        }
    }
}

/// What a call's reservations are replaced by once it is over. A complete
/// actual cost from the provider's final usage is the truth. Without one,
/// a call the provider refused (4xx: not billed) releases its reservation;
/// any other ending (a stream cut before its final usage, a client that
/// went away, a 5xx after the provider may have started, usage that could
/// not be priced) keeps the whole reservation, the estimate's maximum: a
/// caller cannot lower what is counted by cutting the stream.
pub fn settlement(reserved: Option<Usd>, actual: Option<&farebox_core::Cost>, status: u16) -> Usd {
    match actual.filter(|c| c.complete) {
        Some(cost) => cost.total,
        None if (400..500).contains(&status) => Usd::ZERO,
        None => reserved.unwrap_or(Usd::ZERO),
    }
}

/// The stored keys (of one object) whose period is over at `now`: earlier
/// days and months. A session's key, and any text that is not a key, stays.
pub fn expired_keys(stored: &[String], now: Timestamp) -> Vec<String> {
    stored.iter().filter(|name| BudgetKey::parse(name).is_some_and(|k| k.is_over(now))).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use farebox_core::Timestamp;

    #[test]
    fn only_earlier_periods_expire() {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let stored: Vec<String> = [
            "user:u:day:2026-11-21",
            "user:u:day:2026-11-22",
            "user:u:day:2026-11-23",
            "user:u:month:2026-10",
            "user:u:month:2026-11",
            "org:o:day:2026-11-21",
            "session:s",
            "not a key",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            expired_keys(&stored, now),
            ["user:u:day:2026-11-21", "user:u:month:2026-10", "org:o:day:2026-11-21"]
        );
    }

    #[test]
    fn a_call_without_a_final_usage_keeps_its_reservation() {
        let max = Usd::parse("0.5").unwrap();
        let reserved = Some(max);
        let prices = farebox_core::PriceTable::builtin();
        let usage = farebox_core::Usage::new().with(farebox_core::UsageKind::Input, 1000);
        let cost = prices.cost("gpt-4o", &usage, &farebox_core::CostOptions::default()).unwrap();
        assert_eq!(settlement(reserved, Some(&cost), 200), cost.total);
        assert_eq!(settlement(reserved, None, 200), max);
        assert_eq!(settlement(reserved, None, 500), max);
        assert_eq!(settlement(reserved, None, 429), Usd::ZERO);
        let mut partial = cost.clone();
        partial.complete = false;
        assert_eq!(settlement(reserved, Some(&partial), 200), max);
    }
}
