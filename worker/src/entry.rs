//! The fetch handler: route, check, reserve, forward, record.

use std::cell::RefCell;
use std::rc::Rc;

use farebox_core::tokens::Tokenizers;
use farebox_core::{Timestamp, Usd};
use wasm_bindgen::JsValue;
use worker::*;

use crate::config::{Config, ConfigError};
use crate::guard::{self, Ids, LedgerDecision, LedgerOp, LedgerPart, Planned, Reply, Verdict};
use crate::proxy;
use crate::route::{route, Api, Route};

/// What an isolate keeps between requests: the validated configuration
/// (or why it is invalid) and the tokenizers, parsed once.
pub struct Shared {
    pub config: std::result::Result<Config, ConfigError>,
    pub tokenizers: Tokenizers,
}

thread_local! {
    static SHARED: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
}

/// The isolate's configuration, read from `env` on first use.
pub fn shared(env: &Env) -> Rc<Shared> {
    SHARED.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let config = Config::from_lookup(|name| {
                    env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|v| v.to_string())).ok()
                });
                if let Err(e) = &config {
                    console_error!("{e}");
                }
                Rc::new(Shared { config, tokenizers: guard::tokenizers() })
            })
            .clone()
    })
}

fn reply(r: Reply) -> Result<Response> {
    let headers = Headers::new();
    for (k, v) in &r.headers {
        headers.set(k, v)?;
    }
    Ok(Response::from_bytes(r.body.into_bytes())?.with_status(r.status).with_headers(headers))
}

/// The body, or (having read it all) its length when it exceeds `max`: a
/// body without a declared length is never held beyond the limit.
async fn read_limited(req: &mut Request, max: usize) -> Result<std::result::Result<Vec<u8>, u64>> {
    use futures_util::StreamExt;
    let Ok(mut stream) = req.stream() else { return Ok(Ok(Vec::new())) };
    let mut body = Vec::new();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        total += chunk.len() as u64;
        if total <= max as u64 {
            body.extend_from_slice(&chunk);
        } else if !body.is_empty() {
            body = Vec::new();
        }
    }
    Ok(if total > max as u64 { Err(total) } else { Ok(body) })
}

/// Reads and discards the request body (at most 256 MiB).
async fn drain(req: &mut Request) {
    use futures_util::StreamExt;
    let Ok(mut stream) = req.stream() else { return };
    let mut total = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        total += chunk.len();
        if total > 256 << 20 {
            break;
        }
    }
}

/// Who the request counts against, as it names them: the user (the user
/// header, else the API key), the session and the org headers.
fn ids(req: &Request, config: &Config) -> Ids {
    let h = req.headers();
    let header = |name: &str| h.get(name).ok().flatten();
    Ids { user: user(req, config), session: header(&config.session_header), org: header(&config.org_header) }
}

/// The id a per-user budget is kept under: the user header, else the API key.
fn user(req: &Request, config: &Config) -> Option<String> {
    let h = req.headers();
    if let Ok(Some(user)) = h.get(&config.user_header) {
        return Some(format!("user:{user}"));
    }
    let key = h
        .get("authorization")
        .ok()
        .flatten()
        .map(|a| a.trim_start_matches("Bearer ").trim_start_matches("bearer ").to_string())
        .or_else(|| h.get("x-api-key").ok().flatten())
        .or_else(|| h.get("x-goog-api-key").ok().flatten())
        // Gemini also takes its key in the query string.
        .or_else(|| req.url().ok()?.query_pairs().find(|(k, _)| k == "key").map(|(_, v)| v.into_owned()))?;
    Some(format!("key:{key}"))
}

fn base(config: &Config, api: Api) -> &str {
    match api {
        Api::OpenAi => &config.openai_base,
        Api::Anthropic => &config.anthropic_base,
        Api::Gemini => &config.gemini_base,
    }
}

/// The JSON answer of the budget object named `object` (a [`LedgerPart`]'s),
/// as text (amounts are read from their text).
async fn ledger(env: &Env, object: &str, op: &LedgerOp) -> Result<String> {
    let stub = env.durable_object("BUDGET")?.id_from_name(object)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::to_string(op)?.into()));
    let mut resp = stub.fetch_with_request(Request::new_with_init("https://budget.internal/op", &init)?).await?;
    if resp.status_code() != 200 {
        return Err(Error::RustError(format!("budget object: {}", resp.text().await?)));
    }
    resp.text().await
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let shared = shared(&env);
    let url = req.url()?;
    let anthropic_hint = req.headers().has("anthropic-version")?;
    let method = req.method();
    let r = route(method.as_ref(), url.path(), anthropic_hint);
    let config = match &shared.config {
        Ok(c) => c,
        // Workers have no start-up step that could fail: a bad configuration
        // answers every request, priced or not (fail closed), in the shape of
        // the API it was meant for, naming the variable (never its value).
        Err(e) => {
            return reply(guard::error_reply(r.api, 500, "api_error", "invalid_configuration", &e.to_string(), None));
        }
    };
    if url.path() == "/_farebox/budget" && method == Method::Get {
        return own_budget(&req, &env, config).await;
    }
    let mut target = format!("{}{}", base(config, r.api), url.path());
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    if r.format.is_none() {
        // Not a priced call: forwarded untouched, body streamed.
        let body = req.inner().body().map(JsValue::from);
        return proxy::forward(method, req.headers(), body, &target).await;
    }
    let content_type = req.headers().get("content-type")?;
    let length = req.headers().get("content-length")?.and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(rep) = guard::precheck(config, r.api, content_type.as_deref(), length) {
        // Read the upload to its end (discarding it) before answering, so
        // that the client sees the 413 or 415 rather than a reset connection.
        drain(&mut req).await;
        return reply(rep);
    }
    let body = match read_limited(&mut req, config.max_body_bytes).await? {
        Ok(body) => body,
        Err(n) => return reply(guard::too_large(config, r.api, n)),
    };
    let ids = ids(&req, config);
    let now = Timestamp::from_millis(Date::now().as_millis() as i64);
    let planned = match guard::assess(config, &shared.tokenizers, &r, &body, &ids, now) {
        Verdict::Reject(rep) => {
            if let Some(line) = &rep.log {
                console_log!("{line}");
            }
            return reply(rep);
        }
        Verdict::Allow(p) => p,
    };
    // Each id's object in turn; a refusal releases the reservations made so far.
    for (i, part) in planned.ledgers.iter().enumerate() {
        let answer = ledger(&env, &part.object, &LedgerOp::Reserve { call: part.call.clone() }).await;
        let d = match answer.and_then(|a| Ok(serde_json::from_str::<LedgerDecision>(&a)?)) {
            Ok(d) => d,
            Err(e) => {
                settle(&env, &ctx, &planned.ledgers[..i], Usd::ZERO);
                return Err(e);
            }
        };
        if !d.allow {
            settle(&env, &ctx, &planned.ledgers[..i], Usd::ZERO);
            let mut headers = planned.headers.clone();
            headers.retain(|(k, _)| *k != "x-cost-limit-usd");
            if let Some(l) = d.limit {
                headers.push(("x-cost-limit-usd", l.to_string()));
            }
            if let Some(left) = d.remaining {
                headers.push(("x-cost-remaining-usd", left.to_string()));
            }
            console_log!(
                "{}",
                guard::log_line(r.api, &planned.call, planned.estimate.as_ref(), "deny", &d.reason, 402, false, None)
            );
            return reply(guard::deny_reply(r.api, &d.reason, &d.message, headers));
        }
    }
    let upstream =
        match proxy::forward(method, req.headers(), Some(js_sys::Uint8Array::from(&body[..]).into()), &target).await {
            Ok(u) => u,
            Err(e) => {
                // Nothing was spent: release the reservation.
                release(&env, &ctx, &r, &planned, 502);
                let mut rep = guard::error_reply(
                    r.api,
                    502,
                    "api_error",
                    "upstream_unreachable",
                    "the upstream API could not be reached",
                    None,
                );
                console_error!("farebox: upstream fetch failed: {e}");
                rep.headers.extend(planned.headers.clone());
                return reply(rep);
            }
        };
    let status = upstream.status_code();
    if proxy::is_sse(&upstream) {
        let (mut resp, usage) = proxy::stream_through(upstream)?;
        add_headers(resp.headers_mut(), &planned.headers)?;
        let (env2, cfg_shared, r2, planned2) = (env.clone(), shared.clone(), r.clone(), planned);
        ctx.wait_until(async move {
            let usage = usage.await.ok().flatten();
            if let Ok(config) = &cfg_shared.config {
                finish(&env2, config, &r2, &planned2, usage.as_deref(), status, true).await;
            }
        });
        return Ok(resp);
    }
    // A JSON response is small: read it whole to price it and report the actual cost in headers.
    let mut upstream = upstream;
    let headers = upstream.headers().clone();
    let bytes = upstream.bytes().await?;
    let actual = guard::actual_cost(&config.prices, &planned.call.model, &bytes);
    add_headers(&headers, &planned.headers)?;
    if let Some((cost, _, output)) = &actual {
        headers.set("x-token-output", &output.to_string())?;
        headers.set("x-cost-usd", &cost.total.to_string())?;
    }
    headers.delete("content-length")?;
    let resp = Response::from_bytes(bytes.clone())?.with_status(status).with_headers(headers);
    let (env2, cfg_shared, r2) = (env.clone(), shared.clone(), r.clone());
    ctx.wait_until(async move {
        if let Ok(config) = &cfg_shared.config {
            finish(&env2, config, &r2, &planned, Some(&bytes), status, false).await;
        }
    });
    Ok(resp)
}

/// `GET /_farebox/budget`: what the caller's own budget id (its user header
/// or API key) has spent under each limited key, e.g.
/// `{"user:<hash>:day:2026-11-22":"0.0123"}`. Only the caller's own spend.
async fn own_budget(req: &Request, env: &Env, config: &Config) -> Result<Response> {
    let ids = ids(req, config).hashed(config);
    let call = farebox_core::PlannedCall {
        model: String::new(),
        max_cost: None,
        input_tokens: 0,
        user: ids.user,
        session: ids.session,
        org: ids.org,
        at: Timestamp::from_millis(Date::now().as_millis() as i64),
    };
    let mut spent = serde_json::Map::new();
    for part in guard::ledger_parts(&call) {
        let answer = ledger(env, &part.object, &LedgerOp::Spent { call: part.call }).await?;
        if let serde_json::Value::Object(keys) = serde_json::from_str(&answer)? {
            spent.extend(keys);
        }
    }
    Response::from_json(&spent)
}

fn add_headers(headers: &Headers, extra: &[(&'static str, String)]) -> Result<()> {
    for (k, v) in extra {
        headers.set(k, v)?;
    }
    headers.set("x-farebox-decision", "allow")
}

/// Logs a call that never reached the upstream and releases its reservation.
fn release(env: &Env, ctx: &Context, r: &Route, planned: &Planned, status: u16) {
    let line = guard::log_line(
        r.api,
        &planned.call,
        planned.estimate.as_ref(),
        "allow",
        "upstream_error",
        status,
        false,
        None,
    );
    console_log!("{line}");
    settle(env, ctx, &planned.ledgers, Usd::ZERO);
}

/// Settles a call's reservations in `parts` at `actual`, after the response.
fn settle(env: &Env, ctx: &Context, parts: &[LedgerPart], actual: Usd) {
    for part in parts {
        let (env, part) = (env.clone(), part.clone());
        ctx.wait_until(async move {
            let op = LedgerOp::Settle { call: part.call, actual };
            if let Err(e) = ledger(&env, &part.object, &op).await {
                console_error!("farebox: settling the budget failed: {e}");
            }
        });
    }
}

/// After the response: the actual cost from the reported usage, the log
/// line, and the ledger settled (the actual cost replaces the reservation;
/// with no usage reported, a failed call counts zero and a successful one
/// keeps its estimate).
async fn finish(
    env: &Env,
    config: &Config,
    r: &Route,
    planned: &Planned,
    usage: Option<&[u8]>,
    status: u16,
    stream: bool,
) {
    let actual = usage.and_then(|u| guard::actual_cost(&config.prices, &planned.call.model, u));
    let reason = if actual.is_some() { "ok" } else { "usage_not_reported" };
    console_log!(
        "{}",
        guard::log_line(
            r.api,
            &planned.call,
            planned.estimate.as_ref(),
            "allow",
            reason,
            status,
            stream,
            actual.as_ref()
        )
    );
    let amount = match (&actual, status) {
        (Some((cost, _, _)), _) => cost.total,
        (None, s) if s >= 400 => Usd::ZERO,
        (None, _) => planned.call.max_cost.unwrap_or(Usd::ZERO),
    };
    for part in &planned.ledgers {
        let op = LedgerOp::Settle { call: part.call.clone(), actual: amount };
        if let Err(e) = ledger(env, &part.object, &op).await {
            console_error!("farebox: settling the budget failed: {e}");
        }
    }
}

/// For the load test (`worker/test/load.mjs`), run in Node where clocks are
/// real: the guard's work on one request body (estimate + policy) with the
/// default configuration and `PER_CALL_MAX_USD`, returning the reply status
/// (200 when allowed). Timed from JavaScript around the call.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn guard_bench(path: &str, body: &[u8], per_call_max_usd: &str) -> u16 {
    thread_local! {
        static BENCH: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
    }
    let shared = BENCH.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let per_call = per_call_max_usd.to_string();
                let config = Config::from_lookup(|name| (name == "PER_CALL_MAX_USD").then(|| per_call.clone()));
                Rc::new(Shared { config, tokenizers: guard::tokenizers() })
            })
            .clone()
    });
    let Ok(config) = &shared.config else { return 500 };
    let r = route("POST", path, false);
    let ids = Ids { user: Some(String::from("bench")), ..Ids::default() };
    match guard::assess(config, &shared.tokenizers, &r, body, &ids, Timestamp::from_millis(0)) {
        Verdict::Allow(_) => 200,
        Verdict::Reject(rep) => rep.status,
    }
}

/// For `worker/test/run.mjs` (what `cargo xtask worker` runs): the error
/// every request would get with these vars, checked in Node before workerd
/// starts so that the developer sees it at once. `vars` is a JSON object of
/// names to values, the bindings miniflare would get.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn config_error(vars: &str) -> Option<String> {
    let vars: std::collections::HashMap<String, String> = match serde_json::from_str(vars) {
        Ok(v) => v,
        Err(e) => return Some(format!("the vars are not a JSON object of strings: {e}")),
    };
    Config::from_lookup(|name| vars.get(name).cloned()).err().map(|e| e.to_string())
}
