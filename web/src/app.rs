//! The app shell: a header, four pages chosen by the URL's hash, and the
//! state they share.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use farebox_core::traces::Filter;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::compare::ComparePage;
use crate::draft::Draft;
use crate::estimator::EstimatorPage;
use crate::prices::PricesPage;
use crate::share::{self, State};
use crate::store::{self, Store};
use crate::traces::{TraceFilter, TracesPage};

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

    /// The page a fragment names and the state it carries after `?`
    /// (`#compare?v=1&…`), if any.
    fn from_hash(hash: &str) -> (Page, Option<&str>) {
        let (name, query) = match hash.split_once('?') {
            Some((name, query)) => (name, Some(query)),
            None => (hash, None),
        };
        (Page::ALL.into_iter().find(|p| p.hash() == name).unwrap_or(Page::Estimate), query)
    }

    /// Whether the page shows the draft, so that its link carries it.
    fn shows_draft(self) -> bool {
        matches!(self, Page::Estimate | Page::Compare)
    }
}

/// The page shown, and what the page says about the link it was opened with.
#[derive(Clone, Copy)]
pub struct Shell {
    pub page: RwSignal<Page>,
    /// Why the link could not be opened.
    pub link_error: RwSignal<Option<String>>,
    /// Hashes of the fragments this tab wrote into the address: going back to
    /// one is moving through this tab's history, not opening a link, and
    /// must not put an older draft over the edits made since.
    written: StoredValue<HashSet<u64>>,
}

fn fingerprint(query: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    query.hash(&mut hasher);
    hasher.finish()
}

impl Shell {
    /// The link to the current page with `state`, for copying.
    pub fn link(&self, state: &State) -> String {
        let location = window().location();
        let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
        format!("{base}{}?{}", self.page.get_untracked().hash(), share::encode(state))
    }
}

/// The draft kept across reloads: the link's format (see [`share`]).
const DRAFT_KEY: &str = "farebox.draft.v1";

/// Opens the state a link carries; a link that cannot be used leaves the
/// draft as it is and says why.
fn open_link(draft: Draft, shell: Shell, query: &str) -> bool {
    let opened = share::parse(query).and_then(|state| share::check_models(&state, &store::table()).map(|()| state));
    match opened {
        Ok(state) => {
            draft.apply(state);
            shell.link_error.set(None);
            true
        }
        Err(reason) => {
            shell
                .link_error
                .set(Some(format!("This link could not be opened: {reason}. The page shows your last draft instead.")));
            false
        }
    }
}

/// Opens the Traces filter a link carries; a link that cannot be used
/// leaves the filter as it is and says why.
fn open_traces_link(traces: TraceFilter, shell: Shell, query: &str) {
    match share::parse_filter(query) {
        Ok(filter) => {
            traces.open(filter);
            shell.link_error.set(None);
        }
        Err(reason) => {
            shell.link_error.set(Some(format!(
                "This link could not be opened: {reason}. The dashboard's filter is left as it was."
            )));
            // The address shows the filter in force again.
            traces.filter.update(|_| {});
        }
    }
}

/// The history state of the entries whose Traces filter this app wrote:
/// going back or forward to one applies its filter ([`App`]'s hashchange),
/// where a link to `#traces` followed from the page keeps the filter in force.
const FILTER_ENTRY: &str = "farebox-traces-filter";

/// Keeps the Traces filter in the address while that page is shown. A
/// filter the user changed (a row, a crumb, a day) makes a history entry,
/// so that Back undoes it; one the address already shows (a link, Back)
/// or one only written out again replaces the entry, as the draft does.
fn keep_trace_filter(traces: TraceFilter, shell: Shell) {
    Effect::new(move |before: Option<Filter>| {
        let filter = traces.filter.get();
        if shell.page.get() != Page::Traces {
            return filter;
        }
        let location = window().location();
        let current = location.hash().unwrap_or_default();
        // Only while the address still shows that page (see `keep_draft`).
        let (shown, shown_query) = Page::from_hash(&current);
        if shown != Page::Traces {
            return filter;
        }
        let query = share::encode_filter(&filter);
        let hash = if filter.is_empty() { Page::Traces.hash().to_string() } else { format!("#traces?{query}") };
        if current != hash {
            shell.written.update_value(|w| {
                w.insert(fingerprint(&query));
            });
            // The address showed the filter before this change: the user made it.
            let address = filter_in(shown_query);
            let changed_here = before.as_ref().is_some_and(|b| *b != filter && address.as_ref() == Ok(b));
            if let Ok(history) = window().history() {
                let entry = JsValue::from_str(FILTER_ENTRY);
                if changed_here {
                    let _ = history.replace_state(&entry, "");
                    let _ = history.push_state_with_url(&entry, "", Some(&hash));
                } else {
                    let state = history.state().unwrap_or(JsValue::NULL);
                    let _ = history.replace_state_with_url(&state, "", Some(&hash));
                }
            }
        }
        filter
    });
}

/// Back or forward to an entry whose filter this app wrote: that filter
/// (none for `#traces` alone).
fn follow_filter_entry(traces: TraceFilter, query: Option<&str>) -> bool {
    let ours = window().history().ok().and_then(|h| h.state().ok()).and_then(|s| s.as_string());
    if ours.as_deref() != Some(FILTER_ENTRY) {
        return false;
    }
    let Ok(filter) = filter_in(query) else { return false };
    if traces.filter.with_untracked(|f| *f != filter) {
        traces.filter.set(filter);
    }
    true
}

/// The filter a Traces address carries: none without a query.
fn filter_in(query: Option<&str>) -> Result<Filter, String> {
    query.map_or(Ok(Filter::default()), share::parse_filter)
}

/// The draft from the last visit, if it was kept and is still readable.
fn restore_draft(draft: Draft) {
    let Some(storage) = window().local_storage().ok().flatten() else { return };
    let Some(kept) = storage.get_item(DRAFT_KEY).ok().flatten() else { return };
    match share::parse(&kept) {
        Ok(state) => draft.apply(state),
        Err(reason) => {
            web_sys::console::warn_1(&format!("farebox: the kept draft is dropped: {reason}").into());
            let _ = storage.remove_item(DRAFT_KEY);
        }
    }
}

/// Writing waits for a pause in typing: packing a large input is work.
const KEEP_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// Keeps the draft in local storage and, on the pages that show it, in the
/// address bar (replaced, not pushed: typing makes no history entries).
fn keep_draft(draft: Draft, shell: Shell) {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let state = draft.state();
        let page = shell.page.get();
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let write = move || {
            let query = share::encode(&state);
            shell.written.update_value(|w| {
                w.insert(fingerprint(&query));
            });
            if let Some(storage) = window().local_storage().ok().flatten() {
                if storage.set_item(DRAFT_KEY, &query).is_err() {
                    web_sys::console::warn_1(&"farebox: the draft is too large to keep in this browser".into());
                    let _ = storage.remove_item(DRAFT_KEY);
                }
            }
            // Only while the address still shows that page: a link followed
            // since (its hashchange not yet handled) must not be written over.
            let shown = Page::from_hash(&window().location().hash().unwrap_or_default()).0;
            if page.shows_draft() && shown == page {
                let hash = if query.len() <= share::MAX_LINK_CHARS {
                    format!("{}?{query}", page.hash())
                } else {
                    page.hash().to_string()
                };
                if let Ok(history) = window().history() {
                    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
                }
            }
        };
        pending.set_value(set_timeout_with_handle(write, KEEP_DELAY).ok());
    });
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(Store::load());
    let draft = Draft::default();
    provide_context(draft);
    let traces = TraceFilter::new();
    provide_context(traces);
    let hash = window().location().hash().unwrap_or_default();
    let (first, query) = Page::from_hash(&hash);
    let shell = Shell {
        page: RwSignal::new(first),
        link_error: RwSignal::new(None),
        written: StoredValue::new(HashSet::new()),
    };
    provide_context(shell);
    // A link's state beats the kept draft; a link that cannot be opened
    // leaves the kept draft in place. A Traces link carries that page's filter.
    match query {
        Some(q) if first == Page::Traces => {
            open_traces_link(traces, shell, q);
            restore_draft(draft);
        }
        Some(q) if open_link(draft, shell, q) => {}
        _ => restore_draft(draft),
    }
    keep_draft(draft, shell);
    keep_trace_filter(traces, shell);
    let page = shell.page;
    let on_hash = Closure::<dyn FnMut()>::new(move || {
        let hash = window().location().hash().unwrap_or_default();
        let (next, query) = Page::from_hash(&hash);
        // The same page again (a link to it, or a filter rewritten) is not
        // drawn anew: the Traces page would lose its dashboard.
        if page.get_untracked() != next {
            page.set(next);
        }
        if next == Page::Traces && follow_filter_entry(traces, query) {
            shell.link_error.set(None);
            return;
        }
        match query {
            Some(query) if !shell.written.with_value(|w| w.contains(&fingerprint(query))) => {
                if next == Page::Traces {
                    open_traces_link(traces, shell, query);
                } else {
                    open_link(draft, shell, query);
                }
            }
            // Back or forward to a page of this tab: the draft stays as it is
            // now (and the address is rewritten with it).
            _ => shell.link_error.set(None),
        }
    });
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
            {move || {
                shell
                    .link_error
                    .get()
                    .map(|message| {
                        view! {
                            <div class="notice error" role="alert" data-testid="link-error">
                                <p>{message}</p>
                                <button type="button" on:click=move |_| shell.link_error.set(None)>
                                    "Dismiss"
                                </button>
                            </div>
                        }
                    })
            }}
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
