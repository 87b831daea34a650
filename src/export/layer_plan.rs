//! A Navigator layer read against a release: the steps it makes, in matrix
//! order (one per annotated tactic × technique), what it names that the
//! release does not know, and what cannot be placed. `service::layers`
//! stores the plan as an incident.

use std::collections::HashMap;

use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_technique_id;
use crate::atlas::tactic_names::tactic_lookup;
use crate::export::navigator::ParsedLayer;
use crate::render::{CellKey, MatrixOptions, MatrixView, SubtechniqueMode};
use crate::service::layers::{Plan, Skipped};

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
    let mut plan = Plan {
        name: layer.name.clone(),
        description: layer.description.clone(),
        references: layer.references.clone(),
        ..Plan::default()
    };
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
