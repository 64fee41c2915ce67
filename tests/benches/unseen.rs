//! Text seen for the first time, natively, in the protocol of
//! `pkg/bench/unseen.mjs`: one process per (tool, target), which counts the
//! other corpus texts three times, then times its first count of the target
//! and the best of three counts of it again. For bpe-openai, tiktoken-rs and
//! farebox natively; the median of three processes.
//!
//! Why besides criterion: criterion counts one text hundreds of times, so
//! what that text touches (the vocabulary's entries for its words, a
//! tokenizer's tables) stays in the CPU's caches from one count to the next.
//! A tokenizer without a memo then counts the text "again" as much as
//! `farebox`'s memo does, only in hardware; a first count, in WebAssembly or
//! natively, pays the misses. Issue #17 compares the WebAssembly first pass
//! with both.
//!
//! Run: `cargo bench -p farebox-tests --bench unseen [-- --out FILE]` (FILE:
//! every median as JSON, the fields of unseen.mjs's); `cargo xtask bench` runs it.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use farebox_core::tokens::{Encoding, Tokenizer};

/// The targets, in the order of `tests/benches/tokenize.rs` and unseen.mjs.
const TARGETS: [&str; 6] = ["prose-en", "code-rust", "multilingual", "json", "cjk", "chat"];
/// The rest of the warm-up.
const OTHERS: [&str; 2] = ["code-python", "edge"];
const TOOLS: [&str; 3] = ["bpe-openai", "tiktoken-rs", "farebox"];
const ENCODINGS: [&str; 2] = ["o200k_base", "cl100k_base"];
/// Processes per (tool, target, encoding); the median is reported.
const RUNS: usize = 3;

/// A corpus file by its name without `.txt`.
fn corpus(name: &str) -> String {
    farebox_tests::corpus(&format!("{name}.txt"))
}

/// The counting function of `tool` for `encoding`, loaded.
fn counter(tool: &str, encoding: &str) -> Box<dyn Fn(&str) -> usize> {
    let o200k = match encoding {
        "o200k_base" => true,
        "cl100k_base" => false,
        _ => panic!("no encoding {encoding}"),
    };
    match tool {
        "bpe-openai" => {
            let bpe = if o200k { bpe_openai::o200k_base() } else { bpe_openai::cl100k_base() };
            Box::new(move |text| bpe.count(text))
        }
        "tiktoken-rs" => {
            let bpe = if o200k { tiktoken_rs::o200k_base() } else { tiktoken_rs::cl100k_base() }.unwrap();
            Box::new(move |text| bpe.encode_ordinary(text).len())
        }
        "farebox" => {
            let ours = Tokenizer::embedded(if o200k { Encoding::O200kBase } else { Encoding::Cl100kBase });
            Box::new(move |text| ours.count(text))
        }
        _ => panic!("no tool {tool}"),
    }
}

/// One process's measurement: (tokens, first MB/s, again MB/s).
fn measure(tool: &str, target: &str, encoding: &str) -> (usize, f64, f64) {
    let count = counter(tool, encoding);
    let warm: Vec<String> = OTHERS.iter().chain(&TARGETS).filter(|&&t| t != target).map(|t| corpus(t)).collect();
    for _ in 0..3 {
        for text in &warm {
            black_box(count(text));
        }
    }
    let text = corpus(target);
    let timed = || {
        let started = Instant::now();
        let tokens = count(black_box(&text));
        (tokens, text.len() as f64 / 1e6 / started.elapsed().as_secs_f64())
    };
    let (tokens, first) = timed();
    let again = (0..3).map(|_| timed().1).fold(0.0, f64::max);
    (tokens, first, again)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let [one, tool, target, encoding] = &args[..] {
        assert_eq!(one, "--one", "usage: unseen [--out FILE] | --one TOOL TARGET ENCODING");
        let (tokens, first, again) = measure(tool, target, encoding);
        println!("{tokens} {first} {again}");
        return;
    }
    let out = match &args[..] {
        [] => None,
        [flag, file] if flag == "--out" => Some(file.clone()),
        _ => panic!("usage: unseen [--out FILE] | --one TOOL TARGET ENCODING"),
    };
    let me = std::env::current_exe().expect("the benchmark's own path");
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let mut results = Vec::new();
    let mut counts = std::collections::HashMap::new();
    for encoding in ENCODINGS {
        println!("\n{encoding}, MB/s, median of {RUNS} processes, natively:\n");
        println!("| tool | {} |", TARGETS.map(|t| format!("{t} first | {t} again")).join(" | "));
        println!("|---|{}", "---|---|".repeat(TARGETS.len()));
        for tool in TOOLS {
            let mut cells = Vec::new();
            for target in TARGETS {
                let samples: Vec<(usize, f64, f64)> = (0..RUNS)
                    .map(|_| {
                        let run = Command::new(&me).args(["--one", tool, target, encoding]).output().expect("spawn");
                        assert!(
                            run.status.success(),
                            "{tool} {target} {encoding}: {}",
                            String::from_utf8_lossy(&run.stderr)
                        );
                        let line = String::from_utf8(run.stdout).expect("UTF-8");
                        let fields: Vec<&str> = line.split_whitespace().collect();
                        (fields[0].parse().unwrap(), fields[1].parse().unwrap(), fields[2].parse().unwrap())
                    })
                    .collect();
                // Timings of different answers would compare nothing (the corpus test
                // checks the counts against the reference; here, the tools against each other).
                let tokens = *counts.entry((encoding, target)).or_insert(samples[0].0);
                assert!(
                    samples.iter().all(|s| s.0 == tokens),
                    "{tool} counts {target} ({encoding}) unlike the first tool"
                );
                let first = median(samples.iter().map(|s| s.1).collect());
                let again = median(samples.iter().map(|s| s.2).collect());
                cells.push(format!("{first:.2} | {again:.2}"));
                results.push(serde_json::json!({
                    "tool": tool, "encoding": encoding, "file": format!("{target}.txt"),
                    "tokens": tokens, "first": first, "again": again,
                }));
            }
            println!("| {tool} | {} |", cells.join(" | "));
        }
    }
    if let Some(file) = out {
        std::fs::write(&file, serde_json::to_string_pretty(&results).expect("JSON")).expect("write --out");
    }
}
