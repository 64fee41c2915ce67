//! Import and aggregate throughput on a generated ~100 MB JSON Lines export
//! of Langfuse observations (deterministic: varied models, users, sessions,
//! days, tags, metadata and prompt sizes), pushed in 64 KiB chunks as a
//! browser reads a file. Run: `cargo bench -p farebox-core --bench traces`.
//! The numbers are recorded in docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use farebox_core::traces::{AnalysisOptions, Analyzer, Generation, ImportOptions, Importer, Sink, WhatIf};
use farebox_core::PriceTable;
use std::time::Duration;

mod support;

const CHUNK: usize = 64 * 1024;

/// Counts generations and drops them: the import alone.
struct Count(u64);

impl Sink for Count {
    fn generation(&mut self, _: Generation) {
        self.0 += 1;
    }
}

fn push_all<S: Sink>(importer: &mut Importer<S>, bytes: &[u8]) {
    for chunk in bytes.chunks(CHUNK) {
        importer.push(chunk);
    }
}

fn bench(c: &mut Criterion) {
    let bytes = support::export(100_000_000);
    let table = PriceTable::builtin();
    let mut group = c.benchmark_group("traces");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(BenchmarkId::new("import", "100MB jsonl"), |b| {
        b.iter(|| {
            let mut importer = Importer::with_sink(ImportOptions::default(), Count(0));
            push_all(&mut importer, &bytes);
            let (report, count) = importer.finish();
            assert_eq!(report.generations, count.0);
            count.0
        })
    });
    // Without the history, and with it: every call then priced at its own day's prices.
    let mut dated = table.clone();
    dated.load_history(include_bytes!("../data/price_history.json")).expect("the committed history loads");
    for (name, table) in [("import+aggregate", &table), ("import+aggregate dated", &dated)] {
        group.bench_function(BenchmarkId::new(name, "100MB jsonl"), |b| {
            b.iter(|| {
                let options = AnalysisOptions {
                    what_ifs: vec![WhatIf::Model { model: "gpt-4o-mini".into(), only: None }],
                    ..AnalysisOptions::default()
                };
                let mut importer = Importer::with_sink(ImportOptions::default(), Analyzer::new(table, options));
                push_all(&mut importer, &bytes);
                let (_, analyzer) = importer.finish();
                analyzer.finish().totals.generations
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
