//! The steps of an incident: adding and editing one (a two-stage form without
//! JavaScript: choose the tactic, then one of its techniques), deleting one,
//! and moving one up or down the attack path.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::detail::VersionForm;
use super::{
    Choice, Failure, Field, HtmlForm, Opt, Problem, Problems, all_errors, conflict_text,
    is_version_clash, load, parse_query, parse_version, see_other, sentence, shorten,
    vocabulary_options, with_status,
};
use crate::atlas::ActiveAtlas;
use crate::atlas::active::fold_name;
use crate::domain::{IncidentDetail, Observation, Outcome, StepInput, StepSource, ValidationError};
use crate::service::incidents as uc;
use crate::store::StoreError;
use crate::web::{AppError, AppState};

/// The step form as submitted (or as carried through the tactic reload).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub tactic: String,
    pub technique: String,
    pub observed_at: String,
    pub description: String,
    pub evidence: String,
    pub confidence: String,
    pub outcome: String,
    pub source: String,
    pub position: String,
    pub version: String,
    /// `step` from "Save and add another step"; in the new form's query, the
    /// step just added (`added`), for the notice.
    pub next: String,
    pub added: String,
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// A whole number from a form input; `None` when blank.
fn number(field: &str, text: &str, what: &str) -> Result<Option<i64>, ValidationError> {
    let t = text.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| {
        ValidationError::new(
            field,
            format!("`{}` is not {what}", shorten(text.trim(), 20)),
        )
    })
}

impl StepForm {
    fn from_observation(o: &Observation, version: i64) -> Self {
        StepForm {
            tactic: o.tactic_id.clone(),
            technique: o.technique_id.clone(),
            observed_at: o.observed.map(|t| t.input_value()).unwrap_or_default(),
            description: o.description.clone(),
            evidence: o.evidence.clone(),
            confidence: o.confidence.map(|c| c.to_string()).unwrap_or_default(),
            outcome: o.outcome.as_str().to_string(),
            source: o.source.as_str().to_string(),
            position: o.position.to_string(),
            version: version.to_string(),
            ..StepForm::default()
        }
    }

    /// Defaults for a new step; values carried through the tactic reload win.
    fn or_defaults(mut self, version: i64) -> Self {
        if self.outcome.trim().is_empty() {
            self.outcome = Outcome::Unknown.as_str().to_string();
        }
        if self.source.trim().is_empty() {
            self.source = StepSource::Manual.as_str().to_string();
        }
        if self.version.trim().is_empty() {
            self.version = version.to_string();
        }
        self
    }

    /// What the picker's one field holds, as an ID: an ID in any spelling,
    /// the current name, "Parent: Child" or a name from an older stored
    /// release. Text that names nothing is left as typed, for validation to
    /// name. A blank tactic is taken from the technique when it serves one.
    fn resolve(mut self, atlas: &ActiveAtlas, earlier: &EarlierNames) -> Self {
        let typed = self.technique.trim();
        let found = atlas
            .find_technique(typed)
            .map(|t| t.id.clone())
            .or_else(|| earlier.find(typed));
        if let Some(id) = found {
            self.technique = id;
        }
        if self.tactic.trim().is_empty()
            && let Some(t) = atlas.technique(self.technique.trim())
            && let [only] = t.tactics.as_slice()
        {
            self.tactic = only.clone();
        }
        self
    }

    /// After the tactic reload: a technique chosen for another tactic is dropped.
    fn for_tactic(mut self, atlas: &ActiveAtlas) -> Self {
        let tactic = self.tactic.trim();
        if atlas.tactic(tactic).is_some() && !atlas.serves(self.technique.trim(), tactic) {
            self.technique.clear();
        }
        self
    }

    /// The service's input and every shape problem of the form (a number that
    /// does not parse is one, on its field). The version was checked by the handler.
    fn to_input(&self, version: Option<i64>) -> (StepInput, Problems) {
        let mut errors = Vec::new();
        let mut read = |field: &str, text: &str, what: &str| {
            number(field, text, what).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let confidence = read(
            "confidence",
            &self.confidence,
            "a whole number from 0 to 100",
        );
        let position = read("position", &self.position, "a step number");
        let input = StepInput {
            tactic: some(&self.tactic),
            technique: some(&self.technique),
            observed_at: some(&self.observed_at),
            description: some(&self.description),
            evidence: some(&self.evidence),
            confidence,
            outcome: some(&self.outcome),
            source: some(&self.source),
            position,
            version,
        };
        errors.extend(all_errors(
            &input,
            |i: &StepInput| i.validate(""),
            neutralize,
        ));
        errors.sort_by_key(|e| {
            FIELD_ORDER
                .iter()
                .position(|f| *f == e.field)
                .unwrap_or(FIELD_ORDER.len())
        });
        (
            input,
            Problems {
                items: errors.iter().map(problem_of).collect(),
            },
        )
    }
}

/// Technique names from every stored release, folded for comparison:
/// `(folded name, id)` for the own name and the "Parent: Child" form.
#[derive(Debug, Default)]
pub struct EarlierNames {
    names: Vec<(String, String, String)>,
}

impl EarlierNames {
    async fn load(state: &AppState) -> Result<Self, AppError> {
        let rows = crate::service::releases::technique_names_anywhere(&state.store).await?;
        let mut names = Vec::new();
        for (id, name, parent) in rows {
            let shown = match parent {
                Some(p) => format!("{p}: {name}"),
                None => name,
            };
            names.push((fold_name(&shown), id, shown));
        }
        Ok(EarlierNames { names })
    }

    /// The ID a name from any stored release stands for (the newest ID sorts last
    /// but every release keeps one ID per technique, so the first match serves).
    fn find(&self, typed: &str) -> Option<String> {
        let wanted = fold_name(typed);
        if wanted.is_empty() {
            return None;
        }
        self.names
            .iter()
            .find(|(n, _, _)| *n == wanted)
            .map(|(_, id, _)| id.clone())
    }
}

/// The inputs in the order the form shows them.
const FIELD_ORDER: [&str; 9] = [
    "tactic",
    "technique",
    "observed_at",
    "outcome",
    "confidence",
    "description",
    "evidence",
    "position",
    "source",
];

/// Replaces the field a validation error names with a value that passes.
fn neutralize(input: &mut StepInput, field: &str) -> bool {
    match field {
        // Well-formed stand-ins: only the shape is being checked here.
        "tactic" => input.tactic = some("AML.TA0000"),
        "technique" => input.technique = some("AML.T0000"),
        "observed_at" => input.observed_at = None,
        "description" => input.description = None,
        "evidence" => input.evidence = None,
        "confidence" => input.confidence = None,
        "outcome" => input.outcome = None,
        "source" => input.source = None,
        _ => return false,
    }
    true
}

fn problem_of(e: &ValidationError) -> Problem {
    let label = match e.field.as_str() {
        "tactic" => "Tactic",
        "technique" => "Technique",
        "observed_at" => "Observed",
        "description" => "Description",
        "evidence" => "Evidence",
        "confidence" => "Confidence",
        "outcome" => "Outcome",
        "source" => "Source",
        "position" => "Position",
        other => return Problem::general(sentence(other, &e.message)),
    };
    Problem::on(&e.field, label, &e.message)
}

/// One suggestion of the technique picker.
pub struct PickOption {
    /// What the field receives: the technique ID.
    value: String,
    /// What the person reads and types: "Parent: Child", or an earlier name.
    label: String,
    /// The tactics it serves, space-separated (the script fills the tactic from them).
    tactics: String,
}

/// The picker's suggestions: every technique of `tactic` (all when none is
/// chosen) in matrix order, each sub-technique after its parent, then the
/// names techniques had in older stored releases.
fn pick_options(
    atlas: &ActiveAtlas,
    tactic: Option<&str>,
    earlier: &EarlierNames,
) -> Vec<PickOption> {
    let serves =
        |t: &crate::atlas::Technique| tactic.is_none_or(|x| t.tactics.iter().any(|y| y == x));
    let option = |t: &crate::atlas::Technique, label: String| PickOption {
        value: t.id.clone(),
        label,
        tactics: t.tactics.join(" "),
    };
    let mut seen = std::collections::HashSet::new();
    let mut options = Vec::new();
    for t in atlas
        .release
        .techniques
        .iter()
        .filter(|t| t.parent.is_none())
    {
        if !serves(t) {
            continue;
        }
        if seen.insert(t.id.clone()) {
            options.push(option(t, atlas.display_name(t)));
        }
        for sub in atlas.subtechniques(&t.id).filter(|s| serves(s)) {
            if seen.insert(sub.id.clone()) {
                options.push(option(sub, atlas.display_name(sub)));
            }
        }
    }
    let mut named = std::collections::HashSet::new();
    for (folded, id, shown) in &earlier.names {
        let Some(t) = atlas.technique(id).filter(|t| serves(t)) else {
            continue;
        };
        if fold_name(&atlas.display_name(t)) != *folded && named.insert(folded.clone()) {
            options.push(option(t, format!("{shown} (earlier name)")));
        }
    }
    options
}

/// Whether the form is for a new step or an existing one.
pub struct StepRef {
    number: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/step_form.html")]
pub struct StepFormPage {
    /// "Step 2 added: …" after "Save and add another step".
    added: Option<String>,
    incident_id: String,
    incident_title: String,
    step: Option<StepRef>,
    action: String,
    reload_action: String,
    problems: Problems,
    conflict: Option<String>,
    tactic: Choice,
    /// The chosen tactic's name, once a known tactic is chosen.
    tactic_name: Option<String>,
    /// The picker's one text field (an ID or a name).
    technique: Field,
    /// The name of the technique the field holds, when it is a known ID.
    technique_name: Option<String>,
    /// The tactics that technique serves, space-separated.
    technique_tactics: String,
    /// The `<datalist>` behind the field.
    options: Vec<PickOption>,
    observed_at: Field,
    description: Field,
    evidence: Field,
    confidence: Field,
    outcome: Choice,
    source: Choice,
    position: Choice,
    version: String,
    active_version: String,
    release_note: Option<String>,
}

impl StepFormPage {
    fn build(
        atlas: &ActiveAtlas,
        detail: &IncidentDetail,
        step: Option<&Observation>,
        form: &StepForm,
        problems: Problems,
        conflict: Option<String>,
        earlier: &EarlierNames,
    ) -> Self {
        let p = &problems;
        let id = &detail.incident.id;
        let tactic_id = form.tactic.trim();
        let technique_id = form.technique.trim();
        let chosen = atlas.tactic(tactic_id);

        let mut tactic_options = vec![Opt::new("", "Choose a tactic", tactic_id)];
        // A known technique without a tactic yet: only the tactics it serves.
        let serves_some = |id: &str| match atlas.technique(technique_id) {
            Some(t) if tactic_id.is_empty() => t.tactics.iter().any(|x| x == id),
            _ => true,
        };
        tactic_options.extend(
            atlas
                .tactics()
                .iter()
                .filter(|t| serves_some(&t.id))
                .map(|t| Opt::new(t.id.clone(), format!("{} ({})", t.name, t.id), tactic_id)),
        );
        if !tactic_id.is_empty() && chosen.is_none() {
            tactic_options.push(Opt {
                value: tactic_id.to_string(),
                label: shorten(tactic_id, 40),
                selected: true,
            });
        }

        let options = pick_options(atlas, chosen.map(|t| t.id.as_str()), earlier);
        let technique = Field::new("technique", &form.technique, p);
        let technique_tactics: Vec<String> = atlas
            .technique(technique_id)
            .map(|t| t.tactics.clone())
            .unwrap_or_default();

        let count = detail.steps.len();
        let name_of = |o: &Observation| technique_name(atlas, &o.technique_id);
        let position_options = match step {
            None => {
                let mut opts = vec![Opt::new(
                    "",
                    format!("At the end (step {})", count + 1),
                    form.position.trim(),
                )];
                opts.extend(detail.steps.iter().map(|s| {
                    Opt::new(
                        s.position.to_string(),
                        format!("Before step {}: {}", s.position, name_of(s)),
                        form.position.trim(),
                    )
                }));
                opts
            }
            Some(current) => detail
                .steps
                .iter()
                .map(|s| {
                    let label = if s.id == current.id {
                        format!("Step {} (where it is now)", s.position)
                    } else {
                        format!("Step {} (now {})", s.position, name_of(s))
                    };
                    Opt::new(s.position.to_string(), label, form.position.trim())
                })
                .collect(),
        };

        let (action, reload_action) = match step {
            Some(s) => (
                format!("/incidents/{id}/steps/{}", s.id),
                format!("/incidents/{id}/steps/{}/form", s.id),
            ),
            None => (
                format!("/incidents/{id}/steps"),
                format!("/incidents/{id}/steps/form"),
            ),
        };
        let release_note = (detail.incident.atlas_release != atlas.version()).then(|| {
            format!(
                "This incident is mapped to ATLAS {}; the lists show the active release, {}. A technique is accepted when it serves the tactic in ATLAS {}.",
                detail.incident.atlas_release,
                atlas.version(),
                detail.incident.atlas_release
            )
        });
        let added = detail.steps.iter().find(|s| s.id == form.added.trim());
        StepFormPage {
            added: added.map(|s| format!("Step {} added: {}.", s.position, name_of(s))),
            incident_id: id.clone(),
            incident_title: detail.incident.title.clone(),
            step: step.map(|s| StepRef { number: s.position }),
            action,
            reload_action,
            tactic: Choice::new("tactic", tactic_options, p),
            tactic_name: chosen.map(|t| t.name.clone()),
            technique,
            technique_name: atlas.technique(technique_id).map(|t| atlas.display_name(t)),
            technique_tactics: technique_tactics.join(" "),
            options,
            observed_at: Field::new("observed_at", &form.observed_at, p),
            description: Field::new("description", &form.description, p),
            evidence: Field::new("evidence", &form.evidence, p),
            confidence: Field::new("confidence", &form.confidence, p),
            outcome: Choice::new(
                "outcome",
                vocabulary_options(
                    Outcome::ALL,
                    Outcome::as_str,
                    Outcome::label,
                    or(&form.outcome, Outcome::Unknown.as_str()),
                ),
                p,
            ),
            source: Choice::new(
                "source",
                vocabulary_options(
                    StepSource::ALL,
                    StepSource::as_str,
                    StepSource::label,
                    or(&form.source, StepSource::Manual.as_str()),
                ),
                p,
            ),
            position: Choice::new("position", position_options, p),
            version: match (&conflict, detail.incident.version) {
                // After the notice, submitting again applies the step to the current version.
                (Some(_), v) => v.to_string(),
                (None, _) => form.version.clone(),
            },
            active_version: atlas.version().to_string(),
            release_note,
            problems,
            conflict,
        }
    }
}

/// `text`, or `default` when it is blank (a form that left the field out).
fn or<'a>(text: &'a str, default: &'a str) -> &'a str {
    if text.trim().is_empty() {
        default
    } else {
        text
    }
}

/// A technique's display name ("Parent: Child"), the bare ID when unknown.
fn technique_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .technique(id)
        .map_or_else(|| id.to_string(), |t| atlas.display_name(t))
}

pub(super) fn find_step<'a>(
    detail: &'a IncidentDetail,
    step_id: &str,
) -> Result<&'a Observation, AppError> {
    detail
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .ok_or_else(|| {
            AppError::NotFound(format!("Step “{}” of this incident", shorten(step_id, 40)))
        })
}

pub async fn new_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StepFormPage, AppError> {
    let form = parse_query::<StepForm>(raw.as_deref())?;
    reloaded(&state, &id, None, Some(form)).await
}

pub async fn edit_page(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<StepFormPage, AppError> {
    // A query string is the form carried through a tactic reload (old links).
    let form = match raw.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => Some(parse_query::<StepForm>(Some(q))?),
        None => None,
    };
    reloaded(&state, &id, Some(&step_id), form).await
}

/// The step form (new when `step_id` is none), filled from `form` when the
/// form was carried through the tactic reload, else the defaults or the step.
pub(super) async fn reloaded(
    state: &AppState,
    id: &str,
    step_id: Option<&str>,
    form: Option<StepForm>,
) -> Result<StepFormPage, AppError> {
    let detail = load(state, id).await?;
    let step = step_id.map(|s| find_step(&detail, s)).transpose()?;
    let atlas = state.atlas.get();
    let earlier = EarlierNames::load(state).await?;
    let form = match (form, step) {
        (None, Some(step)) => StepForm::from_observation(step, detail.incident.version),
        (form, _) => form
            .unwrap_or_default()
            .or_defaults(detail.incident.version)
            .resolve(&atlas, &earlier)
            .for_tactic(&atlas),
    };
    Ok(StepFormPage::build(
        &atlas,
        &detail,
        step,
        &form,
        Problems::default(),
        None,
        &earlier,
    ))
}

/// Why a step write did not happen.
enum Refusal {
    /// The form's own problems, found before calling the service.
    Shape(Problems),
    Failed(Failure),
}

/// Re-renders the form after a refused write.
fn rejected(
    atlas: &ActiveAtlas,
    detail: &IncidentDetail,
    step: Option<&Observation>,
    form: &StepForm,
    refusal: Refusal,
    earlier: &EarlierNames,
) -> Result<Response, AppError> {
    let (status, problems, conflict) = match refusal {
        Refusal::Shape(problems) => (StatusCode::UNPROCESSABLE_ENTITY, problems, None),
        Refusal::Failed(Failure::Invalid(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Problems::one(problem_of(&e)),
            None,
        ),
        Refusal::Failed(Failure::Conflict(_)) => {
            let yours = form.version.trim().parse().ok();
            let message = conflict_text(yours, detail.incident.version);
            (StatusCode::CONFLICT, Problems::default(), Some(message))
        }
        Refusal::Failed(Failure::Other(e)) => return Err(e),
    };
    Ok(with_status(
        status,
        StepFormPage::build(atlas, detail, step, form, problems, conflict, earlier),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    let earlier = EarlierNames::load(&state).await?;
    let form = form.resolve(&atlas, &earlier);
    let version = parse_version(&form.version)?;
    let (input, problems) = form.to_input(version);
    let result = if problems.is_empty() {
        uc::add_step(&state.store, &atlas, &id, &input)
            .await
            .map_err(|e| Refusal::Failed(e.into()))
    } else {
        Err(Refusal::Shape(problems))
    };
    match result {
        Ok((step_id, _)) if form.next == "step" => Ok(see_other(&format!(
            "/incidents/{id}/steps/new?added={step_id}#f-technique"
        ))),
        Ok((step_id, _)) => Ok(see_other(&format!("/incidents/{id}#step-{step_id}"))),
        Err(refusal) => {
            let detail = load(&state, &id).await?;
            rejected(&atlas, &detail, None, &form, refusal, &earlier)
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<StepForm>,
) -> Result<Response, AppError> {
    let atlas = state.atlas.get();
    let earlier = EarlierNames::load(&state).await?;
    let form = form.resolve(&atlas, &earlier);
    let version = parse_version(&form.version)?;
    let (input, problems) = form.to_input(version);
    let result = if problems.is_empty() {
        uc::update_step(&state.store, &atlas, &id, &step_id, &input)
            .await
            .map_err(|e| Refusal::Failed(e.into()))
    } else {
        Err(Refusal::Shape(problems))
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#step-{step_id}"))),
        Err(refusal) => {
            let detail = load(&state, &id).await?;
            let step = find_step(&detail, &step_id)?;
            rejected(&atlas, &detail, Some(step), &form, refusal, &earlier)
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path((id, step_id)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<VersionForm>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?;
    match uc::delete_step(&state.store, &id, &step_id, version).await {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}#steps"))),
        Err(StoreError::Conflict(m)) if is_version_clash(&m) => {
            conflict_page(&state, &id, "The step was not deleted.", version).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /incidents/{id}/steps`: the steps live on the incident's page.
pub async fn steps_anchor(Path(id): Path<String>) -> Response {
    see_other(&format!("/incidents/{id}#steps"))
}

/// `GET /incidents/{id}/steps/{step}`: the step's place on the incident's page.
pub async fn step_anchor(Path((id, step_id)): Path<(String, String)>) -> Response {
    see_other(&format!("/incidents/{id}#step-{step_id}"))
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/conflict.html")]
pub struct ConflictPage {
    id: String,
    title: String,
    what: &'static str,
    message: String,
}

pub(super) async fn conflict_page(
    state: &AppState,
    id: &str,
    what: &'static str,
    yours: Option<i64>,
) -> Result<Response, AppError> {
    let detail = load(state, id).await?;
    let page = ConflictPage {
        message: conflict_text(yours, detail.incident.version),
        id: detail.incident.id,
        title: detail.incident.title,
        what,
    };
    Ok(with_status(StatusCode::CONFLICT, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_leniently_but_checked() {
        assert_eq!(number("confidence", " 80 % ", "x").unwrap(), Some(80));
        assert_eq!(number("confidence", "", "x").unwrap(), None);
        assert_eq!(
            number("confidence", "high", "x").unwrap_err().field,
            "confidence"
        );
    }
}
