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

use farebox_core::budget::{Budget, MemoryLedger, Policy};
use farebox_core::estimate::{estimate, Estimate, EstimateOptions, RequestFormat};
use farebox_core::pricing::{PriceFileFormat, PriceTable};
use farebox_core::time::Timestamp;
use farebox_core::tokens::{Tokenizers, Vocabulary};
use farebox_core::{CostOptions, Error, Usd};
use serde::de::IgnoredAny;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{DecisionView, EstimateView, Failure, InputMode, LineView, ModelEstimate, Request, Response};

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

struct State {
    builtin: PriceTable,
    prices: PriceTable,
    tokenizers: &'static Tokenizers,
}

/// Handles one message (JSON text of a [`Request`]); `post` sends each response.
pub async fn handle(message: &str, post: &dyn Fn(&Response)) {
    let request: Request = match serde_json::from_str(message) {
        Ok(r) => r,
        Err(e) => return post(&failed(None, "invalid_message", e.to_string())),
    };
    STATE.with(|s| {
        s.borrow_mut().get_or_insert_with(|| {
            let builtin = PriceTable::builtin();
            // Leaked once per worker: estimates borrow it across awaits.
            let tokenizers = Box::leak(Box::new(Tokenizers::new()));
            State { prices: builtin.clone(), builtin, tokenizers }
        });
    });
    match request {
        Request::Warm => {
            if let Err(e) = ensure_loaded(Vocabulary::O200kBase).await {
                post(&failed(None, e.code(), e.to_string()));
            }
        }
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
            let mut results = Vec::with_capacity(total);
            for (done, model) in models.into_iter().enumerate() {
                let result = estimate_one(&body, &model, service_tier.as_deref(), budget.as_ref()).await;
                results.push(ModelEstimate { requested: model, result: result.map_err(failure) });
                if total > 1 {
                    post(&Response::Progress { id, done: done + 1, total });
                }
            }
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
    let limit = Usd::parse(limit.trim()).map_err(|e| format!("the per-call limit `{limit}`: {e}"))?;
    if limit.is_negative() {
        return Err(format!("the per-call limit `{limit}` is negative"));
    }
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

/// Estimates `body` on `model`, fetching its vocabulary first the first time it is needed.
async fn estimate_one(
    body: &str,
    model: &str,
    service_tier: Option<&str>,
    budget: Option<&Budget>,
) -> Result<EstimateView, Error> {
    // The model picked wins over one the body names: the page sets the picker from a
    // pasted body's model, so both agree unless the person chose another on purpose.
    let options = EstimateOptions {
        model: Some(model.to_string()),
        cost: service_tier.map(CostOptions::service_tier).unwrap_or_default(),
        ..EstimateOptions::default()
    };
    let run = || {
        with_state(|state| {
            estimate(&state.prices, state.tokenizers, body.as_bytes(), &options).map(|e| {
                let decision = budget.map(|b| decide(b, &state.prices, &e, model));
                let window = state.prices.resolve(&e.model).ok().and_then(|r| r.model.context_window);
                view(&e, decision, window)
            })
        })
    };
    // The body is parsed once per estimate; only a count whose vocabulary is
    // not loaded yet (its first) runs again after fetching the one it names.
    match run() {
        Err(Error::TokenizerNotLoaded(vocabulary)) => {
            ensure_loaded(vocabulary).await?;
            run()
        }
        result => result,
    }
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

fn view(e: &Estimate, decision: Option<DecisionView>, context_window: Option<u64>) -> EstimateView {
    let lines = |c: &farebox_core::Cost| {
        c.lines
            .iter()
            .map(|l| LineView {
                kind: l.kind.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price.to_string(),
                amount: l.amount.to_string(),
            })
            .collect()
    };
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
/// failure is `tokenizer_not_loaded`.
async fn ensure_loaded(vocabulary: Vocabulary) -> Result<(), Error> {
    let tokenizers = with_state(|state| state.tokenizers);
    if tokenizers.has(vocabulary) {
        return Ok(());
    }
    let bytes = fetch_bytes(&format!("vocab/{}", vocabulary.file_name()))
        .await
        .map_err(|_| Error::TokenizerNotLoaded(vocabulary))?;
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
