//! Who is asking, and may they? Every request passes [`guard`]: it resolves
//! a session cookie or a `Bearer` token to a [`Principal`]; then the route's
//! own guard ([`enforce`]) checks the [`Access`] the route was declared with,
//! against the one role-capability table ([`Role::can`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::domain::auth::{Capability, Role};
use crate::render::visitor::{self, Visitor};
use crate::service::accounts;
use crate::store::Resolved;
use crate::web::client_addr::ClientAddr;
use crate::web::{ApiError, AppError, AppState};

pub const SESSION_COOKIE: &str = "atlasview_session";

/// Who made the request, filled in by the authentication guard once it
/// knows; the log reads it when the response is ready.
#[derive(Debug, Clone, Default)]
pub struct RequestActor(Arc<OnceLock<String>>);

impl RequestActor {
    /// Records the user name (first call wins).
    pub fn set(&self, name: String) {
        let _ = self.0.set(name);
    }

    pub fn get(&self) -> &str {
        self.0.get().map_or("-", String::as_str)
    }
}

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

/// What a route requires: chosen where the route is declared (see
/// [`crate::web::routes::Routes`]), never derived from the path.
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
    /// A principal whose effective role has this capability. With
    /// `--public-read`, anonymous safe requests pass where a viewer could.
    Can(Capability),
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The access of a path no route declares (a 404 or a method no route
/// takes): what reading or writing would need, so that an unknown path tells
/// an anonymous caller nothing more than a known one.
pub fn access_of_unknown(method: &Method) -> Access {
    if is_safe(method) {
        Access::Can(Capability::ReadIncidents)
    } else {
        Access::Can(Capability::WriteIncidents)
    }
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

/// The client's address: the one function everything that wants it goes
/// through. [`crate::web::client_addr::resolve`] found it (the TCP peer, or
/// behind a trusted proxy the address it forwarded); without that layer, the
/// peer itself.
pub fn client_ip(req_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    req_extensions.get::<ClientAddr>().map(|c| c.0).or_else(|| {
        req_extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical())
    })
}

enum Denied {
    /// No or an invalid credential.
    Unauthenticated {
        bad_token: bool,
    },
    Forbidden {
        needed: Capability,
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
            let needed = Role::least_with(needed).unwrap_or(Role::Admin);
            let error = AppError::Forbidden(format!(
                "this needs the {} role; you are signed in as {}",
                needed.as_str(),
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

/// Who is asking, as the outer guard resolved it, for the per-route check.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub public_read: bool,
}

impl Caller {
    /// May this caller do `cap`? Anonymous callers may read with `--public-read`.
    pub fn can(&self, cap: Capability) -> bool {
        match &self.principal {
            Some(p) => p.role().can(cap),
            None => self.public_read && cap == Capability::ReadIncidents,
        }
    }
}

/// The user behind the request's token or session cookie; a token that
/// resolves to nobody is refused (the answer is the `Err`).
async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
) -> Result<Option<Resolved>, Response> {
    // A token is the only credential looked at when one is sent.
    if let Some(token) = bearer(headers) {
        return match accounts::resolve_token(&state.store, token).await {
            Ok(Some(r)) => Ok(Some(r)),
            Ok(None) => Err(deny(
                Denied::Unauthenticated { bad_token: true },
                is_api(uri.path()),
                method,
                uri,
            )),
            Err(e) => Err(ApiError(AppError::from(e)).into_response()),
        };
    }
    let Some(secret) = session_cookie(headers) else {
        return Ok(None);
    };
    accounts::resolve_session(&state.store, secret, state.config.session_idle)
        .await
        .map_err(|e| AppError::from(e).into_response())
}

/// Resolves the caller (a bad token is refused on any route) and leaves the
/// [`Principal`] and the [`Caller`] for the route's own guard ([`enforce`]).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let resolved = match resolve(&state, req.headers(), req.method(), req.uri()).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    if let (Some(r), Some(actor)) = (&resolved, req.extensions().get::<RequestActor>()) {
        actor.set(match &r.token_prefix {
            Some(prefix) => format!("{} (token {prefix})", r.user.username),
            None => r.user.username.clone(),
        });
    }
    let principal = resolved.map(|r| Principal(Arc::new(r)));
    if let Some(p) = &principal {
        req.extensions_mut().insert(p.clone());
    }
    let visitor = visitor_of(&state, principal.as_ref(), req.uri()).await;
    req.extensions_mut().insert(Caller {
        principal,
        public_read: state.config.public_read,
    });
    // Activity events written by the store name this user.
    let acting = visitor
        .user
        .as_ref()
        .map_or_else(|| "anonymous".to_string(), |(name, _)| name.clone());
    visitor::scope(visitor, crate::store::acting::scope(acting, next.run(req))).await
}

/// The page's visitor; a page (not the API) also shows their unread
/// notifications, one indexed count.
async fn visitor_of(state: &AppState, principal: Option<&Principal>, uri: &Uri) -> Visitor {
    let user = principal.map(|p| (p.username().to_string(), p.role()));
    let unread = match &user {
        Some((name, _)) if !is_api(uri.path()) && !uri.path().starts_with("/static/") => {
            crate::service::notifications::unread(&state.store, name)
                .await
                .unwrap_or(0)
        }
        _ => 0,
    };
    Visitor { user, unread }
}

/// The refusal to send if `access` does not let this request through.
pub fn refusal(access: Access, req: &Request) -> Option<Response> {
    let caller = req.extensions().get::<Caller>();
    let resolved = caller.and_then(|c| c.principal.as_ref()).map(|p| &p.0);
    let public_read = caller.is_some_and(|c| c.public_read);
    let verdict = match (&access, resolved) {
        (Access::Public, _) => Ok(()),
        (Access::SignedIn, Some(_)) => Ok(()),
        (Access::Session, Some(r)) if r.token_prefix.is_some() => Err(Denied::NeedsSession),
        (Access::Session, Some(_)) => Ok(()),
        (Access::Can(cap), None)
            if public_read && is_safe(req.method()) && Role::Viewer.can(*cap) =>
        {
            Ok(())
        }
        (_, None) => Err(Denied::Unauthenticated { bad_token: false }),
        (Access::Can(cap), Some(r)) if !r.role.can(*cap) => Err(Denied::Forbidden {
            needed: *cap,
            has: r.role,
        }),
        (Access::Can(_), Some(_)) => Ok(()),
    };
    // Inside a nested router the URI lost its prefix; the original has it.
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map(|o| &o.0)
        .unwrap_or(req.uri());
    verdict
        .err()
        .map(|denied| deny(denied, is_api(uri.path()), req.method(), uri))
}

/// The per-route guard: every route runs it with the access it was declared with.
pub async fn enforce(access: Access, req: Request, next: Next) -> Response {
    match refusal(access, &req) {
        None => next.run(req).await,
        Some(refused) => refused,
    }
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

impl SignedIn {
    /// Who makes a teamwork change: the user and their effective role.
    pub fn by(&self) -> crate::service::teamwork::By<'_> {
        crate::service::teamwork::By {
            user: self.0.username(),
            role: self.0.role(),
        }
    }
}

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
