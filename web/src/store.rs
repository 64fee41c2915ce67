//! The price table the page prices with, and the user's definitions kept in
//! the browser's local storage.
//!
//! The page and its worker each hold a table: the built-in one under the
//! user's definitions. The definitions are stored (and sent to the worker)
//! as a farebox price file, the same format `cargo xtask prices` writes, so
//! a definition round-trips exactly: money stays decimal text throughout.

use std::cell::RefCell;
use std::rc::Rc;

use farebox_core::pricing::{write_price_file, PriceFileFormat, PriceTable};
use farebox_core::{Error, Model, UsageKind, Usd};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::bridge;
use crate::protocol::Request;

const STORAGE_KEY: &str = "farebox.prices.v1";

thread_local! {
    static TABLE: RefCell<Rc<PriceTable>> = RefCell::new(Rc::new(PriceTable::builtin()));
}

/// The current table (cheap to clone; replaced, never mutated, on every change).
pub fn table() -> Rc<PriceTable> {
    TABLE.with(|t| t.borrow().clone())
}

/// The built-in models' price history, beside the app (`cargo xtask serve`
/// copies `core/data/price_history.json` there): fetched only when a dated
/// question is asked (a trace import, a model's price history), never for
/// an estimate.
const HISTORY_URL: &str = "prices/history.bin";

/// Loads the price history into the table, once. The table keeps it through
/// later changes to the user's definitions (they copy the table).
pub async fn ensure_history() -> Result<(), String> {
    if table().has_history() {
        return Ok(());
    }
    let window = web_sys::window().ok_or("no window")?;
    let failed = |e: wasm_bindgen::JsValue| format!("fetching {HISTORY_URL} failed: {e:?}");
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(HISTORY_URL)).await.map_err(failed)?.unchecked_into();
    if !response.ok() {
        return Err(format!("fetching {HISTORY_URL} failed: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?).await.map_err(failed)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let mut next = (*table()).clone();
    next.load_history(&bytes).map_err(|e| e.to_string())?;
    TABLE.with(|t| *t.borrow_mut() = Rc::new(next));
    Ok(())
}

/// A model as the pickers and the price list show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRow {
    pub id: String,
    pub provider: String,
    pub mode: String,
    pub context_window: Option<u64>,
    /// USD per million tokens, exact decimal text ("" when not priced).
    pub input_per_million: String,
    pub output_per_million: String,
    pub cache_read_per_million: String,
    pub user_defined: bool,
    pub source: String,
}

impl ModelRow {
    fn of(model: &Model, user_defined: bool) -> ModelRow {
        let per_million = |kind| per_million(model, kind);
        ModelRow {
            id: model.id.clone(),
            provider: model.provider.clone(),
            mode: serde_json::to_value(model.mode).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            context_window: model.context_window,
            input_per_million: per_million(UsageKind::Input),
            output_per_million: per_million(UsageKind::Output),
            cache_read_per_million: per_million(UsageKind::CacheRead),
            user_defined,
            source: model.source.clone(),
        }
    }
}

/// What every page shares: the model list, re-read whenever the table changes.
#[derive(Clone, Copy)]
pub struct Store {
    pub models: RwSignal<Vec<ModelRow>>,
    /// Whether `models` has been filled (see [`Store::list_models`]).
    listed: StoredValue<bool>,
}

impl Store {
    /// Loads the stored definitions (a bad stored file is dropped with a
    /// console message rather than leaving the app unusable) and tells the worker.
    pub fn load() -> Store {
        let store = Store { models: RwSignal::new(Vec::new()), listed: StoredValue::new(false) };
        if let Some(file) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
            if let Err(e) = store.replace_user_models(|t| t.load(file.as_bytes(), PriceFileFormat::Farebox).map(drop)) {
                web_sys::console::warn_1(&format!("farebox: ignoring the stored price definitions: {e}").into());
            }
        }
        store
    }

    /// Fills the model list, once. It is every model of the table (2,077
    /// built in), each parsed on first use, and the pickers' datalist is as
    /// many elements: 150–300 ms of the page's thread. So it is filled when a
    /// page needs it (the Prices page, a model field focused), or once the
    /// page's first estimate is on screen, never before it.
    pub fn list_models(&self) {
        if !self.listed.get_value() {
            self.refresh();
        }
    }

    /// Applies `change` to a copy of the table; on success the copy becomes the
    /// table, is stored, and goes to the worker. On error nothing changes.
    pub fn replace_user_models(&self, change: impl FnOnce(&mut PriceTable) -> Result<(), Error>) -> Result<(), Error> {
        let mut next = (*table()).clone();
        change(&mut next)?;
        let file = user_file(&next);
        TABLE.with(|t| *t.borrow_mut() = Rc::new(next));
        if let Some(s) = storage() {
            let _ = if file.is_empty() { s.remove_item(STORAGE_KEY) } else { s.set_item(STORAGE_KEY, &file) };
        }
        bridge::post(&Request::Prices { file });
        self.refresh();
        Ok(())
    }

    /// Drops every user definition.
    pub fn reset(&self) {
        let builtin_only = PriceTable::builtin();
        let _ = self.replace_user_models(move |t| {
            *t = builtin_only;
            Ok(())
        });
    }

    /// The user's definitions as a farebox price file ("" when there are none).
    pub fn user_file(&self) -> String {
        user_file(&table())
    }

    fn refresh(&self) {
        self.listed.set_value(true);
        let table = table();
        let user = table.user_models().len();
        let rows = table.models().enumerate().map(|(i, m)| ModelRow::of(m, i < user)).collect();
        self.models.set(rows);
    }
}

fn user_file(table: &PriceTable) -> String {
    if table.user_models().is_empty() {
        return String::new();
    }
    write_price_file(table.user_models(), "", &[], &[])
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// `model`'s price of `kind` per million tokens as exact decimal text ("" when not priced).
pub fn per_million(model: &Model, kind: UsageKind) -> String {
    model.prices.get(kind).and_then(|p| p.checked_mul(1_000_000).ok()).map(|p| p.to_string()).unwrap_or_default()
}

/// A USD-per-million-tokens text as a per-token price, exactly.
pub fn per_token(per_million: &str) -> Result<Usd, String> {
    let text = per_million.trim().trim_start_matches('$');
    let price = Usd::parse(text).map_err(|e| format!("`{per_million}`: {e}"))?;
    if price.is_negative() {
        return Err(format!("`{per_million}` is negative: prices are never negative"));
    }
    price.mul_div_round(1, 1_000_000).map_err(|e| e.to_string())
}
