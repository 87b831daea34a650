//! ATLAS releases for admins: upload a release file, import from a URL, sync
//! with MITRE's atlas-data, or switch the active release. The running server
//! picks up the new active release at once.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::Actor;
use super::forms::{HtmlForm, parse_query, see_other};
use super::{ApiError, AppError, AppState};
use crate::atlas::fetch::{self, DEFAULT_SYNC_URL, Fetched};
use crate::atlas::{ImportError, MAX_RELEASE_BYTES, ReleaseInfo, parse_release};
use crate::store::{AuditEvent, ImportOutcome};

pub fn routes() -> Router<AppState> {
    let uploads = Router::new()
        .route("/admin/atlas/upload", post(upload))
        .route("/api/v1/atlas/releases", get(list_api).post(import_api))
        .layer(DefaultBodyLimit::max(MAX_RELEASE_BYTES + 64 * 1024));
    Router::new()
        .route("/admin/atlas", get(page))
        .route("/admin/atlas/url", post(import_url))
        .route("/admin/atlas/sync", post(sync))
        .route("/admin/atlas/activate", post(activate))
        .merge(uploads)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/atlas.html")]
struct AtlasAdminPage {
    releases: Vec<ReleaseInfo>,
    sync_url: &'static str,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: String,
}

async fn view(
    state: &AppState,
    notice: Option<String>,
    error: Option<String>,
) -> Result<AtlasAdminPage, AppError> {
    Ok(AtlasAdminPage {
        releases: state.store.list_releases().await?,
        sync_url: DEFAULT_SYNC_URL,
        notice,
        error,
    })
}

async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: Notice = parse_query(raw.as_deref())?;
    let notice = (!q.done.is_empty()).then(|| q.done.chars().take(200).collect());
    Ok(view(&state, notice, None).await?.into_response())
}

/// Parses, stores, reloads the active release and records the import.
async fn import(
    state: &AppState,
    actor: Actor,
    fetched: Fetched,
) -> Result<ImportOutcome, AppError> {
    let release = parse_release(&fetched.bytes).map_err(import_error)?;
    let outcome = state
        .store
        .import_release(&release, &fetched.source)
        .await?;
    reload(state).await?;
    state
        .store
        .audit(AuditEvent {
            actor: actor.name,
            action: "import.atlas",
            target: release.version.clone(),
            detail: format!("{outcome} (from {})", fetched.source),
            ip: actor.ip,
        })
        .await?;
    Ok(outcome)
}

async fn reload(state: &AppState) -> Result<(), AppError> {
    let active = crate::app::load_or_seed(&state.store).await?;
    // Alerts waiting for techniques this release knows are mapped now.
    crate::service::ingest::remap_unmapped(&state.store, &active).await?;
    state.atlas.set(active);
    Ok(())
}

fn import_error(e: ImportError) -> AppError {
    AppError::invalid("file", format!("The release was not imported: {e}"))
}

fn fetch_error(e: fetch::FetchError) -> AppError {
    AppError::invalid("url", format!("The release could not be fetched: {e}"))
}

/// Re-renders the page with the error beside the form, status kept.
async fn failed(state: &AppState, e: AppError) -> Result<Response, AppError> {
    if !e.status().is_client_error() {
        return Err(e);
    }
    let status = e.status();
    Ok((status, view(state, None, Some(e.public_message())).await?).into_response())
}

fn done(outcome: &ImportOutcome) -> Response {
    let q = serde_html_form::to_string([("done", outcome.to_string())]).unwrap_or_default();
    see_other(&format!("/admin/atlas?{q}"))
}

async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut file: Option<(String, Bytes)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return failed(
                    &state,
                    AppError::PayloadTooLarge(format!(
                        "The file is larger than {MAX_RELEASE_BYTES} bytes."
                    )),
                )
                .await;
            }
            Err(e) => {
                return failed(
                    &state,
                    AppError::invalid("file", format!("The upload could not be read: {e}")),
                )
                .await;
            }
        };
        if field.name() == Some("file") {
            let name = field
                .file_name()
                .unwrap_or("upload")
                .chars()
                .take(120)
                .collect::<String>();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    return failed(
                        &state,
                        AppError::invalid("file", format!("The upload could not be read: {e}")),
                    )
                    .await;
                }
            };
            file = Some((name, bytes));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return failed(
            &state,
            AppError::invalid("file", "Choose an ATLAS release YAML file to upload."),
        )
        .await;
    };
    let fetched = Fetched {
        bytes: bytes.to_vec(),
        source: format!("upload {name}"),
    };
    match import(&state, actor, fetched).await {
        Ok(outcome) => Ok(done(&outcome)),
        Err(e) => failed(&state, e).await,
    }
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
        )
        .await
    }
    .await;
    match result {
        Ok(outcome) => Ok(done(&outcome)),
        Err(e) => failed(&state, e).await,
    }
}

async fn sync(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<UrlForm>,
) -> Result<Response, AppError> {
    let base = match form.url.trim() {
        "" => DEFAULT_SYNC_URL,
        u => u,
    };
    let result =
        async { import(&state, actor, fetch::sync(base).await.map_err(fetch_error)?).await }.await;
    match result {
        Ok(outcome) => Ok(done(&outcome)),
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
    state.store.activate_release(&version).await?;
    reload(&state).await?;
    state
        .store
        .audit(AuditEvent {
            actor: actor.name,
            action: "import.atlas",
            target: version.clone(),
            detail: "activated".into(),
            ip: actor.ip,
        })
        .await?;
    let q = serde_html_form::to_string([("done", format!("release {version} is now active"))])
        .unwrap_or_default();
    Ok(see_other(&format!("/admin/atlas?{q}")))
}

async fn list_api(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.store.list_releases().await?).into_response())
}

#[derive(serde::Serialize)]
struct ImportJson {
    outcome: String,
    active: String,
}

/// `POST /api/v1/atlas/releases` with the YAML file as the body.
async fn import_api(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fetched = Fetched {
        bytes: body.to_vec(),
        source: "API upload".to_string(),
    };
    let outcome = import(&state, actor, fetched).await?;
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
