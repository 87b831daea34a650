//! STIX 2.1 with Attack Flow: the export of one incident and of a filtered
//! list (checked by OASIS's stix2-validator and against the rules of the
//! Attack Flow 2.0 schema), and the import of bundles (our own export, and a
//! report as OpenCTI writes one).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use atlasview::domain::auth::Role;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::support::{TestApp, cli, fixture, python_has, shared_atlas, text, venv_python};

const FLOW_EXTENSION: &str = "extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4";

/// Runs stix2-validator over every bundle of `dir`: (files, errors, warnings);
/// the errors are listed in the panic message.
fn validate_dir(dir: &std::path::Path) -> Option<(usize, usize, usize)> {
    let python = venv_python();
    if !python_has(&python, "stix2validator", "stix2-validator") {
        return None;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/stix_check.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(dir)
        .output()
        .expect("run stix_check.py");
    let stdout = text(&out.stdout);
    let (mut files, mut errors, mut warnings) = (0, 0, 0);
    let mut listed = Vec::new();
    for line in stdout.lines() {
        let r: Value = serde_json::from_str(line).expect("a JSON line");
        files += 1;
        let e = r["errors"].as_array().expect("errors");
        errors += e.len();
        warnings += r["warnings"].as_u64().unwrap_or(0) as usize;
        listed.extend(e.iter().map(|e| format!("{}: {e}", r["file"])));
    }
    assert!(
        out.status.success() && errors == 0,
        "stix2-validator found errors: {listed:#?}\n{}",
        text(&out.stderr)
    );
    Some((files, errors, warnings))
}

fn objects(bundle: &Value) -> &[Value] {
    bundle["objects"].as_array().expect("objects")
}

fn by_id(bundle: &Value) -> HashMap<&str, &Value> {
    objects(bundle)
        .iter()
        .map(|o| (o["id"].as_str().expect("id"), o))
        .collect()
}

fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    objects(bundle)
        .iter()
        .filter(|o| o["type"] == kind)
        .collect()
}

fn is_ref(v: &Value, prefixes: &[&str]) -> bool {
    v.as_str().is_some_and(|s| {
        prefixes.iter().any(|p| {
            s.strip_prefix(p)
                .and_then(|u| u.strip_prefix("--"))
                .is_some_and(|u| u.len() == 36 && u.chars().filter(|c| *c == '-').count() == 4)
        })
    })
}

/// The rules of the Attack Flow 2.0 JSON schema (attack-flow-schema-2.0.0),
/// checked by hand: the schema cannot be fetched from its site in CI, and
/// it is not ours to copy into the repository. Every flow object: STIX core
/// properties, the extension as `new-sdo`, only the properties the schema
/// knows (it has `unevaluatedProperties: false`); `attack-flow`: name,
/// scope from its list, at least one start ref to an action or condition;
/// `attack-action`: name, technique_ref to an attack-pattern, effect_refs
/// (when given) at least one action, operator or condition.
fn check_attack_flow_schema(bundle: &Value) {
    let core: HashSet<&str> = [
        "type",
        "spec_version",
        "id",
        "created_by_ref",
        "created",
        "modified",
        "revoked",
        "labels",
        "confidence",
        "lang",
        "external_references",
        "object_marking_refs",
        "granular_markings",
        "extensions",
    ]
    .into();
    let stamp = |v: &Value| {
        v.as_str().is_some_and(|s| {
            chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z') && s.len() == 24
        })
    };
    let ids = by_id(bundle);
    assert!(
        ids.contains_key(FLOW_EXTENSION),
        "the extension definition is in the bundle"
    );
    for o in objects(bundle) {
        let kind = o["type"].as_str().unwrap();
        let own: &[&str] = match kind {
            "attack-flow" => &["name", "description", "scope", "start_refs"],
            "attack-action" => &[
                "name",
                "tactic_id",
                "tactic_ref",
                "technique_id",
                "technique_ref",
                "description",
                "execution_start",
                "execution_end",
                "command_ref",
                "asset_refs",
                "effect_refs",
            ],
            _ => continue,
        };
        let id = o["id"].as_str().unwrap();
        assert_eq!(o["spec_version"], "2.1", "{id}");
        assert!(is_ref(&o["id"], &[kind]), "{id}");
        assert!(stamp(&o["created"]) && stamp(&o["modified"]), "{id}");
        assert_eq!(
            o["extensions"][FLOW_EXTENSION]["extension_type"], "new-sdo",
            "{id}"
        );
        for key in o.as_object().unwrap().keys() {
            assert!(
                core.contains(key.as_str()) || own.contains(&key.as_str()),
                "{id}: `{key}` is not a property the schema knows"
            );
        }
        assert!(o["name"].as_str().is_some_and(|n| !n.is_empty()), "{id}");
        match kind {
            "attack-flow" => {
                assert!(
                    [
                        "incident",
                        "campaign",
                        "threat-actor",
                        "malware",
                        "attack-tree",
                        "other"
                    ]
                    .contains(&o["scope"].as_str().unwrap_or("")),
                    "{id}: scope"
                );
                let starts = o["start_refs"].as_array().expect("start_refs");
                assert!(!starts.is_empty(), "{id}: minItems 1");
                for s in starts {
                    assert!(is_ref(s, &["attack-action", "attack-condition"]), "{id}");
                    assert!(ids.contains_key(s.as_str().unwrap()), "{id}: {s} dangles");
                }
            }
            _ => {
                assert!(is_ref(&o["technique_ref"], &["attack-pattern"]), "{id}");
                let pattern = ids[o["technique_ref"].as_str().unwrap()];
                assert_eq!(
                    pattern["external_references"][0]["external_id"], o["technique_id"],
                    "{id}: the technique_ref is the technique_id's pattern"
                );
                if let Some(t) = o.get("tactic_ref") {
                    assert!(ids.contains_key(t.as_str().unwrap()), "{id}: {t} dangles");
                }
                if let Some(effects) = o.get("effect_refs") {
                    let effects = effects.as_array().expect("a list");
                    assert!(!effects.is_empty(), "{id}: minItems 1");
                    for e in effects {
                        assert!(
                            is_ref(e, &["attack-action", "attack-operator", "attack-condition"]),
                            "{id}"
                        );
                        assert!(ids.contains_key(e.as_str().unwrap()), "{id}: {e} dangles");
                    }
                }
            }
        }
    }
}

/// The flow of `flow`'s actions from its start along `effect_refs`.
fn flow_actions<'a>(bundle: &'a Value, flow: &Value) -> Vec<&'a Value> {
    let ids = by_id(bundle);
    let starts = flow["start_refs"].as_array().unwrap();
    assert_eq!(starts.len(), 1, "one path: one start");
    let mut out = Vec::new();
    let mut next = starts[0].as_str();
    while let Some(id) = next {
        let action = ids[id];
        assert!(out.len() < 1000, "the flow loops");
        out.push(action);
        next = action["effect_refs"].as_array().map(|e| {
            assert_eq!(e.len(), 1, "a path, not a tree");
            e[0].as_str().unwrap()
        });
    }
    out
}

async fn case_study_app() -> TestApp {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (s, body) = app
        .post_json("/api/v1/case-studies/import", &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app
}

async fn get_bundle(app: &TestApp, path: &str) -> (String, Value) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        res.headers()[CONTENT_TYPE],
        "application/stix+json;version=2.1"
    );
    let body = res.text().await.unwrap();
    let bundle = serde_json::from_str(&body).expect("JSON");
    (body, bundle)
}

async fn post_bundle(
    app: &TestApp,
    client: &reqwest::Client,
    query: &str,
    body: String,
) -> (StatusCode, Value) {
    let res = client
        .post(app.url(&format!("/api/v1/incidents/import/stix{query}")))
        .header(CONTENT_TYPE, "application/stix+json;version=2.1")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// (tactic, technique, description) of each step, in order.
fn steps_of(incident: &Value) -> Vec<(String, String, String)> {
    incident["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["tactic"].as_str().unwrap().to_string(),
                s["technique"].as_str().unwrap().to_string(),
                s["description"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

async fn id_by_title(app: &TestApp, title: &str) -> Vec<String> {
    let (_, list) = app.get_json("/api/v1/incidents?per_page=200").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["title"] == title)
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_case_study_exports_as_valid_stix_with_its_attack_flow() {
    let app = case_study_app().await;
    let (_, list) = app
        .get_json("/api/v1/incidents?tag=atlas-case-study&per_page=200")
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 57);
    let dir = tempfile::tempdir().unwrap();
    let mut actions = 0;
    for item in items {
        let id = item["id"].as_str().unwrap();
        let (body, bundle) = get_bundle(&app, &format!("/incidents/{id}/stix.json")).await;
        check_attack_flow_schema(&bundle);
        let incident = app.incident(id).await;
        let steps = steps_of(&incident);
        let reports = of_type(&bundle, "report");
        assert_eq!(reports.len(), 1, "{id}");
        assert_eq!(reports[0]["name"], incident["title"]);
        let ids = by_id(&bundle);
        for (ext, how) in reports[0]["extensions"].as_object().unwrap() {
            assert_eq!(ids[ext.as_str()]["type"], "extension-definition");
            assert_eq!(how["extension_type"], "toplevel-property-extension");
            let declared = ids[ext.as_str()]["extension_properties"]
                .as_array()
                .unwrap();
            for key in reports[0].as_object().unwrap().keys() {
                if key.starts_with("x_") {
                    assert!(declared.contains(&json!(key)), "{key} is declared");
                }
            }
        }
        assert_eq!(reports[0]["x_atlasview_kind"], "case-study");
        let flows = of_type(&bundle, "attack-flow");
        assert_eq!(flows.len(), 1, "{id}");
        assert!(
            reports[0]["object_refs"]
                .as_array()
                .unwrap()
                .contains(&flows[0]["id"]),
            "the report holds the flow"
        );
        let path: Vec<(String, String)> = flow_actions(&bundle, flows[0])
            .iter()
            .map(|a| {
                (
                    a["tactic_id"].as_str().unwrap().to_string(),
                    a["technique_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = steps
            .iter()
            .map(|(ta, te, _)| (ta.clone(), te.clone()))
            .collect();
        assert_eq!(path, expected, "{id}: the flow is the steps in order");
        actions += path.len();
        // ATLAS references on every technique and tactic.
        for p in of_type(&bundle, "attack-pattern") {
            let r = &p["external_references"][0];
            let t = r["external_id"].as_str().unwrap();
            assert!(t.starts_with("AML.T"), "{t}");
            assert_eq!(r["source_name"], "mitre-atlas");
            assert_eq!(r["url"], format!("https://atlas.mitre.org/techniques/{t}"));
            assert_eq!(p["kill_chain_phases"][0]["kill_chain_name"], "mitre-atlas");
        }
        for t in of_type(&bundle, "x-mitre-tactic") {
            let r = &t["external_references"][0];
            assert!(r["external_id"].as_str().unwrap().starts_with("AML.TA"));
            assert!(t["x_mitre_shortname"].as_str().is_some());
        }
        // Byte-stable: the same incident exports to the same bytes.
        let (again, _) = get_bundle(&app, &format!("/incidents/{id}/stix.json")).await;
        assert_eq!(body, again, "{id}: a re-export is the same");
        std::fs::write(dir.path().join(format!("{id}.json")), body).unwrap();
    }
    assert_eq!(actions, 449, "one action per case-study step");

    // AML.CS0000: six actions linked in procedure order (from the release file).
    let release = std::fs::read_to_string(shared_atlas("ATLAS-5.6.0.yaml")).unwrap();
    let doc: Value = serde_saphyr::from_str(&release).unwrap();
    let cs = doc["case-studies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "AML.CS0000")
        .unwrap();
    let procedure: Vec<(String, String)> = cs["procedure"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["tactic"].as_str().unwrap().to_string(),
                p["technique"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(procedure.len(), 6);
    let (_, bundle) = get_bundle(&app, "/incidents/aml-cs0000/stix.json").await;
    let flow = of_type(&bundle, "attack-flow")[0];
    let path = flow_actions(&bundle, flow);
    let got: Vec<(String, String)> = path
        .iter()
        .map(|a| {
            (
                a["tactic_id"].as_str().unwrap().to_string(),
                a["technique_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, procedure, "six actions in procedure order");
    assert!(path.last().unwrap().get("effect_refs").is_none());
    let report = of_type(&bundle, "report")[0];
    assert!(
        report["external_references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["external_id"] == "AML.CS0000"
                && r["url"] == "https://atlas.mitre.org/studies/AML.CS0000"),
        "{report}"
    );

    // The filtered list as one bundle: every case study, each object once.
    let (body, all) = get_bundle(&app, "/api/v1/stix?tag=atlas-case-study&per_page=200").await;
    check_attack_flow_schema(&all);
    assert_eq!(of_type(&all, "report").len(), 57);
    assert_eq!(of_type(&all, "attack-flow").len(), 57);
    assert_eq!(of_type(&all, "attack-action").len(), 449);
    let ids: Vec<&str> = objects(&all)
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<HashSet<_>>().len(),
        "no object twice"
    );
    std::fs::write(dir.path().join("all-case-studies.json"), body).unwrap();
    if let Some((files, errors, warnings)) = validate_dir(dir.path()) {
        assert_eq!((files, errors), (58, 0));
        eprintln!("stix2-validator: {files} bundles, {errors} errors, {warnings} warnings");
    }
}

#[tokio::test]
async fn the_stix_list_takes_the_list_filters_and_refuses_bad_ones() {
    let app = TestApp::spawn().await;
    app.two_step_incident("Kept by the filter").await;
    let (s, _) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Left out", "severity": "high"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, bundle) = get_bundle(&app, "/api/v1/stix?severity=low").await;
    let names: Vec<&str> = of_type(&bundle, "report")
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kept by the filter"]);
    // An incident without steps: a report, no flow, no extension needed.
    let (_, bundle) = get_bundle(&app, "/api/v1/stix?severity=high").await;
    assert_eq!(of_type(&bundle, "attack-flow").len(), 0);
    assert_eq!(
        of_type(&bundle, "report")[0]["object_refs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // One page at a time; the Link header leads on with the same filters.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/stix?per_page=1&sort=title".to_string());
    while let Some(path) = next.take() {
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["x-total-count"], "2");
        next = res.headers().get("link").map(|l| {
            let l = l.to_str().unwrap();
            assert!(
                l.ends_with(">; rel=\"next\"") && l.contains("sort=title"),
                "{l}"
            );
            l[1..l.find('>').unwrap()].to_string()
        });
        let bundle: Value = res.json().await.unwrap();
        let reports = of_type(&bundle, "report");
        assert_eq!(reports.len(), 1, "{path}");
        seen.push(reports[0]["name"].as_str().unwrap().to_string());
        assert!(seen.len() <= 2, "the pages end");
    }
    assert_eq!(seen, ["Kept by the filter", "Left out"]);
    // An order without a keyset goes on by page number.
    let res = app
        .client
        .get(app.url("/api/v1/stix?per_page=1&sort=-severity"))
        .send()
        .await
        .unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("sort=-severity") && link.contains("page=2"),
        "{link}"
    );
    let res = app
        .client
        .get(app.url(&link[1..link.find('>').unwrap()]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("link").is_none(),
        "page 2 of 2 is the last"
    );

    let (s, err) = app
        .get_json("/api/v1/stix?severity=severe&per_page=100000")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let e = err.to_string();
    assert!(e.contains("severity") && e.contains("per_page"), "{e}");
    let anonymous = app.anonymous();
    let res = anonymous.get(app.url("/api/v1/stix")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = anonymous
        .get(app.url("/incidents/nope/stix.json"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection() || res.status() == StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/incidents/nope/stix.json").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn our_own_export_imports_as_the_same_incident_and_again_changes_nothing() {
    let app = case_study_app().await;
    let (body, _) = get_bundle(&app, "/incidents/aml-cs0000/stix.json").await;
    let original = app.incident("aml-cs0000").await;
    let (s, report) = post_bundle(&app, &app.client, "", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(
        (report["records"].as_u64(), report["created"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(report["failed"], json!([]));
    let ids = id_by_title(&app, original["title"].as_str().unwrap()).await;
    let copy = ids
        .iter()
        .find(|i| *i != "aml-cs0000")
        .expect("a new incident");
    let copy = app.incident(copy).await;
    assert_eq!(copy["title"], original["title"]);
    assert_eq!(copy["summary"], original["summary"]);
    assert_eq!(
        steps_of(&copy),
        steps_of(&original),
        "techniques, tactics, order"
    );
    assert_eq!(copy["tags"], original["tags"]);
    for field in [
        "kind",
        "severity",
        "status",
        "occurred_at",
        "occurred_precision",
        "target",
        "actor",
        "reporter",
        "references",
    ] {
        assert_eq!(copy[field], original[field], "{field}");
    }
    let origin = app
        .store
        .incident_origin(copy["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(origin.0, "stix");
    assert!(origin.1.starts_with("report--"));
    assert!(!origin.2, "the order is known");

    let before = app.store.data_fingerprint().await.unwrap();
    let (s, again) = post_bundle(&app, &app.client, "", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "{again}"
    );
    assert_eq!(app.store.data_fingerprint().await.unwrap(), before);

    // The CLI reads the same file and finds nothing to change either.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cs0000.json");
    std::fs::write(&file, &body).unwrap();
    let out = cli(
        app.database_url(),
        &["import", "stix", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 incidents: 0 created, 0 updated, 1 unchanged"),
        "{}",
        text(&out.stdout)
    );

    // A flow on its own (no report) is an incident too, named after the flow.
    let mut bundle: Value = serde_json::from_str(&body).unwrap();
    bundle["objects"]
        .as_array_mut()
        .unwrap()
        .retain(|o| o["type"] != "report");
    let (s, lone) = post_bundle(&app, &app.client, "?source=flows", bundle.to_string()).await;
    assert_eq!(
        (s, lone["created"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{lone}"
    );
    let ids = id_by_title(&app, original["title"].as_str().unwrap()).await;
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn an_opencti_report_becomes_an_incident_with_its_atlas_techniques_order_unknown() {
    let app = TestApp::spawn().await;
    let body = std::fs::read_to_string(fixture("stix-opencti-report.json")).unwrap();
    let (s, report) = post_bundle(&app, &app.client, "?dry_run=1", body.clone()).await;
    assert_eq!(
        (s, report["created"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{report}"
    );
    assert!(
        id_by_title(&app, "Poisoned prompt campaign against a support chatbot")
            .await
            .is_empty(),
        "a dry run writes nothing"
    );

    let (s, report) = post_bundle(&app, &app.client, "", body).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    let left_out: HashMap<&str, &str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["object"].as_str().unwrap(),
                w["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(left_out.len(), 3, "{report}");
    assert!(
        left_out["attack-pattern--b4d8e2f6-0a3c-4b9e-8d15-6f2a9c4e7b83"]
            .contains("`T1566` is not an ATLAS technique ID")
    );
    assert!(
        left_out["attack-pattern--e9c1a7b3-5f4d-4c2a-b860-2d7f3a9e1c58"]
            .contains("AML.T9999 is not in ATLAS release")
    );
    assert!(
        left_out["attack-pattern--0f4a8c2e-6b1d-4e7f-9a32-8c5e1b7d3f90"]
            .contains("not in the bundle")
    );

    let ids = id_by_title(&app, "Poisoned prompt campaign against a support chatbot").await;
    assert_eq!(ids.len(), 1);
    let incident = app.incident(&ids[0]).await;
    let steps: Vec<(String, String)> = steps_of(&incident)
        .into_iter()
        .map(|(ta, te, _)| (te, ta))
        .collect();
    assert_eq!(
        steps,
        [
            ("AML.T0000".to_string(), "AML.TA0002".to_string()),
            ("AML.T0051".to_string(), "AML.TA0005".to_string()),
            ("AML.T0043".to_string(), "AML.TA0001".to_string()),
        ],
        "matrix order, not the file's"
    );
    let mut tags: Vec<&str> = incident["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["chatbot", "llm"]);
    assert_eq!(
        incident["references"][0]["url"],
        "https://example.org/advisories/2025-017"
    );
    let origin = app.store.incident_origin(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        origin,
        (
            "stix".to_string(),
            "report--8f3a1c5e-2b7d-4e9f-a6c0-1d4b7e9f2a35".to_string(),
            true
        ),
        "marked order unknown"
    );
    let (_, page) = app.get(&format!("/incidents/{}", ids[0])).await;
    assert!(page.contains("Order unknown"));

    // Sent where ATLAS releases go, it is refused with where it belongs.
    let res = app
        .client
        .post(app.url("/api/v1/atlas/releases?release=9.9"))
        .body(std::fs::read(fixture("stix-opencti-report.json")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = res.text().await.unwrap();
    assert!(
        err.contains("holds incidents") && err.contains("/api/v1/incidents/import/stix"),
        "{err}"
    );

    // The CLI: the same file, nothing to change; what was left out is listed.
    let out = cli(
        app.database_url(),
        &[
            "import",
            "stix",
            fixture("stix-opencti-report.json").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 unchanged"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("attack-pattern--b4d8e2f6-0a3c-4b9e-8d15-6f2a9c4e7b83: note:")
    );
}

#[tokio::test]
async fn bad_bundles_are_refused_naming_the_part_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let editor = app.client_as(Role::Analyst).await;
    let before = app.store.data_fingerprint().await.unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "bundle"),
        ("[1, 2]".into(), "bundle"),
        (json!({"type": "report", "objects": []}).to_string(), "type"),
        (json!({"type": "bundle", "objects": {}}).to_string(), "objects"),
        (json!({"type": "bundle", "objects": [1, {"type": "report"}, {"type": "report", "id": "identity--x"}]}).to_string(), "objects"),
        (json!({"type": "bundle", "objects": [{"type": "identity", "id": "identity--1"}]}).to_string(), "objects"),
        ("{\"type\":\"bundle\",\"objects\":[".to_string() + &"[".repeat(5000), "bundle"),
    ];
    for (body, field) in cases {
        let (s, err) = post_bundle(&app, &editor, "", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body:.80}: {err}");
        assert_eq!(err["field"], field, "{body:.80}: {err}");
    }
    assert_eq!(
        app.store.data_fingerprint().await.unwrap(),
        before,
        "nothing written"
    );
    let objects: Vec<Value> = (0..50_001)
        .map(|i| json!({"type": "note", "id": format!("note--{i}")}))
        .collect();
    let (s, err) = post_bundle(
        &app,
        &editor,
        "",
        json!({"type": "bundle", "objects": objects}).to_string(),
    )
    .await;
    assert_eq!(
        (s, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("objects")),
        "{err}"
    );

    let (s, _) = post_bundle(&app, &editor, "", " ".repeat(9 * 1024 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "over 8 MiB");

    // A report without a name, and a flow whose action names an ATT&CK
    // technique: refused and left out, each by its object.
    let flow_ext = json!({FLOW_EXTENSION: {"extension_type": "new-sdo"}});
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "report", "id": "report--a", "object_refs": ["attack-pattern--x"]},
        {"type": "attack-flow", "id": "attack-flow--b", "name": "Loop", "extensions": flow_ext, "start_refs": ["attack-action--1"]},
        {"type": "attack-action", "id": "attack-action--1", "name": "Phish", "technique_id": "T1566", "effect_refs": ["attack-action--2"]},
        {"type": "attack-action", "id": "attack-action--2", "name": "Inject", "technique_id": "AML.T0051", "tactic_id": "execution", "effect_refs": ["attack-action--1", "attack-action--3"]},
        {"type": "attack-action", "id": "attack-action--3", "name": "Evade", "technique_id": "AML.T0015"},
    ]});
    let (s, report) = post_bundle(&app, &editor, "?source=x", bundle.to_string()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["failed"][0]["object"], "report--a", "{report}");
    assert_eq!(report["failed"][0]["problems"][0]["field"], "title");
    assert_eq!(report["created"], 1);
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["object"] == "attack-action--1")
    );
    let ids = id_by_title(&app, "Loop").await;
    let looped = app.incident(&ids[0]).await;
    assert_eq!(
        steps_of(&looped).len(),
        2,
        "a cycle is walked once; the ATT&CK step left out"
    );
    assert_eq!(
        steps_of(&looped)[1],
        ("".to_string(), "AML.T0015".to_string(), String::new()),
        "no tactic named, three to choose from: to be confirmed"
    );
    assert_eq!(report["tactics_to_confirm"], 1);
    assert_eq!(
        steps_of(&looped)[0].0,
        "AML.TA0005",
        "a tactic short name is read"
    );

    // The CLI says the same, and fails.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let out = cli(
        app.database_url(),
        &["import", "stix", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("bundle: is not JSON"),
        "{}",
        text(&out.stderr)
    );
    let unnamed = dir.path().join("unnamed.json");
    std::fs::write(
        &unnamed,
        json!({"type": "bundle", "objects": [{"type": "report", "id": "report--z"}]}).to_string(),
    )
    .unwrap();
    let out = cli(
        app.database_url(),
        &["import", "stix", unnamed.to_str().unwrap()],
    );
    assert!(!out.status.success(), "nothing could be imported");
    assert!(
        text(&out.stderr).contains("report--z: title: is required"),
        "{}",
        text(&out.stderr)
    );

    // Roles and types.
    let viewer = app.client_as(Role::Viewer).await;
    let (s, _) = post_bundle(&app, &viewer, "", "{}".into()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let res = editor
        .post(app.url("/api/v1/incidents/import/stix"))
        .header(CONTENT_TYPE, "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, err) = post_bundle(&app, &editor, "?dry_run=maybe&source=%20", "{}".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        err.to_string().contains("dry_run") && err.to_string().contains("source"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unordered_incident_with_a_tactic_to_confirm_comes_back_as_it_was() {
    let app = TestApp::spawn().await;
    let record = json!([{"external_id": "u-1", "title": "Unordered", "severity": "high",
        "techniques": ["AML.T0051", "AML.T0015", "AML.T0000"]}]);
    let (s, report) = app
        .post_json("/api/v1/incidents/import?source=corpus", &record)
        .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let id = id_by_title(&app, "Unordered").await.remove(0);
    let original = app.incident(&id).await;
    let (body, bundle) = get_bundle(&app, &format!("/incidents/{id}/stix.json")).await;
    check_attack_flow_schema(&bundle);
    let r = of_type(&bundle, "report")[0];
    assert_eq!(r["x_atlasview_order_unknown"], true);
    let ext = by_id(&bundle)[r["extensions"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .as_str()];
    assert!(
        ext["extension_properties"]
            .as_array()
            .unwrap()
            .contains(&json!("x_atlasview_order_unknown"))
    );
    let to_confirm = of_type(&bundle, "attack-action")
        .into_iter()
        .find(|a| a["technique_id"] == "AML.T0015")
        .unwrap();
    assert!(to_confirm.get("tactic_id").is_none(), "no tactic to give");

    let (s, imported) = post_bundle(&app, &app.client, "", body).await;
    assert_eq!(s, StatusCode::OK, "{imported}");
    assert_eq!(
        (
            imported["created"].as_u64(),
            imported["tactics_to_confirm"].as_u64()
        ),
        (Some(1), Some(1)),
        "{imported}"
    );
    let copy = id_by_title(&app, "Unordered")
        .await
        .into_iter()
        .find(|c| *c != id)
        .unwrap();
    let origin = app.store.incident_origin(&copy).await.unwrap().unwrap();
    assert!(origin.2, "still of unknown order");
    let copy = app.incident(&copy).await;
    assert_eq!(steps_of(&copy), steps_of(&original));
    assert_eq!(
        steps_of(&copy)[1].0,
        "",
        "the tactic is still to be confirmed"
    );
    assert_eq!(copy["severity"], "high");
}
