//! The one error type of the public API. Every variant says what to fix.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::budget::{LedgerError, PolicyError};
use crate::money::MoneyError;
use crate::tokens::Vocabulary;
use crate::usage::UsageError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No model in the table matches the name. Never priced as $0.
    UnknownModel { model: String, suggestions: Vec<String> },
    /// A price file or a user definition is malformed.
    InvalidPriceFile(String),
    /// A usage object is malformed or inconsistent.
    InvalidUsage(UsageError),
    /// An amount went out of range (beyond ±1.7e20 USD).
    Money(MoneyError),
    /// A request body cannot be estimated: the message names the field.
    InvalidRequest(String),
    /// A budget policy does not parse or holds a negative limit.
    InvalidPolicy(PolicyError),
    /// A host's budget store failed (its message).
    LedgerStore(String),
    /// The estimate needs a tokenizer vocabulary the host has not loaded.
    TokenizerNotLoaded(Vocabulary),
    /// A price on a day before the built-in snapshot needs the price history,
    /// which the host has not loaded (`PriceTable::load_history`).
    PriceHistoryNotLoaded,
    /// A well-formed request whose cost has no upper bound that farebox can
    /// compute (stored context, server-side tools, an output it has no price
    /// for, ...): refused rather than under-priced. `detail` says what in the
    /// request caused it and, where a setting allows it, which one.
    Refused { kind: RefusalKind, detail: String },
}

/// Why a request was refused: each kind is a way a provider can bill more
/// than the request shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefusalKind {
    /// Context the provider adds from storage (Responses `previous_response_id`,
    /// `conversation`, `prompt`; Gemini `cachedContent`).
    StoredContext,
    /// A tool the provider runs itself (web search, code execution, file
    /// search, MCP, ...): billed per call, and each internal turn re-bills the context.
    ServerTool,
    /// A tool type farebox does not know, or a built-in one whose added prompt
    /// tokens are not documented.
    UnknownTool,
    /// Responses `background: true`: the usage only arrives when polled.
    Background,
    /// A field this reader does not know (refused only when asked to:
    /// `RequestRules::refuse_unknown_fields`).
    UnknownField,
    /// An output modality the model has no price for (image output, or audio
    /// on a model without an audio output price).
    UnpricedModality,
}

impl RefusalKind {
    /// A stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            RefusalKind::StoredContext => "stored_context",
            RefusalKind::ServerTool => "server_tool",
            RefusalKind::UnknownTool => "unknown_tool",
            RefusalKind::Background => "background_mode",
            RefusalKind::UnknownField => "unknown_field",
            RefusalKind::UnpricedModality => "unpriced_modality",
        }
    }

    pub const ALL: [RefusalKind; 6] = [
        RefusalKind::StoredContext,
        RefusalKind::ServerTool,
        RefusalKind::UnknownTool,
        RefusalKind::Background,
        RefusalKind::UnknownField,
        RefusalKind::UnpricedModality,
    ];
}

impl Error {
    /// A stable machine-readable code, for hosts that map errors (HTTP, JS).
    /// A refusal's code is its kind's ([`RefusalKind::code`]: `stored_context`,
    /// `server_tool`, `unknown_tool`, `background_mode`, `unknown_field`,
    /// `unpriced_modality`), so a host can tell the reasons apart without
    /// parsing the message; [`Error::is_refusal`] groups them.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownModel { .. } => "unknown_model",
            Error::InvalidPriceFile(_) => "invalid_price_file",
            Error::InvalidUsage(_) => "invalid_usage",
            Error::Money(_) => "amount_out_of_range",
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidPolicy(_) => "invalid_policy",
            Error::LedgerStore(_) => "ledger_error",
            Error::TokenizerNotLoaded(_) => "tokenizer_not_loaded",
            Error::PriceHistoryNotLoaded => "price_history_not_loaded",
            Error::Refused { kind, .. } => kind.code(),
        }
    }

    /// Whether this is a refusal ([`Error::Refused`]): a valid request whose
    /// cost farebox will not bound.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::Refused { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownModel { model, suggestions } => {
                write!(f, "unknown model `{model}`: it is not in the price table")?;
                if !suggestions.is_empty() {
                    write!(f, " (did you mean {}?)", suggestions.join(", "))?;
                }
                f.write_str("; add its prices as a user definition to price it")
            }
            Error::InvalidPriceFile(why) => write!(f, "invalid price definition: {why}"),
            Error::InvalidUsage(e) => fmt::Display::fmt(e, f),
            Error::Money(e) => fmt::Display::fmt(e, f),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Error::InvalidPolicy(e) => fmt::Display::fmt(e, f),
            Error::LedgerStore(why) => write!(f, "budget ledger: the store failed: {why}"),
            Error::TokenizerNotLoaded(vocabulary) => {
                write!(f, "the {vocabulary} vocabulary is not loaded: load it to count this request")
            }
            Error::PriceHistoryNotLoaded => f.write_str(
                "the price history is not loaded: load it to price a call on a day before the built-in prices were taken",
            ),
            Error::Refused { kind, detail } => write!(f, "request refused ({}): {detail}", kind.code()),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Error {
        Error::InvalidPolicy(e)
    }
}

/// An amount out of range is [`Error::Money`] wherever it happens; a store
/// failure is the host's own.
impl From<LedgerError> for Error {
    fn from(e: LedgerError) -> Error {
        match e {
            LedgerError::Store(why) => Error::LedgerStore(why),
            LedgerError::Amount(m) => Error::Money(m),
        }
    }
}

impl From<MoneyError> for Error {
    fn from(e: MoneyError) -> Error {
        Error::Money(e)
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Error {
        Error::InvalidUsage(e)
    }
}
