//! Upgrading incidents to a newer ATLAS release, for admins: a dry-run
//! preview, then apply (the plan made again must match the preview), the
//! stored reports, and the successor table with the admin's overrides.

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::atlas::successors::Entry;
use crate::atlas::{ReleaseInfo, version::compare_versions};
use crate::render::timestamp;
use crate::render::upgrade_report::{AppliedView, UpgradeReportView};
use crate::service::upgrade::{self, SuccessorInput, UpgradePlan, Who};
use crate::store::UpgradeRecord;
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, see_other};
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ManageReleases;
    Routes::new()
        .require(ManageReleases, "/admin/atlas/upgrade", get(page_handler))
        .require(
            ManageReleases,
            "/admin/atlas/upgrade/preview",
            post(preview_handler),
        )
        .require(
            ManageReleases,
            "/admin/atlas/upgrade/apply",
            post(apply_handler),
        )
        .require(
            ManageReleases,
            "/admin/atlas/upgrades/{id}",
            get(report_handler),
        )
        .require(
            ManageReleases,
            "/admin/atlas/successors",
            post(set_successor_handler),
        )
        .require(
            ManageReleases,
            "/admin/atlas/successors/clear",
            get(crate::web::pages::confirm::successor_clear).post(clear_successor_handler),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/upgrade.html")]
struct UpgradeAdminPage {
    releases: Vec<ReleaseInfo>,
    /// The newest stored release, chosen by default.
    newest: String,
    successors: Vec<Entry>,
    upgrades: Vec<UpgradeRow>,
    notice: Option<String>,
    error: Option<String>,
}

struct UpgradeRow {
    record: UpgradeRecord,
    at: String,
}

async fn view(
    state: &AppState,
    notice: Option<String>,
    error: Option<String>,
) -> Result<UpgradeAdminPage, AppError> {
    let releases = crate::service::releases::list(&state.store).await?;
    let newest = releases
        .iter()
        .map(|r| r.version.clone())
        .max_by(|a, b| compare_versions(a, b))
        .unwrap_or_default();
    Ok(UpgradeAdminPage {
        releases,
        newest,
        successors: upgrade::successor_table(&state.store)
            .await?
            .entries()
            .cloned()
            .collect(),
        upgrades: upgrade::list(&state.store)
            .await?
            .into_iter()
            .map(|record| UpgradeRow {
                at: timestamp(&record.at),
                record,
            })
            .collect(),
        notice,
        error,
    })
}

async fn page_handler(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let notice = super::done_notice(raw.as_deref())?;
    Ok(view(&state, notice, None).await?.into_response())
}

/// Re-renders the page with the error, status kept (4xx only).
async fn failed(state: &AppState, e: AppError) -> Result<Response, AppError> {
    if !e.status().is_client_error() {
        return Err(e);
    }
    let status = e.status();
    Ok((status, view(state, None, Some(e.public_message())).await?).into_response())
}

fn done(message: &str) -> Response {
    let q = serde_html_form::to_string([("done", message)]).unwrap_or_default();
    see_other(&format!("/admin/atlas/upgrade?{q}"))
}

// ------------------------------------------------------------------ reports

#[derive(Template, WebTemplate)]
#[template(path = "admin/upgrade_report.html")]
struct ReportPage {
    view: UpgradeReportView,
}

impl std::ops::Deref for ReportPage {
    type Target = UpgradeReportView;
    fn deref(&self) -> &UpgradeReportView {
        &self.view
    }
}

impl ReportPage {
    fn build(plan: &UpgradePlan, applied: Option<AppliedView>) -> Self {
        ReportPage {
            view: UpgradeReportView::build(plan, applied),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpgradeForm {
    to: String,
    digest: String,
}

async fn preview_handler(
    State(state): State<AppState>,
    HtmlForm(form): HtmlForm<UpgradeForm>,
) -> Result<Response, AppError> {
    match upgrade::preview(&state.store, &form.to, |_| {}).await {
        Ok(plan) => Ok(ReportPage::build(&plan, None).into_response()),
        Err(e) => failed(&state, e.into()).await,
    }
}

async fn apply_handler(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<UpgradeForm>,
) -> Result<Response, AppError> {
    if form.digest.trim().is_empty() {
        return failed(
            &state,
            AppError::invalid("digest", "Preview the upgrade first, then apply it."),
        )
        .await;
    }
    let plan = match upgrade::preview(&state.store, &form.to, |_| {}).await {
        Ok(plan) => plan,
        Err(e) => return failed(&state, e.into()).await,
    };
    if plan.digest() != form.digest.trim() {
        return Err(AppError::Conflict(
            "The incidents or the releases changed since the preview: nothing was upgraded. Preview the upgrade again."
                .to_string(),
        ));
    }
    let who = who(actor);
    match upgrade::apply(&state.store, &plan, &who, |_| {}).await? {
        Some(id) => Ok(see_other(&format!("/admin/atlas/upgrades/{id}"))),
        None => Ok(done(&format!(
            "No incident is mapped to a release older than {}: nothing to upgrade.",
            plan.to_release
        ))),
    }
}

async fn report_handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let shown: String = id.chars().take(40).collect();
    let (record, report) = upgrade::get(&state.store, &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Upgrade “{shown}”")))?;
    let plan: UpgradePlan = serde_json::from_str(&report)
        .map_err(|e| AppError::Internal(format!("stored upgrade report {id} unreadable: {e}")))?;
    let applied = AppliedView {
        at: timestamp(&record.at),
        id: record.id,
        actor: record.actor,
    };
    Ok(ReportPage::build(&plan, Some(applied)).into_response())
}

// ------------------------------------------------------------- successors

/// Who changes the successor table (or upgrades), for the audit record.
fn who(actor: Actor) -> Who {
    Who {
        actor: actor.name,
        ip: actor.ip,
    }
}

async fn set_successor_handler(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<SuccessorInput>,
) -> Result<Response, AppError> {
    let who = who(actor);
    match upgrade::set_successor(&state.store, &form, &who).await {
        Ok(e) => Ok(done(&match &e.successor {
            Some(s) => format!("{} now has the successor {s}.", e.technique),
            None => format!("{} now has no successor.", e.technique),
        })),
        Err(e) => failed(&state, e.into()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClearForm {
    technique: String,
}

async fn clear_successor_handler(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<ClearForm>,
) -> Result<Response, AppError> {
    let who = who(actor);
    match upgrade::clear_successor(&state.store, &form.technique, &who).await {
        Ok(()) => Ok(done(&format!(
            "The override of {} was removed.",
            form.technique.trim()
        ))),
        Err(e) => failed(&state, e.into()).await,
    }
}
