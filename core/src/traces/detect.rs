//! Which container an export is, from its first bytes.
//!
//! - `[` first: a JSON document (an array of traces or observations).
//! - `{` first: JSON Lines if the first line holds one complete value (and
//!   nothing else), otherwise a JSON document (a pretty-printed trace, an
//!   API page `{data, meta}`, an OTLP request). A one-line API page is read
//!   as JSON Lines of one record, which means the same thing.
//! - anything else: CSV (its header is checked when read).
//!
//! What each record *is* (Langfuse trace, observation, page, OTLP request)
//! is decided per record by its fields, so one file may mix them.

use serde::{Deserialize, Serialize};

/// The container of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One JSON document: an array, a `{data: [...]}` page, an OTLP request, a trace.
    Json,
    /// One JSON value per line.
    JsonLines,
    /// Comma-separated values with a header line.
    Csv,
}

/// An incremental sniffer: fed the same growing prefix, it decides as soon
/// as the bytes allow and never changes its mind.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sniffer {
    /// Bytes of the prefix already looked at.
    scanned: usize,
    /// The first value's nesting depth, once it has started with `{`.
    depth: Option<u32>,
    in_str: bool,
    esc: bool,
    /// The first value closed on the first line.
    closed: bool,
}

impl Sniffer {
    /// Looks at `prefix` (the same bytes as before, plus more); `Some` once decided.
    pub(crate) fn feed(&mut self, prefix: &[u8]) -> Option<Format> {
        while self.scanned < prefix.len() {
            let b = prefix[self.scanned];
            self.scanned += 1;
            let Some(depth) = self.depth else {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => continue,
                    // A UTF-8 byte order mark.
                    0xEF | 0xBB | 0xBF if self.scanned <= 3 => continue,
                    b'[' => return Some(Format::Json),
                    b'{' => {
                        self.depth = Some(1);
                        continue;
                    }
                    _ => return Some(Format::Csv),
                }
            };
            if self.closed {
                match b {
                    b'\n' => return Some(Format::JsonLines),
                    b' ' | b'\t' | b'\r' => continue,
                    _ => return Some(Format::Json),
                }
            }
            if self.in_str {
                match (self.esc, b) {
                    (true, _) => self.esc = false,
                    (false, b'\\') => self.esc = true,
                    (false, b'"') => self.in_str = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth = Some(depth + 1),
                b'}' | b']' => {
                    let d = depth.saturating_sub(1);
                    self.depth = Some(d);
                    self.closed = d == 0;
                }
                // A line break inside the first value: a multi-line document.
                b'\n' => return Some(Format::Json),
                _ => {}
            }
        }
        None
    }

    /// The decision at the end of the input (`None`: only whitespace).
    pub(crate) fn finish(&self) -> Option<Format> {
        match (self.depth, self.closed) {
            (None, _) => None,
            (Some(_), true) => Some(Format::JsonLines),
            (Some(_), false) => Some(Format::Json),
        }
    }
}

/// The container of an export from its first bytes; `None` if they do not
/// tell yet (or are only whitespace). Hosts use it to show what is being
/// imported before the import runs; [`super::Importer`] decides the same way.
pub fn detect(prefix: &[u8], complete: bool) -> Option<Format> {
    let mut s = Sniffer::default();
    match s.feed(prefix) {
        Some(f) => Some(f),
        None if complete => s.finish(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers() {
        assert_eq!(detect(b"  [ {", false), Some(Format::Json));
        assert_eq!(detect(b"{\"a\":\"}\\\"{\"}\n{", false), Some(Format::JsonLines));
        assert_eq!(detect(b"{\n  \"id\": 1", false), Some(Format::Json));
        assert_eq!(detect(b"{\"data\":[{}],\"meta\":{}}", false), None);
        assert_eq!(detect(b"{\"data\":[{}],\"meta\":{}}", true), Some(Format::JsonLines));
        assert_eq!(detect(b"{} {}", false), Some(Format::Json));
        assert_eq!(detect(b"\xEF\xBB\xBFid,traceId\n", false), Some(Format::Csv));
        assert_eq!(detect(b" \n ", true), None);
        assert_eq!(detect(b"{\"a\":", true), Some(Format::Json));
    }
}
