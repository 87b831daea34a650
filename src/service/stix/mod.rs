//! STIX 2.1 bundles in and out. Out: the incidents of a filter with their
//! steps, for `crate::export::stix`. In: a bundle's Attack Flows and
//! reports become bulk-import records ([`super::bulk_import`]), upserted by
//! source and the STIX object's ID, so importing the same bundle again
//! changes nothing.
//!
//! - A `report` whose `object_refs` hold an `attack-flow`, or an
//!   `attack-flow` no report holds: an incident whose steps are the flow's
//!   actions in flow order (from `start_refs` along `effect_refs`).
//! - A `report` without a flow (as OpenCTI and other platforms export a case
//!   study): an incident with the ATLAS techniques of the `attack-pattern`s
//!   it refers to, order unknown (placed in matrix order, marked so).
//!
//! Techniques that are not ATLAS IDs of the active release (ATT&CK IDs,
//! unknown or missing references) are left out and reported per object.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::ServiceError;
use super::bulk_import::{self, BulkOptions, Problem, RawRecord};
use crate::atlas::ActiveAtlas;
use crate::atlas::ids::{is_tactic_id, is_technique_id};
use crate::atlas::tactic_names::tactic_short_name;
use crate::domain::ValidationError;
use crate::domain::alert::tidy;
use crate::domain::stix::{
    ATLAS_SOURCE, ATLASVIEW_SOURCE, ATTACK_FLOW_EXTENSION, ExportIncident, INCIDENT_PROPERTIES,
};
use crate::store::{IncidentQuery, Store};

/// Largest bundle read. The whole bundle is parsed into memory (the
/// references go every way), at worst some 16 times its size for a file of
/// tiny values: 8 MiB keeps that near 128 MiB, and is ten times MITRE's
/// whole ATLAS bundle.
pub const MAX_BUNDLE_BYTES: usize = 8 * 1024 * 1024;
/// Most objects one bundle may hold.
pub const MAX_OBJECTS: usize = 50_000;
/// The source of imported incidents when the caller names none.
pub const DEFAULT_SOURCE: &str = "stix";

/// One incident with its steps and whether their order is known.
pub async fn incident_for_export(store: &Store, id: &str) -> Result<ExportIncident, ServiceError> {
    let detail = super::incidents::get(store, id).await?;
    let order_unknown = store
        .incident_origin(id)
        .await?
        .is_some_and(|(_, _, unknown)| unknown);
    Ok(ExportIncident {
        detail,
        order_unknown,
    })
}

/// One page of a list query's incidents with their steps (the query's
/// bound), and where the list goes on.
#[derive(Debug, Clone)]
pub struct ExportPage {
    pub incidents: Vec<ExportIncident>,
    pub total: i64,
    /// The query parameter of the next page (`after=…` in keyset orders,
    /// else `page=…`), if there is one.
    pub next: Option<(&'static str, String)>,
}

/// The incidents of a list query (one page of it) with their steps, in the
/// list's order.
pub async fn incidents_for_export(
    store: &Store,
    query: &IncidentQuery,
) -> Result<ExportPage, ServiceError> {
    let page = super::incidents::list(store, query).await?;
    let mut incidents = Vec::with_capacity(page.items.len());
    for s in &page.items {
        incidents.push(incident_for_export(store, &s.incident.id).await?);
    }
    // A full page has a cursor whether or not rows follow: look for one, so
    // the last page says it is the last.
    let next = match page.next {
        Some(cursor) => {
            let probe = IncidentQuery {
                after: Some(cursor.clone()),
                page: 1,
                per_page: 1,
                ..query.clone()
            };
            let more = !super::incidents::list(store, &probe)
                .await?
                .items
                .is_empty();
            more.then(|| ("after", cursor.encode()))
        }
        // Orders without a keyset page by number.
        None => (page.page < page.pages()).then(|| ("page", (page.page + 1).to_string())),
    };
    Ok(ExportPage {
        incidents,
        total: page.total,
        next,
    })
}

/// A record made from the bundle, with the STIX objects that name its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct StixRecord {
    /// The report or flow it comes from (its external ID).
    pub object: String,
    /// The bulk-import record.
    pub record: Value,
    /// The action behind each step, for naming a bad step.
    pub actions: Vec<String>,
}

/// Something read but left out, by the object it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectNote {
    pub object: String,
    pub message: String,
}

/// A record not imported, with every problem it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadObject {
    pub object: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StixReport {
    pub dry_run: bool,
    /// Incidents the bundle holds (reports and lone flows).
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<BadObject>,
    /// Objects left out (unknown IDs, broken references) and notes.
    pub warnings: Vec<ObjectNote>,
    pub tactics_to_confirm: usize,
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn refs<'a>(o: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    o.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The bundle's objects by ID, in file order; bad objects noted.
struct Index<'a> {
    by_id: HashMap<&'a str, &'a Map<String, Value>>,
    order: Vec<&'a str>,
}

impl<'a> Index<'a> {
    fn get(&self, id: &str) -> Option<&'a Map<String, Value>> {
        self.by_id.get(id).copied()
    }

    fn of_type(&self, id: &str, kind: &str) -> Option<&'a Map<String, Value>> {
        self.get(id).filter(|o| text(o, "type") == Some(kind))
    }
}

/// The ATLAS ID a referenced object carries: a `mitre-atlas` external
/// reference, else `x_mitre_id` (OpenCTI's), else an `AML.` external ID of
/// any source.
fn atlas_id(o: &Map<String, Value>) -> Option<String> {
    let external: Vec<&Map<String, Value>> = o
        .get("external_references")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let of = |e: &&Map<String, Value>| text(e, "external_id").map(str::to_string);
    external
        .iter()
        .filter(|e| text(e, "source_name") == Some(ATLAS_SOURCE))
        .find_map(of)
        .or_else(|| text(o, "x_mitre_id").map(str::to_string))
        .or_else(|| {
            external
                .iter()
                .filter_map(of)
                .find(|id| id.starts_with("AML."))
        })
}

fn short(id: &str) -> String {
    tidy(id, 120)
}

/// Reads a bundle into records, noting what is left out. Errors name the
/// part of the bundle that cannot be read at all.
pub fn read_bundle(
    bytes: &[u8],
    atlas: &ActiveAtlas,
) -> Result<(Vec<StixRecord>, Vec<ObjectNote>), ValidationError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(ValidationError::new(
            "bundle",
            format!("is {} bytes; the limit is {MAX_BUNDLE_BYTES}", bytes.len()),
        ));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ValidationError::new("bundle", format!("is not JSON: {e}")))?;
    let Value::Object(bundle) = value else {
        return Err(ValidationError::new(
            "bundle",
            "must be a JSON object of type `bundle`",
        ));
    };
    if text(&bundle, "type") != Some("bundle") {
        return Err(ValidationError::new(
            "type",
            "must be `bundle` (a STIX 2.1 bundle)",
        ));
    }
    let Some(objects) = bundle.get("objects").and_then(Value::as_array) else {
        return Err(ValidationError::new("objects", "must be a list of objects"));
    };
    if objects.len() > MAX_OBJECTS {
        return Err(ValidationError::new(
            "objects",
            format!(
                "holds {} objects; the limit is {MAX_OBJECTS}",
                objects.len()
            ),
        ));
    }
    let mut notes = Vec::new();
    let mut index = Index {
        by_id: HashMap::new(),
        order: Vec::new(),
    };
    let mut bad = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        let Some(o) = o.as_object() else {
            bad.push(format!("objects[{i}]: must be an object"));
            continue;
        };
        match (text(o, "type"), text(o, "id")) {
            (Some(kind), Some(id)) if id.starts_with(&format!("{kind}--")) => {
                match index.by_id.get(id) {
                    None => {
                        index.by_id.insert(id, o);
                        index.order.push(id);
                    }
                    // Versions of one object: the newest `modified` wins
                    // (timestamps in UTC compare as text), a tie the last.
                    Some(kept) => {
                        if text(o, "modified") >= text(kept, "modified") {
                            index.by_id.insert(id, o);
                        }
                        notes.push(ObjectNote {
                            object: short(id),
                            message: "appears more than once: its newest version is read".into(),
                        });
                    }
                }
            }
            (Some(_), Some(id)) => bad.push(format!(
                "objects[{i}]: id `{}` does not start with its type",
                short(id)
            )),
            _ => bad.push(format!("objects[{i}]: needs a `type` and an `id`")),
        }
    }
    if !bad.is_empty() {
        let more = bad.len().saturating_sub(20);
        let mut message = bad.into_iter().take(20).collect::<Vec<_>>().join("; ");
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        return Err(ValidationError::new("objects", message));
    }

    let mut records = Vec::new();
    let mut claimed: HashSet<&str> = HashSet::new();
    for id in &index.order {
        let o = index.by_id[id];
        if text(o, "type") != Some("report") {
            continue;
        }
        let object_refs = refs(o, "object_refs");
        let flows: Vec<&str> = object_refs
            .iter()
            .copied()
            .filter(|r| index.of_type(r, "attack-flow").is_some())
            .collect();
        let record = match flows.as_slice() {
            [] => report_techniques(id, o, &object_refs, &index, atlas, &mut notes),
            [flow, rest @ ..] => {
                for other in rest {
                    notes.push(ObjectNote {
                        object: short(other),
                        message: format!(
                            "a second flow of report {}: only the first is read",
                            short(id)
                        ),
                    });
                }
                flow_record(id, o, flow, &index, atlas, &mut notes)
            }
        };
        claimed.extend(flows);
        records.push(record);
    }
    for id in &index.order {
        let o = index.by_id[id];
        if text(o, "type") == Some("attack-flow") && !claimed.contains(id) {
            records.push(flow_record(id, o, id, &index, atlas, &mut notes));
        }
    }
    if records.is_empty() {
        return Err(ValidationError::new(
            "objects",
            "hold no `report` and no `attack-flow` (extension-definition--fb9c968a-…): nothing to import",
        ));
    }
    Ok((records, notes))
}

/// The incident's own fields from the report (or flow) `o`.
fn base_record(id: &str, o: &Map<String, Value>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("external_id".into(), json!(id));
    r.insert(
        "title".into(),
        json!(text(o, "name").map(|n| tidy(n, 200)).unwrap_or_default()),
    );
    if let Some(d) = text(o, "description") {
        r.insert("summary".into(), json!(d));
    }
    let labels: Vec<Value> = o
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|l| json!(l.trim().to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    if !labels.is_empty() {
        r.insert("tags".into(), Value::Array(labels));
    }
    // Our own fields, where an atlasview export gave them (checked as any
    // bulk record's).
    for (property, field) in INCIDENT_PROPERTIES.iter().zip([
        "kind",
        "severity",
        "status",
        "occurred_at",
        "detected_at",
        "resolved_at",
        "target",
        "actor",
        "reporter",
    ]) {
        if let Some(v) = o.get(*property).filter(|v| !v.is_null()) {
            r.insert(field.into(), v.clone());
        }
    }
    // Links to read; our own and ATLAS's identifiers are not references.
    let references: Vec<Value> = o
        .get("external_references")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_object)
                .filter(|e| {
                    !matches!(
                        text(e, "source_name"),
                        Some(ATLAS_SOURCE | ATLASVIEW_SOURCE)
                    )
                })
                .filter_map(|e| {
                    let url = text(e, "url")?;
                    let title = text(e, "source_name")
                        .filter(|s| *s != "reference")
                        .or_else(|| text(e, "description"))
                        .unwrap_or("");
                    Some(json!({ "title": tidy(title, 500), "url": url }))
                })
                .collect()
        })
        .unwrap_or_default();
    if !references.is_empty() {
        r.insert("references".into(), Value::Array(references));
    }
    r
}

/// The ATLAS technique of an attack-pattern object, or why there is none.
fn pattern_technique(id: &str, index: &Index<'_>, atlas: &ActiveAtlas) -> Result<String, String> {
    let Some(o) = index.of_type(id, "attack-pattern") else {
        return Err("is referred to but not in the bundle".into());
    };
    match atlas_id(o) {
        Some(t) if is_technique_id(&t) && atlas.technique(&t).is_some() => Ok(t),
        Some(t) if is_technique_id(&t) => Err(format!(
            "{} is not in ATLAS release {}: left out",
            short(&t),
            atlas.version()
        )),
        Some(t) => Err(format!(
            "`{}` is not an ATLAS technique ID: left out",
            short(&t)
        )),
        None => {
            Err("carries no ATLAS technique ID (mitre-atlas external reference): left out".into())
        }
    }
}

/// A report without a flow: its techniques, order unknown.
fn report_techniques(
    id: &str,
    o: &Map<String, Value>,
    object_refs: &[&str],
    index: &Index<'_>,
    atlas: &ActiveAtlas,
    notes: &mut Vec<ObjectNote>,
) -> StixRecord {
    let mut record = base_record(id, o);
    let mut techniques: Vec<String> = Vec::new();
    for r in object_refs {
        if !r.starts_with("attack-pattern--") {
            continue;
        }
        match pattern_technique(r, index, atlas) {
            Ok(t) if !techniques.contains(&t) => techniques.push(t),
            Ok(_) => {}
            Err(message) => notes.push(ObjectNote {
                object: short(r),
                message,
            }),
        }
    }
    if !techniques.is_empty() {
        record.insert("techniques".into(), json!(techniques));
    }
    StixRecord {
        object: short(id),
        record: Value::Object(record),
        actions: Vec::new(),
    }
}

/// The tactic of an action: `tactic_id` (an ATLAS ID or a short name),
/// else its `tactic_ref`'s ATLAS ID; `None` when it names none (bulk import
/// then takes the technique's only tactic, or marks it to be confirmed).
fn action_tactic(o: &Map<String, Value>, index: &Index<'_>, atlas: &ActiveAtlas) -> Option<String> {
    if let Some(t) = text(o, "tactic_id") {
        if is_tactic_id(t) {
            return Some(t.to_string());
        }
        if let Some(found) = atlas
            .tactics()
            .iter()
            .find(|x| tactic_short_name(&x.name) == t.to_ascii_lowercase())
        {
            return Some(found.id.clone());
        }
    }
    text(o, "tactic_ref")
        .and_then(|r| index.get(r))
        .and_then(atlas_id)
        .filter(|t| is_tactic_id(t))
}

/// A flow's actions in flow order: breadth first from `start_refs` along
/// `effect_refs` (through operators, and both branches of conditions), each
/// object once.
fn walk_flow<'a>(flow: &'a Map<String, Value>, index: &Index<'a>) -> Vec<&'a str> {
    let mut queue: VecDeque<&str> = refs(flow, "start_refs").into();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut actions = Vec::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        let Some(o) = index.get(id) else { continue };
        match text(o, "type") {
            Some("attack-action") => actions.push(id),
            Some("attack-operator") | Some("attack-condition") => {}
            _ => continue,
        }
        for key in ["effect_refs", "on_true_refs", "on_false_refs"] {
            queue.extend(refs(o, key));
        }
    }
    actions
}

/// A report (or a flow on its own) with the flow `flow_id`: ordered steps.
fn flow_record(
    id: &str,
    o: &Map<String, Value>,
    flow_id: &str,
    index: &Index<'_>,
    atlas: &ActiveAtlas,
    notes: &mut Vec<ObjectNote>,
) -> StixRecord {
    let mut record = base_record(id, o);
    let Some(flow) = index.get(flow_id) else {
        return StixRecord {
            object: short(id),
            record: Value::Object(record),
            actions: Vec::new(),
        };
    };
    if !flow
        .get("extensions")
        .and_then(Value::as_object)
        .is_some_and(|e| e.contains_key(ATTACK_FLOW_EXTENSION))
    {
        notes.push(ObjectNote {
            object: short(flow_id),
            message: format!("does not name the Attack Flow extension {ATTACK_FLOW_EXTENSION}; read as one all the same"),
        });
    }
    if record["title"].as_str().is_none_or(str::is_empty)
        && let Some(name) = text(flow, "name")
    {
        record.insert("title".into(), json!(tidy(name, 200)));
    }
    if !record.contains_key("summary")
        && let Some(d) = text(flow, "description")
    {
        record.insert("summary".into(), json!(d));
    }
    let order = walk_flow(flow, index);
    if order.is_empty() {
        notes.push(ObjectNote {
            object: short(flow_id),
            message: "its start_refs lead to no attack-action: an incident without steps".into(),
        });
    }
    let mut steps = Vec::new();
    let mut actions = Vec::new();
    for a in order {
        let Some(action) = index.get(a) else { continue };
        let technique = match text(action, "technique_id") {
            Some(t) => Ok(t.to_string()),
            None => match text(action, "technique_ref") {
                Some(r) => pattern_technique(r, index, atlas),
                None => Err("names no technique (technique_id or technique_ref): left out".into()),
            },
        };
        let technique = technique.and_then(|t| {
            if !is_technique_id(&t) {
                Err(format!(
                    "`{}` is not an ATLAS technique ID: left out",
                    short(&t)
                ))
            } else if atlas.technique(&t).is_none() {
                Err(format!(
                    "{} is not in ATLAS release {}: left out",
                    short(&t),
                    atlas.version()
                ))
            } else {
                Ok(t)
            }
        });
        match technique {
            Ok(technique) => {
                let mut s = Map::new();
                if let Some(tactic) = action_tactic(action, index, atlas) {
                    s.insert("tactic".into(), json!(tactic));
                }
                s.insert("technique".into(), json!(technique));
                if let Some(d) = text(action, "description") {
                    s.insert("description".into(), json!(d));
                }
                if let Some(t) = text(action, "execution_start") {
                    s.insert("observed_at".into(), json!(t));
                }
                steps.push(Value::Object(s));
                actions.push(short(a));
            }
            Err(message) => notes.push(ObjectNote {
                object: short(a),
                message,
            }),
        }
    }
    if o.get("x_atlasview_order_unknown") == Some(&Value::Bool(true)) {
        // Steps placed in matrix order: an unordered list again, marked so.
        let techniques: Vec<Value> = steps.iter().map(|s| s["technique"].clone()).collect();
        record.insert("techniques".into(), Value::Array(techniques));
        actions.clear();
    } else {
        record.insert("steps".into(), Value::Array(steps));
    }
    StixRecord {
        object: short(id),
        record: Value::Object(record),
        actions,
    }
}

/// `steps[2].technique` of a record as the action behind step 2.
fn object_field(field: &str, record: &StixRecord) -> String {
    if let Some(rest) = field.strip_prefix("steps[")
        && let Some((n, tail)) = rest.split_once(']')
        && let Ok(n) = n.parse::<usize>()
        && let Some(action) = record.actions.get(n)
    {
        return format!("{action}{tail}");
    }
    field.to_string()
}

/// Imports a bundle (or checks it with `dry_run`).
pub async fn import_bundle(
    store: &Store,
    atlas: &ActiveAtlas,
    bytes: &[u8],
    options: &BulkOptions,
) -> Result<StixReport, ServiceError> {
    let (records, notes) = read_bundle(bytes, atlas)?;
    let raw: Vec<RawRecord> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (i + 1, Ok(r.record.clone())))
        .collect();
    let bulk = bulk_import::import_records(store, atlas, raw, options, |_, _| {}).await?;
    let name = |line: usize| {
        records
            .get(line.wrapping_sub(1))
            .map(|r| r.object.clone())
            .unwrap_or_default()
    };
    let mut warnings = notes;
    warnings.extend(bulk.warnings.iter().map(|w| ObjectNote {
        object: name(w.line),
        message: w.message.clone(),
    }));
    let failed = bulk
        .failed
        .iter()
        .map(|b| {
            let record = records.get(b.line.wrapping_sub(1));
            BadObject {
                object: name(b.line),
                problems: b
                    .problems
                    .iter()
                    .map(|p| Problem {
                        field: record
                            .map_or_else(|| p.field.clone(), |r| object_field(&p.field, r)),
                        message: p.message.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(StixReport {
        dry_run: bulk.dry_run,
        records: bulk.records,
        created: bulk.created,
        updated: bulk.updated,
        unchanged: bulk.unchanged,
        failed,
        warnings,
        tactics_to_confirm: bulk.tactics_to_confirm,
    })
}

#[cfg(test)]
mod tests;
