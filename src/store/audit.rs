//! The audit log: who did what, when, to what. Append-only (the database
//! refuses updates and deletes with triggers).

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use chrono::{SecondsFormat, Utc};
use sqlx::FromRow;

use super::{Store, StoreResult, new_id};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

/// What to record; `at` and `id` are set on append.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent {
    pub actor: String,
    pub action: &'static str,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// Exact action or a prefix ending in `.` (`incident.`).
    pub action: Option<String>,
    pub target: Option<String>,
    /// RFC 3339 bounds, inclusive from, exclusive to.
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

impl Store {
    pub async fn audit(&self, event: AuditEvent) -> StoreResult<()> {
        self.execute_write(Sql::new("INSERT INTO audit_log (id, at, actor, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(new_id("aud-"))
            .bind(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
            .bind(&event.actor)
            .bind(event.action)
            .bind(&event.target)
            .bind(&event.detail)
            .bind(&event.ip))
            .await?;
        Ok(())
    }

    /// Newest first.
    pub async fn audit_entries(&self, q: &AuditQuery) -> StoreResult<(Vec<AuditEntry>, i64)> {
        fn filters<'a>(qb: &mut Sql<'a>, q: &'a AuditQuery) {
            if let Some(actor) = &q.actor {
                qb.push(" AND actor = ").push_bind(actor);
            }
            if let Some(action) = &q.action {
                if action.ends_with('.') {
                    // CAST: PostgreSQL's substr takes an integer, not a bigint.
                    qb.push(" AND SUBSTR(action, 1, CAST(")
                        .push_bind(action.len() as i64)
                        .push(" AS INTEGER)) = ")
                        .push_bind(action);
                } else {
                    qb.push(" AND action = ").push_bind(action);
                }
            }
            if let Some(target) = &q.target {
                qb.push(" AND target = ").push_bind(target);
            }
            if let Some(from) = &q.from {
                qb.push(" AND at >= ").push_bind(from);
            }
            if let Some(to) = &q.to {
                qb.push(" AND at < ").push_bind(to);
            }
        }
        let mut count: Sql = Sql::new("SELECT COUNT(*) FROM audit_log WHERE 1 = 1");
        filters(&mut count, q);
        let (total,): (i64,) = on_pool!(&self.pool, |db| count.query_as()?.fetch_one(db).await)?;
        let mut select: Sql =
            Sql::new("SELECT id, at, actor, action, target, detail, ip FROM audit_log WHERE 1 = 1");
        filters(&mut select, q);
        select
            .push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(i64::from(q.limit.max(1)));
        select.push(" OFFSET ").push_bind(i64::from(q.offset));
        let rows = on_pool!(&self.pool, |db| select.query_as()?.fetch_all(db).await)?;
        Ok((rows, total))
    }
}

/// Appends an audit entry inside a caller's transaction, so the change and
/// its record commit (or roll back) together.
pub(super) async fn append_audit(tx: &mut Tx, event: &AuditEvent) -> StoreResult<()> {
    on_tx!(&mut *tx, |ex| {
        sqlx::query("INSERT INTO audit_log (id, at, actor, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id("aud-"))
        .bind(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
        .bind(&event.actor)
        .bind(event.action)
        .bind(&event.target)
        .bind(&event.detail)
        .bind(&event.ip)
        .execute(&mut *ex)
        .await.map(Written::from)
    })?;
    Ok(())
}
