//! JSON helpers shared by the parsers: the decimal text of a raw number
//! token (what `money` reads amounts from), whole numbers read without float
//! arithmetic, and field access on `serde_json::Value` that names what is
//! wrong. Nothing here knows about money: `money` uses this module, never the
//! other way round.

use alloc::format;
use alloc::string::{String, ToString};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

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

/// How big a JSON text's parsed tree can get, read in one linear pass over
/// its bytes with no allocation, before anything is parsed.
#[cfg_attr(not(feature = "tokenizer"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// An upper bound on the values (and object keys) the text parses into:
    /// every value but the first follows a `[`, `,` or `:`, and every key a
    /// `{` or `,`, so one more than the structural characters outside strings
    /// bounds them.
    pub values: usize,
    /// The deepest nesting of arrays and objects.
    pub depth: usize,
}

/// Scans `bytes` as JSON text (strings and escapes skipped, nothing
/// validated: the parser does that) and stops early, with what it has seen,
/// once `max_values` or `max_depth` is exceeded.
#[cfg_attr(not(feature = "tokenizer"), allow(dead_code))]
pub(crate) fn shape(bytes: &[u8], max_values: usize, max_depth: usize) -> Shape {
    let (mut values, mut depth, mut deepest) = (1usize, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                values += 1;
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' | b':' => values += 1,
            _ => continue,
        }
        if values > max_values || deepest > max_depth {
            break;
        }
    }
    Shape { values, depth: deepest }
}

/// `value` as JSON text. serde_json fails only on a map whose keys are not
/// strings or a `Serialize` impl that returns an error; farebox's types have
/// neither, so a failure is a bug: it panics with that said, rather than
/// writing an empty document (`[]`, `{}`, ``) that reads as "nothing here".
pub fn to_text<T: serde::Serialize + ?Sized>(value: &T) -> alloc::string::String {
    match serde_json::to_string(value) {
        Ok(text) => text,
        Err(e) => panic!("farebox's own types serialise to JSON; this one did not: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_bounds_values_and_depth() {
        let s = shape(br#"{"a": [1, 2, {"b": "x,y:[{"}], "c": null}"#, usize::MAX, usize::MAX);
        // Values: the object, "a", the array, 1, 2, the inner object, "b", "x,y:[{", "c", null = 10 (keys included).
        assert!(s.values >= 10, "{s:?}");
        assert_eq!(s.depth, 3);
        assert_eq!(shape(br#""\"[[[""#, 10, 10).depth, 0);
        assert_eq!(shape(b"[[[[", 100, 100).depth, 4);
        assert!(shape(b"[0,0,0,0,0,0]", 3, 10).values > 3);
    }
}
