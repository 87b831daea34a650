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
use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_mitigation_id;
use crate::domain::auth::Role;
use crate::domain::{IncidentDetail, Observation, Outcome, ValidationError, clean_text, limits};
use crate::export::pdf::{self, PRINT_CSP};
use crate::render::grid::{MatrixGrid, form_value};
use crate::render::heat::apply_incident_steps;
use crate::render::report::Reach;
use crate::render::retrospective::{CheckState, Checklist};
use crate::render::story::{LaneMode, StoryOptions, StoryView, step_list};
use crate::render::{Link, MatrixOptions, MatrixView, SubtechniqueMode, plain, timestamp};
use crate::store::{CheckInput, RetroNotes, Retrospective, StoreError};
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::HtmlForm;
use crate::web::pages::incidents::{load, md};
use crate::web::{AppError, AppState};

/// Longest note on a checklist row, in characters.
pub const NOTE_MAX: usize = 500;
/// Most checklist rows one save may carry.
const ROWS_MAX: usize = 500;

/// A step of the timeline.
pub struct TimelineRow {
    pub number: i64,
    pub href: String,
    pub time: Option<String>,
    pub datetime: Option<String>,
    pub tactic: Link,
    pub stage: String,
    pub technique: Link,
    pub outcome_label: &'static str,
    pub outcome_class: String,
    pub description_html: Option<String>,
}

/// Steps grouped by what the controls did.
pub struct OutcomeGroup {
    pub label: &'static str,
    pub class: String,
    pub count: usize,
    pub steps: String,
}

/// One of the three notes: the stored text rendered, and the form's text.
pub struct NoteSection {
    pub name: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub html: Option<String>,
    pub input: String,
    pub error: Option<String>,
}

/// The review document (the screen page and the PDF share it).
pub struct RetroDoc {
    pub id: String,
    pub title: String,
    pub href: String,
    pub severity_label: &'static str,
    pub severity_class: String,
    pub status_label: &'static str,
    pub status_class: String,
    pub kind_label: &'static str,
    pub occurred: Option<String>,
    pub detected: Option<String>,
    pub resolved: Option<String>,
    pub target: String,
    pub summary_html: Option<String>,
    pub reach_words: String,
    pub story: StoryView,
    pub has_steps: bool,
    pub timeline: Vec<TimelineRow>,
    pub outcomes: Vec<OutcomeGroup>,
    pub grid: MatrixGrid,
    pub unplaced: Vec<i64>,
    pub checklist: Checklist,
    pub notes: Vec<NoteSection>,
    pub version: i64,
    pub last_saved: Option<String>,
    pub prepared: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/retrospective.html")]
pub struct RetroPage {
    pub doc: RetroDoc,
    pub can_edit: bool,
    pub notice: Option<&'static str>,
    pub conflict: Option<String>,
    pub notes_error: Option<String>,
    pub checklist_error: Option<String>,
    pub notes_open: bool,
    pub paper_css: Option<&'static str>,
    pub pdf_available: bool,
    pub pdf_hint: bool,
    pub pdf_a4: String,
    pub pdf_letter: String,
}

#[derive(Template)]
#[template(path = "reports/retrospective_document.html")]
pub struct RetroDocument {
    pub doc: RetroDoc,
    /// Always false: a printed document has no forms.
    pub can_edit: bool,
    pub notes_open: bool,
    pub csp: &'static str,
    /// Our own stylesheets, inlined (trusted: files of this crate).
    pub css: String,
}

const NOTE_TITLES: [(&str, &str, &str); 3] = [
    (
        "went_well",
        "What went well",
        "Controls, people and processes that worked.",
    ),
    (
        "to_improve",
        "What to improve",
        "Gaps the attack used or that slowed the response.",
    ),
    (
        "actions",
        "Actions",
        "Who does what by when (a Markdown list works well).",
    ),
];

fn note_of<'a>(notes: &'a RetroNotes, name: &str) -> &'a str {
    match name {
        "went_well" => &notes.went_well,
        "to_improve" => &notes.to_improve,
        _ => &notes.actions,
    }
}

/// The incident's own matrix, cut to the cells and columns it used.
fn incident_grid(atlas: &ActiveAtlas, detail: &IncidentDetail) -> (MatrixGrid, Vec<i64>) {
    let mut view = MatrixView::build(
        atlas,
        &MatrixOptions {
            subtechniques: SubtechniqueMode::Collapsed,
            show_ids: false,
        },
    );
    let placed = apply_incident_steps(
        &mut view,
        detail
            .steps
            .iter()
            .map(|s| (s.tactic_id.as_str(), s.technique_id.as_str(), s.position)),
    );
    let _ = placed;
    let cells: std::collections::HashSet<(String, String)> = view
        .cells()
        .flat_map(|c| {
            std::iter::once((c.key.tactic_id.clone(), c.key.technique_id.clone())).chain(
                c.subtechniques
                    .iter()
                    .map(|s| (s.key.tactic_id.clone(), s.key.technique_id.clone())),
            )
        })
        .collect();
    let unplaced = detail
        .steps
        .iter()
        .filter(|s| !cells.contains(&(s.tactic_id.clone(), s.technique_id.clone())))
        .map(|s| s.position)
        .collect();
    let mut grid = MatrixGrid::new(view, true);
    let keep: Vec<bool> = grid.observed.iter().map(|n| *n > 0).collect();
    let mut i = 0;
    grid.view.columns.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    grid.observed.retain(|n| *n > 0);
    grid.detail_query = format!("&incident={}", form_value(&detail.incident.id));
    grid.id_prefix = "rm-";
    grid.heading = 3;
    grid.label = "The incident on the ATLAS matrix (scrolls sideways)".to_string();
    (grid, unplaced)
}

impl RetroDoc {
    pub fn build(atlas: &ActiveAtlas, detail: &IncidentDetail, saved: &Retrospective) -> RetroDoc {
        let i = &detail.incident;
        let id = form_value(&i.id);
        let mut steps: Vec<&Observation> = detail.steps.iter().collect();
        steps.sort_by_key(|s| s.position);
        let timeline = steps
            .iter()
            .map(|s| TimelineRow {
                number: s.position,
                href: format!("/incidents/{id}#step-{}", form_value(&s.id)),
                time: s.observed.map(|t| t.display()),
                datetime: s.observed.map(|t| t.input_value()),
                tactic: Link::tactic(atlas, &s.tactic_id),
                stage: plain::stage(&s.tactic_id).unwrap_or_default().to_string(),
                technique: Link::technique(atlas, &s.technique_id),
                outcome_label: s.outcome.label(),
                outcome_class: format!("inc-badge inc-outcome-{}", s.outcome.as_str()),
                description_html: md(&s.description),
            })
            .collect();
        let outcomes = Outcome::ALL
            .iter()
            .map(|o| {
                let numbers: Vec<usize> = steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.outcome == *o)
                    .map(|(n, _)| n + 1)
                    .collect();
                OutcomeGroup {
                    label: o.label(),
                    class: format!("inc-badge inc-outcome-{}", o.as_str()),
                    count: numbers.len(),
                    steps: if numbers.is_empty() {
                        "none".to_string()
                    } else {
                        step_list(&numbers)
                    },
                }
            })
            .collect();
        let reach = Reach::of_detail(atlas, detail);
        let story = StoryView::build(
            atlas,
            detail,
            StoryOptions {
                lanes: LaneMode::Reached,
                titled: false,
            },
        )
        .embedded();
        let (grid, unplaced) = incident_grid(atlas, detail);
        let notes = NOTE_TITLES
            .iter()
            .map(|(name, title, hint)| {
                let text = note_of(&saved.notes, name);
                NoteSection {
                    name,
                    title,
                    hint,
                    html: md(text),
                    input: text.to_string(),
                    error: None,
                }
            })
            .collect();
        RetroDoc {
            href: format!("/incidents/{id}"),
            id: i.id.clone(),
            title: i.title.clone(),
            severity_label: i.severity.label(),
            severity_class: format!("inc-badge inc-sev-{}", i.severity.as_str()),
            status_label: i.status.label(),
            status_class: format!("inc-badge inc-status-{}", i.status.as_str()),
            kind_label: i.kind.label(),
            occurred: i.occurred.map(|t| t.display()),
            detected: i.detected.map(|t| t.display()),
            resolved: i.resolved.map(|t| t.display()),
            target: i.target.clone(),
            summary_html: md(&i.summary),
            reach_words: if reach.steps == 0 {
                String::new()
            } else {
                format!("The attacker got as far as {}.", reach.stage_words(atlas))
            },
            has_steps: !detail.steps.is_empty(),
            story,
            timeline,
            outcomes,
            grid,
            unplaced,
            checklist: Checklist::build(atlas, &detail.steps, saved),
            notes,
            version: saved.version,
            last_saved: saved.updated_at.as_ref().map(|at| {
                format!(
                    "Last saved by {} on {} (version {}).",
                    saved.updated_by.as_deref().unwrap_or("someone"),
                    timestamp(at),
                    saved.version
                )
            }),
            prepared: format!(
                "Prepared on {} by atlasview, mapped to MITRE ATLAS {}.",
                crate::render::period::day(chrono::Utc::now()),
                atlas.version()
            ),
        }
    }
}

fn can_edit(actor: &Actor) -> bool {
    actor
        .principal
        .as_ref()
        .is_some_and(|p| p.role() >= Role::Analyst)
}

async fn saved_of(state: &AppState, id: &str) -> Result<Retrospective, AppError> {
    Ok(state.store.retrospective(id).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    saved: Option<String>,
}

fn page_of(doc: RetroDoc, actor: &Actor, paper: Option<Paper>, pdf_hint: bool) -> RetroPage {
    let id = form_value(&doc.id);
    RetroPage {
        can_edit: can_edit(actor),
        notice: None,
        conflict: None,
        notes_error: None,
        checklist_error: None,
        notes_open: false,
        paper_css: paper.map(Paper::stylesheet),
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
    let saved = saved_of(&state, &detail.incident.id).await?;
    let doc = RetroDoc::build(&state.atlas.get(), &detail, &saved);
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
    let saved = saved_of(&state, &detail.incident.id).await?;
    let doc = RetroDoc::build(&state.atlas.get(), &detail, &saved);
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

fn label_of(field: &str) -> &'static str {
    NOTE_TITLES
        .iter()
        .find(|(n, _, _)| *n == field)
        .map_or("This field", |(_, t, _)| t)
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
        ("went_well", &form.went_well),
        ("to_improve", &form.to_improve),
        ("actions", &form.actions),
    ];
    let mut errors: Vec<ValidationError> = Vec::new();
    let mut clean: Vec<String> = Vec::new();
    for (name, value) in input {
        match clean_text(name, Some(value), limits::LONG_TEXT) {
            Ok(v) => clean.push(v),
            Err(e) => {
                errors.push(e);
                clean.push(value.clone());
            }
        }
    }
    let notes = RetroNotes {
        went_well: clean[0].clone(),
        to_improve: clean[1].clone(),
        actions: clean[2].clone(),
    };
    let result = if errors.is_empty() {
        Some(
            state
                .store
                .save_retro_notes(&detail.incident.id, &notes, version, &actor.name)
                .await,
        )
    } else {
        None
    };
    let (status, conflict) = match result {
        Some(Ok(_)) => {
            return Ok(Redirect::to(&format!(
                "/incidents/{}/retrospective?saved=notes#notes",
                form_value(&detail.incident.id)
            ))
            .into_response());
        }
        Some(Err(StoreError::Conflict(m))) => (StatusCode::CONFLICT, Some(m)),
        Some(Err(e)) => return Err(e.into()),
        None => (StatusCode::UNPROCESSABLE_ENTITY, None),
    };
    // Re-render with the user's text, unsaved, beside the stored state.
    let saved = saved_of(&state, &detail.incident.id).await?;
    let mut doc = RetroDoc::build(&state.atlas.get(), &detail, &saved);
    for (section, text) in
        doc.notes
            .iter_mut()
            .zip([&form.went_well, &form.to_improve, &form.actions])
    {
        section.input = text.clone();
        section.error = errors
            .iter()
            .find(|e| e.field == section.name)
            .map(|e| format!("{} {}", label_of(&e.field), e.message));
    }
    let mut page = page_of(doc, &actor, None, false);
    page.notes_open = true;
    page.conflict = conflict.map(|_| {
        format!(
            "Someone else saved this review since you opened it (it is now at version {}). Your text is in the form below, not saved yet; the saved notes are shown above it. Combine them and save again.",
            saved.version
        )
    });
    page.notes_error = (!errors.is_empty())
        .then(|| "The notes were not saved: see the messages below.".to_string());
    Ok((status, page).into_response())
}

/// A checklist form: `version`, `mitigation` (every row shown), `in_place`
/// (the ticked rows) and `note-<mitigation ID>`.
fn parse_checklist(pairs: &[(String, String)]) -> Result<(i64, Vec<CheckInput>), AppError> {
    let mut version = None;
    let mut rows: Vec<CheckInput> = Vec::new();
    let mut ticked: Vec<&str> = Vec::new();
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
                        in_place: false,
                        note: String::new(),
                    });
                }
            }
            "in_place" => ticked.push(v.trim()),
            _ => {}
        }
    }
    if rows.len() > ROWS_MAX {
        return Err(AppError::bad_request(
            "mitigation",
            format!("mitigation: at most {ROWS_MAX} rows at once"),
        ));
    }
    for t in ticked {
        match rows.iter_mut().find(|r| r.mitigation_id == t) {
            Some(r) => r.in_place = true,
            None => {
                return Err(AppError::bad_request(
                    "in_place",
                    "in_place: names a mitigation that is not on the form",
                ));
            }
        }
    }
    for (k, v) in pairs {
        if let Some(id) = k.strip_prefix("note-")
            && let Some(r) = rows.iter_mut().find(|r| r.mitigation_id == id)
        {
            r.note = v.clone();
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
    let (version, mut rows) = parse_checklist(&pairs)?;
    let detail = load(&state, &id).await?;
    let mut problem = None;
    for r in &mut rows {
        let single_line = r.note.replace(['\r', '\n'], " ");
        match clean_text("note", Some(&single_line), NOTE_MAX) {
            Ok(n) => r.note = n,
            Err(e) => {
                problem = Some(format!("The note on {} {}", r.mitigation_id, e.message));
            }
        }
    }
    let result = match problem {
        None => Some(
            state
                .store
                .save_mitigation_checks(&detail.incident.id, &rows, version, &actor.name)
                .await,
        ),
        Some(_) => None,
    };
    let status = match result {
        Some(Ok(_)) => {
            return Ok(Redirect::to(&format!(
                "/incidents/{}/retrospective?saved=checklist#checklist",
                form_value(&detail.incident.id)
            ))
            .into_response());
        }
        Some(Err(StoreError::Conflict(_))) => StatusCode::CONFLICT,
        Some(Err(e)) => return Err(e.into()),
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let saved = saved_of(&state, &detail.incident.id).await?;
    let mut doc = RetroDoc::build(&state.atlas.get(), &detail, &saved);
    // Show the user's ticks and notes, unsaved.
    for row in &mut doc.checklist.rows {
        if let Some(input) = rows.iter().find(|r| r.mitigation_id == row.field) {
            row.checked = input.in_place;
            row.note = input.note.clone();
        }
    }
    let mut page = page_of(doc, &actor, None, false);
    if status == StatusCode::CONFLICT {
        page.conflict = Some(format!(
            "Someone else saved this review since you opened it (it is now at version {}). The checklist below shows your ticks and notes, not saved yet; the state column shows what is saved. Check them and save again.",
            saved.version
        ));
    }
    page.checklist_error = problem;
    Ok((status, page).into_response())
}

impl CheckState {
    /// Whether the saved state differs from what the form shows (after a refused save).
    pub fn differs(self, checked: &bool) -> bool {
        match self {
            CheckState::InPlace => !*checked,
            CheckState::NotInPlace | CheckState::Unreviewed => *checked,
        }
    }
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
            ("in_place", "AML.M0019"),
            ("note-AML.M0004", "planned for Q1"),
        ]))
        .unwrap();
        assert_eq!(v, 3);
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].in_place);
        assert_eq!(rows[0].note, "planned for Q1");
        assert!(rows[1].in_place);
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
    }
}
