//! The one error type of the public API. Every variant says what to fix.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::money::MoneyError;
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
    /// The estimate needs a tokenizer vocabulary the host has not loaded.
    TokenizerNotLoaded(&'static str),
}

impl Error {
    /// A stable machine-readable code, for hosts that map errors (HTTP, JS).
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownModel { .. } => "unknown_model",
            Error::InvalidPriceFile(_) => "invalid_price_file",
            Error::InvalidUsage(_) => "invalid_usage",
            Error::Money(_) => "amount_out_of_range",
            Error::InvalidRequest(_) => "invalid_request",
            Error::TokenizerNotLoaded(_) => "tokenizer_not_loaded",
        }
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
            Error::TokenizerNotLoaded(name) => {
                write!(f, "the {name} vocabulary is not loaded: load it to count this request")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

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
