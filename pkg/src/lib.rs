//! farebox-wasm: the WebAssembly half of the npm package `farebox`.
//!
//! Thin bindings over farebox-core: every answer is core's, this crate only
//! moves bytes. The JS layer (`pkg/js/`) wraps these exports in the public
//! API, loads vocabularies and re-throws errors as `FareboxError`.
//!
//! Two modules come out of this crate (`cargo xtask pkg` builds it twice):
//! the package's main one, and with `--no-default-features` the module of
//! the `farebox/tokenizer` entry, which holds only the counting exports
//! below. The `pricing` feature (default) adds everything else (prices,
//! estimates, budgets, traces: [`pricing`]); without it the price table,
//! serde_json and the estimators are never linked, so an app that only
//! counts tokens downloads the tokenizer and nothing more.
//!
//! State: the loaded tokenizers live for the module's life.

mod error;
#[cfg(feature = "pricing")]
mod input;
#[cfg(feature = "pricing")]
mod pricing;
#[cfg(feature = "pricing")]
mod view;

use std::sync::OnceLock;

use farebox_core::tokens::{Encoding, Tokenizer, Tokenizers, Vocabulary};
use wasm_bindgen::prelude::*;

pub use error::{codes, Failure};
#[cfg(feature = "pricing")]
pub use pricing::{Prices, TraceImport};

static TOKENIZERS: OnceLock<Tokenizers> = OnceLock::new();

fn tokenizers() -> &'static Tokenizers {
    TOKENIZERS.get_or_init(Tokenizers::new)
}

/// The encoding a name means: an encoding name (`o200k_base`, `gemma3`), a
/// model OpenAI's tiktoken maps to one (`gpt-4o`, `azure/gpt-4.1`) or a
/// Gemini model Google's SDK counts with Gemma 3 (`gemini-2.5-pro`).
fn encoding_of(model_or_encoding: &str) -> Option<Encoding> {
    Encoding::from_name(model_or_encoding.trim()).or_else(|| Encoding::for_model(model_or_encoding))
}

/// The vocabulary (`o200k_base`, ...) that counts `model_or_encoding`
/// exactly, or `undefined` for a model without a public tokenizer farebox has.
#[wasm_bindgen(js_name = vocabularyFor)]
pub fn vocabulary_for(model_or_encoding: &str) -> Option<String> {
    encoding_of(model_or_encoding).map(|e| e.vocabulary().name().to_string())
}

/// The encoding an argument names (an encoding name, `o200k_base`, ...).
fn named_encoding(encoding: &str) -> Result<Encoding, Failure> {
    Encoding::from_name(encoding).ok_or_else(|| {
        let names: Vec<&str> = Encoding::ALL.iter().map(|e| e.name()).collect();
        Failure::invalid_argument(format!("`{encoding}` is not an encoding: use one of {}", names.join(", ")))
    })
}

/// Loads a vocabulary from its file's bytes (`vocab/<name>.bin`). The first
/// load of a vocabulary stays; loading it again is a no-op.
#[wasm_bindgen(js_name = loadVocabulary)]
pub fn load_vocabulary(encoding: &str, bytes: &[u8]) -> Result<(), Failure> {
    let vocabulary = named_encoding(encoding)?.vocabulary();
    tokenizers().load(vocabulary, bytes).map_err(|e| {
        Failure::new(codes::INVALID_VOCABULARY, format!("{e}: pass the bytes of vocab/{}", vocabulary.file_name()))
    })
}

/// Whether the vocabulary `encoding` counts with is loaded.
#[wasm_bindgen(js_name = isVocabularyLoaded)]
pub fn is_vocabulary_loaded(encoding: &str) -> bool {
    Encoding::from_name(encoding).is_some_and(|e| tokenizers().has(e.vocabulary()))
}

/// The loaded tokenizer for `encoding`, or `tokenizer_not_loaded` naming its vocabulary.
fn tokenizer(encoding: Encoding) -> Result<&'static Tokenizer, Failure> {
    tokenizers().get(encoding).ok_or_else(|| farebox_core::Error::TokenizerNotLoaded(encoding.vocabulary()).into())
}

/// The exact token count of `text`: tiktoken's `len(encode_ordinary(text))`,
/// for Gemma 3 the google-genai SDK's `LocalTokenizer.count_tokens(text)`,
/// or for a model with another published tokenizer (Llama 3.x, Mistral
/// NeMo, Mistral's SentencePiece models), its reference's count of the text.
#[wasm_bindgen(js_name = countTokens)]
pub fn count_tokens(text: &str, model_or_encoding: &str) -> Result<usize, Failure> {
    let encoding = encoding_of(model_or_encoding).ok_or_else(|| {
        Failure::new(
            codes::NO_EXACT_TOKENIZER,
            format!(
                "`{model_or_encoding}` has no public tokenizer to count it exactly: countTokens takes OpenAI models \
                 (gpt-4o, gpt-4.1, o3, ...), the Gemini models Google's SDK counts with Gemma 3 (gemini-2.5-pro, \
                 gemini-2.0-flash, ...), Llama 3.x and 4 models (llama-3.3-70b-versatile, llama-4-scout, ...), \
                 Mistral NeMo, Mistral 7B, Mixtral, Codestral 2405, Mistral Large 2407 and encodings ({}); \
                 use estimateTokens(text, model) for an estimate with bounds",
                Vocabulary::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    Ok(tokenizer(encoding)?.count(text))
}
