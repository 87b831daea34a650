//! Alert ingestion: alerts are read (domain), correlated into incidents by the
//! rules, folded into steps, and written in one transaction per request.
//!
//! - An alert joins the open incident with the same correlation key whose
//!   alerts span to within the rule's idle window of its time, else opens one.
//! - Repeats of a technique under one tactic in an incident fold into one step
//!   (count, first and last seen, the first alert IDs as evidence).
//! - The tactic is the alert's own when the release says the technique serves
//!   it; else the technique's only tactic; else the step keeps its candidate
//!   tactics and is marked "tactic to confirm" (its tactic stays empty).
//! - A technique the active release does not know leaves the alert in the
//!   unmapped queue; [`remap_unmapped`] maps it after a release import.

mod correlate;
mod rules;

pub use correlate::{Placement, SAMPLE, placement};
pub use rules::{RuleError, delete_rule, list_rules, load_rules_file, save_rule};

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::ServiceError;
use crate::atlas::ActiveAtlas;
use crate::domain::Severity;
use crate::domain::ValidationError;
use crate::domain::alert::{
    CorrelationRule, MAX_ALERTS_PER_REQUEST, ParsedAlert, fallback_rule, parse_alert,
};
use crate::store::{
    AlertListItem, AlertTx, NewAlert, NewObservable, RuleRow, SourceStats, Store, StoreResult,
    ToConfirm, UnmappedHit, new_time_ordered_id,
};
use correlate::{AlertFacts, Correlator, parse_time, place_hits, rfc3339, rule_for};

/// Ingestion requests take turns inside this process, so that they queue here
/// instead of polling SQLite's lock.
pub(crate) static TURN: Mutex<()> = Mutex::const_new(());

/// How a request's alerts fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// New alerts stored (including unmapped ones).
    pub accepted: usize,
    /// Of the accepted, those that only added to steps that already existed.
    pub folded: usize,
    /// Alerts already stored (same source and ID), or repeated in the request.
    pub duplicates: usize,
    /// Of the accepted, those naming a technique the active release does not know.
    pub unmapped: usize,
    /// Steps created in this request whose tactic is to be confirmed.
    pub tactics_to_confirm: usize,
    pub refused: Vec<Refusal>,
    /// Incidents opened or changed, in ID order.
    pub incidents: Vec<String>,
}

impl IngestReport {
    pub fn add(&mut self, other: IngestReport, offset: usize) {
        self.accepted += other.accepted;
        self.folded += other.folded;
        self.duplicates += other.duplicates;
        self.unmapped += other.unmapped;
        self.tactics_to_confirm += other.tactics_to_confirm;
        self.refused.extend(other.refused.into_iter().map(|mut r| {
            r.index += offset;
            r
        }));
        for id in other.incidents {
            if let Err(at) = self.incidents.binary_search(&id) {
                self.incidents.insert(at, id);
            }
        }
    }
}

/// An alert refused: its 0-based index in the request (the line, for NDJSON
/// without blank lines) and every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    pub index: usize,
    pub reasons: Vec<String>,
}

/// Who sends the alerts and under which default source name.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Source of alerts that name none (the request's `source` parameter).
    pub default_source: Option<String>,
    /// Recorded on each alert: the user and token prefix, or the CLI user.
    pub received_by: String,
}

/// A request's alerts read and checked, before any SQL: the refusals so far
/// and the alerts left to write (with their index in the request).
pub struct Prepared {
    report: IngestReport,
    parsed: Vec<(usize, ParsedAlert, Value)>,
    received_by: String,
}

impl Prepared {
    /// Alerts left to write (0: the request is answered without SQL).
    pub fn alerts(&self) -> usize {
        self.parsed.len()
    }

    /// The report of a request with nothing to write (every alert refused).
    pub fn into_report(self) -> IngestReport {
        self.report
    }
}

/// Reads one request's alerts (already split from the body; an `Err` item is
/// a line that was not JSON): refusals, and the alerts to write.
pub fn prepare(
    items: Vec<Result<Value, String>>,
    options: &IngestOptions,
) -> Result<Prepared, ServiceError> {
    if items.len() > MAX_ALERTS_PER_REQUEST {
        return Err(ValidationError::new(
            "body",
            format!(
                "holds {} alerts; send at most {MAX_ALERTS_PER_REQUEST} a request",
                items.len()
            ),
        )
        .into());
    }
    let now = Utc::now();
    let mut report = IngestReport::default();
    let mut parsed: Vec<(usize, ParsedAlert, Value)> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Err(reason) => report.refused.push(Refusal {
                index,
                reasons: vec![reason],
            }),
            Ok(value) => match parse_alert(&value, options.default_source.as_deref(), now) {
                Ok(alert) => parsed.push((index, alert, value)),
                Err(reasons) => report.refused.push(Refusal { index, reasons }),
            },
        }
    }
    Ok(Prepared {
        report,
        parsed,
        received_by: options.received_by.clone(),
    })
}

/// Ingests one request's alerts in a transaction of its own: all or nothing.
/// (The server groups concurrent requests instead: `service::ingest_queue`.)
pub async fn ingest(
    store: &Store,
    atlas: &ActiveAtlas,
    items: Vec<Result<Value, String>>,
    options: &IngestOptions,
) -> Result<IngestReport, ServiceError> {
    let prepared = prepare(items, options)?;
    if prepared.alerts() == 0 {
        return Ok(prepared.report);
    }
    let _turn = TURN.lock().await;
    let mut tx = store.begin_alerts().await?;
    let rules = rules_of(&mut tx).await?;
    let report = apply(&mut tx, atlas, &rules, &prepared).await?;
    tx.commit().await?;
    Ok(report)
}

/// The configured correlation rules, in order.
pub(crate) async fn rules_of(tx: &mut AlertTx) -> Result<Vec<CorrelationRule>, ServiceError> {
    Ok(tx.rules().await?.iter().map(|r| r.rule()).collect())
}

/// One alert of a group being written: the request it came from (its place
/// in the group) and its index in that request.
struct Incoming<'a> {
    request: usize,
    index: usize,
    alert: &'a ParsedAlert,
    raw: &'a Value,
}

/// The alerts not stored already and not repeated within the group, in
/// event-time order (so idle windows are judged as the events happened);
/// counts the others as duplicates of their request.
async fn fresh_alerts<'a>(
    tx: &mut AlertTx,
    incoming: Vec<Incoming<'a>>,
    reports: &mut [IngestReport],
) -> Result<Vec<Incoming<'a>>, ServiceError> {
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for i in &incoming {
        by_source
            .entry(i.alert.source.as_str())
            .or_default()
            .push(i.alert.alert_id.as_str());
    }
    let mut stored: HashSet<(String, String)> = HashSet::new();
    for (source, ids) in by_source {
        for id in tx.existing(source, &ids).await? {
            stored.insert((source.to_string(), id));
        }
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut fresh = Vec::with_capacity(incoming.len());
    for i in incoming {
        let key = (i.alert.source.clone(), i.alert.alert_id.clone());
        if stored.contains(&key) || !seen.insert(key) {
            reports[i.request].duplicates += 1;
        } else {
            fresh.push(i);
        }
    }
    fresh.sort_by(|x, y| {
        (x.alert.event_at, x.request, x.index).cmp(&(y.alert.event_at, y.request, y.index))
    });
    Ok(fresh)
}

/// Writes one prepared request inside the caller's transaction (which the
/// caller commits); returns the request's report.
pub(crate) async fn apply(
    tx: &mut AlertTx,
    atlas: &ActiveAtlas,
    rules: &[CorrelationRule],
    prepared: &Prepared,
) -> Result<IngestReport, ServiceError> {
    let mut reports = apply_all(tx, atlas, rules, &[prepared]).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Writes several prepared requests as one inside the caller's transaction,
/// as if they came one after another: each alert is correlated, folded and
/// stored once, with one statement per table for the whole group instead of
/// one per request (issue 15: single-alert requests). Returns each
/// request's report, in order; an error leaves the caller to undo them all.
pub(crate) async fn apply_all(
    tx: &mut AlertTx,
    atlas: &ActiveAtlas,
    rules: &[CorrelationRule],
    prepared: &[&Prepared],
) -> Result<Vec<IngestReport>, ServiceError> {
    let mut reports = Vec::with_capacity(prepared.len());
    let mut incoming = Vec::new();
    for (request, p) in prepared.iter().enumerate() {
        reports.push(p.report.clone());
        incoming.extend(p.parsed.iter().map(|(index, alert, raw)| Incoming {
            request,
            index: *index,
            alert,
            raw,
        }));
    }
    let fallback = fallback_rule();
    let fresh = fresh_alerts(tx, incoming, &mut reports).await?;
    let keyed: Vec<(&CorrelationRule, String)> = fresh
        .iter()
        .map(|i| rule_for(rules, &fallback, i.raw, &i.alert.source))
        .collect();
    let mut c = Correlator::new(atlas, tx);
    let slots: Vec<(&str, &str)> = keyed
        .iter()
        .map(|(rule, key)| (rule.name.as_str(), key.as_str()))
        .collect();
    c.preload(&slots).await?;
    let mut alerts = Vec::with_capacity(fresh.len());
    let mut hits = Vec::new();
    for (
        Incoming {
            request,
            alert: a,
            raw,
            ..
        },
        (rule, key),
    ) in fresh.iter().zip(&keyed)
    {
        let report = &mut reports[*request];
        let row_id = new_time_ordered_id("alert-");
        let facts = AlertFacts {
            label: format!("{}:{}", a.source, a.alert_id),
            event_at: a.event_at,
            severity: a.severity,
            rule: &rule.name,
            idle_seconds: rule.idle_seconds,
            key,
        };
        let to_confirm = c.tactics_to_confirm;
        let (incident, new_steps, unmapped) =
            place_hits(&mut c, &facts, &a.hits, &row_id, &mut hits).await?;
        report.tactics_to_confirm += c.tactics_to_confirm - to_confirm;
        report.accepted += 1;
        if unmapped {
            report.unmapped += 1;
        }
        if incident.is_some() && !new_steps {
            report.folded += 1;
        }
        if let Some(id) = &incident {
            report.incidents.push(id.clone());
        }
        alerts.push(NewAlert {
            id: row_id,
            source: a.source.clone(),
            alert_id: a.alert_id.clone(),
            shape: a.shape.as_str(),
            event_at: rfc3339(a.event_at),
            received_by: prepared[*request].received_by.clone(),
            title: a.title.clone(),
            severity: a.severity.map(Severity::as_str),
            rule_name: rule.name.clone(),
            correlation_key: key.clone(),
            incident_id: incident,
            raw: raw_text(raw),
        });
    }
    c.flush(atlas.version()).await?;
    for report in &mut reports {
        report.incidents.sort();
        report.incidents.dedup();
    }
    tx.insert_alerts(&alerts).await?;
    tx.insert_hits(&hits).await?;
    enqueue_unmapped(tx, &reports, &hits, &alerts).await?;
    // The hosts, users, IPs, models and datasets the alerts name, on their
    // incidents, each added by the sender of the alert naming it.
    let found: Vec<(NewObservable, &str)> = alerts
        .iter()
        .zip(&fresh)
        .filter_map(|(a, i)| Some((a.incident_id.clone()?, a.received_by.as_str(), i.raw)))
        .flat_map(|(incident_id, by, raw)| {
            super::observables::from_alert(raw)
                .into_iter()
                .map(move |(kind, value)| {
                    let o = NewObservable {
                        incident_id: incident_id.clone(),
                        kind,
                        value,
                    };
                    (o, by)
                })
        })
        .collect();
    tx.insert_observables(&alerts, &found).await?;
    Ok(reports)
}

/// Tells the webhooks that want it of the techniques the release does not
/// know, once for the group, on its transaction (undone with it).
async fn enqueue_unmapped(
    tx: &mut AlertTx,
    reports: &[IngestReport],
    hits: &[crate::store::NewHit],
    alerts: &[NewAlert],
) -> Result<(), ServiceError> {
    let count: usize = reports.iter().map(|r| r.unmapped).sum();
    if count == 0 {
        return Ok(());
    }
    let mut unknown: Vec<String> = hits
        .iter()
        .filter(|h| !h.mapped)
        .map(|h| h.raw_id.clone())
        .collect();
    unknown.sort();
    unknown.dedup();
    let mut incidents: Vec<String> = reports
        .iter()
        .filter(|r| r.unmapped > 0)
        .flat_map(|r| r.incidents.clone())
        .collect();
    incidents.sort();
    incidents.dedup();
    let mut senders: Vec<&str> = alerts.iter().map(|a| a.received_by.as_str()).collect();
    senders.sort();
    senders.dedup();
    tx.enqueue_unmapped(count, &unknown, &incidents, &senders.join(", "))
        .await?;
    Ok(())
}

/// The stored form of an alert: its JSON as sent (with any `raw` member),
/// cut at 16 KiB.
fn raw_text(value: &Value) -> String {
    const MAX: usize = 16 * 1024;
    let text = value.to_string();
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Maps the unmapped queue against the active release (after an import that
/// may know the IDs): each technique it now knows joins its incident as a
/// fresh alert would. Returns how many alerts were mapped.
pub async fn remap_unmapped(store: &Store, atlas: &ActiveAtlas) -> Result<usize, ServiceError> {
    let queue = store.unmapped_hits(1_000_000).await?;
    let known: Vec<_> = queue
        .into_iter()
        .filter(|h| atlas.technique(&h.technique_id).is_some())
        .collect();
    if known.is_empty() {
        return Ok(0);
    }
    let _turn = TURN.lock().await;
    let mut tx = store.begin_alerts().await?;
    let rules: HashMap<String, i64> = tx
        .rules()
        .await?
        .into_iter()
        .map(|r| (r.name, r.idle_seconds))
        .collect();
    let mut c = Correlator::new(atlas, &mut tx);
    let mut mapped_alerts = HashSet::new();
    let mut updates = Vec::new();
    for h in &known {
        let Some(event_at) = parse_time(&h.event_at) else {
            continue;
        };
        let facts = AlertFacts {
            label: format!("{}:{}", h.source, h.alert_id),
            event_at,
            severity: h.severity.as_deref().and_then(Severity::parse),
            rule: &h.rule_name,
            idle_seconds: rules
                .get(&h.rule_name)
                .copied()
                .unwrap_or(fallback_rule().idle_seconds),
            key: &h.correlation_key,
        };
        let Some(p) = placement(atlas, &h.technique_id, h.tactic_id.as_deref()) else {
            continue;
        };
        let incident = c.incident_for(&facts).await?;
        let (step, _) = c.place(&incident, &h.technique_id, &p, &facts);
        updates.push((h.alert_row.clone(), h.position, step, incident));
        mapped_alerts.insert(h.alert_row.clone());
    }
    c.flush(atlas.version()).await?;
    for (alert_row, position, step, incident) in &updates {
        tx.map_hit(alert_row, *position, step, incident).await?;
    }
    tx.commit().await?;
    Ok(mapped_alerts.len())
}

/// Ingests NDJSON from a reader in batches of `batch` lines (one transaction
/// each), for `atlasview ingest`. Refusals are numbered by line (1-based).
/// `progress` gets the bytes read so far and the running report.
pub async fn ingest_ndjson<R: std::io::BufRead>(
    store: &Store,
    atlas: &ActiveAtlas,
    reader: R,
    options: &IngestOptions,
    batch: usize,
    mut progress: impl FnMut(u64, &IngestReport),
) -> Result<IngestReport, ServiceError> {
    let batch = batch.clamp(1, MAX_ALERTS_PER_REQUEST);
    let mut total = IngestReport::default();
    let mut lines: Vec<usize> = Vec::with_capacity(batch);
    let mut items: Vec<Result<Value, String>> = Vec::with_capacity(batch);
    let mut bytes = 0u64;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| {
            ValidationError::new("file", format!("cannot read line {}: {e}", n + 1))
        })?;
        bytes += line.len() as u64 + 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        lines.push(n + 1);
        items.push(serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}")));
        if items.len() == batch {
            run_batch(store, atlas, &mut items, &mut lines, options, &mut total).await?;
            progress(bytes, &total);
        }
    }
    if !items.is_empty() {
        run_batch(store, atlas, &mut items, &mut lines, options, &mut total).await?;
    }
    progress(bytes, &total);
    Ok(total)
}

async fn run_batch(
    store: &Store,
    atlas: &ActiveAtlas,
    items: &mut Vec<Result<Value, String>>,
    lines: &mut Vec<usize>,
    options: &IngestOptions,
    total: &mut IngestReport,
) -> Result<(), ServiceError> {
    let mut report = ingest(store, atlas, std::mem::take(items), options).await?;
    for r in &mut report.refused {
        r.index = lines.get(r.index).copied().unwrap_or(r.index);
    }
    lines.clear();
    total.add(report, 0);
    Ok(())
}

/// What the ingestion page shows: counts, rules, sources, the last day per
/// hour, the latest alerts, the unmapped queue and the tactics to confirm.
pub struct IngestOverview {
    pub alerts: i64,
    pub unmapped: i64,
    pub rules: Vec<RuleRow>,
    pub sources: Vec<SourceStats>,
    /// (hour, alerts received) over the last 24 hours.
    pub per_hour: Vec<(String, i64)>,
    pub recent: Vec<AlertListItem>,
    pub queue: Vec<UnmappedHit>,
    pub to_confirm: Vec<ToConfirm>,
}

pub async fn overview(store: &Store, now: DateTime<Utc>) -> StoreResult<IngestOverview> {
    let since = (now - chrono::Duration::hours(24)).to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(IngestOverview {
        per_hour: store.alerts_per_hour(&since).await?,
        alerts: store.alert_count().await?,
        unmapped: store.unmapped_count().await?,
        rules: store.list_rules().await?,
        sources: store.alert_sources().await?,
        recent: store.recent_alerts(25).await?,
        queue: store.unmapped_hits(50).await?,
        to_confirm: store.steps_to_confirm(100).await?,
    })
}

/// The unmapped queue for the API: how many alerts wait, and the first `limit` hits.
pub async fn unmapped(store: &Store, limit: i64) -> StoreResult<(i64, Vec<UnmappedHit>)> {
    Ok((
        store.unmapped_count().await?,
        store.unmapped_hits(limit).await?,
    ))
}
