//! Exact money.
//!
//! Every amount is an integer count of *attodollars* (10⁻¹⁸ USD) in an `i128`.
//! Why fixed point and not a float or a general decimal:
//! - Public price tables quote per-token prices such as `2.5e-06` or
//!   `3.5e-08`; all of them have far fewer than 18 decimal places, so every
//!   price is represented exactly, and `tokens × price` (an integer times an
//!   integer) is exact too. A sum of exact products is exact. Nothing on a
//!   money path ever rounds.
//! - `i128` holds ±1.7 × 10²⁰ USD at this scale; every operation is checked
//!   and overflow is an error, never a wrap.
//! - Prices are parsed from their decimal *text* (JSON number or string), so
//!   a binary float never sits between the price table and the result.
//!
//! Amounts leave the engine as exact decimal strings (`"0.0195"`).

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use serde_json::value::RawValue;

use crate::json::decimal_text;

/// Decimal places kept: amounts are integer multiples of 10⁻¹⁸ USD.
pub const SCALE: u32 = 18;
const ONE: i128 = 10i128.pow(SCALE);

/// An exact amount of US dollars.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd(i128);

/// Why a decimal text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Not a decimal number (`"abc"`, `""`, `"1.2.3"`, `"NaN"`).
    Syntax(String),
    /// More than 18 decimal places: it cannot be held exactly.
    TooPrecise(String),
    /// Beyond ±1.7 × 10²⁰ USD, or an arithmetic result that would be.
    Overflow,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Syntax(s) => write!(f, "`{s}` is not a decimal number"),
            MoneyError::TooPrecise(s) => {
                write!(f, "`{s}` has more than {SCALE} decimal places and cannot be held exactly")
            }
            MoneyError::Overflow => f.write_str("amount out of range (beyond ±1.7e20 USD)"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MoneyError {}

impl Usd {
    pub const ZERO: Usd = Usd(0);

    /// The amount from its attodollar count.
    pub const fn from_atto(atto: i128) -> Usd {
        Usd(atto)
    }

    /// The amount as an attodollar count.
    pub const fn atto(self) -> i128 {
        self.0
    }

    /// Whole dollars, e.g. `Usd::from_dollars(5)`.
    pub const fn from_dollars(dollars: i64) -> Usd {
        Usd(dollars as i128 * ONE)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Usd) -> Result<Usd, MoneyError> {
        self.0.checked_add(other.0).map(Usd).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Usd) -> Result<Usd, MoneyError> {
        self.0.checked_sub(other.0).map(Usd).ok_or(MoneyError::Overflow)
    }

    /// `self × quantity`: a unit price times a token (or character, request) count.
    pub fn checked_mul(self, quantity: u64) -> Result<Usd, MoneyError> {
        self.0.checked_mul(i128::from(quantity)).map(Usd).ok_or(MoneyError::Overflow)
    }

    /// `self × numerator / denominator`, rounded half to even. The one place
    /// a division happens: scaling a price (e.g. per-million to per-token is
    /// exact; a ratio such as an average may not be, so it says how it rounds).
    pub fn mul_div_round(self, numerator: u64, denominator: u64) -> Result<Usd, MoneyError> {
        if denominator == 0 {
            return Err(MoneyError::Overflow);
        }
        let n = self.0.checked_mul(i128::from(numerator)).ok_or(MoneyError::Overflow)?;
        let d = i128::from(denominator);
        let (q, r) = (n / d, n % d);
        let twice = r.abs() * 2;
        let round_away = twice > d || (twice == d && q % 2 != 0);
        Ok(Usd(if round_away { q + n.signum() } else { q }))
    }

    /// Parses a decimal in JSON-number syntax or plain decimal text:
    /// `"0.0195"`, `"2.5e-06"`, `"3E-7"`, `"-1.5"`, `"12"`. Exact, or an error.
    pub fn parse(text: &str) -> Result<Usd, MoneyError> {
        let syntax = || MoneyError::Syntax(String::from(text));
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => {
                let exp_text = &s[i + 1..];
                let exp = match exp_text.parse::<i32>() {
                    Ok(exp) => exp,
                    // A whole-number exponent too large for i32: clamp it; the
                    // value is then out of range or too precise, or zero.
                    Err(_) if is_integer(exp_text) => {
                        if exp_text.starts_with('-') {
                            i32::MIN / 2
                        } else {
                            i32::MAX / 2
                        }
                    }
                    Err(_) => return Err(syntax()),
                };
                (&s[..i], exp)
            }
            None => (s, 0),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(syntax());
        }
        // value = digits × 10^(exponent − frac_len); we want value × 10^SCALE.
        let digits = int_part.bytes().chain(frac_part.bytes()).skip_while(|&b| b == b'0');
        let mut shift = i64::from(exponent) - frac_part.len() as i64 + i64::from(SCALE);
        let mut atto: i128 = 0;
        let mut dropped_nonzero = false;
        let mut kept: alloc::vec::Vec<u8> = digits.collect();
        // Digits shifted below 10⁻¹⁸: allowed only if they are zeros.
        while shift < 0 {
            match kept.pop() {
                Some(d) => dropped_nonzero |= d != b'0',
                None => break,
            }
            shift += 1;
        }
        if dropped_nonzero {
            return Err(MoneyError::TooPrecise(String::from(text)));
        }
        for d in kept {
            atto =
                atto.checked_mul(10).and_then(|a| a.checked_add(i128::from(d - b'0'))).ok_or(MoneyError::Overflow)?;
        }
        if shift > 0 && atto != 0 {
            let factor = u32::try_from(shift).ok().and_then(|s| 10i128.checked_pow(s)).ok_or(MoneyError::Overflow)?;
            atto = atto.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        }
        Ok(Usd(if negative { -atto } else { atto }))
    }
}

/// `[+-]digits`
fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Usd {
    /// Parses a decimal written out by a program from a binary float (Python's
    /// or JavaScript's shortest round-trip text), as public price tables are:
    /// LiteLLM's holds `1.0000000000000001e-07` where the price is `1e-07`.
    /// A double carries 15 significant decimal digits faithfully; digits past
    /// the 15th are float noise, so the text is rounded (half to even) to 15
    /// significant digits — and to the 18th decimal place where that comes
    /// first (`0.285714285714286e-6`), an error below 5 × 10⁻¹⁹ USD per unit —
    /// and then parsed exactly. Only importers of foreign float-written tables
    /// use this; farebox's own formats and user prices are strict.
    pub fn parse_float_text(text: &str) -> Result<Usd, MoneyError> {
        const DIGITS: usize = 15;
        let syntax = || MoneyError::Syntax(String::from(text));
        let s = text.trim();
        let (sign, body) = match s.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", s),
        };
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) if is_integer(&body[i + 1..]) => {
                // Beyond ±10⁹ the value is out of range or rounds to zero either way.
                let exp = body[i + 1..].parse::<i64>().unwrap_or(if body[i + 1..].starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                });
                (&body[..i], exp.clamp(-1_000_000_000, 1_000_000_000))
            }
            Some(_) => return Err(syntax()),
            None => (body, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: alloc::vec::Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(syntax());
        }
        let lead = digits.iter().take_while(|&&d| d == b'0').count();
        // value = 0.d1d2d3… × 10^point, with the significant digits d1… first.
        let mut significant: alloc::vec::Vec<u8> = digits[lead..].to_vec();
        let mut point = int_part.len() as i64 - lead as i64 + exp;
        // Keep 15 significant digits, and none past the 18th decimal place.
        let mut keep = (DIGITS as i64).min(i64::from(SCALE) + point);
        if significant.is_empty() {
            return Ok(Usd::ZERO);
        }
        if point > 40 {
            return Err(MoneyError::Overflow);
        }
        if point < -40 {
            return Ok(Usd::ZERO); // below 10⁻⁴⁰: zero on the 10⁻¹⁸ grid
        }
        if significant.len() as i64 <= keep {
            return Usd::parse(text);
        }
        if keep < 1 {
            // Below 10⁻¹⁸: pad so the rounding position is a digit.
            let pad = usize::try_from(1 - keep).map_err(|_| syntax())?.min(SCALE as usize + 2);
            significant.splice(0..0, core::iter::repeat_n(b'0', pad));
            point += pad as i64;
            keep = 1;
        }
        let keep = keep as usize;
        let (kept, rest) = significant.split_at(keep);
        let mut rounded: alloc::vec::Vec<u8> = kept.to_vec();
        let first_dropped = rest[0];
        let tail_nonzero = rest[1..].iter().any(|&d| d != b'0');
        let odd = (kept[keep - 1] - b'0') % 2 == 1;
        if first_dropped > b'5' || (first_dropped == b'5' && (tail_nonzero || odd)) {
            let mut i = keep;
            loop {
                if i == 0 {
                    rounded.insert(0, b'1');
                    point += 1;
                    break;
                }
                i -= 1;
                if rounded[i] == b'9' {
                    rounded[i] = b'0';
                } else {
                    rounded[i] += 1;
                    break;
                }
            }
        }
        let digits = core::str::from_utf8(&rounded).map_err(|_| syntax())?;
        Usd::parse(&alloc::format!("{sign}0.{digits}e{point}"))
    }
}

impl FromStr for Usd {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Usd::parse(s)
    }
}

/// The exact decimal, without trailing zeros: `0.0195`, `12`, `-0.5`.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let one = ONE as u128;
        let (int, frac) = (abs / one, abs % one);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let mut digits = [b'0'; SCALE as usize];
        let mut rest = frac;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        // Only ASCII digits were written.
        let frac = core::str::from_utf8(&digits[..end]).map_err(|_| fmt::Error)?;
        write!(f, "{sign}{int}.{frac}")
    }
}

impl fmt::Debug for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${self}")
    }
}

/// Amounts serialise as exact decimal strings, never as JSON numbers (a JS
/// reader would turn a number into a float).
impl serde::Serialize for Usd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Accepts a decimal string or a JSON number, read from its text: the number
/// `2.5e-06` becomes exactly 2.5 × 10⁻⁶ USD, never the nearest binary float.
/// Works only with `serde_json`'s text deserializer (it reads the raw token),
/// which is the only deserializer core uses.
impl<'de> serde::Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let raw: alloc::boxed::Box<RawValue> = serde::Deserialize::deserialize(d)?;
        let text = decimal_text(&raw).map_err(D::Error::custom)?;
        Usd::parse(&text).map_err(D::Error::custom)
    }
}

/// A unit price from a table written out from binary floats (LiteLLM's
/// Python, Langfuse's JavaScript): a JSON number or string, read from its text
/// with [`Usd::parse_float_text`], and never negative. The error says what is
/// wrong; the caller names the field.
pub(crate) fn float_written_price(raw: &RawValue) -> Result<Usd, String> {
    let text = decimal_text(raw)?;
    let price = Usd::parse_float_text(&text).map_err(|e| alloc::string::ToString::to_string(&e))?;
    if price.is_negative() {
        return Err(alloc::format!("is negative ({text})"));
    }
    Ok(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    fn usd(s: &str) -> Usd {
        Usd::parse(s).unwrap()
    }

    #[test]
    fn parses_the_forms_price_tables_use() {
        assert_eq!(usd("2.5e-06").atto(), 2_500_000_000_000);
        assert_eq!(usd("2.5E-06"), usd("0.0000025"));
        assert_eq!(usd("1e-05"), usd("0.00001"));
        assert_eq!(usd("3.5e-08"), usd("0.000000035"));
        assert_eq!(usd("12"), Usd::from_dollars(12));
        assert_eq!(usd("-1.5").to_string(), "-1.5");
        assert_eq!(usd("0.000000000000000001").atto(), 1);
        assert_eq!(usd("1.50000000000000000000000"), usd("1.5"));
        assert_eq!(usd("0e5"), Usd::ZERO);
        assert_eq!(usd(".5"), usd("0.5"));
        assert_eq!(usd("5."), usd("5"));
    }

    #[test]
    fn rejects_what_it_cannot_hold_exactly() {
        assert_eq!(Usd::parse("1e-19"), Err(MoneyError::TooPrecise("1e-19".into())));
        assert!(matches!(Usd::parse("0.0000000000000000001"), Err(MoneyError::TooPrecise(_))));
        assert_eq!(Usd::parse("1e30"), Err(MoneyError::Overflow));
        assert_eq!(Usd::parse("1e999999999999"), Err(MoneyError::Overflow));
        assert_eq!(Usd::parse("1e-999999999999"), Err(MoneyError::TooPrecise("1e-999999999999".into())));
        assert_eq!(Usd::parse("0e-999999999999"), Ok(Usd::ZERO));
        for bad in ["", "-", ".", "abc", "1.2.3", "NaN", "inf", "1e", "0x10", "1_000", "--1"] {
            assert!(matches!(Usd::parse(bad), Err(MoneyError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn displays_exactly_without_trailing_zeros() {
        assert_eq!(usd("0.0195").to_string(), "0.0195");
        assert_eq!(usd("0.025").to_string(), "0.025");
        assert_eq!(Usd::ZERO.to_string(), "0");
        assert_eq!(usd("100").to_string(), "100");
        assert_eq!(Usd::from_atto(1).to_string(), "0.000000000000000001");
        assert_eq!(Usd::from_atto(-1).to_string(), "-0.000000000000000001");
    }

    #[test]
    fn worked_example_is_exact() {
        // claude-sonnet-4-5: 1,500 × $3/M + 1,000 × $15/M = $0.0195
        let input = usd("3e-06").checked_mul(1500).unwrap();
        let output = usd("1.5e-05").checked_mul(1000).unwrap();
        assert_eq!(input.checked_add(output).unwrap().to_string(), "0.0195");
    }

    #[test]
    fn float_text_drops_float_noise_only() {
        let p = Usd::parse_float_text;
        assert_eq!(p("1.0000000000000001e-07").unwrap(), usd("1e-07"));
        assert_eq!(p("4.0000000000000003e-07").unwrap(), usd("4e-07"));
        assert_eq!(p("1.8000000000000001e-06").unwrap(), usd("1.8e-06"));
        assert_eq!(p("5.0000000000000004e-08").unwrap(), usd("5e-08"));
        assert_eq!(p("9.9999999999999999e-07").unwrap(), usd("1e-06"));
        assert_eq!(p("0.30000000000000004").unwrap(), usd("0.3"));
        assert_eq!(p("-0.30000000000000004").unwrap(), usd("-0.3"));
        // 15 significant digits or fewer pass through untouched, strictly.
        assert_eq!(p("1.25e-07").unwrap(), usd("0.000000125"));
        assert_eq!(p("123456789012345").unwrap(), usd("123456789012345"));
        // Past the 18th decimal place: rounded to it.
        assert_eq!(p("0.285714285714286e-6").unwrap(), usd("0.000000285714285714"));
        assert_eq!(p("0.2857142857142865e-6").unwrap(), usd("0.000000285714285714"));
        assert_eq!(p("1.5e-18").unwrap(), Usd::from_atto(2));
        assert_eq!(p("4e-19").unwrap(), Usd::ZERO);
        assert_eq!(p("6e-19").unwrap(), Usd::from_atto(1));
        assert_eq!(p("6e-30").unwrap(), Usd::ZERO);
        assert!(p("x1").is_err());
        // Found by fuzzing: exponents at the edge of i64.
        assert_eq!(p("1e9223372036854775807"), Err(MoneyError::Overflow));
        assert_eq!(p("0.0000000000000000001e-9223372036854775808").unwrap(), Usd::ZERO);
        assert_eq!(p("1.00000000000000001e-99999999999999999999"), Ok(Usd::ZERO));
        assert_eq!(p("1.00000000000000001e99999999999999999999"), Err(MoneyError::Overflow));
        assert!(p("1e1.5").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn mul_div_rounds_half_to_even() {
        let a = Usd::from_atto(5);
        assert_eq!(a.mul_div_round(1, 2).unwrap().atto(), 2); // 2.5 → 2
        assert_eq!(Usd::from_atto(7).mul_div_round(1, 2).unwrap().atto(), 4); // 3.5 → 4
        assert_eq!(Usd::from_atto(-7).mul_div_round(1, 2).unwrap().atto(), -4);
        assert_eq!(usd("2.5").mul_div_round(1, 1_000_000).unwrap(), usd("0.0000025"));
        assert!(a.mul_div_round(1, 0).is_err());
    }

    #[test]
    fn arithmetic_overflow_is_an_error() {
        let max = Usd::from_atto(i128::MAX);
        assert_eq!(max.checked_add(Usd::from_atto(1)), Err(MoneyError::Overflow));
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(atto in any::<i128>()) {
            let a = Usd::from_atto(atto);
            prop_assert_eq!(Usd::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn scientific_and_plain_agree(int in 0u64..1_000_000, frac in 0u32..1_000_000, exp in -12i32..6) {
            let plain = format!("{int}.{frac:06}");
            let sci = format!("{int}{frac:06}e{}", exp - 6);
            let scaled = Usd::parse(&plain).unwrap();
            // int.frac × 10^exp, computed independently in integers.
            let expected = if exp >= 0 {
                scaled.checked_mul(10u64.pow(exp as u32)).unwrap()
            } else {
                let d = 10u64.pow((-exp) as u32);
                let r = scaled.mul_div_round(1, d).unwrap();
                prop_assume!(r.checked_mul(d).unwrap() == scaled); // exact only
                r
            };
            prop_assert_eq!(Usd::parse(&sci).unwrap(), expected);
        }

        #[test]
        fn sums_are_exact_and_order_free(prices in proptest::collection::vec((0u64..10_000_000, 0u64..5_000_000), 1..20)) {
            // price in micro-dollars per million tokens (i.e. 10⁻¹² USD per token)
            let lines: Vec<Usd> = prices.iter()
                .map(|&(p, q)| Usd::from_atto(i128::from(p) * 1_000_000).checked_mul(q).unwrap())
                .collect();
            let fwd = lines.iter().try_fold(Usd::ZERO, |a, &b| a.checked_add(b)).unwrap();
            let rev = lines.iter().rev().try_fold(Usd::ZERO, |a, &b| a.checked_add(b)).unwrap();
            prop_assert_eq!(fwd, rev);
            let expected: i128 = prices.iter().map(|&(p, q)| i128::from(p) * i128::from(q) * 1_000_000).sum();
            prop_assert_eq!(fwd.atto(), expected);
        }
    }
}
