//! `/admin/webhooks`: registering hooks (the secret shown once, on the page
//! that answers the registration), and each hook's page with its latest
//! delivery attempts, a "send test event" button, turning it off and on,
//! and removing it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::webhook::WebhookInput;
use crate::render::webhooks::{AttemptRow, EventChoice, HookRow, event_choices};
use crate::service::teamwork::TeamError;
use crate::service::webhooks as uc;
use crate::web::Routes;
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, see_other};
use crate::web::pages::confirm::ConfirmPage;
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::ManageWebhooks;
    Routes::new()
        .require(
            ManageWebhooks,
            "/admin/webhooks",
            get(list_page).post(register),
        )
        .require(ManageWebhooks, "/admin/webhooks/{id}", get(hook_page))
        .require(ManageWebhooks, "/admin/webhooks/{id}/test", post(send_test))
        .require(
            ManageWebhooks,
            "/admin/webhooks/{id}/active",
            post(set_active),
        )
        .require(
            ManageWebhooks,
            "/admin/webhooks/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/webhooks.html")]
struct ListPage {
    hooks: Vec<HookRow>,
    url: String,
    events: Vec<EventChoice>,
    errors: Vec<(String, String)>,
    /// The hook just registered and its secret, shown this once.
    created: Option<(String, String)>,
    notice: Option<String>,
    allow_private: bool,
}

async fn list_view(state: &AppState) -> Result<ListPage, AppError> {
    Ok(ListPage {
        hooks: uc::list(&state.store)
            .await?
            .iter()
            .map(HookRow::from)
            .collect(),
        url: String::new(),
        events: event_choices(&[]),
        errors: Vec::new(),
        created: None,
        notice: None,
        allow_private: state.config.webhooks.allow_private,
    })
}

async fn list_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<ListPage, AppError> {
    let mut page = list_view(&state).await?;
    page.notice = super::done_notice(raw.as_deref())?;
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    url: String,
    events: Vec<String>,
    active: Option<String>,
}

async fn register(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<RegisterForm>,
) -> Result<Response, AppError> {
    let input = WebhookInput {
        url: form.url.clone(),
        events: form.events.clone(),
        active: form.active.is_some(),
    };
    match uc::register(&state.store, &input, &state.config.webhooks, &actor.name).await {
        Ok((hook, secret)) => {
            let mut page = list_view(&state).await?;
            page.created = Some((hook.id, secret));
            Ok((StatusCode::CREATED, page).into_response())
        }
        Err(TeamError::Invalid(problems)) => {
            let mut page = list_view(&state).await?;
            page.url = form.url;
            page.events = event_choices(&form.events);
            page.errors = problems.into_iter().map(|p| (p.field, p.message)).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/webhook.html")]
struct HookPage {
    hook: HookRow,
    attempts: Vec<AttemptRow>,
    log_max: i64,
    notice: Option<String>,
}

async fn hook_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<HookPage, AppError> {
    let (hook, log) = uc::with_log(&state.store, &id).await?;
    Ok(HookPage {
        hook: HookRow::from(&hook),
        attempts: log.iter().map(AttemptRow::from).collect(),
        log_max: crate::domain::webhook::LOG_MAX,
        notice: super::done_notice(raw.as_deref())?,
    })
}

async fn send_test(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    uc::send_test(&state.store, &id).await?;
    Ok(see_other(&format!(
        "/admin/webhooks/{id}?done=Test+event+queued%3A+reload+to+see+its+attempt"
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<ActiveForm>,
) -> Result<Response, AppError> {
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::invalid("active", "must be true or false")),
    };
    uc::set_active(&state.store, &id, active).await?;
    let done = if active {
        "Hook+turned+on"
    } else {
        "Hook+turned+off"
    };
    Ok(see_other(&format!("/admin/webhooks/{id}?done={done}")))
}

async fn confirm_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ConfirmPage, AppError> {
    let hook = uc::get(&state.store, &id).await?;
    Ok(ConfirmPage::plain(
        format!("Remove the webhook to {}?", hook.url),
        "Nothing more is sent to it; its queued deliveries and their log are removed. This cannot be undone.".into(),
        format!("/admin/webhooks/{id}/delete"),
        "Remove the webhook",
        format!("/admin/webhooks/{id}"),
    ))
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
) -> Result<Response, AppError> {
    uc::remove(&state.store, &id, &actor.name).await?;
    Ok(see_other("/admin/webhooks?done=Webhook+removed"))
}
