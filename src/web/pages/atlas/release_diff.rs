//! Comparing two stored releases: `/atlas/releases/{a}/diff/{b}` (HTML) and
//! `/api/v1/atlas/releases/{a}/diff/{b}` (JSON): what was added, removed,
//! renamed and re-tacticed, and what an upgrade from `a` to `b` would change
//! for the incidents mapped to `a`.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::atlas::Release;
use crate::atlas::diff::{ReleaseDiff, diff};
use crate::render::release_diff::ReleaseDiffView;
use crate::service::upgrade::{self, Impact};
use crate::web::extract::html_form::{parse_query, see_other};
use crate::web::{ApiError, AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ReadIncidents;
    Routes::new()
        .require(
            ReadIncidents,
            "/atlas/releases/compare",
            get(compare_handler),
        )
        .require(
            ReadIncidents,
            "/atlas/releases/{a}/diff/{b}",
            get(diff_handler),
        )
        .require(
            ReadIncidents,
            "/api/v1/atlas/releases/{a}/diff/{b}",
            get(diff_api_handler),
        )
}

async fn load(state: &AppState, version: &str, field: &str) -> Result<Release, AppError> {
    let shown: String = version.chars().take(40).collect();
    if version.is_empty() || version.len() > 40 {
        return Err(AppError::bad_request(
            field,
            format!("{field}: name a stored release"),
        ));
    }
    crate::service::releases::load(&state.store, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ATLAS release “{shown}”")))
}

async fn compute(
    state: &AppState,
    a: &str,
    b: &str,
) -> Result<(Release, Release, ReleaseDiff, Impact), AppError> {
    let old = load(state, a, "from").await?;
    let new = load(state, b, "to").await?;
    let table = upgrade::successor_table(&state.store).await?;
    let d = diff(&old, &new, &table);
    let impact = upgrade::diff_impact(&state.store, &old.version, &new).await?;
    Ok((old, new, d, impact))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CompareForm {
    from: String,
    to: String,
}

/// The GET form of the releases page: on to the diff's own address.
async fn compare_handler(RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q: CompareForm = parse_query(raw.as_deref())?;
    let mut missing = Vec::new();
    if q.from.trim().is_empty() {
        missing.push("from");
    }
    if q.to.trim().is_empty() {
        missing.push("to");
    }
    if !missing.is_empty() {
        return Err(AppError::bad_request(
            missing.join(", "),
            format!("{}: choose two releases to compare", missing.join(", ")),
        ));
    }
    let path = |s: &str| {
        s.trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .take(40)
            .collect::<String>()
    };
    Ok(see_other(&format!(
        "/atlas/releases/{}/diff/{}",
        path(&q.from),
        path(&q.to)
    )))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct DiffJson {
    #[serde(flatten)]
    diff: ReleaseDiff,
    incidents: Impact,
}

/// What changed between two stored releases, and what it means for our incidents.
#[utoipa::path(
    get,
    operation_id = "release_diff_diff_api",
    path = "/api/v1/atlas/releases/{a}/diff/{b}",
    tag = "atlas",
    summary = "Compare two stored ATLAS releases",
    params(("a" = String, Path, description = "The older release"), ("b" = String, Path, description = "The newer release")),
    responses(
        (status = 200, description = "The changes and their effect on the incidents", body = DiffJson),
        (status = 400, description = "A release name that cannot be one", body = crate::web::ErrorBody),
        (status = 404, description = "No such stored release", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn diff_api_handler(
    State(state): State<AppState>,
    Path((a, b)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, _, diff, incidents) = compute(&state, &a, &b).await?;
    Ok(Json(DiffJson { diff, incidents }).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "atlas/diff.html")]
struct DiffPage {
    view: ReleaseDiffView,
}

impl std::ops::Deref for DiffPage {
    type Target = ReleaseDiffView;
    fn deref(&self) -> &ReleaseDiffView {
        &self.view
    }
}

async fn diff_handler(
    State(state): State<AppState>,
    Path((a, b)): Path<(String, String)>,
) -> Result<DiffPage, AppError> {
    let (old, new, d, impact) = compute(&state, &a, &b).await?;
    Ok(DiffPage {
        view: ReleaseDiffView::build(&old, &new, d, impact),
    })
}
