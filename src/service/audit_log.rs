//! The audit log: who changed what, from where. Handlers and the audit
//! middleware record through here; the admin page reads it back.

use crate::store::{AuditEntry, AuditEvent, AuditQuery, Store, StoreError};

/// Records one event.
pub async fn record(store: &Store, event: AuditEvent) -> Result<(), StoreError> {
    store.audit(event).await
}

/// The entries `q` asks for, newest first, and how many match in all.
pub async fn entries(store: &Store, q: &AuditQuery) -> Result<(Vec<AuditEntry>, i64), StoreError> {
    store.audit_entries(q).await
}
