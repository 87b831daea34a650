//! Writing incidents and steps: shape validation (domain), ATLAS rules against
//! the incident's release, then the store.

use std::borrow::Cow;
use std::collections::HashMap;

use super::ServiceError;
use crate::atlas::{ActiveAtlas, Release};
use crate::domain::excerpt::shorten;
use crate::domain::rules::check_step;
use crate::domain::{
    IncidentDetail, IncidentDraft, IncidentInput, StepDraft, StepInput, ValidationError,
};
use crate::store::{
    BatchStart, IncidentQuery, IncidentSummary, Page, StepAlerts, StepHistoryEntry, StepReview,
    Store, StoreError, StoreResult, TagCount,
};

/// The release an incident is mapped against: the one it names, else the active one.
pub async fn resolve_release<'a>(
    store: &Store,
    active: &'a ActiveAtlas,
    version: Option<&str>,
) -> Result<Cow<'a, Release>, ServiceError> {
    match version {
        None => Ok(Cow::Borrowed(&active.release)),
        Some(v) if v == active.version() => Ok(Cow::Borrowed(&active.release)),
        Some(v) => match store.load_release(v).await? {
            Some(r) => Ok(Cow::Owned(r)),
            None => Err(ValidationError::new(
                "atlas_release",
                format!("ATLAS release {v} is not stored"),
            )
            .into()),
        },
    }
}

/// Checks one step against the release; a technique missing from it is looked
/// up in the other stored releases (it may have vanished upstream). `prefix`
/// names the step in messages (`""` or `steps[3].`).
pub async fn check_one_step(
    store: &Store,
    release: &Release,
    step: &StepDraft,
    prefix: &str,
) -> Result<(), ServiceError> {
    let elsewhere = match release.technique(&step.technique_id) {
        Some(_) => None,
        None => store
            .find_technique_anywhere(&step.technique_id)
            .await?
            .map(|(_, t)| t),
    };
    check_step(step, release, elsewhere.as_ref(), prefix)?;
    Ok(())
}

/// Checks a list of steps, naming a bad one as `{list}[i].field`.
pub async fn check_steps(
    store: &Store,
    release: &Release,
    steps: &[StepDraft],
    list: &str,
) -> Result<(), ServiceError> {
    for (i, step) in steps.iter().enumerate() {
        check_one_step(store, release, step, &format!("{list}[{i}].")).await?;
    }
    Ok(())
}

pub async fn create(
    store: &Store,
    active: &ActiveAtlas,
    incident: &IncidentInput,
    steps: &[StepInput],
) -> Result<String, ServiceError> {
    let draft = incident.validate()?;
    if steps.len() > crate::domain::limits::STEPS {
        return Err(ValidationError::new(
            "steps",
            format!("at most {} steps", crate::domain::limits::STEPS),
        )
        .into());
    }
    let drafts = steps
        .iter()
        .enumerate()
        .map(|(i, s)| s.validate(&format!("steps[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let release = resolve_release(store, active, draft.atlas_release.as_deref()).await?;
    check_steps(store, &release, &drafts, "steps").await?;
    Ok(store
        .create_incident(&draft, &release.version, None, &drafts)
        .await?)
}

/// Replaces an incident's fields. The version is required: a stale one is a 409.
pub async fn update(
    store: &Store,
    active: &ActiveAtlas,
    id: &str,
    input: &IncidentInput,
) -> Result<i64, ServiceError> {
    let draft: IncidentDraft = input.validate()?;
    let Some(expected) = input.version else {
        return Err(
            ValidationError::new("version", "is required: send the version you last read").into(),
        );
    };
    let current = store
        .get_incident(id)
        .await?
        .ok_or_else(|| crate::store::StoreError::NotFound(format!("incident {id}")))?;
    // Without an explicit release the incident stays on the one it was mapped to.
    let version = draft
        .atlas_release
        .clone()
        .unwrap_or(current.incident.atlas_release.clone());
    let release = resolve_release(store, active, Some(&version)).await?;
    if release.version != current.incident.atlas_release {
        // Re-mapping to another release: every existing step must still hold there.
        let steps: Vec<StepDraft> = current.steps.iter().map(step_draft_of).collect();
        check_steps(store, &release, &steps, "steps").await?;
    }
    Ok(store
        .update_incident(id, &draft, &release.version, expected)
        .await?)
}

fn step_draft_of(o: &crate::domain::Observation) -> StepDraft {
    StepDraft {
        tactic_id: o.tactic_id.clone(),
        technique_id: o.technique_id.clone(),
        observed: o.observed,
        description: o.description.clone(),
        evidence: o.evidence.clone(),
        confidence: o.confidence,
        outcome: o.outcome,
        source: o.source,
    }
}

async fn validated_step(
    store: &Store,
    active: &ActiveAtlas,
    incident_id: &str,
    input: &StepInput,
) -> Result<StepDraft, ServiceError> {
    let draft = input.validate("")?;
    let current = store
        .get_incident(incident_id)
        .await?
        .ok_or_else(|| crate::store::StoreError::NotFound(format!("incident {incident_id}")))?;
    let release = resolve_release(store, active, Some(&current.incident.atlas_release)).await?;
    check_one_step(store, &release, &draft, "").await?;
    Ok(draft)
}

/// Adds a step; returns its ID and the incident's new version.
pub async fn add_step(
    store: &Store,
    active: &ActiveAtlas,
    incident_id: &str,
    input: &StepInput,
) -> Result<(String, i64), ServiceError> {
    let draft = validated_step(store, active, incident_id, input).await?;
    Ok(store
        .add_step(incident_id, &draft, input.position, input.version)
        .await?)
}

pub async fn update_step(
    store: &Store,
    active: &ActiveAtlas,
    incident_id: &str,
    step_id: &str,
    input: &StepInput,
) -> Result<i64, ServiceError> {
    let draft = validated_step(store, active, incident_id, input).await?;
    Ok(store
        .update_step(incident_id, step_id, &draft, input.position, input.version)
        .await?)
}

/// One incident with its steps; a not-found error naming it when no
/// incident has this ID.
/// The problem with linking something of an incident (a task, an
/// observable, a file) to `step`, when it is not one of the incident's steps
/// (`None` when no step is named, or it is one). A 404 when there is no such incident.
pub async fn step_problem(
    store: &Store,
    incident_id: &str,
    step: Option<&str>,
) -> Result<Option<ValidationError>, StoreError> {
    let Some(step) = step.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let detail = get(store, incident_id).await?;
    Ok((!detail.steps.iter().any(|s| s.id == step))
        .then(|| ValidationError::new("step_id", "is not a step of this incident")))
}

pub async fn get(store: &Store, id: &str) -> Result<IncidentDetail, StoreError> {
    store
        .get_incident(id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Incident “{}”", shorten(id, 61))))
}

/// Deletes an incident and its steps, if it is still at `expected_version`.
pub async fn delete(
    store: &Store,
    id: &str,
    expected_version: Option<i64>,
) -> Result<(), StoreError> {
    store.delete_incident(id, expected_version).await
}

/// Deletes one step; answers the incident's new version.
pub async fn delete_step(
    store: &Store,
    id: &str,
    step_id: &str,
    expected_version: Option<i64>,
) -> Result<i64, StoreError> {
    store.delete_step(id, step_id, expected_version).await
}

/// Puts the steps in `order` (every step ID once); answers the new version.
pub async fn reorder_steps(
    store: &Store,
    id: &str,
    order: &[String],
    expected_version: Option<i64>,
) -> Result<i64, StoreError> {
    store.reorder_steps(id, order, expected_version).await
}

/// Confirms the tactic of a step whose technique sits under several (an
/// ingested step); answers the incident's new version.
pub async fn confirm_step_tactic(
    store: &Store,
    id: &str,
    step_id: &str,
    tactic_id: &str,
) -> Result<i64, StoreError> {
    store.confirm_step_tactic(id, step_id, tactic_id).await
}

/// One page of the incidents matching `q`.
pub async fn list(store: &Store, q: &IncidentQuery) -> StoreResult<Page<IncidentSummary>> {
    store.list_incidents(q).await
}

/// Which incidents one page of `q` shows, and how many `q` selects (the
/// part of [`list`] that may be kept per data version).
pub async fn page_ids(store: &Store, q: &IncidentQuery) -> StoreResult<Page<String>> {
    store.incident_page(q).await
}

/// The listing rows of a page of IDs from [`page_ids`].
pub async fn page_rows(store: &Store, ids: Page<String>) -> StoreResult<Page<IncidentSummary>> {
    store.page_of(ids).await
}

/// One batch of every incident `q` selects, for exports (see
/// [`Store::incident_batch`]).
pub async fn export_batch(
    store: &Store,
    q: &IncidentQuery,
    from: &BatchStart,
    size: u32,
) -> StoreResult<(Vec<IncidentSummary>, Option<BatchStart>)> {
    store.incident_batch(q, from, size).await
}

/// The steps of these incidents, grouped by incident in story order.
pub async fn steps_of(
    store: &Store,
    ids: &[String],
) -> StoreResult<HashMap<String, Vec<crate::domain::Observation>>> {
    store.steps_of_incidents(ids).await
}

/// The most used tags (the filter suggestions).
pub async fn top_tags(store: &Store) -> StoreResult<Vec<String>> {
    store.top_tags().await
}

/// Tags starting with `prefix`, most used first.
pub async fn tags_by_prefix(store: &Store, prefix: &str, limit: u32) -> StoreResult<Vec<TagCount>> {
    store.tags_by_prefix(prefix, limit).await
}

/// How many incidents and steps are stored.
pub async fn counts(store: &Store) -> StoreResult<(i64, i64)> {
    store.incident_counts().await
}

/// The incident copied from a case study, if one was: (incident ID, title).
pub async fn copy_of_case_study(
    store: &Store,
    case_study_id: &str,
) -> StoreResult<Option<(String, String)>> {
    store.incident_copy_of(case_study_id).await
}

/// What the incident page reads beside the incident: the alerts behind each
/// step, where the incident came from, and what ATLAS upgrades did to it.
pub struct DetailExtras {
    pub triage: HashMap<String, StepAlerts>,
    /// (source, external ID, whether the steps' order is unknown)
    pub origin: Option<(String, String, bool)>,
    pub reviews: Vec<StepReview>,
    pub history: Vec<StepHistoryEntry>,
}

pub async fn detail_extras(store: &Store, id: &str) -> StoreResult<DetailExtras> {
    Ok(DetailExtras {
        triage: store.step_alerts(id).await?,
        origin: store.incident_origin(id).await?,
        reviews: store.step_reviews(id).await?,
        history: store.step_history(id).await?,
    })
}
