//! The audit record of every successful change.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::service::audit_log;
use crate::store::AuditEvent;
use crate::web::AppState;
use crate::web::extract::auth::Actor;

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
        ("POST" | "PUT", ["incidents", id, "members"]) => ("incident.assign", id.to_string()),
        ("POST", ["incidents", id, "comments"]) => ("comment.add", id.to_string()),
        ("POST", ["incidents", id, "comments", c]) => ("comment.edit", format!("{id} {c}")),
        ("POST", ["incidents", id, "comments", c, "remove"]) => {
            ("comment.remove", format!("{id} {c}"))
        }
        ("POST", ["incidents", id, "tasks"]) => ("task.add", id.to_string()),
        ("POST", ["incidents", id, "observables"]) => ("observable.add", id.to_string()),
        ("POST", ["incidents", id, "observables", o, "remove"]) => {
            ("observable.remove", format!("{id} {o}"))
        }
        ("POST", ["incidents", id, "attachments"]) => ("attachment.add", id.to_string()),
        ("DELETE", ["incidents", id, "attachments", a])
        | ("POST", ["incidents", id, "attachments", a, "remove"]) => {
            ("attachment.remove", format!("{id} {a}"))
        }
        ("POST" | "PUT", ["incidents", id, "tasks", t, "status"]) => {
            ("task.status", format!("{id} {t}"))
        }
        ("POST" | "PUT", ["incidents", id, "tasks", t]) => ("task.update", format!("{id} {t}")),
        ("POST", ["incidents", id, ..]) => ("incident.update", id.to_string()),
        ("POST", ["notifications", "read-all"]) => ("notification.read_all", String::new()),
        ("POST", ["notifications", id, "read"]) => ("notification.read", id.to_string()),
        ("POST" | "PUT", ["notifications", "settings" | "preferences"]) => {
            ("notification.preferences", String::new())
        }
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
        if let Err(e) = audit_log::record(&state.store, event).await {
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
        assert_eq!(
            audit_action(&post, "/incidents/inc-1/attachments/att-2/remove"),
            Some(("attachment.remove", "inc-1 att-2".into()))
        );
        assert_eq!(
            audit_action(&Method::DELETE, "/api/v1/incidents/inc-1/attachments/att-2"),
            Some(("attachment.remove", "inc-1 att-2".into()))
        );
        assert_eq!(
            audit_action(&post, "/notifications/ntf-1/read"),
            Some(("notification.read", "ntf-1".into()))
        );
        assert_eq!(
            audit_action(&Method::PUT, "/api/v1/notifications/preferences"),
            Some(("notification.preferences", String::new()))
        );
        assert_eq!(
            audit_action(&Method::PUT, "/api/v1/incidents/inc-1/tasks/task-3"),
            Some(("task.update", "inc-1 task-3".into()))
        );
        assert_eq!(audit_action(&post, "/login"), None);
        assert_eq!(audit_action(&post, "/admin/users"), None);
        assert_eq!(audit_action(&post, "/admin/atlas/upload"), None);
        assert_eq!(audit_action(&post, "/api/v1/atlas/releases"), None);
    }
}
