//! The Traces page: import an exported trace file, then the dashboard.
//!
//! The file is read in 1 MiB slices and pushed through the core's streaming
//! [`Importer`] into an [`Analyzer`]: memory stays at the analysis (never the
//! whole file), and between slices the browser paints the progress bar and
//! handles input, so a 100 MB export does not freeze the page.

use std::sync::Arc;

use farebox_core::budget::{Budget, Policy};
use farebox_core::time::Date;
use farebox_core::traces::aggregate::Group;
use farebox_core::traces::export::{groups_csv, groups_json, records_csv};
use farebox_core::traces::{AnalysisOptions, Analyzer, DayRange, Dimension, Filter, Report};
use farebox_core::{ImportOptions, ImportReport, Importer};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::chart::{self, Datum, Unit};
use crate::store;
use crate::ui::{calls, count, num, text, usd, Column, ExportButtons, Row, Table};

const SLICE: f64 = (1 << 20) as f64;

/// An imported file and its analysis.
pub struct Dashboard {
    pub name: String,
    pub import: ImportReport,
    pub report: Report,
    pub millis: f64,
}

/// The Traces view's filter (drill-down chain and date range): the app's,
/// so that it outlives the view and a dashboard, and the address carries
/// it (`app.rs`, `share::encode_filter`).
#[derive(Clone, Copy)]
pub struct TraceFilter {
    pub filter: RwSignal<Filter>,
    /// Set by a link (or a reload) that carried a filter: the next import
    /// keeps it. Any other import starts from all calls.
    pub pending: StoredValue<bool>,
}

impl TraceFilter {
    pub fn new() -> TraceFilter {
        TraceFilter { filter: RwSignal::new(Filter::default()), pending: StoredValue::new(false) }
    }

    /// Applies a filter a link carried.
    pub fn open(&self, filter: Filter) {
        self.filter.set(filter);
        self.pending.set_value(true);
    }
}

impl Default for TraceFilter {
    fn default() -> TraceFilter {
        TraceFilter::new()
    }
}

/// Import progress: bytes read of the file's size, records so far.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reading {
    bytes: f64,
    size: f64,
    records: u64,
}

#[component]
pub fn TracesPage() -> impl IntoView {
    let dashboard = RwSignal::new(None::<Arc<Dashboard>>);
    let reading = RwSignal::new(None::<Reading>);
    let error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let traces = expect_context::<TraceFilter>();
    let start = move |file: web_sys::File| {
        error.set(None);
        spawn_local(async move {
            match import(file, reading).await {
                Ok(d) => {
                    // A link's filter waits for this import; otherwise a new file starts from all calls.
                    if !traces.pending.get_value() {
                        traces.filter.set(Filter::default());
                    }
                    traces.pending.set_value(false);
                    dashboard.set(Some(Arc::new(d)));
                }
                Err(e) => error.set(Some(e)),
            }
            reading.set(None);
        });
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            start(file);
        }
    };
    // A file dropped anywhere on this view is imported: the listeners are
    // the window's while the view is shown. Without them, a file dropped
    // beside the box would make the browser navigate away to show it.
    let depth = StoredValue::new(0i32);
    let carries_files = |ev: &web_sys::DragEvent| {
        ev.data_transfer().is_some_and(|d| d.types().includes(&wasm_bindgen::JsValue::from_str("Files"), 0))
    };
    let listeners = [
        window_event_listener(leptos::ev::dragenter, move |ev| {
            if carries_files(&ev) {
                // Entering a child fires before leaving its parent: count, not toggle.
                depth.update_value(|d| *d += 1);
                dragging.set(true);
            }
        }),
        window_event_listener(leptos::ev::dragleave, move |ev| {
            if carries_files(&ev) {
                depth.update_value(|d| *d = (*d - 1).max(0));
                if depth.get_value() == 0 {
                    dragging.set(false);
                }
            }
        }),
        window_event_listener(leptos::ev::dragover, move |ev| {
            if carries_files(&ev) {
                ev.prevent_default();
            }
        }),
        window_event_listener(leptos::ev::drop, move |ev| {
            if !carries_files(&ev) {
                return;
            }
            ev.prevent_default();
            depth.set_value(0);
            dragging.set(false);
            if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                start(file);
            }
        }),
    ];
    on_cleanup(move || listeners.into_iter().for_each(|l| l.remove()));
    view! {
        <section class="page traces" aria-labelledby="traces-title">
            <h2 id="traces-title">"Trace dashboard"</h2>
            <div class="dropzone" class:dragging=move || dragging.get()>
                <p>
                    "Drop a trace export anywhere on this page, or "
                    <label for="trace-file" class="button">"choose a file"</label>
                    " — Langfuse (trace JSON, JSON/JSONL/CSV of traces or observations, API pages) or OpenTelemetry OTLP/JSON. It is read in this tab only."
                </p>
                <input id="trace-file" type="file" accept=".json,.jsonl,.ndjson,.csv,application/json,text/csv" on:change=on_pick />
            </div>
            // What a drag over the view shows; the drop itself is the window's.
            <Show when=move || dragging.get()>
                <div class="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
                    <p>"Drop the file to import it"</p>
                </div>
            </Show>
            {move || {
                reading
                    .get()
                    .map(|r| {
                        view! {
                            <p>
                                <progress max=r.size value=r.bytes aria-label="Import progress"></progress>
                                {format!(
                                    " {:.0}% · {} records",
                                    100.0 * r.bytes / r.size.max(1.0),
                                    count(r.records),
                                )}
                            </p>
                        }
                    })
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || match dashboard.get() {
                Some(d) => view! { <DashboardView d /> }.into_any(),
                // A link's filter, kept until a file is imported.
                None if !traces.filter.with(Filter::is_empty) => {
                    view! {
                        <p class="muted" data-testid="pending-filter">
                            "This link filters the dashboard; the filter applies to the export you import."
                        </p>
                        <Breadcrumbs filter=traces.filter />
                    }
                        .into_any()
                }
                None => ().into_any(),
            }}
        </section>
    }
}

/// Streams `file` through the importer and the analyzer.
async fn import(file: web_sys::File, reading: RwSignal<Option<Reading>>) -> Result<Dashboard, String> {
    let started = js_sys::Date::now();
    // Each call is priced at its own day's prices: the history first. Without
    // it (a failed fetch) the report counts the calls priced at today's.
    let history = store::ensure_history().await;
    if let Err(e) = &history {
        web_sys::console::warn_1(&format!("farebox: {e}").into());
    }
    let table = store::table();
    let mut importer = Importer::with_sink(ImportOptions::default(), Analyzer::new(&table, AnalysisOptions::default()));
    let size = file.size();
    let mut offset = 0.0;
    reading.set(Some(Reading { bytes: 0.0, size, records: 0 }));
    while offset < size {
        let end = (offset + SLICE).min(size);
        let slice = file.slice_with_f64_and_f64(offset, end).map_err(js_error)?;
        let buffer = JsFuture::from(slice.array_buffer()).await.map_err(js_error)?;
        let progress = importer.push(&js_sys::Uint8Array::new(&buffer).to_vec());
        offset = end;
        reading.set(Some(Reading { bytes: offset, size, records: progress.records }));
    }
    let (import, analyzer) = importer.finish();
    if import.generations == 0 && import.error_count > 0 {
        let first = import.errors.first().map(|e| format!("line {}: {}", e.line, e.message)).unwrap_or_default();
        return Err(format!("No model calls could be read from {}: {first}", file.name()));
    }
    Ok(Dashboard { name: file.name(), import, report: analyzer.finish(), millis: js_sys::Date::now() - started })
}

fn js_error(e: wasm_bindgen::JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

#[component]
fn DashboardView(d: Arc<Dashboard>) -> impl IntoView {
    let r = &d.report;
    let summary = format!(
        "{} · {} records, {} model calls imported in {:.1} s{}",
        d.name,
        count(d.import.records),
        count(d.import.generations),
        d.millis / 1000.0,
        if d.import.error_count > 0 {
            format!(" · {} records could not be read", d.import.error_count)
        } else {
            String::new()
        },
    );
    let unknown = (!r.unknown_models.is_empty()).then(|| {
        let list = r.unknown_models.iter().map(|(m, n)| format!("{m} ({n})")).collect::<Vec<_>>().join(", ");
        view! {
            <p class="error">
                "Unknown models, not priced (add them on the Prices page): " {list}
            </p>
        }
    });
    // The slice shown: picked in the tables and the chart, undone in the
    // breadcrumbs; each change sums the report's per-call records again
    // (core's `Report::filtered`), never the file.
    let filter = expect_context::<TraceFilter>().filter;
    // The sections' choices outlive a filter's redraw.
    let split = RwSignal::new(None::<Dimension>);
    let dimension = RwSignal::new(Dimension::Model);
    let body = move || {
        let f = filter.get();
        let d = if f.is_empty() {
            d.clone()
        } else {
            Arc::new(Dashboard {
                name: d.name.clone(),
                import: d.import.clone(),
                report: d.report.filtered(&f),
                millis: d.millis,
            })
        };
        let t = d.report.totals;
        view! {
            <div class="cards">
                <Card label="Cost (farebox prices)" value=Glance::usd(t.cost) testid="total-cost" />
                <Card label="Cost (as exported)" value=Glance::usd(t.exported_cost) testid="exported-cost" />
                <Card label="Model calls" value=Glance::count(t.generations) testid="generations" />
                <Card label="Not fully priced" value=Glance::count(t.unpriced) testid="unpriced" />
                <Card label="Cache savings" value=Glance::usd(d.report.cache_savings) testid="cache-savings" />
                <Card label="Tokens" value=Glance::count(t.tokens.total) testid="tokens" />
            </div>
            <DailyTrend d=d.clone() filter split />
            <Breakdown d=d.clone() filter dimension />
            <TopTraces d=d.clone() filter />
            <TokenBreakdown d=d.clone() />
            <AuditView d=d.clone() filter />
            <ReplayView d=d.clone() />
        }
    };
    view! {
        <div class="dashboard">
            <p class="muted" data-testid="import-summary">{summary}</p>
            {unknown}
            <Breadcrumbs filter />
            {body}
        </div>
    }
}

/// The filters in force, each a button that removes it; "All calls" removes them all.
#[component]
fn Breadcrumbs(filter: RwSignal<Filter>) -> impl IntoView {
    let crumbs = move || {
        let f = filter.get();
        let only = f.only.iter().enumerate().map(|(i, (d, value))| {
            let text = format!("{}: {value}", label(d));
            view! {
                <li>
                    <button type="button" aria-label=format!("Remove filter {text}")
                        on:click=move |_| filter.update(|f| { f.only.remove(i); })>{text.clone()} " ×"</button>
                </li>
            }
        });
        let days = (f.days != DayRange::default()).then(|| {
            let key = |d: Option<Date>| d.map(Date::day_key).unwrap_or_else(|| "…".into());
            let text = if f.days.from == f.days.to {
                format!("Day: {}", key(f.days.from))
            } else {
                format!("Days: {} to {}", key(f.days.from), key(f.days.to))
            };
            view! {
                <li>
                    <button type="button" aria-label=format!("Remove filter {text}")
                        on:click=move |_| filter.update(|f| f.days = DayRange::default())>{text.clone()} " ×"</button>
                </li>
            }
        });
        (only.collect_view(), days)
    };
    view! {
        <nav class="breadcrumbs" aria-label="Filters" data-testid="breadcrumbs">
            <ol>
                <li>
                    <button type="button" disabled=move || filter.get().is_empty()
                        on:click=move |_| filter.set(Filter::default())>"All calls"</button>
                </li>
                {crumbs}
            </ol>
        </nav>
    }
}

/// A number rounded for a card (`farebox_core::glance`) and its exact text.
struct Glance {
    shown: String,
    exact: String,
}

impl Glance {
    fn usd(amount: farebox_core::Usd) -> Glance {
        Glance { shown: farebox_core::glance::usd(amount), exact: usd(&amount.to_string()) }
    }

    fn count(n: u64) -> Glance {
        Glance { shown: farebox_core::glance::count(n), exact: count(n) }
    }
}

/// A summary card: the rounded value, the exact one on hover or focus (its
/// title and accessible name) and in what a copy puts on the clipboard.
#[component]
fn Card(label: &'static str, value: Glance, testid: &'static str) -> impl IntoView {
    let Glance { shown, exact } = value;
    let copied = exact.clone();
    let on_copy = move |ev: web_sys::ClipboardEvent| {
        if let Some(data) = ev.clipboard_data() {
            if data.set_data("text/plain", &copied).is_ok() {
                ev.prevent_default();
            }
        }
    };
    view! {
        <div class="stat">
            <span class="muted">{label}</span>
            <strong data-testid=testid data-exact=exact.clone() title=exact.clone() tabindex="0" aria-label=format!("{label}: {exact}") on:copy=on_copy>
                {shown}
            </strong>
        </div>
    }
}

/// A chart as markup, marked as an image with its summary. Focusable: on a
/// phone it scrolls sideways (style.css), from the keyboard too.
#[component]
fn Chart(svg: String, summary: String) -> impl IntoView {
    view! { <div class="chart" role="img" tabindex="0" aria-label=summary inner_html=svg></div> }
}

/// What the daily chart can be split by: who or what made a day expensive.
const SPLITS: [Dimension; 4] = [Dimension::Model, Dimension::Provider, Dimension::User, Dimension::Tag];
/// Series drawn before the rest are summed as `(other)`: more colours than
/// this no longer tell apart.
const SERIES_SHOWN: usize = 8;

/// A day's cost at a glance, with the exact amount when it differs.
fn day_cost(cost: farebox_core::Usd) -> String {
    let shown = farebox_core::glance::usd(cost);
    let exact = usd(&cost.to_string());
    if shown == exact {
        shown
    } else {
        format!("{shown} ({exact})")
    }
}

#[component]
fn DailyTrend(d: Arc<Dashboard>, filter: RwSignal<Filter>, split: RwSignal<Option<Dimension>>) -> impl IntoView {
    let days = &d.report.by_day;
    let spike_days: Arc<Vec<String>> = Arc::new(d.report.spikes.iter().filter_map(|a| a.day.clone()).collect());
    // The chart's days: those with a date (calls without one are in the table).
    let dated: Arc<Vec<(Date, Group)>> =
        Arc::new(days.iter().filter_map(|g| Date::parse(&g.key).ok().map(|day| (day, g.clone()))).collect());
    // The days are the dashboard's filter: a range narrows every section.
    let range = Signal::derive(move || filter.get().days);
    let set_range = move |r: DayRange| filter.update(|f| f.days = r);
    let (first, last) = match (dated.first(), dated.last()) {
        (Some(a), Some(b)) => (a.1.key.clone(), b.1.key.clone()),
        _ => (String::new(), String::new()),
    };
    let on_split = move |ev: leptos::ev::Event| split.set(Dimension::parse(&event_target_value(&ev)).ok());
    // An empty or unreadable field leaves that end open.
    let on_from = move |ev: leptos::ev::Event| {
        set_range(DayRange { from: Date::parse(&event_target_value(&ev)).ok(), ..range.get_untracked() });
    };
    let on_to = move |ev: leptos::ev::Event| {
        set_range(DayRange { to: Date::parse(&event_target_value(&ev)).ok(), ..range.get_untracked() });
    };
    let day_value = |day: Option<Date>| day.map(Date::day_key).unwrap_or_default();
    let chart = {
        let (d, spike_days) = (d.clone(), spike_days.clone());
        move || {
            let r = range.get();
            let shown: Vec<&(Date, Group)> = dated.iter().filter(|(day, _)| r.contains(*day)).collect();
            if shown.is_empty() {
                return view! { <p class="muted" data-testid="no-days">"No calls in these days."</p> }.into_any();
            }
            let labels: Vec<String> = shown.iter().map(|(_, g)| g.key.clone()).collect();
            let picked_days: Vec<Date> = shown.iter().map(|(day, _)| *day).collect();
            let brush = Callback::new(move |(a, b): (usize, usize)| {
                set_range(DayRange { from: picked_days.get(a).copied(), to: picked_days.get(b).copied() });
            });
            let head = |g: &Group| {
                let calls = calls(g.totals.generations);
                let alert = if spike_days.contains(&g.key) { " · alert: > 2× trailing average" } else { "" };
                format!("{}: {} · {calls}{alert}", g.key, day_cost(g.totals.cost))
            };
            let Some(dim) = split.get() else {
                let data: Vec<Datum> = shown
                    .iter()
                    .map(|(_, g)| Datum { label: g.key.clone(), value: g.totals.cost.to_string() })
                    .collect();
                let svg = chart::line(&data, Unit::Usd);
                let summary = format!("Daily cost over {} days", shown.len());
                let points = shown.iter().map(|(_, g)| head(g)).collect();
                return view! { <DayPicker svg summary points brush /> }.into_any();
            };
            let s = d.report.daily_split(&dim, SERIES_SHOWN, r);
            let other = s.series.len() > SERIES_SHOWN;
            let layers: Vec<Vec<String>> =
                s.series.iter().map(|x| x.costs.iter().map(ToString::to_string).collect()).collect();
            let svg = chart::stacked(&labels, &layers, other, Unit::Usd);
            let summary = format!("Daily cost over {} days by {dim}, {} series", shown.len(), s.series.len());
            // A day's readout: its total, then each series' share that day.
            let points = shown
                .iter()
                .enumerate()
                .map(|(i, (_, g))| {
                    let parts: Vec<String> = s
                        .series
                        .iter()
                        .filter(|x| !x.costs[i].is_zero())
                        .map(|x| format!("{} {}", x.key, farebox_core::glance::usd(x.costs[i])))
                        .collect();
                    format!("{} — {}", head(g), parts.join(", "))
                })
                .collect();
            let n = s.series.len();
            let legend = s
                .series
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let colour = chart::series_colour(i, other && i + 1 == n);
                    view! {
                        <li>
                            <i class="swatch" style:background=colour></i>
                            {x.key.clone()}
                            " "
                            <span class="muted" title=usd(&x.total.to_string())>{farebox_core::glance::usd(x.total)}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <DayPicker svg summary points brush />
                <ul class="legend" data-testid="split-legend" aria-label=format!("Series by {dim}")>{legend}</ul>
            }
            .into_any()
        }
    };
    let (csv, json) = exports(Dimension::Day, days.clone());
    // A day in the table is the range of that day alone.
    let pick_day = Callback::new(move |key: String| {
        if let Ok(day) = Date::parse(&key) {
            set_range(DayRange { from: Some(day), to: Some(day) });
        }
    });
    let daily_rows = days
        .iter()
        .map(|g| {
            let spike = spike_days.contains(&g.key);
            Row {
                cells: vec![
                    g.key.clone(),
                    usd(&g.totals.cost.to_string()),
                    count(g.totals.generations),
                    if spike { "> 2× trailing average".into() } else { String::new() },
                ],
                class: if spike { "alert" } else { "" },
            }
        })
        .collect();
    view! {
        <section aria-labelledby="trend-title">
            <h3 id="trend-title">"Daily cost"</h3>
            <div class="chart-controls">
                <label>
                    "Split by "
                    <select data-testid="split" on:change=on_split>
                        <option value="">"Nothing (total)"</option>
                        {SPLITS
                            .map(|d| {
                                let chosen = split.get_untracked().as_ref() == Some(&d);
                                view! { <option value=d.to_string() selected=chosen>{label(&d)}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "From "
                    <input type="date" data-testid="range-from" min=first.clone() max=last.clone()
                        prop:value=move || day_value(range.get().from) on:change=on_from />
                </label>
                <label>
                    "To "
                    <input type="date" data-testid="range-to" min=first max=last
                        prop:value=move || day_value(range.get().to) on:change=on_to />
                </label>
                <button type="button" data-testid="range-reset" disabled=move || range.get() == DayRange::default()
                    on:click=move |_| set_range(DayRange::default())>"All days"</button>
            </div>
            {chart}
            <ExportButtons name="daily-cost".into() csv json />
            <details>
                <summary>{format!("Table ({}, {} with an alert)", days_text(days.len()), spike_days.len())}</summary>
                <Table
                    testid="daily-table".into()
                    columns=vec![text("Day (UTC)"), num("Cost"), num("Calls"), text("Alert")]
                    rows=daily_rows
                    pick=pick_day
                    unpickable=&["(none)"]
                />
            </details>
            {(!d.report.spikes.is_empty())
                .then(|| {
                    view! {
                        <ul class="alerts" data-testid="spikes">
                            {d.report.spikes.iter().map(|a| view! { <li>{a.message.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
        </section>
    }
}

/// The daily chart as a slider over its days: the arrow keys (Home, End)
/// or the pointer pick a day, whose values show under the chart and are its
/// spoken value; a line marks the day on the chart. Dragging over days
/// selects them (`brush`, first and last index), as the date fields do; a
/// click or Enter selects the one day.
#[component]
fn DayPicker(svg: String, summary: String, points: Vec<String>, brush: Callback<(usize, usize)>) -> impl IntoView {
    let n = points.len();
    let last = n.saturating_sub(1);
    let picked = RwSignal::new(last);
    // Where a drag started, while the pointer is down.
    let anchor = RwSignal::new(None::<usize>);
    let points = Arc::new(points);
    let shown = {
        let points = points.clone();
        move || points.get(picked.get()).cloned().unwrap_or_default()
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowLeft" | "ArrowDown" => picked.get_untracked().saturating_sub(1),
            "ArrowRight" | "ArrowUp" => (picked.get_untracked() + 1).min(last),
            "Home" => 0,
            "End" => last,
            "Enter" => {
                // The keyboard's click: only the picked day.
                let day = picked.get_untracked();
                return brush.run((day, day));
            }
            _ => return,
        };
        ev.prevent_default();
        picked.set(next);
    };
    let point = move |ev: &leptos::ev::PointerEvent| {
        let target = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
        let rect = target.get_bounding_client_rect();
        (rect.width() > 0.0).then(|| chart::line_index((f64::from(ev.client_x()) - rect.left()) / rect.width(), n))
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if let Some(i) = point(&ev) {
            picked.set(i);
        }
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if let Some(i) = point(&ev) {
            picked.set(i);
            anchor.set(Some(i));
            // The drag's end is this element's even if the pointer leaves it.
            if let Some(t) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                let _ = t.set_pointer_capture(ev.pointer_id());
            }
        }
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        // Cleared first: a brush redraws the chart, and this picker with it.
        let start = anchor.get_untracked();
        anchor.set(None);
        // A click (no drag) selects its one day.
        if let (Some(a), Some(b)) = (start, point(&ev)) {
            brush.run((a.min(b), a.max(b)));
        }
    };
    let marker_left = move || format!("{:.3}%", 100.0 * chart::line_x(picked.get(), n));
    // The dragged-over days, placed through the CSSOM (`style:`): a style
    // attribute is inline style, which the Content-Security-Policy refuses.
    let band = move || {
        anchor.get().filter(|&a| a != picked.get()).map(|a| {
            let (x0, x1) = (chart::line_x(a.min(picked.get()), n), chart::line_x(a.max(picked.get()), n));
            (format!("{:.3}%", 100.0 * x0), format!("{:.3}%", 100.0 * (x1 - x0)))
        })
    };
    view! {
        <div
            class="chart day-picker"
            role="slider"
            tabindex="0"
            aria-label=format!("{summary}: pick a day")
            aria-valuemin="0"
            aria-valuemax=last.to_string()
            aria-valuenow=move || picked.get().to_string()
            aria-valuetext=shown.clone()
            data-testid="day-picker"
            on:keydown=on_key
        >
            // The pointer's place is read against the plot, which scrolls
            // sideways inside the slider on a phone.
            <div class="plot" on:pointermove=on_move on:pointerdown=on_down on:pointerup=on_up>
                <div inner_html=svg></div>
                <div class="marker" aria-hidden="true" style:left=marker_left></div>
                {move || {
                    band()
                        .map(|(left, width)| {
                            view! { <div class="brush" aria-hidden="true" style:left=left style:width=width></div> }
                        })
                }}
            </div>
        </div>
        <p class="readout" data-testid="day-readout" aria-hidden="true">{shown}</p>
    }
}

/// CSV and JSON export callbacks for one dimension's groups.
fn exports(dimension: Dimension, groups: Vec<Group>) -> (Callback<(), String>, Callback<(), String>) {
    let groups = Arc::new(groups);
    let for_json = groups.clone();
    (Callback::new(move |()| groups_csv(&dimension, &groups)), Callback::new(move |()| groups_json(&for_json)))
}

/// What the dimension menu calls a dimension.
fn label(d: &Dimension) -> String {
    match d {
        Dimension::Day => "Day (UTC)".into(),
        Dimension::Model => "Model".into(),
        Dimension::Provider => "Provider".into(),
        Dimension::User => "User".into(),
        Dimension::Session => "Session".into(),
        Dimension::Tag => "Tag".into(),
        Dimension::TraceName => "Trace name".into(),
        Dimension::Name => "Operation".into(),
        Dimension::Environment => "Environment".into(),
        Dimension::Trace => "Trace".into(),
        Dimension::Metadata(key) => format!("Metadata: {key}"),
    }
}

/// The dimensions a person can group by: core's fixed ones (but the day,
/// which has its own section above), then each metadata key of the report.
fn dimensions(r: &Report) -> Vec<Dimension> {
    Dimension::ALL
        .into_iter()
        .filter(|d| *d != Dimension::Day)
        .chain(r.by_metadata.keys().map(|k| Dimension::Metadata(k.clone())))
        .collect()
}

#[component]
fn Breakdown(d: Arc<Dashboard>, filter: RwSignal<Filter>, dimension: RwSignal<Dimension>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let options = dimensions(&d.report);
    // The menu's values are the dimensions' names, which parse back.
    let on_change = move |ev: leptos::ev::Event| match Dimension::parse(&event_target_value(&ev)) {
        Ok(d) => {
            problem.set(None);
            dimension.set(d);
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let body = move || {
        let dim = dimension.get();
        let Some(groups) = d.report.groups(&dim).map(<[Group]>::to_vec) else {
            return view! { <p class="error" role="alert">{format!("The report has no groups by {dim}")}</p> }
                .into_any();
        };
        let top: Vec<Datum> =
            groups.iter().take(10).map(|g| Datum { label: g.key.clone(), value: g.totals.cost.to_string() }).collect();
        let svg = chart::bars(&top, Unit::Usd);
        let summary = format!("Cost by {dim}: the {} most expensive of {}", top.len(), groups.len());
        let name = format!("cost-by-{dim}");
        let (csv, json) = exports(dim.clone(), groups.clone());
        view! {
            <Chart svg summary />
            <ExportButtons name csv json />
            <GroupTable groups dimension=dim filter />
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="breakdown-title">
            <h3 id="breakdown-title">"Cost by"</h3>
            <label for="dimension" class="visually-hidden">"Group by"</label>
            <select id="dimension" on:change=on_change>
                {options
                    .into_iter()
                    .map(|d| {
                        let chosen = dimension.get_untracked() == d;
                        view! { <option value=d.to_string() selected=chosen>{label(&d)}</option> }
                    })
                    .collect_view()}
            </select>
            {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {body}
        </section>
    }
}

#[component]
fn GroupTable(groups: Vec<Group>, dimension: Dimension, filter: RwSignal<Filter>) -> impl IntoView {
    let pick = {
        let dimension = dimension.clone();
        Callback::new(move |value: String| narrow(filter, dimension.clone(), value))
    };
    let dimension = dimension.to_string();
    const SHOWN: usize = 50;
    let more = groups.len().saturating_sub(SHOWN);
    let rows = groups
        .into_iter()
        .take(SHOWN)
        .map(|g| {
            let t = &g.totals;
            Row::from(vec![
                g.key.clone(),
                usd(&t.cost.to_string()),
                usd(&t.exported_cost.to_string()),
                count(t.generations),
                count(t.tokens.total),
            ])
        })
        .collect();
    view! {
        <Table
            testid=format!("groups-{dimension}")
            columns=vec![
                Column { title: dimension.clone().into(), numeric: false },
                num("Cost"),
                num("Exported cost"),
                num("Calls"),
                num("Tokens"),
            ]
            rows
            pick
            unpickable=&["(other)"]
        />
        {(more > 0).then(|| view! { <p class="muted">{format!("{more} more in the export")}</p> })}
    }
}

/// Narrows the dashboard to the calls with `value` in `dimension` (a
/// filter already in the chain is not added twice).
fn narrow(filter: RwSignal<Filter>, dimension: Dimension, value: String) {
    let added = (dimension, value);
    if !filter.with_untracked(|f| f.only.contains(&added)) {
        filter.update(|f| f.only.push(added));
    }
}

/// Narrows the dashboard to the trace a row names.
fn pick_trace(filter: RwSignal<Filter>) -> Callback<String> {
    Callback::new(move |trace: String| narrow(filter, Dimension::Trace, trace))
}

#[component]
fn TopTraces(d: Arc<Dashboard>, filter: RwSignal<Filter>) -> impl IntoView {
    let (a, b) = (d.clone(), d.clone());
    let csv = Callback::new(move |()| records_csv(&a.report.top_traces));
    let json = Callback::new(move |()| farebox_core::json_text(&b.report.top_traces));
    let rows = d
        .report
        .top_traces
        .iter()
        .map(|t| {
            Row::from(vec![
                t.trace_id.clone(),
                t.name.clone().unwrap_or_default(),
                t.user.clone().unwrap_or_default(),
                usd(&t.totals.cost.to_string()),
                count(t.totals.generations),
            ])
        })
        .collect();
    view! {
        <section aria-labelledby="top-title">
            <h3 id="top-title">"The 10 most expensive traces"</h3>
            <ExportButtons name="top-traces".into() csv json />
            <Table
                testid="top-traces".into()
                columns=vec![text("Trace"), text("Name"), text("User"), num("Cost"), num("Calls")]
                rows
                pick=pick_trace(filter)
            />
        </section>
    }
}

#[component]
fn TokenBreakdown(d: Arc<Dashboard>) -> impl IntoView {
    let by_type = d.report.totals.tokens.by_type();
    let data: Vec<Datum> =
        by_type.iter().map(|(k, n)| Datum { label: k.replace('_', " "), value: n.to_string() }).collect();
    let svg = chart::bars(&data, Unit::Tokens);
    #[derive(serde::Serialize)]
    struct TokenType {
        token_type: &'static str,
        tokens: u64,
    }
    let records: Vec<TokenType> =
        by_type.iter().map(|&(token_type, tokens)| TokenType { token_type, tokens }).collect();
    let csv_text = records_csv(&records);
    let json_text = farebox_core::json_text(&records);
    let csv = Callback::new(move |()| csv_text.clone());
    let json = Callback::new(move |()| json_text.clone());
    let table_rows = by_type.iter().map(|(k, n)| Row::from(vec![k.replace('_', " "), count(*n)])).collect();
    view! {
        <section aria-labelledby="tokens-title">
            <h3 id="tokens-title">"Tokens by type"</h3>
            <Chart svg summary="Tokens by type".into() />
            <ExportButtons name="tokens-by-type".into() csv json />
            <Table testid="token-types".into() columns=vec![text("Token type"), num("Tokens")] rows=table_rows />
        </section>
    }
}

#[component]
fn AuditView(d: Arc<Dashboard>, filter: RwSignal<Filter>) -> impl IntoView {
    let a = &d.report.audit;
    let (x, y) = (d.clone(), d.clone());
    let csv = Callback::new(move |()| records_csv(&x.report.audit.discrepancies));
    let json = Callback::new(move |()| farebox_core::json_text(&y.report.audit));
    let rows = a
        .discrepancies
        .iter()
        .take(20)
        .map(|x| {
            Row::from(vec![
                x.trace_id.clone().unwrap_or_default(),
                x.model.clone(),
                usd(&x.exported.to_string()),
                usd(&x.farebox.to_string()),
                usd(&x.difference.to_string()),
                x.price_change.as_ref().map(price_change).unwrap_or_default(),
            ])
        })
        .collect();
    view! {
        <section aria-labelledby="audit-title">
            <h3 id="audit-title">"Price audit: exported costs against farebox's"</h3>
            <p data-testid="audit">
                {format!(
                    "{} checked: {} agree, {} differ. Exported {} vs farebox {} (difference {}).",
                    calls(a.checked),
                    count(a.agreeing),
                    count(a.differing),
                    usd(&a.exported_total.to_string()),
                    usd(&a.farebox_total.to_string()),
                    usd(&a.net_difference.to_string()),
                )}
                {(a.price_changes > 0).then(|| match a.price_changes {
                    1 => String::from(
                        " 1 of the differences is a price change: the export used the model's price of another period.",
                    ),
                    n => format!(
                        " {} of the differences are price changes: the export used the model's price of another period.",
                        count(n)
                    ),
                })}
            </p>
            <p class="muted" data-testid="pricing-note">{pricing_note(&d.report.pricing)}</p>
            <ExportButtons name="price-audit".into() csv json />
            <Table
                testid="discrepancies".into()
                columns=vec![
                    text("Trace"),
                    text("Model"),
                    num("Exported"),
                    num("farebox"),
                    num("Difference"),
                    text("Why"),
                ]
                rows
                pick=pick_trace(filter)
                unpickable=&[""]
            />
        </section>
    }
}

/// "The export used the price before the change of 2026-01-29 (…)".
fn price_change(e: &farebox_core::pricing::Effective) -> String {
    let span = match (e.from, e.until) {
        (Some(from), Some(until)) => format!("the price in force from {from} until the change of {until}"),
        (Some(from), None) => format!("the price in force since {from}"),
        _ => "another period's price".to_string(),
    };
    format!("The export used {span} ({}).", e.seen)
}

/// Which day's prices priced the calls, and what that changed.
fn pricing_note(p: &farebox_core::traces::aggregate::PricingNote) -> String {
    use farebox_core::traces::aggregate::PricesAt;
    let mut note = match p.prices_at {
        PricesAt::CallDate => "Each call is priced at the prices of its own day".to_string(),
        PricesAt::Today => "Every call is priced at today's prices".to_string(),
    };
    if let Some(history) = &p.history {
        note.push_str(&format!(" (price history: {history})"));
    }
    note.push('.');
    if p.at_earlier_prices > 0 {
        note.push_str(&format!(" {} calls at prices that have changed since.", count(p.at_earlier_prices)));
    }
    if p.without_history > 0 {
        note.push_str(&format!(
            " {} calls before the built-in prices were taken are priced at today's prices: the price history could not be loaded.",
            count(p.without_history)
        ));
    }
    if p.undated > 0 {
        note.push_str(&format!(" {} calls have no timestamp and are priced at today's prices.", count(p.undated)));
    }
    note
}

#[component]
fn ReplayView(d: Arc<Dashboard>) -> impl IntoView {
    let policy = RwSignal::new(String::from(r#"{"per_call_max_usd": "0.05", "per_user_daily_usd": "1"}"#));
    let outcome = RwSignal::new(None::<Result<farebox_core::traces::Replay, String>>);
    let run = move || {
        let text = policy.get_untracked();
        let result = Policy::from_json(text.as_bytes())
            .map_err(|e| e.to_string())
            .map(|p| d.report.replay(&store::table(), &Budget::new(p)));
        outcome.set(Some(result));
    };
    view! {
        <section aria-labelledby="replay-title">
            <h3 id="replay-title">"Budget replay: what a policy would have blocked"</h3>
            <label for="policy">"Policy (JSON)"</label>
            <textarea
                id="policy"
                rows="3"
                spellcheck="false"
                prop:value=move || policy.get()
                on:input=move |ev| policy.set(event_target_value(&ev))
            ></textarea>
            <button type="button" on:click=move |_| run()>"Replay"</button>
            {move || {
                outcome
                    .get()
                    .map(|o| match o {
                        Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                        Ok(r) => {
                            let summary = format!(
                                "{} replayed: {} allowed, {} blocked, {} not spent.",
                                calls(r.calls),
                                count(r.allowed),
                                count(r.blocked),
                                usd(&r.saved.to_string()),
                            );
                            let blocked = r.blocked_calls.clone();
                            let all = r.clone();
                            let csv = Callback::new(move |()| records_csv(&blocked));
                            let json = Callback::new(move |()| farebox_core::json_text(&all));
                            view! {
                                <p data-testid="replay">{summary}</p>
                                <ExportButtons name="budget-replay".into() csv json />
                                <ul>
                                    {r
                                        .blocked_calls
                                        .iter()
                                        .take(10)
                                        .map(|b| view! { <li>{format!("{} · {}", b.at, b.message)}</li> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
        </section>
    }
}

/// "1 day", "12 days".
fn days_text(n: usize) -> String {
    if n == 1 {
        String::from("1 day")
    } else {
        format!("{n} days")
    }
}
