//! The technique index (`/techniques`): every technique of the active
//! release in matrix order, filtered by ID (any spelling), name or words of
//! the description, with how many incidents and steps record each.

use std::collections::HashMap;

use crate::atlas::ActiveAtlas;
use crate::atlas::active::{fold_name, normalize_technique_id};

/// One row of the index.
pub struct IndexRowView {
    pub id: String,
    pub name: String,
    pub href: String,
    pub sub: bool,
    pub tactics: Vec<String>,
    pub incidents: i64,
    pub steps: i64,
}

pub struct TechniqueIndexView {
    pub version: String,
    pub q: String,
    pub total: usize,
    pub rows: Vec<IndexRowView>,
}

impl TechniqueIndexView {
    /// `usage`: per technique ID, (incidents, steps) recording it.
    pub fn build(
        atlas: &ActiveAtlas,
        q: &str,
        usage: &HashMap<String, (i64, i64)>,
    ) -> TechniqueIndexView {
        let q: String = q.trim().chars().take(100).collect();
        let wanted_id = normalize_technique_id(&q);
        let words: Vec<String> = fold_name(&q).split(' ').map(str::to_string).collect();
        let mut ordered = Vec::new();
        for t in atlas
            .release
            .techniques
            .iter()
            .filter(|t| t.parent.is_none())
        {
            ordered.push(t);
            ordered.extend(atlas.subtechniques(&t.id));
        }
        let total = ordered.len();
        // A typed ID that names a technique lists it and its sub-techniques only.
        let by_id = atlas.technique(&wanted_id).is_some();
        let rows = ordered
            .into_iter()
            .filter(|t| {
                let family = t.id == wanted_id || t.id.starts_with(&format!("{wanted_id}."));
                if q.is_empty() || by_id {
                    return q.is_empty() || family;
                }
                let hay = fold_name(&format!(
                    "{} {} {}",
                    t.id,
                    atlas.display_name(t),
                    t.description.as_deref().unwrap_or("")
                ));
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .map(|t| {
                let (incidents, steps) = usage.get(&t.id).copied().unwrap_or((0, 0));
                IndexRowView {
                    id: t.id.clone(),
                    name: atlas.display_name(t),
                    href: format!("/techniques/{}", t.id),
                    sub: t.parent.is_some(),
                    tactics: t
                        .tactics
                        .iter()
                        .map(|x| {
                            atlas
                                .tactic(x)
                                .map_or_else(|| x.clone(), |t| t.name.clone())
                        })
                        .collect(),
                    incidents,
                    steps,
                }
            })
            .collect();
        TechniqueIndexView {
            version: atlas.version().to_string(),
            q,
            total,
            rows,
        }
    }
}
