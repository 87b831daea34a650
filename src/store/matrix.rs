//! What the highlighted matrix reads: for the incidents chosen by filters,
//! every (tactic, technique) pair their steps use, with the steps behind it.
//! One query pass over the steps of the chosen incidents; everything else
//! (scores, roll-up, buckets) is computed from it in `render::heat`.
//!
//! [`Store::data_stamp`] tells whether anything an aggregate was built from
//! changed since: a counter kept by triggers (migration 0004) that every
//! write to incidents, steps or tags bumps.

use crate::store::backend::{Sql, on_pool};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sqlx::Row;

use super::incidents::push_filters;
use super::{IncidentQuery, Store, StoreResult};
use crate::domain::{FuzzyTime, Kind, Severity, Status};

/// Which database and which state of its incident data: equal stamps mean
/// equal data, so anything derived from it may be reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataStamp {
    /// The database file (`None` for an in-memory database: never cached).
    pub database: Option<Arc<Path>>,
    /// Bumped by every change to incidents, steps and tags.
    pub version: i64,
}

impl DataStamp {
    /// Whether results stamped with it may be cached at all.
    pub fn cacheable(&self) -> bool {
        self.database.is_some()
    }
}

/// An incident that has at least one step in the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateIncident {
    pub id: String,
    pub title: String,
    /// RFC 3339, as stored.
    pub occurred_at: Option<String>,
}

/// One step of one incident: indexes into [`MatrixAggregate::incidents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StepHit {
    pub incident: u32,
    /// The step's number in its incident (1-based).
    pub position: u32,
}

/// Every step using one technique under one tactic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellAggregate {
    pub tactic_id: String,
    pub technique_id: String,
    /// Sorted by incident (newest first, as [`MatrixAggregate::incidents`]) then step.
    pub hits: Vec<StepHit>,
}

impl CellAggregate {
    pub fn steps(&self) -> usize {
        self.hits.len()
    }

    /// Distinct incidents, in order (the hits are sorted by incident).
    pub fn incident_indexes(&self) -> impl Iterator<Item = u32> + '_ {
        let mut last = None;
        self.hits
            .iter()
            .map(|h| h.incident)
            .filter(move |&i| last.replace(i) != Some(i))
    }

    pub fn incidents(&self) -> usize {
        self.incident_indexes().count()
    }
}

/// The steps of the chosen incidents, by (tactic, technique).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixAggregate {
    /// Incidents chosen by the filters, with steps or not.
    pub incident_total: i64,
    /// Incidents with at least one step, newest occurrence first (undated last), then by ID.
    /// Shared (`Arc`): a patched aggregate keeps the unchanged ones without copying them.
    pub incidents: Vec<Arc<AggregateIncident>>,
    /// Sorted by (tactic, technique).
    pub cells: Vec<CellAggregate>,
    pub step_total: usize,
}

/// One incident whose steps use a technique, for the technique page.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueHit {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub severity: Severity,
    pub status: Status,
    pub occurred: Option<FuzzyTime>,
    /// (step number, tactic ID, technique ID) of every matching step.
    pub steps: Vec<(i64, String, String)>,
}

/// The incidents using a technique: the first `limit`, and how many in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TechniqueHits {
    pub incidents: Vec<TechniqueHit>,
    pub total_incidents: usize,
    pub total_steps: usize,
}

/// Groups rows as they arrive, interning the strings that repeat.
#[derive(Default)]
pub(super) struct Accumulator {
    pub(super) incident_index: HashMap<String, u32>,
    pub(super) incidents: Vec<Arc<AggregateIncident>>,
    pub(super) tactic_index: HashMap<String, u32>,
    pub(super) technique_index: HashMap<String, u32>,
    pub(super) cell_index: HashMap<(u32, u32), usize>,
    pub(super) cells: Vec<CellAggregate>,
    pub(super) step_total: usize,
}

impl Accumulator {
    pub(super) fn add<R>(&mut self, row: &R) -> Result<(), sqlx::Error>
    where
        R: Row,
        usize: sqlx::ColumnIndex<R>,
        for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<&'r str>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let incident_id: &str = row.try_get(0)?;
        let incidents = &mut self.incidents;
        let incident = intern(&mut self.incident_index, incident_id, || {
            incidents.push(Arc::new(AggregateIncident {
                id: incident_id.to_string(),
                title: row.try_get::<&str, _>(4).unwrap_or_default().to_string(),
                occurred_at: row.try_get::<Option<String>, _>(5).ok().flatten(),
            }));
            (incidents.len() - 1) as u32
        });
        let tactic_id: &str = row.try_get(1)?;
        let technique_id: &str = row.try_get(2)?;
        let n = self.tactic_index.len() as u32;
        let tactic = intern(&mut self.tactic_index, tactic_id, || n);
        let n = self.technique_index.len() as u32;
        let technique = intern(&mut self.technique_index, technique_id, || n);
        let cells = &mut self.cells;
        let cell = *self
            .cell_index
            .entry((tactic, technique))
            .or_insert_with(|| {
                cells.push(CellAggregate {
                    tactic_id: tactic_id.to_string(),
                    technique_id: technique_id.to_string(),
                    hits: Vec::new(),
                });
                cells.len() - 1
            });
        let position: i64 = row.try_get(3)?;
        self.cells[cell].hits.push(StepHit {
            incident,
            position: u32::try_from(position).unwrap_or(0),
        });
        self.step_total += 1;
        Ok(())
    }
}

pub(super) fn intern<T: Copy>(
    map: &mut HashMap<String, T>,
    key: &str,
    next: impl FnOnce() -> T,
) -> T {
    if let Some(v) = map.get(key) {
        return *v;
    }
    let v = next();
    map.insert(key.to_string(), v);
    v
}

impl Store {
    /// The current [`DataStamp`]: one primary-key read.
    pub async fn data_stamp(&self) -> StoreResult<DataStamp> {
        Ok(DataStamp {
            database: self.identity.clone(),
            version: self.data_version("incidents").await?,
        })
    }

    /// The counter bumped by every change to the stored ATLAS releases
    /// (migration 0031): one primary-key read.
    pub async fn release_stamp(&self) -> StoreResult<i64> {
        self.data_version("atlas").await
    }

    async fn data_version(&self, name: &str) -> StoreResult<i64> {
        let (version,): (i64,) = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version FROM data_versions WHERE name = $1"
        )
        .bind(name)
        .fetch_one(db)
        .await)?;
        Ok(version)
    }

    /// Every step of the incidents `q` chooses (its sort and page are
    /// ignored), grouped by (tactic, technique). One pass over the steps.
    pub async fn matrix_aggregate(&self, q: &IncidentQuery) -> StoreResult<MatrixAggregate> {
        let incident_total = self.matrix_incident_total(q).await?;
        let mut acc = Accumulator::default();
        self.matrix_rows(q, None, &mut acc).await?;
        let Accumulator {
            incidents,
            cells,
            step_total,
            ..
        } = acc;
        Ok(finish(incident_total, incidents, cells, step_total, 0))
    }

    /// How many incidents `q` chooses, with steps or not.
    pub(super) async fn matrix_incident_total(&self, q: &IncidentQuery) -> StoreResult<i64> {
        let mut count: Sql = Sql::new("SELECT COUNT(*) FROM incidents i WHERE 1 = 1");
        push_filters(&mut count, q, self.backend());
        let (total,): (i64,) = on_pool!(&self.pool, |db| count.query_as()?.fetch_one(db).await)?;
        Ok(total)
    }

    /// Adds to `acc` every step of the incidents `q` chooses (only those
    /// among `only` when given).
    pub(super) async fn matrix_rows(
        &self,
        q: &IncidentQuery,
        only: Option<&[String]>,
        acc: &mut Accumulator,
    ) -> StoreResult<()> {
        let mut select: Sql = Sql::new(
            "SELECT o.incident_id, o.tactic_id, o.technique_id, o.position, i.title, i.occurred_at
             FROM observations o JOIN incidents i ON i.id = o.incident_id WHERE 1 = 1",
        );
        if let Some(ids) = only {
            if ids.is_empty() {
                return Ok(());
            }
            select.push(" AND i.id IN (");
            let mut sep = select.separated(", ");
            for id in ids {
                sep.push_bind(id.as_str());
            }
            select.push(")");
        }
        push_filters(&mut select, q, self.backend());
        on_pool!(&self.pool, |db| select
            .query()?
            .try_map(|row| acc.add(&row))
            .fetch_all(db)
            .await)?;
        Ok(())
    }

    /// The incidents `q` chooses whose steps use one of `techniques` (under
    /// `tactic` when given): the first `limit` newest first, and the totals.
    pub async fn technique_hits(
        &self,
        q: &IncidentQuery,
        techniques: &[String],
        tactic: Option<&str>,
        limit: usize,
    ) -> StoreResult<TechniqueHits> {
        let mut out = TechniqueHits::default();
        if techniques.is_empty() {
            return Ok(out);
        }
        let mut select: Sql = Sql::new(
            "SELECT o.incident_id, o.position, o.tactic_id, o.technique_id, i.title, i.kind, i.severity,
                    i.status, i.occurred_at, i.occurred_precision
             FROM observations o JOIN incidents i ON i.id = o.incident_id WHERE o.technique_id IN (",
        );
        let mut sep = select.separated(", ");
        for t in techniques {
            sep.push_bind(t.as_str());
        }
        select.push(")");
        if let Some(tactic) = tactic {
            select.push(" AND o.tactic_id = ").push_bind(tactic);
        }
        push_filters(&mut select, q, self.backend());
        select.push(" ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id, o.position");
        let mut last: Option<String> = None;
        on_pool!(&self.pool, |db| select
            .query()?
            .try_map(|row| add_hit(&mut out, &mut last, limit, &row))
            .fetch_all(db)
            .await)?;
        Ok(out)
    }
}

/// One row of [`Store::technique_hits`]: counted, and kept while under `limit`.
fn add_hit<R>(
    out: &mut TechniqueHits,
    last: &mut Option<String>,
    limit: usize,
    row: &R,
) -> Result<(), sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: &str = row.try_get(0)?;
    out.total_steps += 1;
    if last.as_deref() != Some(id) {
        *last = Some(id.to_string());
        out.total_incidents += 1;
        if out.incidents.len() < limit {
            out.incidents.push(hit_of(row)?);
            return Ok(());
        }
    }
    if out.total_incidents <= limit
        && let Some(hit) = out.incidents.last_mut()
    {
        hit.steps.push(step_of(row)?);
    }
    Ok(())
}

fn step_of<R>(row: &R) -> Result<(i64, String, String), sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((row.try_get(1)?, row.try_get(2)?, row.try_get(3)?))
}

fn hit_of<R>(row: &R) -> Result<TechniqueHit, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str, v: &str| {
        sqlx::Error::Decode(format!("unknown {what} `{v}` in the database").into())
    };
    let kind: &str = row.try_get(5)?;
    let severity: &str = row.try_get(6)?;
    let status: &str = row.try_get(7)?;
    let occurred_at: Option<&str> = row.try_get(8)?;
    let occurred_precision: Option<&str> = row.try_get(9)?;
    Ok(TechniqueHit {
        id: row.try_get(0)?,
        title: row.try_get(4)?,
        kind: Kind::parse(kind).ok_or_else(|| corrupt("kind", kind))?,
        severity: Severity::parse(severity).ok_or_else(|| corrupt("severity", severity))?,
        status: Status::parse(status).ok_or_else(|| corrupt("status", status))?,
        occurred: FuzzyTime::from_stored(occurred_at, occurred_precision),
        steps: vec![step_of(row)?],
    })
}

/// Orders incidents newest first (undated last, then by ID), renumbers the
/// hits to match, and sorts cells and hits. The first `sorted` incidents are
/// in that order already (those a patch kept): only the rest are sorted, then
/// merged in, so a patch compares a few incidents, not all of them again.
pub(super) fn finish(
    incident_total: i64,
    incidents: Vec<Arc<AggregateIncident>>,
    mut cells: Vec<CellAggregate>,
    step_total: usize,
    sorted: usize,
) -> MatrixAggregate {
    let newest_first = |a: &u32, b: &u32| {
        let (a, b) = (&incidents[*a as usize], &incidents[*b as usize]);
        a.occurred_at
            .is_none()
            .cmp(&b.occurred_at.is_none())
            .then_with(|| b.occurred_at.cmp(&a.occurred_at))
            .then_with(|| a.id.cmp(&b.id))
    };
    let sorted = sorted.min(incidents.len());
    let mut rest: Vec<u32> = (sorted as u32..incidents.len() as u32).collect();
    rest.sort_by(newest_first);
    let mut order: Vec<u32> = Vec::with_capacity(incidents.len());
    let (mut i, mut j) = (0u32, 0usize);
    while (i as usize) < sorted || j < rest.len() {
        let take_kept = j == rest.len()
            || ((i as usize) < sorted && newest_first(&i, &rest[j]) != std::cmp::Ordering::Greater);
        if take_kept {
            order.push(i);
            i += 1;
        } else {
            order.push(rest[j]);
            j += 1;
        }
    }
    let mut rank = vec![0u32; incidents.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    let mut slots: Vec<Option<Arc<AggregateIncident>>> = incidents.into_iter().map(Some).collect();
    let incidents: Vec<Arc<AggregateIncident>> = order
        .iter()
        .filter_map(|&old| slots[old as usize].take())
        .collect();
    for cell in &mut cells {
        for hit in &mut cell.hits {
            hit.incident = rank[hit.incident as usize];
        }
        cell.hits.sort_unstable();
    }
    cells.sort_by(|a, b| {
        (a.tactic_id.as_str(), a.technique_id.as_str())
            .cmp(&(b.tactic_id.as_str(), b.technique_id.as_str()))
    });
    MatrixAggregate {
        incident_total,
        incidents,
        cells,
        step_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(id: &str, at: Option<&str>) -> Arc<AggregateIncident> {
        Arc::new(AggregateIncident {
            id: id.into(),
            title: id.to_uppercase(),
            occurred_at: at.map(str::to_string),
        })
    }

    #[test]
    fn finish_orders_incidents_newest_first_and_renumbers_hits() {
        let incidents = vec![
            inc("b", None),
            inc("a", Some("2024-01-01T00:00:00Z")),
            inc("c", Some("2025-01-01T00:00:00Z")),
        ];
        let cells = vec![
            CellAggregate {
                tactic_id: "AML.TA0007".into(),
                technique_id: "AML.T0015".into(),
                hits: vec![
                    StepHit {
                        incident: 0,
                        position: 2,
                    },
                    StepHit {
                        incident: 2,
                        position: 5,
                    },
                    StepHit {
                        incident: 0,
                        position: 1,
                    },
                ],
            },
            CellAggregate {
                tactic_id: "AML.TA0002".into(),
                technique_id: "AML.T0000".into(),
                hits: vec![StepHit {
                    incident: 1,
                    position: 1,
                }],
            },
        ];
        let agg = finish(4, incidents, cells, 4, 0);
        let ids: Vec<&str> = agg.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert_eq!(agg.cells[0].technique_id, "AML.T0000");
        assert_eq!(
            agg.cells[0].hits,
            [StepHit {
                incident: 1,
                position: 1
            }]
        );
        let evade = &agg.cells[1];
        assert_eq!(
            evade.hits,
            [
                StepHit {
                    incident: 0,
                    position: 5
                },
                StepHit {
                    incident: 2,
                    position: 1
                },
                StepHit {
                    incident: 2,
                    position: 2
                },
            ]
        );
        assert_eq!((evade.steps(), evade.incidents()), (3, 2));
        assert_eq!(evade.incident_indexes().collect::<Vec<_>>(), [0, 2]);
    }
}
