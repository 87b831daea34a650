//! The briefing a board can read: quarter and month presets, this quarter
//! against the last with the four-quarter trend, the team's own actions from
//! its retrospectives, plain sentences for the serious incidents; and the
//! dashboard's counts of unresolved incidents, labelled so "open" means one thing.

use chrono::{Datelike, Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::dashboard::{select_text as select, text_of};
use crate::support::{TestApp, shared_atlas};

fn quarter_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).unwrap()
}

fn quarter_name(d: NaiveDate) -> String {
    format!("Q{} {}", (d.month() - 1) / 3 + 1, d.year())
}

fn quarters_back(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(3 * n)).unwrap()
}

async fn create(app: &TestApp, body: Value) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    v["id"].as_str().expect("id").to_string()
}

/// Incidents in this quarter (2, one critical), the last (3, one high) and
/// three quarters back (1); one five quarters back, outside the chart.
async fn seed(app: &TestApp) -> (NaiveDate, String) {
    let this = quarter_start(Utc::now().date_naive());
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let critical = create(
        app,
        json!({
            "title": "Support chatbot leaked customer records",
            "severity": "critical", "status": "open", "occurred_at": day(this),
            "steps": [
                {"tactic": "AML.TA0000", "technique": "AML.T0040", "outcome": "missed"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.000", "outcome": "detected"},
                {"tactic": "AML.TA0010", "technique": "AML.T0057", "outcome": "missed"},
            ],
        }),
    )
    .await;
    create(
        app,
        json!({"title": "Odd answers", "severity": "low", "occurred_at": day(this)}),
    )
    .await;
    let last = quarters_back(this, 1);
    for (n, severity) in ["high", "medium", "low"].iter().enumerate() {
        let date = last + chrono::Duration::days(10 * n as i64 + 5);
        create(
            app,
            json!({"title": format!("Last quarter {n}"), "severity": severity, "status": "resolved", "occurred_at": day(date)}),
        )
        .await;
    }
    create(app, json!({"title": "Long ago", "severity": "medium", "occurred_at": day(quarters_back(this, 3) + chrono::Duration::days(20))})).await;
    create(app, json!({"title": "Too long ago", "severity": "high", "occurred_at": day(quarters_back(this, 5))})).await;
    (this, critical)
}

#[tokio::test]
async fn quarter_presets_compare_this_quarter_with_the_last_over_four_quarters() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (this, _) = seed(&app).await;
    let last = quarters_back(this, 1);

    let (status, html) = app.get("/briefing?period=quarter").await;
    assert_eq!(status, 200);
    let title = select(&html, ".briefing-sheet h1");
    assert!(
        title[0].starts_with(&format!("{} so far", quarter_name(this))),
        "{title:?}"
    );
    // This quarter: 2 incidents, against 3 in the last one.
    let values = select(&html, ".b-kpi-value");
    assert_eq!(values[0], "2", "{values:?}");
    let text = text_of(&html);
    assert!(
        text.contains(&format!("down 1 from 3 in {}", quarter_name(last))),
        "{text}"
    );
    // The four-quarter trend: oldest first, this quarter marked.
    let labels = select(&html, ".bq-label");
    let expected: Vec<String> = (0..4)
        .rev()
        .map(|n| quarter_name(quarters_back(this, n)))
        .collect();
    assert_eq!(labels, expected);
    assert_eq!(select(&html, ".bq-count"), ["1", "0", "3", "2"]);
    assert_eq!(select(&html, ".bq-label-current"), [quarter_name(this)]);
    let desc = select(&html, "#bq-desc");
    assert!(
        desc[0].ends_with(&format!("{}: 2 (1 serious)", quarter_name(this))),
        "{desc:?}"
    );
    // Each bar lists its quarter's incidents.
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(".b-quarter-chart a").unwrap();
    let hrefs: Vec<&str> = doc
        .select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        hrefs[2].starts_with(&format!("/incidents?from={}", last.format("%Y-%m-%d"))),
        "{hrefs:?}"
    );

    // Last quarter: the whole of it, against the quarter before.
    let (_, html) = app.get("/briefing?period=last-quarter").await;
    let title = select(&html, ".briefing-sheet h1");
    assert!(
        title[0].starts_with(&format!("{} (", quarter_name(last))),
        "{title:?}"
    );
    assert_eq!(select(&html, ".b-kpi-value")[0], "3");
    assert!(text_of(&html).contains(&format!(
        "up 3 from 0 in {}",
        quarter_name(quarters_back(this, 2))
    )));
    assert_eq!(
        select(&html, ".bq-label-current"),
        [quarter_name(last)],
        "the chart ends with the quarter shown"
    );
    // Months are presets too; the choices are on the page.
    let (status, html) = app.get("/briefing?period=last-month").await;
    assert_eq!(status, 200);
    let month = Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(1);
    assert!(
        select(&html, ".briefing-sheet h1")[0].starts_with(&month.format("%B %Y").to_string()),
        "{:?}",
        select(&html, ".briefing-sheet h1")
    );
    let choices = select(&html, "#seg-period a, #seg-period [aria-current]");
    for label in ["This quarter", "Last quarter", "This month", "Last month"] {
        assert!(text_of(&html).contains(label), "{label} in {choices:?}");
    }
    let (status, html) = app.get("/briefing?period=q5").await;
    assert_eq!(status, 400);
    assert!(html.contains("period"));
}

#[tokio::test]
async fn the_briefing_lists_the_teams_actions_and_speaks_plainly() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (_, critical) = seed(&app).await;
    let (_, html) = app.get("/briefing?period=quarter").await;
    assert!(
        text_of(&html).contains("No actions are recorded in the retrospectives"),
        "{}",
        text_of(&html)
    );
    let form = [
        ("version", "0"),
        ("went_well", ""),
        ("to_improve", ""),
        (
            "actions",
            "- [x] Rotate the API keys @sam.soc\n- [ ] Add output filtering (owner: Alice Chen)\n- Review the vendor contract",
        ),
    ];
    let res = app
        .post_encoded_as(
            &app.client,
            &format!("/incidents/{critical}/retrospective/notes"),
            serde_html_form::to_string(form).unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get("/briefing?period=quarter").await;
    let rows = select(&html, ".b-actions-table tbody tr");
    assert_eq!(
        rows,
        [
            "Add output filtering Alice Chen Open Support chatbot leaked customer records",
            "Review the vendor contract no owner named Decided Support chatbot leaked customer records",
            "Rotate the API keys sam.soc Done Support chatbot leaked customer records",
        ]
    );
    assert_eq!(
        select(&html, ".b-actions-summary"),
        ["3 actions from 1 review: 1 done, 1 open, 1 decided, no status yet."]
    );
    // The actions became tasks: the decided one is open until someone marks it done.
    assert_eq!(
        select(&html, ".b-tasks-summary"),
        ["Follow-up tasks on every incident: 2 tasks open, 0 of them overdue."]
    );
    // Last quarter's briefing does not show this quarter's decisions.
    let (_, html) = app.get("/briefing?period=last-quarter").await;
    assert!(select(&html, ".b-actions-table tbody tr").is_empty());

    // The serious incident in plain words: no ATLAS names, IDs or step numbers.
    let (_, html) = app.get("/briefing?period=quarter").await;
    let serious = select(&html, ".b-serious-list li .b-inc-text");
    assert!(
        serious[0].starts_with("The attacker got as far as taking data out. Of the 3 attack steps recorded, our defences spotted 1 and missed 2. Still open."),
        "{serious:?}"
    );
    let story = select(&html, ".b-story-summary");
    assert!(
        story[0].starts_with("The attacker got as far as taking data out."),
        "{story:?}"
    );
    for jargon in ["Exfiltration", "AML.", "at step", "Reached"] {
        assert!(
            !serious[0].contains(jargon) && !story[0].contains(jargon),
            "{jargon}"
        );
    }
}

#[tokio::test]
async fn the_dashboard_says_unresolved_and_which_incidents_it_counts() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let (_, html) = app.get("/?period=30d").await;
    let kpis = select(&html, ".kpi");
    let unresolved = kpis
        .iter()
        .find(|k| k.starts_with("Unresolved, of this period"))
        .unwrap_or_else(|| panic!("{kpis:?}"));
    // Every incident without a status is open; the resolved ones are last quarter's.
    assert!(unresolved.contains("whatever their date"), "{unresolved}");
    assert!(unresolved.contains("4 unresolved in all"), "{unresolved}");
    let text = text_of(&html);
    assert!(!text.contains("Open now"), "{text}");
    assert!(!text.contains("open across all dates"), "{text}");
    assert!(text.contains("Unresolved incidents of this period, by severity"));
}
