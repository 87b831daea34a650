//! The first run without a browser: setup and user creation ask for the
//! password twice, the username pattern is one browsers accept, the admin
//! page imports a release and then its case studies from the web UI, and
//! the header names the signed-in user in a menu.

use reqwest::StatusCode;

use crate::knowledge_base::multipart;
use crate::support::{TestApp, shared_atlas};
use atlasview::web::WebConfig;

const STRONG: &str = "violet-harbour-lantern-77";

#[tokio::test]
async fn setup_and_new_users_need_the_same_password_twice() {
    let app = TestApp::spawn_empty(WebConfig::default()).await;
    let anon = app.anonymous();
    let (_, page) = app.get("/setup").await;
    assert!(
        page.contains(r#"pattern="[a-z0-9._\-]{2,40}""#),
        "a v-flag-valid pattern"
    );
    assert!(page.contains(r#"name="password_confirm""#));
    let res = app
        .same_origin_form(
            &anon,
            "/setup",
            &format!("username=root&password={STRONG}&password_confirm={STRONG}x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("class=\"form-error-box\""), "{html}");
    assert!(html.contains("the two passwords differ"), "{html}");
    assert!(html.contains("value=\"root\""), "the username is kept");
    assert_eq!(app.store.count_users().await.unwrap(), 0);
    let res = app
        .same_origin_form(
            &anon,
            "/setup",
            &format!("username=root&password={STRONG}&password_confirm={STRONG}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Signed in by the setup: the header's menu names the user and role.
    let (status, html) = {
        let res = anon.get(app.url("/")).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let summary: String = doc
        .select(&sel("details.user-menu > summary"))
        .flat_map(|e| e.text())
        .collect();
    assert!(
        summary.contains("root") && summary.contains("Admin"),
        "{summary}"
    );
    assert_eq!(
        doc.select(&sel(
            ".user-menu-panel a[href='/account'], .user-menu-panel form[action='/logout'] button"
        ))
        .count(),
        2
    );
    // A new user through the admin page: the same rule.
    let (_, users) = {
        let res = anon.get(app.url("/admin/users")).send().await.unwrap();
        ((), res.text().await.unwrap())
    };
    assert!(users.contains(r#"pattern="[a-z0-9._\-]{2,40}""#));
    assert!(users.contains(r#"name="password_confirm""#));
    let res = app
        .same_origin_form(
            &anon,
            "/admin/users",
            &format!(
                "username=sam.soc&role=analyst&password={STRONG}&password_confirm=other-{STRONG}"
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("the two passwords differ")
    );
    assert!(app.store.user_by_name("sam.soc").await.unwrap().is_none());
    let res = app
        .same_origin_form(
            &anon,
            "/admin/users",
            &format!("username=sam.soc&role=analyst&password={STRONG}&password_confirm={STRONG}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.store.user_by_name("sam.soc").await.unwrap().is_some());
}

#[tokio::test]
async fn the_admin_page_loads_a_release_and_then_its_case_studies() {
    let app = TestApp::spawn().await;
    // The built-in catalog has no case studies: the page offers the upload, not the CLI.
    let (_, page) = app.get("/admin").await;
    assert!(
        page.contains(r#"action="/admin/atlas/upload" enctype="multipart/form-data""#),
        "{page}"
    );
    assert!(page.contains(r#"action="/admin/atlas/sync""#));
    assert!(
        !page.contains("first.</p>"),
        "no 'use the command line first'"
    );
    let (ct, body) = multipart(
        "ATLAS-5.6.0.yaml",
        &std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).unwrap(),
    );
    let res = app
        .client
        .post(app.url("/admin/atlas/upload"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get("/admin").await;
    assert!(page.contains("Import 57 case studies"), "{page}");
    let res = app
        .post_encoded_as(&app.client, "/admin/case-studies/import", "")
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let (_, list) = app.get("/incidents?kind=case-study").await;
    assert!(list.contains("57"), "the case studies are incidents");
    // And the dashboard's first-run guide is gone.
    let (_, dash) = app.get("/").await;
    assert!(!dash.contains("class=\"first-steps\""));
}

#[tokio::test]
async fn a_fresh_dashboard_guides_the_first_steps() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get("/").await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(".first-steps-list li a.button").unwrap();
    let links: Vec<&str> = doc
        .select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(
        links,
        ["/admin#h-case-studies", "/incidents/new", "/admin/ingest"]
    );
    // A viewer is told who does each step instead.
    let viewer = app.client_as(atlasview::domain::auth::Role::Viewer).await;
    let (_, html) = app.get_with(&viewer, "/").await;
    assert!(html.contains("An administrator imports them under Admin."));
    assert!(
        !html.contains("href=\"/incidents/new\" class")
            && !html.contains("<a class=\"button\" href=\"/incidents/new\">")
    );
}
