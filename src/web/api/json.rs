//! JSON shapes of the API. Times are RFC 3339; names of ATLAS objects come
//! from the active release beside their IDs.

use serde::Serialize;

use crate::atlas::ActiveAtlas;
use crate::domain::teamwork::{Comment, Event, Task};
use crate::domain::{FuzzyTime, Incident, IncidentDetail, Observation, Reference};
use crate::service::teamwork::Teamwork;
use crate::store::{IncidentSummary, Page};

#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentJson {
    pub id: String,
    pub title: String,
    pub summary: String,
    #[schema(value_type = crate::domain::Kind)]
    pub kind: &'static str,
    #[schema(value_type = crate::domain::Severity)]
    pub severity: &'static str,
    #[schema(value_type = crate::domain::Status)]
    pub status: &'static str,
    pub occurred_at: Option<String>,
    pub occurred_precision: Option<&'static str>,
    pub detected_at: Option<String>,
    pub detected_precision: Option<&'static str>,
    pub resolved_at: Option<String>,
    pub resolved_precision: Option<&'static str>,
    pub target: String,
    pub actor: String,
    pub reporter: String,
    pub tags: Vec<String>,
    pub references: Vec<Reference>,
    pub atlas_release: String,
    pub source_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// Who owns the incident (`null`: unassigned) and who takes part.
    pub owner: Option<String>,
    pub participants: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepJson>>,
    /// One incident's tasks, comments and activity timeline (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<Task>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<Comment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Vec<Event>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observables: Option<Vec<crate::domain::observable::Observable>>,
    /// Attached files: name, size, SHA-256, who and when (not their content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<crate::domain::attachment::Attachment>>,
}

/// Adds the team's work (owner, participants, tasks, comments, activity) to an incident's JSON.
pub fn with_team(mut json: IncidentJson, team: Teamwork) -> IncidentJson {
    json.owner = team.members.owner;
    json.participants = team.members.participants;
    json.tasks = Some(team.tasks);
    json.comments = Some(team.comments);
    json.activity = Some(team.events);
    json.observables = Some(team.observables);
    json.attachments = Some(team.attachments);
    json
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StepJson {
    pub id: String,
    pub position: i64,
    pub tactic: String,
    pub tactic_name: Option<String>,
    pub technique: String,
    pub technique_name: Option<String>,
    pub observed_at: Option<String>,
    pub observed_precision: Option<&'static str>,
    pub description: String,
    pub evidence: String,
    pub confidence: Option<i64>,
    #[schema(value_type = crate::domain::Outcome)]
    pub outcome: &'static str,
    #[schema(value_type = crate::domain::StepSource)]
    pub source: &'static str,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PageJson<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    /// Keyset pagination: pass as `after=` (with the same filters and sort)
    /// for the next page; absent on the last page and for orders without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

fn at(t: &Option<FuzzyTime>) -> Option<String> {
    t.as_ref().map(FuzzyTime::rfc3339)
}

fn precision(t: &Option<FuzzyTime>) -> Option<&'static str> {
    t.as_ref().map(|t| t.precision.as_str())
}

pub fn incident_json(i: &Incident) -> IncidentJson {
    IncidentJson {
        id: i.id.clone(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        kind: i.kind.as_str(),
        severity: i.severity.as_str(),
        status: i.status.as_str(),
        occurred_at: at(&i.occurred),
        occurred_precision: precision(&i.occurred),
        detected_at: at(&i.detected),
        detected_precision: precision(&i.detected),
        resolved_at: at(&i.resolved),
        resolved_precision: precision(&i.resolved),
        target: i.target.clone(),
        actor: i.actor.clone(),
        reporter: i.reporter.clone(),
        tags: i.tags.clone(),
        references: i.references.clone(),
        atlas_release: i.atlas_release.clone(),
        source_ref: i.source_ref.clone(),
        created_at: i.created_at.clone(),
        updated_at: i.updated_at.clone(),
        version: i.version,
        owner: None,
        participants: Vec::new(),
        step_count: None,
        steps: None,
        tasks: None,
        comments: None,
        activity: None,
        observables: None,
        attachments: None,
    }
}

pub fn step_json(s: &Observation, atlas: &ActiveAtlas) -> StepJson {
    StepJson {
        id: s.id.clone(),
        position: s.position,
        tactic: s.tactic_id.clone(),
        tactic_name: atlas.tactic(&s.tactic_id).map(|t| t.name.clone()),
        technique: s.technique_id.clone(),
        technique_name: atlas
            .technique(&s.technique_id)
            .map(|t| atlas.display_name(t)),
        observed_at: at(&s.observed),
        observed_precision: precision(&s.observed),
        description: s.description.clone(),
        evidence: s.evidence.clone(),
        confidence: s.confidence,
        outcome: s.outcome.as_str(),
        source: s.source.as_str(),
        created_at: s.created_at.clone(),
        updated_at: s.updated_at.clone(),
    }
}

pub fn detail_json(d: &IncidentDetail, atlas: &ActiveAtlas) -> IncidentJson {
    let mut json = incident_json(&d.incident);
    json.step_count = Some(d.steps.len() as i64);
    json.steps = Some(d.steps.iter().map(|s| step_json(s, atlas)).collect());
    json
}

pub fn page_json(page: Page<IncidentSummary>) -> PageJson<IncidentJson> {
    let pages = page.pages();
    PageJson {
        items: page
            .items
            .iter()
            .map(|s| {
                let mut j = incident_json(&s.incident);
                j.step_count = Some(s.step_count);
                j.owner = s.members.owner.clone();
                j.participants = s.members.participants.clone();
                j
            })
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        pages,
        next_after: page
            .next
            .as_ref()
            .filter(|_| page.page < pages)
            .map(|c| c.encode()),
    }
}
