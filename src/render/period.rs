//! The period a report covers: a preset (the last 30 or 90 days, the last 12
//! months, all time, this or last calendar quarter, this or last month) or a
//! custom `from`/`to`, both inclusive days, as on the
//! incident list. Incidents count in a period by their occurrence date, as the
//! incident list and the matrix filter them, so every number links to a list
//! that shows the same incidents.
//!
//! Pure: "today" is passed in, so tests pin it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::domain::{DateRule, FuzzyTime, Precision};

/// A named period: a rolling one ending today, or a calendar quarter or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Days30,
    Days90,
    Months12,
    All,
    /// The calendar quarter of today, up to today.
    ThisQuarter,
    /// The whole calendar quarter before.
    LastQuarter,
    /// The calendar month of today, up to today.
    ThisMonth,
    /// The whole calendar month before.
    LastMonth,
}

impl Preset {
    /// The rolling periods (the dashboard's choices).
    pub const ALL: [Preset; 4] = [
        Preset::Days30,
        Preset::Days90,
        Preset::Months12,
        Preset::All,
    ];

    /// The briefing's choices: calendar periods first, as a board reports.
    pub const BRIEFING: [Preset; 6] = [
        Preset::ThisQuarter,
        Preset::LastQuarter,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::Days90,
        Preset::Months12,
    ];

    const EVERY: [Preset; 8] = [
        Preset::Days30,
        Preset::Days90,
        Preset::Months12,
        Preset::All,
        Preset::ThisQuarter,
        Preset::LastQuarter,
        Preset::ThisMonth,
        Preset::LastMonth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Days30 => "30d",
            Preset::Days90 => "90d",
            Preset::Months12 => "12m",
            Preset::All => "all",
            Preset::ThisQuarter => "quarter",
            Preset::LastQuarter => "last-quarter",
            Preset::ThisMonth => "month",
            Preset::LastMonth => "last-month",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Days30 => "30 days",
            Preset::Days90 => "90 days",
            Preset::Months12 => "12 months",
            Preset::All => "All time",
            Preset::ThisQuarter => "This quarter",
            Preset::LastQuarter => "Last quarter",
            Preset::ThisMonth => "This month",
            Preset::LastMonth => "Last month",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::EVERY.into_iter().find(|p| p.as_str() == s)
    }

    /// Days covered, ending today (`None`: all time or a calendar period).
    fn days(self) -> Option<i64> {
        match self {
            Preset::Days30 => Some(30),
            Preset::Days90 => Some(90),
            Preset::Months12 => Some(365),
            _ => None,
        }
    }

    /// A calendar period: (first day, first day after, months long).
    fn calendar(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate, u32)> {
        let month = today.with_day(1).unwrap_or(today);
        let quarter = quarter_start(today);
        let back = |d: NaiveDate, n: u32| d.checked_sub_months(chrono::Months::new(n)).unwrap_or(d);
        let tomorrow = today + Duration::days(1);
        match self {
            Preset::ThisQuarter => Some((quarter, tomorrow, 3)),
            Preset::LastQuarter => Some((back(quarter, 3), quarter, 3)),
            Preset::ThisMonth => Some((month, tomorrow, 1)),
            Preset::LastMonth => Some((back(month, 1), month, 1)),
            _ => None,
        }
    }
}

/// The first day of the calendar quarter holding `d`.
pub fn quarter_start(d: NaiveDate) -> NaiveDate {
    let month = (d.month() - 1) / 3 * 3 + 1;
    NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d)
}

/// "Q3 2025" for any day of that quarter.
pub fn quarter_name(d: NaiveDate) -> String {
    format!("Q{} {}", (d.month() - 1) / 3 + 1, d.year())
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
    /// For a calendar preset: its months (3 or 1), so the period before is
    /// the calendar quarter or month before.
    pub months: Option<u32>,
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
                months: None,
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
        if let Some((first, after, months)) = preset.calendar(today) {
            return Ok(Period {
                preset: Some(preset),
                months: Some(months),
                start: Some(midnight(first)),
                end: midnight(after),
                from_input: String::new(),
                to_input: String::new(),
            });
        }
        Ok(Period {
            preset: Some(preset),
            months: None,
            start: preset.days().map(|d| tomorrow - Duration::days(d)),
            end: tomorrow,
            from_input: String::new(),
            to_input: String::new(),
        })
    }

    /// The period before this one: the whole calendar quarter or month
    /// before a calendar preset, else the same length just before (none for
    /// an open start).
    pub fn previous(&self) -> Option<Period> {
        let start = self.start?;
        if let Some(months) = self.months {
            let first = start.date_naive();
            let before = first
                .checked_sub_months(chrono::Months::new(months))
                .unwrap_or(first);
            return Some(Period {
                preset: None,
                months: Some(months),
                start: Some(midnight(before)),
                end: start,
                from_input: String::new(),
                to_input: String::new(),
            });
        }
        let length = self.end - start;
        Some(Period {
            preset: None,
            months: None,
            start: Some(start - length),
            end: start,
            from_input: String::new(),
            to_input: String::new(),
        })
    }

    /// "Q3 2025" or "October 2025" for a calendar period, else `None`.
    pub fn calendar_name(&self) -> Option<String> {
        let first = self.start?.date_naive();
        match self.months? {
            3 => Some(quarter_name(first)),
            _ => Some(first.format("%B %Y").to_string()),
        }
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
            Some(Preset::ThisQuarter | Preset::ThisMonth) => format!(
                "{} so far ({})",
                self.calendar_name().unwrap_or_default(),
                self.range_words()
            ),
            Some(Preset::LastQuarter | Preset::LastMonth) => format!(
                "{} ({})",
                self.calendar_name().unwrap_or_default(),
                self.range_words()
            ),
            Some(p) => format!("the last {} ({})", p.label(), self.range_words()),
            None => self.range_words(),
        }
    }

    /// How the previous period is named in trends: "the 90 days before", "in Q2 2025".
    pub fn previous_words(&self) -> String {
        if self.months.is_some()
            && let Some(name) = self.previous().and_then(|p| p.calendar_name())
        {
            return format!("in {name}");
        }
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
    fn quarter_and_month_presets_are_calendar_periods() {
        // today() is 24 Nov 2025: Q4.
        let q = parse(Some("quarter"), None, None).unwrap();
        assert_eq!(q.preset, Some(Preset::ThisQuarter));
        assert_eq!(q.start.unwrap().to_rfc3339(), "2025-10-01T00:00:00+00:00");
        assert_eq!(q.end.to_rfc3339(), "2025-11-25T00:00:00+00:00");
        assert_eq!(q.describe(), "Q4 2025 so far (1 Oct – 24 Nov 2025)");
        // This quarter against the whole quarter before.
        let before = q.previous().unwrap();
        assert_eq!(
            before.start.unwrap().to_rfc3339(),
            "2025-07-01T00:00:00+00:00"
        );
        assert_eq!(before.end, q.start.unwrap());
        assert_eq!(q.previous_words(), "in Q3 2025");
        assert_eq!(q.query_pairs(), vec![("period", "quarter".into())]);
        assert_eq!(
            q.list_pairs(),
            vec![
                ("from", "2025-10-01".into()),
                ("to", "2025-11-24".into()),
                ("dates", "middle".into())
            ]
        );
        let lq = parse(Some("last-quarter"), None, None).unwrap();
        assert_eq!(lq.describe(), "Q3 2025 (1 Jul – 30 Sep 2025)");
        assert_eq!(lq.previous_words(), "in Q2 2025");
        assert_eq!(lq.days(), Some(92));
        let m = parse(Some("month"), None, None).unwrap();
        assert_eq!(m.describe(), "November 2025 so far (1 Nov – 24 Nov 2025)");
        assert_eq!(m.previous_words(), "in October 2025");
        let lm = parse(Some("last-month"), None, None).unwrap();
        assert_eq!(lm.describe(), "October 2025 (1 Oct – 31 Oct 2025)");
        assert_eq!(
            lm.previous().unwrap().calendar_name().unwrap(),
            "September 2025"
        );
        // Across a year: Q1 before is Q4 of the year before.
        let jan = Period::parse(
            Some("last-quarter"),
            None,
            None,
            NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
            Preset::Days90,
        )
        .unwrap();
        assert_eq!(jan.calendar_name().unwrap(), "Q4 2025");
        assert_eq!(jan.previous_words(), "in Q3 2025");
        assert_eq!(
            quarter_start(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()).to_string(),
            "2025-10-01"
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
