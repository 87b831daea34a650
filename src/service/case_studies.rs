//! ATLAS case studies as incidents: importing every case study of the active
//! release, and reading/writing one incident as an ATLAS case-study YAML file
//! (the format of the ATLAS website's case-study builder: a `study` object).

use serde::{Deserialize, Serialize};

use super::ServiceError;
use super::incidents::{check_steps, resolve_release};
use crate::atlas::{ActiveAtlas, CaseStudy};
use crate::domain::{
    FuzzyTime, IncidentDetail, IncidentDraft, IncidentInput, Kind, Precision, Reference, Severity,
    Status, StepDraft, StepInput, StepSource, ValidationError,
};
use crate::store::Store;

/// Tag put on every incident imported from an ATLAS release's case studies.
pub const CASE_STUDY_TAG: &str = "atlas-case-study";

/// Largest case-study file accepted (the largest upstream one is under 40 KB).
pub const MAX_CASE_STUDY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseStudyImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub steps: usize,
}

impl std::fmt::Display for CaseStudyImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} case studies: {} created, {} updated, {} unchanged ({} steps)",
            self.created + self.updated + self.unchanged,
            self.created,
            self.updated,
            self.unchanged,
            self.steps
        )
    }
}

/// Incident ID used for an ATLAS case study: stable across re-imports.
pub fn incident_id_for(case_study_id: &str) -> String {
    case_study_id.to_ascii_lowercase().replace('.', "-")
}

fn precision_of(granularity: Option<&str>) -> Precision {
    granularity
        .and_then(Precision::from_atlas)
        .unwrap_or(Precision::Day)
}

fn date_of(
    date: Option<&str>,
    granularity: Option<&str>,
) -> Result<Option<FuzzyTime>, ValidationError> {
    let Some(date) = date.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let day = FuzzyTime::parse(date).map_err(|m| ValidationError::new("incident-date", m))?;
    Ok(Some(FuzzyTime {
        at: day.at,
        precision: precision_of(granularity),
    }))
}

/// A case study's procedure (tactic, technique, description) as validated
/// steps of source "case study", named `procedure[i]` in messages.
fn procedure_drafts<'a>(
    procedure: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Result<Vec<StepDraft>, ValidationError> {
    procedure
        .enumerate()
        .map(|(i, (tactic, technique, description))| {
            StepInput {
                tactic: Some(tactic.to_string()),
                technique: Some(technique.to_string()),
                description: description.map(str::to_string),
                source: Some(StepSource::CaseStudy.as_str().to_string()),
                ..StepInput::default()
            }
            .validate(&format!("procedure[{i}]."))
        })
        .collect()
}

/// An ATLAS case study as an incident of kind "case study" with its steps.
pub fn draft_from_case_study(
    cs: &CaseStudy,
) -> Result<(IncidentDraft, Vec<StepDraft>), ValidationError> {
    let mut tags = vec![CASE_STUDY_TAG.to_string()];
    if let Some(t) = cs.case_study_type.as_deref().filter(|t| !t.is_empty()) {
        tags.push(t.to_ascii_lowercase());
    }
    let input = IncidentInput {
        title: Some(cs.name.clone()),
        summary: cs.summary.clone(),
        kind: Some(Kind::CaseStudy.as_str().to_string()),
        severity: Some(Severity::Medium.as_str().to_string()),
        status: Some(Status::Closed.as_str().to_string()),
        target: cs.target.clone(),
        actor: cs.actor.clone(),
        reporter: cs.reporter.clone(),
        tags,
        references: cs
            .references
            .iter()
            .map(|r| Reference {
                title: r.title.clone().unwrap_or_default(),
                url: r.url.clone().unwrap_or_default(),
            })
            .collect(),
        ..IncidentInput::default()
    };
    let mut draft = input.validate()?;
    draft.occurred = date_of(
        cs.incident_date.as_deref(),
        cs.incident_date_granularity.as_deref(),
    )?;
    let steps = procedure_drafts(cs.procedure.iter().map(|p| {
        (
            p.tactic.as_str(),
            p.technique.as_str(),
            p.description.as_deref(),
        )
    }))?;
    Ok((draft, steps))
}

/// Turns every case study of the active release into an incident. Idempotent:
/// a second run updates what changed and duplicates nothing.
pub async fn import_release_case_studies(
    store: &Store,
    active: &ActiveAtlas,
) -> Result<CaseStudyImport, ServiceError> {
    if active.release.case_studies.is_empty() {
        return Err(ValidationError::new(
            "release",
            format!(
                "the active ATLAS release {} has no case studies (the embedded catalog carries none): \
                 run `atlasview atlas sync` or `atlasview atlas import <file>` first",
                active.version()
            ),
        )
        .into());
    }
    let mut summary = CaseStudyImport::default();
    for cs in &active.release.case_studies {
        let (draft, steps) = draft_from_case_study(cs)
            .map_err(|e| ValidationError::new(format!("{}.{}", cs.id, e.field), e.message))?;
        let id = incident_id_for(&cs.id);
        let (_, changed, created) = store
            .upsert_imported_incident(&id, &cs.id, &draft, active.version(), &steps)
            .await?;
        summary.steps += steps.len();
        match (created, changed) {
            (true, _) => summary.created += 1,
            (false, true) => summary.updated += 1,
            (false, false) => summary.unchanged += 1,
        }
    }
    Ok(summary)
}

/// The case-study file: `study` holds the fields; `meta` is informational.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseStudyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<CaseStudyMeta>,
    pub study: CaseStudyDoc,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CaseStudyMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CaseStudyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_date_granularity: Option<String>,
    #[serde(default)]
    pub procedure: Vec<CaseStudyStep>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reporter: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_study_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<CaseStudyReference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStudyStep {
    pub tactic: String,
    pub technique: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStudyReference {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
}

/// `incident` or `exercise`, as the case-study format knows them.
fn case_study_type_of(detail: &IncidentDetail) -> &'static str {
    let i = &detail.incident;
    match i.kind {
        Kind::Exercise => "exercise",
        Kind::Incident => "incident",
        Kind::CaseStudy if i.tags.iter().any(|t| t == "exercise") => "exercise",
        Kind::CaseStudy => "incident",
    }
}

/// One incident as a case-study document.
pub fn export_case_study(detail: &IncidentDetail) -> CaseStudyFile {
    let i = &detail.incident;
    CaseStudyFile {
        meta: Some(CaseStudyMeta {
            date_created: Some(i.created_at.clone()),
            date_updated: Some(i.updated_at.clone()),
            exported_by: Some(concat!("atlasview ", env!("CARGO_PKG_VERSION")).to_string()),
        }),
        study: CaseStudyDoc {
            id: i.source_ref.clone(),
            name: i.title.clone(),
            summary: i.summary.clone(),
            incident_date: i.occurred.map(|t| t.date()),
            incident_date_granularity: i.occurred.map(|t| t.precision.to_atlas().to_string()),
            procedure: detail
                .steps
                .iter()
                .map(|s| CaseStudyStep {
                    tactic: s.tactic_id.clone(),
                    technique: s.technique_id.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            reporter: i.reporter.clone(),
            target: i.target.clone(),
            actor: i.actor.clone(),
            case_study_type: Some(case_study_type_of(detail).to_string()),
            references: i
                .references
                .iter()
                .map(|r| CaseStudyReference {
                    title: r.title.clone(),
                    url: r.url.clone(),
                })
                .collect(),
        },
    }
}

pub fn to_yaml(file: &CaseStudyFile) -> Result<String, ServiceError> {
    let body = serde_saphyr::to_string(file)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("cannot write YAML: {e}")))?;
    Ok(format!("---\n{}", body.trim_start_matches("---\n")))
}

/// Reads a case-study file: a `study:` object (the builder's format) or a bare
/// case study (as in a release's `case-studies` list).
pub fn parse_case_study(bytes: &[u8]) -> Result<CaseStudyDoc, ValidationError> {
    if bytes.len() > MAX_CASE_STUDY_BYTES {
        return Err(ValidationError::new(
            "file",
            format!(
                "is {} bytes; the limit is {MAX_CASE_STUDY_BYTES}",
                bytes.len()
            ),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ValidationError::new("file", "is not UTF-8 text"))?;
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_aliases: 100, max_anchors: 100, max_depth: 32, max_nodes: 200_000 },
        alias_limits: serde_saphyr::alias_limits! { max_total_replayed_events: 10_000, max_replay_stack_depth: 8 },
    };
    let value: serde_json::Value = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| ValidationError::new("file", format!("is not valid YAML: {e}")))?;
    let doc = match value {
        serde_json::Value::Object(mut map) if map.contains_key("study") => {
            map.remove("study").unwrap_or_default()
        }
        doc @ serde_json::Value::Object(_) => doc,
        _ => {
            return Err(ValidationError::new(
                "study",
                "the file must hold a case study: a mapping with `study:` or `name:`",
            ));
        }
    };
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        ValidationError::new(
            if path == "." {
                "study".to_string()
            } else {
                format!("study.{path}")
            },
            e.into_inner().to_string(),
        )
    })
}

/// Creates an incident from a case-study document; returns its ID.
pub async fn import_case_study(
    store: &Store,
    active: &ActiveAtlas,
    doc: &CaseStudyDoc,
) -> Result<String, ServiceError> {
    let kind = match doc.case_study_type.as_deref().map(str::trim) {
        None | Some("") | Some("incident") => Kind::Incident,
        Some("exercise") => Kind::Exercise,
        Some(other) => {
            return Err(ValidationError::new(
                "case-study-type",
                format!("`{other}` is not one of incident, exercise"),
            )
            .into());
        }
    };
    let input = IncidentInput {
        title: Some(doc.name.clone()),
        summary: Some(doc.summary.clone()),
        kind: Some(kind.as_str().to_string()),
        target: Some(doc.target.clone()),
        actor: Some(doc.actor.clone()),
        reporter: Some(doc.reporter.clone()),
        references: doc
            .references
            .iter()
            .map(|r| Reference {
                title: r.title.clone(),
                url: r.url.clone(),
            })
            .collect(),
        ..IncidentInput::default()
    };
    let mut draft = input.validate()?;
    if let Some(g) = doc.incident_date_granularity.as_deref()
        && Precision::from_atlas(g).is_none()
    {
        return Err(ValidationError::new(
            "incident-date-granularity",
            format!("`{g}` is not one of YEAR, MONTH, DATE"),
        )
        .into());
    }
    draft.occurred = date_of(
        doc.incident_date.as_deref(),
        doc.incident_date_granularity.as_deref(),
    )?;
    let steps = procedure_drafts(doc.procedure.iter().map(|p| {
        (
            p.tactic.as_str(),
            p.technique.as_str(),
            Some(p.description.as_str()),
        )
    }))?;
    let release = resolve_release(store, active, None).await?;
    check_steps(store, &release, &steps, "procedure").await?;
    Ok(store
        .create_incident(&draft, &release.version, None, &steps)
        .await?)
}
