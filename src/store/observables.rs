//! Observables of incidents (migration 0021), and the incidents sharing one.

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use std::collections::HashSet;

use sqlx::FromRow;

use super::teamwork::record_event;
use super::{Store, StoreError, StoreResult, new_id, now_rfc3339};
use crate::domain::observable::{Observable, ObservableKind};
use crate::domain::teamwork::EventKind;

#[derive(FromRow)]
struct Row {
    id: String,
    incident_id: String,
    step_id: Option<String>,
    kind: String,
    value: String,
    origin: String,
    created_at: String,
    created_by: String,
    other_incidents: i64,
}

impl Row {
    fn into_observable(self) -> StoreResult<Observable> {
        Ok(Observable {
            kind: ObservableKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("observable kind `{}`", self.kind)))?,
            id: self.id,
            incident_id: self.incident_id,
            step_id: self.step_id,
            value: self.value,
            origin: self.origin,
            created_at: self.created_at,
            created_by: self.created_by,
            other_incidents: self.other_incidents,
        })
    }
}

/// One observable an alert names, for [`insert_observable`].
#[derive(Debug, Clone)]
pub struct NewObservable {
    pub incident_id: String,
    pub kind: ObservableKind,
    pub value: String,
}

/// Adds `(kind, value)` to an incident unless it is there already; answers
/// the new ID (`None`: it was there). Records the event.
pub(super) async fn insert_observable(
    conn: &mut Tx,
    o: &NewObservable,
    step_id: Option<&str>,
    origin: &str,
    by: &str,
) -> StoreResult<Option<String>> {
    let id = new_id("obs-");
    let done = on_tx!(&mut *conn, |ex| {
        sqlx::query(
        "INSERT INTO observables (id, incident_id, step_id, kind, value, origin, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (incident_id, kind, value) DO NOTHING",
    )
    .bind(&id)
    .bind(&o.incident_id)
    .bind(step_id)
    .bind(o.kind.as_str())
    .bind(&o.value)
    .bind(origin)
    .bind(now_rfc3339())
    .bind(by)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    record_event(
        conn,
        &o.incident_id,
        by,
        EventKind::ObservableAdded,
        o.kind.label(),
        "",
        &o.value,
    )
    .await?;
    Ok(Some(id))
}

const SELECT: &str = "SELECT o.id, o.incident_id, o.step_id, o.kind, o.value, o.origin, o.created_at, o.created_by,
     (SELECT COUNT(DISTINCT x.incident_id) FROM observables x
      WHERE x.kind = o.kind AND x.value = o.value AND x.incident_id <> o.incident_id) AS other_incidents
     FROM observables o";

impl Store {
    /// An incident's observables, by kind and value, each with how many other incidents share it.
    pub async fn observables(&self, incident_id: &str) -> StoreResult<Vec<Observable>> {
        let sql = format!("{SELECT} WHERE o.incident_id = $1 ORDER BY o.kind, o.value");
        let rows: Vec<Row> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        rows.into_iter().map(Row::into_observable).collect()
    }

    /// Every incident holding `(kind, value)`: (incident ID, title, observable), newest first.
    pub async fn incidents_with_observable(
        &self,
        kind: ObservableKind,
        value: &str,
    ) -> StoreResult<Vec<(String, Observable)>> {
        let sql = format!(
            "SELECT i.title AS title, r.* FROM ({SELECT} WHERE o.kind = $1 AND o.value = $2) r
             JOIN incidents i ON i.id = r.incident_id ORDER BY i.updated_at DESC, i.id LIMIT 500"
        );
        #[derive(FromRow)]
        struct Titled {
            title: String,
            #[sqlx(flatten)]
            row: Row,
        }
        let rows: Vec<Titled> = on_pool!(&self.pool, |db| sqlx::query_as(&sql)
            .bind(kind.as_str())
            .bind(value)
            .fetch_all(db)
            .await)?;
        rows.into_iter()
            .map(|r| Ok((r.title, r.row.into_observable()?)))
            .collect()
    }

    /// Adds an observable (checked by the caller); `None` when the incident has it already.
    pub async fn add_observable(
        &self,
        o: &NewObservable,
        step_id: Option<&str>,
        by: &str,
    ) -> StoreResult<Option<String>> {
        let (mut tx, _turn) = self.write().await?;
        let found: Option<(String,)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT id FROM incidents WHERE id = $1"
        )
        .bind(&o.incident_id)
        .fetch_optional(&mut *ex)
        .await)?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("incident {}", o.incident_id)));
        }
        let id = insert_observable(&mut tx, o, step_id, "manual", by).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_observable(
        &self,
        incident_id: &str,
        id: &str,
        by: &str,
    ) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let row: Option<(String, String)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT kind, value FROM observables WHERE incident_id = $1 AND id = $2",
        )
        .bind(incident_id)
        .bind(id)
        .fetch_optional(&mut *ex)
        .await)?;
        let Some((kind, value)) = row else {
            return Err(StoreError::NotFound(format!("observable {id}")));
        };
        on_tx!(&mut tx, |ex| sqlx::query(
            "DELETE FROM observables WHERE id = $1"
        )
        .bind(id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        let label = ObservableKind::parse(&kind).map_or(kind.as_str(), |k| k.label());
        record_event(
            &mut tx,
            incident_id,
            by,
            EventKind::ObservableRemoved,
            label,
            &value,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl super::AlertTx {
    /// What the alerts just stored mean for the team: an event on each
    /// incident they fold into, and the observables they name (each new one
    /// with its event, in the order named).
    pub async fn insert_observables(
        &mut self,
        alerts: &[super::NewAlert],
        found: &[(NewObservable, &str)],
    ) -> StoreResult<()> {
        let folded = alerts
            .iter()
            .filter_map(|a| Some((a.incident_id.as_deref()?, a.received_by.as_str())));
        super::alert_events::record_alerts(&mut self.tx, folded).await?;
        // A batch names the same host on the same incident many times: once each.
        let mut seen = HashSet::new();
        let unique: Vec<&(NewObservable, &str)> = found
            .iter()
            .filter(|(o, _)| seen.insert((o.incident_id.as_str(), o.kind, o.value.as_str())))
            .collect();
        let now = now_rfc3339();
        for chunk in unique.chunks(self.tx.rows_per_statement(8)) {
            let added = insert_new(&mut self.tx, chunk, &now).await?;
            for (o, by) in chunk {
                if added.contains(&(
                    o.incident_id.clone(),
                    o.kind.as_str().to_string(),
                    o.value.clone(),
                )) {
                    let label = o.kind.label();
                    record_event(
                        &mut self.tx,
                        &o.incident_id,
                        by,
                        EventKind::ObservableAdded,
                        label,
                        "",
                        &o.value,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// Inserts the observables not on their incident yet, in one statement;
/// answers those inserted as (incident, kind, value).
async fn insert_new(
    conn: &mut Tx,
    chunk: &[&(NewObservable, &str)],
    now: &str,
) -> StoreResult<HashSet<(String, String, String)>> {
    let ids: Vec<String> = chunk.iter().map(|_| new_id("obs-")).collect();
    let mut qb: Sql = Sql::new(
        "INSERT INTO observables (id, incident_id, step_id, kind, value, origin, created_at, created_by) ",
    );
    qb.push_values(chunk.iter().zip(&ids), |mut b, ((o, by), id)| {
        b.push_bind(id.as_str())
            .push_bind(o.incident_id.as_str())
            .push_bind(None::<&str>)
            .push_bind(o.kind.as_str())
            .push_bind(o.value.as_str())
            .push_bind("alert")
            .push_bind(now)
            .push_bind(by);
    });
    qb.push(
        " ON CONFLICT (incident_id, kind, value) DO NOTHING RETURNING incident_id, kind, value",
    );
    let rows: Vec<(String, String, String)> =
        on_tx!(&mut *conn, |ex| qb.query_as()?.fetch_all(&mut *ex).await)?;
    Ok(rows.into_iter().collect())
}
