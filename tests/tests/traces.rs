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
