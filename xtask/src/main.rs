//! Build automation for farebox, in Rust rather than shell (the rust-analyzer
//! `xtask` pattern). Run `cargo xtask help` for the list of verbs.
//!
//! Adding a verb: write `src/<verb>.rs` with a `pub fn run(args: &[String]) ->
//! Result<()>`, add a `mod` line, an arm in [`dispatch`] and a row in [`VERBS`].

mod bench;
mod cmd;
mod ensure;
mod estimates;
mod fuzz;
mod generated;
mod pkg;
mod price_history;
mod prices;
mod serve;
mod test;
mod vocab;
mod web;
mod worker;

use std::{error::Error, fmt, process::ExitCode};

/// Every fallible xtask function returns this.
pub type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

/// The signature every verb implements; `args` are the words after the verb.
type Verb = fn(&[String]) -> Result<()>;

/// `(name, usage, summary)` for `cargo xtask help`.
const VERBS: &[(&str, &str, &str)] = &[
    ("test", "test", "run every check CI runs: prerequisites, fmt, clippy, tests, no_std build, package, web app, worker"),
    (
        "serve",
        "serve [--port N] [--no-build]",
        "build the web app (web/dist) and serve it on http://127.0.0.1:8080 until interrupted",
    ),
    (
        "fuzz",
        "fuzz [SECONDS]",
        "run every fuzz target in core/fuzz for SECONDS each (default 60) with cargo-fuzz on nightly",
    ),
    (
        "prices",
        "prices [--check]",
        "regenerate core/data/prices.json and its index from vendor/price-tables (--check: fail if stale)",
    ),
    (
        "vocab",
        "vocab [--check]",
        "regenerate the tokenizer data in core/data (vocabularies, Unicode classes); --check: fail if stale",
    ),
    (
        "estimates",
        "estimates [--check]",
        "derive core/data/estimate_ratios.json from tests/calibration/calibration.json; --check: fail if stale",
    ),
    (
        "worker",
        "worker [--bench]",
        "build the edge worker and run it in workerd on 127.0.0.1:8787 (vars from worker/wrangler.toml, overridden by env); --bench: run its load test",
    ),
    ("bench", "bench", "run the benchmarks (native against tiktoken-rs; the npm package against gpt-tokenizer, js-tiktoken and tiktoken)"),
    ("pkg", "pkg", "build the npm package `farebox` in place (pkg/dist, pkg/vocab) and print its sizes"),
    ("help", "help", "print this list"),
];

/// Maps a verb name to the function that runs it.
fn dispatch(verb: &str) -> Option<Verb> {
    Some(match verb {
        "test" => test::run,
        "serve" => serve::run,
        "fuzz" => fuzz::run,
        "prices" => prices::run,
        "vocab" => vocab::run,
        "estimates" => estimates::run,
        "pkg" => pkg::run,
        "bench" => bench::run,
        "worker" => worker::run,
        "help" | "-h" | "--help" => help,
        _ => return None,
    })
}

fn help(_args: &[String]) -> Result<()> {
    println!("usage: cargo xtask <verb> [args]\n\nverbs:");
    let width = VERBS.iter().map(|(_, usage, _)| usage.len()).max().unwrap_or(0);
    for (_, usage, summary) in VERBS {
        println!("  {usage:<width$}  {summary}");
    }
    Ok(())
}

/// An error whose message has already been printed: `main` only sets the exit code.
#[derive(Debug)]
pub struct AlreadyReported;

impl fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failure already reported")
    }
}

impl Error for AlreadyReported {}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((verb, rest)) = args.split_first() else {
        let _ = help(&[]);
        eprintln!("\nxtask: error: no verb given");
        return ExitCode::from(2);
    };
    let Some(run) = dispatch(verb) else {
        eprintln!("xtask: error: unknown verb `{verb}`; `cargo xtask help` lists the verbs");
        return ExitCode::from(2);
    };
    match run(rest) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<AlreadyReported>() => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("xtask {verb}: error: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_verb_dispatches() {
        for (name, usage, _) in VERBS {
            assert!(dispatch(name).is_some(), "verb `{name}` is listed but not dispatched");
            assert!(usage.starts_with(name), "usage of `{name}` must start with its name");
        }
    }

    #[test]
    fn unknown_verb_does_not_dispatch() {
        assert!(dispatch("prices-typo").is_none());
    }
}
