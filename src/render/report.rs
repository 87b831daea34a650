//! What the dashboard and the executive briefing say about a set of
//! incidents: counts by severity and status, the stage each attack reached,
//! the techniques and tactics seen most, how the controls fared, and trends
//! against the period before. Pure: built from [`ReportData`] and the active
//! release.

use std::collections::HashMap;

use super::plain;
use super::story::{IMPACT, Icon, step_list};
use crate::atlas::ActiveAtlas;
use crate::domain::{
    Incident, IncidentDetail, Kind, Observation, Outcome, Severity, Status, StepSource,
};
use crate::store::{ReportData, ReportIncident};

/// Severities from the most serious down.
pub const SEVERITIES_DOWN: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Whether an incident still needs work (open or contained).
pub fn is_open(status: Status) -> bool {
    matches!(status, Status::Open | Status::Contained)
}

/// The furthest stage an incident's steps reached, and its path in brief.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub steps: usize,
    /// Tactic ID and matrix position of the furthest stage.
    pub furthest: Option<(String, usize)>,
    pub reached_impact: bool,
    pub prevented: usize,
    pub detected: usize,
    pub missed: usize,
}

fn observation(index: usize, tactic: &str, technique: &str, outcome: Outcome) -> Observation {
    Observation {
        id: format!("step-{index}"),
        incident_id: String::new(),
        position: index as i64 + 1,
        tactic_id: tactic.to_string(),
        technique_id: technique.to_string(),
        observed: None,
        description: String::new(),
        evidence: String::new(),
        confidence: None,
        outcome,
        source: StepSource::Manual,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

impl Reach {
    /// From steps in story order: (tactic, technique, outcome). Counted
    /// directly, as [`super::story::StorySummary::of`] would find them (the furthest stage
    /// is the highest matrix position, its first step among equals; steps in
    /// tactics the release lacks are not placed): the dashboard and briefing
    /// reach every incident of a period, and building each one's story
    /// sentence to keep four numbers cost more than reading the period.
    pub fn of<'a>(
        atlas: &ActiveAtlas,
        steps: impl Iterator<Item = (&'a str, &'a str, Outcome)>,
    ) -> Reach {
        let mut reach = Reach {
            steps: 0,
            furthest: None,
            reached_impact: false,
            prevented: 0,
            detected: 0,
            missed: 0,
        };
        let mut furthest: Option<(&str, usize)> = None;
        for (tactic, _, outcome) in steps {
            reach.steps += 1;
            if let Some(p) = atlas.tactic_position(tactic)
                && furthest.is_none_or(|(_, best)| p > best)
            {
                furthest = Some((tactic, p));
            }
            reach.reached_impact |= tactic == IMPACT;
            match outcome {
                Outcome::Prevented => reach.prevented += 1,
                Outcome::Detected => reach.detected += 1,
                Outcome::Missed => reach.missed += 1,
                Outcome::Unknown => {}
            }
        }
        reach.furthest = furthest.map(|(t, p)| (t.to_string(), p));
        reach
    }

    pub fn of_detail(atlas: &ActiveAtlas, detail: &IncidentDetail) -> Reach {
        let mut steps: Vec<&Observation> = detail.steps.iter().collect();
        steps.sort_by_key(|s| s.position);
        Reach::of(
            atlas,
            steps
                .iter()
                .map(|s| (s.tactic_id.as_str(), s.technique_id.as_str(), s.outcome)),
        )
    }

    /// "Exfiltration (taking data out)", or a note when unknown.
    pub fn stage_words(&self, atlas: &ActiveAtlas) -> String {
        match &self.furthest {
            Some((tactic, _)) => plain::stage_words(atlas, tactic),
            None if self.steps == 0 => "no steps recorded yet".to_string(),
            None => "an unknown stage".to_string(),
        }
    }

    /// "our controls stopped 1 step, caught 2 and missed 3", or a note.
    pub fn controls_words(&self) -> String {
        let mut parts = Vec::new();
        let steps = |n: usize| if n == 1 { "step" } else { "steps" };
        if self.prevented > 0 {
            parts.push(format!(
                "stopped {} {}",
                self.prevented,
                steps(self.prevented)
            ));
        }
        if self.detected > 0 {
            parts.push(format!("caught {}", self.detected));
        }
        if self.missed > 0 {
            parts.push(format!("missed {}", self.missed));
        }
        match parts.len() {
            0 if self.steps == 0 => String::new(),
            0 => "no control outcome is recorded".to_string(),
            _ => {
                let last = parts.pop().unwrap_or_default();
                if parts.is_empty() {
                    format!("our controls {last}")
                } else {
                    format!("our controls {} and {last}", parts.join(", "))
                }
            }
        }
    }
}

/// A technique (sub-techniques counted with their parent) and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueCount {
    pub technique_id: String,
    /// The tactic it was seen under most often.
    pub tactic_id: String,
    pub incidents: usize,
    pub steps: usize,
}

/// A tactic and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TacticCount {
    pub tactic_id: String,
    pub incidents: usize,
    pub steps: usize,
}

/// Everything counted over one period's incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub total: usize,
    /// All incidents by severity, [`SEVERITIES_DOWN`] order.
    pub by_severity: [usize; 4],
    /// Open or contained incidents by severity, [`SEVERITIES_DOWN`] order.
    pub open_by_severity: [usize; 4],
    /// One per incident, in [`ReportData::incidents`] order.
    pub reach: Vec<Reach>,
    pub steps: usize,
    pub prevented: usize,
    pub detected: usize,
    pub missed: usize,
    /// Most incidents first (then most steps, then ID).
    pub techniques: Vec<TechniqueCount>,
    /// Most incidents first.
    pub tactics: Vec<TacticCount>,
    /// Furthest stage reached: (tactic ID, incidents), most first.
    pub stages: Vec<(String, usize)>,
}

fn severity_index(s: Severity) -> usize {
    SEVERITIES_DOWN.iter().position(|x| *x == s).unwrap_or(3)
}

/// The parent technique of a sub-technique ID (`AML.T0051.001` → `AML.T0051`).
pub fn top_level(technique_id: &str) -> &str {
    match technique_id.match_indices('.').nth(1) {
        Some((i, _)) => &technique_id[..i],
        None => technique_id,
    }
}

impl Facts {
    pub fn of(atlas: &ActiveAtlas, data: &ReportData) -> Facts {
        let mut by_severity = [0; 4];
        let mut open_by_severity = [0; 4];
        for i in &data.incidents {
            by_severity[severity_index(i.severity)] += 1;
            if is_open(i.status) {
                open_by_severity[severity_index(i.severity)] += 1;
            }
        }
        let mut reach = Vec::with_capacity(data.incidents.len());
        let mut by_incident: Vec<Vec<&crate::store::ReportStep>> =
            vec![Vec::new(); data.incidents.len()];
        for s in &data.steps {
            if let Some(list) = by_incident.get_mut(s.incident) {
                list.push(s);
            }
        }
        for steps in &by_incident {
            reach.push(Reach::of(
                atlas,
                steps
                    .iter()
                    .map(|s| (s.tactic_id.as_str(), s.technique_id.as_str(), s.outcome)),
            ));
        }

        // Techniques: incidents (distinct) and steps; the tactic seen most
        // under it. Keyed by the data's own strings (owned copies only for
        // the results): a period at 100,000 incidents has 120,000 steps.
        // foldhash, not SipHash: the keys are our own IDs, not a visitor's,
        // and hashing them was about a quarter of the dashboard's time after
        // a write at 100,000 incidents.
        type Fast = foldhash::fast::RandomState;
        struct Tally<'a> {
            incidents: usize,
            steps: usize,
            last: Option<usize>,
            tactics: HashMap<&'a str, usize, Fast>,
        }
        let mut techniques: HashMap<&str, Tally, Fast> = HashMap::default();
        let mut tactics: HashMap<&str, (usize, usize, Option<usize>), Fast> = HashMap::default();
        for s in &data.steps {
            let t = techniques
                .entry(top_level(&s.technique_id))
                .or_insert(Tally {
                    incidents: 0,
                    steps: 0,
                    last: None,
                    tactics: HashMap::default(),
                });
            t.steps += 1;
            if t.last != Some(s.incident) {
                t.incidents += 1;
                t.last = Some(s.incident);
            }
            *t.tactics.entry(s.tactic_id.as_str()).or_default() += 1;
            let x = tactics.entry(s.tactic_id.as_str()).or_default();
            x.1 += 1;
            if x.2 != Some(s.incident) {
                x.0 += 1;
                x.2 = Some(s.incident);
            }
        }
        let mut technique_counts: Vec<TechniqueCount> = techniques
            .into_iter()
            .map(|(id, t)| {
                let mut tactics: Vec<(&str, usize)> = t.tactics.into_iter().collect();
                tactics.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                TechniqueCount {
                    technique_id: id.to_string(),
                    tactic_id: tactics
                        .into_iter()
                        .next()
                        .map(|t| t.0.to_string())
                        .unwrap_or_default(),
                    incidents: t.incidents,
                    steps: t.steps,
                }
            })
            .collect();
        technique_counts.sort_by(|a, b| {
            b.incidents
                .cmp(&a.incidents)
                .then(b.steps.cmp(&a.steps))
                .then_with(|| a.technique_id.cmp(&b.technique_id))
        });
        let mut tactic_counts: Vec<TacticCount> = tactics
            .into_iter()
            .map(|(id, (incidents, steps, _))| TacticCount {
                tactic_id: id.to_string(),
                incidents,
                steps,
            })
            .collect();
        let position = |id: &str| atlas.tactic_position(id).unwrap_or(usize::MAX);
        tactic_counts.sort_by(|a, b| {
            b.incidents
                .cmp(&a.incidents)
                .then(b.steps.cmp(&a.steps))
                .then_with(|| position(&a.tactic_id).cmp(&position(&b.tactic_id)))
        });
        let mut stages: HashMap<String, usize> = HashMap::new();
        for r in &reach {
            if let Some((tactic, _)) = &r.furthest {
                *stages.entry(tactic.clone()).or_default() += 1;
            }
        }
        let mut stages: Vec<(String, usize)> = stages.into_iter().collect();
        stages.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| position(&b.0).cmp(&position(&a.0)))
        });
        let count = |o: Outcome| data.steps.iter().filter(|s| s.outcome == o).count();
        Facts {
            total: data.incidents.len(),
            by_severity,
            open_by_severity,
            steps: data.steps.len(),
            prevented: count(Outcome::Prevented),
            detected: count(Outcome::Detected),
            missed: count(Outcome::Missed),
            reach,
            techniques: technique_counts,
            tactics: tactic_counts,
            stages,
        }
    }

    pub fn serious(&self) -> usize {
        self.by_severity[0] + self.by_severity[1]
    }

    pub fn open(&self) -> usize {
        self.open_by_severity.iter().sum()
    }

    pub fn reached_impact(&self) -> usize {
        self.reach.iter().filter(|r| r.reached_impact).count()
    }

    /// Share of steps with a known outcome that were prevented or detected (0–100).
    pub fn caught_percent(&self) -> Option<f64> {
        let known = self.prevented + self.detected + self.missed;
        (known > 0).then(|| 100.0 * (self.prevented + self.detected) as f64 / known as f64)
    }

    /// Indexes of the most serious incidents: highest severity, then open
    /// before closed, then the furthest stage, then the newest.
    pub fn most_serious(&self, data: &ReportData, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..data.incidents.len()).collect();
        order.sort_by(|&a, &b| {
            let (ia, ib) = (&data.incidents[a], &data.incidents[b]);
            let stage = |i: usize| {
                self.reach
                    .get(i)
                    .and_then(|r| r.furthest.as_ref().map(|f| f.1))
            };
            ib.severity
                .cmp(&ia.severity)
                .then(is_open(ib.status).cmp(&is_open(ia.status)))
                .then(
                    self.reach
                        .get(b)
                        .map(|r| r.reached_impact)
                        .cmp(&self.reach.get(a).map(|r| r.reached_impact)),
                )
                .then(stage(b).cmp(&stage(a)))
                .then_with(|| {
                    let at = |i: &ReportIncident| i.occurred.map(|t| t.at);
                    at(ib).cmp(&at(ia))
                })
                .then_with(|| ia.id.cmp(&ib.id))
        });
        order.truncate(n);
        order
    }
}

/// Which way a number moved, and whether that is good news.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    /// "▲", "▼", "▶" or "" (nothing to compare).
    pub arrow: &'static str,
    /// "up 3 from 5 the 90 days before", "no change from …", "no earlier period to compare".
    pub words: String,
    /// `trend-worse`, `trend-better`, `trend-flat` or `trend-none`.
    pub class: &'static str,
}

impl Trend {
    /// A count now against before; `higher_is_better` picks the colour.
    pub fn count(
        now: usize,
        before: Option<usize>,
        higher_is_better: bool,
        before_words: &str,
    ) -> Trend {
        Trend::of(
            now as f64,
            before.map(|b| b as f64),
            higher_is_better,
            before_words,
            |v| format!("{}", v.round() as i64),
            "",
        )
    }

    /// A percentage now against before (differences in points).
    pub fn percent(
        now: Option<f64>,
        before: Option<f64>,
        higher_is_better: bool,
        before_words: &str,
    ) -> Trend {
        match now {
            None => Trend {
                arrow: "",
                words: "no control outcomes recorded".to_string(),
                class: "trend-none",
            },
            Some(now) => Trend::of(
                now,
                before,
                higher_is_better,
                before_words,
                |v| format!("{}%", v.round() as i64),
                " points",
            ),
        }
    }

    fn of(
        now: f64,
        before: Option<f64>,
        higher_is_better: bool,
        before_words: &str,
        show: impl Fn(f64) -> String,
        unit: &str,
    ) -> Trend {
        let Some(before) = before else {
            return Trend {
                arrow: "",
                words: "no earlier period to compare".to_string(),
                class: "trend-none",
            };
        };
        let diff = (now - before).round();
        if diff == 0.0 {
            return Trend {
                arrow: "▶",
                words: format!("no change from {before_words} ({})", show(before)),
                class: "trend-flat",
            };
        }
        let up = diff > 0.0;
        let amount = format!("{}", diff.abs() as i64);
        Trend {
            arrow: if up { "▲" } else { "▼" },
            words: format!(
                "{} {amount}{unit} from {} {before_words}",
                if up { "up" } else { "down" },
                show(before)
            ),
            class: if up == higher_is_better {
                "trend-better"
            } else {
                "trend-worse"
            },
        }
    }
}

/// One sentence about an incident for leadership.
pub fn incident_sentence(atlas: &ActiveAtlas, incident: &ReportIncident, reach: &Reach) -> String {
    let mut s = String::new();
    if reach.steps == 0 {
        s.push_str("No attack steps are recorded yet");
    } else {
        s.push_str(&format!(
            "The attacker got as far as {} in {} {}",
            reach.stage_words(atlas),
            reach.steps,
            if reach.steps == 1 { "step" } else { "steps" }
        ));
        let controls = reach.controls_words();
        if !controls.is_empty() {
            s.push_str("; ");
            s.push_str(&controls);
        }
    }
    s.push_str(match incident.status {
        Status::Open => ". Still open.",
        Status::Contained => ". Contained, not yet resolved.",
        Status::Resolved => ". Resolved.",
        Status::Closed => ". Closed.",
    });
    s
}

/// The incident of a report as the story renderer wants it (no descriptions).
pub fn as_detail(data: &ReportData, index: usize) -> Option<IncidentDetail> {
    let i = data.incidents.get(index)?;
    let steps = data
        .steps_of(index)
        .enumerate()
        .map(|(n, s)| {
            let mut o = observation(n, &s.tactic_id, &s.technique_id, s.outcome);
            o.position = s.position;
            o.incident_id = i.id.clone();
            o
        })
        .collect();
    Some(IncidentDetail {
        incident: Incident {
            occurred: i.occurred,
            detected: i.detected,
            created_at: i.created_at.clone(),
            updated_at: i.created_at.clone(),
            ..Incident::outline(&i.id, &i.title, i.kind, i.severity, i.status)
        },
        steps,
    })
}

/// One step in a path stage: its number and outcome shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PathStep {
    pub number: usize,
    pub icon: Icon,
    /// "Step 3: missed".
    pub label: String,
}

/// A run of consecutive steps in one tactic: a stage of the attack path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathStage {
    pub name: String,
    pub href: String,
    /// The tactic's plain meaning ("getting in").
    pub plain: String,
    /// "steps 2–3".
    pub steps_words: String,
    pub steps: Vec<PathStep>,
    /// The furthest stage of the path.
    pub furthest: bool,
    /// Stands for stages left out of a long path ("… 4 more stages …").
    pub gap: usize,
}

/// The attack path as stages for people: consecutive steps in the same
/// tactic form one stage. A path longer than `max` stages keeps its first
/// and last stages around one placeholder saying how many are left out.
pub fn path_stages(atlas: &ActiveAtlas, detail: &IncidentDetail, max: usize) -> Vec<PathStage> {
    let mut steps: Vec<&Observation> = detail.steps.iter().collect();
    steps.sort_by_key(|s| s.position);
    let reach = Reach::of_detail(atlas, detail);
    let furthest = reach.furthest.map(|(t, _)| t);
    let mut stages: Vec<(String, Vec<PathStep>)> = Vec::new();
    for (n, s) in steps.iter().enumerate() {
        let step = PathStep {
            number: n + 1,
            icon: Icon::new(s.outcome, 8, 8),
            label: format!("Step {}: {}", n + 1, s.outcome.label().to_lowercase()),
        };
        match stages.last_mut() {
            Some((tactic, list)) if *tactic == s.tactic_id => list.push(step),
            _ => stages.push((s.tactic_id.clone(), vec![step])),
        }
    }
    let mut furthest_marked = false;
    let mut out: Vec<PathStage> = stages
        .into_iter()
        .map(|(tactic, list)| {
            let link = super::Link::tactic(atlas, &tactic);
            let numbers: Vec<usize> = list.iter().map(|s| s.number).collect();
            let is_furthest = !furthest_marked && furthest.as_deref() == Some(tactic.as_str());
            furthest_marked |= is_furthest;
            PathStage {
                name: link.name,
                href: link.href,
                plain: plain::stage(&tactic).unwrap_or_default().to_string(),
                steps_words: step_list(&numbers),
                steps: list,
                furthest: is_furthest,
                gap: 0,
            }
        })
        .collect();
    if max >= 3 && out.len() > max {
        let head = (max - 1) / 2;
        let tail = max - 1 - head;
        let left_out = out.len() - head - tail;
        let rest = out.split_off(out.len() - tail);
        out.truncate(head);
        out.push(PathStage {
            name: String::new(),
            href: String::new(),
            plain: String::new(),
            steps_words: String::new(),
            steps: Vec::new(),
            furthest: false,
            gap: left_out,
        });
        out.extend(rest);
    }
    out
}

/// The kinds a report counts: incidents and exercises, plus ATLAS case studies when asked.
pub fn kinds(case_studies: bool) -> Vec<Kind> {
    if case_studies {
        Kind::ALL.to_vec()
    } else {
        vec![Kind::Incident, Kind::Exercise]
    }
}

/// "steps 3–5" (re-exported for templates).
pub fn steps_words(numbers: &[usize]) -> String {
    step_list(numbers)
}

/// The embedded release as the active one, for unit tests.
#[cfg(test)]
pub mod tests_support {
    use crate::atlas::{ActiveAtlas, ReleaseInfo};

    pub fn atlas() -> ActiveAtlas {
        let release = crate::atlas::catalog::embedded_release();
        let info = ReleaseInfo {
            version: release.version.clone(),
            name: release.name.clone(),
            format: "catalog".into(),
            source: "test".into(),
            imported_at: String::new(),
            is_active: true,
            has_descriptions: false,
            tactic_count: 0,
            technique_count: 0,
            mitigation_count: 0,
            case_study_count: 0,
        };
        ActiveAtlas::new(info, release)
    }
}

#[cfg(test)]
mod tests;
