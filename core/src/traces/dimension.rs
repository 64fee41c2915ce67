//! The dimensions generations are grouped by: one list for the report's
//! groups ([`Report::groups`](super::Report::groups)), the metrics query's
//! `group_by` ([`MetricsQuery`](super::MetricsQuery)) and the hosts that let
//! a person choose one.
//!
//! Names (what [`Dimension::parse`] reads, and [`Display`](fmt::Display)
//! writes the first of): `day`; `model`; `provider`; `user` (`user_id`,
//! `userId`); `session` (`session_id`, `sessionId`); `tag` (`tags`);
//! `trace_name` (`traceName`); `name` (`operation`); `environment`;
//! `trace` (`trace_id`, `traceId`); `metadata.<key>`. Anything else is an [`UnknownDimension`] that lists them.

use alloc::string::{String, ToString};
use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

/// A dimension to group generations by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// The UTC day the generation started (`2026-11-22`).
    Day,
    /// The model name as exported.
    Model,
    /// The provider (named by the export, else the resolved model's).
    Provider,
    /// The user.
    User,
    /// The session.
    Session,
    /// Each tag: a generation with several tags counts under each.
    Tag,
    /// The trace name.
    TraceName,
    /// The observation or span name (the operation).
    Name,
    /// The environment.
    Environment,
    /// The trace (its id). Not in [`Dimension::ALL`]: an export has a trace
    /// per few calls, so a report lists only its most expensive traces
    /// ([`Report::top_traces`](super::Report::top_traces)), not a group of
    /// each; a slice can be one trace, and the metrics query groups by it.
    Trace,
    /// One metadata key's values (the key as exported).
    Metadata(String),
}

/// `metadata.<key>`'s prefix.
const METADATA: &str = "metadata.";

impl Dimension {
    /// Every dimension but [`Dimension::Metadata`] (whose keys come from the
    /// data), in the report's order.
    pub const ALL: [Dimension; 9] = [
        Dimension::Day,
        Dimension::Model,
        Dimension::Provider,
        Dimension::User,
        Dimension::Session,
        Dimension::Tag,
        Dimension::TraceName,
        Dimension::Name,
        Dimension::Environment,
    ];

    /// Reads a dimension by name (see the module docs for the names and
    /// their aliases).
    pub fn parse(text: &str) -> Result<Dimension, UnknownDimension> {
        Ok(match text {
            "day" => Dimension::Day,
            "model" => Dimension::Model,
            "provider" => Dimension::Provider,
            "user" | "user_id" | "userId" => Dimension::User,
            "session" | "session_id" | "sessionId" => Dimension::Session,
            "tag" | "tags" => Dimension::Tag,
            "trace_name" | "traceName" => Dimension::TraceName,
            "name" | "operation" => Dimension::Name,
            "environment" => Dimension::Environment,
            "trace" | "trace_id" | "traceId" => Dimension::Trace,
            other => match other.strip_prefix(METADATA) {
                Some(key) if !key.is_empty() => Dimension::Metadata(key.to_string()),
                _ => return Err(UnknownDimension { text: other.to_string() }),
            },
        })
    }
}

impl fmt::Display for Dimension {
    /// The canonical name, which [`Dimension::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Day => "day",
            Dimension::Model => "model",
            Dimension::Provider => "provider",
            Dimension::User => "user",
            Dimension::Session => "session",
            Dimension::Tag => "tag",
            Dimension::TraceName => "trace_name",
            Dimension::Name => "name",
            Dimension::Environment => "environment",
            Dimension::Trace => "trace",
            Dimension::Metadata(key) => return write!(f, "{METADATA}{key}"),
        })
    }
}

impl FromStr for Dimension {
    type Err = UnknownDimension;

    fn from_str(text: &str) -> Result<Dimension, UnknownDimension> {
        Dimension::parse(text)
    }
}

impl Serialize for Dimension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dimension {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Dimension::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A name that is no dimension; its message lists the valid ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDimension {
    /// The name as given.
    pub text: String,
}

impl fmt::Display for UnknownDimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown dimension `{}`: use ", self.text)?;
        for d in &Dimension::ALL {
            write!(f, "{d}, ")?;
        }
        write!(f, "{}, or {METADATA}<key>", Dimension::Trace)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownDimension {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_aliases_are_read() {
        let metadata = Dimension::Metadata("agent.type".to_string());
        for d in Dimension::ALL.iter().chain([&metadata, &Dimension::Trace]) {
            assert_eq!(Dimension::parse(&d.to_string()).as_ref(), Ok(d));
        }
        for (alias, d) in [
            ("user_id", Dimension::User),
            ("userId", Dimension::User),
            ("session_id", Dimension::Session),
            ("sessionId", Dimension::Session),
            ("tags", Dimension::Tag),
            ("traceName", Dimension::TraceName),
            ("operation", Dimension::Name),
            ("trace_id", Dimension::Trace),
            ("traceId", Dimension::Trace),
        ] {
            assert_eq!(alias.parse::<Dimension>(), Ok(d));
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        for text in ["colour", "Model", "metadata.", "metadata", "by_model", ""] {
            assert_eq!(Dimension::parse(text), Err(UnknownDimension { text: text.to_string() }));
        }
        assert_eq!(
            Dimension::parse("colour").unwrap_err().to_string(),
            "unknown dimension `colour`: use day, model, provider, user, session, tag, trace_name, name, \
             environment, trace, or metadata.<key>"
        );
    }
}
