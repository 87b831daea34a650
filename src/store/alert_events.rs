//! The timeline events of an ingestion group: one per incident its alerts
//! fold into, numbered, written and told in a few statements for the whole
//! group.

use std::collections::HashMap;

use super::backend::{Sql, Tx, Written, on_tx};
use super::{StoreResult, new_id, now_rfc3339};
use crate::domain::teamwork::EventKind;

/// One event per incident that alerts are folded into, by who sent them:
/// `alerts` holds (incident ID, sender) of each stored alert with an incident.
/// An ingestion group touches many incidents: their events are numbered,
/// written and told in a few statements for all of them, not one
/// `teamwork::record_event` (five statements or more) per incident.
pub(super) async fn record_alerts<'a>(
    conn: &mut Tx,
    alerts: impl Iterator<Item = (&'a str, &'a str)>,
) -> StoreResult<()> {
    let mut per_incident: std::collections::BTreeMap<(&str, &str), usize> =
        std::collections::BTreeMap::new();
    for (id, by) in alerts {
        *per_incident.entry((id, by)).or_default() += 1;
    }
    if per_incident.is_empty() {
        return Ok(());
    }
    let mut incidents: Vec<&str> = per_incident.keys().map(|(id, _)| *id).collect();
    incidents.dedup();
    let mut last_seq: HashMap<String, i64> = HashMap::new();
    for chunk in incidents.chunks(conn.rows_per_statement(1)) {
        let mut qb: Sql =
            Sql::new("SELECT incident_id, MAX(seq) FROM incident_events WHERE incident_id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(id.to_string());
        }
        qb.push(") GROUP BY incident_id");
        let rows: Vec<(String, i64)> =
            on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
        last_seq.extend(rows);
    }
    let at = now_rfc3339();
    let rows: Vec<(String, &str, i64, &str, String)> = per_incident
        .into_iter()
        .map(|((incident, by), n)| {
            let seq = last_seq.entry(incident.to_string()).or_insert(0);
            *seq += 1;
            let what = if n == 1 {
                "1 alert".to_string()
            } else {
                format!("{n} alerts")
            };
            (new_id("ev-"), incident, *seq, by, what)
        })
        .collect();
    for chunk in rows.chunks(conn.rows_per_statement(9)) {
        let mut qb: Sql = Sql::new(
            "INSERT INTO incident_events (id, incident_id, seq, at, actor, kind, subject, old_value, new_value) ",
        );
        qb.push_values(chunk, |mut b, (id, incident, seq, by, what)| {
            b.push_bind(id.clone())
                .push_bind(incident.to_string())
                .push_bind(*seq)
                .push_bind(at.clone())
                .push_bind(by.to_string())
                .push_bind(EventKind::Alerts.as_str())
                .push_bind("")
                .push_bind("")
                .push_bind(what.clone());
        });
        on_tx!(&mut *conn, |ex| qb
            .query()?
            .execute(&mut *ex)
            .await
            .map(Written::from))?;
    }
    let events: Vec<super::notifications::RecordedEvent<'_>> = rows
        .iter()
        .map(
            |(id, incident, _, by, what)| super::notifications::RecordedEvent {
                id,
                incident_id: incident,
                actor: by,
                kind: EventKind::Alerts,
                subject: "",
                old_value: "",
                new_value: what,
            },
        )
        .collect();
    super::notifications::notify_events(conn, &events).await?;
    for event in &events {
        super::webhooks::enqueue_event(conn, event).await?;
    }
    Ok(())
}
