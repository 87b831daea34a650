//! The analyst's day (issue 13), second part: downloads that download, the
//! matrix search by earlier names, reordering in one action, case-study
//! pages with their attack path, and the no-JavaScript safety of destructive
//! actions and form reloads.

use crate::incident_pages::{add_step, create, version_on};
use crate::support::{TestApp, shared_atlas};

/// The `Content-Disposition` of a GET that must answer 200.
async fn disposition(app: &TestApp, path: &str) -> String {
    let res = app.client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(res.status().as_u16(), 200, "{path}");
    res.headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// An incident titled `title` with the steps `techniques` (tactics filled
/// from single-tactic techniques), on ATLAS 5.6.0.
async fn incident_with(app: &TestApp, title: &str, techniques: &[&str]) -> String {
    let id = create(app, &[("title", title)]).await;
    for t in techniques {
        let version = version_on(app, &format!("/incidents/{id}/steps/new")).await;
        add_step(app, &id, &[("technique", t), ("version", &version)]).await;
    }
    id
}

#[tokio::test]
async fn every_download_is_an_attachment_with_a_meaningful_name_unless_inline_is_asked() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = incident_with(&app, "Mail: prompt injection!", &["AML.T0051.001"]).await;
    let named = |what: &str| format!("attachment; filename=\"{id}-mail-prompt-injection-{what}\"");
    for (path, what) in [
        (format!("/incidents/{id}/story.svg"), "story.svg"),
        (format!("/incidents/{id}/story.svg?lanes=all"), "story.svg"),
        (format!("/incidents/{id}/matrix.svg"), "matrix.svg"),
        (format!("/incidents/{id}/layer.json"), "layer.json"),
        (
            format!("/incidents/{id}/case-study.yaml"),
            "case-study.yaml",
        ),
    ] {
        assert_eq!(disposition(&app, &path).await, named(what), "{path}");
    }
    assert_eq!(
        disposition(&app, "/matrix.svg?metric=steps").await,
        "attachment; filename=\"atlasview-matrix.svg\""
    );
    assert_eq!(
        disposition(&app, "/matrix/layer.json").await,
        "attachment; filename=\"atlasview-matrix-layer.json\""
    );
    // `inline=1` shows the same picture in place (an <img>, a preview).
    for (path, name) in [
        (
            format!("/incidents/{id}/story.svg?inline=1"),
            format!("{id}-mail-prompt-injection-story.svg"),
        ),
        (
            format!("/incidents/{id}/matrix.svg?inline=1"),
            format!("{id}-mail-prompt-injection-matrix.svg"),
        ),
        (
            "/matrix.svg?inline=1&metric=steps".to_string(),
            "atlasview-matrix.svg".to_string(),
        ),
    ] {
        assert_eq!(
            disposition(&app, &path).await,
            format!("inline; filename=\"{name}\""),
            "{path}"
        );
    }
    // The same picture either way (the matrix cache serves both).
    let a = app.get("/matrix.svg?metric=steps").await.1;
    let b = app.get("/matrix.svg?metric=steps&inline=1").await.1;
    assert_eq!(a, b);
    // A bad flag is a 400 naming it.
    for path in [
        format!("/incidents/{id}/story.svg?inline=yes"),
        format!("/incidents/{id}/matrix.svg?inline=2"),
        "/matrix.svg?inline=true".to_string(),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("inline"), "{path}: {body}");
    }
}

/// ATLAS 4.8.0 as an older release that still called AML.T0056 by its
/// earlier name, "LLM Meta Prompt Extraction" (the stored 4.8.0 already says
/// "Extract LLM System Prompt"), stored beside the active 5.6.0.
async fn with_an_earlier_name() -> TestApp {
    let app = TestApp::spawn().await;
    let text = std::fs::read_to_string(shared_atlas("ATLAS-4.8.0.yaml")).expect("4.8.0");
    let older = text
        .replacen("\nversion: 4.8.0\n", "\nversion: 4.7.0\n", 1)
        .replacen(
            "name: Extract LLM System Prompt",
            "name: LLM Meta Prompt Extraction",
            1,
        );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ATLAS-4.7.0.yaml");
    std::fs::write(&path, older).expect("write fixture");
    app.import(&path).await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    assert_eq!(app.state.atlas.get().version(), "5.6.0");
    app
}

#[tokio::test]
async fn the_matrix_search_finds_ids_and_earlier_names_marks_them_and_clears() {
    use crate::incident_pages::{sel, texts};
    let app = with_an_earlier_name().await;
    let (status, body) = app.get("/matrix?search=meta+prompt+extraction").await;
    assert_eq!(status, 200);
    let doc = scraper::Html::parse_document(&body);
    let marked: Vec<String> = doc
        .select(&sel(".cell-match[data-technique]"))
        .filter_map(|c| c.value().attr("data-technique").map(str::to_string))
        .collect();
    assert_eq!(marked, ["AML.T0056"], "only the technique once called so");
    // Said in words above the matrix, with the earlier name and a way out.
    let hits = texts(&doc, ".matrix-search-hits li");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].contains("Extract LLM System Prompt")
            && hits[0].contains("AML.T0056")
            && hits[0].contains("earlier name: LLM Meta Prompt Extraction"),
        "{hits:?}"
    );
    let clear =
        crate::incident_pages::attr(&doc, "a.matrix-clear-search", "href").expect("clear link");
    assert!(!clear.contains("search="), "{clear}");
    let (_, cleared) = app.get(&clear.replace("&amp;", "&")).await;
    assert!(!cleared.contains("cell-match"));
    // Each matching cell carries the non-colour marker with a label.
    let cell = doc
        .select(&sel(".cell-match[data-technique='AML.T0056']"))
        .next()
        .expect("cell");
    assert!(cell.html().contains("marker marker-match"));
    assert!(cell.html().contains("matches the technique search"));
    // By ID, any case, and by the current name: no earlier-name note then.
    for search in ["aml.t0056", "t0056", "system+prompt"] {
        let (_, body) = app.get(&format!("/matrix?search={search}")).await;
        let doc = scraper::Html::parse_document(&body);
        let hits = texts(&doc, ".matrix-search-hits li");
        assert!(
            hits.iter().any(|h| h.contains("AML.T0056")),
            "{search}: {hits:?}"
        );
        assert!(hits.iter().all(|h| !h.contains("earlier name")), "{search}");
    }
    // Nothing found still says so, with the clear link.
    let (_, body) = app.get("/matrix?search=zzzz+nothing").await;
    assert!(body.contains("0 techniques"), "no-hit summary");
    assert!(body.contains("matrix-clear-search"));
    // The SVG export marks the one matching cell too.
    let (_, svg) = app.get("/matrix.svg?search=meta+prompt+extraction").await;
    assert_eq!(svg.matches("stroke-dasharray").count(), 1);
}

/// The step IDs on the incident in order.
async fn step_ids(app: &TestApp, id: &str) -> Vec<String> {
    use crate::incident_pages::sel;
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    doc.select(&sel("ol.inc-timeline > li.inc-step"))
        .filter_map(|li| li.value().attr("id"))
        .filter_map(|s| s.strip_prefix("step-"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_step_moves_to_any_position_in_one_action_and_a_stale_version_moves_nothing() {
    use crate::incident_pages::{attr, step_techniques};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let five = [
        "AML.T0000",
        "AML.T0051.001",
        "AML.T0069",
        "AML.T0056",
        "AML.T0048",
    ];
    let id = incident_with(&app, "Reorder", &five).await;
    let ids = step_ids(&app, &id).await;
    // Each step has a "move to" form listing positions 1 to 5, its own selected.
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let form = format!("form[action='/incidents/{id}/steps/{}/position']", ids[4]);
    let options =
        crate::incident_pages::texts(&doc, &format!("{form} select[name=position] option"));
    assert_eq!(options, ["1", "2", "3", "4", "5 (here)"]);
    let version = attr(&doc, &format!("{form} input[name=version]"), "value").unwrap();
    // The last step to position 2 in one POST.
    let action = format!("/incidents/{id}/steps/{}/position", ids[4]);
    let res = app
        .post_form(&action, &[("position", "2"), ("version", &version)])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/incidents/{id}#step-{}", ids[4]).as_str())
    );
    assert_eq!(
        step_techniques(&app, &id).await,
        [
            "AML.T0000",
            "AML.T0048",
            "AML.T0051.001",
            "AML.T0069",
            "AML.T0056"
        ]
    );
    // The same (now stale) version: 409, nothing moves.
    let first = format!("/incidents/{id}/steps/{}/position", ids[0]);
    let res = app
        .post_form(&first, &[("position", "5"), ("version", &version)])
        .await;
    assert_eq!(res.status, 409);
    assert!(
        res.body.contains("Someone else changed this incident"),
        "{}",
        res.body
    );
    assert_eq!(step_ids(&app, &id).await[0], ids[0]);
    // The first step to the end with the current version.
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let version = attr(&doc, "input[name=version]", "value").unwrap();
    let res = app
        .post_form(&first, &[("position", "5"), ("version", &version)])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        step_techniques(&app, &id).await,
        [
            "AML.T0048",
            "AML.T0051.001",
            "AML.T0069",
            "AML.T0056",
            "AML.T0000"
        ]
    );
    // Where it already is: nothing written, the version stays.
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let version = attr(&doc, "input[name=version]", "value").unwrap();
    let res = app
        .post_form(&first, &[("position", "5"), ("version", &version)])
        .await;
    assert_eq!(res.status, 303);
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    assert_eq!(attr(&doc, "input[name=version]", "value").unwrap(), version);
    // Bad positions are a 422 naming the field; unknown steps a 404.
    for bad in ["0", "-2", "two", "", "100000"] {
        let res = app
            .post_form(&first, &[("position", bad), ("version", &version)])
            .await;
        assert_eq!(res.status, 422, "{bad:?}");
        assert!(res.body.contains("position"), "{bad:?}: {}", res.body);
    }
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps/stp-nope/position"),
            &[("position", "1"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 404);
    // Past the end means last.
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps/{}/position", ids[4]),
            &[("position", "9"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(step_ids(&app, &id).await.last(), Some(&ids[4]));
    // A viewer cannot.
    let viewer = app.client_as(atlasview::domain::auth::Role::Viewer).await;
    let res = viewer
        .post(app.url(&first))
        .form(&[("position", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn deleting_a_step_without_javascript_asks_on_a_page_of_its_own() {
    use crate::incident_pages::{attr, step_techniques, texts};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = incident_with(&app, "Delete a step", &["AML.T0000", "AML.T0051.001"]).await;
    let ids = step_ids(&app, &id).await;
    // The incident page's Delete is a link to the confirmation page (the
    // script asks in place and posts the same form).
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let confirm = format!("/incidents/{id}/steps/{}/delete", ids[1]);
    let link = attr(&doc, &format!("a[href='{confirm}']"), "data-confirm-post").expect("link");
    assert!(link.contains("Delete step 2"), "{link}");
    assert_eq!(
        doc.select(&crate::incident_pages::sel(&format!(
            "form[action='{confirm}']"
        )))
        .count(),
        0,
        "no one-click delete form on the incident page"
    );
    // GET asks, names the step, deletes nothing.
    let (_, doc) = app.page(&confirm).await;
    assert_eq!(texts(&doc, "h1"), ["Delete step 2?"]);
    assert!(
        texts(&doc, ".lede")
            .join("")
            .contains("LLM Prompt Injection: Indirect")
    );
    assert_eq!(step_techniques(&app, &id).await.len(), 2);
    let version = attr(
        &doc,
        &format!("form[action='{confirm}'] input[name=version]"),
        "value",
    )
    .unwrap();
    assert_eq!(
        attr(&doc, "a.button-quiet[href*='#step-']", "href").as_deref(),
        Some(format!("/incidents/{id}#step-{}", ids[1]).as_str()),
        "cancel goes back to the step"
    );
    // Its POST deletes.
    let res = app.post_form(&confirm, &[("version", &version)]).await;
    assert_eq!(res.status, 303);
    assert_eq!(step_techniques(&app, &id).await, ["AML.T0000"]);
    // A deleted or unknown step's confirmation page is a 404.
    assert_eq!(app.get(&confirm).await.0, 404);
    assert_eq!(app.get("/incidents/inc-nope/steps/x/delete").await.0, 404);
}

#[tokio::test]
async fn the_tactic_reload_posts_the_form_so_free_text_never_reaches_a_url() {
    use crate::incident_pages::{attr, sel, texts};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = incident_with(&app, "Reload", &["AML.T0000"]).await;
    let step = step_ids(&app, &id).await.remove(0);
    for (path, reload) in [
        (
            format!("/incidents/{id}/steps/new"),
            format!("/incidents/{id}/steps/form"),
        ),
        (
            format!("/incidents/{id}/steps/{step}/edit"),
            format!("/incidents/{id}/steps/{step}/form"),
        ),
    ] {
        let (_, doc) = app.page(&path).await;
        let button = doc
            .select(&sel("button[data-reload]"))
            .next()
            .expect("reload button");
        assert_eq!(button.value().attr("formaction"), Some(reload.as_str()));
        assert_eq!(
            button.value().attr("formmethod"),
            None,
            "the form's own method: POST"
        );
        assert_eq!(
            attr(&doc, "form.inc-step-form", "method").as_deref(),
            Some("post")
        );
        // The reload keeps what was typed, narrows the list, writes nothing.
        let secret = "SYSPROMPT-CANARY leaked in OF-5521";
        let version = attr(&doc, "input[name=version]", "value").unwrap();
        let res = app
            .post_form(
                &reload,
                &[
                    ("tactic", "AML.TA0004"),
                    ("technique", ""),
                    ("description", secret),
                    ("evidence", secret),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        let doc = res.doc();
        assert_eq!(texts(&doc, "textarea[name=description]"), [secret]);
        assert_eq!(texts(&doc, "textarea[name=evidence]"), [secret]);
        assert_eq!(
            attr(&doc, "select[name=tactic] option[selected]", "value").as_deref(),
            Some("AML.TA0004")
        );
        assert!(doc.select(&sel("datalist[data-narrowed]")).next().is_some());
        assert_eq!(
            version_on(&app, &format!("/incidents/{id}/steps/new")).await,
            version,
            "nothing saved"
        );
    }
    // Nothing in the audit log for a reload: it is not a change.
    let (status, log) = app.get("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(
        !log.contains("/steps/form"),
        "a reload was logged as a change"
    );
}

#[tokio::test]
async fn save_and_add_another_goes_straight_to_the_next_empty_step_form() {
    use crate::incident_pages::{attr, step_techniques, texts};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let id = create(&app, &[("title", "Quick steps")]).await;
    let version = version_on(&app, &format!("/incidents/{id}/steps/new")).await;
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[
                ("technique", "t0051.001"),
                ("version", &version),
                ("next", "step"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let next = res.location.expect("Location");
    assert!(
        next.starts_with(&format!("/incidents/{id}/steps/new?added=")),
        "{next}"
    );
    let (_, doc) = app.page(next.split('#').next().unwrap()).await;
    assert_eq!(
        texts(&doc, ".inc-added"),
        ["Step 1 added: LLM Prompt Injection: Indirect. Add the next one, or see the attack path."]
    );
    assert_eq!(
        attr(&doc, "input[name=technique]", "value").as_deref(),
        Some("")
    );
    assert_eq!(step_techniques(&app, &id).await, ["AML.T0051.001"]);
    // An `added` naming no step of this incident shows no notice.
    let (_, doc) = app
        .page(&format!("/incidents/{id}/steps/new?added=stp-other"))
        .await;
    assert!(texts(&doc, ".inc-added").is_empty());
}

#[tokio::test]
async fn a_case_study_page_draws_its_attack_path_and_links_its_incident_copy() {
    use crate::incident_pages::{attr, sel};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    let cs = atlas
        .release
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0000")
        .expect("AML.CS0000");
    // Before the import: the picture, no incident copy to link.
    let (_, doc) = app.page("/studies/AML.CS0000").await;
    assert_eq!(doc.select(&sel("svg.story-svg")).count(), 1);
    let nodes: Vec<String> = doc
        .select(&sel("svg.story-svg a.story-node-link"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    let want: Vec<String> = (1..=cs.procedure.len())
        .map(|n| format!("/studies/AML.CS0000#procedure-{n}"))
        .collect();
    assert_eq!(nodes, want, "one node per procedure step, linking to it");
    for n in 1..=cs.procedure.len() {
        assert_eq!(doc.select(&sel(&format!("li#procedure-{n}"))).count(), 1);
    }
    assert!(attr(&doc, "a[data-incident-copy]", "href").is_none());
    // The picture as a download of its own.
    assert_eq!(
        disposition(&app, "/studies/AML.CS0000/story.svg").await,
        "attachment; filename=\"aml-cs0000-evasion-of-deep-learning-detector-for-malware-c-c-traffic-story.svg\""
    );
    assert!(
        disposition(&app, "/studies/AML.CS0000/story.svg?inline=1")
            .await
            .starts_with("inline;")
    );
    assert_eq!(app.get("/studies/AML.CS9999/story.svg").await.0, 404);
    // After importing the case studies: the page links its incident, which links back.
    let (status, body) = app
        .post_json("/api/v1/case-studies/import", &serde_json::json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let (_, doc) = app.page("/studies/AML.CS0000").await;
    assert_eq!(
        attr(&doc, "a[data-incident-copy]", "href").as_deref(),
        Some("/incidents/aml-cs0000")
    );
    let (_, incident) = app.page("/incidents/aml-cs0000").await;
    assert!(
        incident
            .select(&sel("a[href='/studies/AML.CS0000']"))
            .next()
            .is_some(),
        "the incident links back to its case study"
    );
}

#[tokio::test]
async fn deleting_a_rule_or_revoking_a_token_without_javascript_asks_on_a_page_of_its_own() {
    use crate::incident_pages::{attr, sel, texts};
    use atlasview::domain::auth::Role;
    let app = TestApp::spawn().await;
    let res = app
        .post_form(
            "/admin/ingest/rules",
            &[
                ("name", "per model"),
                ("fields", "model.name"),
                ("window", "1h"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // The list's Delete asks GET for the confirmation page (the script posts instead).
    let (_, doc) = app.page("/admin/ingest").await;
    let form = doc
        .select(&sel("form[action='/admin/ingest/rules/delete']"))
        .next()
        .expect("delete form");
    assert_eq!(form.value().attr("method"), Some("get"));
    assert!(form.value().attr("data-confirm-then-post").is_some());
    let (_, doc) = app.page("/admin/ingest/rules/delete?name=per+model").await;
    assert_eq!(texts(&doc, "h1"), ["Delete the rule “per model”?"]);
    assert_eq!(
        attr(&doc, "form[method=post] input[name=name]", "value").as_deref(),
        Some("per model")
    );
    assert_eq!(
        app.store.list_rules().await.unwrap().len(),
        1,
        "asking deletes nothing"
    );
    let res = app
        .post_form("/admin/ingest/rules/delete", &[("name", "per model")])
        .await;
    assert_eq!(res.status, 303);
    assert!(app.store.list_rules().await.unwrap().is_empty());
    assert_eq!(
        app.get("/admin/ingest/rules/delete?name=per+model").await.0,
        404
    );
    let analyst = app.client_as(Role::Analyst).await;
    let res = analyst
        .get(app.url("/admin/ingest/rules/delete?name=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Tokens: the same, on the users page and on one's own account page.
    let admin = app.store.user_by_name("admin").await.unwrap().unwrap();
    let (_, prefix) =
        atlasview::service::accounts::create_token(&app.store, &admin, Role::Viewer, "wall", None)
            .await
            .unwrap();
    for (list, action) in [
        ("/admin/users", "/admin/tokens/revoke"),
        ("/account", "/account/tokens/revoke"),
    ] {
        let (status, body) = app.get(list).await;
        if status != 200 {
            // The account page needs a session, not a token: checked below.
            assert_eq!(list, "/account", "{status}: {body}");
            continue;
        }
        let doc = scraper::Html::parse_document(&body);
        let form = doc
            .select(&sel(&format!("form[action='{action}']")))
            .next()
            .expect("revoke form");
        assert_eq!(form.value().attr("method"), Some("get"), "{list}");
    }
    let (_, doc) = app
        .page(&format!("/admin/tokens/revoke?prefix={prefix}"))
        .await;
    assert!(texts(&doc, "h1")[0].starts_with(&format!("Revoke the token atv_{prefix}")));
    let tokens = app.store.list_tokens(None).await.unwrap();
    assert!(
        tokens
            .iter()
            .any(|t| t.prefix == prefix && t.revoked_at.is_none())
    );
    let res = app
        .post_form("/admin/tokens/revoke", &[("prefix", &prefix)])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        app.get(&format!("/admin/tokens/revoke?prefix={prefix}"))
            .await
            .0,
        404
    );
}
