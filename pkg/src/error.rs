//! Errors as JavaScript sees them: an `Error` whose `code` is stable.
//!
//! Core's [`farebox_core::Error::code`] passes through unchanged, so a host
//! (this package, the worker's HTTP answers) names a failure the same way.
//! The JS layer (`js/tokens.js`) re-throws each as a `FareboxError`, the class
//! users test with `instanceof`.

use wasm_bindgen::JsValue;

/// Codes this package adds to core's.
pub mod codes {
    /// A JS argument has the wrong type or value, or an option is unknown.
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
    /// `countTokens` was asked for a model no public OpenAI encoding counts.
    pub const NO_EXACT_TOKENIZER: &str = "no_exact_tokenizer";
    /// Vocabulary bytes that are not a farebox vocabulary file.
    pub const INVALID_VOCABULARY: &str = "invalid_vocabulary";
}

/// A failure on its way to JavaScript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    code: &'static str,
    message: String,
    /// For `tokenizer_not_loaded`: the vocabulary to load (`o200k_base`, ...),
    /// so the JS layer can load it and retry where it can do so synchronously.
    encoding: Option<&'static str>,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into(), encoding: None }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Failure {
        Failure::new(codes::INVALID_ARGUMENT, message)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn encoding(&self) -> Option<&'static str> {
        self.encoding
    }
}

impl From<farebox_core::Error> for Failure {
    fn from(e: farebox_core::Error) -> Failure {
        let encoding = match &e {
            farebox_core::Error::TokenizerNotLoaded(vocabulary) => Some(vocabulary.name()),
            _ => None,
        };
        Failure { code: e.code(), message: e.to_string(), encoding }
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        let error = js_sys::Error::new(&f.message);
        // Reflect::set on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &"code".into(), &f.code.into());
        if let Some(encoding) = f.encoding {
            let _ = js_sys::Reflect::set(&error, &"encoding".into(), &encoding.into());
        }
        error.into()
    }
}

/// Reads a JS argument sent as JSON text (the `pricing` exports' arguments); an error names the argument and
/// the field inside it (`options.topN: invalid value: integer `-1`, ...`).
#[cfg(feature = "pricing")]
pub fn from_json<'a, T: serde::Deserialize<'a>>(what: &str, json: &'a str) -> Result<T, Failure> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." { String::new() } else { format!(".{path}") };
        Failure::invalid_argument(format!("{what}{at}: {}", e.inner()))
    })
}
