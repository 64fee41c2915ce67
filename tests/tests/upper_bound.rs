//! The estimate's maximum is an upper bound of what the provider can bill.
//!
//! Requests of every format are generated across real models of the built-in
//! table; for each estimate that is allowed, usages the provider could
//! legally return for that request are generated in the provider's own usage
//! JSON (prompt-side tokens ≤ the estimate's input high, cache writes only
//! where the request marks a breakpoint, output including reasoning and audio
//! ≤ choices × (allowance + prediction)) and priced with
//! `PriceTable::cost_of_usage_json`: the actual total never exceeds the
//! estimate's maximum. A counterexample is a bug in the estimate.
//!
//! Requests that name what the body does not bound (stored context, server
//! tools, background mode, unknown fields under a guard's rules) are refused
//! with the right kind.
//!
//! The bounds without counting ([`estimate_bounds`]) never decide otherwise
//! than counting: for the same requests and per-call and input-token limits
//! around their costs, a policy that allows the `most` end allows the exact
//! estimate, and one that denies the `fewest` end denies it.

use std::sync::atomic::{AtomicUsize, Ordering};

use farebox_core::cost::CostOptions;
use farebox_core::estimate::{
    estimate, estimate_bounds, estimate_bounds_before_loading, Estimate, EstimateOptions, ProviderCount, RequestFormat,
    RequestRules, StoredContext,
};
use farebox_core::{Budget, Error, MemoryLedger, Policy, RefusalKind, Timestamp, UsageFormat, Usd};
use farebox_tests::{prices, tokenizers};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

const OPENAI_TEXT: &[&str] = &["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3"];
const OPENAI_AUDIO: &[&str] = &["gpt-audio", "gpt-4o-audio-preview"];
const ANTHROPIC: &[&str] = &["claude-sonnet-4-5", "claude-3-5-haiku-20241022"];
const GEMINI: &[&str] = &["gemini-2.5-pro", "gemini-2.5-flash", "vertex_ai/gemini-2.5-pro"];

/// A generated request: the body, the options it is estimated with, and the
/// usage shape its provider answers in.
#[derive(Clone, Debug)]
struct Case {
    body: Value,
    options: EstimateOptions,
    usage: UsageFormat,
    tier: Option<&'static str>,
    audio: bool,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z ]{0,40}", "[a-zA-Z0-9 ,.:;!?'\"(){}-]{0,160}", "[a-zé漢字🙂\\n ]{0,60}",]
}

fn tier() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![3 => Just(None), 1 => Just(Some("priority")), 1 => Just(Some("batch")), 1 => Just(Some("flex"))]
}

/// A PNG header of `w` × `h` as a data URL's base64.
fn png_base64(w: u32, h: u32) -> String {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(b"\x08\x02\0\0\0");
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            s.push('=');
        }
    }
    s
}

fn image_size() -> impl Strategy<Value = (u32, u32)> {
    (1u32..5000, 1u32..5000)
}

/// An OpenAI function tool (`wrapped`: Chat's `{type, function}`; else Responses' flat form).
fn function_tool(wrapped: bool) -> impl Strategy<Value = Value> {
    ("[a-z_]{1,12}", text(), prop::collection::vec(("[a-z]{1,8}", text(), any::<bool>()), 0..3)).prop_map(
        move |(name, description, props)| {
            let properties: serde_json::Map<String, Value> = props
                .into_iter()
                .map(|(k, d, e)| {
                    let mut p = json!({"type": "string", "description": d});
                    if e {
                        p["enum"] = json!(["a", "bb", "ccc"]);
                    }
                    (k, p)
                })
                .collect();
            let parameters = json!({"type": "object", "properties": properties});
            if wrapped {
                json!({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})
            } else {
                json!({"type": "function", "name": name, "description": description, "parameters": parameters})
            }
        },
    )
}

fn schema() -> impl Strategy<Value = Value> {
    prop::collection::vec("[a-z]{1,10}", 0..4).prop_map(|keys| {
        let props: serde_json::Map<String, Value> = keys.into_iter().map(|k| (k, json!({"type": "string"}))).collect();
        json!({"type": "object", "properties": props})
    })
}

fn chat() -> impl Strategy<Value = Case> {
    (
        prop_oneof![3 => prop::sample::select(OPENAI_TEXT), 1 => prop::sample::select(OPENAI_AUDIO)],
        prop::option::of(text()),
        prop::collection::vec((text(), prop::option::of(image_size()), any::<bool>()), 1..4),
        prop::option::of(1u64..40_000),
        prop::option::of(1u64..5),
        prop::collection::vec(function_tool(true), 0..3),
        prop::option::of(schema()),
        prop::option::of(text()),
        tier(),
    )
        .prop_map(|(model, system, turns, limit, n, tools, format, prediction, tier)| {
            let audio = OPENAI_AUDIO.contains(&model);
            let mut messages = Vec::new();
            if let Some(s) = system {
                messages.push(json!({"role": "system", "content": s}));
            }
            for (i, (t, image, low)) in turns.into_iter().enumerate() {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                match image.filter(|_| !audio && role == "user") {
                    Some((w, h)) => messages.push(json!({"role": role, "content": [
                        {"type": "text", "text": t},
                        {"type": "image_url", "image_url": {
                            "url": format!("data:image/png;base64,{}", png_base64(w, h)),
                            "detail": if low { "low" } else { "auto" }}}
                    ]})),
                    None => messages.push(json!({"role": role, "content": t})),
                }
            }
            let mut body = json!({"model": model, "messages": messages});
            if let Some(l) = limit {
                body["max_completion_tokens"] = json!(l);
            }
            if let Some(n) = n {
                body["n"] = json!(n);
            }
            if !tools.is_empty() {
                body["tools"] = Value::Array(tools);
            }
            if let Some(s) = format {
                body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "out", "schema": s}});
            }
            if let Some(p) = prediction.filter(|_| !audio) {
                body["prediction"] = json!({"type": "content", "content": p});
            }
            if audio {
                body["modalities"] = json!(["text", "audio"]);
                body["audio"] = json!({"voice": "alloy", "format": "wav"});
            }
            if let Some(t) = tier {
                body["service_tier"] = json!(t);
            }
            Case { body, options: EstimateOptions::default(), usage: UsageFormat::OpenAiChat, tier, audio }
        })
}

fn responses() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(OPENAI_TEXT),
        prop::option::of(text()),
        prop_oneof![
            text().prop_map(Value::String),
            prop::collection::vec(text(), 1..4).prop_map(|ts| {
                Value::Array(
                    ts.into_iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let role = if i % 2 == 0 { "user" } else { "assistant" };
                            json!({"role": role, "content": t})
                        })
                        .collect(),
                )
            })
        ],
        prop::option::of(1u64..40_000),
        prop::collection::vec(function_tool(false), 0..3),
        prop::option::of(schema()),
        any::<bool>(),
        tier(),
    )
        .prop_map(|(model, instructions, input, limit, tools, format, stored, tier)| {
            let mut body = json!({"model": model, "input": input});
            if let Some(i) = instructions {
                body["instructions"] = json!(i);
            }
            if let Some(l) = limit {
                body["max_output_tokens"] = json!(l);
            }
            if !tools.is_empty() {
                body["tools"] = Value::Array(tools);
            }
            if let Some(s) = format {
                body["text"] = json!({"format": {"type": "json_schema", "name": "out", "schema": s}});
            }
            if model == "o3" {
                body["reasoning"] = json!({"effort": "high"});
            }
            let mut options = EstimateOptions::default();
            if stored {
                // Stored context priced as the whole context window.
                body["previous_response_id"] = json!("resp_123");
                options.rules.stored_context = StoredContext::FullContextWindow;
            }
            if let Some(t) = tier {
                body["service_tier"] = json!(t);
            }
            Case { body, options, usage: UsageFormat::OpenAiResponses, tier, audio: false }
        })
}

/// An Anthropic `cache_control`, if any.
fn cache_control() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(json!({"type": "ephemeral"}))),
        1 => Just(Some(json!({"type": "ephemeral", "ttl": "5m"}))),
        1 => Just(Some(json!({"type": "ephemeral", "ttl": "1h"}))),
    ]
}

fn anthropic() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(ANTHROPIC),
        prop::option::of((text(), cache_control())),
        prop::collection::vec((text(), prop::option::of(image_size()), cache_control()), 1..4),
        1u64..9000,
        prop::collection::vec((function_tool(false), cache_control()), 0..3),
        prop::option::of(1u64..1024),
        prop_oneof![3 => Just(None), 1 => Just(Some("batch"))],
    )
        .prop_map(|(model, system, turns, max_tokens, tools, thinking, tier)| {
            let mut body = json!({"model": model, "max_tokens": max_tokens});
            if let Some((s, cc)) = system {
                let mut block = json!({"type": "text", "text": s});
                if let Some(cc) = cc {
                    block["cache_control"] = cc;
                }
                body["system"] = json!([block]);
            }
            let tools: Vec<Value> = tools
                .into_iter()
                .map(|(t, cc)| {
                    let mut tool =
                        json!({"name": t["name"], "description": t["description"], "input_schema": t["parameters"]});
                    if let Some(cc) = cc {
                        tool["cache_control"] = cc;
                    }
                    tool
                })
                .collect();
            if !tools.is_empty() {
                body["tools"] = Value::Array(tools);
            }
            let messages: Vec<Value> = turns
                .into_iter()
                .enumerate()
                .map(|(i, (t, image, cc))| {
                    let role = if i % 2 == 0 { "user" } else { "assistant" };
                    let mut blocks = Vec::new();
                    if let Some((w, h)) = image.filter(|_| role == "user") {
                        blocks.push(json!({"type": "image", "source":
                            {"type": "base64", "media_type": "image/png", "data": png_base64(w, h)}}));
                    }
                    let mut block = json!({"type": "text", "text": t});
                    if let Some(cc) = cc {
                        block["cache_control"] = cc;
                    }
                    blocks.push(block);
                    json!({"role": role, "content": blocks})
                })
                .collect();
            body["messages"] = Value::Array(messages);
            if let Some(budget) = thinking.filter(|b| *b < max_tokens) {
                body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
            }
            if let Some(t) = tier {
                body["service_tier"] = json!(t);
            }
            Case { body, options: EstimateOptions::default(), usage: UsageFormat::Anthropic, tier, audio: false }
        })
}

fn gemini() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(GEMINI),
        prop::option::of(text()),
        prop::collection::vec((text(), prop::option::of(image_size())), 1..4),
        prop::option::of(1u64..30_000),
        prop::option::of(1u64..5),
        prop::collection::vec(function_tool(false), 0..3),
        prop::option::of(schema()),
        any::<bool>(),
        tier(),
    )
        .prop_map(|(model, system, turns, limit, candidates, tools, schema, stored, tier)| {
            let contents: Vec<Value> = turns
                .into_iter()
                .enumerate()
                .map(|(i, (t, image))| {
                    let role = if i % 2 == 0 { "user" } else { "model" };
                    let mut parts = vec![json!({"text": t})];
                    if let Some((w, h)) = image.filter(|_| role == "user") {
                        parts.push(json!({"inlineData": {"mimeType": "image/png", "data": png_base64(w, h)}}));
                    }
                    json!({"role": role, "parts": parts})
                })
                .collect();
            let mut body = json!({"contents": contents});
            if let Some(s) = system {
                body["systemInstruction"] = json!({"parts": [{"text": s}]});
            }
            let decls: Vec<Value> = tools
                .into_iter()
                .map(|t| json!({"name": t["name"], "description": t["description"], "parameters": t["parameters"]}))
                .collect();
            if !decls.is_empty() {
                body["tools"] = json!([{"functionDeclarations": decls}]);
            }
            let mut config = serde_json::Map::new();
            if let Some(l) = limit {
                config.insert("maxOutputTokens".into(), json!(l));
            }
            if let Some(c) = candidates {
                config.insert("candidateCount".into(), json!(c));
            }
            if let Some(s) = schema {
                config.insert("responseMimeType".into(), json!("application/json"));
                config.insert("responseSchema".into(), s);
            }
            if !config.is_empty() {
                body["generationConfig"] = Value::Object(config);
            }
            let mut options = EstimateOptions { model: Some(model.to_string()), ..EstimateOptions::default() };
            if stored {
                body["cachedContent"] = json!("cachedContents/abc");
                options.rules.stored_context = StoredContext::FullContextWindow;
            }
            if let Some(t) = tier {
                options.cost = CostOptions::service_tier(t);
            }
            Case { body, options, usage: UsageFormat::Gemini, tier, audio: false }
        })
}

fn embeddings() -> impl Strategy<Value = Case> {
    prop_oneof![text().prop_map(Value::String), prop::collection::vec(text(), 1..4).prop_map(|v| json!(v))].prop_map(
        |input| Case {
            body: json!({"model": "text-embedding-3-small", "input": input}),
            options: EstimateOptions::default(),
            usage: UsageFormat::OpenAiChat,
            tier: None,
            audio: false,
        },
    )
}

fn any_case() -> impl Strategy<Value = Case> {
    prop_oneof![3 => chat(), 2 => responses(), 3 => anthropic(), 3 => gemini(), 1 => embeddings()]
}

/// A fraction in thousandths, with the extremes often.
fn permille() -> impl Strategy<Value = u64> {
    prop_oneof![1 => Just(0u64), 2 => Just(1000u64), 3 => 0u64..=1000]
}

fn part(of: u64, permille: u64) -> u64 {
    (u128::from(of) * u128::from(permille) / 1000) as u64
}

/// The quantity of `kind` in the estimate's maximum usage.
fn max_quantity(e: &Estimate, kind: &str) -> u64 {
    e.max_cost.lines.iter().filter(|l| l.kind == kind).map(|l| l.quantity).sum()
}

/// A usage the provider could return for the request, in its own JSON shape,
/// with at most `prompt_max` prompt tokens.
fn usage_json(case: &Case, e: &Estimate, f: &[u64], prompt_max: u64) -> Value {
    let prompt = part(prompt_max, f[0]);
    let output_max = (e.max_output_tokens + e.prediction_tokens) * e.choices;
    let output = part(output_max, f[1]);
    match case.usage {
        UsageFormat::OpenAiChat if e.format == RequestFormat::OpenAiEmbeddings => {
            json!({"prompt_tokens": prompt, "total_tokens": prompt})
        }
        UsageFormat::OpenAiChat => {
            let cached = part(prompt, f[2]);
            let reasoning = part(output, f[3]);
            let audio = if case.audio { part(output - reasoning, f[4]) } else { 0 };
            json!({
                "prompt_tokens": prompt,
                "completion_tokens": output,
                "total_tokens": prompt + output,
                "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": audio,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
            })
        }
        UsageFormat::OpenAiResponses => {
            let cached = part(prompt, f[2]);
            let reasoning = part(output, f[3]);
            json!({
                "input_tokens": prompt,
                "input_tokens_details": {"cached_tokens": cached},
                "output_tokens": output,
                "output_tokens_details": {"reasoning_tokens": reasoning},
                "total_tokens": prompt + output
            })
        }
        UsageFormat::Anthropic => {
            // Writes only of what precedes a breakpoint of that lifetime; reads of cached prefixes.
            let (c5, c1) = (max_quantity(e, "cache_write_5m"), max_quantity(e, "cache_write_1h"));
            let w5 = part(c5, f[2]).min(prompt);
            let w1 = part(c1, f[3]).min(prompt - w5);
            let read = part(c5 + c1, f[4]).min(prompt - w5 - w1);
            json!({
                "input_tokens": prompt - w5 - w1 - read,
                "cache_creation_input_tokens": w5 + w1,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
                "output_tokens": output
            })
        }
        UsageFormat::Gemini => {
            // Thinking shares the output limit with the candidates.
            let cached = part(prompt, f[2]);
            let thoughts = part(output_max - output, f[3]);
            json!({"usageMetadata": {
                "promptTokenCount": prompt,
                "cachedContentTokenCount": cached,
                "candidatesTokenCount": output,
                "thoughtsTokenCount": thoughts,
                "totalTokenCount": prompt + output + thoughts
            }})
        }
        UsageFormat::Langfuse => unreachable!(),
    }
}

/// Estimates `case` and checks every usage `fractions` describe against its
/// maximum; `Ok(false)` when the request is not estimated (invalid). Each
/// case is checked twice: as the web app prices it (an unnamed service tier
/// is standard), and as a guard does, where an unnamed tier is the
/// project's default, which may be any synchronous tier (so the usage may
/// be billed at priority rates too).
///
/// A Claude or Gemini prompt is checked once more as the worker prices it
/// on the provider's count (`provider_count`, `counted` tokens, any number):
/// the maximum must then bound every usage up to that count.
fn check(case: &Case, fractions: &[u64], counted: u64) -> Result<bool, TestCaseError> {
    let mut estimated = false;
    for guard in [false, true] {
        let mut options = case.options.clone();
        options.rules.unset_tier_at_dearest = guard;
        let billed_at: &[Option<&str>] = match case.tier {
            None | Some("auto") if guard => &[None, Some("priority")],
            _ => &[case.tier],
        };
        estimated |= check_with(case, &options, billed_at, fractions)?;
        if matches!(case.usage, UsageFormat::Anthropic | UsageFormat::Gemini) {
            options.provider_count = Some(ProviderCount { tokens: counted, endpoint: String::from("a test") });
            check_with(case, &options, billed_at, fractions)?;
        }
    }
    Ok(estimated)
}

fn check_with(
    case: &Case,
    options: &EstimateOptions,
    billed_at: &[Option<&str>],
    fractions: &[u64],
) -> Result<bool, TestCaseError> {
    let body = serde_json::to_vec(&case.body).unwrap();
    let e = match estimate(prices(), tokenizers(), &body, options) {
        Ok(e) => e,
        // A request shape the reader refuses as invalid (an image for a model without an
        // image rule, no output limit where the table has no maximum) is not under test
        // here; anything else (an unknown model, a refusal, a panic) is.
        Err(Error::InvalidRequest(_)) => return Ok(false),
        Err(other) => return Err(TestCaseError::fail(format!("{other} for {}", case.body))),
    };
    prop_assert!(e.max_cost.complete, "the maximum is unpriced: {:?} for {}", e.max_cost.unpriced, case.body);
    // The prompt is what the provider counted, else at most the estimate's high end.
    let prompt_max = options.provider_count.as_ref().map_or(e.input_tokens.high, |c| c.tokens);
    for tier in billed_at {
        let billing = tier.map(CostOptions::service_tier).unwrap_or_default();
        for f in fractions.chunks(5) {
            let usage = usage_json(case, &e, f, prompt_max);
            let actual = prices()
                .cost_of_usage_json(Some(&e.model), usage.to_string().as_bytes(), Some(case.usage), &billing)
                .unwrap_or_else(|err| panic!("{err}: {usage}"));
            prop_assert!(
                actual.total <= e.max_cost.total,
                "actual {} (tier {}) > estimate maximum {} (tier {}) for {}\nusage {usage}\nestimate {:?}",
                actual.total,
                actual.tier,
                e.max_cost.total,
                e.max_cost.tier,
                case.body,
                e
            );
        }
    }
    Ok(true)
}

#[test]
fn the_maximum_bounds_every_legal_usage() {
    // 256 cases unless `PROPTEST_CASES` says otherwise.
    let mut runner = TestRunner::new(ProptestConfig::default());
    let (cases, allowed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    // Provider counts up to 300,000 tokens: across the long-context tiers' 200k threshold.
    let strategy = (any_case(), prop::collection::vec(permille(), 5 * 6), 0u64..300_000);
    runner
        .run(&strategy, |(case, fractions, counted)| {
            cases.fetch_add(1, Ordering::Relaxed);
            if check(&case, &fractions, counted)? {
                allowed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (cases, allowed) = (cases.into_inner(), allowed.into_inner());
    println!("{allowed} of {cases} generated requests estimated and checked");
    assert!(allowed * 4 > cases * 3, "only {allowed} of {cases} generated requests were estimated");
}

/// Whether `policy` allows the call `e` estimates.
fn allows(policy: &Policy, e: &Estimate) -> bool {
    let call = e.planned_call(&e.model, Timestamp::from_millis(0));
    Budget::new(policy.clone()).check(prices(), &call, &MemoryLedger::new()).unwrap().allow
}

/// `amount` × `permille` / 1000.
fn scaled(amount: Usd, permille: u64) -> Usd {
    Usd::from_atto(amount.atto() / 1000 * i128::from(permille))
}

#[test]
fn the_bounds_decide_as_counting_does() {
    let mut runner = TestRunner::new(ProptestConfig::default());
    let (cases, decided, undecided) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    // A limit near one of the three maxima (fewest, exact, most), and an input-token limit.
    let strategy = (any_case(), 0usize..3, 500u64..=2000, prop::option::of(0u64..=2000));
    runner
        .run(&strategy, |(case, near, permille, max_input)| {
            let body = serde_json::to_vec(&case.body).unwrap();
            let options = EstimateOptions {
                rules: RequestRules { unset_tier_at_dearest: true, ..case.options.rules },
                ..case.options.clone()
            };
            let (Ok(exact), Ok(bounds)) = (
                estimate(prices(), tokenizers(), &body, &options),
                estimate_bounds(prices(), tokenizers(), &body, &options),
            ) else {
                return Ok(());
            };
            cases.fetch_add(1, Ordering::Relaxed);
            // Before loading, the same bounds: they never read the vocabulary.
            let before = estimate_bounds_before_loading(prices(), &body, &options).map_err(|e| e.to_string());
            prop_assert_eq!(format!("{before:?}"), format!("{:?}", Ok::<_, String>(bounds.clone())));
            let Some(bounds) = bounds else {
                undecided.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            };
            let (fewest, most) = (&bounds.fewest, &bounds.most);
            prop_assert!(fewest.max_cost.total <= exact.max_cost.total && exact.max_cost.total <= most.max_cost.total);
            prop_assert!(fewest.input_tokens.high <= exact.input_tokens.high);
            prop_assert!(exact.input_tokens.high <= most.input_tokens.high);
            prop_assert_eq!(
                (fewest.max_cost.complete, most.max_cost.complete),
                (exact.max_cost.complete, exact.max_cost.complete)
            );
            let around = [fewest, &exact, most][near];
            let policy = Policy {
                per_call_max_usd: Some(scaled(around.max_cost.total, permille)),
                max_input_tokens: max_input.map(|p| part(around.input_tokens.high, p)),
                ..Policy::default()
            };
            let truth = allows(&policy, &exact);
            if allows(&policy, most) {
                prop_assert!(truth, "the most allowed, counting denies: {}", case.body);
                decided.fetch_add(1, Ordering::Relaxed);
            } else if !allows(&policy, fewest) {
                prop_assert!(!truth, "the fewest denied, counting allows: {}", case.body);
                decided.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (cases, decided, undecided) = (cases.into_inner(), decided.into_inner(), undecided.into_inner());
    println!("{cases} requests: the bounds decided {decided}, {undecided} priced by usage tiers (counted)");
    // The test is only as good as what it decides: both outcomes, often.
    assert!(decided * 3 > cases, "the bounds decided only {decided} of {cases}");
}

/// What a guard must refuse, injected into an otherwise valid request.
fn refused() -> impl Strategy<Value = (Value, Option<String>, RefusalKind)> {
    let chat = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10});
    let responses = json!({"model": "gpt-4.1", "input": "hi", "max_output_tokens": 10});
    let claude =
        json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let gemini = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    let with = |base: &Value, key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    let g = Some(String::from("gemini-2.5-flash"));
    let cases = vec![
        (with(&responses, "previous_response_id", json!("resp_1")), None, RefusalKind::StoredContext),
        (with(&responses, "conversation", json!("conv_1")), None, RefusalKind::StoredContext),
        (with(&responses, "prompt", json!({"id": "pmpt_1"})), None, RefusalKind::StoredContext),
        (with(&gemini, "cachedContent", json!("cachedContents/1")), g.clone(), RefusalKind::StoredContext),
        (with(&responses, "background", json!(true)), None, RefusalKind::Background),
        (with(&responses, "tools", json!([{"type": "web_search"}])), None, RefusalKind::ServerTool),
        (
            with(&responses, "tools", json!([{"type": "file_search", "vector_store_ids": ["vs_1"]}])),
            None,
            RefusalKind::ServerTool,
        ),
        (
            with(&responses, "tools", json!([{"type": "code_interpreter", "container": {"type": "auto"}}])),
            None,
            RefusalKind::ServerTool,
        ),
        (with(&responses, "tools", json!([{"type": "image_generation"}])), None, RefusalKind::ServerTool),
        (with(&responses, "tools", json!([{"type": "mcp", "server_label": "x"}])), None, RefusalKind::ServerTool),
        (with(&responses, "tools", json!([{"type": "brand_new_tool"}])), None, RefusalKind::UnknownTool),
        (with(&chat, "web_search_options", json!({})), None, RefusalKind::ServerTool),
        (with(&chat, "tools", json!([{"type": "retrieval"}])), None, RefusalKind::UnknownTool),
        (
            with(&claude, "tools", json!([{"type": "web_search_20250305", "name": "web_search"}])),
            None,
            RefusalKind::ServerTool,
        ),
        (
            with(&claude, "tools", json!([{"type": "web_fetch_20250910", "name": "web_fetch"}])),
            None,
            RefusalKind::ServerTool,
        ),
        (
            with(&claude, "tools", json!([{"type": "code_execution_20250825", "name": "code_execution"}])),
            None,
            RefusalKind::ServerTool,
        ),
        (
            with(&claude, "mcp_servers", json!([{"type": "url", "url": "https://x", "name": "x"}])),
            None,
            RefusalKind::ServerTool,
        ),
        (with(&claude, "container", json!("container_1")), None, RefusalKind::ServerTool),
        (
            with(&claude, "tools", json!([{"type": "memory_20250818", "name": "memory"}])),
            None,
            RefusalKind::UnknownTool,
        ),
        (with(&gemini, "tools", json!([{"googleSearch": {}}])), g.clone(), RefusalKind::ServerTool),
        (with(&gemini, "tools", json!([{"code_execution": {}}])), g.clone(), RefusalKind::ServerTool),
        (with(&gemini, "tools", json!([{"urlContext": {}}])), g.clone(), RefusalKind::ServerTool),
        (
            with(&gemini, "generationConfig", json!({"responseModalities": ["TEXT", "IMAGE"]})),
            g.clone(),
            RefusalKind::UnpricedModality,
        ),
        (with(&chat, "modalities", json!(["text", "audio"])), None, RefusalKind::UnpricedModality),
        (with(&chat, "brand_new_field", json!(1)), None, RefusalKind::UnknownField),
        (with(&claude, "inference_geo", json!("us")), None, RefusalKind::UnknownField),
        (
            with(&gemini, "generationConfig", json!({"mediaResolution": "MEDIA_RESOLUTION_HIGH"})),
            g.clone(),
            RefusalKind::UnknownField,
        ),
        (with(&responses, "context_management", json!([{"type": "compaction"}])), None, RefusalKind::UnknownField),
    ];
    prop::sample::select(cases)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn what_the_body_does_not_bound_is_refused((body, model, kind) in refused()) {
        let options = EstimateOptions {
            model,
            rules: RequestRules { refuse_unknown_fields: true, ..RequestRules::default() },
            ..EstimateOptions::default()
        };
        match estimate(prices(), tokenizers(), body.to_string().as_bytes(), &options) {
            Err(Error::Refused { kind: got, detail }) => {
                prop_assert_eq!(got, kind, "{}", detail);
                prop_assert!(!detail.is_empty());
            }
            other => prop_assert!(false, "{body} was not refused as {kind:?}: {other:?}"),
        }
    }
}
