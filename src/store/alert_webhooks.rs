//! What alert ingestion queues for the webhooks on its transaction, apart
//! from `alerts` (which only calls `webhooks`) so the two stay acyclic.

use super::{AlertTx, StoreResult};

impl AlertTx {
    /// Queues `ingest.unmapped` to the hooks that want it when this request
    /// stored alerts naming techniques the active release does not know.
    pub async fn enqueue_unmapped(
        &mut self,
        alerts: usize,
        technique_ids: &[String],
        incidents: &[String],
        received_by: &str,
    ) -> StoreResult<()> {
        super::webhooks::enqueue_unmapped(
            &mut self.tx,
            alerts,
            technique_ids,
            incidents,
            received_by,
        )
        .await
    }

    /// Queues `incident.severity_raised` when the alerts raise incident
    /// `id`'s severity to `to` (call it before [`AlertTx::touch_incidents`]).
    pub async fn enqueue_severity_raised(&mut self, id: &str, to: &str) -> StoreResult<()> {
        super::webhooks::enqueue_raised(&mut self.tx, id, to, "alert correlation").await
    }
}
