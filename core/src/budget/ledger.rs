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

impl fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (who, period) = match self.scope {
            Scope::Session => ("session", None),
            Scope::UserDay => ("user", Some("day")),
            Scope::UserMonth => ("user", Some("month")),
            Scope::OrgDay => ("org", Some("day")),
        };
        f.write_str(who)?;
        f.write_str(":")?;
        for c in self.id.chars() {
            match c {
                ':' => f.write_str("%3A")?,
                '%' => f.write_str("%25")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        if let Some(period) = period {
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

/// A store failed (the host's message), or an amount went out of range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerError(pub String);

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "budget ledger: {}", self.0)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LedgerError {}

impl From<crate::money::MoneyError> for LedgerError {
    fn from(e: crate::money::MoneyError) -> LedgerError {
        LedgerError(alloc::format!("{e}"))
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
