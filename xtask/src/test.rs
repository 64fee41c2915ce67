//! `cargo xtask test`: every check CI runs, in order, stopping at the first
//! failure. Closes with `xtask: N passed, M failed` on its own line.

use std::time::Instant;

use crate::{
    cmd::Cmd,
    ensure::{ensure_rustup_component, ensure_rustup_target},
    AlreadyReported, Result,
};

/// One check; `Err` stops the run.
type Step = fn() -> Result<()>;

/// `(name, step)` in the order they run.
const STEPS: &[(&str, Step)] = &[
    ("prerequisites", prerequisites),
    ("fmt", fmt),
    ("clippy", clippy),
    ("price table matches vendor/price-tables", prices_up_to_date),
    ("tokenizer data matches tiktoken-rs, the pinned tokenizer.json files and regex-syntax", vocab_up_to_date),
    ("estimate ratios match the calibration", estimates_up_to_date),
    ("cargo test", cargo_test),
    ("no_std build (wasm32)", no_std_build),
    ("cost example smoke test (core/examples/cost.rs)", cost_example_smoke),
    ("npm package: build (cargo xtask pkg)", crate::pkg::build_step),
    ("npm package: node --test suites (Node, a Vite page in Chromium, workerd)", crate::pkg::node_tests),
    ("npm package: wasm-bindgen tests in Node and headless Chromium", crate::pkg::wasm_tests),
    ("worker end-to-end in workerd (fake upstream on 127.0.0.1)", crate::worker::e2e),
    ("web app: component tests (wasm-bindgen, headless Chromium)", crate::web::component_tests),
    ("web app: build, serve on 127.0.0.1, end-to-end in headless Chromium", crate::web::e2e),
];

/// The usage the smoke test feeds the cost example on stdin.
const SMOKE_USAGE: &str =
    r#"{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}"#;

pub fn run(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`test` takes no arguments, got `{extra}`").into());
    }
    let mut passed = 0;
    for (name, step) in STEPS {
        println!("==> {name}");
        let start = Instant::now();
        let result = step();
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                println!("==> {name}: ok in {secs:.1}s");
                passed += 1;
            }
            Err(err) => {
                println!("==> {name}: FAILED in {secs:.1}s");
                println!("xtask test: step `{name}` failed: {err}");
                println!("xtask: {passed} passed, 1 failed");
                return Err(AlreadyReported.into());
            }
        }
    }
    println!("xtask: {passed} passed, 0 failed");
    Ok(())
}

fn prerequisites() -> Result<()> {
    ensure_rustup_target("wasm32-unknown-unknown")?;
    ensure_rustup_component("rustfmt")?;
    ensure_rustup_component("clippy")
}

fn prices_up_to_date() -> Result<()> {
    crate::prices::run(&["--check".to_string()])
}

fn estimates_up_to_date() -> Result<()> {
    crate::estimates::run(&["--check".to_string()])
}

fn vocab_up_to_date() -> Result<()> {
    crate::vocab::run(&["--check".to_string()])
}

fn fmt() -> Result<()> {
    Cmd::cargo().args(["fmt", "--all", "--", "--check"]).run()
}

fn clippy() -> Result<()> {
    Cmd::cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]).run()
}

/// `--workspace` because the default members leave out xtask, whose own tests
/// should run too. Core's tests run with every feature (tokenizer, embedded
/// vocabularies) here as under a plain `cargo test -p farebox-core`: core's
/// dev-dependency on itself turns them on for its own test builds.
fn cargo_test() -> Result<()> {
    Cmd::cargo().args(["test", "--workspace"]).run()
}

fn no_std_build() -> Result<()> {
    println!("checking that farebox-core builds as no_std + alloc (wasm32-unknown-unknown, no default features)");
    Cmd::cargo()
        .args(["build", "-p", "farebox-core", "--no-default-features"])
        .args(["--target", "wasm32-unknown-unknown"])
        .run()?;
    println!("and with the tokenizer and its embedded vocabularies");
    Cmd::cargo()
        .args(["build", "-p", "farebox-core", "--no-default-features", "--features", "embedded-vocab"])
        .args(["--target", "wasm32-unknown-unknown"])
        .run()
}

/// Runs the native cost example on a sample usage, and checks that it
/// succeeds and prints a total.
fn cost_example_smoke() -> Result<()> {
    let output = Cmd::cargo()
        .args(["run", "--quiet", "--release", "-p", "farebox-core", "--features", "embedded-vocab"])
        .args(["--example", "cost", "--", "--model", "gpt-4o"])
        .read_with_stdin(SMOKE_USAGE.as_bytes())?;
    print!("{output}");
    if !output.ends_with('\n') {
        println!();
    }
    if has_total_line(&output) {
        Ok(())
    } else {
        Err("the example exited 0 but printed no line containing `total`".into())
    }
}

fn has_total_line(output: &str) -> bool {
    output.lines().any(|line| line.to_ascii_lowercase().contains("total"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_line_is_found_in_any_case() {
        assert!(has_total_line("input  $0.01\ntotal  $0.02\n"));
        assert!(has_total_line("Total: $0.02"));
        assert!(!has_total_line("input  $0.01\n"));
        assert!(!has_total_line(""));
    }

    #[test]
    fn smoke_usage_is_the_documented_json() {
        assert!(SMOKE_USAGE.contains(r#""prompt_tokens":10000"#));
        assert!(SMOKE_USAGE.contains(r#""cached_tokens":4000"#));
    }
}
