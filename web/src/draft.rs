//! The request being planned, shared by the Estimate and Compare pages, and
//! the debounced, newest-wins path that sends it to the worker.

use std::time::Duration;

use leptos::prelude::*;

use crate::bridge::{self, Lane};
use crate::estimator::HOLD_BACK_BYTES;
use crate::protocol::{InputMode, ModelEstimate, Request, Response};
use crate::share::State;

/// Edits wait this long for a pause before an estimate is asked for.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// What the user is planning.
#[derive(Clone, Copy)]
pub struct Draft {
    /// The text as typed. Typing writes it; the text area reads it back only
    /// when something else changed it (`replaced`), since re-assigning a
    /// megabyte value on every keystroke would cost the page its speed.
    pub input: RwSignal<String>,
    /// Bumped whenever the input is replaced other than by typing.
    pub replaced: RwSignal<u32>,
    /// A large paste is kept out of the text box (see `estimator::HeldBack`).
    pub held_back: RwSignal<bool>,
    pub mode: RwSignal<InputMode>,
    pub model: RwSignal<String>,
    /// "" for the standard tier.
    pub service_tier: RwSignal<String>,
    /// A per-call limit in USD; "" for none.
    pub limit: RwSignal<String>,
    /// The models the Compare page prices, in the order added.
    pub compared: RwSignal<Vec<String>>,
}

impl Default for Draft {
    fn default() -> Draft {
        Draft {
            input: RwSignal::new(String::new()),
            replaced: RwSignal::new(0),
            held_back: RwSignal::new(false),
            mode: RwSignal::new(InputMode::Auto),
            model: RwSignal::new(String::from("gpt-4o")),
            service_tier: RwSignal::new(String::new()),
            limit: RwSignal::new(String::new()),
            compared: RwSignal::new(default_compared()),
        }
    }
}

/// The current flagship and small model of each major maker, as the price
/// table's generator derives them from its data.
pub fn default_compared() -> Vec<String> {
    crate::store::table().featured().iter().map(|m| m.to_string()).collect()
}

impl Draft {
    /// Replaces the input (an example, a file), unlike typing.
    pub fn replace_input(&self, text: String) {
        self.input.set(text);
        self.replaced.update(|n| *n += 1);
    }

    /// The draft as a link or the kept draft hold it (tracked: an effect
    /// that calls this re-runs on every change). The Compare list is kept
    /// only when it differs from the defaults, so that a link stays short.
    pub fn state(&self) -> State {
        let compared = self.compared.get();
        State {
            input: self.input.get(),
            mode: self.mode.get(),
            model: Some(self.model.get()),
            models: (compared != default_compared()).then_some(compared),
            service_tier: self.service_tier.get(),
            limit: self.limit.get(),
        }
    }

    /// [`Draft::state`] without tracking (for an event handler).
    pub fn state_untracked(&self) -> State {
        untrack(|| self.state())
    }

    /// Puts `state` in place, as if the person had entered it. A large
    /// input is kept out of the text box, as a large paste is.
    pub fn apply(&self, state: State) {
        self.held_back.set(state.input.len() > HOLD_BACK_BYTES);
        self.replace_input(state.input);
        self.mode.set(state.mode);
        if let Some(model) = state.model {
            self.model.set(model);
        }
        self.compared.set(state.models.unwrap_or_else(default_compared));
        self.service_tier.set(state.service_tier);
        self.limit.set(state.limit);
    }

    /// Keeps the model picker on the model a pasted request body names, so
    /// that what is shown is what the body asks for; picking another model
    /// afterwards overrides it until the body's model changes. Bodies over
    /// 1 MiB are not parsed on the page (the worker still prices them).
    pub fn follow_body_model(&self) {
        let draft = *self;
        // Starts from the body as it is: a restored draft or a link keeps the
        // model it names even when its body names another.
        let last = StoredValue::new(draft.input.with_untracked(|text| body_model(text)).unwrap_or_default());
        Effect::new(move |_| {
            let named = draft.input.with(|text| body_model(text));
            if let Some(model) = named {
                if model != last.get_value() {
                    last.set_value(model.clone());
                    draft.model.set(model);
                }
            }
        });
    }

    /// The estimate request for `models` (untracked: callers track what they depend on).
    pub fn request(&self, models: Vec<String>) -> Request {
        let optional = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Request::Estimate {
            id: 0,
            input: self.input.get_untracked(),
            mode: self.mode.get_untracked(),
            models,
            service_tier: optional(self.service_tier.get_untracked()),
            limit: optional(self.limit.get_untracked()),
        }
    }
}

/// The `model` a JSON request body names, if it is small enough to look at here.
pub fn body_model(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') || text.len() > 1 << 20 {
        return None;
    }
    // Only the `model` field is kept; the rest is scanned, never built into a tree.
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        model: Option<std::borrow::Cow<'a, str>>,
    }
    let named: Named = serde_json::from_str(trimmed).ok()?;
    let model = named.model?;
    let model = model.trim();
    (!model.is_empty()).then(|| model.to_string())
}

/// A lane's latest answer.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Outcome {
    /// Nothing to estimate (empty input).
    #[default]
    Empty,
    /// Answered in `millis`.
    Done { results: Vec<ModelEstimate>, millis: f64 },
    /// The input or the limit could not be used.
    Failed { message: String },
}

/// A lane's answer and, while a newer one is being computed, its progress
/// (`done` of `total` models); the previous answer stays on screen meanwhile.
#[derive(Clone, Copy)]
pub struct Estimates {
    pub outcome: RwSignal<Outcome>,
    pub progress: RwSignal<Option<(usize, usize)>>,
}

/// Re-estimates whenever the draft or `models` change (after a pause), on
/// `lane`. `models` lists the models to price.
pub fn estimate_on_change(
    lane: Lane,
    draft: Draft,
    models: impl Fn() -> Vec<String> + Send + Sync + 'static,
) -> Estimates {
    let estimates = Estimates { outcome: RwSignal::new(Outcome::Empty), progress: RwSignal::new(None) };
    let Estimates { outcome, progress } = estimates;
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |previous: Option<()>| {
        // Everything the estimate depends on is read here, so the effect tracks it.
        let empty = draft.input.with(|i| i.trim().is_empty());
        draft.mode.track();
        draft.service_tier.track();
        draft.limit.track();
        let models = models();
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        if empty || models.is_empty() {
            outcome.set(Outcome::Empty);
            progress.set(None);
            return;
        }
        let total = models.len();
        progress.set(Some((0, total)));
        let send = move || {
            bridge::submit(lane, draft.request(models), move |response| match response {
                Response::Progress { done, total, .. } => progress.set(Some((done, total))),
                // Shown while the count runs: `progress` stays set until the exact answer.
                Response::Bounds { results, .. } => outcome.set(Outcome::Done { results, millis: 0.0 }),
                Response::Estimates { results, millis, .. } => {
                    progress.set(None);
                    outcome.set(Outcome::Done { results, millis });
                }
                Response::Failed { error, .. } => {
                    progress.set(None);
                    outcome.set(Outcome::Failed { message: error.message });
                }
                Response::Ready | Response::Warmed => {}
            });
        };
        // The page's first estimate (a restored draft or a link) goes at
        // once: there is no typing to wait for.
        if previous.is_none() {
            send();
        } else {
            pending.set_value(set_timeout_with_handle(send, DEBOUNCE).ok());
        }
    });
    estimates
}
