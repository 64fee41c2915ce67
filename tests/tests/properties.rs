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

    /// Arbitrary names, and known ones with arbitrary text after them,
    /// resolve or fail cleanly, and their case matters only to match
    /// patterns (which may be case-sensitive).
    #[test]
    fn resolution_is_total_and_case_insensitive(name in prop_oneof![
        "[a-zA-Z0-9./:@_-]{0,40}",
        (prop::sample::select(known_names()), "[a-zA-Z0-9./:@_-]{0,6}").prop_map(|(known, tail)| known + &tail),
    ]) {
        same_resolution_but_by_pattern(&name.to_ascii_lowercase(), &name.to_ascii_uppercase())?;
    }

    /// A known id or alias in any mix of case, bare or behind a routing
    /// prefix or Bedrock region, resolves as its lower-case form does; bare,
    /// it resolves by id or alias.
    #[test]
    fn known_names_resolve_in_any_case(
        name in prop::sample::select(known_names()),
        prefix in prop::sample::select(vec!["", "openai/", "models/", "bedrock/", "us.", "openrouter/"]),
        upper in proptest::collection::vec(any::<bool>(), 80),
    ) {
        let name = format!("{prefix}{name}");
        let mixed: String = name.chars().zip(upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        same_resolution_but_by_pattern(&name.to_ascii_lowercase(), &mixed)?;
        if prefix.is_empty() {
            let found = table().resolve(&mixed).map_err(|e| TestCaseError::fail(format!("{mixed}: {e}")))?;
            prop_assert!(matches!(found.via, Resolution::Id | Resolution::Alias | Resolution::Maker { .. }), "{mixed}: {:?}", found.via);
        }
    }
}

/// Every built-in id and alias.
fn known_names() -> Vec<String> {
    models().iter().flat_map(|m| std::iter::once(m.id.clone()).chain(m.aliases.iter().cloned())).collect()
}

/// Two spellings of a name that differ only in case: if either resolves by
/// id, alias or a normalised form (all case-insensitive), both resolve to
/// the same model the same way. Only a match pattern may tell them apart.
fn same_resolution_but_by_pattern(a: &str, b: &str) -> Result<(), TestCaseError> {
    let found = |name: &str| table().resolve(name).ok().map(|r| (r.model.id.clone(), r.via));
    let (x, y) = (found(a), found(b));
    let by_pattern = |r: &Option<(String, Resolution)>| r.as_ref().is_none_or(|(_, via)| *via == Resolution::Pattern);
    if !(by_pattern(&x) && by_pattern(&y)) {
        prop_assert_eq!(&x, &y, "`{}` and `{}` resolve differently", a, b);
    }
    Ok(())
}

/// Every built-in id resolves to itself, whatever its case, except a bare
/// id the table also lists under its maker's own API with another provider
/// (`gemini-2.5-pro`: Vertex AI's resale and `gemini/gemini-2.5-pro`), which
/// resolves to the maker's.
#[test]
fn every_id_resolves_to_itself_or_its_makers_own() {
    let mut makers = 0;
    for m in models() {
        for name in [m.id.clone(), m.id.to_ascii_uppercase()] {
            let r = table().resolve(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            match r.via {
                Resolution::Maker { form } => {
                    assert!(form.ends_with(&format!("/{}", m.id.to_ascii_lowercase())), "{name}: {form}");
                    assert_ne!(r.model.provider, m.provider, "{name}");
                    makers += 1;
                }
                via => assert_eq!((r.model.id.as_str(), via), (m.id.as_str(), Resolution::Id)),
            }
        }
    }
    assert!(makers > 0);
}
