//! `cargo xtask bench`: the benchmarks, as a list of steps like `test`'s.
//! Timings are printed, never asserted (the machines are shared).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{
    cmd::{repo_root, Cmd},
    ensure::ensure_npm_deps,
    pkg, Result,
};

/// One benchmark; `Err` stops the run.
type Step = fn() -> Result<()>;

/// `(name, step)` in the order they run.
const STEPS: &[(&str, Step)] = &[
    ("native: farebox against tiktoken-rs (criterion)", native),
    ("npm package against gpt-tokenizer, js-tiktoken and tiktoken (WASM)", npm_package),
    ("npm package and the others on text seen for the first time", npm_unseen),
];

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

/// Runs `pkg/bench/unseen.mjs` (after [`npm_package`], which built and installed
/// what it needs): first counts against counts of the same text again.
fn npm_unseen() -> Result<()> {
    Cmd::new("node").arg(pkg::pkg_dir().join("bench").join("unseen.mjs")).run()
}

/// Runs the criterion benchmark `tests/benches/tokenize.rs`, then prints its
/// medians as the Markdown table in docs/PERFORMANCE.md.
fn native() -> Result<()> {
    Cmd::cargo().args(["bench", "-p", "farebox-tests", "--bench", "tokenize"]).run()?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    let dir = target.join("criterion");
    let texts = [("prose", "prose-en.txt"), ("code", "code-rust.txt"), ("JSON", "json.txt"), ("CJK", "cjk.txt")];
    let worst = [
        ("100 KB of \"a\"", "letterx100000"),
        ("1 MB of \"a\"", "letterx1000000"),
        ("1 MB of spaces", "spacex1000000"),
        ("1 MB of digits", "digitx1000000"),
    ];
    let mut header: Vec<String> = texts.iter().map(|(name, _)| format!("{name} MB/s")).collect();
    header.push("cold start".into());
    header.extend(worst.iter().map(|(name, _)| name.to_string()));
    header.push("1 MB of \"a\" ÷ 1 MB of prose".into());
    println!("\n| tool | {} |\n|---|{}", header.join(" | "), "---|".repeat(header.len()));
    // "farebox-encode": ids instead of a count, no memo of pieces (text seen the first time).
    for tool in ["farebox", "farebox-encode", "tiktoken-rs"] {
        let mut cells = Vec::new();
        for (_, file) in texts {
            let (ns, bytes) = estimate(&dir.join("o200k_base").join(tool).join(file))?;
            cells.push(format!("{:.1}", bytes as f64 / 1e6 / (ns / 1e9)));
        }
        let load = dir.join("load_o200k_base").join(tool);
        cells.push(if load.is_dir() { estimate(&load).map(|(ns, _)| millis(ns))? } else { "–".into() });
        for (_, id) in worst {
            // tiktoken-rs runs only the 100 KB cases: it is quadratic on them.
            let path = dir.join("o200k_base").join(tool).join(id);
            cells.push(if path.is_dir() { millis(estimate(&path)?.0) } else { "–".into() });
        }
        let per_byte = |path: &Path| estimate(path).map(|(ns, bytes)| ns / bytes as f64);
        let prose = per_byte(&dir.join("o200k_base").join(tool).join("prose-en.txt"))?;
        let letters = dir.join("o200k_base").join(tool).join("letterx1000000");
        cells.push(if letters.is_dir() { format!("{:.1}×", per_byte(&letters)? / prose) } else { "–".into() });
        println!("| {tool} | {} |", cells.join(" | "));
    }
    Ok(())
}

/// Criterion's median time (ns) of one benchmark and its throughput in bytes.
fn estimate(dir: &Path) -> Result<(f64, u64)> {
    let read = |name: &str| -> Result<serde_json::Value> {
        let path = dir.join("new").join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let median = read("estimates.json")?["median"]["point_estimate"].as_f64().ok_or("estimates.json: no median")?;
    let bytes = read("benchmark.json")?["throughput"]["Bytes"].as_u64().unwrap_or(0);
    Ok((median, bytes))
}

fn millis(ns: f64) -> String {
    format!("{:.1} ms", ns / 1e6)
}
