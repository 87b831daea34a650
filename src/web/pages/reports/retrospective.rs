//! The incident retrospective (`/incidents/{id}/retrospective`): a printable
//! document for the post-incident review: the timeline of steps with times
//! and outcomes, the story picture, the incident on the matrix, what the
//! controls prevented, detected and missed, every ATLAS mitigation of the
//! observed techniques with whether it was in place (recorded per incident),
//! and the team's notes (what went well, what to improve, actions).
//!
//! Notes and checklist are saved by plain form POSTs (analysts) under one
//! optimistic version: a save made from a stale page is refused with 409 and
//! the page comes back with the other person's saved state and the user's
//! own input, unsaved, to reconcile. Saves are audited
//! (`incident.retrospective`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::briefing::{pdf_error, pdf_response, print_view};
use super::{Paper, ReportParams};
use crate::atlas::ids::is_mitigation_id;
use crate::domain::auth::Role;
use crate::domain::{CheckState, IncidentDetail};
use crate::export::pdf::{self, PRINT_CSP};
use crate::render::grid::form_value;
use crate::render::retrospective::{RetroDocView, note_label};
use crate::service::retrospectives::{self, RetroSaveError};
use crate::store::{CheckInput, Retrospective};
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::HtmlForm;
use crate::web::pages::incidents::load;
use crate::web::{AppError, AppState};

/// Most checklist rows one save may carry.
const ROWS_MAX: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "reports/retrospective.html")]
pub struct RetroPage {
    pub doc: RetroDocView,
    pub can_edit: bool,
    pub notice: Option<&'static str>,
    pub conflict: Option<String>,
    pub notes_error: Option<String>,
    pub checklist_error: Option<String>,
    pub notes_open: bool,
    /// The page's own stylesheets (`web::assets::PAGE_SHEETS`), with the
    /// paper size when one is chosen.
    pub paper_sheets: &'static str,
    pub pdf_available: bool,
    pub pdf_hint: bool,
    pub pdf_a4: String,
    pub pdf_letter: String,
}

#[derive(Template)]
#[template(path = "reports/retrospective_document.html")]
pub struct RetroDocument {
    pub doc: RetroDocView,
    /// Always false: a printed document has no forms.
    pub can_edit: bool,
    pub notes_open: bool,
    pub csp: &'static str,
    /// Our own stylesheets, inlined (trusted: files of this crate).
    pub css: String,
}

fn can_edit(actor: &Actor) -> bool {
    actor
        .principal
        .as_ref()
        .is_some_and(|p| p.role() >= Role::Analyst)
}

async fn saved_of(state: &AppState, id: &str) -> Result<Retrospective, AppError> {
    Ok(retrospectives::load(&state.store, id).await?)
}

async fn doc_of(state: &AppState, detail: &IncidentDetail) -> Result<RetroDocView, AppError> {
    let saved = saved_of(state, &detail.incident.id).await?;
    Ok(RetroDocView::build(&state.atlas.get(), detail, &saved))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    saved: Option<String>,
}

fn page_of(doc: RetroDocView, actor: &Actor, paper: Option<Paper>, pdf_hint: bool) -> RetroPage {
    let id = form_value(&doc.id);
    RetroPage {
        can_edit: can_edit(actor),
        notice: None,
        conflict: None,
        notes_error: None,
        checklist_error: None,
        notes_open: false,
        paper_sheets: match paper {
            None => "story.css reports.css retrospective.css",
            Some(Paper::A4) => "story.css reports.css retrospective.css paper-a4.css",
            Some(Paper::Letter) => "story.css reports.css retrospective.css paper-letter.css",
        },
        pdf_available: pdf::chromium().is_some(),
        pdf_hint,
        pdf_a4: format!("/incidents/{id}/retrospective.pdf?paper=a4"),
        pdf_letter: format!("/incidents/{id}/retrospective.pdf?paper=letter"),
        doc,
    }
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    actor: Actor,
) -> Result<RetroPage, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let paper = params.paper()?;
    let q: PageQuery = serde_html_form::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let detail = load(&state, &id).await?;
    let doc = doc_of(&state, &detail).await?;
    let mut page = page_of(doc, &actor, paper, params.pdf_unavailable());
    page.notice = match q.saved.as_deref() {
        Some("notes") => Some("The review notes were saved."),
        Some("checklist") => Some("The mitigation checklist was saved."),
        _ => None,
    };
    Ok(page)
}

/// A GET on a form's action (a reload after a refused save): the page.
pub async fn back_to_page(Path(id): Path<String>) -> Redirect {
    Redirect::to(&format!("/incidents/{}/retrospective", form_value(&id)))
}

pub async fn pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = ReportParams::parse(raw.as_deref())?;
    let paper = params.paper()?.unwrap_or(Paper::A4);
    let detail = load(&state, &id).await?;
    let path = format!(
        "/incidents/{}/retrospective",
        form_value(&detail.incident.id)
    );
    let Some(chromium) = pdf::chromium() else {
        return Ok(Redirect::to(&print_view(&path, raw.as_deref(), paper)).into_response());
    };
    let doc = doc_of(&state, &detail).await?;
    let mut css = pdf::base_css();
    css.push_str(include_str!("../../../../static/retrospective.css"));
    css.push_str(paper.css());
    let html = RetroDocument {
        doc,
        can_edit: false,
        notes_open: false,
        csp: PRINT_CSP,
        css,
    }
    .render()
    .map_err(|e| AppError::Internal(format!("retrospective document: {e}")))?;
    let bytes = pdf::print(&chromium, &html).await.map_err(pdf_error)?;
    let safe: String = detail
        .incident
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    Ok(pdf_response(
        bytes,
        &format!("{safe}-retrospective-{}.pdf", paper.as_str()),
    ))
}

// ------------------------------------------------------------------ saving

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NotesForm {
    pub version: String,
    pub went_well: String,
    pub to_improve: String,
    pub actions: String,
}

fn version_of(raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| AppError::bad_request("version", "version: a whole number is required"))
}

pub async fn save_notes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
    HtmlForm(form): HtmlForm<NotesForm>,
) -> Result<Response, AppError> {
    let version = version_of(&form.version)?;
    let detail = load(&state, &id).await?;
    let input = [
        form.went_well.as_str(),
        form.to_improve.as_str(),
        form.actions.as_str(),
    ];
    let saved = retrospectives::save_notes(
        &state.store,
        &detail.incident.id,
        input,
        version,
        &actor.name,
    )
    .await;
    let (status, problem) = match saved {
        Ok(_) => return Ok(saved_redirect(&detail, "notes")),
        Err(e) => refused(e)?,
    };
    let page = refused_notes(&state, &detail, &actor, input, &problem).await?;
    Ok((status, page).into_response())
}

/// The page again with the notes as sent and why they were not saved.
async fn refused_notes(
    state: &AppState,
    detail: &IncidentDetail,
    actor: &Actor,
    input: [&str; 3],
    problem: &Refusal,
) -> Result<RetroPage, AppError> {
    let mut doc = doc_of(state, detail).await?;
    for (section, text) in doc.notes.iter_mut().zip(input) {
        section.input = text.to_string();
        section.error = problem
            .errors
            .iter()
            .find(|e| e.field == section.name)
            .map(|e| format!("{} {}", note_label(&e.field), e.message));
    }
    let mut page = page_of(doc, actor, None, false);
    page.notes_open = true;
    page.conflict = problem.conflict.then(|| format!(
        "Someone else saved this review since you opened it (it is now at version {}). Your text is in the form below, not saved yet; the saved notes are shown above it. Combine them and save again.",
        page.doc.version
    ));
    page.notes_error = (!problem.errors.is_empty())
        .then(|| "The notes were not saved: see the messages below.".to_string());
    Ok(page)
}

/// What a refused save shows.
struct Refusal {
    conflict: bool,
    errors: Vec<crate::domain::ValidationError>,
}

/// The status and page notes of a refused save (a store failure is an error).
fn refused(e: RetroSaveError) -> Result<(StatusCode, Refusal), AppError> {
    match e {
        RetroSaveError::Invalid(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal {
                conflict: false,
                errors,
            },
        )),
        RetroSaveError::Conflict(_) => Ok((
            StatusCode::CONFLICT,
            Refusal {
                conflict: true,
                errors: Vec::new(),
            },
        )),
        RetroSaveError::Store(e) => Err(e.into()),
    }
}

fn saved_redirect(detail: &IncidentDetail, what: &str) -> Response {
    Redirect::to(&format!(
        "/incidents/{}/retrospective?saved={what}#{what}",
        form_value(&detail.incident.id)
    ))
    .into_response()
}

/// A checklist form: `version`, `mitigation` (every row shown),
/// `state-<mitigation ID>` (`in_place`, `not_in_place` or `unreviewed`; a
/// row without one keeps its saved state), `note-<mitigation ID>`, and, from
/// forms of the old two-state checklist, `in_place=<mitigation ID>` for a
/// ticked row (an unticked row is then left as it is, never "not in place").
fn parse_checklist(pairs: &[(String, String)]) -> Result<(i64, Vec<CheckInput>), AppError> {
    let mut version = None;
    let mut rows: Vec<CheckInput> = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "version" => version = Some(version_of(v)?),
            "mitigation" => {
                let id = v.trim();
                if !is_mitigation_id(id) {
                    return Err(AppError::bad_request(
                        "mitigation",
                        "mitigation: an ATLAS mitigation ID such as AML.M0004 is required",
                    ));
                }
                if !rows.iter().any(|r| r.mitigation_id == id) {
                    rows.push(CheckInput {
                        mitigation_id: id.to_string(),
                        state: None,
                        note: String::new(),
                    });
                }
            }
            _ => {}
        }
    }
    if rows.len() > ROWS_MAX {
        return Err(AppError::bad_request(
            "mitigation",
            format!("mitigation: at most {ROWS_MAX} rows at once"),
        ));
    }
    for (k, v) in pairs {
        let (field, id, state) = if k == "in_place" {
            ("in_place", v.trim(), Some(CheckState::InPlace))
        } else if let Some(id) = k.strip_prefix("state-") {
            let state = CheckState::parse(v.trim()).ok_or_else(|| {
                AppError::bad_request(
                    "state",
                    format!("state-{id}: must be in_place, not_in_place or unreviewed"),
                )
            })?;
            ("state", id, Some(state))
        } else if let Some(id) = k.strip_prefix("note-") {
            ("note", id, None)
        } else {
            continue;
        };
        let Some(row) = rows.iter_mut().find(|r| r.mitigation_id == id) else {
            return Err(AppError::bad_request(
                field,
                format!("{field}: names a mitigation that is not on the form"),
            ));
        };
        match state {
            Some(s) => row.state = Some(s),
            None => row.note = v.clone(),
        }
    }
    let version = version
        .ok_or_else(|| AppError::bad_request("version", "version: a whole number is required"))?;
    Ok((version, rows))
}

pub async fn save_checklist(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
    HtmlForm(pairs): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (version, rows) = parse_checklist(&pairs)?;
    let detail = load(&state, &id).await?;
    let saved = retrospectives::save_checklist(
        &state.store,
        &detail.incident.id,
        rows.clone(),
        version,
        &actor.name,
    )
    .await;
    let (status, problem) = match saved {
        Ok(_) => return Ok(saved_redirect(&detail, "checklist")),
        Err(e) => refused(e)?,
    };
    let mut doc = doc_of(&state, &detail).await?;
    // Show the user's choices and notes, unsaved.
    for row in &mut doc.checklist.rows {
        if let Some(input) = rows.iter().find(|r| r.mitigation_id == row.field) {
            row.choice = input.state.or(row.choice);
            row.note = input.note.clone();
        }
    }
    let mut page = page_of(doc, &actor, None, false);
    page.conflict = problem.conflict.then(|| format!(
        "Someone else saved this review since you opened it (it is now at version {}). The checklist below shows your choices and notes, not saved yet; the state column shows what is saved. Check them and save again.",
        page.doc.version
    ));
    page.checklist_error = (!problem.errors.is_empty()).then(|| {
        let all: Vec<String> = problem.errors.iter().map(|e| e.message.clone()).collect();
        all.join(" ")
    });
    Ok((status, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn checklist_forms_are_read_row_by_row() {
        let (v, rows) = parse_checklist(&pairs(&[
            ("version", "3"),
            ("mitigation", "AML.M0004"),
            ("mitigation", "AML.M0019"),
            ("mitigation", "AML.M0020"),
            ("state-AML.M0019", "in_place"),
            ("state-AML.M0020", "not_in_place"),
            ("note-AML.M0004", "planned for Q1"),
        ]))
        .unwrap();
        assert_eq!(v, 3);
        assert_eq!(rows.len(), 3);
        // No choice made: nothing is claimed about the row.
        assert_eq!(rows[0].state, None);
        assert_eq!(rows[0].note, "planned for Q1");
        assert_eq!(rows[1].state, Some(CheckState::InPlace));
        assert_eq!(rows[2].state, Some(CheckState::NotInPlace));
    }

    #[test]
    fn an_old_two_state_form_leaves_unticked_rows_alone() {
        let (_, rows) = parse_checklist(&pairs(&[
            ("version", "1"),
            ("mitigation", "AML.M0004"),
            ("mitigation", "AML.M0019"),
            ("in_place", "AML.M0019"),
        ]))
        .unwrap();
        assert_eq!(rows[0].state, None);
        assert_eq!(rows[1].state, Some(CheckState::InPlace));
    }

    #[test]
    fn bad_checklist_forms_are_refused() {
        assert!(parse_checklist(&pairs(&[("mitigation", "AML.M0004")])).is_err());
        assert!(parse_checklist(&pairs(&[("version", "1"), ("mitigation", "x")])).is_err());
        assert!(
            parse_checklist(&pairs(&[
                ("version", "1"),
                ("mitigation", "AML.M0004"),
                ("in_place", "AML.M0005")
            ]))
            .is_err()
        );
        assert!(parse_checklist(&pairs(&[("version", "-1")])).is_err());
        let bad_state = parse_checklist(&pairs(&[
            ("version", "1"),
            ("mitigation", "AML.M0004"),
            ("state-AML.M0004", "maybe"),
        ]));
        assert!(bad_state.is_err());
        assert!(
            parse_checklist(&pairs(&[
                ("version", "1"),
                ("mitigation", "AML.M0004"),
                ("state-AML.M0005", "in_place")
            ]))
            .is_err()
        );
    }
}
