//! A chat's framing for open-weight models, against their published chat
//! templates: the chat rendered as the template renders it (Meta's Llama 3.0
//! and 3.1 templates, mistral-common's v3 Tekken and v7 ones, DeepSeek V3's
//! and Qwen 3's) and counted with the
//! model's own tokenizer must fall in the estimate's range, and the estimate's
//! point is the rendering hosts use by default. Llama 4's is Meta's own chat
//! format (`llama-models`), which encodes each part alone: counted exactly.

use farebox_core::estimate::{estimate, Estimate, EstimateOptions};
use farebox_core::tokens::{Encoding, Tokenizer};
use farebox_tests::{prices, tokenizers};
use proptest::prelude::*;
use serde_json::{json, Value};

const LLAMA: &str = "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo";
const NEMO: &str = "mistral/open-mistral-nemo";
const LLAMA4: &str = "together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct";
const MISTRAL_LARGE_2411: &str = "vertex_ai/mistral-large-2411";
const DEEPSEEK_V3: &str = "together_ai/deepseek-ai/DeepSeek-V3";
const QWEN3: &str = "llamagate/qwen3-8b";

/// The embedded tokenizer of `encoding`, made once for the whole file.
fn tokenizer(encoding: Encoding) -> &'static Tokenizer {
    tokenizers().get(encoding).expect("every vocabulary is embedded")
}

fn est(body: &Value) -> Estimate {
    estimate(prices(), tokenizers(), body.to_string().as_bytes(), &EstimateOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Trimmed text (the Llama template trims each message), possibly empty.
fn content() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9 ,.:;!?'\"(){}\\n-]{0,120}", "[a-zé漢字🙂 ]{0,40}", "\\PC{0,60}"]
        .prop_map(|s| s.trim().to_string())
}

/// A chat: an optional system message, then user and assistant turns, ending with a user's.
fn chat() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (proptest::option::of(content()), proptest::collection::vec((content(), content()), 0..3), content()).prop_map(
        |(system, turns, last)| {
            let mut chat = Vec::new();
            if let Some(s) = system {
                chat.push(("system", s));
            }
            for (u, a) in turns {
                chat.push(("user", u));
                chat.push(("assistant", a));
            }
            chat.push(("user", last));
            chat
        },
    )
}

fn body(model: &str, chat: &[(&str, String)]) -> Value {
    let messages: Vec<Value> = chat.iter().map(|(role, text)| json!({"role": role, "content": text})).collect();
    json!({"model": model, "messages": messages, "max_tokens": 1})
}

/// Meta's templates, as `apply_chat_template(..., add_generation_prompt=True)` renders them.
/// `preamble`: 3.1's dated system block (3.0 has none).
fn llama_render(chat: &[(&str, String)], preamble: Option<&str>) -> String {
    let mut out = String::from("<|begin_of_text|>");
    let mut rest = chat;
    if let Some(date) = preamble {
        let system = match chat.first() {
            Some(("system", text)) => {
                rest = &chat[1..];
                text.as_str()
            }
            _ => "",
        };
        out += &format!(
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: {date}\n\n{system}<|eot_id|>"
        );
    }
    for (role, text) in rest {
        out += &format!("<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>");
    }
    out + "<|start_header_id|>assistant<|end_header_id|>\n\n"
}

/// mistral-common's v3 encoding (`InstructTokenizerV3`, on Tekken or on
/// SentencePiece v3): `<s>`, `[INST]`, `[/INST]` and `</s>` are control
/// tokens, and each message's text is encoded alone; the system prompt is
/// joined to the last user message with "\n\n".
fn mistral_count(chat: &[(&str, String)], encoding: Encoding) -> u64 {
    let tokenizer = tokenizer(encoding);
    let count = |s: &str| tokenizer.count(s) as u64;
    let system: Vec<&str> = chat.iter().filter(|(r, _)| *r == "system").map(|(_, t)| t.as_str()).collect();
    // `"\n\n".join(...)`, joined to the last user message only when not empty (`if system_prompt`).
    let system = system.join("\n\n");
    let last_user = chat.iter().rposition(|(r, _)| *r == "user");
    let mut n = 1;
    for (i, (role, text)) in chat.iter().enumerate() {
        match *role {
            "user" if Some(i) == last_user && !system.is_empty() => {
                n += 2 + count(&format!("{system}\n\n{text}"));
            }
            "user" => n += 2 + count(text),
            "assistant" => n += count(text) + 1,
            _ => {}
        }
    }
    n
}

/// mistral-common's v7 encoding (`InstructTokenizerV7`) with its
/// SentencePiece model: v3's, but each system message encoded where it
/// stands between `[SYSTEM_PROMPT]` and `[/SYSTEM_PROMPT]` (control tokens).
/// Each text is `sp.encode(text)`, dummy prefix included.
fn mistral_v7_count(chat: &[(&str, String)]) -> u64 {
    let v7 = tokenizer(Encoding::MistralV7);
    let count = |s: &str| v7.count(s) as u64;
    1 + chat
        .iter()
        .map(|(role, text)| match *role {
            "assistant" => count(text) + 1,
            _ => 2 + count(text),
        })
        .sum::<u64>()
}

/// DeepSeek V3's `chat_template` with `add_generation_prompt=True`: the
/// system messages joined by "\n\n" after the BOS, then the turns.
fn deepseek_render(chat: &[(&str, String)]) -> String {
    let system: Vec<&str> = chat.iter().filter(|(r, _)| *r == "system").map(|(_, t)| t.as_str()).collect();
    let mut out = format!("<｜begin▁of▁sentence｜>{}", system.join("\n\n"));
    for (role, text) in chat {
        match *role {
            "user" => out.push_str(&format!("<｜User｜>{text}")),
            "assistant" => out.push_str(&format!("<｜Assistant｜>{text}<｜end▁of▁sentence｜>")),
            _ => {}
        }
    }
    out + "<｜Assistant｜>"
}

/// Qwen 3's `chat_template` (no tools) with `add_generation_prompt=True`;
/// `thinking_off`: `enable_thinking=False`'s empty think block.
fn qwen_render(chat: &[(&str, String)], thinking_off: bool) -> String {
    let mut out = String::new();
    for (role, text) in chat {
        out.push_str(&format!("<|im_start|>{role}\n{text}<|im_end|>\n"));
    }
    out.push_str("<|im_start|>assistant\n");
    if thinking_off {
        out.push_str("<think>\n\n</think>\n\n");
    }
    out
}

/// Meta's `ChatFormat.encode_dialog_prompt` for Llama 4 (llama-models
/// 0.3.0): `<|begin_of_text|>`, then per message `<|header_start|>`, the
/// role encoded, `<|header_end|>`, "\n\n" encoded, the content encoded,
/// `<|eot|>`; then the assistant's header. Each part is encoded alone.
fn llama4_count(chat: &[(&str, String)]) -> u64 {
    let llama4 = tokenizer(Encoding::Llama4);
    let count = |s: &str| llama4.count(s) as u64;
    let header = |role: &str| 2 + count(role) + count("\n\n");
    1 + chat.iter().map(|(role, text)| header(role) + count(text) + 1).sum::<u64>() + header("assistant")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Llama 4's framing is Meta's chat format's, token for token.
    #[test]
    fn llama4_chats_count_as_meta_s_chat_format(chat in chat()) {
        let e = est(&body(LLAMA4, &chat)).input_tokens;
        prop_assert_eq!(e.tokens, llama4_count(&chat));
        prop_assert!(e.low <= e.tokens && e.tokens <= e.high);
    }

    /// Llama 3.0's rendering is at or above the low end, 3.1's (with its
    /// default date and a later one) at or below the high end; the point is
    /// 3.1's with the default date, exactly.
    #[test]
    fn llama3_chats_fall_in_the_range(chat in chat()) {
        let llama = tokenizer(Encoding::Llama3);
        let e = est(&body(LLAMA, &chat)).input_tokens;
        let v30 = llama.count(&llama_render(&chat, None)) as u64;
        let v31 = llama.count(&llama_render(&chat, Some("26 Jul 2024"))) as u64;
        let later = llama.count(&llama_render(&chat, Some("04 Dec 2026"))) as u64;
        prop_assert!(!e.exact);
        prop_assert!(e.low <= v30, "low {} > Llama 3.0's {v30}", e.low);
        prop_assert!(v31.max(later) <= e.high, "high {} < Llama 3.1's {v31} / {later}", e.high);
        prop_assert_eq!(e.tokens, v31);
    }

    /// Mistral Large 2411's framing is mistral-common's v7, token for token.
    #[test]
    fn mistral_v7_chats_count_as_mistral_common(chat in chat()) {
        let e = est(&body(MISTRAL_LARGE_2411, &chat)).input_tokens;
        let n = mistral_v7_count(&chat);
        prop_assert_eq!(e.tokens, n, "{:?}", e);
        prop_assert!(e.low <= n && n <= e.high, "{n} outside {e:?}");
    }

    /// DeepSeek V3's and Qwen 3's templates' renderings, counted with their
    /// own tokenizers (their markers are added tokens, matched in the text),
    /// fall in the range; DeepSeek's is its point unless system messages join.
    #[test]
    fn deepseek_and_qwen_chats_fall_in_the_range(chat in chat()) {
        let e = est(&body(DEEPSEEK_V3, &chat)).input_tokens;
        let n = tokenizer(Encoding::DeepSeekV3).count(&deepseek_render(&chat)) as u64;
        prop_assert!(e.low <= n && n <= e.high, "DeepSeek: {n} outside {e:?}");
        let e = est(&body(QWEN3, &chat)).input_tokens;
        let qwen = tokenizer(Encoding::Qwen3);
        let (on, off) = (qwen.count(&qwen_render(&chat, false)) as u64, qwen.count(&qwen_render(&chat, true)) as u64);
        prop_assert!(e.low <= on && off <= e.high, "Qwen 3: {on}/{off} outside {e:?}");
        prop_assert_eq!(e.tokens, on);
    }

    /// NeMo's framing is mistral-common's, token for token (the system
    /// prompt counted joined to the last user message, as it is encoded).
    #[test]
    fn mistral_nemo_chats_count_as_mistral_common(chat in chat()) {
        let e = est(&body(NEMO, &chat)).input_tokens;
        let n = mistral_count(&chat, Encoding::Tekken);
        prop_assert_eq!(e.tokens, n, "{:?}", e);
        prop_assert!(e.low <= n && n <= e.high, "{n} outside {e:?}");
    }

    /// Codestral 2405's (SentencePiece v3) too: the same template, each text
    /// encoded with its dummy prefix.
    #[test]
    fn mistral_v3_chats_count_as_mistral_common(chat in chat()) {
        let e = est(&body("codestral/codestral-2405", &chat)).input_tokens;
        let n = mistral_count(&chat, Encoding::MistralV3);
        prop_assert_eq!(e.tokens, n, "{:?}", e);
        prop_assert!(e.low <= n && n <= e.high, "{n} outside {e:?}");
    }
}

/// Qwen 3 writes the tools as JSON lines (Python's `json.dumps`: ", " and
/// ": ", the request's key order) in a system block between instructions,
/// the first system message's text at its top: the rendering is in the range.
#[test]
fn qwen3_tools_are_in_the_range() {
    let tool = json!({"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"]}}});
    let line = r#"{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}"#;
    for system in [None, Some("Be brief.")] {
        let mut chat = Vec::new();
        if let Some(s) = system {
            chat.push(("system", s.to_string()));
        }
        chat.push(("user", "Weather in Paris?".to_string()));
        let mut request = body(QWEN3, &chat);
        request["tools"] = json!([tool]);
        let e = est(&request).input_tokens;
        let top = system.map(|s| format!("{s}\n\n")).unwrap_or_default();
        let rendered = format!(
            "<|im_start|>system\n{top}# Tools\n\nYou may call one or more functions to assist with the user query.\n\n\
             You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{line}\n</tools>\n\n\
             For each function call, return a json object with function name and arguments within \
             <tool_call></tool_call> XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": \
             <args-json-object>}}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n\
             <|im_start|>assistant\n"
        );
        let n = tokenizer(Encoding::Qwen3).count(&rendered) as u64;
        assert!(e.low <= n && n <= e.high, "{system:?}: {n} outside {e:?}");
    }
}

/// Llama 3.1 writes tools into the first user message as indented JSON after
/// an instruction, with "Environment: ipython" in the system block: the
/// rendering (Python's key order) is under the high end.
#[test]
fn llama3_tools_are_under_the_high_end() {
    let tool = json!({"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"]}}});
    let mut request = body(LLAMA, &[("user", "Weather in Paris?".to_string())]);
    request["tools"] = json!([tool]);
    let e = est(&request).input_tokens;
    // `tojson(indent=4)` in the template's order of keys.
    let indented = r#"{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "description": "City name"
                }
            },
            "required": [
                "city"
            ]
        }
    }
}"#;
    let rendered = format!(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: \
         December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the \
         following functions, please respond with a JSON for a function call with its proper arguments that best \
         answers the given prompt.\n\nRespond in the format {{\"name\": function name, \"parameters\": dictionary of \
         argument name and its value}}.Do not use variables.\n\n{indented}\n\nWeather in Paris?<|eot_id|>\
         <|start_header_id|>assistant<|end_header_id|>\n\n"
    );
    let n = tokenizer(Encoding::Llama3).count(&rendered) as u64;
    assert!(n <= e.high, "{n} > {e:?}");
    assert!(e.low <= n, "{n} < {e:?}");
}
