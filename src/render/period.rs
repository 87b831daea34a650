//! The period a report covers: a preset (the last 30 or 90 days, the last 12
//! months, all time) or a custom `from`/`to`, both inclusive days, as on the
//! incident list. Incidents count in a period by their occurrence date, as the
//! incident list and the matrix filter them, so every number links to a list
//! that shows the same incidents.
//!
//! Pure: "today" is passed in, so tests pin it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::domain::{DateRule, FuzzyTime, Precision};

/// A named period ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Days30,
    Days90,
    Months12,
    All,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Days30,
        Preset::Days90,
        Preset::Months12,
        Preset::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Days30 => "30d",
            Preset::Days90 => "90d",
            Preset::Months12 => "12m",
            Preset::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Days30 => "30 days",
            Preset::Days90 => "90 days",
            Preset::Months12 => "12 months",
            Preset::All => "All time",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Days covered, ending today (`None`: all time).
    fn days(self) -> Option<i64> {
        match self {
            Preset::Days30 => Some(30),
            Preset::Days90 => Some(90),
            Preset::Months12 => Some(365),
            Preset::All => None,
        }
    }
}

/// A refused period parameter: which one and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> PeriodError {
    PeriodError {
        field,
        message: message.into(),
    }
}

/// A half-open span of time `[start, end)`; `start` is `None` for "since the beginning".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `None` for a custom period.
    pub preset: Option<Preset>,
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    /// The parameters as given, for forms and links.
    pub from_input: String,
    pub to_input: String,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// "24 Nov 2025".
pub fn day(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

impl Period {
    /// From the query's `period`, `from` and `to`: `from`/`to` (dates as on
    /// the incident list: `2025`, `2025-03`, `2025-03-15`) make a custom
    /// period; otherwise `period` names a preset (`default` when absent).
    pub fn parse(
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
        default: Preset,
    ) -> Result<Period, PeriodError> {
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (from, to) = (clean(from), clean(to));
        let tomorrow = midnight(today) + Duration::days(1);
        if from.is_some() || to.is_some() {
            let parse = |field: &'static str, v: &str| {
                FuzzyTime::parse(v).map_err(|m| err(field, format!("{field}: {m}")))
            };
            let start = from.as_deref().map(|v| parse("from", v)).transpose()?;
            let end = to.as_deref().map(|v| parse("to", v)).transpose()?;
            let end = end.map_or(tomorrow, |t| t.end());
            let start = start.map(|t| t.at);
            if let Some(s) = start
                && end <= s
            {
                return Err(err("to", "to: the end of the period is before its start"));
            }
            return Ok(Period {
                preset: None,
                start,
                end,
                from_input: from.unwrap_or_default(),
                to_input: to.unwrap_or_default(),
            });
        }
        let preset = match period.map(str::trim).filter(|p| !p.is_empty()) {
            None => default,
            Some(p) => Preset::parse(p).ok_or_else(|| {
                let names: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
                let shown: String = p.chars().take(20).collect();
                err(
                    "period",
                    format!("period: `{shown}` is not one of {}", names.join(", ")),
                )
            })?,
        };
        Ok(Period {
            preset: Some(preset),
            start: preset.days().map(|d| tomorrow - Duration::days(d)),
            end: tomorrow,
            from_input: String::new(),
            to_input: String::new(),
        })
    }

    /// The period of the same length just before this one (none for an open start).
    pub fn previous(&self) -> Option<Period> {
        let start = self.start?;
        let length = self.end - start;
        Some(Period {
            preset: None,
            start: Some(start - length),
            end: start,
            from_input: String::new(),
            to_input: String::new(),
        })
    }

    /// Whole days covered (`None` for an open start).
    pub fn days(&self) -> Option<i64> {
        self.start.map(|s| (self.end - s).num_days().max(1))
    }

    /// The last day in the period.
    pub fn last_day(&self) -> DateTime<Utc> {
        self.end - Duration::seconds(1)
    }

    /// The bounds as incident filters (`from`, `to`; inclusive).
    pub fn bounds(&self) -> (Option<FuzzyTime>, Option<FuzzyTime>) {
        let from = self.start.map(|at| FuzzyTime {
            at,
            precision: Precision::Time,
        });
        let to = FuzzyTime {
            at: self.last_day(),
            precision: Precision::Time,
        };
        (from, Some(to))
    }

    /// "1 Sep – 30 Nov 2025" or "up to 30 Nov 2025".
    pub fn range_words(&self) -> String {
        let last = self.last_day();
        match self.start {
            Some(s) if s.year() == last.year() => {
                format!("{} – {}", s.format("%-d %b"), day(last))
            }
            Some(s) => format!("{} – {}", day(s), day(last)),
            None => format!("up to {}", day(last)),
        }
    }

    /// "the last 90 days (27 Aug – 24 Nov 2025)", "all time", "1 Jan – 31 Mar 2025".
    pub fn describe(&self) -> String {
        match self.preset {
            Some(Preset::All) => "all time".to_string(),
            Some(p) => format!("the last {} ({})", p.label(), self.range_words()),
            None => self.range_words(),
        }
    }

    /// How the previous period is named in trends: "the 90 days before".
    pub fn previous_words(&self) -> String {
        match (self.preset, self.days()) {
            (Some(Preset::Months12), _) => "the 12 months before".to_string(),
            (_, Some(d)) => format!("the {d} days before"),
            (_, None) => "before".to_string(),
        }
    }

    /// The period's own parameters: `period=90d` or `from=…&to=…`.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        match self.preset {
            Some(p) => vec![("period", p.as_str().to_string())],
            None => {
                let mut pairs = Vec::new();
                if !self.from_input.is_empty() {
                    pairs.push(("from", self.from_input.clone()));
                }
                if !self.to_input.is_empty() {
                    pairs.push(("to", self.to_input.clone()));
                }
                pairs
            }
        }
    }

    /// The incident-list filters for this period (`from=2025-08-27&to=2025-11-24`).
    pub fn list_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(s) = self.start {
            pairs.push(("from", s.format("%Y-%m-%d").to_string()));
        }
        if self.preset != Some(Preset::All) {
            pairs.push(("to", self.last_day().format("%Y-%m-%d").to_string()));
            // The list then chooses incidents as the report counts them.
            pairs.push(("dates", DateRule::Middle.as_str().to_string()));
        }
        pairs
    }
}

/// How a chart groups time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    Week,
    Month,
    Year,
}

impl Step {
    pub fn noun(self) -> &'static str {
        match self {
            Step::Day => "day",
            Step::Week => "week",
            Step::Month => "month",
            Step::Year => "year",
        }
    }
}

/// One bar's span of time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// "24 Nov", "w/c 17 Nov", "Nov 2025", "2025".
    pub label: String,
    /// For the tooltip: "week of 17 Nov 2025".
    pub long_label: String,
}

/// The step that keeps a chart of `days` to a readable number of bars.
pub fn step_for(days: i64) -> Step {
    match days {
        ..=31 => Step::Day,
        32..=190 => Step::Week,
        191..=1100 => Step::Month,
        _ => Step::Year,
    }
}

fn floor(t: DateTime<Utc>, step: Step) -> NaiveDate {
    let d = t.date_naive();
    match step {
        Step::Day => d,
        Step::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Step::Month => d.with_day(1).unwrap_or(d),
        Step::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
    }
}

fn advance(d: NaiveDate, step: Step) -> NaiveDate {
    match step {
        Step::Day => d + Duration::days(1),
        Step::Week => d + Duration::days(7),
        Step::Month => d
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(d + Duration::days(31)),
        Step::Year => {
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).unwrap_or(d + Duration::days(366))
        }
    }
}

/// Buckets covering `[start, end)`, the first and last cut to the span.
/// At most `limit` buckets (the earliest are dropped beyond it).
pub fn buckets(start: DateTime<Utc>, end: DateTime<Utc>, step: Step, limit: usize) -> Vec<Bucket> {
    let mut out = Vec::new();
    if end <= start {
        return out;
    }
    let mut d = floor(start, step);
    while midnight(d) < end {
        let next = advance(d, step);
        let (label, long_label) = match step {
            Step::Day => (
                d.format("%-d %b").to_string(),
                d.format("%-d %b %Y").to_string(),
            ),
            Step::Week => (
                d.format("%-d %b").to_string(),
                format!("week of {}", d.format("%-d %b %Y")),
            ),
            Step::Month => (d.format("%b %Y").to_string(), d.format("%B %Y").to_string()),
            Step::Year => (d.format("%Y").to_string(), d.format("%Y").to_string()),
        };
        out.push(Bucket {
            start: midnight(d).max(start),
            end: midnight(next).min(end),
            label,
            long_label,
        });
        d = next;
    }
    if out.len() > limit {
        out.drain(..out.len() - limit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 24).unwrap()
    }

    fn parse(p: Option<&str>, f: Option<&str>, t: Option<&str>) -> Result<Period, PeriodError> {
        Period::parse(p, f, t, today(), Preset::Days90)
    }

    #[test]
    fn presets_end_today_inclusive() {
        let p = parse(None, None, None).unwrap();
        assert_eq!(p.preset, Some(Preset::Days90));
        assert_eq!(p.end.to_rfc3339(), "2025-11-25T00:00:00+00:00");
        assert_eq!(p.days(), Some(90));
        assert_eq!(p.range_words(), "27 Aug – 24 Nov 2025");
        assert_eq!(p.describe(), "the last 90 days (27 Aug – 24 Nov 2025)");
        let prev = p.previous().unwrap();
        assert_eq!(prev.end, p.start.unwrap());
        assert_eq!(prev.days(), Some(90));
        assert_eq!(
            p.list_pairs(),
            vec![
                ("from", "2025-08-27".into()),
                ("to", "2025-11-24".into()),
                ("dates", "middle".into())
            ]
        );
        let all = parse(Some("all"), None, None).unwrap();
        assert_eq!(all.start, None);
        assert!(all.previous().is_none());
        assert!(all.list_pairs().is_empty());
        assert_eq!(all.query_pairs(), vec![("period", "all".into())]);
    }

    #[test]
    fn custom_periods_take_dates_as_the_incident_list_does() {
        let p = parse(Some("30d"), Some("2025-01"), Some("2025-03")).unwrap();
        assert_eq!(p.preset, None);
        assert_eq!(p.start.unwrap().to_rfc3339(), "2025-01-01T00:00:00+00:00");
        assert_eq!(p.end.to_rfc3339(), "2025-04-01T00:00:00+00:00");
        assert_eq!(p.describe(), "1 Jan – 31 Mar 2025");
        let prev = p.previous().unwrap();
        assert_eq!(
            prev.start.unwrap().to_rfc3339(),
            "2024-10-03T00:00:00+00:00"
        );
        let (from, to) = p.bounds();
        assert_eq!(from.unwrap().rfc3339(), "2025-01-01T00:00:00Z");
        assert_eq!(to.unwrap().end().to_rfc3339(), "2025-04-01T00:00:00+00:00");
    }

    #[test]
    fn bad_periods_name_their_parameter() {
        assert_eq!(parse(Some("7y"), None, None).unwrap_err().field, "period");
        assert_eq!(
            parse(None, Some("yesterday"), None).unwrap_err().field,
            "from"
        );
        assert_eq!(
            parse(None, Some("2025-05-01"), Some("2025-04-01"))
                .unwrap_err()
                .field,
            "to"
        );
    }

    #[test]
    fn buckets_cover_the_span_at_a_readable_step() {
        assert_eq!(step_for(30), Step::Day);
        assert_eq!(step_for(90), Step::Week);
        assert_eq!(step_for(365), Step::Month);
        assert_eq!(step_for(4000), Step::Year);
        let p = parse(Some("90d"), None, None).unwrap();
        let b = buckets(p.start.unwrap(), p.end, Step::Week, 100);
        assert_eq!(b.first().unwrap().start, p.start.unwrap());
        assert_eq!(b.last().unwrap().end, p.end);
        assert!(b.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(b.len(), 14);
        let m = buckets(p.start.unwrap(), p.end, Step::Month, 100);
        assert_eq!(
            m.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025"]
        );
        assert_eq!(buckets(p.start.unwrap(), p.end, Step::Day, 10).len(), 10);
    }
}
