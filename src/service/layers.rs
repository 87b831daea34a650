//! A Navigator layer becomes an incident draft: one step per annotated
//! (tactic, technique) in matrix order, comments as descriptions, source
//! "layer import". An entry without `tactic` applies to the tactics its
//! parent's entries name when it is a sub-technique whose parent's entry
//! names one (MITRE's case-study layers write a sub-technique's colour on
//! one entry and its tactic on the parent's), otherwise to every tactic its
//! technique serves; older tactic short names (`ml-attack-staging`) map to
//! the same tactics; unknown techniques and entries that cannot be placed
//! are reported, never silently dropped.

use serde::Serialize;

use super::ServiceError;
use crate::atlas::ActiveAtlas;
use crate::domain::{IncidentInput, Reference, StepInput, StepSource, ValidationError, limits};
use crate::store::Store;

/// Tag put on every incident made from a layer.
pub const LAYER_TAG: &str = "layer-import";

/// An entry that named a known technique but could not become a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// The layer's name, description and (title, url) links.
    pub name: String,
    pub description: String,
    pub references: Vec<(String, String)>,
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

/// Creates the incident a layer's plan describes (see `export::layer_plan`).
pub async fn import_layer(
    store: &Store,
    active: &ActiveAtlas,
    plan: &Plan,
) -> Result<LayerImport, ServiceError> {
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
        let t = plan.name.split_whitespace().collect::<Vec<_>>().join(" ");
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
        summary: Some(plan.description.clone()),
        tags: vec![LAYER_TAG.to_string()],
        references: plan
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
        unknown_techniques: plan.unknown_techniques.clone(),
        skipped: plan.skipped.clone(),
    })
}
