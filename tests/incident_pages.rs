//! The incident HTML pages against a real server, as a browser without
//! JavaScript uses them: GET pages, urlencoded POST forms, 303 redirects,
//! 422 re-rendered forms, 409 on stale versions, escaping everywhere.

use atlasview::service::case_studies::parse_case_study;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use scraper::{ElementRef, Html, Selector};

use crate::support::{TestApp, shared_atlas};

// ---------------------------------------------------------------- helpers

pub(crate) fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("bad selector {s}: {e:?}"))
}

pub(crate) fn text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s)).map(text).collect()
}

pub(crate) fn attr(doc: &Html, s: &str, name: &str) -> Option<String> {
    doc.select(&sel(s))
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_string)
}

/// Creates an incident through the form; returns its ID.
pub(crate) async fn create(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let res = app.post_form("/incidents", pairs).await;
    assert_eq!(res.status, 303, "create: {}", res.body);
    let location = res.location.expect("Location");
    let id = location
        .strip_prefix("/incidents/")
        .expect("redirect to the incident")
        .to_string();
    assert!(id.starts_with("inc-"), "{location}");
    id
}

/// The hidden version of the form at `path`.
pub(crate) async fn version_on(app: &TestApp, path: &str) -> String {
    let (_, doc) = app.page(path).await;
    attr(&doc, "input[name=version]", "value")
        .unwrap_or_else(|| panic!("{path} has no version field"))
}

/// Adds a step through the form; returns the redirect target.
pub(crate) async fn add_step(app: &TestApp, id: &str, pairs: &[(&str, &str)]) -> String {
    let res = app
        .post_form(&format!("/incidents/{id}/steps"), pairs)
        .await;
    assert_eq!(res.status, 303, "add step: {}", res.body);
    res.location.expect("Location")
}

/// Technique IDs of the steps on the incident's page, in order.
pub(crate) async fn step_techniques(app: &TestApp, id: &str) -> Vec<String> {
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    texts(&doc, "ol.inc-timeline > li .inc-step-head .id")
}

/// The `.inc-field` element around the control named `name`.
fn field_of<'a>(doc: &'a Html, name: &str) -> ElementRef<'a> {
    let control = doc
        .select(&sel(&format!("[name={name}]")))
        .find(|e| e.value().name() != "button")
        .unwrap_or_else(|| panic!("no control named {name}"));
    control
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().classes().any(|c| c == "inc-field"))
        .unwrap_or_else(|| panic!("{name} is not inside an .inc-field"))
}

/// No inline script or style: a strict CSP is coming.
fn assert_csp_clean(body: &str, path: &str) {
    let doc = Html::parse_document(body);
    assert_eq!(
        doc.select(&sel("[style]")).count(),
        0,
        "{path}: inline style attribute"
    );
    for s in doc.select(&sel("script")) {
        assert!(s.value().attr("src").is_some(), "{path}: inline <script>");
        assert!(text(s).is_empty(), "{path}: script with content");
    }
    for el in doc.select(&sel("*")) {
        for (name, _) in el.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "{path}: event handler attribute {name}"
            );
        }
    }
}

/// The `<dt>` → `<dd>` pairs of the facts list.
fn facts(doc: &Html) -> std::collections::HashMap<String, String> {
    doc.select(&sel(".facts > div"))
        .filter_map(|d| {
            let dt = d.select(&sel("dt")).next().map(text)?;
            let dd = d.select(&sel("dd")).next().map(text)?;
            Some((dt, dd))
        })
        .collect()
}

fn escaped(body: &str, raw: &str) -> bool {
    let entity = raw.replace('<', "&lt;").replace('>', "&gt;");
    let numeric = raw.replace('<', "&#60;").replace('>', "&#62;");
    body.contains(&entity) || body.contains(&numeric)
}

const FULL_FORM: &[(&str, &str)] = &[
    ("title", "Prompt injection through the support inbox"),
    (
        "summary",
        "An attacker planted instructions that the **RAG assistant** followed.",
    ),
    ("kind", "incident"),
    ("severity", "high"),
    ("status", "contained"),
    ("occurred_at", "2025-03"),
    ("detected_at", "2025-03-14T09:30"),
    ("resolved_at", ""),
    ("target", "customer-support RAG assistant"),
    ("actor", "unknown"),
    ("reporter", "SOC tier 1"),
    ("tags", "LLM, rag ,llm"),
    (
        "references",
        "Ticket | https://tickets.example/123\nInternal wiki | javascript:alert(1)\n\nJust a note",
    ),
    ("atlas_release", ""),
];

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn create_through_the_form_redirects_to_the_incident_page() {
    let app = TestApp::spawn().await;
    let (body, doc) = app.page("/incidents/new").await;
    assert_csp_clean(&body, "/incidents/new");
    assert_eq!(
        doc.select(&sel(
            "form[method=post][action='/incidents'] input[name=title]"
        ))
        .count(),
        1
    );
    assert_eq!(
        doc.select(&sel("nav.site-nav a[href='/incidents']"))
            .count(),
        1,
        "nav link"
    );

    let id = create(&app, FULL_FORM).await;
    let path = format!("/incidents/{id}");
    let (body, doc) = app.page(&path).await;
    assert_csp_clean(&body, &path);
    assert_eq!(
        texts(&doc, "h1"),
        ["Prompt injection through the support inbox"]
    );
    assert_eq!(texts(&doc, ".inc-badges .inc-sev-high"), ["Severity: High"]);
    assert_eq!(
        texts(&doc, ".inc-badges .inc-status-contained"),
        ["Status: Contained"]
    );
    // Markdown summary, rendered.
    assert_eq!(texts(&doc, ".prose strong"), ["RAG assistant"]);
    // Times at their precision.
    let facts = facts(&doc);
    assert_eq!(facts["Occurred"], "2025-03 (to the month)");
    assert_eq!(facts["Detected"], "2025-03-14 09:30 UTC");
    assert_eq!(facts["Resolved"], "not yet");
    assert_eq!(facts["Target"], "customer-support RAG assistant");
    assert_eq!(facts["Reported by"], "SOC tier 1");
    assert_eq!(facts["Kind"], "Incident");
    // Tags: lower-cased, de-duplicated, linking to the filtered list.
    assert_eq!(texts(&doc, ".facts .inc-tag"), ["llm", "rag"]);
    assert_eq!(
        attr(&doc, ".facts a.inc-tag", "href").as_deref(),
        Some("/incidents?tag=llm")
    );
    // References: only http(s) are links.
    assert_eq!(
        attr(&doc, ".inc-references a", "href").as_deref(),
        Some("https://tickets.example/123")
    );
    assert_eq!(doc.select(&sel(".inc-references a")).count(), 1);
    assert!(
        !body.contains("href=\"javascript:"),
        "javascript: URL became a link"
    );
    assert!(
        texts(&doc, ".inc-references li")
            .iter()
            .any(|t| t == "Internal wiki javascript:alert(1)")
    );
    assert!(
        texts(&doc, ".inc-references li")
            .iter()
            .any(|t| t == "Just a note")
    );
    // Actions.
    for href in [
        format!("/incidents/{id}/edit"),
        format!("/incidents/{id}/delete"),
        format!("/incidents/{id}/case-study.yaml"),
        format!("/incidents/{id}/steps/new"),
    ] {
        assert!(
            doc.select(&sel(&format!("a[href='{href}']"))).count() >= 1,
            "link {href}"
        );
    }

    // Pages under the incident lead back to it.
    let title = "Prompt injection through the support inbox";
    let (_, doc) = app.page(&format!("/incidents/{id}/delete")).await;
    assert_eq!(
        texts(&doc, "nav.breadcrumbs li"),
        ["Incidents", title, "Delete"]
    );
    let (status, step) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/steps"),
            &serde_json::json!({"tactic": "AML.TA0005", "technique": "AML.T0051"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{step}");
    let step = step["id"].as_str().expect("step id");
    let (_, doc) = app
        .page(&format!("/incidents/{id}/steps/{step}/delete"))
        .await;
    assert_eq!(
        texts(&doc, "nav.breadcrumbs li"),
        ["Incidents", title, "Delete step 1"]
    );

    // The list shows it.
    let (_, doc) = app.page("/incidents").await;
    assert_eq!(
        texts(&doc, "table.inc-table tbody .inc-row-title"),
        ["Prompt injection through the support inbox"]
    );
    assert_eq!(
        attr(&doc, "table.inc-table tbody .inc-row-title", "href"),
        Some(path)
    );
}

#[tokio::test]
async fn a_rejected_form_comes_back_with_the_message_beside_the_field_and_the_input_kept() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            "/incidents",
            &[
                ("title", "  "),
                ("summary", "Keep *this* text"),
                ("severity", "high"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let doc = res.doc();
    let field = field_of(&doc, "title");
    assert_eq!(
        texts(&doc, ".inc-has-error .inc-field-error"),
        ["Error: Title is required"]
    );
    assert!(
        text(field).contains("Title is required"),
        "message not beside the title"
    );
    assert_eq!(
        attr(&doc, "#f-title", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        attr(&doc, "#f-title", "aria-describedby").as_deref(),
        Some("e-title")
    );
    // Summary at the top links to the field.
    assert_eq!(
        attr(&doc, ".inc-alert-error a", "href").as_deref(),
        Some("#f-title")
    );
    // Input kept.
    assert_eq!(texts(&doc, "textarea[name=summary]"), ["Keep *this* text"]);
    assert_eq!(
        attr(&doc, "select[name=severity] option[selected]", "value").as_deref(),
        Some("high")
    );
    assert_csp_clean(&res.body, "422 form");

    // Another field: the date.
    let res = app
        .post_form(
            "/incidents",
            &[
                ("title", "Model theft"),
                ("occurred_at", "last tuesday"),
                ("tags", "a, b"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let doc = res.doc();
    let field = text(field_of(&doc, "occurred_at"));
    assert!(
        field.contains("Occurred: `last tuesday` is not a date"),
        "{field}"
    );
    assert!(
        !text(field_of(&doc, "title")).contains("Error"),
        "error on the wrong field"
    );
    assert_eq!(
        attr(&doc, "#f-title", "value").as_deref(),
        Some("Model theft")
    );
    assert_eq!(
        attr(&doc, "#f-occurred_at", "value").as_deref(),
        Some("last tuesday")
    );
    assert_eq!(attr(&doc, "#f-tags", "value").as_deref(), Some("a, b"));

    // A closed vocabulary: an unknown value is kept selected, its error beside it.
    let res = app
        .post_form("/incidents", &[("title", "x"), ("severity", "urgent")])
        .await;
    assert_eq!(res.status, 422);
    let doc = res.doc();
    assert!(
        text(field_of(&doc, "severity"))
            .contains("Severity: `urgent` is not one of low, medium, high, critical")
    );
    assert_eq!(
        attr(&doc, "select[name=severity] option[selected]", "value").as_deref(),
        Some("urgent")
    );

    // Every problem at once, each beside its own input, all listed at the top.
    let res = app
        .post_form(
            "/incidents",
            &[
                ("title", ""),
                ("severity", "urgent"),
                ("occurred_at", "soon"),
                ("references", "A | https://x.example/\u{7}"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let doc = res.doc();
    assert!(text(field_of(&doc, "title")).contains("Title is required"));
    assert!(text(field_of(&doc, "severity")).contains("`urgent`"));
    assert!(text(field_of(&doc, "occurred_at")).contains("`soon` is not a date"));
    assert!(
        text(field_of(&doc, "references"))
            .contains("Reference 1 (its URL) contains control characters")
    );
    let summary: Vec<Option<String>> = doc
        .select(&sel(".inc-alert-error li a"))
        .map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(
        summary,
        [
            Some("#f-title"),
            Some("#f-severity"),
            Some("#f-occurred_at"),
            Some("#f-references")
        ]
        .map(|h| h.map(str::to_string))
    );
    assert!(
        texts(&doc, ".inc-alert-error h2")
            .join("")
            .contains("4 problems")
    );

    // A tag that is too long is reported on the tags input.
    let long = "x".repeat(101);
    let res = app
        .post_form(
            "/incidents",
            &[("title", "x"), ("tags", &format!("ok, {long}"))],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(text(field_of(&res.doc(), "tags")).contains("limit is 100"));

    // Nothing was stored.
    assert_eq!(app.store.incident_counts().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn malformed_submissions_are_4xx_pages_never_500() {
    let app = TestApp::spawn().await;
    let id = create(&app, &[("title", "Target")]).await;
    let cases: Vec<(&str, &str, String, u16)> = vec![
        (
            "/incidents",
            "application/json",
            r#"{"title":"x"}"#.to_string(),
            415,
        ),
        (
            "/incidents",
            "application/x-www-form-urlencoded",
            "title=a&title=b".to_string(),
            400,
        ),
        (
            "/incidents",
            "application/x-www-form-urlencoded",
            "title=%FF%FE&summary=%zz".to_string(),
            303,
        ),
        (
            "/incidents/{id}",
            "application/x-www-form-urlencoded",
            "title=x&version=abc".to_string(),
            400,
        ),
        (
            "/incidents",
            "application/x-www-form-urlencoded",
            format!("title={}", "x".repeat(2 * 1024 * 1024)),
            413,
        ),
    ];
    for (path, content_type, body, expected) in cases {
        let path = path.replace("{id}", &id);
        let res = app.post_raw(&path, content_type, body).await;
        assert!(
            res.status == expected || (expected == 303 && res.status == 422),
            "POST {path} ({content_type}): {} {}",
            res.status,
            res.body.chars().take(300).collect::<String>()
        );
        if res.status >= 400 {
            assert!(
                res.body.contains("<main"),
                "{path}: error page in the layout"
            );
        }
    }
    // Step and move forms too.
    let res = app
        .post_form(&format!("/incidents/{id}/steps"), &[("confidence", "lots")])
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps/step-nope/move"),
            &[("direction", "up")],
        )
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .post_form("/incidents/inc-nope/delete", &[("version", "1")])
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn editing_with_the_current_version_saves_and_a_stale_version_is_a_409() {
    let app = TestApp::spawn().await;
    let id = create(&app, FULL_FORM).await;
    let edit = format!("/incidents/{id}/edit");
    let (body, doc) = app.page(&edit).await;
    assert_csp_clean(&body, &edit);
    // The form is filled from the stored incident.
    assert_eq!(
        attr(&doc, "#f-title", "value").as_deref(),
        Some("Prompt injection through the support inbox")
    );
    assert_eq!(
        attr(&doc, "#f-occurred_at", "value").as_deref(),
        Some("2025-03")
    );
    assert_eq!(attr(&doc, "#f-tags", "value").as_deref(), Some("llm, rag"));
    let refs = texts(&doc, "textarea[name=references]").join("");
    assert!(
        refs.contains("Ticket | https://tickets.example/123"),
        "{refs}"
    );
    assert_eq!(
        attr(
            &doc,
            "form.inc-form[action='/incidents/{id}'] input[name=version]"
                .replace("{id}", &id)
                .as_str(),
            "value"
        )
        .as_deref(),
        Some("1")
    );

    let mut form: Vec<(&str, &str)> = FULL_FORM.to_vec();
    form.retain(|(k, _)| *k != "title" && *k != "severity");
    form.push(("title", "Prompt injection (confirmed)"));
    form.push(("severity", "critical"));
    form.push(("version", "1"));
    let res = app.post_form(&format!("/incidents/{id}"), &form).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/incidents/{id}").as_str())
    );
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    assert_eq!(texts(&doc, "h1"), ["Prompt injection (confirmed)"]);
    assert_eq!(
        texts(&doc, ".inc-badges .inc-sev-critical"),
        ["Severity: Critical"]
    );

    // Someone else edited from version 1 too: their save is refused.
    let stale = [
        ("title", "My older edit"),
        ("summary", "my text"),
        ("version", "1"),
    ];
    let res = app.post_form(&format!("/incidents/{id}"), &stale).await;
    assert_eq!(res.status, 409, "{}", res.body);
    let doc = res.doc();
    let notice = texts(&doc, ".inc-alert-conflict").join(" ");
    assert!(
        notice.contains("Someone else changed this incident"),
        "{notice}"
    );
    assert!(notice.contains("not been saved"), "{notice}");
    assert!(
        notice.contains("You were working from version 1; it is now at version 2."),
        "{notice}"
    );
    assert!(notice.contains("Title"), "differences listed: {notice}");
    assert_eq!(
        attr(&doc, ".inc-alert-conflict a.button", "href"),
        Some(edit.clone())
    );
    // Their input is kept for them to copy or save over.
    assert_eq!(
        attr(&doc, "#f-title", "value").as_deref(),
        Some("My older edit")
    );
    assert_eq!(texts(&doc, "textarea[name=summary]"), ["my text"]);
    assert_eq!(
        attr(&doc, "input[name=version]", "value").as_deref(),
        Some("2")
    );
    // Nothing changed.
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    assert_eq!(texts(&doc, "h1"), ["Prompt injection (confirmed)"]);

    // A validation error while editing keeps the version and the input.
    let res = app
        .post_form(
            &format!("/incidents/{id}"),
            &[("title", ""), ("version", "2")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        attr(&res.doc(), "input[name=version]", "value").as_deref(),
        Some("2")
    );

    // Unknown incident.
    let res = app
        .post_form(
            "/incidents/inc-missing",
            &[("title", "x"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(app.get("/incidents/inc-missing/edit").await.0, 404);
}

#[tokio::test]
async fn steps_are_added_moved_edited_and_deleted_through_forms() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = create(&app, &[("title", "Support inbox")]).await;
    let new = format!("/incidents/{id}/steps/new");

    // Step 1: Initial Access / AML.T0093.
    let v = version_on(&app, &new).await;
    let to = add_step(
        &app,
        &id,
        &[
            ("tactic", "AML.TA0004"),
            ("technique", "AML.T0093"),
            ("observed_at", "2025-03-14"),
            (
                "description",
                "A poisoned email with **hidden** instructions.",
            ),
            ("evidence", "From: attacker@example\n  Subject: <urgent>"),
            ("confidence", "80"),
            ("outcome", "missed"),
            ("source", "alert"),
            ("position", ""),
            ("version", &v),
        ],
    )
    .await;
    assert!(
        to.starts_with(&format!("/incidents/{id}#step-step-")),
        "{to}"
    );
    // Step 2: Execution / a sub-technique.
    let v = version_on(&app, &new).await;
    add_step(
        &app,
        &id,
        &[
            ("tactic", "AML.TA0005"),
            ("technique", "AML.T0051.001"),
            ("outcome", "detected"),
            ("version", &v),
        ],
    )
    .await;
    // Step 3: Reconnaissance, inserted first.
    let v = version_on(&app, &new).await;
    add_step(
        &app,
        &id,
        &[
            ("tactic", "AML.TA0002"),
            ("technique", "AML.T0000"),
            ("position", "1"),
            ("version", &v),
        ],
    )
    .await;
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0000", "AML.T0093", "AML.T0051.001"]
    );

    let path = format!("/incidents/{id}");
    let (body, doc) = app.page(&path).await;
    assert_csp_clean(&body, &path);
    let steps: Vec<ElementRef> = doc.select(&sel("ol.inc-timeline > li")).collect();
    assert_eq!(steps.len(), 3);
    let second = steps[1];
    let head = text(second.select(&sel(".inc-step-head")).next().unwrap());
    let name = {
        let atlas = app.state.atlas.get();
        atlas.display_name(atlas.technique("AML.T0093").unwrap())
    };
    assert_eq!(head, format!("Step 2: Initial Access › {name} AML.T0093"));
    assert_eq!(
        second
            .select(&sel("a.inc-step-tactic"))
            .next()
            .unwrap()
            .value()
            .attr("href"),
        Some("/tactics/AML.TA0004")
    );
    assert_eq!(
        second
            .select(&sel("a.inc-step-technique"))
            .next()
            .unwrap()
            .value()
            .attr("href"),
        Some("/techniques/AML.T0093")
    );
    let meta = text(second.select(&sel(".inc-step-meta")).next().unwrap());
    assert!(meta.contains("Outcome: Missed"), "{meta}");
    assert!(meta.contains("Observed 2025-03-14"), "{meta}");
    assert!(meta.contains("Confidence 80%"), "{meta}");
    assert!(meta.contains("Source: Alert"), "{meta}");
    assert_eq!(
        text(second.select(&sel(".prose strong")).next().unwrap()),
        "hidden"
    );
    let evidence = second.select(&sel("pre.inc-evidence-text")).next().unwrap();
    assert_eq!(
        evidence.text().collect::<String>(),
        "From: attacker@example\n  Subject: <urgent>"
    );
    assert!(body.contains("Subject: &lt;urgent&gt;") || body.contains("Subject: &#60;urgent&#62;"));
    // The sub-technique is named "Parent: Child".
    let third = text(steps[2].select(&sel(".inc-step-technique")).next().unwrap());
    assert!(third.contains(": "), "{third}");
    // First step has no "up", last has no "down".
    assert_eq!(steps[0].select(&sel("button[value=up]")).count(), 0);
    assert_eq!(steps[0].select(&sel("button[value=down]")).count(), 1);
    assert_eq!(steps[2].select(&sel("button[value=down]")).count(), 0);

    // Move step 3 up.
    let version = attr(&doc, ".inc-step-actions input[name=version]", "value").unwrap();
    let move_action = steps[2]
        .select(&sel("form[action$='/move']"))
        .next()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_string();
    let res = app
        .post_form(&move_action, &[("direction", "up"), ("version", &version)])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0000", "AML.T0051.001", "AML.T0093"]
    );
    // The same (now stale) version again: 409, and nothing moves.
    let res = app
        .post_form(&move_action, &[("direction", "up"), ("version", &version)])
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("Someone else changed this incident"));
    assert!(
        res.doc()
            .select(&sel(&format!("a[href='/incidents/{id}#steps']")))
            .count()
            >= 1,
        "reload link"
    );
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0000", "AML.T0051.001", "AML.T0093"]
    );
    // Moving the first step up changes nothing.
    let (_, doc) = app.page(&path).await;
    let version = attr(&doc, ".inc-step-actions input[name=version]", "value").unwrap();
    let first_move = attr(&doc, "ol.inc-timeline > li form[action$='/move']", "action").unwrap();
    let res = app
        .post_form(&first_move, &[("direction", "up"), ("version", &version)])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0000", "AML.T0051.001", "AML.T0093"]
    );
    let res = app
        .post_form(
            &first_move,
            &[("direction", "sideways"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 400);

    // Edit step 3 (AML.T0093): the form is filled, the change saved, the step moved to 1.
    let (_, doc) = app.page(&path).await;
    let edit = attr(
        &doc,
        "ol.inc-timeline > li:nth-child(3) a[href$='/edit']",
        "href",
    )
    .unwrap();
    let (body, doc) = app.page(&edit).await;
    assert_csp_clean(&body, &edit);
    assert_eq!(
        attr(&doc, "select[name=tactic] option[selected]", "value").as_deref(),
        Some("AML.TA0004")
    );
    assert_eq!(
        attr(&doc, "input[name=technique]", "value").as_deref(),
        Some("AML.T0093")
    );
    assert_eq!(attr(&doc, "#f-confidence", "value").as_deref(), Some("80"));
    assert_eq!(
        attr(&doc, "select[name=position] option[selected]", "value").as_deref(),
        Some("3")
    );
    let action = attr(&doc, "form.inc-step-form", "action").unwrap();
    let version = attr(&doc, "form.inc-step-form input[name=version]", "value").unwrap();
    let res = app
        .post_form(
            &action,
            &[
                ("tactic", "AML.TA0004"),
                ("technique", "AML.T0093"),
                ("confidence", "95"),
                ("outcome", "detected"),
                ("position", "1"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0093", "AML.T0000", "AML.T0051.001"]
    );
    let (_, doc) = app.page(&path).await;
    assert!(
        texts(&doc, "ol.inc-timeline > li:first-child .inc-step-meta")
            .join(" ")
            .contains("Confidence 95%")
    );

    // A technique that does not serve the tactic: 422, message beside the technique, input kept.
    let version = attr(&doc, ".inc-step-actions input[name=version]", "value").unwrap();
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[
                ("tactic", "AML.TA0004"),
                ("technique", "AML.T0051"),
                ("description", "kept"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let doc = res.doc();
    let field = text(field_of(&doc, "technique"));
    assert!(
        field.contains("does not serve the tactic AML.TA0004"),
        "{field}"
    );
    assert_eq!(
        attr(&doc, "input[name=technique]", "value").as_deref(),
        Some("AML.T0051")
    );
    assert_eq!(texts(&doc, "textarea[name=description]"), ["kept"]);
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[
                ("tactic", "AML.TA0004"),
                ("technique", "AML.T0093"),
                ("confidence", "101"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(text(field_of(&res.doc(), "confidence")).contains("101 is not between 0 and 100"));
    // Several problems at once.
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[
                ("tactic", ""),
                ("technique", "T1059"),
                ("confidence", "lots"),
                ("observed_at", "later"),
                ("outcome", "blocked"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let doc = res.doc();
    for (field, message) in [
        ("tactic", "Tactic is required"),
        ("technique", "`T1059` is not an ATLAS technique ID"),
        ("confidence", "`lots` is not a whole number from 0 to 100"),
        ("observed_at", "`later` is not a date"),
        ("outcome", "`blocked` is not one of prevented"),
    ] {
        let shown = text(field_of(&doc, field));
        assert!(shown.contains(message), "{field}: {shown}");
    }
    assert_eq!(doc.select(&sel(".inc-alert-error li")).count(), 5);

    // Delete the middle step.
    let (_, doc) = app.page(&path).await;
    // A link to the confirmation page; the script asks in place instead.
    let delete = attr(
        &doc,
        "ol.inc-timeline > li:nth-child(2) a[href$='/delete']",
        "href",
    )
    .unwrap();
    assert!(
        attr(
            &doc,
            "ol.inc-timeline > li:nth-child(2) a[href$='/delete']",
            "data-confirm-post"
        )
        .is_some()
    );
    let version = attr(&doc, ".inc-step-actions input[name=version]", "value").unwrap();
    let res = app.post_form(&delete, &[("version", &version)]).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location, Some(format!("/incidents/{id}#steps")));
    assert_eq!(
        step_techniques(&app, &id).await,
        ["AML.T0093", "AML.T0051.001"]
    );
    let (_, doc) = app.page(&path).await;
    assert_eq!(
        texts(&doc, "ol.inc-timeline > li .inc-step-number"),
        ["1", "2"]
    );
    // Stale delete: 409, nothing deleted.
    let other = attr(
        &doc,
        "ol.inc-timeline > li:nth-child(2) a[href$='/delete']",
        "href",
    )
    .unwrap();
    let res = app.post_form(&other, &[("version", &version)]).await;
    assert_eq!(res.status, 409);
    assert_eq!(step_techniques(&app, &id).await.len(), 2);

    // Delete the incident through its confirmation page.
    let confirm = format!("/incidents/{id}/delete");
    let (body, doc) = app.page(&confirm).await;
    assert_csp_clean(&body, &confirm);
    assert!(text(doc.select(&sel("h1")).next().unwrap()).contains("Delete this incident?"));
    let version = attr(
        &doc,
        "form[action='/incidents/{id}/delete'] input[name=version]"
            .replace("{id}", &id)
            .as_str(),
        "value",
    )
    .unwrap();
    let res = app.post_form(&confirm, &[("version", "1")]).await;
    assert_eq!(res.status, 409, "stale delete");
    assert!(res.body.contains("Someone else changed this incident"));
    assert_eq!(app.get(&path).await.0, 200);
    let res = app.post_form(&confirm, &[("version", &version)]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/incidents"));
    assert_eq!(app.get(&path).await.0, 404);
    assert_eq!(app.store.incident_counts().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn the_step_form_without_javascript_lists_only_the_chosen_tactics_techniques() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = create(&app, &[("title", "Two-stage form")]).await;
    let atlas = app.state.atlas.get();

    // Stage 1: no tactic yet; the reload button posts the form (free text
    // stays out of URLs) to show it again for the chosen tactic.
    let new = format!("/incidents/{id}/steps/new");
    let reload = format!("/incidents/{id}/steps/form");
    let (body, doc) = app.page(&new).await;
    assert_csp_clean(&body, &new);
    assert_eq!(
        attr(&doc, "button[data-reload]", "formaction").as_deref(),
        Some(reload.as_str()),
        "tactic reload button"
    );
    assert_eq!(
        doc.select(&sel("select[name=tactic] option[value='AML.TA0004']"))
            .count(),
        1
    );
    assert!(body.contains(&format!(
        "<script src=\"{}\" defer></script>",
        atlasview::web::assets::url("incidents.js")
    )));

    // Stage 2: tactic=AML.TA0004 (what the button sends).
    let res = app
        .post_form(
            &reload,
            &[("tactic", "AML.TA0004"), ("description", "carried over")],
        )
        .await;
    assert_eq!(res.status, 200);
    let (body, doc) = (res.body.clone(), res.doc());
    assert_csp_clean(&body, "step form stage 2");
    assert_eq!(
        attr(&doc, "select[name=tactic] option[selected]", "value").as_deref(),
        Some("AML.TA0004")
    );
    assert_eq!(
        texts(&doc, "textarea[name=description]"),
        ["carried over"],
        "typed text survives the reload"
    );
    let listed: Vec<String> = doc
        .select(&sel("datalist#technique-options option"))
        .filter_map(|o| o.value().attr("value"))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    let mut expected: Vec<String> = Vec::new();
    for t in atlas.techniques_for_tactic("AML.TA0004") {
        expected.push(t.id.clone());
        for s in atlas
            .subtechniques(&t.id)
            .filter(|s| atlas.serves(&s.id, "AML.TA0004"))
        {
            expected.push(s.id.clone());
        }
    }
    assert!(expected.len() > 3, "Initial Access has techniques");
    assert_eq!(
        listed, expected,
        "only Initial Access techniques, in matrix order"
    );
    for id in &listed {
        assert!(
            atlas.serves(id, "AML.TA0004"),
            "{id} does not serve Initial Access"
        );
    }
    assert!(
        !listed.contains(&"AML.T0051".to_string()),
        "an Execution technique is listed"
    );
    // Sub-techniques are named "Parent: Child".
    let sub = atlas
        .release
        .techniques
        .iter()
        .find(|t| t.parent.is_some() && listed.contains(&t.id))
        .expect("Initial Access has a sub-technique");
    let label = texts(
        &doc,
        &format!("datalist#technique-options option[value='{}']", sub.id),
    )
    .join("");
    let parent = atlas.technique(sub.parent.as_deref().unwrap()).unwrap();
    assert_eq!(label, format!("{}: {}", parent.name, sub.name));

    // A technique carried over from another tactic is dropped, not kept selected.
    let (_, doc) = app
        .page(&format!("{new}?tactic=AML.TA0004&technique=AML.T0051"))
        .await;
    assert_eq!(
        attr(&doc, "input[name=technique]", "value").as_deref(),
        Some("")
    );
    // A bad tactic in the query is kept visible, not an error page.
    let (status, _) = app.get(&format!("{new}?tactic=%3Cscript%3E")).await;
    assert_eq!(status, 200);
    // An unknown incident is a 404.
    assert_eq!(
        app.get("/incidents/inc-nope/steps/new?tactic=AML.TA0004")
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn html_in_every_text_field_is_shown_escaped() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let xss = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(2)>";
    let id = create(
        &app,
        &[
            ("title", xss),
            (
                "summary",
                &format!("{xss}\n\n{img}\n\n[click](javascript:alert(3))"),
            ),
            ("target", img),
            ("actor", "\"><b>actor</b>"),
            ("reporter", "'quote'"),
            ("tags", "<i>tag</i>"),
            (
                "references",
                &format!("{xss} | https://example.org/\"onmouseover=\"alert(4)\n{img} | not a url"),
            ),
        ],
    )
    .await;
    add_step(
        &app,
        &id,
        &[
            ("tactic", "AML.TA0004"),
            ("technique", "AML.T0093"),
            ("description", &format!("{xss} {img}")),
            ("evidence", &format!("{xss}\n{img}")),
        ],
    )
    .await;
    let pages = [
        format!("/incidents/{id}"),
        format!("/incidents/{id}/edit"),
        format!("/incidents/{id}/delete"),
        "/incidents".to_string(),
        format!("/incidents?q={}", "%3Cscript%3E"),
    ];
    for path in &pages {
        let (body, doc) = app.page(path).await;
        assert!(!body.contains(xss), "{path}: raw script");
        assert!(!body.contains("<img src=x"), "{path}: raw img");
        assert!(!body.contains("<i>tag</i>"), "{path}: raw tag markup");
        assert!(!body.contains("<b>actor"), "{path}: raw actor markup");
        assert!(
            !body.contains("href=\"javascript:"),
            "{path}: javascript link"
        );
        assert_eq!(doc.select(&sel("script:not([src])")).count(), 0, "{path}");
        assert_csp_clean(&body, path);
    }
    let (body, doc) = app.page(&format!("/incidents/{id}")).await;
    assert!(escaped(&body, xss), "title not shown escaped");
    assert_eq!(texts(&doc, "h1"), [xss]);
    assert!(
        texts(&doc, "pre.inc-evidence-text").join("").contains(xss),
        "evidence shown as text"
    );
    assert_eq!(doc.select(&sel(".prose a[href^='javascript']")).count(), 0);
    let (body, _) = app.page("/incidents").await;
    assert!(escaped(&body, xss), "list title not shown escaped");
    let (_, doc) = app.page(&format!("/incidents/{id}/edit")).await;
    assert_eq!(
        attr(&doc, "#f-title", "value").as_deref(),
        Some(xss),
        "value attribute round-trips"
    );
    assert_eq!(
        attr(&doc, "#f-actor", "value").as_deref(),
        Some("\"><b>actor</b>")
    );
    // A rejected form echoes the hostile text escaped too.
    let res = app
        .post_form(
            "/incidents",
            &[("title", ""), ("summary", xss), ("severity", xss)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(!res.body.contains(xss));
    assert!(escaped(&res.body, xss));
}

#[tokio::test]
async fn list_filters_narrow_the_table_and_a_bad_filter_is_a_400() {
    let app = TestApp::spawn().await;
    for (title, status, severity, kind, occurred, tags) in [
        (
            "Jailbreak of the HR chatbot",
            "open",
            "critical",
            "incident",
            "2025-01-10",
            "llm, hr",
        ),
        (
            "Red-team exercise on the vision model",
            "closed",
            "low",
            "exercise",
            "2024-06",
            "red-team",
        ),
        (
            "Poisoned training data",
            "resolved",
            "high",
            "incident",
            "2023",
            "data",
        ),
        (
            "Model extraction via the public API",
            "open",
            "medium",
            "incident",
            "",
            "api",
        ),
    ] {
        create(
            &app,
            &[
                ("title", title),
                ("status", status),
                ("severity", severity),
                ("kind", kind),
                ("occurred_at", occurred),
                ("tags", tags),
            ],
        )
        .await;
    }
    async fn titles(app: &TestApp, query: &str) -> Vec<String> {
        let (body, doc) = app.page(&format!("/incidents{query}")).await;
        assert_csp_clean(&body, query);
        texts(&doc, "table.inc-table tbody .inc-row-title")
    }
    assert_eq!(titles(&app, "").await.len(), 4);
    let mut open = titles(&app, "?status=open").await;
    open.sort();
    assert_eq!(
        open,
        [
            "Jailbreak of the HR chatbot",
            "Model extraction via the public API"
        ]
    );
    assert_eq!(
        titles(&app, "?severity=critical").await,
        ["Jailbreak of the HR chatbot"]
    );
    assert_eq!(
        titles(&app, "?severity=critical&severity=high&sort=title").await,
        ["Jailbreak of the HR chatbot", "Poisoned training data"]
    );
    assert_eq!(
        titles(&app, "?q=poisoned").await,
        ["Poisoned training data"]
    );
    assert_eq!(
        titles(&app, "?kind=exercise").await,
        ["Red-team exercise on the vision model"]
    );
    assert_eq!(
        titles(&app, "?tag=api").await,
        ["Model extraction via the public API"]
    );
    assert_eq!(
        titles(&app, "?from=2024&to=2024-12").await,
        ["Red-team exercise on the vision model"]
    );
    assert_eq!(
        titles(&app, "?status=open&severity=low").await,
        Vec::<String>::new()
    );

    // The form shows the filters in force, and each can be removed.
    let (_, doc) = app.page("/incidents?status=open&q=model").await;
    assert_eq!(
        attr(&doc, "form.inc-filters", "method").as_deref(),
        Some("get")
    );
    assert_eq!(
        attr(&doc, "input[name=status][value=open]", "checked").as_deref(),
        Some("")
    );
    assert_eq!(
        attr(&doc, "input[name=q]", "value").as_deref(),
        Some("model")
    );
    let chips = texts(&doc, ".inc-active-filters .inc-chip");
    assert_eq!(
        chips,
        ["Status: Open × (remove)", "Search: model × (remove)"]
    );
    assert_eq!(
        attr(&doc, ".inc-active-filters .inc-chip", "href").as_deref(),
        Some("/incidents?q=model")
    );
    // Severity and status badges with words.
    let (_, doc) = app.page("/incidents?sort=-severity").await;
    assert_eq!(
        texts(&doc, "tbody td .inc-badge.inc-sev-critical"),
        ["Critical"]
    );
    assert_eq!(
        texts(&doc, "tbody td .inc-badge.inc-status-resolved"),
        ["Resolved"]
    );
    // Empty result: a message, not an empty table.
    let (_, doc) = app.page("/incidents?q=nothing-matches-this").await;
    assert_eq!(doc.select(&sel("table.inc-table")).count(), 0);
    assert!(
        texts(&doc, ".inc-empty")
            .join(" ")
            .contains("No incident matches these filters")
    );

    // Pagination keeps the filters.
    let (_, doc) = app
        .page("/incidents?status=open&per_page=1&sort=title")
        .await;
    assert_eq!(
        texts(&doc, "table.inc-table tbody .inc-row-title"),
        ["Jailbreak of the HR chatbot"]
    );
    // The next page also carries its keyset token (issue 14).
    let next = attr(&doc, ".inc-pager a[rel=next]", "href").unwrap_or_default();
    assert!(
        next.starts_with("/incidents?status=open&sort=title&per_page=1&page=2&after="),
        "{next}"
    );
    assert!(
        texts(&doc, "#h-results")
            .join("")
            .contains("1–1 of 2 incidents")
    );
    let (_, doc) = app
        .page("/incidents?status=open&per_page=1&sort=title&page=2")
        .await;
    assert_eq!(
        texts(&doc, "table.inc-table tbody .inc-row-title"),
        ["Model extraction via the public API"]
    );
    assert_eq!(texts(&doc, ".inc-pager-current"), ["2"]);

    // Bad filters: the 400 page naming the parameter.
    for (query, needle) in [
        ("?status=bogus", "status"),
        ("?severity=urgent", "severity"),
        ("?from=yesterday", "from"),
        ("?technique=T1059", "technique"),
        ("?sort=random", "sort"),
        ("?page=0", "page"),
    ] {
        let (status, body) = app.get(&format!("/incidents{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(body.contains(needle), "{query}: {body}");
        assert!(body.contains("<main"), "{query}: error page in the layout");
    }
}

#[tokio::test]
async fn the_case_study_download_parses_back_to_the_same_steps_and_imports() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = create(
        &app,
        &[
            ("title", "Exported"),
            ("summary", "Round trip"),
            ("occurred_at", "2024-05"),
            ("target", "chatbot"),
        ],
    )
    .await;
    let steps = [
        ("AML.TA0002", "AML.T0000", "Looked around"),
        ("AML.TA0004", "AML.T0093", "Got in"),
        ("AML.TA0005", "AML.T0051.001", "Ran it"),
    ];
    for (tactic, technique, description) in steps {
        add_step(
            &app,
            &id,
            &[
                ("tactic", tactic),
                ("technique", technique),
                ("description", description),
            ],
        )
        .await;
    }
    let res = app
        .client
        .get(app.url(&format!("/incidents/{id}/case-study.yaml")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()[CONTENT_TYPE],
        "application/yaml; charset=utf-8"
    );
    assert_eq!(
        res.headers()[CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"{id}-exported-case-study.yaml\"")
    );
    let yaml = res.text().await.unwrap();
    let doc = parse_case_study(yaml.as_bytes()).expect("the download parses");
    assert_eq!(doc.name, "Exported");
    assert_eq!(doc.target, "chatbot");
    assert_eq!(doc.incident_date_granularity.as_deref(), Some("MONTH"));
    let got: Vec<(String, String, String)> = doc
        .procedure
        .iter()
        .map(|p| (p.tactic.clone(), p.technique.clone(), p.description.clone()))
        .collect();
    let want: Vec<(String, String, String)> = steps
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(app.get("/incidents/inc-nope/case-study.yaml").await.0, 404);

    // And the paste form creates an incident from it.
    let (body, doc) = app.page("/incidents/import").await;
    assert_csp_clean(&body, "/incidents/import");
    assert_eq!(
        doc.select(&sel("form[action='/incidents/import'] textarea[name=yaml]"))
            .count(),
        1
    );
    let res = app.post_form("/incidents/import", &[("yaml", &yaml)]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let copy = res
        .location
        .unwrap()
        .trim_start_matches("/incidents/")
        .to_string();
    assert_ne!(copy, id);
    assert_eq!(
        step_techniques(&app, &copy).await,
        ["AML.T0000", "AML.T0093", "AML.T0051.001"]
    );

    // Bad YAML: 422 with the message beside the textarea and the text kept.
    let bad = "study:\n  name: x\n  procedure:\n  - tactic: AML.TA0004\n    technique: AML.T9999\n";
    let res = app.post_form("/incidents/import", &[("yaml", bad)]).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let doc = res.doc();
    let field = text(field_of(&doc, "yaml"));
    assert!(field.contains("AML.T9999"), "{field}");
    assert_eq!(
        texts(&doc, "textarea[name=yaml]").join(""),
        bad.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    for junk in ["", "{{{", "just text", "study: 5"] {
        let res = app.post_form("/incidents/import", &[("yaml", junk)]).await;
        assert_eq!(res.status, 422, "{junk:?}");
    }
    assert_eq!(app.store.incident_counts().await.unwrap().0, 2);
}

#[tokio::test]
async fn the_admin_button_imports_the_releases_57_case_studies() {
    let app = TestApp::spawn().await;
    // The embedded catalog has no case studies: the page says so and the button is not offered.
    let (body, doc) = app.page("/admin").await;
    assert_csp_clean(&body, "/admin");
    assert_eq!(
        doc.select(&sel("form[action='/admin/case-studies/import']"))
            .count(),
        0
    );
    let res = app.post_form("/admin/case-studies/import", &[]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("no case studies"));

    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (_, doc) = app.page("/admin").await;
    assert_eq!(facts(&doc)["Version"], "5.6.0");
    assert_eq!(
        doc.select(&sel(
            "form[method=post][action='/admin/case-studies/import'] button"
        ))
        .count(),
        1
    );
    let res = app.post_form("/admin/case-studies/import", &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.unwrap();
    assert!(
        to.starts_with("/admin?imported=57&created=57&updated=0&unchanged=0&steps="),
        "{to}"
    );
    let (_, doc) = app.page(&to).await;
    let flash = texts(&doc, ".inc-alert-success").join(" ");
    assert!(flash.contains("Imported 57 case studies"), "{flash}");
    assert!(
        flash.contains("57 created, 0 updated, 0 unchanged"),
        "{flash}"
    );
    assert_eq!(app.store.incident_counts().await.unwrap().0, 57);

    // Again: nothing duplicated.
    let res = app.post_form("/admin/case-studies/import", &[]).await;
    assert!(
        res.location
            .unwrap()
            .starts_with("/admin?imported=57&created=0&updated=0&unchanged=57")
    );
    assert_eq!(app.store.incident_counts().await.unwrap().0, 57);

    // They are incidents of kind "case study" in the list, paginated.
    let (_, doc) = app.page("/incidents?kind=case-study").await;
    assert!(
        texts(&doc, "#h-results")
            .join("")
            .contains("1–25 of 57 incidents")
    );
    assert_eq!(doc.select(&sel("table.inc-table tbody tr")).count(), 25);
    assert_eq!(texts(&doc, ".inc-pager-current"), ["1"]);
    // A forged flash shows nothing.
    let (_, doc) = app.page("/admin?imported=9&created=x").await;
    assert_eq!(doc.select(&sel(".inc-alert-success")).count(), 0);
}
