//! What the two outboxes (e-mails, webhook deliveries) share: a sender
//! claims due rows by marking them `sending` in its write transaction, so
//! no two senders send one twice.

use crate::store::backend::{Sql, Tx, Written, on_tx};

use super::StoreResult;

/// Marks the rows `ids` of the outbox `table` as being sent, in one statement.
pub(super) async fn mark_sending(
    conn: &mut Tx,
    table: &'static str,
    ids: &[&str],
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut qb: Sql = Sql::new(format!(
        "UPDATE {table} SET status = 'sending' WHERE id IN ("
    ));
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    qb.push(")");
    on_tx!(&mut *conn, |ex| qb
        .query()?
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
    Ok(())
}
