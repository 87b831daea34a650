//! Labels in the matrix SVG wrap at words: every line of text lies inside
//! its box by the layout's own width model (as the story test measures),
//! and lines break only at spaces or after hyphens and slashes, so a label
//! read back line by line is its name again ("Reconnaissanc" / "e" is not).

use std::collections::HashSet;

use atlasview::render::measure::{Face, text_width};
use atlasview::render::story::Rect;

use crate::support::{TestApp, shared_atlas};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn num(n: &roxmltree::Node, attr: &str) -> f64 {
    n.attribute(attr)
        .unwrap_or_else(|| panic!("{attr} on {n:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{attr} on {n:?} is a number"))
}

/// The box a `<text>` takes by the width model: bold for weights 600 and up.
fn text_box(t: &roxmltree::Node) -> Rect {
    let text = t.text().unwrap_or_default();
    let size = num(t, "font-size");
    let face = match t.attribute("font-weight") {
        Some(w) if w.parse::<u32>().is_ok_and(|w| w >= 600) => Face::SansBold,
        _ => Face::Sans,
    };
    let w = text_width(text, size, face);
    let x = num(t, "x");
    let left = if t.attribute("text-anchor") == Some("end") {
        x - w
    } else {
        x
    };
    let y = num(t, "y");
    Rect::new(left, y - 0.93 * size, w, 1.17 * size)
}

/// Joins a label's lines as they were broken: no space after a line that
/// ends in a hyphen or slash, one space otherwise.
fn rejoin(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        if !out.is_empty() && !out.ends_with(['-', '/']) {
            out.push(' ');
        }
        out.push_str(l);
    }
    out
}

/// For every box of the SVG (tactic heads and cells): its lines of text
/// (badges, right-aligned, left out) and the problems with their fit.
fn boxes(svg: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let mut labels = Vec::new();
    let mut problems = Vec::new();
    for g in doc
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "g")) && n.attribute("class") == Some("tactic"))
    {
        let mut current: Option<(Rect, Vec<String>)> = None;
        for n in g.children().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "rect" => {
                    if let Some((_, lines)) = current.take() {
                        labels.push(lines);
                    }
                    let r = Rect::new(
                        num(&n, "x"),
                        num(&n, "y"),
                        num(&n, "width"),
                        num(&n, "height"),
                    );
                    current = Some((r, Vec::new()));
                }
                "text" => {
                    let Some((rect, lines)) = current.as_mut() else {
                        problems.push("text before any box".to_string());
                        continue;
                    };
                    let b = text_box(&n);
                    let text = n.text().unwrap_or_default().to_string();
                    if !rect.contains(&b) {
                        problems.push(format!("{text:?} leaves its box"));
                    }
                    if n.attribute("text-anchor") != Some("end") {
                        lines.push(text);
                    }
                }
                _ => {}
            }
        }
        if let Some((_, lines)) = current.take() {
            labels.push(lines);
        }
    }
    (labels, problems)
}

#[tokio::test]
async fn matrix_svg_labels_fit_their_boxes_and_break_only_between_words() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    // What a box may say: a tactic's name, a technique's name (as a cell or
    // a sub-cell shows it), optionally followed by its ID.
    let mut names: HashSet<String> = HashSet::new();
    for t in atlas.tactics() {
        names.insert(t.name.clone());
    }
    for t in &atlas.release.techniques {
        for name in [t.name.clone(), atlas.display_name(t)] {
            names.insert(format!("{name} {}", t.id));
            names.insert(name);
        }
    }
    let (s, body) = app
        .post_json(
            "/api/v1/incidents",
            &serde_json::json!({"title": "Seen", "severity": "low", "steps": [
                {"tactic": "AML.TA0002", "technique": "AML.T0000"},
                {"tactic": "AML.TA0007", "technique": "AML.T0015"},
            ]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{body}");
    for path in [
        "/matrix.svg?subtechniques=all",
        "/matrix.svg?subtechniques=all&ids=1",
    ] {
        let (status, svg) = app.get(path).await;
        assert_eq!(status, 200, "{path}");
        let (labels, problems) = boxes(&svg);
        assert!(problems.is_empty(), "{path}: {problems:?}");
        assert!(labels.len() > 150, "{path}: {} boxes", labels.len());
        let mut broken = Vec::new();
        for lines in labels.iter().filter(|l| !l.is_empty()) {
            let text = rejoin(lines);
            // An abbreviated word (…) is allowed; a split one is not.
            if !names.contains(&text) && !text.contains('…') {
                broken.push(lines.clone());
            }
        }
        assert!(broken.is_empty(), "{path}: split labels {broken:?}");
        // The long tactic names are whole words on their lines.
        for word in ["Reconnaissance", "Exfiltration"] {
            assert!(
                labels.iter().any(|l| l.iter().any(|x| x == word)),
                "{path}: {word} on a line of its own"
            );
        }
    }
}
