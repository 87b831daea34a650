//! Unit tests of the report facts, trends and paths.

use super::tests_support::atlas;
use super::*;
use crate::domain::FuzzyTime;
use crate::store::ReportStep;

fn incident(id: &str, severity: Severity, status: Status, occurred: &str) -> ReportIncident {
    ReportIncident {
        id: id.into(),
        title: format!("Incident {id}"),
        kind: Kind::Incident,
        severity,
        status,
        occurred: Some(FuzzyTime::parse(occurred).unwrap()),
        detected: None,
        created_at: "2025-01-01T00:00:00Z".into(),
    }
}

fn step(
    incident: usize,
    position: i64,
    tactic: &str,
    technique: &str,
    outcome: Outcome,
) -> ReportStep {
    ReportStep {
        incident,
        position,
        tactic_id: tactic.into(),
        technique_id: technique.into(),
        outcome,
    }
}

fn data() -> ReportData {
    use Outcome::*;
    ReportData {
        incidents: vec![
            incident("a", Severity::Medium, Status::Open, "2025-11-01"),
            incident("b", Severity::Critical, Status::Resolved, "2025-10-01"),
            incident("c", Severity::Critical, Status::Open, "2025-09-01"),
            incident("d", Severity::Low, Status::Closed, "2025-08-01"),
        ],
        steps: vec![
            step(0, 1, "AML.TA0004", "AML.T0052", Prevented),
            step(1, 1, "AML.TA0000", "AML.T0040", Unknown),
            step(1, 2, "AML.TA0005", "AML.T0051.000", Detected),
            step(1, 3, "AML.TA0010", "AML.T0057", Missed),
            step(2, 1, "AML.TA0005", "AML.T0051.001", Missed),
            step(2, 2, "AML.TA0011", "AML.T0048", Missed),
        ],
    }
}

#[test]
fn facts_count_severities_stages_and_techniques() {
    let atlas = atlas();
    let d = data();
    let f = Facts::of(&atlas, &d);
    assert_eq!(f.total, 4);
    assert_eq!(f.by_severity, [2, 0, 1, 1]);
    assert_eq!(f.open_by_severity, [1, 0, 1, 0]);
    assert_eq!(f.serious(), 2);
    assert_eq!(f.reached_impact(), 1);
    assert_eq!((f.prevented, f.detected, f.missed), (1, 1, 3));
    assert_eq!(f.caught_percent().map(|p| p.round()), Some(40.0));
    // Prompt injection: two incidents (sub-techniques roll up), under Execution.
    assert_eq!(f.techniques[0].technique_id, "AML.T0051");
    assert_eq!(f.techniques[0].incidents, 2);
    assert_eq!(f.techniques[0].tactic_id, "AML.TA0005");
    assert_eq!(f.tactics[0].tactic_id, "AML.TA0005");
    // Furthest stages: Initial Access, Exfiltration, Impact once each;
    // ties go to the later stage first.
    let stages: Vec<&str> = f.stages.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(stages, ["AML.TA0011", "AML.TA0010", "AML.TA0004"]);
    assert_eq!(f.reach[3].steps, 0);
    assert_eq!(f.reach[3].furthest, None);
    // Critical first, open before resolved.
    assert_eq!(f.most_serious(&d, 3), vec![2, 1, 0]);
}

#[test]
fn sentences_are_plain() {
    let atlas = atlas();
    let d = data();
    let f = Facts::of(&atlas, &d);
    assert_eq!(
        incident_sentence(&atlas, &d.incidents[1], &f.reach[1]),
        "The attacker got as far as Exfiltration (taking data out) in 3 steps; our controls caught 1 and missed 1. Resolved."
    );
    assert_eq!(
        incident_sentence(&atlas, &d.incidents[3], &f.reach[3]),
        "No attack steps are recorded yet. Closed."
    );
    assert_eq!(f.reach[0].controls_words(), "our controls stopped 1 step");
}

#[test]
fn trends_say_it_in_words() {
    let t = Trend::count(5, Some(3), false, "the 90 days before");
    assert_eq!(
        (t.arrow, t.words.as_str(), t.class),
        ("▲", "up 2 from 3 the 90 days before", "trend-worse")
    );
    let t = Trend::count(1, Some(3), false, "before");
    assert_eq!((t.arrow, t.class), ("▼", "trend-better"));
    assert_eq!(
        Trend::count(3, Some(3), true, "before").words,
        "no change from before (3)"
    );
    assert_eq!(Trend::count(3, None, true, "before").class, "trend-none");
    let p = Trend::percent(Some(75.0), Some(50.0), true, "before");
    assert_eq!(p.words, "up 25 points from 50% before");
    assert_eq!(p.class, "trend-better");
}

#[test]
fn sub_techniques_roll_up() {
    assert_eq!(top_level("AML.T0051.001"), "AML.T0051");
    assert_eq!(top_level("AML.T0051"), "AML.T0051");
}

#[test]
fn paths_group_consecutive_steps_by_tactic() {
    let atlas = atlas();
    let d = data();
    let mut detail = as_detail(&d, 1).unwrap();
    let stages = path_stages(&atlas, &detail, 12);
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["AI Model Access", "Execution", "Exfiltration"]);
    assert!(stages[2].furthest && !stages[0].furthest);
    assert_eq!(stages[1].steps_words, "step 2");
    assert_eq!(stages[2].steps[0].label, "Step 3: missed");
    // A long path keeps its ends around one placeholder.
    let template = detail.steps[0].clone();
    detail.steps = (0..20)
        .map(|i| {
            let mut s = template.clone();
            s.position = i + 1;
            s.tactic_id = if i % 2 == 0 {
                "AML.TA0002"
            } else {
                "AML.TA0003"
            }
            .into();
            s
        })
        .collect();
    let stages = path_stages(&atlas, &detail, 7);
    assert_eq!(stages.len(), 7);
    assert_eq!(stages[3].gap, 14);
    assert_eq!(stages[6].steps[0].number, 20);
}

#[test]
fn a_report_incident_becomes_a_story() {
    let d = data();
    let detail = as_detail(&d, 1).unwrap();
    assert_eq!(detail.steps.len(), 3);
    assert_eq!(detail.steps[2].technique_id, "AML.T0057");
    assert!(as_detail(&d, 9).is_none());
}

/// `Reach::of` counts what the story summary finds, for every path of up
/// to four steps over tactics early, late, repeated and unknown to the release.
#[test]
fn reach_counts_what_the_story_summary_finds() {
    use crate::render::story::StorySummary;
    let atlas = atlas();
    let tactics = [
        "AML.TA0002",
        "AML.TA0004",
        "AML.TA0011",
        "AML.TA0010",
        "AML.TA9999",
    ];
    let mut paths: Vec<Vec<(&str, Outcome)>> = vec![vec![]];
    for _ in 0..4 {
        let longer: Vec<Vec<(&str, Outcome)>> = paths
            .iter()
            .filter(|p| p.len() == paths.last().map_or(0, Vec::len))
            .flat_map(|p| {
                tactics.iter().enumerate().map(move |(n, t)| {
                    let mut q = p.clone();
                    q.push((*t, Outcome::ALL[(n + p.len()) % Outcome::ALL.len()]));
                    q
                })
            })
            .collect();
        paths.extend(longer);
    }
    assert!(paths.len() > 700, "{} paths", paths.len());
    for path in &paths {
        let reach = Reach::of(&atlas, path.iter().map(|(t, o)| (*t, "AML.T0000", *o)));
        let owned: Vec<Observation> = path
            .iter()
            .enumerate()
            .map(|(i, (t, o))| observation(i, t, "AML.T0000", *o))
            .collect();
        let refs: Vec<&Observation> = owned.iter().collect();
        let summary = StorySummary::of(&atlas, &refs);
        let furthest = summary.furthest.as_ref().map(|f| {
            (
                f.tactic_id.clone(),
                atlas.tactic_position(&f.tactic_id).unwrap(),
            )
        });
        assert_eq!(reach.steps, summary.steps, "{path:?}");
        assert_eq!(reach.furthest, furthest, "{path:?}");
        assert_eq!(reach.reached_impact, summary.impact.is_some(), "{path:?}");
        assert_eq!(reach.prevented, summary.prevented.len(), "{path:?}");
        assert_eq!(reach.detected, summary.detected.len(), "{path:?}");
        assert_eq!(reach.missed, summary.missed.len(), "{path:?}");
    }
}
