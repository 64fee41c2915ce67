//! Core's results in the shapes the JS API documents (`js/index.d.ts`):
//! camelCase keys, a cost's lines as `breakdown`, amounts as exact decimal
//! strings (core's `Usd` serialises that way). Only shape changes here; every
//! value is core's.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use farebox_core::budget::{Alert, AlertKind, Decision};
use farebox_core::cost::{Cost, CostLine, Unpriced};
use farebox_core::estimate::{Estimate, Range};
use farebox_core::pricing::{Effective, Resolution, Resolved};
use farebox_core::time::Date;
use farebox_core::traces::aggregate::{
    Audit, Discrepancy, Group, PricesAt, PricingNote, Tokens, Totals, TraceCost, WhatIfResult,
};
use farebox_core::traces::{Format, RecordError, Report, SourceCounts, WhatIf};
use farebox_core::{ImportReport, Timestamp, Usd};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostView<'a> {
    model: &'a str,
    provider: &'a str,
    resolution: &'a Resolution,
    user_defined: bool,
    tier: &'a str,
    total: Usd,
    breakdown: Vec<LineView<'a>>,
    unpriced: &'a [Unpriced],
    complete: bool,
    /// With `options.at`: since when the prices used applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    effective: Option<EffectiveView<'a>>,
}

/// When a price applied (core's `Effective`), camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveView<'a> {
    from: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_after: Option<Date>,
    until: Option<Date>,
    seen: &'a str,
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    before_first_known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    delisted: Option<Date>,
}

impl<'a> From<&'a Effective> for EffectiveView<'a> {
    fn from(e: &'a Effective) -> EffectiveView<'a> {
        let Effective { from, changed_after, until, seen, before_first_known, delisted } = e;
        EffectiveView {
            from: *from,
            changed_after: *changed_after,
            until: *until,
            seen,
            before_first_known: *before_first_known,
            delisted: *delisted,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineView<'a> {
    kind: &'a str,
    quantity: u64,
    unit_price: Usd,
    amount: Usd,
    #[serde(skip_serializing_if = "Option::is_none")]
    priced_as: Option<&'static str>,
}

impl<'a> From<&'a CostLine> for LineView<'a> {
    fn from(l: &'a CostLine) -> LineView<'a> {
        LineView {
            kind: &l.kind,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
            priced_as: l.priced_as,
        }
    }
}

impl<'a> From<&'a Cost> for CostView<'a> {
    fn from(c: &'a Cost) -> CostView<'a> {
        CostView {
            model: &c.model,
            provider: &c.provider,
            resolution: &c.resolution,
            user_defined: c.user_defined,
            tier: &c.tier,
            total: c.total,
            breakdown: c.lines.iter().map(LineView::from).collect(),
            unpriced: &c.unpriced,
            complete: c.complete,
            effective: c.effective.as_ref().map(EffectiveView::from),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateView<'a> {
    model: &'a str,
    provider: &'a str,
    format: &'static str,
    input_tokens: Range,
    method: &'a str,
    cache_write_5m_tokens: u64,
    cache_write_1h_tokens: u64,
    max_output_tokens: u64,
    output_limit: farebox_core::estimate::OutputLimit,
    choices: u64,
    prediction_tokens: u64,
    min_cost: Usd,
    max_cost: Usd,
    exact: bool,
    breakdown: Breakdown<'a>,
}

#[derive(Serialize)]
struct Breakdown<'a> {
    min: CostView<'a>,
    max: CostView<'a>,
}

impl<'a> From<&'a Estimate> for EstimateView<'a> {
    fn from(e: &'a Estimate) -> EstimateView<'a> {
        EstimateView {
            model: &e.model,
            provider: &e.provider,
            format: e.format.name(),
            input_tokens: e.input_tokens,
            method: &e.method,
            cache_write_5m_tokens: e.cache_write_5m_tokens,
            cache_write_1h_tokens: e.cache_write_1h_tokens,
            max_output_tokens: e.max_output_tokens,
            output_limit: e.output_limit,
            choices: e.choices,
            prediction_tokens: e.prediction_tokens,
            min_cost: e.min_cost.total,
            max_cost: e.max_cost.total,
            exact: e.exact,
            breakdown: Breakdown { min: (&e.min_cost).into(), max: (&e.max_cost).into() },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView<'a> {
    allow: bool,
    reason: &'static str,
    limit: Option<Usd>,
    estimate: Option<Usd>,
    remaining: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_input_tokens: Option<u64>,
    message: &'a str,
}

impl<'a> From<&'a Decision> for DecisionView<'a> {
    fn from(d: &'a Decision) -> DecisionView<'a> {
        DecisionView {
            allow: d.allow,
            reason: d.reason.name(),
            limit: d.limit,
            estimate: d.estimate,
            remaining: d.remaining,
            key: d.key.as_deref(),
            max_input_tokens: d.max_input_tokens,
            message: &d.message,
        }
    }
}

/// What loading a price file did; the format by the name `Pricing.load` takes.
#[derive(Serialize)]
pub struct LoadReportView<'a> {
    format: &'static str,
    loaded: usize,
    skipped: &'a [farebox_core::pricing::Skipped],
}

impl<'a> From<&'a farebox_core::pricing::LoadReport> for LoadReportView<'a> {
    fn from(r: &'a farebox_core::pricing::LoadReport) -> LoadReportView<'a> {
        use farebox_core::PriceFileFormat as F;
        let format = match r.format {
            F::Auto => "auto",
            F::Farebox => "farebox",
            F::LiteLlm => "litellm",
            F::Langfuse => "langfuse",
        };
        LoadReportView { format, loaded: r.loaded, skipped: &r.skipped }
    }
}

/// A resolved model: how the name was found, and the model's definition
/// (prices per unit by usage kind, tiers in order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelView<'a> {
    id: &'a str,
    provider: &'a str,
    mode: farebox_core::pricing::Mode,
    resolution: &'a Resolution,
    user_defined: bool,
    context_window: Option<u64>,
    max_output_tokens: Option<u64>,
    prices: &'a farebox_core::PriceSet,
    tiers: &'a [farebox_core::pricing::Tier],
    source: &'a str,
}

impl<'a> From<&'a Resolved<'a>> for ModelView<'a> {
    fn from(r: &'a Resolved<'a>) -> ModelView<'a> {
        let m = r.model;
        ModelView {
            id: &m.id,
            provider: &m.provider,
            mode: m.mode,
            resolution: &r.via,
            user_defined: r.user_defined,
            context_window: m.context_window,
            max_output_tokens: m.max_output_tokens,
            prices: &m.prices,
            tiers: &m.tiers,
            source: &m.source,
        }
    }
}

/// JSON text of a view (core's `json_text`: these types always serialise,
/// and a failure would be a bug that says so, never an empty object).
pub fn json<T: Serialize>(value: &T) -> String {
    farebox_core::json_text(value)
}

// ------------------------------------------------------------------ traces
//
// `TraceReport` in index.d.ts. Each view takes its core value apart field by
// field, so a field core renames or adds is a compile error here rather than
// a silent change of the package's shape; `pkg/test/traces.test.mjs` pins
// the whole key set.

/// The trace report: core's analysis with the import's report under
/// `import`; metadata keys as exported (they are data, not field names).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceReportView<'a> {
    import: ImportReportView<'a>,
    totals: TotalsView,
    by_day: Each<'a, Group, GroupView<'a>>,
    by_model: Each<'a, Group, GroupView<'a>>,
    by_provider: Each<'a, Group, GroupView<'a>>,
    by_user: Each<'a, Group, GroupView<'a>>,
    by_session: Each<'a, Group, GroupView<'a>>,
    by_tag: Each<'a, Group, GroupView<'a>>,
    by_trace_name: Each<'a, Group, GroupView<'a>>,
    by_name: Each<'a, Group, GroupView<'a>>,
    by_environment: Each<'a, Group, GroupView<'a>>,
    by_metadata: BTreeMap<&'a str, Each<'a, Group, GroupView<'a>>>,
    top_traces: Each<'a, TraceCost, TraceCostView<'a>>,
    cache_savings: Usd,
    audit: AuditView<'a>,
    what_ifs: Each<'a, WhatIfResult, WhatIfView<'a>>,
    spikes: Each<'a, Alert, AlertView<'a>>,
    /// `[model, count]` pairs.
    unknown_models: &'a [(String, u64)],
    pricing: PricingView<'a>,
    overflow: bool,
}

/// Which day's prices priced the generations (core's `PricingNote`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PricingView<'a> {
    prices_at: &'static str,
    at_earlier_prices: u64,
    undated: u64,
    without_history: u64,
    history: Option<&'a str>,
}

impl<'a> TraceReportView<'a> {
    pub fn new(import: &'a ImportReport, report: &'a Report) -> TraceReportView<'a> {
        let Report {
            totals,
            by_day,
            by_model,
            by_provider,
            by_user,
            by_session,
            by_tag,
            by_trace_name,
            by_name,
            by_environment,
            by_metadata,
            top_traces,
            cache_savings,
            audit,
            what_ifs,
            spikes,
            unknown_models,
            pricing,
            overflow,
            ..
        } = report;
        let PricingNote { prices_at, at_earlier_prices, undated, without_history, history } = pricing;
        TraceReportView {
            import: ImportReportView::from(import),
            totals: TotalsView::from(totals),
            by_day: Each::new(by_day),
            by_model: Each::new(by_model),
            by_provider: Each::new(by_provider),
            by_user: Each::new(by_user),
            by_session: Each::new(by_session),
            by_tag: Each::new(by_tag),
            by_trace_name: Each::new(by_trace_name),
            by_name: Each::new(by_name),
            by_environment: Each::new(by_environment),
            by_metadata: by_metadata.iter().map(|(k, g)| (k.as_str(), Each::new(g))).collect(),
            top_traces: Each::new(top_traces),
            cache_savings: *cache_savings,
            audit: AuditView::from(audit),
            what_ifs: Each::new(what_ifs),
            spikes: Each::new(spikes),
            unknown_models,
            pricing: PricingView {
                prices_at: match prices_at {
                    PricesAt::CallDate => "callDate",
                    PricesAt::Today => "today",
                },
                at_earlier_prices: *at_earlier_prices,
                undated: *undated,
                without_history: *without_history,
                history: history.as_deref(),
            },
            overflow: *overflow,
        }
    }
}

/// A slice written as an array of each item's view, without collecting the
/// views first.
struct Each<'a, T, V>(&'a [T], PhantomData<V>);

impl<'a, T, V> Each<'a, T, V> {
    fn new(items: &'a [T]) -> Each<'a, T, V> {
        Each(items, PhantomData)
    }
}

impl<'a, T, V: From<&'a T> + Serialize> Serialize for Each<'a, T, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(V::from))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportReportView<'a> {
    format: Option<Format>,
    bytes: u64,
    records: u64,
    generations: u64,
    skipped: u64,
    sources: SourcesView,
    errors: Each<'a, RecordError, RecordErrorView<'a>>,
    error_count: u64,
}

impl<'a> From<&'a ImportReport> for ImportReportView<'a> {
    fn from(r: &'a ImportReport) -> ImportReportView<'a> {
        let ImportReport { format, bytes, records, generations, skipped, sources, errors, error_count } = r;
        let SourceCounts { langfuse_traces, langfuse_observations, otel_spans } = *sources;
        ImportReportView {
            format: *format,
            bytes: *bytes,
            records: *records,
            generations: *generations,
            skipped: *skipped,
            sources: SourcesView { langfuse_traces, langfuse_observations, otel_spans },
            errors: Each::new(errors),
            error_count: *error_count,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourcesView {
    langfuse_traces: u64,
    langfuse_observations: u64,
    otel_spans: u64,
}

#[derive(Serialize)]
struct RecordErrorView<'a> {
    record: u64,
    line: u64,
    message: &'a str,
}

impl<'a> From<&'a RecordError> for RecordErrorView<'a> {
    fn from(e: &'a RecordError) -> RecordErrorView<'a> {
        let RecordError { record, line, message } = e;
        RecordErrorView { record: *record, line: *line, message }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TotalsView {
    generations: u64,
    cost: Usd,
    exported_cost: Usd,
    unpriced: u64,
    tokens: TokensView,
}

impl From<&Totals> for TotalsView {
    fn from(t: &Totals) -> TotalsView {
        let Totals { generations, cost, exported_cost, unpriced, tokens } = *t;
        let Tokens { input, cache_read, cache_write, output, reasoning, total } = tokens;
        TotalsView {
            generations,
            cost,
            exported_cost,
            unpriced,
            tokens: TokensView { input, cache_read, cache_write, output, reasoning, total },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokensView {
    input: u64,
    cache_read: u64,
    cache_write: u64,
    output: u64,
    reasoning: u64,
    total: u64,
}

#[derive(Serialize)]
struct GroupView<'a> {
    key: &'a str,
    #[serde(flatten)]
    totals: TotalsView,
}

impl<'a> From<&'a Group> for GroupView<'a> {
    fn from(g: &'a Group) -> GroupView<'a> {
        let Group { key, totals } = g;
        GroupView { key, totals: totals.into() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceCostView<'a> {
    trace_id: &'a str,
    name: Option<&'a str>,
    user: Option<&'a str>,
    first_seen: Option<Timestamp>,
    #[serde(flatten)]
    totals: TotalsView,
}

impl<'a> From<&'a TraceCost> for TraceCostView<'a> {
    fn from(t: &'a TraceCost) -> TraceCostView<'a> {
        let TraceCost { trace_id, name, user, first_seen, totals } = t;
        TraceCostView {
            trace_id,
            name: name.as_deref(),
            user: user.as_deref(),
            first_seen: *first_seen,
            totals: totals.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditView<'a> {
    checked: u64,
    agreeing: u64,
    differing: u64,
    price_changes: u64,
    exported_total: Usd,
    farebox_total: Usd,
    net_difference: Usd,
    discrepancies: Each<'a, Discrepancy, DiscrepancyView<'a>>,
}

impl<'a> From<&'a Audit> for AuditView<'a> {
    fn from(a: &'a Audit) -> AuditView<'a> {
        let Audit {
            checked,
            agreeing,
            differing,
            price_changes,
            exported_total,
            farebox_total,
            net_difference,
            discrepancies,
        } = a;
        AuditView {
            checked: *checked,
            agreeing: *agreeing,
            differing: *differing,
            price_changes: *price_changes,
            exported_total: *exported_total,
            farebox_total: *farebox_total,
            net_difference: *net_difference,
            discrepancies: Each::new(discrepancies),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiscrepancyView<'a> {
    trace_id: Option<&'a str>,
    observation_id: Option<&'a str>,
    line: u64,
    model: &'a str,
    exported: Usd,
    farebox: Usd,
    difference: Usd,
    /// The export used the prices of this other period of the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    price_change: Option<EffectiveView<'a>>,
}

impl<'a> From<&'a Discrepancy> for DiscrepancyView<'a> {
    fn from(d: &'a Discrepancy) -> DiscrepancyView<'a> {
        let Discrepancy { trace_id, observation_id, line, model, exported, farebox, difference, price_change } = d;
        DiscrepancyView {
            trace_id: trace_id.as_deref(),
            observation_id: observation_id.as_deref(),
            line: *line,
            model,
            exported: *exported,
            farebox: *farebox,
            difference: *difference,
            price_change: price_change.as_ref().map(EffectiveView::from),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WhatIfView<'a> {
    scenario: ScenarioView<'a>,
    compared: u64,
    baseline: Usd,
    cost: Usd,
    difference: Usd,
    unpriced: u64,
}

/// `{model: {model, only}}` or `{cacheHitRate: {percent}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum ScenarioView<'a> {
    Model { model: &'a str, only: Option<&'a str> },
    CacheHitRate { percent: u8 },
    TodaysPrices,
}

impl<'a> From<&'a WhatIfResult> for WhatIfView<'a> {
    fn from(w: &'a WhatIfResult) -> WhatIfView<'a> {
        let WhatIfResult { scenario, compared, baseline, cost, difference, unpriced } = w;
        WhatIfView {
            scenario: match scenario {
                WhatIf::Model { model, only } => ScenarioView::Model { model, only: only.as_deref() },
                WhatIf::CacheHitRate { percent } => ScenarioView::CacheHitRate { percent: *percent },
                WhatIf::TodaysPrices => ScenarioView::TodaysPrices,
            },
            compared: *compared,
            baseline: *baseline,
            cost: *cost,
            difference: *difference,
            unpriced: *unpriced,
        }
    }
}

#[derive(Serialize)]
struct AlertView<'a> {
    kind: AlertKind,
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<&'a str>,
    amount: Usd,
    threshold: Usd,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<u32>,
    message: &'a str,
}

impl<'a> From<&'a Alert> for AlertView<'a> {
    fn from(a: &'a Alert) -> AlertView<'a> {
        let Alert { kind, subject, day, amount, threshold, percent, message } = a;
        AlertView {
            kind: *kind,
            subject,
            day: day.as_deref(),
            amount: *amount,
            threshold: *threshold,
            percent: *percent,
            message,
        }
    }
}
