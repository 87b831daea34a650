//! Security middleware in one place: response headers, cross-site request
//! refusal, and the audit record of every successful change.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{Actor, Principal, session_cookie};
use super::{AppError, AppState};
use crate::store::AuditEvent;

/// No inline script or style anywhere: pages load `/static/*.css|js` only.
/// `frame-ancestors 'none'` stops click-jacking, `form-action 'self'` stops
/// forms posting elsewhere, `base-uri 'none'` stops `<base>` hijacks.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    // Browsers must not guess types (an uploaded text shown as HTML).
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Incident URLs can be sensitive: send no referrer to other sites.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Older browsers that ignore frame-ancestors.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if state.config.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages carry incident data: keep them out of shared caches.
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Only a request that the guard authenticated by a valid `Bearer` token,
/// and that carries no session cookie, is exempt from the cross-site check
/// (a token is not an ambient credential: a browser never attaches one by
/// itself). Any other `Authorization` scheme (Basic, Negotiate — which
/// browsers do attach by themselves behind an authenticating proxy), a bogus
/// token, or a cookie alongside the token leaves the check in place. Runs
/// after [`super::auth::guard`], which puts the [`Principal`] in place.
pub async fn exempt_token_requests_from_csrf(mut req: Request, next: Next) -> Response {
    let by_token = req
        .extensions()
        .get::<Principal>()
        .is_some_and(Principal::by_token);
    if by_token && session_cookie(req.headers()).is_none() {
        req.headers_mut().remove(header::ORIGIN);
        req.headers_mut().remove("sec-fetch-site");
    }
    next.run(req).await
}

/// The answer to a refused cross-site write.
pub fn csrf_rejection(_e: tower_http::csrf::ProtectionError) -> Response {
    AppError::Forbidden(
        "This form was submitted from another site, so it was refused (cross-site request forgery protection)."
            .to_string(),
    )
    .into_response()
}

/// The audit action of a successful write, from its method and path; `None`
/// for writes whose handlers record themselves with more detail (sign-in,
/// accounts, users, tokens, ATLAS releases).
pub fn audit_action(method: &Method, path: &str) -> Option<(&'static str, String)> {
    let path = path.trim_end_matches('/');
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    let seg: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    let action = match (method.as_str(), seg.as_slice()) {
        (
            _,
            // Alerts are recorded with who sent them, in the alerts table.
            [
                "login" | "logout" | "setup" | "account" | "atlas" | "alerts",
                ..,
            ]
            | ["admin", "users" | "tokens" | "atlas", ..],
        ) => {
            return None;
        }
        ("POST", ["incidents"]) => ("incident.create", String::new()),
        ("POST", ["incidents", "import", ..]) => ("incident.import", String::new()),
        ("POST", ["layers"] | ["layers", ..]) => ("incident.import_layer", String::new()),
        ("PUT" | "POST", ["incidents", id]) => ("incident.update", id.to_string()),
        ("DELETE", ["incidents", id]) | ("POST", ["incidents", id, "delete"]) => {
            ("incident.delete", id.to_string())
        }
        // The step form shown again for another tactic: nothing is written.
        ("POST", ["incidents", _, "steps", "form"] | ["incidents", _, "steps", _, "form"]) => {
            return None;
        }
        ("POST", ["incidents", id, "steps"]) => ("step.add", id.to_string()),
        ("PUT", ["incidents", id, "steps", "order"]) => ("step.reorder", id.to_string()),
        ("POST", ["incidents", id, "steps", step, "move" | "position"]) => {
            ("step.move", format!("{id} {step}"))
        }
        ("DELETE", ["incidents", id, "steps", step])
        | ("POST", ["incidents", id, "steps", step, "delete"]) => {
            ("step.delete", format!("{id} {step}"))
        }
        (
            "PUT" | "POST",
            ["incidents", id, "steps", step] | ["incidents", id, "steps", step, "edit"],
        ) => ("step.update", format!("{id} {step}")),
        ("POST", ["incidents", id, "retrospective", ..]) => {
            ("incident.retrospective", id.to_string())
        }
        ("POST", ["incidents", id, ..]) => ("incident.update", id.to_string()),
        (_, ["case-studies", "import"] | ["admin", "case-studies", "import"]) => {
            ("import.case_studies", String::new())
        }
        _ => ("change", p.to_string()),
    };
    Some(action)
}

/// Records every successful write in the audit log. The ID of a created
/// incident is read from the response's `Location`.
pub async fn audit_changes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let planned = if unsafe_method {
        audit_action(&method, req.uri().path())
    } else {
        None
    };
    let actor = Actor::from_parts(req.extensions());
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let ok = res.status().is_success() || res.status().is_redirection();
    if let (Some((action, mut target)), true) = (planned, ok) {
        if target.is_empty()
            && let Some(loc) = res
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
        {
            target = loc
                .trim_start_matches("/api/v1")
                .trim_start_matches("/incidents/")
                .split('/')
                .next()
                .unwrap_or("")
                .to_string();
        }
        let event = AuditEvent {
            actor: actor.name,
            action,
            target,
            detail: format!("{method} {path} → {}", res.status().as_u16()),
            ip: actor.ip,
        };
        if let Err(e) = state.store.audit(event).await {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_from_paths() {
        let post = Method::POST;
        assert_eq!(
            audit_action(&post, "/api/v1/incidents"),
            Some(("incident.create", String::new()))
        );
        assert_eq!(
            audit_action(&Method::PUT, "/api/v1/incidents/inc-1"),
            Some(("incident.update", "inc-1".into()))
        );
        assert_eq!(
            audit_action(&post, "/incidents/inc-1/delete"),
            Some(("incident.delete", "inc-1".into()))
        );
        assert_eq!(
            audit_action(&post, "/incidents/inc-1/steps"),
            Some(("step.add", "inc-1".into()))
        );
        assert_eq!(
            audit_action(&Method::DELETE, "/api/v1/incidents/i/steps/s"),
            Some(("step.delete", "i s".into()))
        );
        assert_eq!(
            audit_action(&post, "/admin/case-studies/import"),
            Some(("import.case_studies", String::new()))
        );
        assert_eq!(
            audit_action(&post, "/incidents/inc-1/retrospective/notes"),
            Some(("incident.retrospective", "inc-1".into()))
        );
        assert_eq!(
            audit_action(&post, "/incidents/inc-1/retrospective/checklist"),
            Some(("incident.retrospective", "inc-1".into()))
        );
        assert_eq!(audit_action(&post, "/login"), None);
        assert_eq!(audit_action(&post, "/admin/users"), None);
        assert_eq!(audit_action(&post, "/admin/atlas/upload"), None);
        assert_eq!(audit_action(&post, "/api/v1/atlas/releases"), None);
    }
}
