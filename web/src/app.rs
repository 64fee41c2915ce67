//! The app shell: a header, four pages chosen by the URL's hash, and the
//! state they share.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::compare::ComparePage;
use crate::draft::Draft;
use crate::estimator::EstimatorPage;
use crate::prices::PricesPage;
use crate::store::{self, Store};
use crate::traces::TracesPage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Estimate,
    Compare,
    Traces,
    Prices,
}

impl Page {
    const ALL: [Page; 4] = [Page::Estimate, Page::Compare, Page::Traces, Page::Prices];

    fn hash(self) -> &'static str {
        match self {
            Page::Estimate => "#estimate",
            Page::Compare => "#compare",
            Page::Traces => "#traces",
            Page::Prices => "#prices",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Page::Estimate => "Estimate",
            Page::Compare => "Compare",
            Page::Traces => "Traces",
            Page::Prices => "Prices",
        }
    }

    fn from_hash(hash: &str) -> Page {
        Page::ALL.into_iter().find(|p| p.hash() == hash).unwrap_or(Page::Estimate)
    }
}

fn current_page() -> Page {
    Page::from_hash(&window().location().hash().unwrap_or_default())
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(Store::load());
    provide_context(Draft::default());
    let page = RwSignal::new(current_page());
    let on_hash = Closure::<dyn FnMut()>::new(move || page.set(current_page()));
    window().set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
    on_hash.forget();
    // Which releases the built-in prices are from, e.g. "LiteLLM 1.110.2 of 2026-11-20".
    let sources = store::table()
        .sources()
        .iter()
        .map(|s| match s.name.as_str() {
            "litellm" => format!("LiteLLM {} of {}", s.version, s.date),
            "langfuse" => format!("Langfuse's defaults of {}", s.date),
            other => format!("{other} of {}", s.date),
        })
        .collect::<Vec<_>>()
        .join(" and ");
    view! {
        <header>
            <h1>"farebox"</h1>
            <p class="tagline">"What an LLM call costs, before you make it. Everything runs in this tab; nothing is sent anywhere."</p>
            <nav aria-label="Pages">
                {Page::ALL
                    .into_iter()
                    .map(|p| {
                        view! {
                            <a
                                href=p.hash()
                                aria-current=move || (page.get() == p).then_some("page")
                            >
                                {p.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        </header>
        <main>
            {move || match page.get() {
                Page::Estimate => view! { <EstimatorPage /> }.into_any(),
                Page::Compare => view! { <ComparePage /> }.into_any(),
                Page::Traces => view! { <TracesPage /> }.into_any(),
                Page::Prices => view! { <PricesPage /> }.into_any(),
            }}
        </main>
        <footer class="muted" data-testid="price-sources">{format!("Built-in prices: {sources}.")}</footer>
    }
}
