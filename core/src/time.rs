//! Instants and calendar days without `std::time` (core never reads a clock:
//! hosts pass the time in, and exports carry their own timestamps).
//!
//! [`Timestamp`] is milliseconds since the Unix epoch (UTC) in an `i64`.
//! Milliseconds because every export format farebox reads writes at most
//! millisecond precision that matters for bucketing (OTLP's nanoseconds are
//! truncated), and an `i64` of them spans ±292 million years.
//!
//! Civil dates use Howard Hinnant's `days_from_civil` / `civil_from_days`
//! algorithms (proleptic Gregorian calendar, exact integer arithmetic), which
//! give the day, ISO week (weeks start on Monday; week 1 holds the year's
//! first Thursday) and month buckets that budgets and aggregates key on.

use alloc::format;
use alloc::string::String;
use core::fmt;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A day of the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year (`2026`).
    pub year: i32,
    /// The month, 1–12.
    pub month: u8,
    /// The day of the month, 1–31.
    pub day: u8,
}

/// Why a text is not a timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// Not an RFC 3339 date-time (the text's first 40 characters).
    NotRfc3339(String),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::NotRfc3339(text) => {
                write!(f, "invalid timestamp: `{text}` is not an RFC 3339 date-time (e.g. 2026-11-22T15:04:05.123Z)")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TimeError {}

impl Timestamp {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// The instant `secs` seconds after the epoch (saturating far outside ±292 My).
    pub const fn from_secs(secs: i64) -> Timestamp {
        Timestamp(secs.saturating_mul(MS_PER_SECOND))
    }

    /// From OTLP's `*TimeUnixNano` (nanoseconds since the epoch), truncated to milliseconds.
    pub const fn from_unix_nanos(nanos: u64) -> Timestamp {
        Timestamp((nanos / 1_000_000) as i64)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The UTC calendar day of this instant.
    pub fn date(self) -> Date {
        Date::from_days_since_epoch(self.0.div_euclid(MS_PER_DAY))
    }

    /// The hour of the day, 0–23 (UTC).
    pub fn hour(self) -> u8 {
        (self.0.rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as u8
    }

    /// The start of this instant's UTC hour.
    pub fn floor_hour(self) -> Timestamp {
        Timestamp(self.0 - self.0.rem_euclid(MS_PER_HOUR))
    }

    /// Parses RFC 3339 / ISO 8601 as exports write it:
    /// `2026-11-22T15:04:05.123Z`, `2026-11-22T16:04:05+01:00`, `…+0100`,
    /// `2026-11-22 15:04:05` (space separator, no offset: read as UTC, which
    /// is what Langfuse and ClickHouse CSV exports mean), `2026-11-22T15:04Z`
    /// and a bare date `2026-11-22` (midnight UTC). Fractions past the
    /// millisecond are truncated. Anything else is an error naming the text.
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        parse_rfc3339(text.trim()).ok_or_else(|| TimeError::NotRfc3339(String::from(shorten(text))))
    }
}

/// At most 40 characters of a text, for error messages about hostile input.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, &d| a * 10 + i64::from(d - b'0')))
}

fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    let month = u8::try_from(digits(&b[5..7])?).ok()?;
    let day = u8::try_from(digits(&b[8..10])?).ok()?;
    let date = Date::new(year, month, day)?;
    let mut ms = date.days_since_epoch() * MS_PER_DAY;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(Timestamp(ms));
    }
    if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let hour = digits(&rest[1..3])?;
    let minute = digits(&rest[4..6])?;
    let mut i = 6;
    let mut second = 0;
    if rest.get(i) == Some(&b':') {
        second = digits(rest.get(i + 1..i + 3)?)?;
        i += 3;
    }
    // RFC 3339 allows a leap second, 60.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    ms += hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND;
    if matches!(rest.get(i), Some(b'.' | b',')) {
        let start = i + 1;
        let end = start + rest[start..].iter().take_while(|d| d.is_ascii_digit()).count();
        if end == start {
            return None;
        }
        // Milliseconds: the first three fraction digits, padded.
        let frac = &rest[start..end.min(start + 3)];
        let mut millis = digits(frac)?;
        for _ in frac.len()..3 {
            millis *= 10;
        }
        ms += millis;
        i = end;
    }
    let offset_minutes = match rest.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == rest.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let off = &rest[i + 1..];
            let (h, m) = match off.len() {
                2 => (digits(off)?, 0),
                4 => (digits(&off[..2])?, digits(&off[2..])?),
                5 if off[2] == b':' => (digits(&off[..2])?, digits(&off[3..])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    // `16:04+01:00` is 15:04 UTC.
    Some(Timestamp(ms - offset_minutes * MS_PER_MINUTE))
}

/// RFC 3339 in UTC with milliseconds: `2026-11-22T15:04:05.123Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date();
        let in_day = self.0.rem_euclid(MS_PER_DAY);
        let (h, m) = (in_day / MS_PER_HOUR, in_day % MS_PER_HOUR / MS_PER_MINUTE);
        let (s, ms) = (in_day % MS_PER_MINUTE / MS_PER_SECOND, in_day % MS_PER_SECOND);
        write!(f, "{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Date {
    /// A `YYYY-MM-DD` date, or the UTC date of an RFC 3339 instant.
    pub fn parse(text: &str) -> Result<Date, TimeError> {
        Timestamp::parse(text).map(Timestamp::date)
    }

    /// The date, if it exists (`2026-02-29` does not).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before): Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12; // March = 0
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01: Hinnant's `civil_from_days`.
    /// Saturates to the `i32` year range.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days.saturating_add(719_468);
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let year = year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        Date { year, month, day }
    }

    /// Day of the week, 0 = Monday … 6 = Sunday (ISO 8601).
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }

    /// The Monday that starts this date's ISO week.
    pub fn week_start(self) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() - i64::from(self.weekday()))
    }

    /// The ISO week-numbering year and week (1–53): the week belongs to the
    /// year its Thursday is in, so 2026-12-31 can be in week 1 of 2027.
    pub fn iso_week(self) -> (i32, u8) {
        let thursday = self.days_since_epoch() - i64::from(self.weekday()) + 3;
        let year = Date::from_days_since_epoch(thursday).year;
        let jan1 = Date { year, month: 1, day: 1 }.days_since_epoch();
        (year, ((thursday - jan1) / 7 + 1) as u8)
    }

    /// The day bucket key, `2026-11-22`.
    pub fn day_key(self) -> String {
        format!("{self}")
    }

    /// The month bucket key, `2026-11`.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The ISO week bucket key, `2026-W47`.
    pub fn week_key(self) -> String {
        let (year, week) = self.iso_week();
        format!("{year:04}-W{week:02}")
    }
}

/// `2026-11-22`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn parses_the_forms_exports_write() {
        let base = ts("2026-11-22T15:04:05.123Z");
        assert_eq!(base.millis(), 1_795_359_845_123);
        assert_eq!(base.to_string(), "2026-11-22T15:04:05.123Z");
        assert_eq!(ts("2026-11-22T16:04:05.123+01:00"), base);
        assert_eq!(ts("2026-11-22T10:04:05.123-0500"), base);
        assert_eq!(ts("2026-11-22 15:04:05.123456"), base);
        assert_eq!(ts("2026-11-22t15:04:05.1239z"), base);
        assert_eq!(ts("2026-11-22T15:04Z"), ts("2026-11-22T15:04:00Z"));
        assert_eq!(ts("2026-11-22").to_string(), "2026-11-22T00:00:00.000Z");
        assert_eq!(ts("1969-12-31T23:59:59.999Z").millis(), -1);
        assert_eq!(ts("2026-11-22T15:04:05+05"), ts("2026-11-22T10:04:05Z"));
    }

    #[test]
    fn rejects_what_is_not_a_date_time() {
        for bad in [
            "",
            "2026-13-01",
            "2026-02-29",
            "2026-11-22T24:00:00Z",
            "2026-11-22T15:04:05.Z",
            "2026-11-22T15:04:05Zjunk",
            "2026/11/22",
            "22-11-2026",
            "2026-11-22T15",
            "2026-11-22T15:04:05+1",
            "1795359845",
            "２０２６-11-22",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::parse("2024-02-29").is_ok());
    }

    #[test]
    fn buckets_day_week_month() {
        let d = ts("2026-11-22T15:04:05Z").date();
        assert_eq!(
            (d.day_key(), d.month_key(), d.week_key()),
            ("2026-11-22".into(), "2026-11".into(), "2026-W47".into())
        );
        assert_eq!(d.weekday(), 6, "2026-11-22 is a Sunday");
        assert_eq!(d.week_start().to_string(), "2026-11-16");
        // Year boundaries: the ISO week belongs to its Thursday's year.
        assert_eq!(Date::new(2026, 12, 31).unwrap().week_key(), "2026-W53");
        assert_eq!(Date::new(2027, 1, 3).unwrap().week_key(), "2026-W53");
        assert_eq!(Date::new(2027, 1, 4).unwrap().week_key(), "2027-W01");
        assert_eq!(Date::new(2024, 12, 30).unwrap().week_key(), "2025-W01");
        assert_eq!(Date::new(2021, 1, 3).unwrap().week_key(), "2020-W53");
        assert_eq!(ts("2026-11-22T15:59:59.999Z").floor_hour(), ts("2026-11-22T15:00:00Z"));
        assert_eq!(ts("2026-11-22T15:59:59.999Z").hour(), 15);
        assert_eq!(Timestamp::from_unix_nanos(1_795_359_845_123_456_789), ts("2026-11-22T15:04:05.123Z"));
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let d = Date::from_days_since_epoch(days);
            prop_assert_eq!(d.days_since_epoch(), days);
            prop_assert_eq!(Date::new(d.year, d.month, d.day), Some(d));
        }

        #[test]
        fn display_parse_round_trip(ms in 0i64..253_402_300_799_999) {
            let t = Timestamp::from_millis(ms);
            prop_assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
