//! Notifications: the inbox, the badge, each user's choices, tasks falling
//! due, and the e-mail outbox. Notifications of activity are written by the
//! store with each activity event (same transaction), by the rules of
//! `domain::notification`; this module reads them and does the rest.

use chrono::{DateTime, Utc};

use super::mail::Mailer;
use super::teamwork::TeamError;
use crate::domain::notification::{self as rules, Notification, Preferences, PreferencesInput};
use crate::store::{Store, StoreError};

/// Most notifications the inbox lists.
pub const INBOX_MAX: i64 = 200;
/// E-mails sent per round of the outbox.
pub const OUTBOX_BATCH: i64 = 50;
/// An e-mail not sent within this long is given up (stale news).
pub const EMAIL_MAX_AGE: chrono::Duration = chrono::Duration::days(2);

/// The badge: how many of `user`'s notifications are unread.
pub async fn unread(store: &Store, user: &str) -> Result<i64, StoreError> {
    store.unread_notifications(user).await
}

/// `user`'s notifications, newest first, and how many are unread.
pub async fn inbox(store: &Store, user: &str) -> Result<(Vec<Notification>, i64), StoreError> {
    Ok((
        store.notifications_of(user, INBOX_MAX).await?,
        store.unread_notifications(user).await?,
    ))
}

/// Marks one of `user`'s notifications read (another user's: not found).
pub async fn mark_read(store: &Store, user: &str, id: &str) -> Result<(), StoreError> {
    store.mark_notification_read(user, id).await
}

pub async fn mark_all_read(store: &Store, user: &str) -> Result<u64, StoreError> {
    store.mark_all_notifications_read(user).await
}

/// `user`'s choices (defaults where none) and e-mail address.
pub async fn preferences(
    store: &Store,
    user: &str,
) -> Result<(Preferences, Option<String>), StoreError> {
    store.notification_preferences(user).await
}

/// Replaces `user`'s choices and address; every bad field is named at once.
pub async fn set_preferences(
    store: &Store,
    user: &str,
    input: &PreferencesInput,
) -> Result<(), TeamError> {
    let (prefs, email) = input.validate().map_err(TeamError::Invalid)?;
    Ok(store
        .set_notification_preferences(user, &prefs, email.as_deref())
        .await?)
}

/// Tells each owner of an open task due by `today` (`YYYY-MM-DD`) once per
/// due date; answers how many were told. Safe to call as often as wanted.
pub async fn notify_due_tasks(store: &Store, today: &str) -> Result<usize, StoreError> {
    store.notify_due_tasks(today).await
}

/// What one round of the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxRound {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Sends the e-mails due at `now`: a failure is tried again later (see
/// [`rules::retry_after`]), then given up; one too old is given up unsent.
pub async fn deliver_outbox(
    store: &Store,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<OutboxRound, StoreError> {
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut round = OutboxRound::default();
    for email in store.claim_emails(&at(now), OUTBOX_BATCH).await? {
        let stale = DateTime::parse_from_rfc3339(&email.created_at)
            .is_ok_and(|c| now.signed_duration_since(c) > EMAIL_MAX_AGE);
        let result = if stale {
            Err("not sent within two days: given up".to_string())
        } else {
            mailer.send(&email).await
        };
        match result {
            Ok(()) => {
                store.email_attempted(&email.id, None, None).await?;
                round.sent += 1;
            }
            Err(error) => {
                let retry = rules::retry_after(email.attempts + 1)
                    .filter(|_| !stale)
                    .map(|wait| at(now + wait));
                tracing::warn!(to = %email.to_address, %error, retry = ?retry, "notification e-mail not sent");
                store
                    .email_attempted(&email.id, Some(&error), retry.as_deref())
                    .await?;
                match retry {
                    Some(_) => round.retried += 1,
                    None => round.failed += 1,
                }
            }
        }
    }
    Ok(round)
}

/// One tick of the background work: tasks falling due, then the outbox
/// (when a relay is configured).
pub async fn tick(
    store: &Store,
    mailer: Option<&Mailer>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    notify_due_tasks(store, &super::teamwork::today(now)).await?;
    if let Some(mailer) = mailer {
        deliver_outbox(store, mailer, now).await?;
    }
    Ok(())
}

/// Puts back e-mails a stopped sender had claimed (called once at start).
pub async fn recover_outbox(store: &Store) -> Result<u64, StoreError> {
    store.release_claimed_emails().await
}
