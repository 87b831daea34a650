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

use crate::domain::alert::format_window;
use crate::render::ingest::{HourBar, ToConfirmView, hour_bars};
use crate::render::{Link, timestamp};
use crate::service::ingest::{self, RuleError};
use crate::store::{AuditEvent, StoreError};
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    Routes::new()
        .require(ManageIngestion, "/admin/ingest", get(page))
        .require(ManageIngestion, "/admin/ingest/rules", post(save_rule))
        .require(
            ManageIngestion,
            "/admin/ingest/rules/delete",
            post(delete_rule),
        )
        .require(
            WriteIncidents,
            "/incidents/{id}/steps/{step}/tactic",
            post(confirm_tactic),
        )
}

pub struct RuleView {
    name: String,
    fields: String,
    window: String,
}

pub struct SourceView {
    source: String,
    alerts: i64,
    last: String,
}

pub struct AlertView {
    source: String,
    alert_id: String,
    shape: String,
    event_at: String,
    received_at: String,
    title: String,
    severity: String,
    incident_id: Option<String>,
}

pub struct UnmappedView {
    label: String,
    raw_id: String,
    technique: Link,
    event_at: String,
    title: String,
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
    alerts: i64,
    unmapped: i64,
    rules: Vec<RuleView>,
    sources: Vec<SourceView>,
    hours: Vec<HourBar>,
    recent: Vec<AlertView>,
    queue: Vec<UnmappedView>,
    to_confirm: Vec<ToConfirmView>,
    form: RuleForm,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: String,
}

async fn build(
    state: &AppState,
    form: RuleForm,
    notice: Option<String>,
) -> Result<IngestPage, AppError> {
    let atlas = state.atlas.get();
    let store = &state.store;
    let since = (chrono::Utc::now() - chrono::Duration::hours(24))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let per_hour = store.alerts_per_hour(&since).await?;
    Ok(IngestPage {
        alerts: store.alert_count().await?,
        unmapped: store.unmapped_count().await?,
        rules: store
            .list_rules()
            .await?
            .into_iter()
            .map(|r| RuleView {
                fields: r.key_fields.replace(',', ", "),
                window: format_window(r.idle_seconds),
                name: r.name,
            })
            .collect(),
        sources: store
            .alert_sources()
            .await?
            .into_iter()
            .map(|s| SourceView {
                last: timestamp(&s.last_received),
                source: s.source,
                alerts: s.alerts,
            })
            .collect(),
        hours: hour_bars(&per_hour, chrono::Utc::now()),
        recent: store
            .recent_alerts(25)
            .await?
            .into_iter()
            .map(|a| AlertView {
                event_at: timestamp(&a.event_at),
                received_at: timestamp(&a.received_at),
                severity: a.severity.unwrap_or_default(),
                source: a.source,
                alert_id: a.alert_id,
                shape: a.shape,
                title: a.title,
                incident_id: a.incident_id,
            })
            .collect(),
        queue: store
            .unmapped_hits(50)
            .await?
            .into_iter()
            .map(|h| UnmappedView {
                label: format!("{}:{}", h.source, h.alert_id),
                technique: Link::technique(&atlas, &h.technique_id),
                raw_id: h.raw_id,
                event_at: timestamp(&h.event_at),
                title: h.title,
            })
            .collect(),
        to_confirm: store
            .steps_to_confirm(100)
            .await?
            .iter()
            .map(|t| ToConfirmView::build(&atlas, t))
            .collect(),
        form,
        notice,
    })
}

async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<IngestPage, AppError> {
    let q: Notice = parse_query(raw.as_deref())?;
    let notice = (!q.done.is_empty()).then(|| q.done.chars().take(200).collect());
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
            state
                .store
                .audit(AuditEvent {
                    actor: actor.name,
                    action: "rule.save",
                    target: input.name.trim().to_string(),
                    detail: format!("key {} window {}", input.fields.trim(), input.window.trim()),
                    ip: actor.ip,
                })
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
    if !state.store.delete_rule(&input.name).await? {
        return Err(AppError::NotFound(format!(
            "the rule {}",
            input.name.chars().take(100).collect::<String>()
        )));
    }
    state
        .store
        .audit(AuditEvent {
            actor: actor.name,
            action: "rule.delete",
            target: input.name.clone(),
            detail: String::new(),
            ip: actor.ip,
        })
        .await?;
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
    match state.store.confirm_step_tactic(&id, &step, tactic).await {
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
