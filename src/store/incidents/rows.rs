//! The rows of the incident tables as read, and their columns.

use sqlx::FromRow;

use crate::domain::{
    FuzzyTime, Incident, Kind, Observation, Outcome, Reference, Severity, Status, StepSource,
};
use crate::store::{StoreError, StoreResult};

#[derive(FromRow)]
pub(in crate::store) struct IncidentRow {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) kind: String,
    pub(super) severity: String,
    pub(super) status: String,
    pub(super) occurred_at: Option<String>,
    pub(super) occurred_precision: Option<String>,
    pub(super) detected_at: Option<String>,
    pub(super) detected_precision: Option<String>,
    pub(super) resolved_at: Option<String>,
    pub(super) resolved_precision: Option<String>,
    pub(super) target: String,
    pub(super) actor: String,
    pub(super) reporter: String,
    pub(super) atlas_release: String,
    pub(super) source_ref: Option<String>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) version: i64,
}

pub(in crate::store) const INCIDENT_COLUMNS: &str = "i.id, i.title, i.summary, i.kind, i.severity, i.status, i.occurred_at, \
     i.occurred_precision, i.detected_at, i.detected_precision, i.resolved_at, i.resolved_precision, i.target, \
     i.actor, i.reporter, i.atlas_release, i.source_ref, i.created_at, i.updated_at, i.version";

#[derive(FromRow)]
pub(super) struct StepRow {
    pub(super) id: String,
    pub(super) incident_id: String,
    pub(super) position: i64,
    pub(super) tactic_id: String,
    pub(super) technique_id: String,
    pub(super) observed_at: Option<String>,
    pub(super) observed_precision: Option<String>,
    pub(super) description: String,
    pub(super) evidence: String,
    pub(super) confidence: Option<i64>,
    pub(super) outcome: String,
    pub(super) source: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) const STEP_COLUMNS: &str = "id, incident_id, position, tactic_id, technique_id, observed_at, observed_precision, \
     description, evidence, confidence, outcome, source, created_at, updated_at";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

impl IncidentRow {
    pub(in crate::store) fn into_incident(
        self,
        tags: Vec<String>,
        references: Vec<Reference>,
    ) -> StoreResult<Incident> {
        Ok(Incident {
            kind: Kind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?,
            severity: Severity::parse(&self.severity)
                .ok_or_else(|| corrupt("severity", &self.severity))?,
            status: Status::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))?,
            occurred: FuzzyTime::from_stored(
                self.occurred_at.as_deref(),
                self.occurred_precision.as_deref(),
            ),
            detected: FuzzyTime::from_stored(
                self.detected_at.as_deref(),
                self.detected_precision.as_deref(),
            ),
            resolved: FuzzyTime::from_stored(
                self.resolved_at.as_deref(),
                self.resolved_precision.as_deref(),
            ),
            id: self.id,
            title: self.title,
            summary: self.summary,
            target: self.target,
            actor: self.actor,
            reporter: self.reporter,
            tags,
            references,
            atlas_release: self.atlas_release,
            source_ref: self.source_ref,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

impl StepRow {
    pub(super) fn into_observation(self) -> StoreResult<Observation> {
        Ok(Observation {
            outcome: Outcome::parse(&self.outcome)
                .ok_or_else(|| corrupt("outcome", &self.outcome))?,
            source: StepSource::parse(&self.source)
                .ok_or_else(|| corrupt("source", &self.source))?,
            observed: FuzzyTime::from_stored(
                self.observed_at.as_deref(),
                self.observed_precision.as_deref(),
            ),
            id: self.id,
            incident_id: self.incident_id,
            position: self.position,
            tactic_id: self.tactic_id,
            technique_id: self.technique_id,
            description: self.description,
            evidence: self.evidence,
            confidence: self.confidence,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
