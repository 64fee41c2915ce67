//! Numbers as people read them at a glance: the one rounding rule every view
//! of a host uses for cards, chart labels and summaries. The exact value stays
//! what [`Usd`]'s `Display` and a plain integer print; hosts show it one
//! hover, focus or copy away, and in tables and exports.
//!
//! Rounding is from the exact value, in integers (never through a float),
//! half away from zero.

use alloc::format;
use alloc::string::{String, ToString};

use crate::money::Usd;

const ONE_USD: u128 = 1_000_000_000_000_000_000;

/// `4144.7051581` → `$4,144.71`; below a dollar four significant digits:
/// `0.0000225` → `$0.0000225`, `0.64923` → `$0.6492`; `-2.5` → `−$2.50`.
pub fn usd(amount: Usd) -> String {
    let atto = amount.atto().unsigned_abs();
    let sign = if amount.is_negative() { "−$" } else { "$" };
    if atto == 0 {
        return String::from("$0");
    }
    let (kept, drop) = significant(atto, 4);
    let text = if atto >= ONE_USD || kept * pow10(drop) >= ONE_USD {
        // Cents: rounded at the second decimal.
        let cents = (atto + ONE_USD / 200) / (ONE_USD / 100);
        format!("{}.{:02}", grouped(cents / 100), cents % 100)
    } else {
        // `kept` × 10^(drop − 18): a fraction of a dollar, `18 − drop` decimals.
        let decimals = 18 - drop as usize;
        let digits = kept.to_string();
        let padded = format!("{}{digits}", "0".repeat(decimals.saturating_sub(digits.len())));
        let fraction = padded.trim_end_matches('0');
        format!("0.{fraction}")
    };
    format!("{sign}{text}")
}

/// `252900` → `252,900`; from a million, three significant digits and a
/// unit: `2091726180` → `2.09 B`, `12345678` → `12.3 M`, `999500000` → `1.00 B`.
pub fn count(n: u64) -> String {
    const UNITS: [(u32, &str); 4] = [(15, "Q"), (12, "T"), (9, "B"), (6, "M")];
    let value = u128::from(n);
    if value < pow10(6) {
        return grouped(value);
    }
    let (kept, drop) = significant(value, 3);
    let rounded = kept * pow10(drop);
    let (exponent, unit) = UNITS.into_iter().find(|&(e, _)| rounded >= pow10(e)).unwrap_or(UNITS[3]);
    // `kept` × 10^(drop − exponent) in the unit: 0, 1 or 2 decimals, or past the last unit a whole number.
    let text = match exponent.checked_sub(drop) {
        Some(decimals) if decimals > 0 => {
            let digits = kept.to_string();
            let point = digits.len() - decimals as usize;
            format!("{}.{}", &digits[..point], &digits[point..])
        }
        _ => grouped(kept * pow10(drop - exponent.min(drop))),
    };
    format!("{text} {unit}")
}

/// `n` rounded to `digits` significant digits: `(kept, dropped)` with
/// `n ≈ kept × 10^dropped`.
fn significant(n: u128, digits: u32) -> (u128, u32) {
    let len = n.ilog10() + 1;
    let drop = len.saturating_sub(digits);
    let kept = (n + pow10(drop) / 2) / pow10(drop);
    // 9,999.5 rounds up to 10,000: one digit more to drop.
    if kept >= pow10(digits) {
        (kept / 10, drop + 1)
    } else {
        (kept, drop)
    }
}

fn pow10(n: u32) -> u128 {
    10u128.pow(n)
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_glance(text: &str) -> String {
        usd(Usd::parse(text).unwrap())
    }

    #[test]
    fn dollars_are_grouped_with_cents() {
        assert_eq!(at_glance("4144.7051581"), "$4,144.71");
        assert_eq!(at_glance("1"), "$1.00");
        assert_eq!(at_glance("1234567.005"), "$1,234,567.01");
        assert_eq!(at_glance("-2.5"), "−$2.50");
        assert_eq!(at_glance("0.999999"), "$1.00");
        assert_eq!(at_glance("170000000000000000000"), "$170,000,000,000,000,000,000.00");
    }

    #[test]
    fn cents_and_less_keep_four_significant_digits() {
        assert_eq!(at_glance("0.64923"), "$0.6492");
        assert_eq!(at_glance("0.0000225"), "$0.0000225");
        assert_eq!(at_glance("0.00002255"), "$0.00002255");
        assert_eq!(at_glance("0.000022555"), "$0.00002256");
        assert_eq!(at_glance("0.5"), "$0.5");
        assert_eq!(at_glance("0.000000000000000001"), "$0.000000000000000001");
        assert_eq!(at_glance("0"), "$0");
        assert_eq!(at_glance("-0.0195"), "−$0.0195");
    }

    #[test]
    fn counts_from_a_million_carry_a_unit() {
        assert_eq!(count(252_900), "252,900");
        assert_eq!(count(999_999), "999,999");
        assert_eq!(count(1_000_000), "1.00 M");
        assert_eq!(count(2_091_726_180), "2.09 B");
        assert_eq!(count(12_345_678), "12.3 M");
        assert_eq!(count(123_456_789), "123 M");
        assert_eq!(count(999_500_000), "1.00 B");
        assert_eq!(count(999_499_999), "999 M");
        assert_eq!(count(u64::MAX), "18,400 Q");
    }
}
