//! The retrospective's mitigation checklist has three states (in place, not
//! in place, not reviewed): marking some mitigations never marks the others,
//! rows saved by the old two-state checklist are kept and flagged as
//! unconfirmed (migration 0018), and the notes render Markdown task lists.

use std::str::FromStr;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;

use atlasview::domain::CheckState;
use atlasview::store::{BackendKind, Store};

use crate::dashboard::{select_text, text_of};
use crate::support::{RawDb, TestApp, shared_atlas};

async fn incident(app: &TestApp) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({
            "title": "Support chatbot leaked customer records",
            "severity": "critical",
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
                {"tactic": "AML.TA0010", "technique": "AML.T0057", "outcome": "missed"},
            ],
        }))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    v["id"].as_str().expect("id").to_string()
}

async fn post(app: &TestApp, path: &str, body: &[(String, String)]) -> reqwest::Response {
    app.post_encoded_as(
        &app.client,
        path,
        serde_html_form::to_string(body).expect("form"),
    )
    .await
}

/// The checklist form as a browser sends it: every row, its chosen radio.
fn form_of(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(
        "form.r-checklist-form input[type='hidden'], form.r-checklist-form input[type='radio'][checked], form.r-checklist-form input[type='text']",
    )
    .expect("selector");
    doc.select(&sel)
        .map(|e| {
            (
                e.value().attr("name").unwrap_or_default().to_string(),
                e.value().attr("value").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    let field = form
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} is on the form"));
    field.1 = value.to_string();
}

#[tokio::test]
async fn marking_some_mitigations_leaves_the_others_unreviewed() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = incident(&app).await;
    let page = format!("/incidents/{id}/retrospective");
    let (_, html) = app.get(&page).await;
    let mut form = form_of(&html);
    let rows = form.iter().filter(|(k, _)| k == "mitigation").count();
    assert!(rows >= 3, "{form:?}");
    // Every row starts at "not reviewed".
    assert_eq!(
        form.iter()
            .filter(|(k, v)| k.starts_with("state-") && v == "unreviewed")
            .count(),
        rows
    );
    set(&mut form, "state-AML.M0019", "in_place");
    let other = form
        .iter()
        .find(|(k, _)| k.starts_with("state-") && k != "state-AML.M0019")
        .map(|(k, _)| k.clone())
        .expect("a second row");
    set(&mut form, &other, "not_in_place");
    let res = post(&app, &format!("{page}/checklist"), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&page).await;
    assert!(
        text_of(&html).contains(&format!(
            "1 in place, 1 not in place, {} not reviewed yet",
            rows - 2
        )),
        "{}",
        text_of(&html)
    );
    let stored = app.store.retrospective(&id).await.expect("stored");
    assert_eq!(stored.checklist.len(), 2, "{:?}", stored.checklist);
    assert_eq!(
        stored.check("AML.M0019").expect("row").state,
        CheckState::InPlace
    );
    // Saved again as it is shown: still one of each, the rest unreviewed.
    let form = form_of(&html);
    let res = post(&app, &format!("{page}/checklist"), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let again = app.store.retrospective(&id).await.expect("stored");
    assert_eq!(again.checklist.len(), 2);
    // A row can go back to "not reviewed".
    let mut form = form_of(&app.get(&page).await.1);
    set(&mut form, &other, "unreviewed");
    assert_eq!(
        post(&app, &format!("{page}/checklist"), &form)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let back = app.store.retrospective(&id).await.expect("stored");
    let mitigation = other.trim_start_matches("state-");
    assert_eq!(
        back.check(mitigation).expect("row").state,
        CheckState::Unreviewed
    );
    // A form of the old two-state checklist (ticks only) never marks the
    // unticked rows "not in place".
    let mut old: Vec<(String, String)> = vec![("version".into(), back.version.to_string())];
    for (k, v) in form.iter().filter(|(k, _)| k == "mitigation") {
        old.push((k.clone(), v.clone()));
    }
    old.push(("in_place".into(), "AML.M0019".into()));
    assert_eq!(
        post(&app, &format!("{page}/checklist"), &old)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let after = app.store.retrospective(&id).await.expect("stored");
    assert!(
        after
            .checklist
            .iter()
            .all(|c| c.state != CheckState::NotInPlace),
        "{:?}",
        after.checklist
    );
    // A state that is not one of the three is a 400 naming the field.
    let mut bad = form_of(&app.get(&page).await.1);
    set(&mut bad, "state-AML.M0019", "maybe");
    let res = post(&app, &format!("{page}/checklist"), &bad).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.expect("body").contains("state-AML.M0019"));
}

/// A database as the two-state checklist left it (migrations up to 0010),
/// then opened by this version.
#[tokio::test]
async fn rows_of_the_two_state_checklist_are_kept_and_unticked_ones_flagged() {
    let dir = tempfile::tempdir().expect("dir");
    let old_migrations = dir.path().join("migrations");
    std::fs::create_dir(&old_migrations).expect("mkdir");
    let backend = crate::support::test_backend();
    let folder = format!(
        "{}/migrations/{}",
        env!("CARGO_MANIFEST_DIR"),
        backend.name()
    );
    for entry in std::fs::read_dir(folder).expect("ls") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.as_bytes().first().is_some_and(u8::is_ascii_digit) && name < "0018" {
            std::fs::copy(&path, old_migrations.join(name)).expect("copy");
        }
    }
    let old = sqlx::migrate::Migrator::new(old_migrations.as_path())
        .await
        .expect("migrator");
    // An empty database of the run's backend, migrated up to 0017.
    let (url, conn, _postgres) = match backend {
        BackendKind::Sqlite => {
            let db = dir.path().join("old.db");
            let pool = sqlx::SqlitePool::connect_with(
                SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
                    .expect("url")
                    .create_if_missing(true),
            )
            .await
            .expect("connect");
            old.run(&pool).await.expect("old migrations");
            let url = db.to_str().expect("path").to_string();
            (url, RawDb::Sqlite(pool), None)
        }
        BackendKind::Postgres => {
            let database = crate::support::fresh_postgres_database()
                .await
                .expect("ATLASVIEW_TEST_POSTGRES for a PostgreSQL run");
            let pool = sqlx::PgPool::connect(&database.url).await.expect("connect");
            old.run(&pool).await.expect("old migrations");
            (database.url.clone(), RawDb::Postgres(pool), Some(database))
        }
    };
    conn.execute(
        "INSERT INTO incidents (id, title, kind, severity, status, atlas_release, created_at, updated_at)
         VALUES ('inc-old', 'Old review', 'incident', 'high', 'open', '5.6.0', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
        &[],
    )
    .await
    .expect("incident");
    for (m, in_place, note) in [
        ("AML.M0019", true, ""),
        ("AML.M0004", false, ""),
        ("AML.M0005", false, "No budget this year"),
    ] {
        conn.execute(
            "INSERT INTO incident_mitigations (incident_id, mitigation_id, in_place, note, updated_at, updated_by)
             VALUES ('inc-old', $1, $2, $3, '2025-01-02T00:00:00Z', 'alice')",
            &[m.into(), in_place.into(), note.into()],
        )
        .await
        .expect("row");
    }
    conn.close().await;

    let store = Store::connect(&url).await.expect("migrate");
    let saved = store.retrospective("inc-old").await.expect("read");
    let state = |m: &str| {
        let c = saved.check(m).expect("row kept");
        (c.state, c.unconfirmed)
    };
    assert_eq!(state("AML.M0019"), (CheckState::InPlace, false));
    assert_eq!(state("AML.M0004"), (CheckState::NotInPlace, true));
    assert_eq!(state("AML.M0005"), (CheckState::NotInPlace, false));
    // A save that makes no choice for the flagged row keeps it as it is; a
    // choice clears the flag.
    use atlasview::store::CheckInput;
    let keep = CheckInput {
        mitigation_id: "AML.M0004".into(),
        state: None,
        note: String::new(),
    };
    store
        .save_mitigation_checks("inc-old", std::slice::from_ref(&keep), 0, "bob")
        .await
        .expect("save");
    let kept = store.retrospective("inc-old").await.expect("read");
    let c = kept.check("AML.M0004").expect("row");
    assert_eq!((c.state, c.unconfirmed), (CheckState::NotInPlace, true));
    assert_eq!(c.updated_by, "alice");
    let confirm = CheckInput {
        state: Some(CheckState::NotInPlace),
        ..keep
    };
    store
        .save_mitigation_checks("inc-old", &[confirm], 1, "bob")
        .await
        .expect("save");
    let confirmed = store.retrospective("inc-old").await.expect("read");
    let c = confirmed.check("AML.M0004").expect("row");
    assert_eq!((c.state, c.unconfirmed), (CheckState::NotInPlace, false));
    assert_eq!(c.updated_by, "bob");
}

#[tokio::test]
async fn unconfirmed_rows_are_shown_as_such_with_no_choice_made() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = incident(&app).await;
    let page = format!("/incidents/{id}/retrospective");
    // What migration 0018 leaves for an unticked row without a note.
    let conn = app.other_connection().await;
    conn.execute(
        "INSERT INTO incident_mitigations (incident_id, mitigation_id, in_place, state, unconfirmed, note, updated_at, updated_by)
         VALUES ($1, 'AML.M0019', FALSE, 'not_in_place', TRUE, '', '2025-01-02T00:00:00Z', 'alice')",
        &[(&id).into()],
    )
    .await
    .expect("row");
    conn.close().await;
    let (_, html) = app.get(&page).await;
    let text = text_of(&html);
    assert!(
        text.contains("unconfirmed: saved by the old checklist"),
        "{text}"
    );
    assert!(text.contains("please confirm them"), "{text}");
    let form = form_of(&html);
    assert!(
        !form.iter().any(|(k, _)| k == "state-AML.M0019"),
        "{form:?}"
    );
}

#[tokio::test]
async fn review_notes_render_task_lists() {
    let app = TestApp::spawn().await;
    let id = incident(&app).await;
    let page = format!("/incidents/{id}/retrospective");
    let body: Vec<(String, String)> = [
        ("version", "0"),
        ("went_well", ""),
        ("to_improve", ""),
        (
            "actions",
            "- [x] Rotate the API keys @sam.soc\n- [ ] Add output filtering @alice",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        post(&app, &format!("{page}/notes"), &body).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.get(&page).await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(".prose li input[type='checkbox'][disabled]").unwrap();
    let boxes: Vec<bool> = doc
        .select(&sel)
        .map(|e| e.value().attr("checked").is_some())
        .collect();
    assert_eq!(boxes, [true, false], "{html}");
    let notes = select_text(&html, ".r-note-section .prose");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Add output filtering @alice")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .all(|n| !n.contains("[ ]") && !n.contains("[x]")),
        "{notes:?}"
    );
}
