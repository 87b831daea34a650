//! Working an incident as a team (issue #16): owner and participants, the
//! activity timeline, comments and tasks — through the API, the pages and
//! the service.

use atlasview::domain::auth::Role;
use atlasview::service::teamwork::{self, By, TeamError};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

async fn create(app: &TestApp, title: &str) -> String {
    let body = app.two_step_incident(title).await;
    body["id"].as_str().expect("id").to_string()
}

async fn json_as(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    let res = client.get(app.url(path)).send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn send_json(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: &Value,
) -> (StatusCode, Value) {
    let res = client
        .request(method, url)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn owner_and_participants_filter_the_list_and_show_everywhere() {
    let app = TestApp::spawn().await;
    let bob = app.client_named("bob", Role::Analyst).await;
    let _viewer = app.client_named("vera", Role::Viewer).await;
    let owned = create(&app, "Owned by bob").await;
    let helped = create(&app, "Bob takes part").await;
    let nobody = create(&app, "Nobody owns this").await;

    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{owned}/members"),
            &json!({"owner": "bob", "participants": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["owner"], "bob");
    let (status, _) = app
        .put_json(
            &format!("/api/v1/incidents/{helped}/members"),
            &json!({"owner": "admin", "participants": ["bob"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // "mine" is bob's: owner or participant; "unassigned" has no owner.
    let (_, mine) = json_as(&bob, &app, "/api/v1/incidents?assigned=mine").await;
    let mut want = vec![owned.clone(), helped.clone()];
    want.sort();
    assert_eq!(ids(&mine), want);
    let (_, free) = json_as(&bob, &app, "/api/v1/incidents?assigned=unassigned").await;
    assert_eq!(ids(&free), vec![nobody]);
    let (status, bad) = json_as(&bob, &app, "/api/v1/incidents?assigned=everyone").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["field"], "assigned");
    // The list JSON carries owner and participants.
    let item = |id: &str| {
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(item(&helped)["owner"], "admin");
    assert_eq!(item(&helped)["participants"], json!(["bob"]));

    // The HTML list, filtered, shows the owner column.
    let (_, html) = app.get_with(&bob, "/incidents?assigned=mine").await;
    assert!(html.contains("Owned by bob") && html.contains("Bob takes part"));
    assert!(!html.contains("Nobody owns this"), "filtered out");
    assert!(html.contains("<th scope=\"col\">Owner</th>"));

    // The incident page and the dashboard name the owner.
    let (_, page) = app.get(&format!("/incidents/{owned}")).await;
    assert!(
        page.contains("<dt>Owner</dt><dd>bob</dd>"),
        "owner on the page"
    );
    let (_, dash) = app.get("/?period=all").await;
    assert!(
        dash.contains("<th scope=\"col\">Owner</th>"),
        "owner column on the dashboard"
    );

    // Only analysts and admins may own or take part: every bad name is named.
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{owned}/members"),
            &json!({"owner": "vera", "participants": ["nosuchuser", "bob"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "owner, participants[0]");
    // A viewer may read but not assign.
    let vera = app.client_named("vera", Role::Viewer).await;
    let (status, _) = json_as(&vera, &app, &format!("/api/v1/incidents/{owned}/members")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send_json(
        &vera,
        reqwest::Method::PUT,
        app.url(&format!("/api/v1/incidents/{owned}/members")),
        &json!({"owner": "vera"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The change of owner is an event with old and new value, by its author.
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{helped}/activity"))
        .await;
    let owner_event = activity
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "owner")
        .cloned()
        .expect("owner event");
    assert_eq!(owner_event["old_value"], "");
    assert_eq!(owner_event["new_value"], "admin");
    assert_eq!(owner_event["actor"], "admin");
    let (_, _) = app
        .put_json(
            &format!("/api/v1/incidents/{helped}/members"),
            &json!({"owner": "bob"}),
        )
        .await;
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{helped}/activity"))
        .await;
    let last = activity.as_array().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["old_value"].as_str()),
        (Some("participants"), Some("bob"))
    );
}

#[tokio::test]
async fn the_timeline_shows_each_kind_of_change_with_old_and_new_values() {
    let app = TestApp::spawn().await;
    let id = create(&app, "Timeline").await;
    let incident = app.incident(&id).await;
    let steps: Vec<String> = incident["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();

    // Fields: severity and status, old and new.
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "Timeline", "severity": "critical", "status": "contained", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A step added, edited, moved and removed.
    let (status, added) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/steps"),
            &json!({"tactic": "AML.TA0010", "technique": "AML.T0025", "version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/steps/{}", steps[0]),
            &json!({"tactic": "AML.TA0005", "technique": "AML.T0051", "description": "rewritten", "version": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let added_id = added["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/steps/order"),
            &json!({"order": [steps[1], steps[0], added_id], "version": 4}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let status = app
        .delete(&format!(
            "/api/v1/incidents/{id}/steps/{}?version=5",
            steps[1]
        ))
        .await;
    assert!(status.is_success(), "{status}");

    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    let events = activity.as_array().unwrap();
    let find = |kind: &str, subject: &str| {
        events
            .iter()
            .find(|e| e["kind"] == kind && e["subject"] == subject)
            .unwrap_or_else(|| panic!("no {kind} {subject} in {activity:#}"))
            .clone()
    };
    let pair = |e: Value| {
        (
            e["old_value"].as_str().unwrap().to_string(),
            e["new_value"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(events[0]["kind"], "created");
    assert_eq!(
        pair(find("field", "severity")),
        ("Low".into(), "Critical".into())
    );
    assert_eq!(
        pair(find("field", "status")),
        ("Open".into(), "Contained".into())
    );
    assert_eq!(
        pair(find("step_added", "step 3")),
        ("".into(), "AML.T0025 under AML.TA0010".into())
    );
    assert_eq!(
        pair(find("step_edited", "step 1 description")),
        ("first".into(), "rewritten".into())
    );
    assert_eq!(
        pair(find("steps_reordered", "")),
        (
            "AML.T0051 → AML.T0093 → AML.T0025".into(),
            "AML.T0093 → AML.T0051 → AML.T0025".into()
        )
    );
    assert_eq!(
        pair(find("step_removed", "step 1")),
        ("AML.T0093 under AML.TA0004".into(), "".into())
    );
    assert!(events.iter().all(|e| e["actor"] == "admin"), "{activity:#}");

    // The page tells it in sentences, newest first, with from and to.
    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    let activity_html = &page[page.find("id=\"h-activity\"").expect("activity section")..];
    assert!(activity_html.contains("changed the severity"));
    assert!(activity_html.contains("<dt>From</dt><dd>Low</dd>"));
    assert!(activity_html.contains("<dt>To</dt><dd>Critical</dd>"));
    assert!(activity_html.contains("removed step 1"));
    assert!(
        activity_html.find("removed step 1") < activity_html.find("created the incident"),
        "newest first"
    );

    // The incident's JSON export carries the timeline too.
    let full = app.incident(&id).await;
    assert_eq!(full["activity"].as_array().unwrap().len(), events.len());
}

#[tokio::test]
async fn comments_are_sanitised_editable_for_a_while_and_removed_with_a_trace() {
    let app = TestApp::spawn().await;
    let bob = app.client_named("bob", Role::Analyst).await;
    let carol = app.client_named("carol", Role::Analyst).await;
    let vera = app.client_named("vera", Role::Viewer).await;
    let id = create(&app, "Talked about").await;
    let url = app.url(&format!("/api/v1/incidents/{id}/comments"));

    let hostile = "Seen **twice** <script>window.pwned=1</script><img src=x onerror=alert(1)>";
    let (status, comment) = send_json(
        &bob,
        reqwest::Method::POST,
        url.clone(),
        &json!({"body": hostile}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["author"], "bob");
    let cid = comment["id"].as_str().unwrap().to_string();
    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    assert!(
        page.contains("Seen <strong>twice</strong>"),
        "Markdown rendered"
    );
    assert!(!page.contains("<script>window.pwned") && !page.contains("onerror=alert"));

    // Hostile and empty bodies: 422 naming the field; a viewer may not write.
    for body in [
        json!({"body": "   "}),
        json!({"body": "x".repeat(20_001)}),
        json!({}),
    ] {
        let (status, e) = send_json(&bob, reqwest::Method::POST, url.clone(), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], "body");
    }
    let (status, _) = send_json(
        &vera,
        reqwest::Method::POST,
        url.clone(),
        &json!({"body": "hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = json_as(&vera, &app, &format!("/api/v1/incidents/{id}/comments")).await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );

    // Its author edits it in the window (the page form); nobody else may.
    let edit = format!("/incidents/{id}/comments/{cid}");
    let res = app
        .post_form_as(&bob, &edit, &[("body", "Seen three times")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form_as(&carol, &edit, &[("body", "Hijacked")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = carol
        .get(app.url(&format!("{edit}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // After the window, not even its author.
    let by = By {
        user: "bob",
        role: Role::Analyst,
    };
    let later = chrono::Utc::now() + chrono::Duration::minutes(16);
    let late = teamwork::edit_comment(&app.store, &id, &cid, Some("Too late"), &by, later).await;
    assert!(matches!(late, Err(TeamError::Forbidden(_))), "{late:?}");
    let soon = chrono::Utc::now() + chrono::Duration::minutes(14);
    teamwork::edit_comment(&app.store, &id, &cid, Some("Seen four times"), &by, soon)
        .await
        .expect("within the window");

    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    assert_eq!(activity[2]["kind"], "comment_edited");
    assert_eq!(activity[2]["old_value"], hostile);
    assert_eq!(activity[2]["new_value"], "Seen three times");

    // Another analyst may not remove it; its author may, and a trace stays.
    let remove = format!("/incidents/{id}/comments/{cid}/remove");
    assert_eq!(
        app.post_form_as(&carol, &remove, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_form_as(&bob, &remove, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    assert!(page.contains("Comment removed by bob at "), "the trace");
    assert!(!page.contains("Seen four times"), "the text is gone");
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    let kinds: Vec<&str> = activity
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "comment_added",
            "comment_edited",
            "comment_edited",
            "comment_removed"
        ]
    );
    // The edits kept the earlier texts until the removal took them too.
    let edited = &activity[2];
    assert_eq!(
        (edited["old_value"].as_str(), edited["new_value"].as_str()),
        (Some(""), Some(""))
    );
    assert!(
        !activity.to_string().contains("Seen"),
        "no text left: {activity}"
    );
}

#[tokio::test]
async fn tasks_from_the_retrospective_my_tasks_and_overdue_counts() {
    let app = TestApp::spawn().await;
    let bob = app.client_named("bob", Role::Analyst).await;
    let id = create(&app, "Follow-up needed").await;

    // The retrospective's actions become tasks, once each.
    let retro = atlasview::service::retrospectives::load(&app.store, &id)
        .await
        .unwrap();
    let actions = "- [ ] Rotate the API keys @bob\n- [x] Patch the filter\n- Review vendor contracts (owner: Someone Else)";
    let v = atlasview::service::retrospectives::save_notes(
        &app.store,
        &id,
        ["", "", actions],
        retro.version,
        "admin",
    )
    .await
    .map_err(|_| "save")
    .unwrap();
    let again = format!("{actions}\n- [ ] One more thing");
    atlasview::service::retrospectives::save_notes(&app.store, &id, ["", "", &again], v, "admin")
        .await
        .map_err(|_| "save again")
        .unwrap();
    let (_, tasks) = app.get_json(&format!("/api/v1/incidents/{id}/tasks")).await;
    let tasks = tasks.as_array().unwrap();
    let row = |title: &str| {
        tasks
            .iter()
            .find(|t| t["title"] == title)
            .unwrap_or_else(|| panic!("no task {title}: {tasks:#?}"))
            .clone()
    };
    assert_eq!(tasks.len(), 4, "{tasks:#?}");
    assert_eq!(row("Rotate the API keys")["owner"], "bob");
    assert_eq!(row("Rotate the API keys")["origin"], "retrospective");
    assert_eq!(row("Patch the filter")["status"], "done");
    assert_eq!(
        row("Review vendor contracts")["owner"],
        Value::Null,
        "not a user"
    );

    // A task with a due date in the past is overdue: on the dashboard and in the briefing.
    let url = app.url(&format!("/api/v1/incidents/{id}/tasks"));
    let (status, late) = send_json(
        &bob,
        reqwest::Method::POST,
        url.clone(),
        &json!({"title": "Write the report", "owner": "bob", "due_on": "2020-01-31"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{late}");
    let (_, dash) = app.get("/").await;
    let panel = &dash[dash.find("id=\"h-dash-tasks\"").expect("task panel")..];
    assert!(
        panel.contains("4 open tasks, 1 overdue."),
        "{}",
        &panel[..400.min(panel.len())]
    );
    assert!(panel.contains("Write the report") && panel.contains("2020-01-31"));
    let (_, briefing) = app.get("/briefing").await;
    assert!(
        briefing.contains("Follow-up tasks on every incident: 4 tasks open, 1 of them overdue."),
        "briefing counts"
    );

    // Every bad field of a task at once.
    let (status, e) = send_json(
        &bob,
        reqwest::Method::POST,
        url.clone(),
        &json!({"title": " ", "owner": "nosuchuser", "due_on": "tomorrow"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["field"], "title, due_on, owner", "{e}");

    // My tasks: bob's, open first; marking one done from the page.
    let (_, html) = app.get_with(&bob, "/tasks").await;
    assert!(html.contains("Rotate the API keys") && html.contains("Write the report"));
    assert!(html.contains("Overdue"));
    assert!(!html.contains("Review vendor contracts"), "not bob's");
    let task = late["id"].as_str().unwrap();
    let res = app
        .post_form_as(
            &bob,
            &format!("/incidents/{id}/tasks/{task}/status"),
            &[("status", "done")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, dash) = app.get("/").await;
    assert!(dash.contains("3 open tasks, 0 overdue."));
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    let done = activity
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "task_done")
        .cloned()
        .expect("task_done event");
    assert_eq!(
        (done["actor"].as_str(), done["new_value"].as_str()),
        (Some("bob"), Some("Write the report"))
    );
}

#[tokio::test]
async fn observables_are_normalised_linked_across_incidents_and_validated() {
    let app = TestApp::spawn().await;
    let vera = app.client_named("vera", Role::Viewer).await;
    let first = create(&app, "Exfiltration to a paste site").await;
    let second = create(&app, "Same infrastructure again").await;
    let app = &app;
    let add = |id: &str, kind: &str, value: &str| {
        let path = format!("/api/v1/incidents/{id}/observables");
        let body = json!({"kind": kind, "value": value});
        async move { app.post_json(&path, &body).await }
    };
    // Defanged on one incident, plain (and in another case) on the other.
    let (status, list) = add(&first, "url", "hxxps://evil[.]example/Drop?id=7").await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list[0]["value"], "https://evil.example/Drop?id=7");
    let (status, _) = add(&second, "url", "https://EVIL.example/Drop?id=7").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = add(&second, "ip", "203.0.113[.]9").await;
    assert_eq!(status, StatusCode::CREATED);
    // The same value again is no second row.
    let (status, list) = add(&second, "url", "hxxps://evil(.)example/Drop?id=7").await;
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );

    let (_, list) = app
        .get_json(&format!("/api/v1/incidents/{first}/observables"))
        .await;
    assert_eq!(list[0]["other_incidents"], 1);
    let (_, page) = app.get(&format!("/incidents/{first}")).await;
    assert!(
        page.contains("seen in 1 other incident"),
        "the link on the page"
    );
    let link = "/observables?kind=url&#38;value=https%3A%2F%2Fevil%2Eexample%2FDrop%3Fid%3D7";
    assert!(page.contains(link), "links to the observable's page");
    // The observable's page, asked for in the defanged form, lists both.
    let (status, html) = app
        .get("/observables?kind=url&value=hxxps%3A%2F%2Fevil%5B.%5Dexample%2FDrop%3Fid%3D7")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Seen in 2 incidents."));
    assert!(
        html.contains("Exfiltration to a paste site") && html.contains("Same infrastructure again")
    );

    // Malformed and oversize values: 422 naming the field; a viewer may not add.
    for (kind, value, field) in [
        ("ip", "999.1.1.1".to_string(), "value"),
        ("ip", "10.0.0".to_string(), "value"),
        ("hash", "not-a-hash".to_string(), "value"),
        ("account", "a".repeat(2049), "value"),
        ("colour", " ".to_string(), "kind, value"),
    ] {
        let (status, e) = add(&first, kind, &value).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {e}");
        assert_eq!(e["field"], field, "{kind}");
    }
    let (status, html) = app.get("/observables?kind=ip&value=300.1.1.1").await;
    assert_eq!(status, 422, "{html}");
    let (status, _) = send_json(
        &vera,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/incidents/{first}/observables")),
        &json!({"kind": "ip", "value": "10.0.0.1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // In the incident's JSON export and on its timeline.
    let full = app.incident(&second).await;
    assert_eq!(full["observables"].as_array().unwrap().len(), 2);
    assert!(
        full["activity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "observable_added" && e["new_value"] == "203.0.113.9")
    );
}

#[tokio::test]
async fn alert_ingestion_fills_observables_from_well_known_fields() {
    let app = TestApp::spawn().await;
    let alert = json!({"id": "a-1", "time": "2026-03-01T10:00:00Z", "technique": "AML.T0051",
        "title": "Prompt injection", "source": "guard",
        "host": {"name": "GPU-Node-7"}, "user": {"name": "svc-trainer"},
        "source.ip": "198.51.100.4", "model": {"name": "Llama-3-8B"},
        "destination": {"ip": "not an ip"}});
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/json", alert.to_string())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let id = report["incidents"][0]
        .as_str()
        .expect("incident")
        .to_string();
    let (_, list) = app
        .get_json(&format!("/api/v1/incidents/{id}/observables"))
        .await;
    let mut got: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["value"].as_str().unwrap().to_string(),
                o["origin"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("account", "svc-trainer"),
        ("domain", "gpu-node-7"),
        ("ip", "198.51.100.4"),
        ("model", "llama-3-8b"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string(), "alert".to_string()))
        .collect();
    assert_eq!(got, want);
    // A second alert folds into the incident: the timeline says so, and by whom.
    let again = json!({"id": "a-2", "time": "2026-03-01T10:05:00Z", "technique": "AML.T0051",
        "title": "Prompt injection", "source": "guard"});
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/json", again.to_string())
        .await;
    assert_eq!(
        (status, report["folded"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{report}"
    );
    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    let alerts: Vec<&Value> = activity
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "alerts")
        .collect();
    assert_eq!(alerts.len(), 2, "{activity:#}");
    assert_eq!(alerts[1]["new_value"], "1 alert");
    assert!(
        alerts[1]["actor"].as_str().unwrap().starts_with("admin"),
        "{activity:#}"
    );
    let (_, page) = app.get(&format!("/incidents/{id}")).await;
    assert!(page.contains("folded alerts into the incident"));
}

/// The incident page's task and observable forms offer the incident's steps
/// (and, for tasks, the mitigations of its techniques), and what is picked
/// there is what the task or observable is linked to.
#[tokio::test]
async fn the_page_forms_link_a_task_or_an_observable_to_a_step_or_a_mitigation() {
    let app = TestApp::spawn().await;
    let id = create(&app, "Pickers").await;
    let detail = app.incident(&id).await;
    let second_step = detail["steps"][1]["id"].as_str().expect("step").to_string();
    let (_, page) = app.page(&format!("/incidents/{id}")).await;
    let options = |select: &str| -> Vec<String> {
        let css = scraper::Selector::parse(&format!("select#{select} option")).expect("css");
        page.select(&css)
            .filter_map(|o| o.value().attr("value"))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    };
    let steps = options("f-task-step");
    assert_eq!(steps.len(), 2, "both steps are offered");
    assert_eq!(options("f-obs-step"), steps);
    let mitigations = options("f-task-mitigation");
    assert!(
        !mitigations.is_empty() && mitigations.iter().all(|m| m.starts_with("AML.M")),
        "the mitigations of prompt injection are offered: {mitigations:?}"
    );

    let answer = app
        .post_form(
            &format!("/incidents/{id}/tasks"),
            &[
                ("title", "Filter retrieved documents"),
                ("step_id", &second_step),
                ("mitigation_id", &mitigations[0]),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let answer = app
        .post_form(
            &format!("/incidents/{id}/observables"),
            &[
                ("kind", "domain"),
                ("value", "evil[.]example"),
                ("step_id", &second_step),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    // Left at "the whole incident", the pickers link nothing.
    let answer = app
        .post_form(
            &format!("/incidents/{id}/tasks"),
            &[
                ("title", "Brief the team"),
                ("step_id", ""),
                ("mitigation_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    let json = app.incident(&id).await;
    let tasks = json["tasks"].as_array().expect("tasks");
    let linked = tasks
        .iter()
        .find(|t| t["title"] == "Filter retrieved documents")
        .expect("the linked task");
    assert_eq!(linked["step_id"], second_step.as_str());
    assert_eq!(linked["mitigation_id"], mitigations[0].as_str());
    let plain = tasks
        .iter()
        .find(|t| t["title"] == "Brief the team")
        .expect("the plain task");
    assert!(
        plain["step_id"].is_null() && plain["mitigation_id"].is_null(),
        "{plain}"
    );
    assert_eq!(json["observables"][0]["step_id"], second_step.as_str());
    let (_, html) = app.get(&format!("/incidents/{id}")).await;
    assert!(html.contains(&format!("Mitigation {}", mitigations[0])));
}

/// A task's title, owner, due date and links change from its edit page (or
/// the API); the timeline keeps old and new, the new owner is told, viewers
/// may not, and a bad field is named.
#[tokio::test]
async fn a_task_is_edited_with_a_trace_and_its_new_owner_told() {
    let app = TestApp::spawn().await;
    let priya = app.client_named("priya", Role::Analyst).await;
    let vera = app.client_named("vera", Role::Viewer).await;
    let id = create(&app, "Tasks change").await;
    let step = app.incident(&id).await["steps"][0]["id"]
        .as_str()
        .expect("step")
        .to_string();
    let (status, task) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/tasks"),
            &json!({"title": "Rotate keys"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let task_id = task["id"].as_str().expect("task id").to_string();

    let edit = format!("/incidents/{id}/tasks/{task_id}/edit");
    let (_, page) = app.page(&edit).await;
    let value = |css: &str| {
        let sel = scraper::Selector::parse(css).expect("css");
        page.select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(str::to_string)
    };
    assert_eq!(value("#f-task-title").as_deref(), Some("Rotate keys"));
    assert_eq!(value("#f-task-owner option[selected]").as_deref(), Some(""));
    let answer = app
        .post_form(
            &format!("/incidents/{id}/tasks/{task_id}"),
            &[
                ("title", "Rotate every key"),
                ("owner", "priya"),
                ("due_on", "2026-12-24"),
                ("step_id", &step),
                ("mitigation_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let (_, tasks) = app.get_json(&format!("/api/v1/incidents/{id}/tasks")).await;
    let now = &tasks[0];
    assert_eq!(
        (
            &now["title"],
            &now["owner"],
            &now["due_on"],
            &now["step_id"]
        ),
        (
            &json!("Rotate every key"),
            &json!("priya"),
            &json!("2026-12-24"),
            &json!(step)
        )
    );

    let (_, activity) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    let edited = activity
        .as_array()
        .expect("activity")
        .iter()
        .find(|e| e["kind"] == "task_edited")
        .cloned()
        .expect("an edit event");
    assert_eq!(
        edited["old_value"],
        "title Rotate keys; owner none; due none; step none"
    );
    assert_eq!(
        edited["new_value"],
        format!("title Rotate every key; owner priya; due 2026-12-24; step {step}")
    );
    let (status, inbox) = json_as(&priya, &app, "/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let summaries: Vec<&str> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["summary"].as_str())
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("gave you a task on")),
        "{summaries:?}"
    );

    // Saving it unchanged records nothing more.
    let count = activity.as_array().map(Vec::len);
    let (status, _) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/tasks/{task_id}"),
            &json!({"title": "Rotate every key", "owner": "priya", "due_on": "2026-12-24", "step_id": step}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = app
        .get_json(&format!("/api/v1/incidents/{id}/activity"))
        .await;
    assert_eq!(again.as_array().map(Vec::len), count);

    // Every bad field is named; a viewer may neither open the form nor save.
    let (status, body) = app
        .put_json(
            &format!("/api/v1/incidents/{id}/tasks/{task_id}"),
            &json!({"title": "", "owner": "nobody-here", "due_on": "soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = body["field"].as_str().unwrap_or_default();
    for f in ["title", "due_on", "owner"] {
        assert!(fields.contains(f), "{f} in {body}");
    }
    let (status, _) = app.get_with(&vera, &edit).await;
    assert_eq!(status, 403);
    let status = vera
        .put(app.url(&format!("/api/v1/incidents/{id}/tasks/{task_id}")))
        .json(&json!({"title": "Mine now"}))
        .send()
        .await
        .expect("put")
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .get(&format!("/incidents/{id}/tasks/task-unknown/edit"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_teamwork_of_a_deleted_incident_is_not_found() {
    let app = TestApp::spawn().await;
    let incident = app.two_step_incident("Soon gone").await;
    let id = incident["id"].as_str().unwrap().to_string();
    let (status, _) = app.get_json(&format!("/api/v1/incidents/{id}/tasks")).await;
    assert_eq!(status, 200);
    assert_eq!(app.delete(&format!("/api/v1/incidents/{id}")).await, 204);
    for part in ["tasks", "comments", "members", "activity"] {
        let (status, body) = app
            .get_json(&format!("/api/v1/incidents/{id}/{part}"))
            .await;
        assert_eq!(status, 404, "{part}: {body}");
    }
}
