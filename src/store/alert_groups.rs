//! Savepoints of a grouped ingestion transaction: several requests share one
//! [`AlertTx`] (one COMMIT), each inside its own savepoint so that one
//! request's failure undoes only its own writes. Plain SQL savepoints, which
//! SQLite and PostgreSQL both run.

use super::{AlertTx, StoreResult};
use crate::store::backend::{Written, on_tx};

impl AlertTx {
    /// Starts one request's part of the transaction.
    pub async fn savepoint(&mut self) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| sqlx::query("SAVEPOINT request")
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        Ok(())
    }

    /// Keeps the request's writes (they commit with the transaction).
    pub async fn release(&mut self) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| sqlx::query("RELEASE SAVEPOINT request")
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
        Ok(())
    }

    /// Undoes the request's writes since [`savepoint`](Self::savepoint) and
    /// ends the savepoint; the transaction goes on. An error means the
    /// transaction itself is gone (SQLite rolls back the whole transaction on
    /// some errors) and must not be used further.
    pub async fn rollback_to(&mut self) -> StoreResult<()> {
        on_tx!(&mut self.tx, |ex| sqlx::query(
            "ROLLBACK TO SAVEPOINT request"
        )
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        self.release().await
    }
}
