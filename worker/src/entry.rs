//! The fetch handler: route, identify, check, reserve, forward, settle.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use farebox_core::budget::Decision;
use farebox_core::tokens::Tokenizers;
use farebox_core::{PlannedCall, Timestamp, Usd};
use wasm_bindgen::JsValue;
use worker::*;

use crate::assess::{self, CountFirst, Planned, RequestContext, Verdict};
use crate::config::{Config, ConfigError};
use crate::identity::{self, BudgetIds, IdHeaders, Missing};
use crate::ledger::{ledger_parts, settlement, LedgerOp, LedgerPart};
use crate::proxy::{self, Scanner};
use crate::reply::{self, Reply};
use crate::route::{self, Action, Api, Hints, Route, Shape};
use crate::telemetry::{self, CallLog, Outcome};

/// What an isolate keeps between requests: the validated configuration
/// (or why it is invalid) and the tokenizers, parsed once.
pub struct Shared {
    pub config: std::result::Result<Config, ConfigError>,
    pub tokenizers: Tokenizers,
}

thread_local! {
    static SHARED: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
}

/// A var or secret by name.
fn lookup(env: &Env) -> impl Fn(&str) -> Option<String> + '_ {
    |name| env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|v| v.to_string())).ok()
}

/// The isolate's configuration, read from `env` on first use.
pub fn shared(env: &Env) -> Rc<Shared> {
    SHARED.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let config = Config::from_lookup(lookup(env));
                if let Err(e) = &config {
                    console_error!("{e}");
                }
                Rc::new(Shared { config, tokenizers: assess::tokenizers() })
            })
            .clone()
    })
}

/// The KV namespace binding and key of the operator's price file: a whole
/// table (a new LiteLLM release, or `core/data/prices.json` after `cargo
/// xtask prices --update`) is megabytes, past the 5 KB of a var or secret.
const PRICES_KV: &str = "PRICES";
const PRICES_KV_KEY: &str = "prices.json";

/// A price file read from KV, and the configuration it made.
struct KvPrices {
    read_at: f64,
    text: Option<String>,
    shared: Rc<Shared>,
}

thread_local! {
    static KV_PRICES: RefCell<Option<KvPrices>> = const { RefCell::new(None) };
}

/// The isolate's configuration with the operator's KV price file over it,
/// when a `PRICES` KV namespace is bound: read at the first request and again
/// once `PRICES_REFRESH_SECONDS` (default 60) have passed, so `wrangler kv key
/// put` reaches every isolate within that time, without a deploy. The file is
/// loaded like `PRICES_JSON` (over the built-in table and it) and validated
/// the same way: a malformed file fails every request closed, naming it, until
/// it is fixed. A KV read that fails keeps the last prices read (and with none
/// yet, fails closed).
pub async fn current(env: &Env) -> Rc<Shared> {
    let base = shared(env);
    let (Ok(kv), Ok(config)) = (env.kv(PRICES_KV), base.config.as_ref()) else { return base };
    let now = js_sys::Date::now();
    let ttl = 1000.0 * config.prices_refresh_seconds as f64;
    let fresh = KV_PRICES.with(|c| c.borrow().as_ref().filter(|k| now - k.read_at < ttl).map(|k| k.shared.clone()));
    if let Some(shared) = fresh {
        return shared;
    }
    let text = match kv.get(PRICES_KV_KEY).text().await {
        Ok(text) => text,
        Err(e) => {
            console_error!("farebox: reading the {PRICES_KV} KV price file failed: {e}");
            let kept = KV_PRICES.with(|c| c.borrow().as_ref().map(|k| k.shared.clone()));
            return kept.unwrap_or_else(|| {
                let why = format!("reading `{PRICES_KV_KEY}` failed: {e}");
                Rc::new(Shared { config: Err(ConfigError::new(PRICES_KV, why)), tokenizers: assess::tokenizers() })
            });
        }
    };
    let unchanged = KV_PRICES.with(|c| {
        let mut cell = c.borrow_mut();
        let k = cell.as_mut().filter(|k| k.text == text)?;
        k.read_at = now;
        Some(k.shared.clone())
    });
    if let Some(shared) = unchanged {
        return shared;
    }
    let shared = match &text {
        None => base.clone(),
        Some(file) => {
            let config = Config::from_lookup(lookup(env)).and_then(|mut c| {
                c.prices
                    .load(file.as_bytes(), farebox_core::PriceFileFormat::Auto)
                    .map_err(|e| ConfigError::new(PRICES_KV, format!("`{PRICES_KV_KEY}`: {e}")))?;
                Ok(c)
            });
            if let Err(e) = &config {
                console_error!("{e}");
            }
            Rc::new(Shared { config, tokenizers: assess::tokenizers() })
        }
    };
    KV_PRICES.with(|c| *c.borrow_mut() = Some(KvPrices { read_at: now, text, shared: shared.clone() }));
    shared
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

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The call's budget ids, or the refusal when they cannot be established.
fn budget_ids(
    req: &Request,
    url: &Url,
    config: &Config,
    api: Api,
    missing: Missing,
) -> std::result::Result<BudgetIds, Reply> {
    let names = ["authorization", "x-api-key", "x-goog-api-key"];
    let values: Vec<Option<String>> = names.iter().map(|n| header(req, n)).collect();
    let query_key = url.query_pairs().find(|(k, _)| k == "key").map(|(_, v)| v.into_owned());
    let lookup = |name: &str| names.iter().position(|n| *n == name).and_then(|i| values[i].as_deref());
    let key = identity::api_key(api, lookup, query_key.as_deref());
    let (user, session, org) =
        (header(req, &config.user_header), header(req, &config.session_header), header(req, &config.org_header));
    let headers = IdHeaders { user: user.as_deref(), session: session.as_deref(), org: org.as_deref() };
    identity::budget_ids(config, key, headers, missing)
        .map_err(|e| reply::refuse_reply(api.shape(), e.status, e.code, &e.message))
}

fn base(config: &Config, api: Api) -> &str {
    match api {
        Api::OpenAi => &config.openai_base,
        Api::Anthropic => &config.anthropic_base,
        Api::Gemini => &config.gemini_base,
    }
}

/// The upstream URL: the route's provider's base, the normalised path, and
/// the query (Gemini's `key` only to Gemini).
fn target(config: &Config, r: &Route, url: &Url) -> String {
    let mut target = format!("{}{}", base(config, r.api), r.path);
    let query = identity::forwarded_query(r.api, url.query().unwrap_or(""));
    if !query.is_empty() {
        target.push('?');
        target.push_str(&query);
    }
    target
}

/// The provider's count of the call's prompt ([`CountFirst`]): its counting
/// endpoint asked with the call's own credentials (the headers and Gemini
/// `key` the call would carry), within `COUNT_TOKENS_TIMEOUT_MS`. `None`
/// (logged) when no count comes back in time: the caller falls back to the
/// estimate's high end.
async fn provider_count(
    config: &Config,
    req: &Request,
    url: &Url,
    ask: &CountFirst,
) -> Option<farebox_core::estimate::ProviderCount> {
    let request = &ask.request;
    let mut to = format!("{}{}", base(config, request.api), request.path);
    // Only the credential: `alt=sse` and the like are the call's, not the count's.
    let key = url.query_pairs().find(|(k, _)| k == "key").filter(|_| request.api == Api::Gemini);
    if let Some((_, key)) = key {
        to.push_str("?key=");
        to.push_str(&js_sys::encode_uri_component(&key).as_string().unwrap_or_default());
    }
    // The call's own length and encoding describe another body.
    let keep = |name: &str| {
        let name = name.to_ascii_lowercase();
        name != "content-length" && name != "content-encoding" && identity::forwards_header(config, request.api, &name)
    };
    let sent = Some(js_sys::Uint8Array::from(&request.body[..]).into());
    let answer = async {
        let mut resp = proxy::forward(Method::Post, req.headers(), keep, sent, &to).await?;
        let status = resp.status_code();
        let bytes = resp.bytes().await?;
        Ok::<_, Error>((status, bytes))
    };
    let timeout = Delay::from(Duration::from_millis(u64::from(config.count_tokens_timeout_ms)));
    futures_util::pin_mut!(answer);
    let why = match futures_util::future::select(answer, timeout).await {
        futures_util::future::Either::Left((Ok((200, bytes)), _)) => match request.read_answer(&bytes) {
            Some(count) => return Some(count),
            None => String::from("its answer holds no count"),
        },
        futures_util::future::Either::Left((Ok((status, _)), _)) => format!("it answered {status}"),
        futures_util::future::Either::Left((Err(e), _)) => format!("it could not be reached: {e}"),
        futures_util::future::Either::Right(_) => {
            format!("it did not answer within {} ms", config.count_tokens_timeout_ms)
        }
    };
    console_error!(
        "farebox: the provider's token count ({}) failed, the estimate's high end decides: {why}",
        request.path
    );
    None
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

/// Runs once, when the isolate instantiates the module, before its first
/// request ([`assess::warm_up`]).
#[event(start)]
fn warm_up() {
    drop(assess::warm_up(&assess::tokenizers()));
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let shared = current(&env).await;
    let url = req.url()?;
    let method = req.method();
    let hints = Hints { anthropic: req.headers().has("anthropic-version")? || req.headers().has("x-api-key")? };
    let allowed = shared.config.as_ref().map(|c| c.allowed_routes.as_slice()).unwrap_or(&[]);
    let r = match route::route(method.as_ref(), url.path(), hints, allowed) {
        Ok(r) => r,
        Err(bad) => {
            drain(&mut req).await;
            return reply(reply::refuse_reply(Shape::OpenAi, 400, "invalid_path", bad.0));
        }
    };
    let config = match &shared.config {
        Ok(c) => c,
        // Workers have no start-up step that could fail: a bad configuration
        // answers every request, priced or not (fail closed), in the shape of
        // the API it was meant for, naming the variable (never its value).
        Err(e) => {
            return reply(reply::error_reply(r.shape, 500, "api_error", "invalid_configuration", &e.to_string(), None));
        }
    };
    if r.path == "/_farebox/budget" && method == Method::Get {
        return budget_report(&req, &url, &env, config).await;
    }
    match &r.action {
        Action::Refused => {
            drain(&mut req).await;
            let message = format!(
                "this gateway does not forward `{} {}`: it is neither a call it can price nor a free operation. An operator can allow it with ALLOW_ROUTES",
                method.as_ref(),
                r.path
            );
            return reply(reply::refuse_reply(r.shape, 403, "route_not_allowed", &message));
        }
        Action::Free => {
            // Costs nothing: forwarded unpriced, body streamed.
            let body = req.inner().body().map(JsValue::from);
            let keep = |name: &str| identity::forwards_header(config, r.api, name);
            return proxy::forward(method, req.headers(), keep, body, &target(config, &r, &url)).await;
        }
        Action::Priced { .. } => {}
    }
    let content_type = req.headers().get("content-type")?;
    let length = req.headers().get("content-length")?.and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(rep) = reply::precheck(r.shape, config.max_body_bytes, content_type.as_deref(), length) {
        // Read the upload to its end (discarding it) before answering, so
        // that the client sees the 413 or 415 rather than a reset connection.
        drain(&mut req).await;
        return reply(rep);
    }
    let body = match read_limited(&mut req, config.max_body_bytes).await? {
        Ok(body) => body,
        Err(n) => return reply(reply::too_large(r.shape, config.max_body_bytes, n)),
    };
    let ids = match budget_ids(&req, &url, config, r.api, Missing::Refuse) {
        Ok(ids) => ids,
        Err(rep) => return reply(rep),
    };
    let context = RequestContext::from_anthropic_beta(header(&req, "anthropic-beta").as_deref());
    let now = Timestamp::from_millis(Date::now().as_millis() as i64);
    let verdict = match assess::assess(config, &shared.tokenizers, &r, &body, &ids, context, now) {
        Verdict::Count(ask) => {
            let count = provider_count(config, &req, &url, &ask).await;
            match count {
                Some(count) => assess::assess_counted(config, &shared.tokenizers, &r, &body, &ids, context, now, count),
                None => ask.otherwise,
            }
        }
        decided => decided,
    };
    let mut planned = match verdict.decided() {
        Err(rep) => {
            if let Some(line) = &rep.log {
                console_log!("{line}");
            }
            return reply(rep);
        }
        Ok(p) => p,
    };
    // Each id's object in turn; a refusal releases the reservations made so far.
    for (i, part) in planned.ledgers.iter().enumerate() {
        let answer = ledger(&env, &part.object, &LedgerOp::Reserve { call: part.call.clone() }).await;
        let d = match answer.and_then(|a| Ok(serde_json::from_str::<Decision>(&a)?)) {
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
            let log = CallLog {
                api: r.api,
                call: &planned.call,
                estimate: planned.estimate.as_ref(),
                outcome: Outcome::Deny,
                reason: d.reason.name(),
                status: 402,
                stream: false,
                actual: None,
                settled: None,
            };
            console_log!("{}", log.line());
            return reply(reply::deny_reply(r.shape, d.reason.name(), &d.message, headers));
        }
    }
    let keep = |name: &str| identity::forwards_header(config, r.api, name);
    let sent = Some(js_sys::Uint8Array::from(&body[..]).into());
    let to = target(config, &r, &url);
    let forwarded = proxy::forward(method, req.headers(), keep, sent, &to);
    // A call the bound allowed is counted now, for its headers and log line:
    // after the request has left (the timer yields to the event loop, which
    // sends it), while the upstream works on it.
    let counted = async {
        if planned.uncounted {
            Delay::from(Duration::ZERO).await;
            planned.count(config, &shared.tokenizers, &r, &body, context);
        }
    };
    let (upstream, ()) = futures_util::future::join(forwarded, counted).await;
    let upstream = match upstream {
        Ok(u) => u,
        Err(e) => {
            // Nothing reached the provider: release the reservation.
            release(&env, &ctx, &r, &planned, 502);
            let mut rep = reply::error_reply(
                r.shape,
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
    let stream = proxy::is_sse(&upstream);
    let scanner = if stream { Scanner::sse() } else { Scanner::json() };
    // Both kinds of response stream through: the usage is found on the way,
    // the body is never held whole.
    let (mut resp, usage) = proxy::stream_through(upstream, scanner)?;
    add_headers(resp.headers_mut(), &planned.headers)?;
    let (env2, cfg_shared, r2) = (env.clone(), shared.clone(), r.clone());
    ctx.wait_until(async move {
        let usage = usage.await.ok().flatten();
        if let Ok(config) = &cfg_shared.config {
            finish(&env2, config, &r2, &planned, usage.as_deref(), status, stream).await;
        }
    });
    Ok(resp)
}

/// `GET /_farebox/budget`, for the operator only (`x-farebox-admin-token`
/// equal to `ADMIN_TOKEN`; without that secret the endpoint does not exist):
/// what the budget ids the request names (its API key or signed user
/// header, its signed session and org headers, as a call would be billed)
/// have spent under each limited key, e.g. `{"user:<hash>:day:2026-11-22":"0.0123"}`.
async fn budget_report(req: &Request, url: &Url, env: &Env, config: &Config) -> Result<Response> {
    let shape = Shape::OpenAi;
    if config.admin_token.is_none() {
        return reply(reply::refuse_reply(shape, 404, "not_found", "the budget endpoint is off: set ADMIN_TOKEN"));
    }
    if !identity::is_admin(config, header(req, "x-farebox-admin-token").as_deref()) {
        return reply(reply::refuse_reply(
            shape,
            401,
            "admin_token_required",
            "the budget endpoint needs the operator's `x-farebox-admin-token`",
        ));
    }
    let api = if header(req, "x-api-key").is_some() { Api::Anthropic } else { Api::OpenAi };
    let ids = match budget_ids(req, url, config, api, Missing::Skip) {
        Ok(ids) => ids,
        Err(rep) => return reply(rep),
    };
    let call = PlannedCall {
        user: ids.user,
        session: ids.session,
        org: ids.org,
        ..PlannedCall::new("", Timestamp::from_millis(Date::now().as_millis() as i64))
    };
    let mut spent = serde_json::Map::new();
    for part in ledger_parts(&call) {
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
    let log = CallLog {
        api: r.api,
        call: &planned.call,
        estimate: planned.estimate.as_ref(),
        outcome: Outcome::Allow,
        reason: "upstream_error",
        status,
        stream: false,
        actual: None,
        settled: Some(Usd::ZERO),
    };
    console_log!("{}", log.line());
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

/// After the response: the actual cost from the final usage, the log line,
/// and the ledger settled ([`settlement`]: the actual cost, or the whole
/// reservation when the response ended without its final usage).
async fn finish(
    env: &Env,
    config: &Config,
    r: &Route,
    planned: &Planned,
    usage: Option<&[u8]>,
    status: u16,
    stream: bool,
) {
    let actual = usage.and_then(|u| telemetry::actual_cost(&config.prices, &planned.call.model, u));
    let amount = settlement(planned.call.max_cost, actual.as_ref().map(|a| &a.cost), status);
    let reason = if actual.is_some() { "ok" } else { "usage_not_reported" };
    let log = CallLog {
        api: r.api,
        call: &planned.call,
        estimate: planned.estimate.as_ref(),
        outcome: Outcome::Allow,
        reason,
        status,
        stream,
        actual: actual.as_ref(),
        settled: Some(amount),
    };
    console_log!("{}", log.line());
    for part in &planned.ledgers {
        let op = LedgerOp::Settle { call: part.call.clone(), actual: amount };
        if let Err(e) = ledger(env, &part.object, &op).await {
            console_error!("farebox: settling the budget failed: {e}");
        }
    }
}

/// For the load test (`worker/test/load.mjs`), run in Node where clocks are
/// real: the guard's work on one request body (estimate + policy) with the
/// default configuration and `PER_CALL_MAX_USD` (one isolate's state per
/// limit), returning the reply status (200 when allowed). With `count`, a
/// call the bound allowed is also counted, as the fetch handler counts it
/// while the upstream answers. Timed from JavaScript around the call. Only
/// in a build with the `bench-hooks` feature (`cargo xtask worker --bench`),
/// never in the one that is deployed.
#[cfg(feature = "bench-hooks")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn guard_bench(path: &str, body: &[u8], per_call_max_usd: &str, count: bool) -> u16 {
    thread_local! {
        static BENCH: RefCell<Vec<(String, Rc<Shared>)>> = const { RefCell::new(Vec::new()) };
    }
    let shared = BENCH.with(|cell| {
        let mut isolates = cell.borrow_mut();
        if let Some((_, shared)) = isolates.iter().find(|(limit, _)| limit == per_call_max_usd) {
            return shared.clone();
        }
        let per_call = per_call_max_usd.to_string();
        let config = Config::from_lookup(|name| (name == "PER_CALL_MAX_USD").then(|| per_call.clone()));
        let shared = Rc::new(Shared { config, tokenizers: assess::tokenizers() });
        isolates.push((per_call, shared.clone()));
        shared
    });
    let Ok(config) = &shared.config else { return 500 };
    let Ok(r) = route::route("POST", path, Hints::default(), &[]) else { return 400 };
    let ids = BudgetIds::default();
    let context = RequestContext::default();
    match assess::assess(config, &shared.tokenizers, &r, body, &ids, context, Timestamp::from_millis(0)).decided() {
        Ok(mut planned) => {
            if count {
                planned.count(config, &shared.tokenizers, &r, body, context);
            }
            200
        }
        Err(rep) => rep.status,
    }
}
