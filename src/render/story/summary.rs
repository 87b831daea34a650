//! The path in plain words: the milestones, the furthest stage reached, the
//! control outcomes and where the times run backwards.

use super::theme::INK_SOFT;
use crate::atlas::ActiveAtlas;
use crate::domain::{Observation, Outcome};

pub const INITIAL_ACCESS: &str = "AML.TA0004";
/// AI Attack Staging: every step here is an "AI attack staging" milestone.
pub const AI_ATTACK_STAGING: &str = "AML.TA0001";
/// Impact: the last step here is the "final impact" milestone.
pub const IMPACT: &str = "AML.TA0011";

/// A milestone of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneKind {
    /// The first step in Initial Access.
    InitialAccess,
    /// A step in AI Attack Staging.
    Staging,
    /// The last step in Impact.
    Impact,
    /// The last step, when no step reached Impact.
    LastStage,
}

impl MilestoneKind {
    pub fn label(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "Initial access",
            MilestoneKind::Staging => "AI attack staging",
            MilestoneKind::Impact => "Final impact",
            MilestoneKind::LastStage => "Last stage",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "story-ms-initial",
            MilestoneKind::Staging => "story-ms-staging",
            MilestoneKind::Impact => "story-ms-impact",
            MilestoneKind::LastStage => "story-ms-last",
        }
    }

    pub(super) fn colour(self) -> &'static str {
        match self {
            MilestoneKind::InitialAccess => "#6d28d9",
            MilestoneKind::Staging => "#a16207",
            MilestoneKind::Impact => "#be123c",
            MilestoneKind::LastStage => INK_SOFT,
        }
    }
}

/// A tactic reached at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRef {
    pub tactic_id: String,
    pub name: String,
    /// 1-based step number.
    pub step: usize,
}

/// The path in plain words and the facts behind them (step numbers are 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorySummary {
    pub steps: usize,
    /// The tactic furthest along the matrix that a step reached (its first step there).
    pub furthest: Option<StageRef>,
    pub initial_access: Option<usize>,
    pub staging: Vec<usize>,
    pub impact: Option<usize>,
    /// The tactic of the last step.
    pub last: Option<StageRef>,
    pub prevented: Vec<usize>,
    pub detected: Vec<usize>,
    pub missed: Vec<usize>,
    /// Where the times run backwards: (step, the earlier step it comes
    /// before). A step runs backwards when its whole stated period ends
    /// before an earlier step's begins (periods that overlap are in order).
    pub backwards: Vec<TimeReversal>,
    /// "Reached Exfiltration; AI attack staging in steps 3–5; detected at step 4."
    pub sentence: String,
}

/// A step whose time comes before an earlier step's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeReversal {
    pub step: usize,
    pub time: String,
    pub earlier_step: usize,
    pub earlier_time: String,
}

impl TimeReversal {
    /// "Times run backwards at step 3: 2024-05-01 is before step 2 (2024-06-02)."
    pub fn words(&self) -> String {
        format!(
            "Times run backwards at step {}: {} is before step {} ({}).",
            self.step, self.time, self.earlier_step, self.earlier_time
        )
    }
}

/// The steps (numbered from 1, in story order) whose stated period ends
/// before an earlier step's begins, each with the latest-starting earlier step.
pub fn time_reversals(steps: &[&Observation]) -> Vec<TimeReversal> {
    let mut out = Vec::new();
    let mut latest: Option<(usize, crate::domain::FuzzyTime)> = None;
    for (i, s) in steps.iter().enumerate() {
        let Some(t) = s.observed else { continue };
        if let Some((n, before)) = latest
            && t.end() <= before.at
        {
            out.push(TimeReversal {
                step: i + 1,
                time: t.display(),
                earlier_step: n,
                earlier_time: before.display(),
            });
        }
        if latest.is_none_or(|(_, before)| t.at > before.at) {
            latest = Some((i + 1, t));
        }
    }
    out
}

impl StorySummary {
    pub fn of(atlas: &ActiveAtlas, steps: &[&Observation]) -> StorySummary {
        let name = |id: &str| tactic_name(atlas, id);
        let numbered = || steps.iter().enumerate().map(|(i, s)| (i + 1, *s));
        let furthest = numbered()
            .filter_map(|(n, s)| atlas.tactic_position(&s.tactic_id).map(|p| (p, n, s)))
            // Highest position; among equals the earliest step.
            .fold(
                None::<(usize, usize, &Observation)>,
                |best, cur| match best {
                    Some(b) if b.0 >= cur.0 => Some(b),
                    _ => Some(cur),
                },
            )
            .map(|(_, n, s)| StageRef {
                tactic_id: s.tactic_id.clone(),
                name: name(&s.tactic_id),
                step: n,
            });
        let in_tactic = |tactic: &str| -> Vec<usize> {
            numbered()
                .filter(|(_, s)| s.tactic_id == tactic)
                .map(|(n, _)| n)
                .collect()
        };
        let with_outcome = |o: Outcome| -> Vec<usize> {
            numbered()
                .filter(|(_, s)| s.outcome == o)
                .map(|(n, _)| n)
                .collect()
        };
        let last = steps.last().map(|s| StageRef {
            tactic_id: s.tactic_id.clone(),
            name: name(&s.tactic_id),
            step: steps.len(),
        });
        let mut summary = StorySummary {
            steps: steps.len(),
            furthest,
            initial_access: in_tactic(INITIAL_ACCESS).first().copied(),
            staging: in_tactic(AI_ATTACK_STAGING),
            impact: in_tactic(IMPACT).last().copied(),
            last,
            prevented: with_outcome(Outcome::Prevented),
            detected: with_outcome(Outcome::Detected),
            missed: with_outcome(Outcome::Missed),
            backwards: time_reversals(steps),
            sentence: String::new(),
        };
        summary.sentence = summary.words();
        summary
    }

    fn words(&self) -> String {
        if self.steps == 0 {
            return "No steps recorded yet.".to_string();
        }
        let mut parts: Vec<String> = Vec::new();
        parts.push(match &self.furthest {
            Some(f) => format!("reached {}", f.name),
            None => "furthest stage unknown (no step is in a tactic of the active ATLAS release)"
                .to_string(),
        });
        if let Some(n) = self.initial_access {
            parts.push(format!("initial access at step {n}"));
        }
        if !self.staging.is_empty() {
            parts.push(format!("AI attack staging in {}", step_list(&self.staging)));
        }
        match (self.impact, &self.last) {
            (Some(n), _) => parts.push(format!("final impact at step {n}")),
            (None, Some(last)) => parts.push(format!(
                "no impact recorded (last stage: {} at step {})",
                last.name, last.step
            )),
            (None, None) => {}
        }
        let outcomes = [
            ("prevented", &self.prevented),
            ("detected", &self.detected),
            ("missed", &self.missed),
        ];
        let mut any = false;
        for (word, list) in outcomes {
            if !list.is_empty() {
                any = true;
                parts.push(format!("{word} at {}", step_list(list)));
            }
        }
        if !any {
            parts.push("no control outcome recorded".to_string());
        }
        let mut sentence = parts.join("; ");
        if let Some(first) = sentence.get(..1) {
            let upper = first.to_uppercase();
            sentence.replace_range(..1, &upper);
        }
        sentence.push('.');
        sentence
    }
}

/// "step 3", "steps 3–5", "steps 1–3, 5 and 7–8".
pub fn step_list(numbers: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let texts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    let word = if numbers.len() == 1 { "step" } else { "steps" };
    match texts.as_slice() {
        [] => String::new(),
        [one] => format!("{word} {one}"),
        [init @ .., last] => format!("{word} {} and {last}", init.join(", ")),
    }
}

pub(super) fn tactic_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .tactic(id)
        .map_or_else(|| id.to_string(), |t| t.name.clone())
}

pub(super) fn technique_name(atlas: &ActiveAtlas, id: &str) -> String {
    atlas
        .technique(id)
        .map_or_else(|| id.to_string(), |t| atlas.display_name(t))
}
