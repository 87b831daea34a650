//! Signing in and out, and the signed-in user's own account: API tokens and
//! password.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::{Actor, SESSION_COOKIE, SignedIn, session_cookie};
use super::forms::{HtmlForm, parse_query, see_other};
use super::{AppError, AppState};
use crate::domain::auth::Role;
use crate::service::ServiceError;
use crate::service::accounts::{self, secret_hash};
use crate::store::{AuditEvent, TokenInfo};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/setup", get(setup_page).post(setup))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/revoke", post(revoke_token))
        .route("/account/password", post(change_password))
}

#[derive(Template, WebTemplate)]
#[template(path = "security/login.html")]
struct LoginPage {
    next: String,
    username: String,
    error: Option<String>,
    signed_out: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
    signed_out: String,
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/login");
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

async fn login_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    if state.store.count_users().await? == 0 {
        return Ok(see_other("/setup"));
    }
    let q: LoginQuery = parse_query(raw.as_deref())?;
    Ok(LoginPage {
        next: safe_next(&q.next),
        username: String::new(),
        error: None,
        signed_out: !q.signed_out.is_empty(),
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

fn cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.https { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static("atlasview_session=; Max-Age=0"))
}

async fn login(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, AppError> {
    let ip = actor.ip.parse().ok();
    let old_session = session_cookie(&headers).map(secret_hash);
    let ip_text = actor.ip.clone();
    let username = form.username.trim().chars().take(40).collect::<String>();
    if !state.login_limiter.allow(ip) {
        state
            .store
            .audit(AuditEvent {
                actor: username.clone(),
                action: "login.throttled",
                ip: ip_text,
                ..Default::default()
            })
            .await?;
        return Err(AppError::TooManyRequests(
            "Too many sign-in attempts from your address; wait a minute and try again.".to_string(),
        ));
    }
    let user = accounts::check_login(&state.store, &username, &form.password).await?;
    let Some(user) = user else {
        state
            .store
            .audit(AuditEvent {
                actor: username.clone(),
                action: "login.failed",
                ip: ip_text,
                ..Default::default()
            })
            .await?;
        let page = LoginPage {
            next: safe_next(&form.next),
            username,
            error: Some(
                "Unknown username or wrong password (or the account is disabled).".to_string(),
            ),
            signed_out: false,
        };
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    // A fresh session ID at every login; any session the browser brought is ended.
    if let Some(old) = old_session {
        state.store.delete_session(&old).await?;
    }
    let secret = accounts::start_session(&state.store, &user, state.config.session_max).await?;
    state
        .store
        .audit(AuditEvent {
            actor: user.username.clone(),
            action: "login",
            ip: ip_text,
            ..Default::default()
        })
        .await?;
    let mut res = see_other(&safe_next(&form.next));
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &secret, state.config.session_max.num_seconds()),
    );
    Ok(res)
}

#[derive(Template, WebTemplate)]
#[template(path = "security/setup.html")]
struct SetupPage {
    username: String,
    error: Option<String>,
}

/// First run: while no account exists, anyone who can reach the server (by
/// default only this machine) creates the first admin.
async fn setup_page(State(state): State<AppState>) -> Result<Response, AppError> {
    if state.store.count_users().await? > 0 {
        return Ok(see_other("/login"));
    }
    Ok(SetupPage {
        username: String::new(),
        error: None,
    }
    .into_response())
}

async fn setup(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, AppError> {
    let user =
        match accounts::create_first_admin(&state.store, &form.username, &form.password).await {
            Ok(user) => user,
            Err(ServiceError::Invalid(v)) => {
                let page = SetupPage {
                    username: form.username.chars().take(40).collect(),
                    error: Some(v.to_string()),
                };
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            Err(e) => return Err(e.into()),
        };
    state
        .store
        .audit(AuditEvent {
            actor: user.username.clone(),
            action: "user.create",
            target: user.username.clone(),
            detail: "first admin, from the setup page".to_string(),
            ip: actor.ip,
        })
        .await?;
    let secret = accounts::start_session(&state.store, &user, state.config.session_max).await?;
    let mut res = see_other("/");
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &secret, state.config.session_max.num_seconds()),
    );
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(secret) = session_cookie(&headers) {
        state.store.delete_session(&secret_hash(secret)).await?;
    }
    state
        .store
        .audit(AuditEvent {
            actor: actor.name,
            action: "logout",
            ip: actor.ip,
            ..Default::default()
        })
        .await?;
    let mut res = see_other("/login?signed_out=1");
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(res)
}

#[derive(Template, WebTemplate)]
#[template(path = "security/account.html")]
struct AccountPage {
    username: String,
    role: &'static str,
    roles: Vec<&'static str>,
    tokens: Vec<TokenInfo>,
    show_owner: bool,
    revoke_action: &'static str,
    now: String,
    new_token: Option<String>,
    error: Option<String>,
    password_changed: bool,
}

async fn account_view(
    state: &AppState,
    who: &SignedIn,
    new_token: Option<String>,
    error: Option<String>,
    password_changed: bool,
) -> Result<AccountPage, AppError> {
    let user = &who.0.0.user;
    Ok(AccountPage {
        username: user.username.clone(),
        role: user.role.as_str(),
        roles: Role::ALL
            .iter()
            .filter(|r| **r <= user.role)
            .map(|r| r.as_str())
            .collect(),
        tokens: state.store.list_tokens(Some(&user.username)).await?,
        show_owner: false,
        revoke_action: "/account/tokens/revoke",
        now: crate::store::now_rfc3339(),
        new_token,
        error,
        password_changed,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountQuery {
    password: String,
}

async fn account_page(
    State(state): State<AppState>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: AccountQuery = parse_query(raw.as_deref())?;
    Ok(
        account_view(&state, &who, None, None, q.password == "changed")
            .await?
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
    role: String,
    expires: String,
}

/// Parses the token form's role and expiry, naming the field on error.
pub fn token_options(role: &str, expires: &str) -> Result<(Role, Option<u32>), AppError> {
    let role = Role::parse(role.trim())
        .ok_or_else(|| AppError::invalid("role", "role: choose viewer, analyst or admin"))?;
    let expires = match expires.trim() {
        "" => None,
        d => Some(
            d.parse::<u32>()
                .map_err(|_| AppError::invalid("expires", "expires: a number of days"))?,
        ),
    };
    Ok((role, expires))
}

async fn create_token(
    State(state): State<AppState>,
    who: SignedIn,
    actor: Actor,
    HtmlForm(form): HtmlForm<TokenForm>,
) -> Result<Response, AppError> {
    let user = who.0.0.user.clone();
    let result = async {
        let (role, expires) = token_options(&form.role, &form.expires)?;
        Ok::<_, AppError>(
            accounts::create_token(&state.store, &user, role, &form.name, expires).await?,
        )
    }
    .await;
    match result {
        Ok((token, prefix)) => {
            state
                .store
                .audit(AuditEvent {
                    actor: actor.name,
                    action: "token.create",
                    target: format!("atv_{prefix}"),
                    detail: format!("for {} as {}", user.username, form.role.trim()),
                    ip: actor.ip,
                })
                .await?;
            // Shown once, on this response only; never redirected with the secret in a URL.
            Ok((
                StatusCode::CREATED,
                account_view(&state, &who, Some(token), None, false).await?,
            )
                .into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::BadRequest { .. })) => {
            let status = e.status();
            Ok((
                status,
                account_view(&state, &who, None, Some(e.public_message()), false).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    pub prefix: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    who: SignedIn,
    actor: Actor,
    HtmlForm(form): HtmlForm<RevokeForm>,
) -> Result<Response, AppError> {
    let owner = who.0.0.user.username.clone();
    accounts::revoke_token(
        &state.store,
        &form.prefix,
        Some(&owner),
        &actor.name,
        &actor.ip,
    )
    .await?;
    Ok(see_other("/account"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn change_password(
    State(state): State<AppState>,
    who: SignedIn,
    actor: Actor,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, AppError> {
    let username = who.0.0.user.username.clone();
    match accounts::change_password(&state.store, &username, &form.password).await {
        Ok(()) => {}
        Err(ServiceError::Invalid(v)) => {
            let page = account_view(&state, &who, None, Some(v.to_string()), false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .audit(AuditEvent {
            actor: actor.name,
            action: "user.password",
            target: username,
            ip: actor.ip,
            ..Default::default()
        })
        .await?;
    Ok(see_other("/account?password=changed"))
}
