//! Component tests in headless Chromium (`cargo xtask test`; wasm-bindgen-test
//! with Debian's chromium-driver). Each mounts real components into the
//! page's body and reads the DOM they render.
#![cfg(target_arch = "wasm32")]

use farebox_web::app::App;
use farebox_web::chart::{self, Datum, Unit};
use farebox_web::protocol::InputMode;
use farebox_web::request_body;
use farebox_web::store::{self, per_token, Store};
use leptos::prelude::GetUntracked;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Lets effects and renders scheduled by the last change run.
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn text_of(selector: &str) -> String {
    document().query_selector(selector).unwrap().map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

fn type_into(selector: &str, value: &str) {
    let input: web_sys::HtmlInputElement = document().query_selector(selector).unwrap().unwrap().dyn_into().unwrap();
    input.set_value(value);
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_app_mounts_navigates_and_searches_the_price_table() {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().clear().unwrap();
    web_sys::window().unwrap().location().set_hash("#estimate").unwrap();
    leptos::mount::mount_to_body(App);
    settle().await;
    let links = document().query_selector_all("nav a").unwrap();
    assert_eq!(links.length(), 4);
    assert_eq!(text_of("nav a[aria-current=page]"), "Estimate");
    assert!(document().query_selector("textarea#input").unwrap().is_some());

    web_sys::window().unwrap().location().set_hash("#prices").unwrap();
    settle().await;
    assert_eq!(text_of("nav a[aria-current=page]"), "Prices");
    let rows = || document().query_selector_all("[data-testid=price-table] tbody tr").unwrap().length();
    assert_eq!(rows(), 100, "the first 100 of the table");
    type_into("#search", "gpt-4o-mini");
    settle().await;
    let shown = rows();
    assert!(shown > 0 && shown < 100, "{shown} rows for gpt-4o-mini");
    let first = text_of("[data-testid=price-table] tbody tr th");
    assert!(first.contains("gpt-4o-mini"), "{first}");
}

#[wasm_bindgen_test]
async fn a_user_price_is_stored_and_wins_after_a_reload() {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().clear().unwrap();
    let store = Store::load();
    let mut model =
        farebox_core::Model::simple("my-finetune", per_token("3").unwrap(), per_token("12").unwrap(), false);
    model.context_window = Some(64_000);
    store.replace_user_models(|t| t.add_model(model)).unwrap();
    let reloaded = Store::load();
    let table = store::table();
    let resolved = table.resolve("my-finetune").unwrap();
    assert!(resolved.user_defined);
    let first = reloaded.models.get_untracked().into_iter().next().unwrap();
    assert_eq!((first.id.as_str(), first.input_per_million.as_str()), ("my-finetune", "3"));
    assert!(first.user_defined);
    reloaded.reset();
    assert!(store::table().resolve("my-finetune").is_err());
    assert!(web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("farebox.prices.v1")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
fn charts_are_svg_with_their_labels() {
    let data = vec![
        Datum { label: "gpt-4o".into(), value: "1.25".into() },
        Datum { label: "claude-sonnet-4".into(), value: "0.5".into() },
    ];
    let bars = chart::bars(&data, Unit::Usd);
    assert!(bars.starts_with("<svg"), "{}", &bars[..bars.len().min(80)]);
    assert!(bars.contains("gpt-4o") && bars.contains("claude-sonnet-4"));
    let line = chart::line(&data, Unit::Usd);
    assert!(line.starts_with("<svg") && line.contains("<polyline"), "a line series");
    assert_eq!(chart::bars(&[], Unit::Usd), "", "no data, no chart");
}

#[wasm_bindgen_test]
fn inputs_become_request_bodies() {
    let text = request_body("hello", InputMode::Auto).unwrap();
    assert_eq!(text, r#"{"messages":[{"content":"hello","role":"user"}]}"#);
    let list = request_body(r#"[{"role":"user","content":"hi"}]"#, InputMode::Auto).unwrap();
    assert_eq!(list, r#"{"messages":[{"role":"user","content":"hi"}]}"#, "the list as written, wrapped");
    let body = r#"{"model":"gpt-4o","messages":[]}"#;
    assert_eq!(request_body(body, InputMode::Auto).unwrap(), body);
    assert!(request_body("[1,", InputMode::Messages).is_err());
    // Text mode never parses: JSON-looking text is still one message.
    assert!(request_body(body, InputMode::Text).unwrap().starts_with(r#"{"messages":[{"content":"{\"model\""#));
}
