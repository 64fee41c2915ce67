//! Asking the provider to count: the request to its free counting endpoint
//! for a priced call's body, and the count read from its answer. Pure (no
//! workers-rs): unit-tested natively; `entry` sends it.
//!
//! Claude and Gemini prompts are estimated from o200k_base with a calibrated
//! ratio, a range wide enough that a call near its limit can be denied at the
//! range's high end although the real count is well under. The providers
//! count for free with the tokenizer that bills: Anthropic
//! `POST /v1/messages/count_tokens` (`{"input_tokens": N}`) and Gemini
//! `POST /{version}/models/{model}:countTokens` (`{"totalTokens": N}`), with
//! the caller's own credentials, for the very body then forwarded.

use farebox_core::estimate::ProviderCount;
use serde_json::{Map, Value};

use crate::route::{Action, Api, Route};
use farebox_core::estimate::RequestFormat;

/// The Messages request members `count_tokens` takes: those that make up the
/// prompt. The others (`max_tokens`, `stream`, sampling, metadata, ...)
/// change no input token, and the endpoint refuses them.
const ANTHROPIC_COUNTED: &[&str] = &[
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "mcp_servers",
    "output_format",
    "output_config",
];

/// The largest count believed: more than any model's context window by far;
/// a larger answer is no count (and the estimate's high end decides).
const MOST_TOKENS: u64 = 1 << 40;

/// A counting request: where it goes on the route's provider and what it sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountRequest {
    pub api: Api,
    /// The path on the provider's base URL (the query, Gemini's `key`, is the call's own).
    pub path: String,
    pub body: Vec<u8>,
}

impl CountRequest {
    /// The counting request for a priced call `body` on `route`, when its
    /// provider has a counting endpoint for it: Anthropic Messages and
    /// Gemini's native `generateContent`. Not Gemini's OpenAI-compatible
    /// routes (their body is not what `countTokens` reads) nor OpenAI's,
    /// whose prompts farebox counts exactly itself.
    pub fn for_call(route: &Route, body: &[u8]) -> Option<CountRequest> {
        let Action::Priced { format, model, .. } = &route.action else { return None };
        let Ok(Value::Object(call)) = serde_json::from_slice::<Value>(body) else { return None };
        match (route.api, format) {
            (Api::Anthropic, RequestFormat::Anthropic) => {
                let counted: Map<String, Value> =
                    call.into_iter().filter(|(k, _)| ANTHROPIC_COUNTED.contains(&k.as_str())).collect();
                let body = serde_json::to_vec(&counted).ok()?;
                Some(CountRequest { api: Api::Anthropic, path: String::from("/v1/messages/count_tokens"), body })
            }
            (Api::Gemini, RequestFormat::Gemini) => {
                let model = model.as_deref()?;
                // `/v1beta/models/gemini-2.5-pro:generateContent` → `…:countTokens`.
                let (prefix, _) = route.path.rsplit_once(':')?;
                let mut request = call;
                // Vertex's `labels` are billing tags, not prompt; the endpoint would refuse them.
                request.remove("labels");
                request.insert(String::from("model"), Value::String(format!("models/{model}")));
                let wrapped =
                    Value::Object(Map::from_iter([(String::from("generateContentRequest"), Value::Object(request))]));
                let body = serde_json::to_vec(&wrapped).ok()?;
                Some(CountRequest { api: Api::Gemini, path: format!("{prefix}:countTokens"), body })
            }
            _ => None,
        }
    }

    /// The count in the provider's answer (a 200's body), or `None` when it
    /// holds none that can be believed.
    pub fn read_answer(&self, answer: &[u8]) -> Option<ProviderCount> {
        let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(answer) else { return None };
        let (member, endpoint) = match self.api {
            Api::Anthropic => ("input_tokens", "anthropic count_tokens"),
            Api::Gemini => ("totalTokens", "gemini countTokens"),
            Api::OpenAi => return None,
        };
        let tokens = answer.get(member)?.as_u64().filter(|&n| n <= MOST_TOKENS)?;
        Some(ProviderCount { tokens, endpoint: String::from(endpoint) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{route, Hints};
    use serde_json::json;

    fn post(path: &str) -> Route {
        route("POST", path, Hints::default(), &[]).unwrap()
    }

    #[test]
    fn anthropic_counts_the_prompt_members_only() {
        let call = json!({
            "model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true, "temperature": 0.2,
            "metadata": {"user_id": "u"}, "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}}],
        });
        let c = CountRequest::for_call(&post("/v1/messages"), call.to_string().as_bytes()).unwrap();
        assert_eq!((c.api, c.path.as_str()), (Api::Anthropic, "/v1/messages/count_tokens"));
        let sent: Value = serde_json::from_slice(&c.body).unwrap();
        assert_eq!(
            sent,
            json!({
                "model": "claude-sonnet-4-5", "system": "Be brief.",
                "messages": [{"role": "user", "content": "Hi"}],
                "tools": [{"name": "t", "input_schema": {"type": "object"}}],
            })
        );
        assert_eq!(
            c.read_answer(br#"{"input_tokens": 1234}"#),
            Some(ProviderCount { tokens: 1234, endpoint: "anthropic count_tokens".into() })
        );
    }

    #[test]
    fn gemini_wraps_the_call_as_a_generate_content_request() {
        let call = json!({
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {"maxOutputTokens": 10}, "labels": {"team": "a"},
        });
        let r = post("/v1beta/models/gemini-2.5-pro:streamGenerateContent");
        let c = CountRequest::for_call(&r, call.to_string().as_bytes()).unwrap();
        assert_eq!((c.api, c.path.as_str()), (Api::Gemini, "/v1beta/models/gemini-2.5-pro:countTokens"));
        let sent: Value = serde_json::from_slice(&c.body).unwrap();
        assert_eq!(
            sent,
            json!({"generateContentRequest": {
                "model": "models/gemini-2.5-pro",
                "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "generationConfig": {"maxOutputTokens": 10},
            }})
        );
        assert_eq!(c.read_answer(br#"{"totalTokens": 31, "promptTokensDetails": []}"#).map(|p| p.tokens), Some(31));
    }

    #[test]
    fn no_count_without_an_endpoint_or_a_believable_answer() {
        let chat = json!({"model": "gpt-4o", "messages": []}).to_string();
        assert_eq!(CountRequest::for_call(&post("/v1/chat/completions"), chat.as_bytes()), None);
        assert_eq!(CountRequest::for_call(&post("/v1beta/openai/chat/completions"), chat.as_bytes()), None);
        assert_eq!(CountRequest::for_call(&post("/v1/messages"), b"[1]"), None);
        let c = CountRequest::for_call(&post("/v1/messages"), br#"{"model":"m","messages":[]}"#).unwrap();
        for answer in [
            &br#"{"input_tokens": -1}"#[..],
            br#"{"input_tokens": 1.5}"#,
            br#"{"input_tokens": "12"}"#,
            br#"{"totalTokens": 12}"#,
            br#"{"input_tokens": 1e300}"#,
            br#"{"input_tokens": 99999999999999999}"#,
            b"not json",
            b"",
        ] {
            assert_eq!(c.read_answer(answer), None, "{}", String::from_utf8_lossy(answer));
        }
    }
}
