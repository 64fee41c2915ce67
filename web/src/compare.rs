//! The Compare page: the same request on several models, cheapest first.

use farebox_core::Usd;
use leptos::prelude::*;

use crate::bridge::Lane;
use crate::draft::{estimate_on_change, Draft, Outcome};
use crate::estimator::DraftForm;
use crate::protocol::{EstimateView, ModelEstimate};
use crate::store::Store;
use crate::ui::{count, num, text, usd, Row, Table};

#[component]
pub fn ComparePage() -> impl IntoView {
    let draft = expect_context::<Draft>();
    let store = expect_context::<Store>();
    let models = draft.compared;
    let estimates = estimate_on_change(Lane::Compare, draft, move || models.get());
    let adding = RwSignal::new(String::new());
    let add = move || {
        let name = adding.get_untracked().trim().to_string();
        if !name.is_empty() && !models.with_untracked(|m| m.contains(&name)) {
            models.update(|m| m.push(name));
        }
        adding.set(String::new());
    };
    view! {
        <section class="page compare" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare models on the same request"</h2>
            <DraftForm estimates hide_model=true />
            <div class="chips">
                // The list holds only its items (ARIA: a list's children are
                // list items); the form that adds one sits beside it.
                <div class="chip-list" role="list" aria-label="Models compared">
                <For
                    each=move || models.get()
                    key=|m| m.clone()
                    children=move |m| {
                        let label = format!("Remove {m}");
                        let name = m.clone();
                        view! {
                            <span class="chip" role="listitem">
                                {m}
                                <button
                                    type="button"
                                    aria-label=label
                                    on:click=move |_| models.update(|list| list.retain(|x| *x != name))
                                >
                                    "×"
                                </button>
                            </span>
                        }
                    }
                />
                </div>
                <form class="inline" on:submit=move |ev| {
                    ev.prevent_default();
                    add();
                }>
                    <label for="add-model" class="visually-hidden">"Add a model"</label>
                    <input
                        id="add-model"
                        list="model-list"
                        placeholder="add a model"
                        on:focus=move |_| store.list_models()
                        prop:value=move || adding.get()
                        on:input=move |ev| adding.set(event_target_value(&ev))
                    />
                    <button type="submit">"Add"</button>
                </form>
            </div>
            {move || {
                estimates
                    .progress
                    .get()
                    .map(|(done, total)| {
                        view! {
                            <progress max=total value=done aria-label="Models estimated">
                                {format!("{done}/{total}")}
                            </progress>
                        }
                    })
            }}
            {move || match estimates.outcome.get() {
                Outcome::Empty => {
                    view! { <p class="muted">"Type or paste a request above to compare."</p> }.into_any()
                }
                Outcome::Failed { message } => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Outcome::Done { results, .. } => view! { <Comparison results /> }.into_any(),
            }}
        </section>
    }
}

/// Max cost as money, for ordering (exact: parsed from the decimal text).
fn max_cost(e: &EstimateView) -> Usd {
    Usd::parse(&e.max_cost).unwrap_or(Usd::ZERO)
}

/// A hint for each row that fits: the cheapest other model that also fits,
/// if it costs at most half as much.
fn cheaper_hint(row: &EstimateView, fitting: &[&EstimateView]) -> Option<String> {
    let cheapest = fitting.iter().filter(|o| o.model != row.model).min_by_key(|o| max_cost(o))?;
    let (this, other) = (max_cost(row), max_cost(cheapest));
    // other ≤ this / 2, compared exactly: 2·other ≤ this.
    let double = other.checked_add(other).ok()?;
    (double <= this && !this.is_zero()).then(|| format!("{} costs at most half as much", cheapest.model))
}

#[component]
fn Comparison(results: Vec<ModelEstimate>) -> impl IntoView {
    let (mut ok, failed): (Vec<_>, Vec<_>) = results.into_iter().partition(|r| r.result.is_ok());
    ok.sort_by_key(|r| r.result.as_ref().map(max_cost).unwrap_or(Usd::ZERO));
    let estimates: Vec<EstimateView> = ok.into_iter().filter_map(|r| r.result.ok()).collect();
    let fitting: Vec<&EstimateView> = estimates.iter().filter(|e| e.fits() != Some(false)).collect();
    let hints: Vec<Option<String>> =
        estimates.iter().map(|e| if e.fits() == Some(false) { None } else { cheaper_hint(e, &fitting) }).collect();
    let rows: Vec<Row> = estimates
        .into_iter()
        .zip(hints)
        .map(|(e, hint)| {
            let tokens = if e.bounded {
                format!("{}–{}, counting…", count(e.input_low), count(e.input_high))
            } else if e.exact {
                count(e.input_tokens)
            } else {
                format!("≈ {} ({}–{})", count(e.input_tokens), count(e.input_low), count(e.input_high))
            };
            let context = match (e.fits(), e.context_window) {
                (Some(true), Some(w)) => format!("fits ({})", count(w)),
                (Some(false), Some(w)) => format!("too long (max {})", count(w)),
                _ => "unknown".to_string(),
            };
            let class = if e.fits() == Some(false) { "too-long" } else { "" };
            let cells = vec![
                e.model,
                e.provider,
                tokens,
                usd(&e.min_cost),
                usd(&e.max_cost),
                context,
                hint.unwrap_or_default(),
            ];
            Row { cells, class }
        })
        .collect();
    let columns = vec![
        text("Model"),
        text("Provider"),
        num("Input tokens"),
        num("Least"),
        num("Most"),
        text("Context"),
        text("Hint"),
    ];
    view! {
        <Table testid="comparison".into() caption="Cheapest first, by the most the call can cost" columns rows />
        {(!failed.is_empty())
            .then(|| {
                view! {
                    <ul class="errors">
                        {failed
                            .into_iter()
                            .map(|r| {
                                let message = r.result.err().map(|f| f.message).unwrap_or_default();
                                view! {
                                    <li class="error">
                                        <strong>{r.requested}</strong>
                                        ": "
                                        {message}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}
