//! View models of alert ingestion: what the incident page shows beside a
//! step fed by alerts, the tactics to confirm, and the hourly counts.

use crate::atlas::ActiveAtlas;
use crate::render::{Link, timestamp};
use chrono::{DateTime, Utc};

use crate::domain::alert::format_window;
use crate::service::ingest::IngestOverview;
use crate::store::{
    AlertListItem, RuleRow, SourceStats, StepAlerts, ToConfirm, UnmappedHit, split_tactics,
};

/// The alerts behind a step and, while its tactic is open, the candidates
/// an analyst picks from (one button each).
#[derive(Debug, Clone, PartialEq)]
pub struct StepTriageView {
    pub alert_count: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub candidates: Vec<Link>,
    pub recent: Vec<AlertLine>,
    /// How many of the step's alerts are not listed.
    pub more: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertLine {
    pub label: String,
    pub at: String,
    pub datetime: String,
    pub title: String,
}

impl StepTriageView {
    pub fn build(atlas: &ActiveAtlas, s: &StepAlerts) -> StepTriageView {
        let recent: Vec<AlertLine> = s
            .recent
            .iter()
            .map(|a| AlertLine {
                label: format!("{}:{}", a.source, a.alert_id),
                at: timestamp(&a.event_at),
                datetime: a.event_at.clone(),
                title: a.title.clone(),
            })
            .collect();
        StepTriageView {
            alert_count: s.alert_count,
            first_seen: s.first_seen.as_deref().map(timestamp).unwrap_or_default(),
            last_seen: s.last_seen.as_deref().map(timestamp).unwrap_or_default(),
            candidates: s
                .candidate_tactics
                .iter()
                .map(|t| Link::tactic(atlas, t))
                .collect(),
            more: (s.alert_count - recent.len() as i64).max(0),
            recent,
        }
    }

    pub fn to_confirm(&self) -> bool {
        !self.candidates.is_empty()
    }
}

/// A row of the triage list: a step whose tactic is to be confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ToConfirmView {
    pub incident_id: String,
    pub incident_title: String,
    pub step_id: String,
    pub technique: Link,
    pub candidates: Vec<Link>,
    pub alert_count: i64,
}

impl ToConfirmView {
    pub fn build(atlas: &ActiveAtlas, t: &ToConfirm) -> ToConfirmView {
        ToConfirmView {
            incident_id: t.incident_id.clone(),
            incident_title: t.incident_title.clone(),
            step_id: t.step_id.clone(),
            technique: Link::technique(atlas, &t.technique_id),
            candidates: split_tactics(&t.candidate_tactics)
                .iter()
                .map(|c| Link::tactic(atlas, c))
                .collect(),
            alert_count: t.alert_count,
        }
    }
}

/// One hour of the last 24: its label, count, and bar width in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct HourBar {
    pub hour: String,
    pub count: i64,
    pub percent: i64,
}

/// The 24 hours ending with `now_hour` (`YYYY-MM-DDTHH`), with zero for hours without alerts.
pub fn hour_bars(counts: &[(String, i64)], now: chrono::DateTime<chrono::Utc>) -> Vec<HourBar> {
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    (0..24)
        .rev()
        .map(|back| {
            let hour = (now - chrono::Duration::hours(back))
                .format("%Y-%m-%dT%H")
                .to_string();
            let count = counts
                .iter()
                .find(|(h, _)| *h == hour)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            HourBar {
                hour: format!("{}:00", hour.replace('T', " ")),
                count,
                percent: count * 100 / max,
            }
        })
        .collect()
}

/// The ingestion page (`/admin/ingest`) without its rule form.
pub struct IngestView {
    pub alerts: i64,
    pub unmapped: i64,
    pub rules: Vec<RuleView>,
    pub sources: Vec<SourceView>,
    pub hours: Vec<HourBar>,
    pub recent: Vec<AlertView>,
    pub queue: Vec<UnmappedView>,
    pub to_confirm: Vec<ToConfirmView>,
}

pub struct RuleView {
    pub name: String,
    pub fields: String,
    pub window: String,
}

pub struct SourceView {
    pub source: String,
    pub alerts: i64,
    pub last: String,
}

pub struct AlertView {
    pub source: String,
    pub alert_id: String,
    pub shape: String,
    pub event_at: String,
    pub received_at: String,
    pub title: String,
    pub severity: String,
    pub incident_id: Option<String>,
}

pub struct UnmappedView {
    pub label: String,
    pub raw_id: String,
    pub technique: Link,
    pub event_at: String,
    pub title: String,
}

impl IngestView {
    pub fn build(atlas: &ActiveAtlas, o: IngestOverview, now: DateTime<Utc>) -> IngestView {
        IngestView {
            alerts: o.alerts,
            unmapped: o.unmapped,
            rules: o.rules.into_iter().map(RuleView::build).collect(),
            sources: o.sources.into_iter().map(SourceView::build).collect(),
            hours: hour_bars(&o.per_hour, now),
            recent: o.recent.into_iter().map(AlertView::build).collect(),
            queue: o
                .queue
                .into_iter()
                .map(|h| UnmappedView::build(atlas, h))
                .collect(),
            to_confirm: o
                .to_confirm
                .iter()
                .map(|t| ToConfirmView::build(atlas, t))
                .collect(),
        }
    }
}

impl RuleView {
    fn build(r: RuleRow) -> RuleView {
        RuleView {
            fields: r.key_fields.replace(',', ", "),
            window: format_window(r.idle_seconds),
            name: r.name,
        }
    }
}

impl SourceView {
    fn build(s: SourceStats) -> SourceView {
        SourceView {
            last: timestamp(&s.last_received),
            source: s.source,
            alerts: s.alerts,
        }
    }
}

impl AlertView {
    fn build(a: AlertListItem) -> AlertView {
        AlertView {
            event_at: timestamp(&a.event_at),
            received_at: timestamp(&a.received_at),
            severity: a.severity.unwrap_or_default(),
            source: a.source,
            alert_id: a.alert_id,
            shape: a.shape,
            title: a.title,
            incident_id: a.incident_id,
        }
    }
}

impl UnmappedView {
    fn build(atlas: &ActiveAtlas, h: UnmappedHit) -> UnmappedView {
        UnmappedView {
            label: format!("{}:{}", h.source, h.alert_id),
            technique: Link::technique(atlas, &h.technique_id),
            raw_id: h.raw_id,
            event_at: timestamp(&h.event_at),
            title: h.title,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hours_without_alerts_count_zero() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 30, 0).unwrap();
        let bars = hour_bars(
            &[("2026-03-01T10".into(), 4), ("2026-03-01T08".into(), 2)],
            now,
        );
        assert_eq!(bars.len(), 24);
        assert_eq!(bars[23].hour, "2026-03-01 10:00");
        assert_eq!((bars[23].count, bars[23].percent), (4, 100));
        assert_eq!((bars[21].count, bars[21].percent), (2, 50));
        assert_eq!(bars[22].count, 0);
        assert_eq!(bars[0].hour, "2026-02-28 11:00");
    }
}
