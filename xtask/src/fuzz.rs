//! `cargo xtask fuzz [SECONDS]`: runs every cargo-fuzz target in `core/fuzz`
//! for SECONDS each (default 60) on the nightly toolchain, then the
//! property test that the estimate's maximum bounds every bill
//! (`tests/tests/upper_bound.rs`) with as many generated requests as take
//! about SECONDS in a release build.

use crate::{
    cmd::{repo_root, Cmd},
    ensure::{ensure_cargo_install, ensure_rustup_toolchain},
    Result,
};

const FUZZ_DIR: &str = "core/fuzz";
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const DEFAULT_SECONDS: u64 = 60;

pub fn run(args: &[String]) -> Result<()> {
    let seconds = parse_seconds(args)?;
    if !repo_root().join(FUZZ_DIR).is_dir() {
        return Err(format!(
            "{FUZZ_DIR} does not exist yet, so there are no fuzz targets to run \
             (create it with `cargo +nightly fuzz init --fuzz-dir {FUZZ_DIR}`)"
        )
        .into());
    }
    ensure_cargo_install("cargo-fuzz", CARGO_FUZZ_VERSION, &[])?;
    ensure_rustup_toolchain("nightly")?;
    // `tokens_families` reads the published tokenizer files the vocabularies come from.
    crate::ensure::ensure_npm_deps(&repo_root().join(crate::vocab::REFERENCE_TOKENIZERS))?;
    // `tokens_sentencepiece` builds sentencepiece's C++ source (with cmake) and
    // reads the SentencePiece models, named in `FAREBOX_SPM_<VOCABULARY>`.
    crate::ensure::ensure_apt(&["cmake"])?;
    let mut models = vec![("gemma3", crate::vocab::gemma3_model()?)];
    models.extend(crate::vocab::mistral_models()?);

    // `cargo` on PATH (the rustup proxy), not `$CARGO`: only the proxy takes `+nightly`.
    let nightly_fuzz = || Cmd::new("cargo").args(["+nightly", "fuzz"]);
    let listing = nightly_fuzz().args(["list", "--fuzz-dir", FUZZ_DIR]).read()?;
    let targets: Vec<&str> = listing.lines().map(str::trim).filter(|t| !t.is_empty()).collect();
    if targets.is_empty() {
        return Err(format!("`cargo fuzz list --fuzz-dir {FUZZ_DIR}` found no fuzz targets").into());
    }
    println!("fuzzing {} target(s) for {seconds}s each: {}", targets.len(), targets.join(", "));
    for target in targets {
        println!("==> fuzz {target}");
        // The grown corpus first (libFuzzer writes new inputs there), then the
        // committed seeds, read but never written.
        let corpus = format!("{FUZZ_DIR}/corpus/{target}");
        std::fs::create_dir_all(crate::cmd::repo_root().join(&corpus))?;
        let mut run = nightly_fuzz().args(["run", target, "--fuzz-dir", FUZZ_DIR, &corpus]);
        for (name, path) in &models {
            run = run.env(format!("FAREBOX_SPM_{}", name.to_ascii_uppercase()), path);
        }
        let seeds = format!("{FUZZ_DIR}/seeds/{target}");
        if crate::cmd::repo_root().join(&seeds).is_dir() {
            run = run.arg(&seeds);
        }
        run.args(["--", &format!("-max_total_time={seconds}")]).run()?;
    }
    // proptest has no time limit: the case count is the time budget, at the
    // ~4,700 requests a second a release build checked on a 2-core machine
    // (30,000 in 6.3 s).
    let cases = (seconds * UPPER_BOUND_CASES_PER_SECOND).to_string();
    println!("==> property test: the estimate's maximum bounds every bill ({cases} generated requests)");
    Cmd::cargo()
        .args(["test", "--release", "-p", "farebox-tests", "--test", "upper_bound"])
        .env("PROPTEST_CASES", &cases)
        .run()
}

/// Generated requests per second of `cargo xtask fuzz`'s budget for the
/// upper-bound property test (what a release build checks, rounded down).
const UPPER_BOUND_CASES_PER_SECOND: u64 = 4_000;

/// `[SECONDS]`: an optional positive whole number of seconds per target.
fn parse_seconds(args: &[String]) -> Result<u64> {
    match args {
        [] => Ok(DEFAULT_SECONDS),
        [seconds] => match seconds.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("SECONDS must be a positive whole number, got `{seconds}`").into()),
        },
        _ => Err(format!("usage: cargo xtask fuzz [SECONDS], got {args:?}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn seconds_default_and_parse() {
        assert_eq!(parse_seconds(&[]).unwrap(), 60);
        assert_eq!(parse_seconds(&strings(&["5"])).unwrap(), 5);
        assert!(parse_seconds(&strings(&["0"])).is_err());
        assert!(parse_seconds(&strings(&["-3"])).is_err());
        assert!(parse_seconds(&strings(&["1m"])).is_err());
        assert!(parse_seconds(&strings(&["5", "6"])).is_err());
    }
}
