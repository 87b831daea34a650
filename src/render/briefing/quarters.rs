//! "This quarter against the last": incidents per calendar quarter over the
//! last four quarters, as a small bar chart legible on paper (horizontal
//! labels of about 8 pt when the chart is printed 62 mm wide), serious ones
//! (high or critical) marked inside each bar. Pure.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::Severity;
use crate::render::period::{Period, quarter_name, quarter_start};
use crate::store::ReportIncident;

/// Quarters the chart shows.
pub const QUARTERS: usize = 4;
const WIDTH: f64 = 240.0;
const HEIGHT: f64 = 112.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 20.0;
const SLOT: f64 = WIDTH / QUARTERS as f64;
const BAR: f64 = 34.0;

/// One quarter's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterBar {
    /// "Q3 2025".
    pub label: String,
    pub total: usize,
    pub serious: usize,
    pub x: f64,
    pub w: f64,
    pub y: f64,
    pub h: f64,
    /// The serious part, at the bottom of the bar.
    pub serious_y: f64,
    pub serious_h: f64,
    pub label_x: f64,
    pub count_y: f64,
    /// The quarter the briefing covers.
    pub current: bool,
    /// The incident list of the quarter.
    pub href: String,
}

/// The four-quarter trend.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterTrendView {
    pub width: f64,
    pub height: f64,
    pub baseline: f64,
    pub label_y: f64,
    pub bars: Vec<QuarterBar>,
    /// Every bar in words, for the `<desc>` and the printed caption.
    pub words: String,
}

/// The span the chart needs: the four quarters ending with the one that
/// holds the period's last day.
pub fn span(period: &Period) -> Period {
    let last = quarter_start(period.last_day().date_naive());
    let first = back(last, QUARTERS - 1);
    let end = last
        .checked_add_months(chrono::Months::new(3))
        .unwrap_or(last);
    Period {
        preset: None,
        months: None,
        start: Some(at(first)),
        end: at(end),
        from_input: String::new(),
        to_input: String::new(),
    }
}

fn back(d: NaiveDate, quarters: usize) -> NaiveDate {
    d.checked_sub_months(chrono::Months::new(3 * quarters as u32))
        .unwrap_or(d)
}

fn at(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Incidents and serious incidents per quarter of `span`, oldest first, by
/// the middle of their occurrence date (as the reports count them).
pub fn counts(span: &Period, incidents: &[ReportIncident]) -> Vec<(NaiveDate, usize, usize)> {
    let first = span
        .start
        .map_or_else(|| span.end.date_naive(), |s| s.date_naive());
    let mut out: Vec<(NaiveDate, usize, usize)> = (0..QUARTERS)
        .map(|k| {
            let q = first
                .checked_add_months(chrono::Months::new(3 * k as u32))
                .unwrap_or(first);
            (q, 0, 0)
        })
        .collect();
    for i in incidents {
        let Some(when) = i.occurred.map(|t| t.middle().date_naive()) else {
            continue;
        };
        if let Some(q) = out.iter_mut().find(|q| q.0 == quarter_start(when)) {
            q.1 += 1;
            if matches!(i.severity, Severity::Critical | Severity::High) {
                q.2 += 1;
            }
        }
    }
    out
}

impl QuarterTrendView {
    /// `current` is the quarter the briefing covers; `href(first day)` lists a quarter.
    pub fn build(
        counts: &[(NaiveDate, usize, usize)],
        current: NaiveDate,
        href: impl Fn(NaiveDate) -> String,
    ) -> QuarterTrendView {
        let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
        let baseline = HEIGHT - BOTTOM;
        let scale = (baseline - TOP) / max;
        let bars = counts
            .iter()
            .enumerate()
            .map(|(k, &(first, total, serious))| {
                let x = k as f64 * SLOT + (SLOT - BAR) / 2.0;
                let h = (total as f64 * scale).max(if total > 0 { 1.5 } else { 0.0 });
                let serious_h = serious as f64 * scale;
                QuarterBar {
                    label: quarter_name(first),
                    total,
                    serious,
                    x,
                    w: BAR,
                    y: baseline - h,
                    h,
                    serious_y: baseline - serious_h,
                    serious_h,
                    label_x: x + BAR / 2.0,
                    count_y: baseline - h - 3.0,
                    current: first == quarter_start(current),
                    href: href(first),
                }
            })
            .collect();
        QuarterTrendView {
            width: WIDTH,
            height: HEIGHT,
            baseline,
            label_y: HEIGHT - 5.0,
            words: words(counts),
            bars,
        }
    }
}

/// "Q1 2025: 3 (1 serious); Q2 2025: 0; …".
fn words(counts: &[(NaiveDate, usize, usize)]) -> String {
    counts
        .iter()
        .map(|&(first, total, serious)| match serious {
            0 => format!("{}: {total}", quarter_name(first)),
            s => format!("{}: {total} ({s} serious)", quarter_name(first)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FuzzyTime, Kind, Status};
    use crate::render::period::Preset;
    use crate::store::ReportIncident;

    fn incident(date: &str, severity: Severity) -> ReportIncident {
        ReportIncident {
            id: date.to_string(),
            title: String::new(),
            kind: Kind::Incident,
            severity,
            status: Status::Open,
            occurred: Some(FuzzyTime::parse(date).unwrap()),
            detected: None,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_last_four_quarters_are_counted_by_occurrence() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        let p = Period::parse(Some("quarter"), None, None, today, Preset::Days90).unwrap();
        let s = span(&p);
        assert_eq!(s.start.unwrap().to_rfc3339(), "2025-01-01T00:00:00+00:00");
        assert_eq!(s.end.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        let incidents = vec![
            incident("2025-11-02", Severity::Critical),
            incident("2025-10-01", Severity::Low),
            incident("2025-08-15", Severity::High),
            incident("2025-02", Severity::Medium),
            // A year-long date has its middle in Q3 2024: not in the span.
            incident("2024", Severity::Critical),
        ];
        let c = counts(&s, &incidents);
        let got: Vec<(String, usize, usize)> = c
            .iter()
            .map(|(d, n, s)| (quarter_name(*d), *n, *s))
            .collect();
        assert_eq!(
            got,
            [
                ("Q1 2025".to_string(), 1, 0),
                ("Q2 2025".to_string(), 0, 0),
                ("Q3 2025".to_string(), 1, 1),
                ("Q4 2025".to_string(), 2, 1),
            ]
        );
        let chart = QuarterTrendView::build(&c, today, |d| format!("/incidents?from={d}"));
        assert_eq!(chart.bars.len(), 4);
        assert!(chart.bars[3].current && !chart.bars[2].current);
        // The tallest bar reaches the top of the plot; an empty one is flat.
        assert!((chart.bars[3].y - TOP).abs() < 1e-9);
        assert_eq!(chart.bars[1].h, 0.0);
        assert!((chart.bars[3].serious_h * 2.0 - chart.bars[3].h).abs() < 1e-9);
        assert_eq!(chart.bars[0].href, "/incidents?from=2025-01-01");
        assert_eq!(
            chart.words,
            "Q1 2025: 1; Q2 2025: 0; Q3 2025: 1 (1 serious); Q4 2025: 2 (1 serious)"
        );
        // Last quarter's briefing ends its chart at Q3.
        let lq = Period::parse(Some("last-quarter"), None, None, today, Preset::Days90).unwrap();
        assert_eq!(
            span(&lq).start.unwrap().to_rfc3339(),
            "2024-10-01T00:00:00+00:00"
        );
    }
}
