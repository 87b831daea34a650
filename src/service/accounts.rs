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
use crate::store::{Store, StoreError, User};

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

pub async fn hash_password(password: String) -> Result<String, ServiceError> {
    let salt = random_bytes::<16>()?;
    tokio::task::spawn_blocking(move || {
        let hash: Result<PasswordHash, _> =
            Argon2::default().hash_password_with_salt(password.as_bytes(), &salt);
        hash.map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")).into())
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("hashing task failed: {e}")))?
}

async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
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
    validate_password(password)?;
    let hash = hash_password(password.to_string()).await?;
    Ok(store.create_user(&username, &hash, role).await?)
}

/// The first admin, from the first-run setup page: only while no account exists.
pub async fn create_first_admin(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<User, ServiceError> {
    let username = validate_username(username)?;
    validate_password(password)?;
    let hash = hash_password(password.to_string()).await?;
    Ok(store
        .create_first_user(&username, &hash, Role::Admin)
        .await?)
}

pub async fn change_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<(), ServiceError> {
    validate_password(password)?;
    let hash = hash_password(password.to_string()).await?;
    Ok(store.set_password(username, &hash).await?)
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
    let name = crate::domain::clean_text("name", Some(name), 80)?;
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
}
