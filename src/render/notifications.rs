//! The notifications pages: the inbox (newest first, unread marked) and the
//! choices of what one is told. Pure.

use super::teamwork::When;
use crate::domain::notification::{Notification, NotifyKind, Preferences};

/// One notification as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: String,
    pub href: String,
    pub summary: String,
    pub when: When,
    pub unread: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxView {
    pub items: Vec<InboxItem>,
    pub unread: i64,
}

pub fn inbox_view(list: &[Notification], unread: i64) -> InboxView {
    InboxView {
        items: list
            .iter()
            .map(|n| InboxItem {
                id: n.id.clone(),
                href: format!("/incidents/{}", n.incident_id),
                summary: n.summary.clone(),
                when: When::of(&n.created_at),
                unread: n.read_at.is_none(),
            })
            .collect(),
        unread,
    }
}

/// One kind on the settings form, as chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceRow {
    pub kind: &'static str,
    pub label: &'static str,
    pub follow: bool,
    pub by_email: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsView {
    pub rows: Vec<ChoiceRow>,
    pub email: String,
    /// A relay is configured: e-mails are sent.
    pub mail_sent: bool,
    pub saved: bool,
}

pub fn settings_view(
    prefs: &Preferences,
    email: Option<&str>,
    mail_sent: bool,
    saved: bool,
) -> SettingsView {
    SettingsView {
        rows: NotifyKind::ALL
            .iter()
            .map(|k| {
                let c = prefs.choice(*k);
                ChoiceRow {
                    kind: k.as_str(),
                    label: k.label(),
                    follow: c.follow,
                    by_email: c.by_email,
                }
            })
            .collect(),
        email: email.unwrap_or_default().to_string(),
        mail_sent,
        saved,
    }
}
