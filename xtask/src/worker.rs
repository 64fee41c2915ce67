//! `cargo xtask worker`: builds the edge worker (`worker/`) for wasm32,
//! binds it with wasm-bindgen, adds the ES-module entry shim, and runs it in
//! workerd (miniflare) on 127.0.0.1:8787. The worker's vars
//! (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, PER_CALL_MAX_USD, POLICY_JSON, ...)
//! default to `worker/wrangler.toml`'s and are overridden by this command's
//! environment; `run.mjs` checks them with the worker's own code before
//! workerd starts, so a bad one stops the command, named.

use std::{fs, path::PathBuf};

use crate::{
    cmd::{repo_root, Cmd},
    ensure::{ensure_cargo_install, ensure_npm_deps, ensure_npm_tool, ensure_rustup_target},
    Result,
};

/// The npm project that runs the worker and its end-to-end tests.
pub const TEST_DIR: &str = "worker/test";

/// `cargo xtask worker`: build and serve; `--bench`: build with the
/// `bench-hooks` feature and run the bounded load test instead.
pub fn run(args: &[String]) -> Result<()> {
    match args {
        [] => {
            build(Hooks::None)?;
            Cmd::new("node").arg(format!("{TEST_DIR}/run.mjs")).run()
        }
        [flag] if flag == "--bench" => {
            build(Hooks::Bench)?;
            Cmd::new("node").arg(format!("{TEST_DIR}/load.mjs")).run()
        }
        [extra, ..] => Err(format!("`worker` takes only `--bench` (configure it with env vars), got `{extra}`").into()),
    }
}

/// Whether the build carries the load test's `guard_bench` export.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hooks {
    /// What is deployed.
    None,
    Bench,
}

/// Builds `worker/build/`: `index_bg.wasm`, wasm-bindgen's `index.js` and
/// snippets, and `shim.mjs`; installs the npm dependencies if missing.
pub fn build(hooks: Hooks) -> Result<()> {
    ensure_rustup_target("wasm32-unknown-unknown")?;
    ensure_cargo_install("wasm-bindgen-cli", "0.2.130", &[])?;
    ensure_npm_deps(&repo_root().join(TEST_DIR))?;
    let mut cargo =
        Cmd::cargo().args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "farebox-worker"]);
    let mut features = Vec::new();
    if hooks == Hooks::Bench {
        features.push("bench-hooks");
    }
    // `WORKER_GEMMA3=1`, `WORKER_LLAMA4=1`, `WORKER_MISTRAL_SPM=1`,
    // `WORKER_DEEPSEEK_V3=1`, `WORKER_QWEN3=1`: those vocabularies compiled
    // in (exact counts; the upload would pass, or come close to, the free
    // plan's 3 MB: worker/README.md).
    let optional = [
        ("WORKER_GEMMA3", "gemma3"),
        ("WORKER_LLAMA4", "llama4"),
        ("WORKER_MISTRAL_SPM", "mistral-spm"),
        ("WORKER_DEEPSEEK_V3", "deepseek-v3"),
        ("WORKER_QWEN3", "qwen3"),
    ];
    for (variable, feature) in optional {
        if std::env::var_os(variable).is_some_and(|v| v == "1") {
            features.push(feature);
        }
    }
    if !features.is_empty() {
        cargo = cargo.args(["--features", &features.join(",")]);
    }
    cargo.run()?;
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/release/farebox_worker.wasm");
    let out = root.join("worker/build");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    Cmd::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", "index", "--out-dir"])
        .arg(&out)
        .arg(&wasm)
        .run()?;
    fs::copy(root.join("worker/shim.mjs"), out.join("shim.mjs"))?;
    let size = fs::metadata(out.join("index_bg.wasm"))?.len();
    println!("worker built: worker/build/index_bg.wasm is {:.1} MB", size as f64 / 1e6);
    Ok(())
}

/// The wrangler that checks the deploy path: the last release that runs on
/// Node 20 (later ones need Node 22), installed into `target/wrangler`, its own prefix
/// (an npm install into a shared prefix would prune the other tools).
const WRANGLER_VERSION: &str = "4.86.0";

/// `cargo xtask test`'s step: builds the worker and runs its end-to-end
/// tests in workerd against a fake upstream on 127.0.0.1, then the deploy
/// path: `wrangler deploy --dry-run`'s bundle, run in workerd.
pub fn e2e() -> Result<()> {
    build(Hooks::None)?;
    ensure_npm_tool(&repo_root().join("target").join("wrangler"), "wrangler", WRANGLER_VERSION)?;
    Cmd::new("node")
        .args(["--test", "--test-concurrency=1"])
        .args([format!("{TEST_DIR}/e2e.test.mjs"), format!("{TEST_DIR}/bundle.test.mjs")])
        .run()
}
