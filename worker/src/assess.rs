//! The decision before forwarding: estimate the request with the core and
//! apply the policy's ledger-free rules. Pure (no workers-rs): unit-tested
//! natively.
//!
//! Every number here comes from `farebox-core`: the estimate, the price
//! table, the policy's decision. This module only turns them into a verdict
//! with the headers to report.

use farebox_core::budget::Budget;
use farebox_core::estimate::{
    estimate, estimate_bounds, Estimate, EstimateOptions, OutputLimit, ProviderCount, RequestRules,
};
use farebox_core::tokens::{Encoding, Tokenizers, Vocabulary};
use farebox_core::{CostOptions, Error, MemoryLedger, PlannedCall, Timestamp, Usd};
use serde::Deserialize;

use crate::config::{Config, CountTokens};
use crate::count::CountRequest;
use crate::identity::BudgetIds;
use crate::ledger::{ledger_parts, LedgerPart};
use crate::reply::{deny_reply, error_reply, refuse_reply, too_large, Reply};
use crate::route::Route;
use crate::telemetry::{CallLog, Outcome};

/// The tokenizers the worker carries: o200k_base (GPT-4o and later, and the
/// basis of every calibrated estimate), cl100k_base (GPT-4, GPT-3.5,
/// embeddings), llama3 (Llama 3.x on any host) and tekken (Mistral NeMo),
/// compiled in; with the `gemma3` feature also gemma3 (the Gemini models
/// Google's SDK counts with it, exactly), with `llama4` llama4, with
/// `mistral-spm` Mistral's SentencePiece v1, v3 and v7 (0.37 MB gzipped:
/// the default upload would pass 3 MB), with `deepseek-v3` and
/// `qwen3` those (0.44 and 0.53 MB gzipped). Without them those models
/// are estimated from o200k_base as models without a public tokenizer
/// (core: `Tokenizers::lacks`): gemma3 is 1.4 MB gzipped and llama4 0.7 MB,
/// and the upload would pass the free plan's 3 MB. Each is parsed the first time an
/// estimate counts with it: a request refused before counting, or one for a
/// cl100k_base model, never parses o200k_base. A model whose vocabulary is
/// none of these (p50k_base, r50k_base) is unpriced.
pub fn tokenizers() -> Tokenizers {
    Tokenizers::with_source(|vocabulary| match vocabulary {
        Vocabulary::O200kBase => Some(include_bytes!("../../core/data/vocab/o200k_base.bin")),
        Vocabulary::Cl100kBase => Some(include_bytes!("../../core/data/vocab/cl100k_base.bin")),
        #[cfg(feature = "gemma3")]
        Vocabulary::Gemma3 => Some(include_bytes!("../../core/data/vocab/gemma3.bin")),
        #[cfg(not(feature = "gemma3"))]
        Vocabulary::Gemma3 => None,
        Vocabulary::Llama3 => Some(include_bytes!("../../core/data/vocab/llama3.bin")),
        Vocabulary::Tekken => Some(include_bytes!("../../core/data/vocab/tekken.bin")),
        #[cfg(feature = "llama4")]
        Vocabulary::Llama4 => Some(include_bytes!("../../core/data/vocab/llama4.bin")),
        #[cfg(not(feature = "llama4"))]
        Vocabulary::Llama4 => None,
        #[cfg(feature = "mistral-spm")]
        Vocabulary::MistralV1 => Some(include_bytes!("../../core/data/vocab/mistral_v1.bin")),
        #[cfg(feature = "mistral-spm")]
        Vocabulary::MistralV3 => Some(include_bytes!("../../core/data/vocab/mistral_v3.bin")),
        #[cfg(feature = "mistral-spm")]
        Vocabulary::MistralV7 => Some(include_bytes!("../../core/data/vocab/mistral_v7.bin")),
        #[cfg(not(feature = "mistral-spm"))]
        Vocabulary::MistralV1 | Vocabulary::MistralV3 | Vocabulary::MistralV7 => None,
        #[cfg(feature = "deepseek-v3")]
        Vocabulary::DeepSeekV3 => Some(include_bytes!("../../core/data/vocab/deepseek_v3.bin")),
        #[cfg(not(feature = "deepseek-v3"))]
        Vocabulary::DeepSeekV3 => None,
        #[cfg(feature = "qwen3")]
        Vocabulary::Qwen3 => Some(include_bytes!("../../core/data/vocab/qwen3.bin")),
        #[cfg(not(feature = "qwen3"))]
        Vocabulary::Qwen3 => None,
        Vocabulary::P50kBase | Vocabulary::R50kBase => None,
    })
}

/// The most JSON values a request body may hold: each becomes a
/// `serde_json::Value` of 32 bytes plus its container's share, so 500,000
/// stay within ~40 MB of the isolate's 128 MB even with their strings, and
/// a chat with 10,000 messages of many parts is far below it.
const MAX_JSON_VALUES: usize = 500_000;

/// What the request says about itself beyond its body.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestContext {
    /// An `anthropic-beta` header asks for the 1M-token context window.
    pub anthropic_long_context: bool,
}

impl RequestContext {
    /// From the `anthropic-beta` header's value (comma-separated flags).
    pub fn from_anthropic_beta(value: Option<&str>) -> RequestContext {
        let long = value.is_some_and(|v| v.split(',').any(|f| f.trim().starts_with("context-1m")));
        RequestContext { anthropic_long_context: long }
    }
}

/// What an isolate runs when it starts, before its first request: a small
/// gpt-4o chat request through all of [`assess`] (route, read, price,
/// decide) with a throwaway configuration and the worker's own tokenizers.
/// V8 compiles a WebAssembly function on its first call; this makes those
/// calls here, on no caller's request. The request is decided from the
/// bound on its tokens, so no vocabulary is parsed (tested): the isolate's
/// first real request pays neither. Nothing is sent, logged or reserved.
pub fn warm_up(tokenizers: &Tokenizers) -> Option<Box<Planned>> {
    const REQUEST: &[u8] = br#"{"model":"gpt-4o","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#;
    let config = Config::from_lookup(|name| (name == "PER_CALL_MAX_USD").then(|| String::from("1"))).ok()?;
    let route = crate::route::route("POST", "/v1/chat/completions", crate::route::Hints::default(), &[]).ok()?;
    let ids = BudgetIds::default();
    assess(&config, tokenizers, &route, REQUEST, &ids, RequestContext::default(), Timestamp::from_millis(0))
        .decided()
        .ok()
}

/// The outcome of [`assess`].
#[derive(Debug)]
pub enum Verdict {
    /// Answer now; upstream is not called.
    Reject(Reply),
    /// Forward, after reserving in each of `ledgers`.
    Allow(Box<Planned>),
    /// Ask the provider to count first ([`CountFirst`]).
    Count(Box<CountFirst>),
}

impl Verdict {
    /// The decision as it stands: a call still to be counted by its
    /// provider is decided as if the count never came (`otherwise`).
    pub fn decided(self) -> Result<Box<Planned>, Reply> {
        match self {
            Verdict::Allow(planned) => Ok(planned),
            Verdict::Reject(reply) => Err(reply),
            Verdict::Count(ask) => ask.otherwise.decided(),
        }
    }
}

/// A call to decide on the provider's count of its prompt: send `request`,
/// then [`assess_counted`] with the count. When the count does not come (an
/// error, a timeout, an answer without one), `otherwise` decides: the
/// verdict on the estimate's high end, as without counting (fail closed).
#[derive(Debug)]
pub struct CountFirst {
    pub request: CountRequest,
    pub otherwise: Verdict,
}

/// What decided a call, reported as `x-farebox-decided-by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecidedBy {
    /// One end of the bounds on its tokens, before counting.
    Bound,
    /// farebox's count (exact, or the estimate's range for models without a public tokenizer).
    Count,
    /// The provider's own count of the prompt.
    Provider,
}

impl DecidedBy {
    fn name(self) -> &'static str {
        match self {
            DecidedBy::Bound => "bound",
            DecidedBy::Count => "count",
            DecidedBy::Provider => "provider-count",
        }
    }
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
    /// Allowed from the bound on its tokens, before counting: the exact
    /// estimate, for the headers and the log, is still to come
    /// ([`Planned::count`], while the upstream answers).
    pub uncounted: bool,
}

impl Planned {
    /// The exact estimate of a call allowed from its bound: replaces the
    /// bound's headers and the estimate the log line reports. What was
    /// decided and reserved (`call`) stays. An estimate that fails now (it
    /// did not before counting: a sum too large) leaves the bound's.
    pub fn count(
        &mut self,
        config: &Config,
        tokenizers: &Tokenizers,
        route: &Route,
        body: &[u8],
        context: RequestContext,
    ) {
        if !self.uncounted {
            return;
        }
        self.uncounted = false;
        if let Ok(exact) = estimate(&config.prices, tokenizers, body, &options(config, route, context, None)) {
            self.headers = headers(Some(&exact), DecidedBy::Bound, self.limit);
            self.estimate = Some(exact);
        }
    }
}

/// How the worker reads a request: the policy's rules, unknown fields
/// refused (a field an API adds tomorrow may cost money, so it is refused
/// until farebox prices it).
fn options(
    config: &Config,
    route: &Route,
    context: RequestContext,
    provider_count: Option<ProviderCount>,
) -> EstimateOptions {
    let rules = RequestRules {
        anthropic_long_context: context.anthropic_long_context,
        ..RequestRules::from_policy(&config.policy)
    };
    EstimateOptions {
        model: route.model().map(String::from),
        format: route.format(),
        cost: CostOptions::default(),
        max_body_bytes: config.max_body_bytes,
        max_json_values: MAX_JSON_VALUES,
        rules,
        provider_count,
    }
}

/// Estimates `body` and applies the policy's ledger-free rules (model lists,
/// input tokens, unpriced, per-call and per-model maxima; a cumulative
/// limit smaller than the call itself). `ids` are the call's budget ids,
/// already established and hashed ([`crate::identity::budget_ids`]).
///
/// Most calls are decided without counting their text ([`estimate_bounds`]:
/// byte-level BPE makes at most one token per byte and at least one per
/// longest token): the policy allows the estimate at the most tokens the
/// text can make, or denies it at the fewest, and the exact count could
/// only have decided the same. Only a call between the two is counted
/// first. An allowed call that reserves in a Durable Object is counted
/// first too: the amount reserved decides concurrent calls, so it is the
/// exact maximum, as without the bound.
///
/// A prompt farebox can only estimate (Claude, Gemini) may then go to the
/// provider's counter ([`Verdict::Count`], by `COUNT_TOKENS`): when the
/// estimate's high end is denied and its low end allowed, or always.
pub fn assess(
    config: &Config,
    tokenizers: &Tokenizers,
    route: &Route,
    body: &[u8],
    ids: &BudgetIds,
    context: RequestContext,
    now: Timestamp,
) -> Verdict {
    if body.len() > config.max_body_bytes {
        return Verdict::Reject(too_large(route.shape, config.max_body_bytes, body.len() as u64));
    }
    let options = options(config, route, context, None);
    // Only the bounds' decisions are taken; an error is the exact estimate's to report.
    if let Ok(Some(bounds)) = estimate_bounds(&config.prices, tokenizers, body, &options) {
        // A model without an encoding of its own is estimated, never counted exactly.
        let inexact = Encoding::for_model(&bounds.most.model).is_none();
        match verdict(config, route, body, ids, now, Ok(bounds.most), DecidedBy::Bound) {
            Verdict::Allow(planned) if planned.ledgers.is_empty() && !always_count(config, inexact) => {
                return Verdict::Allow(planned)
            }
            _ => {}
        }
        if let reject @ Verdict::Reject(_) = verdict(config, route, body, ids, now, Ok(bounds.fewest), DecidedBy::Bound)
        {
            return reject;
        }
    }
    // The vocabulary is parsed when the estimate first counts with it (see `tokenizers`).
    let exact = estimate(&config.prices, tokenizers, body, &options);
    let low = match &exact {
        Ok(e) if !e.input_tokens.exact => Some(e.input_tokens.low),
        _ => None,
    };
    let decided = verdict(config, route, body, ids, now, exact, DecidedBy::Count);
    let Some(low) = low else { return decided };
    // Asked when the range straddles the limit (denied at its high end,
    // allowed at its low end), and with `always` for an allowed call too; a
    // call denied even at its low end is denied without asking.
    let straddles = || {
        let at_low = ProviderCount { tokens: low, endpoint: String::from("the estimate's low end") };
        matches!(assess_counted(config, tokenizers, route, body, ids, context, now, at_low), Verdict::Allow(_))
    };
    let ask = match (config.count_tokens, &decided) {
        (CountTokens::Off, _) => false,
        (CountTokens::Always, Verdict::Allow(_)) => true,
        _ => matches!(decided, Verdict::Reject(_)) && straddles(),
    };
    match CountRequest::for_call(route, body).filter(|_| ask) {
        Some(request) => Verdict::Count(Box::new(CountFirst { request, otherwise: decided })),
        None => decided,
    }
}

/// Whether `COUNT_TOKENS=always` sends an inexact prompt to the provider's
/// counter even when its bound would allow it (its reservation then holds
/// the counted cost).
fn always_count(config: &Config, inexact: bool) -> bool {
    inexact && config.count_tokens == CountTokens::Always
}

/// The verdict on a call whose prompt the provider counted (`count`): the
/// count replaces farebox's estimate of the prompt.
#[allow(clippy::too_many_arguments)]
pub fn assess_counted(
    config: &Config,
    tokenizers: &Tokenizers,
    route: &Route,
    body: &[u8],
    ids: &BudgetIds,
    context: RequestContext,
    now: Timestamp,
    count: ProviderCount,
) -> Verdict {
    let options = options(config, route, context, Some(count));
    let counted = estimate(&config.prices, tokenizers, body, &options);
    verdict(config, route, body, ids, now, counted, DecidedBy::Provider)
}

/// The policy's ledger-free decision on an estimate (or on why there is
/// none); `by`: what the estimate's prompt tokens came from.
fn verdict(
    config: &Config,
    route: &Route,
    body: &[u8],
    ids: &BudgetIds,
    now: Timestamp,
    estimated: Result<Estimate, Error>,
    by: DecidedBy,
) -> Verdict {
    let shape = route.shape;
    let (model, est, unpriced_why) = match estimated {
        Ok(e) => {
            if e.output_limit == OutputLimit::ClampedToModel {
                let msg = format!(
                    "the output limit asks for more tokens than `{}` can produce (at most {}): lower it",
                    e.model, e.max_output_tokens
                );
                return Verdict::Reject(error_reply(
                    shape,
                    400,
                    "invalid_request_error",
                    "max_tokens_too_large",
                    &msg,
                    Some("max_tokens"),
                ));
            }
            let requested =
                route.model().map(String::from).or_else(|| model_of(body)).unwrap_or_else(|| e.model.clone());
            let why = (!e.max_cost.complete).then(|| format!("`{}` has no price for some of this usage", e.model));
            (requested, Some(e), why)
        }
        Err(Error::InvalidRequest(why)) => {
            return Verdict::Reject(error_reply(shape, 400, "invalid_request_error", "invalid_request", &why, None));
        }
        Err(e @ Error::Refused { .. }) => {
            // A valid request whose cost has no bound: refused, saying which setting would allow it.
            return Verdict::Reject(refuse_reply(shape, 400, e.code(), &e.to_string()));
        }
        Err(other) => {
            let model = route.model().map(String::from).or_else(|| model_of(body)).unwrap_or_default();
            (model, None, Some(other.to_string()))
        }
    };
    let priced = est.as_ref().map_or_else(|| PlannedCall::new(&model, now), |e| e.planned_call(&model, now));
    let call = PlannedCall { user: ids.user.clone(), session: ids.session.clone(), org: ids.org.clone(), ..priced };
    let budget = Budget::new(config.policy.clone());
    let decision = match budget.check(&config.prices, &call, &MemoryLedger::new()) {
        Ok(d) => d,
        Err(e) => {
            return Verdict::Reject(error_reply(shape, 500, "api_error", "ledger_error", &e.to_string(), None));
        }
    };
    let headers = headers(est.as_ref(), by, decision.limit);
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
        let reason = decision.reason.name();
        let mut reply = deny_reply(shape, reason, &message, headers);
        let log = CallLog {
            api: route.api,
            call: &call,
            estimate: est.as_ref(),
            outcome: Outcome::Deny,
            reason,
            status: 402,
            stream: false,
            actual: None,
            settled: None,
        };
        reply.log = Some(log.line());
        return Verdict::Reject(reply);
    }
    let ledgers = ledger_parts(&call);
    let uncounted = by == DecidedBy::Bound;
    Verdict::Allow(Box::new(Planned { call, estimate: est, headers, ledgers, limit: decision.limit, uncounted }))
}

/// The headers that report a decision: the estimate's, what decided
/// (`x-farebox-decided-by`: [`DecidedBy`]), and the limit.
fn headers(est: Option<&Estimate>, by: DecidedBy, limit: Option<Usd>) -> Vec<(&'static str, String)> {
    let mut headers = estimate_headers(est);
    headers.push(("x-farebox-decided-by", String::from(by.name())));
    if let Some(limit) = limit {
        headers.push(("x-cost-limit-usd", limit.to_string()));
    }
    headers
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{budget_ids, sign, IdHeaders, Missing};
    use crate::ledger::{apply_ledger_op, LedgerOp};
    use crate::route::{route, Hints};
    use serde_json::{json, Value};
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned()).unwrap()
    }

    const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    fn post(path: &str) -> Route {
        route("POST", path, Hints::default(), &[]).unwrap()
    }

    fn ids(cfg: &Config) -> BudgetIds {
        budget_ids(cfg, Some("sk-test"), IdHeaders::default(), Missing::Refuse).unwrap()
    }

    fn chat(body: &str, cfg: &Config) -> Verdict {
        let r = post("/v1/chat/completions");
        assess(cfg, &tokenizers(), &r, body.as_bytes(), &ids(cfg), RequestContext::default(), NOW)
    }

    fn rejected(v: Verdict) -> Reply {
        match v {
            Verdict::Reject(r) => r,
            Verdict::Allow(p) => panic!("allowed: {p:?}"),
            Verdict::Count(c) => panic!("count first: {c:?}"),
        }
    }

    #[test]
    fn over_the_per_call_limit_is_a_402_with_estimate_headers() {
        let cfg = config(&[
            ("PER_CALL_MAX_USD", "0.001"),
            ("POLICY_JSON", r#"{"per_user_daily_usd":"1"}"#),
            ("HASH_SALT", "0123456789abcdef"),
        ]);
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
    fn a_call_far_under_its_limit_is_allowed_from_the_bound_and_counted_after() {
        let cfg = config(&[("PER_CALL_MAX_USD", "1")]);
        let body = r#"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hello world"}]}"#;
        let r = post("/v1/chat/completions");
        let Verdict::Allow(mut p) = chat(body, &cfg) else { panic!("denied") };
        let header = |p: &Planned, name: &str| p.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        assert!(p.uncounted);
        assert_eq!(header(&p, "x-farebox-decided-by").as_deref(), Some("bound"));
        assert_eq!(header(&p, "x-token-input-exact").as_deref(), Some("false"));
        // At most one token per byte was reserved; the count gives the exact headers.
        let reserved = p.call.max_cost;
        let tokenizers = tokenizers();
        p.count(&cfg, &tokenizers, &r, body.as_bytes(), RequestContext::default());
        assert!(!p.uncounted);
        let exact =
            estimate(&cfg.prices, &tokenizers, body.as_bytes(), &options(&cfg, &r, RequestContext::default(), None));
        let exact = exact.unwrap();
        assert_eq!(header(&p, "x-token-input"), Some(exact.input_tokens.tokens.to_string()));
        assert_eq!(header(&p, "x-token-input-exact").as_deref(), Some("true"));
        assert_eq!(header(&p, "x-cost-limit-usd").as_deref(), Some("1"));
        assert_eq!(p.call.max_cost, reserved);
        assert!(exact.max_cost.total <= reserved.unwrap());
        // With a daily budget the call reserves in a Durable Object: counted first.
        let budgeted = config(&[
            ("PER_CALL_MAX_USD", "1"),
            ("POLICY_JSON", r#"{"per_user_daily_usd":"5"}"#),
            ("HASH_SALT", "0123456789abcdef"),
        ]);
        let Verdict::Allow(p) = chat(body, &budgeted) else { panic!("denied") };
        assert!(!p.uncounted && !p.ledgers.is_empty());
        assert_eq!(header(&p, "x-farebox-decided-by").as_deref(), Some("count"));
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
            &post("/v1/chat/completions"),
            b"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}",
            &BudgetIds::default(),
            RequestContext::default(),
            NOW,
        ));
        assert_eq!(r.status, 400);
        let r = rejected(chat(
            r#"{"model":"gpt-4o","max_tokens":1000000000000,"messages":[{"role":"user","content":"hi"}]}"#,
            &cfg,
        ));
        assert_eq!((r.status, r.headers[1].1.as_str()), (400, "max_tokens_too_large"));
    }

    /// The start-up warm-up runs the guard's whole path (an allowed call
    /// with its estimate headers) and is decided from the bound: given
    /// tokenizers whose source holds bytes that are no vocabulary (a count
    /// would fail on them), it is still allowed. (With no tokenizers at all,
    /// as it once ran, the estimate stopped at the missing vocabulary and
    /// left the rest of the path cold.)
    #[test]
    fn the_warm_up_is_allowed_from_the_bound_without_parsing_a_vocabulary() {
        let unparsable = Tokenizers::with_source(|_| Some(b"not a vocabulary"));
        let planned = warm_up(&unparsable).expect("the warm-up request is allowed");
        assert!(planned.uncounted);
        let decided_by = planned.headers.iter().find(|(name, _)| *name == "x-farebox-decided-by");
        assert_eq!(decided_by.map(|(_, v)| v.as_str()), Some("bound"), "{:?}", planned.headers);
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
    fn daily_budgets_reserve_atomically_in_the_ledger_logic() {
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
        let key = "operator-signing-key-0123";
        let cfg = config(&[("POLICY_JSON", policy), ("HASH_SALT", "0123456789abcdef"), ("ID_SIGNING_KEY", key)]);
        let body = br#"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#;
        let (s, o) = (
            format!("conv-1.{}", sign(key.as_bytes(), "session", "conv-1")),
            format!("acme.{}", sign(key.as_bytes(), "org", "acme")),
        );
        let ids = budget_ids(
            &cfg,
            Some("sk-test"),
            IdHeaders { user: None, session: Some(&s), org: Some(&o) },
            Missing::Refuse,
        )
        .unwrap();
        let Verdict::Allow(p) =
            assess(&cfg, &tokenizers(), &post("/v1/chat/completions"), body, &ids, RequestContext::default(), NOW)
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
        let log = CallLog {
            api: crate::route::Api::OpenAi,
            call: &p.call,
            estimate: None,
            outcome: Outcome::Allow,
            reason: "ok",
            status: 200,
            stream: false,
            actual: None,
            settled: None,
        };
        let line = log.line();
        assert!(line.contains(&session) && line.contains(&org) && !line.contains("conv-1") && !line.contains("acme"));
    }

    /// A Claude call whose estimated range straddles `limit`: the estimate's
    /// low end is under it, its high end over (checked, not assumed).
    fn straddling_claude_call() -> (String, &'static str) {
        let text = "hello world ".repeat(5000);
        let body =
            json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "messages": [{"role": "user", "content": text}]});
        (body.to_string(), "0.04")
    }

    fn messages(cfg: &Config, body: &str) -> Verdict {
        let r = post("/v1/messages");
        assess(cfg, &tokenizers(), &r, body.as_bytes(), &ids(cfg), RequestContext::default(), NOW)
    }

    fn decided_by(p: &Planned) -> Option<&str> {
        p.headers.iter().find(|(k, _)| *k == "x-farebox-decided-by").map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_range_straddling_the_limit_asks_the_provider_and_its_count_decides() {
        let (body, limit) = straddling_claude_call();
        let cfg = config(&[("PER_CALL_MAX_USD", limit)]);
        let r = post("/v1/messages");
        let e =
            estimate(&cfg.prices, &tokenizers(), body.as_bytes(), &options(&cfg, &r, RequestContext::default(), None))
                .unwrap();
        let limit = Usd::parse(limit).unwrap();
        assert!(!e.input_tokens.exact && e.max_cost.total > limit, "{e:?}");
        let Verdict::Count(ask) = messages(&cfg, &body) else { panic!("not asked") };
        assert_eq!(ask.request.path, "/v1/messages/count_tokens");
        // Without the count, the high end decides: denied, as without counting.
        assert_eq!(rejected(ask.otherwise).status, 402);
        let count = |tokens| ProviderCount { tokens, endpoint: String::from("anthropic count_tokens") };
        let counted = |tokens| {
            assess_counted(
                &cfg,
                &tokenizers(),
                &r,
                body.as_bytes(),
                &ids(&cfg),
                RequestContext::default(),
                NOW,
                count(tokens),
            )
        };
        let Verdict::Allow(p) = counted(e.input_tokens.low) else { panic!("denied at the low end") };
        assert_eq!(decided_by(&p), Some("provider-count"));
        assert!(!p.uncounted);
        let h: HashMap<_, _> = p.headers.iter().cloned().collect();
        assert_eq!(
            (h["x-token-input"].as_str(), h["x-token-input-exact"].as_str()),
            (&*e.input_tokens.low.to_string(), "true")
        );
        assert!(p.estimate.as_ref().unwrap().method.contains("anthropic count_tokens"));
        // A count over the limit is denied on it.
        let reply = rejected(counted(e.input_tokens.high));
        assert_eq!(reply.status, 402);
        assert!(reply.headers.iter().any(|(k, v)| *k == "x-farebox-decided-by" && v == "provider-count"));
    }

    #[test]
    fn the_provider_is_asked_only_where_its_count_can_change_the_decision() {
        let (body, limit) = straddling_claude_call();
        // Off: the high end decides.
        let off = config(&[("PER_CALL_MAX_USD", limit), ("COUNT_TOKENS", "off")]);
        assert_eq!(rejected(messages(&off, &body)).status, 402);
        // Denied even at the low end: no count can allow it.
        let tight = config(&[("PER_CALL_MAX_USD", "0.001")]);
        assert_eq!(rejected(messages(&tight, &body)).status, 402);
        // Allowed at the high end: decided without asking, unless `always`.
        let loose = config(&[("PER_CALL_MAX_USD", "10")]);
        let Verdict::Allow(p) = messages(&loose, &body) else { panic!("not allowed") };
        // (Counted by farebox: Sonnet 4.5's price tier depends on the prompt's size, so no bound decides.)
        assert_eq!(decided_by(&p), Some("count"));
        let always = config(&[("PER_CALL_MAX_USD", "10"), ("COUNT_TOKENS", "always")]);
        let Verdict::Count(ask) = messages(&always, &body) else { panic!("not asked") };
        assert!(matches!(ask.otherwise, Verdict::Allow(_)));
        // OpenAI prompts are counted exactly by farebox: never asked.
        let chat_body = json!({"model": "gpt-4o", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]});
        let always_tight = config(&[("PER_CALL_MAX_USD", "0.0000001"), ("COUNT_TOKENS", "always")]);
        assert_eq!(rejected(chat(&chat_body.to_string(), &always_tight)).status, 402);
        let Verdict::Allow(p) = chat(&chat_body.to_string(), &always) else { panic!("not allowed") };
        assert_eq!(decided_by(&p), Some("bound"));
    }
}
