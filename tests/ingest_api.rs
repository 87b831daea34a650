//! Alert ingestion, the technique lookup API and bulk incident import, against a real server.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

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
    assert!(tactics.iter().all(|t| t["technique_count"].as_u64().unwrap() > 0));
    let _: &Value = &body;
}
