//! Dates are periods: an incident dated to a year, a month, a day or an
//! instant. A range filter lists every incident whose period overlaps the
//! range; period-over-period figures count each incident once, in the
//! period holding the middle of its date, so adjacent periods add up.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

/// One incident per date, titled by its date, around the edges of
/// September 2026 and of the halves of the year.
const DATES: [&str; 11] = [
    "2026",
    "2026-06",
    "2026-08",
    "2026-09",
    "2026-09-14",
    "2026-09-15",
    "2026-06-30",
    "2026-07-01T00:00:00Z",
    "2026-06-30T23:59:59Z",
    "2026-09-30T23:59:59Z",
    "2026-10-01T00:00:00Z",
];

async fn seed(app: &TestApp) {
    for date in DATES {
        let (s, body) = app
            .post_json(
                "/api/v1/incidents",
                &json!({"title": date, "severity": "low", "occurred_at": date}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "undated", "severity": "low"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

/// The titles (dates) the list API gives for a query, sorted.
async fn titles(app: &TestApp, query: &str) -> Vec<String> {
    let (s, body) = app
        .get_json(&format!("/api/v1/incidents?per_page=200&{query}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{query}: {body}");
    let mut out: Vec<String> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    assert_eq!(body["total"], Value::from(out.len()), "{query}");
    out
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_range_lists_every_incident_whose_period_overlaps_it() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    // The case: dated only "2026-09", yet in the second half of September.
    assert_eq!(
        titles(&app, "from=2026-09-15&to=2026-09-30").await,
        sorted(&["2026", "2026-09", "2026-09-15", "2026-09-30T23:59:59Z"])
    );
    // A range inside one day holds that day and the coarser periods around it.
    assert_eq!(
        titles(&app, "from=2026-09-14T10:00:00Z&to=2026-09-14T11:00:00Z").await,
        sorted(&["2026", "2026-09", "2026-09-14"])
    );
    // Ranges given as months and years, at their edges.
    assert_eq!(
        titles(&app, "from=2026-10&to=2026-12").await,
        sorted(&["2026", "2026-10-01T00:00:00Z"])
    );
    assert_eq!(
        titles(&app, "from=2026-07-01&to=2026-08").await,
        sorted(&["2026", "2026-07-01T00:00:00Z", "2026-08"])
    );
    assert_eq!(titles(&app, "to=2025").await, Vec::<String>::new());
    assert_eq!(titles(&app, "from=2027").await, Vec::<String>::new());
    // Only `from` or only `to`.
    assert_eq!(
        titles(&app, "from=2026-09-30T23:59:59Z").await,
        sorted(&[
            "2026",
            "2026-09",
            "2026-09-30T23:59:59Z",
            "2026-10-01T00:00:00Z"
        ])
    );
    assert_eq!(
        titles(&app, "to=2026-06-30").await,
        sorted(&["2026", "2026-06", "2026-06-30", "2026-06-30T23:59:59Z"])
    );
    // The same rule for the time of detection.
    let (s, body) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "detected in September", "severity": "low", "detected_at": "2026-09"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        titles(&app, "detected_from=2026-09-20&detected_to=2026-09-21").await,
        ["detected in September"]
    );
    let (s, body) = app.get_json("/api/v1/incidents?dates=sometimes").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("dates"), "{body}");
}

#[tokio::test]
async fn the_list_marks_incidents_dated_only_to_a_month_or_a_year() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let (s, html) = app.get("/incidents?from=2026-09-15&to=2026-09-30").await;
    assert_eq!(s, 200);
    let doc = scraper::Html::parse_document(&html);
    let rows = scraper::Selector::parse("tbody tr").unwrap();
    let mark = scraper::Selector::parse(".inc-coarse").unwrap();
    let mut marked: Vec<(String, bool)> = doc
        .select(&rows)
        .map(|r| {
            let text: String = r.text().collect();
            let date = DATES
                .iter()
                .filter(|d| text.contains(**d))
                .max_by_key(|d| d.len())
                .map(|d| d.to_string())
                .unwrap_or_default();
            (date, r.select(&mark).next().is_some())
        })
        .collect();
    marked.sort();
    assert_eq!(
        marked,
        [
            ("2026".to_string(), true),
            ("2026-09".to_string(), true),
            ("2026-09-15".to_string(), false),
            ("2026-09-30T23:59:59Z".to_string(), false),
        ]
    );
    let note: String = doc
        .select(&mark)
        .map(|m| m.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("|");
    assert_eq!(note, "to the month|to the year");
}

#[tokio::test]
async fn trends_count_each_incident_once_by_the_middle_of_its_period() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let by_middle = |range: &str| format!("{range}&dates=middle");
    let first = titles(&app, &by_middle("from=2026-01-01&to=2026-06-30")).await;
    let second = titles(&app, &by_middle("from=2026-07-01&to=2026-12-31")).await;
    // The year's middle is 2 July; June's is the 16th; a day's is its noon.
    assert_eq!(
        first,
        sorted(&["2026-06", "2026-06-30", "2026-06-30T23:59:59Z"])
    );
    assert_eq!(
        second,
        sorted(&[
            "2026",
            "2026-07-01T00:00:00Z",
            "2026-08",
            "2026-09",
            "2026-09-14",
            "2026-09-15",
            "2026-09-30T23:59:59Z",
            "2026-10-01T00:00:00Z",
        ])
    );
    // Adjacent periods add up to the whole, with no incident in both.
    let whole = titles(&app, &by_middle("from=2026&to=2026")).await;
    assert_eq!(first.len() + second.len(), whole.len());
    let mut both = [first.clone(), second.clone()].concat();
    both.sort();
    assert_eq!(both, whole);
    assert_eq!(whole.len(), DATES.len());
    // Month by month, the twelve months of 2026 add up to the year too.
    let mut months = 0;
    for m in 1..=12 {
        months += titles(
            &app,
            &by_middle(&format!("from=2026-{m:02}&to=2026-{m:02}")),
        )
        .await
        .len();
    }
    assert_eq!(months, whole.len());
}

/// The dashboard's period and the one before it split the incidents
/// between them (each counts in one), and each number links to a list
/// that shows the same incidents.
#[tokio::test]
async fn the_dashboard_and_the_briefing_count_adjacent_periods_that_add_up() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    // A custom period of the second half of 2026; the one before it is as long.
    let (s, html) = app
        .get("/?from=2026-07-01&to=2026-12-31&case_studies=1")
        .await;
    assert_eq!(s, 200, "{html}");
    let doc = scraper::Html::parse_document(&html);
    let link = scraper::Selector::parse("a[href^='/incidents?']").unwrap();
    let hrefs: Vec<String> = doc
        .select(&link)
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(
        hrefs.iter().any(|h| h.contains("dates=middle")),
        "the dashboard's links choose incidents as it counts them: {hrefs:?}"
    );
    // The list behind the period's total shows what the middle rule gives.
    let this = titles(&app, "from=2026-07-01&to=2026-12-31&dates=middle").await;
    let before = titles(&app, "from=2025-12-29&to=2026-06-30&dates=middle").await;
    assert_eq!(this.len() + before.len(), DATES.len());
    let text: String = doc.root_element().text().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    assert!(
        joined.contains(&format!(
            "up {} from {}",
            this.len() - before.len(),
            before.len()
        )),
        "the trend compares {} with {}: {joined}",
        this.len(),
        before.len()
    );
}
