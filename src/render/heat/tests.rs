//! Unit tests of the heat scale and the matrix scores.

use super::*;
use crate::store::CellAggregate;

fn hit(incident: u32, position: u32) -> StepHit {
    StepHit { incident, position }
}

fn cell(tactic: &str, technique: &str, hits: Vec<StepHit>) -> CellAggregate {
    CellAggregate {
        tactic_id: tactic.into(),
        technique_id: technique.into(),
        hits,
    }
}

fn key(t: &str, x: &str) -> CellKey {
    CellKey {
        tactic_id: t.into(),
        technique_id: x.into(),
    }
}

fn aggregate() -> MatrixAggregate {
    MatrixAggregate {
        incident_total: 3,
        incidents: ["newest", "middle", "oldest"]
            .iter()
            .map(|t| {
                std::sync::Arc::new(AggregateIncident {
                    id: format!("inc-{t}"),
                    title: t.to_string(),
                    occurred_at: None,
                })
            })
            .collect(),
        cells: vec![
            // Parent: incident 0 twice, incident 1 once.
            cell("TA1", "T1", vec![hit(0, 1), hit(0, 3), hit(1, 2)]),
            // Sub under the same tactic: incidents 1 and 2.
            cell("TA1", "T1.000", vec![hit(1, 1), hit(2, 4)]),
            // The same sub under a tactic its parent does not serve.
            cell("TA2", "T1.000", vec![hit(2, 5)]),
        ],
        step_total: 6,
    }
}

fn parent(tactic: &str, technique: &str) -> Option<&'static str> {
    (technique == "T1.000" && tactic == "TA1").then_some("T1")
}

#[test]
fn scores_count_distinct_incidents_and_steps() {
    let s = Scores::build(&aggregate(), Metric::Incidents, false, parent);
    let t1 = s.get(&key("TA1", "T1")).expect("T1");
    assert_eq!((t1.incidents, t1.steps), (2, 3));
    let sub = s.get(&key("TA1", "T1.000")).expect("sub");
    assert_eq!((sub.incidents, sub.steps), (2, 2));
    assert_eq!(s.max, 2);
    let steps = Scores::build(&aggregate(), Metric::Steps, false, parent);
    assert_eq!(steps.value(&key("TA1", "T1")), 3);
    assert_eq!(steps.max, 3);
    assert_eq!(steps.value(&key("TA9", "T1")), 0);
}

#[test]
fn rollup_adds_subtechniques_to_their_parent_in_the_same_column() {
    let s = Scores::build(&aggregate(), Metric::Incidents, true, parent);
    let t1 = s.get(&key("TA1", "T1")).expect("T1");
    // Incidents 0, 1 (counted once) and 2; 3 + 2 steps.
    assert_eq!((t1.incidents, t1.steps), (3, 5));
    // The sub keeps its own score; the orphan column is untouched.
    assert_eq!(s.value(&key("TA1", "T1.000")), 2);
    assert_eq!(s.value(&key("TA2", "T1.000")), 1);
    assert!(s.get(&key("TA2", "T1")).is_none());
    assert_eq!(t1.incident_indexes(), [0, 1, 2]);
}

#[test]
fn levels_and_legend_agree_for_every_score() {
    for max in 1..=60usize {
        let legend = legend(max);
        assert!(!legend.is_empty());
        assert_eq!(legend.first().map(|e| e.from), Some(1));
        assert_eq!(legend.last().map(|e| (e.level, e.to)), Some((5, max)));
        for s in 1..=max {
            let l = level(s, max);
            let entry = legend
                .iter()
                .find(|e| e.level == l)
                .unwrap_or_else(|| panic!("max {max}, score {s}: level {l} not in legend"));
            assert!(
                (entry.from..=entry.to).contains(&s),
                "max {max}, score {s} in {entry:?}"
            );
        }
        // Ranges are contiguous and ascending.
        for pair in legend.windows(2) {
            assert_eq!(pair[0].to + 1, pair[1].from, "max {max}");
            assert!(pair[0].level < pair[1].level);
        }
    }
    assert_eq!(level(0, 10), 0);
    assert_eq!(level(3, 0), 0);
    assert_eq!(level(1, 10), 1);
    assert_eq!(level(10, 10), 5);
    assert_eq!(level(11, 10), 5);
    let l = legend(10);
    let ranges: Vec<String> = l.iter().map(LegendEntry::range).collect();
    assert_eq!(ranges, ["1–2", "3–4", "5–6", "7–8", "9–10"]);
    let one = legend(1);
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].level, one[0].range()), (5, "1".to_string()));
    assert_eq!(
        legend(2).iter().map(|e| e.level).collect::<Vec<_>>(),
        [3, 5]
    );
    assert!(legend(0).is_empty());
}

/// The distribution: a technique seen once looked like one seen
/// 1,000 times. On the default (log) scale every order of magnitude has
/// its own level; the linear scale is still there on request.
#[test]
fn a_skewed_distribution_gets_five_distinct_levels_by_default() {
    let scores = [1usize, 10, 100, 1_000, 8_000];
    let max = 8_000;
    let log: Vec<u8> = scores
        .iter()
        .map(|&s| Scale::default().level(s, max))
        .collect();
    assert_eq!(log, [1, 2, 3, 4, 5]);
    let linear: Vec<u8> = scores
        .iter()
        .map(|&s| Scale::Linear.level(s, max))
        .collect();
    assert_eq!(linear, [1, 1, 1, 1, 5]);
    let ranges: Vec<String> = Scale::Log
        .legend(max)
        .iter()
        .map(LegendEntry::range)
        .collect();
    assert_eq!(ranges, ["1–5", "6–35", "36–218", "219–1324", "1325–8000"]);
    assert_eq!(Scale::parse("linear"), Some(Scale::Linear));
    assert_eq!(Scale::parse("log"), Some(Scale::Log));
    assert_eq!(Scale::parse("quadratic"), None);
}

#[test]
fn every_scale_agrees_with_its_legend_for_every_score() {
    for scale in Scale::ALL {
        for max in (1..=300usize).chain([999, 1_000, 9_999, 99_999, 100_000]) {
            let legend = scale.legend(max);
            assert_eq!(legend.first().map(|e| e.from), Some(1), "{scale:?} {max}");
            assert_eq!(legend.last().map(|e| (e.level, e.to)), Some((5, max)));
            for pair in legend.windows(2) {
                assert_eq!(pair[0].to + 1, pair[1].from, "{scale:?} {max}");
                assert!(pair[0].level < pair[1].level);
            }
            let probe: Vec<usize> = if max <= 300 {
                (1..=max).collect()
            } else {
                legend.iter().flat_map(|e| [e.from, e.to]).collect()
            };
            for s in probe {
                let l = scale.level(s, max);
                let entry = legend.iter().find(|e| e.level == l).unwrap_or_else(|| {
                    panic!("{scale:?} max {max}, score {s}: level {l} not in legend")
                });
                assert!((entry.from..=entry.to).contains(&s), "{scale:?} {max} {s}");
            }
        }
        assert_eq!(scale.level(0, 10), 0);
        assert!(scale.legend(0).is_empty());
    }
    // Exact powers are not lost to rounding: 10^5 - 1 has 10 - 1 as its first bound.
    assert_eq!(Scale::Log.bounds(99_999)[0], 9);
    // A single score is the darkest level on both scales.
    assert_eq!(Scale::Log.level(1, 1), 5);
}

#[test]
fn tooltips_name_newest_incidents_with_step_numbers() {
    let agg = aggregate();
    let s = Scores::build(&agg, Metric::Incidents, true, parent);
    let t1 = s.get(&key("TA1", "T1")).expect("T1");
    assert_eq!(
        tooltip(t1, &agg.incidents),
        "3 incidents, 5 steps: newest (steps 1, 3); middle (steps 1, 2); and 1 more"
    );
    let many = CellScore::of((0..5).map(|i| hit(i, 1)).collect());
    let incidents: Vec<std::sync::Arc<AggregateIncident>> = (0..5)
        .map(|i| {
            std::sync::Arc::new(AggregateIncident {
                id: format!("i{i}"),
                title: "x".repeat(60),
                occurred_at: None,
            })
        })
        .collect();
    let text = tooltip(&many, &incidents);
    assert!(text.ends_with("; and 3 more"), "{text}");
    assert!(
        text.contains(&format!("{}… (step 1)", "x".repeat(43))),
        "{text}"
    );
}

#[test]
fn highlights_carry_badge_bucket_and_a_non_colour_marker() {
    let agg = aggregate();
    let s = Scores::build(&agg, Metric::Steps, false, parent);
    let h = cell_highlight(s.get(&key("TA1", "T1")).expect("T1"), &s, &agg.incidents);
    assert_eq!((h.level, h.badge.as_deref()), (5, Some("3")));
    assert_eq!(h.markers[0].kind, "level-5");
    assert_eq!(pips(2), "●●○○○");
}

#[test]
fn search_matches_every_word_in_id_or_name() {
    let names = vec![
        ("AML.T0015", "Evade AI Model".to_string()),
        ("AML.T0051.000", "LLM Prompt Injection: Direct".to_string()),
        ("AML.T0051", "LLM Prompt Injection".to_string()),
    ];
    let s = TechniqueSearch::new("prompt direct", names.clone().into_iter());
    assert!(s.matches("AML.T0051.000"));
    assert!(!s.matches("AML.T0051"));
    let s = TechniqueSearch::new("t0015", names.clone().into_iter());
    assert_eq!(s.ids.len(), 1);
    let s = TechniqueSearch::new("   ", names.into_iter());
    assert!(s.ids.is_empty());
}

#[test]
fn search_finds_techniques_by_earlier_names_and_says_which() {
    let names = vec![
        ("AML.T0056", "Extract LLM System Prompt".to_string()),
        ("AML.T0051", "LLM Prompt Injection".to_string()),
    ];
    let earlier = vec![
        (
            "AML.T0056".to_string(),
            "LLM Meta Prompt Extraction".to_string(),
        ),
        ("AML.T0051".to_string(), "LLM Prompt Injection".to_string()),
    ];
    let s = TechniqueSearch::with_earlier(
        "meta prompt extraction",
        names.clone().into_iter(),
        &earlier,
    );
    assert!(s.matches("AML.T0056"));
    assert!(!s.matches("AML.T0051"));
    assert_eq!(s.earlier["AML.T0056"], "LLM Meta Prompt Extraction");
    // A current-name hit is not reported as an earlier-name one.
    let s = TechniqueSearch::with_earlier("prompt", names.into_iter(), &earlier);
    assert!(s.matches("AML.T0056") && s.matches("AML.T0051"));
    assert!(s.earlier.is_empty());
}
