//! Incidents as a STIX 2.1 bundle with their attack path as a CTID Attack
//! Flow 2.0 (the STIX extension
//! `extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4`). Pure: the
//! inputs are the incidents with their steps and the release that names the
//! techniques and tactics.
//!
//! Each incident is a `report`, not an `incident` SDO: the STIX 2.1
//! `incident` is a stub (name, description and kill chain phases only, its
//! other properties reserved for a later version), so it could hold neither
//! the dates nor the references to the techniques and the flow without
//! relationships of our own making; a `report` has `published`, `labels`,
//! `external_references` and `object_refs` for all of them, and it is how
//! OpenCTI and other platforms exchange ATLAS case studies, so they import
//! ours as they import those.
//!
//! IDs are UUIDv5 of our own IDs in one fixed namespace, and every timestamp
//! comes from the data (the incident's and steps' created and updated times;
//! a fixed date for the reference objects), so exporting the same incident
//! twice gives the same bytes. The validator warns that these IDs are not
//! UUIDv4 (a SHOULD of the spec): re-exports that keep their IDs matter more.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::tactic_short_name;
use crate::atlas::ActiveAtlas;
use crate::domain::Observation;
pub use crate::domain::stix::{
    ATLAS_SOURCE, ATLASVIEW_SOURCE, ATTACK_FLOW_EXTENSION, ExportIncident, INCIDENT_PROPERTIES,
};

/// The identity that publishes the Attack Flow extension (CTID's own).
const ATTACK_FLOW_AUTHOR: &str = "identity--d673f8cb-c168-42da-8ed4-0cb26725f86c";
const ATTACK_FLOW_SCHEMA: &str = "https://center-for-threat-informed-defense.github.io/attack-flow/stix/attack-flow-schema-2.0.0.json";
/// The media type of a STIX 2.1 bundle (as TAXII 2.1 names it).
pub const MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// The namespace of every UUIDv5 we make (random once, never to change).
const NAMESPACE: Uuid = uuid::uuid!("3f6c2a8e-5b1d-4c7e-9a0f-7d2e8b4c6a10");
/// created/modified of the objects that stand for reference data (the
/// producer, techniques, tactics): the same ID always has the same times.
const REFERENCE_TIME: &str = "2026-12-01T00:00:00.000Z";

/// `type--uuid5(type:key)`.
pub fn stix_id(kind: &str, key: &str) -> String {
    format!(
        "{kind}--{}",
        Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
    )
}

/// A stored RFC 3339 time as a STIX timestamp (UTC, milliseconds).
fn timestamp(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        })
        .unwrap_or_else(|_| REFERENCE_TIME.to_string())
}

/// (created, modified), modified never before created.
fn times(created: &str, modified: &str) -> (String, String) {
    let (c, m) = (timestamp(created), timestamp(modified));
    // Same format, so text order is time order.
    let m = if m < c { c.clone() } else { m };
    (c, m)
}

fn producer_id() -> String {
    stix_id("identity", "atlasview")
}

fn producer() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": producer_id(),
        "created": REFERENCE_TIME,
        "modified": REFERENCE_TIME,
        "name": "atlasview",
        "description": "Self-hosted MITRE ATLAS incident tracker",
        "identity_class": "system",
    })
}

fn extension_definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ATTACK_FLOW_EXTENSION,
        "created_by_ref": ATTACK_FLOW_AUTHOR,
        "created": "2022-08-02T19:34:35.143Z",
        "modified": "2022-08-02T19:34:35.143Z",
        "name": "Attack Flow",
        "description": "Extends STIX 2.1 with features to create Attack Flows.",
        "schema": ATTACK_FLOW_SCHEMA,
        "version": "2.0.0",
        "extension_types": ["new-sdo"],
    })
}

fn extension_author() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": ATTACK_FLOW_AUTHOR,
        "created_by_ref": ATTACK_FLOW_AUTHOR,
        "created": "2022-08-02T19:34:35.143Z",
        "modified": "2022-08-02T19:34:35.143Z",
        "name": "MITRE Center for Threat-Informed Defense",
        "identity_class": "organization",
    })
}

/// The ID of our extension definition for [`INCIDENT_PROPERTIES`].
pub fn incident_extension_id() -> String {
    stix_id("extension-definition", "atlasview-incident-fields")
}

fn incident_extension() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": incident_extension_id(),
        "created_by_ref": producer_id(),
        "created": REFERENCE_TIME,
        "modified": REFERENCE_TIME,
        "name": "atlasview incident fields",
        "description": "The fields of an atlasview incident that a report has no property for.",
        "schema": "Top-level properties of a report, each a string: x_atlasview_kind (incident, exercise, case-study), \
    x_atlasview_severity (low, medium, high, critical), x_atlasview_status (open, contained, resolved, closed), \
    x_atlasview_occurred, x_atlasview_detected and x_atlasview_resolved (a date to its precision: 2024, 2024-03, \
    2024-03-17 or an RFC 3339 time), x_atlasview_target, x_atlasview_actor and x_atlasview_reporter (free text).",
        "version": "1.0.0",
        "extension_types": ["toplevel-property-extension"],
        "extension_properties": INCIDENT_PROPERTIES,
    })
}

/// What an Attack Flow object carries to say it is one.
fn new_sdo() -> Value {
    json!({ ATTACK_FLOW_EXTENSION: { "extension_type": "new-sdo" } })
}

fn atlas_reference(kind: &str, id: &str) -> Value {
    json!({
        "source_name": ATLAS_SOURCE,
        "external_id": id,
        "url": format!("https://atlas.mitre.org/{kind}/{id}"),
    })
}

fn tactic_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .tactic(id)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn technique_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .technique(id)
        .map(|t| atlas.display_name(t))
        .unwrap_or_else(|| id.to_string())
}

fn tactic_object(atlas: &ActiveAtlas, id: &str) -> Value {
    let name = tactic_name(atlas, id);
    json!({
        "type": "x-mitre-tactic",
        "spec_version": "2.1",
        "id": stix_id("x-mitre-tactic", id),
        "created": REFERENCE_TIME,
        "modified": REFERENCE_TIME,
        "created_by_ref": producer_id(),
        "name": name,
        "x_mitre_shortname": tactic_short_name(&name),
        "external_references": [atlas_reference("tactics", id)],
    })
}

/// A technique with the kill chain phases of the tactics it serves in the
/// release (and of those our steps put it under).
fn technique_object(atlas: &ActiveAtlas, id: &str, used_under: &BTreeSet<String>) -> Value {
    let mut tactics: Vec<String> = atlas
        .technique(id)
        .map(|t| t.tactics.clone())
        .unwrap_or_default();
    for t in used_under {
        if !tactics.contains(t) {
            tactics.push(t.clone());
        }
    }
    tactics.sort_by_key(|t| (atlas.tactic_position(t).unwrap_or(usize::MAX), t.clone()));
    let phases: Vec<Value> = tactics
        .iter()
        .map(|t| {
            json!({
                "kill_chain_name": ATLAS_SOURCE,
                "phase_name": tactic_short_name(&tactic_name(atlas, t)),
            })
        })
        .collect();
    let mut o = json!({
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": stix_id("attack-pattern", id),
        "created": REFERENCE_TIME,
        "modified": REFERENCE_TIME,
        "created_by_ref": producer_id(),
        "name": technique_name(atlas, id),
        "external_references": [atlas_reference("techniques", id)],
    });
    if !phases.is_empty() {
        o["kill_chain_phases"] = Value::Array(phases);
    }
    o
}

fn action_id(step: &Observation) -> String {
    stix_id("attack-action", &step.id)
}

fn action_object(atlas: &ActiveAtlas, step: &Observation, next: Option<&Observation>) -> Value {
    let (created, modified) = times(&step.created_at, &step.updated_at);
    let mut o = Map::new();
    o.insert("type".into(), json!("attack-action"));
    o.insert("spec_version".into(), json!("2.1"));
    o.insert("id".into(), json!(action_id(step)));
    o.insert("created".into(), json!(created));
    o.insert("modified".into(), json!(modified));
    o.insert("created_by_ref".into(), json!(producer_id()));
    o.insert("extensions".into(), new_sdo());
    o.insert(
        "name".into(),
        json!(technique_name(atlas, &step.technique_id)),
    );
    o.insert("technique_id".into(), json!(step.technique_id));
    o.insert(
        "technique_ref".into(),
        json!(stix_id("attack-pattern", &step.technique_id)),
    );
    // A step whose tactic is still to be confirmed has none to give.
    if !step.tactic_id.is_empty() {
        o.insert("tactic_id".into(), json!(step.tactic_id));
        o.insert(
            "tactic_ref".into(),
            json!(stix_id("x-mitre-tactic", &step.tactic_id)),
        );
    }
    if !step.description.is_empty() {
        o.insert("description".into(), json!(step.description));
    }
    if let Some(t) = step.observed {
        o.insert("execution_start".into(), json!(timestamp(&t.rfc3339())));
    }
    // The schema wants at least one effect where the list is given: the
    // last step has none.
    if let Some(next) = next {
        o.insert("effect_refs".into(), json!([action_id(next)]));
    }
    Value::Object(o)
}

/// The report and, when it has steps, the flow and its actions of one incident.
fn incident_objects(atlas: &ActiveAtlas, exported: &ExportIncident) -> Vec<Value> {
    let detail = &exported.detail;
    let i = &detail.incident;
    let (created, modified) = times(&i.created_at, &i.updated_at);
    let mut out = Vec::new();
    let mut refs: Vec<String> = Vec::new();

    let flow_id = stix_id("attack-flow", &i.id);
    if let Some(first) = detail.steps.first() {
        let mut flow = json!({
            "type": "attack-flow",
            "spec_version": "2.1",
            "id": flow_id,
            "created": created,
            "modified": modified,
            "created_by_ref": producer_id(),
            "extensions": new_sdo(),
            "name": i.title,
            "scope": "incident",
            "start_refs": [action_id(first)],
        });
        if !i.summary.is_empty() {
            flow["description"] = json!(i.summary);
        }
        out.push(flow);
        refs.push(flow_id);
        for (n, step) in detail.steps.iter().enumerate() {
            out.push(action_object(atlas, step, detail.steps.get(n + 1)));
            refs.push(action_id(step));
        }
    }
    let techniques: BTreeSet<&str> = detail
        .steps
        .iter()
        .map(|s| s.technique_id.as_str())
        .collect();
    let tactics: BTreeSet<&str> = detail
        .steps
        .iter()
        .map(|s| s.tactic_id.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    refs.extend(techniques.iter().map(|t| stix_id("attack-pattern", t)));
    refs.extend(tactics.iter().map(|t| stix_id("x-mitre-tactic", t)));
    if refs.is_empty() {
        // `object_refs` may not be empty: an incident without steps points
        // at its producer.
        refs.push(producer_id());
    }

    let mut external = vec![json!({
        "source_name": ATLASVIEW_SOURCE,
        "external_id": i.id,
    })];
    if let Some(cs) = i.source_ref.as_deref().filter(|s| s.starts_with("AML.CS")) {
        external.push(atlas_reference("studies", cs));
    }
    for r in &i.references {
        let (title, url) = (r.title.trim(), r.url.trim());
        let mut e = Map::new();
        e.insert(
            "source_name".into(),
            json!(if title.is_empty() { "reference" } else { title }),
        );
        match (url.is_empty(), title.is_empty()) {
            (false, _) => {
                e.insert("url".into(), json!(url));
            }
            (true, false) => {
                e.insert("description".into(), json!(title));
            }
            (true, true) => continue,
        }
        external.push(Value::Object(e));
    }
    let mut report = json!({
        "type": "report",
        "spec_version": "2.1",
        "id": stix_id("report", &i.id),
        "created": created,
        "modified": modified,
        "created_by_ref": producer_id(),
        "name": i.title,
        "report_types": ["threat-report"],
        "published": i.occurred.map(|t| timestamp(&t.rfc3339())).unwrap_or_else(|| created.clone()),
        "object_refs": refs,
        "external_references": external,
    });
    if !i.summary.is_empty() {
        report["description"] = json!(i.summary);
    }
    if !i.tags.is_empty() {
        report["labels"] = json!(i.tags);
    }
    report["extensions"] =
        json!({ incident_extension_id(): { "extension_type": "toplevel-property-extension" } });
    let fields = [
        Some(i.kind.as_str().to_string()),
        Some(i.severity.as_str().to_string()),
        Some(i.status.as_str().to_string()),
        i.occurred.map(|t| t.input_value()),
        i.detected.map(|t| t.input_value()),
        i.resolved.map(|t| t.input_value()),
        Some(i.target.clone()),
        Some(i.actor.clone()),
        Some(i.reporter.clone()),
    ];
    for (name, value) in INCIDENT_PROPERTIES.iter().zip(fields) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            report[*name] = json!(v);
        }
    }
    if exported.order_unknown {
        report["x_atlasview_order_unknown"] = json!(true);
    }
    out.insert(0, report);
    out
}

/// One bundle for these incidents: the producer, the Attack Flow extension,
/// each tactic and technique once, then each incident's report and flow.
pub fn bundle(atlas: &ActiveAtlas, incidents: &[ExportIncident]) -> Value {
    let mut tactics: BTreeSet<String> = BTreeSet::new();
    let mut techniques: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in incidents.iter().map(|e| &e.detail) {
        for s in &d.steps {
            let under = techniques.entry(s.technique_id.clone()).or_default();
            if !s.tactic_id.is_empty() {
                tactics.insert(s.tactic_id.clone());
                under.insert(s.tactic_id.clone());
            }
        }
    }
    let mut tactic_order: Vec<&String> = tactics.iter().collect();
    tactic_order.sort_by_key(|t| (atlas.tactic_position(t).unwrap_or(usize::MAX), (*t).clone()));

    let mut objects = vec![producer()];
    if !incidents.is_empty() {
        objects.push(incident_extension());
    }
    if incidents.iter().any(|d| !d.detail.steps.is_empty()) {
        objects.push(extension_definition());
        objects.push(extension_author());
    }
    objects.extend(tactic_order.into_iter().map(|t| tactic_object(atlas, t)));
    objects.extend(
        techniques
            .iter()
            .map(|(t, under)| technique_object(atlas, t, under)),
    );
    let mut keys: Vec<&str> = Vec::new();
    for d in incidents {
        keys.push(&d.detail.incident.id);
        objects.extend(incident_objects(atlas, d));
    }
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &keys.join(" ")),
        "objects": objects,
    })
}

/// The bundle as sent: pretty JSON with a final newline.
pub fn to_json(bundle: &Value) -> String {
    let mut text = serde_json::to_string_pretty(bundle).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid5_of_our_ids_and_stable() {
        let a = stix_id("report", "inc-1");
        assert_eq!(a, stix_id("report", "inc-1"));
        assert_ne!(a, stix_id("report", "inc-2"));
        let flow = stix_id("attack-flow", "inc-1");
        assert_ne!(a[8..], flow[13..], "kinds do not share UUIDs");
        let uuid = Uuid::parse_str(a.strip_prefix("report--").unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 5);
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds_and_modified_follows_created() {
        assert_eq!(
            timestamp("2024-03-17T10:00:00+02:00"),
            "2024-03-17T08:00:00.000Z"
        );
        assert_eq!(timestamp("garbage"), REFERENCE_TIME);
        let (c, m) = times("2024-03-17T10:00:00Z", "2024-01-01T00:00:00Z");
        assert_eq!(c, m);
    }
}
