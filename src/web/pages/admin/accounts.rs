//! Administration of accounts and tokens, and the audit log (admins only; the
//! policy table in `auth.rs` guards every path under `/admin`).

use crate::web::Routes;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Notice;
use crate::domain::FuzzyTime;
use crate::domain::auth::{Role, confirm_password};
use crate::service::accounts;
use crate::service::audit_log;
use crate::store::{AuditEntry, AuditEvent, AuditQuery, TokenInfo, User};
use crate::web::extract::auth::Actor;
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::pages::account::RevokeForm;
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    use crate::domain::auth::Capability::*;
    Routes::new()
        .require(ManageUsers, "/admin/users", get(users_page).post(add_user))
        .require(ManageUsers, "/admin/users/{username}", post(update_user))
        .require(
            ManageUsers,
            "/admin/tokens/revoke",
            get(crate::web::pages::confirm::admin_token_revoke).post(revoke_token),
        )
        .require(ReadAudit, "/admin/audit", get(audit_page))
        .require(ReadAudit, "/admin/audit.jsonl", get(audit_export))
}

/// Every action the log can hold, for the filter menu.
pub const AUDIT_ACTIONS: &[&str] = &[
    "login",
    "login.failed",
    "login.throttled",
    "logout",
    "user.create",
    "user.update",
    "user.password",
    "token.create",
    "token.revoke",
    "incident.create",
    "incident.update",
    "incident.delete",
    "incident.import",
    "incident.import_layer",
    "incident.retrospective",
    "step.add",
    "step.update",
    "step.move",
    "step.reorder",
    "step.delete",
    "import.atlas",
    "import.case_studies",
    "webhook.create",
    "webhook.delete",
    "change",
];

#[derive(Template, WebTemplate)]
#[template(path = "security/users.html")]
struct UsersPage {
    users: Vec<User>,
    roles: Vec<&'static str>,
    tokens: Vec<TokenInfo>,
    show_owner: bool,
    revoke_action: &'static str,
    now: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn users_view(
    state: &AppState,
    notice: Option<String>,
    error: Option<String>,
) -> Result<UsersPage, AppError> {
    Ok(UsersPage {
        users: crate::service::admin::list_users(&state.store).await?,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        tokens: crate::service::accounts::tokens(&state.store, None).await?,
        show_owner: true,
        revoke_action: "/admin/tokens/revoke",
        now: crate::store::now_rfc3339(),
        notice,
        error,
    })
}

async fn users_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: Notice = parse_query(raw.as_deref())?;
    let notice = match q.done.as_str() {
        "added" => Some("User added.".to_string()),
        "updated" => Some("User updated.".to_string()),
        "revoked" => Some("Token revoked.".to_string()),
        _ => None,
    };
    Ok(users_view(&state, notice, None).await?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AddUserForm {
    username: String,
    password: String,
    /// The password again (the page's form always sends it).
    password_confirm: Option<String>,
    role: String,
}

async fn add_user(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<AddUserForm>,
) -> Result<Response, AppError> {
    let result = async {
        let role = Role::parse(form.role.trim())
            .ok_or_else(|| AppError::invalid("role", "role: choose viewer, analyst or admin"))?;
        confirm_password(&form.password, form.password_confirm.as_deref())?;
        Ok::<_, AppError>(
            accounts::create_user(&state.store, &form.username, &form.password, role).await?,
        )
    }
    .await;
    match result {
        Ok(user) => {
            audit_log::record(
                &state.store,
                AuditEvent {
                    actor: actor.name,
                    action: "user.create",
                    target: user.username,
                    detail: format!("role {}", user.role),
                    ip: actor.ip,
                },
            )
            .await?;
            Ok(see_other("/admin/users?done=added"))
        }
        Err(e) if e.status().is_client_error() => {
            let status = e.status();
            Ok((
                status,
                users_view(&state, None, Some(e.public_message())).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateUserForm {
    role: String,
    disabled: String,
}

impl UpdateUserForm {
    /// The new role and disabled flag (`None`: unchanged).
    fn change(&self) -> Result<(Option<Role>, Option<bool>), AppError> {
        let role = match self.role.trim() {
            "" => None,
            r => Some(Role::parse(r).ok_or_else(|| {
                AppError::invalid("role", "role: choose viewer, analyst or admin")
            })?),
        };
        let disabled = match self.disabled.trim() {
            "" => None,
            "true" => Some(true),
            "false" => Some(false),
            _ => return Err(AppError::invalid("disabled", "disabled: true or false")),
        };
        Ok((role, disabled))
    }
}

async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
    HtmlForm(form): HtmlForm<UpdateUserForm>,
) -> Result<Response, AppError> {
    let (role, disabled) = form.change()?;
    // An admin cannot lock themselves out by accident.
    if actor
        .principal
        .as_ref()
        .is_some_and(|p| p.username() == username)
        && (disabled == Some(true) || role.is_some_and(|r| r < Role::Admin))
    {
        let message =
            "You cannot disable yourself or lower your own role; ask another admin.".to_string();
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            users_view(&state, None, Some(message)).await?,
        )
            .into_response());
    }
    accounts::update_user(
        &state.store,
        &username,
        (role, disabled),
        &actor.name,
        &actor.ip,
    )
    .await?;
    Ok(see_other("/admin/users?done=updated"))
}

async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<RevokeForm>,
) -> Result<Response, AppError> {
    accounts::revoke_token(&state.store, &form.prefix, None, &actor.name, &actor.ip).await?;
    Ok(see_other("/admin/users?done=revoked"))
}

/// Audit filters as typed in the form (kept for re-display).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AuditFilters {
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
    page: String,
}

const AUDIT_PAGE: u32 = 200;

impl AuditFilters {
    fn to_query(&self, limit: u32) -> Result<AuditQuery, AppError> {
        let text = |field: &str, v: &str| -> Result<Option<String>, AppError> {
            match v.trim() {
                "" => Ok(None),
                t if t.chars().count() > 120 => Err(AppError::bad_request(
                    field,
                    format!("{field}: at most 120 characters"),
                )),
                t => Ok(Some(t.to_string())),
            }
        };
        let time = |field: &str, v: &str, end: bool| -> Result<Option<String>, AppError> {
            match v.trim() {
                "" => Ok(None),
                t => {
                    let ft = FuzzyTime::parse(t)
                        .map_err(|m| AppError::bad_request(field, format!("{field}: {m}")))?;
                    let at = if end { ft.end() } else { ft.at };
                    Ok(Some(
                        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    ))
                }
            }
        };
        let action = text("action", &self.action)?;
        if let Some(a) = &action
            && !AUDIT_ACTIONS.contains(&a.as_str())
            && !a.ends_with('.')
        {
            return Err(AppError::bad_request(
                "action",
                format!("action: `{a}` is not a known action"),
            ));
        }
        let page = match self.page.trim() {
            "" => 1,
            p => p
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=100_000).contains(p))
                .ok_or_else(|| AppError::bad_request("page", "page: a whole number from 1"))?,
        };
        Ok(AuditQuery {
            actor: text("actor", &self.actor)?,
            action,
            target: text("target", &self.target)?,
            from: time("from", &self.from, false)?,
            to: time("to", &self.to, true)?,
            limit,
            offset: (page - 1) * limit,
        })
    }

    fn query_string(&self, page: Option<u32>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        if let Some(p) = page {
            pairs.push(("page", p.to_string()));
        }
        serde_html_form::to_string(&pairs).unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "security/audit.html")]
struct AuditPage {
    filters: AuditFilters,
    actions: &'static [&'static str],
    entries: Vec<AuditEntry>,
    total: i64,
    query: String,
    next_page: Option<String>,
}

async fn audit_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let filters: AuditFilters = parse_query(raw.as_deref())?;
    let q = filters.to_query(AUDIT_PAGE)?;
    let (entries, total) = audit_log::entries(&state.store, &q).await?;
    let page = q.offset / AUDIT_PAGE + 1;
    let next_page = (i64::from(q.offset) + (entries.len() as i64) < total)
        .then(|| filters.query_string(Some(page + 1)));
    Ok(AuditPage {
        query: filters.query_string(None),
        filters,
        actions: AUDIT_ACTIONS,
        entries,
        total,
        next_page,
    }
    .into_response())
}

/// The filtered log as JSON lines, newest first, for SIEM import.
async fn audit_export(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let filters: AuditFilters = parse_query(raw.as_deref())?;
    let q = filters.to_query(1_000_000)?;
    let (entries, _) = audit_log::entries(&state.store, &q).await?;
    let mut body = String::new();
    for e in entries {
        body.push_str(&serde_json::to_string(&e).map_err(|e| AppError::Internal(e.to_string()))?);
        body.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"atlasview-audit.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
