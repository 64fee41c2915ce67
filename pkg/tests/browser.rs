//! The bindings' tests in headless Chromium (chromedriver on PATH; its
//! arguments are in `webdriver.json` beside Cargo.toml).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn runs_in_a_browser_window() {
    let global = js_sys::global();
    let window = js_sys::Reflect::get(&global, &"window".into()).unwrap();
    assert!(!window.is_undefined(), "these tests run in a page, not in Node");
}
