//! The cost of a finished call: usage × the prices of the tier that applies.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::Error;
use crate::money::Usd;
use crate::pricing::{Effective, Model, PriceTable, Resolution, SERVICE_TIER};
use crate::time::Date;
use crate::usage::{parse_usage, Usage, UsageFormat, UsageKind};

/// Request parameters that select a price tier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostOptions {
    /// `service_tier` (`batch`, `flex`, `priority`), Anthropic's `speed`, or any
    /// parameter a user-defined tier tests.
    pub params: BTreeMap<String, String>,
    /// Price at the prices in force on this day (a finished call's own day)
    /// rather than today's; see [`PriceTable::resolve_at`].
    pub at: Option<Date>,
}

impl CostOptions {
    /// Options selecting a service tier: `batch`, `flex`, `priority`, ...
    pub fn service_tier(tier: &str) -> CostOptions {
        CostOptions::default().with_param(SERVICE_TIER, tier)
    }

    pub fn with_param(mut self, key: &str, value: &str) -> CostOptions {
        self.params.insert(key.to_string(), value.to_string());
        self
    }

    /// At the prices in force on `day`.
    pub fn at(mut self, day: Date) -> CostOptions {
        self.at = Some(day);
        self
    }
}

/// One priced kind of usage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CostLine {
    /// A [`UsageKind`] name, or a provider-specific unit name.
    pub kind: String,
    pub quantity: u64,
    pub unit_price: Usd,
    pub amount: Usd,
    /// Set when the model has no price of this kind and the price of another
    /// kind was used by documented rule (reasoning at the output rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priced_as: Option<&'static str>,
}

/// Usage the model has no price for: reported, never silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unpriced {
    pub kind: String,
    pub quantity: u64,
}

/// What a call cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// The canonical id of the model that priced it.
    pub model: String,
    pub provider: String,
    /// How the requested name found the model.
    pub resolution: Resolution,
    pub user_defined: bool,
    /// The price tier that applied (`standard` when none of the model's tiers did).
    pub tier: String,
    pub total: Usd,
    pub lines: Vec<CostLine>,
    pub unpriced: Vec<Unpriced>,
    /// `false` when some usage had no price: `total` is then a lower bound.
    pub complete: bool,
    /// With [`CostOptions::at`]: since when the prices used applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Effective>,
}

/// The name of the base (untiered) prices.
pub const STANDARD_TIER: &str = "standard";

/// Prices `usage` on `model`: the tier whose conditions hold, each kind at its
/// price. The one place that multiplies usage by prices; the pre-call
/// estimate uses it too.
pub(crate) fn price(model: &Model, usage: &Usage, params: &BTreeMap<String, String>) -> Result<Priced, Error> {
    let tier = model.tier_for(usage, params);
    let prices = tier.map_or(&model.prices, |t| &t.prices);
    let mut lines = Vec::new();
    let mut unpriced = Vec::new();
    let mut total = Usd::ZERO;
    let mut line =
        |kind: String, quantity: u64, price: Option<Usd>, priced_as: Option<&'static str>| -> Result<(), Error> {
            match price {
                Some(unit_price) => {
                    let amount = unit_price.checked_mul(quantity)?;
                    total = total.checked_add(amount)?;
                    lines.push(CostLine { kind, quantity, unit_price, amount, priced_as });
                }
                None => unpriced.push(Unpriced { kind, quantity }),
            }
            Ok(())
        };
    for (kind, quantity) in usage.kinds() {
        let (unit_price, priced_as) = match (prices.get(kind), kind) {
            (Some(p), _) => (Some(p), None),
            // Every provider that reports reasoning ("thinking") tokens bills
            // them as output tokens unless it publishes a separate rate.
            (None, UsageKind::Reasoning) => (prices.get(UsageKind::Output), Some(UsageKind::Output.name())),
            (None, _) => (None, None),
        };
        line(kind.name().to_string(), quantity, unit_price, priced_as)?;
    }
    for (name, &quantity) in usage.other() {
        if quantity > 0 {
            line(name.clone(), quantity, prices.get_other(name), None)?;
        }
    }
    Ok(Priced { tier: tier.map_or(STANDARD_TIER, |t| t.name.as_str()).to_string(), total, lines, unpriced })
}

/// The priced part of a [`Cost`], before naming the model.
pub(crate) struct Priced {
    pub tier: String,
    pub total: Usd,
    pub lines: Vec<CostLine>,
    pub unpriced: Vec<Unpriced>,
}

impl PriceTable {
    /// The cost of `usage` on the model `model` resolves to.
    pub fn cost(&self, model: &str, usage: &Usage, options: &CostOptions) -> Result<Cost, Error> {
        let (resolved, effective) = match options.at {
            Some(day) => {
                let dated = self.resolve_at(model, day)?;
                (dated.resolved, Some(dated.effective))
            }
            None => (self.resolve(model)?, None),
        };
        let priced = price(resolved.model, usage, &options.params)?;
        Ok(Cost {
            model: resolved.model.id.clone(),
            provider: resolved.model.provider.clone(),
            resolution: resolved.via,
            user_defined: resolved.user_defined,
            tier: priced.tier,
            complete: priced.unpriced.is_empty(),
            total: priced.total,
            lines: priced.lines,
            unpriced: priced.unpriced,
            effective,
        })
    }

    /// The cost of a provider usage object, or of a whole response body that
    /// holds one. `model` overrides the model the body names; the service
    /// tier the body reports applies unless `options` sets one.
    pub fn cost_of_usage_json(
        &self,
        model: Option<&str>,
        json: &[u8],
        format: Option<UsageFormat>,
        options: &CostOptions,
    ) -> Result<Cost, Error> {
        let parsed = parse_usage(json, format)?;
        let model = model.or(parsed.model.as_deref()).ok_or(Error::InvalidUsage(crate::usage::UsageError::NoModel))?;
        let mut options = options.clone();
        if let Some(tier) = parsed.service_tier {
            options.params.entry(SERVICE_TIER.to_string()).or_insert(tier);
        }
        self.cost(model, &parsed.usage, &options)
    }
}
