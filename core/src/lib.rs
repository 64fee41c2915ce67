//! farebox-core: what an LLM call costs, exactly.
//!
//! - [`money`]: exact USD amounts (integer attodollars; no binary float on any
//!   money path).
//! - [`usage`]: billable usage in disjoint kinds, and the normalisers that
//!   read each provider's own `usage` object without double counting.
//! - [`pricing`]: the model price table (built-in data plus user definitions,
//!   LiteLLM and Langfuse files), tiers, and model-name resolution.
//! - [`cost`]: usage × prices → a [`Cost`] with a per-kind breakdown.
//!
//! `#![no_std]` + `alloc` when the default `std` feature is off; core does
//! no I/O: hosts hand it bytes and get values back.
//!
//! ```
//! use farebox_core::{PriceTable, Usage, UsageKind, CostOptions};
//! let table = PriceTable::builtin();
//! let usage = Usage::new().with(UsageKind::Input, 1500).with(UsageKind::Output, 1000);
//! let cost = table.cost("claude-sonnet-4-5", &usage, &CostOptions::default()).unwrap();
//! assert_eq!(cost.total.to_string(), "0.0195");
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

extern crate alloc;

/// A write-once cell: thread-safe where threads exist (`std`); WebAssembly
/// hosts without `std` are single-threaded.
#[cfg(feature = "std")]
pub(crate) type Once<T> = std::sync::OnceLock<T>;
#[cfg(not(feature = "std"))]
pub(crate) type Once<T> = core::cell::OnceCell<T>;

pub mod budget;
pub mod cost;
pub mod error;
#[cfg(feature = "tokenizer")]
pub mod estimate;
pub mod glance;
mod json;
pub use json::to_text as json_text;
pub mod money;
pub mod pricing;
pub mod time;
pub use farebox_tokens as tokens;
pub mod traces;
pub mod usage;

pub use budget::{Budget, Decision, Ledger, MemoryLedger, PlannedCall, Policy};
pub use cost::{Cost, CostLine, CostOptions, Unpriced};
pub use error::{Error, RefusalKind};
pub use money::Usd;
pub use pricing::{Model, PriceFileFormat, PriceSet, PriceTable};
pub use time::Timestamp;
pub use traces::{Generation, ImportOptions, ImportReport, Importer};
pub use usage::{parse_usage, ParsedUsage, Usage, UsageFormat, UsageKind};
