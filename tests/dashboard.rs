//! The reporting pages: the dashboard, the executive briefing, the incident
//! retrospective (its saves, conflicts and audit), the PDF downloads, and
//! the role checks of every one of their routes.

use atlasview::domain::auth::Role;
use atlasview::export::pdf;
use atlasview::store::AuditQuery;
use atlasview::web::middleware::security_headers::CONTENT_SECURITY_POLICY;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, shared_atlas};

/// A date `days` ago, as the API takes it.
fn days_ago(days: i64) -> String {
    (Utc::now() - Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn create(app: &TestApp, body: Value) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .expect("create");
    let status = res.status();
    let value: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{value}");
    value
}

/// Three incidents of the last weeks, one of the period before, one undated.
async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for body in [
        json!({
            "title": "Support chatbot leaked customer records",
            "severity": "critical", "status": "open", "occurred_at": days_ago(5),
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.000", "outcome": "detected"},
                {"tactic": "AML.TA0010", "technique": "AML.T0057", "outcome": "missed"},
            ],
        }),
        json!({
            "title": "Prompt injection through a shared document",
            "severity": "high", "status": "contained", "occurred_at": days_ago(20),
            "steps": [
                {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "prevented"},
            ],
        }),
        json!({
            "title": "Red-team exercise on the fraud model",
            "kind": "exercise", "severity": "low", "status": "closed", "occurred_at": days_ago(40),
            "steps": [
                {"tactic": "AML.TA0001", "technique": "AML.T0043", "outcome": "detected"},
                {"tactic": "AML.TA0007", "technique": "AML.T0015", "outcome": "prevented"},
            ],
        }),
        json!({
            "title": "Last quarter's model theft attempt",
            "severity": "medium", "status": "resolved", "occurred_at": days_ago(120),
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
            ],
        }),
        json!({"title": "Undated report from a partner", "severity": "low"}),
    ] {
        ids.push(create(app, body).await["id"].as_str().unwrap().to_string());
    }
    ids
}

pub(crate) fn text_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn select_text(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn hrefs(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("a[href]").unwrap())
        .map(|e| e.value().attr("href").unwrap().to_string())
        .collect()
}

fn no_inline_code(path: &str, html: &str) {
    let doc = scraper::Html::parse_document(html);
    let count = |css: &str| doc.select(&scraper::Selector::parse(css).unwrap()).count();
    assert_eq!(count("script:not([src])"), 0, "{path}: inline script");
    assert_eq!(count("[style], style"), 0, "{path}: inline style");
    assert_eq!(
        count("body link, body meta"),
        0,
        "{path}: link or meta in the body"
    );
}

#[tokio::test]
async fn the_dashboard_counts_the_period_and_leaves_case_studies_out() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    seed(&app).await;
    let res = app
        .client
        .post(app.url("/api/v1/case-studies/import"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (status, html) = app.get("/").await;
    assert_eq!(status, 200);
    no_inline_code("/", &html);
    // The last 90 days: three incidents, no case study.
    let kpis = select_text(&html, ".kpi-value");
    assert_eq!(kpis[0], "3", "{kpis:?}");
    assert_eq!(kpis[1], "2", "open or contained: {kpis:?}");
    // Open by severity: critical 1, high 1, medium 0, low 0.
    assert_eq!(select_text(&html, ".sev-value"), ["1", "1", "0", "0"]);
    let text = text_of(&html);
    assert!(text.contains("up 2 from 1 the 90 days before"), "{text}");
    // 4 of 6 steps with an outcome were stopped or caught.
    assert_eq!(kpis[3], "67%");
    // Prompt injection leads (two incidents, sub-techniques rolled up), in plain words too.
    let techniques = select_text(&html, "#h-techniques + .ranked .ranked-head");
    assert!(
        techniques[0].starts_with("LLM Prompt Injection AML.T0051 2"),
        "{techniques:?}"
    );
    assert!(text.contains("Hijacking an AI assistant with hidden instructions"));
    // Furthest stages: Exfiltration (chatbot), Execution, Defense Evasion.
    let stages = select_text(&html, "#h-stages + .ranked .ranked-head a");
    assert_eq!(stages.len(), 3, "{stages:?}");
    assert!(stages.contains(&"Exfiltration".to_string()));
    // The latest incidents, newest first.
    let latest = select_text(&html, ".latest-table tbody td:nth-child(2)");
    assert_eq!(latest[0], "Support chatbot leaked customer records");
    assert_eq!(latest.len(), 3);
    // The chart and the matrix thumbnail are drawn, with words.
    assert!(html.contains("class=\"bar-chart\""));
    let desc = select_text(&html, "#chart-desc").join(" ");
    assert!(desc.contains("1 incident (1 critical)"), "{desc}");
    let hot = select_text(&html, ".mini-matrix .mm-count");
    assert!(hot.contains(&"2".to_string()), "{hot:?}");
    // Numbers link to the incident list with the same filters, choosing
    // incidents by the middle of their dates as the dashboard counts them.
    let list = format!(
        "/incidents?from={}&to={}&dates=middle&kind=incident&kind=exercise",
        days_ago(89),
        days_ago(0)
    );
    assert!(hrefs(&html).contains(&list), "{list}");

    // All time with the case studies: 5 of ours and 57 of ATLAS.
    let (status, html) = app.get("/?period=all&case_studies=1").await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&html, ".kpi-value")[0], "62");
    assert!(text_of(&html).contains("no earlier period to compare"));
    let (_, html) = app.get("/?period=all").await;
    assert_eq!(select_text(&html, ".kpi-value")[0], "5");
    assert!(text_of(&html).contains("1 incident without an occurrence date is counted above"));

    // A custom period.
    let (status, html) = app
        .get(&format!("/?from={}&to={}", days_ago(30), days_ago(10)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&html, ".kpi-value")[0], "1");
}

#[tokio::test]
async fn the_dashboard_refreshes_on_request_and_refuses_bad_parameters() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(!html.contains("http-equiv=\"refresh\""));
    assert!(text_of(&html).contains("No incident in this period."));
    let (status, html) = app.get("/?refresh=60").await;
    assert_eq!(status, 200);
    let doc = scraper::Html::parse_document(&html);
    let meta = doc
        .select(&scraper::Selector::parse("head meta[http-equiv='refresh']").unwrap())
        .next()
        .expect("a refresh meta in the head");
    assert_eq!(meta.value().attr("content"), Some("60"));
    // The period links keep the refresh.
    assert!(hrefs(&html).contains(&"/?period=30d&refresh=60".to_string()));
    for (query, field) in [
        ("refresh=5", "refresh"),
        ("refresh=soon", "refresh"),
        ("period=7y", "period"),
        ("from=yesterday", "from"),
        ("from=2025-05-01&to=2025-04-01", "to"),
        ("case_studies=maybe", "case_studies"),
    ] {
        let (status, html) = app.get(&format!("/?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains(field), "{query}: {html}");
    }
    let (status, _) = app.get("/briefing?paper=a3").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_briefing_speaks_plainly_about_the_period() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    // Nothing yet: a clear empty page, not an error.
    let (status, html) = app.get("/briefing").await;
    assert_eq!(status, 200);
    let text = text_of(&html);
    assert!(
        text.contains("No incident was recorded in this period."),
        "{text}"
    );
    assert!(text.contains("No incident of this period has its attack steps recorded yet."));

    seed(&app).await;
    let (status, html) = app
        .get(&format!(
            "/briefing?from={}&to={}",
            days_ago(29),
            days_ago(0)
        ))
        .await;
    assert_eq!(status, 200);
    no_inline_code("/briefing", &html);
    let text = text_of(&html);
    // Headline numbers with their trend in words.
    let values = select_text(&html, ".b-kpi-value");
    assert_eq!(values, ["2", "2", "0", "50%"], "{text}");
    assert!(text.contains("up 1 from 1 the 30 days before"), "{text}");
    // The most serious incident in one sentence, with the stage it reached.
    let serious = select_text(&html, ".b-serious-list li");
    assert_eq!(serious.len(), 2);
    assert!(serious[0].starts_with("Critical Support chatbot leaked customer records"));
    assert!(
        serious[0].contains(
            "The attacker got as far as taking data out. Of the 3 attack steps recorded, our defences spotted 1 and missed 2. Still open."
        ),
        "{serious:?}"
    );
    // Techniques in business words, with the mitigations that address them.
    let rows = select_text(&html, ".b-table tbody tr");
    assert!(rows[0].starts_with("Hijacking an AI assistant with hidden instructions ATLAS: LLM Prompt Injection AML.T0051 2"), "{rows:?}");
    assert!(rows[0].contains("Generative AI Guardrails"), "{rows:?}");
    // The story of the most serious incident, stage by stage.
    let stages = select_text(&html, ".b-path .b-stage-name");
    assert_eq!(stages, ["AI Model Access", "Execution", "Exfiltration"]);
    assert!(html.contains("b-stage b-stage-furthest"));
    // The four-quarter trend instead of a heat matrix with unreadable labels.
    assert!(html.contains("class=\"b-quarter-chart\""));
    assert!(!html.contains("class=\"mini-matrix\""));
    // Downloads: PDF links when this machine has a Chromium, a hint otherwise.
    if pdf::chromium().is_some() {
        assert!(html.contains("/briefing.pdf?from="));
    } else {
        assert!(text.contains("PDF download is not available on this server"));
    }
}

#[tokio::test]
async fn pdfs_come_from_chromium_or_the_print_view_with_a_hint() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let ids = seed(&app).await;
    let res = app
        .client
        .get(app.url("/briefing.pdf?period=30d&paper=letter"))
        .send()
        .await
        .unwrap();
    match pdf::chromium() {
        Some(_) => {
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], "application/pdf");
            let disposition = res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                disposition.starts_with("attachment; filename=\"atlasview-briefing-"),
                "{disposition}"
            );
            assert!(disposition.ends_with("-letter.pdf\""), "{disposition}");
            let bytes = res.bytes().await.unwrap();
            assert!(bytes.starts_with(b"%PDF-"));
            let res = app
                .client
                .get(app.url(&format!("/incidents/{}/retrospective.pdf", ids[0])))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
        }
        None => {
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let to = res.headers()["location"].to_str().unwrap();
            assert_eq!(to, "/briefing?period=30d&paper=letter&pdf=unavailable");
            let (status, html) = app.get(to).await;
            assert_eq!(status, 200);
            assert!(text_of(&html).contains("PDF download is not available on this server"));
        }
    }
    let (status, _) = app.get("/incidents/inc-nope/retrospective.pdf").await;
    assert_eq!(status, 404);
}

/// POSTs a form with the admin token.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_retrospective_lists_mitigations_and_saves_notes_and_ticks() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let ids = seed(&app).await;
    let id = &ids[0];
    let page = format!("/incidents/{id}/retrospective");
    let (status, html) = app.get(&page).await;
    assert_eq!(status, 200);
    no_inline_code(&page, &html);
    let text = text_of(&html);
    assert!(text.contains("Support chatbot leaked customer records"));
    // The timeline with outcomes, the story picture and the matrix.
    let steps = select_text(&html, ".r-table tbody tr.r-step");
    assert_eq!(steps.len(), 3);
    assert!(
        steps[2].contains("LLM Data Leakage") && steps[2].ends_with("Missed"),
        "{steps:?}"
    );
    assert!(html.contains("class=\"story-svg"));
    assert!(html.contains("data-technique=\"AML.T0057\""));
    let outcomes = select_text(&html, ".r-outcomes li");
    assert!(
        outcomes.contains(&"Missed 2 steps 1 and 3".to_string()),
        "{outcomes:?}"
    );
    // Every mitigation of every observed technique (parents' for sub-techniques), once.
    let atlas = app.state.atlas.get();
    let mut expected: Vec<String> = Vec::new();
    for t in ["AML.T0040", "AML.T0051.000", "AML.T0051", "AML.T0057"] {
        for m in atlas.mitigations_for(t) {
            if !expected.contains(&m.id) {
                expected.push(m.id.clone());
            }
        }
    }
    let doc = scraper::Html::parse_document(&html);
    let listed: Vec<String> = doc
        .select(&scraper::Selector::parse("input[name='mitigation']").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(listed, expected);
    assert!(listed.contains(&"AML.M0019".to_string()));
    assert!(text.contains(&format!(
        "0 in place, 0 not in place, {} not reviewed yet",
        listed.len()
    )));

    // Notes: saved, rendered as Markdown, audited.
    let res = post_form(
        &app,
        &app.client,
        &format!("{page}/notes"),
        &[
            ("version", "0"),
            ("went_well", "The **guardrail** caught step 2."),
            ("to_improve", "Rate limits on the API."),
            ("actions", "- Add output filtering\n- Review API keys"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("{page}?saved=notes#notes")
    );
    let (_, html) = app.get(&format!("{page}?saved=notes")).await;
    assert!(html.contains("The <strong>guardrail</strong> caught step 2."));
    assert!(html.contains("<li>Review API keys</li>"));
    assert!(text_of(&html).contains("The review notes were saved."));
    assert!(text_of(&html).contains("(version 1)"));

    // A save from a stale page is refused and keeps the user's text.
    let res = post_form(
        &app,
        &app.client,
        &format!("{page}/notes"),
        &[
            ("version", "0"),
            ("went_well", "My stale edit"),
            ("to_improve", ""),
            ("actions", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    let text = text_of(&html);
    assert!(
        text.contains("Someone else saved this review since you opened it"),
        "{text}"
    );
    assert!(html.contains(">My stale edit</textarea>"));
    assert!(
        html.contains("The <strong>guardrail</strong> caught step 2."),
        "the saved notes stay"
    );
    // Too long: 422, nothing saved.
    let long = "x".repeat(20_001);
    let res = post_form(
        &app,
        &app.client,
        &format!("{page}/notes"),
        &[
            ("version", "1"),
            ("went_well", &long),
            ("to_improve", ""),
            ("actions", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text_of(&res.text().await.unwrap()).contains("What went well is 20001 characters long")
    );

    // The checklist: ticks and notes saved per mitigation.
    let mut form: Vec<(&str, &str)> = vec![("version", "1")];
    for m in &listed {
        form.push(("mitigation", m));
    }
    form.push(("in_place", "AML.M0019"));
    form.push(("note-AML.M0019", "API keys per client since March"));
    let res = post_form(&app, &app.client, &format!("{page}/checklist"), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&page).await;
    let text = text_of(&html);
    // The rows not ticked stay "not reviewed" (never "not in place").
    assert!(
        text.contains(&format!(
            "1 in place, 0 not in place, {} not reviewed yet",
            listed.len() - 1
        )),
        "{text}"
    );
    let doc = scraper::Html::parse_document(&html);
    let ticked: Vec<&str> = doc
        .select(&scraper::Selector::parse("input[value='in_place'][checked]").unwrap())
        .map(|e| e.value().attr("name").unwrap())
        .collect();
    assert_eq!(ticked, ["state-AML.M0019"]);
    assert!(html.contains("value=\"API keys per client since March\""));
    let stored = app.store.retrospective(id).await.unwrap();
    assert_eq!(stored.version, 2);
    let check = stored.check("AML.M0019").unwrap();
    assert_eq!(check.state, atlasview::domain::CheckState::InPlace);
    assert!(
        check.updated_by.starts_with("admin"),
        "{}",
        check.updated_by
    );
    // A stale checklist save is refused too.
    let res = post_form(&app, &app.client, &format!("{page}/checklist"), &form).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text_of(&res.text().await.unwrap()).contains("Someone else saved this review"));
    // A tick for a mitigation not on the form, or a bad ID, is a 400.
    let res = post_form(
        &app,
        &app.client,
        &format!("{page}/checklist"),
        &[
            ("version", "2"),
            ("mitigation", "AML.M0019"),
            ("in_place", "AML.M0000"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post_form(
        &app,
        &app.client,
        &format!("{page}/checklist"),
        &[("version", "2"), ("mitigation", "<script>")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Both saves are in the audit log under the incident.
    let (entries, _) = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("incident.retrospective".into()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|e| e.target == *id));

    // Deleting the incident takes its retrospective with it.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/incidents/{id}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(app.store.retrospective(id).await.unwrap().version, 0);
    let (status, _) = app.get(&page).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_incident_without_steps_has_a_plain_retrospective() {
    let app = TestApp::spawn().await;
    let created = create(&app, json!({"title": "Reported, not yet analysed"})).await;
    let id = created["id"].as_str().unwrap();
    let (status, html) = app.get(&format!("/incidents/{id}/retrospective")).await;
    assert_eq!(status, 200);
    let text = text_of(&html);
    assert!(text.contains("No steps recorded yet"), "{text}");
    assert!(text.contains("Mitigations appear here once steps are recorded."));
}

#[tokio::test]
async fn every_reporting_route_checks_its_role() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let ids = seed(&app).await;
    let id = &ids[0];
    let viewer = app.client_as(Role::Viewer).await;
    let analyst = app.client_as(Role::Analyst).await;
    let anon = app.anonymous();
    let reads = [
        "/".to_string(),
        "/?period=all&refresh=60".to_string(),
        "/briefing".to_string(),
        "/briefing?paper=letter".to_string(),
        "/briefing.pdf?paper=a4".to_string(),
        format!("/incidents/{id}/retrospective"),
        format!("/incidents/{id}/retrospective.pdf"),
    ];
    for path in &reads {
        // Anonymous: to the sign-in page, coming back here.
        let res = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next="),
            "{path}"
        );
        // Every role reads (a PDF route answers a PDF or the print view).
        for client in [&viewer, &analyst, &app.client] {
            let res = client.get(app.url(path)).send().await.unwrap();
            let ok = res.status() == StatusCode::OK
                || (path.contains(".pdf") && res.status() == StatusCode::SEE_OTHER);
            assert!(ok, "{path}: {}", res.status());
            if res.status() == StatusCode::OK && !path.contains(".pdf") {
                assert_eq!(
                    res.headers()["content-security-policy"],
                    CONTENT_SECURITY_POLICY
                );
                assert_eq!(res.headers()["cache-control"], "no-store");
            }
        }
    }
    // Writing the retrospective: analyst and admin, not the viewer nor anonymous.
    let notes = format!("/incidents/{id}/retrospective/notes");
    let checklist = format!("/incidents/{id}/retrospective/checklist");
    let body = [
        ("version", "0"),
        ("went_well", "ok"),
        ("to_improve", ""),
        ("actions", ""),
    ];
    let res = post_form(&app, &viewer, &notes, &body).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("needs the analyst role"));
    let res = post_form(&app, &viewer, &checklist, &[("version", "0")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_form(&app, &anon, &notes, &body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert_eq!(
        app.store.retrospective(id).await.unwrap().version,
        0,
        "nothing saved"
    );
    let res = post_form(&app, &analyst, &notes, &body).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post_form(
        &app,
        &analyst,
        &checklist,
        &[
            ("version", "1"),
            ("mitigation", "AML.M0019"),
            ("state-AML.M0019", "not_in_place"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.retrospective(id).await.unwrap().version, 2);
    // The viewer sees the document without the forms.
    let res = viewer
        .get(app.url(&format!("/incidents/{id}/retrospective")))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<form method=\"post\" action=\"/incidents/"),
        "no forms for a viewer"
    );
    assert!(text_of(&html).contains("Not in place"));
    // A GET on a form action goes back to the page.
    let res = viewer.get(app.url(&notes)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/incidents/{id}/retrospective")
    );
}

/// The "seen most" lists say how many they rank, and `?top=` chooses it.
#[tokio::test]
async fn the_dashboard_says_how_many_techniques_it_ranks_and_takes_top() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let (s, html) = app.get("/?period=all").await;
    assert_eq!(s, 200);
    let heads = select_text(&html, "#h-techniques");
    assert_eq!(heads, ["Top 8 techniques seen most, 5 of 5 shown"]);
    let (s, html) = app.get("/?period=all&top=3").await;
    assert_eq!(s, 200);
    assert_eq!(
        select_text(&html, "#h-techniques"),
        ["Top 3 techniques seen most, 3 of 5 shown"]
    );
    let doc = scraper::Html::parse_document(&html);
    let rows =
        scraper::Selector::parse("section[aria-labelledby='h-techniques'] ol.ranked > li").unwrap();
    assert_eq!(doc.select(&rows).count(), 3);
    // The choice is offered, and kept by the other links of the page.
    assert!(hrefs(&html).iter().any(|h| h.contains("top=15")), "choices");
    assert!(
        hrefs(&html)
            .iter()
            .any(|h| h.starts_with("/?period=90d") && h.contains("top=3")),
        "the period links keep top=3"
    );
    for bad in ["0", "51", "many"] {
        let (s, body) = app.get(&format!("/?top={bad}")).await;
        assert_eq!(s, 400, "top={bad}");
        assert!(body.contains("top"), "{body}");
    }
}

/// The small matrix uses the matrix's heat scale (logarithmic by default),
/// and `?scale=linear` switches it, its legend and its link to the matrix.
#[tokio::test]
async fn the_small_matrix_takes_the_heat_scale() {
    let app = TestApp::spawn().await;
    // One technique in 10 incidents, another in 1.
    for n in 0..10 {
        let mut steps = vec![json!({"tactic": "AML.TA0000", "technique": "AML.T0040"})];
        if n == 0 {
            steps.push(json!({"tactic": "AML.TA0007", "technique": "AML.T0015"}));
        }
        create(
            &app,
            json!({"title": format!("i{n}"), "severity": "low", "occurred_at": days_ago(3), "steps": steps}),
        )
        .await;
    }
    let legend = |html: &str| select_text(html, ".mini-legend-item");
    let (s, log) = app.get("/").await;
    assert_eq!(s, 200);
    // Log buckets of 1 + score (11^(k/5) - 1: 0, 1, 3, 5, 10); linear: 1–2 … 9–10.
    assert_eq!(legend(&log), ["1", "2–3", "4–5", "6–10"]);
    let (s, linear) = app.get("/?scale=linear").await;
    assert_eq!(s, 200);
    assert_eq!(legend(&linear), ["1–2", "3–4", "5–6", "7–8", "9–10"]);
    assert!(
        hrefs(&linear)
            .iter()
            .any(|h| h.starts_with("/matrix?") && h.contains("scale=linear")),
        "the matrix link keeps the scale"
    );
    let (s, _) = app.get("/?scale=loud").await;
    assert_eq!(s, 400);
}
