//! The highlighted matrix: scores over the 57 ATLAS case studies, filters,
//! the JSON API, Navigator layers out and in (validated against layer format
//! 4.5), the SVG export, the incident's own matrix and the technique page's
//! incidents.

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::StatusCode;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

use atlasview::domain::auth::Role;
use atlasview::export::tactic_short_name;
use atlasview::service::case_studies::import_release_case_studies;

use crate::support::{TestApp, shared_atlas};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("bad selector {s}: {e:?}"))
}

fn text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An app with ATLAS 5.6.0 and its 57 case studies as incidents.
async fn with_case_studies() -> TestApp {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let summary = import_release_case_studies(&app.store, &app.state.atlas.get())
        .await
        .expect("import case studies");
    assert_eq!((summary.created, summary.steps), (57, 449));
    app
}

/// Well-formed and self-consistent HTML: the parser met no error (no stray
/// or unclosed element), IDs are unique, every label points at a control,
/// no inline style or script.
fn assert_valid_html(body: &str, doc: &Html, path: &str) {
    assert!(
        doc.errors.is_empty(),
        "{path}: HTML parse errors {:?}",
        doc.errors
    );
    assert!(body.starts_with("<!doctype html>"), "{path}: doctype");
    let mut ids = HashSet::new();
    for el in doc.select(&sel("[id]")) {
        let id = el.value().attr("id").unwrap_or_default();
        assert!(ids.insert(id.to_string()), "{path}: duplicate id {id:?}");
    }
    for label in doc.select(&sel("label[for]")) {
        let target = label.value().attr("for").unwrap_or_default();
        assert!(ids.contains(target), "{path}: label for missing #{target}");
    }
    for el in doc.select(&sel("[aria-labelledby]")) {
        for id in el
            .value()
            .attr("aria-labelledby")
            .unwrap_or_default()
            .split_whitespace()
        {
            assert!(ids.contains(id), "{path}: aria-labelledby missing #{id}");
        }
    }
    assert_eq!(
        doc.select(&sel("[style], style")).count(),
        0,
        "{path}: inline style"
    );
    for s in doc.select(&sel("script")) {
        assert!(
            s.value().attr("src").is_some() && text(s).is_empty(),
            "{path}: inline script"
        );
    }
}

/// The cells of the JSON matrix by (tactic, technique).
fn cells(matrix: &Value) -> HashMap<(String, String), Value> {
    let mut out = HashMap::new();
    for t in matrix["tactics"].as_array().expect("tactics") {
        for c in t["cells"].as_array().expect("cells") {
            out.insert(
                (
                    t["id"].as_str().unwrap_or_default().to_string(),
                    c["technique"].as_str().unwrap_or_default().to_string(),
                ),
                c.clone(),
            );
        }
    }
    out
}

fn cell<'a>(
    cells: &'a HashMap<(String, String), Value>,
    tactic: &str,
    technique: &str,
) -> &'a Value {
    static NONE: Value = Value::Null;
    cells
        .get(&(tactic.to_string(), technique.to_string()))
        .unwrap_or(&NONE)
}

// ------------------------------------------------------- layer format 4.5

/// Problems of a layer against the ATT&CK Navigator's LAYERFORMATv4_5.md:
/// required keys, value types, known tactic short names.
fn layer_4_5_problems(layer: &Value, tactics: &HashSet<String>) -> Vec<String> {
    let mut p = Vec::new();
    let Some(obj) = layer.as_object() else {
        return vec!["layer: not an object".to_string()];
    };
    let is_str = |v: &Value| v.is_string();
    let is_bool = |v: &Value| v.is_boolean();
    let is_num = |v: &Value| v.is_number();
    let check = |p: &mut Vec<String>,
                 o: &serde_json::Map<String, Value>,
                 key: &str,
                 required: bool,
                 ok: &dyn Fn(&Value) -> bool,
                 at: &str| {
        match o.get(key) {
            None if required => p.push(format!("{at}{key}: required")),
            Some(v) if !ok(v) => p.push(format!("{at}{key}: wrong type {v}")),
            _ => {}
        }
    };
    check(&mut p, obj, "name", true, &is_str, "");
    check(&mut p, obj, "domain", true, &is_str, "");
    check(&mut p, obj, "description", false, &is_str, "");
    check(
        &mut p,
        obj,
        "sorting",
        false,
        &|v| v.as_u64().is_some_and(|n| n <= 3),
        "",
    );
    check(&mut p, obj, "hideDisabled", false, &is_bool, "");
    check(&mut p, obj, "showTacticRowBackground", false, &is_bool, "");
    check(&mut p, obj, "tacticRowBackground", false, &is_str, "");
    check(
        &mut p,
        obj,
        "selectTechniquesAcrossTactics",
        false,
        &is_bool,
        "",
    );
    check(
        &mut p,
        obj,
        "selectSubtechniquesWithParent",
        false,
        &is_bool,
        "",
    );
    check(&mut p, obj, "selectVisibleTechniques", false, &is_bool, "");
    if obj.get("domain").and_then(Value::as_str) != Some("atlas-atlas") {
        p.push("domain: not atlas-atlas".to_string());
    }
    match obj.get("versions") {
        None => {}
        Some(Value::Object(v)) => {
            check(&mut p, v, "navigator", true, &is_str, "versions.");
            check(
                &mut p,
                v,
                "layer",
                true,
                &|x| x.as_str() == Some("4.5"),
                "versions.",
            );
            check(&mut p, v, "attack", false, &is_str, "versions.");
            if let Some(n) = v.get("navigator").and_then(Value::as_str) {
                let parts: Vec<u32> = n.split('.').filter_map(|x| x.parse().ok()).collect();
                if parts.len() != 3 || parts < vec![4, 9, 0] {
                    p.push(format!("versions.navigator: {n} is not at least 4.9.0"));
                }
            }
        }
        Some(_) => p.push("versions: not an object".to_string()),
    }
    if let Some(layout) = obj.get("layout") {
        match layout.as_object() {
            None => p.push("layout: not an object".to_string()),
            Some(l) => {
                check(
                    &mut p,
                    l,
                    "layout",
                    false,
                    &|v| matches!(v.as_str(), Some("side" | "flat" | "mini")),
                    "layout.",
                );
                check(&mut p, l, "showID", false, &is_bool, "layout.");
                check(&mut p, l, "showName", false, &is_bool, "layout.");
                check(&mut p, l, "showAggregateScores", false, &is_bool, "layout.");
                check(&mut p, l, "countUnscored", false, &is_bool, "layout.");
                check(
                    &mut p,
                    l,
                    "aggregateFunction",
                    false,
                    &|v| matches!(v.as_str(), Some("average" | "min" | "max" | "sum")),
                    "layout.",
                );
                check(
                    &mut p,
                    l,
                    "expandedSubtechniques",
                    false,
                    &|v| matches!(v.as_str(), Some("none" | "all" | "annotated")),
                    "layout.",
                );
            }
        }
    }
    let meta_ok = |p: &mut Vec<String>, list: &Value, at: &str| match list.as_array() {
        None => p.push(format!("{at}: not an array")),
        Some(items) => {
            for (i, m) in items.iter().enumerate() {
                let Some(m) = m.as_object() else {
                    p.push(format!("{at}[{i}]: not an object"));
                    continue;
                };
                if m.get("divider").is_some() {
                    continue;
                }
                if !m.get("name").is_some_and(Value::is_string)
                    || !m.get("value").is_some_and(Value::is_string)
                {
                    p.push(format!("{at}[{i}]: name and value must be strings"));
                }
            }
        }
    };
    if let Some(m) = obj.get("metadata") {
        meta_ok(&mut p, m, "metadata");
    }
    match obj.get("techniques") {
        None => {}
        Some(Value::Array(list)) => {
            for (i, t) in list.iter().enumerate() {
                let at = format!("techniques[{i}].");
                let Some(t) = t.as_object() else {
                    p.push(format!("techniques[{i}]: not an object"));
                    continue;
                };
                check(
                    &mut p,
                    t,
                    "techniqueID",
                    true,
                    &|v| v.as_str().is_some_and(|s| s.starts_with("AML.T")),
                    &at,
                );
                check(&mut p, t, "tactic", false, &is_str, &at);
                check(&mut p, t, "comment", false, &is_str, &at);
                check(&mut p, t, "enabled", false, &is_bool, &at);
                check(&mut p, t, "score", false, &is_num, &at);
                check(&mut p, t, "color", false, &is_str, &at);
                check(&mut p, t, "showSubtechniques", false, &is_bool, &at);
                if let Some(tactic) = t.get("tactic").and_then(Value::as_str)
                    && !tactics.contains(tactic)
                {
                    p.push(format!("{at}tactic: unknown short name {tactic:?}"));
                }
                if let Some(m) = t.get("metadata") {
                    meta_ok(&mut p, m, &format!("{at}metadata"));
                }
            }
        }
        Some(_) => p.push("techniques: not an array".to_string()),
    }
    if let Some(g) = obj.get("gradient") {
        match g.as_object() {
            None => p.push("gradient: not an object".to_string()),
            Some(g) => {
                let colors = g.get("colors").and_then(Value::as_array);
                if !colors.is_some_and(|c| {
                    c.len() >= 2
                        && c.iter()
                            .all(|x| x.as_str().is_some_and(|s| s.starts_with('#')))
                }) {
                    p.push("gradient.colors: at least two hex colours".to_string());
                }
                let min = g.get("minValue").and_then(Value::as_f64);
                let max = g.get("maxValue").and_then(Value::as_f64);
                match (min, max) {
                    (Some(a), Some(b)) if b > a => {}
                    _ => p.push("gradient: minValue and maxValue numbers, max > min".to_string()),
                }
            }
        }
    }
    if let Some(items) = obj.get("legendItems") {
        match items.as_array() {
            None => p.push("legendItems: not an array".to_string()),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.get("label").is_some_and(Value::is_string)
                        || !item.get("color").is_some_and(Value::is_string)
                    {
                        p.push(format!("legendItems[{i}]: label and color required"));
                    }
                }
            }
        }
    }
    p
}

fn short_names(app: &TestApp) -> HashSet<String> {
    app.state
        .atlas
        .get()
        .tactics()
        .iter()
        .map(|t| tactic_short_name(&t.name))
        .collect()
}

#[test]
fn the_layer_validator_can_fail() {
    let tactics: HashSet<String> = ["defense-evasion".to_string()].into();
    let good = json!({
        "name": "x", "domain": "atlas-atlas", "versions": {"navigator": "5.1.0", "layer": "4.5"},
        "techniques": [{"techniqueID": "AML.T0015", "tactic": "defense-evasion", "score": 1}],
        "gradient": {"colors": ["#ffffff", "#ff0000"], "minValue": 0, "maxValue": 1},
        "legendItems": [{"label": "a", "color": "#ff0000"}]
    });
    assert!(layer_4_5_problems(&good, &tactics).is_empty());
    for (bad, what) in [
        (json!({"domain": "atlas-atlas"}), "name"),
        (
            json!({"name": "x", "domain": "atlas-atlas", "versions": {"navigator": "4.6.4", "layer": "4.3"}}),
            "versions",
        ),
        (
            json!({"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "AML.T0015", "tactic": "ml-attack-staging"}]}),
            "tactic",
        ),
        (
            json!({"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "AML.T0015", "score": "3"}]}),
            "score",
        ),
        (
            json!({"name": "x", "domain": "atlas-atlas", "gradient": {"colors": ["#fff"], "minValue": 1, "maxValue": 1}}),
            "gradient",
        ),
    ] {
        let problems = layer_4_5_problems(&bad, &tactics);
        assert!(
            problems.iter().any(|p| p.contains(what)),
            "{what}: {problems:?}"
        );
    }
}

// ----------------------------------------------------------- case studies

#[tokio::test]
async fn case_studies_score_the_matrix() {
    let app = with_case_studies().await;
    let (status, m) = app.get_json("/api/v1/matrix?metric=steps").await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["release"], "5.6.0");
    assert_eq!(m["metric"], "steps");
    assert_eq!(
        (m["incident_total"].as_i64(), m["step_total"].as_u64()),
        (Some(57), Some(449))
    );
    let tactics: Vec<&str> = m["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    let expected: Vec<String> = app
        .state
        .atlas
        .get()
        .tactics()
        .iter()
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(tactics, expected, "tactics in matrix order");
    let c = cells(&m);
    // Evade AI Model under Defense Evasion: 6 steps in the 57 case studies.
    let evade = cell(&c, "AML.TA0007", "AML.T0015");
    assert_eq!(evade["steps"], 6, "{evade}");
    assert_eq!(evade["incidents"], 6);
    assert_eq!(evade["incident_ids"].as_array().map(Vec::len), Some(6));
    assert!(
        evade["incident_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|i| i == "aml-cs0000")),
        "{evade}"
    );
    // Every step is somewhere: the sum over cells is the number of steps.
    let total: u64 = c.values().filter_map(|v| v["steps"].as_u64()).sum();
    assert_eq!(total, 449);

    // The page shows the same score, with a bucket class, badge and marker.
    let path = "/matrix?metric=steps";
    let (body, doc) = app.page(path).await;
    assert_valid_html(&body, &doc, path);
    let li = doc
        .select(&sel(
            "section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015']",
        ))
        .next()
        .expect("Evade AI Model under Defense Evasion");
    let class = li.value().attr("class").unwrap_or_default();
    assert!(
        class
            .split(' ')
            .any(|c| c.starts_with("heat-") && c != "heat-0"),
        "{class}"
    );
    let badge = li.select(&sel(".cell-link > .badge")).next().map(text);
    assert_eq!(badge.as_deref(), Some("6"));
    assert_eq!(
        li.select(&sel(".cell-link > .marker[class*='marker-level-']"))
            .count(),
        1
    );
    let link = li.select(&sel("a.cell-link")).next().expect("link");
    let title = link.value().attr("title").unwrap_or_default();
    assert!(title.contains("6 incidents, 6 steps"), "{title}");
    assert!(title.contains("and 4 more"), "{title}");
    assert_eq!(
        link.value().attr("href"),
        Some("/techniques/AML.T0015?under=AML.TA0007")
    );
    // A legend of score ranges with a swatch per bucket.
    let legend: Vec<String> = doc
        .select(&sel(".legend-item .legend-range"))
        .map(text)
        .collect();
    assert!(!legend.is_empty());
    assert_eq!(
        legend
            .first()
            .map(String::as_str)
            .and_then(|r| r.split('–').next()),
        Some("1")
    );
    assert_eq!(
        doc.select(&sel(".legend-item .legend-swatch")).count(),
        legend.len()
    );
    assert!(body.len() < 150 * 1024, "page is {} bytes", body.len());

    // Observed only: every cell left has a score (or an observed sub-technique).
    let (_, only) = app.page("/matrix?observed=1").await;
    let all_cells = doc.select(&sel("li.cell")).count();
    let kept: Vec<ElementRef> = only.select(&sel("li.cell")).collect();
    assert!(
        !kept.is_empty() && kept.len() < all_cells,
        "{} of {all_cells}",
        kept.len()
    );
    for li in &kept {
        assert!(li.select(&sel(".badge")).count() > 0, "{}", li.html());
    }
    // The toggle is one link, and it keeps the other options.
    let toggle = doc
        .select(&sel(".toolbar a"))
        .find(|a| text(*a) == "Observed only")
        .expect("observed-only link");
    assert_eq!(
        toggle.value().attr("href"),
        Some("/matrix?metric=steps&observed=1")
    );
}

#[tokio::test]
async fn the_incident_matrix_shows_step_numbers() {
    let app = with_case_studies().await;
    let atlas = app.state.atlas.get();
    let cs = atlas
        .release
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0000")
        .expect("AML.CS0000");
    assert_eq!(cs.procedure.len(), 6);
    let path = "/incidents/aml-cs0000";
    let (body, doc) = app.page(path).await;
    assert_valid_html(&body, &doc, path);
    let used: Vec<ElementRef> = doc
        .select(&sel("#matrix :is(li.cell, li.subcell).heat-3"))
        .collect();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for li in &used {
        let technique = li
            .value()
            .attr("data-technique")
            .unwrap_or_default()
            .to_string();
        let badge = li
            .select(&sel(".badge"))
            .next()
            .map(text)
            .unwrap_or_default();
        seen.insert((technique, badge));
    }
    let expected: BTreeSet<(String, String)> = cs
        .procedure
        .iter()
        .enumerate()
        .map(|(i, s)| (s.technique.clone(), (i + 1).to_string()))
        .collect();
    assert_eq!(seen, expected, "exactly its six techniques, numbered 1–6");
    // Each in its own tactic's column.
    for s in &cs.procedure {
        let q = format!(
            "#matrix section.tactic[data-tactic='{}'] li[data-technique='{}'].heat-3",
            s.tactic, s.technique
        );
        assert_eq!(doc.select(&sel(&q)).count(), 1, "{q}");
    }
    // Its SVG and layer are linked and served.
    for link in [
        "/incidents/aml-cs0000/matrix.svg",
        "/incidents/aml-cs0000/layer.json",
    ] {
        assert_eq!(
            doc.select(&sel(&format!("#matrix a[href='{link}']")))
                .count(),
            1,
            "{link}"
        );
        let (status, _) = app.get(link).await;
        assert_eq!(status, 200, "{link}");
    }
}

// ------------------------------------------------------------------ layers

fn layer_files() -> Vec<std::path::PathBuf> {
    let dir = shared_atlas("navigator-layers/case-studies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

async fn post_layer(app: &TestApp, body: &[u8]) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/layers"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn incident_pairs(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let (status, inc) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{inc}");
    inc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["tactic"].as_str().unwrap_or_default().to_string(),
                s["technique"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_mitre_case_study_layer_imports_as_its_techniques() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    let files = layer_files();
    assert_eq!(files.len(), 57);
    for file in files {
        let cs_id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let cs = atlas
            .release
            .case_studies
            .iter()
            .find(|c| c.id == cs_id)
            .unwrap_or_else(|| panic!("{cs_id} in the release"));
        let bytes = std::fs::read(&file).expect("read layer");
        let (status, done) = post_layer(&app, &bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{cs_id}: {done}");
        assert_eq!(done["unknown_techniques"], json!([]), "{cs_id}");
        let id = done["incident"].as_str().expect("incident id");
        let pairs = incident_pairs(&app, id).await;
        let got: BTreeSet<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
        let want: BTreeSet<&str> = cs.procedure.iter().map(|s| s.technique.as_str()).collect();
        assert_eq!(got, want, "{cs_id}: techniques");
        // One step per annotated (tactic, technique), in matrix order.
        let cols: Vec<usize> = pairs
            .iter()
            .map(|p| atlas.tactic_position(&p.0).expect("known tactic"))
            .collect();
        assert!(
            cols.windows(2).all(|w| w[0] <= w[1]),
            "{cs_id}: matrix order {pairs:?}"
        );
        // Every step came from the layer, with the layer's source.
        let (_, inc) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
        assert!(
            inc["steps"]
                .as_array()
                .is_some_and(|s| s.iter().all(|s| s["source"] == "layer-import"))
        );
        assert_eq!(inc["title"], cs.name.trim());
        assert!(
            inc["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "layer-import"))
        );
    }
}

#[tokio::test]
async fn exported_layers_validate_and_round_trip() {
    let app = with_case_studies().await;
    let tactics = short_names(&app);
    let atlas = app.state.atlas.get();
    for cs in &atlas.release.case_studies {
        let id = cs.id.to_ascii_lowercase().replace('.', "-");
        let res = app
            .client
            .get(app.url(&format!("/incidents/{id}/layer.json")))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "{id}");
        assert!(
            res.headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("attachment")),
            "{id}: a download"
        );
        let bytes = res.bytes().await.expect("body");
        let layer: Value = serde_json::from_slice(&bytes).expect("JSON");
        let problems = layer_4_5_problems(&layer, &tactics);
        assert!(problems.is_empty(), "{id}: {problems:?}");
        assert_eq!(layer["versions"]["layer"], "4.5");
        assert_eq!(layer["domain"], "atlas-atlas");
        assert!(layer["metadata"].as_array().is_some_and(|m| {
            m.iter()
                .any(|x| x["name"] == "atlas_data_version" && x["value"] == "5.6.0")
        }));
        // Comments carry the step numbers and descriptions.
        let first = &cs.procedure[0];
        let entry = layer["techniques"]
            .as_array()
            .and_then(|t| {
                t.iter().find(|e| {
                    e["techniqueID"] == first.technique.as_str() && e["score"].is_number()
                })
            })
            .unwrap_or_else(|| panic!("{id}: entry for {}", first.technique));
        assert!(
            entry["comment"]
                .as_str()
                .is_some_and(|c| c.contains("Step 1")),
            "{entry}"
        );

        let (status, done) = post_layer(&app, &bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{id}: {done}");
        let again: BTreeSet<(String, String)> =
            incident_pairs(&app, done["incident"].as_str().unwrap_or_default())
                .await
                .into_iter()
                .collect();
        let original: BTreeSet<(String, String)> = cs
            .procedure
            .iter()
            .map(|s| (s.tactic.clone(), s.technique.clone()))
            .collect();
        assert_eq!(again, original, "{id}: round trip");
    }
    // The matrix's own layer validates too, with filters in its description.
    for path in [
        "/matrix/layer.json",
        "/matrix/layer.json?metric=steps&rollup=1&kind=case-study",
        "/matrix/layer.json?severity=critical",
    ] {
        let (status, layer) = app.get_json(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let problems = layer_4_5_problems(&layer, &tactics);
        assert!(problems.is_empty(), "{path}: {problems:?}");
    }
    // (The re-imported layers are incidents of their own now: count the case studies.)
    let (_, layer) = app
        .get_json("/matrix/layer.json?metric=steps&kind=case-study")
        .await;
    let evade = layer["techniques"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|e| e["techniqueID"] == "AML.T0015" && e["tactic"] == "defense-evasion")
        })
        .expect("Evade AI Model under defense-evasion")
        .clone();
    assert_eq!(evade["score"], 6);
    assert!(layer["metadata"].as_array().is_some_and(|m| {
        m.iter()
            .any(|x| x["name"] == "metric" && x["value"] == "steps")
    }));
    assert!(
        layer["legendItems"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    // A parent whose sub-technique was observed is opened.
    let opened = layer["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .filter(|e| e["showSubtechniques"] == true)
        .count();
    assert!(opened > 0);
    let (_, layer) = app
        .get_json("/matrix/layer.json?kind=exercise&severity=low")
        .await;
    assert_eq!(layer["techniques"], json!([]), "no low-severity exercises");
    assert!(
        layer["description"]
            .as_str()
            .is_some_and(|d| d.contains("kind exercise") && d.contains("severity low")),
        "{}",
        layer["description"]
    );
}

#[tokio::test]
async fn layer_import_reads_older_names_untagged_entries_and_reports_unknowns() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let layer = json!({
        "name": "Hand-made layer",
        "domain": "atlas-atlas",
        "versions": {"layer": "4.2", "navigator": "4.5.5"},
        "description": "from a workshop",
        "links": [{"label": "notes", "url": "https://example.org/notes"}],
        "techniques": [
            {"techniqueID": "AML.T0043", "tactic": "ml-attack-staging", "comment": "crafted samples"},
            {"techniqueID": "AML.T0015", "color": "#ff0000"},
            {"techniqueID": "AML.T0051", "tactic": "execution", "showSubtechniques": true},
            {"techniqueID": "AML.T0051.000", "tactic": "execution", "score": 2},
            {"techniqueID": "AML.T9999", "tactic": "impact", "score": 1},
            {"techniqueID": "T1059", "score": 1},
            {"techniqueID": "AML.T0015", "tactic": "no-such-tactic", "score": 1},
            {"techniqueID": "AML.T0000", "tactic": "impact", "score": 1}
        ]
    });
    let (status, done) = post_layer(&app, layer.to_string().as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["unknown_techniques"], json!(["AML.T9999", "T1059"]));
    let skipped: Vec<usize> = done["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(|s| s["index"].as_u64().map(|i| i as usize))
        .collect();
    assert_eq!(skipped, [6, 7], "{done}");
    let pairs = incident_pairs(&app, done["incident"].as_str().expect("id")).await;
    let atlas = app.state.atlas.get();
    let evade_tactics = &atlas.technique("AML.T0015").expect("T0015").tactics;
    // ml-attack-staging is AI Attack Staging; the untagged entry is in each of its tactics;
    // the entry that only opens its parent is no step.
    let mut expected: Vec<(String, String)> = vec![
        ("AML.TA0001".to_string(), "AML.T0043".to_string()),
        ("AML.TA0005".to_string(), "AML.T0051.000".to_string()),
    ];
    expected.extend(
        evade_tactics
            .iter()
            .map(|t| (t.clone(), "AML.T0015".to_string())),
    );
    let got: BTreeSet<_> = pairs.iter().cloned().collect();
    assert_eq!(got, expected.into_iter().collect::<BTreeSet<_>>());
    assert_eq!(pairs.len(), got.len(), "one step per pair");
    let (_, inc) = app
        .get_json(&format!(
            "/api/v1/incidents/{}",
            done["incident"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(inc["summary"], "from a workshop");
    assert_eq!(inc["references"][0]["url"], "https://example.org/notes");
    let staging = inc["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["technique"] == "AML.T0043"))
        .expect("staging step");
    assert_eq!(staging["description"], "crafted samples");

    // Malformed layers: 4xx naming the problem, nothing created.
    let (before, _) = app.store.incident_counts().await.expect("counts");
    for (body, status, field) in [
        ("{not json".to_string(), 400, "layer"),
        (json!({"name": "x", "domain": "enterprise-attack"}).to_string(), 422, "domain"),
        (json!({"name": "x", "domain": "atlas-atlas", "versions": {"layer": "3.0"}}).to_string(), 422, "versions.layer"),
        (json!({"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "AML.T0015", "score": "high"}]}).to_string(), 422, "techniques[0].score"),
        (json!({"name": "x", "domain": "atlas-atlas", "techniques": {"a": 1}}).to_string(), 422, "techniques"),
        (json!({"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "T1059", "score": 1}]}).to_string(), 422, "techniques"),
        (json!([]).to_string(), 422, "layer"),
    ] {
        let (s, err) = post_layer(&app, body.as_bytes()).await;
        assert_eq!(s.as_u16(), status, "{body}: {err}");
        assert_eq!(err["field"], field, "{body}: {err}");
        assert!(err["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let res = app
        .client
        .post(app.url("/api/v1/layers"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (after, _) = app.store.incident_counts().await.expect("counts");
    assert_eq!(before, after);
}

#[tokio::test]
async fn the_layer_upload_form_creates_an_incident() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let path = "/incidents/layer/import";
    let (body, doc) = app.page(path).await;
    assert_valid_html(&body, &doc, path);
    let layer = std::fs::read_to_string(shared_atlas(
        "navigator-layers/case-studies/AML.CS0000.json",
    ))
    .expect("layer");
    let res = app
        .client
        .post(app.url(path))
        .form(&[("layer", layer.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(location.starts_with("/incidents/inc-"), "{location}");
    let (status, _) = app.get(&location).await;
    assert_eq!(status, 200);
    // A broken layer re-renders the form with the problem (422), keeping the text.
    let res = app
        .client
        .post(app.url(path))
        .form(&[(
            "layer",
            "{\"name\": \"<b>x</b>\", \"domain\": \"enterprise-attack\"}",
        )])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.expect("body");
    assert!(body.contains("atlas-atlas"), "{body}");
    assert!(!body.contains("<b>x</b>"), "escaped");
    // Unknown techniques: the result page lists them.
    let res = app
        .client
        .post(app.url(path))
        .form(&[(
            "layer",
            json!({"name": "x", "domain": "atlas-atlas", "techniques": [
            {"techniqueID": "AML.T0015", "tactic": "impact", "score": 1},
            {"techniqueID": "AML.T4242", "score": 1}]})
            .to_string()
            .as_str(),
        )])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let doc = Html::parse_document(&res.text().await.expect("body"));
    let unknown: Vec<String> = doc.select(&sel(".layer-unknown li")).map(text).collect();
    assert_eq!(unknown, ["AML.T4242"]);
}

// ----------------------------------------------------------------- filters

/// Three hand-made incidents:
/// A: incident, high, open, occurred 2024-01-10, detected 2024-01-12, tag alpha, target "Bank chatbot";
/// B: exercise, low, closed, occurred 2024-06-01, tag beta;
/// C: case study, critical, resolved, occurred 2023-03-03, tags alpha and beta.
async fn hand_made(app: &TestApp) -> (String, String, String) {
    let mut ids = Vec::new();
    for body in [
        json!({
            "title": "A: prompt injection at the bank", "kind": "incident", "severity": "high", "status": "open",
            "occurred_at": "2024-01-10", "detected_at": "2024-01-12", "tags": ["alpha"], "target": "Bank chatbot",
            "steps": [
                {"tactic": "AML.TA0007", "technique": "AML.T0015"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.000", "description": "invoice trick"}
            ]
        }),
        json!({
            "title": "B: red-team evasion", "kind": "exercise", "severity": "low", "status": "closed",
            "occurred_at": "2024-06-01", "tags": ["beta"],
            "steps": [
                {"tactic": "AML.TA0007", "technique": "AML.T0015"},
                {"tactic": "AML.TA0007", "technique": "AML.T0015"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051"}
            ]
        }),
        json!({
            "title": "C: old study", "kind": "case-study", "severity": "critical", "status": "resolved",
            "occurred_at": "2023-03-03", "tags": ["alpha", "beta"],
            "steps": [
                {"tactic": "AML.TA0002", "technique": "AML.T0000"},
                {"tactic": "AML.TA0005", "technique": "AML.T0051.001"}
            ]
        }),
    ] {
        let (status, inc) = app.post_json("/api/v1/incidents", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{inc}");
        ids.push(inc["id"].as_str().expect("id").to_string());
    }
    (ids[0].clone(), ids[1].clone(), ids[2].clone())
}

async fn matrix(app: &TestApp, query: &str) -> (Value, HashMap<(String, String), Value>) {
    let (status, m) = app.get_json(&format!("/api/v1/matrix?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {m}");
    let c = cells(&m);
    (m, c)
}

fn ids_of(cell: &Value) -> BTreeSet<String> {
    cell["incident_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn filters_combine() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (a, b, c) = hand_made(&app).await;
    let set = |v: &[&String]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    };
    let evade =
        |cells: &HashMap<(String, String), Value>| cell(cells, "AML.TA0007", "AML.T0015").clone();

    let (m, all) = matrix(&app, "").await;
    assert_eq!(
        (m["incident_total"].as_i64(), m["step_total"].as_u64()),
        (Some(3), Some(7))
    );
    let e = evade(&all);
    assert_eq!(
        (e["incidents"].as_u64(), e["steps"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(ids_of(&e), set(&[&a, &b]));
    assert_eq!(e["score"], 2, "incidents is the default metric");

    for (query, incidents, evade_ids) in [
        ("severity=high", 1, set(&[&a])),
        ("severity=high,low", 2, set(&[&a, &b])),
        ("severity=high&severity=critical", 2, set(&[&a])),
        ("kind=exercise", 1, set(&[&b])),
        ("kind=incident,case-study", 2, set(&[&a])),
        ("status=open", 1, set(&[&a])),
        ("tag=alpha", 2, set(&[&a])),
        ("tag=beta&kind=exercise", 1, set(&[&b])),
        ("tag=alpha&severity=low", 0, set(&[])),
        ("from=2024-01&to=2024-01", 1, set(&[&a])),
        ("from=2024", 2, set(&[&a, &b])),
        ("to=2023-12-31", 1, set(&[])),
        ("from=2023-01-01&to=2024-05&kind=exercise", 0, set(&[])),
        (
            "detected_from=2024-01-11&detected_to=2024-01-12",
            1,
            set(&[&a]),
        ),
        ("target=bank", 1, set(&[&a])),
        ("q=invoice", 1, set(&[&a])),
        ("technique=AML.T0000", 1, set(&[])),
        ("tactic=AML.TA0007&severity=low", 1, set(&[&b])),
    ] {
        let (m, cells) = matrix(&app, query).await;
        assert_eq!(m["incident_total"].as_i64(), Some(incidents), "{query}");
        assert_eq!(ids_of(&evade(&cells)), evade_ids, "{query}");
    }
    let (_, cells) = matrix(&app, &format!("incident={a},{c}")).await;
    assert_eq!(ids_of(&evade(&cells)), set(&[&a]));
    assert_eq!(ids_of(cell(&cells, "AML.TA0002", "AML.T0000")), set(&[&c]));

    // Steps metric; roll-up adds the sub-techniques into the parent (each incident once).
    let (m, cells) = matrix(&app, "metric=steps").await;
    assert_eq!(m["metric"], "steps");
    assert_eq!(evade(&cells)["score"], 3);
    let pi = cell(&cells, "AML.TA0005", "AML.T0051");
    assert_eq!(
        (pi["incidents"].as_u64(), pi["steps"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, rolled) = matrix(&app, "rollup=1").await;
    let pi = cell(&rolled, "AML.TA0005", "AML.T0051");
    assert_eq!(
        (pi["incidents"].as_u64(), pi["steps"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(ids_of(pi), set(&[&a, &b, &c]));
    assert_eq!(
        cell(&rolled, "AML.TA0005", "AML.T0051.000")["steps"],
        1,
        "the sub keeps its own"
    );

    // Observed only: only cells with a score (parents of observed subs stay).
    let (_, observed) = matrix(&app, "observed=1").await;
    assert!(
        observed
            .values()
            .all(|c| c["score"].as_u64() > Some(0) || c["parent"].is_null())
    );
    assert!(observed.len() < all.len());
    assert!(observed.contains_key(&("AML.TA0002".to_string(), "AML.T0000".to_string())));

    // The page agrees: one high-severity incident in the Evade cell.
    let (_, doc) = app.page("/matrix?severity=high").await;
    let badge = doc
        .select(&sel("section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015'] .cell-link > .badge"))
        .next()
        .map(text);
    assert_eq!(badge.as_deref(), Some("1"));
    let summary = doc
        .select(&sel(".matrix-summary"))
        .next()
        .map(text)
        .unwrap_or_default();
    assert!(
        summary.contains("severity high") && summary.contains("1 incident,"),
        "{summary}"
    );
    // The form shows the filter; the cell's link keeps it.
    assert_eq!(doc.select(&sel("#mf-severity-high[checked]")).count(), 1);
    let href = doc
        .select(&sel("section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015'] a.cell-link"))
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(href, "/techniques/AML.T0015?under=AML.TA0007&severity=high");

    // The technique page lists those incidents, with the filters kept.
    let (body, doc) = app.page(&href).await;
    assert_valid_html(&body, &doc, &href);
    let listed: Vec<&str> = doc
        .select(&sel(".hit-list .hit"))
        .filter_map(|li| li.value().attr("data-incident"))
        .collect();
    assert_eq!(listed, [a.as_str()]);
    let steps = doc
        .select(&sel(".hit-list .hit .hit-steps"))
        .next()
        .map(text);
    assert_eq!(steps.as_deref(), Some("step 1"));
    assert_eq!(
        doc.select(&sel("#incidents a[href='/matrix?severity=high']"))
            .count(),
        1,
        "back to the matrix with the same filters"
    );
    let (_, doc) = app.page("/techniques/AML.T0015?under=AML.TA0007").await;
    let listed: BTreeSet<String> = doc
        .select(&sel(".hit-list .hit"))
        .filter_map(|li| li.value().attr("data-incident").map(str::to_string))
        .collect();
    assert_eq!(listed, set(&[&a, &b]));
    let b_steps = doc
        .select(&sel(&format!(".hit[data-incident='{b}'] .hit-steps")))
        .next()
        .map(text);
    assert_eq!(b_steps.as_deref(), Some("steps 1, 2"));
    let (_, doc) = app.page("/techniques/AML.T0051?rollup=1").await;
    assert_eq!(
        doc.select(&sel(".hit-list .hit")).count(),
        3,
        "sub-techniques counted"
    );
}

#[tokio::test]
async fn invalid_filters_get_a_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (path, field) in [
        ("/api/v1/matrix?severity=urgent", "severity"),
        ("/api/v1/matrix?from=yesterday", "from"),
        ("/api/v1/matrix?from=2024-05&to=2024-01", "to"),
        ("/api/v1/matrix?metric=heat", "metric"),
        ("/api/v1/matrix?rollup=perhaps", "rollup"),
        ("/api/v1/matrix?observed=2", "observed"),
        ("/api/v1/matrix?kind=drill", "kind"),
        ("/api/v1/matrix?technique=T1059", "technique"),
        ("/api/v1/matrix?tactic=AML.T0015", "tactic"),
        ("/api/v1/matrix?subtechniques=sideways", "subtechniques"),
        ("/api/v1/matrix?expand=AML.TA0002", "expand"),
    ] {
        let (status, err) = app.get_json(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {err}");
        assert_eq!(err["field"], field, "{path}");
        assert!(
            err["error"].as_str().is_some_and(|e| e.starts_with(field)),
            "{path}: {err}"
        );
    }
    for path in [
        "/matrix?severity=urgent",
        "/matrix?metric=heat",
        "/matrix?search=%07",
        "/matrix.svg?from=yesterday",
        "/matrix/layer.json?ids=perhaps",
        "/techniques/AML.T0015?under=impact",
        "/techniques/AML.T0015?status=done",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("<main"), "{path}: an HTML error page");
    }
    let (status, _) = app.get("/incidents/inc-nope/layer.json").await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/incidents/inc-nope/matrix.svg").await;
    assert_eq!(status, 404);
}

// --------------------------------------------------------------------- SVG

#[tokio::test]
async fn the_svg_is_xml_with_every_tactic_name() {
    let app = with_case_studies().await;
    let atlas = app.state.atlas.get();
    for path in [
        "/matrix.svg",
        "/matrix.svg?metric=steps&rollup=1&subtechniques=collapsed",
        "/matrix.svg?kind=exercise&observed=1&ids=1",
        "/incidents/aml-cs0000/matrix.svg",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/svg+xml"),
            "{path}"
        );
        let body = res.text().await.expect("body");
        let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{path}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let view_box: Vec<f64> = root
            .attribute("viewBox")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert_eq!(view_box.len(), 4);
        let ratio = view_box[2] / view_box[3];
        assert!(
            (ratio - 16.0 / 9.0).abs() < 0.01,
            "{path}: 16:9, got {ratio}"
        );
        // Text as real text: every tactic name is in the <text> content
        // (names may wrap over lines of one column header).
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().to_string())
            .collect();
        let joined = texts.join(" ");
        for t in atlas.tactics() {
            let words_in_order = t.name.split_whitespace().all(|w| joined.contains(w));
            assert!(words_in_order, "{path}: tactic {} missing", t.name);
        }
        let header_lines: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("tactic"))
            .map(|g| {
                // The heading: the texts after the group's first box (its
                // heading box) and before the first cell's.
                g.children()
                    .filter(|n| n.is_element())
                    .skip(1)
                    .take_while(|n| n.has_tag_name("text"))
                    .map(|n| {
                        n.text()
                            .unwrap_or_default()
                            .trim_end_matches('-')
                            .to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let names: Vec<String> = atlas.tactics().iter().map(|t| t.name.clone()).collect();
        let headers: Vec<String> = header_lines.iter().map(|h| h.replace("- ", "")).collect();
        for (h, n) in headers.iter().zip(&names) {
            assert_eq!(
                h.replace(' ', ""),
                n.replace(' ', ""),
                "{path}: column header"
            );
        }
        assert_eq!(headers.len(), names.len(), "{path}: a column per tactic");
        assert!(
            doc.descendants().any(|n| n.has_tag_name("title")),
            "{path}: title"
        );
        assert!(joined.contains("MITRE ATLAS 5.6.0"), "{path}: release");
    }
    let body = app.get("/matrix.svg?severity=medium").await.1;
    assert!(body.contains("severity medium"), "filter summary");
    assert!(body.contains("Incidents per technique:"), "legend");
}

// ------------------------------------------------------- hostile + cache

#[tokio::test]
async fn hostile_text_is_escaped_in_every_view() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let evil = "<script>alert(1)</script>\"'&<svg onload=x>";
    let (status, inc) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": evil, "tags": ["x\"y"], "steps": [{"tactic": "AML.TA0007", "technique": "AML.T0015", "description": evil}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inc}");
    let id = inc["id"].as_str().expect("id");
    let search = "%22%3E%3Cscript%3Ealert(2)%3C%2Fscript%3E";
    for path in [
        format!("/matrix?search={search}"),
        format!("/matrix?q=%3Cscript%3E&search={search}"),
        format!("/incidents/{id}"),
        "/techniques/AML.T0015?under=AML.TA0007&target=%3Cscript%3E".to_string(),
        "/techniques/AML.T0015".to_string(),
    ] {
        let (body, doc) = app.page(&path).await;
        assert_valid_html(&body, &doc, &path);
        assert!(!body.contains("<script>alert"), "{path}");
        assert!(!body.contains("<svg onload"), "{path}");
    }
    for path in [
        format!("/matrix.svg?search={search}"),
        format!("/incidents/{id}/matrix.svg"),
    ] {
        let body = app.get(&path).await.1;
        roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!body.contains("<script"), "{path}");
        assert!(!body.contains("<svg onload"), "{path}");
    }
    let (_, layer) = app.get_json(&format!("/incidents/{id}/layer.json")).await;
    assert_eq!(
        layer["name"], evil,
        "JSON keeps the text, escaped by JSON itself"
    );
}

#[tokio::test]
async fn a_write_shows_up_at_once_despite_the_cache() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (a, _, _) = hand_made(&app).await;
    let evade = |cells: &HashMap<(String, String), Value>| {
        cell(cells, "AML.TA0007", "AML.T0015")["steps"].as_u64()
    };
    let (_, before) = matrix(&app, "").await;
    assert_eq!(evade(&before), Some(3));
    let (_, page_before) = app.page("/matrix").await;
    // Again: served from the cache, identical.
    let (_, again) = matrix(&app, "").await;
    assert_eq!(evade(&again), Some(3));
    let (status, _) = app
        .post_json(
            &format!("/api/v1/incidents/{a}/steps"),
            &json!({"tactic": "AML.TA0007", "technique": "AML.T0015"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, after) = matrix(&app, "").await;
    assert_eq!(evade(&after), Some(4));
    let (_, page_after) = app.page("/matrix?metric=steps").await;
    let badge = page_after
        .select(&sel("section.tactic[data-tactic='AML.TA0007'] li.cell[data-technique='AML.T0015'] .cell-link > .badge"))
        .next()
        .map(text);
    assert_eq!(badge.as_deref(), Some("4"));
    assert!(page_before.select(&sel("li.cell")).count() > 0);
    // A write straight to the store (another process, the CLI) is seen too.
    let status = app.delete(&format!("/api/v1/incidents/{a}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (m, _) = matrix(&app, "").await;
    assert_eq!(m["incident_total"], 2);
}

// ------------------------------------------------------------ demo + roles

#[tokio::test]
async fn demo_seed_makes_plausible_varied_incidents() {
    use atlasview::service::demo::{DemoOptions, seed};
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    let summary = seed(
        &app.store,
        &atlas,
        DemoOptions {
            incidents: 120,
            steps: 900,
            seed: 5,
        },
        |_| {},
    )
    .await
    .expect("seed");
    assert_eq!((summary.incidents, summary.steps), (120, 900));
    let (m, cells) = matrix(&app, "tag=demo").await;
    assert_eq!(
        (m["incident_total"].as_i64(), m["step_total"].as_u64()),
        (Some(120), Some(900))
    );
    // Every step lands on a cell of the matrix.
    let placed: u64 = cells.values().filter_map(|c| c["steps"].as_u64()).sum();
    assert_eq!(placed, 900);
    for kind in ["incident", "exercise", "case-study"] {
        let (m, _) = matrix(&app, &format!("kind={kind}")).await;
        assert!(m["incident_total"].as_i64() > Some(0), "{kind}");
    }
    for severity in ["low", "medium", "high", "critical"] {
        let (m, _) = matrix(&app, &format!("severity={severity}")).await;
        assert!(m["incident_total"].as_i64() > Some(0), "{severity}");
    }
    // Dates over the last two years, and demo data says so.
    let (status, list) = app.get_json("/api/v1/incidents?per_page=200").await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().expect("items");
    let years: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["occurred_at"].as_str().map(|d| &d[..4]))
        .collect();
    assert!(years.len() >= 2, "{years:?}");
    assert!(items.iter().all(|i| {
        i["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("[Demo] "))
    }));
    // Attack paths mostly run left to right.
    let mut forward = 0;
    let mut total = 0;
    for i in items.iter().take(40) {
        let pairs = incident_pairs(&app, i["id"].as_str().unwrap_or_default()).await;
        let cols: Vec<usize> = pairs
            .iter()
            .filter_map(|p| atlas.tactic_position(&p.0))
            .collect();
        for w in cols.windows(2) {
            total += 1;
            forward += usize::from(w[0] <= w[1]);
        }
    }
    assert!(
        total > 0 && forward * 10 >= total * 8,
        "{forward} of {total} forward"
    );
}

#[tokio::test]
async fn matrix_routes_follow_the_role_policy() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let (_, inc) = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "t", "steps": [{"tactic": "AML.TA0007", "technique": "AML.T0015"}]}),
        )
        .await;
    let id = inc["id"].as_str().expect("id").to_string();
    let viewer = app.client_as(Role::Viewer).await;
    let analyst = app.client_as(Role::Analyst).await;
    let anonymous = app.anonymous();
    let reads = [
        "/matrix".to_string(),
        "/matrix.svg".to_string(),
        "/matrix/layer.json".to_string(),
        "/api/v1/matrix".to_string(),
        format!("/incidents/{id}/layer.json"),
        format!("/incidents/{id}/matrix.svg"),
        "/techniques/AML.T0015?under=AML.TA0007".to_string(),
    ];
    for path in &reads {
        let s = viewer
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(s, StatusCode::OK, "viewer GET {path}");
        let s = anonymous
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .status();
        assert!(
            s == StatusCode::UNAUTHORIZED || s == StatusCode::SEE_OTHER,
            "anonymous GET {path}: {s}"
        );
    }
    let layer = std::fs::read(shared_atlas(
        "navigator-layers/case-studies/AML.CS0000.json",
    ))
    .expect("layer");
    let post = |c: &reqwest::Client| {
        c.post(app.url("/api/v1/layers"))
            .header("content-type", "application/json")
            .body(layer.clone())
            .send()
    };
    assert_eq!(
        post(&viewer).await.expect("request").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&analyst).await.expect("request").status(),
        StatusCode::CREATED
    );
    let s = viewer
        .get(app.url("/incidents/layer/import"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(s, StatusCode::FORBIDDEN, "the upload form is for analysts");
    let s = analyst
        .get(app.url("/incidents/layer/import"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(s, StatusCode::OK);
}

/// MITRE's layer of AML.CS0031 writes a sub-technique's colour on one entry
/// and its tactic on the parent's: the sub-technique takes that tactic, so
/// the six-step study gives six steps (it gave seven, one under every tactic
/// the parent serves). Its `url` metadata becomes a reference titled by the
/// layer's name, not "url".
#[tokio::test]
async fn a_subtechnique_entry_takes_the_tactic_of_its_parents_entry() {
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;
    let atlas = app.state.atlas.get();
    let cs = atlas
        .release
        .case_studies
        .iter()
        .find(|c| c.id == "AML.CS0031")
        .expect("AML.CS0031");
    let bytes = std::fs::read(shared_atlas(
        "navigator-layers/case-studies/AML.CS0031.json",
    ))
    .unwrap();
    let (status, done) = post_layer(&app, &bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["steps"], 6, "{done}");
    let id = done["incident"].as_str().unwrap();
    let got: BTreeSet<(String, String)> = incident_pairs(&app, id).await.into_iter().collect();
    let want: BTreeSet<(String, String)> = cs
        .procedure
        .iter()
        .map(|s| (s.tactic.clone(), s.technique.clone()))
        .collect();
    assert_eq!(got, want);
    let (_, inc) = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        inc["references"],
        json!([{
            "title": "Malicious Models on Hugging Face",
            "url": "https://atlas.mitre.org/studies/AML.CS0031"
        }])
    );
    // Without a parent entry naming a tactic, a sub-technique still goes
    // under every tactic it serves.
    let lone = json!({
        "name": "Lone sub-technique", "domain": "atlas-atlas",
        "versions": {"layer": "4.5"},
        "links": [{"label": "Write-up", "url": "https://example.org/write-up"}],
        "techniques": [{"techniqueID": "AML.T0011.000", "score": 1}]
    });
    let (status, done) = post_layer(&app, lone.to_string().as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let serves = atlas.technique("AML.T0011.000").unwrap().tactics.len();
    assert_eq!(done["steps"], serves);
    let (_, inc) = app
        .get_json(&format!(
            "/api/v1/incidents/{}",
            done["incident"].as_str().unwrap()
        ))
        .await;
    assert_eq!(inc["references"][0]["title"], "Write-up");
}
