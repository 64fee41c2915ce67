//! How a chat becomes the model's prompt: the tokens a chat template puts
//! around each message, once per chat, and before the reply.
//!
//! OpenAI documents its own (3 per message, 1 per name, 3 priming the reply;
//! 4 and −1 for gpt-3.5-turbo-0301: the cookbook's "How to count tokens with
//! tiktoken"): exact. Another maker's model is framed by its published chat
//! template, which the host (Together, Groq, Bedrock, Mistral, ...) applies
//! on its side: counted here by that template, token for token where the
//! template is fixed, and as a range where hosts differ (Llama 3.1's dated
//! system preamble, the JSON layout of tools). A model whose template farebox
//! does not know gets a wide range, never OpenAI's exact numbers.
//!
//! Special tokens (`<|eot_id|>`, `[INST]`) are one token each whatever the
//! text around them, so they are constants; the template's plain text (role
//! names, Llama's preamble and tool instructions) goes through the counter
//! like any text, so the bounds without counting ([`super::Counter`]) stay
//! bounds.

use alloc::string::{String, ToString};

use serde_json::Value;

use super::{Counter, Range};
use crate::tokens::Encoding;

/// The chat template an encoding's models use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Template {
    /// OpenAI's documented framing.
    OpenAi { per_message: u64, per_name: u64 },
    /// Meta's Llama 3.x template. 3.0's: `<|begin_of_text|>`, per message
    /// `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>`,
    /// the reply's header. 3.1–3.3's add a system block that opens with
    /// "Cutting Knowledge Date: December 2023\nToday Date: {date}\n\n" (on its
    /// own when the chat has no system message), and with tools, the tools as
    /// indented JSON after an instruction, in the first user message.
    Llama3,
    /// Meta's Llama 4 chat format (`llama-models`' `ChatFormat`, which
    /// encodes each part alone): `<|begin_of_text|>`, per message
    /// `<|header_start|>{role}<|header_end|>` "\n\n" `{content}<|eot|>`, the
    /// reply's header. No preamble; tools are the host's (the cookbook's count).
    Llama4,
    /// Mistral's tokenizer v3 template (on Tekken or SentencePiece v3), mistral-common's:
    /// `<s>`, `[INST]{user}[/INST]`, `{assistant}</s>`, the system prompt
    /// joined to the last user message with "\n\n", tools as
    /// `[AVAILABLE_TOOLS]{json}[/AVAILABLE_TOOLS]`, tool results as
    /// `[TOOL_RESULTS]{json}[/TOOL_RESULTS]`. Role names are not written.
    MistralV3,
    /// Mistral's tokenizer v7 template (mistral-common's `InstructTokenizerV7`):
    /// v3's, but each system message is its own, `[SYSTEM_PROMPT]{text}[/SYSTEM_PROMPT]`
    /// where it stands, not joined to a user message.
    MistralV7,
    /// DeepSeek V3's template (its `tokenizer_config.json`): `<｜begin▁of▁sentence｜>`,
    /// the system messages' texts joined by "\n\n", then `<｜User｜>{user}` and
    /// `<｜Assistant｜>{assistant}<｜end▁of▁sentence｜>`, the reply's
    /// `<｜Assistant｜>`. Role names are not written; tools are not rendered
    /// (a host writes them its own way: the cookbook's count, as a range).
    DeepSeekV3,
    /// Qwen 3's ChatML (its `tokenizer_config.json`): per message
    /// `<|im_start|>{role}\n{content}<|im_end|>\n`, the reply's
    /// `<|im_start|>assistant\n` (and, with thinking off, an empty
    /// `<think>\n\n</think>\n\n`); tools as JSON lines in a system block
    /// between fixed instructions ([`QWEN_TOOLS_INTRO`], [`QWEN_TOOLS_OUTRO`]).
    Qwen3,
    /// A template farebox does not model: a range wide enough for the
    /// published ones it knows of (Gemma's turns: at most 4 tokens and the
    /// role per message).
    Unknown,
}

/// Llama 3.1's system preamble as Meta's template writes it (the default date).
const LLAMA_PREAMBLE: &str = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
/// Llama 3.1's lead-in to tools given in the first user message.
const LLAMA_TOOLS: &str =
    "Environment: ipython\nGiven the following functions, please respond with a JSON for a function \
     call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function \
     name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n";
/// Qwen 3's tool instructions before the tools (`<tools>` is text, not a token).
const QWEN_TOOLS_INTRO: &str =
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are \
     provided with function signatures within <tools></tools> XML tags:\n<tools>";
/// After them (`<tool_call>` and `</tool_call>` are tokens: the text between is counted alone).
const QWEN_TOOLS_OUTRO: [&str; 3] = [
    "\n</tools>\n\nFor each function call, return a json object with function name and arguments within ",
    "</tool_call> XML tags:\n",
    "\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n",
];
/// A date other than the default ("4 Dec 2026", a host's today) may count a few more.
const DATE_SLACK: u64 = 3;
/// An unknown template's tokens around one message (besides the role) and before the reply.
const UNKNOWN_FRAME: Range = Range { tokens: 3, exact: false, low: 0, high: 8 };

impl Template {
    /// The template of `encoding`'s models (`None`: counted by ratio, the
    /// maker's template unknown). `gpt35_0301`: OpenAI's one model with
    /// other constants.
    pub(crate) fn of(encoding: Option<Encoding>, gpt35_0301: bool) -> Template {
        match encoding {
            Some(e) if e.is_openai() => {
                if gpt35_0301 {
                    Template::OpenAi { per_message: 4, per_name: 0 }
                } else {
                    Template::OpenAi { per_message: 3, per_name: 1 }
                }
            }
            Some(Encoding::Llama3) => Template::Llama3,
            Some(Encoding::Llama4) => Template::Llama4,
            // mistral-common's `InstructTokenizerV3`, on Tekken or on SentencePiece v3.
            Some(Encoding::Tekken | Encoding::MistralV3) => Template::MistralV3,
            Some(Encoding::MistralV7) => Template::MistralV7,
            Some(Encoding::DeepSeekV3) => Template::DeepSeekV3,
            Some(Encoding::Qwen3) => Template::Qwen3,
            // Mistral's SentencePiece v1 (mistral-common 1.13.1's
            // `InstructTokenizerV1`) joins the system prompt to the first user
            // message and spells `[INST]` as plain text around it: not
            // modelled, so the range stays wide.
            _ => Template::Unknown,
        }
    }

    /// Once per chat, before the first message: `first_role` is the first
    /// message's; `tools`: whether function definitions are sent.
    pub(crate) fn start(self, counter: &Counter, first_role: Option<&str>, tools: bool) -> Range {
        match self {
            Template::OpenAi { .. } => Range::exact(0),
            Template::Llama3 => {
                // `<|begin_of_text|>`; with 3.1+, the preamble, in a system
                // block of its own when the chat has none (header, "system", eot).
                let own_block = if first_role == Some("system") { 0 } else { 4 + counter.count("system") };
                let preamble = own_block + counter.count(LLAMA_PREAMBLE);
                // With tools, the lead-in (the tools themselves: [`Template::tools_high`]).
                let tools = if tools { counter.count(LLAMA_TOOLS) } else { 0 };
                Range::estimate(1 + preamble + tools, 1, 1 + preamble + DATE_SLACK + tools)
            }
            Template::Llama4 => Range::exact(1),
            Template::DeepSeekV3 => Range::exact(1),
            // With tools, the system block around them (its own markers, "system\n", the
            // instructions, the final "\n"; a first system message's text goes inside it
            // with "\n\n", its own framing then not written: up to its 5 tokens fewer).
            Template::Qwen3 if tools => {
                let instructions = counter.count(QWEN_TOOLS_INTRO)
                    + QWEN_TOOLS_OUTRO.iter().map(|t| counter.count(t)).sum::<u64>()
                    + 2;
                let block = 3 + counter.count("system") + instructions;
                let low = if first_role == Some("system") { block.saturating_sub(5) } else { block };
                Range::estimate(block, low, block + 1)
            }
            Template::Qwen3 => Range::exact(0),
            // `<s>`; tools: the two markers (their JSON is counted with the tools).
            Template::MistralV3 | Template::MistralV7 => Range::exact(if tools { 3 } else { 1 }),
            Template::Unknown => Range::estimate(0, 0, 4),
        }
    }

    /// The tokens around one message of `role`, besides its content: its
    /// markers, and its role's name where the template writes it (counted).
    pub(crate) fn message(self, counter: &Counter, role: &str) -> Range {
        match self {
            Template::OpenAi { per_message, .. } => Range::exact(per_message + counter.count(role)),
            Template::Llama3 | Template::Llama4 => {
                // Tool results are written under the role `ipython`.
                let written = if matches!(role, "tool" | "function") { "ipython" } else { role };
                // The header's two tokens, "\n\n", the end of turn.
                Range::exact(4 + counter.count(written))
            }
            Template::DeepSeekV3 => match role {
                "user" => Range::exact(1),
                "assistant" => Range::exact(2),
                // Joined to the others by "\n\n", which may merge with the text before it.
                "system" | "developer" => Range::estimate(0, 0, 1),
                // `<｜tool▁outputs▁begin｜>`, `<｜tool▁output▁begin｜>`, `<｜tool▁output▁end｜>`;
                // a later one "\n" instead of the first, the last `<｜tool▁outputs▁end｜>`.
                "tool" | "function" => Range::estimate(3, 2, 4),
                _ => UNKNOWN_FRAME.plus(Range::exact(counter.count(role))),
            },
            Template::Qwen3 => {
                // Qwen writes a tool result as a user turn in `<tool_response>` tokens.
                let (written, extra) = if matches!(role, "tool" | "function") { ("user", 4) } else { (role, 0) };
                // The markers, "{role}\n" and the "\n" after the end: the first "\n"
                // merges into a content that starts with a newline.
                let n = 4 + extra + counter.count(written);
                Range::estimate(n, n - 1, n)
            }
            Template::MistralV3 | Template::MistralV7 => match role {
                "user" => Range::exact(2),
                "assistant" => Range::exact(1),
                // v3: its text is joined to the last user message ([`Template::joins_system_to_last_user`]).
                "system" | "developer" if self == Template::MistralV3 => Range::exact(0),
                "system" | "developer" => Range::exact(2),
                // The markers and the JSON around the result (`{"content": ..., "call_id": ...}`).
                _ => Range::estimate(2 + 12, 2, 2 + 24),
            },
            Template::Unknown => UNKNOWN_FRAME.plus(Range::exact(counter.count(role))),
        }
    }

    /// Whether the template writes the system prompt (the system messages'
    /// texts joined by "\n\n") before the last user message's text, "\n\n"
    /// between, encoded as one text (Mistral's): it must be counted joined,
    /// since "\n\n" merges with what is around it (`}")\n\n` and `"\n\n/`
    /// are single pieces).
    pub(crate) fn joins_system_to_last_user(self) -> bool {
        self == Template::MistralV3
    }

    /// A message's `name` (OpenAI counts it and one more token; other
    /// templates may drop it or write it with a marker).
    pub(crate) fn name(self, counter: &Counter, name: &str) -> Range {
        let n = counter.count(name);
        match self {
            Template::OpenAi { per_name, .. } => Range::exact(n + per_name),
            _ => Range::estimate(0, 0, n + 1),
        }
    }

    /// Before the reply: OpenAI's 3, Llama's assistant header, nothing for
    /// Mistral (the model writes after `[/INST]`).
    pub(crate) fn reply(self, counter: &Counter) -> Range {
        match self {
            Template::OpenAi { .. } => Range::exact(3),
            Template::Llama3 | Template::Llama4 => Range::exact(3 + counter.count("assistant")),
            Template::MistralV3 | Template::MistralV7 => Range::exact(0),
            Template::DeepSeekV3 => Range::exact(1),
            // "<|im_start|>assistant\n"; with thinking off, 4 more.
            Template::Qwen3 => {
                let n = 2 + counter.count("assistant");
                Range::estimate(n, n, n + 4)
            }
            Template::Unknown => UNKNOWN_FRAME,
        }
    }

    /// The high end of tool definitions as the template writes them, when
    /// that can count more than the compact JSON and the cookbook's formula:
    /// Llama writes each tool as indented JSON and "\n\n"; Mistral writes
    /// the list as Python's `json.dumps`, a space after every `,` and `:`.
    pub(crate) fn tools_high(self, counter: &Counter, tools: &[&Value]) -> u64 {
        match self {
            Template::Llama3 => tools.iter().map(|t| counter.count(&indented(t)) + 1).sum(),
            // One JSON line each, as Jinja's `tojson` writes it (", " and ": ").
            Template::Qwen3 => tools
                .iter()
                .map(|t| {
                    let json = t.to_string();
                    1 + counter.count(&json) + json.bytes().filter(|b| matches!(b, b',' | b':')).count() as u64
                })
                .sum(),
            Template::MistralV3 | Template::MistralV7 => tools
                .iter()
                .map(|t| {
                    let json = t.to_string();
                    counter.count(&json) + json.bytes().filter(|b| matches!(b, b',' | b':')).count() as u64
                })
                .sum(),
            _ => 0,
        }
    }

    /// What the estimate's method says about the framing.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Template::OpenAi { .. } => "",
            Template::Llama3 => {
                "; message framing by Meta's Llama 3 chat template (applied by the host: 3.1+'s dated system \
                 preamble and tools in the range)"
            }
            Template::Llama4 => "; message framing by Meta's Llama 4 chat format, applied by the host",
            Template::MistralV3 => "; message framing by Mistral's v3 chat template, applied by the host",
            Template::MistralV7 => "; message framing by Mistral's v7 chat template, applied by the host",
            Template::DeepSeekV3 => {
                "; message framing by DeepSeek V3's chat template, applied by the host (tools, which it does not \
                 render, as the host writes them: estimated)"
            }
            Template::Qwen3 => "; message framing by Qwen 3's chat template (ChatML), applied by the host",
            Template::Unknown => {
                "; message framing estimated: the model's chat template is applied by the host and not known here \
                 (0–8 tokens and the role per message)"
            }
        }
    }
}

/// `value` as Python's `json.dumps(value, indent=4)` writes it (what Llama's
/// template's `tojson(indent=4)` does), keys in serde_json's order:
/// serde_json's pretty form indents by two spaces a level, and a string in
/// it holds no raw line break, so each line's leading spaces are its indent.
fn indented(value: &Value) -> String {
    let two = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(two.len() * 2);
    for (i, line) in two.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let text = line.trim_start_matches(' ');
        out.extend(core::iter::repeat_n(' ', 2 * (line.len() - text.len())));
        out.push_str(text);
    }
    out
}
