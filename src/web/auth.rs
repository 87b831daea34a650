//! Who is asking, and may they? Every request passes [`guard`]: it resolves
//! a session cookie or a `Bearer` token to a [`Principal`], then checks the
//! route's [`Access`] from one policy table ([`access_for`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::request_log::RequestActor;
use super::{ApiError, AppError, AppState};
use crate::domain::auth::Role;
use crate::service::accounts::secret_hash;
use crate::store::Resolved;

pub const SESSION_COOKIE: &str = "atlasview_session";

/// The authenticated caller of a request (absent for anonymous requests).
#[derive(Debug, Clone)]
pub struct Principal(pub Arc<Resolved>);

impl Principal {
    pub fn username(&self) -> &str {
        &self.0.user.username
    }

    /// The effective role: the lower of the user's and (with a token) the token's.
    pub fn role(&self) -> Role {
        self.0.role
    }

    /// Authenticated by an API token rather than a signed-in session.
    pub fn by_token(&self) -> bool {
        self.0.token_prefix.is_some()
    }
}

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login page, static files, health check).
    Public,
    /// Any signed-in user or token, whatever the role (their own account page).
    SignedIn,
    /// A signed-in session, never a token: managing the account's own
    /// credentials (creating and revoking tokens, changing the password), so
    /// that a token of reduced scope cannot take over its owner's account.
    Session,
    /// At least this role.
    Role(Role),
    /// Posting alerts: the `ingest` role, or analyst and above (a viewer
    /// writes nothing).
    PostAlerts,
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The one policy table: posting alerts needs ingest, reading viewer, writing
/// analyst, administration admin. Pages that only exist to write (forms) need the writer's role too.
pub fn access_for(method: &Method, path: &str) -> Access {
    let p = path.trim_end_matches('/');
    if p == "/login"
        || p == "/setup"
        || p == "/healthz"
        || p.starts_with("/static/")
        || p == "/favicon.ico"
    {
        return Access::Public;
    }
    if p.starts_with("/account/") && !is_safe(method) {
        return Access::Session;
    }
    if p == "/logout" || p == "/account" || p.starts_with("/account/") {
        return Access::SignedIn;
    }
    // Connectors post alerts with an `ingest` token; every other role may too.
    if p == "/api/v1/alerts" && *method == Method::POST {
        return Access::PostAlerts;
    }
    let admin_area = p == "/admin"
        || p.starts_with("/admin/")
        || p.starts_with("/api/v1/admin/")
        || p.starts_with("/api/v1/case-studies/")
        || p.starts_with("/api/v1/atlas/") && !is_safe(method);
    if admin_area {
        return Access::Role(Role::Admin);
    }
    if !is_safe(method) {
        return Access::Role(Role::Analyst);
    }
    let form_page = p.ends_with("/new")
        || p.ends_with("/edit")
        || p.ends_with("/delete")
        || p.ends_with("/import");
    if form_page && p.starts_with("/incidents") {
        return Access::Role(Role::Analyst);
    }
    Access::Role(Role::Viewer)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
}

/// The client's address (the TCP peer; no proxy headers are trusted).
pub fn client_ip(req_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    req_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

enum Denied {
    /// No or an invalid credential.
    Unauthenticated {
        bad_token: bool,
    },
    Forbidden {
        needed: Role,
        has: Role,
    },
    /// A token where only a signed-in session will do.
    NeedsSession,
}

fn deny(denied: Denied, api: bool, method: &Method, uri: &axum::http::Uri) -> Response {
    match denied {
        Denied::Unauthenticated { bad_token } => {
            if api || bad_token {
                let message = if bad_token {
                    "the API token is invalid, expired or revoked"
                } else {
                    "sign in or send an API token as `Authorization: Bearer <token>`"
                };
                let mut res = ApiError(AppError::Unauthorized(message.to_string())).into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"atlasview\""),
                );
                return res;
            }
            let next = if is_safe(method) {
                uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
            } else {
                "/"
            };
            let encoded: String = serde_html_form::to_string([("next", next)]).unwrap_or_default();
            Redirect::to(&format!("/login?{encoded}")).into_response()
        }
        Denied::NeedsSession => {
            let error = AppError::Forbidden(
                "an API token cannot create tokens or change a password: sign in with your password to manage your account"
                    .to_string(),
            );
            if api {
                ApiError(error).into_response()
            } else {
                error.into_response()
            }
        }
        Denied::Forbidden { needed, has } => {
            let needed = match needed {
                Role::Ingest => "ingest or analyst",
                other => other.as_str(),
            };
            let error = AppError::Forbidden(format!(
                "this needs the {needed} role; you are signed in as {}",
                has.as_str()
            ));
            if api {
                ApiError(error).into_response()
            } else {
                error.into_response()
            }
        }
    }
}

/// Resolves the caller and enforces the policy table.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let resolved = match bearer(req.headers()) {
        // A token is the only credential looked at when one is sent.
        Some(token) => match state.store.resolve_token(&secret_hash(token)).await {
            Ok(Some(r)) => Some(r),
            Ok(None) => {
                return deny(
                    Denied::Unauthenticated { bad_token: true },
                    api,
                    req.method(),
                    req.uri(),
                );
            }
            Err(e) => return ApiError(AppError::from(e)).into_response(),
        },
        None => match session_cookie(req.headers()) {
            Some(secret) => match state
                .store
                .resolve_session(&secret_hash(secret), state.config.session_idle)
                .await
            {
                Ok(r) => r,
                Err(e) => return AppError::from(e).into_response(),
            },
            None => None,
        },
    };
    if let (Some(r), Some(actor)) = (&resolved, req.extensions().get::<RequestActor>()) {
        actor.set(match &r.token_prefix {
            Some(prefix) => format!("{} (token {prefix})", r.user.username),
            None => r.user.username.clone(),
        });
    }
    let access = access_for(req.method(), req.uri().path());
    let verdict = match (&access, &resolved) {
        (Access::Public, _) => Ok(()),
        (Access::SignedIn, Some(_)) => Ok(()),
        (Access::Session, Some(r)) if r.token_prefix.is_some() => Err(Denied::NeedsSession),
        (Access::Session, Some(_)) => Ok(()),
        (Access::Role(Role::Viewer), None) if state.config.public_read && is_safe(req.method()) => {
            Ok(())
        }
        (_, None) => Err(Denied::Unauthenticated { bad_token: false }),
        (Access::PostAlerts, Some(r)) if r.role == Role::Ingest || r.role >= Role::Analyst => {
            Ok(())
        }
        (Access::PostAlerts, Some(r)) => Err(Denied::Forbidden {
            needed: Role::Ingest,
            has: r.role,
        }),
        (Access::Role(needed), Some(r)) if r.role < *needed => Err(Denied::Forbidden {
            needed: *needed,
            has: r.role,
        }),
        (Access::Role(_), Some(_)) => Ok(()),
    };
    if let Err(denied) = verdict {
        return deny(denied, api, req.method(), req.uri());
    }
    if let Some(r) = resolved {
        req.extensions_mut().insert(Principal(Arc::new(r)));
    }
    next.run(req).await
}

/// Who did it, for the audit log: the principal's name (with the token prefix
/// when a token was used) and the client address.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub principal: Option<Principal>,
    pub ip: String,
}

impl Actor {
    pub fn from_parts(parts: &axum::http::Extensions) -> Actor {
        let principal = parts.get::<Principal>().cloned();
        let name = match &principal {
            Some(p) => match &p.0.token_prefix {
                Some(prefix) => format!("{} (token {prefix})", p.username()),
                None => p.username().to_string(),
            },
            None => "anonymous".to_string(),
        };
        let ip = client_ip(parts)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        Actor {
            name,
            principal,
            ip,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Actor::from_parts(&parts.extensions))
    }
}

/// The signed-in user, required (the policy already ensured one for `SignedIn` routes).
pub struct SignedIn(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(SignedIn)
            .ok_or_else(|| (StatusCode::UNAUTHORIZED, "sign in first").into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_table() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(access_for(&get, "/login"), Access::Public);
        assert_eq!(access_for(&get, "/static/app.css"), Access::Public);
        assert_eq!(access_for(&get, "/matrix"), Access::Role(Role::Viewer));
        assert_eq!(
            access_for(&get, "/incidents/new"),
            Access::Role(Role::Analyst)
        );
        assert_eq!(
            access_for(&get, "/incidents/inc-1/edit"),
            Access::Role(Role::Analyst)
        );
        assert_eq!(access_for(&post, "/incidents"), Access::Role(Role::Analyst));
        assert_eq!(
            access_for(&Method::DELETE, "/api/v1/incidents/x"),
            Access::Role(Role::Analyst)
        );
        assert_eq!(access_for(&get, "/admin/users"), Access::Role(Role::Admin));
        assert_eq!(
            access_for(&post, "/api/v1/case-studies/import"),
            Access::Role(Role::Admin)
        );
        assert_eq!(
            access_for(&get, "/api/v1/atlas/releases"),
            Access::Role(Role::Viewer)
        );
        assert_eq!(access_for(&post, "/api/v1/alerts"), Access::PostAlerts);
        assert_eq!(
            access_for(&get, "/api/v1/alerts/unmapped"),
            Access::Role(Role::Viewer)
        );
        assert_eq!(access_for(&get, "/admin/ingest"), Access::Role(Role::Admin));
        assert_eq!(access_for(&post, "/logout"), Access::SignedIn);
        assert_eq!(access_for(&post, "/account/tokens"), Access::Session);
        assert_eq!(access_for(&post, "/account/password"), Access::Session);
        assert_eq!(access_for(&get, "/account"), Access::SignedIn);
    }
}
