//! Accounts, roles, tokens, sessions, CSRF, headers, limits and the audit log.

use atlasview::domain::auth::Role;
use atlasview::store::AuditQuery;
use atlasview::web::WebConfig;
use atlasview::web::middleware::security_headers::CONTENT_SECURITY_POLICY;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, shared_atlas, token_client};

fn incident() -> Value {
    json!({"title": "Model theft attempt", "steps": [{"tactic": "AML.TA0005", "technique": "AML.T0051"}]})
}

#[tokio::test]
async fn each_role_can_do_exactly_what_it_may() {
    let app = TestApp::spawn().await;
    let viewer = app.client_as(Role::Viewer).await;
    let analyst = app.client_as(Role::Analyst).await;
    let admin = &app.client;

    // Reading: everyone.
    for client in [&viewer, &analyst, admin] {
        for path in [
            "/matrix",
            "/incidents",
            "/api/v1/incidents",
            "/techniques/AML.T0051",
            "/account",
        ] {
            let s = client.get(app.url(path)).send().await.unwrap().status();
            assert_eq!(s, StatusCode::OK, "{path}");
        }
    }
    // Writing incidents: analyst and admin; the viewer gets a JSON 403.
    let res = viewer
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("analyst"),
        "{body}"
    );
    let res = viewer.get(app.url("/incidents/new")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("needs the analyst role"));
    for client in [&analyst, admin] {
        let s = client
            .post(app.url("/api/v1/incidents"))
            .json(&incident())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(s, StatusCode::CREATED);
    }
    // Administration: admin only.
    for (client, expected) in [(&viewer, 403), (&analyst, 403), (admin, 200)] {
        for path in [
            "/admin",
            "/admin/users",
            "/admin/audit",
            "/admin/audit.jsonl",
        ] {
            let s = client.get(app.url(path)).send().await.unwrap().status();
            assert_eq!(s.as_u16(), expected, "{path}");
        }
    }
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let s = analyst
        .post(app.url("/api/v1/case-studies/import"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let s = admin
        .post(app.url("/api/v1/case-studies/import"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn anonymous_requests_are_sent_to_sign_in_or_get_401() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let res = anon.get(app.url("/matrix?ids=1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=%2Fmatrix%3Fids%3D1");
    let res = anon.get(app.url("/api/v1/incidents")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    assert!(
        res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    // Public: the login page, static files and the health check.
    for path in ["/login", "/static/app.css", "/healthz"] {
        assert_eq!(
            anon.get(app.url(path)).send().await.unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
    // The setup page only exists while there is no account.
    let res = anon.get(app.url("/setup")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn public_read_lets_anonymous_visitors_read_but_not_write() {
    let app = TestApp::spawn_with(WebConfig {
        public_read: true,
        ..WebConfig::default()
    })
    .await;
    let anon = app.anonymous();
    assert_eq!(
        anon.get(app.url("/matrix")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        anon.get(app.url("/api/v1/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let s = anon
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anon.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn revoked_expired_and_unknown_tokens_fail_and_token_roles_are_capped() {
    let app = TestApp::spawn().await;
    let analyst_user = app.store.user_by_name("admin").await.unwrap().unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    let (token, prefix) = atlasview::service::accounts::create_token(
        &app.store,
        &analyst_user,
        Role::Viewer,
        "ci",
        None,
    )
    .await
    .unwrap();
    let anon = app.anonymous();
    let get = |t: String| {
        anon.get(app.url("/api/v1/incidents"))
            .header("authorization", t)
            .send()
    };
    assert_eq!(get(bearer(&token)).await.unwrap().status(), StatusCode::OK);
    // Viewer token of an admin user: still only a viewer.
    let s = anon
        .post(app.url("/api/v1/incidents"))
        .header("authorization", bearer(&token))
        .json(&incident())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::FORBIDDEN);

    app.store.revoke_token(&prefix, None).await.unwrap();
    assert_eq!(
        get(bearer(&token)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(bearer("atv_deadbeef_nope")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // A bad token on an HTML page is a 401 too, not a redirect to sign in.
    let s = anon
        .get(app.url("/matrix"))
        .header("authorization", bearer("nope"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let expired = "atv_expired0_secretsecretsecret";
    app.store
        .create_token(
            &analyst_user.id,
            "old",
            "expired0",
            &atlasview::service::accounts::secret_hash(expired),
            Role::Admin,
            Some(chrono::Utc::now() - chrono::Duration::days(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        get(bearer(expired)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // A viewer cannot mint an analyst token for themselves (signed in: a
    // token cannot create tokens at all).
    let _ = app.client_as(Role::Viewer).await;
    let (viewer, _) = app.sign_in("viewer", PASSWORD).await;
    let res = app
        .post_encoded_as(&viewer, "/account/tokens", "name=x&role=analyst&expires=")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_encoded_as(
            &viewer,
            "/account/tokens",
            "name=mine&role=viewer&expires=30",
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = res.text().await.unwrap();
    let start = page.find("atv_").unwrap();
    let shown: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(shown.len() > 30, "the new token is shown once: {shown}");
    assert_eq!(get(bearer(&shown)).await.unwrap().status(), StatusCode::OK);
    // Listed by prefix only afterwards.
    let (_, again) = app.get_with(&viewer, "/account").await;
    assert!(!again.contains(&shown));
}

#[tokio::test]
async fn sign_in_renews_the_session_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let (_, status) = app.sign_in("admin", "wrong-password-123").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let client = app.anonymous();
    // A session ID planted before sign-in (fixation) must not survive it.
    let planted = "planted-session-id";
    let res = client
        .post(app.url("/login"))
        .header("cookie", format!("atlasview_session={planted}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username=admin&password={PASSWORD}&next=%2Fincidents"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/incidents");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains(planted),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not over HTTPS here");
    assert_eq!(
        client
            .get(app.url("/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Open redirects are not followed.
    let (evil, _) = {
        let c = app.anonymous();
        let r = app
            .post_encoded_as(
                &c,
                "/login",
                format!("username=admin&password={PASSWORD}&next=%2F%2Fevil.example"),
            )
            .await;
        (r.headers()["location"].to_str().unwrap().to_string(), c)
    };
    assert_eq!(evil, "/");

    let res = client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        client
            .get(app.url("/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );

    let (entries, _) = app
        .store
        .audit_entries(&AuditQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"login.failed")
            && actions.contains(&"login")
            && actions.contains(&"logout"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn https_mode_sets_secure_cookies_and_hsts() {
    let app = TestApp::spawn_with(WebConfig {
        https: true,
        ..WebConfig::default()
    })
    .await;
    let client = app.anonymous();
    let res = app
        .post_encoded_as(
            &client,
            "/login",
            format!("username=admin&password={PASSWORD}"),
        )
        .await;
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_client() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute: 3,
        ..WebConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.sign_in("admin", "wrong-password-123").await.1,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.sign_in("admin", PASSWORD).await.1,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_same_site_ones_pass() {
    let app = TestApp::spawn().await;
    let (client, _) = app.sign_in("admin", PASSWORD).await;
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = client
            .post(app.url("/incidents"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("title=Forged&kind=incident&severity=low&status=open");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let res = post(vec![
        ("origin", "http://evil.example".into()),
        ("sec-fetch-site", "cross-site".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("another site"));
    let res = post(vec![("origin", "http://evil.example".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(vec![
        ("origin", app.base.clone()),
        ("sec-fetch-site", "same-origin".into()),
    ])
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a same-origin form post works"
    );
    // Token-authenticated API calls are exempt (the token is not an ambient credential).
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("origin", "http://integration.example")
        .json(&incident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn every_html_response_carries_the_security_headers_and_no_inline_code() {
    let app = TestApp::spawn().await;
    let (_, created) = {
        let r = app
            .client
            .post(app.url("/api/v1/incidents"))
            .json(&incident())
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let id = created["id"].as_str().unwrap();
    assert!(
        !CONTENT_SECURITY_POLICY.contains("unsafe-inline")
            && !CONTENT_SECURITY_POLICY.contains("unsafe-eval")
    );
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
    }
    let anon = app.anonymous();
    let pages: Vec<(reqwest::Client, String)> = [
        "/matrix",
        "/matrix?subtechniques=all",
        "/incidents",
        "/incidents/new",
        &format!("/incidents/{id}"),
        &format!("/incidents/{id}/edit"),
        "/techniques/AML.T0051",
        "/tactics/AML.TA0002",
        "/mitigations/AML.M0000",
        "/atlas/releases",
        "/admin",
        "/admin/users",
        "/admin/audit",
        "/account",
        "/no/such/page",
    ]
    .iter()
    .map(|p| (app.client.clone(), p.to_string()))
    .chain(["/login"].iter().map(|p| (anon.clone(), p.to_string())))
    .collect();
    for (client, path) in pages {
        let res = client.get(app.url(&path)).send().await.unwrap();
        let h = res.headers().clone();
        assert_eq!(
            h["content-security-policy"], CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
        let html = res.text().await.unwrap();
        let doc = scraper::Html::parse_document(&html);
        let inline_scripts = doc
            .select(&scraper::Selector::parse("script:not([src])").unwrap())
            .count();
        let styled = doc
            .select(&scraper::Selector::parse("[style], style").unwrap())
            .count();
        assert_eq!(
            (inline_scripts, styled),
            (0, 0),
            "{path} has inline script or style"
        );
        let handlers =
            html.contains(" onload=") || html.contains(" onclick=") || html.contains(" onerror=");
        assert!(!handlers, "{path} has inline event handlers");
    }
}

#[tokio::test]
async fn oversize_bodies_get_413() {
    let app = TestApp::spawn().await;
    let big_form = format!("title=x&summary={}", "a".repeat(2 * 1024 * 1024));
    let res = app
        .post_encoded_as(&app.client, "/incidents", big_form)
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let big_json = json!({"title": "x", "summary": "b".repeat(2 * 1024 * 1024)});
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&big_json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_audit_log_records_who_changed_what_and_is_append_only() {
    let app = TestApp::spawn().await;
    let analyst = app.client_as(Role::Analyst).await;
    let created: Value = analyst
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let s = analyst
        .delete(app.url(&format!("/api/v1/incidents/{id}")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::NO_CONTENT);
    // A refused write is not recorded as a change.
    let viewer = app.client_as(Role::Viewer).await;
    let _ = viewer
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap();

    let (entries, _) = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("incident.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let summary: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(summary, [("incident.delete", id), ("incident.create", id)]);
    let create = &entries[1];
    assert!(
        create.actor.starts_with("analyst (token "),
        "{}",
        create.actor
    );
    assert!(
        create.at.ends_with('Z') && create.at.len() >= 20,
        "{}",
        create.at
    );
    assert_eq!(create.ip, "127.0.0.1");

    // Admins read and export it.
    let page = app
        .client
        .get(app.url("/admin/audit?action=incident.create"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(id) && page.contains("analyst (token"));
    let jsonl = app
        .client
        .get(app.url("/admin/audit.jsonl?actor=admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["actor"], "admin");
    }
    let s = app
        .client
        .get(app.url("/admin/audit?from=yesterday"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // The database itself refuses to rewrite history.
    let pool = app.other_connection().await;
    assert!(
        pool.execute("UPDATE audit_log SET actor = 'nobody'", &[])
            .await
            .is_err()
    );
    assert!(pool.execute("DELETE FROM audit_log", &[]).await.is_err());
}

#[tokio::test]
async fn admins_manage_users_from_the_admin_pages() {
    let app = TestApp::spawn().await;
    let form = |body: String| app.post_encoded_as(&app.client, "/admin/users", body);
    let res = form("username=bob&role=analyst&password=short".into()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("at least 12"));
    let res = form(format!("username=bob&role=analyst&password={PASSWORD}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (bob, status) = app.sign_in("bob", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        bob.get(app.url("/incidents/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let change = |body: &'static str| app.post_encoded_as(&app.client, "/admin/users/bob", body);
    assert_eq!(
        change("role=viewer&disabled=false").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob.get(app.url("/incidents/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        change("role=viewer&disabled=true").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob.get(app.url("/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER,
        "disabled: signed out"
    );
    assert_eq!(
        app.sign_in("bob", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );
    // Admins cannot lock themselves out.
    let res = app
        .post_encoded_as(
            &app.client,
            "/admin/users/admin",
            "role=viewer&disabled=false",
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Every `/account` route × principal: sessions manage their account; tokens
/// (of any role, and especially one below its user's role) may read the
/// account page but never create tokens, revoke them or change the password.
#[tokio::test]
async fn account_routes_by_principal_table() {
    let app = TestApp::spawn().await;
    let _ = app.client_as(Role::Analyst).await;
    let (admin_session, _) = app.sign_in("admin", PASSWORD).await;
    let (analyst_session, _) = app.sign_in("analyst", PASSWORD).await;
    let principals: Vec<(&str, reqwest::Client, bool)> = vec![
        ("admin session", admin_session, true),
        ("analyst session", analyst_session, true),
        (
            "admin's viewer token",
            token_client(&app.token_of("admin", Role::Viewer).await),
            false,
        ),
        (
            "admin's analyst token",
            token_client(&app.token_of("admin", Role::Analyst).await),
            false,
        ),
        (
            "analyst's viewer token",
            token_client(&app.token_of("analyst", Role::Viewer).await),
            false,
        ),
        (
            "admin's admin token",
            token_client(&app.token_of("admin", Role::Admin).await),
            false,
        ),
    ];
    for (who, client, session) in &principals {
        let tokens_before = app.store.list_tokens(None).await.unwrap().len();
        let res = client.get(app.url("/account")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{who}: GET /account");
        let page = res.text().await.unwrap();
        assert_eq!(
            page.contains("action=\"/account/tokens\""),
            *session,
            "{who}: the token form is offered to sessions only"
        );
        let cases: [(&str, String, u16); 3] = [
            ("/account/tokens", "name=x&role=admin&expires=".into(), 422),
            ("/account/tokens/revoke", "prefix=nosuchtoken".into(), 404),
            (
                "/account/password",
                format!("current_password={PASSWORD}&password=short"),
                422,
            ),
        ];
        for (path, body, session_status) in cases {
            let status = app
                .same_origin_form(client, path, &body)
                .await
                .status()
                .as_u16();
            let expected = if *session { session_status } else { 403 };
            // An analyst may not mint an admin token either; an admin may.
            let expected = if *session && path == "/account/tokens" && *who == "admin session" {
                201
            } else {
                expected
            };
            assert_eq!(status, expected, "{who}: POST {path}");
        }
        let minted = app.store.list_tokens(None).await.unwrap().len() - tokens_before;
        assert_eq!(minted, usize::from(*who == "admin session"), "{who}");
    }
    // The password is unchanged: the old one still signs in.
    assert_eq!(
        app.sign_in("admin", PASSWORD).await.1,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_reduced_token_cannot_take_over_its_owners_account() {
    let app = TestApp::spawn().await;
    let viewer_token = token_client(&app.token_of("admin", Role::Viewer).await);
    let res = app
        .same_origin_form(&viewer_token, "/account/tokens", "name=x&role=admin")
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("sign in with your password")
    );
    let res = app
        .same_origin_form(
            &viewer_token,
            "/account/password",
            "password=attacker-chosen-passphrase-42",
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.sign_in("admin", PASSWORD).await.1,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_in("admin", "attacker-chosen-passphrase-42")
            .await
            .1,
        StatusCode::UNAUTHORIZED
    );
    // Its reads are still a viewer's.
    let s = viewer_token
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let (here, _) = app.sign_in("admin", PASSWORD).await;
    let (elsewhere, _) = app.sign_in("admin", PASSWORD).await;
    let new = "violet-harbour-lantern-77";
    // Without the current password, or with a wrong one: 422 naming the field.
    for body in [
        format!("password={new}"),
        format!("current_password=wrong-password-123&password={new}"),
    ] {
        let res = app
            .same_origin_form(&here, "/account/password", &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("current_password"));
    }
    let res = app
        .same_origin_form(
            &here,
            "/account/password",
            &format!("current_password={PASSWORD}&password={new}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = app.get_with(&here, &location).await;
    assert!(
        page.contains("Password changed") && page.contains("1 other session has been signed out"),
        "{page}"
    );
    // This session goes on; the other one has ended.
    assert_eq!(
        here.get(app.url("/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        elsewhere
            .get(app.url("/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.sign_in("admin", new).await.1, StatusCode::SEE_OTHER);
    assert_eq!(
        app.sign_in("admin", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );
}

/// Headers a browser attaches by itself must not switch the cross-site check
/// off for a request that its session cookie authenticates.
#[tokio::test]
async fn csrf_is_checked_for_cookie_requests_whatever_authorization_they_carry() {
    let app = TestApp::spawn().await;
    let (browser, _) = app.sign_in("admin", PASSWORD).await;
    let count = || async {
        app.store
            .list_incidents(&Default::default())
            .await
            .unwrap()
            .total
    };
    let before = count().await;
    let forged = |authorization: Option<&'static str>, origin: &'static str| {
        let mut req = browser
            .post(app.url("/incidents"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body("title=Forged&kind=incident&severity=low&status=open");
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        req.send()
    };
    for auth in [
        Some("Basic YWxpY2U6c2VjcmV0"),
        Some("Negotiate YIIFyQYGKwYBBQUCoIIFvTCCBbmgMDAuBgkqhkiC9xIBAgIG"),
        Some("Bearer atv_bogus_token"),
        None,
    ] {
        let status = forged(auth, "http://evil.example").await.unwrap().status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED,
            "{auth:?}: {status}"
        );
    }
    // A sandboxed or privacy-redirected page sends `Origin: null`.
    let status = forged(None, "null").await.unwrap().status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status = forged(Some("Basic YWxpY2U6c2VjcmV0"), "null")
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A valid token with the session cookie beside it is checked too.
    let token = app.token_of("admin", Role::Admin).await;
    let res = browser
        .post(app.url("/api/v1/incidents"))
        .header("authorization", format!("Bearer {token}"))
        .header("origin", "http://evil.example")
        .json(&incident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, before, "nothing was written");
}

#[tokio::test]
async fn setup_is_refused_once_an_account_exists_and_rate_limited() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let res = app
        .same_origin_form(
            &anon,
            "/setup",
            "username=intruder&password=violet-harbour-lantern-77",
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("already set up"));
    assert!(app.store.user_by_name("intruder").await.unwrap().is_none());
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.same_origin_form(&anon, "/setup", "username=x&password=y")
                .await
                .status(),
        );
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_fresh_database_takes_the_first_admin_from_this_machine_or_with_the_setup_token() {
    let app = TestApp::spawn_empty(WebConfig {
        setup_token: Some("one-time-setup-token".to_string()),
        ..WebConfig::default()
    })
    .await;
    let anon = app.anonymous();
    let (_, page) = app.get_with(&anon, "/setup").await;
    assert!(page.contains("name=\"setup_token\""));
    // A token that is offered must be right, even from this machine.
    let res = app
        .same_origin_form(
            &anon,
            "/setup",
            "username=root&password=violet-harbour-lantern-77&setup_token=guess",
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_users().await.unwrap(), 0);
    // A weak password is refused, naming the field.
    let res = app
        .same_origin_form(&anon, "/setup", "username=root&password=password1234")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("password"));
    let res = app
        .same_origin_form(
            &anon,
            "/setup",
            "username=root&password=violet-harbour-lantern-77&setup_token=one-time-setup-token",
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn accounts_lock_after_repeated_wrong_passwords_whatever_the_address_limit() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute: 0,
        ..WebConfig::default()
    })
    .await;
    let _ = app.client_as(Role::Analyst).await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("admin", "wrong-password-123").await.1,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked now, even with the right password; other accounts are not.
    assert_eq!(
        app.sign_in("admin", PASSWORD).await.1,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.sign_in("analyst", PASSWORD).await.1,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    for weak in [
        "aaaaaaaaaaaa",
        "++++++++++++",
        "password1234",
        "123456789012",
        "bobbobbob-the-builder",
    ] {
        let body = serde_html_form::to_string([
            ("username", "bob"),
            ("role", "analyst"),
            ("password", weak),
        ])
        .unwrap();
        let res = app
            .same_origin_form(&app.client, "/admin/users", &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(res.text().await.unwrap().contains("password"), "{weak}");
    }
    let spaces = "username=bob&role=analyst&password=++++++++++++";
    let res = app
        .same_origin_form(&app.client, "/admin/users", spaces)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "twelve spaces"
    );
    assert!(app.store.user_by_name("bob").await.unwrap().is_none());
}

#[tokio::test]
async fn sign_in_follows_only_same_origin_paths() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute: 0,
        ..WebConfig::default()
    })
    .await;
    let cases = [
        ("%2F%09%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("%2F%252F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%0A%2Fevil.example", "/"),
        ("%2F+%2Fevil.example", "/"),
        ("%2Fincidents%3Fstatus%3Dopen", "/incidents?status=open"),
    ];
    for (next, expected) in cases {
        let body = format!("username=admin&password={PASSWORD}&next={next}");
        let res = app.post_encoded_as(&app.anonymous(), "/login", body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(res.headers()["location"], expected, "{next}");
    }
    // The sign-in page carries only a safe value into its form.
    let page = app
        .anonymous()
        .get(app.url("/login?next=%2F%09%2Fevil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"next\" value=\"/\""), "{page}");
}

/// A route's path with every `{param}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_declared_route_has_a_guard_that_the_server_enforces() {
    use atlasview::domain::auth::Capability;
    use atlasview::web::extract::auth::Access;

    let routes = atlasview::web::all_routes();
    let table = routes.table();
    assert!(table.len() > 60, "only {} routes declared", table.len());
    // Guards that say what the paths say: admin pages need an admin
    // capability, form pages the writer's, the account its owner.
    for entry in table {
        let p = entry.path.as_str();
        let needs = |cap| entry.access == Access::Can(cap);
        if p.starts_with("/admin") {
            assert!(
                matches!(entry.access, Access::Can(c) if !Role::Analyst.can(c)),
                "{p}: {:?}",
                entry.access
            );
        }
        if p.starts_with("/incidents") && (p.ends_with("/new") || p.ends_with("/edit")) {
            assert!(needs(Capability::WriteIncidents), "{p}");
        }
        if p.starts_with("/account") {
            assert!(
                matches!(entry.access, Access::SignedIn | Access::Session),
                "{p}"
            );
        }
        if entry.access == Access::Public {
            assert!(
                [
                    "/login",
                    "/setup",
                    "/healthz",
                    "/readyz",
                    "/api",
                    "/api/v1/openapi.json",
                    "/favicon.ico",
                    "/static/{*path}"
                ]
                .contains(&p),
                "{p} is public"
            );
        }
    }

    // Every guarded route refuses an anonymous caller, and every route that
    // needs more than reading refuses a viewer, whatever the method.
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let viewer = app.client_as(Role::Viewer).await;
    for entry in table.iter().filter(|e| e.access != Access::Public) {
        let url = app.url(&concrete(&entry.path));
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let status = anon
                .request(method.clone(), &url)
                .header("origin", app.url(""))
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                matches!(status.as_u16(), 303 | 401 | 403 | 405),
                "anonymous {method} {}: {status}",
                entry.path
            );
            let readable_twin = table.iter().any(|e| {
                e.path == entry.path && matches!(e.access, Access::Can(c) if Role::Viewer.can(c))
            });
            if let Access::Can(cap) = entry.access
                && !Role::Viewer.can(cap)
                && !readable_twin
            {
                let status = viewer
                    .request(method.clone(), &url)
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert!(
                    matches!(status.as_u16(), 403 | 405),
                    "viewer {method} {}: {status}",
                    entry.path
                );
            }
        }
    }
}

/// Write controls (links to forms and the forms that post) a page offers.
fn write_controls(html: &str) -> Vec<&'static str> {
    [
        "href=\"/incidents/new\"",
        "href=\"/incidents/import\"",
        "/edit\"",
        "/steps/new\"",
        "/delete\"",
        "/move\"",
        "href=\"/incidents/layer/import\"",
    ]
    .into_iter()
    .filter(|needle| html.contains(needle))
    .collect()
}

#[tokio::test]
async fn pages_offer_each_role_only_the_controls_it_may_use() {
    let app = TestApp::spawn_with(WebConfig {
        public_read: true,
        ..WebConfig::default()
    })
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&incident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pages = [
        "/incidents".to_string(),
        format!("/incidents/{id}"),
        "/matrix".into(),
    ];
    let viewer = app.client_as(Role::Viewer).await;
    let analyst = app.client_as(Role::Analyst).await;
    let anon = app.anonymous();
    for page in &pages {
        let html = |client: reqwest::Client| {
            let url = app.url(page);
            async move {
                let res = client.get(url).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                res.text().await.unwrap()
            }
        };
        let anon_html = html(anon.clone()).await;
        assert_eq!(
            write_controls(&anon_html),
            Vec::<&str>::new(),
            "anonymous {page}"
        );
        assert!(anon_html.contains("href=\"/login\""), "anonymous {page}");
        for absent in ["href=\"/admin\"", "href=\"/account\"", "action=\"/logout\""] {
            assert!(!anon_html.contains(absent), "anonymous {page}: {absent}");
        }
        let viewer_html = html(viewer.clone()).await;
        assert_eq!(
            write_controls(&viewer_html),
            Vec::<&str>::new(),
            "viewer {page}"
        );
        assert!(!viewer_html.contains("href=\"/admin\""), "viewer {page}");
        assert!(
            viewer_html.contains("href=\"/account\"") && viewer_html.contains("action=\"/logout\""),
            "viewer {page}: {}",
            &viewer_html[viewer_html.find("session-nav").unwrap_or(0)..][..600]
        );
        assert!(
            viewer_html.contains("class=\"role-badge\">Viewer<"),
            "viewer {page}"
        );
        let analyst_html = html(analyst.clone()).await;
        assert!(!write_controls(&analyst_html).is_empty(), "analyst {page}");
        assert!(!analyst_html.contains("href=\"/admin\""), "analyst {page}");
        assert!(
            analyst_html.contains("class=\"session-name\">analyst<"),
            "analyst {page}"
        );
        let admin_html = html(app.client.clone()).await;
        assert!(admin_html.contains("href=\"/admin\""), "admin {page}");
        assert!(
            admin_html.contains("class=\"role-badge\">Admin<"),
            "admin {page}"
        );
    }
}
