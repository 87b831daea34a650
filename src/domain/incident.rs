//! Incidents and their observations (the ordered steps of the attack), the
//! input forms they are written from, and the validation every write passes.

use serde::{Deserialize, Serialize};

use super::enums::{Kind, Outcome, Severity, Status, StepSource};
use super::time::FuzzyTime;
use crate::atlas::ids::{is_tactic_id, is_technique_id};

/// Length limits, in characters.
pub mod limits {
    pub const TITLE: usize = 200;
    pub const SHORT_TEXT: usize = 200;
    pub const LONG_TEXT: usize = 20_000;
    pub const TAG: usize = 100;
    pub const TAGS: usize = 20;
    pub const REFERENCES: usize = 50;
    pub const REFERENCE_TITLE: usize = 500;
    pub const URL: usize = 2_000;
    /// Steps in one incident (the largest ATLAS case study has under 30).
    pub const STEPS: usize = 500;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

impl Reference {
    /// Only http(s) URLs become links; anything else is shown as text.
    pub fn is_linkable(&self) -> bool {
        let lower = self.url.trim_start().to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    pub severity: Severity,
    pub status: Status,
    pub occurred: Option<FuzzyTime>,
    pub detected: Option<FuzzyTime>,
    pub resolved: Option<FuzzyTime>,
    pub target: String,
    pub actor: String,
    pub reporter: String,
    pub tags: Vec<String>,
    pub references: Vec<Reference>,
    /// The ATLAS release version the steps were mapped against.
    pub atlas_release: String,
    /// Where an imported incident came from (an ATLAS case study ID).
    pub source_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Optimistic-concurrency version: every write bumps it.
    pub version: i64,
}

impl Incident {
    /// An incident with only what a drawing of its steps needs: no text,
    /// dates, tags or references (callers set what they have).
    pub fn outline(id: &str, title: &str, kind: Kind, severity: Severity, status: Status) -> Self {
        Incident {
            id: id.to_string(),
            title: title.to_string(),
            summary: String::new(),
            kind,
            severity,
            status,
            occurred: None,
            detected: None,
            resolved: None,
            target: String::new(),
            actor: String::new(),
            reporter: String::new(),
            tags: Vec::new(),
            references: Vec::new(),
            atlas_release: String::new(),
            source_ref: None,
            created_at: String::new(),
            updated_at: String::new(),
            version: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub id: String,
    pub incident_id: String,
    /// 1-based place in the story.
    pub position: i64,
    pub tactic_id: String,
    pub technique_id: String,
    pub observed: Option<FuzzyTime>,
    pub description: String,
    pub evidence: String,
    pub confidence: Option<i64>,
    pub outcome: Outcome,
    pub source: StepSource,
    pub created_at: String,
    pub updated_at: String,
}

/// An incident with its steps in story order.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub steps: Vec<Observation>,
}

/// A rule broken by an input, naming the field (`title`, `steps[2].technique`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An incident as submitted (JSON body or HTML form): everything optional and
/// textual, so that every problem is reported by [`IncidentInput::validate`]
/// with the field's name rather than as an opaque parse error.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub occurred_at: Option<String>,
    pub detected_at: Option<String>,
    pub resolved_at: Option<String>,
    pub target: Option<String>,
    pub actor: Option<String>,
    pub reporter: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
    pub atlas_release: Option<String>,
    /// Required on update: the version the client last read.
    pub version: Option<i64>,
}

/// A validated incident, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDraft {
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    pub severity: Severity,
    pub status: Status,
    pub occurred: Option<FuzzyTime>,
    pub detected: Option<FuzzyTime>,
    pub resolved: Option<FuzzyTime>,
    pub target: String,
    pub actor: String,
    pub reporter: String,
    pub tags: Vec<String>,
    pub references: Vec<Reference>,
    /// `None`: the active release.
    pub atlas_release: Option<String>,
}

/// A step as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub tactic: Option<String>,
    pub technique: Option<String>,
    pub observed_at: Option<String>,
    pub description: Option<String>,
    pub evidence: Option<String>,
    pub confidence: Option<i64>,
    pub outcome: Option<String>,
    pub source: Option<String>,
    /// Where to insert (1-based); at the end when absent.
    pub position: Option<i64>,
    /// The incident version the client last read; checked when given.
    pub version: Option<i64>,
}

/// A validated step (well-formed; its ATLAS facts are checked by [`super::rules`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StepDraft {
    pub tactic_id: String,
    pub technique_id: String,
    pub observed: Option<FuzzyTime>,
    pub description: String,
    pub evidence: String,
    pub confidence: Option<i64>,
    pub outcome: Outcome,
    pub source: StepSource,
}

/// Characters that change how the text around them is shown without being
/// seen themselves: bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069, and the marks U+200E, U+200F, U+061C) and zero-width
/// characters (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E). With them
/// "invoice\u{202E}gpj.exe" shows as "invoiceexe.jpg".
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}'
            | '\u{180E}'
    )
}

/// Free text with every invisible formatting character made visible as its
/// code point (`[U+202E]`), so that a reviewer sees it is there and it
/// reorders nothing.
pub fn neutralise_invisible(text: &str) -> String {
    if !text.chars().any(is_invisible_format) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_invisible_format(c) {
            out.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Trims and length-checks a free text; control characters other than
/// newlines and tabs are refused (they hide text from reviewers), and bidi
/// controls and zero-width characters are neutralised visibly.
pub fn clean_text(field: &str, value: Option<&str>, max: usize) -> Result<String, ValidationError> {
    let text = value.unwrap_or("").trim();
    let count = text.chars().count();
    if count > max {
        return Err(ValidationError::new(
            field,
            format!("is {count} characters long; the limit is {max}"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ValidationError::new(field, "contains control characters"));
    }
    Ok(neutralise_invisible(text))
}

/// A name, title, tag or identifier: like [`clean_text`], but bidi controls
/// and zero-width characters are refused, since they can make it read as
/// something else.
pub fn clean_name(field: &str, value: Option<&str>, max: usize) -> Result<String, ValidationError> {
    if let Some(c) = value
        .unwrap_or("")
        .chars()
        .find(|c| is_invisible_format(*c))
    {
        return Err(ValidationError::new(
            field,
            format!(
                "contains the invisible formatting character U+{:04X} (bidi control or zero-width), which can disguise text",
                c as u32
            ),
        ));
    }
    clean_text(field, value, max)
}

fn required_text(field: &str, value: Option<&str>, max: usize) -> Result<String, ValidationError> {
    let text = clean_name(field, value, max)?;
    if text.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    Ok(text)
}

fn one_line(field: &str, value: Option<&str>, max: usize) -> Result<String, ValidationError> {
    let text = clean_name(field, value, max)?;
    if text.contains(['\n', '\r']) {
        return Err(ValidationError::new(field, "must be a single line"));
    }
    Ok(text)
}

fn vocabulary<T>(
    field: &str,
    value: Option<&str>,
    default: T,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Result<T, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        // Case-insensitive: spreadsheets write `High` and `OPEN`.
        Some(v) => parse(&v.to_ascii_lowercase())
            .ok_or_else(|| ValidationError::new(field, format!("`{v}` is not {}", expected()))),
    }
}

pub fn optional_time(
    field: &str,
    value: Option<&str>,
) -> Result<Option<FuzzyTime>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => FuzzyTime::parse(v)
            .map(Some)
            .map_err(|m| ValidationError::new(field, m)),
    }
}

impl IncidentInput {
    pub fn validate(&self) -> Result<IncidentDraft, ValidationError> {
        let title = required_text("title", self.title.as_deref(), limits::TITLE)?;
        if title.contains(['\n', '\r']) {
            return Err(ValidationError::new("title", "must be a single line"));
        }
        let summary = clean_text("summary", self.summary.as_deref(), limits::LONG_TEXT)?;
        let kind = vocabulary(
            "kind",
            self.kind.as_deref(),
            Kind::Incident,
            Kind::parse,
            Kind::expected,
        )?;
        let severity = vocabulary(
            "severity",
            self.severity.as_deref(),
            Severity::Medium,
            Severity::parse,
            Severity::expected,
        )?;
        let status = vocabulary(
            "status",
            self.status.as_deref(),
            Status::Open,
            Status::parse,
            Status::expected,
        )?;
        let occurred = optional_time("occurred_at", self.occurred_at.as_deref())?;
        let detected = optional_time("detected_at", self.detected_at.as_deref())?;
        let resolved = optional_time("resolved_at", self.resolved_at.as_deref())?;
        // Compared by period: detected "2025-03-14" fits an occurrence at 09:30 that day.
        if let (Some(o), Some(d)) = (occurred, detected)
            && d.end() <= o.at
        {
            return Err(ValidationError::new(
                "detected_at",
                "is before the time the incident occurred",
            ));
        }
        if let (Some(d), Some(r)) = (detected, resolved)
            && r.end() <= d.at
        {
            return Err(ValidationError::new(
                "resolved_at",
                "is before the time the incident was detected",
            ));
        }
        let target = one_line("target", self.target.as_deref(), limits::SHORT_TEXT)?;
        let actor = one_line("actor", self.actor.as_deref(), limits::SHORT_TEXT)?;
        let reporter = one_line("reporter", self.reporter.as_deref(), limits::SHORT_TEXT)?;
        let tags = validate_tags(&self.tags)?;
        let references = validate_references(&self.references)?;
        let atlas_release = match self.atlas_release.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(one_line("atlas_release", Some(v), 40)?),
        };
        Ok(IncidentDraft {
            title,
            summary,
            kind,
            severity,
            status,
            occurred,
            detected,
            resolved,
            target,
            actor,
            reporter,
            tags,
            references,
            atlas_release,
        })
    }
}

/// Tags: trimmed, lower-cased, de-duplicated, in the order given.
pub fn validate_tags(tags: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let field = format!("tags[{i}]");
        let tag = one_line(&field, Some(tag), limits::TAG)?.to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.contains(',') {
            return Err(ValidationError::new(field, "must not contain a comma"));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > limits::TAGS {
        return Err(ValidationError::new(
            "tags",
            format!("at most {} tags", limits::TAGS),
        ));
    }
    Ok(out)
}

pub fn validate_references(refs: &[Reference]) -> Result<Vec<Reference>, ValidationError> {
    if refs.len() > limits::REFERENCES {
        return Err(ValidationError::new(
            "references",
            format!("at most {} references", limits::REFERENCES),
        ));
    }
    let mut out = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let title = one_line(
            &format!("references[{i}].title"),
            Some(&r.title),
            limits::REFERENCE_TITLE,
        )?;
        let url = one_line(&format!("references[{i}].url"), Some(&r.url), limits::URL)?;
        if title.is_empty() && url.is_empty() {
            continue;
        }
        out.push(Reference { title, url });
    }
    Ok(out)
}

impl StepInput {
    /// `prefix` names the step in messages (`""` or `steps[3].`).
    pub fn validate(&self, prefix: &str) -> Result<StepDraft, ValidationError> {
        let f = |name: &str| format!("{prefix}{name}");
        let tactic_id = self.tactic.as_deref().map(str::trim).unwrap_or("");
        if tactic_id.is_empty() {
            return Err(ValidationError::new(f("tactic"), "is required"));
        }
        if !is_tactic_id(tactic_id) {
            return Err(ValidationError::new(
                f("tactic"),
                format!("`{tactic_id}` is not an ATLAS tactic ID like AML.TA0002"),
            ));
        }
        let technique_id = self.technique.as_deref().map(str::trim).unwrap_or("");
        if technique_id.is_empty() {
            return Err(ValidationError::new(f("technique"), "is required"));
        }
        if !is_technique_id(technique_id) {
            return Err(ValidationError::new(
                f("technique"),
                format!(
                    "`{technique_id}` is not an ATLAS technique ID like AML.T0051 or AML.T0051.001"
                ),
            ));
        }
        let confidence = match self.confidence {
            None => None,
            Some(c) if (0..=100).contains(&c) => Some(c),
            Some(c) => {
                return Err(ValidationError::new(
                    f("confidence"),
                    format!("{c} is not between 0 and 100"),
                ));
            }
        };
        Ok(StepDraft {
            tactic_id: tactic_id.to_string(),
            technique_id: technique_id.to_string(),
            observed: optional_time(&f("observed_at"), self.observed_at.as_deref())?,
            description: clean_text(
                &f("description"),
                self.description.as_deref(),
                limits::LONG_TEXT,
            )?,
            evidence: clean_text(&f("evidence"), self.evidence.as_deref(), limits::LONG_TEXT)?,
            confidence,
            outcome: vocabulary(
                &f("outcome"),
                self.outcome.as_deref(),
                Outcome::Unknown,
                Outcome::parse,
                Outcome::expected,
            )?,
            source: vocabulary(
                &f("source"),
                self.source.as_deref(),
                StepSource::Manual,
                StepSource::parse,
                StepSource::expected,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> IncidentInput {
        IncidentInput {
            title: Some("  Prompt injection via support inbox ".into()),
            ..Default::default()
        }
    }

    #[test]
    fn trims_and_defaults() {
        let d = valid().validate().unwrap();
        assert_eq!(d.title, "Prompt injection via support inbox");
        assert_eq!(
            (d.kind, d.severity, d.status),
            (Kind::Incident, Severity::Medium, Status::Open)
        );
    }

    #[test]
    fn names_the_offending_field() {
        let cases: Vec<(IncidentInput, &str)> = vec![
            (IncidentInput::default(), "title"),
            (
                IncidentInput {
                    severity: Some("urgent".into()),
                    ..valid()
                },
                "severity",
            ),
            (
                IncidentInput {
                    status: Some("opened".into()),
                    ..valid()
                },
                "status",
            ),
            (
                IncidentInput {
                    kind: Some("drill".into()),
                    ..valid()
                },
                "kind",
            ),
            (
                IncidentInput {
                    occurred_at: Some("last tuesday".into()),
                    ..valid()
                },
                "occurred_at",
            ),
            (
                IncidentInput {
                    title: Some("x".repeat(201)),
                    ..valid()
                },
                "title",
            ),
            (
                IncidentInput {
                    target: Some("a\u{0}b".into()),
                    ..valid()
                },
                "target",
            ),
            (
                IncidentInput {
                    tags: vec!["a,b".into()],
                    ..valid()
                },
                "tags[0]",
            ),
            (
                IncidentInput {
                    occurred_at: Some("2024-05-02".into()),
                    detected_at: Some("2024-05-01".into()),
                    ..valid()
                },
                "detected_at",
            ),
        ];
        for (input, field) in cases {
            assert_eq!(input.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn bidi_and_zero_width_are_refused_in_names_and_shown_in_free_text() {
        for bad in [
            "invoice\u{202E}gpj.exe",
            "a\u{2066}b",
            "zero\u{200B}width",
            "bom\u{FEFF}",
        ] {
            let title = IncidentInput {
                title: Some(bad.into()),
                ..valid()
            };
            assert_eq!(title.validate().unwrap_err().field, "title", "{bad:?}");
            let tag = IncidentInput {
                tags: vec![bad.into()],
                ..valid()
            };
            assert_eq!(tag.validate().unwrap_err().field, "tags[0]", "{bad:?}");
            let target = IncidentInput {
                target: Some(bad.into()),
                ..valid()
            };
            assert_eq!(target.validate().unwrap_err().field, "target", "{bad:?}");
        }
        let summary = IncidentInput {
            summary: Some("open invoice\u{202E}gpj.exe now\u{200D}".into()),
            ..valid()
        };
        assert_eq!(
            summary.validate().unwrap().summary,
            "open invoice[U+202E]gpj.exe now[U+200D]"
        );
    }

    #[test]
    fn vocabularies_ignore_case_and_tags_reach_100_characters() {
        let d = IncidentInput {
            severity: Some("High".into()),
            status: Some("OPEN".into()),
            kind: Some("Exercise".into()),
            tags: vec!["x".repeat(100)],
            ..valid()
        }
        .validate()
        .unwrap();
        assert_eq!(
            (d.severity, d.status, d.kind),
            (Severity::High, Status::Open, Kind::Exercise)
        );
        let long = IncidentInput {
            tags: vec!["x".repeat(101)],
            ..valid()
        };
        assert_eq!(long.validate().unwrap_err().field, "tags[0]");
    }

    #[test]
    fn step_ids_are_checked() {
        let step = StepInput {
            tactic: Some("AML.TA0002".into()),
            technique: Some("AML.T0000.001".into()),
            ..Default::default()
        };
        assert!(step.validate("").is_ok());
        let bad = StepInput {
            technique: Some("T1059".into()),
            ..step.clone()
        };
        assert_eq!(bad.validate("").unwrap_err().field, "technique");
        let bad = StepInput {
            confidence: Some(101),
            ..step
        };
        assert_eq!(
            bad.validate("steps[1].").unwrap_err().field,
            "steps[1].confidence"
        );
    }
}
