//! Trace imports end to end, one fixture per format (written from the
//! documented field names, with nulls, missing fields, unknown models and a
//! malformed record in the middle), chunking invariance, malformed input.

use std::path::PathBuf;

use farebox_core::traces::{Format, Generation, ImportOptions, ImportReport, Importer, RecordKind};
use farebox_core::{Usage, UsageKind, Usd};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/traces").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FIXTURES: [&str; 8] = [
    "langfuse-trace.json",
    "langfuse-traces.jsonl",
    "langfuse-observations.csv",
    "langfuse-observations.json",
    "langfuse-api-traces-page.json",
    "langfuse-api-observations-v2-page.json",
    "otel-genai.json",
    "otel-llm-attrs.json",
];

fn import(bytes: &[u8]) -> (ImportReport, Vec<Generation>) {
    Importer::import_all(bytes, ImportOptions::default())
}

fn import_chunked(bytes: &[u8], sizes: &[usize]) -> (ImportReport, Vec<Generation>) {
    let mut importer = Importer::new(ImportOptions::default());
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        importer.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    importer.finish()
}

fn usd(s: &str) -> Usd {
    Usd::parse(s).unwrap()
}

fn usage(pairs: &[(UsageKind, u64)]) -> Usage {
    pairs.iter().fold(Usage::new(), |u, &(k, n)| u.with(k, n))
}

fn by_id<'a>(gens: &'a [Generation], id: &str) -> &'a Generation {
    gens.iter().find(|g| g.observation_id.as_deref() == Some(id) || g.trace_id.as_deref() == Some(id)).unwrap()
}

fn errors(report: &ImportReport) -> Vec<(u64, u64, &str)> {
    report.errors.iter().map(|e| (e.record, e.line, e.message.as_str())).collect()
}

#[test]
fn langfuse_single_trace_with_nested_observations() {
    let (report, gens) = import(&fixture("langfuse-trace.json"));
    assert_eq!(report.format, Some(Format::Json));
    assert_eq!((report.records, report.generations, report.skipped, report.error_count), (1, 3, 2, 0));
    assert_eq!((report.sources.langfuse_traces, report.sources.langfuse_observations), (1, 5));
    let audit = by_id(&gens, "obs-1");
    assert_eq!(audit.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    // `usageDetails` wins over the legacy `usage` (whose cost fields are not counts).
    assert_eq!(audit.usage, usage(&[(UsageKind::Input, 1500), (UsageKind::Output, 1000)]));
    assert_eq!(audit.exported_cost, Some(usd("0.0195")));
    assert_eq!(audit.timestamp.unwrap().to_string(), "2026-11-20T09:00:01.000Z");
    // Inherited from the trace, with the observation's metadata winning.
    assert_eq!(audit.trace_name.as_deref(), Some("security_audit"));
    assert_eq!((audit.user.as_deref(), audit.session.as_deref()), (Some("user_123"), Some("session_abc")));
    assert_eq!(audit.tags, ["feature:document-qa", "prod"]);
    assert_eq!(audit.metadata["agent_type"], "auditor");
    assert_eq!(audit.metadata["attempt"], "2");
    assert_eq!(audit.environment.as_deref(), Some("production"));
    let summary = by_id(&gens, "obs-3");
    // `userId: null` on the observation inherits the trace's.
    assert_eq!(summary.user.as_deref(), Some("user_123"));
    assert_eq!(summary.metadata["agent_type"], "researcher");
    assert_eq!(
        summary.usage,
        usage(&[(UsageKind::Input, 6000), (UsageKind::CacheRead, 4000), (UsageKind::Output, 500)])
    );
    // Unknown model, legacy usage with null costs, no exported cost.
    let custom = by_id(&gens, "obs-4");
    assert_eq!(custom.usage, usage(&[(UsageKind::Input, 100), (UsageKind::Output, 20)]));
    assert_eq!(custom.exported_cost, None);
}

#[test]
fn langfuse_jsonl_of_traces_keeps_the_lines_around_a_broken_one() {
    let (report, gens) = import(&fixture("langfuse-traces.jsonl"));
    assert_eq!(report.format, Some(Format::JsonLines));
    assert_eq!((report.records, report.generations, report.error_count), (4, 3, 1));
    assert_eq!(errors(&report), [(3, 3, "EOF while parsing an object (column 92)")]);
    assert_eq!(by_id(&gens, "o-10").trace_name.as_deref(), Some("chat"));
    // A trace listing only observation ids is one trace-total record.
    let total = by_id(&gens, "t-11");
    assert_eq!(
        (total.kind, total.exported_cost, total.model.as_deref()),
        (RecordKind::TraceTotal, Some(usd("0.5")), None)
    );
    assert_eq!(total.tags, ["chat", "beta"]);
    // Nulls everywhere are absent values; `+01:00` is converted to UTC.
    let mini = by_id(&gens, "o-13");
    assert_eq!((mini.user.as_deref(), mini.tags.len(), mini.metadata.len()), (None, 0, 0));
    assert_eq!(mini.timestamp.unwrap().to_string(), "2026-11-22T07:00:01.000Z");
    assert_eq!(mini.exported_cost, Some(usd("0.0027")));
    assert_eq!(mini.line, 4);
}

#[test]
fn langfuse_csv_of_observations() {
    let (report, gens) = import(&fixture("langfuse-observations.csv"));
    assert_eq!(report.format, Some(Format::Csv));
    assert_eq!((report.records, report.generations, report.skipped), (5, 3, 1));
    assert_eq!(errors(&report), [(3, 5, "row has 6 fields, the header has 18")]);
    let first = by_id(&gens, "obs-c1");
    assert_eq!(first.name.as_deref(), Some("summarise, then answer"));
    assert_eq!(first.usage.get(UsageKind::CacheRead), 4000);
    assert_eq!(first.tags, ["search", "beta"]);
    assert_eq!(first.metadata["feature"], "search");
    assert_eq!(first.exported_cost, Some(usd("0.025")));
    // Flat promptTokens/completionTokens, a space-separated timestamp, a plain tag cell.
    let second = by_id(&gens, "obs-c2");
    assert_eq!(second.usage, usage(&[(UsageKind::Input, 1500), (UsageKind::Output, 1000)]));
    assert_eq!(second.timestamp.unwrap().to_string(), "2026-11-22T09:00:05.000Z");
    assert_eq!(second.tags, ["search"]);
    assert_eq!(second.line, 4, "the first row spans lines 2 and 3");
    assert_eq!(by_id(&gens, "obs-c4").model.as_deref(), Some("acme-llm-1"));
}

#[test]
fn langfuse_json_array_of_observations() {
    let (report, gens) = import(&fixture("langfuse-observations.json"));
    assert_eq!(report.format, Some(Format::Json));
    assert_eq!((report.records, report.generations), (5, 3));
    assert_eq!(
        errors(&report),
        [
            (2, 14, "`usageDetails`: `output` should be a whole number, found a string"),
            (5, 43, "expected a JSON object, found a scalar"),
        ]
    );
    assert_eq!(by_id(&gens, "o-j1").exported_cost, Some(usd("0.64")));
    let nulls = by_id(&gens, "o-j3");
    assert_eq!((nulls.model.as_deref(), nulls.exported_cost, nulls.usage.is_empty()), (None, None, true));
    // No `total` in costDetails: the sum of its entries.
    let o3 = by_id(&gens, "o-j4");
    assert_eq!(o3.exported_cost, Some(usd("0.0092")));
    assert_eq!(o3.usage.get(UsageKind::Reasoning), 400);
}

#[test]
fn langfuse_api_pages() {
    let (report, gens) = import(&fixture("langfuse-api-traces-page.json"));
    assert_eq!((report.records, report.generations, report.sources.langfuse_traces), (4, 3, 4));
    assert_eq!(report.errors.len(), 1);
    assert_eq!((report.errors[0].record, report.errors[0].line), (3, 34));
    assert!(report.errors[0].message.starts_with("`timestamp`: invalid timestamp: `yesterday`"));
    assert!(gens.iter().all(|g| g.kind == RecordKind::TraceTotal));
    let sum = gens.iter().filter_map(|g| g.exported_cost).fold(Usd::ZERO, |a, c| a.checked_add(c).unwrap());
    assert_eq!(sum, usd("0.15"));

    let (report, gens) = import(&fixture("langfuse-api-observations-v2-page.json"));
    assert_eq!((report.records, report.generations, report.skipped, report.error_count), (3, 2, 1, 0));
    let first = by_id(&gens, "v2-1");
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-4-5"), "providedModelName");
    assert_eq!(
        first.usage,
        usage(&[
            (UsageKind::Input, 50),
            (UsageKind::CacheRead, 10000),
            (UsageKind::CacheWrite5m, 3000),
            (UsageKind::Output, 400)
        ])
    );
    assert_eq!((first.user.as_deref(), first.session.as_deref()), (Some("u3"), Some("s3")));
    assert_eq!(by_id(&gens, "v2-2").exported_cost, Some(usd("0.006")));
}

#[test]
fn otel_genai_usage_is_inclusive_of_cache_reads_and_writes() {
    let (report, gens) = import(&fixture("otel-genai.json"));
    assert_eq!((report.generations, report.skipped, report.sources.otel_spans), (3, 1, 5));
    assert_eq!(
        errors(&report),
        [(
            1,
            3,
            "span aaaaaaaaaaaaaaa4: cache reads (200) and writes (0) exceed `gen_ai.usage.input_tokens` (100) which \
             should include them"
        )]
    );
    let gpt = by_id(&gens, "aaaaaaaaaaaaaaa2");
    assert_eq!(gpt.model.as_deref(), Some("gpt-4o-2024-08-06"), "the response model wins");
    assert_eq!(gpt.provider.as_deref(), Some("openai"));
    assert_eq!(gpt.usage, usage(&[(UsageKind::Input, 6000), (UsageKind::CacheRead, 4000), (UsageKind::Output, 500)]));
    assert_eq!(gpt.timestamp.unwrap().to_string(), "2026-11-23T09:00:01.000Z");
    assert_eq!(gpt.trace_name.as_deref(), Some("agent_run"), "the root span names the trace");
    assert_eq!((gpt.user.as_deref(), gpt.session.as_deref()), (Some("u9"), Some("conv-1")));
    assert_eq!(gpt.metadata["operation"], "chat");
    assert_eq!(gpt.metadata["service"], "support-bot");
    assert_eq!(gpt.environment.as_deref(), Some("production"), "from the resource");
    let claude = by_id(&gens, "aaaaaaaaaaaaaaa3");
    assert_eq!(
        claude.usage,
        usage(&[
            (UsageKind::Input, 50),
            (UsageKind::CacheRead, 10000),
            (UsageKind::CacheWrite5m, 3000),
            (UsageKind::Output, 400)
        ])
    );
    assert_eq!(claude.exported_cost, Some(usd("0.0204")), "doubleValue read from its text");
    assert_eq!(claude.tags, ["support", "tier-1"]);
    assert_eq!(claude.provider.as_deref(), Some("anthropic"));
}

#[test]
fn otel_jsonl_with_the_common_llm_attribute_names() {
    let (report, gens) = import(&fixture("otel-llm-attrs.json"));
    assert_eq!(report.format, Some(Format::JsonLines));
    assert_eq!((report.records, report.generations, report.error_count), (3, 2, 1));
    assert_eq!((report.errors[0].record, report.errors[0].line), (2, 2));
    let first = &gens[0];
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(first.usage, usage(&[(UsageKind::Input, 1500), (UsageKind::Output, 350)]));
    assert_eq!(first.exported_cost, Some(usd("0.025")));
    assert_eq!(first.user.as_deref(), Some("user_abc"), "cost.user_id");
    assert_eq!(first.metadata["feature"], "document_analysis");
    assert_eq!(first.metadata["agent"], "researcher");
    assert_eq!(first.metadata["org_id"], "org_123");
    assert_eq!(first.timestamp.unwrap().to_string(), "2026-11-22T15:04:05.123Z");
    assert_eq!(gens[1].usage.get(UsageKind::Output), 100, "a whole doubleValue is a count");
}

#[test]
fn every_chunking_gives_the_same_report() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let whole = import(&bytes);
        for sizes in [&[1][..], &[2], &[3, 1, 7], &[64], &[5, 1000]] {
            assert_eq!(import_chunked(&bytes, sizes), whole, "{name} in chunks of {sizes:?}");
        }
    }
}

#[test]
fn malformed_inputs_are_errors_never_panics() {
    let (report, gens) = import(b"\x00\x01\x02 not an export\n1,2,3\n");
    assert!(gens.is_empty());
    assert_eq!(report.error_count, 1);
    assert!(report.errors[0].message.starts_with("not an export farebox reads"), "{:?}", report.errors);

    let (report, _) = import(b"[{\"id\":\"a\",\"traceId\":\"t\",\"type\":\"GENERATION\"},\n {\"id\":\"b\",");
    assert_eq!(report.generations, 1);
    assert_eq!(errors(&report), [(2, 2, "the input ends inside a JSON value (truncated file?)")]);

    let (report, _) = import(b"{\n\"data\": [1, \"x\", {\"id\":\"o\",\"traceId\":\"t\",\"model\":\"gpt-4o\"}]} ]");
    assert_eq!(report.generations, 1);
    let messages: Vec<_> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "expected a JSON object, found a scalar",
            "expected a JSON object, found a scalar",
            "unexpected `]` outside any JSON object or array"
        ]
    );

    assert_eq!(import(b"").0, ImportReport::default());
    assert_eq!(import(b"  \n ").0.format, None);
}

#[test]
fn records_larger_than_the_limit_are_refused_and_reading_goes_on() {
    let options = ImportOptions { max_record_bytes: 200, ..ImportOptions::default() };
    let big = format!("{{\"id\":\"big\",\"traceId\":\"t\",\"model\":\"gpt-4o\",\"input\":\"{}\"}}", "x".repeat(300));
    let small = r#"{"id":"small","traceId":"t","model":"gpt-4o"}"#;
    for text in [format!("{big}\n{small}\n"), format!("[{big},\n{small}]")] {
        let mut importer = Importer::new(options.clone());
        for chunk in text.as_bytes().chunks(7) {
            importer.push(chunk);
        }
        let (report, gens) = importer.finish();
        assert_eq!(gens.len(), 1, "{text}");
        assert_eq!(gens[0].observation_id.as_deref(), Some("small"));
        assert_eq!(report.errors[0].message, "record larger than 200 bytes");
    }
}

#[test]
fn errors_beyond_the_cap_are_counted() {
    // A complete first line makes it JSON Lines; 150 broken lines follow.
    let text = format!("{{\"id\":\"ok\"}}\n{}", "{\"id\":1\n".repeat(150));
    let (report, _) = import(text.as_bytes());
    assert_eq!((report.errors.len(), report.error_count), (100, 150));
    let forced = ImportOptions { format: Some(Format::JsonLines), max_errors: 3, ..ImportOptions::default() };
    let (report, _) = Importer::import_all(text.as_bytes(), forced);
    assert_eq!((report.errors.len(), report.error_count, report.format), (3, 150, Some(Format::JsonLines)));
}

#[test]
fn langfuse_csv_and_json_array_of_traces() {
    // A trace export (no traceId column): each row is one trace-total record.
    let csv = "id,timestamp,name,userId,sessionId,tags,metadata,totalCost,latency,observations\n\
               t1,2026-11-20T08:00:00Z,rag-query,u1,s1,\"rag,beta\",\"{\"\"feature\"\":\"\"rag\"\"}\",0.12,2.5,\"[\"\"o1\"\"]\"\n\
               t2,2026-11-20T09:00:00Z,chat,,,,,,1.0,[]\n";
    let (report, gens) = import(csv.as_bytes());
    assert_eq!((report.format, report.generations, report.error_count), (Some(Format::Csv), 2, 0));
    assert_eq!(report.sources.langfuse_traces, 2);
    assert_eq!((gens[0].kind, gens[0].exported_cost), (RecordKind::TraceTotal, Some(usd("0.12"))));
    assert_eq!(gens[0].tags, ["rag", "beta"]);
    assert_eq!(gens[0].metadata["feature"], "rag");
    assert_eq!((gens[1].user.as_deref(), gens[1].exported_cost), (None, None));

    // A batch JSON export of traces with their observations.
    let json = br#"[{"id":"t1","name":"chat","userId":"u1","observations":[
        {"id":"o1","type":"GENERATION","startTime":"2026-11-20T08:00:00Z","model":"gpt-4o","usageDetails":{"input":1000,"output":100}}]},
        {"id":"t2","name":"chat","totalCost":"0.5"}]"#;
    let (report, gens) = import(json);
    assert_eq!((report.records, report.generations, report.sources.langfuse_traces), (2, 2, 2));
    assert_eq!((gens[0].trace_id.as_deref(), gens[0].user.as_deref()), (Some("t1"), Some("u1")));
    assert_eq!(gens[1].exported_cost, Some(usd("0.5")), "a cost written as a string");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of any fixture gives the report and records of one chunk.
    #[test]
    fn chunking_invariance(which in 0usize..FIXTURES.len(), sizes in proptest::collection::vec(1usize..40, 1..12)) {
        let bytes = fixture(FIXTURES[which]);
        prop_assert_eq!(import_chunked(&bytes, &sizes), import(&bytes));
    }

    /// Arbitrary bytes, and arbitrary damage to a real export, never panic
    /// and are chunking-invariant.
    #[test]
    fn damaged_exports_never_panic(which in 0usize..FIXTURES.len(), cut in 0usize..5000, flips in proptest::collection::vec((0usize..5000, any::<u8>()), 0..8), sizes in proptest::collection::vec(1usize..64, 1..6)) {
        let mut bytes = fixture(FIXTURES[which]);
        bytes.truncate(cut.min(bytes.len()));
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        prop_assert_eq!(import_chunked(&bytes, &sizes), import(&bytes));
    }
}

mod analysis {
    use super::*;
    use farebox_core::budget::{Budget, Policy, Reason};
    use farebox_core::traces::aggregate::WhatIfResult;
    use farebox_core::traces::{AnalysisOptions, Analyzer, Dimension, Exposition, MetricsQuery, Report, WhatIf};
    use farebox_core::PriceTable;

    fn dim(name: &str) -> Dimension {
        Dimension::parse(name).unwrap()
    }

    fn builtin() -> &'static PriceTable {
        static TABLE: std::sync::OnceLock<PriceTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(PriceTable::builtin)
    }

    /// Every fixture, each imported by its own importer into one analyzer.
    fn analyse(files: &[&str], options: AnalysisOptions) -> Report {
        let mut analyzer = Analyzer::new(builtin(), options);
        for name in files {
            let mut importer = Importer::with_sink(ImportOptions::default(), analyzer);
            importer.push(&fixture(name));
            analyzer = importer.finish().1;
        }
        analyzer.finish()
    }

    fn keys(groups: &[farebox_core::traces::aggregate::Group]) -> Vec<(&str, String, u64)> {
        groups.iter().map(|g| (g.key.as_str(), g.totals.cost.to_string(), g.totals.generations)).collect()
    }

    #[test]
    fn totals_groups_and_token_breakdown() {
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let t = &r.totals;
        assert_eq!((t.generations, t.unpriced), (22, 7));
        assert_eq!((t.cost, t.exported_cost), (usd("0.84233"), usd("1.4837")));
        let k = &t.tokens;
        assert_eq!(
            (k.input, k.cache_read, k.cache_write, k.output, k.reasoning, k.total),
            (290_300, 32_000, 6_000, 9_420, 400, 338_120)
        );
        assert_eq!(
            keys(&r.by_day),
            [
                ("2026-11-20", "0.0445".into(), 4),
                ("2026-11-21", "0.0195".into(), 4),
                ("2026-11-22", "0.73291".into(), 11),
                ("2026-11-23", "0.04542".into(), 3)
            ]
        );
        assert_eq!(
            &keys(&r.by_model)[..3],
            [
                ("gemini-2.5-pro", "0.64".into(), 1),
                ("claude-sonnet-4-5", "0.08955".into(), 5),
                ("gpt-4o", "0.056".into(), 3)
            ]
        );
        let none = r.by_model.iter().find(|g| g.key == "(none)").unwrap();
        assert_eq!((none.totals.exported_cost, none.totals.unpriced), (usd("0.65"), 5));
        assert_eq!(
            keys(&r.by_provider)[..3],
            [("gemini", "0.64".into(), 1), ("anthropic", "0.10905".into(), 6), ("openai", "0.09328".into(), 8)]
        );
        assert_eq!(r.by_user.iter().find(|g| g.key == "u2").unwrap().totals.exported_cost, usd("0.531"));
        assert_eq!(keys(&r.by_session)[1], ("s1", "0.064".into(), 3));
        assert_eq!(keys(&r.by_tag)[0], ("search", "0.0445".into(), 2));
        assert_eq!(keys(&r.by_trace_name)[1], ("agent_run", "0.04542".into(), 3));
        assert_eq!(keys(&r.by_name)[0], ("long-context", "0.64".into(), 1));
        assert_eq!(keys(&r.by_environment)[0], ("production", "0.79482".into(), 12));
        assert_eq!(
            keys(&r.by_metadata["agent_type"])[..2],
            [("researcher", "0.025".into(), 2), ("retriever", "0.025".into(), 1)]
        );
        assert_eq!(keys(&r.by_metadata["org_id"]), [("org_123", "0.01011".into(), 2)]);
        assert_eq!(r.unknown_models, [("acme-llm-1".to_string(), 1), ("my-custom-llm".to_string(), 1)]);
        assert!(!r.overflow);
    }

    #[test]
    fn top_traces_cache_savings_and_spikes() {
        let r = analyse(&FIXTURES, AnalysisOptions { top_n: 3, ..AnalysisOptions::default() });
        let top: Vec<_> = r.top_traces.iter().map(|t| (t.trace_id.as_str(), t.totals.cost.to_string())).collect();
        assert_eq!(
            top,
            [
                ("t-j1", "0.64".into()),
                ("5b8efff798038103d269b633813fc60c", "0.04542".into()),
                ("t-c1", "0.0445".into())
            ]
        );
        assert_eq!(r.top_traces[1].name.as_deref(), Some("agent_run"));
        assert_eq!(r.top_traces[1].first_seen.unwrap().to_string(), "2026-11-23T09:00:01.000Z");
        // 3 × gpt-4o 4,000 cached × ($2.50 − $1.25)/M + 2 × claude 10,000 × ($3 − $0.30)/M.
        assert_eq!(r.cache_savings, usd("0.069"));
        assert_eq!(r.spikes.len(), 1);
        assert_eq!((r.spikes[0].day.as_deref(), r.spikes[0].amount), (Some("2026-11-22"), usd("0.73291")));
        assert_eq!(r.spikes[0].threshold, usd("0.064"), "2 × the average of 0.0445 and 0.0195");
    }

    #[test]
    fn audit_reports_where_exported_costs_disagree() {
        let a = analyse(&FIXTURES, AnalysisOptions::default()).audit;
        assert_eq!((a.checked, a.agreeing, a.differing), (12, 10, 2));
        assert_eq!(
            (a.exported_total, a.farebox_total, a.net_difference),
            (usd("0.8327"), usd("0.81695"), usd("0.01575"))
        );
        let d = &a.discrepancies;
        // The seed's OTel span says $0.025 for 1,500 + 350 tokens of claude-sonnet-4-5: $0.00975.
        assert_eq!(
            (d[0].observation_id.as_deref(), d[0].exported, d[0].farebox),
            (Some("b7ad6b7169203331"), usd("0.025"), usd("0.00975"))
        );
        assert_eq!(d[0].difference, usd("0.01525"));
        assert_eq!((d[1].observation_id.as_deref(), d[1].line, d[1].difference), (Some("obs-c2"), 4, usd("0.0005")));
        let loose = AnalysisOptions { audit_tolerance: usd("0.001"), ..AnalysisOptions::default() };
        assert_eq!(analyse(&FIXTURES, loose).audit.differing, 1);
    }

    #[test]
    fn what_ifs_price_the_same_traffic_differently() {
        let options = AnalysisOptions {
            what_ifs: vec![
                WhatIf::Model { model: "gpt-4o-mini".into(), only: Some("gpt-4o*".into()) },
                WhatIf::CacheHitRate { percent: 50 },
                WhatIf::Model { model: "no-such-model".into(), only: None },
            ],
            ..AnalysisOptions::default()
        };
        let r = analyse(&FIXTURES, options);
        let w = |i: usize| -> &WhatIfResult { &r.what_ifs[i] };
        assert_eq!((w(0).compared, w(0).baseline, w(0).cost), (6, usd("0.08406"), usd("0.00792")));
        assert_eq!(w(0).difference, usd("-0.07614"));
        assert_eq!((w(1).compared, w(1).unpriced), (14, 4));
        assert!(w(1).cost < w(1).baseline);
        assert_eq!((w(2).compared, w(2).unpriced), (0, 18));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["what_ifs"][0]["scenario"]["model"]["model"], "gpt-4o-mini");
        assert_eq!(json["what_ifs"][1]["difference"], w(1).difference.to_string());
    }

    #[test]
    fn budget_replay_lists_what_a_policy_would_have_blocked() {
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let policy =
            Policy::from_json(br#"{"per_call_max_usd":"0.5","per_user_daily_usd":"0.03","deny_models":["o3"]}"#);
        let replay = r.replay(builtin(), &Budget::new(policy.unwrap()));
        assert_eq!((replay.calls, replay.allowed, replay.blocked, replay.not_replayed), (17, 11, 6, 5));
        assert_eq!(replay.saved, usd("0.7141"));
        let by = |reason| replay.by_reason.get(&reason).map(|t| (t.calls, t.saved.to_string()));
        assert_eq!(by(Reason::PerCallLimit), Some((1, "0.64".into())));
        assert_eq!(by(Reason::ModelDenied), Some((1, "0.0092".into())));
        assert_eq!(by(Reason::UserDailyLimit), Some((3, "0.0649".into())));
        assert_eq!(by(Reason::UnpricedModel), Some((1, "0".into())));
        let first = &replay.blocked_calls[0];
        assert_eq!((first.trace_id.as_deref(), first.reason), (Some("trace-1"), Reason::UserDailyLimit));
        assert_eq!(first.at.to_string(), "2026-11-20T09:00:04.000Z");
        // The blocked calls were not charged: u1's next day starts from zero.
        assert!(replay.alerts.iter().any(|a| a.subject == "user:u1:day:2026-11-22" && a.percent == Some(80)));
    }

    #[test]
    fn metrics_queries() {
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let q = MetricsQuery::from_json(
            br#"{"metric":"total_cost","from":"2026-11-22T00:00:00Z","to":"2026-11-23T00:00:00Z","granularity":"day","group_by":"model"}"#,
        )
        .unwrap();
        let res = r.query(&q);
        let rows: Vec<_> =
            res.rows.iter().map(|r| (r.bucket.as_deref(), r.group.as_deref(), r.value.to_string())).collect();
        assert_eq!(rows[0], (Some("2026-11-22"), Some("(none)"), "0".into()));
        assert!(rows.contains(&(Some("2026-11-22"), Some("gemini-2.5-pro"), "0.64".into())));
        let sum = res
            .rows
            .iter()
            .map(|r| Usd::parse(&r.value.to_string()).unwrap())
            .fold(Usd::ZERO, |a, b| a.checked_add(b).unwrap());
        assert_eq!(sum, usd("0.73291"), "the day's total, as by_day says");
        let weeks = r.query(&MetricsQuery::from_json(br#"{"metric":"count","granularity":"week"}"#).unwrap());
        let weeks: Vec<_> = weeks.rows.iter().map(|r| (r.bucket.clone().unwrap(), r.value.to_string())).collect();
        assert_eq!(weeks, [("2026-W47".to_string(), "19".to_string()), ("2026-W48".to_string(), "3".to_string())]);
        let tokens =
            r.query(&MetricsQuery::from_json(br#"{"metric":"total_tokens","group_by":"metadata.feature"}"#).unwrap());
        assert_eq!(
            serde_json::to_value(&tokens).unwrap()["rows"][0],
            serde_json::json!({"group":"document-qa","value":13120})
        );
        let hours = r.query(
            &MetricsQuery::from_json(
                br#"{"metric":"exported_cost","granularity":"hour","from":"2026-11-23T00:00:00Z"}"#,
            )
            .unwrap(),
        );
        assert_eq!(
            serde_json::to_value(&hours).unwrap()["rows"],
            serde_json::json!([{"bucket":"2026-11-23T09:00:00.000Z","value":"0.0204"}])
        );
        assert!(MetricsQuery::from_json(br#"{"metric":"total_cost","group_by":"colour"}"#)
            .unwrap_err()
            .contains("unknown dimension `colour`: use day, model,"));
        assert!(MetricsQuery::from_json(br#"{"metric":"total_cost","granularty":"day"}"#).is_err());
    }

    #[test]
    fn exports_csv_json_and_openmetrics() {
        let r = analyse(&["otel-genai.json"], AnalysisOptions::default());
        assert_eq!(
            r.csv(&Dimension::Model).unwrap(),
            "model,generations,cost_usd,exported_cost_usd,unpriced,input_tokens,cache_read_tokens,cache_write_tokens,\
             output_tokens,reasoning_tokens,total_tokens\n\
             gpt-4o-2024-08-06,1,0.025,0,0,6000,4000,0,500,0,10500\n\
             claude-sonnet-4-5,1,0.0204,0.0204,0,50,10000,3000,400,0,13450\n\
             text-embedding-3-small,1,0.00002,0,0,1000,0,0,0,0,1000\n"
        );
        assert!(r.csv(&dim("metadata.colour")).is_none(), "a metadata key no generation has");
        let csv = analyse(&["langfuse-observations.csv"], AnalysisOptions::default()).csv(&dim("operation")).unwrap();
        assert!(csv.starts_with("name,generations,"), "{csv}");
        assert!(csv.contains("\n\"summarise, then answer\",1,0.025,"), "{csv}");
        let json: serde_json::Value = serde_json::from_str(&farebox_core::traces::export::groups_json(
            r.groups(&dim("metadata.operation")).unwrap(),
        ))
        .unwrap();
        assert_eq!(json[0]["key"], "chat");
        assert_eq!(json[0]["cost"], "0.0454");
        assert_eq!(
            r.exposition(Exposition::OpenMetrics),
            "# HELP llm_tokens_used Total LLM tokens\n\
             # TYPE llm_tokens_used counter\n\
             llm_tokens_used_total{model=\"claude-sonnet-4-5\",operation=\"chat\",token_type=\"input\"} 50\n\
             llm_tokens_used_total{model=\"claude-sonnet-4-5\",operation=\"chat\",token_type=\"cache_read\"} 10000\n\
             llm_tokens_used_total{model=\"claude-sonnet-4-5\",operation=\"chat\",token_type=\"cache_write\"} 3000\n\
             llm_tokens_used_total{model=\"claude-sonnet-4-5\",operation=\"chat\",token_type=\"output\"} 400\n\
             llm_tokens_used_total{model=\"claude-sonnet-4-5\",operation=\"chat\",token_type=\"reasoning\"} 0\n\
             llm_tokens_used_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\",token_type=\"input\"} 6000\n\
             llm_tokens_used_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\",token_type=\"cache_read\"} 4000\n\
             llm_tokens_used_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\",token_type=\"cache_write\"} 0\n\
             llm_tokens_used_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\",token_type=\"output\"} 500\n\
             llm_tokens_used_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\",token_type=\"reasoning\"} 0\n\
             llm_tokens_used_total{model=\"text-embedding-3-small\",operation=\"embeddings\",token_type=\"input\"} 1000\n\
             llm_tokens_used_total{model=\"text-embedding-3-small\",operation=\"embeddings\",token_type=\"cache_read\"} 0\n\
             llm_tokens_used_total{model=\"text-embedding-3-small\",operation=\"embeddings\",token_type=\"cache_write\"} 0\n\
             llm_tokens_used_total{model=\"text-embedding-3-small\",operation=\"embeddings\",token_type=\"output\"} 0\n\
             llm_tokens_used_total{model=\"text-embedding-3-small\",operation=\"embeddings\",token_type=\"reasoning\"} 0\n\
             # HELP llm_cost_dollars Total LLM cost in dollars\n\
             # TYPE llm_cost_dollars counter\n\
             llm_cost_dollars_total{model=\"claude-sonnet-4-5\",operation=\"chat\"} 0.0204\n\
             llm_cost_dollars_total{model=\"gpt-4o-2024-08-06\",operation=\"chat\"} 0.025\n\
             llm_cost_dollars_total{model=\"text-embedding-3-small\",operation=\"embeddings\"} 0.00002\n\
             # EOF\n"
        );
        let prom = r.exposition(Exposition::Prometheus);
        assert!(
            prom.starts_with("# HELP llm_tokens_used_total Total LLM tokens\n# TYPE llm_tokens_used_total counter\n")
        );
        assert!(prom.contains("# TYPE llm_cost_dollars_total counter\n") && !prom.contains("# EOF"));
        let m = r.query(&MetricsQuery::from_json(br#"{"metric":"count","group_by":"provider"}"#).unwrap());
        assert_eq!(farebox_core::traces::export::metrics_csv(&m), "group,value\nanthropic,1\nopenai,2\n");
    }

    #[test]
    fn metadata_keys_can_be_chosen() {
        let options = AnalysisOptions { metadata_keys: Some(vec!["feature".into()]), ..AnalysisOptions::default() };
        let r = analyse(&FIXTURES, options);
        assert_eq!(r.by_metadata.keys().collect::<Vec<_>>(), ["feature"]);
        assert_eq!(
            r.csv(&dim("metadata.feature")).unwrap().lines().nth(1).unwrap(),
            "document-qa,3,0.0445,0.0445,1,7600,4000,0,1520,0,13120"
        );
    }

    /// One list of dimensions: every one the report groups by, the metrics
    /// query groups the same generations under the same keys.
    #[test]
    fn the_report_and_the_metrics_query_share_their_dimensions() {
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let metadata: Vec<Dimension> = r.by_metadata.keys().map(|k| Dimension::Metadata(k.clone())).collect();
        assert!(!metadata.is_empty());
        for d in Dimension::ALL.iter().chain(&metadata) {
            let groups = r.groups(d).unwrap_or_else(|| panic!("{d}"));
            assert!(!groups.is_empty(), "{d}");
            let mut from_report: Vec<(String, String, String)> = groups
                .iter()
                .map(|g| (g.key.clone(), g.totals.generations.to_string(), g.totals.cost.to_string()))
                .collect();
            from_report.sort();
            let query = |metric: &str| {
                let q = format!(r#"{{"metric":"{metric}","group_by":"{d}"}}"#);
                r.query(&MetricsQuery::from_json(q.as_bytes()).unwrap()).rows
            };
            let mut from_query: Vec<(String, String, String)> = query("count")
                .into_iter()
                .zip(query("total_cost"))
                .map(|(n, c)| {
                    assert_eq!(n.group, c.group);
                    (n.group.unwrap(), n.value.to_string(), c.value.to_string())
                })
                .collect();
            from_query.sort();
            assert_eq!(from_report, from_query, "{d}");
        }
        assert_eq!(r.groups(&Dimension::Day).unwrap(), r.by_day.as_slice());
        assert_eq!(r.groups(&dim("tags")).unwrap(), r.by_tag.as_slice());
    }

    /// The daily split: each day's series add up to the day's cost (one key
    /// per call), the rest of the values are `(other)`, a range narrows it.
    #[test]
    fn daily_split_by_a_dimension() {
        use farebox_core::time::Date;
        use farebox_core::traces::DayRange;
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let split = r.daily_split(&dim("model"), 2, DayRange::default());
        let days: Vec<&str> = r.by_day.iter().filter(|g| g.key != "(none)").map(|g| g.key.as_str()).collect();
        assert_eq!(split.days, days);
        let names: Vec<&str> = split.series.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(names, ["gemini-2.5-pro", "claude-sonnet-4-5", "(other)"]);
        assert_eq!(split.series[0].total, usd("0.64"));
        for (i, day) in split.days.iter().enumerate() {
            let sum = split.series.iter().fold(Usd::ZERO, |a, s| a.checked_add(s.costs[i]).unwrap());
            let expected = r.by_day.iter().find(|g| &g.key == day).unwrap().totals.cost;
            assert_eq!(sum, expected, "{day}");
        }
        let all = r.daily_split(&dim("model"), 100, DayRange::default());
        assert!(all.series.iter().all(|s| s.key != "(other)"));
        assert_eq!(all.series.len(), r.by_model.len());
        let one = DayRange { from: Date::new(2026, 11, 21), to: Date::new(2026, 11, 22) };
        let narrowed = r.daily_split(&dim("provider"), 8, one);
        assert_eq!(narrowed.days, ["2026-11-21", "2026-11-22"]);
        let total = narrowed.series.iter().fold(Usd::ZERO, |a, s| a.checked_add(s.total).unwrap());
        assert_eq!(total, usd("0.0195").checked_add(usd("0.73291")).unwrap());
    }

    /// A slice is the report of its generations: its totals are the
    /// group's, its other groups only its calls', its days the range's.
    #[test]
    fn a_filtered_report_is_the_slice() {
        use farebox_core::time::Date;
        use farebox_core::traces::{DayRange, Filter};
        let r = analyse(&FIXTURES, AnalysisOptions::default());
        let model = &r.by_model[1];
        let only = |d: &str, v: &str| Filter { only: vec![(dim(d), v.to_string())], ..Filter::default() };
        let s = r.filtered(&only("model", &model.key));
        assert_eq!(s.totals, model.totals);
        assert_eq!(keys(&s.by_model), [(model.key.as_str(), model.totals.cost.to_string(), model.totals.generations)]);
        let by_day: u64 = s.by_day.iter().map(|g| g.totals.generations).sum();
        assert_eq!(by_day, model.totals.generations);
        // Two filters narrow each other; a day range keeps only dated calls in it.
        let mut both = only("model", &model.key);
        both.only.push((dim("environment"), "production".into()));
        let s2 = r.filtered(&both);
        assert!(s2.totals.generations <= s.totals.generations);
        assert_eq!(
            s2.totals,
            r.filtered(&only("environment", "production")).filtered(&only("model", &model.key)).totals
        );
        let day = Filter {
            days: DayRange { from: Date::new(2026, 11, 22), to: Date::new(2026, 11, 22) },
            ..Filter::default()
        };
        let d = r.filtered(&day);
        assert_eq!(
            keys(&d.by_day),
            keys(&r.by_day[r.by_day.iter().position(|g| g.key == "2026-11-22").unwrap()..][..1])
        );
        assert_eq!(d.totals.generations, 11);
        // The audit, the cache savings and the what-ifs are the day's own:
        // those of a report of that day's calls alone.
        let options = || AnalysisOptions {
            what_ifs: vec![WhatIf::CacheHitRate { percent: 50 }, WhatIf::TodaysPrices],
            ..AnalysisOptions::default()
        };
        let mut alone = Analyzer::new(builtin(), options());
        for name in FIXTURES {
            for g in import(&fixture(name)).1 {
                if g.timestamp.is_some_and(|t| t.date() == Date::new(2026, 11, 22).unwrap()) {
                    farebox_core::traces::Sink::generation(&mut alone, g);
                }
            }
        }
        let alone = alone.finish();
        let d = analyse(&FIXTURES, options()).filtered(&day);
        assert_eq!(d.totals, alone.totals);
        assert_eq!((&d.audit, d.cache_savings, &d.what_ifs), (&alone.audit, alone.cache_savings, &alone.what_ifs));
        assert_ne!(d.audit, r.audit);
        assert_eq!(r.filtered(&Filter::default()).totals, r.totals);
    }

    #[test]
    fn group_count_is_capped() {
        let options = AnalysisOptions { max_groups: 2, ..AnalysisOptions::default() };
        let r = analyse(&FIXTURES, options);
        assert_eq!(r.by_model.len(), 3);
        let other = &r.by_model[2];
        assert_eq!((other.key.as_str(), other.totals.generations), ("(other)", 16));
    }
}
