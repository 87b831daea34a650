//! One incident's page: its fields, the step timeline, the matrix and the
//! story, what upgrades did to its steps; and the page confirming its deletion.

use super::fields::{Badge, TimeView, md};
use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_case_study_id;
use crate::domain::{IncidentDetail, Observation};
use crate::render::grid::IncidentMatrix;
use crate::render::ingest::StepTriageView;
use crate::render::story::StoryView;
use crate::render::teamwork::TeamView;
use crate::render::{Link, timestamp};
use crate::service::incidents::DetailExtras;
use crate::store::{StepAlerts, StepHistoryEntry, StepReview};

/// What ATLAS upgrades did to the incident's steps: the flags for review of
/// the last one, and every step's history (old IDs kept).
#[derive(Default)]
pub struct UpgradeNotes {
    /// (step number, message, the release whose catalog describes the step's technique)
    pub flagged: Vec<(usize, String, Option<String>)>,
    /// (step number, upgrade's releases, what happened)
    pub history: Vec<(usize, String, String)>,
}

impl UpgradeNotes {
    pub fn build(
        detail: &IncidentDetail,
        reviews: Vec<StepReview>,
        history: Vec<StepHistoryEntry>,
    ) -> Self {
        let number = |step: &str| {
            detail
                .steps
                .iter()
                .position(|s| s.id == step)
                .map_or(0, |i| i + 1)
        };
        // A flag holds while the step is as the upgrade left it; an edit is the review.
        let flagged = reviews
            .into_iter()
            .filter(|r| {
                detail.steps.iter().any(|s| {
                    s.id == r.step_id
                        && s.tactic_id == r.tactic_id
                        && s.technique_id == r.technique_id
                })
            })
            .map(|r| (number(&r.step_id), r.message, r.catalog_release))
            .collect();
        let mut history: Vec<(String, usize, String, String)> = history
            .into_iter()
            .map(|h| {
                (
                    h.at,
                    number(&h.step_id),
                    format!("{} → {}", h.from_release, h.to_release),
                    h.note,
                )
            })
            .collect();
        // Upgrade by upgrade, steps in story order.
        history.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let history = history
            .into_iter()
            .map(|(_, n, r, note)| (n, r, note))
            .collect();
        let mut notes = UpgradeNotes { flagged, history };
        notes.flagged.sort_by_key(|f| f.0);
        notes
    }
}

pub struct RefView {
    pub title: String,
    pub url: String,
    pub linkable: bool,
}

pub struct StepView {
    pub id: String,
    pub number: i64,
    pub tactic: Link,
    pub technique: Link,
    pub observed: Option<TimeView>,
    pub outcome: Badge,
    pub confidence: Option<i64>,
    pub source: &'static str,
    pub description_html: Option<String>,
    pub evidence: String,
    pub first: bool,
    pub last: bool,
    /// The alerts behind the step and its tactic to confirm (`templates/ingest/_step_alerts.html`).
    pub triage: Option<StepTriageView>,
}

impl StepView {
    pub fn of(
        atlas: &ActiveAtlas,
        s: &Observation,
        count: usize,
        triage: Option<&StepAlerts>,
    ) -> StepView {
        let tactic = if s.tactic_id.is_empty() {
            Link {
                id: String::new(),
                name: "Tactic to confirm".to_string(),
                href: format!("#step-{}", s.id),
                known: false,
            }
        } else {
            Link::tactic(atlas, &s.tactic_id)
        };
        StepView {
            id: s.id.clone(),
            number: s.position,
            tactic,
            triage: triage.map(|t| StepTriageView::build(atlas, t)),
            technique: Link::technique(atlas, &s.technique_id),
            observed: TimeView::opt(&s.observed),
            outcome: Badge::outcome(s.outcome),
            confidence: s.confidence,
            source: s.source.label(),
            description_html: md(&s.description),
            evidence: s.evidence.clone(),
            first: s.position <= 1,
            last: s.position >= count as i64,
        }
    }
}

/// The incident page (`templates/incidents/detail.html`).
pub struct DetailView {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub kind: Badge,
    pub severity: Badge,
    pub status: Badge,
    pub occurred: Option<TimeView>,
    pub detected: Option<TimeView>,
    pub resolved: Option<TimeView>,
    pub target: String,
    pub actor: String,
    pub reporter: String,
    pub tags: Vec<String>,
    pub references: Vec<RefView>,
    pub summary_html: Option<String>,
    pub atlas_release: String,
    pub release_is_active: bool,
    /// The ATLAS case study the incident was imported from, linked when it is one.
    pub source: Option<Link>,
    pub created: String,
    pub updated: String,
    pub steps: Vec<StepView>,
    /// The ATLAS mitigations of the incident's techniques, for the task
    /// form's "mitigation" picker (in the active release's order).
    pub mitigations: Vec<Link>,
    /// The incident on the ATLAS matrix (`templates/atlas/_incident_matrix.html`).
    pub atlas_matrix: IncidentMatrix,
    /// The attack-path story picture (`templates/story/_story.html`).
    pub story: StoryView,
    /// Flags and history left by ATLAS upgrades (`templates/incidents/_upgrade_notes.html`).
    pub upgrade: UpgradeNotes,
    /// Where a bulk-imported incident came from, and whether its step order is unknown.
    pub origin: Option<OriginView>,
    /// Owner, participants, tasks, comments and activity (`templates/incidents/_team.html`).
    pub team: TeamView,
    /// Attached files (`templates/incidents/_attachments.html`), also listed by step.
    pub attachments: crate::render::attachments::AttachmentsView,
}

pub struct OriginView {
    pub source: String,
    pub external_id: String,
    pub order_unknown: bool,
}

impl DetailView {
    /// The places a step can be moved to: 1 to the number of steps.
    pub fn positions(&self) -> std::ops::RangeInclusive<i64> {
        1..=self.steps.len() as i64
    }

    pub fn build(
        atlas: &ActiveAtlas,
        detail: IncidentDetail,
        extras: DetailExtras,
        team: TeamView,
    ) -> Self {
        let triage = &extras.triage;
        let upgrade = UpgradeNotes::build(&detail, extras.reviews, extras.history);
        let story = StoryView::build(atlas, &detail, Default::default()).embedded();
        let count = detail.steps.len();
        let steps = detail
            .steps
            .iter()
            .map(|s| StepView::of(atlas, s, count, triage.get(&s.id)))
            .collect();
        let i = detail.incident;
        let source = i.source_ref.as_deref().map(|r| {
            let known = is_case_study_id(r) && atlas.release.case_studies.iter().any(|c| c.id == r);
            Link {
                id: r.to_string(),
                name: r.to_string(),
                href: format!("/studies/{r}"),
                known,
            }
        });
        DetailView {
            kind: Badge::kind(i.kind),
            severity: Badge::severity(i.severity),
            status: Badge::status(i.status),
            occurred: TimeView::opt(&i.occurred),
            detected: TimeView::opt(&i.detected),
            resolved: TimeView::opt(&i.resolved),
            references: i
                .references
                .iter()
                .map(|r| RefView {
                    linkable: r.is_linkable(),
                    title: r.title.clone(),
                    url: r.url.trim().to_string(),
                })
                .collect(),
            summary_html: md(&i.summary),
            release_is_active: i.atlas_release == atlas.version(),
            source,
            created: timestamp(&i.created_at),
            updated: timestamp(&i.updated_at),
            steps,
            mitigations: mitigations_of(atlas, &detail.steps),
            atlas_matrix: IncidentMatrix::build(atlas, &i.id, &detail.steps),
            story,
            origin: extras
                .origin
                .map(|(source, external_id, order_unknown)| OriginView {
                    source,
                    external_id,
                    order_unknown,
                }),
            id: i.id,
            title: i.title,
            version: i.version,
            target: i.target,
            actor: i.actor,
            reporter: i.reporter,
            tags: i.tags,
            atlas_release: i.atlas_release,
            upgrade,
            team,
            attachments: Default::default(),
        }
    }
}

/// The confirmation before deleting an incident (`templates/incidents/delete.html`).
pub struct DeleteView {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub step_count: usize,
    pub conflict: Option<String>,
}

impl DeleteView {
    pub fn build(detail: &IncidentDetail, conflict: Option<String>) -> Self {
        DeleteView {
            id: detail.incident.id.clone(),
            title: detail.incident.title.clone(),
            version: detail.incident.version,
            step_count: detail.steps.len(),
            conflict,
        }
    }
}

/// The mitigations the active release gives for the steps' techniques, each once.
pub fn mitigations_of(atlas: &ActiveAtlas, steps: &[Observation]) -> Vec<Link> {
    let mut seen = std::collections::HashSet::new();
    atlas
        .release
        .mitigations
        .iter()
        .filter(|m| {
            steps
                .iter()
                .any(|s| atlas.mitigations_for(&s.technique_id).any(|x| x.id == m.id))
        })
        .filter(|m| seen.insert(m.id.clone()))
        .map(|m| Link::mitigation(atlas, &m.id))
        .collect()
}
