//! `cargo xtask bench`: the benchmarks, as a list of steps like `test`'s.
//! Timings are printed, never asserted (the machines are shared).

use std::time::Instant;

use crate::{cmd::Cmd, ensure::ensure_npm_deps, pkg, Result};

/// One benchmark; `Err` stops the run.
type Step = fn() -> Result<()>;

/// `(name, step)` in the order they run.
const STEPS: &[(&str, Step)] = &[("npm package against gpt-tokenizer, js-tiktoken and tiktoken (WASM)", npm_package)];

pub fn run(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`bench` takes no arguments, got `{extra}`").into());
    }
    for (name, step) in STEPS {
        println!("==> {name}");
        let start = Instant::now();
        step()?;
        println!("==> {name}: done in {:.1}s", start.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Builds the package, installs the pinned competitors (`pkg/bench/package-lock.json`)
/// and runs `pkg/bench/bench.mjs`: one process per tool, same texts, a Markdown table.
fn npm_package() -> Result<()> {
    pkg::build()?;
    let dir = pkg::pkg_dir().join("bench");
    ensure_npm_deps(&dir)?;
    Cmd::new("node").arg(dir.join("bench.mjs")).run()
}
