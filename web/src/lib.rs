//! farebox's web app (Leptos, client-side only): the pre-call estimator,
//! model comparison, trace dashboard and price editor, running entirely in
//! the browser on `farebox-core`.
//!
//! One module serves two roles. On the page, `static/boot.js` compiles it,
//! calls [`start`] with the compiled module and a Web Worker
//! (`static/worker.js`) it started meanwhile; the app mounts, and the worker
//! instantiates that same module, where [`handle_message`] estimates off the
//! page's thread (see [`protocol`]).

pub mod app;
mod bridge;
pub mod chart;
mod compare;
pub mod draft;
pub mod estimator;
mod price_history;
mod prices;
pub mod protocol;
pub mod share;
pub mod store;
mod traces;
pub mod ui;
mod worker;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub use worker::request_body;

/// The page's entry: hands `worker` (the Web Worker running
/// `static/worker.js`) `module` (the compiled `WebAssembly.Module`) and
/// mounts the app on `<body>`.
#[wasm_bindgen]
pub fn start(module: JsValue, worker: web_sys::Worker) -> Result<(), JsValue> {
    bridge::start(&module, worker)?;
    leptos::mount::mount_to_body(app::App);
    Ok(())
}

/// The worker's entry: handles one message from the page (JSON text) and
/// posts the responses back.
#[wasm_bindgen]
pub async fn handle_message(message: String) {
    let post = |response: &protocol::Response| {
        let text = serde_json::to_string(response).expect("responses serialise");
        if let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() {
            let _ = scope.post_message(&JsValue::from_str(&text));
        }
    };
    worker::handle(&message, post).await;
}
