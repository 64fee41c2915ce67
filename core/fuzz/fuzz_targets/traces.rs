//! Fuzzes the trace importer (`traces::Importer`) and everything downstream
//! of it on arbitrary bytes.
//!
//! The first input byte seeds the chunk sizes (1–17 bytes, varying); the
//! rest is the export. Checks: importing never panics; the same bytes in one
//! chunk and in many give the same report and the same generations
//! (chunking invariance); analysing what was imported, querying, exporting
//! and replaying a budget over it never panic.
#![no_main]

use std::sync::OnceLock;

use farebox_core::budget::{Budget, Policy};
use farebox_core::traces::{
    AnalysisOptions, Analyzer, Dimension, Exposition, Granularity, ImportOptions, Importer, Metric, MetricsQuery, Sink,
    WhatIf,
};
use farebox_core::{PriceTable, Usd};
use libfuzzer_sys::fuzz_target;

fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, bytes)) = data.split_first() else { return };
    // Small records: the size cap is exercised too.
    let options = ImportOptions { max_record_bytes: 4096, max_errors: 8, ..ImportOptions::default() };
    let whole = Importer::import_all(bytes, options.clone());

    let mut importer = Importer::new(options);
    let mut rest = bytes;
    let mut k = usize::from(seed);
    while !rest.is_empty() {
        let n = (k % 17 + 1).min(rest.len());
        importer.push(&rest[..n]);
        rest = &rest[n..];
        k = k.wrapping_mul(31).wrapping_add(7);
    }
    let chunked = importer.finish();
    assert_eq!(whole, chunked, "chunking changed the import");

    let analysis = AnalysisOptions {
        what_ifs: vec![
            WhatIf::Model { model: "gpt-4o-mini".into(), only: Some("*".into()) },
            WhatIf::CacheHitRate { percent: seed % 101 },
        ],
        max_groups: 4,
        ..AnalysisOptions::default()
    };
    let mut analyzer = Analyzer::new(table(), analysis);
    for g in whole.1 {
        analyzer.generation(g);
    }
    let report = analyzer.finish();
    let _ = report.to_json();
    let _ = report.exposition(Exposition::OpenMetrics);
    for d in Dimension::ALL.iter().chain([&Dimension::Metadata("feature".into())]) {
        let _ = report.csv(d);
    }
    let query = MetricsQuery {
        metric: Metric::TotalCost,
        from: None,
        to: None,
        granularity: Some(Granularity::Week),
        group_by: Some(Dimension::Tag),
    };
    let _ = report.query(&query);
    let policy = Policy {
        per_call_max_usd: Some(Usd::from_dollars(1)),
        per_user_daily_usd: Some(Usd::from_dollars(5)),
        ..Policy::default()
    };
    let _ = report.replay(table(), &Budget::new(policy));
});
