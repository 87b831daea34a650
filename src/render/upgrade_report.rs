//! The report of an ATLAS upgrade, planned (a dry run) or applied: what
//! happens to each step of each incident.

use crate::service::upgrade::{StepChange, UpgradePlan, UpgradeSummary};

/// Incidents shown in full on a report page; the CLI prints every one.
pub const SHOWN: usize = 500;

pub struct UpgradeStepView {
    pub position: i64,
    pub tactic_id: String,
    pub technique_id: String,
    pub technique_name: String,
    pub kind: &'static str,
    pub label: &'static str,
    pub text: String,
    pub flagged: bool,
}

pub struct UpgradeIncidentView {
    pub id: String,
    pub title: String,
    pub from_release: String,
    pub flagged: usize,
    pub steps: Vec<UpgradeStepView>,
}

pub struct UpgradeReportView {
    /// `None` for a dry run; the stored upgrade otherwise.
    pub applied: Option<AppliedView>,
    pub to_release: String,
    pub summary: String,
    pub summary_counts: UpgradeSummary,
    pub digest: String,
    pub changed: Vec<UpgradeIncidentView>,
    /// Incidents whose steps all stay as they are.
    pub unchanged: Vec<(String, String, String)>,
    pub hidden: usize,
}

pub struct AppliedView {
    pub id: String,
    pub at: String,
    pub actor: String,
}

fn label(kind: &str) -> &'static str {
    match kind {
        "unchanged" => "unchanged",
        "renamed" => "renamed",
        "tactic_mismatch" => "tactic no longer served",
        "remapped" => "remapped to successor",
        _ => "retired, no successor",
    }
}

impl UpgradeReportView {
    pub fn build(plan: &UpgradePlan, applied: Option<AppliedView>) -> Self {
        let mut changed = Vec::new();
        let mut unchanged = Vec::new();
        let mut hidden = 0;
        for inc in &plan.incidents {
            let all_same = inc.steps.iter().all(|s| s.change == StepChange::Unchanged);
            if all_same {
                if unchanged.len() < SHOWN {
                    unchanged.push((inc.id.clone(), inc.title.clone(), inc.from_release.clone()));
                } else {
                    hidden += 1;
                }
                continue;
            }
            if changed.len() >= SHOWN {
                hidden += 1;
                continue;
            }
            changed.push(UpgradeIncidentView {
                id: inc.id.clone(),
                title: inc.title.clone(),
                from_release: inc.from_release.clone(),
                flagged: inc.flagged(),
                steps: inc
                    .steps
                    .iter()
                    .map(|s| UpgradeStepView {
                        position: s.position,
                        tactic_id: s.tactic_id.clone(),
                        technique_id: s.technique_id.clone(),
                        technique_name: s.technique_name.clone(),
                        kind: s.kind(),
                        label: label(s.kind()),
                        text: s.describe(),
                        flagged: s.flagged(),
                    })
                    .collect(),
            });
        }
        UpgradeReportView {
            applied,
            to_release: plan.to_release.clone(),
            summary: plan.summary.to_string(),
            summary_counts: plan.summary.clone(),
            digest: plan.digest(),
            changed,
            unchanged,
            hidden,
        }
    }
}
