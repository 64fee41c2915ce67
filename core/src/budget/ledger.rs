//! Where cumulative spend lives. Each host brings its own store (the worker a
//! Durable Object, the web app memory); the budget logic only reads and
//! writes amounts under [`BudgetKey`]s through the [`Ledger`] trait.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

use crate::money::Usd;
use crate::time::Timestamp;

/// What a cumulative limit accumulates over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One session, for its whole life.
    Session,
    /// One user, one UTC day.
    UserDay,
    /// One user, one UTC calendar month.
    UserMonth,
    /// One organisation, one UTC day.
    OrgDay,
}

impl Scope {
    /// In the order limits are checked (see [`crate::budget`]).
    pub const ALL: [Scope; 4] = [Scope::Session, Scope::UserDay, Scope::UserMonth, Scope::OrgDay];

    /// Whose spend the scope limits.
    pub const fn holder(self) -> Holder {
        match self {
            Scope::Session => Holder::Session,
            Scope::UserDay | Scope::UserMonth => Holder::User,
            Scope::OrgDay => Holder::Org,
        }
    }

    /// The period's name in a key (`day`, `month`); a session has none.
    const fn period(self) -> Option<&'static str> {
        match self {
            Scope::Session => None,
            Scope::UserDay | Scope::OrgDay => Some("day"),
            Scope::UserMonth => Some("month"),
        }
    }
}

/// Who a scope's spend belongs to: a call names at most one id of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Session,
    User,
    Org,
}

impl Holder {
    /// In the order limits are checked (see [`crate::budget`]).
    pub const ALL: [Holder; 3] = [Holder::Session, Holder::User, Holder::Org];

    /// `session`, `user`, `org`: the first part of its keys.
    pub const fn name(self) -> &'static str {
        match self {
            Holder::Session => "session",
            Holder::User => "user",
            Holder::Org => "org",
        }
    }

    /// The scopes that limit it.
    pub fn scopes(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| s.holder() == self)
    }
}

/// A ledger entry's key: scope, the (possibly hashed) id and the period
/// bucket. Its text form is the storage key: `session:<id>`,
/// `user:<id>:day:2026-11-22`, `user:<id>:month:2026-11`,
/// `org:<id>:day:2026-11-22`. A `:` or `%` inside an id is percent-escaped so
/// that two different keys never share a text form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BudgetKey {
    /// The scope.
    pub scope: Scope,
    /// The session, user or organisation id (hashed when the host asked for it).
    pub id: String,
    /// The period bucket (`2026-11-22`, `2026-11`), empty for sessions.
    pub bucket: String,
}

impl BudgetKey {
    /// The key for `scope` and `id` at instant `at`.
    pub fn new(scope: Scope, id: &str, at: Timestamp) -> BudgetKey {
        let date = at.date();
        let bucket = match scope {
            Scope::Session => String::new(),
            Scope::UserDay | Scope::OrgDay => date.day_key(),
            Scope::UserMonth => date.month_key(),
        };
        BudgetKey { scope, id: String::from(id), bucket }
    }
}

impl BudgetKey {
    /// A key from its text form (what [`Display`](fmt::Display) writes and
    /// a store keeps); `None` for any other text.
    pub fn parse(text: &str) -> Option<BudgetKey> {
        let mut parts = text.split(':');
        let (who, escaped) = (parts.next()?, parts.next()?);
        let period = match (parts.next(), parts.next(), parts.next()) {
            (None, None, None) => None,
            (Some(period), Some(bucket), None) if !bucket.is_empty() => Some((period, bucket)),
            _ => return None,
        };
        let scope =
            Scope::ALL.into_iter().find(|s| s.holder().name() == who && s.period() == period.map(|(p, _)| p))?;
        let mut id = String::with_capacity(escaped.len());
        let mut rest = escaped;
        while let Some(i) = rest.find('%') {
            id.push_str(&rest[..i]);
            match rest.get(i..i + 3)? {
                "%3A" => id.push(':'),
                "%25" => id.push('%'),
                _ => return None,
            }
            rest = &rest[i + 3..];
        }
        id.push_str(rest);
        Some(BudgetKey { scope, id, bucket: period.map_or_else(String::new, |(_, b)| String::from(b)) })
    }

    /// Whether the key's period is over at `now`: a day or month before the
    /// current one. A session's key never is.
    pub fn is_over(&self, now: Timestamp) -> bool {
        self.scope.period().is_some() && self.bucket < BudgetKey::new(self.scope, &self.id, now).bucket
    }
}

impl fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scope.holder().name())?;
        f.write_str(":")?;
        for c in self.id.chars() {
            match c {
                ':' => f.write_str("%3A")?,
                '%' => f.write_str("%25")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        if let Some(period) = self.scope.period() {
            write!(f, ":{period}:{}", self.bucket)?;
        }
        Ok(())
    }
}

impl serde::Serialize for BudgetKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a ledger operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerError {
    /// The host's store failed (its message).
    Store(String),
    /// A total went out of range.
    Amount(crate::money::MoneyError),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Store(why) => write!(f, "budget ledger: the store failed: {why}"),
            LedgerError::Amount(e) => write!(f, "budget ledger: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LedgerError {}

impl From<crate::money::MoneyError> for LedgerError {
    fn from(e: crate::money::MoneyError) -> LedgerError {
        LedgerError::Amount(e)
    }
}

/// Spend per key. `check` only reads; `commit` and `reserve` write.
pub trait Ledger {
    /// What has been recorded under `key` (zero if nothing).
    fn spent(&self, key: &BudgetKey) -> Result<Usd, LedgerError>;

    /// Adds `amount` (negative to release a reservation) under `key`.
    fn record(&mut self, key: &BudgetKey, amount: Usd) -> Result<(), LedgerError>;

    /// Adds `amount` under `key` only if the total stays within `limit`, as
    /// one step; `Ok(false)` (and nothing recorded) if it would not. A store
    /// shared by concurrent requests (the worker's Durable Object) must
    /// override this to be atomic; this default is correct only where
    /// nothing else writes between its read and its write, as in
    /// [`MemoryLedger`].
    fn reserve(&mut self, key: &BudgetKey, amount: Usd, limit: Usd) -> Result<bool, LedgerError> {
        let after = self.spent(key)?.checked_add(amount)?;
        if after > limit {
            return Ok(false);
        }
        self.record(key, amount)?;
        Ok(true)
    }
}

/// An in-memory ledger (the web app's, and the budget replay's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryLedger {
    spent: BTreeMap<BudgetKey, Usd>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> MemoryLedger {
        MemoryLedger::default()
    }

    /// Every key with its total, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&BudgetKey, Usd)> {
        self.spent.iter().map(|(k, &v)| (k, v))
    }
}

impl Ledger for MemoryLedger {
    fn spent(&self, key: &BudgetKey) -> Result<Usd, LedgerError> {
        Ok(self.spent.get(key).copied().unwrap_or(Usd::ZERO))
    }

    fn record(&mut self, key: &BudgetKey, amount: Usd) -> Result<(), LedgerError> {
        let slot = self.spent.entry(key.clone()).or_insert(Usd::ZERO);
        *slot = slot.checked_add(amount)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn key_text_forms() {
        let at = Timestamp::parse("2026-11-22T15:04:05Z").unwrap();
        assert_eq!(BudgetKey::new(Scope::UserDay, "u1", at).to_string(), "user:u1:day:2026-11-22");
        assert_eq!(BudgetKey::new(Scope::UserMonth, "u1", at).to_string(), "user:u1:month:2026-11");
        assert_eq!(BudgetKey::new(Scope::OrgDay, "o", at).to_string(), "org:o:day:2026-11-22");
        assert_eq!(BudgetKey::new(Scope::Session, "s:1%", at).to_string(), "session:s%3A1%25");
    }

    #[test]
    fn keys_read_back_from_their_text() {
        let at = Timestamp::parse("2026-11-22T15:04:05Z").unwrap();
        for scope in Scope::ALL {
            for id in ["u1", "s:1%", "%3A", "a%b:c", ""] {
                let key = BudgetKey::new(scope, id, at);
                assert_eq!(BudgetKey::parse(&key.to_string()), Some(key.clone()), "{key}");
            }
        }
        for bad in [
            "",
            "user",
            "user:u",
            "user:u:day",
            "user:u:day:",
            "user:u:week:2026-11",
            "team:u",
            "session:s:day:x",
            "user:a%zz:day:2026-11-22",
            "user:u:day:1:2",
        ] {
            assert_eq!(BudgetKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_earlier_periods_are_over() {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let over = |text: &str| BudgetKey::parse(text).unwrap().is_over(now);
        assert!(over("user:u:day:2026-11-21") && over("org:o:day:2026-11-21") && over("user:u:month:2026-10"));
        assert!(!over("user:u:day:2026-11-22") && !over("user:u:day:2026-11-23") && !over("user:u:month:2026-11"));
        assert!(!over("session:s"));
    }

    #[test]
    fn memory_ledger_reserve_respects_the_limit() {
        let mut l = MemoryLedger::new();
        let key = BudgetKey::new(Scope::Session, "s", Timestamp::default());
        let limit = Usd::from_dollars(10);
        assert_eq!(l.reserve(&key, Usd::from_dollars(6), limit), Ok(true));
        assert_eq!(l.reserve(&key, Usd::from_dollars(5), limit), Ok(false));
        assert_eq!(l.reserve(&key, Usd::from_dollars(4), limit), Ok(true));
        assert_eq!(l.spent(&key), Ok(limit));
    }
}
