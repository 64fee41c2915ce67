//! Finds the usage in a JSON response as it streams through, without
//! keeping the response: a byte-level JSON lexer that tracks only nesting
//! and strings, and copies the raw text of a few top-level members
//! (`model`, `modelVersion`, `type`, `service_tier`, `usage`,
//! `usageMetadata`: the tier a call was served at prices it), each at
//! most [`MAX_MEMBER`] bytes. Every provider puts its usage at the top level
//! of a non-streamed response (OpenAI Chat and Responses, Anthropic,
//! Gemini), so a response of any size costs a few kilobytes to price.
//!
//! The usage counts only when the top-level object closed: a response cut
//! short reports nothing, and the call is settled at its reservation.

/// A kept member longer than this is dropped (no usage object is near it).
const MAX_MEMBER: usize = 64 << 10;
/// Top-level keys longer than this are not one of ours.
const MAX_KEY: usize = 32;
const KEPT: [&[u8]; 6] = [b"model", b"modelVersion", b"type", b"service_tier", b"usage", b"usageMetadata"];

/// Scans a JSON response chunk by chunk.
#[derive(Debug, Default)]
pub struct JsonUsageScanner {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, the next string is a key.
    expect_key: bool,
    /// The current top-level key, while it is being read.
    key: Option<Vec<u8>>,
    /// The member whose value is being copied, and its bytes so far.
    copying: Option<(usize, Vec<u8>)>,
    kept: [Option<Vec<u8>>; KEPT.len()],
    /// The top-level value closed (and it was an object).
    closed: bool,
    /// Something that is not a JSON object was seen at the top.
    broken: bool,
}

impl JsonUsageScanner {
    pub fn new() -> JsonUsageScanner {
        JsonUsageScanner::default()
    }

    /// Feeds the next bytes of the response.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if self.broken {
                return;
            }
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        // Copy every byte of a kept member's value, delimiters included
        // (the ones that end it are taken back out below).
        if let Some((_, buf)) = self.copying.as_mut() {
            if buf.len() < MAX_MEMBER {
                buf.push(b);
            } else {
                self.copying = None;
            }
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                // A key just read stays in `self.key` until its `:`.
                self.in_string = false;
            } else if let Some(key) = self.key.as_mut() {
                if key.len() <= MAX_KEY {
                    key.push(b);
                }
            }
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.key = Some(Vec::new());
                }
            }
            b'{' | b'[' => {
                if self.depth == 0 && (b == b'[' || self.closed) {
                    self.broken = true;
                    return;
                }
                self.depth += 1;
                if self.depth == 1 {
                    self.expect_key = true;
                }
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    self.broken = true;
                    return;
                }
                if self.depth == 1 {
                    self.end_member();
                    self.closed = true;
                }
                self.depth -= 1;
            }
            b':' if self.depth == 1 => {
                self.expect_key = false;
                if let Some(key) = self.key.take() {
                    if let Some(i) = KEPT.iter().position(|k| *k == key.as_slice()) {
                        self.copying = Some((i, Vec::new()));
                    }
                }
            }
            b',' if self.depth == 1 => {
                self.end_member();
                self.expect_key = true;
            }
            _ => {}
        }
    }

    /// A top-level member's value ended at the byte just copied (`,` or `}`).
    fn end_member(&mut self) {
        if let Some((i, mut buf)) = self.copying.take() {
            buf.pop();
            let text = buf.trim_ascii();
            if !text.is_empty() {
                self.kept[i] = Some(text.to_vec());
            }
        }
        self.key = None;
    }

    /// At the end of the response: `{"model":…,"usage":…}` (the members
    /// kept) for `parse_usage` / `cost_of_usage_json`, if the response was a
    /// whole JSON object with a usage member.
    pub fn finish(self) -> Option<Vec<u8>> {
        if self.broken || !self.closed || self.depth != 0 {
            return None;
        }
        let kept = |name: &[u8]| KEPT.iter().position(|k| *k == name).is_some_and(|i| self.kept[i].is_some());
        if !kept(b"usage") && !kept(b"usageMetadata") {
            return None;
        }
        let mut out = b"{".to_vec();
        for (name, value) in KEPT.iter().zip(&self.kept) {
            if let Some(v) = value {
                if out.len() > 1 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(name);
                out.extend_from_slice(b"\":");
                out.extend_from_slice(v);
            }
        }
        out.push(b'}');
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use farebox_core::{CostOptions, PriceTable};

    fn scan(body: &str, chunk: usize) -> Option<Vec<u8>> {
        let mut s = JsonUsageScanner::new();
        for piece in body.as_bytes().chunks(chunk) {
            s.feed(piece);
        }
        s.finish()
    }

    fn cost(body: &[u8]) -> String {
        PriceTable::builtin().cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap().total.to_string()
    }

    #[test]
    fn each_providers_usage_in_any_chunking() {
        let chat = r#"{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"a \"usage\": {\"prompt_tokens\": 1} } ]"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}}"#;
        let anthropic = r#"{"id":"m","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"{\"usage\":1}"}],"usage":{"input_tokens":1500,"output_tokens":1000}}"#;
        let gemini = "{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"hi\"}]}, \"finishReason\": \"STOP\"}],\n  \"usageMetadata\": {\"promptTokenCount\": 1000, \"candidatesTokenCount\": 200, \"thoughtsTokenCount\": 300},\n  \"modelVersion\": \"gemini-2.5-flash\"\n}\n";
        for chunk in [1, 3, 64, 1 << 20] {
            assert_eq!(cost(&scan(chat, chunk).unwrap()), "0.025", "{chunk}");
            assert_eq!(cost(&scan(anthropic, chunk).unwrap()), "0.0195");
            assert_eq!(cost(&scan(gemini, chunk).unwrap()), "0.00155");
        }
    }

    #[test]
    fn the_tier_a_call_was_served_at_prices_it() {
        let served =
            r#"{"model":"gpt-4o","service_tier":"priority","usage":{"prompt_tokens":10000,"completion_tokens":500}}"#;
        let standard =
            r#"{"model":"gpt-4o","service_tier":"default","usage":{"prompt_tokens":10000,"completion_tokens":500}}"#;
        assert_eq!(cost(&scan(standard, 5).unwrap()), "0.03");
        assert!(cost(&scan(served, 5).unwrap()).parse::<f64>().unwrap() > 0.03);
    }

    #[test]
    fn a_cut_or_foreign_body_reports_nothing() {
        let whole = r#"{"model":"gpt-4o","usage":{"prompt_tokens":10,"completion_tokens":5}}"#;
        for cut in 1..whole.len() {
            assert!(scan(&whole[..cut], 4).is_none(), "{cut}");
        }
        assert!(scan(r#"[{"usage":{"prompt_tokens":1}}]"#, 4).is_none());
        assert!(scan(r#"{"model":"gpt-4o"}"#, 4).is_none());
        assert!(scan(r#"{"data":{"usage":{"prompt_tokens":1}}}"#, 4).is_none());
        assert!(scan(r#"{"usage":{}}{"usage":{}}"#, 4).is_none());
    }

    #[test]
    fn memory_stays_bounded_for_any_response() {
        let huge = format!(
            r#"{{"model":"gpt-4o","choices":[{{"text":"{}"}}],"usage":{{"prompt_tokens":1,"completion_tokens":2}}}}"#,
            "x".repeat(3 << 20)
        );
        let mut s = JsonUsageScanner::new();
        for piece in huge.as_bytes().chunks(4096) {
            s.feed(piece);
        }
        let kept: usize = s.kept.iter().flatten().map(Vec::len).sum();
        assert!(kept < 100, "{kept}");
        assert!(s.finish().is_some());
        let long_usage = format!(r#"{{"usage":{{"x":"{}"}}}}"#, "y".repeat(MAX_MEMBER));
        assert!(scan(&long_usage, 4096).is_none());
    }
}
