//! The analyst's day (issue 13): the step form's technique picker that types,
//! and time inputs that take what people write.

use crate::incident_pages::{add_step, attr, create, step_techniques, texts, version_on};
use crate::support::{TestApp, shared_atlas};

/// An app with ATLAS 4.8.0 stored and 5.6.0 active (4.8.0 knows earlier names).
async fn two_releases() -> TestApp {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-4.8.0.yaml")).await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    assert_eq!(app.state.atlas.get().version(), "5.6.0");
    app
}

#[tokio::test]
async fn the_picker_accepts_any_spelling_of_an_id_names_and_earlier_names() {
    let app = two_releases().await;
    let id = create(&app, &[("title", "Picker")]).await;
    let new = format!("/incidents/{id}/steps/new");
    // No tactic given: each of these serves one tactic, which is filled in.
    for (typed, want) in [
        ("t0051.001", "AML.T0051.001"),
        ("aml.t0051", "AML.T0051"),
        ("llm prompt injection:  DIRECT", "AML.T0051.000"),
        ("Search Open Technical Databases", "AML.T0000"),
        // The 4.8.0 name of AML.T0000.
        (
            "Search for Victim's Publicly Available Research Materials",
            "AML.T0000",
        ),
        // The label the datalist shows, with the ID in brackets.
        ("AI Supply Chain Compromise (AML.T0010)", "AML.T0010"),
    ] {
        let version = version_on(&app, &new).await;
        add_step(
            &app,
            &id,
            &[("tactic", ""), ("technique", typed), ("version", &version)],
        )
        .await;
        let steps = step_techniques(&app, &id).await;
        assert_eq!(steps.last().map(String::as_str), Some(want), "{typed}");
    }
    let atlas = app.state.atlas.get();
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let shown = texts(&doc, "ol.inc-timeline > li .inc-step-head");
    assert!(
        shown[0].contains(&atlas.tactic("AML.TA0005").unwrap().name),
        "the tactic was taken from the technique: {shown:?}"
    );
}

#[tokio::test]
async fn a_technique_of_several_tactics_offers_only_its_tactics() {
    let app = two_releases().await;
    let id = create(&app, &[("title", "Several tactics")]).await;
    let version = version_on(&app, &format!("/incidents/{id}/steps/new")).await;
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[("technique", "valid accounts"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let doc = res.doc();
    assert!(res.body.contains("Tactic is required"));
    assert_eq!(
        attr(&doc, "input[name=technique]", "value").as_deref(),
        Some("AML.T0012"),
        "the typed name became its ID"
    );
    let offered: Vec<String> = doc
        .select(&crate::incident_pages::sel("select[name=tactic] option"))
        .filter_map(|o| o.value().attr("value"))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(offered, ["AML.TA0004", "AML.TA0012"]);
    assert_eq!(step_techniques(&app, &id).await.len(), 0, "nothing written");
}

#[tokio::test]
async fn the_picker_is_a_text_field_with_suggestions_including_earlier_names() {
    let app = two_releases().await;
    let id = create(&app, &[("title", "Suggestions")]).await;
    let (_, doc) = app.page(&format!("/incidents/{id}/steps/new")).await;
    assert_eq!(
        attr(&doc, "input[name=technique]", "list").as_deref(),
        Some("technique-options")
    );
    let labels = texts(&doc, "datalist#technique-options option");
    assert!(labels.iter().any(|l| l == "LLM Prompt Injection: Direct"));
    assert!(
        labels
            .iter()
            .any(|l| l == "ML Supply Chain Compromise (earlier name)"),
        "earlier names are suggested"
    );
    assert_eq!(
        attr(
            &doc,
            "datalist#technique-options option[value='AML.T0012']",
            "data-tactics"
        )
        .as_deref(),
        Some("AML.TA0004 AML.TA0012")
    );
    // An unknown name is refused on the technique field, as typed.
    let version = version_on(&app, &format!("/incidents/{id}/steps/new")).await;
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[("technique", "no such thing"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        attr(&res.doc(), "input[name=technique]", "value").as_deref(),
        Some("no such thing")
    );
}

#[tokio::test]
async fn times_take_a_space_between_date_and_time_and_the_form_says_so() {
    let app = two_releases().await;
    let id = create(&app, &[("title", "Times")]).await;
    let new = format!("/incidents/{id}/steps/new");
    let (body, _) = app.page(&new).await;
    assert!(
        body.contains("<code>2024-05-17 14:30</code>"),
        "hint names the form"
    );
    let version = version_on(&app, &new).await;
    add_step(
        &app,
        &id,
        &[
            ("technique", "AML.T0051.000"),
            ("observed_at", "2026-11-30 07:35"),
            ("version", &version),
        ],
    )
    .await;
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let meta = texts(&doc, "ol.inc-timeline > li").join(" ");
    assert!(meta.contains("07:35"), "{meta}");
    let res = app
        .post_form(
            &format!("/incidents/{id}/steps"),
            &[
                ("technique", "AML.T0051.000"),
                ("observed_at", "this morning 07:35"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("YYYY-MM-DD HH:MM"),
        "the refusal names the forms"
    );
}

#[tokio::test]
async fn the_technique_index_lists_filters_and_counts() {
    let app = two_releases().await;
    let atlas = app.state.atlas.get();
    let (_, matrix) = app.page("/matrix").await;
    assert_eq!(
        attr(&matrix, "a#all-techniques", "href").as_deref(),
        Some("/techniques"),
        "the matrix links the index"
    );
    let (_, doc) = app.page("/techniques").await;
    let all = texts(&doc, "table.technique-index tbody tr .id");
    assert_eq!(all.len(), atlas.release.techniques.len());
    // Counts: one incident with two steps of AML.T0051.000.
    let id = create(&app, &[("title", "Counted")]).await;
    for _ in 0..2 {
        let version = version_on(&app, &format!("/incidents/{id}/steps/new")).await;
        add_step(
            &app,
            &id,
            &[("technique", "AML.T0051.000"), ("version", &version)],
        )
        .await;
    }
    let (_, doc) = app.page("/techniques?q=t0051").await;
    let ids = texts(&doc, "table.technique-index tbody tr .id");
    assert!(ids.len() >= 3, "{ids:?}");
    assert!(ids.iter().all(|i| i.starts_with("AML.T0051")), "{ids:?}");
    assert_eq!(
        texts(&doc, "tr[data-technique='AML.T0051.000'] td.num"),
        ["1", "2"]
    );
    assert_eq!(
        texts(&doc, "tr[data-technique='AML.T0051.001'] td.num"),
        ["0", "0"]
    );
    // Words of the name or description, any case.
    let (_, doc) = app.page("/techniques?q=valid%20ACCOUNTS").await;
    let ids = texts(&doc, "table.technique-index tbody tr .id");
    assert!(ids.contains(&"AML.T0012".to_string()), "{ids:?}");
    assert!(ids.len() < 5, "{ids:?}");
    for id in &ids {
        let t = atlas.technique(id).unwrap();
        let hay = format!("{} {}", t.name, t.description.as_deref().unwrap_or("")).to_lowercase();
        assert!(hay.contains("valid accounts"), "{id} does not mention it");
    }
    let (status, body) = app.get("/techniques?q=%3Cscript%3E").await;
    assert_eq!(status, 200);
    assert!(body.contains("No technique matches"));
    assert!(!body.contains("<script>"));
}

#[tokio::test]
async fn the_action_bar_reaches_every_sub_page_and_downloads_download() {
    let app = two_releases().await;
    let id = create(&app, &[("title", "Reachable pages")]).await;
    let version = version_on(&app, &format!("/incidents/{id}/steps/new")).await;
    add_step(
        &app,
        &id,
        &[("technique", "AML.T0051.000"), ("version", &version)],
    )
    .await;
    let (_, doc) = app.page(&format!("/incidents/{id}")).await;
    let mut seen = Vec::new();
    for link in doc.select(&crate::incident_pages::sel(
        "nav.inc-subpages a[data-subpage]",
    )) {
        let what = link.value().attr("data-subpage").unwrap().to_string();
        let href = link.value().attr("href").unwrap().replace("&amp;", "&");
        let res = app.client.get(app.url(&href)).send().await.expect("GET");
        assert_eq!(res.status().as_u16(), 200, "{what}: {href}");
        let disposition = res
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if link.value().attr("download").is_some() {
            // Saved, not shown, under a name that says which incident it is.
            let named = format!("attachment; filename=\"{id}-reachable-pages-");
            assert!(disposition.starts_with(&named), "{what}: {disposition}");
        } else {
            assert!(disposition.is_empty(), "{what} is a page: {disposition}");
        }
        seen.push(what);
    }
    assert_eq!(
        seen,
        [
            "story",
            "retrospective",
            "matrix",
            "layer",
            "svg",
            "case-study",
            "stix"
        ]
    );
    // The incident matrix's "SVG for slides" downloads too.
    let svg = attr(&doc, "#matrix a[href$='/matrix.svg']", "download");
    assert!(svg.is_some(), "SVG for slides has download");
}
