//! ATT&CK Navigator layers for the ATLAS matrix (domain `atlas-atlas`):
//! written in layer format 4.5, read in any 4.x (MITRE publishes 4.3).
//!
//! Writing: one technique entry per observed cell (`techniqueID`, the
//! tactic's short name, `score`, `comment`), parents of observed
//! sub-techniques opened with `showSubtechniques`, a `gradient` of our five
//! heat colours, `legendItems` with the score ranges and `metadata` naming
//! the ATLAS release and the metric.
//!
//! Reading: [`parse_layer`] checks the shape and names the first problem
//! (`techniques[3].score`); which entries are annotations, and what they
//! become, is decided against a release by `service::layers`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{HEAT_COLORS, heat_color, tactic_short_name};
use crate::atlas::ActiveAtlas;
use crate::domain::IncidentDetail;
use crate::domain::incident::{clean_text, limits};
use crate::render::heat::{self, Metric, Scores};
use crate::render::{CellKey, MatrixOptions, MatrixView, SubtechniqueMode};
use crate::store::AggregateIncident;

pub const LAYER_VERSION: &str = "4.5";
/// The Navigator release that reads layer 4.5 (the format asks for at least 4.9.0).
pub const NAVIGATOR_VERSION: &str = "5.1.0";
pub const DOMAIN: &str = "atlas-atlas";
/// Most technique entries read from one layer.
pub const MAX_ENTRIES: usize = 5_000;
/// Longest technique ID read (longer ones are refused, not reported).
const MAX_ID: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versions {
    pub navigator: String,
    pub layer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub layout: &'static str,
    #[serde(rename = "showID")]
    pub show_id: bool,
    #[serde(rename = "showName")]
    pub show_name: bool,
    #[serde(rename = "expandedSubtechniques")]
    pub expanded_subtechniques: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    pub name: String,
    pub value: String,
}

fn meta(name: &str, value: impl Into<String>) -> Metadata {
    Metadata {
        name: name.to_string(),
        value: value.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerTechnique {
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tactic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u64>,
    /// The cell's heat colour, so the layer shows atlasview's scale (a
    /// logarithmic one too) whatever Navigator's linear gradient would say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(rename = "showSubtechniques")]
    pub show_subtechniques: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// What a layer says about one cell: score, comment and colour.
struct Entry {
    score: u64,
    comment: String,
    color: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gradient {
    pub colors: Vec<String>,
    #[serde(rename = "minValue")]
    pub min_value: u64,
    #[serde(rename = "maxValue")]
    pub max_value: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegendItem {
    pub label: String,
    pub color: String,
}

/// A layer as atlasview writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    pub name: String,
    pub versions: Versions,
    pub domain: String,
    pub description: String,
    pub sorting: u8,
    pub layout: Layout,
    #[serde(rename = "hideDisabled")]
    pub hide_disabled: bool,
    pub techniques: Vec<LayerTechnique>,
    pub gradient: Gradient,
    #[serde(rename = "legendItems")]
    pub legend_items: Vec<LegendItem>,
    pub metadata: Vec<Metadata>,
}

impl Layer {
    fn new(name: String, description: String, show_id: bool) -> Layer {
        Layer {
            name,
            versions: Versions {
                navigator: NAVIGATOR_VERSION.to_string(),
                layer: LAYER_VERSION.to_string(),
            },
            domain: DOMAIN.to_string(),
            description,
            sorting: 0,
            layout: Layout {
                layout: "side",
                show_id,
                show_name: true,
                expanded_subtechniques: "annotated",
            },
            hide_disabled: false,
            techniques: Vec::new(),
            gradient: gradient(1),
            legend_items: Vec::new(),
            metadata: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// Our five heat colours from 0 to `max`, rounded up to a multiple of four
/// (at least 4): every colour stop then falls on a whole score, as readers
/// that build the gradient step by step (mitreattack-python) need.
fn gradient(max: usize) -> Gradient {
    let stops = HEAT_COLORS.len() - 1;
    Gradient {
        colors: HEAT_COLORS.iter().map(|c| c.to_string()).collect(),
        min_value: 0,
        max_value: max.max(1).div_ceil(stops).saturating_mul(stops) as u64,
    }
}

/// An incident layer's gradient: from white at 0 to the colour of a used
/// technique at the largest number of steps in one cell (at least 1), the
/// colour every entry of the layer carries.
fn incident_gradient(max: usize) -> Gradient {
    Gradient {
        colors: vec![
            "#ffffff".to_string(),
            heat_color(heat::INCIDENT_LEVEL).to_string(),
        ],
        min_value: 0,
        max_value: max.max(1) as u64,
    }
}

/// The matrix in matrix order with every sub-technique listed, for placement.
fn placement(atlas: &ActiveAtlas) -> MatrixView {
    MatrixView::build(
        atlas,
        &MatrixOptions {
            subtechniques: SubtechniqueMode::All,
            show_ids: true,
        },
    )
}

/// Appends a parent's entry and its sub-techniques' entries, when any of
/// them has something to say. `entry` answers for one cell.
fn push_cell(
    out: &mut Vec<LayerTechnique>,
    short: &str,
    parent: &CellKey,
    subs: &[&CellKey],
    entry: &mut impl FnMut(&CellKey) -> Option<Entry>,
) {
    let own = entry(parent);
    let sub_entries: Vec<(&CellKey, Entry)> = subs
        .iter()
        .filter_map(|k| entry(k).map(|e| (*k, e)))
        .collect();
    if own.is_none() && sub_entries.is_empty() {
        return;
    }
    out.push(LayerTechnique {
        technique_id: parent.technique_id.clone(),
        tactic: Some(short.to_string()),
        score: own.as_ref().map(|e| e.score),
        color: own.as_ref().map(|e| e.color.to_string()),
        comment: own.map(|e| e.comment),
        show_subtechniques: !sub_entries.is_empty(),
        metadata: Vec::new(),
    });
    for (key, e) in sub_entries {
        out.push(LayerTechnique {
            technique_id: key.technique_id.clone(),
            tactic: Some(short.to_string()),
            score: Some(e.score),
            color: Some(e.color.to_string()),
            comment: Some(e.comment),
            show_subtechniques: false,
            metadata: Vec::new(),
        });
    }
}

/// Walks the matrix in order, asking `entry` for every cell.
fn walk(
    atlas: &ActiveAtlas,
    mut entry: impl FnMut(&CellKey) -> Option<Entry>,
) -> Vec<LayerTechnique> {
    let view = placement(atlas);
    let mut out = Vec::new();
    for column in &view.columns {
        let short = tactic_short_name(&column.name);
        for cell in &column.cells {
            let subs: Vec<&CellKey> = cell.subtechniques.iter().map(|s| &s.key).collect();
            push_cell(&mut out, &short, &cell.key, &subs, &mut entry);
        }
    }
    out
}

/// The highlighted matrix as a layer. `description` says which incidents
/// (the filters in words).
pub fn matrix_layer(
    atlas: &ActiveAtlas,
    scores: &Scores,
    incidents: &[std::sync::Arc<AggregateIncident>],
    description: &str,
    show_ids: bool,
) -> Layer {
    let metric = scores.metric;
    let mut layer = Layer::new(
        format!("atlasview: {} per technique", metric.as_str()),
        format!(
            "{description}. Score: {} per technique under each tactic{}.",
            metric.as_str(),
            if scores.rollup {
                ", sub-techniques rolled up into their parent"
            } else {
                ""
            }
        ),
        show_ids,
    );
    layer.techniques = walk(atlas, |key| {
        let s = scores.get(key)?;
        let v = s.value(metric);
        (v > 0).then(|| Entry {
            score: v as u64,
            comment: heat::tooltip(s, incidents),
            color: heat_color(scores.level(v)),
        })
    });
    layer.gradient = gradient(scores.max);
    let noun = match metric {
        Metric::Incidents => "incidents",
        Metric::Steps => "steps",
    };
    layer.legend_items = scores
        .legend()
        .iter()
        .map(|e| LegendItem {
            label: format!("{} {noun}", e.range()),
            color: heat_color(e.level).to_string(),
        })
        .collect();
    layer.metadata = vec![
        meta("atlas_data_version", atlas.version()),
        meta("metric", metric.as_str()),
        meta("scale", scores.scale.as_str()),
        meta("rollup", if scores.rollup { "yes" } else { "no" }),
        meta("filters", description),
        meta(
            "generator",
            concat!("atlasview ", env!("CARGO_PKG_VERSION")),
        ),
    ];
    layer
}

/// "Step 2: what happened" lines of the steps in one cell.
fn step_comment(steps: &[(i64, &str)]) -> String {
    steps
        .iter()
        .map(|(n, d)| {
            let d = d.trim();
            if d.is_empty() {
                format!("Step {n}")
            } else {
                format!("Step {n}: {d}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// One incident as a layer: every technique its steps use, under the
/// step's tactic, scored by its number of steps, the comment holding the
/// step numbers and descriptions.
pub fn incident_layer(atlas: &ActiveAtlas, detail: &IncidentDetail) -> Layer {
    let i = &detail.incident;
    let mut by_cell: HashMap<CellKey, Vec<(i64, &str)>> = HashMap::new();
    let mut order: Vec<CellKey> = Vec::new();
    for s in &detail.steps {
        let key = CellKey {
            tactic_id: s.tactic_id.clone(),
            technique_id: s.technique_id.clone(),
        };
        let list = by_cell.entry(key.clone()).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push((s.position, s.description.as_str()));
    }
    let max = by_cell.values().map(Vec::len).max().unwrap_or(0);
    let mut placed: Vec<CellKey> = Vec::new();
    let mut layer = Layer::new(
        i.title.clone(),
        if i.summary.trim().is_empty() {
            format!("Incident {} recorded in atlasview", i.id)
        } else {
            i.summary.clone()
        },
        false,
    );
    layer.techniques = walk(atlas, |key| {
        let steps = by_cell.get(key)?;
        placed.push(key.clone());
        Some(Entry {
            score: steps.len() as u64,
            comment: step_comment(steps),
            color: heat_color(heat::INCIDENT_LEVEL),
        })
    });
    // Steps the active release cannot place still travel, under their tactic.
    for key in order.iter().filter(|k| !placed.contains(k)) {
        let tactic = atlas
            .tactic(&key.tactic_id)
            .map(|t| tactic_short_name(&t.name));
        let steps = &by_cell[key];
        layer.techniques.push(LayerTechnique {
            technique_id: key.technique_id.clone(),
            tactic,
            score: Some(steps.len() as u64),
            color: Some(heat_color(heat::INCIDENT_LEVEL).to_string()),
            comment: Some(step_comment(steps)),
            show_subtechniques: false,
            metadata: Vec::new(),
        });
    }
    layer.gradient = incident_gradient(max);
    layer.legend_items = vec![LegendItem {
        label: "Used in this incident (score: number of steps)".to_string(),
        color: heat_color(heat::INCIDENT_LEVEL).to_string(),
    }];
    layer.metadata = vec![
        meta("atlas_data_version", i.atlas_release.clone()),
        meta("metric", "steps"),
        meta("incident", i.id.clone()),
        meta(
            "generator",
            concat!("atlasview ", env!("CARGO_PKG_VERSION")),
        ),
    ];
    layer
}

// ------------------------------------------------------------------ reading

/// What is wrong with a layer, naming where (`techniques[3].score`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct LayerError {
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> LayerError {
    LayerError {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
struct InVersions {
    layer: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InMetadata {
    name: Option<String>,
    value: Option<String>,
    #[allow(dead_code)]
    divider: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct InLink {
    label: Option<String>,
    url: Option<String>,
    #[allow(dead_code)]
    divider: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct InTechnique {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    tactic: Option<String>,
    comment: Option<String>,
    score: Option<f64>,
    color: Option<String>,
    #[allow(dead_code)]
    enabled: Option<bool>,
    metadata: Option<Vec<InMetadata>>,
    links: Option<Vec<InLink>>,
    #[serde(rename = "showSubtechniques")]
    #[allow(dead_code)]
    show_subtechniques: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct InLayer {
    name: String,
    description: Option<String>,
    #[allow(dead_code)]
    domain: String,
    versions: Option<InVersions>,
    #[serde(default)]
    techniques: Vec<InTechnique>,
    #[serde(default)]
    metadata: Vec<InMetadata>,
    #[serde(default)]
    links: Vec<InLink>,
}

/// One technique entry as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEntry {
    /// Its index in `techniques`, for messages.
    pub index: usize,
    pub technique_id: String,
    /// The tactic short name as written (`None`: every tactic it serves).
    pub tactic: Option<String>,
    pub comment: String,
    /// It has a score, colour, comment, metadata or links: it is an
    /// observation. An entry with only `showSubtechniques` merely opens its parent.
    pub annotated: bool,
}

/// A layer as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedLayer {
    pub name: String,
    pub description: String,
    pub layer_version: Option<String>,
    pub entries: Vec<ParsedEntry>,
    /// (title, url) of the layer's http(s) links and URL metadata.
    pub references: Vec<(String, String)>,
}

fn nonblank(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

fn web_url(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    ((lower.starts_with("https://") || lower.starts_with("http://"))
        && u.chars().count() <= limits::URL
        && !u.chars().any(char::is_whitespace))
    .then(|| u.to_string())
}

fn short(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let mut s: String = line.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// A label that names the kind of thing rather than the thing (`url`, `link`).
fn is_generic_label(label: &str) -> bool {
    const GENERIC: [&str; 11] = [
        "",
        "url",
        "uri",
        "link",
        "links",
        "href",
        "reference",
        "references",
        "ref",
        "source",
        "website",
    ];
    GENERIC.contains(&label.trim().to_ascii_lowercase().as_str())
}

/// Reads a layer (4.x, one layer or a list holding one).
pub fn parse_layer(bytes: &[u8]) -> Result<ParsedLayer, LayerError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| err("layer", format!("is not valid JSON: {e}")))?;
    let value = match value {
        serde_json::Value::Array(mut list) => match list.len() {
            1 => list.remove(0),
            0 => return Err(err("layer", "the list holds no layer")),
            n => {
                return Err(err(
                    "layer",
                    format!("the list holds {n} layers; import them one at a time"),
                ));
            }
        },
        other => other,
    };
    let Some(obj) = value.as_object() else {
        return Err(err("layer", "must be a JSON object (a Navigator layer)"));
    };
    if obj.contains_key("version") && !obj.contains_key("versions") {
        return Err(err(
            "version",
            "this is a layer of format 2 or 3; atlasview reads layer format 4.x (re-save it with a current ATT&CK Navigator)",
        ));
    }
    match obj.get("domain") {
        None => {
            return Err(err(
                "domain",
                "is required (atlas-atlas for an ATLAS layer)",
            ));
        }
        Some(serde_json::Value::String(d)) if d.trim().eq_ignore_ascii_case(DOMAIN) => {}
        Some(serde_json::Value::String(d)) => {
            return Err(err(
                "domain",
                format!(
                    "is {:?}; atlasview reads ATLAS layers (domain atlas-atlas)",
                    short(d, 40)
                ),
            ));
        }
        Some(_) => return Err(err("domain", "must be a string")),
    }
    let layer: InLayer = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // "missing field `name`" is reported at the object holding it.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
            .map(str::to_string);
        let field = match (path.as_str(), missing) {
            (".", Some(m)) => m,
            (".", None) => "layer".to_string(),
            (p, Some(m)) => format!("{p}.{m}"),
            (p, None) => p.to_string(),
        };
        err(field, message)
    })?;
    let layer_version = layer.versions.and_then(|v| v.layer);
    if let Some(v) = &layer_version
        && !v.trim().starts_with("4.")
    {
        return Err(err(
            "versions.layer",
            format!("is {:?}; atlasview reads layer format 4.x", short(v, 20)),
        ));
    }
    if layer.techniques.len() > MAX_ENTRIES {
        return Err(err(
            "techniques",
            format!(
                "has {} entries; at most {MAX_ENTRIES}",
                layer.techniques.len()
            ),
        ));
    }
    let name = clean_text("name", Some(&layer.name), 2_000).map_err(|e| err(e.field, e.message))?;
    let description = clean_text(
        "description",
        layer.description.as_deref(),
        limits::LONG_TEXT,
    )
    .map_err(|e| err(e.field, e.message))?;
    let mut entries = Vec::with_capacity(layer.techniques.len());
    for (index, t) in layer.techniques.into_iter().enumerate() {
        let id = t.technique_id.trim();
        if id.is_empty() || id.chars().count() > MAX_ID || id.chars().any(char::is_control) {
            return Err(err(
                format!("techniques[{index}].techniqueID"),
                "must be a technique ID such as AML.T0051",
            ));
        }
        if let Some(tactic) = &t.tactic
            && (tactic.chars().count() > MAX_ID || tactic.chars().any(char::is_control))
        {
            return Err(err(
                format!("techniques[{index}].tactic"),
                "must be a tactic short name such as defense-evasion",
            ));
        }
        let comment = clean_text(
            &format!("techniques[{index}].comment"),
            t.comment.as_deref(),
            limits::LONG_TEXT,
        )
        .map_err(|e| err(e.field, e.message))?;
        let annotated = t.score.is_some_and(f64::is_finite)
            || nonblank(&t.color)
            || !comment.is_empty()
            || t.metadata.as_ref().is_some_and(|m| !m.is_empty())
            || t.links.as_ref().is_some_and(|l| !l.is_empty());
        entries.push(ParsedEntry {
            index,
            technique_id: id.to_string(),
            tactic: t
                .tactic
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            comment,
            annotated,
        });
    }
    // A reference is titled by its label, unless the label only says what
    // it is ("url", as MITRE's case-study layers write): then by the layer's
    // name, which is what such a link points at.
    let title_of = |label: Option<&str>| {
        let label = label.map(|n| short(n, 200)).unwrap_or_default();
        if is_generic_label(&label) {
            short(&name, 200)
        } else {
            label
        }
    };
    let mut references: Vec<(String, String)> = Vec::new();
    for m in &layer.metadata {
        if let Some(url) = m.value.as_deref().and_then(web_url) {
            references.push((title_of(m.name.as_deref()), url));
        }
    }
    for l in &layer.links {
        if let Some(url) = l.url.as_deref().and_then(web_url) {
            references.push((title_of(l.label.as_deref()), url));
        }
    }
    references.dedup_by(|a, b| a.1 == b.1);
    references.truncate(limits::REFERENCES);
    Ok(ParsedLayer {
        name,
        description,
        layer_version,
        entries,
        references,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(json: &str) -> String {
        parse_layer(json.as_bytes())
            .map(|_| String::new())
            .unwrap_or_else(|e| e.field)
    }

    #[test]
    fn reads_a_mitre_style_layer() {
        let json = r##"{
          "versions": {"layer": "4.3", "navigator": "4.6.4"}, "domain": "atlas-atlas",
          "metadata": [{"name": "url", "value": "https://atlas.mitre.org/studies/AML.CS0000"}, {"divider": true}],
          "name": " Evasion ", "description": "d",
          "techniques": [
            {"techniqueID": "AML.T0000.001", "color": "#C8E6C9"},
            {"techniqueID": "AML.T0000", "showSubtechniques": true, "tactic": "reconnaissance"},
            {"techniqueID": "AML.T0015", "tactic": "defense-evasion", "score": 3, "comment": "seen"}
          ]
        }"##;
        let l = parse_layer(json.as_bytes()).expect("valid");
        assert_eq!(l.name, "Evasion");
        assert_eq!(l.layer_version.as_deref(), Some("4.3"));
        let annotated: Vec<bool> = l.entries.iter().map(|e| e.annotated).collect();
        assert_eq!(annotated, [true, false, true]);
        assert_eq!(l.entries[0].tactic, None);
        assert_eq!(l.entries[2].comment, "seen");
        // Titled by the layer's name, not by the word "url".
        assert_eq!(
            l.references,
            [(
                "Evasion".to_string(),
                "https://atlas.mitre.org/studies/AML.CS0000".to_string()
            )]
        );
    }

    #[test]
    fn malformed_layers_name_the_problem() {
        assert_eq!(field("not json"), "layer");
        assert_eq!(field("[]"), "layer");
        assert_eq!(field("42"), "layer");
        assert_eq!(
            field(r#"{"name": "x", "version": "3.0", "domain": "atlas-atlas"}"#),
            "version"
        );
        assert_eq!(field(r#"{"name": "x"}"#), "domain");
        assert_eq!(
            field(r#"{"name": "x", "domain": "enterprise-attack"}"#),
            "domain"
        );
        assert_eq!(field(r#"{"domain": "atlas-atlas"}"#), "name");
        assert_eq!(
            field(r#"{"name": "x", "domain": "atlas-atlas", "versions": {"layer": "5.0"}}"#),
            "versions.layer"
        );
        assert_eq!(
            field(
                r#"{"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "AML.T0000", "score": "high"}]}"#
            ),
            "techniques[0].score"
        );
        assert_eq!(
            field(
                r#"{"name": "x", "domain": "atlas-atlas", "techniques": [{"tactic": "impact"}]}"#
            ),
            "techniques[0].techniqueID"
        );
        assert_eq!(
            field(r#"{"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": ""}]}"#),
            "techniques[0].techniqueID"
        );
        assert_eq!(
            field(
                r#"{"name": "x", "domain": "atlas-atlas", "techniques": [{"techniqueID": "AML.T0000", "comment": "a\u0000b"}]}"#
            ),
            "techniques[0].comment"
        );
        assert_eq!(
            field(r#"{"name": "x\u0007", "domain": "atlas-atlas"}"#),
            "name"
        );
    }
}
