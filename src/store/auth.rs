//! Users, sessions and API tokens. Only hashes of session IDs and tokens are
//! stored; lookups go by hash.

use crate::store::backend::{Sql, Written, on_pool, on_tx};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sqlx::FromRow;

use super::{Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::domain::auth::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

#[derive(FromRow)]
struct UserRow {
    id: String,
    username: String,
    role: String,
    disabled: bool,
    created_at: String,
    last_login_at: Option<String>,
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            role: Role::parse(&self.role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role `{}`", self.role)))?,
            id: self.id,
            username: self.username,
            disabled: self.disabled,
            created_at: self.created_at,
            last_login_at: self.last_login_at,
        })
    }
}

/// An API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TokenInfo {
    pub id: String,
    pub username: String,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl TokenInfo {
    pub fn is_active(&self, now: &str) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_deref().is_none_or(|e| e > now)
    }
}

/// Who a session or token belongs to, as resolved for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub user: User,
    /// The effective role: a token's role is capped by its user's.
    pub role: Role,
    /// The token's prefix when authenticated by token.
    pub token_prefix: Option<String>,
}

const USER_COLUMNS: &str = "id, username, role, disabled, created_at, last_login_at";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> StoreResult<User> {
        self.insert_user(username, password_hash, role, false).await
    }

    /// Creates the first account only while there is none (one statement, so
    /// two racing first-run setups cannot both succeed).
    pub async fn create_first_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> StoreResult<User> {
        self.insert_user(username, password_hash, role, true).await
    }

    async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        only_first: bool,
    ) -> StoreResult<User> {
        let now = now_rfc3339();
        let id = new_id("usr-");
        let sql = if only_first {
            "INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at)
             SELECT $1, $2, $3, $4, FALSE, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users)"
        } else {
            "INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, FALSE, $5, $6) ON CONFLICT (username) DO NOTHING"
        };
        let done = self
            .execute_write(
                Sql::new(sql)
                    .bind(&id)
                    .bind(username)
                    .bind(password_hash)
                    .bind(role.as_str())
                    .bind(&now)
                    .bind(&now),
            )
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(if only_first {
                "the first account has already been created; sign in instead".to_string()
            } else {
                format!("a user named {username} already exists")
            }));
        }
        self.user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {username}")))
    }

    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(username)
            .fetch_optional(db)
            .await)?;
        row.map(UserRow::into_user).transpose()
    }

    /// The user and their password hash, for a login attempt.
    pub async fn credentials(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: String,
        }
        let row: Option<Row> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(username)
            .fetch_optional(db)
            .await)?;
        row.map(|r| Ok((r.user.into_user()?, r.password_hash)))
            .transpose()
    }

    pub async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows: Vec<UserRow> =
            on_pool!(&self.pool, |db| sqlx::query_as(&sql).fetch_all(db).await)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    pub async fn count_users(&self) -> StoreResult<i64> {
        let (n,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(db)
        .await)?;
        Ok(n)
    }

    /// Changes a user's role and/or disabled flag. Disabling ends their sessions.
    pub async fn update_user(
        &self,
        username: &str,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> StoreResult<User> {
        let user = self
            .user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
        let (mut tx, _turn) = self.write().await?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE users SET role = $1, disabled = $2, updated_at = $3 WHERE id = $4"
        )
        .bind(role.unwrap_or(user.role).as_str())
        .bind(disabled.unwrap_or(user.disabled))
        .bind(now_rfc3339())
        .bind(&user.id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if disabled == Some(true) {
            on_tx!(&mut tx, |ex| sqlx::query(
                "DELETE FROM sessions WHERE user_id = $1"
            )
            .bind(&user.id)
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        }
        tx.commit().await?;
        self.user_by_name(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {username}")))
    }

    /// Sets a user's password and ends their sessions except `keep` (a
    /// session hash), in one transaction. Returns how many sessions ended.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        keep: Option<&str>,
    ) -> StoreResult<u64> {
        let (mut tx, _turn) = self.write().await?;
        let done = on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3"
        )
        .bind(password_hash)
        .bind(now_rfc3339())
        .bind(username)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {username}")));
        }
        let ended = on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)
             AND id_hash <> $2",
        )
        .bind(username)
        .bind(keep.unwrap_or(""))
        .execute(&mut *ex)
        .await
        .map(Written::from))?
        .rows_affected();
        tx.commit().await?;
        Ok(ended)
    }

    /// Starts a session; `max_age` bounds it absolutely.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        max_age: Duration,
    ) -> StoreResult<()> {
        let now = Utc::now();
        let (mut tx, _turn) = self.write().await?;
        on_tx!(&mut tx, |ex| {
            sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(rfc3339(now))
        .bind(rfc3339(now))
        .bind(rfc3339(now + max_age))
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE users SET last_login_at = $1 WHERE id = $2"
        )
        .bind(rfc3339(now))
        .bind(user_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        // Housekeeping: drop sessions that ended.
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1"
        )
        .bind(rfc3339(now))
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        tx.commit().await?;
        Ok(())
    }

    /// The session's user when it is within both timeouts; touches it.
    pub async fn resolve_session(
        &self,
        id_hash: &str,
        idle: Duration,
    ) -> StoreResult<Option<Resolved>> {
        let now = Utc::now();
        let sql = "SELECT u.id, u.username, u.role, u.disabled, u.created_at, u.last_login_at, s.last_seen_at, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1";
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            last_seen_at: String,
            expires_at: String,
        }
        let row: Option<Row> = on_pool!(&self.pool, |db| sqlx::query_as(sql)
            .bind(id_hash)
            .fetch_optional(db)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let idle_cutoff = rfc3339(now - idle);
        if row.expires_at <= rfc3339(now) || row.last_seen_at <= idle_cutoff || row.user.disabled {
            self.delete_session(id_hash).await?;
            return Ok(None);
        }
        // Touch at most once a minute to keep reads cheap.
        if row.last_seen_at <= rfc3339(now - Duration::minutes(1)) {
            self.execute_write(
                Sql::new("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                    .bind(rfc3339(now))
                    .bind(id_hash),
            )
            .await?;
        }
        let user = row.user.into_user()?;
        Ok(Some(Resolved {
            role: user.role,
            user,
            token_prefix: None,
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.execute_write(Sql::new("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash))
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        prefix: &str,
        token_hash: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        self.execute_write(Sql::new(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, role, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id("tok-"))
        .bind(user_id)
        .bind(name)
        .bind(prefix)
        .bind(token_hash)
        .bind(role.as_str())
        .bind(now_rfc3339())
        .bind(expires_at.map(rfc3339)))
        .await?;
        Ok(())
    }

    /// A live token's user and effective role (capped by the user's role).
    pub async fn resolve_token(&self, token_hash: &str) -> StoreResult<Option<Resolved>> {
        let now = now_rfc3339();
        let sql = "SELECT u.id, u.username, u.role, u.disabled, u.created_at, u.last_login_at,
                          t.role AS token_role, t.prefix, t.expires_at, t.revoked_at, t.last_used_at
                   FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1";
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            token_role: String,
            prefix: String,
            expires_at: Option<String>,
            revoked_at: Option<String>,
            last_used_at: Option<String>,
        }
        let row: Option<Row> = on_pool!(&self.pool, |db| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(db)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let expired = row.expires_at.as_deref().is_some_and(|e| e <= now.as_str());
        if row.revoked_at.is_some() || expired || row.user.disabled {
            return Ok(None);
        }
        let minute_ago = rfc3339(Utc::now() - Duration::minutes(1));
        if row
            .last_used_at
            .as_deref()
            .is_none_or(|t| t <= minute_ago.as_str())
        {
            self.execute_write(
                Sql::new("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                    .bind(&now)
                    .bind(token_hash),
            )
            .await?;
        }
        let user = row.user.into_user()?;
        let token_role = Role::parse(&row.token_role).unwrap_or(Role::Viewer);
        Ok(Some(Resolved {
            role: token_role.min(user.role),
            user,
            token_prefix: Some(row.prefix),
        }))
    }

    /// Tokens of one user, or of everyone (`None`), newest first.
    pub async fn list_tokens(&self, username: Option<&str>) -> StoreResult<Vec<TokenInfo>> {
        let base = "SELECT t.id, u.username, t.name, t.prefix, t.role, t.created_at, t.expires_at, t.revoked_at,
                           t.last_used_at
                    FROM api_tokens t JOIN users u ON u.id = t.user_id";
        let rows = match username {
            Some(name) => on_pool!(&self.pool, |db| sqlx::query_as(&format!(
                "{base} WHERE u.username = $1 ORDER BY t.created_at DESC, t.id"
            ))
            .bind(name)
            .fetch_all(db)
            .await)?,
            None => on_pool!(&self.pool, |db| sqlx::query_as(&format!(
                "{base} ORDER BY t.created_at DESC, t.id"
            ))
            .fetch_all(db)
            .await)?,
        };
        Ok(rows)
    }

    /// Revokes a token by prefix; `owner` restricts it to that user's tokens.
    pub async fn revoke_token(&self, prefix: &str, owner: Option<&str>) -> StoreResult<TokenInfo> {
        let token = self
            .list_tokens(owner)
            .await?
            .into_iter()
            .find(|t| t.prefix == prefix)
            .ok_or_else(|| StoreError::NotFound(format!("token {prefix}")))?;
        self.execute_write(
            Sql::new(
                "UPDATE api_tokens SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL",
            )
            .bind(now_rfc3339())
            .bind(prefix),
        )
        .await?;
        Ok(token)
    }
}
