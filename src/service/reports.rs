//! What the reporting pages read besides a period's report data: the
//! briefing's four-quarter trend, the team's actions from its
//! retrospectives and the story of its most serious incident, and whether
//! anything is recorded at all (the dashboard's first-run guide).

use crate::domain::{IncidentDetail, Kind, Status};
use crate::store::{IncidentQuery, ReportData, RetroActions, Store, StoreResult};

/// The briefing's reads beyond the period and the period before.
pub struct BriefingExtras {
    /// The "Actions" notes of every retrospective (the sheet keeps the period's).
    pub retros: Vec<RetroActions>,
    /// The incident whose attack path the sheet tells.
    pub story: Option<IncidentDetail>,
    /// Open tasks of every incident, and how many of them are overdue today.
    pub tasks: (i64, i64),
}

pub async fn briefing_extras(
    store: &Store,
    story_incident: Option<&str>,
) -> StoreResult<BriefingExtras> {
    let story = match story_incident {
        Some(id) => store.get_incident(id).await?,
        None => None,
    };
    let today = super::teamwork::today(chrono::Utc::now());
    Ok(BriefingExtras {
        tasks: store.task_counts(&today).await?,
        retros: store.retro_actions().await?,
        story,
    })
}

/// Whether no incident of any kind is recorded yet.
pub async fn nothing_recorded(store: &Store) -> StoreResult<bool> {
    let all = store.count_by_severity(&IncidentQuery::default()).await?;
    Ok(all.iter().all(|(_, n)| *n == 0))
}

/// The report data of the incidents matching `q` (a period's), with their
/// steps when `steps` (without, for counts over time such as the trend).
pub async fn report_data(store: &Store, q: &IncidentQuery, steps: bool) -> StoreResult<ReportData> {
    if steps {
        store.report_data(q).await
    } else {
        Ok(ReportData {
            incidents: store.report_incidents(q).await?,
            steps: Vec::new(),
        })
    }
}

/// The report data of `q` from `base`, read at data version `since`:
/// patched with the incidents changed since when few did (`base` itself
/// when none of them is in it), else read whole.
pub async fn report_data_since(
    store: &Store,
    q: &IncidentQuery,
    base: std::sync::Arc<ReportData>,
    since: i64,
    steps: bool,
) -> StoreResult<std::sync::Arc<ReportData>> {
    match store.changed_incidents_since(since).await? {
        Some(changed) => store.patch_report_data(q, base, &changed, steps).await,
        None => Ok(std::sync::Arc::new(report_data(store, q, steps).await?)),
    }
}

/// How many incidents of these kinds are unresolved (open or contained), whenever they happened.
pub async fn unresolved(store: &Store, kinds: Vec<Kind>) -> StoreResult<i64> {
    let counts = store
        .count_by_severity(&IncidentQuery {
            statuses: vec![Status::Open, Status::Contained],
            kinds,
            ..IncidentQuery::default()
        })
        .await?;
    Ok(counts.iter().map(|(_, n)| n).sum())
}
