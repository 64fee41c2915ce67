//! The Estimate and Compare state as text: the link's fragment
//! (`#estimate?v=1&m=gpt-4o&i=…`) and the draft kept in local storage, one
//! format for both.
//!
//! A fragment never leaves the browser (it is not part of the request a
//! link makes), so a link reproduces an estimate without a server. A link is
//! input like any other: [`parse`] checks every parameter and says what is
//! wrong in a sentence the page shows, never a half-applied state.
//!
//! Format 1, `&`-separated `key=value` pairs, values percent-encoded:
//! `v=1` (the format, first), `i` (the input: raw DEFLATE, then base64url
//! without padding: request bodies are repetitive JSON, so a link is a few
//! times shorter than the text), `f` (input mode), `m` (the Estimate page's
//! model), `c` (a Compare model, repeated, in order), `t` (service tier),
//! `l` (per-call limit in USD). Defaults are left out.
//!
//! The Traces view's filter (its drill-down chain and date range) goes the
//! same way, `#traces?v=1&o=model,gpt-4o&o=user,ann&from=2026-11-20&to=…`
//! ([`encode_filter`], [`parse_filter`]): `o` a dimension (core's
//! [`Dimension`] name) and its value, both percent-encoded, repeated in the
//! chain's order; `from` and `to` the range's days (`YYYY-MM-DD`), each
//! left out when open. The filter names no file: it applies to the export
//! imported next.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use farebox_core::pricing::PriceTable;
use farebox_core::time::Date;
use farebox_core::traces::{DayRange, Dimension, Filter};

use crate::protocol::{parse_limit, InputMode, SERVICE_TIERS};

/// The format this page writes and reads.
pub const VERSION: u32 = 1;

/// The longest fragment written into the address bar or read from a link.
/// Chromium takes URLs up to 2 MB, but mail and chat apps cut links far
/// shorter; beyond this the draft is kept in this browser only.
pub const MAX_LINK_CHARS: usize = 100_000;

/// The most a link's or draft's input may inflate to: a crafted 100 kB of
/// DEFLATE can claim gigabytes, so decompression stops here.
pub const MAX_INPUT_BYTES: usize = 8 << 20;

/// The most models a link may compare (the Compare page estimates each).
pub const MAX_MODELS: usize = 64;

/// The longest model name a link may carry.
const MAX_NAME_CHARS: usize = 256;

/// The most drill-downs a Traces link may chain.
pub const MAX_FILTERS: usize = 32;

/// The longest value a Traces link may filter on (a trace id, a metadata value).
const MAX_VALUE_CHARS: usize = 1024;

/// What a link or the kept draft holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub input: String,
    pub mode: InputMode,
    /// The Estimate page's model.
    pub model: Option<String>,
    /// The Compare page's models (`None`: the page's defaults).
    pub models: Option<Vec<String>>,
    /// "" for the standard tier.
    pub service_tier: String,
    /// "" for no limit.
    pub limit: String,
}

/// The text after `#page?` (or the stored draft) for `state`.
pub fn encode(state: &State) -> String {
    let mut out = format!("v={VERSION}");
    let mut pair = |key: &str, value: &str| {
        out.push('&');
        out.push_str(key);
        out.push('=');
        out.push_str(&percent_encode(value));
    };
    if state.mode != InputMode::Auto {
        pair("f", state.mode.name());
    }
    if let Some(model) = &state.model {
        pair("m", model);
    }
    for model in state.models.iter().flatten() {
        pair("c", model);
    }
    if !state.service_tier.is_empty() {
        pair("t", &state.service_tier);
    }
    if !state.limit.trim().is_empty() {
        pair("l", state.limit.trim());
    }
    if !state.input.is_empty() {
        // Level 6: the size of level 9 within a few per cent, several times faster.
        let packed = miniz_oxide::deflate::compress_to_vec(state.input.as_bytes(), 6);
        // base64url's alphabet needs no percent-encoding.
        out.push_str("&i=");
        out.push_str(&URL_SAFE_NO_PAD.encode(packed));
    }
    out
}

/// Reads what [`encode`] wrote, checking every parameter. `Err` is a
/// sentence for the page.
pub fn parse(query: &str) -> Result<State, String> {
    let mut state = State::default();
    let mut seen = Vec::new();
    for (key, raw) in versioned_pairs(query)? {
        if key != "c" && seen.contains(&key) {
            return Err(format!("it sets `{}` twice", shorten(key)));
        }
        seen.push(key);
        match key {
            "i" => state.input = unpack(raw)?,
            "f" => {
                let name = percent_decode(raw)?;
                state.mode = InputMode::parse(&name).ok_or_else(|| {
                    let names: Vec<&str> = InputMode::ALL.iter().map(|m| m.name()).collect();
                    format!("its input mode `{}` is none of {}", shorten(&name), names.join(", "))
                })?;
            }
            "m" => state.model = Some(model_name(raw)?),
            "c" => {
                let models = state.models.get_or_insert_with(Vec::new);
                if models.len() == MAX_MODELS {
                    return Err(format!("it compares more than {MAX_MODELS} models"));
                }
                models.push(model_name(raw)?);
            }
            "t" => {
                let tier = percent_decode(raw)?;
                if !SERVICE_TIERS.contains(&tier.as_str()) {
                    return Err(format!(
                        "its service tier `{}` is none of {}",
                        shorten(&tier),
                        SERVICE_TIERS.join(", ")
                    ));
                }
                state.service_tier = tier;
            }
            "l" => {
                let limit = percent_decode(raw)?;
                parse_limit(&limit)?;
                state.limit = limit;
            }
            other => return Err(format!("it has a parameter this page does not know: `{}`", shorten(other))),
        }
    }
    Ok(state)
}

/// The `name=value` pairs after the format version, which must come first
/// and be [`VERSION`]; the whole no longer than [`MAX_LINK_CHARS`].
fn versioned_pairs(query: &str) -> Result<Vec<(&str, &str)>, String> {
    if query.len() > MAX_LINK_CHARS {
        return Err(format!(
            "it is {} characters long; links to farebox hold at most {}",
            crate::ui::count(query.len() as u64),
            crate::ui::count(MAX_LINK_CHARS as u64)
        ));
    }
    let mut pairs = query.split('&').filter(|p| !p.is_empty());
    match pairs.next().map(|p| p.split_once('=').unwrap_or((p, ""))) {
        Some(("v", v)) if v == VERSION.to_string() => {}
        Some(("v", v)) => {
            return Err(format!(
                "it is in format `{}`, and this page reads format {VERSION}: it was made by another version of farebox",
                shorten(v)
            ))
        }
        _ => return Err(format!("it does not start with the format version (`v={VERSION}`)")),
    }
    pairs
        .map(|pair| pair.split_once('=').ok_or_else(|| format!("`{}` is not a `name=value` pair", shorten(pair))))
        .collect()
}

/// Checks that `table` prices every model `state` names; `Err` names the
/// first it does not (with the table's suggestions).
pub fn check_models(state: &State, table: &PriceTable) -> Result<(), String> {
    for model in state.model.iter().chain(state.models.iter().flatten()) {
        table.resolve(model).map_err(|e| format!("it names a model this price table does not have: {e}"))?;
    }
    Ok(())
}

/// The text after `#traces?` for `filter`.
pub fn encode_filter(filter: &Filter) -> String {
    let mut out = format!("v={VERSION}");
    for (dimension, value) in &filter.only {
        out.push_str(&format!("&o={},{}", percent_encode(&dimension.to_string()), percent_encode(value)));
    }
    for (key, day) in [("from", filter.days.from), ("to", filter.days.to)] {
        if let Some(day) = day {
            out.push_str(&format!("&{key}={}", day.day_key()));
        }
    }
    out
}

/// Reads what [`encode_filter`] wrote, checking every parameter. `Err` is a
/// sentence for the page.
pub fn parse_filter(query: &str) -> Result<Filter, String> {
    let mut filter = Filter::default();
    let mut seen = Vec::new();
    for (key, raw) in versioned_pairs(query)? {
        if key != "o" && seen.contains(&key) {
            return Err(format!("it sets `{}` twice", shorten(key)));
        }
        seen.push(key);
        match key {
            "o" => {
                if filter.only.len() == MAX_FILTERS {
                    return Err(format!("it chains more than {MAX_FILTERS} filters"));
                }
                let (dimension, value) = raw
                    .split_once(',')
                    .ok_or_else(|| format!("its filter `{}` is not `dimension,value`", shorten(raw)))?;
                let dimension =
                    Dimension::parse(&percent_decode(dimension)?).map_err(|e| format!("its filter names an {e}"))?;
                let value = percent_decode(value)?;
                if value.is_empty() {
                    return Err(format!("its filter on {dimension} has no value"));
                }
                if value.chars().count() > MAX_VALUE_CHARS {
                    return Err(format!("its filter on {dimension} is longer than {MAX_VALUE_CHARS} characters"));
                }
                filter.only.push((dimension, value));
            }
            "from" => filter.days.from = Some(day(raw)?),
            "to" => filter.days.to = Some(day(raw)?),
            other => return Err(format!("it has a parameter this page does not know: `{}`", shorten(other))),
        }
    }
    if let DayRange { from: Some(from), to: Some(to) } = filter.days {
        if from > to {
            return Err(format!("its date range ends ({}) before it starts ({})", to.day_key(), from.day_key()));
        }
    }
    Ok(filter)
}

/// A day as `YYYY-MM-DD`, that exists.
fn day(raw: &str) -> Result<Date, String> {
    Date::parse(raw)
        .ok()
        .filter(|d| d.day_key() == raw)
        .ok_or_else(|| format!("`{}` is not a day written YYYY-MM-DD", shorten(raw)))
}

fn model_name(raw: &str) -> Result<String, String> {
    let name = percent_decode(raw)?;
    let name = name.trim();
    if name.is_empty() {
        return Err("it names an empty model".to_string());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("it names a model longer than {MAX_NAME_CHARS} characters"));
    }
    Ok(name.to_string())
}

/// base64url → DEFLATE → UTF-8, each step's failure said in words.
fn unpack(raw: &str) -> Result<String, String> {
    let packed = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|e| format!("its request text is damaged (not base64url: {e}); was the link cut short?"))?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_INPUT_BYTES).map_err(|e| {
        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
            format!("its request text unpacks to more than {} MiB", MAX_INPUT_BYTES >> 20)
        } else {
            "its request text is damaged (not DEFLATE data); was the link cut short?".to_string()
        }
    })?;
    String::from_utf8(bytes).map_err(|_| "its request text is not UTF-8 text".to_string())
}

/// Everything but RFC 3986's unreserved characters and `:`, `/`, `@` (common in
/// model names, and valid in a fragment as they are) is percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'@' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Strict: a `%` not followed by two hex digits, or bytes that are not
/// UTF-8, are an error rather than passed through.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{}` has a `%` that is not followed by two hex digits", shorten(text)))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{}` is not UTF-8 once decoded", shorten(text)))
}

/// A crafted value is quoted in a message only in part.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> State {
        State {
            input: "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"héllo & goodbye\"}]}"
                .repeat(20),
            mode: InputMode::Request,
            model: Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()),
            models: Some(vec!["gpt-4o".into(), "a b&c=d%".into(), "ft:gpt-4o:org::x/y@z".into()]),
            service_tier: "batch".into(),
            limit: "0.05".into(),
        }
    }

    #[test]
    fn a_state_round_trips_and_defaults_are_left_out() {
        let state = full();
        let text = encode(&state);
        assert!(text
            .starts_with("v=1&f=request&m=us.anthropic.claude-sonnet-4-5-20250929-v1:0&c=gpt-4o&c=a%20b%26c%3Dd%25&"));
        assert_eq!(parse(&text), Ok(state.clone()));
        // Repetitive JSON packs well below its own length.
        let packed = text.split("&i=").nth(1).unwrap();
        assert!(packed.len() * 4 < state.input.len(), "{} of {}", packed.len(), state.input.len());
        assert_eq!(encode(&State::default()), "v=1");
        assert_eq!(parse("v=1"), Ok(State::default()));
        // Only what [`encode`] leaves unescaped appears unescaped.
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:/@%&=".contains(c)), "{text}");
    }

    #[test]
    fn crafted_links_are_refused_with_a_reason() {
        let refused = |query: &str, says: &str| {
            let error = parse(query).expect_err(query);
            assert!(error.contains(says), "{query}: {error}");
        };
        refused("", "format version");
        refused("m=gpt-4o", "format version");
        refused("v=2&m=gpt-4o", "format `2`");
        refused("v=1&x=1", "does not know: `x`");
        refused("v=1&m=a&m=b", "`m` twice");
        refused("v=1&m", "not a `name=value` pair");
        refused("v=1&i=***", "not base64url");
        refused("v=1&i=aGVsbG8", "not DEFLATE");
        refused("v=1&f=yaml", "input mode `yaml`");
        refused("v=1&t=gold", "service tier `gold`");
        refused("v=1&l=lots", "per-call limit `lots`");
        refused("v=1&l=-1", "negative");
        refused("v=1&m=%ZZ", "two hex digits");
        refused("v=1&m=%FF", "not UTF-8");
        refused("v=1&m=%20", "empty model");
        refused(&format!("v=1&m={}", "a".repeat(300)), "longer than 256");
        refused(&format!("v=1{}", "&c=gpt-4o".repeat(MAX_MODELS + 1)), "more than 64 models");
        refused(&format!("v=1&i={}", "A".repeat(MAX_LINK_CHARS)), "at most 100,000");
        // Valid DEFLATE whose text is not UTF-8.
        let latin1 = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&[0xE9, 0x74, 0xE9], 6));
        refused(&format!("v=1&i={latin1}"), "not UTF-8 text");
        // A small link that claims gigabytes stops at the limit.
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&vec![b'a'; MAX_INPUT_BYTES + 1], 9));
        assert!(bomb.len() < MAX_LINK_CHARS);
        refused(&format!("v=1&i={bomb}"), "more than 8 MiB");
        // A long crafted value is quoted only in part.
        let error = parse(&format!("v=1&f={}", "y".repeat(1000))).unwrap_err();
        assert!(error.len() < 200, "{error}");
    }

    #[test]
    fn a_traces_filter_round_trips() {
        let filter = Filter {
            only: vec![
                (Dimension::Model, "gpt-4o".into()),
                (Dimension::Metadata("a,b=c".into()), "x & y, 100%".into()),
                (Dimension::Trace, "t-1".into()),
            ],
            days: DayRange { from: Date::new(2026, 11, 20), to: Date::new(2026, 11, 22) },
        };
        let text = encode_filter(&filter);
        assert!(text.starts_with("v=1&o=model,gpt-4o&o=metadata.a%2Cb%3Dc,x%20%26%20y%2C%20100%25&o=trace,t-1&"));
        assert!(text.ends_with("&from=2026-11-20&to=2026-11-22"), "{text}");
        assert_eq!(parse_filter(&text), Ok(filter.clone()));
        let open_end = Filter { days: DayRange { from: None, ..filter.days }, ..filter };
        assert_eq!(parse_filter(&encode_filter(&open_end)), Ok(open_end));
        assert_eq!(encode_filter(&Filter::default()), "v=1");
        assert_eq!(parse_filter("v=1"), Ok(Filter::default()));
    }

    #[test]
    fn crafted_traces_links_are_refused_with_a_reason() {
        let refused = |query: &str, says: &str| {
            let error = parse_filter(query).expect_err(query);
            assert!(error.contains(says), "{query}: {error}");
        };
        refused("", "format version");
        refused("o=model,x", "format version");
        refused("v=2", "format `2`");
        refused("v=1&m=gpt-4o", "does not know: `m`");
        refused("v=1&o=colour,red", "unknown dimension `colour`: use day, model");
        refused("v=1&o=model", "not `dimension,value`");
        refused("v=1&o=model,", "no value");
        refused("v=1&o=model,%ZZ", "two hex digits");
        refused(&format!("v=1&o=user,{}", "a".repeat(MAX_VALUE_CHARS + 1)), "longer than 1024");
        refused(&format!("v=1{}", "&o=tag,a".repeat(MAX_FILTERS + 1)), "more than 32 filters");
        refused("v=1&from=2026-02-30", "not a day");
        refused("v=1&from=2026-11-20T10:00:00Z", "not a day");
        refused("v=1&to=yesterday", "not a day");
        refused("v=1&from=2026-11-20&from=2026-11-21", "`from` twice");
        refused("v=1&from=2026-11-22&to=2026-11-20", "ends (2026-11-20) before it starts (2026-11-22)");
        refused(&format!("v=1&o=tag,{}", "a".repeat(MAX_LINK_CHARS)), "at most 100,000");
        refused("v=1&o", "not a `name=value` pair");
    }

    #[test]
    fn models_are_checked_against_the_price_table() {
        let table = PriceTable::builtin();
        let known =
            State { model: Some("gpt-4o".into()), models: Some(vec!["claude-sonnet-4-5".into()]), ..State::default() };
        assert_eq!(check_models(&known, &table), Ok(()));
        let unknown = State { models: Some(vec!["gpt-4o".into(), "gpt-4oo".into()]), ..State::default() };
        let error = check_models(&unknown, &table).unwrap_err();
        assert!(error.contains("gpt-4oo"), "{error}");
    }
}
