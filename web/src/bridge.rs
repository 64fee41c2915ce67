//! The page's side of the Web Worker: send [`Request`]s, route each
//! [`Response`] to whoever asked.
//!
//! Typing produces a request per pause; only the newest matters. A *lane*
//! holds at most one request in flight and one waiting: a newer request
//! replaces the waiting one, so a burst of edits costs two estimates, not
//! one per keystroke, and a stale answer is never shown over a fresh one.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::protocol::{Request, Response};

type Handler = Box<dyn FnMut(Response)>;

struct Bridge {
    worker: web_sys::Worker,
    next_id: u32,
    handlers: HashMap<u32, (Lane, Handler)>,
    busy: HashMap<Lane, bool>,
    waiting: HashMap<Lane, (Request, Handler)>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

thread_local! {
    static BRIDGE: RefCell<Option<Bridge>> = const { RefCell::new(None) };
}

/// Independent streams of requests, each newest-wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    Estimate,
    Compare,
}

/// Hands `worker` (`worker.js`, which boot.js starts while the module
/// compiles) `module`, the page's compiled `WebAssembly.Module`.
pub fn start(module: &JsValue, worker: web_sys::Worker) -> Result<(), JsValue> {
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        if let Some(text) = event.data().as_string() {
            match serde_json::from_str::<Response>(&text) {
                Ok(response) => deliver(response),
                Err(e) => web_sys::console::error_1(&format!("farebox worker sent an unreadable message: {e}").into()),
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.post_message(module)?;
    send(&worker, &Request::Warm);
    BRIDGE.with(|b| {
        *b.borrow_mut() = Some(Bridge {
            worker,
            next_id: 1,
            handlers: HashMap::new(),
            busy: HashMap::new(),
            waiting: HashMap::new(),
            _on_message: on_message,
        })
    });
    Ok(())
}

/// Sends a message that expects no answer (the user's prices). Messages are
/// handled in order, so every later estimate sees them.
pub fn post(request: &Request) {
    BRIDGE.with(|b| {
        if let Some(bridge) = b.borrow().as_ref() {
            send(&bridge.worker, request);
        }
    });
}

/// Sends an estimate on `lane` (its `id` is assigned here); `on_response`
/// gets its progress and its answer.
pub fn submit(lane: Lane, mut request: Request, on_response: impl FnMut(Response) + 'static) {
    BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        let Some(bridge) = b.as_mut() else { return };
        if let Request::Estimate { id, .. } = &mut request {
            *id = bridge.next_id;
            bridge.next_id = bridge.next_id.wrapping_add(1);
        }
        let handler: Handler = Box::new(on_response);
        if bridge.busy.get(&lane).copied().unwrap_or(false) {
            bridge.waiting.insert(lane, (request, handler));
        } else {
            dispatch(bridge, lane, request, handler);
        }
    });
}

fn dispatch(bridge: &mut Bridge, lane: Lane, request: Request, handler: Handler) {
    if let Request::Estimate { id, .. } = &request {
        bridge.handlers.insert(*id, (lane, handler));
        bridge.busy.insert(lane, true);
    }
    send(&bridge.worker, &request);
}

fn send(worker: &web_sys::Worker, request: &Request) {
    let text = serde_json::to_string(request).expect("requests serialise");
    if let Err(e) = worker.post_message(&JsValue::from_str(&text)) {
        web_sys::console::error_2(&"farebox: could not reach the worker".into(), &e);
    }
}

/// Routes a response; a final one frees its lane for the waiting request.
fn deliver(response: Response) {
    let (id, last) = match &response {
        Response::Ready => return,
        // boot.js registers the offline cache on this event: filling it
        // downloads the whole build, which, started with the page, delayed
        // the worker's start and the first estimate by ~150 ms (measured).
        Response::Warmed => {
            if let Some(window) = web_sys::window() {
                if let Ok(event) = web_sys::Event::new("farebox-warmed") {
                    let _ = window.dispatch_event(&event);
                }
            }
            return;
        }
        Response::Progress { id, .. } | Response::Bounds { id, .. } => (Some(*id), false),
        Response::Estimates { id, .. } => (Some(*id), true),
        Response::Failed { id, .. } => (*id, true),
    };
    let Some(id) = id else {
        web_sys::console::error_1(&format!("farebox worker: {response:?}").into());
        return;
    };
    // The handler runs outside the borrow: it updates signals, whose effects may submit again.
    let taken = BRIDGE.with(|b| b.borrow_mut().as_mut().and_then(|bridge| bridge.handlers.remove(&id)));
    let Some((lane, mut handler)) = taken else { return };
    handler(response);
    BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        let Some(bridge) = b.as_mut() else { return };
        if !last {
            bridge.handlers.insert(id, (lane, handler));
            return;
        }
        bridge.busy.insert(lane, false);
        if let Some((request, handler)) = bridge.waiting.remove(&lane) {
            dispatch(bridge, lane, request, handler);
        }
    });
}
