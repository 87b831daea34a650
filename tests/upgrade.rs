//! Upgrading incidents across releases: 4.8.0 → 5.6.0 (the real files) → a
//! newer release generated here from 5.6.0 (content 2026.07 in format 6.0.0
//! for the full walk, 5.7.0 in the legacy format elsewhere), in which one
//! technique is renamed, one retired with a successor, one retired without
//! and one no longer serves a tactic. Also the release diff and the
//! successor overrides.

use std::collections::HashMap;

use atlasview::atlas::{Release, Technique, parse_release};
use atlasview::service::upgrade::{StepChange, UpgradePlan};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::atlas6::v6_text;
use crate::support::{TestApp, cli, db_fingerprint, shared_atlas, text};

/// The renamed, retired-with-successor, retired-without and re-tacticed
/// techniques of the generated 5.7.0.
const RENAMED: &str = "AML.T0004";
const RETIRED_WITH: &str = "AML.T0019";
const SUCCESSOR: &str = "AML.T0115.000";
const RETIRED_WITHOUT: &str = "AML.T0006";
const RETACTICED: &str = "AML.T0042";

/// A release written in the legacy single-file layout. JSON is YAML, so the
/// legacy reader reads it like any `ATLAS.yaml`.
fn legacy_file(r: &Release) -> String {
    let attack = |a: &Option<atlasview::atlas::AttackRef>| {
        a.as_ref().map(|a| json!({"id": a.id, "url": a.url}))
    };
    let doc = json!({
        "id": "ATLAS",
        "name": r.name,
        "version": r.version,
        "matrices": [{
            "id": "ATLAS",
            "name": "ATLAS Matrix",
            "tactics": r.tactics.iter().map(|t| json!({
                "id": t.id, "name": t.name, "description": t.description,
                "object-type": "tactic", "ATT&CK-reference": attack(&t.attack_ref),
            })).collect::<Vec<_>>(),
            "techniques": r.techniques.iter().map(|t| {
                let mut o = json!({
                    "id": t.id, "name": t.name, "description": t.description,
                    "object-type": "technique", "maturity": t.maturity,
                    "ATT&CK-reference": attack(&t.attack_ref),
                });
                match &t.parent {
                    Some(p) => o["subtechnique-of"] = json!(p),
                    None => o["tactics"] = json!(t.tactics),
                }
                o
            }).collect::<Vec<_>>(),
            "mitigations": r.mitigations.iter().map(|m| json!({
                "id": m.id, "name": m.name, "description": m.description,
                "object-type": "mitigation",
                "techniques": m.techniques.iter().map(|u| json!({"id": u.technique, "use": u.usage})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }],
        "case-studies": r.case_studies.iter().map(|c| json!({
            "id": c.id, "name": c.name, "summary": c.summary,
            "incident-date": c.incident_date,
            "incident-date-granularity": c.incident_date_granularity,
            "target": c.target, "actor": c.actor, "reporter": c.reporter,
            "case-study-type": c.case_study_type,
            "references": c.references.iter().map(|x| json!({"title": x.title, "url": x.url})).collect::<Vec<_>>(),
            "procedure": c.procedure.iter().map(|s| json!({
                "tactic": s.tactic, "technique": s.technique, "description": s.description,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

/// 5.7.0: 5.6.0 with RENAMED renamed, RETIRED_WITH replaced by the new
/// AML.T0115 / AML.T0115.000 (the successor the shipped table names),
/// RETIRED_WITHOUT dropped, and RETACTICED moved to another tactic.
fn release_5_7_0() -> Release {
    let mut r = parse_release(&std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).unwrap()).unwrap();
    r.version = "5.7.0".into();
    let at = |r: &Release, id: &str| r.techniques.iter().position(|t| t.id == id).unwrap();
    let i = at(&r, RENAMED);
    r.techniques[i].name = "Search Code and Application Repositories".into();
    let i = at(&r, RETACTICED);
    assert_eq!(r.techniques[i].tactics, ["AML.TA0001"]);
    r.techniques[i].tactics = vec!["AML.TA0000".into()];
    let i = at(&r, RETIRED_WITH);
    let old = r.techniques.remove(i);
    let parent = Technique {
        id: "AML.T0115".into(),
        name: "Publish Poisoned AI Artifacts".into(),
        description: Some("Made up for tests.".into()),
        parent: None,
        tactics: old.tactics.clone(),
        maturity: old.maturity.clone(),
        platforms: old.platforms.clone(),
        attack_ref: None,
    };
    let child = Technique {
        id: SUCCESSOR.into(),
        name: "Datasets".into(),
        parent: Some("AML.T0115".into()),
        ..parent.clone()
    };
    r.techniques.insert(i, child);
    r.techniques.insert(i, parent);
    r.techniques.retain(|t| t.id != RETIRED_WITHOUT);
    for m in &mut r.mitigations {
        m.techniques.retain(|u| u.technique != RETIRED_WITHOUT);
        for u in &mut m.techniques {
            if u.technique == RETIRED_WITH {
                u.technique = SUCCESSOR.into();
            }
        }
    }
    for c in &mut r.case_studies {
        c.procedure.retain(|s| s.technique != RETIRED_WITHOUT);
        for s in &mut c.procedure {
            if s.technique == RETIRED_WITH {
                s.technique = SUCCESSOR.into();
            }
            if s.technique == RETACTICED {
                s.tactic = "AML.TA0000".into();
            }
        }
    }
    r
}

/// Creates an incident mapped to `release` with `(tactic, technique)` steps.
async fn incident(app: &TestApp, title: &str, release: &str, steps: &[(&str, &str)]) -> String {
    let steps: Vec<Value> = steps
        .iter()
        .map(|(tactic, technique)| json!({"tactic": tactic, "technique": technique, "description": format!("{technique} seen")}))
        .collect();
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": title, "atlas_release": release, "steps": steps}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Every incident with its steps, as the store has them.
async fn snapshot(
    app: &TestApp,
    ids: &[&str],
) -> HashMap<String, atlasview::domain::IncidentDetail> {
    let mut out = HashMap::new();
    for id in ids {
        out.insert(
            id.to_string(),
            app.store.get_incident(id).await.unwrap().unwrap(),
        );
    }
    out
}

/// Checks the database against a stored report: every incident moved to the
/// report's release, every step kept, with the technique the report says,
/// and nothing else about the incidents changed.
fn assert_applied_exactly(
    plan: &UpgradePlan,
    before: &HashMap<String, atlasview::domain::IncidentDetail>,
    after: &HashMap<String, atlasview::domain::IncidentDetail>,
) {
    let planned: HashMap<&str, _> = plan.incidents.iter().map(|i| (i.id.as_str(), i)).collect();
    for (id, old) in before {
        let new = &after[id];
        let Some(p) = planned.get(id.as_str()) else {
            assert_eq!(
                old, new,
                "{id} was not in the report, so it must not change"
            );
            continue;
        };
        assert_eq!(p.from_release, old.incident.atlas_release);
        assert_eq!(new.incident.atlas_release, plan.to_release, "{id}");
        assert_eq!(new.incident.version, old.incident.version + 1, "{id}");
        assert_eq!(new.incident.title, old.incident.title);
        assert_eq!(new.steps.len(), old.steps.len(), "{id}: no step is lost");
        assert_eq!(
            p.steps.len(),
            old.steps.len(),
            "{id}: every step is reported"
        );
        for ((o, n), s) in old.steps.iter().zip(&new.steps).zip(&p.steps) {
            assert_eq!(
                (o.id.as_str(), o.position),
                (s.step_id.as_str(), s.position)
            );
            assert_eq!(n.id, o.id);
            assert_eq!(
                n.tactic_id, o.tactic_id,
                "an upgrade never changes a tactic"
            );
            assert_eq!(
                n.technique_id,
                s.new_technique_id(),
                "{id} step {}",
                o.position
            );
            assert_eq!(n.description, o.description);
            assert_eq!(n.position, o.position);
        }
    }
}

/// The tables whose rows differ between two [`db_fingerprint`]s.
fn changed_tables(a: &str, b: &str) -> Vec<String> {
    let tables = |fp: &str| -> HashMap<String, String> {
        fp.split("## ")
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (name, rows) = t.split_once('\n').unwrap_or((t, ""));
                (name.to_string(), rows.to_string())
            })
            .collect()
    };
    let (a, b) = (tables(a), tables(b));
    let mut changed: Vec<String> = a
        .iter()
        .filter(|(name, rows)| b.get(*name) != Some(rows))
        .map(|(name, _)| name.clone())
        .collect();
    changed.sort();
    changed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_4_8_0_to_5_6_0_to_6_0_0_2026_07_reports_every_case_and_loses_nothing() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-4.8.0.yaml")).await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let a = incident(
        &app,
        "Poisoned dataset campaign",
        "4.8.0",
        &[
            ("AML.TA0002", "AML.T0000"),
            ("AML.TA0001", "AML.T0005"),
            ("AML.TA0003", RETIRED_WITH),
            ("AML.TA0002", RETIRED_WITHOUT),
            ("AML.TA0002", RENAMED),
            ("AML.TA0001", RETACTICED),
        ],
    )
    .await;
    let b = incident(
        &app,
        "Exfiltration",
        "4.8.0",
        &[("AML.TA0002", "AML.T0003"), ("AML.TA0010", "AML.T0025")],
    )
    .await;
    let c = incident(
        &app,
        "Prompt injection",
        "5.6.0",
        &[("AML.TA0005", "AML.T0051")],
    )
    .await;
    let d = incident(&app, "Nothing known yet", "4.8.0", &[]).await;
    let ids = [a.as_str(), b.as_str(), c.as_str(), d.as_str()];

    // ---- 4.8.0 → 5.6.0 from the command line: the dry run writes nothing.
    let db = app.database_url().to_string();
    let before = db_fingerprint(&db).await;
    let out = cli(
        &db,
        &["atlas", "upgrade-incidents", "--to", "5.6.0", "--dry-run"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        db_fingerprint(&db).await,
        before,
        "a dry run writes nothing"
    );
    assert!(stdout.contains("dry run, nothing written: 3 incidents, 8 steps: 5 unchanged, 3 renamed, 0 no longer serving their tactic, 0 remapped to a successor, 0 retired without successor; 0 flagged for review"), "{stdout}");
    assert!(
        stdout.contains("AML.T0000 renamed “Search for Victim's Publicly Available Research Materials” → “Search Open Technical Databases”"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tactic AML.TA0001 renamed “ML Attack Staging” → “AI Attack Staging”"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&c),
        "an incident already on 5.6.0 is not upgraded"
    );

    let snap0 = snapshot(&app, &ids).await;
    let out = cli(&db, &["atlas", "upgrade-incidents", "--to", "5.6.0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("upgraded 3 incidents to 5.6.0"), "{stdout}");
    let upgrades = app.store.list_upgrades().await.unwrap();
    assert_eq!(upgrades.len(), 1);
    let (_, report) = app
        .store
        .get_upgrade(&upgrades[0].id)
        .await
        .unwrap()
        .unwrap();
    let plan: UpgradePlan = serde_json::from_str(&report).unwrap();
    assert_applied_exactly(&plan, &snap0, &snapshot(&app, &ids).await);
    // Running it again finds nothing to do and writes nothing.
    let again = db_fingerprint(&db).await;
    let out = cli(&db, &["atlas", "upgrade-incidents", "--to", "5.6.0"]);
    assert!(
        text(&out.stdout).contains("nothing to upgrade"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(db_fingerprint(&db).await, again);

    // ---- 5.6.0 → 2026.07 (format 6.0.0, written here as upstream writes it) on the admin page.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ATLAS-2026.07.yaml");
    std::fs::write(&file, v6_text(&release_5_7_0(), "2026.07")).unwrap();
    app.import(&file).await;
    assert_eq!(app.state.atlas.get().version(), "2026.07");

    let before = db_fingerprint(&db).await;
    let (status, _, page) = app
        .post_form("/admin/atlas/upgrade/preview", &[("to", "2026.07")])
        .await
        .parts();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        db_fingerprint(&db).await,
        before,
        "the preview writes nothing"
    );
    assert!(page.contains("Dry run: nothing has been written"));
    for needle in [
        "4 incidents, 9 steps: 5 unchanged, 1 renamed, 1 no longer serving their tactic, 1 remapped to a successor, 1 retired without successor; 2 flagged for review",
        "AML.T0004 renamed “Search Application Repositories” → “Search Code and Application Repositories”",
        "AML.T0019 retired: remapped to its successor AML.T0115.000 “Publish Poisoned AI Artifacts: Datasets”",
        "AML.T0006 retired without a known successor: kept on the 5.6.0 catalog, flagged for review",
        "AML.T0042 no longer serves AML.TA0001: kept, flagged for review (it serves AML.TA0000)",
    ] {
        assert!(
            page.contains(&needle.replace('\'', "&#x27;")) || page.contains(needle),
            "missing `{needle}` in the preview"
        );
    }
    let digest = page
        .split("name=\"digest\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    // A stale preview is refused and changes nothing.
    let (status, _, _) = app
        .post_form(
            "/admin/atlas/upgrade/apply",
            &[("to", "2026.07"), ("digest", "0000")],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(db_fingerprint(&db).await, before);

    let snap1 = snapshot(&app, &ids).await;
    let fp1 = db_fingerprint(&db).await;
    let (status, location, body) = app
        .post_form(
            "/admin/atlas/upgrade/apply",
            &[("to", "2026.07"), ("digest", &digest)],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let upgrade_id = location
        .trim_start_matches("/admin/atlas/upgrades/")
        .to_string();
    let (_, report) = app.store.get_upgrade(&upgrade_id).await.unwrap().unwrap();
    let plan: UpgradePlan = serde_json::from_str(&report).unwrap();
    assert_eq!(
        plan.digest(),
        digest,
        "the stored report is the previewed one"
    );
    let snap2 = snapshot(&app, &ids).await;
    assert_applied_exactly(&plan, &snap1, &snap2);
    // Outside the incidents, their steps and the upgrade's own records, nothing changed.
    let changed = changed_tables(&fp1, &db_fingerprint(&db).await);
    assert_eq!(
        changed,
        [
            "atlas_upgrades",
            "audit_log",
            "data_versions",
            // Which incidents changed (for the matrix aggregates, issue 14).
            "incident_changes",
            // Each upgraded incident's timeline says so (issue 16).
            "incident_events",
            "incidents",
            "observations",
            "step_history",
            "step_reviews"
        ]
    );

    // Each upgraded incident's timeline says it moved, from which release to which.
    for inc in &plan.incidents {
        let events = app.store.events(&inc.id).await.unwrap();
        let upgraded = events
            .iter()
            .rev()
            .find(|e| e.kind == atlasview::domain::teamwork::EventKind::Upgraded)
            .unwrap_or_else(|| panic!("no upgrade event on {}", inc.id));
        assert_eq!(
            (upgraded.old_value.as_str(), upgraded.new_value.as_str()),
            (inc.from_release.as_str(), "2026.07"),
            "{upgraded:?}"
        );
    }

    // Each case as the report said.
    let steps = &snap2[&a].steps;
    assert_eq!(
        steps[2].technique_id, SUCCESSOR,
        "remapped to the successor"
    );
    assert_eq!(steps[3].technique_id, RETIRED_WITHOUT, "kept");
    assert_eq!(steps[4].technique_id, RENAMED, "same ID");
    assert_eq!(
        (steps[5].tactic_id.as_str(), steps[5].technique_id.as_str()),
        ("AML.TA0001", RETACTICED),
        "kept as it was"
    );
    let a_plan = plan.incidents.iter().find(|i| i.id == a).unwrap();
    assert_eq!(
        a_plan.steps[5].change,
        StepChange::TacticMismatch {
            candidates: vec!["AML.TA0000".into()]
        }
    );
    // The old ID is kept in the step's history; flagged steps are flagged.
    let history = app.store.step_history(&a).await.unwrap();
    let remap = history
        .iter()
        .find(|h| h.change == "remapped")
        .expect("history of the remapped step");
    assert_eq!(
        (
            remap.old_technique_id.as_str(),
            remap.new_technique_id.as_str()
        ),
        (RETIRED_WITH, SUCCESSOR)
    );
    assert_eq!(
        (remap.from_release.as_str(), remap.to_release.as_str()),
        ("5.6.0", "2026.07")
    );
    let reviews = app.store.step_reviews(&a).await.unwrap();
    let mut reasons: Vec<(&str, Option<&str>)> = reviews
        .iter()
        .map(|r| (r.reason.as_str(), r.catalog_release.as_deref()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [("retired", Some("5.6.0")), ("tactic_mismatch", None)]
    );
    assert!(app.store.step_reviews(&b).await.unwrap().is_empty());

    // The audit log has both upgrades.
    let (entries, _) = app
        .store
        .audit_entries(&atlasview::store::AuditQuery {
            action: Some("atlas.upgrade".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].target, "2026.07");
    assert!(
        entries[0].actor.starts_with("admin"),
        "{}",
        entries[0].actor
    );
    assert!(
        entries[0].detail.contains(&upgrade_id),
        "{}",
        entries[0].detail
    );
    assert!(entries[1].actor.starts_with("cli:"));

    // The report stays viewable on the admin page.
    let (status, page) = app.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Applied") && page.contains(&upgrade_id));
    assert!(page.contains("remapped to its successor AML.T0115.000"));
    let (_, admin) = app.get("/admin/atlas/upgrade").await;
    assert!(admin.contains(&location), "the past upgrade is listed");

    // Every old ID still resolves to a page that says what became of it.
    let (status, page) = app.get(&format!("/techniques/{RETIRED_WITH}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("last seen in release 5.6.0"), "{page}");
    assert!(
        page.contains("its successor is <a href=\"/techniques/AML.T0115.000\">"),
        "{page}"
    );
    let (status, page) = app.get(&format!("/techniques/{RETIRED_WITHOUT}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Retired without a known successor"));
    // An ID retired before any stored release still has a page, from the table.
    let (status, page) = app.get("/techniques/AML.T0045").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("MITRE retired it in release 4.5.0"), "{page}");
    assert!(
        page.contains("Its successor is <a href=\"/techniques/AML.T0048.004\">"),
        "{page}"
    );
    let (status, page) = app.get(&format!("/incidents/{a}")).await;
    assert_eq!(status, 200, "the upgraded incident still renders: {page}");
    assert!(
        page.contains("2 steps flagged for review after the ATLAS upgrade"),
        "{page}"
    );
    assert!(page.contains("Step 4</a>: AML.T0006 retired without a known successor"));
    assert!(page.contains("(described by the 5.6.0 catalog)"));
    assert!(page.contains(
        "Step 3, 5.6.0 → 2026.07: AML.T0019 retired: remapped to its successor AML.T0115.000"
    ));
    let (_, page) = app.get(&format!("/incidents/{b}")).await;
    assert!(!page.contains("flagged for review after the ATLAS upgrade"));
    // Editing a flagged step is its review: the flag goes, the history stays.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/incidents/{a}/steps/{}", steps[5].id)))
        .json(&json!({"tactic": "AML.TA0000", "technique": RETACTICED}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let (_, page) = app.get(&format!("/incidents/{a}")).await;
    assert!(
        page.contains("1 step flagged for review after the ATLAS upgrade"),
        "{page}"
    );
    assert!(page.contains("What ATLAS upgrades changed (7)"), "{page}");
}

#[tokio::test]
async fn the_release_diff_lists_every_change_and_what_it_means_for_our_incidents() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ATLAS-5.7.0.yaml");
    std::fs::write(&file, legacy_file(&release_5_7_0())).unwrap();
    let a = incident(
        &app,
        "On 5.6.0",
        "5.6.0",
        &[
            ("AML.TA0003", RETIRED_WITH),
            ("AML.TA0002", RETIRED_WITHOUT),
            ("AML.TA0002", RENAMED),
        ],
    )
    .await;
    app.import(&file).await;

    let (status, page) = app.get("/atlas/releases/5.6.0/diff/5.7.0").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("ATLAS 5.6.0 → 5.7.0"));
    assert!(page.contains("“Search Application Repositories” → <a href=\"/techniques/AML.T0004\">“Search Code and Application Repositories”</a>"));
    assert!(page.contains("→ successor <a href=\"/techniques/AML.T0115.000\">AML.T0115.000</a>"));
    assert!(
        page.contains("href=\"/incidents?technique=AML.T0019\""),
        "links to the incidents"
    );

    let res = app
        .client
        .get(app.url("/api/v1/atlas/releases/5.6.0/diff/5.7.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let j: Value = res.json().await.unwrap();
    assert_eq!(
        (j["from"].as_str(), j["to"].as_str()),
        (Some("5.6.0"), Some("5.7.0"))
    );
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&j["techniques"]["added"]),
        ["AML.T0115", "AML.T0115.000"]
    );
    // In the order of the older release's file.
    assert_eq!(
        ids(&j["techniques"]["removed"]),
        [RETIRED_WITHOUT, RETIRED_WITH]
    );
    assert_eq!(j["techniques"]["removed"][0]["successor"], Value::Null);
    assert_eq!(j["techniques"]["removed"][1]["successor"], SUCCESSOR);
    assert_eq!(ids(&j["techniques"]["renamed"]), [RENAMED]);
    assert_eq!(ids(&j["techniques"]["retacticed"]), [RETACTICED]);
    assert_eq!(
        j["techniques"]["retacticed"][0]["new_tactics"],
        json!(["AML.TA0000"])
    );
    assert!(j["tactics"]["added"].as_array().unwrap().is_empty());
    assert!(j["mitigations"]["removed"].as_array().unwrap().is_empty());
    assert_eq!(j["incidents"]["summary"]["incidents"], 1);
    assert_eq!(j["incidents"]["summary"]["remapped"], 1);
    assert_eq!(j["incidents"]["summary"]["retired"], 1);
    assert_eq!(j["incidents"]["summary"]["renamed"], 1);
    let changes: Vec<(String, String, u64)> = j["incidents"]["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["technique"].as_str().unwrap().to_string(),
                r["change"].as_str().unwrap().to_string(),
                r["incidents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (RENAMED.to_string(), "renamed".to_string(), 1),
            (RETIRED_WITHOUT.to_string(), "retired".to_string(), 1),
            (RETIRED_WITH.to_string(), "remapped".to_string(), 1),
        ]
    );
    // Looking is not changing: the incident is still on 5.6.0.
    let detail = app.store.get_incident(&a).await.unwrap().unwrap();
    assert_eq!(detail.incident.atlas_release, "5.6.0");

    // The compare form lands on the diff; unknown releases are 404s.
    let res = app
        .client
        .get(app.url("/atlas/releases/compare?from=5.6.0&to=5.7.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/atlas/releases/5.6.0/diff/5.7.0"
    );
    assert_eq!(app.get("/atlas/releases/5.6.0/diff/9.9.9").await.0, 404);
    assert_eq!(app.get("/api/v1/atlas/releases/x/diff/5.7.0").await.0, 404);
    assert_eq!(app.get("/atlas/releases/compare?from=5.6.0").await.0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_override_of_the_successor_table_changes_the_upgrade() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ATLAS-5.7.0.yaml");
    std::fs::write(&file, legacy_file(&release_5_7_0())).unwrap();
    let scanning = incident(
        &app,
        "Scanning",
        "5.6.0",
        &[
            ("AML.TA0002", RETIRED_WITHOUT),
            ("AML.TA0003", RETIRED_WITH),
        ],
    )
    .await;
    app.import(&file).await;
    let db = app.database_url().to_string();

    // Bad input: every problem named, nothing written.
    let before = db_fingerprint(&db).await;
    let (status, _, page) = app
        .post_form(
            "/admin/atlas/successors",
            &[("technique", "T0006"), ("successor", "AML.T9999")],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("technique: must be a technique ID"), "{page}");
    assert!(
        page.contains("successor: AML.T9999 is not a technique of any stored ATLAS release"),
        "{page}"
    );
    assert_eq!(db_fingerprint(&db).await, before);

    // AML.T0006 → AML.T0003 (admin), AML.T0019 → none (hides the shipped entry).
    let (status, location, _) = app
        .post_form(
            "/admin/atlas/successors",
            &[
                ("technique", RETIRED_WITHOUT),
                ("successor", "AML.T0003"),
                ("release", "5.7.0"),
            ],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let out = cli(&db, &["atlas", "successors", "set", RETIRED_WITH, "--none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&db, &["atlas", "successors", "list"]);
    let list = text(&out.stdout);
    assert!(list.contains("AML.T0006      → AML.T0003"), "{list}");
    assert!(list.contains("AML.T0019      → (none)"), "{list}");
    assert!(list.contains("AML.T0058      → AML.T0115.001"), "{list}");

    let out = cli(
        &db,
        &["atlas", "upgrade-incidents", "--to", "5.7.0", "--dry-run"],
    );
    let report = text(&out.stdout);
    assert!(
        report.contains("AML.T0006 retired: remapped to its successor AML.T0003"),
        "{report}"
    );
    assert!(
        report.contains("AML.T0019 retired without a known successor"),
        "{report}"
    );
    let (_, page) = app.get(&format!("/techniques/{RETIRED_WITHOUT}")).await;
    assert!(page.contains("its successor is <a href=\"/techniques/AML.T0003\">"));

    // Without JavaScript, "Remove override" asks on a page of its own first
    // (the list's form is a GET; the script posts in place instead).
    let (_, doc) = app.page("/admin/atlas/upgrade").await;
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let form = doc
        .select(&sel("form[action='/admin/atlas/successors/clear']"))
        .next()
        .expect("a remove-override form");
    assert_eq!(form.value().attr("method"), Some("get"));
    assert!(form.value().attr("data-confirm-then-post").is_some());
    let (_, doc) = app
        .page(&format!(
            "/admin/atlas/successors/clear?technique={RETIRED_WITH}"
        ))
        .await;
    let question: String = doc.select(&sel("h1")).flat_map(|h| h.text()).collect();
    assert!(
        question.starts_with(&format!("Remove your override for {RETIRED_WITH}")),
        "{question}"
    );
    let posted = doc
        .select(&sel("form[method=post] input[name=technique]"))
        .next()
        .and_then(|i| i.value().attr("value"));
    assert_eq!(posted, Some(RETIRED_WITH));
    let out = cli(&db, &["atlas", "successors", "list"]);
    assert!(
        text(&out.stdout).contains("AML.T0019      → (none)"),
        "asking removes nothing"
    );
    assert_eq!(
        app.get("/admin/atlas/successors/clear?technique=AML.T9999")
            .await
            .0,
        404,
        "no override to remove"
    );

    // Removing the overrides brings the shipped table back.
    let (status, _, _) = app
        .post_form(
            "/admin/atlas/successors/clear",
            &[("technique", RETIRED_WITH)],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    let out = cli(&db, &["atlas", "successors", "clear", RETIRED_WITHOUT]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (status, _, _) = app
        .post_form(
            "/admin/atlas/successors/clear",
            &[("technique", RETIRED_WITH)],
        )
        .await
        .parts();
    assert_eq!(status, StatusCode::NOT_FOUND, "no override left to remove");
    let out = cli(
        &db,
        &["atlas", "upgrade-incidents", "--to", "5.7.0", "--dry-run"],
    );
    let report = text(&out.stdout);
    assert!(
        report.contains("AML.T0006 retired without a known successor"),
        "{report}"
    );
    assert!(
        report.contains("AML.T0019 retired: remapped to its successor AML.T0115.000"),
        "{report}"
    );

    // Every change to the table is audited; a viewer cannot change it.
    let (entries, _) = app
        .store
        .audit_entries(&atlasview::store::AuditQuery {
            action: Some("atlas.successor".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
    let viewer = app.client_as(atlasview::domain::auth::Role::Viewer).await;
    let res = viewer
        .post(app.url("/admin/atlas/successors"))
        .form(&[("technique", RETIRED_WITHOUT), ("successor", "AML.T0003")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An unknown target release is a 422 naming the field, on the page and the CLI.
    let (status, _, page) = app
        .post_form("/admin/atlas/upgrade/preview", &[("to", "9.9.9")])
        .await
        .parts();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("ATLAS release 9.9.9 is not stored"), "{page}");
    let out = cli(&db, &["atlas", "upgrade-incidents", "--to", "9.9.9"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("to: ATLAS release 9.9.9 is not stored"));

    // A plan made before someone edits an incident is refused whole, even when
    // the edited incident comes last: nothing written.
    use atlasview::service::upgrade;
    let other = incident(&app, "Another", "5.6.0", &[("AML.TA0002", RENAMED)]).await;
    let plan = upgrade::preview(&app.store, "5.7.0", |_| {}).await.unwrap();
    let order: Vec<&str> = plan.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(order.len(), 2);
    assert!(order.contains(&scanning.as_str()) && order.contains(&other.as_str()));
    let last = order[1];
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{last}/steps"),
            &json!({"tactic": "AML.TA0002", "technique": "AML.T0003"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let edited = db_fingerprint(&db).await;
    let who = upgrade::Who {
        actor: "test".into(),
        ip: String::new(),
    };
    let err = upgrade::apply(&app.store, &plan, &who, |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("was changed after the upgrade report was made"),
        "{err}"
    );
    assert_eq!(
        db_fingerprint(&db).await,
        edited,
        "a refused upgrade writes nothing"
    );
}

/// The technique lookup of the API names what became of a retired ID and
/// carries the platforms format 6.0.0 gives.
#[tokio::test]
async fn the_technique_lookup_names_successors_and_platforms() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ATLAS-2026.07.yaml");
    let mut newer = release_5_7_0();
    for t in &mut newer.techniques {
        if t.id == SUCCESSOR {
            t.platforms = vec!["Generative AI".into(), "Agentic AI".into()];
        }
    }
    std::fs::write(&file, v6_text(&newer, "2026.07")).unwrap();
    app.import(&file).await;

    let lookup = async |id: &str| -> Value {
        let (status, body) = app.get(&format!("/api/v1/atlas/techniques/{id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let retired = lookup(RETIRED_WITH).await;
    assert_eq!(retired["retired"], true);
    assert_eq!(retired["release"], "5.6.0");
    assert_eq!(retired["successor"], SUCCESSOR);
    let gone = lookup(RETIRED_WITHOUT).await;
    assert_eq!(gone["retired"], true);
    assert_eq!(gone["successor"], Value::Null);
    let successor = lookup(SUCCESSOR).await;
    assert_eq!(successor["retired"], false);
    assert_eq!(
        successor["platforms"],
        json!(["Generative AI", "Agentic AI"])
    );
}
