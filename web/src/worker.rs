//! The Web Worker side: estimates off the page's thread.
//!
//! The worker instantiates this same module (`static/worker.js` hands it the
//! compiled `WebAssembly.Module` the page already has) and feeds each message
//! to [`handle`], one at a time. It keeps the price table and the tokenizer
//! vocabularies (same origin, `vocab/<name>.bin`): o200k_base as soon as the
//! page starts it ([`Request::Warm`]: every estimate needs it), the others
//! the first time an estimate needs them, so a page that never estimates an
//! OpenAI model on cl100k_base never downloads that file.

use std::cell::RefCell;
use std::collections::HashMap;

use farebox_core::budget::{Budget, MemoryLedger, Policy};
use farebox_core::estimate::{
    estimate, estimate_bounds_before_loading, Bounds, Estimate, EstimateOptions, RequestFormat,
};
use farebox_core::pricing::{PriceFileFormat, PriceTable};
use farebox_core::time::Timestamp;
use farebox_core::tokens::{Tokenizers, Vocabulary};
use farebox_core::{CostOptions, Error};
use serde::de::IgnoredAny;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{
    parse_limit, DecisionView, EstimateView, Failure, InputMode, LineView, ModelEstimate, Request, Response,
};

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

struct State {
    builtin: PriceTable,
    prices: PriceTable,
    tokenizers: &'static Tokenizers,
    /// Vocabularies being downloaded (each once, however many estimates wait for it).
    downloads: HashMap<Vocabulary, js_sys::Promise>,
}

/// Sends a response to the page.
pub type Post = fn(&Response);

/// Handles one message (JSON text of a [`Request`]); `post` sends each response.
pub async fn handle(message: &str, post: Post) {
    let request: Request = match serde_json::from_str(message) {
        Ok(r) => r,
        Err(e) => return post(&failed(None, "invalid_message", e.to_string())),
    };
    STATE.with(|s| {
        s.borrow_mut().get_or_insert_with(|| {
            let builtin = PriceTable::builtin();
            // Leaked once per worker: estimates borrow it across awaits.
            let tokenizers = Box::leak(Box::new(Tokenizers::new()));
            State { prices: builtin.clone(), builtin, tokenizers, downloads: HashMap::new() }
        });
    });
    match request {
        // Not awaited: messages are handled in order, and an estimate sent
        // meanwhile shows its bounds at once instead of waiting for the download.
        Request::Warm => wasm_bindgen_futures::spawn_local(async move {
            match ensure_loaded(Vocabulary::O200kBase).await {
                Ok(()) => post(&Response::Warmed),
                Err(e) => post(&failed(None, e.code(), e.to_string())),
            }
        }),
        Request::Prices { file } => {
            if let Err(e) = set_prices(&file) {
                post(&failed(None, e.code(), e.to_string()));
            }
        }
        Request::Estimate { id, input, mode, models, service_tier, limit } => {
            let budget = match limit.as_deref().map(per_call_budget).transpose() {
                Ok(b) => b,
                Err(message) => return post(&failed(Some(id), "invalid_limit", message)),
            };
            let body = match request_body(&input, mode) {
                Ok(body) => body,
                Err(message) => return post(&failed(Some(id), "invalid_request", message)),
            };
            let start = now_millis();
            let total = models.len();
            let (tier, budget) = (service_tier.as_deref(), budget.as_ref());
            // First every model whose vocabulary is here; the others are
            // bounded and sent at once, then counted as their vocabularies arrive.
            let mut results: Vec<Option<ModelEstimate>> = Vec::with_capacity(total);
            let mut waiting = Vec::new();
            for (i, model) in models.iter().enumerate() {
                match estimate_loaded(&body, model, tier, budget) {
                    Err(Error::TokenizerNotLoaded(vocabulary)) => {
                        waiting.push((i, vocabulary));
                        results.push(None);
                    }
                    result => {
                        results.push(Some(ModelEstimate { requested: model.clone(), result: result.map_err(failure) }))
                    }
                }
            }
            if !waiting.is_empty() {
                let bounds = |i: usize| {
                    bounded(&body, &models[i], tier, budget)
                        .map(|view| ModelEstimate { requested: models[i].clone(), result: Ok(view) })
                };
                let shown =
                    results.iter().enumerate().filter_map(|(i, r)| r.clone().or_else(|| bounds(i))).collect::<Vec<_>>();
                if shown.iter().any(|r| r.result.as_ref().is_ok_and(|e| e.bounded)) {
                    post(&Response::Bounds { id, results: shown });
                }
            }
            let ready = total - waiting.len();
            if total > 1 {
                post(&Response::Progress { id, done: ready, total });
            }
            for (done, (i, vocabulary)) in (ready + 1..).zip(waiting) {
                let result = match ensure_loaded(vocabulary).await {
                    Ok(()) => estimate_loaded(&body, &models[i], tier, budget),
                    Err(e) => Err(e),
                };
                results[i] = Some(ModelEstimate { requested: models[i].clone(), result: result.map_err(failure) });
                if total > 1 {
                    post(&Response::Progress { id, done, total });
                }
            }
            let results = results.into_iter().flatten().collect();
            post(&Response::Estimates { id, results, millis: now_millis() - start });
        }
    }
}

fn failed(id: Option<u32>, code: &str, message: String) -> Response {
    Response::Failed { id, error: Failure { code: code.to_string(), message } }
}

fn failure(e: Error) -> Failure {
    Failure { code: e.code().to_string(), message: e.to_string() }
}

/// Replaces the user's definitions: the built-in table under `file`.
fn set_prices(file: &str) -> Result<(), Error> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.as_mut().expect("initialised by handle");
        let mut table = state.builtin.clone();
        if !file.trim().is_empty() {
            table.load(file.as_bytes(), PriceFileFormat::Farebox)?;
        }
        state.prices = table;
        Ok(())
    })
}

/// The core's budget with only a per-call maximum: the same rule the edge worker applies.
fn per_call_budget(limit: &str) -> Result<Budget, String> {
    let limit = parse_limit(limit)?;
    Ok(Budget::new(Policy { per_call_max_usd: Some(limit), ..Policy::default() }))
}

/// The input as a request body the core estimates.
pub fn request_body(input: &str, mode: InputMode) -> Result<String, String> {
    // Checking is a scan into `IgnoredAny`, never a tree: the core parses the
    // body once, when it estimates it.
    let is_json = |text: &str| serde_json::from_str::<IgnoredAny>(text).is_ok();
    let is_array = |text: &str| serde_json::from_str::<Vec<IgnoredAny>>(text).is_ok();
    let trimmed = input.trim_start();
    let mode = match mode {
        InputMode::Auto if trimmed.starts_with('{') && is_json(trimmed) => InputMode::Request,
        InputMode::Auto if trimmed.starts_with('[') && is_array(trimmed) => InputMode::Messages,
        InputMode::Auto => InputMode::Text,
        other => other,
    };
    match mode {
        InputMode::Request => Ok(input.to_string()),
        InputMode::Messages if is_array(input) => Ok(format!("{{\"messages\":{input}}}")),
        InputMode::Messages => Err("a message list is a JSON array of {\"role\", \"content\"} objects".into()),
        _ => Ok(serde_json::json!({ "messages": [{ "role": "user", "content": input }] }).to_string()),
    }
}

fn options(model: &str, service_tier: Option<&str>) -> EstimateOptions {
    // The model picked wins over one the body names: the page sets the picker from a
    // pasted body's model, so both agree unless the person chose another on purpose.
    EstimateOptions {
        model: Some(model.to_string()),
        cost: service_tier.map(CostOptions::service_tier).unwrap_or_default(),
        ..EstimateOptions::default()
    }
}

/// Estimates `body` on `model` with the vocabularies loaded so far
/// (`TokenizerNotLoaded` names the one it needs).
fn estimate_loaded(
    body: &str,
    model: &str,
    service_tier: Option<&str>,
    budget: Option<&Budget>,
) -> Result<EstimateView, Error> {
    let options = options(model, service_tier);
    with_state(|state| {
        estimate(&state.prices, state.tokenizers, body.as_bytes(), &options).map(|e| {
            let decision = budget.map(|b| decide(b, &state.prices, &e, model));
            let window = state.prices.resolve(&e.model).ok().and_then(|r| r.model.context_window);
            view(&e, decision, window)
        })
    })
}

/// `body` on `model` with every text at its fewest and at its most tokens,
/// uncounted (core's `estimate_bounds_before_loading`); `None` when the
/// model's prices do not grow with its counts, or it fails: the count decides.
fn bounded(body: &str, model: &str, service_tier: Option<&str>, budget: Option<&Budget>) -> Option<EstimateView> {
    let options = options(model, service_tier);
    with_state(|state| {
        let Bounds { fewest, most } =
            estimate_bounds_before_loading(&state.prices, body.as_bytes(), &options).ok()??;
        // Both ends decide alike, or the count decides.
        let decision = budget.and_then(|b| {
            let (low, high) = (decide(b, &state.prices, &fewest, model), decide(b, &state.prices, &most, model));
            (low.allowed == high.allowed).then_some(high)
        });
        let window = state.prices.resolve(&most.model).ok().and_then(|r| r.model.context_window);
        let mut view = view(&most, decision, window);
        view.input_low = fewest.input_tokens.low;
        view.input_tokens = fewest.input_tokens.tokens;
        view.min_cost = fewest.min_cost.total.to_string();
        view.min_lines = lines(&fewest.min_cost);
        view.bounded = true;
        Some(view)
    })
}

/// Runs `f` on the worker's state.
fn with_state<R>(f: impl FnOnce(&State) -> R) -> R {
    STATE.with(|s| f(s.borrow().as_ref().expect("initialised by handle")))
}

fn decide(budget: &Budget, prices: &PriceTable, e: &Estimate, requested: &str) -> DecisionView {
    let call = e.planned_call(requested, Timestamp::from_millis(js_sys::Date::now() as i64));
    match budget.check(prices, &call, &MemoryLedger::new()) {
        Ok(d) => DecisionView { allowed: d.allow, reason: d.reason.name().to_string(), message: d.message },
        Err(e) => DecisionView { allowed: false, reason: "ledger_error".into(), message: e.to_string() },
    }
}

fn lines(c: &farebox_core::Cost) -> Vec<LineView> {
    c.lines
        .iter()
        .map(|l| LineView {
            kind: l.kind.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price.to_string(),
            amount: l.amount.to_string(),
        })
        .collect()
}

fn view(e: &Estimate, decision: Option<DecisionView>, context_window: Option<u64>) -> EstimateView {
    EstimateView {
        model: e.model.clone(),
        provider: e.provider.clone(),
        format: format_label(e.format).to_string(),
        input_tokens: e.input_tokens.tokens,
        input_low: e.input_tokens.low,
        input_high: e.input_tokens.high,
        exact: e.exact,
        method: e.method.clone(),
        max_output_tokens: e.max_output_tokens,
        output_limit: serde_json::to_value(e.output_limit)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        min_cost: e.min_cost.total.to_string(),
        max_cost: e.max_cost.total.to_string(),
        min_lines: lines(&e.min_cost),
        max_lines: lines(&e.max_cost),
        tier: e.max_cost.tier.clone(),
        unpriced: e.max_cost.unpriced.iter().map(|u| u.kind.clone()).collect(),
        context_window,
        decision,
        bounded: false,
    }
}

fn format_label(format: RequestFormat) -> &'static str {
    match format {
        RequestFormat::OpenAiChat => "OpenAI Chat Completions",
        RequestFormat::OpenAiResponses => "OpenAI Responses",
        RequestFormat::Anthropic => "Anthropic Messages",
        RequestFormat::Gemini => "Gemini generateContent",
        RequestFormat::OpenAiEmbeddings => "OpenAI embeddings",
    }
}

/// Fetches `vocab/<file>` and adds its tokenizer, unless it is loaded; a
/// failure is `tokenizer_not_loaded`. Estimates that need a vocabulary while
/// it downloads wait for the same download.
async fn ensure_loaded(vocabulary: Vocabulary) -> Result<(), Error> {
    let tokenizers = with_state(|state| state.tokenizers);
    if tokenizers.has(vocabulary) {
        return Ok(());
    }
    let download = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.as_mut().expect("initialised by handle");
        state
            .downloads
            .entry(vocabulary)
            .or_insert_with(|| {
                let url = format!("vocab/{}", vocabulary.file_name());
                // A JS promise, unlike a Rust future, can be awaited by every estimate that waits.
                wasm_bindgen_futures::future_to_promise(async move {
                    fetch_bytes(&url).await.map(|bytes| js_sys::Uint8Array::from(&bytes[..]).into())
                })
            })
            .clone()
    });
    let bytes = JsFuture::from(download).await;
    // Done either way: a failed download is tried again by the next estimate.
    STATE.with(|s| s.borrow_mut().as_mut().map(|state| state.downloads.remove(&vocabulary)));
    let bytes = bytes.map_err(|_| Error::TokenizerNotLoaded(vocabulary))?;
    // Another waiter may have loaded it meanwhile.
    if tokenizers.has(vocabulary) {
        return Ok(());
    }
    let bytes = js_sys::Uint8Array::new(&bytes).to_vec();
    tokenizers.load(vocabulary, &bytes).map_err(|_| Error::TokenizerNotLoaded(vocabulary))
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, JsValue> {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().dyn_into()?;
    let response: web_sys::Response = JsFuture::from(scope.fetch_with_str(url)).await?.dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str(&format!("{url}: HTTP {}", response.status())));
    }
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn now_millis() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
        .ok()
        .and_then(|s| s.performance())
        .map_or(0.0, |p| p.now())
}
