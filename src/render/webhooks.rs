//! The admin pages of webhooks: each hook as a row, each attempt of its
//! delivery log as a row.

use crate::domain::webhook::{DeliveryAttempt, Webhook, WebhookEvent};

/// One event as a checkbox of the registration form.
pub struct EventChoice {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The events a hook may subscribe to, `chosen` ticked.
pub fn event_choices(chosen: &[String]) -> Vec<EventChoice> {
    WebhookEvent::SUBSCRIBABLE
        .iter()
        .map(|e| EventChoice {
            name: e.as_str(),
            label: e.label(),
            checked: chosen.iter().any(|c| c == e.as_str()),
        })
        .collect()
}

pub struct HookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub active: bool,
    pub pending: i64,
    pub failed: i64,
    pub created: String,
}

impl From<&Webhook> for HookRow {
    fn from(w: &Webhook) -> Self {
        HookRow {
            id: w.id.clone(),
            url: w.url.clone(),
            events: w
                .events
                .iter()
                .map(|e| e.label())
                .collect::<Vec<_>>()
                .join(", "),
            active: w.active,
            pending: w.pending,
            failed: w.failed,
            created: format!(
                "{} by {}",
                w.created_at
                    .get(..16)
                    .unwrap_or(&w.created_at)
                    .replace('T', " "),
                w.created_by
            ),
        }
    }
}

pub struct AttemptRow {
    pub at: String,
    pub event: String,
    pub delivery: String,
    pub attempt: i64,
    /// "200", or "no answer".
    pub status: String,
    pub ok: bool,
    pub error: String,
    pub duration: String,
}

impl From<&DeliveryAttempt> for AttemptRow {
    fn from(a: &DeliveryAttempt) -> Self {
        AttemptRow {
            at: a.at.get(..19).unwrap_or(&a.at).replace('T', " "),
            event: a.event.clone(),
            delivery: a.delivery_id.clone(),
            attempt: a.attempt,
            status: a
                .status_code
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".into()),
            ok: a.error.is_empty(),
            error: a.error.clone(),
            duration: format!("{} ms", a.duration_ms),
        }
    }
}
