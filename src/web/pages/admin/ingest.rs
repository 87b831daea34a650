//! `/admin/ingest`: the ingestion page for admins (sources, correlation rules,
//! last alerts, counts per hour, the unmapped queue, tactics to confirm), and
//! confirming a step's tactic in one click (`POST /incidents/{id}/steps/{step}/tactic`).

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::render::ingest::IngestView;
use crate::service::audit_log;
use crate::service::ingest::{self, RuleError};
use crate::store::{AuditEvent, StoreError};
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, see_other};
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    Routes::new()
        .require(ManageIngestion, "/admin/ingest", get(page))
        .require(ManageIngestion, "/admin/ingest/rules", post(save_rule))
        .require(
            ManageIngestion,
            "/admin/ingest/rules/delete",
            get(crate::web::pages::confirm::rule_delete).post(delete_rule),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/tactic",
            post(confirm_tactic),
        )
}

/// The rule form as last submitted, with every problem.
#[derive(Default)]
pub struct RuleForm {
    name: String,
    fields: String,
    window: String,
    errors: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "ingest/page.html")]
pub struct IngestPage {
    view: IngestView,
    form: RuleForm,
    notice: Option<String>,
}

impl std::ops::Deref for IngestPage {
    type Target = IngestView;
    fn deref(&self) -> &IngestView {
        &self.view
    }
}

async fn build(
    state: &AppState,
    form: RuleForm,
    notice: Option<String>,
) -> Result<IngestPage, AppError> {
    let now = chrono::Utc::now();
    let overview = ingest::overview(&state.store, now).await?;
    Ok(IngestPage {
        view: IngestView::build(&state.atlas.get(), overview, now),
        form,
        notice,
    })
}

async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<IngestPage, AppError> {
    let notice = super::done_notice(raw.as_deref())?;
    let form = RuleForm {
        window: "24h".to_string(),
        ..Default::default()
    };
    build(&state, form, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleInput {
    name: String,
    fields: String,
    window: String,
}

async fn save_rule(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(input): HtmlForm<RuleInput>,
) -> Result<Response, AppError> {
    let fields: Vec<String> = vec![input.fields.clone()];
    match ingest::save_rule(&state.store, &input.name, &fields, &input.window).await {
        Ok(created) => {
            audit_log::record(
                &state.store,
                AuditEvent {
                    actor: actor.name,
                    action: "rule.save",
                    target: input.name.trim().to_string(),
                    detail: format!("key {} window {}", input.fields.trim(), input.window.trim()),
                    ip: actor.ip,
                },
            )
            .await?;
            let done = if created {
                "Rule added"
            } else {
                "Rule replaced"
            };
            let q = serde_html_form::to_string([("done", done)]).unwrap_or_default();
            Ok(see_other(&format!("/admin/ingest?{q}")))
        }
        Err(RuleError::Invalid(problems)) => {
            let form = RuleForm {
                name: input.name,
                fields: input.fields,
                window: input.window,
                errors: problems.into_iter().map(|p| (p.field, p.message)).collect(),
            };
            let page = build(&state, form, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(RuleError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameInput {
    name: String,
}

async fn delete_rule(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(input): HtmlForm<NameInput>,
) -> Result<Response, AppError> {
    if !ingest::delete_rule(&state.store, &input.name, &actor.name, &actor.ip).await? {
        return Err(AppError::NotFound(format!(
            "the rule {}",
            input.name.chars().take(100).collect::<String>()
        )));
    }
    Ok(see_other("/admin/ingest?done=Rule+deleted"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TacticInput {
    tactic: String,
    /// `ingest` to come back to the ingestion page.
    back: String,
}

/// One click: the button names the tactic.
async fn confirm_tactic(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    HtmlForm(input): HtmlForm<TacticInput>,
) -> Result<Response, AppError> {
    let tactic = input.tactic.trim();
    if state.atlas.get().tactic(tactic).is_none() {
        return Err(AppError::invalid(
            "tactic",
            format!(
                "tactic: `{}` is not a tactic of the active release",
                tactic.chars().take(40).collect::<String>()
            ),
        ));
    }
    match crate::service::incidents::confirm_step_tactic(&state.store, &id, &step, tactic).await {
        Ok(_) => {}
        Err(StoreError::Conflict(m)) => return Err(AppError::Conflict(m)),
        Err(e) => return Err(e.into()),
    }
    if input.back == "ingest" {
        Ok(see_other("/admin/ingest?done=Tactic+confirmed#to-confirm"))
    } else {
        Ok(see_other(&format!("/incidents/{id}#step-{step}")))
    }
}
