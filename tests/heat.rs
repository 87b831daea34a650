//! The heat scale on skewed data, the same in every rendering of the
//! matrix, and Navigator layers that mitreattack-python loads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use atlasview::export::HEAT_COLORS;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, python_has, venv_python};

/// Five cells whose step counts span four orders of magnitude.
const SKEW: [(&str, &str, usize); 5] = [
    ("AML.TA0002", "AML.T0000", 1),
    ("AML.TA0001", "AML.T0043", 10),
    ("AML.TA0007", "AML.T0015", 100),
    ("AML.TA0010", "AML.T0057", 1_000),
    ("AML.TA0000", "AML.T0040", 8_000),
];

/// Incidents of at most 500 steps each giving the cells of [`SKEW`] their counts.
async fn skewed(app: &TestApp) {
    let mut n = 0;
    for (tactic, technique, count) in SKEW {
        let mut left = count;
        while left > 0 {
            let here = left.min(500);
            let steps: Vec<Value> = (0..here)
                .map(|_| json!({"tactic": tactic, "technique": technique}))
                .collect();
            n += 1;
            let (s, body) = app
                .post_json(
                    "/api/v1/incidents",
                    &json!({"title": format!("skew {n}"), "severity": "low", "steps": steps}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            left -= here;
        }
    }
}

/// technique → (score, level) of the cells of [`SKEW`] in `/api/v1/matrix`.
async fn levels(app: &TestApp, query: &str) -> (Vec<(usize, u64)>, Value) {
    let (s, body) = app
        .get_json(&format!("/api/v1/matrix?metric=steps{query}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut by_cell = BTreeMap::new();
    for t in body["tactics"].as_array().unwrap() {
        for c in t["cells"].as_array().unwrap() {
            by_cell.insert(
                (
                    t["id"].as_str().unwrap().to_string(),
                    c["technique"].as_str().unwrap().to_string(),
                ),
                (
                    c["score"].as_u64().unwrap() as usize,
                    c["level"].as_u64().unwrap(),
                ),
            );
        }
    }
    let out = SKEW
        .iter()
        .map(|(tactic, technique, _)| by_cell[&(tactic.to_string(), technique.to_string())])
        .collect();
    (out, body)
}

#[tokio::test]
async fn a_skewed_distribution_shows_five_distinct_heat_levels_everywhere() {
    let app = TestApp::spawn().await;
    skewed(&app).await;

    // The default scale: one level per order of magnitude, ranges in the legend.
    let (cells, body) = levels(&app, "").await;
    assert_eq!(
        cells,
        [(1, 1), (10, 2), (100, 3), (1_000, 4), (8_000, 5)],
        "{}",
        body["legend"]
    );
    assert_eq!(body["scale"], "log");
    assert_eq!(body["legend"].as_array().unwrap().len(), 5);
    // Linear stays available, and says what it did before.
    let (cells, body) = levels(&app, "&scale=linear").await;
    let linear: Vec<u64> = cells.iter().map(|c| c.1).collect();
    assert_eq!(linear, [1, 1, 1, 1, 5]);
    assert_eq!(body["scale"], "linear");
    let (s, body) = app.get_json("/api/v1/matrix?scale=cubic").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("scale"), "{body}");

    // The page: five legend entries with their ranges, and a scale switch.
    let (s, html) = app.get("/matrix?metric=steps").await;
    assert_eq!(s, 200);
    let doc = scraper::Html::parse_document(&html);
    let items = scraper::Selector::parse(".legend-items li").unwrap();
    let legend: Vec<String> = doc
        .select(&items)
        .map(|li| {
            li.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(legend.len(), 5, "{legend:?}");
    assert!(
        legend[0].contains("1–5") && legend[4].contains("1325–8000"),
        "{legend:?}"
    );
    assert!(html.contains("scale=linear"), "a link to the linear scale");

    // The SVG draws the five cells in the five colours.
    let (s, svg) = app.get("/matrix.svg?metric=steps").await;
    assert_eq!(s, 200);
    for colour in HEAT_COLORS {
        assert!(
            svg.contains(&format!("fill=\"{colour}\"")),
            "{colour} in the SVG"
        );
    }

    // The layer colours each cell by the same scale and names it.
    let (s, layer) = app.get_json("/matrix/layer.json?metric=steps").await;
    assert_eq!(s, StatusCode::OK);
    let colours: BTreeSet<&str> = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["color"].as_str())
        .collect();
    assert_eq!(colours, HEAT_COLORS.into_iter().collect());
    assert!(
        layer["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "scale" && m["value"] == "log")
    );
    let legend: Vec<&str> = layer["legendItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        legend,
        [
            "1–5 steps",
            "6–35 steps",
            "36–218 steps",
            "219–1324 steps",
            "1325–8000 steps"
        ]
    );
}

#[tokio::test]
async fn mitreattack_python_loads_our_layers_and_paints_them_as_we_do() {
    let app = TestApp::spawn().await;
    skewed(&app).await;
    let (s, one) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "One step each", "severity": "high", "steps": [
                {"tactic": "AML.TA0002", "technique": "AML.T0000"},
                {"tactic": "AML.TA0007", "technique": "AML.T0015"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{one}");
    let id = one["id"].as_str().unwrap().to_string();

    // A file name per incident.
    let res = app
        .client
        .get(app.url(&format!("/incidents/{id}/layer.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{id}-one-step-each-layer.json\"")
    );
    let incident: Value = res.json().await.unwrap();
    // The gradient is consistent with its colours: white at 0, the "used"
    // colour (the one every entry carries and the legend names) at the most
    // steps in a cell. It used to be 0–1 over five colours.
    let used = incident["legendItems"][0]["color"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(incident["gradient"]["colors"], json!(["#ffffff", used]));
    assert_eq!(incident["gradient"]["minValue"], 0);
    assert_eq!(incident["gradient"]["maxValue"], 1);
    for t in incident["techniques"].as_array().unwrap() {
        if t["score"].is_number() {
            assert_eq!(t["color"], json!(used), "{t}");
        }
    }

    let python = venv_python();
    if !python_has(&python, "mitreattack.navlayers", "mitreattack-python") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, path) in [
        (
            "matrix-log.json",
            "/matrix/layer.json?metric=steps".to_string(),
        ),
        (
            "matrix-linear.json",
            "/matrix/layer.json?metric=steps&scale=linear".to_string(),
        ),
        ("matrix-incidents.json", "/matrix/layer.json".to_string()),
        ("incident.json", format!("/incidents/{id}/layer.json")),
    ] {
        let (s, body) = app.get(&path).await;
        assert_eq!(s, 200, "{path}");
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/navigator_check.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(&files)
        .output()
        .expect("run the layer check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mitreattack-python refused a layer: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a layer"))
        .collect();
    assert_eq!(reports.len(), 4);
    for r in &reports[..3] {
        assert!(r["techniques"].as_u64().unwrap() >= 5, "{r}");
    }
    // The incident's two one-step cells get the colour the legend names.
    let incident_colors: BTreeSet<String> = reports[3]["colors"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c.as_str().unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(incident_colors, BTreeSet::from([used.to_ascii_lowercase()]));
}
