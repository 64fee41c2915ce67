//! The Estimate page: paste, pick a model, read the cost as you type.

use leptos::prelude::*;

use crate::app::Shell;
use crate::bridge::Lane;
use crate::draft::{estimate_on_change, Draft, Estimates, Outcome};
use crate::protocol::{EstimateView, InputMode, LineView, SERVICE_TIERS};
use crate::share;
use crate::store::Store;
use crate::ui::{count, num, text, usd, Row, Table};

const SAMPLE: &str = r#"{
  "model": "gpt-4o",
  "max_tokens": 500,
  "messages": [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Summarise the causes of the French Revolution in three bullet points."}
  ]
}"#;

#[component]
pub fn EstimatorPage() -> impl IntoView {
    let draft = expect_context::<Draft>();
    draft.follow_body_model();
    let estimates = estimate_on_change(Lane::Estimate, draft, move || vec![draft.model.get()]);
    view! {
        <section class="page estimator" aria-labelledby="estimate-title">
            <h2 id="estimate-title">"Estimate a call before you make it"</h2>
            <div class="columns">
                <DraftForm estimates />
                <EstimateResult estimates />
            </div>
        </section>
    }
}

/// The input and its settings; shared with the Compare page.
#[component]
pub fn DraftForm(
    /// The page's estimates: the model list waits for the first.
    estimates: Estimates,
    #[prop(optional)] hide_model: bool,
) -> impl IntoView {
    let draft = expect_context::<Draft>();
    let store = expect_context::<Store>();
    // A page opened with a request (a link, a kept draft) shows its estimate
    // before the page's thread spends its time listing every model.
    Effect::new(move |_| {
        let answered = estimates.progress.get().is_none() && estimates.outcome.with(|o| *o != Outcome::Empty);
        if answered || draft.input.with(|i| i.trim().is_empty()) {
            set_timeout(move || store.list_models(), std::time::Duration::ZERO);
        }
    });
    let chars = move || draft.input.with(|i| i.len());
    view! {
        <form class="draft" on:submit=|ev| ev.prevent_default()>
            <div class="row">
                <label for="mode">"Input"</label>
                <select
                    id="mode"
                    on:change=move |ev| draft.mode.set(InputMode::from_name(&event_target_value(&ev)))
                    prop:value=move || draft.mode.get().name()
                >
                    {InputMode::ALL
                        .into_iter()
                        .map(|m| view! { <option value=m.name()>{m.label()}</option> })
                        .collect_view()}
                </select>
                <button type="button" class="link" on:click=move |_| {
                    draft.held_back.set(false);
                    draft.replace_input(SAMPLE.to_string());
                }>
                    "Load an example"
                </button>
                <span class="muted" aria-live="polite">{move || format!("{} bytes", count(chars() as u64))}</span>
                <CopyLink />
            </div>
            <label for="input" class="visually-hidden">"Text, message list or request body"</label>
            {move || {
                if draft.held_back.get() {
                    view! { <HeldBack /> }.into_any()
                } else {
                    view! { <InputArea /> }.into_any()
                }
            }}
            <div class="row">
                {(!hide_model)
                    .then(|| {
                        view! {
                            <label for="model">"Model"</label>
                            <input
                                id="model"
                                list="model-list"
                                autocomplete="off"
                                prop:value=move || draft.model.get()
                                on:change=move |ev| draft.model.set(event_target_value(&ev))
                                on:focus=move |_| store.list_models()
                            />
                        }
                    })}
                <label for="tier">"Tier"</label>
                <select
                    id="tier"
                    on:change=move |ev| draft.service_tier.set(event_target_value(&ev))
                    prop:value=move || draft.service_tier.get()
                >
                    <option value="">"standard"</option>
                    {SERVICE_TIERS.map(|t| view! { <option value=t>{t}</option> }).collect_view()}
                </select>
                <label for="limit">"Per-call limit $"</label>
                <input
                    id="limit"
                    inputmode="decimal"
                    placeholder="none"
                    size="8"
                    prop:value=move || draft.limit.get()
                    on:input=move |ev| draft.limit.set(event_target_value(&ev))
                />
            </div>
            <ModelList store />
        </form>
    }
}

/// Copies a link that reproduces the page as it is (the state is in the
/// link's fragment, which no request carries: nothing is uploaded).
#[component]
fn CopyLink() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let shell = expect_context::<Shell>();
    let said = RwSignal::new(String::new());
    let copy = move |_| {
        let link = shell.link(&draft.state_untracked());
        if link.len() > share::MAX_LINK_CHARS {
            said.set(format!(
                "Too large for a link ({} characters; a link holds {}): this draft is kept in this browser only.",
                count(link.len() as u64),
                count(share::MAX_LINK_CHARS as u64)
            ));
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let written = window.navigator().clipboard().write_text(&link);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(written).await {
                Ok(_) => said.set("Link copied. It carries the request itself: whoever has it can read it.".into()),
                Err(_) => said.set("The browser refused the clipboard: copy the address bar instead.".into()),
            }
        });
    };
    view! {
        <button type="button" class="link" data-testid="copy-link" on:click=copy>
            "Copy link"
        </button>
        <span class="muted" role="status" data-testid="copy-status">{move || said.get()}</span>
    }
}

/// Pastes larger than this are kept out of the text box: Chromium spends
/// 0.5–1.7 s laying out a 2.3 MB text area (measured: docs/PERFORMANCE.md),
/// far longer than counting it takes.
pub const HOLD_BACK_BYTES: usize = 512 * 1024;

#[component]
fn InputArea() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else { return };
        if text.len() > HOLD_BACK_BYTES {
            ev.prevent_default();
            draft.replace_input(text);
            draft.held_back.set(true);
        }
    };
    view! {
        <textarea
            id="input"
            rows="14"
            spellcheck="false"
            placeholder="Paste a prompt, a JSON message list, or a whole API request body (OpenAI Chat or Responses, Anthropic Messages, Gemini)"
            prop:value=move || {
                draft.replaced.track();
                draft.input.get_untracked()
            }
            on:input=move |ev| draft.input.set(event_target_value(&ev))
            on:paste=on_paste
        ></textarea>
    }
}

/// Stands in for the text box while a large paste is held back.
#[component]
fn HeldBack() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let size = move || draft.input.with(|i| count(i.chars().count() as u64));
    view! {
        <div class="held-back" id="input" role="group" aria-label="Pasted text">
            <p>
                <strong>{size}" characters pasted"</strong>
                " — counted in full, but not shown, so that the page stays fast."
            </p>
            <button type="button" on:click=move |_| draft.held_back.set(false)>"Show and edit"</button>
            " "
            <button type="button" on:click=move |_| {
                draft.held_back.set(false);
                draft.replace_input(String::new());
            }>"Clear"</button>
        </div>
    }
}

/// The searchable list every model field offers (id, with the provider as its label).
#[component]
fn ModelList(store: Store) -> impl IntoView {
    view! {
        <datalist id="model-list">
            {move || {
                store
                    .models
                    .with(|models| {
                        models
                            .iter()
                            .map(|m| view! { <option value=m.id.clone()>{m.provider.clone()}</option> })
                            .collect_view()
                    })
            }}
        </datalist>
    }
}

#[component]
fn EstimateResult(estimates: Estimates) -> impl IntoView {
    let Estimates { outcome, progress } = estimates;
    view! {
        <div class="result" aria-live="polite" aria-busy=move || progress.get().is_some().to_string()>
            <p class="status" data-testid="status">
                {move || match (progress.get(), outcome.get()) {
                    (Some(_), Outcome::Done { results, .. }) if results.iter().any(|r| r.result.as_ref().is_ok_and(|e| e.bounded)) => {
                        "Bounds from the text's length; counting exactly once the tokenizer has loaded…".to_string()
                    }
                    (Some(_), _) => "Counting…".to_string(),
                    (None, Outcome::Done { millis, .. }) => format!("Counted in {millis:.0} ms, in a worker"),
                    _ => String::new(),
                }}
            </p>
            {move || match outcome.get() {
                Outcome::Empty => view! { <p class="muted">"Type or paste to see the cost."</p> }.into_any(),
                Outcome::Failed { message } => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Outcome::Done { results, .. } => match results.into_iter().next().map(|r| r.result) {
                    Some(Ok(e)) => view! { <EstimateCard e /> }.into_any(),
                    Some(Err(f)) => {
                        view! {
                            <p class="error" role="alert" data-code=f.code>
                                {f.message}
                            </p>
                        }
                            .into_any()
                    }
                    None => ().into_any(),
                },
            }}
        </div>
    }
}

#[component]
fn EstimateCard(e: EstimateView) -> impl IntoView {
    let tokens = if e.bounded {
        format!(
            "{} – {} tokens: bounds from the text's length, before counting",
            count(e.input_low),
            count(e.input_high)
        )
    } else if e.exact {
        format!("{} tokens, exact ({})", count(e.input_tokens), e.method)
    } else {
        format!(
            "≈ {} tokens, estimated: {} – {} ({})",
            count(e.input_tokens),
            count(e.input_low),
            count(e.input_high),
            e.method
        )
    };
    let fits = match e.fits() {
        Some(true) => format!("fits the {}-token context window", count(e.context_window.unwrap_or(0))),
        Some(false) => format!("exceeds the {}-token context window", count(e.context_window.unwrap_or(0))),
        None => "context window unknown".to_string(),
    };
    let decision = e.decision.clone().map(|d| {
        let class = if d.allowed { "decision allow" } else { "decision deny" };
        let head = if d.allowed { "Within the limit" } else { "Would be blocked" };
        view! {
            <p class=class data-testid="decision">
                <strong>{head}</strong>
                ": "
                {d.message}
            </p>
        }
    });
    let unpriced = (!e.unpriced.is_empty()).then(|| {
        view! {
            <p class="error">
                "Not priced for this model: " {e.unpriced.join(", ")}
                " — the costs shown are lower bounds."
            </p>
        }
    });
    view! {
        <div class="card">
            <p class="cost" data-testid="cost">
                <span data-testid="min-cost">{usd(&e.min_cost)}</span>
                " – "
                <span data-testid="max-cost">{usd(&e.max_cost)}</span>
            </p>
            <p data-testid="tokens" data-counted=(!e.bounded).to_string() data-exact=e.exact.to_string()>
                {tokens}
            </p>
            <p class="muted">
                {format!("{} ({}) · {} · {}", e.model, e.provider, e.format, fits)}
            </p>
            <p class="muted">
                {format!(
                    "Output allowance: {} tokens ({})",
                    count(e.max_output_tokens),
                    e.output_limit.replace('_', " "),
                )}
                {(!e.tier.is_empty() && e.tier != "standard").then(|| format!(" · tier {}", e.tier))}
            </p>
            {decision}
            {unpriced}
            <details open>
                <summary>"Breakdown"</summary>
                <Lines caption="Least it can cost (input only, cache hits)" lines=e.min_lines />
                <Lines caption="Most it can cost (all input, cache writes, the whole output allowance)" lines=e.max_lines />
            </details>
        </div>
    }
}

#[component]
fn Lines(caption: &'static str, lines: Vec<LineView>) -> impl IntoView {
    let rows = lines
        .into_iter()
        .map(|l| Row::from(vec![l.kind.replace('_', " "), count(l.quantity), usd(&l.unit_price), usd(&l.amount)]))
        .collect();
    let columns = vec![text("Usage"), num("Tokens"), num("Unit price"), num("Amount")];
    view! { <Table testid="cost-lines".into() caption columns rows /> }
}
