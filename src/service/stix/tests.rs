use super::*;
use crate::atlas::active::ReleaseInfo;

fn atlas() -> ActiveAtlas {
    let info = ReleaseInfo {
        version: "5.6.0".into(),
        name: "ATLAS".into(),
        format: "legacy".into(),
        source: "embedded".into(),
        imported_at: "test".into(),
        is_active: true,
        has_descriptions: false,
        tactic_count: 0,
        technique_count: 0,
        mitigation_count: 0,
        case_study_count: 0,
    };
    ActiveAtlas::new(info, crate::atlas::catalog::embedded_release())
}

fn action(id: &str, technique: &str, effects: &[&str]) -> Value {
    let mut a =
        json!({"type": "attack-action", "id": id, "name": technique, "technique_id": technique});
    if !effects.is_empty() {
        a["effect_refs"] = json!(effects);
    }
    a
}

fn read(objects: Vec<Value>) -> (Vec<StixRecord>, Vec<ObjectNote>) {
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": objects});
    read_bundle(bundle.to_string().as_bytes(), &atlas()).expect("readable")
}

fn techniques(r: &StixRecord) -> Vec<&str> {
    r.record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["technique"].as_str().unwrap())
        .collect()
}

/// A branching flow (an operator joining two paths, a condition with
/// both outcomes) is read breadth first, every action once.
#[test]
fn branches_are_walked_breadth_first_each_action_once() {
    let (records, notes) = read(vec![
        json!({"type": "attack-flow", "id": "attack-flow--f", "name": "Branches",
               "extensions": {ATTACK_FLOW_EXTENSION: {"extension_type": "new-sdo"}},
               "start_refs": ["attack-action--a", "attack-action--b"]}),
        action("attack-action--a", "AML.T0000", &["attack-operator--and"]),
        action("attack-action--b", "AML.T0017", &["attack-operator--and"]),
        json!({"type": "attack-operator", "id": "attack-operator--and", "operator": "AND",
               "effect_refs": ["attack-condition--c"]}),
        json!({"type": "attack-condition", "id": "attack-condition--c", "description": "worked",
               "on_true_refs": ["attack-action--d"], "on_false_refs": ["attack-action--a"]}),
        action("attack-action--d", "AML.T0051", &[]),
    ]);
    assert_eq!(notes, []);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].object, "attack-flow--f");
    assert_eq!(records[0].record["title"], "Branches");
    assert_eq!(
        techniques(&records[0]),
        ["AML.T0000", "AML.T0017", "AML.T0051"]
    );
    assert_eq!(
        records[0].actions,
        ["attack-action--a", "attack-action--b", "attack-action--d"]
    );
}

#[test]
fn of_two_versions_of_an_object_the_newest_is_read() {
    let report = |name: &str, modified: &str| {
        json!({"type": "report", "id": "report--r", "name": name, "modified": modified,
               "object_refs": ["attack-pattern--p"]})
    };
    let pattern = json!({"type": "attack-pattern", "id": "attack-pattern--p",
        "external_references": [{"source_name": "mitre-atlas", "external_id": "AML.T0000"}]});
    for order in [[0, 1], [1, 0]] {
        let versions = [
            report("Old", "2024-01-01T00:00:00.000Z"),
            report("New", "2025-01-01T00:00:00.000Z"),
        ];
        let (records, notes) = read(vec![
            versions[order[0]].clone(),
            versions[order[1]].clone(),
            pattern.clone(),
        ]);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].record["title"], "New", "{order:?}");
        assert_eq!(records[0].record["techniques"], json!(["AML.T0000"]));
        assert_eq!(notes.len(), 1);
    }
}

#[test]
fn a_report_with_two_flows_reads_the_first_and_says_so() {
    let flow = |id: &str, start: &str| {
        json!({"type": "attack-flow", "id": id, "name": id,
               "extensions": {ATTACK_FLOW_EXTENSION: {"extension_type": "new-sdo"}},
               "start_refs": [start]})
    };
    let (records, notes) = read(vec![
        json!({"type": "report", "id": "report--r", "name": "Two flows",
               "object_refs": ["attack-flow--1", "attack-flow--2"]}),
        flow("attack-flow--1", "attack-action--a"),
        flow("attack-flow--2", "attack-action--b"),
        action("attack-action--a", "AML.T0000", &[]),
        action("attack-action--b", "AML.T0017", &[]),
    ]);
    assert_eq!(
        records.len(),
        1,
        "the second flow is not an incident of its own"
    );
    assert_eq!(techniques(&records[0]), ["AML.T0000"]);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].object, "attack-flow--2");
}

#[test]
fn technique_references_and_tactics_are_resolved_or_reported() {
    let (records, notes) = read(vec![
        json!({"type": "attack-flow", "id": "attack-flow--f", "name": "Refs",
               "start_refs": ["attack-action--a"]}),
        json!({"type": "attack-action", "id": "attack-action--a", "name": "by ref",
               "technique_ref": "attack-pattern--p", "tactic_ref": "x-mitre-tactic--t",
               "effect_refs": ["attack-action--b"]}),
        json!({"type": "attack-pattern", "id": "attack-pattern--p", "name": "Evade",
               "external_references": [{"source_name": "mitre-atlas", "external_id": "AML.T0015"}]}),
        json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--t", "name": "Defense Evasion",
               "external_references": [{"source_name": "mitre-atlas", "external_id": "AML.TA0007"}]}),
        // No tactic named: left to the import (to be confirmed).
        json!({"type": "attack-action", "id": "attack-action--b", "name": "no tactic",
               "technique_id": "AML.T0015", "effect_refs": ["attack-action--c"]}),
        json!({"type": "attack-action", "id": "attack-action--c", "name": "nothing"}),
    ]);
    let steps = records[0].record["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (steps[0]["technique"].as_str(), steps[0]["tactic"].as_str()),
        (Some("AML.T0015"), Some("AML.TA0007"))
    );
    assert_eq!(steps[1]["technique"], "AML.T0015");
    assert!(steps[1].get("tactic").is_none());
    let noted: Vec<&str> = notes.iter().map(|n| n.object.as_str()).collect();
    assert_eq!(noted, ["attack-flow--f", "attack-action--c"], "{notes:?}");
    assert!(notes[0].message.contains("extension"));
}

#[test]
fn unreadable_bundles_name_the_part() {
    let atlas = atlas();
    let field = |bytes: &[u8]| read_bundle(bytes, &atlas).unwrap_err().field;
    assert_eq!(field(b"nope"), "bundle");
    assert_eq!(field(br#"{"type":"report"}"#), "type");
    assert_eq!(field(br#"{"type":"bundle"}"#), "objects");
    assert_eq!(
        field(br#"{"type":"bundle","objects":[{"type":"report","id":"note--1"}]}"#),
        "objects"
    );
    assert_eq!(
        field(&vec![b' '; MAX_BUNDLE_BYTES + 1]),
        "bundle",
        "too large"
    );
    let deep = format!(r#"{{"type":"bundle","objects":{}"#, "[".repeat(100_000));
    assert_eq!(field(deep.as_bytes()), "bundle", "nesting is bounded");
}
