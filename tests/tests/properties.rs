//! Invariants of the cost engine over the whole built-in table, with
//! generated usage (proptest).

use std::sync::OnceLock;

use farebox_core::pricing::Resolution;
use farebox_core::{CostOptions, Model, PriceTable, Usage, UsageKind, Usd};
use proptest::prelude::*;

fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fn models() -> &'static [Model] {
    static MODELS: OnceLock<Vec<Model>> = OnceLock::new();
    MODELS.get_or_init(|| table().models().cloned().collect())
}

fn any_usage() -> impl Strategy<Value = Usage> {
    proptest::collection::vec(0u64..2_000_000, UsageKind::ALL.len())
        .prop_map(|counts| UsageKind::ALL.iter().zip(counts).fold(Usage::new(), |u, (&k, n)| u.with(k, n)))
}

fn any_model() -> impl Strategy<Value = &'static Model> {
    (0..models().len()).prop_map(|i| &models()[i])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The total is the sum of the lines, each line exactly quantity × unit
    /// price, and every non-zero kind is either priced or reported unpriced.
    #[test]
    fn total_is_the_exact_sum_of_lines(model in any_model(), usage in any_usage()) {
        let cost = table().cost(&model.id, &usage, &CostOptions::default()).unwrap();
        let sum = cost.lines.iter().try_fold(Usd::ZERO, |a, l| a.checked_add(l.amount)).unwrap();
        prop_assert_eq!(sum, cost.total);
        for line in &cost.lines {
            prop_assert_eq!(line.unit_price.checked_mul(line.quantity).unwrap(), line.amount);
        }
        let reported = cost.lines.len() + cost.unpriced.len();
        prop_assert_eq!(reported, usage.kinds().count());
        prop_assert_eq!(cost.complete, cost.unpriced.is_empty());
        prop_assert!(!cost.total.is_negative());
    }

    /// Below every threshold, cost is linear: k × usage costs k × as much.
    #[test]
    fn cost_is_linear_within_a_tier(model in any_model(), input in 0u64..20_000, output in 0u64..20_000, k in 1u64..5) {
        let u = Usage::new().with(UsageKind::Input, input).with(UsageKind::Output, output);
        let scaled = Usage::new().with(UsageKind::Input, input * k).with(UsageKind::Output, output * k);
        let one = table().cost(&model.id, &u, &CostOptions::default()).unwrap();
        let many = table().cost(&model.id, &scaled, &CostOptions::default()).unwrap();
        prop_assume!(one.tier == many.tier);
        prop_assert_eq!(one.total.checked_mul(k).unwrap(), many.total);
    }

    /// More usage never costs less, tier crossings included.
    #[test]
    fn more_usage_never_costs_less(model in any_model(), usage in any_usage(), kind in 0..UsageKind::ALL.len(), extra in 1u64..500_000) {
        let kind = UsageKind::ALL[kind];
        let more = usage.clone().with(kind, usage.get(kind) + extra);
        let opts = CostOptions::default();
        let (a, b) = (table().cost(&model.id, &usage, &opts).unwrap(), table().cost(&model.id, &more, &opts).unwrap());
        prop_assert!(b.total >= a.total, "{}: {} then {} after +{extra} {kind}", model.id, a.total, b.total);
    }

    /// Service tiers only ever select a tier that says so.
    #[test]
    fn service_tier_selects_its_own_tier(model in any_model(), usage in any_usage(), tier in prop::sample::select(vec!["batch", "flex", "priority"])) {
        let cost = table().cost(&model.id, &usage, &CostOptions::service_tier(tier)).unwrap();
        prop_assert!(cost.tier == "standard" || cost.tier.contains(tier) || cost.tier.starts_with("above_")
            || model.source == "langfuse", "{} {tier} -> {}", model.id, cost.tier);
    }

    /// Arbitrary names resolve or fail cleanly; case never matters.
    #[test]
    fn resolution_is_total_and_case_insensitive(name in "[a-zA-Z0-9./:@_-]{0,40}") {
        let lower = table().resolve(&name.to_ascii_lowercase()).map(|r| r.model.id.clone());
        let upper = table().resolve(&name.to_ascii_uppercase()).map(|r| r.model.id.clone());
        if lower.is_ok() || upper.is_ok() {
            // Patterns may be case-sensitive; ids and aliases are not.
            prop_assert!(lower.is_ok() && upper.is_ok() || table().models().any(|m| m.pattern.is_some()));
        }
    }
}

/// Every built-in id resolves to itself, whatever its case.
#[test]
fn every_id_resolves_to_itself() {
    for m in models() {
        for name in [m.id.clone(), m.id.to_ascii_uppercase()] {
            let r = table().resolve(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.model.id, m.id);
            assert_eq!(r.via, Resolution::Id);
        }
    }
}
