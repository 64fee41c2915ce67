//! Alerts as data: what crossed which line, for the host to render or send
//! (Slack, e-mail, a webhook). Core decides *that* an alert fires, never how
//! it is delivered.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use super::ledger::BudgetKey;
use crate::money::Usd;
use crate::time::{Date, Timestamp};

/// What kind of line was crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Cumulative spend under a key reached a percentage of its limit.
    ThresholdCrossed,
    /// A day's spend was above a multiple of its trailing daily average.
    DailySpike,
    /// One call cost more than a per-call limit (its actual cost, after an
    /// estimate let it through, or a call seen in history).
    CallOverLimit,
}

/// One alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// What happened.
    pub kind: AlertKind,
    /// The ledger key (threshold alerts) or the subject (`model:gpt-4o`, `total`).
    pub subject: String,
    /// The UTC day it concerns (spikes, and thresholds of dated keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// The amount that crossed the line: spend so far, the day's spend, the call's cost.
    pub amount: Usd,
    /// The line: `percent`% of the limit, `factor`× the trailing average, the per-call limit.
    pub threshold: Usd,
    /// For threshold alerts, the percentage of the limit that was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// A sentence for people.
    pub message: String,
}

/// The percentages of a limit at which [`threshold_crossings`] fires when a
/// policy names none: a warning, then the limit itself.
pub const DEFAULT_THRESHOLDS: [u32; 2] = [80, 100];

/// The threshold alerts for one recording: every `percent` whose line
/// (`limit × percent / 100`) spend went from below to at-or-above, from
/// `before` to `after`. Firing only on the crossing means one alert per line,
/// however many calls follow.
pub fn threshold_crossings(key: &BudgetKey, limit: Usd, before: Usd, after: Usd, percents: &[u32]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for &percent in percents {
        let Ok(line) = limit.mul_div_round(u64::from(percent), 100) else { continue };
        if before < line && after >= line {
            alerts.push(Alert {
                kind: AlertKind::ThresholdCrossed,
                subject: key.to_string(),
                day: (!key.bucket.is_empty()).then(|| key.bucket.clone()),
                amount: after,
                threshold: line,
                percent: Some(percent),
                message: format!("{key}: spend ${after} reached {percent}% of its ${limit} limit"),
            });
        }
    }
    alerts
}

/// A call-over-limit alert if `cost` is above `limit`.
pub fn call_over_limit(subject: &str, at: Timestamp, cost: Usd, limit: Usd) -> Option<Alert> {
    (cost > limit).then(|| Alert {
        kind: AlertKind::CallOverLimit,
        subject: subject.to_string(),
        day: Some(at.date().day_key()),
        amount: cost,
        threshold: limit,
        percent: None,
        message: format!("{subject}: one call cost ${cost}, above the ${limit} per-call limit"),
    })
}

/// When a day counts as a spike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeRule {
    /// The multiple of the trailing average, in percent: 200 is "above 2×"
    /// (the seeds' rule). Integer percent keeps the comparison exact.
    pub factor_percent: u32,
    /// How many days before the day make its trailing average.
    pub trailing_days: u32,
    /// Days of history needed before a day can be a spike (a series' first
    /// day has no average to compare with).
    pub min_history_days: u32,
}

impl Default for SpikeRule {
    fn default() -> SpikeRule {
        SpikeRule { factor_percent: 200, trailing_days: 7, min_history_days: 1 }
    }
}

/// The days whose spend is above `factor_percent`% of the average of the
/// `trailing_days` days before them. `days` is daily spend in any order;
/// a calendar day missing from it spent nothing, but days before the first
/// day of the series are not history (an account that started yesterday has
/// one day of average, not six days of zero).
pub fn daily_spikes(subject: &str, days: &[(Date, Usd)], rule: &SpikeRule) -> Vec<Alert> {
    let mut sorted: Vec<(i64, Date, Usd)> = days.iter().map(|&(d, a)| (d.days_since_epoch(), d, a)).collect();
    sorted.sort_by_key(|&(n, _, _)| n);
    let Some(&(first, _, _)) = sorted.first() else { return Vec::new() };
    let mut alerts = Vec::new();
    for (i, &(n, date, amount)) in sorted.iter().enumerate() {
        let window_start = (n - i64::from(rule.trailing_days)).max(first);
        let history_days = n - window_start;
        if history_days < i64::from(rule.min_history_days.max(1)) {
            continue;
        }
        let Ok(sum) = sorted[..i]
            .iter()
            .filter(|&&(m, _, _)| m >= window_start)
            .try_fold(Usd::ZERO, |acc, &(_, _, a)| acc.checked_add(a))
        else {
            continue;
        };
        // spend > factor × sum / days, compared without dividing.
        let Ok(line) = sum.mul_div_round(u64::from(rule.factor_percent), 100 * history_days as u64) else { continue };
        let exceeds = amount
            .checked_mul(100 * history_days as u64)
            .ok()
            .zip(sum.checked_mul(u64::from(rule.factor_percent)).ok())
            .is_some_and(|(lhs, rhs)| lhs > rhs);
        if exceeds {
            alerts.push(Alert {
                kind: AlertKind::DailySpike,
                subject: subject.to_string(),
                day: Some(date.day_key()),
                amount,
                threshold: line,
                percent: None,
                message: format!(
                    "{subject}: ${amount} spent on {date}, above {}× the trailing {history_days}-day average",
                    Ratio(rule.factor_percent)
                ),
            });
        }
    }
    alerts
}

/// A percentage shown as a multiple: 200 → `2`, 250 → `2.5`.
struct Ratio(u32);

impl core::fmt::Display for Ratio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let multiple = Usd::from_atto(i128::from(self.0) * 10i128.pow(16));
        write!(f, "{multiple}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::ledger::Scope;

    fn usd(s: &str) -> Usd {
        Usd::parse(s).unwrap()
    }

    #[test]
    fn thresholds_fire_once_on_crossing() {
        let at = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let key = BudgetKey::new(Scope::UserDay, "u", at);
        let limit = usd("50");
        let a = threshold_crossings(&key, limit, usd("39"), usd("40"), &DEFAULT_THRESHOLDS);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].percent, a[0].threshold, a[0].day.as_deref()), (Some(80), usd("40"), Some("2026-11-22")));
        assert!(threshold_crossings(&key, limit, usd("40"), usd("45"), &DEFAULT_THRESHOLDS).is_empty());
        let both = threshold_crossings(&key, limit, usd("10"), usd("60"), &DEFAULT_THRESHOLDS);
        assert_eq!(both.iter().map(|a| a.percent).collect::<Vec<_>>(), [Some(80), Some(100)]);
    }

    #[test]
    fn spikes_compare_with_the_trailing_average() {
        let d = |day: u8| Date::new(2026, 11, day).unwrap();
        let days = [(d(1), usd("10")), (d(2), usd("10")), (d(3), usd("20")), (d(4), usd("31")), (d(6), usd("10"))];
        let a = daily_spikes("total", &days, &SpikeRule::default());
        // Day 3: 20 is not above 2 × 10. Day 4: 31 > 2 × 40/3. Day 6: 10 vs 2 × 71/5 no.
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].day.as_deref(), Some("2026-11-04"));
        assert_eq!(a[0].threshold, usd("26.666666666666666667"));
        assert!(a[0].message.contains("above 2× the trailing 3-day average"), "{}", a[0].message);
        // A gap counts as zero spend inside the window.
        let gap = [(d(1), usd("10")), (d(5), usd("6"))];
        assert_eq!(daily_spikes("t", &gap, &SpikeRule::default()).len(), 1, "6 > 2 × 10/4");
    }

    #[test]
    fn call_over_limit_only_above() {
        let at = Timestamp::default();
        assert!(call_over_limit("model:gpt-4o", at, usd("1"), usd("1")).is_none());
        assert_eq!(call_over_limit("model:gpt-4o", at, usd("1.01"), usd("1")).unwrap().kind, AlertKind::CallOverLimit);
    }
}
