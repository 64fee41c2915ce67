//! farebox-worker: a Cloudflare Worker in front of OpenAI-, Anthropic- and
//! Gemini-compatible APIs that estimates each call with `farebox-core` and
//! refuses the ones over budget before they reach the API.
//!
//! The pure modules (configuration, routing, the guard, SSE usage scanning)
//! build natively and are unit-tested with `cargo test`; the workers-rs glue
//! (the fetch handler, forwarding, the budget Durable Object) exists only in
//! the wasm32 build. `cargo xtask worker` builds and runs it in workerd.

pub mod config;
pub mod guard;
pub mod route;
pub mod sse;

#[cfg(target_arch = "wasm32")]
mod budget_do;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod proxy;
