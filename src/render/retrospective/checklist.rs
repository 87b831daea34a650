//! The mitigation checklist of a retrospective: every ATLAS mitigation (of
//! the active release) that addresses a technique the incident's steps used,
//! with the techniques and steps it addresses and whether the team recorded
//! it as in place. Pure.

use std::collections::HashMap;

use crate::atlas::ActiveAtlas;
use crate::domain::Observation;
use crate::render::Link;
use crate::render::report::top_level;
use crate::render::story::step_list;
use crate::store::Retrospective;

pub use crate::domain::CheckState;

impl CheckState {
    pub fn label(self) -> &'static str {
        match self {
            CheckState::InPlace => "In place",
            CheckState::NotInPlace => "Not in place",
            CheckState::Unreviewed => "Not reviewed yet",
        }
    }

    /// CSS class (`check-in-place`, …).
    pub fn class(self) -> &'static str {
        match self {
            CheckState::InPlace => "check-in-place",
            CheckState::NotInPlace => "check-not-in-place",
            CheckState::Unreviewed => "check-unreviewed",
        }
    }

    /// A mark that reads without colour.
    pub fn mark(self) -> &'static str {
        match self {
            CheckState::InPlace => "✓",
            CheckState::NotInPlace => "✗",
            CheckState::Unreviewed => "?",
        }
    }

    /// The choice's words on the form.
    pub fn choice_label(self) -> &'static str {
        match self {
            CheckState::InPlace => "In place",
            CheckState::NotInPlace => "Not in place",
            CheckState::Unreviewed => "Not reviewed",
        }
    }
}

/// An observed technique a mitigation addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressed {
    pub technique: Link,
    /// "steps 2 and 4".
    pub steps: String,
}

/// One row of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub mitigation: Link,
    pub addresses: Vec<Addressed>,
    pub state: CheckState,
    pub note: String,
    /// "alice, 2025-11-24 14:05 UTC" for a saved row.
    pub changed: Option<String>,
    /// Saved as "not in place" by the old two-state checklist, unconfirmed.
    pub unconfirmed: bool,
    /// A form-safe key for the row's fields (`AML.M0004`).
    pub field: String,
    /// The choice the form shows (none for an unconfirmed row, so saving
    /// the form leaves it as it is).
    pub choice: Option<CheckState>,
}

impl CheckRow {
    /// Whether the form shows `state` chosen.
    pub fn chosen(&self, state: &CheckState) -> bool {
        self.choice == Some(*state)
    }

    /// Whether the form shows a choice other than the saved state (after a refused save).
    pub fn unsaved(&self) -> bool {
        self.choice.is_some_and(|c| c != self.state)
    }
}

/// The checklist and the observed techniques no mitigation addresses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checklist {
    pub rows: Vec<CheckRow>,
    pub unaddressed: Vec<Link>,
}

impl Checklist {
    pub fn build(atlas: &ActiveAtlas, steps: &[Observation], saved: &Retrospective) -> Checklist {
        let mut steps: Vec<&Observation> = steps.iter().collect();
        steps.sort_by_key(|s| s.position);
        // Observed techniques in story order, with their step numbers.
        let mut techniques: Vec<(String, Vec<usize>)> = Vec::new();
        for (n, s) in steps.iter().enumerate() {
            match techniques.iter_mut().find(|(id, _)| *id == s.technique_id) {
                Some((_, list)) => list.push(n + 1),
                None => techniques.push((s.technique_id.clone(), vec![n + 1])),
            }
        }
        let mut order: Vec<String> = Vec::new();
        let mut addressed: HashMap<String, Vec<Addressed>> = HashMap::new();
        let mut unaddressed = Vec::new();
        for (technique, numbers) in &techniques {
            let mut ids: Vec<String> = atlas
                .mitigations_for(technique)
                .map(|m| m.id.clone())
                .collect();
            let parent = top_level(technique);
            if parent != technique {
                for m in atlas.mitigations_for(parent) {
                    if !ids.contains(&m.id) {
                        ids.push(m.id.clone());
                    }
                }
            }
            if ids.is_empty() {
                unaddressed.push(Link::technique(atlas, technique));
            }
            for id in ids {
                if !order.contains(&id) {
                    order.push(id.clone());
                }
                addressed.entry(id).or_default().push(Addressed {
                    technique: Link::technique(atlas, technique),
                    steps: step_list(numbers),
                });
            }
        }
        let rows = order
            .into_iter()
            .map(|id| {
                let check = saved.check(&id);
                let state = check.map_or(CheckState::Unreviewed, |c| c.state);
                let unconfirmed = check.is_some_and(|c| c.unconfirmed);
                CheckRow {
                    mitigation: Link::mitigation(atlas, &id),
                    addresses: addressed.remove(&id).unwrap_or_default(),
                    state,
                    note: check.map(|c| c.note.clone()).unwrap_or_default(),
                    changed: check.filter(|c| !c.updated_at.is_empty()).map(|c| {
                        format!(
                            "{}, {}",
                            c.updated_by,
                            crate::render::timestamp(&c.updated_at)
                        )
                    }),
                    choice: (!unconfirmed).then_some(state),
                    unconfirmed,
                    field: id,
                }
            })
            .collect();
        Checklist { rows, unaddressed }
    }

    pub fn count(&self, state: CheckState) -> usize {
        self.rows.iter().filter(|r| r.state == state).count()
    }

    pub fn in_place(&self) -> usize {
        self.count(CheckState::InPlace)
    }

    pub fn not_in_place(&self) -> usize {
        self.count(CheckState::NotInPlace)
    }

    pub fn unreviewed(&self) -> usize {
        self.count(CheckState::Unreviewed)
    }

    /// Rows saved as "not in place" by the old checklist and not confirmed since.
    pub fn unconfirmed(&self) -> usize {
        self.rows.iter().filter(|r| r.unconfirmed).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Outcome, StepSource};
    use crate::render::report::tests_support::atlas;
    use crate::store::MitigationCheck;

    fn step(n: i64, tactic: &str, technique: &str) -> Observation {
        Observation {
            id: format!("s{n}"),
            incident_id: "i".into(),
            position: n,
            tactic_id: tactic.into(),
            technique_id: technique.into(),
            observed: None,
            description: String::new(),
            evidence: String::new(),
            confidence: None,
            outcome: Outcome::Missed,
            source: StepSource::Manual,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn every_mitigation_of_every_observed_technique_is_listed_once() {
        let atlas = atlas();
        let steps = vec![
            step(1, "AML.TA0000", "AML.T0040"),
            step(2, "AML.TA0005", "AML.T0051.000"),
            step(3, "AML.TA0000", "AML.T0040"),
        ];
        let saved = Retrospective {
            checklist: vec![MitigationCheck {
                mitigation_id: "AML.M0019".into(),
                state: CheckState::InPlace,
                unconfirmed: false,
                note: "API keys per client".into(),
                updated_at: "2025-11-24T14:05:00Z".into(),
                updated_by: "alice".into(),
            }],
            ..Retrospective::default()
        };
        let list = Checklist::build(&atlas, &steps, &saved);
        let mut expected: Vec<String> = atlas
            .mitigations_for("AML.T0040")
            .map(|m| m.id.clone())
            .collect();
        for m in atlas
            .mitigations_for("AML.T0051.000")
            .chain(atlas.mitigations_for("AML.T0051"))
        {
            if !expected.contains(&m.id) {
                expected.push(m.id.clone());
            }
        }
        let ids: Vec<&str> = list.rows.iter().map(|r| r.mitigation.id.as_str()).collect();
        assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!ids.is_empty());
        let limit = list
            .rows
            .iter()
            .find(|r| r.mitigation.id == "AML.M0019")
            .expect("M0019 addresses T0040");
        assert_eq!(limit.state, CheckState::InPlace);
        assert_eq!(limit.choice, Some(CheckState::InPlace));
        assert_eq!(limit.note, "API keys per client");
        assert_eq!(
            limit.changed.as_deref(),
            Some("alice, 2025-11-24 14:05 UTC")
        );
        assert_eq!(limit.addresses[0].steps, "steps 1 and 3");
        assert_eq!(list.in_place(), 1);
        assert_eq!(list.unreviewed(), list.rows.len() - 1);
    }

    #[test]
    fn techniques_without_mitigations_are_named() {
        let atlas = atlas();
        let steps = vec![step(1, "AML.TA0002", "AML.T9999")];
        let list = Checklist::build(&atlas, &steps, &Retrospective::default());
        assert!(list.rows.is_empty());
        assert_eq!(list.unaddressed[0].id, "AML.T9999");
    }
}
