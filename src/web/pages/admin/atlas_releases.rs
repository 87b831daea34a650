//! ATLAS releases for admins: upload a release file, import from a URL, sync
//! with MITRE's atlas-data, or switch the active release. The running server
//! picks up the new active release at once.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::atlas::fetch::{self, DEFAULT_SYNC_URL, Fetched};
use crate::atlas::{MAX_RELEASE_BYTES, ReleaseInfo};
use crate::service::releases::{self, ReleaseError, ReleaseImport, RemoteRelease};
use crate::store::ImportOutcome;
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{ApiError, AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    let uploads = Routes::new()
        .require(ManageReleases, "/admin/atlas/upload", post(upload))
        .require(ReadIncidents, "/api/v1/atlas/releases", get(list_api))
        .require(ManageReleases, "/api/v1/atlas/releases", post(import_api))
        .body_limit(MAX_RELEASE_BYTES + 64 * 1024);
    Routes::new()
        .require(ManageReleases, "/admin/atlas", get(page))
        .require(ManageReleases, "/admin/atlas/url", post(import_url))
        .require(ManageReleases, "/admin/atlas/sync", post(sync))
        .require(ManageReleases, "/admin/atlas/remote", get(remote))
        .require(ManageReleases, "/admin/atlas/activate", post(activate))
        .merge(uploads)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/atlas.html")]
struct AtlasAdminPage {
    releases: Vec<ReleaseInfo>,
    sync_url: String,
    notice: Option<String>,
    error: Option<String>,
    /// What the last import reported without stopping (shown under the notice).
    warnings: Vec<String>,
    /// The mirror's releases, when asked for.
    remote: Option<Vec<RemoteRelease>>,
}

async fn view(
    state: &AppState,
    notice: Option<String>,
    error: Option<String>,
) -> Result<AtlasAdminPage, AppError> {
    Ok(AtlasAdminPage {
        releases: releases::list_for_admins(&state.store).await?,
        sync_url: DEFAULT_SYNC_URL.to_string(),
        notice,
        error,
        warnings: Vec::new(),
        remote: None,
    })
}

async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let notice = super::done_notice(raw.as_deref())?;
    Ok(view(&state, notice, None).await?.into_response())
}

/// Parses, stores, reloads the active release and records the import.
async fn import(
    state: &AppState,
    actor: Actor,
    fetched: Fetched,
    field: &'static str,
) -> Result<ReleaseImport, AppError> {
    let done = releases::import_fetched(&state.store, &fetched)
        .await
        .map_err(|e| release_error(e, field))?;
    reload(state).await?;
    releases::record_import(&state.store, &done, &fetched.source, &actor.name, &actor.ip).await?;
    Ok(done)
}

async fn reload(state: &AppState) -> Result<(), AppError> {
    state.atlas.set(releases::reload(&state.store).await?);
    Ok(())
}

/// Fetch problems name the URL field, file problems the file field.
fn release_error(e: ReleaseError, field: &'static str) -> AppError {
    match e {
        ReleaseError::Fetch(e) => {
            AppError::invalid("url", format!("The release could not be fetched: {e}"))
        }
        ReleaseError::Import(e) => {
            AppError::invalid(field, format!("The release was not imported: {e}"))
        }
        e @ ReleaseError::WouldLoseCaseStudies { .. } => {
            AppError::invalid(field, format!("The release was not imported: {e}"))
        }
        ReleaseError::Store(e) => e.into(),
    }
}

/// Re-renders the page with the error beside the form, status kept.
async fn failed(state: &AppState, e: AppError) -> Result<Response, AppError> {
    if !e.status().is_client_error() {
        return Err(e);
    }
    let status = e.status();
    Ok((status, view(state, None, Some(e.public_message())).await?).into_response())
}

/// Back to the page with the outcome; an import with warnings shows them at once.
async fn done(state: &AppState, done: &ReleaseImport) -> Result<Response, AppError> {
    if done.warnings.is_empty() {
        let q =
            serde_html_form::to_string([("done", done.outcome.to_string())]).unwrap_or_default();
        return Ok(see_other(&format!("/admin/atlas?{q}")));
    }
    let mut page = view(state, Some(done.outcome.to_string()), None).await?;
    page.warnings = done.warnings.iter().map(ToString::to_string).collect();
    Ok(page.into_response())
}

async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = match read_upload(multipart).await {
        Ok(file) => file,
        Err(e) => return failed(&state, e).await,
    };
    let fetched = Fetched {
        bytes: bytes.to_vec(),
        source: format!("upload {name}"),
        release: None,
    };
    match import(&state, actor, fetched, "file").await {
        Ok(d) => done(&state, &d).await,
        Err(e) => failed(&state, e).await,
    }
}

/// The uploaded file of the form (its name cut at 120 characters): refused
/// when too large, unreadable, missing or empty.
async fn read_upload(mut multipart: Multipart) -> Result<(String, Bytes), AppError> {
    let unreadable = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!(
                "The file is larger than {MAX_RELEASE_BYTES} bytes."
            ))
        } else {
            AppError::invalid("file", format!("The upload could not be read: {e}"))
        }
    };
    let mut file: Option<(String, Bytes)> = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let name = field
                .file_name()
                .unwrap_or("upload")
                .chars()
                .take(120)
                .collect();
            let bytes = field.bytes().await.map_err(|e| {
                AppError::invalid("file", format!("The upload could not be read: {e}"))
            })?;
            file = Some((name, bytes));
        }
    }
    file.filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::invalid("file", "Choose an ATLAS release YAML file to upload."))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UrlForm {
    url: String,
}

async fn import_url(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<UrlForm>,
) -> Result<Response, AppError> {
    let url = form.url.trim();
    if !fetch::is_url(url) || url.len() > 2000 {
        return failed(
            &state,
            AppError::invalid("url", "Give an http:// or https:// URL of a release file."),
        )
        .await;
    }
    let result = async {
        import(
            &state,
            actor,
            fetch::read_source(url).await.map_err(fetch_error)?,
            "url",
        )
        .await
    }
    .await;
    match result {
        Ok(d) => done(&state, &d).await,
        Err(e) => failed(&state, e).await,
    }
}

fn fetch_error(e: fetch::FetchError) -> AppError {
    AppError::invalid("url", format!("The release could not be fetched: {e}"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SyncForm {
    url: String,
    release: String,
}

/// The mirror folder of a form: blank means MITRE's; anything else must be
/// an http(s) URL.
fn sync_base(url: &str) -> Result<String, AppError> {
    match url.trim() {
        "" => Ok(DEFAULT_SYNC_URL.to_string()),
        u if fetch::is_url(u) && u.len() <= 2000 => Ok(u.to_string()),
        _ => Err(AppError::invalid(
            "url",
            "Give the http:// or https:// URL of an atlas-data dist/ folder.",
        )),
    }
}

/// A release name as `--release` takes it (`2026.07`, `5.6.0`).
fn release_field(release: &str) -> Result<Option<String>, AppError> {
    let r = release.trim();
    if r.is_empty() {
        return Ok(None);
    }
    let ok = r.len() <= 32
        && r.starts_with(|c: char| c.is_ascii_digit())
        && r.chars().all(|c| c.is_ascii_digit() || c == '.');
    if ok {
        Ok(Some(r.to_string()))
    } else {
        Err(AppError::invalid(
            "release",
            "A release is written like 2026.09 or 5.6.0.",
        ))
    }
}

async fn sync(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<SyncForm>,
) -> Result<Response, AppError> {
    let result = async {
        let base = sync_base(&form.url)?;
        let release = release_field(&form.release)?;
        let synced = fetch::sync(&base, release.as_deref())
            .await
            .map_err(fetch_error)?;
        import(&state, actor, synced.fetched, "url").await
    }
    .await;
    match result {
        Ok(d) => done(&state, &d).await,
        Err(e) => failed(&state, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemoteQuery {
    url: String,
}

/// `GET /admin/atlas/remote?url=…`: the page with the mirror's releases.
async fn remote(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: RemoteQuery = parse_query(raw.as_deref())?;
    let result = async {
        let base = sync_base(&q.url)?;
        let list = releases::remote(&state.store, &base)
            .await
            .map_err(|e| release_error(e, "url"))?
            .ok_or_else(|| {
                AppError::invalid(
                    "url",
                    format!(
                        "{base} has no manifest.yaml, so its releases cannot be listed; Sync now follows its ATLAS-latest.yaml pointer"
                    ),
                )
            })?;
        let mut page = view(&state, None, None).await?;
        page.sync_url = base;
        page.remote = Some(list);
        Ok::<_, AppError>(page.into_response())
    }
    .await;
    match result {
        Ok(r) => Ok(r),
        Err(e) => failed(&state, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActivateForm {
    version: String,
}

async fn activate(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<ActivateForm>,
) -> Result<Response, AppError> {
    let version = form.version.trim().to_string();
    let (active, _) = releases::activate(&state.store, &version, &actor.name, &actor.ip).await?;
    state.atlas.set(active);
    let q = serde_html_form::to_string([("done", format!("release {version} is now active"))])
        .unwrap_or_default();
    Ok(see_other(&format!("/admin/atlas?{q}")))
}

#[utoipa::path(
    get,
    operation_id = "atlas_releases_list_api",
    path = "/api/v1/atlas/releases",
    tag = "atlas",
    summary = "The stored ATLAS releases",
    responses(
        (status = 200, description = "Stored releases, the active one marked", body = Vec<crate::atlas::ReleaseInfo>)),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn list_api(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(releases::list(&state.store).await?).into_response())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct ImportJson {
    outcome: String,
    active: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportQuery {
    release: String,
}

/// `POST /api/v1/atlas/releases[?release=5.6.0]` with the release file as
/// the body (`release` names the release a STIX bundle holds, or the one a
/// YAML file must hold).
#[utoipa::path(
    post,
    operation_id = "atlas_releases_import_api",
    path = "/api/v1/atlas/releases",
    tag = "atlas",
    summary = "Import an ATLAS release file (legacy or 6.x YAML, or a STIX bundle) and make it active",
    params(("release" = Option<String>, Query, description = "The release a STIX bundle holds, or the one a YAML file must hold")),
    request_body(content((String = "application/yaml"), (serde_json::Value = "application/json")), description = "The release file"),
    responses(
        (status = 201, description = "Imported", body = ImportJson),
        (status = 200, description = "Already stored, unchanged", body = ImportJson),
        (status = 400, description = "Not an ATLAS release in a known format", body = crate::web::ErrorBody),
        (status = 413, description = "Over the body limit", body = crate::web::ErrorBody),
        (status = 422, description = "A release that breaks a rule", body = crate::web::ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn import_api(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let q: ImportQuery = parse_query(raw.as_deref())?;
    let fetched = Fetched {
        bytes: body.to_vec(),
        source: "API upload".to_string(),
        release: release_field(&q.release)?,
    };
    let outcome = import(&state, actor, fetched, "file").await?.outcome;
    let status = match outcome {
        ImportOutcome::Unchanged { .. } => StatusCode::OK,
        _ => StatusCode::CREATED,
    };
    Ok((
        status,
        Json(ImportJson {
            outcome: outcome.to_string(),
            active: state.atlas.get().version().to_string(),
        }),
    )
        .into_response())
}
