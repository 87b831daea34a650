//! Times with a precision: ATLAS case studies give only a year or a month, an
//! alert gives a second. Stored as RFC 3339 UTC at the start of the period plus
//! the precision, so they sort and range-filter as text.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Year,
    Month,
    Day,
    Time,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
            Precision::Time => "time",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "year" => Some(Precision::Year),
            "month" => Some(Precision::Month),
            "day" => Some(Precision::Day),
            "time" => Some(Precision::Time),
            _ => None,
        }
    }

    /// ATLAS `incident-date-granularity` (`YEAR`, `MONTH`, `DATE`).
    pub fn from_atlas(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "YEAR" => Some(Precision::Year),
            "MONTH" => Some(Precision::Month),
            "DATE" | "DAY" => Some(Precision::Day),
            _ => None,
        }
    }

    pub fn to_atlas(self) -> &'static str {
        match self {
            Precision::Year => "YEAR",
            Precision::Month => "MONTH",
            Precision::Day | Precision::Time => "DATE",
        }
    }
}

/// The earliest and latest years a time may have, in UTC.
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

/// A UTC instant known to a given precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuzzyTime {
    pub at: DateTime<Utc>,
    pub precision: Precision,
}

impl FuzzyTime {
    /// Accepts `2020`, `2020-03`, `2020-03-15`, `2020-03-15T10:30` (UTC, as an
    /// HTML `datetime-local` sends it) and full RFC 3339 with any offset; the
    /// instant, in UTC, must fall within the years [`MIN_YEAR`]–[`MAX_YEAR`]
    /// (so that it is stored as a four-digit year and reads back as stored).
    pub fn parse(input: &str) -> Result<Self, String> {
        let t = Self::parse_any_year(input)?;
        let year = t.at.year();
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(format!(
                "`{}` is in the year {year} (UTC); dates must be between {MIN_YEAR} and {MAX_YEAR}",
                input.trim()
            ));
        }
        Ok(t)
    }

    fn parse_any_year(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let bad = || {
            format!(
                "`{s}` is not a date: use YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DD HH:MM (UTC) or an RFC 3339 time such as 2025-03-15T10:30:00Z"
            )
        };
        if s.len() > 40 {
            return Err("a date is at most 40 characters".to_string());
        }
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        let parts: Vec<&str> = s.split('-').collect();
        let date_only = match parts.as_slice() {
            [y] if y.len() == 4 && digits(y) => {
                Some((y.parse().ok(), Some(1), Some(1), Precision::Year))
            }
            [y, m] if y.len() == 4 && m.len() == 2 && digits(y) && digits(m) => {
                Some((y.parse().ok(), m.parse().ok(), Some(1), Precision::Month))
            }
            [y, m, d]
                if y.len() == 4
                    && m.len() == 2
                    && d.len() == 2
                    && digits(y)
                    && digits(m)
                    && digits(d) =>
            {
                Some((
                    y.parse().ok(),
                    m.parse().ok(),
                    d.parse().ok(),
                    Precision::Day,
                ))
            }
            _ => None,
        };
        if let Some((Some(y), Some(m), Some(d), precision)) = date_only {
            let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
            let at = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).ok_or_else(bad)?);
            return Ok(FuzzyTime { at, precision });
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(FuzzyTime {
                at: t.with_timezone(&Utc),
                precision: Precision::Time,
            });
        }
        for fmt in [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(FuzzyTime {
                    at: Utc.from_utc_datetime(&t),
                    precision: Precision::Time,
                });
            }
        }
        Err(bad())
    }

    /// Rebuilds a stored value.
    pub fn from_stored(at: Option<&str>, precision: Option<&str>) -> Option<Self> {
        let at = DateTime::parse_from_rfc3339(at?).ok()?.with_timezone(&Utc);
        let precision = precision
            .and_then(Precision::parse)
            .unwrap_or(Precision::Time);
        Some(FuzzyTime { at, precision })
    }

    /// The stored (and API) form: RFC 3339 UTC.
    pub fn rfc3339(&self) -> String {
        self.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// As a person writes it, to its precision: `2020`, `2020-03`, `2020-03-15`, `2020-03-15 10:30 UTC`.
    pub fn display(&self) -> String {
        match self.precision {
            Precision::Year => self.at.format("%Y").to_string(),
            Precision::Month => self.at.format("%Y-%m").to_string(),
            Precision::Day => self.at.format("%Y-%m-%d").to_string(),
            Precision::Time => self.at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// The form a user types back into an input (round-trips through [`FuzzyTime::parse`]).
    pub fn input_value(&self) -> String {
        match self.precision {
            Precision::Time => self.rfc3339(),
            _ => self.display(),
        }
    }

    /// The first instant after the period (exclusive end), for range filters:
    /// `to=2024-06` includes all of June.
    pub fn end(&self) -> DateTime<Utc> {
        use chrono::{Duration, Months};
        match self.precision {
            Precision::Year => Utc
                .with_ymd_and_hms(self.at.year() + 1, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or(self.at),
            Precision::Month => self
                .at
                .checked_add_months(Months::new(1))
                .unwrap_or(self.at),
            Precision::Day => self.at + Duration::days(1),
            Precision::Time => self.at + Duration::seconds(1),
        }
    }

    /// `YYYY-MM-DD` for an ATLAS `incident-date`.
    pub fn date(&self) -> String {
        self.at.format("%Y-%m-%d").to_string()
    }
}

impl FuzzyTime {
    /// The period the time stands for, `[start, end)`: a whole year, month or
    /// day, or (for an instant) one second.
    pub fn period(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.at, self.end())
    }

    /// The middle of the stated period (an instant is its own middle):
    /// period-over-period figures count an incident in the period that holds it.
    pub fn middle(&self) -> DateTime<Utc> {
        match self.precision {
            Precision::Time => self.at,
            _ => self.at + (self.end() - self.at) / 2,
        }
    }

    /// Known only to the month or the year.
    pub fn is_coarse(&self) -> bool {
        matches!(self.precision, Precision::Year | Precision::Month)
    }
}

/// How a time range chooses stored periods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateRule {
    /// Every period that overlaps the range (the incident list, the matrix):
    /// an incident dated "2026-09" is in `from=2026-09-15`.
    #[default]
    Overlap,
    /// Every period whose middle lies in the range (period-over-period
    /// figures): each incident counts in exactly one of adjacent ranges.
    Middle,
}

impl DateRule {
    pub fn as_str(self) -> &'static str {
        match self {
            DateRule::Overlap => "overlap",
            DateRule::Middle => "middle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "overlap" => Some(DateRule::Overlap),
            "middle" => Some(DateRule::Middle),
            _ => None,
        }
    }
}

/// Every precision a time is stored with, coarsest first.
pub const PRECISIONS: [Precision; 4] = [
    Precision::Year,
    Precision::Month,
    Precision::Day,
    Precision::Time,
];

/// The start of the period of `precision` that holds `t` (an instant: `t`
/// to the second, as stored).
pub fn period_start(precision: Precision, t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, Timelike};
    let midnight =
        |y: i32, m: u32, d: u32| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().unwrap_or(t);
    match precision {
        Precision::Year => midnight(t.year(), 1, 1),
        Precision::Month => midnight(t.year(), t.month(), 1),
        Precision::Day => midnight(t.year(), t.month(), t.day()),
        Precision::Time => t.with_nanosecond(0).unwrap_or(t),
    }
}

/// The smallest stored start of a `precision` period that `rule` lets in
/// from a range starting at `from`: every stored value of that precision at
/// or after it passes, every one before fails. So a range filter is one
/// text comparison per precision, which any SQL database runs.
pub fn lower_bound(rule: DateRule, precision: Precision, from: DateTime<Utc>) -> DateTime<Utc> {
    let start = period_start(precision, from);
    // A period ends after `from` exactly when it starts at or after the
    // start of the period holding `from`.
    let overlap = if precision == Precision::Time && start < from {
        start + chrono::Duration::seconds(1)
    } else {
        start
    };
    match rule {
        DateRule::Overlap => overlap,
        DateRule::Middle => {
            let here = FuzzyTime {
                at: start,
                precision,
            };
            if here.middle() >= from {
                start
            } else {
                here.end()
            }
        }
    }
}

impl std::fmt::Display for FuzzyTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_precision() {
        let y = FuzzyTime::parse("2020").unwrap();
        assert_eq!(
            (y.rfc3339().as_str(), y.precision),
            ("2020-01-01T00:00:00Z", Precision::Year)
        );
        let m = FuzzyTime::parse("2021-03").unwrap();
        assert_eq!(
            (m.display().as_str(), m.precision),
            ("2021-03", Precision::Month)
        );
        let d = FuzzyTime::parse("2021-03-15").unwrap();
        assert_eq!(d.rfc3339(), "2021-03-15T00:00:00Z");
        let t = FuzzyTime::parse("2021-03-15T12:00:00+02:00").unwrap();
        assert_eq!(
            (t.rfc3339().as_str(), t.precision),
            ("2021-03-15T10:00:00Z", Precision::Time)
        );
        let local = FuzzyTime::parse("2021-03-15T10:30").unwrap();
        assert_eq!(local.rfc3339(), "2021-03-15T10:30:00Z");
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "",
            "20",
            "2021-13",
            "2021-02-30",
            "yesterday",
            "2021-1-1",
            "'; DROP TABLE x",
        ] {
            assert!(FuzzyTime::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn only_years_1900_to_2200_after_the_offset() {
        for ok in [
            "1900",
            "1900-01-01T00:00:00Z",
            "1900-01-01T00:30:00-00:30",
            "2200-12-31T23:59:59Z",
            "2200-12-31T23:59:59+23:59",
            "2200-12",
        ] {
            let t = FuzzyTime::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(
                FuzzyTime::from_stored(Some(&t.rfc3339()), Some(t.precision.as_str())),
                Some(t)
            );
        }
        for bad in [
            "1899",
            "1899-12-31T23:59:59Z",
            "1900-01-01T00:00:00+00:01",
            "2201",
            "2200-12-31T23:59:59-00:01",
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+01:00",
        ] {
            let e = FuzzyTime::parse(bad).unwrap_err();
            assert!(e.contains("between 1900 and 2200"), "{bad}: {e}");
        }
    }

    #[test]
    fn input_value_round_trips() {
        for s in ["2020", "2020-05", "2020-05-06", "2020-05-06T07:08:09Z"] {
            let t = FuzzyTime::parse(s).unwrap();
            assert_eq!(FuzzyTime::parse(&t.input_value()).unwrap(), t);
        }
    }
}
