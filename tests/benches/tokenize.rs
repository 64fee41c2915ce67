//! Counting throughput, farebox against tiktoken-rs (the reference, native),
//! on the corpus: English prose, Rust code, CJK, JSON (counted, and encoded:
//! text seen for the first time); the worst cases, one
//! character repeated; and the cold start. Run: `cargo bench -p farebox-tests
//! --bench tokenize`, or `cargo xtask bench`, which also prints the table in
//! docs/PERFORMANCE.md from criterion's estimates.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use farebox_core::tokens::{Encoding, Tokenizer};

fn corpus(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn throughput(c: &mut Criterion) {
    let ours = Tokenizer::embedded(Encoding::O200kBase);
    let reference = tiktoken_rs::o200k_base().unwrap();
    let mut group = c.benchmark_group("o200k_base");
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    for file in ["prose-en.txt", "code-rust.txt", "cjk.txt", "json.txt"] {
        let text = corpus(file);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("farebox", file), &text, |b, t| b.iter(|| ours.count(black_box(t))));
        // Counting the same text again answers its merged pieces from the
        // tokenizer's memo; encoding never uses it, so this row is the work
        // of text seen for the first time (and, like tiktoken-rs, makes ids).
        group.bench_with_input(BenchmarkId::new("farebox-encode", file), &text, |b, t| {
            b.iter(|| ours.encode(black_box(t)).len())
        });
        group.bench_with_input(BenchmarkId::new("tiktoken-rs", file), &text, |b, t| {
            b.iter(|| reference.encode_ordinary(black_box(t)).len())
        });
    }
    // The worst cases: one long piece of a single repeated character (letters,
    // spaces; digits are pieces of at most 3 in o200k_base). tiktoken-rs is
    // quadratic on those, so it gets 100 KB; farebox gets 100 KB and 1 MB.
    for (unit, label) in [("a", "letter"), (" ", "space"), ("7", "digit")] {
        for size in [100_000usize, 1_000_000] {
            let text = unit.repeat(size);
            group.throughput(Throughput::Bytes(size as u64));
            let id = format!("{label}x{size}");
            group.bench_with_input(BenchmarkId::new("farebox", &id), &text, |b, t| b.iter(|| ours.count(black_box(t))));
            if size <= 100_000 {
                group.bench_with_input(BenchmarkId::new("tiktoken-rs", &id), &text, |b, t| {
                    b.iter(|| reference.encode_ordinary(black_box(t)).len())
                });
            }
        }
    }
    group.finish();
}

fn cold_start(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_o200k_base");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.bench_function("farebox", |b| b.iter(|| Tokenizer::embedded(Encoding::O200kBase).count("hi")));
    group.bench_function("tiktoken-rs", |b| b.iter(|| tiktoken_rs::o200k_base().unwrap().encode_ordinary("hi").len()));
    group.finish();
}

criterion_group!(benches, throughput, cold_start);
criterion_main!(benches);
