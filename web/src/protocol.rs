//! The messages between the page and its Web Worker, as JSON text.
//!
//! Estimating a 500,000-token paste takes tens of milliseconds; in the
//! worker that never delays a keystroke. The page sends [`Request`]s, the
//! worker answers each estimate with [`Response::Progress`] (while comparing
//! many models) and one [`Response::Estimates`]. Both sides are this crate,
//! so the types are shared, never duplicated in JS.

use farebox_core::Usd;
use serde::{Deserialize, Serialize};

/// How to read the estimator's input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    /// A request body if it is a JSON object, a message list if a JSON array, else text.
    #[default]
    Auto,
    /// The text of one user message.
    Text,
    /// A JSON array of chat messages.
    Messages,
    /// A whole API request body (OpenAI Chat or Responses, Anthropic Messages, Gemini).
    Request,
}

impl InputMode {
    pub const ALL: [InputMode; 4] = [InputMode::Auto, InputMode::Text, InputMode::Messages, InputMode::Request];

    pub fn label(self) -> &'static str {
        match self {
            InputMode::Auto => "Detect",
            InputMode::Text => "Text",
            InputMode::Messages => "Message list",
            InputMode::Request => "Request body",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InputMode::Auto => "auto",
            InputMode::Text => "text",
            InputMode::Messages => "messages",
            InputMode::Request => "request",
        }
    }

    pub fn from_name(name: &str) -> InputMode {
        InputMode::parse(name).unwrap_or_default()
    }

    /// The mode `name` names, if any (a link's mode is checked, never guessed).
    pub fn parse(name: &str) -> Option<InputMode> {
        InputMode::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The service tiers the pickers offer besides the standard one (the names
/// the price table's tiers are keyed by).
pub const SERVICE_TIERS: [&str; 3] = ["batch", "flex", "priority"];

/// A per-call limit as typed (USD, decimal text): what the worker's budget
/// and a link's `l` both accept.
pub fn parse_limit(limit: &str) -> Result<Usd, String> {
    let amount = Usd::parse(limit.trim()).map_err(|e| format!("the per-call limit `{limit}`: {e}"))?;
    if amount.is_negative() {
        return Err(format!("the per-call limit `{limit}` is negative"));
    }
    Ok(amount)
}

/// Page → worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Get ready before the first keystroke: read the price table and load
    /// o200k_base, which every estimate needs (exact for OpenAI's current
    /// models, the basis of the others' estimates).
    Warm,
    /// The user's price definitions (a farebox price file; empty: none).
    Prices { file: String },
    /// Estimate `input` on each of `models`.
    Estimate {
        id: u32,
        input: String,
        mode: InputMode,
        models: Vec<String>,
        /// `batch`, `flex`, `priority`, or none.
        service_tier: Option<String>,
        /// A per-call limit in USD (decimal text), checked with the core's budget policy.
        limit: Option<String>,
    },
}

/// Worker → page.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's module is instantiated and listening.
    Ready,
    /// o200k_base is loaded ([`Request::Warm`] done): the page may now start
    /// what would compete with the first estimate (the offline cache).
    Warmed,
    /// `done` of `total` models estimated.
    Progress { id: u32, done: usize, total: usize },
    /// Sent first when a model's vocabulary is still downloading: each model
    /// estimated so far, exact or bounded from the text's length
    /// ([`EstimateView::bounded`]); models without bounds are left out.
    /// The [`Response::Estimates`] follows.
    Bounds { id: u32, results: Vec<ModelEstimate> },
    /// Every model's estimate, in the order asked.
    Estimates { id: u32, results: Vec<ModelEstimate>, millis: f64 },
    /// The request itself was unusable (a bad price file, a bad limit).
    Failed { id: Option<u32>, error: Failure },
}

/// A core error, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// One model's estimate, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEstimate {
    /// The name asked for.
    pub requested: String,
    pub result: Result<EstimateView, Failure>,
}

/// What the page shows of a [`farebox_core::Estimate`]; money as exact decimal text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimateView {
    pub model: String,
    pub provider: String,
    pub format: String,
    pub input_tokens: u64,
    pub input_low: u64,
    pub input_high: u64,
    pub exact: bool,
    /// An encoding name, or the basis of the estimate.
    pub method: String,
    pub max_output_tokens: u64,
    pub output_limit: String,
    pub min_cost: String,
    pub max_cost: String,
    pub min_lines: Vec<LineView>,
    pub max_lines: Vec<LineView>,
    pub tier: String,
    /// Usage the model has no price for: the costs are then lower bounds.
    pub unpriced: Vec<String>,
    pub context_window: Option<u64>,
    /// The budget decision under the per-call limit, if one was set (and,
    /// for bounds, if both ends decide alike).
    pub decision: Option<DecisionView>,
    /// Not counted yet: every text at its fewest tokens (`input_low`,
    /// `min_cost`) and at its most (`input_high`, `max_cost`), from its
    /// length, while the vocabulary downloads.
    pub bounded: bool,
}

impl EstimateView {
    /// Whether the prompt surely fits the context window (`None`: unknown
    /// window, or bounds on both sides of it).
    pub fn fits(&self) -> Option<bool> {
        let window = self.context_window?;
        if self.input_high <= window {
            Some(true)
        } else if self.bounded && self.input_low <= window {
            None
        } else {
            Some(false)
        }
    }
}

/// One priced line of a cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub kind: String,
    pub quantity: u64,
    pub unit_price: String,
    pub amount: String,
}

/// A budget decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub allowed: bool,
    pub reason: String,
    pub message: String,
}
