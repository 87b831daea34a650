//! The attack-path story: `/incidents/{id}/story` and `/incidents/{id}/story.svg`
//! against a real server, with the ATLAS case studies as incidents.

use atlasview::domain::auth::Role;
use atlasview::render::measure::{Face, text_width};
use atlasview::render::story::{LaneMode, Rect, StoryLayout, StoryOptions};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

use crate::support::{TestApp, shared_atlas};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// A server with ATLAS 5.6.0 and its 57 case studies imported as incidents.
async fn with_case_studies() -> TestApp {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (s, body) = app
        .post_json("/api/v1/case-studies/import", &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app
}

/// GET a story SVG: checks the headers, returns the body.
async fn story_svg(app: &TestApp, path: &str) -> String {
    let res = app.client.get(app.url(path)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        header("content-type").starts_with("image/svg+xml"),
        "{}",
        header("content-type")
    );
    // A download, unless the path asks to see it in place.
    let kind = if path.contains("inline=1") {
        "inline"
    } else {
        "attachment"
    };
    assert!(
        header("content-disposition").starts_with(&format!("{kind}; filename=\""))
            && header("content-disposition").ends_with("-story.svg\""),
        "{}",
        header("content-disposition")
    );
    res.text().await.expect("body")
}

fn has_class(n: &roxmltree::Node, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

fn num(n: &roxmltree::Node, attr: &str) -> f64 {
    n.attribute(attr)
        .unwrap_or_else(|| panic!("{attr} on {n:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{attr} on {n:?} is a number"))
}

/// The box a `<text>` takes, by the layout's own width model.
fn text_box(t: &roxmltree::Node) -> Rect {
    let text = t.text().unwrap_or_default();
    let size = num(t, "font-size");
    let face = if t.attribute("font-family").is_some() {
        Face::Mono
    } else if t.attribute("font-weight") == Some("700") {
        Face::SansBold
    } else {
        Face::Sans
    };
    let w = text_width(text, size, face);
    let x = num(t, "x");
    let left = if t.attribute("text-anchor") == Some("middle") {
        x - w / 2.0
    } else {
        x
    };
    let y = num(t, "y");
    Rect::new(left, y - 0.93 * size, w, 1.17 * size)
}

fn rect_of(r: &roxmltree::Node) -> Rect {
    Rect::new(num(r, "x"), num(r, "y"), num(r, "width"), num(r, "height"))
}

struct ParsedNode {
    step: usize,
    tactic: String,
    lane: usize,
    href: String,
    number_text: String,
    rect: Rect,
}

struct Parsed {
    width: f64,
    height: f64,
    lanes: Vec<(String, f64, f64)>,
    nodes: Vec<ParsedNode>,
    arrows: Vec<(usize, usize)>,
    texts: Vec<(Option<usize>, String, Rect)>,
}

/// Parses a story SVG as XML (which it must be) and reads its parts.
fn parse(svg: &str) -> Parsed {
    let doc = roxmltree::Document::parse(svg).expect("the story SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some(SVG_NS));
    // A group, not an image: its step and tactic links stay reachable
    // (links inside role="img" are nested-interactive, axe-core says).
    assert_eq!(root.attribute("role"), Some("group"));
    let labelled: Vec<&str> = root
        .attribute("aria-labelledby")
        .unwrap()
        .split_whitespace()
        .collect();
    for id in &labelled {
        let el = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(*id))
            .unwrap_or_else(|| panic!("#{id}"));
        assert!(matches!(el.tag_name().name(), "title" | "desc"));
        assert!(!el.text().unwrap_or_default().trim().is_empty());
    }
    let view_box: Vec<f64> = root
        .attribute("viewBox")
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(&view_box[..2], &[0.0, 0.0]);
    let lanes = doc
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "g")) && has_class(n, "story-lane"))
        .map(|g| {
            (
                g.attribute("data-tactic").unwrap().to_string(),
                num(&g, "data-x"),
                num(&g, "data-width"),
            )
        })
        .collect();
    let nodes: Vec<ParsedNode> = doc
        .descendants()
        .filter(|n| has_class(n, "story-node"))
        .map(|g| {
            let rect = g
                .children()
                .find(|c| has_class(c, "story-node-box"))
                .expect("node box");
            let number = g
                .children()
                .find(|c| has_class(c, "story-badge-number"))
                .expect("number");
            ParsedNode {
                step: num(&g, "data-step") as usize,
                tactic: g.attribute("data-tactic").unwrap().to_string(),
                lane: num(&g, "data-lane") as usize,
                href: g
                    .parent()
                    .and_then(|a| a.attribute("href"))
                    .unwrap_or_default()
                    .to_string(),
                number_text: number.text().unwrap_or_default().to_string(),
                rect: rect_of(&rect),
            }
        })
        .collect();
    let arrows = doc
        .descendants()
        .filter(|n| has_class(n, "story-arrow"))
        .map(|g| (num(&g, "data-from") as usize, num(&g, "data-to") as usize))
        .collect();
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "text")))
        .map(|t| {
            let owner = t
                .ancestors()
                .find(|a| has_class(a, "story-node"))
                .map(|g| num(&g, "data-step") as usize);
            (
                owner,
                t.text().unwrap_or_default().to_string(),
                text_box(&t),
            )
        })
        .collect();
    Parsed {
        width: view_box[2],
        height: view_box[3],
        lanes,
        nodes,
        arrows,
        texts,
    }
}

/// Everything that would make the picture illegible, in words.
fn legibility_problems(p: &Parsed) -> Vec<String> {
    let mut problems = Vec::new();
    let canvas = Rect::new(0.0, 0.0, p.width, p.height);
    for (owner, text, b) in &p.texts {
        if !canvas.contains(b) {
            problems.push(format!("text {text:?} leaves the picture"));
        }
        if let Some(step) = owner {
            let node = p.nodes.iter().find(|n| n.step == *step).unwrap();
            if !node.rect.contains(b) {
                problems.push(format!("text {text:?} leaves node {step}"));
            }
        }
        for n in &p.nodes {
            if Some(n.step) != *owner && b.overlaps(&n.rect) {
                problems.push(format!("text {text:?} overlaps node {}", n.step));
            }
        }
    }
    for (i, (_, a, ba)) in p.texts.iter().enumerate() {
        for (_, b, bb) in &p.texts[i + 1..] {
            if ba.overlaps(bb) {
                problems.push(format!("texts {a:?} and {b:?} overlap"));
            }
        }
    }
    for (i, a) in p.nodes.iter().enumerate() {
        if !canvas.contains(&a.rect) {
            problems.push(format!("node {} leaves the picture", a.step));
        }
        for b in &p.nodes[i + 1..] {
            if a.rect.overlaps(&b.rect) {
                problems.push(format!("nodes {} and {} overlap", a.step, b.step));
            }
        }
    }
    problems
}

#[tokio::test]
async fn aml_cs0000_has_six_numbered_nodes_in_order_in_their_lanes_and_five_arrows() {
    let app = with_case_studies().await;
    let svg = story_svg(&app, "/incidents/aml-cs0000/story.svg").await;
    let p = parse(&svg);

    let lanes: Vec<&str> = p.lanes.iter().map(|l| l.0.as_str()).collect();
    // Lanes in matrix order: Defense Evasion comes before AI Attack Staging.
    assert_eq!(
        lanes,
        ["AML.TA0002", "AML.TA0003", "AML.TA0007", "AML.TA0001"]
    );
    let steps: Vec<usize> = p.nodes.iter().map(|n| n.step).collect();
    assert_eq!(steps, [1, 2, 3, 4, 5, 6]);
    let numbers: Vec<&str> = p.nodes.iter().map(|n| n.number_text.as_str()).collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5", "6"]);
    let tactics: Vec<&str> = p.nodes.iter().map(|n| n.tactic.as_str()).collect();
    assert_eq!(
        tactics,
        [
            "AML.TA0002",
            "AML.TA0003",
            "AML.TA0001",
            "AML.TA0001",
            "AML.TA0001",
            "AML.TA0007"
        ]
    );
    for n in &p.nodes {
        let (tactic, x, w) = &p.lanes[n.lane];
        assert_eq!(tactic, &n.tactic, "step {} in its tactic's lane", n.step);
        assert!(
            n.rect.x >= *x && n.rect.right() <= x + w,
            "step {} drawn inside its lane",
            n.step
        );
        assert!(
            n.href.starts_with("/incidents/aml-cs0000#step-"),
            "{}",
            n.href
        );
    }
    for pair in p.nodes.windows(2) {
        assert!(
            pair[1].rect.y >= pair[0].rect.bottom(),
            "steps run top to bottom"
        );
    }
    assert_eq!(p.arrows, [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]);
    assert!(
        legibility_problems(&p).is_empty(),
        "{:#?}",
        legibility_problems(&p)
    );
    // The words: title, summary, milestones.
    assert!(svg.contains("AI attack staging in steps 3–5"), "{svg}");
    assert!(svg.contains("Last stage:"), "the last stage is marked");

    // All lanes: every tactic of the release, the same six nodes.
    let all = parse(&story_svg(&app, "/incidents/aml-cs0000/story.svg?lanes=all").await);
    assert_eq!(all.lanes.len(), 16);
    assert_eq!(all.nodes.len(), 6);
    assert_eq!(all.arrows.len(), 5);
    for n in &all.nodes {
        assert_eq!(all.lanes[n.lane].0, n.tactic);
    }
    assert!(
        legibility_problems(&all).is_empty(),
        "{:#?}",
        legibility_problems(&all)
    );
}

#[tokio::test]
async fn the_largest_case_study_stays_legible() {
    let app = with_case_studies().await;
    let (_, list) = app
        .get_json("/api/v1/incidents?kind=case-study&per_page=100")
        .await;
    let mut largest: Option<(usize, String)> = None;
    for item in list["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap().to_string();
        let (_, detail) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
        let steps = detail["steps"].as_array().unwrap().len();
        if largest.as_ref().is_none_or(|(n, _)| steps > *n) {
            largest = Some((steps, id));
        }
    }
    let (steps, id) = largest.unwrap();
    assert!(steps >= 18, "the largest case study has {steps} steps");

    for lanes in ["reached", "all"] {
        let svg = story_svg(&app, &format!("/incidents/{id}/story.svg?lanes={lanes}")).await;
        let p = parse(&svg);
        assert_eq!(p.nodes.len(), steps);
        assert_eq!(p.arrows.len(), steps - 1);
        let problems = legibility_problems(&p);
        assert!(problems.is_empty(), "{lanes}: {problems:#?}");
    }

    // The layout's own, stricter check (arrows through labels, lane headers).
    let detail = app.store.get_incident(&id).await.unwrap().unwrap();
    for lanes in [LaneMode::Reached, LaneMode::All] {
        for titled in [true, false] {
            let layout = StoryLayout::build(
                &app.state.atlas.get(),
                &detail,
                StoryOptions { lanes, titled },
            );
            assert_eq!(layout.nodes.len(), steps);
            let problems = layout.collisions();
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }
}

#[tokio::test]
async fn the_story_page_shows_the_summary_the_picture_and_the_list() {
    let app = with_case_studies().await;
    let (status, body) = app.get("/incidents/aml-cs0000/story").await;
    assert_eq!(status, 200, "{body}");
    let doc = Html::parse_document(&body);
    let sel = |s: &str| Selector::parse(s).unwrap();
    let summary: String = doc
        .select(&sel(".story-summary"))
        .next()
        .expect("summary")
        .text()
        .collect();
    assert!(summary.starts_with("Reached "), "{summary}");
    assert!(
        summary.contains("AI attack staging in steps 3–5"),
        "{summary}"
    );
    assert_eq!(doc.select(&sel("svg.story-svg")).count(), 1);
    assert_eq!(doc.select(&sel("svg .story-node")).count(), 6);
    assert_eq!(doc.select(&sel("svg .story-arrow")).count(), 5);
    let items: Vec<String> = doc
        .select(&sel("ol.story-list > li"))
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(items.len(), 6);
    assert!(items[5].contains("AML.T0015"), "{}", items[5]);
    // story.css is in the page's one stylesheet (tests/light_pages.rs).
    let href = doc
        .select(&sel("head link[rel=stylesheet]"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .unwrap_or_default();
    assert!(href.starts_with("/static/page-story."), "{href}");
    assert!(
        doc.select(&sel("a[href='/incidents/aml-cs0000/story.svg']"))
            .next()
            .is_some()
    );
    assert!(
        doc.select(&sel("a[href='/incidents/aml-cs0000/story?lanes=all']"))
            .next()
            .is_some()
    );
    // The CSP forbids inline styles and scripts: the page has none.
    assert!(!body.contains("style="), "no inline style attributes");
    assert!(!body.contains("<style"), "no style blocks");
    assert!(!body.contains("<script"), "no scripts");

    let (status, all) = app.get("/incidents/aml-cs0000/story?lanes=all").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&all);
    assert_eq!(doc.select(&sel("svg .story-lane")).count(), 16);
    assert_eq!(
        doc.select(&sel(".segmented a[aria-current]"))
            .next()
            .map(|a| a.text().collect::<String>()),
        Some("All tactics".to_string())
    );
}

#[tokio::test]
async fn an_incident_without_steps_tells_so_instead_of_failing() {
    let app = TestApp::spawn().await;
    let (s, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Nothing yet", "kind": "incident", "severity": "low", "status": "open"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, body) = app.get(&format!("/incidents/{id}/story")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("No steps recorded yet"), "{body}");
    for lanes in ["", "?lanes=all"] {
        let svg = story_svg(&app, &format!("/incidents/{id}/story.svg{lanes}")).await;
        let p = parse(&svg);
        assert!(p.nodes.is_empty() && p.arrows.is_empty());
        assert!(p.texts.iter().any(|(_, t, _)| t == "No steps recorded yet"));
        assert!(legibility_problems(&p).is_empty());
    }
}

#[tokio::test]
async fn unknown_incidents_are_404_and_bad_lane_modes_400() {
    let app = TestApp::spawn().await;
    let (s, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Lanes", "kind": "incident", "severity": "low", "status": "open"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    for path in [
        "/incidents/no-such-incident/story",
        "/incidents/no-such-incident/story.svg",
    ] {
        assert_eq!(app.get(path).await.0, 404, "{path}");
    }
    for suffix in ["story", "story.svg"] {
        for bad in ["bogus", "ALL", "reached,all"] {
            let (status, body) = app
                .get(&format!("/incidents/{id}/{suffix}?lanes={bad}"))
                .await;
            assert_eq!(status, 400, "{suffix}?lanes={bad}");
            assert!(body.contains("lanes"), "{body}");
        }
        for good in ["", "?lanes=reached", "?lanes=all", "?lanes="] {
            let (status, _) = app.get(&format!("/incidents/{id}/{suffix}{good}")).await;
            assert_eq!(status, 200, "{suffix}{good}");
        }
    }
}

#[tokio::test]
async fn viewers_may_read_stories_and_anonymous_callers_may_not() {
    let app = TestApp::spawn().await;
    let (_, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Secret incident", "kind": "incident", "severity": "low", "status": "open"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let viewer = app.client_as(Role::Viewer).await;
    let anonymous = app.anonymous();
    for path in [
        format!("/incidents/{id}/story"),
        format!("/incidents/{id}/story.svg"),
    ] {
        let res = viewer.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "viewer {path}");
        let res = anonymous.get(app.url(&path)).send().await.unwrap();
        assert_ne!(res.status(), StatusCode::OK, "anonymous {path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("Secret incident"), "anonymous {path}");
    }
}

#[tokio::test]
async fn hostile_text_is_escaped_in_the_picture_and_the_list() {
    let app = TestApp::spawn().await;
    let hostile_title = "<script>alert('t')</script>\"><svg onload=alert(1)> & ]]> \u{FFFE}end";
    let hostile_description = "<img src=x onerror=alert(2)><script>alert(3)</script>\
        <a href=\"javascript:alert(4)\">x</a> **bold** </text></svg><svg onload=alert(5)>";
    let (s, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({
                "title": hostile_title,
                "kind": "incident", "severity": "high", "status": "open",
                "steps": [
                    {"tactic": "AML.TA0004", "technique": "AML.T0093", "outcome": "missed",
                     "description": hostile_description, "observed_at": "2025-03-14T09:30:00Z"},
                    {"tactic": "AML.TA0005", "technique": "AML.T0051.001", "outcome": "detected",
                     "description": "second"}
                ]
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();

    let svg = story_svg(&app, &format!("/incidents/{id}/story.svg")).await;
    let doc = roxmltree::Document::parse(&svg).expect("hostile text still gives well-formed XML");
    let names: Vec<&str> = doc.descendants().map(|n| n.tag_name().name()).collect();
    assert!(
        !names.contains(&"script") && !names.contains(&"img"),
        "{names:?}"
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name((SVG_NS, "svg")))
            .count(),
        1,
        "no injected svg element"
    );
    assert!(
        doc.descendants()
            .all(|n| n.attributes().all(|a| !a.name().starts_with("on"))),
        "no event handler attributes"
    );
    // The text survives as text (the title in the heading, the description in the tooltip).
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name((SVG_NS, "title")))
        .unwrap();
    assert!(
        title
            .text()
            .unwrap()
            .contains("<script>alert('t')</script>"),
        "{:?}",
        title.text()
    );
    let all_text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        all_text.contains("onerror=alert(2)"),
        "the description is in the tooltip"
    );
    assert!(
        !svg.contains('\u{FFFE}'),
        "characters XML forbids are dropped"
    );
    assert!(
        legibility_problems(&parse(&svg)).is_empty(),
        "{:#?}",
        legibility_problems(&parse(&svg))
    );

    let (status, page) = app.get(&format!("/incidents/{id}/story")).await;
    assert_eq!(status, 200);
    for bad in ["<script", "<img src=x", "<svg onload"] {
        assert!(
            !page.contains(bad),
            "{bad} in the story page: {}",
            page.split(bad)
                .nth(1)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
    let doc = Html::parse_document(&page);
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        for (name, value) in el.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "{name}={value} on <{}>",
                el.value().name()
            );
            assert!(
                !value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:"),
                "{name}={value}"
            );
        }
    }
    assert!(
        page.contains("<strong>bold</strong>"),
        "Markdown is rendered"
    );
    let doc = Html::parse_document(&page);
    let sel = Selector::parse("h1").unwrap();
    let h1: String = doc.select(&sel).next().unwrap().text().collect();
    assert!(h1.starts_with("<script>alert('t')</script>"), "{h1}");
    // The step's time is shown where known.
    assert!(page.contains("2025-03-14 09:30 UTC"));
}

#[tokio::test]
async fn the_incident_page_embeds_the_picture_and_links_to_the_story() {
    let app = with_case_studies().await;
    let (status, body) = app.get("/incidents/aml-cs0000").await;
    assert_eq!(status, 200, "{body}");
    let doc = Html::parse_document(&body);
    let sel = |s: &str| Selector::parse(s).unwrap();
    assert_eq!(doc.select(&sel("svg.story-svg")).count(), 1);
    assert_eq!(doc.select(&sel("svg .story-node")).count(), 6);
    assert_eq!(doc.select(&sel("svg .story-arrow")).count(), 5);
    // The page lists the steps itself: the embed has no second list.
    assert_eq!(doc.select(&sel("ol.story-list")).count(), 0);
    assert!(
        doc.select(&sel("a[href='/incidents/aml-cs0000/story']"))
            .next()
            .is_some()
    );
    // Each node leads to its step's entry on this page.
    let anchors: Vec<String> = doc
        .select(&sel("li.inc-step"))
        .filter_map(|li| li.value().attr("id").map(|id| format!("#{id}")))
        .collect();
    let hrefs: Vec<String> = doc
        .select(&sel("a.story-node-link"))
        .filter_map(|a| a.value().attr("href"))
        .map(|h| h.trim_start_matches("/incidents/aml-cs0000").to_string())
        .collect();
    assert_eq!(hrefs, anchors);
    assert!(!body.contains("style="), "no inline style attributes");
}

/// Steps whose times run backwards are said so in words, on the story page
/// and the incident page (and in the picture's description); periods that
/// overlap (a day within its month) are in order.
#[tokio::test]
async fn times_that_run_backwards_are_named_on_the_story_and_the_incident_page() {
    let app = TestApp::spawn().await;
    let (s, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Out of order", "severity": "high", "steps": [
                {"tactic": "AML.TA0002", "technique": "AML.T0000", "observed_at": "2024-06"},
                {"tactic": "AML.TA0003", "technique": "AML.T0016", "observed_at": "2024-06-20"},
                {"tactic": "AML.TA0004", "technique": "AML.T0093", "observed_at": "2024-05-02T10:00:00Z"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.001"},
                {"tactic": "AML.TA0007", "technique": "AML.T0015", "observed_at": "2024-07-01"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let want = "Times run backwards at step 3: 2024-05-02 10:00 UTC is before step 2 (2024-06-20).";
    for path in [format!("/incidents/{id}/story"), format!("/incidents/{id}")] {
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200, "{path}");
        let doc = Html::parse_document(&html);
        let notes: Vec<String> = doc
            .select(&Selector::parse(".story-time-note").unwrap())
            .map(|n| {
                n.text()
                    .collect::<Vec<_>>()
                    .join("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(notes.len(), 1, "{path}: {notes:?}");
        assert!(notes[0].contains(want), "{path}: {notes:?}");
    }
    let svg = story_svg(&app, &format!("/incidents/{id}/story.svg")).await;
    assert!(svg.contains(want), "the picture's description says it too");

    // In order (a day inside the month before it): no note.
    let (s, created) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "In order", "severity": "low", "steps": [
                {"tactic": "AML.TA0002", "technique": "AML.T0000", "observed_at": "2024-06"},
                {"tactic": "AML.TA0003", "technique": "AML.T0016", "observed_at": "2024-06-01"},
                {"tactic": "AML.TA0004", "technique": "AML.T0093", "observed_at": "2024-06-01T00:00:00Z"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (_, html) = app
        .get(&format!(
            "/incidents/{}/story",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        !html.contains("story-time-note"),
        "no note for steps in order"
    );
}
