//! Bulk incident import from JSONL, a JSON array or CSV with a header.
//!
//! Records use the incident API's field names plus `external_id`, `source`
//! and `techniques` (an unordered list of technique IDs, instead of `steps`).
//! A step without a tactic gets its technique's only tactic, else is marked
//! "tactic to confirm" (as alerts and unordered lists are).
//! Every problem of a record is reported with its line; good records are
//! upserted by (source, external ID), so a re-run changes nothing; a bad
//! record writes nothing at all.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use super::incidents::resolve_release;
use super::ingest::{Placement, placement};
use crate::atlas::ActiveAtlas;
use crate::domain::alert::{normalize_technique_id, tidy};
use crate::domain::time::Precision;
use crate::domain::{
    FuzzyTime, IncidentInput, Outcome, Reference, StepDraft, StepInput, StepSource, ValidationError,
};
use crate::store::{OriginRecord, Store, Upsert};

mod records;
pub use records::{Format, RawRecord, read_records};

/// Records per transaction.
pub const BATCH: usize = 500;
/// Most records one file or request may carry.
pub const MAX_RECORDS: usize = 100_000;

#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// Source of records that name none.
    pub source: String,
    pub dry_run: bool,
}

/// A problem of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// A record that was not imported, with every problem it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BadRecord {
    /// 1-based line of the file (for a JSON array: the record's number).
    pub line: usize,
    pub external_id: Option<String>,
    pub problems: Vec<Problem>,
}

/// A record imported with something left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BulkReport {
    pub dry_run: bool,
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<BadRecord>,
    pub warnings: Vec<Warning>,
    /// Steps whose tactic is to be confirmed (a technique serving several tactics).
    pub tactics_to_confirm: usize,
}

const TEXT_FIELDS: &[&str] = &[
    "title",
    "summary",
    "kind",
    "severity",
    "status",
    "occurred_at",
    "detected_at",
    "resolved_at",
    "target",
    "actor",
    "reporter",
    "atlas_release",
];
const PRECISION_FIELDS: &[(&str, &str)] = &[
    ("occurred_precision", "occurred_at"),
    ("detected_precision", "detected_at"),
    ("resolved_precision", "resolved_at"),
];

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of strings (or one string holding a `;`-separated list).
fn list_of(field: &str, v: &Value, problems: &mut Vec<Problem>) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => s
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| match text_of(x) {
                Some(s) => Some(s),
                None => {
                    problems.push(problem(format!("{field}[{i}]"), "must be a string"));
                    None
                }
            })
            .collect(),
        _ => {
            problems.push(problem(field, "must be a list"));
            Vec::new()
        }
    }
}

/// A record checked field by field (every problem, not only the first).
struct Checked {
    external_id: Option<String>,
    record: Option<OriginRecord>,
    problems: Vec<Problem>,
    warnings: Vec<String>,
    to_confirm: usize,
}

/// Applies a `*_precision` field: `2024-03-17` at month precision is `2024-03`.
fn with_precision(value: &str, precision: &str) -> Result<String, String> {
    let p = Precision::parse(&precision.trim().to_ascii_lowercase()).ok_or_else(|| {
        format!(
            "`{}` is not one of year, month, day, time",
            tidy(precision, 20)
        )
    })?;
    let t = FuzzyTime::parse(value)?;
    Ok(FuzzyTime {
        at: t.at,
        precision: p,
    }
    .input_value())
}

async fn check_record(
    store: &Store,
    atlas: &ActiveAtlas,
    value: Value,
    default_source: &str,
) -> Result<Checked, ServiceError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let Value::Object(mut map) = value else {
        return Ok(Checked {
            external_id: None,
            record: None,
            problems: vec![problem("record", "must be a JSON object")],
            warnings,
            to_confirm: 0,
        });
    };
    let external_id = match map.remove("external_id") {
        None | Some(Value::Null) => {
            problems.push(problem(
                "external_id",
                "is required (the record's ID where it comes from)",
            ));
            None
        }
        Some(v) => match text_of(&v).map(|s| s.trim().to_string()) {
            Some(s)
                if !s.is_empty()
                    && s.chars().count() <= 200
                    && !s.chars().any(char::is_control) =>
            {
                Some(s)
            }
            _ => {
                problems.push(problem(
                    "external_id",
                    "must be 1 to 200 printable characters",
                ));
                None
            }
        },
    };
    let source = match map.remove("source") {
        None | Some(Value::Null) => default_source.to_string(),
        Some(v) => match text_of(&v).map(|s| tidy(&s, 200)) {
            Some(s) if !s.is_empty() => s,
            _ => {
                problems.push(problem("source", "must be a name"));
                default_source.to_string()
            }
        },
    };

    // The incident's own fields, each checked on its own so every problem shows.
    let mut input = IncidentInput::default();
    let mut texts: HashMap<&str, String> = HashMap::new();
    for field in TEXT_FIELDS {
        match map.remove(*field) {
            None | Some(Value::Null) => {}
            Some(v) => match text_of(&v) {
                Some(s) => {
                    texts.insert(field, s);
                }
                None => problems.push(problem(*field, "must be text")),
            },
        }
    }
    for (pfield, field) in PRECISION_FIELDS {
        if let Some(v) = map.remove(*pfield).filter(|v| !v.is_null()) {
            let Some(p) = text_of(&v) else {
                problems.push(problem(*pfield, "must be text"));
                continue;
            };
            match texts.get(field) {
                None => problems.push(problem(*pfield, format!("needs {field}"))),
                Some(date) => match with_precision(date, &p) {
                    Ok(d) => {
                        texts.insert(field, d);
                    }
                    Err(m) => problems.push(problem(*pfield, m)),
                },
            }
        }
    }
    let tags = map
        .remove("tags")
        .map(|v| list_of("tags", &v, &mut problems))
        .unwrap_or_default();
    let references: Vec<Reference> = match map.remove("references") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Value::String(url) => Some(Reference {
                    title: String::new(),
                    url,
                }),
                other => match serde_json::from_value::<Reference>(other) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        problems.push(problem(
                            format!("references[{i}]"),
                            "must be a URL or {title, url}",
                        ));
                        None
                    }
                },
            })
            .collect(),
        Some(_) => {
            problems.push(problem("references", "must be a list"));
            Vec::new()
        }
    };
    let steps_value = map.remove("steps");
    let techniques_value = map.remove("techniques");
    for unknown in map.keys() {
        problems.push(problem(
            tidy(unknown, 60),
            "is not a field of an incident record",
        ));
    }

    let base = IncidentInput {
        title: Some("x".to_string()),
        ..Default::default()
    };
    let set = |input: &mut IncidentInput, field: &str, value: Option<String>| match field {
        "title" => input.title = value,
        "summary" => input.summary = value,
        "kind" => input.kind = value,
        "severity" => input.severity = value,
        "status" => input.status = value,
        "occurred_at" => input.occurred_at = value,
        "detected_at" => input.detected_at = value,
        "resolved_at" => input.resolved_at = value,
        "target" => input.target = value,
        "actor" => input.actor = value,
        "reporter" => input.reporter = value,
        "atlas_release" => input.atlas_release = value,
        _ => {}
    };
    for field in TEXT_FIELDS {
        let value = texts.get(field).cloned();
        set(&mut input, field, value.clone());
        if *field == "title" {
            continue;
        }
        let mut probe = base.clone();
        set(&mut probe, field, value);
        if let Err(e) = probe.validate() {
            problems.push(problem(e.field, e.message));
        }
    }
    if texts.get("title").is_none_or(|t| t.trim().is_empty()) {
        problems.push(problem("title", "is required"));
    } else {
        let probe = IncidentInput {
            title: texts.get("title").cloned(),
            ..Default::default()
        };
        if let Err(e) = probe.validate() {
            problems.push(problem(e.field, e.message));
        }
    }
    input.tags = tags;
    input.references = references;
    for probe in [
        IncidentInput {
            tags: input.tags.clone(),
            ..base.clone()
        },
        IncidentInput {
            references: input.references.clone(),
            ..base.clone()
        },
    ] {
        if let Err(e) = probe.validate() {
            problems.push(problem(e.field, e.message));
        }
    }
    let draft = if problems.is_empty() {
        // Rules across fields (dates in order).
        match input.validate() {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(problem(e.field, e.message));
                None
            }
        }
    } else {
        None
    };

    let release = match resolve_release(
        store,
        atlas,
        input
            .atlas_release
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    )
    .await
    {
        Ok(r) => Some(r),
        Err(ServiceError::Invalid(v)) => {
            if !problems.iter().any(|p| p.field == v.field) {
                problems.push(problem(v.field, v.message));
            }
            None
        }
        Err(e) => return Err(e),
    };

    // Steps: an ordered list, or an unordered technique list placed in matrix order.
    let mut steps: Vec<(StepDraft, String)> = Vec::new();
    let mut order_unknown = false;
    let mut to_confirm = 0;
    match (
        steps_value.filter(|v| !v.is_null()),
        techniques_value.filter(|v| !v.is_null()),
    ) {
        (Some(_), Some(_)) => problems.push(problem(
            "techniques",
            "give either ordered `steps` or an unordered `techniques` list, not both",
        )),
        (Some(v), None) => match serde_json::from_value::<Vec<Value>>(v) {
            Err(_) => problems.push(problem("steps", "must be a list of steps")),
            Ok(items) => {
                if items.len() > crate::domain::limits::STEPS {
                    problems.push(problem(
                        "steps",
                        format!("at most {} steps", crate::domain::limits::STEPS),
                    ));
                }
                for (i, item) in items.into_iter().enumerate() {
                    let prefix = format!("steps[{i}].");
                    let step: StepInput = match serde_json::from_value(item) {
                        Ok(s) => s,
                        Err(e) => {
                            problems.push(problem(format!("steps[{i}]"), e.to_string()));
                            continue;
                        }
                    };
                    let step = StepInput {
                        technique: step
                            .technique
                            .as_deref()
                            .map(|t| normalize_technique_id(t).unwrap_or_else(|| t.to_string())),
                        tactic: step.tactic.as_deref().map(|t| {
                            crate::domain::alert::normalize_tactic_id(t)
                                .unwrap_or_else(|| t.to_string())
                        }),
                        ..step
                    };
                    // No tactic: placed as a technique of an unordered list
                    // is (its only tactic, else to be confirmed).
                    let mut step = step;
                    let mut candidates = None;
                    if step.tactic.as_deref().is_none_or(|t| t.trim().is_empty())
                        && let Some(p) = step
                            .technique
                            .as_deref()
                            .and_then(|t| placement(atlas, t, None))
                    {
                        match p {
                            Placement::Tactic(t) => step.tactic = Some(t),
                            Placement::ToConfirm(c) => {
                                step.tactic = c.first().cloned();
                                candidates = Some(c.join(" "));
                            }
                        }
                    }
                    match step.validate(&prefix) {
                        Err(e) => problems.push(problem(e.field, e.message)),
                        Ok(mut draft) if candidates.is_some() => {
                            draft.tactic_id = String::new();
                            to_confirm += 1;
                            steps.push((draft, candidates.take().unwrap_or_default()));
                        }
                        Ok(draft) => {
                            if let Some(release) = &release {
                                match super::incidents::check_one_step(
                                    store, release, &draft, &prefix,
                                )
                                .await
                                {
                                    Ok(()) => steps.push((draft, String::new())),
                                    Err(ServiceError::Invalid(v)) => {
                                        problems.push(problem(v.field, v.message))
                                    }
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                    }
                }
            }
        },
        (None, Some(v)) => {
            order_unknown = true;
            let raw = list_of("techniques", &v, &mut problems);
            let mut placed: Vec<(usize, StepDraft, String)> = Vec::new();
            for (i, t) in raw.iter().enumerate() {
                let Some(id) = normalize_technique_id(t) else {
                    problems.push(problem(
                        format!("techniques[{i}]"),
                        format!(
                            "`{}` is not an ATLAS technique ID like AML.T0051",
                            tidy(t, 40)
                        ),
                    ));
                    continue;
                };
                if placed.iter().any(|(_, s, _)| s.technique_id == id) {
                    continue;
                }
                let Some(p) = placement(atlas, &id, None) else {
                    warnings.push(format!(
                        "{id} is not in ATLAS release {}: left out of the steps",
                        atlas.version()
                    ));
                    continue;
                };
                let (tactic, candidates) = match p {
                    Placement::Tactic(t) => (t, String::new()),
                    Placement::ToConfirm(c) => {
                        to_confirm += 1;
                        (String::new(), c.join(" "))
                    }
                };
                let column = if tactic.is_empty() {
                    candidates
                        .split_whitespace()
                        .filter_map(|c| atlas.tactic_position(c))
                        .min()
                        .unwrap_or(usize::MAX)
                } else {
                    atlas.tactic_position(&tactic).unwrap_or(usize::MAX)
                };
                placed.push((
                    column,
                    StepDraft {
                        tactic_id: tactic,
                        technique_id: id,
                        observed: None,
                        description: String::new(),
                        evidence: String::new(),
                        confidence: None,
                        outcome: Outcome::Unknown,
                        source: StepSource::Manual,
                    },
                    candidates,
                ));
            }
            if placed.len() > crate::domain::limits::STEPS {
                problems.push(problem(
                    "techniques",
                    format!("at most {} techniques", crate::domain::limits::STEPS),
                ));
            }
            // Matrix order of their tactics; the sort is stable, so ties keep the file's order.
            placed.sort_by_key(|(column, _, _)| *column);
            steps = placed.into_iter().map(|(_, s, c)| (s, c)).collect();
        }
        (None, None) => {}
    }

    let record = match (problems.is_empty(), draft, &external_id, release) {
        (true, Some(draft), Some(external_id), Some(release)) => Some(OriginRecord {
            source,
            external_id: external_id.clone(),
            draft,
            atlas_release: release.version.clone(),
            steps,
            order_unknown,
        }),
        _ => None,
    };
    Ok(Checked {
        external_id,
        record,
        problems,
        warnings,
        to_confirm,
    })
}

/// Imports a file's records (or checks them with `dry_run`). `progress` gets
/// (records done, records in all).
pub async fn import_text(
    store: &Store,
    atlas: &ActiveAtlas,
    text: &str,
    format: Format,
    options: &BulkOptions,
    progress: impl FnMut(usize, usize),
) -> Result<BulkReport, ServiceError> {
    let records = read_records(text, format).map_err(|m| ValidationError::new("file", m))?;
    import_records(store, atlas, records, options, progress).await
}

/// Imports records already read (from a file's lines, or made from another
/// format such as a STIX bundle): each checked, upserted by (source,
/// external ID); a record's "line" is how the report names it.
pub async fn import_records(
    store: &Store,
    atlas: &ActiveAtlas,
    records: Vec<RawRecord>,
    options: &BulkOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<BulkReport, ServiceError> {
    if records.len() > MAX_RECORDS {
        return Err(ValidationError::new(
            "file",
            format!(
                "holds {} records; import at most {MAX_RECORDS} at a time",
                records.len()
            ),
        )
        .into());
    }
    let mut report = BulkReport {
        dry_run: options.dry_run,
        records: records.len(),
        ..Default::default()
    };
    let total = records.len();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut batch: Vec<OriginRecord> = Vec::with_capacity(BATCH);
    let mut batch_confirm = 0;
    let mut done = 0;
    for (line, item) in records {
        done += 1;
        let checked = match item {
            Err(m) => Checked {
                external_id: None,
                record: None,
                problems: vec![problem("record", m)],
                warnings: Vec::new(),
                to_confirm: 0,
            },
            Ok(v) => check_record(store, atlas, v, &options.source).await?,
        };
        let mut problems = checked.problems;
        if let Some(r) = &checked.record {
            let key = (r.source.clone(), r.external_id.clone());
            if let Some(first) = seen.get(&key) {
                problems.push(problem(
                    "external_id",
                    format!("repeats the record of line {first} (same source and external ID)"),
                ));
            } else {
                seen.insert(key, line);
            }
        }
        report.warnings.extend(
            checked
                .warnings
                .into_iter()
                .map(|message| Warning { line, message }),
        );
        match (problems.is_empty(), checked.record) {
            (true, Some(record)) => {
                batch_confirm += checked.to_confirm;
                batch.push(record);
            }
            _ => report.failed.push(BadRecord {
                line,
                external_id: checked.external_id,
                problems,
            }),
        }
        if batch.len() >= BATCH {
            write_batch(
                store,
                &mut batch,
                options.dry_run,
                &mut report,
                &mut batch_confirm,
            )
            .await?;
            progress(done, total);
        }
    }
    write_batch(
        store,
        &mut batch,
        options.dry_run,
        &mut report,
        &mut batch_confirm,
    )
    .await?;
    progress(done, total);
    Ok(report)
}

async fn write_batch(
    store: &Store,
    batch: &mut Vec<OriginRecord>,
    dry_run: bool,
    report: &mut BulkReport,
    to_confirm: &mut usize,
) -> Result<(), ServiceError> {
    if batch.is_empty() {
        return Ok(());
    }
    let outcomes = store.upsert_origin_incidents(batch, dry_run).await?;
    for (_, o) in &outcomes {
        match o {
            Upsert::Created => report.created += 1,
            Upsert::Updated => report.updated += 1,
            Upsert::Unchanged => {}
        }
    }
    // Steps to confirm count only where something was written.
    let written = outcomes
        .iter()
        .filter(|(_, o)| *o != Upsert::Unchanged)
        .count();
    report.unchanged += outcomes.len() - written;
    if written > 0 {
        report.tactics_to_confirm += *to_confirm;
    }
    *to_confirm = 0;
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_and_lines_kept() {
        assert_eq!(Format::sniff(" [ {} ]"), Format::JsonArray);
        assert_eq!(Format::sniff("{\"a\":1}\n"), Format::Jsonl);
        assert_eq!(Format::sniff("external_id,title\n"), Format::Csv);
        let jsonl = read_records("{\"a\":1}\n\n{oops\n", Format::Jsonl).unwrap();
        assert_eq!(jsonl.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 3]);
        assert!(jsonl[1].1.is_err());
        let csv = read_records(
            "external_id,title,tags,techniques\nx1,\"A, quoted\",llm;rag,T0051|AML.T0043\nx2,B,,\n",
            Format::Csv,
        )
        .unwrap();
        assert_eq!(csv[0].0, 2);
        let first = csv[0].1.as_ref().unwrap();
        assert_eq!(first["title"], "A, quoted");
        assert_eq!(first["tags"], serde_json::json!(["llm", "rag"]));
        assert_eq!(
            first["techniques"],
            serde_json::json!(["T0051", "AML.T0043"])
        );
        assert!(csv[1].1.as_ref().unwrap().get("tags").is_none());
        assert!(read_records("[{", Format::JsonArray).is_err());
    }

    #[test]
    fn precision_fields_coarsen_dates() {
        assert_eq!(with_precision("2024-03-17", "Month").unwrap(), "2024-03");
        assert_eq!(
            with_precision("2024-03-17T10:00:00Z", "year").unwrap(),
            "2024"
        );
        assert!(with_precision("2024-03-17", "week").is_err());
    }
}
