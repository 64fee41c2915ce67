//! Fuzzes `Usd::parse` and `Usd::parse_float_text` on arbitrary UTF-8 text.
//!
//! Checks: neither panics; an amount `Usd::parse` accepts survives
//! `Display` → `Usd::parse` unchanged; and when both accept a text whose
//! mantissa has at most 15 significant digits, they agree (the float-noise
//! rounding of `parse_float_text` only touches digits past the 15th).
#![no_main]

use farebox_core::Usd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let exact = Usd::parse(s);
    let float = Usd::parse_float_text(s);
    if let Ok(a) = exact {
        let text = a.to_string();
        assert_eq!(Usd::parse(&text), Ok(a), "{s:?} parsed to {a:?}, whose text {text:?} does not parse back");
        if let Ok(b) = float {
            if significant_digits(s) <= 15 {
                assert_eq!(a, b, "{s:?}: parse and parse_float_text disagree");
            }
        }
    }
});

/// Significant digits of the mantissa: the text trimmed, without its sign and
/// exponent, digits only, leading and trailing zeros dropped.
fn significant_digits(s: &str) -> usize {
    let s = s.trim();
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mantissa = s.split(['e', 'E']).next().unwrap_or(s);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}
