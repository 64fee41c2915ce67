//! The Prices page: browse and search the table; add or override a model;
//! load a LiteLLM, Langfuse or farebox price file. Kept in local storage.

use farebox_core::pricing::{PriceFileFormat, MAKERS};
use farebox_core::{Model, UsageKind, Usd};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::price_history::{LatestChanges, PriceHistory};
use crate::store::{per_token, ModelRow, Store};
use crate::ui::{count, download, num, text, usd, Column, Row, Table};

/// Rows shown at once; the search narrows the rest.
const SHOWN: usize = 100;

/// How the list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    /// Your definitions, then the makers' own APIs, then everyone else; by id within each.
    MakersFirst,
    InputAscending,
    OutputAscending,
    OutputDescending,
}

impl Order {
    const ALL: [(Order, &'static str, &'static str); 4] = [
        (Order::MakersFirst, "makers", "Makers' own APIs first"),
        (Order::InputAscending, "input", "Input price, cheapest first"),
        (Order::OutputAscending, "output", "Output price, cheapest first"),
        (Order::OutputDescending, "output-desc", "Output price, dearest first"),
    ];
}

/// 0 for a definition of yours, 1 for a maker's own API, 2 for the rest.
fn standing(m: &ModelRow) -> u8 {
    if m.user_defined {
        0
    } else if MAKERS.contains(&m.provider.as_str()) {
        1
    } else {
        2
    }
}

/// A per-million price as a sort key: priced first, by price; unpriced last.
fn price_key(text: &str) -> (bool, Usd) {
    Usd::parse(text).map_or((true, Usd::ZERO), |price| (false, price))
}

/// Orders the list; each row's price is parsed once per sort.
fn sort(rows: &mut [ModelRow], order: Order) {
    match order {
        Order::MakersFirst => rows.sort_by(|a, b| (standing(a), &a.id).cmp(&(standing(b), &b.id))),
        Order::InputAscending => rows.sort_by_cached_key(|m| price_key(&m.input_per_million)),
        Order::OutputAscending => rows.sort_by_cached_key(|m| price_key(&m.output_per_million)),
        Order::OutputDescending => rows.sort_by_cached_key(|m| {
            let (unpriced, price) = price_key(&m.output_per_million);
            (unpriced, core::cmp::Reverse(price))
        }),
    }
}

#[component]
pub fn PricesPage() -> impl IntoView {
    let store = expect_context::<Store>();
    // After the page's first paint.
    set_timeout(move || store.list_models(), std::time::Duration::ZERO);
    let query = RwSignal::new(String::new());
    let provider = RwSignal::new(String::new());
    let order = RwSignal::new(Order::MakersFirst);
    // Providers for the filter: the makers' own APIs first, then the rest by name.
    let providers = Memo::new(move |_| {
        let mut all: Vec<String> = store.models.with(|models| models.iter().map(|m| m.provider.clone()).collect());
        all.sort_by(|a, b| {
            let rank = |p: &str| MAKERS.iter().position(|m| *m == p).unwrap_or(MAKERS.len());
            rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
        });
        all.dedup();
        all
    });
    let matches = Memo::new(move |_| {
        let q = query.get().to_ascii_lowercase();
        let only = provider.get();
        let mut hits: Vec<ModelRow> = store.models.with(|models| {
            models
                .iter()
                .filter(|m| only.is_empty() || m.provider == only)
                .filter(|m| {
                    q.split_whitespace().all(|w| m.id.to_ascii_lowercase().contains(w) || m.provider.contains(w))
                })
                .cloned()
                .collect()
        });
        sort(&mut hits, order.get());
        hits
    });
    view! {
        <section class="page prices" aria-labelledby="prices-title">
            <h2 id="prices-title">"Prices"</h2>
            <ModelForm store />
            <FileLoader store />
            <PriceHistory />
            <LatestChanges />
            <div class="row">
                <label for="search">"Search"</label>
                <input
                    id="search"
                    type="search"
                    placeholder="e.g. claude sonnet, gemini flash, azure"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <label for="provider-filter">"Provider"</label>
                <select id="provider-filter" on:change=move |ev| provider.set(event_target_value(&ev))>
                    <option value="">"All providers"</option>
                    {move || providers.get().into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                </select>
                <label for="price-order">"Order"</label>
                <select
                    id="price-order"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if let Some((o, _, _)) = Order::ALL.iter().find(|(_, v, _)| *v == value) {
                            order.set(*o);
                        }
                    }
                >
                    {Order::ALL.iter().map(|(_, value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
                <span class="muted" aria-live="polite">
                    {move || {
                        let n = matches.with(Vec::len);
                        format!("{} of {} models", count(n as u64), count(store.models.with(Vec::len) as u64))
                    }}
                </span>
            </div>
            {move || {
                let rows: Vec<Row> = matches.with(|models| models.iter().take(SHOWN).map(price_row).collect());
                view! {
                    <Table
                        testid="price-table".into()
                        caption="USD per million tokens, as each source wrote them. Your definitions come first and win over the built-in prices."
                        columns=PRICE_COLUMNS.to_vec()
                        rows
                    />
                }
            }}
        </section>
    }
}

const PRICE_COLUMNS: [Column; 8] = [
    text("Model"),
    text("Provider"),
    text("Mode"),
    num("Context"),
    num("Input"),
    num("Output"),
    num("Cache read"),
    text("Source"),
];

fn price_row(m: &ModelRow) -> Row {
    let price = |p: &str| if p.is_empty() { "–".to_string() } else { usd(p) };
    Row {
        cells: vec![
            m.id.clone(),
            m.provider.clone(),
            m.mode.clone(),
            m.context_window.map(count).unwrap_or_default(),
            price(&m.input_per_million),
            price(&m.output_per_million),
            price(&m.cache_read_per_million),
            if m.user_defined { "yours".to_string() } else { m.source.clone() },
        ],
        class: if m.user_defined { "user" } else { "" },
    }
}

/// Add a model, or override one by giving its id.
#[component]
fn ModelForm(store: Store) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let input = RwSignal::new(String::new());
    let output = RwSignal::new(String::new());
    let cache_read = RwSignal::new(String::new());
    let context = RwSignal::new(String::new());
    let max_output = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move || {
        let result = build_model(
            &id.get_untracked(),
            [&input, &output, &cache_read].map(|s| s.get_untracked()),
            [&context, &max_output].map(|s| s.get_untracked()),
        )
        .and_then(|model| {
            let name = model.id.clone();
            store.replace_user_models(|t| t.add_model(model)).map(|()| name).map_err(|e| e.to_string())
        });
        message.set(Some(
            result.map(|name| format!("Saved `{name}`: it now wins over any built-in price for that name.")),
        ));
    };
    let field = |id_: &'static str, label: &'static str, signal: RwSignal<String>, hint: &'static str| {
        view! {
            <label for=id_>{label}</label>
            <input id=id_ placeholder=hint prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) />
        }
    };
    view! {
        <details class="card">
            <summary>"Add or override a model"</summary>
            <form class="grid" on:submit=move |ev| {
                ev.prevent_default();
                save();
            }>
                {field("new-id", "Model id", id, "my-finetune or gpt-4o")}
                {field("new-input", "Input $/1M", input, "2.50")}
                {field("new-output", "Output $/1M", output, "10")}
                {field("new-cache", "Cache read $/1M", cache_read, "optional")}
                {field("new-context", "Context window", context, "optional, tokens")}
                {field("new-max-output", "Max output tokens", max_output, "needed when requests set no limit")}
                <button type="submit">"Save"</button>
                <button type="button" class="link" on:click=move |_| {
                    store.reset();
                    message.set(Some(Ok("Removed all your definitions.".into())));
                }>"Remove all my definitions"</button>
                <button type="button" class="link" on:click=move |_| download("farebox-prices.json", "application/json", &store.user_file())>
                    "Export my definitions"
                </button>
            </form>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="ok" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
            })}
        </details>
    }
}

/// A model from the form: `[input, output, cache read]` in USD per million
/// tokens, `[context window, max output]` in tokens; empty optional fields are absent.
fn build_model(
    id: &str,
    [input, output, cache_read]: [String; 3],
    [context, max_output]: [String; 2],
) -> Result<Model, String> {
    let id = id.trim();
    if id.is_empty() {
        return Err("give the model an id".into());
    }
    let mut model = Model::simple(id, per_token(&input)?, per_token(&output)?, false);
    if !cache_read.trim().is_empty() {
        model.prices.set(UsageKind::CacheRead, per_token(&cache_read)?);
    }
    model.context_window = tokens("context window", &context)?;
    model.max_output_tokens = tokens("max output", &max_output)?;
    model.source = "user".into();
    Ok(model)
}

/// An optional whole number of tokens (`128,000` and `128_000` are accepted).
fn tokens(what: &str, text: &str) -> Result<Option<u64>, String> {
    let digits = text.trim().replace(['_', ','], "");
    if digits.is_empty() {
        return Ok(None);
    }
    digits.parse::<u64>().map(Some).map_err(|_| format!("the {what} `{text}` is not a whole number of tokens"))
}

/// Load a whole price file (LiteLLM, Langfuse or farebox; detected).
#[component]
fn FileLoader(store: Store) -> impl IntoView {
    let message = RwSignal::new(None::<Result<String, String>>);
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        spawn_local(async move {
            let text = match JsFuture::from(file.text()).await {
                Ok(t) => t.as_string().unwrap_or_default(),
                Err(_) => return message.set(Some(Err(format!("could not read {}", file.name())))),
            };
            let mut report = None;
            let result = store.replace_user_models(|t| {
                report = Some(t.load(text.as_bytes(), PriceFileFormat::Auto)?);
                Ok(())
            });
            message.set(Some(match (result, report) {
                (Ok(()), Some(r)) => Ok(format!(
                    "Loaded {} models from {} ({:?} format){}.",
                    r.loaded,
                    file.name(),
                    r.format,
                    if r.skipped.is_empty() { String::new() } else { format!("; skipped {}", r.skipped.len()) }
                )),
                (Err(e), _) => Err(e.to_string()),
                (Ok(()), None) => Err("nothing loaded".into()),
            }));
        });
    };
    view! {
        <div class="row">
            <label for="price-file">"Load a price file (LiteLLM, Langfuse or farebox JSON)"</label>
            <input id="price-file" type="file" accept=".json,application/json" on:change=on_pick />
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="ok" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
            })}
        </div>
    }
}
