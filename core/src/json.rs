//! JSON helpers shared by the parsers: exact decimals read from their text,
//! and field access on `serde_json::Value` that names what is wrong.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use serde::de::Error as _;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::money::Usd;

/// A money amount read from a JSON number *or* string, from its text: the
/// number `2.5e-06` becomes exactly 2.5 × 10⁻⁶ USD, never the nearest binary
/// float. Works only with `serde_json`'s text deserializer (it reads the raw
/// token), which is the only deserializer core uses.
pub(crate) struct Decimal(pub Usd);

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = serde::Deserialize::deserialize(d)?;
        let text = decimal_text(&raw).map_err(D::Error::custom)?;
        Usd::parse(&text).map(Decimal).map_err(D::Error::custom)
    }
}

/// The decimal text of a raw JSON number or string token.
pub(crate) fn decimal_text(raw: &RawValue) -> Result<String, String> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(String::from(text))
    } else {
        Err(format!("expected a decimal number, found {text}"))
    }
}

/// A unit price from a table written out from binary floats (LiteLLM's
/// Python, Langfuse's JavaScript): a JSON number or string, read from its text
/// with [`Usd::parse_float_text`], and never negative. The error says what is
/// wrong; the caller names the field.
pub(crate) fn float_written_price(raw: &RawValue) -> Result<Usd, String> {
    let text = decimal_text(raw)?;
    let price = Usd::parse_float_text(&text).map_err(|e| e.to_string())?;
    if price.is_negative() {
        return Err(format!("is negative ({text})"));
    }
    Ok(price)
}

/// A JSON number that is a whole number ≥ 0, also when written as `8192.0`
/// (LiteLLM writes some limits that way). Read from the number's text: no
/// float arithmetic.
pub(crate) fn whole_number(n: &serde_json::Number) -> Option<u64> {
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let text = n.to_string();
    let (int, frac) = text.split_once('.')?;
    if frac.bytes().all(|b| b == b'0') && !frac.is_empty() {
        int.parse().ok()
    } else {
        None
    }
}

/// Reads a non-negative whole number at `path` in `obj`. Absent and `null`
/// are `Ok(None)`; anything else that is not a whole number ≥ 0 is an error
/// naming the field and what was there.
pub(crate) fn count(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => count_value(v, &join(path, key)).map(Some),
    }
}

pub(crate) fn count_value(v: &Value, path: &str) -> Result<u64, String> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if n.as_i64().is_some() {
                Err(format!("`{path}` is negative ({n}); token counts are whole numbers ≥ 0"))
            } else {
                Err(format!("`{path}` is {n}; token counts are whole numbers ≥ 0"))
            }
        }
        other => Err(format!("`{path}` should be a whole number, found {}", kind_of(other))),
    }
}

/// The object at `key`, if present and not null; an error if it is something else.
pub(crate) fn object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(format!("`{}` should be an object, found {}", join(path, key), kind_of(other))),
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
