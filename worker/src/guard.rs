//! The decision before forwarding: estimate the request with the core,
//! apply the policy, and answer over-limit calls in the proxied API's own
//! error shape. Pure (no workers-rs): unit-tested natively.
//!
//! Every number here comes from `farebox-core`: the estimate, the price
//! table, the policy's decision and the ledger arithmetic. This module only
//! turns them into HTTP replies, headers and log fields.

use farebox_core::budget::{Budget, BudgetKey, IdHasher, Ledger, LedgerError, Scope};
use farebox_core::estimate::{estimate, Estimate, EstimateOptions, OutputLimit};
use farebox_core::tokens::{Encoding, Tokenizer, Tokenizers};
use farebox_core::{CostOptions, Error, MemoryLedger, PlannedCall, PriceTable, Timestamp, Usd};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Config;
use crate::route::{Api, Route};

/// The tokenizers the worker carries: o200k_base (GPT-4o and later, and the
/// basis of every calibrated estimate) and cl100k_base (GPT-4, GPT-3.5,
/// embeddings). Each is parsed on first use.
pub fn tokenizers() -> Tokenizers {
    Tokenizers::new()
}

/// Loads the vocabulary `encoding` needs, if it is one the worker carries.
pub fn load_vocab(tokenizers: &Tokenizers, encoding: Encoding) {
    if tokenizers.get(encoding).is_some() {
        return;
    }
    let data: &[u8] = match encoding.vocab_name() {
        "o200k_base" => include_bytes!("../../core/data/vocab/o200k_base.bin"),
        "cl100k_base" => include_bytes!("../../core/data/vocab/cl100k_base.bin"),
        _ => return,
    };
    // o200k_harmony shares o200k_base's tokenizer (core's `Tokenizers` keys them by vocabulary).
    let base = Encoding::from_name(encoding.vocab_name()).unwrap_or(encoding);
    if let Ok(t) = Tokenizer::from_vocab(base, data) {
        tokenizers.insert(t);
    }
}

/// An HTTP answer the worker gives itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    /// The log line of a policy denial (model, estimate, reason; never the body).
    pub log: Option<String>,
}

/// An error body in the shape `api`'s SDKs parse: OpenAI
/// `{"error":{"type","code","message","param"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Gemini
/// `{"error":{"code","message","status"}}`.
pub fn error_reply(api: Api, status: u16, kind: &str, code: &str, message: &str, param: Option<&str>) -> Reply {
    let body = match api {
        Api::OpenAi => json!({"error": {"type": kind, "code": code, "message": message, "param": param}}),
        Api::Anthropic => json!({"type": "error", "error": {"type": kind, "code": code, "message": message}}),
        Api::Gemini => {
            json!({"error": {"code": status, "message": message, "status": gemini_status(status), "reason": code}})
        }
    };
    Reply {
        status,
        body: body.to_string(),
        headers: vec![("content-type", String::from("application/json")), ("x-farebox-error", code.to_string())],
        log: None,
    }
}

fn gemini_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 => "INVALID_ARGUMENT",
        402 => "FAILED_PRECONDITION",
        _ => "INTERNAL",
    }
}

/// Checks that need only the headers: content type and declared length.
pub fn precheck(config: &Config, api: Api, content_type: Option<&str>, content_length: Option<u64>) -> Option<Reply> {
    let media = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" {
        return Some(error_reply(
            api,
            415,
            "invalid_request_error",
            "unsupported_media_type",
            "the request body must be JSON with `Content-Type: application/json`",
            None,
        ));
    }
    match content_length {
        Some(n) if n > config.max_body_bytes as u64 => Some(too_large(config, api, n)),
        _ => None,
    }
}

/// The 413 reply for a body of `n` bytes.
pub fn too_large(config: &Config, api: Api, n: u64) -> Reply {
    let kind = if api == Api::Anthropic { "request_too_large" } else { "invalid_request_error" };
    error_reply(
        api,
        413,
        kind,
        "request_too_large",
        &format!("the request body is {n} bytes; this gateway accepts at most {} bytes", config.max_body_bytes),
        None,
    )
}

/// The outcome of [`assess`].
#[derive(Debug)]
pub enum Verdict {
    /// Answer now; upstream is not called.
    Reject(Reply),
    /// Forward (after reserving under the user's budget if `call.user` is set
    /// and the policy has per-user limits).
    Allow(Box<Planned>),
}

/// An allowed call, with what to report about it.
#[derive(Debug)]
pub struct Planned {
    pub call: PlannedCall,
    pub estimate: Option<Estimate>,
    /// Estimate headers for the response (`X-Token-Input`, `X-Cost-Estimate-USD`, ...).
    pub headers: Vec<(&'static str, String)>,
    /// The budget Durable Objects to reserve in before forwarding (none
    /// without cumulative limits on the ids the call names).
    pub ledgers: Vec<LedgerPart>,
    pub limit: Option<Usd>,
}

/// Who a call counts against, as the request names it: the user header's
/// value or else the API key, the session header's, the org header's. Raw
/// here; [`Ids::hashed`] is what is kept, logged and stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub user: Option<String>,
    pub session: Option<String>,
    pub org: Option<String>,
}

impl Ids {
    /// The budget ids: each id as its HMAC under `HASH_SALT`, kept only for
    /// a scope the policy limits (an id no limit counts under goes nowhere).
    pub fn hashed(&self, config: &Config) -> Ids {
        let p = &config.policy;
        let keep = |id: &Option<String>, limited: bool| {
            id.as_deref().filter(|id| limited && !id.is_empty()).map(|id| IdHasher::new(&config.hash_salt).hash(id))
        };
        Ids {
            user: keep(&self.user, p.per_user_daily_usd.is_some() || p.per_user_monthly_usd.is_some()),
            session: keep(&self.session, p.per_session_usd.is_some()),
            org: keep(&self.org, p.per_org_daily_usd.is_some()),
        }
    }
}

/// A call's share in one budget Durable Object: the object's name and the
/// call with only that object's id. Each hashed id (user, session, org) has
/// its own object, so an id's spend is counted in one place, atomically,
/// whatever else the calls reaching it name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerPart {
    pub object: String,
    pub call: PlannedCall,
}

/// The objects a call reserves in, in the order the core checks their limits
/// (session, user, org). The host reserves in each in turn and, when one
/// refuses, settles the earlier ones at zero: a call is counted everywhere or
/// nowhere, and no id is ever over its limit (a concurrent call may be
/// refused while another's reservation is about to be released).
pub fn ledger_parts(call: &PlannedCall) -> Vec<LedgerPart> {
    let ids = [("session", &call.session), ("user", &call.user), ("org", &call.org)];
    ids.into_iter()
        .filter_map(|(scope, id)| {
            let id = id.clone()?;
            let only = |s: &str| (scope == s).then(|| id.clone());
            let call = PlannedCall { session: only("session"), user: only("user"), org: only("org"), ..call.clone() };
            Some(LedgerPart { object: format!("{scope}:{id}"), call })
        })
        .collect()
}

/// Estimates `body` and applies the policy's ledger-free rules (model lists,
/// input tokens, unpriced, per-call and per-model maxima; a per-user limit
/// smaller than the call itself). `ids` are as the request names them; only
/// their keyed hashes leave this function.
pub fn assess(
    config: &Config,
    tokenizers: &Tokenizers,
    route: &Route,
    body: &[u8],
    ids: &Ids,
    now: Timestamp,
) -> Verdict {
    let api = route.api;
    if body.len() > config.max_body_bytes {
        return Verdict::Reject(too_large(config, api, body.len() as u64));
    }
    let options = EstimateOptions {
        model: route.model.clone(),
        format: route.format,
        cost: CostOptions::default(),
        max_body_bytes: config.max_body_bytes,
    };
    // Vocabularies are parsed on first need: a request that is refused before
    // counting, or one for a cl100k_base model, never parses o200k_base.
    let mut result = estimate(&config.prices, tokenizers, body, &options);
    if let Err(Error::TokenizerNotLoaded(name)) = &result {
        if let Some(encoding) = Encoding::from_name(name) {
            load_vocab(tokenizers, encoding);
            result = estimate(&config.prices, tokenizers, body, &options);
        }
    }
    let (model, est, unpriced_why) = match result {
        Ok(e) => {
            if e.output_limit == OutputLimit::ClampedToModel {
                let msg = format!(
                    "the output limit asks for more tokens than `{}` can produce (at most {}): lower it",
                    e.model, e.max_output_tokens
                );
                return Verdict::Reject(error_reply(
                    api,
                    400,
                    "invalid_request_error",
                    "max_tokens_too_large",
                    &msg,
                    Some("max_tokens"),
                ));
            }
            let requested = route.model.clone().or_else(|| model_of(body)).unwrap_or_else(|| e.model.clone());
            let why = (!e.max_cost.complete).then(|| format!("`{}` has no price for some of this usage", e.model));
            (requested, Some(e), why)
        }
        Err(Error::InvalidRequest(why)) => {
            return Verdict::Reject(error_reply(api, 400, "invalid_request_error", "invalid_request", &why, None));
        }
        Err(other) => {
            let model = route.model.clone().or_else(|| model_of(body)).unwrap_or_default();
            (model, None, Some(other.to_string()))
        }
    };
    let ids = ids.hashed(config);
    let priced = est.as_ref().map_or_else(|| PlannedCall::new(&model, now), |e| e.planned_call(&model, now));
    let call = PlannedCall { user: ids.user, session: ids.session, org: ids.org, ..priced };
    let budget = Budget::new(config.policy.clone());
    let decision = match budget.check(&config.prices, &call, &MemoryLedger::new()) {
        Ok(d) => d,
        Err(e) => {
            return Verdict::Reject(error_reply(api, 500, "api_error", "ledger_error", &e.to_string(), None));
        }
    };
    let mut headers = estimate_headers(est.as_ref());
    if let Some(limit) = decision.limit {
        headers.push(("x-cost-limit-usd", limit.to_string()));
    }
    if !decision.allow {
        let mut message = decision.message.clone();
        if let Some(why) = &unpriced_why {
            message = format!("{message}: {why}");
        }
        if let Some(e) = est.as_ref().filter(|e| e.output_limit == OutputLimit::ModelMaximum) {
            message = format!(
                "{message} (the request sets no output limit, so the estimate assumes the model's maximum of {} output tokens: set one)",
                e.max_output_tokens
            );
        }
        let mut reply = deny_reply(api, decision.reason.name(), &message, headers);
        let reason = decision.reason.name();
        reply.log = Some(log_line(api, &call, est.as_ref(), "deny", reason, 402, false, None));
        return Verdict::Reject(reply);
    }
    let ledgers = ledger_parts(&call);
    Verdict::Allow(Box::new(Planned { call, estimate: est, headers, ledgers, limit: decision.limit }))
}

/// The 402 for a call the policy refuses: the API's error shape, the
/// reason as its `code`, the estimate and limit in headers.
pub fn deny_reply(api: Api, reason: &str, message: &str, headers: Vec<(&'static str, String)>) -> Reply {
    let mut reply = error_reply(api, 402, "budget_exceeded", reason, message, None);
    reply.headers.push(("x-farebox-decision", String::from("deny")));
    reply.headers.push(("x-farebox-reason", reason.to_string()));
    reply.headers.extend(headers);
    reply
}

fn estimate_headers(est: Option<&Estimate>) -> Vec<(&'static str, String)> {
    let Some(e) = est else { return Vec::new() };
    vec![
        ("x-farebox-model", e.model.clone()),
        ("x-token-input", e.input_tokens.tokens.to_string()),
        ("x-token-input-exact", e.input_tokens.exact.to_string()),
        ("x-token-output-max", e.max_output_tokens.to_string()),
        ("x-cost-estimate-usd", e.max_cost.total.to_string()),
        ("x-cost-estimate-min-usd", e.min_cost.total.to_string()),
    ]
}

#[derive(Deserialize)]
struct ModelOnly {
    model: Option<String>,
}

fn model_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ModelOnly>(body).ok().and_then(|m| m.model)
}

/// A request to the budget Durable Object. Externally tagged: an internally
/// tagged enum would buffer its fields, and amounts are read from their JSON text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerOp {
    /// Check and add the estimate atomically ([`Budget::reserve`]).
    Reserve { call: PlannedCall },
    /// Replace the reservation by the actual cost ([`Budget::settle`]).
    Settle { call: PlannedCall, actual: Usd },
    /// What is spent under each key of the call.
    Spent { call: PlannedCall },
}

/// The Durable Object's answer to a reserve: the fields of core's `Decision`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LedgerDecision {
    pub allow: bool,
    pub reason: String,
    pub limit: Option<Usd>,
    pub remaining: Option<Usd>,
    pub message: String,
}

/// Runs `op` on `ledger`: the Durable Object's whole logic, synchronous so
/// that it is atomic in the object's single thread. Returns the JSON answer.
pub fn apply_ledger_op<L: Ledger>(config: &Config, op: &LedgerOp, ledger: &mut L) -> Result<Value, LedgerError> {
    let budget = Budget::new(config.policy.clone());
    match op {
        LedgerOp::Reserve { call } => {
            let d = budget.reserve(&config.prices, call, ledger)?;
            Ok(json!(LedgerDecision {
                allow: d.allow,
                reason: d.reason.name().to_string(),
                limit: d.limit,
                remaining: d.remaining,
                message: d.message,
            }))
        }
        LedgerOp::Settle { call, actual } => {
            let alerts = budget.settle(&config.prices, call, *actual, ledger)?;
            Ok(json!({"settled": true, "alerts": alerts.len()}))
        }
        LedgerOp::Spent { call } => {
            let mut out = serde_json::Map::new();
            for key in budget.keys(call) {
                out.insert(key.to_string(), json!(ledger.spent(&key)?));
            }
            Ok(Value::Object(out))
        }
    }
}

/// The actual cost of a finished call from the usage its response reports
/// (`body`: a whole JSON response, or the usage-bearing event an SSE stream
/// ended with). `model` prices it when the response names none or one the
/// table does not know.
pub fn actual_cost(prices: &PriceTable, model: &str, body: &[u8]) -> Option<(farebox_core::Cost, u64, u64)> {
    let parsed = farebox_core::parse_usage(body, None).ok()?;
    let cost = prices
        .cost_of_usage_json(None, body, None, &CostOptions::default())
        .or_else(|_| prices.cost_of_usage_json(Some(model), body, None, &CostOptions::default()))
        .ok()?;
    let input = parsed.usage.prompt_tokens();
    let total: u64 = parsed.usage.kinds().map(|(_, n)| n).sum();
    Some((cost, input, total.saturating_sub(input)))
}

/// One structured log line per call, with OpenTelemetry GenAI attribute
/// names. Never the prompt, never a key: the user appears only as its hash.
#[allow(clippy::too_many_arguments)]
pub fn log_line(
    api: Api,
    call: &PlannedCall,
    est: Option<&Estimate>,
    decision: &str,
    reason: &str,
    status: u16,
    stream: bool,
    actual: Option<&(farebox_core::Cost, u64, u64)>,
) -> String {
    let system = match api {
        Api::OpenAi => "openai",
        Api::Anthropic => "anthropic",
        Api::Gemini => "gcp.gemini",
    };
    let operation = match est.map(|e| e.format) {
        Some(farebox_core::estimate::RequestFormat::OpenAiEmbeddings) => "embeddings",
        Some(farebox_core::estimate::RequestFormat::Gemini) => "generate_content",
        _ => "chat",
    };
    let mut v = json!({
        "event": "farebox.call",
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": call.model,
        "farebox.decision": decision,
        "farebox.reason": reason,
        "farebox.stream": stream,
        "http.response.status_code": status,
    });
    let o = v.as_object_mut().expect("an object literal");
    for (name, id) in [("user", &call.user), ("session", &call.session), ("org", &call.org)] {
        if let Some(id) = id {
            o.insert(format!("farebox.{name}.hash"), json!(id));
        }
    }
    if let Some(e) = est {
        o.insert("farebox.estimate.input_tokens".into(), json!(e.input_tokens.tokens));
        o.insert("farebox.estimate.cost_usd".into(), json!(e.max_cost.total));
        if e.max_output_tokens > 0 {
            o.insert("gen_ai.request.max_tokens".into(), json!(e.max_output_tokens));
        }
    }
    if let Some((cost, input, output)) = actual {
        o.insert("gen_ai.response.model".into(), json!(cost.model));
        o.insert("gen_ai.usage.input_tokens".into(), json!(input));
        o.insert("gen_ai.usage.output_tokens".into(), json!(output));
        o.insert("farebox.cost.usd".into(), json!(cost.total));
    }
    v.to_string()
}

/// The stored keys of periods before the current ones (`current`: a
/// reservation's keys, made now, all of one object's id). Bucket texts
/// compare in date order; a session's key has no period and never expires.
pub fn expired_keys(stored: &[String], current: &[BudgetKey]) -> Vec<String> {
    let bucket = |scopes: &[Scope]| current.iter().find(|k| scopes.contains(&k.scope)).map(|k| k.bucket.clone());
    let (day, month) = (bucket(&[Scope::UserDay, Scope::OrgDay]), bucket(&[Scope::UserMonth]));
    stored
        .iter()
        .filter(|name| {
            let older = |marker: &str, now: &Option<String>| {
                name.rsplit_once(marker).zip(now.as_ref()).is_some_and(|((_, b), now)| b < now.as_str())
            };
            older(":day:", &day) || older(":month:", &month)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::route;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned()).unwrap()
    }

    const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    fn chat(body: &str, cfg: &Config) -> Verdict {
        let ids = Ids { user: Some("sk-test".into()), ..Ids::default() };
        assess(cfg, &tokenizers(), &route("POST", "/v1/chat/completions", false), body.as_bytes(), &ids, NOW)
    }

    fn rejected(v: Verdict) -> Reply {
        match v {
            Verdict::Reject(r) => r,
            Verdict::Allow(p) => panic!("allowed: {p:?}"),
        }
    }

    #[test]
    fn error_shapes_are_each_apis_own() {
        let o: Value = serde_json::from_str(&error_reply(Api::OpenAi, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(o, json!({"error": {"type": "t", "code": "c", "message": "m", "param": null}}));
        let a: Value = serde_json::from_str(&error_reply(Api::Anthropic, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(a["type"], "error");
        assert_eq!((a["error"]["type"].as_str(), a["error"]["message"].as_str()), (Some("t"), Some("m")));
        let g: Value = serde_json::from_str(&error_reply(Api::Gemini, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(
            (g["error"]["code"].as_u64(), g["error"]["status"].as_str()),
            (Some(402), Some("FAILED_PRECONDITION"))
        );
    }

    #[test]
    fn over_the_per_call_limit_is_a_402_with_estimate_headers() {
        let cfg = config(&[("PER_CALL_MAX_USD", "0.001")]);
        let r =
            rejected(chat(r#"{"model":"gpt-4o","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]}"#, &cfg));
        assert_eq!(r.status, 402);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "per_call_limit");
        let log: Value = serde_json::from_str(r.log.as_deref().unwrap()).unwrap();
        assert_eq!(
            (log["gen_ai.request.model"].as_str(), log["farebox.reason"].as_str()),
            (Some("gpt-4o"), Some("per_call_limit"))
        );
        assert!(!r.log.as_deref().unwrap().contains("sk-test") && !r.log.as_deref().unwrap().contains("hi"));
        let h: HashMap<_, _> = r.headers.iter().cloned().collect();
        assert_eq!(h["x-cost-limit-usd"], "0.001");
        assert_eq!(h["x-token-output-max"], "1000");
        assert!(h.contains_key("x-cost-estimate-usd") && h.contains_key("x-token-input"));
    }

    #[test]
    fn under_the_limit_is_allowed_and_reports_the_estimate() {
        let cfg = config(&[("PER_CALL_MAX_USD", "1")]);
        let Verdict::Allow(p) =
            chat(r#"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#, &cfg)
        else {
            panic!("denied")
        };
        assert!(p.ledgers.is_empty());
        assert_eq!(p.call.model, "gpt-4o");
        assert!(p.headers.iter().any(|(k, v)| *k == "x-cost-estimate-usd" && !v.is_empty()));
    }

    #[test]
    fn bad_input_is_a_clear_400() {
        let cfg = config(&[]);
        for body in [
            "{not json",
            "[1,2]",
            r#"{"model":"gpt-4o","max_tokens":-5,"messages":[]}"#,
            r#"{"model":"gpt-4o","max_tokens":"many","messages":[]}"#,
            &format!(r#"{{"model":"gpt-4o","messages":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000)),
        ] {
            let r = rejected(chat(body, &cfg));
            assert_eq!(r.status, 400, "{body:.60}: {}", r.body);
        }
        let r = rejected(assess(
            &cfg,
            &tokenizers(),
            &route("POST", "/v1/chat/completions", false),
            b"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}",
            &Ids::default(),
            NOW,
        ));
        assert_eq!(r.status, 400);
        let r = rejected(chat(
            r#"{"model":"gpt-4o","max_tokens":1000000000000,"messages":[{"role":"user","content":"hi"}]}"#,
            &cfg,
        ));
        assert_eq!((r.status, r.headers[1].1.as_str()), (400, "max_tokens_too_large"));
        assert_eq!(precheck(&cfg, Api::OpenAi, Some("text/plain"), None).unwrap().status, 415);
        assert_eq!(precheck(&cfg, Api::OpenAi, None, None).unwrap().status, 415);
        assert!(precheck(&cfg, Api::OpenAi, Some("application/json; charset=utf-8"), Some(10)).is_none());
        assert_eq!(precheck(&cfg, Api::OpenAi, Some("application/json"), Some(50 << 20)).unwrap().status, 413);
    }

    #[test]
    fn unknown_models_are_denied_unless_the_policy_allows_them() {
        let body = r#"{"model":"gpt-9-ultra","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#;
        let r = rejected(chat(body, &config(&[])));
        assert_eq!(r.status, 402);
        assert!(r.body.contains("unpriced_model") && r.body.contains("gpt-9-ultra"), "{}", r.body);
        assert!(matches!(chat(body, &config(&[("POLICY_JSON", r#"{"unpriced_model":"allow"}"#)])), Verdict::Allow(_)));
    }

    #[test]
    fn an_absent_max_tokens_is_priced_at_the_model_maximum_and_says_so() {
        let cfg = config(&[("PER_CALL_MAX_USD", "0.01")]);
        let r = rejected(chat(r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#, &cfg));
        assert_eq!(r.status, 402);
        assert!(r.body.contains("no output limit"), "{}", r.body);
    }

    #[test]
    fn daily_budgets_hash_the_id_and_reserve_atomically_in_the_ledger_logic() {
        let cfg = config(&[("POLICY_JSON", r#"{"per_user_daily_usd":"0.01"}"#), ("HASH_SALT", "0123456789abcdef")]);
        let body = r#"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#;
        let Verdict::Allow(p) = chat(body, &cfg) else { panic!("denied") };
        assert_eq!(p.ledgers.len(), 1);
        let user = p.call.user.clone().unwrap();
        assert_eq!(p.ledgers[0], LedgerPart { object: format!("user:{user}"), call: p.call.clone() });
        assert_eq!(user.len(), 32);
        assert!(!user.contains("sk-test"));
        let mut ledger = MemoryLedger::new();
        let wire =
            serde_json::to_string(&LedgerOp::Settle { call: p.call.clone(), actual: Usd::parse("0.5").unwrap() })
                .unwrap();
        assert!(matches!(serde_json::from_str::<LedgerOp>(&wire).unwrap(), LedgerOp::Settle { .. }));
        let per_call = p.call.max_cost.unwrap();
        let fits = (Usd::parse("0.01").unwrap().atto() / per_call.atto()) as usize;
        let allowed = (0..fits + 5)
            .filter(|_| {
                apply_ledger_op(&cfg, &LedgerOp::Reserve { call: p.call.clone() }, &mut ledger).unwrap()["allow"]
                    == json!(true)
            })
            .count();
        assert_eq!(allowed, fits);
        let spent = apply_ledger_op(&cfg, &LedgerOp::Spent { call: p.call.clone() }, &mut ledger).unwrap();
        assert!(spent.as_object().unwrap().keys().all(|k| k.contains(&user)));
        let op = LedgerOp::Settle { call: p.call.clone(), actual: Usd::ZERO };
        apply_ledger_op(&cfg, &op, &mut ledger).unwrap();
        let again = apply_ledger_op(&cfg, &LedgerOp::Reserve { call: p.call.clone() }, &mut ledger).unwrap();
        assert_eq!(again["allow"], json!(true));
    }

    #[test]
    fn session_and_org_ids_each_get_their_own_object() {
        let policy = r#"{"per_session_usd":"0.01","per_org_daily_usd":"5"}"#;
        let cfg = config(&[("POLICY_JSON", policy), ("HASH_SALT", "0123456789abcdef")]);
        let body = br#"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#;
        let ids = Ids { user: Some("sk-test".into()), session: Some("conv-1".into()), org: Some("acme".into()) };
        let Verdict::Allow(p) =
            assess(&cfg, &tokenizers(), &route("POST", "/v1/chat/completions", false), body, &ids, NOW)
        else {
            panic!("denied")
        };
        // No per-user limit: the API key is kept nowhere.
        assert_eq!(p.call.user, None);
        let (session, org) = (p.call.session.clone().unwrap(), p.call.org.clone().unwrap());
        assert!(session.len() == 32 && org.len() == 32 && session != org);
        let objects: Vec<&str> = p.ledgers.iter().map(|l| l.object.as_str()).collect();
        assert_eq!(objects, [format!("session:{session}"), format!("org:{org}")]);
        // The session's object counts the session alone and holds its limit.
        let part = &p.ledgers[0].call;
        assert_eq!((part.session.as_ref(), part.user.as_ref(), part.org.as_ref()), (Some(&session), None, None));
        let mut ledger = MemoryLedger::new();
        let fits = (Usd::parse("0.01").unwrap().atto() / p.call.max_cost.unwrap().atto()) as usize;
        let answers: Vec<Value> = (0..fits + 3)
            .map(|_| apply_ledger_op(&cfg, &LedgerOp::Reserve { call: part.clone() }, &mut ledger).unwrap())
            .collect();
        assert_eq!(answers.iter().filter(|a| a["allow"] == json!(true)).count(), fits);
        assert_eq!(answers[fits]["reason"], "session_limit");
        let spent = apply_ledger_op(&cfg, &LedgerOp::Spent { call: part.clone() }, &mut ledger).unwrap();
        assert_eq!(spent.as_object().unwrap().keys().collect::<Vec<_>>(), [&format!("session:{session}")]);
        let org_part = &p.ledgers[1].call;
        let spent =
            apply_ledger_op(&cfg, &LedgerOp::Spent { call: org_part.clone() }, &mut MemoryLedger::new()).unwrap();
        assert!(spent.as_object().unwrap().keys().all(|k| k.starts_with(&format!("org:{org}:day:"))));
        // A log line names the hashes, never the raw ids.
        let line = log_line(Api::OpenAi, &p.call, None, "allow", "ok", 200, false, None);
        assert!(line.contains(&session) && line.contains(&org) && !line.contains("conv-1") && !line.contains("acme"));
    }

    #[test]
    fn only_earlier_periods_expire() {
        let at = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let current = [BudgetKey::new(Scope::UserDay, "u", at), BudgetKey::new(Scope::UserMonth, "u", at)];
        let stored: Vec<String> = [
            "user:u:day:2026-11-21",
            "user:u:day:2026-11-22",
            "user:u:day:2026-11-23",
            "user:u:month:2026-10",
            "user:u:month:2026-11",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(expired_keys(&stored, &current), vec!["user:u:day:2026-11-21", "user:u:month:2026-10"]);
        let org = [BudgetKey::new(Scope::OrgDay, "o", at)];
        let stored = ["org:o:day:2026-11-21", "org:o:day:2026-11-22"].map(String::from).to_vec();
        assert_eq!(expired_keys(&stored, &org), vec!["org:o:day:2026-11-21"]);
        let session = [BudgetKey::new(Scope::Session, "s", at)];
        assert!(expired_keys(&["session:s".to_string()], &session).is_empty());
    }

    #[test]
    fn actual_cost_from_a_response_and_a_log_line_without_secrets() {
        let cfg = config(&[]);
        let body = br#"{"model":"gpt-4o","usage":{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}}"#;
        let actual = actual_cost(&cfg.prices, "gpt-4o", body).unwrap();
        assert_eq!(actual.0.total.to_string(), "0.025");
        assert_eq!((actual.1, actual.2), (10000, 500));
        let call = PlannedCall {
            model: "gpt-4o".into(),
            max_cost: None,
            input_tokens: 1,
            user: Some("ab".repeat(16)),
            session: None,
            org: None,
            at: NOW,
        };
        let line = log_line(Api::OpenAi, &call, None, "allow", "ok", 200, false, Some(&actual));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["gen_ai.usage.output_tokens"], 500);
        assert_eq!(v["farebox.cost.usd"], "0.025");
        assert_eq!(v["gen_ai.request.model"], "gpt-4o");
    }
}
