//! farebox-worker: a Cloudflare Worker in front of OpenAI-, Anthropic- and
//! Gemini-compatible APIs that estimates each call with `farebox-core` and
//! refuses the ones over budget, or that it cannot price, before they reach
//! the API.
//!
//! The pure modules build natively and are unit-tested with `cargo test`:
//! `route` (path normalisation, deny by default), `identity` (who a call is
//! billed to, which headers go upstream), `assess` (the estimate and the
//! policy), `reply` (answers in each API's error shape), `ledger` (the
//! budget Durable Object's protocol and settlement), `telemetry` (log lines,
//! actual cost), `sse` and `json_scan` (usage found in responses as they
//! stream through). The workers-rs glue (the fetch handler, forwarding, the
//! budget Durable Object) exists only in the wasm32 build. `cargo xtask
//! worker` builds and runs it in workerd.

pub mod assess;
pub mod config;
pub mod count;
pub mod identity;
pub mod json_scan;
pub mod ledger;
pub mod reply;
pub mod route;
pub mod sse;
pub mod telemetry;

#[cfg(target_arch = "wasm32")]
mod budget_do;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod proxy;
