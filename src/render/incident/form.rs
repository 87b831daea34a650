//! The incident forms: new and edit (every field as text, named like
//! [`IncidentInput`]; tags one comma-separated input, references one textarea
//! of `title | url` lines), and the case-study YAML import. A rejected form
//! shows the user's text and each problem beside its field.

use serde::Deserialize;

use super::fields::{
    Field, Opt, Problem, Problems, SelectField, all_errors, index_of, sentence, shorten,
    vocabulary_options,
};
use crate::atlas::{ActiveAtlas, ReleaseInfo};
use crate::domain::{Incident, IncidentInput, Kind, Reference, Severity, Status, ValidationError};
use crate::service::case_studies::MAX_CASE_STUDY_BYTES;

/// The incident form as submitted: all text, so nothing is lost on re-render.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct IncidentForm {
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub severity: String,
    pub status: String,
    pub occurred_at: String,
    pub detected_at: String,
    pub resolved_at: String,
    pub target: String,
    pub actor: String,
    pub reporter: String,
    /// Comma-separated.
    pub tags: String,
    /// One reference a line: `title | url`.
    pub references: String,
    pub atlas_release: String,
    pub version: String,
}

/// Tags from the one text input: commas or new lines separate them.
fn split_tags(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The non-blank lines of the references textarea.
fn reference_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// `title | url`, split at the last ` | ` (so a bar inside a URL survives),
/// else at the last bar; a trailing bar marks a title without URL. A line
/// without a bar is a URL when it looks like one, else a title.
fn parse_reference(line: &str) -> Reference {
    let pair = |title: &str, url: &str| Reference {
        title: title.trim().to_string(),
        url: url.trim().to_string(),
    };
    if let Some(title) = line.strip_suffix('|') {
        return pair(title, "");
    }
    if let Some((title, url)) = line.rsplit_once(" | ").or_else(|| line.rsplit_once('|')) {
        return pair(title, url);
    }
    if line.contains("://") || line.to_ascii_lowercase().starts_with("www.") {
        pair("", line)
    } else {
        pair(line, "")
    }
}

/// The textarea form of references; round-trips through [`parse_reference`].
fn format_references(refs: &[Reference]) -> String {
    refs.iter()
        .map(|r| match (r.title.is_empty(), r.url.is_empty()) {
            (true, _) if parse_reference(&r.url) == *r => r.url.clone(),
            (true, _) => format!("| {}", r.url),
            (false, true) if parse_reference(&r.title) == *r => r.title.clone(),
            (false, true) => format!("{} |", r.title),
            (false, false) => format!("{} | {}", r.title, r.url),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn opt(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// Replaces the field a validation error names with a value that passes, so
/// that validation can go on to the next problem.
fn neutralize(input: &mut IncidentInput, field: &str) -> bool {
    match field {
        "title" => input.title = opt("untitled"),
        "summary" => input.summary = None,
        "kind" => input.kind = None,
        "severity" => input.severity = None,
        "status" => input.status = None,
        "occurred_at" => input.occurred_at = None,
        "detected_at" => input.detected_at = None,
        "resolved_at" => input.resolved_at = None,
        "target" => input.target = None,
        "actor" => input.actor = None,
        "reporter" => input.reporter = None,
        "atlas_release" => input.atlas_release = None,
        f if f.starts_with("tags") => input.tags.clear(),
        f if f.starts_with("references") => input.references.clear(),
        _ => return false,
    }
    true
}

impl IncidentForm {
    pub fn defaults() -> Self {
        IncidentForm {
            kind: Kind::Incident.as_str().to_string(),
            severity: Severity::Medium.as_str().to_string(),
            status: Status::Open.as_str().to_string(),
            ..IncidentForm::default()
        }
    }

    pub fn from_incident(i: &Incident) -> Self {
        let time =
            |t: &Option<crate::domain::FuzzyTime>| t.map(|t| t.input_value()).unwrap_or_default();
        IncidentForm {
            title: i.title.clone(),
            summary: i.summary.clone(),
            kind: i.kind.as_str().to_string(),
            severity: i.severity.as_str().to_string(),
            status: i.status.as_str().to_string(),
            occurred_at: time(&i.occurred),
            detected_at: time(&i.detected),
            resolved_at: time(&i.resolved),
            target: i.target.clone(),
            actor: i.actor.clone(),
            reporter: i.reporter.clone(),
            tags: i.tags.join(", "),
            references: format_references(&i.references),
            atlas_release: i.atlas_release.clone(),
            version: i.version.to_string(),
        }
    }

    /// The service's input; `version` is the form's, read by the handler.
    pub fn to_input(&self, version: Option<i64>) -> IncidentInput {
        IncidentInput {
            title: opt(&self.title),
            summary: opt(&self.summary),
            kind: opt(&self.kind),
            severity: opt(&self.severity),
            status: opt(&self.status),
            occurred_at: opt(&self.occurred_at),
            detected_at: opt(&self.detected_at),
            resolved_at: opt(&self.resolved_at),
            target: opt(&self.target),
            actor: opt(&self.actor),
            reporter: opt(&self.reporter),
            tags: split_tags(&self.tags),
            references: reference_lines(&self.references)
                .map(parse_reference)
                .collect(),
            atlas_release: opt(&self.atlas_release),
            version,
        }
    }

    /// Every shape problem of the form (empty when it validates), each on its input.
    pub fn problems(&self, input: &IncidentInput) -> Problems {
        let errors = all_errors(input, |i: &IncidentInput| i.validate(), neutralize);
        Problems {
            items: errors.iter().map(|e| self.problem(e)).collect(),
        }
    }

    /// A validation error as the form shows it: on the input it is about.
    pub fn problem(&self, e: &ValidationError) -> Problem {
        let field = e.field.as_str();
        if field.starts_with("tags") {
            return match index_of(field).and_then(|i| split_tags(&self.tags).into_iter().nth(i)) {
                Some(tag) => Problem::on(
                    "tags",
                    &format!("The tag “{}”", shorten(&tag, 30)),
                    &e.message,
                ),
                None => Problem::on("tags", "Tags", &e.message),
            };
        }
        if field.starts_with("references") {
            let part = if field.ends_with(".url") {
                " (its URL)"
            } else if field.ends_with(".title") {
                " (its title)"
            } else {
                ""
            };
            return match index_of(field) {
                Some(i) => Problem::on(
                    "references",
                    &format!("Reference {}{part}", i + 1),
                    &e.message,
                ),
                None => Problem::on("references", "References", &e.message),
            };
        }
        let label = match field {
            "title" => "Title",
            "summary" => "Summary",
            "kind" => "Kind",
            "severity" => "Severity",
            "status" => "Status",
            "occurred_at" => "Occurred",
            "detected_at" => "Detected",
            "resolved_at" => "Resolved",
            "target" => "Target",
            "actor" => "Actor",
            "reporter" => "Reporter",
            "atlas_release" => "ATLAS release",
            // A step of the incident that no longer holds in the chosen release.
            f if f.starts_with("steps[") => {
                let n = index_of(f).map(|i| i + 1).unwrap_or(0);
                return Problem::on(
                    "atlas_release",
                    "ATLAS release",
                    &format!("does not fit step {n}: {}", e.message),
                );
            }
            other => return Problem::general(sentence(other, &e.message)),
        };
        Problem::on(field, label, &e.message)
    }

    /// Labels of the fields that differ from `other`, for the conflict notice.
    pub fn differences(&self, other: &IncidentForm) -> Vec<&'static str> {
        let pairs: [(&'static str, &String, &String); 14] = [
            ("Title", &self.title, &other.title),
            ("Summary", &self.summary, &other.summary),
            ("Kind", &self.kind, &other.kind),
            ("Severity", &self.severity, &other.severity),
            ("Status", &self.status, &other.status),
            ("Occurred", &self.occurred_at, &other.occurred_at),
            ("Detected", &self.detected_at, &other.detected_at),
            ("Resolved", &self.resolved_at, &other.resolved_at),
            ("Target", &self.target, &other.target),
            ("Actor", &self.actor, &other.actor),
            ("Reporter", &self.reporter, &other.reporter),
            ("Tags", &self.tags, &other.tags),
            ("References", &self.references, &other.references),
            ("ATLAS release", &self.atlas_release, &other.atlas_release),
        ];
        pairs
            .into_iter()
            .filter(|(_, a, b)| a.trim().replace("\r\n", "\n") != b.trim().replace("\r\n", "\n"))
            .map(|(label, _, _)| label)
            .collect()
    }
}

/// Set when the incident changed under the user: what to tell them.
pub struct ConflictView {
    pub message: String,
    pub current_version: i64,
    pub differences: Vec<&'static str>,
}

pub struct Editing {
    pub id: String,
    pub title: String,
}

impl Editing {
    pub fn of(i: &Incident) -> Self {
        Editing {
            id: i.id.clone(),
            title: i.title.clone(),
        }
    }
}

/// The new and edit incident form (`templates/incidents/form.html`).
pub struct FormView {
    pub editing: Option<Editing>,
    pub action: String,
    pub problems: Problems,
    pub conflict: Option<ConflictView>,
    pub title: Field,
    pub summary: Field,
    pub kind: SelectField,
    pub severity: SelectField,
    pub status: SelectField,
    pub occurred_at: Field,
    pub detected_at: Field,
    pub resolved_at: Field,
    pub target: Field,
    pub actor: Field,
    pub reporter: Field,
    pub tags: Field,
    pub references: Field,
    pub atlas_release: SelectField,
    pub version: String,
}

impl FormView {
    pub fn build(
        atlas: &ActiveAtlas,
        releases: &[ReleaseInfo],
        editing: Option<Editing>,
        form: &IncidentForm,
        problems: Problems,
        conflict: Option<ConflictView>,
    ) -> Self {
        let p = &problems;
        let chosen = form.atlas_release.trim();
        let mut release_options = Vec::new();
        if editing.is_none() {
            release_options.push(Opt::new(
                "",
                format!("The active release ({})", atlas.version()),
                chosen,
            ));
        }
        for r in releases {
            let label = if r.is_active {
                format!("ATLAS {} (active)", r.version)
            } else {
                format!("ATLAS {}", r.version)
            };
            release_options.push(Opt::new(r.version.clone(), label, chosen));
        }
        if !release_options.iter().any(|o| o.selected) {
            if chosen.is_empty() {
                if let Some(first) = release_options.first_mut() {
                    first.selected = true;
                }
            } else {
                release_options.insert(
                    0,
                    Opt {
                        value: chosen.to_string(),
                        label: shorten(chosen, 40),
                        selected: true,
                    },
                );
            }
        }
        FormView {
            action: match &editing {
                Some(e) => format!("/incidents/{}", e.id),
                None => "/incidents".to_string(),
            },
            editing,
            title: Field::new("title", &form.title, p),
            summary: Field::new("summary", &form.summary, p),
            kind: SelectField::new(
                "kind",
                vocabulary_options(Kind::ALL, Kind::as_str, Kind::label, &form.kind),
                p,
            ),
            severity: SelectField::new(
                "severity",
                vocabulary_options(
                    Severity::ALL,
                    Severity::as_str,
                    Severity::label,
                    &form.severity,
                ),
                p,
            ),
            status: SelectField::new(
                "status",
                vocabulary_options(Status::ALL, Status::as_str, Status::label, &form.status),
                p,
            ),
            occurred_at: Field::new("occurred_at", &form.occurred_at, p),
            detected_at: Field::new("detected_at", &form.detected_at, p),
            resolved_at: Field::new("resolved_at", &form.resolved_at, p),
            target: Field::new("target", &form.target, p),
            actor: Field::new("actor", &form.actor, p),
            reporter: Field::new("reporter", &form.reporter, p),
            tags: Field::new("tags", &form.tags, p),
            references: Field::new("references", &form.references, p),
            atlas_release: SelectField::new("atlas_release", release_options, p),
            version: match &conflict {
                // Saving again after reading the notice replaces the newer version.
                Some(c) => c.current_version.to_string(),
                None => form.version.clone(),
            },
            problems,
            conflict,
        }
    }
}

/// The case-study import form (`templates/incidents/import.html`).
pub struct ImportView {
    pub yaml: Field,
    pub problems: Problems,
    pub active_version: String,
    pub yaml_hint: String,
}

impl ImportView {
    pub fn build(atlas: &ActiveAtlas, yaml: &str, problem: Option<Problem>) -> Self {
        let problems = Problems {
            items: problem.into_iter().collect(),
        };
        ImportView {
            yaml: Field::new("yaml", yaml, &problems),
            problems,
            active_version: atlas.version().to_string(),
            yaml_hint: format!(
                "Paste the whole file: a `study:` object or a bare case study, at most {} KiB.",
                MAX_CASE_STUDY_BYTES / 1024
            ),
        }
    }
}

/// Why a case study was not imported, on the form's one field.
pub fn not_imported(e: &ValidationError) -> Problem {
    let where_ = if e.field.is_empty() {
        String::new()
    } else {
        format!(" at `{}`", shorten(&e.field, 80))
    };
    let why = format!("was not imported{where_}: {}", e.message);
    Problem::on("yaml", "The case study", &why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_through_the_textarea() {
        let refs = vec![
            Reference {
                title: "Paper | part 2".into(),
                url: "https://example.org/a|b".into(),
            },
            Reference {
                title: String::new(),
                url: "https://example.org/only".into(),
            },
            Reference {
                title: "Just a title".into(),
                url: String::new(),
            },
            Reference {
                title: "Bar | in title".into(),
                url: String::new(),
            },
            Reference {
                title: String::new(),
                url: "not a url".into(),
            },
            Reference {
                title: "see https://x.org".into(),
                url: String::new(),
            },
        ];
        let text = format_references(&refs);
        let back: Vec<Reference> = reference_lines(&text).map(parse_reference).collect();
        assert_eq!(back, refs);
    }

    #[test]
    fn tags_split_on_commas_and_lines() {
        assert_eq!(split_tags(" a, b ,,\nc "), vec!["a", "b", "c"]);
    }

    #[test]
    fn problems_land_on_their_input() {
        let form = IncidentForm {
            tags: "ok, {}".replace("{}", &"x".repeat(50)),
            ..IncidentForm::default()
        };
        let p = form.problem(&ValidationError::new(
            "tags[1]",
            "is 50 characters long; the limit is 40",
        ));
        assert_eq!(p.field.as_deref(), Some("tags"));
        assert!(p.text.starts_with("The tag “xxx"), "{}", p.text);
        let p = form.problem(&ValidationError::new(
            "references[2].url",
            "must be a single line",
        ));
        assert_eq!(
            (p.field.as_deref(), p.text.as_str()),
            (
                Some("references"),
                "Reference 3 (its URL) must be a single line"
            )
        );
    }
}
