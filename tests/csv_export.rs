//! CSV of the incident list and its steps: `?format=csv` or `Accept:
//! text/csv` on `/api/v1/incidents` and `/incidents`, the list's filters,
//! every matching incident (not one page), formula-like cells neutralised,
//! and the list's role rules.

use atlasview::domain::auth::Role;
use atlasview::store::{BatchStart, IncidentQuery, Sort};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::TestApp;

/// The rows of a CSV body as maps from header to cell.
fn records(body: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

async fn create(app: &TestApp, body: Value) -> String {
    let (status, created) = app.post_json("/api/v1/incidents", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

/// Two incidents whose text would run as spreadsheet formulas, and a plain one.
async fn seed(app: &TestApp) -> (String, String, String) {
    let hostile = create(
        app,
        json!({
            "title": "=HYPERLINK(\"https://evil.example\",\"click\")",
            "severity": "high",
            "target": "+1-555-0100",
            "actor": "@attacker",
            "reporter": "-SOC",
            "summary": "@here: looks like text",
            "tags": ["csv-test"],
            "steps": [
                {"tactic": "AML.TA0005", "technique": "AML.T0051", "description": "=cmd|'/c calc'!A1"},
                {"tactic": "AML.TA0004", "technique": "AML.T0093", "description": "-2+3", "evidence": "@SUM(A1:A9)"}
            ]
        }),
    )
    .await;
    let second = create(
        app,
        json!({"title": "@second high one", "severity": "high", "tags": ["csv-test"]}),
    )
    .await;
    let low = create(
        app,
        json!({"title": "A plain low incident", "severity": "low", "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051"}
        ]}),
    )
    .await;
    (hostile, second, low)
}

#[tokio::test]
async fn formula_like_cells_are_neutralised_and_the_filters_apply() {
    let app = TestApp::spawn().await;
    let (hostile, second, low) = seed(&app).await;

    // per_page=1: a CSV holds every matching incident, not one page.
    let res = app
        .client
        .get(app.url("/api/v1/incidents?format=csv&severity=high&per_page=1&sort=title"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = res.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"incidents-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(
        res.headers().get_all("vary").iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept")),
        "the body depends on Accept"
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("\r\n"), "RFC 4180 line ends");
    let rows = records(&body);
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{body}");
    assert!(ids.contains(&hostile.as_str()) && ids.contains(&second.as_str()));
    assert!(!ids.contains(&low.as_str()), "the severity filter applies");
    // Sorted by title as asked: `'=…` and `'@…` as written, `=` before `@`.
    assert_eq!(ids, [hostile.as_str(), second.as_str()]);

    let h = rows.iter().find(|r| r["id"] == hostile).unwrap();
    assert_eq!(
        h["title"],
        "'=HYPERLINK(\"https://evil.example\",\"click\")"
    );
    assert_eq!(h["target"], "'+1-555-0100");
    assert_eq!(h["actor"], "'@attacker");
    assert_eq!(h["reporter"], "'-SOC");
    assert_eq!(h["summary"], "'@here: looks like text");
    assert_eq!(h["severity"], "high");
    assert_eq!(h["step_count"], "2");
    assert_eq!(h["tags"], "csv-test");
    let s = rows.iter().find(|r| r["id"] == second).unwrap();
    assert_eq!(s["title"], "'@second high one");
    for row in &rows {
        for (column, cell) in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{column}: {cell:?} would run as a formula"
            );
        }
    }

    // The steps CSV: one row per step, in story order, with names.
    let (status, body) = app
        .get("/api/v1/incidents?format=csv&rows=steps&tag=csv-test")
        .await;
    assert_eq!(status, 200, "{body}");
    let steps = records(&body);
    assert_eq!(steps.len(), 2, "the second incident has no step: {body}");
    assert_eq!(steps[0]["incident_id"], hostile);
    assert_eq!(steps[0]["position"], "1");
    assert_eq!(steps[0]["tactic_id"], "AML.TA0005");
    assert_eq!(steps[0]["tactic_name"], "Execution");
    assert_eq!(steps[0]["technique_id"], "AML.T0051");
    assert_eq!(steps[0]["technique_name"], "LLM Prompt Injection");
    assert_eq!(steps[0]["description"], "'=cmd|'/c calc'!A1");
    assert_eq!(steps[1]["position"], "2");
    assert_eq!(steps[1]["technique_id"], "AML.T0093");
    assert_eq!(steps[1]["description"], "'-2+3");
    assert_eq!(steps[1]["evidence"], "'@SUM(A1:A9)");
    assert_eq!(
        steps[1]["incident_title"],
        "'=HYPERLINK(\"https://evil.example\",\"click\")"
    );

    // The HTML list's CSV: the same rows for the same filters.
    let (status, page_csv) = app
        .get("/incidents?severity=high&format=csv&sort=title")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        records(&page_csv)
            .iter()
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>(),
        [hostile.clone(), second.clone()]
    );
}

#[tokio::test]
async fn accept_text_csv_chooses_csv_and_a_browser_keeps_html_or_json() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    for path in ["/api/v1/incidents?severity=low", "/incidents?severity=low"] {
        let res = app
            .client
            .get(app.url(path))
            .header(ACCEPT, "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
            "{path}"
        );
        let rows = records(&res.text().await.unwrap());
        assert_eq!(rows.len(), 1, "{path}");
        assert_eq!(rows[0]["title"], "A plain low incident");
    }
    let res = app
        .client
        .get(app.url("/incidents"))
        .header(
            ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let (status, json) = app.get_json("/api/v1/incidents?severity=low").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["total"], 1, "the JSON is unchanged: {json}");
    // format=json wins over the header.
    let res = app
        .client
        .get(app.url("/api/v1/incidents?format=json"))
        .header(ACCEPT, "text/csv")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn an_unknown_format_or_rows_is_a_400_naming_it() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/api/v1/incidents?format=xlsx").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "format", "{body}");
    let (status, body) = app
        .get_json("/api/v1/incidents?format=csv&rows=tactics")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "rows", "{body}");
    // Every problem at once: a bad filter and a bad format.
    let (status, body) = app
        .get_json("/api/v1/incidents?format=pdf&severity=huge")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields = body["field"].as_str().unwrap();
    assert!(
        fields.contains("format") && fields.contains("severity"),
        "{body}"
    );
    let (status, page) = app.get("/incidents?format=xml").await;
    assert_eq!(status, 400);
    assert!(page.contains("format"), "{page}");
}

#[tokio::test]
async fn the_csv_follows_the_lists_role_rules() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let anon = app.anonymous();
    let res = anon
        .get(app.url("/api/v1/incidents?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = anon
        .get(app.url("/incidents?format=csv"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
    assert!(!res.text().await.unwrap().contains("csv-test"));
    // A connector's token may post alerts and read nothing.
    let ingest = app.client_as(Role::Ingest).await;
    let res = ingest
        .get(app.url("/api/v1/incidents?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let viewer = app.client_as(Role::Viewer).await;
    let res = viewer
        .get(app.url("/api/v1/incidents?format=csv&rows=steps"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(records(&res.text().await.unwrap()).len(), 3);
}

#[tokio::test]
async fn the_list_page_links_a_csv_of_its_filters() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let (_, doc) = app
        .page("/incidents?severity=high&tag=csv-test&page=1&per_page=1")
        .await;
    let links: Vec<String> = doc
        .select(&scraper::Selector::parse("a[href*='format=csv']").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    for href in &links {
        assert!(
            href.contains("severity=high") && href.contains("tag=csv-test"),
            "{href}"
        );
        assert!(!href.contains("page="), "the whole set, not a page: {href}");
    }
    assert!(links[1].contains("rows=steps"));
    let (status, body) = app.get(&links[0].replace("&amp;", "&")).await;
    assert_eq!(status, 200);
    assert_eq!(records(&body).len(), 2);
}

/// Batches continue where the last ended, by keyset or by offset, and
/// together hold every matching incident once.
#[tokio::test]
async fn batches_hold_every_incident_once_in_order() {
    let app = TestApp::spawn().await;
    for n in 0..7 {
        let severity = ["low", "high", "critical"][n % 3];
        create(
            &app,
            json!({"title": format!("batch {n}"), "severity": severity}),
        )
        .await;
    }
    for sort in [Sort::OccurredDesc, Sort::TitleAsc, Sort::SeverityDesc] {
        let q = IncidentQuery {
            sort,
            per_page: 25,
            page: 1,
            ..IncidentQuery::default()
        };
        let whole: Vec<String> = app
            .store
            .list_incidents(&q)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.incident.id)
            .collect();
        assert_eq!(whole.len(), 7);
        let mut batched = Vec::new();
        let mut from = Some(BatchStart::default());
        while let Some(start) = from {
            let (items, next) = app.store.incident_batch(&q, &start, 3).await.unwrap();
            assert!(items.len() <= 3);
            batched.extend(items.into_iter().map(|s| s.incident.id));
            from = next;
        }
        assert_eq!(batched, whole, "{sort:?}");
    }
}

/// More incidents than one batch: the streamed CSV holds each once, by
/// keyset (`-occurred`) and by offset (`-severity`), and the steps CSV all
/// their steps.
#[tokio::test]
async fn a_csv_of_more_incidents_than_a_batch_holds_them_all() {
    let app = TestApp::spawn().await;
    let n = 2 * atlasview::web::csv_download::BATCH as usize + 3;
    let body: String = (0..n)
        .map(|i| {
            let severity = ["low", "medium", "high"][i % 3];
            format!(
                "{}\n",
                json!({"external_id": format!("big-{i}"), "title": format!("Bulk {i}"),
                       "severity": severity, "occurred_at": format!("2024-{:02}-01", 1 + i % 12),
                       "techniques": ["AML.T0051"]})
            )
        })
        .collect();
    let res = app
        .client
        .post(app.url("/api/v1/incidents/import?source=bulk"))
        .header(CONTENT_TYPE, "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    for sort in ["-occurred", "-severity"] {
        let (status, body) = app
            .get(&format!("/api/v1/incidents?format=csv&sort={sort}"))
            .await;
        assert_eq!(status, 200);
        let rows = records(&body);
        let mut ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
        assert_eq!(ids.len(), n, "{sort}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "{sort}: an incident repeated");
    }
    let (_, body) = app.get("/api/v1/incidents?format=csv&rows=steps").await;
    assert_eq!(records(&body).len(), n);
}
