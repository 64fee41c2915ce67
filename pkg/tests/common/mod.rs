//! The bindings' tests, shared by the Node (`tests/node.rs`) and Chromium
//! (`tests/browser.rs`) runs: the same wasm in both engines.

use farebox_wasm::{count_tokens, is_vocabulary_loaded, load_vocabulary, vocabulary_for, Failure, Prices};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const O200K: &[u8] = include_bytes!("../../../core/data/vocab/o200k_base.bin");
const CL100K: &[u8] = include_bytes!("../../../core/data/vocab/cl100k_base.bin");

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the bindings return JSON")
}

fn o200k() {
    load_vocabulary("o200k_base", O200K).expect("the o200k_base file loads");
}

#[wasm_bindgen_test]
fn counts_exactly_once_loaded() {
    o200k();
    assert!(is_vocabulary_loaded("o200k_base"));
    assert!(is_vocabulary_loaded("o200k_harmony"), "harmony shares o200k_base's vocabulary");
    assert_eq!(count_tokens("hello world", "gpt-4o"), Ok(2));
    assert_eq!(count_tokens("", "o200k_base"), Ok(0));
    load_vocabulary("cl100k_base", CL100K).unwrap();
    assert_eq!(count_tokens("hello world", "gpt-3.5-turbo"), Ok(2));
}

#[wasm_bindgen_test]
fn a_missing_vocabulary_names_its_file() {
    assert!(!is_vocabulary_loaded("p50k_base"));
    let err = count_tokens("hello", "text-davinci-003").unwrap_err();
    assert_eq!((err.code(), err.encoding()), ("tokenizer_not_loaded", Some("p50k_base")));
    let err = count_tokens("hello", "claude-sonnet-4-5").unwrap_err();
    assert_eq!(err.code(), "no_exact_tokenizer");
    assert_eq!(vocabulary_for("gpt-oss-20b").as_deref(), Some("o200k_base"));
    // Gemini 2.x counts with Gemma 3's vocabulary (as Google's SDK does); Claude's is unpublished.
    assert_eq!(vocabulary_for("gemini-2.5-pro").as_deref(), Some("gemma3"));
    assert_eq!(vocabulary_for("claude-sonnet-4-5"), None);
}

#[wasm_bindgen_test]
fn bad_vocabulary_bytes_are_refused() {
    let err = load_vocabulary("r50k_base", b"not a vocabulary").unwrap_err();
    assert_eq!(err.code(), "invalid_vocabulary");
    assert!(!is_vocabulary_loaded("r50k_base"));
    assert_eq!(load_vocabulary("o300k", O200K).unwrap_err().code(), "invalid_argument");
}

#[wasm_bindgen_test]
fn the_worked_examples() {
    let prices = Prices::default();
    let total =
        |model: &str, usage: &str| json(&prices.cost_of_usage(Some(model.into()), usage, "").unwrap())["total"].clone();
    assert_eq!(total("claude-sonnet-4-5", r#"{"input_tokens":1500,"output_tokens":1000}"#), "0.0195");
    assert_eq!(
        total(
            "gpt-4o",
            r#"{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}"#
        ),
        "0.025"
    );
    assert_eq!(total("gemini-2.5-pro", r#"{"promptTokenCount":250000,"candidatesTokenCount":1000}"#), "0.64");
}

#[wasm_bindgen_test]
fn estimates_and_budgets() {
    o200k();
    let prices = Prices::default();
    let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hello world"}],"max_tokens":10}"#;
    let estimate = json(&prices.estimate_cost(body, "").unwrap());
    assert_eq!(estimate["inputTokens"]["tokens"], 9);
    assert_eq!(estimate["exact"], true);
    assert_eq!(estimate["minCost"], "0.0000225");
    assert_eq!(estimate["breakdown"]["max"]["total"], estimate["maxCost"]);
    let claude = json(&prices.estimate_tokens("hello world", "claude-sonnet-4-5").unwrap());
    assert_eq!(claude["exact"], false);
    let call = r#"{"model":"gpt-4o","maxCost":"0.2","inputTokens":9,"at":"2026-11-22T00:00:00Z"}"#;
    let decision = json(&prices.check_budget(call, r#"{"per_call_max_usd":"0.1"}"#, "").unwrap());
    assert_eq!((decision["allow"].clone(), decision["reason"].clone()), (false.into(), "per_call_limit".into()));
    assert_eq!(prices.check_budget(call, r#"{"per_call_max":"1"}"#, "").unwrap_err().code(), "invalid_policy");
}

#[wasm_bindgen_test]
fn own_prices_beat_the_built_in_ones() {
    let mut prices = Prices::new(true);
    prices.create_model(r#"{"name":"house","inputPrice":"0.000001","outputPrice":2e-6}"#).unwrap();
    let cost =
        json(&prices.cost_of_usage(Some("house".into()), r#"{"input_tokens":10,"output_tokens":10}"#, "").unwrap());
    assert_eq!((cost["total"].clone(), cost["userDefined"].clone()), ("0.00003".into(), true.into()));
    let report = json(
        &prices
            .load(r#"{"acme":{"mode":"chat","input_cost_per_token":1e-6,"output_cost_per_token":2e-6}}"#, "auto")
            .unwrap(),
    );
    assert_eq!(report["format"], "litellm");
    assert_eq!(Prices::new(false).snapshot(), "");
}

#[wasm_bindgen_test]
fn errors_reach_javascript_as_errors_with_a_code() {
    let err = Prices::default().cost_of_usage(Some("gpt-4o".into()), "{", "").unwrap_err();
    assert_eq!(err.code(), "invalid_usage");
    let value: JsValue = err.into();
    assert!(value.is_instance_of::<js_sys::Error>());
    let code = js_sys::Reflect::get(&value, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("invalid_usage"));
    let message = js_sys::Error::from(value).message();
    assert!(String::from(message).contains("not valid JSON"));
    let unknown: Failure = Prices::default().resolve("gpt-4oo").unwrap_err();
    assert!(unknown.message().contains("did you mean"), "{}", unknown.message());
}

#[wasm_bindgen_test]
fn traces_import_chunk_by_chunk() {
    let record = r#"{"id":"t1","observations":[{"id":"o1","type":"GENERATION","model":"claude-sonnet-4-5","usageDetails":{"input":1500,"output":1000}}]}"#;
    let mut import = Prices::default().trace_import("").unwrap();
    // A record split across a text chunk and a byte chunk, then a broken one.
    let (head, tail) = record.split_at(40);
    import.push_text(head);
    assert_eq!(json(&import.progress())["records"], 0);
    import.push_bytes(format!("{tail}\n").as_bytes());
    import.push_text("{broken\n");
    assert_eq!(json(&import.progress())["bytes"], record.len() + 9);
    let report = json(&import.finish());
    assert_eq!(report["totals"]["cost"], "0.0195");
    assert_eq!(report["import"]["errorCount"], 1);
    assert_eq!(report["import"]["errors"][0]["line"], 2);
}

#[wasm_bindgen_test]
fn a_trace_import_keeps_the_table_it_started_with() {
    let usage = r#"{"id":"t1","observations":[{"id":"o1","type":"GENERATION","model":"house","usageDetails":{"input":10,"output":10}}]}"#;
    let mut prices = Prices::new(false);
    prices.create_model(r#"{"name":"house","inputPrice":"0.000001","outputPrice":"0.000002"}"#).unwrap();
    let mut import = prices.trace_import("").unwrap();
    // Redefined mid-import: the running import still prices with the first definition.
    prices.load(r#"{"house":{"mode":"chat","input_cost_per_token":1,"output_cost_per_token":1}}"#, "litellm").unwrap();
    import.push_text(usage);
    assert_eq!(json(&import.finish())["totals"]["cost"], "0.00003");
    let mut again = prices.trace_import("").unwrap();
    again.push_text(usage);
    assert_eq!(json(&again.finish())["totals"]["cost"], "20");
    assert_eq!(prices.trace_import(r#"{"topN":"3"}"#).err().map(|e| e.code()), Some("invalid_argument"));
}
