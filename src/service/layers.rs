//! A Navigator layer becomes an incident draft: one step per annotated
//! (tactic, technique) in matrix order, comments as descriptions, source
//! "layer import". An entry without `tactic` applies to the tactics its
//! parent's entries name when it is a sub-technique whose parent's entry
//! names one (MITRE's case-study layers write a sub-technique's colour on
//! one entry and its tactic on the parent's), otherwise to every tactic its
//! technique serves; older tactic short names (`ml-attack-staging`) map to
//! the same tactics; unknown techniques and entries that cannot be placed
//! are reported, never silently dropped.

use std::collections::HashMap;

use serde::Serialize;

use super::ServiceError;
use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_technique_id;
use crate::domain::{IncidentInput, Reference, StepInput, StepSource, ValidationError, limits};
use crate::export::navigator::ParsedLayer;
use crate::export::tactic_lookup;
use crate::render::{CellKey, MatrixOptions, MatrixView, SubtechniqueMode};
use crate::store::Store;

/// Tag put on every incident made from a layer.
pub const LAYER_TAG: &str = "layer-import";

/// An entry that named a known technique but could not become a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its index in the layer's `techniques`.
    pub index: usize,
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    pub tactic: Option<String>,
    pub reason: String,
}

/// The steps a layer makes against a release, before anything is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// (tactic ID, technique ID, description) in matrix order.
    pub steps: Vec<(String, String, String)>,
    /// Technique IDs the release does not know, in layer order, once each.
    pub unknown_techniques: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Entries that only opened a parent's sub-techniques.
    pub opened_only: usize,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerImport {
    pub incident: String,
    pub steps: usize,
    pub unknown_techniques: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Matrix position of every (tactic, technique) cell and sub-cell.
fn matrix_order(atlas: &ActiveAtlas) -> HashMap<CellKey, usize> {
    let view = MatrixView::build(
        atlas,
        &MatrixOptions {
            subtechniques: SubtechniqueMode::All,
            show_ids: false,
        },
    );
    let mut order = HashMap::new();
    for cell in view.cells() {
        let n = order.len();
        order.entry(cell.key.clone()).or_insert(n);
        for sub in &cell.subtechniques {
            let n = order.len();
            order.entry(sub.key.clone()).or_insert(n);
        }
    }
    order
}

/// Decides the steps of a layer against the release.
pub fn plan(atlas: &ActiveAtlas, layer: &ParsedLayer) -> Plan {
    let tactics = tactic_lookup(atlas);
    let order = matrix_order(atlas);
    let mut plan = Plan::default();
    let mut comments: HashMap<CellKey, Vec<String>> = HashMap::new();
    // The tactics each technique's entries name, for its sub-techniques'
    // entries that name none.
    let mut named: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &layer.entries {
        if let Some(id) = e
            .tactic
            .as_ref()
            .and_then(|t| tactics.get(&t.to_lowercase()))
        {
            let list = named.entry(e.technique_id.as_str()).or_default();
            if !list.contains(id) {
                list.push(id.clone());
            }
        }
    }
    for e in &layer.entries {
        if !e.annotated {
            plan.opened_only += 1;
            continue;
        }
        let Some(technique) = atlas
            .technique(&e.technique_id)
            .filter(|_| is_technique_id(&e.technique_id))
        else {
            if !plan.unknown_techniques.contains(&e.technique_id) {
                plan.unknown_techniques.push(e.technique_id.clone());
            }
            continue;
        };
        let skip = |reason: String| Skipped {
            index: e.index,
            technique_id: e.technique_id.clone(),
            tactic: e.tactic.clone(),
            reason,
        };
        let tactic_ids: Vec<String> = match &e.tactic {
            Some(name) => match tactics.get(&name.to_lowercase()) {
                Some(id) if technique.tactics.contains(id) => vec![id.clone()],
                Some(id) => {
                    plan.skipped.push(skip(format!(
                        "{} does not serve the tactic {} in ATLAS {}",
                        e.technique_id,
                        id,
                        atlas.version()
                    )));
                    continue;
                }
                None => {
                    plan.skipped.push(skip(format!(
                        "no tactic of ATLAS {} has the short name {name:?}",
                        atlas.version()
                    )));
                    continue;
                }
            },
            None => {
                let hinted: Vec<String> = technique
                    .parent
                    .as_deref()
                    .and_then(|parent| named.get(parent))
                    .map(|ids| {
                        ids.iter()
                            .filter(|id| technique.tactics.contains(id))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                if hinted.is_empty() {
                    technique.tactics.clone()
                } else {
                    hinted
                }
            }
        };
        if tactic_ids.is_empty() {
            plan.skipped.push(skip(format!(
                "{} serves no tactic in ATLAS {}",
                e.technique_id,
                atlas.version()
            )));
            continue;
        }
        for tactic_id in tactic_ids {
            let key = CellKey {
                tactic_id,
                technique_id: technique.id.clone(),
            };
            let list = comments.entry(key).or_default();
            if !e.comment.is_empty() && !list.contains(&e.comment) {
                list.push(e.comment.clone());
            }
        }
    }
    let mut cells: Vec<(CellKey, Vec<String>)> = comments.into_iter().collect();
    cells.sort_by_key(|(k, _)| (order.get(k).copied().unwrap_or(usize::MAX), k.clone()));
    plan.steps = cells
        .into_iter()
        .map(|(k, c)| (k.tactic_id, k.technique_id, c.join("\n\n")))
        .collect();
    plan
}

/// Creates the incident a layer describes.
pub async fn import_layer(
    store: &Store,
    active: &ActiveAtlas,
    layer: &ParsedLayer,
) -> Result<LayerImport, ServiceError> {
    let plan = plan(active, layer);
    if plan.steps.is_empty() {
        let unknown = if plan.unknown_techniques.is_empty() {
            String::new()
        } else {
            format!(
                " (unknown techniques: {})",
                plan.unknown_techniques
                    .iter()
                    .take(20)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(ValidationError::new(
            "techniques",
            format!(
                "the layer annotates no technique of ATLAS {} that can be placed{unknown}",
                active.version()
            ),
        )
        .into());
    }
    if plan.steps.len() > limits::STEPS {
        return Err(ValidationError::new(
            "techniques",
            format!(
                "the layer annotates {} (tactic, technique) pairs; an incident has at most {} steps",
                plan.steps.len(),
                limits::STEPS
            ),
        )
        .into());
    }
    let title: String = {
        let t = layer.name.split_whitespace().collect::<Vec<_>>().join(" ");
        let t = if t.is_empty() {
            "Imported Navigator layer".to_string()
        } else {
            t
        };
        if t.chars().count() > limits::TITLE {
            let mut s: String = t.chars().take(limits::TITLE - 1).collect();
            s.push('…');
            s
        } else {
            t
        }
    };
    let input = IncidentInput {
        title: Some(title),
        summary: Some(layer.description.clone()),
        tags: vec![LAYER_TAG.to_string()],
        references: layer
            .references
            .iter()
            .map(|(title, url)| Reference {
                title: title.clone(),
                url: url.clone(),
            })
            .collect(),
        ..IncidentInput::default()
    };
    let steps: Vec<StepInput> = plan
        .steps
        .iter()
        .map(|(tactic, technique, description)| StepInput {
            tactic: Some(tactic.clone()),
            technique: Some(technique.clone()),
            description: Some(description.clone()),
            source: Some(StepSource::LayerImport.as_str().to_string()),
            ..StepInput::default()
        })
        .collect();
    let id = super::incidents::create(store, active, &input, &steps).await?;
    Ok(LayerImport {
        incident: id,
        steps: steps.len(),
        unknown_techniques: plan.unknown_techniques,
        skipped: plan.skipped,
    })
}
