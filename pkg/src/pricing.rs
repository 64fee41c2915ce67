//! Prices, estimates, budgets and traces: the exports of the package's main
//! module beyond counting (the `pricing` feature; the `farebox/tokenizer`
//! module is built without it).
//!
//! Values cross the boundary as JSON text rather than through
//! serde-wasm-bindgen: core already links serde_json and takes JSON as bytes
//! (so nothing is added to the module), amounts must stay decimal strings
//! either way, and one `JSON.parse` of a result is cheaper in V8 than the
//! one-call-per-field object building serde-wasm-bindgen does.
//!
//! State: the built-in price table is parsed once, on first use (never for a
//! call that only counts tokens). `Prices` objects hold user-defined tables;
//! a `TraceImport` holds the table it prices with for as long as it runs.

use std::rc::Rc;
use std::sync::OnceLock;

use farebox_core::budget::{Budget, Ledger, MemoryLedger, Scope};
use farebox_core::estimate::{count_prompt, estimate, estimate_text, EstimateOptions};
use farebox_core::traces::{Analyzer, Importer};
use farebox_core::{PriceTable, Usd};
use wasm_bindgen::prelude::*;

use crate::error::{self, Failure};
use crate::{input, tokenizers, view};

static BUILTIN: OnceLock<PriceTable> = OnceLock::new();
/// The built-in table with its price history, once `loadPriceHistory` ran:
/// from then on the table every call without its own prices uses.
static BUILTIN_DATED: OnceLock<PriceTable> = OnceLock::new();

fn builtin() -> &'static PriceTable {
    BUILTIN_DATED.get().unwrap_or_else(|| BUILTIN.get_or_init(PriceTable::builtin))
}

/// Loads the built-in models' price history (the package's
/// `prices/history.bin`), for costs on a past day; returns what it holds as
/// JSON. Loading it again changes nothing.
#[wasm_bindgen(js_name = loadPriceHistory)]
pub fn load_price_history(bytes: &[u8]) -> Result<String, Failure> {
    let mut dated = builtin().clone();
    let summary = dated.load_history(bytes)?;
    let _ = BUILTIN_DATED.set(dated);
    Ok(view::json(&summary))
}

#[wasm_bindgen(js_name = isPriceHistoryLoaded)]
pub fn is_price_history_loaded() -> bool {
    BUILTIN_DATED.get().is_some()
}

/// A price table: the built-in one, or a user's (built-in plus their own
/// definitions, or only their own).
#[wasm_bindgen]
pub struct Prices {
    /// `None`: the shared built-in table, until the first definition copies it.
    /// Shared with the trace imports started from it; a definition added
    /// while one runs copies the table, so an import prices with one table
    /// from its first chunk to its report.
    own: Option<Rc<PriceTable>>,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices::new(true)
    }
}

#[wasm_bindgen]
impl Prices {
    /// `builtin`: start from the built-in table (user definitions beat it);
    /// otherwise from an empty one.
    #[wasm_bindgen(constructor)]
    pub fn new(builtin: bool) -> Prices {
        Prices { own: (!builtin).then(|| Rc::new(PriceTable::empty())) }
    }

    fn table(&self) -> &PriceTable {
        self.own.as_deref().unwrap_or_else(|| builtin())
    }

    fn table_mut(&mut self) -> &mut PriceTable {
        Rc::make_mut(self.own.get_or_insert_with(|| Rc::new(builtin().clone())))
    }

    /// Loads a LiteLLM, Langfuse or farebox price file (`format`: `auto`,
    /// `litellm`, `langfuse`, `farebox`) as user definitions. Returns the
    /// load report as JSON.
    pub fn load(&mut self, text: &str, format: &str) -> Result<String, Failure> {
        let format = input::price_file_format(format)?;
        let report = self.table_mut().load(text.as_bytes(), format)?;
        Ok(view::json(&view::LoadReportView::from(&report)))
    }

    /// Langfuse's `create_model`, from a JSON `{name, matchPattern?, unit?,
    /// inputPrice, outputPrice}`.
    #[wasm_bindgen(js_name = createModel)]
    pub fn create_model(&mut self, definition: &str) -> Result<(), Failure> {
        let d: input::ModelDefinition = error::from_json("the model definition", definition)?;
        self.table_mut().create_model(&d.name, &d.match_pattern, &d.unit, &d.input_price.0, &d.output_price.0)?;
        Ok(())
    }

    /// The model a name resolves to, as JSON.
    pub fn resolve(&self, name: &str) -> Result<String, Failure> {
        let resolved = self.table().resolve(name)?;
        Ok(view::json(&view::ModelView::from(&resolved)))
    }

    /// Loads a price history into this table (see [`load_price_history`]).
    #[wasm_bindgen(js_name = loadHistory)]
    pub fn load_history(&mut self, bytes: &[u8]) -> Result<String, Failure> {
        let summary = self.table_mut().load_history(bytes)?;
        Ok(view::json(&summary))
    }

    /// The day the built-in prices were taken; empty for an empty table.
    pub fn snapshot(&self) -> String {
        self.table().snapshot().to_string()
    }

    /// The cost of a provider usage object or whole response body (JSON text).
    #[wasm_bindgen(js_name = costOfUsage)]
    pub fn cost_of_usage(&self, model: Option<String>, usage: &str, options: &str) -> Result<String, Failure> {
        let (format, cost_options) = input::parse::<input::UsageOptions>("options", options)?.into_core()?;
        let cost = self.table().cost_of_usage_json(model.as_deref(), usage.as_bytes(), format, &cost_options)?;
        Ok(view::json(&view::CostView::from(&cost)))
    }

    /// The pre-call estimate of a request body (JSON text).
    #[wasm_bindgen(js_name = estimateCost)]
    pub fn estimate_cost(&self, body: &str, options: &str) -> Result<String, Failure> {
        let options = input::parse::<input::EstimateInput>("options", options)?.into_core()?;
        let estimate = estimate(self.table(), tokenizers(), body.as_bytes(), &options)?;
        Ok(view::json(&view::EstimateView::from(&estimate)))
    }

    /// The tokens `text` is as a model's prompt text: exact for models with
    /// an OpenAI encoding, otherwise core's calibrated estimate with its
    /// bounds ([`estimate_text`]).
    #[wasm_bindgen(js_name = estimateTokens)]
    pub fn estimate_tokens(&self, text: &str, model: &str) -> Result<String, Failure> {
        Ok(view::json(&estimate_text(self.table(), tokenizers(), text, model)?))
    }

    /// The prompt tokens of a request body (JSON text): what
    /// [`Prices::estimate_cost`] counts, without pricing it ([`count_prompt`]).
    #[wasm_bindgen(js_name = countChatTokens)]
    pub fn count_chat_tokens(&self, body: &str, model: Option<String>) -> Result<String, Failure> {
        let options = EstimateOptions { model, ..EstimateOptions::default() };
        Ok(view::json(&count_prompt(self.table(), tokenizers(), body.as_bytes(), &options)?))
    }

    /// Decides a planned call under a policy, given what has been spent in
    /// the call's session, user day, user month and org day. A scope with
    /// spend but no id on the call is kept under the id `current`.
    #[wasm_bindgen(js_name = checkBudget)]
    pub fn check_budget(&self, call: &str, policy: &str, spent: &str) -> Result<String, Failure> {
        let mut call = error::from_json::<input::CallInput>("call", call)?.into_core()?;
        let policy = farebox_core::Policy::from_json(policy.as_bytes()).map_err(farebox_core::Error::from)?;
        let spent: input::Spent = input::parse("spent", spent)?;
        spent.validate()?;
        let current = || Some(String::from("current"));
        if spent.session.is_some() && call.session.is_none() {
            call.session = current();
        }
        if (spent.user_day.is_some() || spent.user_month.is_some()) && call.user.is_none() {
            call.user = current();
        }
        if spent.org_day.is_some() && call.org.is_none() {
            call.org = current();
        }
        let budget = Budget::new(policy);
        let mut ledger = MemoryLedger::new();
        for key in budget.keys(&call) {
            let amount = match key.scope {
                Scope::Session => spent.session,
                Scope::UserDay => spent.user_day,
                Scope::UserMonth => spent.user_month,
                Scope::OrgDay => spent.org_day,
            };
            ledger.record(&key, amount.unwrap_or(Usd::ZERO)).map_err(farebox_core::Error::from)?;
        }
        let decision = budget.check(self.table(), &call, &ledger).map_err(farebox_core::Error::from)?;
        Ok(view::json(&view::DecisionView::from(&decision)))
    }

    /// Starts a trace import priced with this table: chunks go in with
    /// `pushBytes` / `pushText` as they arrive, the report comes out of
    /// `finish`. The export is never held whole: core's importer streams it.
    #[wasm_bindgen(js_name = traceImport)]
    pub fn trace_import(&self, options: &str) -> Result<TraceImport, Failure> {
        let (import_options, analysis_options) =
            input::parse::<input::TraceOptions>("options", options)?.into_core()?;
        let owner = match &self.own {
            Some(table) => TableOwner::Own(Rc::clone(table)),
            None => TableOwner::Builtin,
        };
        let cell = ImportCell::new(owner, |owner| {
            Some(Importer::with_sink(import_options, Analyzer::new(owner.table(), analysis_options)))
        });
        Ok(TraceImport { cell })
    }
}

/// The table a trace import prices with, owned by the import so that JS can
/// drive it across awaits (the `Analyzer` borrows the table and keeps
/// references to the models it resolved).
enum TableOwner {
    Builtin,
    Own(Rc<PriceTable>),
}

impl TableOwner {
    fn table(&self) -> &PriceTable {
        match self {
            TableOwner::Builtin => builtin(),
            TableOwner::Own(table) => table,
        }
    }
}

/// `None` only once `finish` has taken the importer out (which consumes the
/// `TraceImport`, so no call sees it).
type Running<'t> = Option<Importer<Analyzer<'t>>>;

self_cell::self_cell!(
    /// The importer beside the table it borrows (a self-referential pair,
    /// which self_cell builds without unsafe code here).
    struct ImportCell {
        owner: TableOwner,
        #[covariant]
        dependent: Running,
    }
);

/// A trace import in progress (see [`Prices::trace_import`]). JS pushes the
/// chunks of a string, bytes, a stream or an async iterable in order; any
/// chunking of the same bytes gives the same report, and a chunk may end in
/// the middle of a record or of a UTF-8 character.
#[wasm_bindgen]
pub struct TraceImport {
    cell: ImportCell,
}

#[wasm_bindgen]
impl TraceImport {
    /// Reads the next chunk of bytes.
    #[wasm_bindgen(js_name = pushBytes)]
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        self.push(chunk);
    }

    /// Reads the next chunk of text (as its UTF-8 bytes).
    #[wasm_bindgen(js_name = pushText)]
    pub fn push_text(&mut self, chunk: &str) {
        self.push(chunk.as_bytes());
    }

    fn push(&mut self, chunk: &[u8]) {
        self.cell.with_dependent_mut(|_, running| running.as_mut().expect(RUNNING).push(chunk));
    }

    /// How far the import has come, as JSON `{bytes, records, generations, errors}`.
    pub fn progress(&self) -> String {
        view::json(&self.cell.borrow_dependent().as_ref().expect(RUNNING).progress())
    }

    /// Ends the input and returns the trace report as JSON.
    pub fn finish(mut self) -> String {
        self.cell.with_dependent_mut(|_, running| {
            let (import, analyzer) = running.take().expect(RUNNING).finish();
            trace_report_json(&import, &analyzer.finish())
        })
    }
}

const RUNNING: &str = "a TraceImport's importer is only taken by `finish`, which consumes it";

/// The trace report as the JS API documents it ([`view::TraceReportView`]).
fn trace_report_json(import: &farebox_core::ImportReport, report: &farebox_core::traces::Report) -> String {
    view::json(&view::TraceReportView::new(import, report))
}
