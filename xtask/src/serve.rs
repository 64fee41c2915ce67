//! `cargo xtask serve [ARGS...]`: until the web app exists, runs the native
//! demo of the cost engine (`core/examples/cost.rs`).

use crate::{cmd::Cmd, Result};

/// Runs the demo with `args` passed through and stdin inherited: pipe a
/// provider usage JSON (or a whole response body) in, or pass `--sample`.
pub fn run(args: &[String]) -> Result<()> {
    demo(args).run()
}

/// The demo command line, shared by `serve` and the smoke test in `xtask test`.
pub fn demo<I>(args: I) -> Cmd
where
    I: IntoIterator,
    I::Item: AsRef<std::ffi::OsStr>,
{
    Cmd::cargo()
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "farebox-core",
            "--features",
            "embedded-vocab",
            "--example",
            "cost",
            "--",
        ])
        .args(args)
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_passes_args_through_after_double_dash() {
        let cmd = super::demo(["--model", "gpt-4o"]).to_string();
        assert_eq!(
            cmd,
            "cargo run --quiet --release -p farebox-core --features embedded-vocab --example cost -- --model gpt-4o"
        );
    }
}
