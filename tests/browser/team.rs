//! Two analysts work an incident together in a real browser, without
//! JavaScript of ours: one assigns it to the other and gives her a task; she
//! finds it under "mine", comments, and completes the task; the timeline
//! tells who did what, and he is told of her work (the bell, the inbox).

use atlasview::domain::auth::Role;
use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp, user_with_token};

/// Fills the form matching `form` (`[name, value]` pairs, a `<select>` or an
/// input alike) and submits it with its button, as a user would.
const FILL_AND_SUBMIT: &str = r#"
const form = document.querySelector(arguments[0]);
for (const [name, value] of arguments[1]) { form.elements[name].value = value; }
form.querySelector("button[type='submit']").click();
return true;
"#;

/// The owner the incident page's facts name.
const OWNER: &str = r#"
const dt = [...document.querySelectorAll('dt')].find(d => d.textContent === 'Owner');
return dt ? dt.nextElementSibling.textContent : null;
"#;

async fn submit(browser: &Browser, form: &str, fields: Value, then: &str) {
    browser
        .js_with(FILL_AND_SUBMIT, vec![json!(form), fields])
        .await;
    browser.wait_for(then).await;
}

#[tokio::test]
async fn one_analyst_assigns_the_other_who_comments_and_completes_her_task() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    for name in ["omar", "priya"] {
        user_with_token(&app.store, name, Role::Analyst).await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "Poisoned fine-tuning set",
            "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]}))
        .send()
        .await
        .expect("create");
    let incident: Value = res.json().await.expect("JSON");
    let id = incident["id"].as_str().expect("id").to_string();
    let page = format!("/incidents/{id}");

    // Omar assigns the incident to Priya and gives her a task.
    browser.sign_in(&app, "omar", PASSWORD).await;
    browser.open(&app, &page).await;
    browser
        .js_with(
            FILL_AND_SUBMIT,
            vec![json!("form#assign"), json!([["owner", "priya"]])],
        )
        .await;
    // The page after the redirect names her as the owner.
    let mut owner = Value::Null;
    for _ in 0..100 {
        owner = browser.js(OWNER).await;
        if owner == "priya" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(owner, "priya", "owner shown on the incident page");
    submit(
        &browser,
        "form[action$='/tasks']",
        json!([
            ["title", "Find every model trained on the set"],
            ["owner", "priya"],
            ["due_on", "2030-01-31"]
        ]),
        ".team-task",
    )
    .await;

    // Priya finds it under "mine", comments, and completes her task.
    browser.sign_in(&app, "priya", PASSWORD).await;
    browser.open(&app, "/incidents?assigned=mine").await;
    let link = browser.wait_for(&format!("a[href='{page}']")).await;
    assert_eq!(
        link.text().await.expect("link text"),
        "Poisoned fine-tuning set"
    );
    browser.open(&app, "/incidents?assigned=unassigned").await;
    browser.wait_for("h1").await;
    assert!(!browser.text().await.contains("Poisoned fine-tuning set"));
    browser.open(&app, &page).await;
    submit(
        &browser,
        "form[action$='/comments']",
        json!([["body", "Three models used it: **retraining** them."]]),
        ".team-comment strong",
    )
    .await;
    assert!(
        browser
            .text()
            .await
            .contains("Three models used it: retraining them.")
    );
    browser.open(&app, "/tasks").await;
    assert!(
        browser
            .text()
            .await
            .contains("Find every model trained on the set")
    );
    submit(
        &browser,
        "form[action$='/status']",
        json!([["status", "done"]]),
        ".team-task-done",
    )
    .await;

    // The timeline, newest first: who did what.
    let activity: Vec<String> = browser
        .js("return [...document.querySelectorAll('.team-activity > li')].map(li => li.innerText.split('\\n')[0])")
        .await
        .as_array()
        .expect("entries")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let said = |who_what: &str| activity.iter().any(|a| a.starts_with(who_what));
    assert!(said("priya completed a task"), "{activity:?}");
    assert!(said("priya commented"), "{activity:?}");
    assert!(said("omar added a task"), "{activity:?}");
    assert!(said("omar changed the owner"), "{activity:?}");
    assert!(
        activity[0].starts_with("priya completed a task"),
        "{activity:?}"
    );

    // Omar is told: the bell in the header counts two, the inbox says what.
    browser.sign_in(&app, "omar", PASSWORD).await;
    browser.open(&app, "/incidents").await;
    let badge = browser.wait_for(".notify-badge").await;
    assert_eq!(badge.text().await.expect("badge"), "2");
    badge.click().await.expect("open the inbox");
    browser.wait_for(".notification-list").await;
    assert_eq!(browser.path().await, "/notifications");
    let told: Vec<String> = browser
        .js("return [...document.querySelectorAll('.notification > a')].map(a => a.textContent)")
        .await
        .as_array()
        .expect("notifications")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        told,
        [
            "priya completed the task “Find every model trained on the set” of “Poisoned fine-tuning set”",
            "priya commented on “Poisoned fine-tuning set”",
        ]
    );
    browser
        .js_with(
            FILL_AND_SUBMIT,
            vec![json!("form[action='/notifications/read-all']"), json!([])],
        )
        .await;
    // The page after the redirect: all read, no badge and no button left.
    let mut left = Value::Null;
    for _ in 0..100 {
        left = browser
            .js("return document.querySelectorAll(\".notify-badge, form[action='/notifications/read-all']\").length")
            .await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "all read: no badge");
    browser.close().await;
}
