//! What the dashboard and the executive briefing read: the incidents a filter
//! chooses (every one, no paging, only the columns a report shows) with the
//! steps of their attack paths, and the open incidents by severity. Two plain
//! queries each; all counting and ranking happens in `render::report`.

use crate::store::backend::{Sql, on_pool};
use sqlx::Row;
use std::sync::Arc;

use super::incidents::push_filters;
use super::{IncidentQuery, Store, StoreError, StoreResult};
use crate::domain::{FuzzyTime, Kind, Outcome, Severity, Status};

/// One incident as a report counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportIncident {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub severity: Severity,
    pub status: Status,
    pub occurred: Option<FuzzyTime>,
    pub detected: Option<FuzzyTime>,
    /// RFC 3339, when the record was created.
    pub created_at: String,
}

/// One step of a reported incident.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportStep {
    /// Index into [`ReportData::incidents`].
    pub incident: usize,
    pub position: i64,
    pub tactic_id: String,
    pub technique_id: String,
    pub outcome: Outcome,
}

/// The incidents a filter chooses, newest first, and their steps in story order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportData {
    pub incidents: Vec<ReportIncident>,
    /// Grouped by incident, in story order.
    pub steps: Vec<ReportStep>,
}

impl ReportData {
    /// The steps of one incident (by index), in story order.
    pub fn steps_of(&self, incident: usize) -> impl Iterator<Item = &ReportStep> {
        self.steps.iter().filter(move |s| s.incident == incident)
    }
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

/// Restricts a report read to the incidents `only` (an empty list reads none).
fn push_only<'a>(select: &mut Sql<'a>, only: Option<&'a [String]>) {
    let Some(ids) = only else { return };
    if ids.is_empty() {
        select.push(" AND 0 = 1");
        return;
    }
    select.push(" AND i.id IN (");
    let mut sep = select.separated(", ");
    for id in ids {
        sep.push_bind(id.as_str());
    }
    select.push(")");
}

/// The order of [`Store::report_data`]'s incidents: newest occurrence first,
/// undated last, then by ID. Stored times are RFC 3339 in UTC, so comparing
/// instants orders them as SQL orders the text.
fn newest_first(a: &ReportIncident, b: &ReportIncident) -> std::cmp::Ordering {
    let at = |i: &ReportIncident| i.occurred.map(|f| f.at);
    at(a)
        .is_none()
        .cmp(&at(b).is_none())
        .then_with(|| at(b).cmp(&at(a)))
        .then_with(|| a.id.cmp(&b.id))
}

/// `base` less the incidents `changed`, plus `fresh` (their current rows,
/// those the filter still chooses), in report order with steps renumbered.
/// One pass that moves the rows (`base` is already in report order): a
/// period's 120,000 steps at 100,000 incidents are neither copied nor
/// regrouped, and a `base` the change does not touch (most often the
/// period before) comes back as it was: the same `Arc`, so what was
/// derived from it (the period's facts) is known to hold still.
fn merge(base: Arc<ReportData>, changed: &[String], fresh: ReportData) -> Arc<ReportData> {
    let changed: std::collections::HashSet<&str> = changed.iter().map(String::as_str).collect();
    let touched = |i: &ReportIncident| changed.contains(i.id.as_str());
    if reads_the_same(&base, &touched, &fresh) {
        return base;
    }
    // Moved out when no one else holds it, else copied.
    let base = Arc::unwrap_or_clone(base);
    // The fresh incidents in report order, each with its steps.
    let mut fresh_steps: Vec<Vec<ReportStep>> = vec![Vec::new(); fresh.incidents.len()];
    for s in fresh.steps {
        if let Some(own) = fresh_steps.get_mut(s.incident) {
            own.push(s);
        }
    }
    let mut fresh: Vec<(ReportIncident, Vec<ReportStep>)> =
        fresh.incidents.into_iter().zip(fresh_steps).collect();
    fresh.sort_by(|a, b| newest_first(&a.0, &b.0));
    let mut fresh = fresh.into_iter().peekable();

    let mut out = ReportData {
        incidents: Vec::with_capacity(base.incidents.len() + fresh.len()),
        steps: Vec::with_capacity(base.steps.len()),
    };
    let mut base_steps = base.steps.into_iter().peekable();
    for (n, incident) in base.incidents.into_iter().enumerate() {
        while let Some((f, f_steps)) =
            fresh.next_if(|(f, _)| newest_first(f, &incident) == std::cmp::Ordering::Less)
        {
            push_group(&mut out, f, f_steps);
        }
        let own = std::iter::from_fn(|| base_steps.next_if(|s| s.incident == n));
        if touched(&incident) {
            own.for_each(drop);
        } else {
            push_group(&mut out, incident, own);
        }
    }
    for (f, f_steps) in fresh {
        push_group(&mut out, f, f_steps);
    }
    Arc::new(out)
}

/// Whether `fresh` holds the incidents of `base` that are `touched`, each
/// as it is there with the same steps: then the change left this report
/// as it was. The change log counts the version a report was read at
/// (`Store::changed_incidents_since`), so the last write before a read
/// comes back at the next patch, unchanged since.
fn reads_the_same(
    base: &ReportData,
    touched: &impl Fn(&ReportIncident) -> bool,
    fresh: &ReportData,
) -> bool {
    let held: Vec<usize> = (0..base.incidents.len())
        .filter(|&n| touched(&base.incidents[n]))
        .collect();
    if held.len() != fresh.incidents.len() {
        return false;
    }
    fn row(s: &ReportStep) -> (i64, &str, &str, Outcome) {
        (s.position, &s.tactic_id, &s.technique_id, s.outcome)
    }
    // `base`'s steps are in incident order: each group found by halving.
    let base_steps = |n: usize| {
        let from = base.steps.partition_point(|s| s.incident < n);
        let to = base.steps.partition_point(|s| s.incident <= n);
        base.steps[from..to].iter().map(row)
    };
    let fresh_steps = |f: usize| fresh.steps.iter().filter(move |s| s.incident == f).map(row);
    held.iter().all(|&n| {
        let incident = &base.incidents[n];
        fresh
            .incidents
            .iter()
            .position(|f| f.id == incident.id)
            .is_some_and(|f| fresh.incidents[f] == *incident && base_steps(n).eq(fresh_steps(f)))
    })
}

/// Appends an incident and its steps, renumbered to its place.
fn push_group(
    out: &mut ReportData,
    incident: ReportIncident,
    steps: impl IntoIterator<Item = ReportStep>,
) {
    let n = out.incidents.len();
    out.incidents.push(incident);
    out.steps.extend(steps.into_iter().map(|mut s| {
        s.incident = n;
        s
    }));
}

fn incident_of<R>(row: &R) -> StoreResult<ReportIncident>
where
    R: Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    let severity: String = row.try_get("severity")?;
    let status: String = row.try_get("status")?;
    let occurred_at: Option<String> = row.try_get("occurred_at")?;
    let occurred_precision: Option<String> = row.try_get("occurred_precision")?;
    let detected_at: Option<String> = row.try_get("detected_at")?;
    let detected_precision: Option<String> = row.try_get("detected_precision")?;
    Ok(ReportIncident {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        kind: Kind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity", &severity))?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        occurred: FuzzyTime::from_stored(occurred_at.as_deref(), occurred_precision.as_deref()),
        detected: FuzzyTime::from_stored(detected_at.as_deref(), detected_precision.as_deref()),
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Every incident `q` chooses (its sort and page are ignored), newest
    /// occurrence first, with the steps of each in story order.
    pub async fn report_data(&self, q: &IncidentQuery) -> StoreResult<ReportData> {
        let incidents = self.report_incident_rows(q, None).await?;
        self.with_steps(q, None, incidents).await
    }

    /// Every incident `q` chooses, without steps (for counts over time such
    /// as the briefing's trend), newest occurrence first.
    pub async fn report_incidents(&self, q: &IncidentQuery) -> StoreResult<Vec<ReportIncident>> {
        self.report_incident_rows(q, None).await
    }

    /// `base` (the report data of `q` at an earlier data version, with steps
    /// when `steps`; taken, so that its rows move rather than being copied:
    /// 120,000 steps a period at 100,000 incidents) with the incidents `changed` replaced by their current
    /// rows: equal to a fresh [`Store::report_data`] (or
    /// [`Store::report_incidents`]) when `changed` holds every incident
    /// changed since `base` was read. A few indexed reads, however many
    /// incidents `q` chooses.
    pub async fn patch_report_data(
        &self,
        q: &IncidentQuery,
        base: Arc<ReportData>,
        changed: &[String],
        steps: bool,
    ) -> StoreResult<Arc<ReportData>> {
        if changed.is_empty() {
            return Ok(base);
        }
        let incidents = self.report_incident_rows(q, Some(changed)).await?;
        let fresh = if steps {
            self.with_steps(q, Some(changed), incidents).await?
        } else {
            ReportData {
                incidents,
                steps: Vec::new(),
            }
        };
        Ok(merge(base, changed, fresh))
    }

    /// `incidents` (those `q` chooses, among `only` when given) with their steps.
    async fn with_steps(
        &self,
        q: &IncidentQuery,
        only: Option<&[String]>,
        incidents: Vec<ReportIncident>,
    ) -> StoreResult<ReportData> {
        let index: std::collections::HashMap<&str, usize> = incidents
            .iter()
            .enumerate()
            .map(|(n, i)| (i.id.as_str(), n))
            .collect();

        // Driven by the chosen incidents (`CROSS JOIN` keeps that order of
        // the join), their steps found by index, sorted here: ordered by
        // step in SQL, SQLite walked every step and probed its incident
        // (70-130 ms at 15,000 incidents for a 90-day dashboard).
        let mut select: Sql = Sql::new(
            "SELECT o.incident_id, o.position, o.tactic_id, o.technique_id, o.outcome, o.id
             FROM incidents i CROSS JOIN observations o WHERE o.incident_id = i.id",
        );
        push_only(&mut select, only);
        push_filters(&mut select, q, self.backend());
        type StepRow = (String, i64, String, String, String, String);
        let rows: Vec<StepRow> = on_pool!(&self.pool, |db| select.query_as()?.fetch_all(db).await)?;
        let mut steps = Vec::with_capacity(rows.len());
        for (incident_id, position, tactic_id, technique_id, outcome, step_id) in rows {
            // A step of an incident created between the two reads: skip it.
            let Some(&incident) = index.get(incident_id.as_str()) else {
                continue;
            };
            steps.push((
                step_id,
                ReportStep {
                    incident,
                    position,
                    tactic_id,
                    technique_id,
                    outcome: Outcome::parse(&outcome)
                        .ok_or_else(|| corrupt("outcome", &outcome))?,
                },
            ));
        }
        steps.sort_unstable_by(|(a_id, a), (b_id, b)| {
            (a.incident, a.position, a_id).cmp(&(b.incident, b.position, b_id))
        });
        let steps = steps.into_iter().map(|(_, s)| s).collect();
        Ok(ReportData { incidents, steps })
    }

    /// The incidents `q` chooses (among `only` when given), newest occurrence first.
    async fn report_incident_rows(
        &self,
        q: &IncidentQuery,
        only: Option<&[String]>,
    ) -> StoreResult<Vec<ReportIncident>> {
        let mut select: Sql = Sql::new(
            "SELECT i.id, i.title, i.kind, i.severity, i.status, i.occurred_at, i.occurred_precision,
                    i.detected_at, i.detected_precision, i.created_at
             FROM incidents i WHERE 1 = 1",
        );
        push_only(&mut select, only);
        push_filters(&mut select, q, self.backend());
        select.push(" ORDER BY (i.occurred_at IS NULL), i.occurred_at DESC, i.id");
        on_pool!(&self.pool, |db| {
            let rows = select.query()?.fetch_all(db).await?;
            rows.iter().map(incident_of).collect()
        })
    }

    /// How many incidents `q` chooses, by severity (severities with none are absent).
    pub async fn count_by_severity(&self, q: &IncidentQuery) -> StoreResult<Vec<(Severity, i64)>> {
        let mut select: Sql = Sql::new("SELECT i.severity, COUNT(*) FROM incidents i WHERE 1 = 1");
        push_filters(&mut select, q, self.backend());
        select.push(" GROUP BY i.severity");
        let rows: Vec<(String, i64)> =
            on_pool!(&self.pool, |db| select.query_as()?.fetch_all(db).await)?;
        rows.into_iter()
            .map(|(s, n)| {
                Severity::parse(&s)
                    .map(|s| (s, n))
                    .ok_or_else(|| corrupt("severity", &s))
            })
            .collect()
    }
}
