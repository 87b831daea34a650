//! Bulk incident import (JSONL, JSON array, CSV) through the API and the
//! service: every problem by line, upsert by source + external ID, dry runs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

impl TestApp {
    async fn import_incidents(
        &self,
        query: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/incidents/import{query}")))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

fn mixed_file() -> String {
    let long_tag = "t".repeat(100);
    [
        json!({"external_id": "c-1", "title": "Unordered list", "severity": "High", "status": "OPEN",
               "tags": ["LLM", long_tag], "techniques": ["AML.T0051", "t0000", "AML.T0015"]})
        .to_string(),
        json!({"external_id": "c-2", "title": "Ordered steps", "occurred_at": "2024-03-17", "occurred_precision": "month",
               "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}, {"tactic": "ta0002", "technique": "T0000"}]})
        .to_string(),
        json!({"title": "", "severity": "urgent", "occurred_at": "last week", "tags": ["t".repeat(101)],
               "colour": "red", "techniques": ["AML.T0051", "T51"]})
        .to_string(),
        "{not json".to_string(),
        json!({"external_id": "c-3", "title": "Newer technique", "techniques": "AML.T0199; AML.T0043"}).to_string(),
        json!({"external_id": "c-1", "title": "Same ID again"}).to_string(),
        json!({"external_id": "c-4", "title": "Wrong tactic", "steps": [{"tactic": "AML.TA0002", "technique": "AML.T0051"}]})
        .to_string(),
        json!({"external_id": 5, "title": "Numeric ID", "source": "other", "references": ["https://example.org/r"],
               "tags": ["zeta", "alpha"]}).to_string(),
    ]
    .join("\n")
}

fn problem_fields(report: &Value, line: u64) -> Vec<String> {
    let bad = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["line"] == line)
        .unwrap_or_else(|| panic!("line {line} not refused: {report}"));
    bad["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_problem_is_listed_by_line_and_good_records_imported() {
    let app = TestApp::spawn().await;
    let (status, report) = app
        .import_incidents("?source=corpus", "application/x-ndjson", mixed_file())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["records"], 8);
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(4), Some(0)),
        "{report}"
    );
    let lines: Vec<u64> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 6, 7]);
    let mut fields = problem_fields(&report, 3);
    fields.sort();
    assert_eq!(
        fields,
        [
            "colour",
            "external_id",
            "occurred_at",
            "severity",
            "tags[0]",
            "techniques[1]",
            "title"
        ],
        "every field, not only the first: {report}"
    );
    assert_eq!(problem_fields(&report, 4), ["record"]);
    assert_eq!(problem_fields(&report, 6), ["external_id"]);
    assert_eq!(problem_fields(&report, 7), ["steps[0].technique"]);
    assert_eq!(report["warnings"][0]["line"], 5);
    assert_eq!(report["tactics_to_confirm"], 1);

    let (_, list) = app
        .get_json("/api/v1/incidents?per_page=50&sort=title")
        .await;
    assert_eq!(list["total"], 4, "nothing of a bad record was written");
    let by_title = |t: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == t)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let unordered = app.incident(&by_title("Unordered list")).await;
    assert_eq!(
        (unordered["severity"].as_str(), unordered["status"].as_str()),
        (Some("high"), Some("open"))
    );
    assert_eq!(
        unordered["tags"].as_array().unwrap().len(),
        2,
        "a 100-character tag is kept"
    );
    let steps: Vec<(&str, &str)> = unordered["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["technique"].as_str().unwrap(),
                s["tactic"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("AML.T0000", "AML.TA0002"),
            ("AML.T0015", ""),
            ("AML.T0051", "AML.TA0005")
        ],
        "matrix order of the tactics; the three-tactic technique is to be confirmed"
    );
    let origin = app
        .store
        .incident_origin(&by_title("Unordered list"))
        .await
        .unwrap();
    assert_eq!(
        origin,
        Some(("corpus".into(), "c-1".into(), true)),
        "order unknown"
    );
    let (_, page) = app
        .get(&format!("/incidents/{}", by_title("Unordered list")))
        .await;
    assert!(
        page.contains("Order unknown") && page.contains("Tactic to confirm"),
        "shown on the page"
    );
    let ordered = app.incident(&by_title("Ordered steps")).await;
    assert_eq!(ordered["occurred_at"], "2024-03-01T00:00:00Z");
    assert_eq!(ordered["occurred_precision"], "month");
    assert_eq!(ordered["steps"][1]["tactic"], "AML.TA0002");
    let newer = app.incident(&by_title("Newer technique")).await;
    assert_eq!(
        newer["steps"].as_array().unwrap().len(),
        1,
        "the unknown ID is left out, the record kept"
    );
}

#[tokio::test]
async fn a_second_run_changes_nothing_and_a_dry_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, dry) = app
        .import_incidents("?dry_run=true", "application/x-ndjson", mixed_file())
        .await;
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["created"].as_u64()),
        (Some(true), Some(4)),
        "{dry}"
    );
    assert_eq!(
        app.store.incident_counts().await.unwrap(),
        (0, 0),
        "a dry run writes nothing"
    );

    let (_, first) = app
        .import_incidents("", "application/x-ndjson", mixed_file())
        .await;
    assert_eq!(first["created"], 4);
    let before = app.store.data_fingerprint().await.unwrap();
    let (_, second) = app
        .import_incidents("", "application/x-ndjson", mixed_file())
        .await;
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(4)),
        "{second}"
    );
    assert_eq!(
        app.store.data_fingerprint().await.unwrap(),
        before,
        "the database is unchanged"
    );

    // A changed record updates its incident in place.
    let changed = json!({"external_id": "c-2", "title": "Ordered steps, renamed", "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]});
    let (_, third) = app
        .import_incidents(
            "",
            "application/json",
            Value::Array(vec![changed]).to_string(),
        )
        .await;
    assert_eq!(
        (third["created"].as_u64(), third["updated"].as_u64()),
        (Some(0), Some(1)),
        "{third}"
    );
    assert_eq!(app.store.incident_counts().await.unwrap().0, 4);
}

#[tokio::test]
async fn csv_with_a_header_and_refusals_of_whole_bodies() {
    let app = TestApp::spawn().await;
    let csv = "external_id,title,severity,status,tags,techniques,occurred_at\n\
               r1,\"Model theft, via API\",Critical,Resolved,llm;api,AML.T0024|T0040,2023\n\
               r2,,LOW,open,,AML.T0051,\n";
    let (status, report) = app
        .import_incidents("?source=sheet", "text/csv", csv.to_string())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["failed"][0]["line"], 3);
    assert_eq!(problem_fields(&report, 3), ["title"]);

    let (status, report) = app
        .import_incidents(
            "",
            "application/json",
            json!([{"title": "no id"}]).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let (status, _) = app
        .import_incidents("", "application/json", "[{".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .import_incidents("?dry_run=maybe", "application/json", "[]".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let viewer = app.client_as(atlasview::domain::auth::Role::Viewer).await;
    let status = viewer
        .post(app.url("/api/v1/incidents/import"))
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}
