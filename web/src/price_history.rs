//! A model's prices over time, and what the newest release changed: the
//! Prices page's dated views. Both need the price history, which is fetched
//! on first use ([`store::ensure_history`]), never for an estimate.

use farebox_core::pricing::{Change, Effective, MAKERS};
use farebox_core::{Model, UsageKind, Usd};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::store::{self, per_million};
use crate::ui::{num, text, usd, Row, Table};

/// The kinds drawn, with their series' CSS class (its colour is style.css's:
/// the Content-Security-Policy allows no inline style).
const KINDS: [(UsageKind, &str, &str); 3] = [
    (UsageKind::Input, "Input", "s1"),
    (UsageKind::Output, "Output", "s2"),
    (UsageKind::CacheRead, "Cache read", "s3"),
];

/// One period as the chart and the table read it.
#[derive(Clone, Debug, PartialEq)]
struct PeriodRow {
    effective: Effective,
    /// Per million tokens, exact text, in [`KINDS`] order.
    prices: [String; 3],
}

/// The periods of `name`, loading the history first.
async fn periods_of(name: String) -> Result<Vec<PeriodRow>, String> {
    store::ensure_history().await?;
    let table = store::table();
    let periods = table.price_periods(&name).map_err(|e| e.to_string())?;
    Ok(periods
        .into_iter()
        .map(|(effective, model)| PeriodRow { effective, prices: KINDS.map(|(k, _, _)| per_million(model, k)) })
        .collect())
}

#[component]
pub fn PriceHistory() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let result = RwSignal::new(None::<(String, Result<Vec<PeriodRow>, String>)>);
    let show = move || {
        let asked = name.get_untracked().trim().to_string();
        if asked.is_empty() {
            return;
        }
        spawn_local(async move {
            let periods = periods_of(asked.clone()).await;
            result.set(Some((asked, periods)));
        });
    };
    view! {
        <section class="card" aria-labelledby="history-title">
            <h3 id="history-title">"Price history"</h3>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                show();
            }>
                <label for="history-model">"Model"</label>
                <input
                    id="history-model"
                    list="model-list"
                    placeholder="e.g. deepseek-chat, claude-3-5-haiku-20241022"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit">"Show"</button>
            </form>
            {move || result.get().map(|(asked, r)| match r {
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Ok(periods) if periods.is_empty() => view! {
                    <p class="muted" data-testid="history-none">
                        {format!("No dated prices for `{asked}`: its prices come from a source without dates (Langfuse's table or your own definition).")}
                    </p>
                }
                .into_any(),
                Ok(periods) => view! { <PeriodsView asked periods /> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn PeriodsView(asked: String, periods: Vec<PeriodRow>) -> impl IntoView {
    let rows: Vec<Row> = periods
        .iter()
        .rev()
        .map(|p| {
            let e = &p.effective;
            let day = |d: Option<farebox_core::time::Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "–".into());
            let mut cells = vec![day(e.from), e.until.map_or_else(|| "now".to_string(), |d| d.to_string())];
            cells.extend(p.prices.iter().map(|price| if price.is_empty() { "–".to_string() } else { usd(price) }));
            cells.push(e.seen.clone());
            Row::from(cells)
        })
        .collect();
    let summary = format!(
        "{} price periods of {asked}, newest first. A period starts on the upload day of the first sampled release that lists its prices.",
        periods.len()
    );
    view! {
        <div data-testid="price-history">
            <StepChart periods=periods.clone() />
            <Table
                testid="price-periods".into()
                columns=vec![
                    text("From"),
                    text("Until"),
                    num("Input $/1M"),
                    num("Output $/1M"),
                    num("Cache read $/1M"),
                    text("First seen in"),
                ]
                rows
            />
            <p class="muted">{summary}</p>
        </div>
    }
}

const CHART_W: f64 = 640.0;
const CHART_H: f64 = 180.0;
const PAD: f64 = 36.0;

/// Step lines of each kind's price over the periods (a price holds until the
/// next period), days on the x axis. Drawn by hand: three polylines.
#[component]
fn StepChart(periods: Vec<PeriodRow>) -> impl IntoView {
    let day = |p: &PeriodRow| p.effective.from.map_or(0, |d| d.days_since_epoch());
    let (Some(first), Some(last)) = (periods.first().map(day), periods.last().map(day)) else {
        return ().into_any();
    };
    // The last period runs to a month past its start, so that it shows.
    let (start, end) = (first as f64, (last + 30) as f64);
    let value = |text: &str| Usd::parse(text).ok().map(|u| u.to_string().parse::<f64>().unwrap_or(0.0));
    let top = periods.iter().flat_map(|p| p.prices.iter().filter_map(|t| value(t))).fold(0.0, f64::max).max(1e-9) * 1.1;
    let x = |d: f64| PAD + (d - start) / (end - start).max(1.0) * (CHART_W - 2.0 * PAD);
    let y = |v: f64| CHART_H - PAD + -(v / top) * (CHART_H - 2.0 * PAD);
    let lines = KINDS
        .iter()
        .enumerate()
        .map(|(k, (_, label, class))| {
            // A path of horizontal steps joined by vertical ones; a gap (no
            // price of this kind, or not listed) starts a new subpath.
            let mut path = String::new();
            let mut last_end = None;
            for (i, p) in periods.iter().enumerate() {
                let Some(v) = value(&p.prices[k]) else {
                    last_end = None;
                    continue;
                };
                let from = day(p) as f64;
                // Until the next change, or the day the model stopped being listed.
                let next = periods.get(i + 1).map_or(end, |n| day(n) as f64);
                let to = p.effective.until.map_or(next, |d| d.days_since_epoch() as f64).min(next);
                let verb = if last_end == Some(from) { 'L' } else { 'M' };
                path.push_str(&format!("{verb}{:.1},{:.1} L{:.1},{:.1} ", x(from), y(v), x(to), y(v)));
                last_end = Some(to);
            }
            view! { <path d=path class=*class><title>{*label}</title></path> }
        })
        .collect_view();
    let label = |d: i64| farebox_core::time::Date::from_days_since_epoch(d).to_string();
    let description = format!(
        "Input, output and cache-read prices per million tokens from {} to now; the table below has the values.",
        label(first)
    );
    view! {
        <figure class="history-chart">
            <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img" aria-label=description.clone()>
                <line x1=PAD y1=CHART_H - PAD x2=CHART_W - PAD y2=CHART_H - PAD class="axis" />
                <text x=PAD y=CHART_H - 8.0 class="tick">{label(first)}</text>
                <text x=CHART_W - PAD y=CHART_H - 8.0 text-anchor="end" class="tick">{label(last)}</text>
                <text x=4.0 y=PAD - 8.0 class="tick">{crate::chart::Unit::Usd.tick(top / 1.1)}</text>
                {lines}
            </svg>
            <figcaption class="legend">
                {KINDS
                    .iter()
                    .map(|(_, label, class)| view! { <span><i class=*class></i>{*label}</span> })
                    .collect_view()}
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Rows of the change list shown; the count says how many more there are.
const SHOWN_CHANGES: usize = 60;

/// What the newest release of the history changed: prices, additions, removals.
#[component]
pub fn LatestChanges() -> impl IntoView {
    let changes = RwSignal::new(None::<Result<(String, usize, Vec<Row>), String>>);
    let load = move |_| {
        spawn_local(async move {
            let outcome = store::ensure_history().await.map(|()| {
                let table = store::table();
                let releases = table.history_releases();
                let title = match releases {
                    [.., before, last] => format!(
                        "{} {} ({}) against {} ({})",
                        last.source, last.version, last.date, before.version, before.date
                    ),
                    _ => String::new(),
                };
                let mut changes = table.latest_changes();
                let total = changes.len();
                // The makers' own APIs first; the rest (resellers) by id.
                let rank = |c: &Change| {
                    let provider = c.after.or(c.before).map_or("", |m| m.provider.as_str());
                    MAKERS.iter().position(|m| *m == provider).unwrap_or(MAKERS.len())
                };
                changes.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(b.id)));
                let rows = changes.iter().take(SHOWN_CHANGES).map(|c| change_row(c.id, c.before, c.after)).collect();
                (title, total, rows)
            });
            changes.set(Some(outcome));
        });
    };
    view! {
        <section class="card" aria-labelledby="changes-title">
            <h3 id="changes-title">"Changed since the previous snapshot"</h3>
            <button type="button" on:click=load>"Show the changes"</button>
            {move || changes.get().map(|c| match c {
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Ok((title, total, rows)) => view! {
                    <p class="muted">
                        {format!(
                            "{title}: {total} models changed{}.",
                            if total > rows.len() { format!(" (the first {} shown, makers' own APIs first)", rows.len()) } else { String::new() }
                        )}
                    </p>
                    <Table
                        testid="latest-changes".into()
                        columns=vec![text("Model"), text("Change"), text("Input $/1M"), text("Output $/1M")]
                        rows
                    />
                }
                .into_any(),
            })}
        </section>
    }
}

fn change_row(id: &str, before: Option<&Model>, after: Option<&Model>) -> Row {
    let price = |m: Option<&Model>, k| {
        m.map(|m| per_million(m, k)).filter(|p| !p.is_empty()).map_or("–".to_string(), |p| usd(&p))
    };
    let moved = |k| match (before, after) {
        (Some(_), Some(_)) if price(before, k) != price(after, k) => {
            format!("{} → {}", price(before, k), price(after, k))
        }
        _ => price(after.or(before), k),
    };
    let change = match (before, after) {
        (None, _) => "added",
        (_, None) => "removed",
        (Some(b), Some(a)) if b.prices == a.prices => "tiers changed",
        _ => "prices changed",
    };
    Row::from(vec![id.to_string(), change.to_string(), moved(UsageKind::Input), moved(UsageKind::Output)])
}
