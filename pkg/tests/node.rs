//! The bindings' tests in Node: `cargo test --target wasm32-unknown-unknown
//! -p farebox-wasm --tests` with wasm-bindgen-test-runner as the runner.
#![cfg(target_arch = "wasm32")]

mod common;
