//! Placing alerts into incidents and steps: the tactic rule, the idle window
//! of a correlation rule, and folding repeats of a technique into one step.

use std::collections::HashMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

use crate::atlas::ActiveAtlas;
use crate::domain::Severity;
use crate::domain::alert::{CorrelationRule, Hit, correlation_key, tidy};
use crate::store::{
    AlertTx, CorrelatedIncident, IncidentTouch, NewHit, NewStep, StepState, StoreResult, new_id,
};

/// Alert IDs kept on a step as evidence; the count says how many there were in all.
pub const SAMPLE: usize = 20;

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

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
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

impl IncidentState {
    /// An open incident as stored, before this request's alerts.
    fn stored(c: CorrelatedIncident, rule: &str, key: &str) -> Self {
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
            rule: rule.to_string(),
            key: key.to_string(),
        }
    }
}

struct StepSlot {
    state: StepState,
    new: bool,
    changed: bool,
    /// Its first sighting moved earlier: the story order may change.
    moved: bool,
    /// Its alert sample grew: the incident's search document changes (the
    /// count and times alone do not, see migration 0025).
    resampled: bool,
}

impl StepSlot {
    /// A step as stored, before this request's alerts.
    fn stored(state: StepState) -> Self {
        StepSlot {
            state,
            new: false,
            changed: false,
            moved: false,
            resampled: false,
        }
    }
}

/// The alerts of one transaction being placed into incidents and steps.
pub(super) struct Correlator<'a> {
    pub(super) atlas: &'a ActiveAtlas,
    /// Borrowed, so that a request's failure leaves its group's transaction
    /// to roll back to the request's savepoint.
    pub(super) tx: &'a mut AlertTx,
    /// (rule, key) -> incidents with that key (open ones, as loaded).
    incidents: HashMap<(String, String), Vec<IncidentState>>,
    /// incident ID -> its steps.
    steps: HashMap<String, Vec<StepSlot>>,
    pub(super) tactics_to_confirm: usize,
}

/// An alert as correlation needs it.
pub(super) struct AlertFacts<'a> {
    pub(super) label: String,
    pub(super) event_at: DateTime<Utc>,
    pub(super) severity: Option<Severity>,
    pub(super) rule: &'a str,
    pub(super) idle_seconds: i64,
    pub(super) key: &'a str,
}

impl<'a> Correlator<'a> {
    pub(super) fn new(atlas: &'a ActiveAtlas, tx: &'a mut AlertTx) -> Self {
        Correlator {
            atlas,
            tx,
            incidents: HashMap::new(),
            steps: HashMap::new(),
            tactics_to_confirm: 0,
        }
    }

    /// Loads the open incidents of every (rule, key) slot of a request, and
    /// their steps, in two statements (else [`Correlator::incident_for`]
    /// reads them slot by slot: two statements per incident).
    pub(super) async fn preload(&mut self, slots: &[(&str, &str)]) -> StoreResult<()> {
        let slots: Vec<(&str, &str)> = {
            let mut unique: Vec<(&str, &str)> = slots
                .iter()
                .filter(|(r, k)| !self.incidents.contains_key(&(r.to_string(), k.to_string())))
                .copied()
                .collect();
            unique.sort_unstable();
            unique.dedup();
            unique
        };
        if slots.is_empty() {
            return Ok(());
        }
        for (rule, key) in &slots {
            self.incidents
                .insert((rule.to_string(), key.to_string()), Vec::new());
        }
        let found = self.tx.open_incidents_of(&slots).await?;
        let mut ids = Vec::with_capacity(found.len());
        for (rule, key, c) in found {
            let state = IncidentState::stored(c, &rule, &key);
            ids.push(state.id.clone());
            self.incidents.entry((rule, key)).or_default().push(state);
        }
        let ids: Vec<&str> = ids
            .iter()
            .filter(|id| !self.steps.contains_key(id.as_str()))
            .map(String::as_str)
            .collect();
        for id in &ids {
            self.steps.insert(id.to_string(), Vec::new());
        }
        for (incident, step) in self.tx.steps_of(&ids).await? {
            self.steps
                .entry(incident)
                .or_default()
                .push(StepSlot::stored(step));
        }
        Ok(())
    }

    /// The incident an alert joins (opened when none fits); returns its ID.
    pub(super) async fn incident_for(&mut self, a: &AlertFacts<'_>) -> StoreResult<String> {
        let slot = (a.rule.to_string(), a.key.to_string());
        if !self.incidents.contains_key(&slot) {
            let loaded = self
                .tx
                .open_incidents(a.rule, a.key)
                .await?
                .into_iter()
                .map(|c| IncidentState::stored(c, a.rule, a.key))
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
                steps.into_iter().map(StepSlot::stored).collect(),
            );
        }
        Ok(id)
    }

    /// Places one technique of an alert into its incident; returns the step
    /// ID and whether the step is new.
    pub(super) fn place(
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
                    slot.resampled = true;
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
                    resampled: true,
                });
                (id, true)
            }
        }
    }

    /// Writes every incident and step changed, in time order; returns the
    /// touched incident IDs.
    pub(super) async fn flush(&mut self, release: &str) -> StoreResult<Vec<String>> {
        let mut touched = Vec::new();
        let incidents: Vec<IncidentState> = self
            .incidents
            .drain()
            .flat_map(|(_, list)| list)
            .filter(|i| i.touched)
            .collect();
        let mut touches = Vec::new();
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
                if let Some(to) = raise {
                    // Told before the raise is written: it reads the old severity.
                    self.tx.enqueue_severity_raised(&inc.id, to).await?;
                }
                touches.push(IncidentTouch {
                    id: &inc.id,
                    first_event_at: &inc.first,
                    last_event_at: &inc.last,
                    max_severity: max,
                    raise_to: raise,
                });
            }
            touched.push(inc.id.clone());
        }
        self.tx.touch_incidents(&touches).await?;
        for inc in incidents.iter().filter(|i| !i.new && i.earlier) {
            self.tx.set_occurred(&inc.id, &inc.first).await?;
        }
        let now = self.tx.now().to_string();
        let mut new = Vec::new();
        let mut changed = Vec::new();
        let mut evidence = Vec::new();
        let mut resampled = Vec::new();
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
                    if slot.resampled {
                        resampled.push(s.id.as_str());
                    }
                }
                changed.push(s);
            }
            if steps.iter().any(|s| s.moved) {
                reorder.push(inc.id.as_str());
            }
        }
        self.tx
            .save_steps(&new, &changed, &evidence, &resampled)
            .await?;
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
pub(super) fn rule_for<'r>(
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

/// Places an alert's techniques; returns its incident (when a technique is
/// known), whether it created a step, and whether a technique is unmapped.
pub(super) async fn place_hits(
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
