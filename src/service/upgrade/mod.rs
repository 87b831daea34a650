//! Upgrading incidents to a newer ATLAS release. ATLAS IDs are the contract:
//! an upgrade never drops a step or silently changes what it says. Each step
//! is reported as unchanged, renamed, no longer serving its tactic (kept and
//! flagged), retired with a successor (remapped, the old ID kept in the
//! step's history) or retired without one (kept on the catalog of the last
//! release that has it, flagged).
//!
//! [`plan`] is a pure function of the stored release model, so it works
//! whatever format the releases were imported from; [`preview`] gathers its
//! inputs from the store, [`apply`] writes a plan in one audited transaction.

mod plan;
mod successors;

pub use plan::{
    Elsewhere, IncidentPlan, Rename, StepChange, StepPlan, UpgradePlan, UpgradeSummary, plan,
};
pub use successors::{SuccessorInput, Who, clear_successor, set_successor, successor_table};

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::ServiceError;
use crate::atlas::Release;
use crate::atlas::version::compare_versions;
use crate::domain::ValidationError;
use crate::store::{
    AuditEvent, IncidentUpgrade, ReviewWrite, StepUpgrade, Store, UpgradeCandidate, UpgradeRecord,
    UpgradeWrite, new_id,
};

async fn target_release(store: &Store, to: &str) -> Result<Release, ServiceError> {
    let to = to.trim();
    if to.is_empty() {
        return Err(ValidationError::new("to", "name the release to upgrade to").into());
    }
    let shown: String = to.chars().take(40).collect();
    store.load_release(to).await?.ok_or_else(|| {
        ValidationError::new(
            "to",
            format!("ATLAS release {shown} is not stored: import it first"),
        )
        .into()
    })
}

/// Gathers what [`plan`] needs for incidents mapped to releases that
/// `keep` accepts (by version), and plans against `target`.
async fn plan_from_store(
    store: &Store,
    target: &Release,
    keep: impl Fn(&str) -> bool,
    progress: impl FnMut(usize),
) -> Result<UpgradePlan, ServiceError> {
    let candidates: Vec<UpgradeCandidate> = store
        .upgrade_candidates(&target.version)
        .await?
        .into_iter()
        .filter(|c| keep(&c.atlas_release))
        .collect();
    let mut releases: HashMap<String, Release> = HashMap::new();
    let mut elsewhere: Elsewhere = HashMap::new();
    for c in &candidates {
        if !releases.contains_key(&c.atlas_release)
            && let Some(r) = store.load_release(&c.atlas_release).await?
        {
            releases.insert(c.atlas_release.clone(), r);
        }
        for s in &c.steps {
            if target.technique(&s.technique_id).is_none()
                && !elsewhere.contains_key(&s.technique_id)
                && let Some(found) = store.find_technique_anywhere(&s.technique_id).await?
            {
                elsewhere.insert(s.technique_id.clone(), found);
            }
        }
    }
    let table = successor_table(store).await?;
    Ok(plan(
        &candidates,
        &releases,
        target,
        &table,
        &elsewhere,
        progress,
    ))
}

/// The dry run: what upgrading every incident on an older release to `to`
/// would do. Writes nothing.
pub async fn preview(
    store: &Store,
    to: &str,
    progress: impl FnMut(usize),
) -> Result<UpgradePlan, ServiceError> {
    let target = target_release(store, to).await?;
    let version = target.version.clone();
    plan_from_store(
        store,
        &target,
        |v| compare_versions(v, &version) == std::cmp::Ordering::Less,
        progress,
    )
    .await
}

/// Writes a plan in one transaction, with its report and audit entry.
/// Returns the stored upgrade's ID, or `None` when no incident needed it
/// (then nothing is written).
pub async fn apply(
    store: &Store,
    plan: &UpgradePlan,
    who: &Who,
    progress: impl FnMut(usize),
) -> Result<Option<String>, ServiceError> {
    if plan.incidents.is_empty() {
        return Ok(None);
    }
    let id = new_id("upg-");
    let report = serde_json::to_string(plan).map_err(|e| {
        crate::store::StoreError::Corrupt(format!("the upgrade report could not be encoded: {e}"))
    })?;
    let write = UpgradeWrite {
        id: id.clone(),
        actor: who.actor.clone(),
        to_release: plan.to_release.clone(),
        incident_count: plan.summary.incidents as i64,
        step_count: plan.summary.steps as i64,
        flagged: plan.summary.flagged as i64,
        summary: plan.summary.to_string(),
        report,
        incidents: plan
            .incidents
            .iter()
            .map(|inc| IncidentUpgrade {
                id: inc.id.clone(),
                from_release: inc.from_release.clone(),
                version: inc.version,
                steps: inc
                    .steps
                    .iter()
                    .filter(|s| s.change != StepChange::Unchanged)
                    .map(step_write)
                    .collect(),
            })
            .collect(),
    };
    let audit = AuditEvent {
        actor: who.actor.clone(),
        action: "atlas.upgrade",
        target: plan.to_release.clone(),
        detail: format!("upgrade {id}: {}", plan.summary),
        ip: who.ip.clone(),
    };
    store.apply_upgrade(&write, &audit, progress).await?;
    Ok(Some(id))
}

fn step_write(s: &StepPlan) -> StepUpgrade {
    let review = s.flagged().then(|| ReviewWrite {
        reason: s.kind(),
        message: s.describe(),
        catalog_release: match &s.change {
            StepChange::Retired { kept_in } => Some(kept_in.clone()),
            _ => None,
        },
    });
    StepUpgrade {
        step_id: s.step_id.clone(),
        tactic_id: s.tactic_id.clone(),
        technique_id: s.technique_id.clone(),
        new_technique_id: s.new_technique_id().to_string(),
        change: s.kind(),
        note: s.describe(),
        review,
    }
}

/// One technique's effect on our incidents in a release comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImpactRow {
    pub technique: String,
    pub name: String,
    /// As [`StepPlan::kind`].
    pub change: &'static str,
    pub incidents: usize,
    pub steps: usize,
    /// The incidents list filtered to the technique.
    pub href: String,
}

/// "What this changes for our incidents": the upgrade of the incidents
/// mapped to `from` to `to`, summed up by technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Impact {
    pub summary: UpgradeSummary,
    pub techniques: Vec<ImpactRow>,
}

pub async fn diff_impact(store: &Store, from: &str, to: &Release) -> Result<Impact, ServiceError> {
    let plan = plan_from_store(store, to, |v| v == from, |_| {}).await?;
    let mut rows: BTreeMap<
        (String, &'static str),
        (String, std::collections::HashSet<String>, usize),
    > = BTreeMap::new();
    for inc in &plan.incidents {
        for s in inc
            .steps
            .iter()
            .filter(|s| s.change != StepChange::Unchanged)
        {
            let row = rows
                .entry((s.technique_id.clone(), s.kind()))
                .or_insert_with(|| (s.technique_name.clone(), Default::default(), 0));
            row.1.insert(inc.id.clone());
            row.2 += 1;
        }
    }
    let techniques = rows
        .into_iter()
        .map(
            |((technique, change), (name, incidents, steps))| ImpactRow {
                href: format!(
                    "/incidents?{}",
                    serde_html_form::to_string([("technique", &technique)]).unwrap_or_default()
                ),
                technique,
                name,
                change,
                incidents: incidents.len(),
                steps,
            },
        )
        .collect();
    Ok(Impact {
        summary: plan.summary,
        techniques,
    })
}

/// The upgrades applied, newest first.
pub async fn list(store: &Store) -> Result<Vec<UpgradeRecord>, crate::store::StoreError> {
    store.list_upgrades().await
}

/// One applied upgrade and its stored report (JSON).
pub async fn get(
    store: &Store,
    id: &str,
) -> Result<Option<(UpgradeRecord, String)>, crate::store::StoreError> {
    store.get_upgrade(id).await
}
