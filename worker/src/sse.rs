//! Finds the usage in a Server-Sent Events stream as it passes through,
//! without keeping the stream: only the current line (bounded) and the last
//! usage-bearing event are held.
//!
//! - OpenAI Chat: the final chunk's `usage` (sent with `stream_options.include_usage`);
//! - OpenAI Responses: `response.completed`'s `response.usage`;
//! - Anthropic: `message_start`'s `message.usage` with each `message_delta`'s
//!   `usage` merged over it (the delta's counts are cumulative);
//! - Gemini (`alt=sse`): the last chunk's `usageMetadata`.
//!
//! Only a *final* usage counts: the chat chunk with `usage` (sent last),
//! a Responses terminal event (`response.completed`, `.incomplete`,
//! `.failed`), Anthropic's `message_delta`, a Gemini chunk whose candidate
//! has a `finishReason`. A stream cut before it (a client that went away,
//! an upstream that broke off) reports nothing, and the call is settled at
//! its reservation, never at the partial counts seen so far: an Anthropic
//! stream cut after `message_start` would otherwise bill one output token
//! for whatever the client had already received.

use serde_json::{Map, Value};

/// Lines longer than this are skipped (no provider sends usage in one).
const MAX_LINE: usize = 1 << 20;

/// Scans SSE bytes chunk by chunk.
#[derive(Debug, Default)]
pub struct UsageScanner {
    line: Vec<u8>,
    overlong: bool,
    anthropic: Option<(Option<Value>, Map<String, Value>)>,
    /// Anthropic's `message_delta` was seen: its usage is final.
    anthropic_final: bool,
    last: Option<Value>,
    /// `last` is a final usage.
    last_final: bool,
}

impl UsageScanner {
    pub fn new() -> UsageScanner {
        UsageScanner::default()
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(i) = chunk.iter().position(|&b| b == b'\n') {
            if !self.overlong {
                self.line.extend_from_slice(&chunk[..i]);
                let line = std::mem::take(&mut self.line);
                self.on_line(&line);
                self.line = line;
            }
            self.line.clear();
            self.overlong = false;
            chunk = &chunk[i + 1..];
        }
        if !self.overlong {
            if self.line.len() + chunk.len() > MAX_LINE {
                self.overlong = true;
                self.line.clear();
            } else {
                self.line.extend_from_slice(chunk);
            }
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(data) = line.strip_prefix(b"data:") else { return };
        if !contains(data, b"sage") {
            return;
        }
        let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(data) else { return };
        match obj.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                let Some(Value::Object(mut message)) = obj.remove("message") else { return };
                let usage = match message.remove("usage") {
                    Some(Value::Object(u)) => u,
                    _ => Map::new(),
                };
                self.anthropic = Some((message.remove("model"), usage));
            }
            Some("message_delta") => {
                if let Some(Value::Object(delta)) = obj.remove("usage") {
                    self.anthropic_final = true;
                    let (_, usage) = self.anthropic.get_or_insert_with(|| (None, Map::new()));
                    for (k, v) in delta {
                        if !v.is_null() {
                            usage.insert(k, v);
                        }
                    }
                }
            }
            _ => {
                let has_usage = |o: &Map<String, Value>| {
                    o.get("usage").is_some_and(|u| !u.is_null()) || o.contains_key("usageMetadata")
                };
                let in_response = obj.get("response").and_then(Value::as_object).is_some_and(has_usage);
                if has_usage(&obj) || in_response {
                    self.last_final = is_final(&obj);
                    self.last = Some(Value::Object(obj));
                }
            }
        }
    }

    /// At the end of the stream: a JSON body holding the final usage (and
    /// model) for `parse_usage` / `cost_of_usage_json`; `None` when the
    /// stream ended before its final usage.
    pub fn finish(mut self) -> Option<Vec<u8>> {
        if !self.line.is_empty() && !self.overlong {
            let line = std::mem::take(&mut self.line);
            self.on_line(&line);
        }
        if let Some((model, usage)) = self.anthropic.filter(|_| self.anthropic_final) {
            let mut body = Map::new();
            if let Some(m) = model {
                body.insert("model".into(), m);
            }
            body.insert("type".into(), Value::from("message"));
            body.insert("usage".into(), Value::Object(usage));
            return serde_json::to_vec(&Value::Object(body)).ok();
        }
        self.last.filter(|_| self.last_final).and_then(|v| serde_json::to_vec(&v).ok())
    }
}

/// Whether a usage-bearing event is the stream's last word on usage.
fn is_final(event: &Map<String, Value>) -> bool {
    if let Some(kind) = event.get("type").and_then(Value::as_str).filter(|t| t.starts_with("response.")) {
        return matches!(kind, "response.completed" | "response.incomplete" | "response.failed");
    }
    if event.contains_key("usageMetadata") {
        // Gemini reports the usage so far in every chunk; the last has a finish reason.
        let finished = |c: &Value| c.get("finishReason").is_some_and(|r| !r.is_null());
        return event.get("candidates").and_then(Value::as_array).is_some_and(|cs| cs.iter().any(finished));
    }
    // OpenAI Chat sends `usage` once, in the last chunk.
    true
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use farebox_core::{CostOptions, PriceTable};

    fn scan(stream: &str, chunk: usize) -> Option<Vec<u8>> {
        let mut s = UsageScanner::new();
        for piece in stream.as_bytes().chunks(chunk) {
            s.feed(piece);
        }
        s.finish()
    }

    fn cost(body: &[u8]) -> String {
        PriceTable::builtin().cost_of_usage_json(None, body, None, &CostOptions::default()).unwrap().total.to_string()
    }

    #[test]
    fn openai_final_usage_chunk_in_any_chunking() {
        let stream = "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n\
                      data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":10000,\"completion_tokens\":500,\"prompt_tokens_details\":{\"cached_tokens\":4000}}}\r\n\r\n\
                      data: [DONE]\n\n";
        for chunk in [1, 7, 64, 4096] {
            assert_eq!(cost(&scan(stream, chunk).unwrap()), "0.025");
        }
        assert!(scan("data: {\"choices\":[],\"usage\":null}\n\ndata: [DONE]\n\n", 5).is_none());
    }

    #[test]
    fn anthropic_start_and_delta_are_merged() {
        let stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":1500,\"output_tokens\":1}}}\n\n\
                      event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"usage\"}}\n\n\
                      event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":1000}}\n\n";
        assert_eq!(cost(&scan(stream, 3).unwrap()), "0.0195");
    }

    #[test]
    fn responses_completed_event_and_gemini_last_chunk() {
        let responses = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"gpt-4o\",\"usage\":null}}\n\n\
                         event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"model\":\"gpt-4o\",\"usage\":{\"input_tokens\":3000,\"input_tokens_details\":{\"cached_tokens\":1000},\"output_tokens\":100}}}\n\n";
        for chunk in [1, 5, 4096] {
            assert_eq!(cost(&scan(responses, chunk).unwrap()), "0.00725");
        }
        // Every Gemini chunk reports the usage so far (CRLF line ends); the last one is final.
        let gemini = "data: {\"usageMetadata\":{\"promptTokenCount\":1000,\"candidatesTokenCount\":1},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n\
                      data: {\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1000,\"candidatesTokenCount\":200,\"thoughtsTokenCount\":300},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n";
        for chunk in [1, 3, 4096] {
            assert_eq!(cost(&scan(gemini, chunk).unwrap()), "0.00155");
        }
    }

    #[test]
    fn a_stream_cut_before_its_final_usage_reports_none() {
        let anthropic = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":1500,\"output_tokens\":1}}}\n\n\
                         event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a long answer\"}}\n\n";
        assert!(scan(anthropic, 7).is_none());
        let gemini = "data: {\"candidates\":[{\"content\":{}}],\"usageMetadata\":{\"promptTokenCount\":1000,\"candidatesTokenCount\":1}}\n\n";
        assert!(scan(gemini, 7).is_none());
        let responses = "data: {\"type\":\"response.in_progress\",\"response\":{\"model\":\"gpt-4o\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n";
        assert!(scan(responses, 7).is_none());
        let cut_chat = "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n";
        assert!(scan(cut_chat, 7).is_none());
    }

    #[test]
    fn overlong_lines_are_skipped_not_kept() {
        let long = format!("data: {}\n", "x".repeat(MAX_LINE + 10));
        let mut s = UsageScanner::new();
        s.feed(long.as_bytes());
        assert!(s.line.capacity() <= MAX_LINE * 2);
        s.feed(b"data: {\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n");
        assert!(s.finish().is_some());
    }
}
