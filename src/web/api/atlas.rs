//! `/api/v1/atlas/techniques/{id}` and `/api/v1/atlas/tactics`: the ATLAS
//! facts a client needs (names, tactics, parents), so it need not parse releases.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::atlas::{ActiveAtlas, Technique};
use crate::domain::alert::normalize_technique_id;
use crate::web::{ApiError, AppError, AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub struct TacticRef {
    id: String,
    name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TechniqueRef {
    id: String,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TechniqueJson {
    id: String,
    name: String,
    /// "Parent: Child" for a sub-technique.
    display_name: String,
    /// Tactics it serves, in the order the release gives them.
    tactics: Vec<TacticRef>,
    parent: Option<TechniqueRef>,
    subtechniques: Vec<TechniqueRef>,
    platforms: Vec<String>,
    maturity: Option<String>,
    /// The release these facts come from.
    release: String,
    /// Whether the active release has it; `false` for a technique known only
    /// to an older stored release (retired upstream).
    in_active_release: bool,
    retired: bool,
    /// The technique that replaces a retired one, when a release says so.
    successor: Option<String>,
    /// The technique's page in this atlasview.
    href: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TacticJson {
    id: String,
    name: String,
    /// 1-based matrix column.
    position: usize,
    attack_id: Option<String>,
    technique_count: usize,
    href: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TacticsJson {
    release: String,
    tactics: Vec<TacticJson>,
}

fn technique_json(
    atlas: &ActiveAtlas,
    t: &Technique,
    release: &str,
    in_active: bool,
    successor: Option<String>,
) -> TechniqueJson {
    let parent = t.parent.as_deref().map(|p| TechniqueRef {
        id: p.to_string(),
        name: atlas
            .technique(p)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
    });
    let subtechniques = if in_active {
        atlas
            .subtechniques(&t.id)
            .map(|s| TechniqueRef {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let display_name = match &parent {
        Some(p) if !p.name.is_empty() => format!("{}: {}", p.name, t.name),
        _ => t.name.clone(),
    };
    TechniqueJson {
        id: t.id.clone(),
        name: t.name.clone(),
        display_name,
        tactics: t
            .tactics
            .iter()
            .map(|id| TacticRef {
                id: id.clone(),
                name: atlas.tactic(id).map(|x| x.name.clone()),
            })
            .collect(),
        parent,
        subtechniques,
        platforms: t.platforms.clone(),
        maturity: t.maturity.clone(),
        release: release.to_string(),
        in_active_release: in_active,
        retired: !in_active,
        successor,
        href: format!("/techniques/{}", t.id),
    }
}

/// `GET /api/v1/atlas/techniques/{id}`: the ID may be spelled as SIEMs do
/// (`T0051`, `aml.t0051.001`).
#[utoipa::path(
    get,
    operation_id = "atlas_technique",
    path = "/api/v1/atlas/techniques/{id}",
    tag = "atlas",
    summary = "One ATLAS technique (also retired ones)",
    params(("id" = String, Path, description = "AML.T0051 or AML.T0051.001")),
    responses((status = 200, description = "The technique", body = TechniqueJson),
        (status = 400, description = "A malformed parameter or body; `field` names it (several: comma-separated)", body = crate::web::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn technique_handler(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let Some(id) = normalize_technique_id(&raw) else {
        return Err(AppError::bad_request(
            "id",
            format!(
                "id: `{}` is not an ATLAS technique ID like AML.T0051 or AML.T0051.001",
                raw.chars().take(40).collect::<String>()
            ),
        )
        .into());
    };
    let atlas = state.atlas.get();
    if let Some(t) = atlas.technique(&id) {
        return Ok(Json(technique_json(&atlas, t, atlas.version(), true, None)).into_response());
    }
    match crate::service::releases::find_technique_anywhere(&state.store, &id).await? {
        Some((release, t)) => {
            // A retired ID names the technique of the active release that took its place.
            let successor = crate::service::upgrade::successor_table(&state.store)
                .await
                .map_err(AppError::from)?
                .resolve(&t.id, |id| atlas.technique(id).is_some());
            Ok(Json(technique_json(&atlas, &t, &release, false, successor)).into_response())
        }
        None => {
            Err(AppError::NotFound(format!("technique {id} (in any stored ATLAS release)")).into())
        }
    }
}

/// `GET /api/v1/atlas/tactics`: the active release's tactics in matrix order.
#[utoipa::path(
    get,
    operation_id = "atlas_tactics",
    path = "/api/v1/atlas/tactics",
    tag = "atlas",
    summary = "The tactics of the active release in matrix order",
    responses((status = 200, description = "The tactics", body = TacticsJson)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn tactics_handler(State(state): State<AppState>) -> Response {
    let atlas = state.atlas.get();
    let tactics = atlas
        .tactics()
        .iter()
        .enumerate()
        .map(|(i, t)| TacticJson {
            id: t.id.clone(),
            name: t.name.clone(),
            position: i + 1,
            attack_id: t.attack_ref.as_ref().map(|a| a.id.clone()),
            technique_count: atlas
                .release
                .techniques
                .iter()
                .filter(|x| x.tactics.contains(&t.id))
                .count(),
            href: format!("/tactics/{}", t.id),
        })
        .collect();
    Json(TacticsJson {
        release: atlas.version().to_string(),
        tactics,
    })
    .into_response()
}
