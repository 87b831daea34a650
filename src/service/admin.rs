//! The administration use cases the command line runs: users, tokens,
//! correlation rules and releases, each change recorded in the audit log
//! under the operator's name (`cli:<user>`).

use super::ServiceError;
use crate::atlas::diff::{self, ReleaseDiff};
use crate::domain::ValidationError;
use crate::domain::auth::Role;
use crate::store::{AuditEvent, Store, TokenInfo, User, now_rfc3339};

/// Records one administrative change.
pub async fn audit(
    store: &Store,
    actor: &str,
    action: &'static str,
    target: String,
    detail: String,
) -> Result<(), ServiceError> {
    store
        .audit(AuditEvent {
            actor: actor.to_string(),
            action,
            target,
            detail,
            ip: String::new(),
        })
        .await?;
    Ok(())
}

pub async fn list_users(store: &Store) -> Result<Vec<User>, ServiceError> {
    Ok(store.list_users().await?)
}

/// Changes a user's role and/or disabled flag (disabling ends their
/// sessions): the same write and audit record as the admin page.
pub async fn update_user(
    store: &Store,
    name: &str,
    role: Option<Role>,
    disabled: Option<bool>,
    actor: &str,
) -> Result<User, ServiceError> {
    super::accounts::update_user(store, name, (role, disabled), actor, "").await
}

/// Tokens with whether each is active now (`revoked`, `active`, `expired`).
pub async fn list_tokens(
    store: &Store,
    user: Option<&str>,
) -> Result<Vec<(TokenInfo, &'static str)>, ServiceError> {
    let now = now_rfc3339();
    Ok(store
        .list_tokens(user)
        .await?
        .into_iter()
        .map(|t| {
            let state = if t.revoked_at.is_some() {
                "revoked"
            } else if t.is_active(&now) {
                "active"
            } else {
                "expired"
            };
            (t, state)
        })
        .collect())
}

/// A new token for the user named `user`; returns the token (shown once).
pub async fn create_token_for(
    store: &Store,
    user: &str,
    role: Role,
    name: &str,
    expires: Option<u32>,
    actor: &str,
) -> Result<String, ServiceError> {
    let u = store
        .user_by_name(user)
        .await?
        .ok_or_else(|| ValidationError::new("user", format!("no user named {user}")))?;
    let (token, prefix) = super::accounts::create_token(store, &u, role, name, expires).await?;
    let target = format!("atv_{prefix}");
    audit(
        store,
        actor,
        "token.create",
        target,
        format!("for {user} as {role}"),
    )
    .await?;
    Ok(token)
}

/// Deletes a correlation rule by name.
pub async fn delete_rule(store: &Store, name: &str, actor: &str) -> Result<(), ServiceError> {
    if !super::ingest::delete_rule(store, name, actor, "").await? {
        return Err(ValidationError::new("name", format!("no rule named {name}")).into());
    }
    Ok(())
}

/// What changed between two stored releases.
pub async fn diff_releases(
    store: &Store,
    from: &str,
    to: &str,
) -> Result<ReleaseDiff, ServiceError> {
    let mut releases = Vec::new();
    for (field, v) in [("from", from), ("to", to)] {
        let r = store
            .load_release(v)
            .await?
            .ok_or_else(|| ValidationError::new(field, format!("release {v} is not stored")))?;
        releases.push(r);
    }
    let table = super::upgrade::successor_table(store).await?;
    Ok(diff::diff(&releases[0], &releases[1], &table))
}

/// The database pool's connections in use and idle (for `/metrics`).
pub fn pool_use(store: &Store) -> (u32, u32) {
    store.pool_use()
}

/// Whether the database answers (the health check).
pub async fn ping(store: &Store) -> Result<(), crate::store::StoreError> {
    store.ping().await
}
