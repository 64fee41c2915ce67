//! What the estimate's maximum includes beyond the prompt and one output
//! allowance (choices, predicted outputs, output modalities, stored context,
//! response schemas, Anthropic tool overheads), how it refuses what it cannot
//! bound, and the bounds on what it parses (JSON size and depth, strings cut
//! inside a character).

use farebox_core::budget::{Background, Policy, UnsetServiceTier};
use farebox_core::estimate::{estimate, Estimate, EstimateOptions, RequestRules, StoredContext};
use farebox_core::{Error, RefusalKind, Usd};
use farebox_tests::{prices, tokenizers};

fn run(body: &str, options: &EstimateOptions) -> Result<Estimate, Error> {
    estimate(prices(), tokenizers(), body.as_bytes(), options)
}

fn est(body: &str) -> Estimate {
    run(body, &EstimateOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn usd(s: &str) -> Usd {
    Usd::parse(s).unwrap()
}

fn refusal(result: Result<Estimate, Error>) -> (RefusalKind, String) {
    match result {
        Err(Error::Refused { kind, detail }) => (kind, detail),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const HELLO: &str = r#""messages": [{"role": "user", "content": "hello world"}]"#;

#[test]
fn chat_n_multiplies_the_output_not_the_input() {
    let e = est(&format!(r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 100, "n": 3}}"#));
    assert_eq!((e.choices, e.max_output_tokens, e.input_tokens.tokens), (3, 100, 9));
    // 9 × $2.50/M + 3 × 100 × $10/M
    assert_eq!(e.max_cost.total, usd("0.0030225"));
    assert_eq!(e.min_cost.total, usd("0.0000225"));
    for n in ["0", "129", "\"2\"", "1.5", "-1"] {
        let err = run(&format!(r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 1, "n": {n}}}"#), &Default::default());
        assert!(matches!(&err, Err(Error::InvalidRequest(why)) if why.contains("`n`")), "{n}: {err:?}");
    }
    assert_eq!(est(&format!(r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 1, "n": 128}}"#)).choices, 128);
}

#[test]
fn gemini_candidate_count_multiplies_the_output() {
    let options = EstimateOptions { model: Some("gemini-2.5-flash".into()), ..Default::default() };
    let body = r#"{"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 1000, "candidateCount": 4}}"#;
    let e = run(body, &options).unwrap();
    assert_eq!((e.choices, e.max_output_tokens), (4, 1000));
    let one = run(&body.replace("4}", "1}"), &options).unwrap();
    // Output at $2.50/M: three more choices of 1,000 tokens.
    assert_eq!(e.max_cost.total.checked_sub(one.max_cost.total).unwrap(), usd("0.0075"));
    let nine = run(&body.replace("4}", "9}"), &options);
    assert!(matches!(nine, Err(Error::InvalidRequest(_))), "{nine:?}");
}

#[test]
fn predicted_output_tokens_are_added_to_each_choice() {
    let e = est(&format!(
        r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 100, "n": 2,
            "prediction": {{"type": "content", "content": "hello world"}}}}"#
    ));
    assert_eq!((e.prediction_tokens, e.max_output_tokens, e.choices), (2, 100, 2));
    // 9 input tokens; 2 × (100 + 2) output tokens.
    assert_eq!(e.max_cost.total, usd("0.0020625"));
}

#[test]
fn audio_output_is_priced_at_the_audio_rate_or_refused() {
    let body = format!(
        r#"{{"model": "gpt-audio", {HELLO}, "max_completion_tokens": 100, "modalities": ["text", "audio"], "audio": {{"voice": "alloy", "format": "wav"}}}}"#
    );
    let e = est(&body);
    // gpt-audio: $64/M audio output, $10/M text output.
    assert!(e.max_cost.lines.iter().any(|l| l.kind == "audio_output" && l.quantity == 100), "{:?}", e.max_cost.lines);
    let text_only = est(&format!(r#"{{"model": "gpt-audio", {HELLO}, "max_completion_tokens": 100}}"#));
    assert_eq!(e.max_cost.total.checked_sub(text_only.max_cost.total).unwrap(), usd("0.0054"));
    let (kind, detail) = refusal(run(&body.replace("gpt-audio", "gpt-4o"), &Default::default()));
    assert_eq!(kind, RefusalKind::UnpricedModality);
    assert!(detail.contains("audio output"), "{detail}");
    let gemini =
        r#"{"contents": [{"parts": [{"text": "draw"}]}], "generationConfig": {"responseModalities": ["IMAGE"]}}"#;
    let options = EstimateOptions { model: Some("gemini-2.5-flash".into()), ..Default::default() };
    assert_eq!(refusal(run(gemini, &options)).0, RefusalKind::UnpricedModality);
}

#[test]
fn stored_context_is_refused_or_priced_as_the_whole_context_window() {
    let body =
        r#"{"model": "gpt-4.1", "input": "and then?", "previous_response_id": "resp_1", "max_output_tokens": 10}"#;
    let (kind, detail) = refusal(run(body, &Default::default()));
    assert_eq!(kind, RefusalKind::StoredContext);
    assert!(detail.contains("previous_response_id") && detail.contains("full_context_window"), "{detail}");
    let full = EstimateOptions {
        rules: RequestRules { stored_context: StoredContext::FullContextWindow, ..Default::default() },
        ..Default::default()
    };
    let e = run(body, &full).unwrap();
    assert_eq!(e.input_tokens.high, 1_047_576);
    assert!(!e.exact && e.input_tokens.tokens < 100);
    // A conversation or a stored prompt may supply the whole input.
    let prompt_only = r#"{"model": "gpt-4.1", "prompt": {"id": "pmpt_1"}, "max_output_tokens": 10}"#;
    assert_eq!(refusal(run(prompt_only, &Default::default())).0, RefusalKind::StoredContext);
    assert_eq!(run(prompt_only, &full).unwrap().input_tokens.high, 1_047_576);

    // Gemini's cached content: the window puts the prompt in the above-200k tier.
    let gemini = r#"{"contents": [{"parts": [{"text": "hi"}]}], "cachedContent": "cachedContents/1", "generationConfig": {"maxOutputTokens": 10}}"#;
    let options = EstimateOptions { model: Some("gemini-2.5-pro".into()), ..full.clone() };
    let e = run(gemini, &options).unwrap();
    assert_eq!((e.input_tokens.high, e.max_cost.tier.as_str()), (1_048_576, "above_200k"));

    // No context window in the table: refused even when the window would price it.
    let no_window = body.replace("gpt-4.1", "gpt-4o-audio-preview");
    let (kind, detail) = refusal(run(&no_window, &full));
    assert_eq!(kind, RefusalKind::StoredContext);
    assert!(detail.contains("no context window"), "{detail}");
}

#[test]
fn background_mode_is_refused_unless_allowed() {
    let body = r#"{"model": "gpt-4.1", "input": "hi", "background": true, "max_output_tokens": 10}"#;
    let (kind, detail) = refusal(run(body, &Default::default()));
    assert_eq!(kind, RefusalKind::Background);
    assert!(detail.contains("`background` to `allow`"), "{detail}");
    let allow =
        EstimateOptions { rules: RequestRules { allow_background: true, ..Default::default() }, ..Default::default() };
    assert!(run(body, &allow).is_ok());
    assert!(run(&body.replace("true", "false"), &Default::default()).is_ok());
}

#[test]
fn unknown_fields_are_refused_only_when_asked() {
    let body = format!(r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 1, "temperature": 0.2, "speed": "fast"}}"#);
    assert!(run(&body, &Default::default()).is_ok());
    let strict = EstimateOptions {
        rules: RequestRules { refuse_unknown_fields: true, ..Default::default() },
        ..Default::default()
    };
    let (kind, detail) = refusal(run(&body, &strict));
    assert_eq!(kind, RefusalKind::UnknownField);
    assert!(detail.contains("`speed`"), "{detail}");
    // Every field the reader knows passes, in each format.
    let known = [
        format!(
            r#"{{"model": "gpt-4o", {HELLO}, "max_completion_tokens": 5, "temperature": 1, "top_p": 1, "stop": ["x"], "seed": 1, "metadata": {{}}, "user": "u", "store": false, "stream": true, "stream_options": {{"include_usage": true}}, "logprobs": true, "top_logprobs": 2, "tool_choice": "auto", "parallel_tool_calls": true, "reasoning_effort": "low", "verbosity": "low", "safety_identifier": "s", "prompt_cache_key": "k", "prompt_cache_retention": "24h", "service_tier": "default", "frequency_penalty": 0, "presence_penalty": 0, "logit_bias": {{}}}}"#
        ),
        String::from(
            r#"{"model": "gpt-4.1", "input": "hi", "instructions": "be brief", "max_output_tokens": 5, "reasoning": {"effort": "low"}, "text": {"verbosity": "low"}, "include": [], "truncation": "auto", "store": false, "max_tool_calls": 2, "top_logprobs": 0}"#,
        ),
        String::from(
            r#"{"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "system": "s", "stop_sequences": ["x"], "top_k": 5, "thinking": {"type": "disabled"}, "tool_choice": {"type": "auto"}, "metadata": {"user_id": "u"}}"#,
        ),
        String::from(
            r#"{"model": "text-embedding-3-small", "input": "hi", "dimensions": 256, "encoding_format": "float", "user": "u"}"#,
        ),
    ];
    for body in &known {
        run(body, &strict).unwrap_or_else(|e| panic!("{e}: {body}"));
    }
    let gemini = r#"{"contents": [{"parts": [{"text": "hi"}]}], "safety_settings": [], "tool_config": {}, "generation_config": {"max_output_tokens": 5, "top_k": 3, "thinking_config": {"thinking_budget": 0}, "stop_sequences": []}}"#;
    let options = EstimateOptions { model: Some("gemini-2.5-flash".into()), ..strict.clone() };
    run(gemini, &options).unwrap();
    let (kind, detail) = refusal(run(&gemini.replace("top_k", "new_knob"), &options));
    assert_eq!(kind, RefusalKind::UnknownField);
    assert!(detail.contains("generationConfig.new_knob"), "{detail}");
}

#[test]
fn refusals_have_stable_codes_and_say_how_to_allow() {
    let codes: Vec<&str> = RefusalKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        codes,
        ["stored_context", "server_tool", "unknown_tool", "background_mode", "unknown_field", "unpriced_modality"]
    );
    let body = r#"{"model": "gpt-4.1", "input": "hi", "conversation": "conv_1", "max_output_tokens": 1}"#;
    let err = run(body, &Default::default()).unwrap_err();
    assert_eq!(err.code(), "stored_context");
    assert!(err.is_refusal());
    let text = err.to_string();
    assert!(text.starts_with("request refused (stored_context): ") && text.contains("`conversation`"), "{text}");
}

#[test]
fn a_policy_maps_to_a_guards_rules() {
    let policy = Policy::from_json(br#"{"stored_context": "full_context_window", "background": "allow"}"#).unwrap();
    assert_eq!((policy.stored_context, policy.background), (StoredContext::FullContextWindow, Background::Allow));
    let rules = RequestRules::from_policy(&policy);
    assert_eq!(
        rules,
        RequestRules {
            stored_context: StoredContext::FullContextWindow,
            allow_background: true,
            refuse_unknown_fields: true,
            anthropic_long_context: false,
            unset_tier_at_dearest: true,
        }
    );
    let standard = Policy::from_json(br#"{"unset_service_tier": "standard"}"#).unwrap();
    assert_eq!(standard.unset_service_tier, UnsetServiceTier::Standard);
    assert!(!RequestRules::from_policy(&standard).unset_tier_at_dearest);
    let default = Policy::from_json(b"{}").unwrap();
    assert_eq!((default.stored_context, default.background), (StoredContext::Refuse, Background::Refuse));
    assert_eq!(serde_json::to_string(&default).unwrap(), r#"{"unpriced_model":"deny"}"#);
    assert!(Policy::from_json(br#"{"stored_context": "sometimes"}"#).is_err());
    assert!(Policy::from_json(br#"{"background": true}"#).is_err());
}

/// A request that names no tier is served at its project's default tier,
/// which may be dearer than standard: a guard prices it at the dearest; a
/// tier farebox does not price is refused, never priced as standard.
#[test]
fn an_unnamed_service_tier_is_priced_at_the_dearest_under_a_guard() {
    let guard = EstimateOptions { rules: RequestRules::from_policy(&Policy::default()), ..EstimateOptions::default() };
    let body = |tier: &str| {
        format!(
            r#"{{"model": "gpt-4o", "max_tokens": 1000, {tier} "messages": [{{"role": "user", "content": "hi"}}]}}"#
        )
    };
    let plain = est(&body(""));
    let priority = est(&body(r#""service_tier": "priority","#));
    assert!(priority.max_cost.total > plain.max_cost.total);
    for unnamed in ["", r#""service_tier": "auto","#] {
        let guarded = run(&body(unnamed), &guard).unwrap();
        assert_eq!(guarded.max_cost.total, priority.max_cost.total, "{unnamed}");
        assert_eq!(guarded.min_cost.total, plain.min_cost.total);
    }
    let standard = run(&body(r#""service_tier": "default","#), &guard).unwrap();
    assert_eq!(standard.max_cost.total, plain.max_cost.total);
    let flex = run(&body(r#""service_tier": "flex","#), &guard).unwrap();
    assert!(flex.max_cost.total <= plain.max_cost.total, "gpt-4o has no flex tier: standard");
    for unknown in ["batch", "scale", "ultrafast"] {
        let (kind, detail) = refusal(run(&body(&format!(r#""service_tier": "{unknown}","#)), &guard));
        assert_eq!(kind, RefusalKind::UnknownField);
        assert!(detail.contains(unknown), "{detail}");
    }
}

#[test]
fn anthropic_tool_overheads_and_response_schemas_are_prompt() {
    let base = r#"{"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}"#;
    let plain = est(base);
    let with = |extra: &str| est(&base.replacen('{', &format!("{{{extra}, "), 1));
    let custom = with(r#""tools": [{"name": "f", "input_schema": {"type": "object"}}]"#);
    let bash = with(r#""tools": [{"type": "bash_20250124", "name": "bash"}]"#);
    // The tool-use system prompt (346 tokens on current models, up to 530) and bash's 245.
    assert!(custom.input_tokens.high >= plain.input_tokens.high + 530, "{:?}", custom.input_tokens);
    assert!(bash.input_tokens.low >= plain.input_tokens.low + 159 + 245, "{:?}", bash.input_tokens);
    let schema = with(
        r#""output_format": {"type": "json_schema", "schema": {"type": "object", "properties": {"answer": {"type": "string"}}}}"#,
    );
    assert!(schema.input_tokens.tokens > plain.input_tokens.tokens);

    let chat = est(&format!(r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 1}}"#));
    let chat_schema = est(&format!(
        r#"{{"model": "gpt-4o", {HELLO}, "max_tokens": 1, "response_format": {{"type": "json_schema", "json_schema": {{"name": "a", "schema": {{"type": "object"}}}}}}}}"#
    ));
    assert!(chat_schema.input_tokens.tokens > chat.input_tokens.tokens);
}

/// The cookbook's tool example counts 101 on o200k_base models: gpt-4.1 and
/// o3 are o200k_base models too, so they count as gpt-4o does (the formula's
/// constants follow the encoding, not the name).
#[test]
fn tool_formula_follows_the_encoding() {
    let tools = r#"[{"type": "function", "function": {"name": "get_current_weather", "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}]"#;
    let messages = r#"[{"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
        {"role": "user", "content": "What's the weather like in San Francisco?"}]"#;
    for (model, expected) in [("gpt-4o", 101), ("gpt-4.1", 101), ("o3", 101), ("gpt-4", 105), ("gpt-3.5-turbo", 105)] {
        let e = est(&format!(
            r#"{{"model": "{model}", "messages": {messages}, "tools": {tools}, "max_completion_tokens": 10}}"#
        ));
        assert_eq!(e.input_tokens.tokens, expected, "{model}");
    }
}

#[test]
fn a_multibyte_character_where_base64_was_cut_does_not_panic() {
    let data = format!("{}é", "A".repeat(359_999));
    let claude = format!(
        r#"{{"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{{"role": "user", "content": [{{"type": "image", "source": {{"type": "base64", "media_type": "image/png", "data": "{data}"}}}}]}}]}}"#
    );
    let e = est(&claude);
    assert!(e.input_tokens.high >= 1600, "an image of unknown size is bounded by the largest: {:?}", e.input_tokens);
    let gemini =
        format!(r#"{{"contents": [{{"parts": [{{"inlineData": {{"mimeType": "image/png", "data": "{data}"}}}}]}}]}}"#);
    let options = EstimateOptions { model: Some("gemini-2.5-flash".into()), ..Default::default() };
    run(&gemini, &options).unwrap();
    let chat = format!(
        r#"{{"model": "gpt-4o", "max_tokens": 5, "messages": [{{"role": "user", "content": [{{"type": "image_url", "image_url": {{"url": "data:image/png;base64,{data}"}}}}]}}]}}"#
    );
    est(&chat);
}

#[test]
fn json_values_and_depth_are_bounded_before_parsing() {
    let zeros = vec!["0"; 1_000_001].join(",");
    let body = format!(r#"{{"model": "text-embedding-3-small", "input": [[{zeros}]]}}"#);
    let err = run(&body, &Default::default()).unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest(why) if why.contains("1000000 JSON values")), "{err}");
    // Under the limit it is read (one token per id).
    let small = EstimateOptions { max_json_values: 50, ..Default::default() };
    let ids = vec!["1"; 40].join(",");
    let body = format!(r#"{{"model": "text-embedding-3-small", "input": [[{ids}]]}}"#);
    assert_eq!(run(&body, &small).unwrap().input_tokens.tokens, 40);
    let ids = vec!["1"; 60].join(",");
    let body = format!(r#"{{"model": "text-embedding-3-small", "input": [[{ids}]]}}"#);
    assert!(matches!(run(&body, &small), Err(Error::InvalidRequest(_))));
    // Brackets inside strings are text, not nesting.
    let text = "[".repeat(500);
    est(&format!(r#"{{"model": "gpt-4o", "messages": [{{"role": "user", "content": "{text}"}}], "max_tokens": 1}}"#));
    let deep = format!(
        r#"{{"model": "gpt-4o", "messages": [{{"role": "user", "content": "x"}}], "max_tokens": 1, "metadata": {}1{}}}"#,
        "[".repeat(130),
        "]".repeat(130)
    );
    let err = run(&deep, &Default::default()).unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest(why) if why.contains("128 deep")), "{err}");
}

/// gemini-2.5-flash's base prices reasoning at the output rate, its batch tier
/// reasoning at twice output: the maximum is priced through the tier that
/// applies, at its dearest output-side kind.
#[test]
fn the_dearest_output_kind_is_chosen_in_the_tier_that_applies() {
    let body = r#"{"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 1000}}"#;
    let options = EstimateOptions {
        model: Some("gemini-2.5-flash".into()),
        cost: farebox_core::CostOptions::service_tier("batch"),
        ..Default::default()
    };
    let e = run(body, &options).unwrap();
    assert_eq!(e.max_cost.tier, "batch");
    let reasoning = e.max_cost.lines.iter().find(|l| l.kind == "reasoning").expect("priced as reasoning");
    assert_eq!((reasoning.quantity, reasoning.amount), (1000, usd("0.0025")));
}
