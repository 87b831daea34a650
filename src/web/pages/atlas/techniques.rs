//! `GET /techniques`: every technique of the active release in matrix order,
//! filterable by ID (any spelling), name or words of the description, with
//! how many incidents and steps record each.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::atlas::active::{fold_name, normalize_technique_id};
use crate::web::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IndexQuery {
    q: String,
}

/// One row of the index.
pub struct IndexRow {
    id: String,
    name: String,
    href: String,
    sub: bool,
    tactics: Vec<String>,
    incidents: i64,
    steps: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/techniques.html")]
pub struct TechniqueIndexPage {
    version: String,
    q: String,
    total: usize,
    rows: Vec<IndexRow>,
}

pub async fn index(
    State(state): State<AppState>,
    Query(query): Query<IndexQuery>,
) -> Result<TechniqueIndexPage, AppError> {
    let atlas = state.atlas.get();
    let usage: HashMap<String, (i64, i64)> = state
        .store
        .technique_usage()
        .await?
        .into_iter()
        .map(|(id, i, s)| (id, (i, s)))
        .collect();
    let q: String = query.q.trim().chars().take(100).collect();
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
            IndexRow {
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
    Ok(TechniqueIndexPage {
        version: atlas.version().to_string(),
        q,
        total,
        rows,
    })
}
