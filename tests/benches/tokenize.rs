//! Counting throughput on the corpus (English prose, Rust code, multilingual
//! text, JSON, CJK, a chat transcript), for o200k_base and cl100k_base, farebox against the native
//! peers in the same run: tiktoken-rs (the reference) and bpe-openai (GitHub's
//! rust-gems `bpe`, the fastest native tokenizer we know). farebox is timed
//! twice: `farebox-first` forgets its memo of piece counts before every count
//! (the work of text seen for the first time), `farebox` counts the same text
//! again (the memo answers the pieces that needed merging). Then the worst
//! cases, one character repeated, and the cold start. Run: `cargo bench -p
//! farebox-tests --bench tokenize`, or `cargo xtask bench`, which also prints
//! the tables in docs/PERFORMANCE.md from criterion's estimates.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use farebox_core::tokens::{Encoding, Tokenizer};
use farebox_tests::corpus;

/// The corpus files every encoding is timed on (`cargo xtask bench` reads the same list).
const FILES: [&str; 6] = ["prose-en.txt", "code-rust.txt", "multilingual.txt", "json.txt", "cjk.txt", "chat.txt"];

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    group
}

fn throughput(c: &mut Criterion) {
    let encodings = [
        (Encoding::O200kBase, tiktoken_rs::o200k_base().unwrap(), bpe_openai::o200k_base()),
        (Encoding::Cl100kBase, tiktoken_rs::cl100k_base().unwrap(), bpe_openai::cl100k_base()),
    ];
    for (encoding, reference, github) in encodings {
        let ours = Tokenizer::embedded(encoding);
        let mut group = group(c, encoding.name());
        for file in FILES {
            let text = corpus(file);
            // Timings of different answers would compare nothing.
            let count = reference.encode_ordinary(&text).len();
            assert_eq!((ours.count(&text), github.count(&text)), (count, count), "{file}");
            group.throughput(Throughput::Bytes(text.len() as u64));
            group
                .bench_with_input(BenchmarkId::new("farebox", file), &text, |b, t| b.iter(|| ours.count(black_box(t))));
            group.bench_with_input(BenchmarkId::new("farebox-first", file), &text, |b, t| {
                b.iter(|| {
                    ours.forget();
                    ours.count(black_box(t))
                })
            });
            group.bench_with_input(BenchmarkId::new("bpe-openai", file), &text, |b, t| {
                b.iter(|| github.count(black_box(t)))
            });
            group.bench_with_input(BenchmarkId::new("tiktoken-rs", file), &text, |b, t| {
                b.iter(|| reference.encode_ordinary(black_box(t)).len())
            });
        }
        group.finish();
    }
}

fn worst_cases(c: &mut Criterion) {
    let reference = tiktoken_rs::o200k_base().unwrap();
    let prose = corpus("prose-en.txt");
    let mut mb = prose.repeat(1_000_000 / prose.len() + 1);
    mb.truncate(mb.floor_char_boundary(1_000_000));
    // Every byte-level vocabulary: o200k_base, and those whose whitespace
    // and letter runs break differently (Tekken's spaces stop at 64).
    for encoding in [Encoding::O200kBase, Encoding::Llama3, Encoding::Tekken] {
        let ours = Tokenizer::embedded(encoding);
        let mut group = group(c, &format!("{}_worst", encoding.name()));
        // The yardstick: 1 MB of prose counted for the first time.
        group.throughput(Throughput::Bytes(mb.len() as u64));
        group.bench_with_input(BenchmarkId::new("farebox-first", "prosex1000000"), &mb, |b, t| {
            b.iter(|| {
                ours.forget();
                ours.count(black_box(t))
            })
        });
        // One long piece of a single repeated character (letters, spaces; digits
        // are pieces of at most 3 in o200k_base). tiktoken-rs is quadratic on
        // those, so it gets 100 KB (o200k_base only); farebox gets 100 KB and 1 MB.
        for (unit, label) in [("a", "letter"), (" ", "space"), ("7", "digit")] {
            for size in [100_000usize, 1_000_000] {
                let text = unit.repeat(size);
                group.throughput(Throughput::Bytes(size as u64));
                let id = format!("{label}x{size}");
                group.bench_with_input(BenchmarkId::new("farebox", &id), &text, |b, t| {
                    b.iter(|| ours.count(black_box(t)))
                });
                if size <= 100_000 && encoding == Encoding::O200kBase {
                    group.bench_with_input(BenchmarkId::new("tiktoken-rs", &id), &text, |b, t| {
                        b.iter(|| reference.encode_ordinary(black_box(t)).len())
                    });
                }
            }
        }
        group.finish();
    }
}

/// Gemma 3 (SentencePiece; no native peer in this run: the reference is
/// sentencepiece's C++, which tests/gemma3.rs checks ids against): the corpus
/// first pass and recount, and the worst cases at 1 MB, one character
/// repeated (one part merged with the heap: nothing cuts it), against 1 MB of
/// prose.
fn gemma3(c: &mut Criterion) {
    let ours = Tokenizer::embedded(Encoding::Gemma3);
    let mut group = group(c, "gemma3");
    for file in FILES {
        let text = corpus(file);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("farebox", file), &text, |b, t| b.iter(|| ours.count(black_box(t))));
        group.bench_with_input(BenchmarkId::new("farebox-first", file), &text, |b, t| {
            b.iter(|| {
                ours.forget();
                ours.count(black_box(t))
            })
        });
    }
    let prose = corpus("prose-en.txt");
    let mut mb = prose.repeat(1_000_000 / prose.len() + 1);
    mb.truncate(mb.floor_char_boundary(1_000_000));
    for (text, id) in [(mb, "prosex1000000".to_string())].into_iter().chain(
        [("a", "letter"), (" ", "space"), ("7", "digit"), ("中", "cjk")]
            .map(|(u, l)| (u.repeat(1_000_000 / u.len()), format!("{l}x1000000"))),
    ) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("farebox-first", &id), &text, |b, t| {
            b.iter(|| {
                ours.forget();
                ours.count(black_box(t))
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("load_gemma3");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.bench_function("farebox", |b| b.iter(|| Tokenizer::embedded(Encoding::Gemma3).count("hi")));
    group.finish();
}

fn cold_start(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_o200k_base");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.bench_function("farebox", |b| b.iter(|| Tokenizer::embedded(Encoding::O200kBase).count("hi")));
    group.bench_function("tiktoken-rs", |b| b.iter(|| tiktoken_rs::o200k_base().unwrap().encode_ordinary("hi").len()));
    group.finish();
}

criterion_group!(benches, throughput, worst_cases, gemma3, cold_start);
criterion_main!(benches);
