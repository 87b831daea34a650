//! Knowledge-base pages: technique, tactic, mitigation and case study pages,
//! and the stored releases (the matrix is in `pages::matrix`). Every page reads
//! the in-memory active release; only a technique that left the active
//! release, the release list and a technique's incidents go to the store.
//!
//! Each page is its template around a view model of [`crate::render::atlas`],
//! built by a plain function from `&ActiveAtlas`, so handlers stay short:
//! parse, build, return.

pub mod release_diff;
pub mod techniques;

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::atlas::ids::{is_case_study_id, is_mitigation_id, is_tactic_id, is_technique_id};
use crate::render::Link;
use crate::render::atlas::{
    MitigationView, ReleasesView, StudiesView, StudyView, TacticView, TechniqueView,
};
use crate::service::{incidents, releases};
use crate::web::pages::matrix::technique_incidents;
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(ReadIncidents, "/techniques", get(techniques::index))
        .require(ReadIncidents, "/techniques/{id}", get(technique))
        .require(ReadIncidents, "/tactics/{id}", get(tactic))
        .require(ReadIncidents, "/mitigations/{id}", get(mitigation))
        .require(ReadIncidents, "/studies", get(studies))
        .require(ReadIncidents, "/studies/{id}", get(study))
        .require(ReadIncidents, "/atlas/releases", get(releases))
}

// ---------------------------------------------------------------- handlers

async fn technique(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    if let Some(t) = atlas.technique(&id).filter(|_| is_technique_id(&id)) {
        let incidents = technique_incidents::load(&state, &atlas, &id, raw.as_deref()).await?;
        let mut view = TechniqueView::build(&atlas, &atlas, t, None);
        view.incidents = Some(incidents);
        return Ok(TechniquePage::from(view).into_response());
    }
    // What became of it: the successor the table names, if the active release has it.
    let table = crate::service::upgrade::successor_table(&state.store).await?;
    let successor = table
        .resolve(&id, |s| atlas.technique(s).is_some())
        .map(|s| Link::technique(&atlas, &s));
    let Some(former) = releases::former_release(&state.store, &id).await? else {
        // Retired before any stored release: the successor table still knows it.
        let entry = table
            .get(&id)
            .filter(|_| is_technique_id(&id))
            .ok_or_else(|| not_found("Technique", &id))?;
        return Ok(RetiredPage {
            id: id.clone(),
            release: entry.release.clone(),
            note: entry.note.clone(),
            successor,
            active_version: atlas.info.version.clone(),
        }
        .into_response());
    };
    let t = former
        .technique(&id)
        .ok_or_else(|| not_found("Technique", &id))?;
    let mut view = TechniqueView::build(&atlas, &former, t, Some(former.info.version.clone()));
    view.successor = successor;
    Ok(TechniquePage::from(view).into_response())
}

/// A technique no stored release has, known only from the successor table.
#[derive(Template, WebTemplate)]
#[template(path = "atlas/retired.html")]
pub struct RetiredPage {
    id: String,
    /// The first release without it, where the table says.
    release: String,
    note: String,
    successor: Option<Link>,
    active_version: String,
}

async fn tactic(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<TacticPage, AppError> {
    let atlas = state.atlas.get();
    let t = atlas
        .tactic(&id)
        .filter(|_| is_tactic_id(&id))
        .ok_or_else(|| not_found("Tactic", &id))?;
    Ok(TacticView::build(&atlas, t).into())
}

async fn mitigation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<MitigationPage, AppError> {
    let atlas = state.atlas.get();
    let m = atlas
        .mitigation(&id)
        .filter(|_| is_mitigation_id(&id))
        .ok_or_else(|| not_found("Mitigation", &id))?;
    Ok(MitigationView::build(&atlas, m).into())
}

async fn studies(State(state): State<AppState>) -> StudiesPage {
    StudiesView::build(&state.atlas.get()).into()
}

async fn study(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StudyPage, AppError> {
    let atlas = state.atlas.get();
    let cs = is_case_study_id(&id)
        .then(|| atlas.release.case_studies.iter().find(|c| c.id == id))
        .flatten()
        .ok_or_else(|| not_found("Case study", &id))?;
    let mut view = StudyView::build(&atlas, cs);
    view.incident_copy = incidents::copy_of_case_study(&state.store, &cs.id).await?;
    Ok(view.into())
}

async fn releases(State(state): State<AppState>) -> Result<ReleasesPage, AppError> {
    let stored = releases::list(&state.store).await?;
    Ok(ReleasesView::build(state.atlas.get().info.clone(), stored).into())
}

fn not_found(kind: &str, id: &str) -> AppError {
    let shown: String = id.chars().take(40).collect();
    AppError::NotFound(format!("{kind} “{shown}”"))
}

page!(TechniquePage, TechniqueView, "atlas/technique.html");
page!(TacticPage, TacticView, "atlas/tactic.html");
page!(MitigationPage, MitigationView, "atlas/mitigation.html");
page!(StudiesPage, StudiesView, "atlas/studies.html");
page!(StudyPage, StudyView, "atlas/study.html");
page!(ReleasesPage, ReleasesView, "atlas/releases.html");
