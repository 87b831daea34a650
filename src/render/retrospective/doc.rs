//! The review document of an incident: the timeline of steps with times and
//! outcomes, the story picture, the incident on the matrix, what the
//! controls prevented, detected and missed, the mitigation checklist, and the
//! team's notes (what went well, what to improve, actions).

use std::collections::HashSet;

use super::checklist::Checklist;
use crate::atlas::{ActiveAtlas, markdown};
use crate::domain::{IncidentDetail, Observation, Outcome};
use crate::render::grid::{MatrixGrid, form_value};
use crate::render::heat::apply_incident_steps;
use crate::render::report::Reach;
use crate::render::story::{LaneMode, StoryOptions, StoryView, step_list};
use crate::render::{Link, MatrixOptions, MatrixView, SubtechniqueMode, plain, timestamp};
use crate::store::{RetroNotes, Retrospective};

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
pub struct RetroDocView {
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

/// The notes: form name, title, hint.
pub const NOTE_TITLES: [(&str, &str, &str); 3] = [
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
        "One action per list item, with its owner and status: `- [ ] Rotate the API keys @alice` (tick `[x]` when done). The briefing lists them.",
    ),
];

/// A note's title by its form name ("This field" for an unknown one).
pub fn note_label(field: &str) -> &'static str {
    NOTE_TITLES
        .iter()
        .find(|(n, _, _)| *n == field)
        .map_or("This field", |(_, t, _)| t)
}

fn note_of<'a>(notes: &'a RetroNotes, name: &str) -> &'a str {
    match name {
        "went_well" => &notes.went_well,
        "to_improve" => &notes.to_improve,
        _ => &notes.actions,
    }
}

/// Markdown to safe HTML, `None` for blank text.
fn md(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| markdown::render(text))
}

/// The steps in story order.
fn ordered(detail: &IncidentDetail) -> Vec<&Observation> {
    let mut steps: Vec<&Observation> = detail.steps.iter().collect();
    steps.sort_by_key(|s| s.position);
    steps
}

/// Every (tactic, technique) the matrix view shows a cell for.
fn placed_cells(view: &MatrixView) -> HashSet<(String, String)> {
    view.cells()
        .flat_map(|c| {
            std::iter::once((c.key.tactic_id.clone(), c.key.technique_id.clone())).chain(
                c.subtechniques
                    .iter()
                    .map(|s| (s.key.tactic_id.clone(), s.key.technique_id.clone())),
            )
        })
        .collect()
}

/// The incident's own matrix, cut to the columns it used, and the steps it
/// could not place.
fn incident_grid(atlas: &ActiveAtlas, detail: &IncidentDetail) -> (MatrixGrid, Vec<i64>) {
    let options = MatrixOptions {
        subtechniques: SubtechniqueMode::Collapsed,
        show_ids: false,
    };
    let mut view = MatrixView::build(atlas, &options);
    apply_incident_steps(
        &mut view,
        detail
            .steps
            .iter()
            .map(|s| (s.tactic_id.as_str(), s.technique_id.as_str(), s.position)),
    );
    let cells = placed_cells(&view);
    let unplaced = detail
        .steps
        .iter()
        .filter(|s| !cells.contains(&(s.tactic_id.clone(), s.technique_id.clone())))
        .map(|s| s.position)
        .collect();
    (
        used_columns(MatrixGrid::new(view, true), &detail.incident.id),
        unplaced,
    )
}

fn used_columns(mut grid: MatrixGrid, incident_id: &str) -> MatrixGrid {
    let mut keep = grid.observed.iter().map(|n| *n > 0);
    grid.view.columns.retain(|_| keep.next().unwrap_or(false));
    grid.observed.retain(|n| *n > 0);
    grid.detail_query = format!("&incident={}", form_value(incident_id));
    grid.id_prefix = "rm-";
    grid.heading = 3;
    grid.label = "The incident on the ATLAS matrix (scrolls sideways)".to_string();
    grid
}

fn timeline(atlas: &ActiveAtlas, id: &str, steps: &[&Observation]) -> Vec<TimelineRow> {
    steps
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
        .collect()
}

fn outcomes(steps: &[&Observation]) -> Vec<OutcomeGroup> {
    Outcome::ALL
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
        .collect()
}

fn notes(saved: &RetroNotes) -> Vec<NoteSection> {
    NOTE_TITLES
        .iter()
        .map(|(name, title, hint)| {
            let text = note_of(saved, name);
            NoteSection {
                name,
                title,
                hint,
                html: md(text),
                input: text.to_string(),
                error: None,
            }
        })
        .collect()
}

fn last_saved(saved: &Retrospective) -> Option<String> {
    saved.updated_at.as_ref().map(|at| {
        format!(
            "Last saved by {} on {} (version {}).",
            saved.updated_by.as_deref().unwrap_or("someone"),
            timestamp(at),
            saved.version
        )
    })
}

fn story(atlas: &ActiveAtlas, detail: &IncidentDetail) -> StoryView {
    let options = StoryOptions {
        lanes: LaneMode::Reached,
        titled: false,
    };
    StoryView::build(atlas, detail, options).embedded()
}

impl RetroDocView {
    pub fn build(atlas: &ActiveAtlas, detail: &IncidentDetail, saved: &Retrospective) -> Self {
        let i = &detail.incident;
        let id = form_value(&i.id);
        let steps = ordered(detail);
        let reach = Reach::of_detail(atlas, detail);
        let (grid, unplaced) = incident_grid(atlas, detail);
        RetroDocView {
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
            reach_words: reach_words(atlas, &reach),
            has_steps: !detail.steps.is_empty(),
            story: story(atlas, detail),
            timeline: timeline(atlas, &id, &steps),
            outcomes: outcomes(&steps),
            grid,
            unplaced,
            checklist: Checklist::build(atlas, &detail.steps, saved),
            notes: notes(&saved.notes),
            version: saved.version,
            last_saved: last_saved(saved),
            prepared: prepared(atlas),
        }
    }
}

fn reach_words(atlas: &ActiveAtlas, reach: &Reach) -> String {
    if reach.steps == 0 {
        String::new()
    } else {
        format!("The attacker got as far as {}.", reach.stage_words(atlas))
    }
}

fn prepared(atlas: &ActiveAtlas) -> String {
    format!(
        "Prepared on {} by atlasview, mapped to MITRE ATLAS {}.",
        crate::render::period::day(chrono::Utc::now()),
        atlas.version()
    )
}
