//! The upgrade plan: a pure function of the stored release model that says
//! what upgrading each incident's steps to a newer release does, so it works
//! whatever format the releases were imported from.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::atlas::successors::SuccessorTable;
use crate::atlas::{Release, Technique};
use crate::store::UpgradeCandidate;

/// An old and a new name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    pub old: String,
    pub new: String,
}

/// What an upgrade does to one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepChange {
    Unchanged,
    /// Same IDs; the technique's or the tactic's name changed.
    Renamed {
        technique: Option<Rename>,
        tactic: Option<Rename>,
    },
    /// The technique is kept but no longer serves the step's tactic in the
    /// new release: flagged for review, with the tactics it does serve.
    TacticMismatch {
        candidates: Vec<String>,
    },
    /// Retired with a known successor: the step now uses `successor` (the old
    /// ID is kept in the step's history). `candidates` is non-empty when the
    /// successor does not serve the step's tactic (then it is flagged too).
    Remapped {
        successor: String,
        new_name: String,
        candidates: Vec<String>,
    },
    /// Retired without a successor: the step keeps its ID, described by the
    /// catalog of `kept_in` (the newest stored release that has it); flagged.
    Retired {
        kept_in: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPlan {
    pub step_id: String,
    pub position: i64,
    pub tactic_id: String,
    pub technique_id: String,
    /// The technique's display name as the incident's release has it.
    pub technique_name: String,
    pub change: StepChange,
}

impl StepPlan {
    pub fn kind(&self) -> &'static str {
        match self.change {
            StepChange::Unchanged => "unchanged",
            StepChange::Renamed { .. } => "renamed",
            StepChange::TacticMismatch { .. } => "tactic_mismatch",
            StepChange::Remapped { .. } => "remapped",
            StepChange::Retired { .. } => "retired",
        }
    }

    /// Whether a person should look at the step after the upgrade.
    pub fn flagged(&self) -> bool {
        match &self.change {
            StepChange::Unchanged | StepChange::Renamed { .. } => false,
            StepChange::Remapped { candidates, .. } => !candidates.is_empty(),
            StepChange::TacticMismatch { .. } | StepChange::Retired { .. } => true,
        }
    }

    /// The technique the step uses after the upgrade.
    pub fn new_technique_id(&self) -> &str {
        match &self.change {
            StepChange::Remapped { successor, .. } => successor,
            _ => &self.technique_id,
        }
    }

    /// One line saying what happens, for the CLI, the pages and the history.
    pub fn describe(&self) -> String {
        let t = &self.technique_id;
        match &self.change {
            StepChange::Unchanged => format!("{t} unchanged"),
            StepChange::Renamed { technique, tactic } => {
                let mut parts = Vec::new();
                if let Some(r) = technique {
                    parts.push(format!("{t} renamed “{}” → “{}”", r.old, r.new));
                }
                if let Some(r) = tactic {
                    parts.push(format!(
                        "tactic {} renamed “{}” → “{}”",
                        self.tactic_id, r.old, r.new
                    ));
                }
                parts.join("; ")
            }
            StepChange::TacticMismatch { candidates } => format!(
                "{t} no longer serves {}: kept, flagged for review (it serves {})",
                self.tactic_id,
                list_or_none(candidates)
            ),
            StepChange::Remapped {
                successor,
                new_name,
                candidates,
            } => {
                let mut line = format!(
                    "{t} retired: remapped to its successor {successor} “{new_name}” (old ID kept in the step's history)"
                );
                if !candidates.is_empty() {
                    line.push_str(&format!(
                        "; {successor} does not serve {}: flagged for review (it serves {})",
                        self.tactic_id,
                        candidates.join(", ")
                    ));
                }
                line
            }
            StepChange::Retired { kept_in } => format!(
                "{t} retired without a known successor: kept on the {kept_in} catalog, flagged for review"
            ),
        }
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "no tactic".to_string()
    } else {
        items.join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPlan {
    pub id: String,
    pub title: String,
    pub from_release: String,
    /// The incident's version the plan was made from.
    pub version: i64,
    pub steps: Vec<StepPlan>,
}

impl IncidentPlan {
    pub fn flagged(&self) -> usize {
        self.steps.iter().filter(|s| s.flagged()).count()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpgradeSummary {
    pub incidents: usize,
    pub steps: usize,
    pub unchanged: usize,
    pub renamed: usize,
    pub tactic_mismatch: usize,
    pub remapped: usize,
    pub retired: usize,
    pub flagged: usize,
    /// The releases the incidents move from, with how many incidents each.
    pub from_releases: BTreeMap<String, usize>,
}

impl std::fmt::Display for UpgradeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} incident{}, {} step{}: {} unchanged, {} renamed, {} no longer serving their tactic, {} remapped to a successor, {} retired without successor; {} flagged for review",
            self.incidents,
            if self.incidents == 1 { "" } else { "s" },
            self.steps,
            if self.steps == 1 { "" } else { "s" },
            self.unchanged,
            self.renamed,
            self.tactic_mismatch,
            self.remapped,
            self.retired,
            self.flagged
        )
    }
}

/// The report of an upgrade, made before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradePlan {
    pub to_release: String,
    pub summary: UpgradeSummary,
    pub incidents: Vec<IncidentPlan>,
}

impl UpgradePlan {
    /// A digest of what the plan would write: a preview shown to the admin
    /// is applied only if the plan made again at apply time is the same.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(&(&self.to_release, &self.incidents)).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// The whole report as text (the CLI prints it).
    pub fn report_text(&self) -> String {
        let mut out = String::new();
        for inc in &self.incidents {
            out.push_str(&format!(
                "{} “{}”: {} → {}\n",
                inc.id, inc.title, inc.from_release, self.to_release
            ));
            if inc.steps.is_empty() {
                out.push_str("  (no steps)\n");
            }
            for s in &inc.steps {
                out.push_str(&format!(
                    "  step {} [{}] {}{}\n",
                    s.position,
                    s.kind(),
                    s.describe(),
                    if s.flagged() { "  ⚑" } else { "" }
                ));
            }
        }
        out
    }
}

/// The technique as it last stood in a stored release, for IDs the target
/// release lacks: (release, technique).
pub type Elsewhere = HashMap<String, (String, Technique)>;

/// Plans the upgrade of `incidents` (already chosen: mapped to releases
/// older than `target`) to `target`. `releases` holds the incidents' own
/// releases by version; `elsewhere` the newest stored release of each
/// technique the target lacks. `progress` is told how many incidents are done.
pub fn plan(
    incidents: &[UpgradeCandidate],
    releases: &HashMap<String, Release>,
    target: &Release,
    successors: &SuccessorTable,
    elsewhere: &Elsewhere,
    mut progress: impl FnMut(usize),
) -> UpgradePlan {
    let mut summary = UpgradeSummary::default();
    let mut planned = Vec::with_capacity(incidents.len());
    for (n, inc) in incidents.iter().enumerate() {
        let old = releases.get(&inc.atlas_release);
        let steps: Vec<StepPlan> = inc
            .steps
            .iter()
            .map(|s| plan_step(s, old, target, successors, elsewhere))
            .collect();
        summary.incidents += 1;
        *summary
            .from_releases
            .entry(inc.atlas_release.clone())
            .or_default() += 1;
        for s in &steps {
            summary.steps += 1;
            match s.change {
                StepChange::Unchanged => summary.unchanged += 1,
                StepChange::Renamed { .. } => summary.renamed += 1,
                StepChange::TacticMismatch { .. } => summary.tactic_mismatch += 1,
                StepChange::Remapped { .. } => summary.remapped += 1,
                StepChange::Retired { .. } => summary.retired += 1,
            }
            if s.flagged() {
                summary.flagged += 1;
            }
        }
        planned.push(IncidentPlan {
            id: inc.id.clone(),
            title: inc.title.clone(),
            from_release: inc.atlas_release.clone(),
            version: inc.version,
            steps,
        });
        progress(n + 1);
    }
    UpgradePlan {
        to_release: target.version.clone(),
        summary,
        incidents: planned,
    }
}

fn plan_step(
    step: &crate::store::CandidateStep,
    old: Option<&Release>,
    target: &Release,
    successors: &SuccessorTable,
    elsewhere: &Elsewhere,
) -> StepPlan {
    let id = &step.technique_id;
    let old_name = old
        .and_then(|r| r.technique(id).map(|t| r.display_name(t)))
        .or_else(|| elsewhere.get(id).map(|(_, t)| t.name.clone()))
        .unwrap_or_else(|| id.clone());
    let serves = |t: &Technique| {
        target.tactic(&step.tactic_id).is_some() && t.tactics.contains(&step.tactic_id)
    };
    let change = if let Some(t) = target.technique(id) {
        if !serves(t) {
            StepChange::TacticMismatch {
                candidates: t.tactics.clone(),
            }
        } else {
            let new_name = target.display_name(t);
            let technique = (old_name != new_name && old_name != *id).then(|| Rename {
                old: old_name.clone(),
                new: new_name,
            });
            let tactic = match (
                old.and_then(|r| r.tactic(&step.tactic_id)),
                target.tactic(&step.tactic_id),
            ) {
                (Some(a), Some(b)) if a.name != b.name => Some(Rename {
                    old: a.name.clone(),
                    new: b.name.clone(),
                }),
                _ => None,
            };
            if technique.is_none() && tactic.is_none() {
                StepChange::Unchanged
            } else {
                StepChange::Renamed { technique, tactic }
            }
        }
    } else if let Some((successor, t)) = successors
        .resolve(id, |s| target.technique(s).is_some())
        .and_then(|s| target.technique(&s).map(|t| (s, t)))
    {
        StepChange::Remapped {
            new_name: target.display_name(t),
            candidates: if serves(t) {
                Vec::new()
            } else {
                t.tactics.clone()
            },
            successor,
        }
    } else {
        StepChange::Retired {
            kept_in: elsewhere
                .get(id)
                .map(|(v, _)| v.clone())
                .or_else(|| old.map(|r| r.version.clone()))
                .unwrap_or_default(),
        }
    };
    StepPlan {
        step_id: step.id.clone(),
        position: step.position,
        tactic_id: step.tactic_id.clone(),
        technique_id: id.clone(),
        technique_name: old_name,
        change,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::successors::Successor;
    use crate::atlas::{SourceFormat, Tactic};
    use crate::store::CandidateStep;

    fn technique(id: &str, name: &str, tactics: &[&str]) -> Technique {
        Technique {
            id: id.into(),
            name: name.into(),
            description: None,
            parent: None,
            tactics: tactics.iter().map(|t| t.to_string()).collect(),
            maturity: None,
            platforms: Vec::new(),
            attack_ref: None,
        }
    }

    fn release(version: &str, tactics: &[(&str, &str)], techniques: Vec<Technique>) -> Release {
        Release {
            version: version.into(),
            name: "t".into(),
            format: SourceFormat::Legacy,
            tactics: tactics
                .iter()
                .map(|(id, name)| Tactic::named(id, name))
                .collect(),
            techniques,
            mitigations: Vec::new(),
            case_studies: Vec::new(),
        }
    }

    fn step(n: i64, tactic: &str, technique: &str) -> CandidateStep {
        CandidateStep {
            id: format!("step-{n}"),
            incident_id: "inc-1".into(),
            position: n,
            tactic_id: tactic.into(),
            technique_id: technique.into(),
        }
    }

    #[test]
    fn each_step_gets_the_right_outcome() {
        let old = release(
            "1.0.0",
            &[("AML.TA0001", "ML Attack Staging"), ("AML.TA0002", "Recon")],
            vec![
                technique("AML.T0001", "Same", &["AML.TA0002"]),
                technique("AML.T0002", "Old Name", &["AML.TA0002"]),
                technique("AML.T0003", "Moves", &["AML.TA0002"]),
                technique("AML.T0019", "Retired", &["AML.TA0002"]),
                technique("AML.T0020", "Gone", &["AML.TA0002"]),
                technique("AML.T0005", "Staging", &["AML.TA0001"]),
            ],
        );
        let new = release(
            "2.0.0",
            &[("AML.TA0001", "AI Attack Staging"), ("AML.TA0002", "Recon")],
            vec![
                technique("AML.T0001", "Same", &["AML.TA0002"]),
                technique("AML.T0002", "New Name", &["AML.TA0002"]),
                technique("AML.T0003", "Moves", &["AML.TA0001"]),
                technique("AML.T0005", "Staging", &["AML.TA0001"]),
                technique("AML.T0115", "Successor", &["AML.TA0002"]),
            ],
        );
        let table = SuccessorTable::new(
            &[Successor {
                technique: "AML.T0019".into(),
                successor: Some("AML.T0115".into()),
                release: String::new(),
                note: String::new(),
            }],
            &[],
        );
        let inc = UpgradeCandidate {
            id: "inc-1".into(),
            title: "t".into(),
            atlas_release: "1.0.0".into(),
            version: 3,
            steps: vec![
                step(1, "AML.TA0002", "AML.T0001"),
                step(2, "AML.TA0002", "AML.T0002"),
                step(3, "AML.TA0002", "AML.T0003"),
                step(4, "AML.TA0002", "AML.T0019"),
                step(5, "AML.TA0002", "AML.T0020"),
                step(6, "AML.TA0001", "AML.T0005"),
            ],
        };
        let mut elsewhere = Elsewhere::new();
        elsewhere.insert(
            "AML.T0020".into(),
            (
                "1.0.0".into(),
                technique("AML.T0020", "Gone", &["AML.TA0002"]),
            ),
        );
        let releases = HashMap::from([("1.0.0".to_string(), old)]);
        let mut seen = 0;
        let p = plan(&[inc], &releases, &new, &table, &elsewhere, |n| seen = n);
        assert_eq!(seen, 1);
        let kinds: Vec<&str> = p.incidents[0].steps.iter().map(|s| s.kind()).collect();
        assert_eq!(
            kinds,
            [
                "unchanged",
                "renamed",
                "tactic_mismatch",
                "remapped",
                "retired",
                "renamed"
            ]
        );
        let steps = &p.incidents[0].steps;
        assert_eq!(
            steps[1].change,
            StepChange::Renamed {
                technique: Some(Rename {
                    old: "Old Name".into(),
                    new: "New Name".into()
                }),
                tactic: None
            }
        );
        assert_eq!(
            steps[2].change,
            StepChange::TacticMismatch {
                candidates: vec!["AML.TA0001".into()]
            }
        );
        assert_eq!(steps[3].new_technique_id(), "AML.T0115");
        assert!(
            !steps[3].flagged(),
            "the successor serves the step's tactic"
        );
        assert_eq!(
            steps[4].change,
            StepChange::Retired {
                kept_in: "1.0.0".into()
            }
        );
        assert_eq!(
            steps[5].change,
            StepChange::Renamed {
                technique: None,
                tactic: Some(Rename {
                    old: "ML Attack Staging".into(),
                    new: "AI Attack Staging".into()
                })
            }
        );
        let s = &p.summary;
        assert_eq!(
            (
                s.incidents,
                s.steps,
                s.unchanged,
                s.renamed,
                s.tactic_mismatch,
                s.remapped,
                s.retired,
                s.flagged
            ),
            (1, 6, 1, 2, 1, 1, 1, 2)
        );
        assert!(
            p.report_text()
                .contains("AML.T0020 retired without a known successor")
        );
        // The digest changes with what would be written.
        let mut other = p.clone();
        other.incidents[0].version = 4;
        assert_ne!(p.digest(), other.digest());
    }

    #[test]
    fn a_successor_that_serves_another_tactic_is_remapped_and_flagged() {
        let old = release(
            "1.0.0",
            &[("AML.TA0002", "Recon"), ("AML.TA0003", "Resources")],
            vec![technique("AML.T0019", "Retired", &["AML.TA0003"])],
        );
        let new = release(
            "3.0.0",
            &[("AML.TA0002", "Recon"), ("AML.TA0003", "Resources")],
            vec![technique("AML.T0200", "Twice moved", &["AML.TA0002"])],
        );
        // Two hops: AML.T0019 → AML.T0115 (itself gone) → AML.T0200.
        let entry = |from: &str, to: &str| Successor {
            technique: from.into(),
            successor: Some(to.into()),
            release: String::new(),
            note: String::new(),
        };
        let table = SuccessorTable::new(
            &[
                entry("AML.T0019", "AML.T0115"),
                entry("AML.T0115", "AML.T0200"),
            ],
            &[],
        );
        let inc = UpgradeCandidate {
            id: "inc-1".into(),
            title: "t".into(),
            atlas_release: "1.0.0".into(),
            version: 1,
            steps: vec![step(1, "AML.TA0003", "AML.T0019")],
        };
        let releases = HashMap::from([("1.0.0".to_string(), old)]);
        let p = plan(&[inc], &releases, &new, &table, &Elsewhere::new(), |_| {});
        let s = &p.incidents[0].steps[0];
        assert_eq!(
            s.change,
            StepChange::Remapped {
                successor: "AML.T0200".into(),
                new_name: "Twice moved".into(),
                candidates: vec!["AML.TA0002".into()],
            }
        );
        assert!(s.flagged());
        assert_eq!(s.new_technique_id(), "AML.T0200");
        assert!(
            s.describe()
                .contains("AML.T0200 does not serve AML.TA0003: flagged for review")
        );
        assert_eq!((p.summary.remapped, p.summary.flagged), (1, 1));
    }
}
