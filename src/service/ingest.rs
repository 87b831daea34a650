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

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::ServiceError;
use crate::atlas::ActiveAtlas;
use crate::domain::Severity;
use crate::domain::ValidationError;
use crate::domain::alert::{
    CorrelationRule, Hit, MAX_ALERTS_PER_REQUEST, ParsedAlert, correlation_key, fallback_rule,
    parse_alert, tidy,
};
use crate::store::{
    AlertTx, NewAlert, NewHit, NewObservable, NewStep, StepState, Store, StoreResult, new_id,
};

/// Ingestion requests take turns inside this process, so that they queue here
/// instead of polling SQLite's lock.
static TURN: Mutex<()> = Mutex::const_new(());

/// Alert IDs kept on a step as evidence; the count says how many there were in all.
pub const SAMPLE: usize = 20;

/// How a request's alerts fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Where a technique goes in an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Tactic(String),
    /// Several tactics are possible and the alert did not say which (or named
    /// one the technique does not serve): an analyst picks.
    ToConfirm(Vec<String>),
}

/// The tactic rule: the alert's own when the release agrees; else the
/// technique's only tactic; else its candidates, to be confirmed.
pub fn placement(atlas: &ActiveAtlas, technique_id: &str, own: Option<&str>) -> Option<Placement> {
    let technique = atlas.technique(technique_id)?;
    if let Some(t) = own
        && technique.tactics.iter().any(|x| x == t)
        && atlas.tactic(t).is_some()
    {
        return Some(Placement::Tactic(t.to_string()));
    }
    let known: Vec<String> = technique
        .tactics
        .iter()
        .filter(|t| atlas.tactic(t).is_some())
        .cloned()
        .collect();
    Some(match known.as_slice() {
        [only] => Placement::Tactic(only.clone()),
        [] => Placement::ToConfirm(atlas.tactics().iter().map(|t| t.id.clone()).collect()),
        _ => Placement::ToConfirm(known),
    })
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

struct IncidentState {
    id: String,
    new: bool,
    touched: bool,
    /// An alert came in before its first event (a late arrival).
    earlier: bool,
    first: String,
    last: String,
    /// The highest severity alerts brought before this request.
    stored_max: Option<Severity>,
    max: Option<Severity>,
    title: String,
    rule: String,
    key: String,
}

struct StepSlot {
    state: StepState,
    new: bool,
    changed: bool,
    /// Its first sighting moved earlier: the story order may change.
    moved: bool,
}

/// The alerts of one transaction being placed into incidents and steps.
struct Correlator<'a> {
    atlas: &'a ActiveAtlas,
    tx: AlertTx,
    /// (rule, key) -> incidents with that key (open ones, as loaded).
    incidents: HashMap<(String, String), Vec<IncidentState>>,
    /// incident ID -> its steps.
    steps: HashMap<String, Vec<StepSlot>>,
    tactics_to_confirm: usize,
}

/// An alert as correlation needs it.
struct AlertFacts<'a> {
    label: String,
    event_at: DateTime<Utc>,
    severity: Option<Severity>,
    rule: &'a str,
    idle_seconds: i64,
    key: &'a str,
}

impl<'a> Correlator<'a> {
    fn new(atlas: &'a ActiveAtlas, tx: AlertTx) -> Self {
        Correlator {
            atlas,
            tx,
            incidents: HashMap::new(),
            steps: HashMap::new(),
            tactics_to_confirm: 0,
        }
    }

    /// The incident an alert joins (opened when none fits); returns its ID.
    async fn incident_for(&mut self, a: &AlertFacts<'_>) -> StoreResult<String> {
        let slot = (a.rule.to_string(), a.key.to_string());
        if !self.incidents.contains_key(&slot) {
            let loaded = self
                .tx
                .open_incidents(a.rule, a.key)
                .await?
                .into_iter()
                .map(|c| {
                    let sev = Severity::parse(&c.max_severity);
                    IncidentState {
                        id: c.incident_id,
                        new: false,
                        touched: false,
                        earlier: false,
                        first: c.first_event_at,
                        last: c.last_event_at,
                        stored_max: sev,
                        max: sev,
                        title: String::new(),
                        rule: a.rule.to_string(),
                        key: a.key.to_string(),
                    }
                })
                .collect();
            self.incidents.insert(slot.clone(), loaded);
        }
        let window = Duration::seconds(a.idle_seconds);
        let at = rfc3339(a.event_at);
        let list = self.incidents.entry(slot).or_default();
        let fits = |i: &IncidentState| {
            let (Some(first), Some(last)) = (parse_time(&i.first), parse_time(&i.last)) else {
                return false;
            };
            a.event_at >= first - window && a.event_at <= last + window
        };
        let index = match list.iter().position(fits) {
            Some(i) => i,
            None => {
                let title = tidy(&format!("{}: {}", a.rule, a.key), 200);
                list.push(IncidentState {
                    id: new_id("inc-"),
                    new: true,
                    touched: true,
                    earlier: false,
                    first: at.clone(),
                    last: at.clone(),
                    stored_max: None,
                    max: a.severity,
                    title,
                    rule: a.rule.to_string(),
                    key: a.key.to_string(),
                });
                let id = list[list.len() - 1].id.clone();
                self.steps.insert(id, Vec::new());
                list.len() - 1
            }
        };
        let inc = &mut list[index];
        inc.touched = true;
        if at < inc.first {
            inc.first = at.clone();
            inc.earlier = true;
        }
        if at > inc.last {
            inc.last = at;
        }
        if a.severity > inc.max {
            inc.max = a.severity;
        }
        let id = inc.id.clone();
        if !self.steps.contains_key(&id) {
            let steps = self.tx.incident_steps(&id).await?;
            self.steps.insert(
                id.clone(),
                steps
                    .into_iter()
                    .map(|state| StepSlot {
                        state,
                        new: false,
                        changed: false,
                        moved: false,
                    })
                    .collect(),
            );
        }
        Ok(id)
    }

    /// Places one technique of an alert into its incident; returns the step
    /// ID and whether the step is new.
    fn place(
        &mut self,
        incident_id: &str,
        technique: &str,
        placement: &Placement,
        a: &AlertFacts<'_>,
    ) -> (String, bool) {
        let steps = self.steps.entry(incident_id.to_string()).or_default();
        let found = match placement {
            Placement::Tactic(t) => steps
                .iter()
                .position(|s| s.state.technique_id == technique && s.state.tactic_id == *t),
            Placement::ToConfirm(candidates) => steps
                .iter()
                .position(|s| {
                    s.state.technique_id == technique && candidates.contains(&s.state.tactic_id)
                })
                .or_else(|| {
                    steps.iter().position(|s| {
                        s.state.technique_id == technique && s.state.tactic_id.is_empty()
                    })
                }),
        };
        let at = rfc3339(a.event_at);
        match found {
            Some(i) => {
                let slot = &mut steps[i];
                let s = &mut slot.state;
                s.alert_count += 1;
                if s.first_seen.as_deref().is_none_or(|f| at.as_str() < f) {
                    s.first_seen = Some(at.clone());
                    slot.moved = true;
                }
                if s.last_seen.as_deref().is_none_or(|l| at.as_str() > l) {
                    s.last_seen = Some(at);
                }
                if s.alert_sample.lines().count() < SAMPLE {
                    if !s.alert_sample.is_empty() {
                        s.alert_sample.push('\n');
                    }
                    s.alert_sample.push_str(&a.label);
                }
                slot.changed = true;
                (slot.state.id.clone(), false)
            }
            None => {
                let (tactic, candidates) = match placement {
                    Placement::Tactic(t) => (t.clone(), String::new()),
                    Placement::ToConfirm(c) => {
                        self.tactics_to_confirm += 1;
                        (String::new(), c.join(" "))
                    }
                };
                let id = new_id("step-");
                steps.push(StepSlot {
                    state: StepState {
                        id: id.clone(),
                        technique_id: technique.to_string(),
                        tactic_id: tactic,
                        source: "alert".to_string(),
                        alert_count: 1,
                        first_seen: Some(at.clone()),
                        last_seen: Some(at),
                        alert_sample: a.label.clone(),
                        candidate_tactics: candidates,
                    },
                    new: true,
                    changed: true,
                    moved: true,
                });
                (id, true)
            }
        }
    }

    /// Writes every incident and step changed, in time order; returns the
    /// touched incident IDs.
    async fn flush(&mut self, release: &str) -> StoreResult<Vec<String>> {
        let mut touched = Vec::new();
        let incidents: Vec<IncidentState> = self
            .incidents
            .drain()
            .flat_map(|(_, list)| list)
            .filter(|i| i.touched)
            .collect();
        for inc in &incidents {
            let severity = inc.max.unwrap_or(Severity::Medium).as_str();
            if inc.new {
                self.tx
                    .create_incident(
                        &inc.id, &inc.title, severity, &inc.first, release, &inc.rule, &inc.key,
                        &inc.first, &inc.last,
                    )
                    .await?;
            } else {
                let raise = (inc.max > inc.stored_max).then_some(severity);
                let max = inc
                    .max
                    .or(inc.stored_max)
                    .unwrap_or(Severity::Medium)
                    .as_str();
                self.tx
                    .touch_incident(&inc.id, &inc.first, &inc.last, max, raise)
                    .await?;
                if inc.earlier {
                    self.tx.set_occurred(&inc.id, &inc.first).await?;
                }
            }
            touched.push(inc.id.clone());
        }
        let now = self.tx.now().to_string();
        let mut new = Vec::new();
        let mut changed = Vec::new();
        let mut evidence = Vec::new();
        let mut reorder = Vec::new();
        for inc in &incidents {
            let Some(steps) = self.steps.get(&inc.id) else {
                continue;
            };
            for (i, slot) in steps.iter().enumerate() {
                if !slot.changed {
                    continue;
                }
                let s = &slot.state;
                let text = if s.source == "alert" {
                    evidence_text(s)
                } else {
                    String::new()
                };
                let first = s.first_seen.as_deref().unwrap_or(&now);
                if slot.new {
                    new.push(NewStep {
                        id: &s.id,
                        incident_id: &inc.id,
                        position: i as i64 + 1,
                        tactic_id: &s.tactic_id,
                        technique_id: &s.technique_id,
                        observed_at: first,
                        evidence: text,
                    });
                } else if s.source == "alert" {
                    evidence.push((s.id.as_str(), text, first));
                }
                changed.push(s);
            }
            if steps.iter().any(|s| s.moved) {
                reorder.push(inc.id.as_str());
            }
        }
        self.tx.save_steps(&new, &changed, &evidence).await?;
        for id in reorder {
            self.tx.order_by_time(id).await?;
        }
        touched.sort();
        Ok(touched)
    }
}

/// The evidence text of an alert-fed step: the count, the span and the first alert IDs.
fn evidence_text(s: &StepState) -> String {
    let ids: Vec<&str> = s.alert_sample.lines().collect();
    let more = s.alert_count - ids.len() as i64;
    let mut text = format!(
        "{} alert{} from {} to {}: {}",
        s.alert_count,
        if s.alert_count == 1 { "" } else { "s" },
        s.first_seen.as_deref().unwrap_or("?"),
        s.last_seen.as_deref().unwrap_or("?"),
        ids.join(", ")
    );
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// The rule an alert falls under and its key: the first configured rule whose
/// key fields are all present, else the built-in rule (one incident per source).
fn rule_for<'r>(
    rules: &'r [CorrelationRule],
    fallback: &'r CorrelationRule,
    raw: &Value,
    source: &str,
) -> (&'r CorrelationRule, String) {
    for rule in rules {
        if let Some(key) = correlation_key(raw, &rule.fields) {
            return (rule, key);
        }
    }
    (fallback, tidy(source, 200))
}

/// Ingests one request's alerts (already split from the body; an `Err` item
/// is a line that was not JSON). One transaction: all or nothing.
pub async fn ingest(
    store: &Store,
    atlas: &ActiveAtlas,
    items: Vec<Result<Value, String>>,
    options: &IngestOptions,
) -> Result<IngestReport, ServiceError> {
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
    if parsed.is_empty() {
        return Ok(report);
    }

    let _turn = TURN.lock().await;
    let mut tx = store.begin_alerts().await?;
    let rules: Vec<CorrelationRule> = tx.rules().await?.iter().map(|r| r.rule()).collect();
    let fallback = fallback_rule();

    // Duplicates: stored already, or repeated within this request.
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, a, _) in &parsed {
        by_source
            .entry(a.source.as_str())
            .or_default()
            .push(a.alert_id.as_str());
    }
    let mut stored: HashSet<(String, String)> = HashSet::new();
    for (source, ids) in by_source {
        for id in tx.existing(source, &ids).await? {
            stored.insert((source.to_string(), id));
        }
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut fresh = Vec::with_capacity(parsed.len());
    for (index, a, raw) in parsed {
        let key = (a.source.clone(), a.alert_id.clone());
        if stored.contains(&key) || !seen.insert(key) {
            report.duplicates += 1;
        } else {
            fresh.push((index, a, raw));
        }
    }
    // In event-time order, so idle windows are judged as the events happened.
    fresh.sort_by(|x, y| x.1.event_at.cmp(&y.1.event_at).then(x.0.cmp(&y.0)));

    let mut c = Correlator::new(atlas, tx);
    let mut alerts = Vec::with_capacity(fresh.len());
    let mut hits = Vec::new();
    for (_, a, raw) in &fresh {
        let (rule, key) = rule_for(&rules, &fallback, raw, &a.source);
        let row_id = new_id("alert-");
        let facts = AlertFacts {
            label: format!("{}:{}", a.source, a.alert_id),
            event_at: a.event_at,
            severity: a.severity,
            rule: &rule.name,
            idle_seconds: rule.idle_seconds,
            key: &key,
        };
        let (incident, new_steps, unmapped) =
            place_hits(&mut c, &facts, &a.hits, &row_id, &mut hits).await?;
        report.accepted += 1;
        if unmapped {
            report.unmapped += 1;
        }
        if incident.is_some() && !new_steps {
            report.folded += 1;
        }
        alerts.push(NewAlert {
            id: row_id,
            source: a.source.clone(),
            alert_id: a.alert_id.clone(),
            shape: a.shape.as_str(),
            event_at: rfc3339(a.event_at),
            received_by: options.received_by.clone(),
            title: a.title.clone(),
            severity: a.severity.map(Severity::as_str),
            rule_name: rule.name.clone(),
            correlation_key: key.clone(),
            incident_id: incident,
            raw: raw_text(raw),
        });
    }
    report.incidents = c.flush(atlas.version()).await?;
    report.tactics_to_confirm = c.tactics_to_confirm;
    let mut tx = c.tx;
    tx.insert_alerts(&alerts).await?;
    tx.insert_hits(&hits).await?;
    // The hosts, users, IPs, models and datasets the alerts name, on their incidents.
    let found: Vec<NewObservable> = alerts
        .iter()
        .zip(&fresh)
        .filter_map(|(a, (_, _, raw))| Some((a.incident_id.clone()?, raw)))
        .flat_map(|(incident_id, raw)| {
            super::observables::from_alert(raw)
                .into_iter()
                .map(move |(kind, value)| NewObservable {
                    incident_id: incident_id.clone(),
                    kind,
                    value,
                })
        })
        .collect();
    tx.insert_observables(&found, &options.received_by).await?;
    tx.commit().await?;
    Ok(report)
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

/// Places an alert's techniques; returns its incident (when a technique is
/// known), whether it created a step, and whether a technique is unmapped.
async fn place_hits(
    c: &mut Correlator<'_>,
    facts: &AlertFacts<'_>,
    alert_hits: &[Hit],
    row_id: &str,
    out: &mut Vec<NewHit>,
) -> StoreResult<(Option<String>, bool, bool)> {
    let mut incident: Option<String> = None;
    let mut new_steps = false;
    let mut unmapped = false;
    for (position, hit) in alert_hits.iter().enumerate() {
        let placed = match placement(c.atlas, &hit.technique, hit.tactic.as_deref()) {
            None => {
                unmapped = true;
                None
            }
            Some(p) => {
                let id = match &incident {
                    Some(id) => id.clone(),
                    None => {
                        let id = c.incident_for(facts).await?;
                        incident = Some(id.clone());
                        id
                    }
                };
                let (step, new) = c.place(&id, &hit.technique, &p, facts);
                new_steps |= new;
                Some(step)
            }
        };
        out.push(NewHit {
            alert_id: row_id.to_string(),
            position: position as i64,
            raw_id: hit.raw.clone(),
            technique_id: hit.technique.clone(),
            tactic_id: hit.tactic.clone(),
            mapped: placed.is_some(),
            step_id: placed,
        });
    }
    Ok((incident, new_steps, unmapped))
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
    let mut c = Correlator::new(atlas, tx);
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
    let mut tx = c.tx;
    for (alert_row, position, step, incident) in &updates {
        tx.map_hit(alert_row, *position, step, incident).await?;
    }
    tx.commit().await?;
    Ok(mapped_alerts.len())
}

/// Adds or replaces a correlation rule (CLI, admin page, config file).
pub async fn save_rule(
    store: &Store,
    name: &str,
    fields: &[String],
    idle_window: &str,
) -> Result<bool, RuleError> {
    let window = if idle_window.trim().is_empty() {
        Some(crate::domain::alert::DEFAULT_IDLE_SECONDS)
    } else {
        crate::domain::alert::parse_window(idle_window)
    };
    let Some(seconds) = window else {
        let mut problems = match crate::domain::alert::validate_rule(name, fields, 3600) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        problems.push(ValidationError::new(
            "idle_window",
            format!(
                "`{}` is not a window like 30m, 24h or 7d",
                tidy(idle_window, 40)
            ),
        ));
        return Err(RuleError::Invalid(problems));
    };
    let rule =
        crate::domain::alert::validate_rule(name, fields, seconds).map_err(RuleError::Invalid)?;
    Ok(store.save_rule(&rule).await?)
}

/// A rule that could not be saved: every problem, or the store's failure.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The rules file: `rules: [{name, key: [fields…], idle_window: 24h}]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<RuleEntry>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    key: Vec<String>,
    #[serde(default)]
    idle_window: Option<String>,
}

/// Loads correlation rules from a YAML (or JSON) file; every rule is checked
/// before any is saved. Returns how many were saved.
pub async fn load_rules_file(store: &Store, text: &str) -> Result<usize, RuleError> {
    let file: RulesFile = serde_saphyr::from_str(text).map_err(|e| {
        RuleError::Invalid(vec![ValidationError::new(
            "file",
            format!("not a rules file: {e}"),
        )])
    })?;
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    for (i, entry) in file.rules.iter().enumerate() {
        let window = entry.idle_window.as_deref().unwrap_or("24h");
        let seconds = crate::domain::alert::parse_window(window).unwrap_or(-1);
        match crate::domain::alert::validate_rule(&entry.name, &entry.key, seconds) {
            Ok(rule) => rules.push(rule),
            Err(p) => problems.extend(
                p.into_iter()
                    .map(|v| ValidationError::new(format!("rules[{i}].{}", v.field), v.message)),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(RuleError::Invalid(problems));
    }
    for rule in &rules {
        store.save_rule(rule).await?;
    }
    Ok(rules.len())
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
