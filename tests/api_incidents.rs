//! The incidents JSON API against a real server: CRUD, ordered steps,
//! optimistic concurrency, hostile input, and ATLAS case studies.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, shared_atlas};

fn incident_body() -> Value {
    json!({
        "title": "Prompt injection through the support inbox",
        "summary": "An attacker planted instructions in an email that the **RAG assistant** followed.",
        "kind": "incident",
        "severity": "high",
        "status": "open",
        "occurred_at": "2025-03-14T09:30:00Z",
        "detected_at": "2025-03-14",
        "target": "customer-support RAG assistant",
        "actor": "unknown",
        "reporter": "SOC tier 1",
        "tags": ["LLM", "rag", "llm"],
        "references": [{"title": "Ticket", "url": "https://tickets.example/123"}],
        "steps": [
            {"tactic": "AML.TA0004", "technique": "AML.T0093", "description": "Poisoned email", "outcome": "missed", "confidence": 80},
            {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "detected"}
        ]
    })
}

#[tokio::test]
async fn create_read_update_reorder_delete_with_optimistic_versions() {
    let app = TestApp::spawn().await;
    let (status, created) = app.post_json("/api/v1/incidents", &incident_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["version"], 1);
    assert_eq!(created["tags"], json!(["llm", "rag"]));
    assert_eq!(created["occurred_at"], "2025-03-14T09:30:00Z");
    assert_eq!(created["detected_precision"], "day");
    assert_eq!(created["atlas_release"], "5.6.0");
    let steps = created["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["tactic_name"], "Initial Access");
    assert_eq!(steps[1]["technique_name"], "LLM Prompt Injection: Indirect");
    assert_eq!(steps[1]["tactic_name"], "Execution");

    // Add a step at position 1, then read the order back.
    let (status, step) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/steps"),
            &json!({"tactic": "AML.TA0002", "technique": "AML.T0000", "position": 1, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{step}");
    let (_, detail) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    let order: Vec<&str> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["technique"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["AML.T0000", "AML.T0093", "AML.T0051.001"]);
    assert_eq!(detail["version"], 2);

    // Reorder: reverse.
    let ids: Vec<Value> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|s| s["id"].clone())
        .collect();
    let (status, reordered) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/steps/order"),
            &json!({"order": ids, "version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reordered}");
    let positions: Vec<(i64, &str)> = reordered["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["position"].as_i64().unwrap(),
                s["tactic"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        positions,
        [(1, "AML.TA0005"), (2, "AML.TA0004"), (3, "AML.TA0002")]
    );

    // Update with the current version, then a stale one.
    let mut update = incident_body();
    update.as_object_mut().unwrap().remove("steps");
    update["status"] = json!("contained");
    update["version"] = json!(3);
    let (status, updated) = app
        .put_json(&format!("/api/v1/incidents/{id}"), &update)
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["status"].as_str(), updated["version"].as_i64()),
        (Some("contained"), Some(4))
    );
    let before = app.snapshot().await;
    update["status"] = json!("closed");
    let (status, conflict) = app
        .put_json(&format!("/api/v1/incidents/{id}"), &update)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert!(
        conflict["error"].as_str().unwrap().contains("version 3"),
        "{conflict}"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a stale write changes nothing"
    );

    // Edit one step, move it, delete another.
    let step_id = reordered["steps"][2]["id"].as_str().unwrap().to_string();
    let (status, edited) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/steps/{step_id}"),
            &json!({"tactic": "AML.TA0002", "technique": "AML.T0000.001", "outcome": "prevented", "position": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["position"].as_i64(), edited["outcome"].as_str()),
        (Some(1), Some("prevented"))
    );
    let other = reordered["steps"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/incidents/{id}/steps/{other}"))
            .await,
        StatusCode::NO_CONTENT
    );
    let (_, detail) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(detail["steps"].as_array().unwrap().len(), 2);
    assert_eq!(detail["steps"][1]["position"], 2);

    // Delete with a stale version is refused, with the current one it works.
    assert_eq!(
        app.delete(&format!("/api/v1/incidents/{id}?version=1"))
            .await,
        StatusCode::CONFLICT
    );
    let v = detail["version"].as_i64().unwrap();
    // A version that is not digits alone is refused, even one Rust would
    // read as a number, or an empty one (schemathesis sent `version=`), and
    // nothing is deleted.
    for bad in [
        format!("%2B{v}"),
        format!("-{v}"),
        "%201".to_string(),
        "x".to_string(),
        String::new(),
    ] {
        assert_eq!(
            app.delete(&format!("/api/v1/incidents/{id}?version={bad}"))
                .await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        app.delete(&format!("/api/v1/incidents/{id}?version={v}"))
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/incidents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn listing_filters_sorts_and_pages() {
    let app = TestApp::spawn().await;
    for (title, severity, status, occurred, tactic, technique) in [
        (
            "Alpha model theft",
            "critical",
            "open",
            "2024-01-10",
            "AML.TA0010",
            "AML.T0025",
        ),
        (
            "Bravo jailbreak",
            "low",
            "closed",
            "2024-06",
            "AML.TA0012",
            "AML.T0054",
        ),
        (
            "Charlie poisoning",
            "high",
            "open",
            "2025",
            "AML.TA0003",
            "AML.T0020",
        ),
    ] {
        let body = json!({"title": title, "severity": severity, "status": status, "occurred_at": occurred,
            "tags": [severity], "steps": [{"tactic": tactic, "technique": technique}]});
        let (s, b) = app.post_json("/api/v1/incidents", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = app.get_json("/api/v1/incidents").await;
    assert_eq!(
        titles(&all),
        ["Charlie poisoning", "Bravo jailbreak", "Alpha model theft"]
    );
    let (_, open) = app
        .get_json("/api/v1/incidents?status=open&sort=-severity")
        .await;
    assert_eq!(titles(&open), ["Alpha model theft", "Charlie poisoning"]);
    let (_, ranged) = app
        .get_json("/api/v1/incidents?from=2024-02&to=2024-12")
        .await;
    assert_eq!(titles(&ranged), ["Bravo jailbreak"]);
    let (_, by_technique) = app.get_json("/api/v1/incidents?technique=AML.T0020").await;
    assert_eq!(titles(&by_technique), ["Charlie poisoning"]);
    let (_, by_tag) = app
        .get_json("/api/v1/incidents?tag=low,critical&sort=title")
        .await;
    assert_eq!(titles(&by_tag), ["Alpha model theft", "Bravo jailbreak"]);
    let (_, text) = app.get_json("/api/v1/incidents?q=JAILBREAK").await;
    assert_eq!(titles(&text), ["Bravo jailbreak"]);
    let (_, page2) = app
        .get_json("/api/v1/incidents?per_page=2&page=2&sort=title")
        .await;
    assert_eq!(
        (
            titles(&page2),
            page2["total"].as_i64(),
            page2["pages"].as_i64()
        ),
        (vec!["Charlie poisoning".to_string()], Some(3), Some(2))
    );

    for (query, field) in [
        ("status=pending", "status"),
        ("severity=urgent", "severity"),
        ("technique=T1059", "technique"),
        ("from=yesterday", "from"),
        ("per_page=100000", "per_page"),
        ("sort=random", "sort"),
    ] {
        let (s, body) = app.get_json(&format!("/api/v1/incidents?{query}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }

    // Every bad parameter at once is named in the one answer, on the API and the page.
    let all =
        "status=pending&severity=urgent&technique=T1059&from=yesterday&per_page=0&sort=random";
    let (s, body) = app.get_json(&format!("/api/v1/incidents?{all}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["field"], "status, severity, technique, from, sort, per_page",
        "{body}"
    );
    let message = body["error"].as_str().unwrap_or_default();
    for part in [
        "`pending`",
        "`urgent`",
        "T1059",
        "yesterday",
        "`random`",
        "per_page",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let (status, html) = app.get(&format!("/incidents?{all}")).await;
    assert_eq!(status, 400);
    for part in [
        "pending",
        "urgent",
        "T1059",
        "yesterday",
        "random",
        "per_page",
    ] {
        assert!(html.contains(part), "{part} on the page");
    }
}

#[tokio::test]
async fn hostile_input_gets_a_4xx_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, seed) = app.post_json("/api/v1/incidents", &incident_body()).await;
    let id = seed["id"].as_str().unwrap().to_string();
    let before = app.snapshot().await;

    let with = |patch: Value| {
        let mut b = incident_body();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let step = |tactic: &str, technique: &str| {
        with(json!({"steps": [{"tactic": tactic, "technique": technique}]}))
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (step("AML.TA0004", "AML.T9999"), 422, "steps[0].technique"),
        (step("AML.TA0004", "AML.T0051"), 422, "steps[0].technique"),
        (
            step("AML.TA0002", "AML.T0051.001"),
            422,
            "steps[0].technique",
        ),
        (step("AML.TA9", "AML.T0051"), 422, "steps[0].tactic"),
        (step("AML.TA0004", "aml.t0051"), 422, "steps[0].technique"),
        (step("AML.TA0004", "AML.T0051.1"), 422, "steps[0].technique"),
        (with(json!({"title": "x".repeat(201)})), 422, "title"),
        (with(json!({"summary": "y".repeat(20_001)})), 422, "summary"),
        (with(json!({"title": ""})), 422, "title"),
        (
            with(json!({"occurred_at": "2025-02-30"})),
            422,
            "occurred_at",
        ),
        (with(json!({"detected_at": "soon"})), 422, "detected_at"),
        (with(json!({"severity": "urgent"})), 422, "severity"),
        (with(json!({"kind": "drill"})), 422, "kind"),
        // Case does not matter (`Open` is fine, issue 15); an unknown word does.
        (with(json!({"status": "Opened"})), 422, "status"),
        (
            with(
                json!({"steps": [{"tactic": "AML.TA0004", "technique": "AML.T0051", "outcome": "blocked"}]}),
            ),
            422,
            "steps[0].outcome",
        ),
        (
            with(
                json!({"steps": [{"tactic": "AML.TA0004", "technique": "AML.T0051", "confidence": 101}]}),
            ),
            422,
            "steps[0].confidence",
        ),
        (
            with(
                json!({"steps": [{"tactic": "AML.TA0004", "technique": "AML.T0051", "confidence": "high"}]}),
            ),
            422,
            "steps[0].confidence",
        ),
        (with(json!({"title": 42})), 422, "title"),
        (with(json!({"owner": "mallory"})), 422, "owner"),
        (with(json!({"tags": ["a".repeat(101)]})), 422, "tags[0]"),
        (
            with(json!({"atlas_release": "9.9.9"})),
            422,
            "atlas_release",
        ),
    ];
    for (body, status, field) in cases {
        let (s, err) = app.post_json("/api/v1/incidents", &body).await;
        assert_eq!(s.as_u16(), status, "{field}: {err}");
        assert!(
            err["field"].as_str().unwrap_or("").starts_with(field)
                || err["error"].as_str().unwrap_or("").contains(field),
            "{field}: {err}"
        );
        assert!(!err["error"].as_str().unwrap_or("").is_empty());
    }

    // Wrong content type, broken JSON, oversize body.
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    let huge = json!({"title": "big", "summary": "z".repeat(2 * 1024 * 1024)});
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Bad step writes on an existing incident.
    let (s, _) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/steps"),
            &json!({"tactic": "AML.TA0004"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/steps/order"),
            &json!({"order": ["nope"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .put_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "no version"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post_json(
            "/api/v1/incidents/nope/steps",
            &json!({"tactic": "AML.TA0004", "technique": "AML.T0051"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    assert_eq!(
        app.snapshot().await,
        before,
        "rejected writes left the database unchanged"
    );
}

#[tokio::test]
async fn sql_metacharacters_and_html_are_stored_verbatim_and_rendered_escaped() {
    let app = TestApp::spawn().await;
    let hostile = "Robert'); DROP TABLE incidents;-- <script>window.pwned=1</script> \"><svg onload=alert(1)> 100% _x_ \\";
    let body = json!({
        "title": hostile, "summary": hostile, "target": hostile, "actor": hostile, "reporter": hostile,
        "tags": ["<b>tag</b>", "a'b"],
        "references": [{"title": hostile, "url": "javascript:alert(1)"}],
        "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051", "description": hostile, "evidence": hostile}]
    });
    let (s, created) = app.post_json("/api/v1/incidents", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    for field in ["title", "summary", "target", "actor", "reporter"] {
        assert_eq!(created[field], hostile, "{field} stored verbatim");
    }
    assert_eq!(created["steps"][0]["evidence"], hostile);
    assert_eq!(created["references"][0]["url"], "javascript:alert(1)");
    // The LIKE search treats % and _ literally and survives quotes.
    let (_, found) = app.get_json("/api/v1/incidents?q=100%25%20_x_").await;
    assert_eq!(found["total"], 1);
    let (_, none) = app.get_json("/api/v1/incidents?q=%25%25%25zzz").await;
    assert_eq!(none["total"], 0);

    let (status, page) = app.get(&format!("/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("<script>window.pwned"),
        "script rendered raw"
    );
    assert!(!page.contains("<svg onload"), "svg rendered raw");
    assert!(
        !page.contains("href=\"javascript:"),
        "javascript: URL became a link"
    );
    assert!(
        page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"),
        "text shown escaped"
    );
}

#[tokio::test]
async fn atlas_case_studies_become_57_incidents_and_round_trip_as_case_study_yaml() {
    let app = TestApp::spawn().await;
    // The embedded catalog has no case studies: a clear 422, not an error page.
    let (s, err) = app
        .post_json("/api/v1/case-studies/import", &json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err["error"].as_str().unwrap().contains("atlas sync"));

    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (s, first) = app
        .post_json("/api/v1/case-studies/import", &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        (first["created"].as_u64(), first["steps"].as_u64()),
        (Some(57), Some(449))
    );
    assert_eq!(app.store.incident_counts().await.unwrap(), (57, 449));
    let snapshot = app.snapshot().await;
    let (_, second) = app
        .post_json("/api/v1/case-studies/import", &json!({}))
        .await;
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(57))
    );
    assert_eq!(
        app.snapshot().await,
        snapshot,
        "a second run changes nothing"
    );

    let (_, cs0) = app.get_json("/api/v1/incidents/aml-cs0000").await;
    assert_eq!(cs0["kind"], "case-study");
    assert_eq!(cs0["source_ref"], "AML.CS0000");
    assert_eq!(
        (
            cs0["occurred_at"].as_str(),
            cs0["occurred_precision"].as_str()
        ),
        (Some("2020-01-01T00:00:00Z"), Some("year"))
    );
    let steps: Vec<(&str, &str)> = cs0["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["tactic"].as_str().unwrap(),
                s["technique"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("AML.TA0002", "AML.T0000.001"),
            ("AML.TA0003", "AML.T0002.000"),
            ("AML.TA0001", "AML.T0005"),
            ("AML.TA0001", "AML.T0043.003"),
            ("AML.TA0001", "AML.T0042"),
            ("AML.TA0007", "AML.T0015"),
        ]
    );

    // Every case study: export as case-study YAML, import it back, compare.
    let (_, list) = app
        .get_json("/api/v1/incidents?kind=case-study&per_page=100")
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 57);
    let fields = |v: &Value| {
        let steps: Vec<Value> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| json!([s["tactic"], s["technique"], s["description"]]))
            .collect();
        let refs = v["references"].clone();
        json!([
            v["title"],
            v["summary"],
            v["occurred_at"],
            v["occurred_precision"],
            v["target"],
            v["actor"],
            v["reporter"],
            refs,
            steps
        ])
    };
    for item in items {
        let id = item["id"].as_str().unwrap();
        let res = app
            .client
            .get(app.url(&format!("/api/v1/incidents/{id}/case-study.yaml")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/yaml")
        );
        let yaml = res.text().await.unwrap();
        let res = app
            .client
            .post(app.url("/api/v1/incidents/import/case-study"))
            .header("content-type", "application/yaml")
            .body(yaml.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{id}: {}",
            res.text().await.unwrap()
        );
        let copy: Value = res.json().await.unwrap();
        let (_, original) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(
            fields(&copy),
            fields(&original),
            "{id} did not round-trip:\n{yaml}"
        );
        let original_type = if original["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "exercise")
        {
            "exercise"
        } else {
            "incident"
        };
        assert_eq!(copy["kind"], original_type, "{id}: case-study-type kept");
    }

    // Bad case-study files are refused with the field named.
    for (yaml, field) in [
        ("study:\n  summary: no name\n", "study"),
        (
            "study:\n  name: x\n  procedure:\n  - tactic: AML.TA0004\n    technique: AML.T9999\n",
            "procedure[0].technique",
        ),
        (
            "study:\n  name: x\n  incident-date-granularity: WEEK\n",
            "incident-date-granularity",
        ),
        ("[unclosed", "file"),
        ("- just\n- a list\n", "study"),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/incidents/import/case-study"))
            .header("content-type", "application/yaml")
            .body(yaml)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{yaml}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["field"].as_str().unwrap_or("").starts_with(field),
            "{yaml}: {body}"
        );
    }
}

/// The list gives each incident's references, as the incident itself does
/// (it used to give `[]`).
#[tokio::test]
async fn the_list_returns_each_incidents_references() {
    let app = TestApp::spawn().await;
    let (status, created) = app.post_json("/api/v1/incidents", &incident_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut second = incident_body();
    second["title"] = json!("No references here");
    second["references"] = json!([]);
    let (status, _) = app.post_json("/api/v1/incidents", &second).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, list) = app.get_json("/api/v1/incidents?sort=title").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "No references here");
    assert_eq!(items[0]["references"], json!([]));
    assert_eq!(
        items[1]["references"],
        json!([{"title": "Ticket", "url": "https://tickets.example/123"}])
    );
    assert_eq!(items[1]["references"], created["references"]);
}
