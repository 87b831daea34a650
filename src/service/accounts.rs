//! Accounts: password hashing (argon2id, off the async threads), logins,
//! session secrets and API tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use super::ServiceError;
use crate::domain::ValidationError;
use crate::domain::auth::{Role, validate_password, validate_username};
use crate::store::{Resolved, Store, StoreError, TokenInfo, User};

/// Prefix of every API token, so that secret scanners can recognise them.
pub const TOKEN_PREFIX: &str = "atv_";

fn random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| StoreError::Corrupt(format!("no randomness available: {e}")))?;
    Ok(b)
}

/// SHA-256 hex of a high-entropy secret (session ID or token): what is stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How many Argon2 computations run at once, in the whole process. Each one
/// takes 19 MiB for its duration; a burst of sign-ins, setups or password
/// changes queues here instead of growing the heap without bound. (The
/// server binary also makes the allocator hand such large blocks back to
/// the system when they are freed: see `main.rs`.)
pub const HASHING_SLOTS: usize = 2;

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_SLOTS);

/// Runs one password computation off the async threads, in its turn (at
/// most [`HASHING_SLOTS`] at once; the others wait here, costing no memory).
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _slot = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

pub async fn hash_password(password: String) -> Result<String, ServiceError> {
    let salt = random_bytes::<16>()?;
    hashing(move || {
        let hash: Result<PasswordHash, _> =
            Argon2::default().hash_password_with_salt(password.as_bytes(), &salt);
        hash.map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")).into())
    })
    .await
    .ok_or_else(|| StoreError::Corrupt("the hashing task failed".to_string()))?
}

async fn verify_password(hash: String, password: String) -> bool {
    hashing(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A fixed hash to verify against for unknown users, so that a login for a
/// missing account costs the same time as one for a real account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3J+Ie3mGXB6fOjrkhR1o2EPGQHy8ilf7qwkZRxhKkCk";

pub async fn create_user(
    store: &Store,
    username: &str,
    password: &str,
    role: Role,
) -> Result<User, ServiceError> {
    let username = validate_username(username)?;
    validate_password(password, &username)?;
    let hash = hash_password(password.to_string()).await?;
    Ok(store.create_user(&username, &hash, role).await?)
}

/// The first admin, from the first-run setup page: only while no account
/// exists, checked before any hashing (and again, atomically, by the insert).
pub async fn create_first_admin(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<User, ServiceError> {
    if store.count_users().await? > 0 {
        return Err(already_set_up().into());
    }
    let username = validate_username(username)?;
    validate_password(password, &username)?;
    let hash = hash_password(password.to_string()).await?;
    Ok(store
        .create_first_user(&username, &hash, Role::Admin)
        .await?)
}

/// Why a setup is refused once an account exists.
pub fn already_set_up() -> StoreError {
    StoreError::Conflict("atlasview is already set up; sign in instead".to_string())
}

/// Changes a user's own password: the current one must be given. Ends every
/// other session of the user (all but `keep`, the session hash of the request
/// doing it); returns how many were ended.
pub async fn change_password(
    store: &Store,
    username: &str,
    current: &str,
    new: &str,
    keep: Option<&str>,
) -> Result<u64, ServiceError> {
    if check_login(store, username, current).await?.is_none() {
        return Err(
            ValidationError::new("current_password", "is not your current password").into(),
        );
    }
    validate_password(new, username)?;
    let hash = hash_password(new.to_string()).await?;
    Ok(store.set_password(username, &hash, keep).await?)
}

/// Sets a user's password without the current one (the operator's CLI, with
/// access to the database) and ends all their sessions; returns how many.
pub async fn reset_password(store: &Store, username: &str, new: &str) -> Result<u64, ServiceError> {
    validate_password(new, username)?;
    let hash = hash_password(new.to_string()).await?;
    Ok(store.set_password(username, &hash, None).await?)
}

/// Checks a login. `Ok(None)`: wrong name or password, or a disabled account
/// (one answer for all, so that names cannot be probed).
pub async fn check_login(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Option<User>, ServiceError> {
    if password.len() > crate::domain::auth::MAX_PASSWORD * 4 {
        return Ok(None);
    }
    let found = store.credentials(username.trim()).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.to_string()),
    };
    let ok = verify_password(hash, password.to_string()).await;
    Ok(user.filter(|u| ok && !u.disabled))
}

/// A one-time setup token for the first-run page (printed on the console).
pub fn new_setup_token() -> Result<String, ServiceError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<18>()?))
}

/// Starts a session; returns the secret for the cookie (only its hash is stored).
pub async fn start_session(
    store: &Store,
    user: &User,
    max_age: Duration,
) -> Result<String, ServiceError> {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    store
        .create_session(&secret_hash(&secret), &user.id, max_age)
        .await?;
    Ok(secret)
}

/// A new API token `atv_<prefix>_<secret>`: returned once, stored as a hash.
/// Its role may not exceed its user's.
pub async fn create_token(
    store: &Store,
    user: &User,
    role: Role,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<(String, String), ServiceError> {
    if role > user.role {
        return Err(ValidationError::new(
            "role",
            format!(
                "a token for {} can be at most {}, not {role}",
                user.username, user.role
            ),
        )
        .into());
    }
    let name = crate::domain::clean_name("name", Some(name), 80)?;
    if let Some(d) = expires_in_days
        && !(1..=3650).contains(&d)
    {
        return Err(ValidationError::new("expires", "must be between 1 and 3650 days").into());
    }
    let prefix = hex::encode(random_bytes::<4>()?);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<24>()?);
    let token = format!("{TOKEN_PREFIX}{prefix}_{secret}");
    let expires = expires_in_days.map(|d| Utc::now() + Duration::days(i64::from(d)));
    store
        .create_token(
            &user.id,
            &name,
            &prefix,
            &secret_hash(&token),
            role,
            expires,
        )
        .await?;
    Ok((token, prefix))
}

/// Revokes a token by prefix (`owner` limits it to that user's tokens) and
/// records who did it.
pub async fn revoke_token(
    store: &Store,
    prefix: &str,
    owner: Option<&str>,
    actor: &str,
    ip: &str,
) -> Result<crate::store::TokenInfo, ServiceError> {
    let token = store
        .revoke_token(prefix.trim().trim_start_matches(TOKEN_PREFIX), owner)
        .await?;
    store
        .audit(crate::store::AuditEvent {
            actor: actor.to_string(),
            action: "token.revoke",
            target: format!("{TOKEN_PREFIX}{}", token.prefix),
            detail: format!("of {}", token.username),
            ip: ip.to_string(),
        })
        .await?;
    Ok(token)
}

/// Ends the session whose secret hashes to `id_hash` (nothing if none does).
pub async fn end_session(store: &Store, id_hash: &str) -> Result<(), StoreError> {
    store.delete_session(id_hash).await
}

/// Changes a user's role or disabled flag (`None` keeps it) and records
/// who did it.
pub async fn update_user(
    store: &Store,
    username: &str,
    change: (Option<Role>, Option<bool>),
    actor: &str,
    ip: &str,
) -> Result<User, ServiceError> {
    let (role, disabled) = change;
    let user = store.update_user(username, role, disabled).await?;
    store
        .audit(crate::store::AuditEvent {
            actor: actor.to_string(),
            action: "user.update",
            target: user.username.clone(),
            detail: format!(
                "role {}, {}",
                user.role,
                if user.disabled { "disabled" } else { "active" }
            ),
            ip: ip.to_string(),
        })
        .await?;
    Ok(user)
}

/// Whether any account exists (until one does, the first-run setup page is open).
pub async fn has_users(store: &Store) -> Result<bool, StoreError> {
    Ok(store.count_users().await? > 0)
}

/// The API tokens of one user, or of every user.
pub async fn tokens(store: &Store, username: Option<&str>) -> Result<Vec<TokenInfo>, StoreError> {
    store.list_tokens(username).await
}

/// The user and role behind an API token (`None`: unknown, revoked or expired).
pub async fn resolve_token(store: &Store, token: &str) -> Result<Option<Resolved>, StoreError> {
    store.resolve_token(&secret_hash(token)).await
}

/// The user behind a session cookie's secret, if the session is still live
/// (used within `idle`).
pub async fn resolve_session(
    store: &Store,
    secret: &str,
    idle: Duration,
) -> Result<Option<Resolved>, StoreError> {
    store.resolve_session(&secret_hash(secret), idle).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_hash_parses() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(hash.clone(), "correct horse battery".into()).await);
        assert!(!verify_password(hash, "wrong horse battery".into()).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn hashing_runs_at_most_its_slots_at_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (running, peak) = (running.clone(), peak.clone());
            tasks.push(tokio::spawn(hashing(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= HASHING_SLOTS);
    }
}
