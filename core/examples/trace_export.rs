//! Writes the benchmark's generated Langfuse export to stdout, for measuring
//! an import somewhere else (the web app in Chromium: docs/PERFORMANCE.md).
//!
//! `cargo run --release -p farebox-core --example trace_export -- [BYTES] > export.jsonl`
//! (default 100,000,000 bytes).

use std::io::Write;

#[path = "../benches/support/mod.rs"]
mod support;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = match std::env::args().nth(1) {
        Some(n) => n.replace('_', "").parse::<usize>().map_err(|_| format!("`{n}` is not a byte count"))?,
        None => 100_000_000,
    };
    std::io::stdout().lock().write_all(&support::export(bytes))?;
    Ok(())
}
