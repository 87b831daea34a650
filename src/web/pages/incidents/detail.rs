//! One incident: its page with the step timeline, the case-study download,
//! and deleting it (a confirmation page, then a POST naming the version).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{
    Badge, Failure, HtmlForm, TimeView, conflict_text, load, md, parse_version, see_other,
    with_status,
};
use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_case_study_id;
use crate::domain::{IncidentDetail, Observation};
use crate::render::attachments::{AttachmentsView, attachments_view};
use crate::render::ingest::StepTriageView;
use crate::render::teamwork::TeamView;
use crate::render::{Link, timestamp};
use crate::service::case_studies;
use crate::service::incidents as uc;
use crate::store::{StepAlerts, StepHistoryEntry, StepReview};
use crate::web::{AppError, AppState};

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<DetailPage, AppError> {
    let detail = load(&state, &id).await?;
    let extras = uc::detail_extras(&state.store, &id).await?;
    let upgrade = UpgradeNotes::build(&detail, extras.reviews, extras.history);
    let work = crate::service::teamwork::load(&state.store, &id).await?;
    let max = state.config.attachment_max_bytes;
    let attachments = attachments_view(&work.attachments, &detail.steps, max);
    let mut page = DetailPage::build(&state.atlas.get(), detail, &extras.triage);
    page.upgrade = upgrade;
    page.team = super::team::team_view(&work);
    page.attachments = attachments;
    page.origin = extras
        .origin
        .map(|(source, external_id, order_unknown)| OriginView {
            source,
            external_id,
            order_unknown,
        });
    Ok(page)
}

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
    fn build(
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

pub async fn case_study_yaml(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let detail = load(&state, &id).await?;
    let yaml = case_studies::to_yaml(&case_studies::export_case_study(&detail))?;
    let i = &detail.incident;
    let file = crate::render::download::incident_file(&i.id, &i.title, "case-study.yaml");
    Ok(crate::web::pages::downloads::file(
        "application/yaml; charset=utf-8",
        &file,
        false,
        yaml,
    ))
}

pub async fn delete_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<DeletePage, AppError> {
    let detail = load(&state, &id).await?;
    Ok(DeletePage::build(&detail, None))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    pub version: String,
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<VersionForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?.ok_or_else(|| {
        AppError::bad_request("version", "version: is required to delete an incident")
    })?;
    match uc::delete(&state.store, &id, Some(version))
        .await
        .map_err(Failure::from)
    {
        Ok(()) => Ok(see_other("/incidents")),
        Err(Failure::Conflict(_)) => {
            let detail = load(&state, &id).await?;
            let message = conflict_text(Some(version), detail.incident.version);
            Ok(with_status(
                StatusCode::CONFLICT,
                DeletePage::build(&detail, Some(message)),
            ))
        }
        Err(Failure::Invalid(v)) => Err(v.into()),
        Err(Failure::Other(e)) => Err(e),
    }
}

pub struct RefView {
    title: String,
    url: String,
    linkable: bool,
}

pub struct StepView {
    id: String,
    number: i64,
    tactic: Link,
    technique: Link,
    observed: Option<TimeView>,
    outcome: Badge,
    confidence: Option<i64>,
    source: &'static str,
    description_html: Option<String>,
    evidence: String,
    first: bool,
    last: bool,
    /// The alerts behind the step and its tactic to confirm (`templates/ingest/_step_alerts.html`).
    triage: Option<StepTriageView>,
}

impl StepView {
    fn of(
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

#[derive(Template, WebTemplate)]
#[template(path = "incidents/detail.html")]
pub struct DetailPage {
    id: String,
    title: String,
    version: i64,
    kind: Badge,
    severity: Badge,
    status: Badge,
    occurred: Option<TimeView>,
    detected: Option<TimeView>,
    resolved: Option<TimeView>,
    target: String,
    actor: String,
    reporter: String,
    tags: Vec<String>,
    references: Vec<RefView>,
    summary_html: Option<String>,
    atlas_release: String,
    release_is_active: bool,
    /// The ATLAS case study the incident was imported from, linked when it is one.
    source: Option<Link>,
    created: String,
    updated: String,
    steps: Vec<StepView>,
    /// The incident on the ATLAS matrix (`templates/atlas/_incident_matrix.html`).
    atlas_matrix: crate::render::grid::IncidentMatrix,
    /// The attack-path story picture (`templates/story/_story.html`).
    story: crate::render::story::StoryView,
    /// Flags and history left by ATLAS upgrades (`templates/incidents/_upgrade_notes.html`).
    upgrade: UpgradeNotes,
    /// Where a bulk-imported incident came from, and whether its step order is unknown.
    origin: Option<OriginView>,
    /// Owner, participants, tasks, comments and activity (`templates/incidents/_team.html`).
    team: TeamView,
    /// Attached files (`templates/incidents/_attachments.html`), also listed by step.
    attachments: AttachmentsView,
}

pub struct OriginView {
    source: String,
    external_id: String,
    order_unknown: bool,
}

impl DetailPage {
    /// The places a step can be moved to: 1 to the number of steps.
    fn positions(&self) -> std::ops::RangeInclusive<i64> {
        1..=self.steps.len() as i64
    }

    fn build(
        atlas: &ActiveAtlas,
        detail: IncidentDetail,
        triage: &std::collections::HashMap<String, StepAlerts>,
    ) -> Self {
        let story =
            crate::render::story::StoryView::build(atlas, &detail, Default::default()).embedded();
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
        DetailPage {
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
            atlas_matrix: crate::render::grid::IncidentMatrix::build(atlas, &i.id, &detail.steps),
            story,
            origin: None,
            id: i.id,
            title: i.title,
            version: i.version,
            target: i.target,
            actor: i.actor,
            reporter: i.reporter,
            tags: i.tags,
            atlas_release: i.atlas_release,
            upgrade: UpgradeNotes::default(),
            team: TeamView::default(),
            attachments: AttachmentsView::default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/delete.html")]
pub struct DeletePage {
    id: String,
    title: String,
    version: i64,
    step_count: usize,
    conflict: Option<String>,
}

impl DeletePage {
    fn build(detail: &IncidentDetail, conflict: Option<String>) -> Self {
        DeletePage {
            id: detail.incident.id.clone(),
            title: detail.incident.title.clone(),
            version: detail.incident.version,
            step_count: detail.steps.len(),
            conflict,
        }
    }
}
