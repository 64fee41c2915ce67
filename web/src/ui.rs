//! Small shared pieces: number formatting, downloads, export buttons.

use std::borrow::Cow;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// `1234567` → `1,234,567` (exact; cards round with `farebox_core::glance`).
pub fn count(n: u64) -> String {
    farebox_core::glance::grouped(u128::from(n))
}

/// `1` → `1 call`, `1234` → `1,234 calls`.
pub fn calls(n: u64) -> String {
    match n {
        1 => String::from("1 call"),
        n => format!("{} calls", count(n)),
    }
}

/// Exact decimal USD text as people read it: `0.0195` → `$0.0195`, `-2` → `−$2`.
pub fn usd(text: &str) -> String {
    match text.strip_prefix('-') {
        Some(abs) => format!("−${abs}"),
        None => format!("${text}"),
    }
}

/// Saves `content` as a file the user downloads; nothing leaves the browser.
pub fn download(name: &str, mime: &str, content: &str) {
    let parts = js_sys::Array::of1(&content.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let anchor = document().create_element("a").ok().and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// "CSV" and "JSON" buttons that download what a table shows.
#[component]
pub fn ExportButtons(
    /// The file name without extension.
    name: String,
    /// Produces the CSV text when clicked.
    csv: Callback<(), String>,
    /// Produces the JSON text when clicked.
    json: Callback<(), String>,
) -> impl IntoView {
    let csv_name = format!("{name}.csv");
    let json_name = format!("{name}.json");
    view! {
        <span class="exports">
            <button type="button" on:click=move |_| download(&csv_name, "text/csv", &csv.run(()))>
                "Export CSV"
            </button>
            <button type="button" on:click=move |_| download(&json_name, "application/json", &json.run(()))>
                "Export JSON"
            </button>
        </span>
    }
}

/// A table column: its heading and whether its cells are numbers (right-aligned).
#[derive(Clone, Debug)]
pub struct Column {
    pub title: Cow<'static, str>,
    pub numeric: bool,
}

/// A text column.
pub const fn text(title: &'static str) -> Column {
    Column { title: Cow::Borrowed(title), numeric: false }
}

/// A number column.
pub const fn num(title: &'static str) -> Column {
    Column { title: Cow::Borrowed(title), numeric: true }
}

/// A table row: its cells (the first is the row's heading) and a CSS class ("" for none).
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub cells: Vec<String>,
    pub class: &'static str,
}

impl From<Vec<String>> for Row {
    fn from(cells: Vec<String>) -> Row {
        Row { cells, class: "" }
    }
}

/// Every table of the app: headings, then rows whose first cell heads the row.
#[component]
pub fn Table(
    /// `data-testid`, for the end-to-end tests.
    testid: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
    #[prop(optional)] caption: Option<&'static str>,
    /// Makes each row pick itself (by its heading's text) when clicked, e.g.
    /// to filter to it; its heading is a button, for the keyboard. Rows
    /// whose heading is in `unpickable` stay text.
    #[prop(optional)]
    pick: Option<Callback<String>>,
    #[prop(optional)] unpickable: &'static [&'static str],
) -> impl IntoView {
    let numeric: Vec<bool> = columns.iter().map(|c| c.numeric).collect();
    // On a phone a wide table scrolls inside its box rather than widening the
    // page; the box takes focus so that it scrolls from the keyboard too.
    let label = caption.map(str::to_string).unwrap_or_else(|| {
        format!("Table: {}", columns.iter().map(|c| c.title.as_ref()).collect::<Vec<_>>().join(", "))
    });
    view! {
        <div class="table-scroll" role="region" tabindex="0" aria-label=label>
        <table data-testid=testid>
            {caption.map(|c| view! { <caption>{c}</caption> })}
            <thead>
                <tr>
                    {columns
                        .iter()
                        .map(|c| view! { <th scope="col" class:num=c.numeric>{c.title.to_string()}</th> })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        // A pickable row picks on a click anywhere in it; its
                        // heading is the button that the keyboard reaches
                        // (Enter or Space click it, and the click bubbles here).
                        let picks = row.cells.first().and_then(|h| {
                            pick.filter(|_| !unpickable.contains(&h.as_str())).map(|p| (p, h.clone()))
                        });
                        let pickable = picks.is_some();
                        let cells = row
                            .cells
                            .into_iter()
                            .enumerate()
                            .map(|(i, cell)| {
                                let numeric = numeric.get(i).copied().unwrap_or(false);
                                if i == 0 && pickable {
                                    view! {
                                        <th scope="row" class:num=numeric>
                                            <button type="button" class="pick" title="Show only this">{cell}</button>
                                        </th>
                                    }
                                    .into_any()
                                } else if i == 0 {
                                    view! { <th scope="row" class:num=numeric>{cell}</th> }.into_any()
                                } else {
                                    view! { <td class:num=numeric>{cell}</td> }.into_any()
                                }
                            })
                            .collect_view();
                        let on_click = move |_| {
                            if let Some((pick, value)) = &picks {
                                pick.run(value.clone());
                            }
                        };
                        view! { <tr class=row.class class:pickable=pickable on:click=on_click>{cells}</tr> }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn usd_keeps_the_exact_text() {
        assert_eq!(usd("0.0195"), "$0.0195");
        assert_eq!(usd("-2.5"), "−$2.5");
    }
}
