//! One structured log line per call, with OpenTelemetry GenAI attribute
//! names, and the actual cost of a finished call. Never the prompt, never a
//! key: ids appear only as their keyed hashes.

use farebox_core::budget::PlannedCall;
use farebox_core::estimate::{Estimate, RequestFormat};
use farebox_core::{Cost, CostOptions, PriceTable};
use serde_json::json;

use crate::route::Api;

/// What a finished call cost, from the usage its response reported.
#[derive(Clone, Debug)]
pub struct Actual {
    pub cost: Cost,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The actual cost of a finished call from the usage its response reports
/// (`body`: the usage-bearing JSON a response scanner kept). `model` prices
/// it when the response names none or one the table does not know.
pub fn actual_cost(prices: &PriceTable, model: &str, body: &[u8]) -> Option<Actual> {
    let parsed = farebox_core::parse_usage(body, None).ok()?;
    let cost = prices
        .cost_of_usage_json(None, body, None, &CostOptions::default())
        .or_else(|_| prices.cost_of_usage_json(Some(model), body, None, &CostOptions::default()))
        .ok()?;
    let input = parsed.usage.prompt_tokens();
    let total: u64 = parsed.usage.kinds().map(|(_, n)| n).sum();
    Some(Actual { cost, input_tokens: input, output_tokens: total.saturating_sub(input) })
}

/// The worker's decision on a call, as logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    Deny,
}

/// The fields of one log line.
#[derive(Clone, Copy, Debug)]
pub struct CallLog<'a> {
    pub api: Api,
    pub call: &'a PlannedCall,
    pub estimate: Option<&'a Estimate>,
    pub outcome: Outcome,
    /// The policy's reason (`ok`, `per_call_limit`, ...) or what happened (`usage_not_reported`).
    pub reason: &'a str,
    pub status: u16,
    pub stream: bool,
    pub actual: Option<&'a Actual>,
    /// What the call's budgets were settled at, when they were.
    pub settled: Option<farebox_core::Usd>,
}

impl CallLog<'_> {
    pub fn line(&self) -> String {
        let system = match self.api {
            Api::OpenAi => "openai",
            Api::Anthropic => "anthropic",
            Api::Gemini => "gcp.gemini",
        };
        let operation = match self.estimate.map(|e| e.format) {
            Some(RequestFormat::OpenAiEmbeddings) => "embeddings",
            Some(RequestFormat::Gemini) => "generate_content",
            _ => "chat",
        };
        let mut v = json!({
            "event": "farebox.call",
            "gen_ai.system": system,
            "gen_ai.provider.name": system,
            "gen_ai.operation.name": operation,
            "gen_ai.request.model": self.call.model,
            "farebox.decision": match self.outcome { Outcome::Allow => "allow", Outcome::Deny => "deny" },
            "farebox.reason": self.reason,
            "farebox.stream": self.stream,
            "http.response.status_code": self.status,
        });
        let o = v.as_object_mut().expect("an object literal");
        for (name, id) in [("user", &self.call.user), ("session", &self.call.session), ("org", &self.call.org)] {
            if let Some(id) = id {
                o.insert(format!("farebox.{name}.hash"), json!(id));
            }
        }
        if let Some(e) = self.estimate {
            o.insert("farebox.estimate.input_tokens".into(), json!(e.input_tokens.tokens));
            o.insert("farebox.estimate.cost_usd".into(), json!(e.max_cost.total));
            if e.max_output_tokens > 0 {
                o.insert("gen_ai.request.max_tokens".into(), json!(e.max_output_tokens));
            }
        }
        if let Some(a) = self.actual {
            o.insert("gen_ai.response.model".into(), json!(a.cost.model));
            o.insert("gen_ai.usage.input_tokens".into(), json!(a.input_tokens));
            o.insert("gen_ai.usage.output_tokens".into(), json!(a.output_tokens));
            o.insert("farebox.cost.usd".into(), json!(a.cost.total));
        }
        if let Some(s) = self.settled {
            o.insert("farebox.settled.usd".into(), json!(s));
        }
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use farebox_core::Timestamp;
    use serde_json::Value;

    #[test]
    fn actual_cost_from_a_response_and_a_log_line_without_secrets() {
        let prices = PriceTable::builtin();
        let body = br#"{"model":"gpt-4o","usage":{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}}"#;
        let actual = actual_cost(&prices, "gpt-4o", body).unwrap();
        assert_eq!(actual.cost.total.to_string(), "0.025");
        assert_eq!((actual.input_tokens, actual.output_tokens), (10000, 500));
        let call = PlannedCall {
            user: Some("ab".repeat(16)),
            ..PlannedCall::new("gpt-4o", Timestamp::from_millis(1_795_000_000_000))
        };
        let log = CallLog {
            api: Api::OpenAi,
            call: &call,
            estimate: None,
            outcome: Outcome::Allow,
            reason: "ok",
            status: 200,
            stream: false,
            actual: Some(&actual),
            settled: Some(actual.cost.total),
        };
        let v: Value = serde_json::from_str(&log.line()).unwrap();
        assert_eq!(v["gen_ai.usage.output_tokens"], 500);
        assert_eq!(v["farebox.cost.usd"], "0.025");
        assert_eq!(v["farebox.settled.usd"], "0.025");
        assert_eq!(v["gen_ai.request.model"], "gpt-4o");
        assert_eq!(v["farebox.user.hash"], "ab".repeat(16));
    }
}
