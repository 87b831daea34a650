//! The ATLAS release importers: the real legacy releases, hand-written v6
//! fixtures, and files that must be rejected with a precise error.

use std::collections::HashSet;

use atlasview::atlas::error::ImportError;
use atlasview::atlas::parse::{
    MAX_RELEASE_BYTES, ParseOptions, parse_release, parse_release_str, parse_release_str_with,
    parse_release_with,
};
use atlasview::atlas::version::compare_versions;
use atlasview::atlas::{Release, SourceFormat};

const ATLAS_5_6_0: &str = "ATLAS-5.6.0.yaml";
const ATLAS_4_8_0: &str = "ATLAS-4.8.0.yaml";

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A release file of the shared ATLAS data.
fn import(file: &str) -> Release {
    let path = crate::support::shared_atlas(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    parse_release(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn import_fixture(name: &str) -> Release {
    parse_release(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn reject_fixture(name: &str) -> ImportError {
    match parse_release(&fixture_bytes(name)) {
        Ok(r) => panic!("{name} must be rejected, got release {}", r.version),
        Err(e) => e,
    }
}

fn step_pairs(release: &Release, case_study: &str) -> Vec<(String, String)> {
    release
        .case_studies
        .iter()
        .find(|c| c.id == case_study)
        .unwrap_or_else(|| panic!("{case_study} missing"))
        .procedure
        .iter()
        .map(|s| (s.tactic.clone(), s.technique.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// Real legacy releases
// ---------------------------------------------------------------------------

#[test]
fn legacy_5_6_0_imports_completely() {
    let r = import(ATLAS_5_6_0);
    assert_eq!(r.format, SourceFormat::Legacy);
    assert_eq!(r.version, "5.6.0");
    assert_eq!(r.name, "Adversarial Threat Landscape for AI Systems");
    assert_eq!(r.tactics.len(), 16);
    assert_eq!(r.techniques.len(), 170);
    assert_eq!(
        r.techniques.iter().filter(|t| t.parent.is_some()).count(),
        69
    );
    assert_eq!(r.mitigations.len(), 35);
    assert_eq!(r.case_studies.len(), 57);
    let steps: usize = r.case_studies.iter().map(|c| c.procedure.len()).sum();
    assert_eq!(steps, 449);

    // Matrix column order is the order of matrices[0].tactics.
    assert_eq!(r.tactics[0].id, "AML.TA0002");
    assert_eq!(r.tactics[0].name, "Reconnaissance");
    assert_eq!(r.tactics[1].id, "AML.TA0003");
    assert_eq!(
        r.tactic("AML.TA0001").map(|t| t.name.as_str()),
        Some("AI Attack Staging")
    );

    // Every technique serves at least one known tactic; descriptions are kept.
    let tactic_ids: HashSet<&str> = r.tactics.iter().map(|t| t.id.as_str()).collect();
    for t in &r.techniques {
        assert!(!t.tactics.is_empty(), "{} has no tactics", t.id);
        assert!(t.tactics.iter().all(|ta| tactic_ids.contains(ta.as_str())));
        assert!(
            t.description.as_deref().is_some_and(|d| !d.is_empty()),
            "{}",
            t.id
        );
        assert!(t.maturity.is_some(), "{} lost its maturity", t.id);
    }

    let t0000 = r.technique("AML.T0000").expect("AML.T0000");
    assert_eq!(t0000.name, "Search Open Technical Databases");
    assert_eq!(t0000.tactics, ["AML.TA0002"]);
    let attack = t0000.attack_ref.as_ref().expect("ATT&CK reference");
    assert_eq!(attack.id, "T1596");
    assert_eq!(
        attack.url.as_deref(),
        Some("https://attack.mitre.org/techniques/T1596/")
    );

    // Mitigations keep all their technique uses.
    let uses: usize = r.mitigations.iter().map(|m| m.techniques.len()).sum();
    assert_eq!(uses, 246);
    let m0000 = &r.mitigations[0];
    assert_eq!(m0000.id, "AML.M0000");
    assert_eq!(m0000.techniques[0].technique, "AML.T0000");
    assert!(m0000.techniques[0].usage.is_some());

    // Case-study fields, dates as written.
    let cs = &r.case_studies[0];
    assert_eq!(cs.id, "AML.CS0000");
    assert_eq!(cs.incident_date.as_deref(), Some("2020-01-01"));
    assert_eq!(cs.incident_date_granularity.as_deref(), Some("YEAR"));
    assert_eq!(cs.case_study_type.as_deref(), Some("exercise"));
    assert_eq!(
        cs.target.as_deref(),
        Some("Palo Alto Networks malware detection system")
    );
    assert_eq!(cs.references.len(), 1);
    assert_eq!(
        cs.references[0].url.as_deref(),
        Some("https://arxiv.org/abs/1802.03162")
    );
    assert_eq!(
        r.case_studies
            .iter()
            .filter(|c| c.reporter.is_some())
            .count(),
        16
    );
    assert!(r.case_studies.iter().all(|c| c.summary.is_some()));
    assert!(r.case_studies.iter().all(|c| {
        c.incident_date
            .as_deref()
            .is_some_and(|d| d.len() == 10 && d.as_bytes()[4] == b'-')
    }));
}

#[test]
fn legacy_sub_techniques_inherit_parent_tactics() {
    let r = import(ATLAS_5_6_0);
    let sub = r.technique("AML.T0000.001").expect("AML.T0000.001");
    assert_eq!(sub.parent.as_deref(), Some("AML.T0000"));
    assert_eq!(sub.tactics, ["AML.TA0002"]);
    assert_eq!(
        r.display_name(sub),
        "Search Open Technical Databases: Pre-Print Repositories"
    );
    for t in r.techniques.iter().filter(|t| t.parent.is_some()) {
        let parent = r
            .technique(t.parent.as_deref().unwrap())
            .expect("parent exists");
        assert_eq!(t.tactics, parent.tactics, "{} did not inherit", t.id);
        assert!(t.id.starts_with(&format!("{}.", parent.id)));
    }
}

#[test]
fn legacy_cs0000_procedure_in_story_order() {
    let r = import(ATLAS_5_6_0);
    assert_eq!(
        step_pairs(&r, "AML.CS0000"),
        pairs(&[
            ("AML.TA0002", "AML.T0000.001"),
            ("AML.TA0003", "AML.T0002.000"),
            ("AML.TA0001", "AML.T0005"),
            ("AML.TA0001", "AML.T0043.003"),
            ("AML.TA0001", "AML.T0042"),
            ("AML.TA0007", "AML.T0015"),
        ])
    );
    let cs = r
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0000")
        .unwrap();
    assert!(cs.procedure.iter().all(|s| s.description.is_some()));
}

#[test]
fn legacy_4_8_0_imports_with_its_old_names() {
    let r = import(ATLAS_4_8_0);
    assert_eq!(r.format, SourceFormat::Legacy);
    assert_eq!(r.version, "4.8.0");
    assert_eq!(r.tactics.len(), 14);
    assert_eq!(
        r.tactic("AML.TA0001").map(|t| t.name.as_str()),
        Some("ML Attack Staging")
    );
    assert_eq!(r.techniques.len(), 104);
    assert_eq!(
        r.techniques.iter().filter(|t| t.parent.is_some()).count(),
        44
    );
    assert_eq!(r.mitigations.len(), 26);
    assert_eq!(r.case_studies.len(), 27);
    let steps: usize = r.case_studies.iter().map(|c| c.procedure.len()).sum();
    assert_eq!(steps, 177);
    assert!(compare_versions(&import(ATLAS_5_6_0).version, &r.version).is_gt());
}

#[test]
fn legacy_fixture_with_a_vanished_technique() {
    let newest = import_fixture("atlas-legacy-vanished.yaml");
    let old = import(ATLAS_5_6_0);
    assert_eq!(newest.version, "5.7.0");
    assert_eq!(newest.format, SourceFormat::Legacy);
    assert!(compare_versions(&newest.version, &old.version).is_gt());
    // AML.T0000.001 exists in 5.6.0 but not in the newest release.
    assert!(old.technique("AML.T0000.001").is_some());
    assert!(newest.technique("AML.T0000.001").is_none());
    assert_eq!(newest.techniques.len(), 4);
    assert_eq!(
        newest.technique("AML.T0000.000").map(|t| t.tactics.clone()),
        Some(vec!["AML.TA0002".to_string()])
    );
    assert_eq!(
        step_pairs(&newest, "AML.CS0000"),
        pairs(&[("AML.TA0002", "AML.T0000.000"), ("AML.TA0001", "AML.T0005")])
    );
}

// ---------------------------------------------------------------------------
// format-version 6
// ---------------------------------------------------------------------------

#[test]
fn v6_small_fixture() {
    let parsed = parse_release_with(
        &fixture_bytes("atlas-v6-small.yaml"),
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let r = parsed.release;
    assert_eq!(r.format, SourceFormat::V6);
    // The content release is `collection.version`, not a top-level field.
    assert_eq!(r.version, "2026.09");
    assert_eq!(r.name, "ATLAS Test Release");

    // Columns by `sequences` position, not by the order of the edges, of the
    // tactics map or of the IDs.
    let order: Vec<&str> = r.tactics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        order,
        ["AML.TA0002", "AML.TA0004", "AML.TA0005", "AML.TA0001"]
    );
    assert_eq!(
        r.tactic("AML.TA0001").map(|t| t.name.as_str()),
        Some("AI Attack Adaptation")
    );
    assert_eq!(
        r.tactic("AML.TA0002")
            .and_then(|t| t.attack_ref.as_ref())
            .map(|a| a.id.as_str()),
        Some("TA0043")
    );

    // Sub-technique names are their own part; the parent comes from `specializes`.
    let indirect = r.technique("AML.T0051.001").expect("AML.T0051.001");
    assert_eq!(indirect.name, "Indirect");
    assert_eq!(indirect.parent.as_deref(), Some("AML.T0051"));
    assert_eq!(r.display_name(indirect), "LLM Prompt Injection: Indirect");
    let parent = r.technique("AML.T0051").unwrap();
    assert_eq!(parent.parent, None);
    // A technique achieving two tactics; sub-techniques carry their own edges.
    assert_eq!(parent.tactics, ["AML.TA0004", "AML.TA0005"]);
    assert_eq!(indirect.tactics, ["AML.TA0004", "AML.TA0005"]);
    assert_eq!(
        r.technique("AML.T0051.000").unwrap().tactics,
        ["AML.TA0005"]
    );
    // Maturity as the legacy files write it; platforms and ATT&CK references kept.
    let t0000 = r.technique("AML.T0000").unwrap();
    assert_eq!(t0000.maturity.as_deref(), Some("demonstrated"));
    assert_eq!(
        t0000.platforms,
        ["Predictive AI", "Generative AI", "Agentic AI"]
    );
    assert_eq!(
        t0000.attack_ref.as_ref().map(|a| a.id.as_str()),
        Some("T1596")
    );
    assert_eq!(r.technique("AML.T0049").unwrap().platforms, ["Enterprise"]);

    // Mitigation uses from `mitigates` edges, their description the usage.
    let m20 = r.mitigations.iter().find(|m| m.id == "AML.M0020").unwrap();
    let uses: Vec<(&str, Option<&str>)> = m20
        .techniques
        .iter()
        .map(|u| (u.technique.as_str(), u.usage.as_deref()))
        .collect();
    assert_eq!(
        uses,
        [
            (
                "AML.T0051",
                Some("Screen retrieved content for embedded instructions.")
            ),
            (
                "AML.T0053",
                Some("Ask a person before a tool call with side effects.")
            ),
        ]
    );

    // Edges listed in reverse: the steps still come in `leads-to` order.
    assert_eq!(
        step_pairs(&r, "AML.CS0001"),
        pairs(&[
            ("AML.TA0002", "AML.T0000"),
            ("AML.TA0004", "AML.T0051.001"),
            ("AML.TA0005", "AML.T0051.001"),
            ("AML.TA0005", "AML.T0053"),
        ])
    );
    let cs1 = r
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0001")
        .unwrap();
    assert_eq!(
        cs1.procedure[0].description.as_deref(),
        Some("The team read about the assistant.")
    );
    assert_eq!(
        cs1.summary.as_deref(),
        Some("A made-up story where an assistant reads a booby-trapped page.")
    );
    assert_eq!(cs1.incident_date.as_deref(), Some("2025-03-01"));
    assert_eq!(cs1.incident_date_granularity.as_deref(), Some("MONTH"));
    assert_eq!(cs1.case_study_type.as_deref(), Some("exercise"));
    assert_eq!(cs1.references.len(), 1);
    // Edges in target-ID order (as upstream writes them) are not attack order.
    assert_eq!(
        step_pairs(&r, "AML.CS0002"),
        pairs(&[("AML.TA0004", "AML.T0051"), ("AML.TA0001", "AML.T0043")])
    );
    let cs2 = r
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0002")
        .unwrap();
    assert_eq!(cs2.incident_date_granularity.as_deref(), Some("YEAR"));
    assert_eq!(cs2.reporter.as_deref(), Some("A test reporter"));
}

/// `text` with `from` replaced by `to` exactly once (so a test edit cannot
/// silently miss).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

fn small_fixture() -> String {
    String::from_utf8(fixture_bytes("atlas-v6-small.yaml")).unwrap()
}

/// The AML.CS0001 chain with `S01 -> S02` replaced by `leads`.
fn cs0001_with_s01_leading_to(leads: &str) -> String {
    edit(
        &small_fixture(),
        "step-id: S01\n        leads-to: [S02]",
        &format!("step-id: S01\n        leads-to: {leads}"),
    )
}

#[test]
fn v6_chain_problems_are_reported_by_case_study_step_and_path_and_keep_every_step() {
    let cases = [
        // A branch: S01 leads to S02 and S03.
        (
            cs0001_with_s01_leading_to("[S02, S03]"),
            "S01",
            "relationships[AML.CS0001].employs[2]",
            "branches",
        ),
        // A cycle: S03 leads back to S01.
        (
            edit(
                &small_fixture(),
                "step-id: S03\n        leads-to: []",
                "step-id: S03\n        leads-to: [S01]",
            ),
            "S03",
            "relationships[AML.CS0001].employs[0]",
            "cycle",
        ),
        // A dangling `leads-to`.
        (
            cs0001_with_s01_leading_to("[S02, S09]"),
            "S01",
            "relationships[AML.CS0001].employs[2]",
            "S09",
        ),
    ];
    for (text, step, path, needle) in cases {
        let parsed = parse_release_str_with(&text, &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{needle}: {e}"));
        let w = parsed
            .warnings
            .iter()
            .find(|w| w.step_id.as_deref() == Some(step) && w.message.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: no warning for {step}: {:?}", parsed.warnings));
        assert_eq!(w.case_study.as_deref(), Some("AML.CS0001"));
        assert_eq!(w.path, path);
        let shown = w.to_string();
        assert!(
            shown.starts_with(&format!("case study AML.CS0001 step {step} ({path}): ")),
            "{shown}"
        );
        // Never a dropped step: all four are there, S00 first.
        let cs = parsed
            .release
            .case_studies
            .iter()
            .find(|c| c.id == "AML.CS0001")
            .unwrap();
        assert_eq!(cs.procedure.len(), 4, "{needle}: a step was dropped");
        assert_eq!(cs.procedure[0].technique, "AML.T0000");
        let mut descriptions: Vec<&str> = cs
            .procedure
            .iter()
            .filter_map(|s| s.description.as_deref())
            .collect();
        descriptions.sort_unstable();
        descriptions.dedup();
        assert_eq!(descriptions.len(), 4, "{needle}: every step once");
    }
}

#[test]
fn v6_bad_files_are_refused_with_the_path_and_the_id() {
    // `employs` naming a technique the release does not define.
    let text = edit(
        &small_fixture(),
        "target: AML.T0053\n        relationship-type: employs",
        "target: AML.T0099\n        relationship-type: employs",
    );
    match parse_release_str(&text) {
        Err(e @ ImportError::UnknownTechnique { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("AML.T0099")
                    && msg.contains("case study AML.CS0001 step S03")
                    && msg.contains("relationships[AML.CS0001].employs[0]"),
                "{msg}"
            );
        }
        other => panic!("expected UnknownTechnique, got {other:?}"),
    }
    // No `collection`: the content release is missing.
    let text = edit(
        &small_fixture(),
        "collection:\n  id: ATLAS-collection",
        "collected:\n  id: ATLAS-collection",
    );
    let err = parse_release_str(&text).unwrap_err();
    let ImportError::Shape { path, message } = &err else {
        panic!("expected Shape, got {err:?}");
    };
    assert_eq!(path, "collection");
    assert!(message.contains("collection.version"), "{message}");
    // A top-level `version` does not replace it (the old reader's guess).
    let text = edit(
        &small_fixture(),
        "collection:\n  id: ATLAS-collection\n  name: ATLAS Test Release\n  version: '2026.09'\n",
        "version: '2026.09'\ncollection:\n  id: ATLAS-collection\n  name: ATLAS Test Release\n",
    );
    let err = parse_release_str(&text).unwrap_err();
    assert!(
        matches!(&err, ImportError::Shape { path, .. } if path == "collection.version"),
        "{err:?}"
    );
    // An edge filed under the wrong source, and a wrong ID kind.
    let text = edit(
        &small_fixture(),
        "- {source: AML.T0049, target: AML.TA0004",
        "- {source: AML.T0043, target: AML.TA0004",
    );
    let err = parse_release_str(&text).unwrap_err();
    assert!(
        err.to_string()
            .contains("relationships[AML.T0049].achieves[0].source"),
        "{err}"
    );
    let text = edit(
        &small_fixture(),
        "{source: AML.T0053, target: AML.TA0005, relationship-type: achieves}",
        "{source: AML.T0053, target: AML.T0051, relationship-type: achieves}",
    );
    let err = parse_release_str(&text).unwrap_err();
    assert!(
        matches!(&err, ImportError::MalformedId { field, id, .. } if field == "relationships[AML.T0053].achieves[0].target" && id == "AML.T0051"),
        "{err:?}"
    );
    // Two tactics in one column.
    let text = edit(
        &small_fixture(),
        "target: AML.TA0001, relationship-type: sequences, position: 4",
        "target: AML.TA0001, relationship-type: sequences, position: 3",
    );
    let err = parse_release_str(&text).unwrap_err();
    assert!(
        err.to_string()
            .contains("relationships[ATLAS-matrix].sequences[1].position"),
        "{err}"
    );
}

#[test]
fn v6_a_tactic_without_sequences_edge_is_reported_and_shown_last() {
    let text = edit(
        &small_fixture(),
        "      - {source: ATLAS-matrix, target: AML.TA0005, relationship-type: sequences, position: 3}\n",
        "",
    );
    let parsed = parse_release_str_with(&text, &ParseOptions::default()).unwrap();
    let order: Vec<&str> = parsed
        .release
        .tactics
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(
        order,
        ["AML.TA0002", "AML.TA0004", "AML.TA0001", "AML.TA0005"]
    );
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.path == "tactics[AML.TA0005]" && w.message.contains("sequences")),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn v6_asked_for_release_must_match_the_file() {
    let options = ParseOptions {
        release: Some("2026.07".into()),
        source: None,
    };
    let err = parse_release_with(&fixture_bytes("atlas-v6-small.yaml"), &options).unwrap_err();
    assert!(
        matches!(&err, ImportError::Shape { path, message } if path == "collection.version" && message.contains("2026.09") && message.contains("2026.07")),
        "{err:?}"
    );
}

#[test]
fn v6_unsupported_format_version_is_unknown_format() {
    let err =
        parse_release_str("format-version: 7.0.0\ncollection: {version: '2030.01'}\n").unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat { .. }), "{err:?}");
    assert!(err.to_string().contains("7.0.0"), "{err}");
    let err = parse_release_str("just: a mapping\n").unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat { .. }), "{err:?}");
    // The old reader guessed that ID-keyed maps without `format-version` were format 6.
    let err = parse_release_str(
        "version: 2026.11\ntactics:\n  AML.TA0002: {name: Reconnaissance}\ntechniques:\n  AML.T0000: {name: Search}\n",
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// Files that must be rejected
// ---------------------------------------------------------------------------

#[test]
fn not_yaml_names_line_and_column() {
    let err = reject_fixture("bad-not-yaml.yaml");
    let ImportError::Yaml { line, column, .. } = &err else {
        panic!("expected Yaml, got {err:?}");
    };
    // Line 8 is the mis-indented `   name: Reconnaissance`.
    assert_eq!((*line, *column), (8, 4), "{err}");
    assert!(err.to_string().contains("line 8, column 4"), "{err}");
}

#[test]
fn wrong_shape_names_the_path() {
    let err = reject_fixture("bad-shape.yaml");
    let ImportError::Shape { path, message } = &err else {
        panic!("expected Shape, got {err:?}");
    };
    assert_eq!(path, "matrices[0].techniques[1].name");
    assert!(message.contains("missing"), "{message}");
    assert!(
        err.to_string().contains("matrices[0].techniques[1].name"),
        "{err}"
    );
    // The mapping that lacks the name starts on line 16.
    assert!(message.contains("line 16"), "{message}");
}

#[test]
fn wrong_type_names_path_and_line() {
    let text = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - id: AML.TA0002\n    name: [not, text]\n  techniques: []\n";
    let err = parse_release_str(text).unwrap_err();
    let ImportError::Shape { path, message } = &err else {
        panic!("expected Shape, got {err:?}");
    };
    assert_eq!(path, "matrices[0].tactics[0].name");
    assert!(message.contains("line 8, column 11"), "{message}");
}

#[test]
fn unknown_tactic_names_both_ids() {
    let err = reject_fixture("bad-unknown-tactic.yaml");
    let ImportError::UnknownTacticRef { context, tactic } = &err else {
        panic!("expected UnknownTacticRef, got {err:?}");
    };
    assert_eq!(tactic, "AML.TA0099");
    assert_eq!(
        context,
        "technique AML.T0001 (relationships[AML.T0001].achieves[0])"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("AML.T0001") && msg.contains("AML.TA0099"),
        "{msg}"
    );
}

#[test]
fn duplicate_id_is_named() {
    let err = reject_fixture("bad-duplicate-id.yaml");
    let ImportError::DuplicateId { id } = &err else {
        panic!("expected DuplicateId, got {err:?}");
    };
    assert_eq!(id, "AML.T0000");
    assert!(err.to_string().contains("AML.T0000"), "{err}");
}

#[test]
fn duplicate_id_across_kinds_and_v6_keys() {
    // The same key twice in a format-6 map.
    let text = edit(
        &small_fixture(),
        "  AML.TA0004:\n    id: AML.TA0004\n",
        "  AML.TA0005:\n    id: AML.TA0005\n",
    );
    let err = parse_release_str(&text).unwrap_err();
    assert!(
        matches!(&err, ImportError::DuplicateId { id } if id == "AML.TA0005"),
        "{err:?}"
    );
}

#[test]
fn malformed_id_is_named() {
    let err = reject_fixture("bad-malformed-id.yaml");
    let ImportError::MalformedId {
        field,
        id,
        expected,
    } = &err
    else {
        panic!("expected MalformedId, got {err:?}");
    };
    assert_eq!(id, "AML.T51");
    assert_eq!(field, "matrices[0].techniques[1].id");
    assert!(expected.contains("AML.T0000"));
    assert!(err.to_string().contains("AML.T51"), "{err}");
}

#[test]
fn alias_bomb_is_rejected_before_expansion() {
    // The alias limit is what stops the expansion; no wall-clock bound here
    // (timed tests fail on a loaded machine: speed belongs in bench/).
    let err = reject_fixture("bad-alias-bomb.yaml");
    let ImportError::AliasLimit { line, column, .. } = &err else {
        panic!("expected AliasLimit, got {err:?}");
    };
    assert!(*line >= 6 && *line <= 18 && *column > 0, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("line {line}, column {column}")),
        "{err}"
    );
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let mut big = b"id: ATLAS\nname: Big\nversion: 5.6.0\npadding: '".to_vec();
    big.resize(MAX_RELEASE_BYTES + 1, b'x');
    let err = parse_release(&big).unwrap_err();
    match err {
        ImportError::TooLarge { size, limit } => {
            assert_eq!(size, MAX_RELEASE_BYTES + 1);
            assert_eq!(limit, MAX_RELEASE_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn a_release_without_techniques_is_empty() {
    let text = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - {id: AML.TA0002, name: Reconnaissance}\n  techniques: []\n";
    assert!(matches!(parse_release_str(text), Err(ImportError::Empty)));
}

#[test]
fn sub_technique_checks() {
    let base = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - {id: AML.TA0002, name: Reconnaissance}\n  techniques:\n  - {id: AML.T0000, name: Parent, tactics: [AML.TA0002]}\n";
    let unknown_parent =
        format!("{base}  - {{id: AML.T0009.000, name: Orphan, subtechnique-of: AML.T0009}}\n");
    assert!(matches!(
        parse_release_str(&unknown_parent),
        Err(ImportError::UnknownParent { technique, parent }) if technique == "AML.T0009.000" && parent == "AML.T0009"
    ));
    let no_parent =
        format!("{base}  - {{id: AML.T0000.000, name: Loose, tactics: [AML.TA0002]}}\n");
    assert!(matches!(
        parse_release_str(&no_parent),
        Err(ImportError::MissingParent { technique }) if technique == "AML.T0000.000"
    ));
    let mismatch =
        format!("{base}  - {{id: AML.T0001.000, name: Elsewhere, subtechnique-of: AML.T0000}}\n");
    assert!(matches!(
        parse_release_str(&mismatch),
        Err(ImportError::ParentMismatch { technique, .. }) if technique == "AML.T0001.000"
    ));
    let no_tactic = format!("{base}  - {{id: AML.T0001, name: Nowhere}}\n");
    assert!(matches!(
        parse_release_str(&no_tactic),
        Err(ImportError::NoTactic { technique }) if technique == "AML.T0001"
    ));
}

#[test]
fn case_study_steps_must_resolve() {
    let base = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - {id: AML.TA0002, name: Reconnaissance}\n  techniques:\n  - {id: AML.T0000, name: Search, tactics: [AML.TA0002]}\ncase-studies:\n- id: AML.CS0000\n  name: Story\n  procedure:\n";
    let bad_technique = format!("{base}  - {{tactic: AML.TA0002, technique: AML.T0042}}\n");
    match parse_release_str(&bad_technique) {
        Err(e @ ImportError::UnknownTechnique { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("AML.CS0000") && msg.contains("AML.T0042"),
                "{msg}"
            );
        }
        other => panic!("expected UnknownTechnique, got {other:?}"),
    }
    let bad_tactic = format!("{base}  - {{tactic: AML.TA0042, technique: AML.T0000}}\n");
    match parse_release_str(&bad_tactic) {
        Err(e @ ImportError::UnknownTacticRef { .. }) => {
            assert!(e.to_string().contains("AML.TA0042"), "{e}");
        }
        other => panic!("expected UnknownTacticRef, got {other:?}"),
    }
    let mitigation = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - {id: AML.TA0002, name: Reconnaissance}\n  techniques:\n  - {id: AML.T0000, name: Search, tactics: [AML.TA0002]}\n  mitigations:\n  - {id: AML.M0000, name: Limit, techniques: [{id: AML.T0077, use: x}]}\n";
    match parse_release_str(mitigation) {
        Err(ImportError::UnknownTechnique { context, technique }) => {
            assert_eq!(technique, "AML.T0077");
            assert!(context.contains("AML.M0000"), "{context}");
        }
        other => panic!("expected UnknownTechnique, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

#[test]
fn versions_compare_across_eras() {
    assert!(compare_versions("2026.09", "5.6.0").is_gt());
    assert!(compare_versions("5.6.0", "4.8.0").is_gt());
    assert!(compare_versions("5.10.0", "5.6.0").is_gt());
    assert!(compare_versions("2026.10", "2026.09").is_gt());
    assert!(compare_versions("4.8.0", "2026.05").is_lt());
    assert!(compare_versions("5.6.0", "5.6.0").is_eq());
}

#[test]
fn a_field_given_twice_is_a_shape_error() {
    let text = "id: ATLAS\nname: X\nversion: 5.6.0\nmatrices:\n- id: ATLAS\n  tactics:\n  - id: AML.TA0002\n    name: Reconnaissance\n    name: Again\n  techniques: []\n";
    let err = parse_release_str(text).unwrap_err();
    let ImportError::Shape { path, message } = &err else {
        panic!("expected Shape, got {err:?}");
    };
    assert_eq!(path, "matrices[0].tactics[0].name");
    assert!(
        message.contains("line 8") && message.contains("line 9"),
        "{message}"
    );
}
