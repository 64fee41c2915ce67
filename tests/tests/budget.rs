//! Budget policies end to end: the documented policy JSON, every rule and
//! its order, cumulative limits through the ledger, reservations, alerts,
//! hashed ids, and properties (no call above a per-call limit is ever
//! allowed; `reserve` never lets a total pass its limit).

use farebox_core::budget::{
    AlertKind, Budget, BudgetKey, Decision, IdHasher, Ledger, MemoryLedger, PlannedCall, Policy, Reason, Scope,
    UnpricedModel,
};
use farebox_core::{PriceTable, Timestamp, Usd};
use proptest::prelude::*;

/// The built-in table, parsed once for all tests (and proptest cases).
fn builtin() -> &'static PriceTable {
    static TABLE: std::sync::OnceLock<PriceTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fn usd(s: &str) -> Usd {
    Usd::parse(s).unwrap()
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn call(model: &str, cost: Option<&str>) -> PlannedCall {
    PlannedCall {
        model: model.into(),
        max_cost: cost.map(usd),
        input_tokens: 1000,
        user: Some("user_abc".into()),
        session: Some("s1".into()),
        org: Some("org_123".into()),
        at: at("2026-11-22T15:04:05Z"),
    }
}

const DOCUMENTED: &str = r#"{"per_call_max_usd":"0.50","per_session_usd":"10","per_user_daily_usd":"50",
    "per_user_monthly_usd":"500","per_org_daily_usd":"1000","per_model_max_usd":{"gpt-4o":"0.10"},
    "allow_models":["gpt-4o*","claude-*"],"deny_models":["o1-pro*"],"max_input_tokens":100000,"unpriced_model":"deny"}"#;

fn budget(json: &str) -> Budget {
    Budget::new(Policy::from_json(json.as_bytes()).unwrap())
}

#[test]
fn the_documented_policy_reads_exactly() {
    let p = Policy::from_json(DOCUMENTED.as_bytes()).unwrap();
    assert_eq!(p.per_call_max_usd, Some(usd("0.5")));
    assert_eq!(p.per_model_max_usd["gpt-4o"], usd("0.1"));
    assert_eq!(p.max_input_tokens, Some(100_000));
    assert_eq!(p.unpriced_model, UnpricedModel::Deny);
    // JSON numbers are read from their text, never through a float.
    let n = Policy::from_json(br#"{"per_call_max_usd":0.1,"per_user_daily_usd":1e-7}"#).unwrap();
    assert_eq!(n.per_call_max_usd, Some(usd("0.1")));
    assert_eq!(n.per_user_daily_usd.unwrap().atto(), 100_000_000_000);
}

#[test]
fn typos_negative_limits_and_bad_values_are_refused() {
    let typo = Policy::from_json(br#"{"per_user_daly_usd":"5"}"#).unwrap_err();
    assert!(typo.to_string().contains("unknown field `per_user_daly_usd`"), "{typo}");
    let negative = Policy::from_json(br#"{"per_call_max_usd":"-1"}"#).unwrap_err();
    assert!(negative.to_string().contains("`per_call_max_usd` is negative"), "{negative}");
    assert!(Policy::from_json(br#"{"per_call_max_usd":"abc"}"#).is_err());
    assert!(Policy::from_json(br#"{"unpriced_model":"maybe"}"#).is_err());
    assert!(Policy::from_json(br#"{"deny_models":[""]}"#).is_err());
    assert!(Policy::from_json(br#"{"per_model_max_usd":{"gpt-4o":"-0.1"}}"#).is_err());
}

#[test]
fn rules_apply_in_the_documented_order() {
    let table = builtin();
    let b = budget(DOCUMENTED);
    let ledger = MemoryLedger::new();
    let decide = |c: &PlannedCall| b.check(table, c, &ledger).unwrap();

    let d = decide(&call("o1-pro", Some("0.01")));
    assert_eq!((d.allow, d.reason), (false, Reason::ModelDenied));
    // The deny list beats the allow list, which would also refuse it.
    let d = decide(&call("gemini-2.5-pro", Some("0.01")));
    assert_eq!(d.reason, Reason::ModelNotAllowed);
    let mut big = call("gpt-4o", Some("0.01"));
    big.input_tokens = 100_001;
    let d = decide(&big);
    assert_eq!((d.reason, d.max_input_tokens), (Reason::InputTokensLimit, Some(100_000)));
    let d = decide(&call("gpt-4o-mini", None));
    assert_eq!(d.reason, Reason::UnpricedModel);
    let d = decide(&call("claude-sonnet-4-5", Some("0.51")));
    assert_eq!((d.reason, d.limit, d.remaining), (Reason::PerCallLimit, Some(usd("0.5")), Some(usd("0.5"))));
    let d = decide(&call("gpt-4o", Some("0.11")));
    assert_eq!((d.reason, d.limit, d.estimate), (Reason::ModelLimit, Some(usd("0.1")), Some(usd("0.11"))));
    assert!(d.message.contains("model_limit is $0.1"), "{}", d.message);

    // Allowed: the tightest limit is reported, with what is left after the call.
    let d = decide(&call("gpt-4o", Some("0.025")));
    assert!(d.allow);
    assert_eq!((d.reason, d.limit, d.remaining), (Reason::Ok, Some(usd("0.1")), Some(usd("0.075"))));
    // A limit is inclusive.
    assert!(decide(&call("gpt-4o", Some("0.1"))).allow);
}

#[test]
fn model_lists_match_the_canonical_id_too() {
    let table = builtin();
    let b = budget(r#"{"allow_models":["gpt-4o"]}"#);
    let ledger = MemoryLedger::new();
    // `openai/gpt-4o` resolves to the canonical `gpt-4o`.
    assert!(b.check(table, &call("openai/gpt-4o", Some("0.01")), &ledger).unwrap().allow);
    assert!(b.check(table, &call("GPT-4O", Some("0.01")), &ledger).unwrap().allow);
    assert!(!b.check(table, &call("gpt-4o-mini", Some("0.01")), &ledger).unwrap().allow);
    let deny = budget(r#"{"deny_models":["o1-pro"]}"#);
    let d = deny.check(table, &call("openai/o1-pro", Some("1")), &ledger).unwrap();
    assert_eq!(d.reason, Reason::ModelDenied);
}

#[test]
fn unpriced_calls_allowed_by_policy_still_need_budget_left() {
    let table = builtin();
    let b = budget(r#"{"per_session_usd":"1","unpriced_model":"allow"}"#);
    let mut ledger = MemoryLedger::new();
    let c = call("my-custom-model", None);
    let d = b.check(table, &c, &ledger).unwrap();
    assert!(d.allow);
    assert_eq!((d.estimate, d.remaining), (None, Some(usd("1"))));
    b.commit(table, &c, usd("1"), &mut ledger).unwrap();
    let d = b.check(table, &c, &ledger).unwrap();
    assert_eq!((d.allow, d.reason, d.remaining), (false, Reason::SessionLimit, Some(Usd::ZERO)));
}

#[test]
fn cumulative_limits_read_the_ledger_per_period() {
    let table = builtin();
    let b = budget(r#"{"per_user_daily_usd":"1","per_user_monthly_usd":"1.5","per_org_daily_usd":"100"}"#);
    let mut ledger = MemoryLedger::new();
    let c = call("gpt-4o", Some("0.6"));
    assert!(b.check(table, &c, &ledger).unwrap().allow);
    b.commit(table, &c, usd("0.6"), &mut ledger).unwrap();
    let d = b.check(table, &c, &ledger).unwrap();
    assert_eq!((d.allow, d.reason), (false, Reason::UserDailyLimit));
    assert_eq!((d.limit, d.remaining), (Some(usd("1")), Some(usd("0.4"))));
    assert_eq!(d.key.as_deref(), Some("user:user_abc:day:2026-11-22"));
    // The next day has a fresh daily budget but shares the month.
    let mut tomorrow = c.clone();
    tomorrow.at = at("2026-11-23T00:00:00Z");
    let d = b.check(table, &tomorrow, &ledger).unwrap();
    assert_eq!((d.allow, d.limit, d.remaining), (true, Some(usd("1.5")), Some(usd("0.3"))));
    b.commit(table, &tomorrow, usd("0.6"), &mut ledger).unwrap();
    // 0.6 + 0.35 fits the day, 1.2 + 0.35 not the month.
    tomorrow.max_cost = Some(usd("0.35"));
    let d = b.check(table, &tomorrow, &ledger).unwrap();
    assert_eq!((d.reason, d.remaining), (Reason::UserMonthlyLimit, Some(usd("0.3"))));
    // Next month: fresh again.
    tomorrow.at = at("2026-12-01T08:00:00Z");
    assert!(b.check(table, &tomorrow, &ledger).unwrap().allow);
    // No user id: user limits do not apply.
    let mut anonymous = c.clone();
    anonymous.user = None;
    assert!(b.check(table, &anonymous, &ledger).unwrap().allow);
    let key = BudgetKey::new(Scope::OrgDay, "org_123", c.at);
    assert_eq!(ledger.spent(&key).unwrap(), usd("0.6"));
}

#[test]
fn commit_raises_threshold_and_over_limit_alerts() {
    let table = builtin();
    let b = budget(r#"{"per_call_max_usd":"0.5","per_user_daily_usd":"1","alert_at_percent":[50,100]}"#);
    let mut ledger = MemoryLedger::new();
    let c = call("gpt-4o", Some("0.4"));
    assert!(b.commit(table, &c, usd("0.4"), &mut ledger).unwrap().is_empty());
    let raised = b.commit(table, &c, usd("0.7"), &mut ledger).unwrap();
    let kinds: Vec<_> = raised.iter().map(|a| (a.kind, a.percent)).collect();
    assert_eq!(
        kinds,
        [
            (AlertKind::CallOverLimit, None),
            (AlertKind::ThresholdCrossed, Some(50)),
            (AlertKind::ThresholdCrossed, Some(100))
        ]
    );
    assert_eq!(raised[1].subject, "user:user_abc:day:2026-11-22");
    assert_eq!(raised[2].amount, usd("1.1"));
    let json = serde_json::to_value(&raised[0]).unwrap();
    assert_eq!(json["kind"], "call_over_limit");
    assert_eq!(json["amount"], "0.7");
}

#[test]
fn ids_a_host_hashes_never_reach_the_ledger() {
    let table = builtin();
    let b = budget(r#"{"per_user_daily_usd":"1"}"#);
    let hasher = IdHasher::new(b"host-secret");
    let hashed = |c: PlannedCall| PlannedCall {
        user: c.user.as_deref().map(|id| hasher.hash(id)),
        session: c.session.as_deref().map(|id| hasher.hash(id)),
        org: c.org.as_deref().map(|id| hasher.hash(id)),
        ..c
    };
    let mut ledger = MemoryLedger::new();
    let c = hashed(call("gpt-4o", Some("0.1")));
    b.commit(table, &c, usd("0.1"), &mut ledger).unwrap();
    for (key, _) in ledger.entries() {
        let text = key.to_string();
        assert!(!text.contains("user_abc") && !text.contains("org_123") && !text.contains(":s1"), "{text}");
        assert_eq!(key.id.len(), 32);
    }
    let d = b.check(table, &hashed(call("gpt-4o", Some("0.95"))), &ledger).unwrap();
    assert_eq!(d.reason, Reason::UserDailyLimit);
    // A decision crosses a host boundary as JSON and reads back whole.
    let back: Decision = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(back, d);
}

#[test]
fn reserve_then_settle_replaces_the_estimate_by_the_actual_cost() {
    let table = builtin();
    let b = budget(r#"{"per_session_usd":"1","per_user_daily_usd":"0.5"}"#);
    let mut ledger = MemoryLedger::new();
    let c = call("gpt-4o", Some("0.3"));
    let d = b.reserve(table, &c, &mut ledger).unwrap();
    assert_eq!((d.allow, d.reason, d.remaining), (true, Reason::Ok, Some(usd("0.2"))));
    let session = BudgetKey::new(Scope::Session, "s1", c.at);
    let user_day = BudgetKey::new(Scope::UserDay, "user_abc", c.at);
    assert_eq!(ledger.spent(&session).unwrap(), usd("0.3"));
    // A second reservation fits the session but not the user's day: the
    // session's reservation is released again.
    let d = b.reserve(table, &c, &mut ledger).unwrap();
    assert_eq!((d.allow, d.reason, d.remaining), (false, Reason::UserDailyLimit, Some(usd("0.2"))));
    assert_eq!(ledger.spent(&session).unwrap(), usd("0.3"));
    b.settle(table, &c, usd("0.25"), &mut ledger).unwrap();
    assert_eq!(ledger.spent(&session).unwrap(), usd("0.25"));
    assert_eq!(ledger.spent(&user_day).unwrap(), usd("0.25"));
    // The month has no limit: nothing reserved, the actual cost recorded.
    assert_eq!(ledger.spent(&BudgetKey::new(Scope::UserMonth, "user_abc", c.at)).unwrap(), usd("0.25"));
}

#[test]
fn decisions_serialise_for_hosts() {
    let table = builtin();
    let d = budget(DOCUMENTED).check(table, &call("claude-sonnet-4-5", Some("0.51")), &MemoryLedger::new()).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["allow"], false);
    assert_eq!(json["reason"], "per_call_limit");
    assert_eq!(json["limit"], "0.5");
    assert_eq!(json["estimate"], "0.51");
    assert_eq!(json["remaining"], "0.5");
    assert!(json["message"].as_str().unwrap().starts_with("denied"));
}

#[test]
fn planned_calls_read_from_host_json() {
    let c: PlannedCall = serde_json::from_str(
        r#"{"model":"gpt-4o","max_cost":0.025,"input_tokens":10000,"user":"u1","at":"2026-11-22T16:04:05+01:00"}"#,
    )
    .unwrap();
    assert_eq!((c.max_cost, c.session, c.at), (Some(usd("0.025")), None, at("2026-11-22T15:04:05Z")));
    let unpriced: PlannedCall =
        serde_json::from_str(r#"{"model":"x","max_cost":null,"input_tokens":0,"at":"2026-11-22"}"#).unwrap();
    assert_eq!(unpriced.max_cost, None);
}

proptest! {
    /// Whatever was spent and whatever the limits, a call whose estimate is
    /// above the per-call limit is never allowed.
    #[test]
    fn never_allows_a_call_above_the_per_call_limit(
        limit in 0i64..1_000_000, estimate in 0i64..2_000_000, daily in proptest::option::of(0i64..3_000_000),
        spent in 0i64..3_000_000, unpriced_allow in any::<bool>(),
    ) {
        let table = builtin();
        let policy = Policy {
            per_call_max_usd: Some(Usd::from_atto(i128::from(limit) * 1_000_000_000_000)),
            per_user_daily_usd: daily.map(|d| Usd::from_atto(i128::from(d) * 1_000_000_000_000)),
            unpriced_model: if unpriced_allow { UnpricedModel::Allow } else { UnpricedModel::Deny },
            ..Policy::default()
        };
        let b = Budget::new(policy.clone());
        let mut ledger = MemoryLedger::new();
        let mut c = call("gpt-4o", None);
        c.max_cost = Some(Usd::from_atto(i128::from(estimate) * 1_000_000_000_000));
        ledger.record(&BudgetKey::new(Scope::UserDay, "user_abc", c.at), Usd::from_atto(i128::from(spent))).unwrap();
        for d in [b.check(table, &c, &ledger).unwrap(), b.clone().reserve(table, &c, &mut ledger.clone()).unwrap()] {
            if d.allow {
                prop_assert!(c.max_cost.unwrap() <= policy.per_call_max_usd.unwrap());
                prop_assert!(d.remaining.unwrap() >= Usd::ZERO);
            } else {
                prop_assert!(d.reason != Reason::Ok);
            }
        }
    }

    /// Any sequence of reservations keeps the total within the limit, and
    /// the total is exactly the sum of the accepted ones.
    #[test]
    fn memory_ledger_reserve_never_exceeds_the_limit(
        limit in 0i64..1_000, amounts in proptest::collection::vec(0i64..400, 0..40),
    ) {
        let mut ledger = MemoryLedger::new();
        let key = BudgetKey::new(Scope::Session, "s", Timestamp::default());
        let limit = Usd::from_dollars(limit);
        let mut accepted = Usd::ZERO;
        for a in amounts {
            let a = Usd::from_dollars(a);
            if ledger.reserve(&key, a, limit).unwrap() {
                accepted = accepted.checked_add(a).unwrap();
            }
            prop_assert!(ledger.spent(&key).unwrap() <= limit);
        }
        prop_assert_eq!(ledger.spent(&key).unwrap(), accepted);
    }
}
