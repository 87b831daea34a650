//! Alert ingestion, the technique lookup API and bulk incident import, against a real server.

use atlasview::domain::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, fixture, post_alerts_with};

#[tokio::test]
async fn technique_lookup_accepts_siem_spellings_and_names_tactics() {
    let app = TestApp::spawn().await;
    for spelling in ["AML.T0051.001", "t0051.001", " aml.T0051.001"] {
        let path = format!("/api/v1/atlas/techniques/{}", spelling.replace(' ', "%20"));
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{spelling}: {body}");
        assert_eq!(body["id"], "AML.T0051.001");
        assert_eq!(body["parent"]["id"], "AML.T0051");
        assert_eq!(body["display_name"], "LLM Prompt Injection: Indirect");
        assert_eq!(body["tactics"][0]["id"], "AML.TA0005");
        assert_eq!(body["tactics"][0]["name"], "Execution");
        assert_eq!(body["release"], "5.6.0");
        assert_eq!(body["retired"], false);
    }
    // A technique serving several tactics lists them all.
    let (_, body) = app.get_json("/api/v1/atlas/techniques/AML.T0015").await;
    let tactics: Vec<&str> = body["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["AML.TA0004", "AML.TA0007", "AML.TA0011"]);
    let (_, parent) = app.get_json("/api/v1/atlas/techniques/AML.T0051").await;
    assert_eq!(parent["subtechniques"].as_array().unwrap().len(), 3);

    let (status, body) = app.get_json("/api/v1/atlas/techniques/AML.T0999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app.get_json("/api/v1/atlas/techniques/T51").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "id");
}

#[tokio::test]
async fn tactics_list_in_matrix_order() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/api/v1/atlas/tactics").await;
    assert_eq!(status, StatusCode::OK);
    let tactics = body["tactics"].as_array().unwrap();
    assert_eq!(tactics.len(), 16);
    assert_eq!(tactics[0]["id"], "AML.TA0002");
    assert_eq!(tactics[0]["position"], 1);
    assert_eq!(body["release"], "5.6.0");
    assert!(
        tactics
            .iter()
            .all(|t| t["technique_count"].as_u64().unwrap() > 0)
    );
}

fn ndjson(alerts: &[Value]) -> String {
    alerts.iter().map(|a| format!("{a}\n")).collect()
}

/// (technique, tactic) of every step, in story order.
fn steps_of(incident: &Value) -> Vec<(String, String)> {
    incident["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["technique"].as_str().unwrap().to_string(),
                s["tactic"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn only_incident(report: &Value) -> String {
    let ids = report["incidents"].as_array().unwrap();
    assert_eq!(ids.len(), 1, "{report}");
    ids[0].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_shape_becomes_a_step() {
    let app = TestApp::spawn().await;
    let plain = json!({"id": "p-1", "time": "2026-03-01T10:00:00Z", "technique": "t0051",
                       "severity": "High", "title": "Prompt injection", "source": "guard", "host": {"name": "h1"}});
    let ecs = json!({
        "@timestamp": "2026-03-01T10:01:00Z", "event": {"id": "e-1"},
        "kibana.alert.rule.name": "Model evasion", "host.name": "h1",
        "threat": [{"framework": "MITRE ATLAS", "tactic": {"id": "AML.TA0007"},
                    "technique": [{"id": "AML.T0015"}]}]
    });
    let ecs_tags = json!({"@timestamp": "2026-03-01T10:02:00Z", "event": {"id": "e-2"},
                          "kibana.alert.rule.tags": ["Mitre Atlas: T0043"]});
    let ocsf = json!({"time": 1772359380000_i64, "metadata": {"uid": "o-1", "product": {"name": "AI Guard"}},
                      "finding_info": {"title": "Poisoned data"},
                      "attacks": [{"technique": {"uid": "AML.T0020"}, "tactic": {"uid": "AML.TA0006"}}]});
    let sigma =
        json!({"id": "s-1", "time": "2026-03-01T10:04:00Z", "tags": ["atlas.aml.t0010.000"]});
    for (alert, technique, tactic) in [
        (plain, "AML.T0051", "AML.TA0005"),
        (ecs, "AML.T0015", "AML.TA0007"),
        (ecs_tags, "AML.T0043", "AML.TA0001"),
        (ocsf, "AML.T0020", "AML.TA0006"),
        (sigma, "AML.T0010.000", "AML.TA0004"),
    ] {
        let (status, report) = app
            .post_alerts("/api/v1/alerts", "application/json", alert.to_string())
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["accepted"], 1, "{report}");
        let incident = app.incident(&only_incident(&report)).await;
        assert!(
            steps_of(&incident).contains(&(technique.to_string(), tactic.to_string())),
            "{technique} under {tactic}: {incident}"
        );
        assert_eq!(incident["kind"], "incident");
        assert_eq!(incident["status"], "open");
    }
    let (_, plain_inc) = app.get_json("/api/v1/incidents?per_page=50").await;
    assert_eq!(
        plain_inc["total"], 4,
        "guard, elastic (2 alerts), AI Guard, plain: {plain_inc}"
    );
}

#[tokio::test]
async fn refused_alerts_are_listed_by_index_and_the_others_kept() {
    let app = TestApp::spawn().await;
    let body = format!(
        "{}\n{{not json\n{}\n{}\n{}\n",
        json!({"id": "ok-1", "technique": "AML.T0051"}),
        json!({"id": "bad-1", "technique": "T51"}),
        json!({"id": "bad-2", "technique": "AML.T0051", "time": "yesterday", "severity": "urgent"}),
        json!({"id": "ok-2", "technique": " aml.t0051 "}),
    );
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["accepted"], 2);
    assert_eq!(
        report["folded"], 1,
        "the second AML.T0051 folds into the first's step"
    );
    let refused = report["refused"].as_array().unwrap();
    let indexes: Vec<u64> = refused
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3]);
    assert!(refused[1]["reasons"][0].as_str().unwrap().contains("T51"));
    assert_eq!(
        refused[2]["reasons"].as_array().unwrap().len(),
        2,
        "every problem: {report}"
    );

    // Every alert refused: 422 with the same report.
    let (status, report) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            json!([{"technique": "nope"}, {"title": "no technique"}]).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["refused"].as_array().unwrap().len(), 2);
    assert!(report["error"].is_string());

    let (status, _) = app
        .post_alerts("/api/v1/alerts", "application/xml", "<a/>".into())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = app
        .post_alerts("/api/v1/alerts", "application/json", "[{".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let too_many: Vec<Value> = (0..10_001)
        .map(|i| json!({"id": i, "technique": "T0051"}))
        .collect();
    let (status, body) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            Value::Array(too_many).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        app.store.alert_count().await.unwrap(),
        2,
        "nothing of the refused requests was kept"
    );
}

#[tokio::test]
async fn tactic_rules_never_guess() {
    let app = TestApp::spawn().await;
    // AML.T0015 serves Initial Access, Defense Evasion and Impact.
    let alerts = [
        json!({"id": "own", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0015", "tactic": "TA0007"}),
        json!({"id": "only", "time": "2026-03-01T10:01:00Z", "technique": "AML.T0051"}),
        json!({"id": "none", "time": "2026-03-01T10:02:00Z", "technique": "AML.T0054"}),
        json!({"id": "wrong", "time": "2026-03-01T10:03:00Z", "technique": "AML.T0012", "tactic": "AML.TA0002"}),
    ];
    let (_, report) = app
        .post_alerts(
            "/api/v1/alerts?source=edr",
            "application/x-ndjson",
            ndjson(&alerts),
        )
        .await;
    assert_eq!(report["accepted"], 4, "{report}");
    assert_eq!(report["tactics_to_confirm"], 2, "{report}");
    let incident = app.incident(&only_incident(&report)).await;
    assert_eq!(
        steps_of(&incident),
        [
            ("AML.T0015".to_string(), "AML.TA0007".to_string()),
            ("AML.T0051".to_string(), "AML.TA0005".to_string()),
            ("AML.T0054".to_string(), String::new()),
            ("AML.T0012".to_string(), String::new()),
        ]
    );
    let to_confirm = app.store.steps_to_confirm(10).await.unwrap();
    let mut candidates: Vec<&str> = to_confirm
        .iter()
        .map(|s| s.candidate_tactics.as_str())
        .collect();
    candidates.sort();
    assert_eq!(
        candidates,
        ["AML.TA0004 AML.TA0012", "AML.TA0012 AML.TA0007"]
    );
}

#[tokio::test]
async fn repeats_fold_into_one_step_with_bounded_evidence() {
    let app = TestApp::spawn().await;
    let alerts: Vec<Value> = (0..500)
        .map(|i| {
            json!({"id": format!("r-{i:03}"), "time": format!("2026-03-01T10:{:02}:{:02}Z", i / 60, i % 60),
                   "technique": "AML.T0051", "source": "guard"})
        })
        .collect();
    let (_, report) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            Value::Array(alerts).to_string(),
        )
        .await;
    assert_eq!(
        (report["accepted"].as_u64(), report["folded"].as_u64()),
        (Some(500), Some(499))
    );
    let id = only_incident(&report);
    let incident = app.incident(&id).await;
    assert_eq!(
        incident["steps"].as_array().unwrap().len(),
        1,
        "500 alerts, one step"
    );
    let step = &incident["steps"][0];
    let evidence = step["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with("500 alerts from 2026-03-01T10:00:00Z to 2026-03-01T10:08:19Z"),
        "{evidence}"
    );
    assert!(
        evidence.contains("guard:r-000") && evidence.contains("guard:r-019"),
        "{evidence}"
    );
    assert!(
        !evidence.contains("guard:r-020") && evidence.ends_with("and 480 more"),
        "{evidence}"
    );
    let stats = app.store.step_alerts(&id).await.unwrap();
    let s = &stats[step["id"].as_str().unwrap()];
    assert_eq!(s.alert_count, 500);
    assert_eq!(
        s.recent.len(),
        10,
        "the page shows the latest alerts, bounded"
    );
    assert_eq!(s.recent[0].alert_id, "r-499");
}

#[tokio::test]
async fn late_alerts_take_their_place_in_time() {
    let app = TestApp::spawn().await;
    let batch = |alerts: &[Value]| Value::Array(alerts.to_vec()).to_string();
    let (_, first) = app
        .post_alerts(
            "/api/v1/alerts?source=siem",
            "application/json",
            batch(&[
                json!({"id": "b", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0051"}),
                json!({"id": "c", "time": "2026-03-01T12:00:00Z", "technique": "AML.T0043"}),
            ]),
        )
        .await;
    let id = only_incident(&first);
    // Out of order within one request, and late after the first.
    let (_, late) = app
        .post_alerts(
            "/api/v1/alerts?source=siem",
            "application/json",
            batch(&[
                json!({"id": "d", "time": "2026-03-01T13:00:00Z", "technique": "AML.T0048"}),
                json!({"id": "a", "time": "2026-03-01T09:00:00Z", "technique": "AML.T0000"}),
                json!({"id": "b0", "time": "2026-03-01T08:00:00Z", "technique": "AML.T0051"}),
            ]),
        )
        .await;
    assert_eq!(only_incident(&late), id, "{late}");
    let incident = app.incident(&id).await;
    let order: Vec<String> = steps_of(&incident).into_iter().map(|(t, _)| t).collect();
    assert_eq!(order, ["AML.T0051", "AML.T0000", "AML.T0043", "AML.T0048"]);
    assert_eq!(incident["steps"][0]["observed_at"], "2026-03-01T08:00:00Z");
    assert_eq!(incident["occurred_at"], "2026-03-01T08:00:00Z");
}

#[tokio::test]
async fn idle_window_and_rules_decide_the_incident() {
    let app = TestApp::spawn().await;
    atlasview::service::ingest::save_rule(&app.store, "per host", &["host.name".into()], "1h")
        .await
        .unwrap();
    let alerts = [
        json!({"id": "1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0051", "host": {"name": "gpu-1"}, "severity": "low"}),
        json!({"id": "2", "time": "2026-03-01T10:30:00Z", "technique": "AML.T0043", "host.name": "gpu-1", "severity": "critical"}),
        json!({"id": "3", "time": "2026-03-01T10:40:00Z", "technique": "AML.T0043", "host": {"name": "gpu-2"}}),
        json!({"id": "4", "time": "2026-03-01T13:00:00Z", "technique": "AML.T0051", "host": {"name": "gpu-1"}}),
        json!({"id": "5", "time": "2026-03-01T13:00:00Z", "technique": "AML.T0051"}),
    ];
    let (_, report) = app
        .post_alerts(
            "/api/v1/alerts?source=siem",
            "application/x-ndjson",
            ndjson(&alerts),
        )
        .await;
    let ids = report["incidents"].as_array().unwrap();
    assert_eq!(
        ids.len(),
        4,
        "gpu-1 twice (idle 2h30 > 1h), gpu-2, and the source fallback: {report}"
    );
    let mut titles = Vec::new();
    for id in ids {
        let inc = app.incident(id.as_str().unwrap()).await;
        titles.push((
            inc["title"].as_str().unwrap().to_string(),
            inc["severity"].as_str().unwrap().to_string(),
        ));
    }
    titles.sort();
    assert_eq!(
        titles,
        [
            ("by source: siem".to_string(), "medium".to_string()),
            ("per host: gpu-1".to_string(), "critical".to_string()),
            ("per host: gpu-1".to_string(), "medium".to_string()),
            ("per host: gpu-2".to_string(), "medium".to_string()),
        ]
    );
}

#[tokio::test]
async fn sending_a_batch_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let alerts = [
        json!({"id": "x-1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0051"}),
        // No ID: identified by a hash of its content.
        json!({"time": "2026-03-01T10:05:00Z", "technique": "AML.T0043", "title": "no id"}),
        json!({"time": "2026-03-01T10:06:00Z", "technique": "AML.T0999"}),
    ];
    let (_, first) = app
        .post_alerts(
            "/api/v1/alerts?source=s",
            "application/x-ndjson",
            ndjson(&alerts),
        )
        .await;
    assert_eq!(
        (first["accepted"].as_u64(), first["duplicates"].as_u64()),
        (Some(3), Some(0))
    );
    let before = app.snapshot().await;
    let (status, second) = app
        .post_alerts(
            "/api/v1/alerts?source=s",
            "application/x-ndjson",
            ndjson(&alerts),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (second["accepted"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(3)),
        "{second}"
    );
    assert_eq!(second["incidents"].as_array().unwrap().len(), 0);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.store.alert_count().await.unwrap(), 3);
    // Repeated within one request: a duplicate too.
    let twice = ndjson(&[
        json!({"id": "y", "technique": "T0051"}),
        json!({"id": "y", "technique": "T0051"}),
    ]);
    let (_, report) = app
        .post_alerts("/api/v1/alerts?source=s", "application/x-ndjson", twice)
        .await;
    assert_eq!(
        (report["accepted"].as_u64(), report["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn unknown_ids_wait_in_the_queue_until_a_release_knows_them() {
    let app = TestApp::spawn().await;
    let alerts = [
        json!({"id": "u-1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0199", "source": "agent-guard"}),
        json!({"id": "u-2", "time": "2026-03-01T10:01:00Z", "techniques": ["AML.T0051", "AML.T0198"], "source": "agent-guard"}),
    ];
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", ndjson(&alerts))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (report["accepted"].as_u64(), report["unmapped"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
    let id = only_incident(&report);
    assert_eq!(
        steps_of(&app.incident(&id).await).len(),
        1,
        "only AML.T0051 is known to 5.6.0"
    );
    let (_, queue) = app.get_json("/api/v1/alerts/unmapped").await;
    assert_eq!(queue["total_alerts"], 2, "{queue}");
    let raw: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["technique"].as_str().unwrap())
        .collect();
    assert_eq!(raw, ["AML.T0199", "AML.T0198"]);

    // A release that knows both: they are mapped, into the same incident.
    app.import(&fixture("atlas-legacy-newer.yaml")).await;
    let (_, queue) = app.get_json("/api/v1/alerts/unmapped").await;
    assert_eq!(queue["total_alerts"], 0, "{queue}");
    let steps = steps_of(&app.incident(&id).await);
    assert_eq!(
        steps,
        [
            ("AML.T0199".to_string(), "AML.TA0005".to_string()),
            ("AML.T0051".to_string(), "AML.TA0005".to_string()),
            ("AML.T0198".to_string(), String::new()),
        ],
        "mapped in time order; the two-tactic technique waits for a tactic"
    );
}

#[tokio::test]
async fn the_ingest_role_posts_alerts_and_reads_nothing() {
    let app = TestApp::spawn().await;
    let connector = app.client_as(Role::Ingest).await;
    let (status, report) = post_alerts_with(
        &connector,
        &app.url("/api/v1/alerts"),
        "application/json",
        json!({"id": "c-1", "technique": "AML.T0051"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let id = only_incident(&report);
    for path in [
        "/api/v1/incidents".to_string(),
        format!("/api/v1/incidents/{id}"),
        "/api/v1/alerts/unmapped".to_string(),
        "/api/v1/atlas/tactics".to_string(),
        "/matrix".to_string(),
        "/admin/ingest".to_string(),
    ] {
        let status = connector.get(app.url(&path)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let status = connector
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A viewer cannot post alerts.
    let viewer = app.client_as(Role::Viewer).await;
    let (status, _) = post_alerts_with(
        &viewer,
        &app.url("/api/v1/alerts"),
        "application/json",
        "{}".into(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ingestion_page_and_one_click_confirmation() {
    let app = TestApp::spawn().await;
    let alerts = [
        json!({"id": "a1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0054", "source": "llm-guard", "title": "Jailbreak <b>attempt</b>"}),
        json!({"id": "a2", "time": "2026-03-01T10:01:00Z", "technique": "AML.T0054", "source": "llm-guard"}),
        json!({"id": "a3", "time": "2026-03-01T10:02:00Z", "technique": "AML.T0199", "source": "llm-guard"}),
    ];
    let (_, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", ndjson(&alerts))
        .await;
    let id = only_incident(&report);
    let step = app.incident(&id).await["steps"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, html) = app.get("/admin/ingest").await;
    assert_eq!(status, 200);
    for needle in [
        "llm-guard",
        "Tactics to confirm",
        "AML.T0199",
        "llm-guard:a3",
        "Alerts per hour",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(
        html.contains("Jailbreak &#60;b&#62;attempt&#60;/b&#62;")
            || html.contains("Jailbreak &lt;b&gt;"),
        "titles are escaped"
    );
    assert!(html.contains(&format!("/incidents/{id}/steps/{step}/tactic")));

    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    assert!(page.contains("Tactic to confirm"));
    assert!(
        page.contains("2 alerts behind this step"),
        "the alerts behind the step"
    );
    assert!(page.contains("llm-guard:a2"));

    // A viewer is offered no confirm button and cannot confirm; an analyst
    // can, in one click.
    let viewer = app.client_as(Role::Viewer).await;
    let url = app.url(&format!("/incidents/{id}/steps/{step}/tactic"));
    let (_, viewer_page) = app.get_with(&viewer, &format!("/incidents/{id}")).await;
    assert!(viewer_page.contains("Tactic to confirm"));
    assert!(
        !viewer_page.contains(&format!("/incidents/{id}/steps/{step}/tactic")),
        "no confirm form for a viewer"
    );
    let status = viewer
        .post(&url)
        .form(&[("tactic", "AML.TA0007")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let analyst = app.client_as(Role::Analyst).await;
    let status = analyst
        .post(&url)
        .form(&[("tactic", "AML.TA0002")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::CONFLICT, "not a candidate");
    let res = analyst
        .post(&url)
        .form(&[("tactic", "AML.TA0007"), ("back", "ingest")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let incident = app.incident(&id).await;
    assert_eq!(incident["steps"][0]["tactic"], "AML.TA0007");
    assert!(app.store.steps_to_confirm(10).await.unwrap().is_empty());
    let status = analyst
        .post(&url)
        .form(&[("tactic", "AML.TA0007")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::CONFLICT, "already confirmed");

    // Later alerts of that technique fold into the confirmed step.
    let (_, later) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            json!({"id": "a4", "time": "2026-03-01T10:05:00Z", "technique": "AML.T0054", "source": "llm-guard"}).to_string(),
        )
        .await;
    assert_eq!(later["folded"], 1, "{later}");
    assert_eq!(later["tactics_to_confirm"], 0);
}

#[tokio::test]
async fn rules_are_managed_on_the_ingestion_page() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/admin/ingest/rules"))
        .form(&[("name", ""), ("fields", "host name!"), ("window", "soon")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for field in ["name: is required", "fields: `host name!`", "idle_window:"] {
        assert!(html.contains(field), "{field}: every problem is listed");
    }
    let res = app
        .client
        .post(app.url("/admin/ingest/rules"))
        .form(&[
            ("name", "per model"),
            ("fields", "model.name, host.name"),
            ("window", "12h"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rules = app.store.list_rules().await.unwrap();
    assert_eq!(
        (rules[0].key_fields.as_str(), rules[0].idle_seconds),
        ("model.name,host.name", 43_200)
    );
    let (_, html) = app.get("/admin/ingest").await;
    assert!(html.contains("per model") && html.contains("12h"));
    let analyst = app.client_as(Role::Analyst).await;
    let status = analyst
        .post(app.url("/admin/ingest/rules/delete"))
        .form(&[("name", "per model")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN, "rules are the admins'");
    let status = app
        .client
        .post(app.url("/admin/ingest/rules/delete"))
        .form(&[("name", "per model")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(app.store.list_rules().await.unwrap().is_empty());
}
