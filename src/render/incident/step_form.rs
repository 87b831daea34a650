//! The step form: adding and editing a step without JavaScript (choose the
//! tactic, then one of its techniques in a picker that also knows the names
//! techniques had in older releases).

use serde::Deserialize;

use super::fields::{
    Field, Opt, Problem, Problems, SelectField, all_errors, sentence, shorten, vocabulary_options,
};
use crate::atlas::ActiveAtlas;
use crate::atlas::active::fold_name;
use crate::domain::{IncidentDetail, Observation, Outcome, StepInput, StepSource, ValidationError};

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
    pub fn from_observation(o: &Observation, version: i64) -> Self {
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
    pub fn or_defaults(mut self, version: i64) -> Self {
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
    pub fn resolve(mut self, atlas: &ActiveAtlas, earlier: &EarlierNames) -> Self {
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
    pub fn for_tactic(mut self, atlas: &ActiveAtlas) -> Self {
        let tactic = self.tactic.trim();
        if atlas.tactic(tactic).is_some() && !atlas.serves(self.technique.trim(), tactic) {
            self.technique.clear();
        }
        self
    }

    /// The service's input and every shape problem of the form (a number that
    /// does not parse is one, on its field). The version was checked by the handler.
    pub fn to_input(&self, version: Option<i64>) -> (StepInput, Problems) {
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
    pub names: Vec<(String, String, String)>,
}

impl EarlierNames {
    /// From `(id, name, parent name)` rows of every stored release.
    pub fn from_rows(rows: Vec<(String, String, Option<String>)>) -> Self {
        let mut names = Vec::new();
        for (id, name, parent) in rows {
            let shown = match parent {
                Some(p) => format!("{p}: {name}"),
                None => name,
            };
            names.push((fold_name(&shown), id, shown));
        }
        EarlierNames { names }
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

pub fn problem_of(e: &ValidationError) -> Problem {
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
    pub value: String,
    /// What the person reads and types: "Parent: Child", or an earlier name.
    pub label: String,
    /// The tactics it serves, space-separated (the script fills the tactic from them).
    pub tactics: String,
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
    pub number: i64,
}

/// The step form (`templates/incidents/step_form.html`).
pub struct StepFormView {
    /// "Step 2 added: …" after "Save and add another step".
    pub added: Option<String>,
    pub incident_id: String,
    pub incident_title: String,
    pub step: Option<StepRef>,
    pub action: String,
    pub reload_action: String,
    pub problems: Problems,
    pub conflict: Option<String>,
    pub tactic: SelectField,
    /// The chosen tactic's name, once a known tactic is chosen.
    pub tactic_name: Option<String>,
    /// The picker's one text field (an ID or a name).
    pub technique: Field,
    /// The name of the technique the field holds, when it is a known ID.
    pub technique_name: Option<String>,
    /// The tactics that technique serves, space-separated.
    pub technique_tactics: String,
    /// The `<datalist>` behind the field.
    pub options: Vec<PickOption>,
    pub observed_at: Field,
    pub description: Field,
    pub evidence: Field,
    pub confidence: Field,
    pub outcome: SelectField,
    pub source: SelectField,
    pub position: SelectField,
    pub version: String,
    pub active_version: String,
    pub release_note: Option<String>,
}

impl StepFormView {
    pub fn build(
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
        StepFormView {
            added: added.map(|s| format!("Step {} added: {}.", s.position, name_of(s))),
            incident_id: id.clone(),
            incident_title: detail.incident.title.clone(),
            step: step.map(|s| StepRef { number: s.position }),
            action,
            reload_action,
            tactic: SelectField::new("tactic", tactic_options, p),
            tactic_name: chosen.map(|t| t.name.clone()),
            technique,
            technique_name: atlas.technique(technique_id).map(|t| atlas.display_name(t)),
            technique_tactics: technique_tactics.join(" "),
            options,
            observed_at: Field::new("observed_at", &form.observed_at, p),
            description: Field::new("description", &form.description, p),
            evidence: Field::new("evidence", &form.evidence, p),
            confidence: Field::new("confidence", &form.confidence, p),
            outcome: SelectField::new(
                "outcome",
                vocabulary_options(
                    Outcome::ALL,
                    Outcome::as_str,
                    Outcome::label,
                    or(&form.outcome, Outcome::Unknown.as_str()),
                ),
                p,
            ),
            source: SelectField::new(
                "source",
                vocabulary_options(
                    StepSource::ALL,
                    StepSource::as_str,
                    StepSource::label,
                    or(&form.source, StepSource::Manual.as_str()),
                ),
                p,
            ),
            position: SelectField::new("position", position_options, p),
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
