//! Signing in and out, and the signed-in user's own account: API tokens and
//! password.

use crate::web::Routes;
use std::net::IpAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::auth::{Role, confirm_password};
use crate::service::ServiceError;
use crate::service::accounts::{self, secret_hash};
use crate::service::audit_log;
use crate::store::{AuditEvent, TokenInfo};
use crate::web::extract::auth::{Actor, SESSION_COOKIE, SignedIn, session_cookie};
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{AppError, AppState};

pub fn routes() -> Routes {
    Routes::new()
        .public("/login", get(login_page).post(login))
        .public("/setup", get(setup_page).post(setup))
        .signed_in("/logout", post(logout))
        .signed_in("/account", get(account_page))
        .session("/account/tokens", post(create_token))
        .session(
            "/account/tokens/revoke",
            get(crate::web::pages::confirm::own_token_revoke).post(revoke_token),
        )
        .session("/account/password", post(change_password))
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

/// Only same-origin paths are followed after login (no open redirect): one
/// leading `/`, no `//`, no backslash, no control or whitespace character,
/// also once percent-decoded (browsers drop tabs and newlines from URLs and
/// read `\` as `/`, so `/\t/evil.example` would lead off-site). Anything
/// else goes to `/`.
pub fn safe_next(next: &str) -> String {
    fn local(path: &str) -> bool {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.chars().any(|c| c.is_control() || c.is_whitespace())
    }
    let decoded = percent_encoding::percent_decode_str(next).decode_utf8_lossy();
    let ok = local(next)
        && local(&decoded)
        && !decoded.contains("//")
        && !next.starts_with("/login")
        && next.len() <= 2048;
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
    if !accounts::has_users(&state.store).await? {
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
    let old_session = session_cookie(&headers).map(secret_hash);
    let username = form.username.trim().chars().take(40).collect::<String>();
    throttle_login(&state, &actor, &username).await?;
    let user = accounts::check_login(&state.store, &username, &form.password).await?;
    let Some(user) = user else {
        return failed_login(&state, &actor, username, &form.next).await;
    };
    state.lockout.succeeded(&username);
    // A fresh session ID at every login; any session the browser brought is ended.
    if let Some(old) = old_session {
        accounts::end_session(&state.store, &old).await?;
    }
    let secret = accounts::start_session(&state.store, &user, state.config.session_max).await?;
    record(
        &state,
        &user.username,
        "login",
        String::new(),
        String::new(),
        &actor.ip,
    )
    .await?;
    let mut res = see_other(&safe_next(&form.next));
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &secret, state.config.session_max.num_seconds()),
    );
    Ok(res)
}

/// Records an account event (`login`, `login.failed`, `token.create`, …)
/// in the audit log.
async fn record(
    state: &AppState,
    actor: &str,
    action: &'static str,
    target: String,
    detail: String,
    ip: &str,
) -> Result<(), AppError> {
    let event = AuditEvent {
        actor: actor.to_string(),
        action,
        target,
        detail,
        ip: ip.to_string(),
    };
    audit_log::record(&state.store, event).await?;
    Ok(())
}

/// Records an account event done by the signed-in actor.
async fn record_by(
    state: &AppState,
    actor: &Actor,
    action: &'static str,
    target: String,
    detail: String,
) -> Result<(), AppError> {
    record(state, &actor.name, action, target, detail, &actor.ip).await
}

/// Refuses (and records) a sign-in from an address sending too many, or to
/// an account locked after repeated wrong passwords.
async fn throttle_login(state: &AppState, actor: &Actor, username: &str) -> Result<(), AppError> {
    if !state.login_limiter.allow(actor.ip.parse().ok()) {
        record(
            state,
            username,
            "login.throttled",
            String::new(),
            String::new(),
            &actor.ip,
        )
        .await?;
        return Err(AppError::TooManyRequests(
            "Too many sign-in attempts from your address; wait a minute and try again.".to_string(),
        ));
    }
    if let Err(wait) = state.lockout.check(username) {
        record(
            state,
            username,
            "login.locked",
            String::new(),
            String::new(),
            &actor.ip,
        )
        .await?;
        return Err(locked_out(wait));
    }
    Ok(())
}

/// A wrong username or password: counted towards the account's lockout,
/// recorded, and the form again (401).
async fn failed_login(
    state: &AppState,
    actor: &Actor,
    username: String,
    next: &str,
) -> Result<Response, AppError> {
    let locked = state.lockout.failed(&username);
    let detail = locked
        .map(|d| format!("account locked for {} s", d.as_secs()))
        .unwrap_or_default();
    record(
        state,
        &username,
        "login.failed",
        String::new(),
        detail,
        &actor.ip,
    )
    .await?;
    let page = LoginPage {
        next: safe_next(next),
        username,
        error: Some("Unknown username or wrong password (or the account is disabled).".to_string()),
        signed_out: false,
    };
    Ok((StatusCode::UNAUTHORIZED, page).into_response())
}

/// The answer while an account is locked after repeated wrong passwords.
fn locked_out(wait: std::time::Duration) -> AppError {
    AppError::TooManyRequests(format!(
        "Too many wrong passwords for this account; it is locked for another {} seconds.",
        wait.as_secs().max(1)
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "security/setup.html")]
struct SetupPage {
    username: String,
    error: Option<String>,
    /// The client is not on this machine: the setup token is required.
    remote: bool,
}

fn is_loopback(ip: Option<IpAddr>) -> bool {
    ip.is_some_and(|ip| ip.to_canonical().is_loopback())
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (secret_hash(a), secret_hash(b));
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Who may create the first admin on a fresh database: a client on this
/// machine, or anyone with the one-time setup token printed on the server's
/// console (or given with `--setup-token`). A token that is offered must be
/// right, from anywhere.
pub fn setup_allowed(
    client: Option<IpAddr>,
    offered: &str,
    expected: Option<&str>,
) -> Result<(), AppError> {
    let offered = offered.trim();
    if !offered.is_empty() {
        return match expected {
            Some(expected) if same_secret(expected, offered) => Ok(()),
            _ => Err(AppError::Forbidden(
                "The setup token is wrong: use the one printed on the server's console when it started."
                    .to_string(),
            )),
        };
    }
    if is_loopback(client) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "From another machine, the first administrator needs the setup token printed on the server's console (or given with --setup-token)."
            .to_string(),
    ))
}

/// First run: while no account exists, a client on this machine (or one with
/// the setup token) creates the first admin.
async fn setup_page(State(state): State<AppState>, actor: Actor) -> Result<Response, AppError> {
    if accounts::has_users(&state.store).await? {
        return Ok(see_other("/login"));
    }
    Ok(SetupPage {
        username: String::new(),
        error: None,
        remote: !is_loopback(actor.ip.parse().ok()),
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupForm {
    username: String,
    password: String,
    /// The password again (the page's form always sends it).
    password_confirm: Option<String>,
    setup_token: String,
}

/// Why the setup form is refused before any password hashing: too many
/// attempts, an existing account, a remote client without the setup token.
async fn setup_refusal(
    state: &AppState,
    ip: Option<IpAddr>,
    offered_token: &str,
) -> Result<(), AppError> {
    if !state.setup_limiter.allow(ip) {
        return Err(AppError::TooManyRequests(
            "Too many setup attempts from your address; wait a minute and try again.".to_string(),
        ));
    }
    if accounts::has_users(&state.store).await? {
        return Err(accounts::already_set_up().into());
    }
    setup_allowed(ip, offered_token, state.config.setup_token.as_deref())
}

/// Refusals come before any password hashing: rate limit, an existing
/// account, a client that is neither local nor holds the setup token.
async fn setup(
    State(state): State<AppState>,
    actor: Actor,
    HtmlForm(form): HtmlForm<SetupForm>,
) -> Result<Response, AppError> {
    let ip: Option<IpAddr> = actor.ip.parse().ok();
    setup_refusal(&state, ip, &form.setup_token).await?;
    let created = match confirm_password(&form.password, form.password_confirm.as_deref()) {
        Ok(()) => accounts::create_first_admin(&state.store, &form.username, &form.password).await,
        Err(v) => Err(ServiceError::Invalid(v)),
    };
    let user = match created {
        Ok(user) => user,
        Err(ServiceError::Invalid(v)) => {
            let page = SetupPage {
                username: form.username.chars().take(40).collect(),
                error: Some(v.to_string()),
                remote: !is_loopback(ip),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let detail = "first admin, from the setup page".to_string();
    let name = &user.username;
    record(&state, name, "user.create", name.clone(), detail, &actor.ip).await?;
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
        accounts::end_session(&state.store, &secret_hash(secret)).await?;
    }
    record(
        &state,
        &actor.name,
        "logout",
        String::new(),
        String::new(),
        &actor.ip,
    )
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
    password_error: Option<String>,
    /// After a password change: how many other sessions were signed out.
    password_changed: Option<u64>,
    /// Seen through an API token: the account's credentials cannot be managed.
    by_token: bool,
}

async fn account_view(
    state: &AppState,
    who: &SignedIn,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<AccountPage, AppError> {
    let user = &who.0.0.user;
    // What this request may do: the lower of the user's and the token's role.
    let role = who.0.role();
    Ok(AccountPage {
        username: user.username.clone(),
        role: role.as_str(),
        roles: Role::ALL
            .iter()
            .filter(|r| **r <= role)
            .map(|r| r.as_str())
            .collect(),
        tokens: accounts::tokens(&state.store, Some(&user.username)).await?,
        show_owner: false,
        revoke_action: "/account/tokens/revoke",
        now: crate::store::now_rfc3339(),
        new_token,
        error,
        password_error: None,
        password_changed: None,
        by_token: who.0.by_token(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountQuery {
    password: String,
    ended: u64,
}

async fn account_page(
    State(state): State<AppState>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: AccountQuery = parse_query(raw.as_deref())?;
    let mut page = account_view(&state, &who, None, None).await?;
    if q.password == "changed" {
        page.password_changed = Some(q.ended);
    }
    Ok(page.into_response())
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
            let detail = format!("for {} as {}", user.username, form.role.trim());
            let target = format!("atv_{prefix}");
            record_by(&state, &actor, "token.create", target, detail).await?;
            // Shown once, on this response only; never redirected with the secret in a URL.
            Ok((
                StatusCode::CREATED,
                account_view(&state, &who, Some(token), None).await?,
            )
                .into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::BadRequest { .. })) => {
            let page = account_view(&state, &who, None, Some(e.public_message())).await?;
            Ok((e.status(), page).into_response())
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
    current_password: String,
    password: String,
}

/// Changes the signed-in user's password (a session only: the policy refuses
/// tokens). The current password is required and counts toward the account's
/// lockout; every other session of the user is ended.
async fn change_password(
    State(state): State<AppState>,
    who: SignedIn,
    actor: Actor,
    headers: HeaderMap,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, AppError> {
    let username = who.0.0.user.username.clone();
    if let Err(wait) = state.lockout.check(&username) {
        return Err(locked_out(wait));
    }
    let keep = session_cookie(&headers).map(secret_hash);
    let result = accounts::change_password(
        &state.store,
        &username,
        &form.current_password,
        &form.password,
        keep.as_deref(),
    )
    .await;
    let ended = match result {
        Ok(ended) => ended,
        Err(ServiceError::Invalid(v)) => {
            if v.field == "current_password" {
                state.lockout.failed(&username);
            }
            let mut page = account_view(&state, &who, None, None).await?;
            page.password_error = Some(v.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    state.lockout.succeeded(&username);
    let detail = format!("{ended} other sessions ended");
    record_by(&state, &actor, "user.password", username, detail).await?;
    Ok(see_other(&format!(
        "/account?password=changed&ended={ended}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_from_elsewhere_needs_the_setup_token() {
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let token = Some("one-time");
        assert!(setup_allowed(Some(local), "", token).is_ok());
        assert!(setup_allowed(Some(mapped), "", None).is_ok());
        assert!(setup_allowed(Some(remote), "", token).is_err());
        assert!(setup_allowed(None, "", token).is_err());
        assert!(setup_allowed(Some(remote), "one-time", token).is_ok());
        assert!(setup_allowed(Some(remote), "guess", token).is_err());
        assert!(setup_allowed(Some(remote), "one-time", None).is_err());
        assert!(setup_allowed(Some(local), "guess", token).is_err());
    }

    #[test]
    fn next_is_a_same_origin_path_or_root() {
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "https://evil.example",
            "evil.example",
            "/ /x",
            "/login?next=/x",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        for good in ["/", "/incidents?status=open", "/matrix?ids=1,2"] {
            assert_eq!(safe_next(good), good);
        }
    }
}
