//! Unit tests of the story: layout, summary, wrapping and the collision check.

use super::theme::{LANE_W, MIN_WIDTH, NAME_MAX_LINES};
use super::*;
use crate::atlas::ActiveAtlas;
use crate::atlas::{Release, ReleaseInfo, SourceFormat, Tactic, Technique};
use crate::domain::{FuzzyTime, Incident, Kind, Severity, Status, StepSource};
use crate::domain::{IncidentDetail, Observation, Outcome};
use crate::render::measure::{Face, text_width};

const TACTICS: &[(&str, &str)] = &[
    ("AML.TA0002", "Reconnaissance"),
    ("AML.TA0003", "Resource Development"),
    ("AML.TA0004", "Initial Access"),
    ("AML.TA0000", "AI Model Access"),
    ("AML.TA0005", "Execution"),
    ("AML.TA0006", "Persistence"),
    ("AML.TA0012", "Privilege Escalation"),
    ("AML.TA0007", "Defense Evasion"),
    ("AML.TA0013", "Credential Access"),
    ("AML.TA0008", "Discovery"),
    ("AML.TA0015", "Lateral Movement"),
    ("AML.TA0009", "Collection"),
    ("AML.TA0001", "AI Attack Staging"),
    ("AML.TA0014", "Command and Control"),
    ("AML.TA0010", "Exfiltration"),
    ("AML.TA0011", "Impact"),
];

fn atlas() -> ActiveAtlas {
    let tactics = TACTICS
        .iter()
        .map(|(id, name)| Tactic::named(id, name))
        .collect();
    let technique = |id: &str, name: &str, parent: Option<&str>, tactic: &str| Technique {
        id: id.to_string(),
        name: name.to_string(),
        description: None,
        parent: parent.map(str::to_string),
        tactics: vec![tactic.to_string()],
        maturity: None,
        attack_ref: None,
        platforms: Vec::new(),
    };
    let techniques = vec![
        technique(
            "AML.T0000",
            "Search Open Technical Databases",
            None,
            "AML.TA0002",
        ),
        technique(
            "AML.T0000.001",
            "Journals and Conference Proceedings",
            Some("AML.T0000"),
            "AML.TA0002",
        ),
        technique(
            "AML.T0093",
            "Prompt Infiltration via Public-Facing Application",
            None,
            "AML.TA0004",
        ),
        technique("AML.T0043", "Craft Adversarial Data", None, "AML.TA0001"),
        technique(
            "AML.T0043.003",
            "Manual Modification",
            Some("AML.T0043"),
            "AML.TA0001",
        ),
        technique("AML.T0042", "Verify Attack", None, "AML.TA0001"),
        technique("AML.T0015", "Evade AI Model", None, "AML.TA0007"),
        technique(
            "AML.T0024",
            "Exfiltration via AI Inference API",
            None,
            "AML.TA0010",
        ),
        technique("AML.T0048", "External Harms", None, "AML.TA0011"),
        technique(
            "AML.T0086",
            "Exfiltration via AI Agent Tool Invocation",
            None,
            "AML.TA0010",
        ),
        technique("AML.T0051", "LLM Prompt Injection", None, "AML.TA0005"),
    ];
    let release = Release {
        version: "test".to_string(),
        name: "test".to_string(),
        format: SourceFormat::Legacy,
        tactics,
        techniques,
        mitigations: vec![],
        case_studies: vec![],
    };
    let info = ReleaseInfo {
        version: "test".to_string(),
        name: "test".to_string(),
        format: "legacy".to_string(),
        source: "test".to_string(),
        imported_at: String::new(),
        is_active: true,
        has_descriptions: true,
        tactic_count: 16,
        technique_count: 11,
        mitigation_count: 0,
        case_study_count: 0,
    };
    ActiveAtlas::new(info, release)
}

fn incident(title: &str, steps: &[(&str, &str, Outcome)]) -> IncidentDetail {
    let incident = Incident {
        atlas_release: "test".to_string(),
        version: 1,
        ..Incident::outline(
            "inc-test",
            title,
            Kind::Incident,
            Severity::High,
            Status::Open,
        )
    };
    let steps = steps
        .iter()
        .enumerate()
        .map(|(i, (tactic, technique, outcome))| Observation {
            id: format!("stp-{i}"),
            incident_id: "inc-test".to_string(),
            position: i as i64 + 1,
            tactic_id: tactic.to_string(),
            technique_id: technique.to_string(),
            observed: None,
            description: String::new(),
            evidence: String::new(),
            confidence: None,
            outcome: *outcome,
            source: StepSource::Manual,
            created_at: String::new(),
            updated_at: String::new(),
        })
        .collect();
    IncidentDetail { incident, steps }
}

use Outcome::{Detected, Missed, Prevented, Unknown};

/// AML.CS0000's path.
fn cs0000() -> IncidentDetail {
    incident(
        "Evasion of Deep Learning Detector for Malware C&C Traffic",
        &[
            ("AML.TA0002", "AML.T0000.001", Unknown),
            ("AML.TA0003", "AML.T0002.000", Unknown),
            ("AML.TA0001", "AML.T0005", Unknown),
            ("AML.TA0001", "AML.T0043.003", Unknown),
            ("AML.TA0001", "AML.T0042", Unknown),
            ("AML.TA0007", "AML.T0015", Unknown),
        ],
    )
}

fn build(detail: &IncidentDetail, lanes: LaneMode) -> StoryLayout {
    StoryLayout::build(
        &atlas(),
        detail,
        StoryOptions {
            lanes,
            titled: true,
        },
    )
}

fn assert_clean(layout: &StoryLayout) {
    let problems = layout.collisions();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn lanes_are_the_reached_tactics_in_matrix_order() {
    let layout = build(&cs0000(), LaneMode::Reached);
    let lanes: Vec<&str> = layout.lanes.iter().map(|l| l.tactic_id.as_str()).collect();
    // Defense Evasion comes before AI Attack Staging in the matrix.
    assert_eq!(
        lanes,
        ["AML.TA0002", "AML.TA0003", "AML.TA0007", "AML.TA0001"]
    );
    assert_eq!(layout.lanes[3].name, "AI Attack Staging");
    assert_eq!(layout.lanes[3].steps, [3, 4, 5]);
    // Lanes run left to right without gaps or overlaps.
    for pair in layout.lanes.windows(2) {
        assert_eq!(pair[0].x + pair[0].width, pair[1].x);
    }
    assert_clean(&layout);
}

#[test]
fn all_lanes_show_every_tactic_and_mark_the_reached_ones() {
    let layout = build(&cs0000(), LaneMode::All);
    assert_eq!(layout.lanes.len(), 16);
    let ids: Vec<&str> = layout.lanes.iter().map(|l| l.tactic_id.as_str()).collect();
    let expected: Vec<&str> = TACTICS.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, expected);
    let reached: Vec<&str> = layout
        .lanes
        .iter()
        .filter(|l| l.reached)
        .map(|l| l.tactic_id.as_str())
        .collect();
    assert_eq!(
        reached,
        ["AML.TA0002", "AML.TA0003", "AML.TA0007", "AML.TA0001"]
    );
    // Lanes without steps are narrower, but their names still fit.
    let empty = &layout.lanes[2];
    assert!(!empty.reached && empty.width < LANE_W, "{}", empty.width);
    assert_clean(&layout);
}

#[test]
fn nodes_follow_story_order_in_their_lanes_with_one_arrow_between_each_pair() {
    let layout = build(&cs0000(), LaneMode::Reached);
    let numbers: Vec<usize> = layout.nodes.iter().map(|n| n.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    let lanes: Vec<&str> = layout
        .nodes
        .iter()
        .map(|n| layout.lanes[n.lane].tactic_id.as_str())
        .collect();
    assert_eq!(
        lanes,
        [
            "AML.TA0002",
            "AML.TA0003",
            "AML.TA0001",
            "AML.TA0001",
            "AML.TA0001",
            "AML.TA0007"
        ]
    );
    for pair in layout.nodes.windows(2) {
        assert!(
            pair[1].y > pair[0].bottom(),
            "each step lower than the last"
        );
    }
    let arrows: Vec<(usize, usize)> = layout.arrows.iter().map(|a| (a.from, a.to)).collect();
    assert_eq!(arrows, [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]);
    for a in &layout.arrows {
        let from = &layout.nodes[a.from - 1];
        let to = &layout.nodes[a.to - 1];
        assert_eq!(a.points.first(), Some(&(from.center_x(), from.bottom())));
        let tip = *a.points.last().unwrap();
        assert_eq!(tip.0, to.center_x());
        assert!((to.y - 2..=to.y).contains(&tip.1), "{tip:?} at {}", to.y);
    }
    // Techniques are named as "Parent: Child"; an unknown one by its ID.
    assert_eq!(
        layout.nodes[0].technique_name,
        "Search Open Technical Databases: Journals and Conference Proceedings"
    );
    assert_eq!(layout.nodes[1].technique_name, "AML.T0002.000");
    assert_clean(&layout);
}

#[test]
fn repeated_tactics_stay_in_one_lane_one_row_each() {
    let detail = incident(
        "Repeated",
        &[
            ("AML.TA0005", "AML.T0051", Missed),
            ("AML.TA0005", "AML.T0051", Missed),
            ("AML.TA0005", "AML.T0051", Detected),
            ("AML.TA0010", "AML.T0024", Prevented),
            ("AML.TA0005", "AML.T0051", Missed),
        ],
    );
    let layout = build(&detail, LaneMode::Reached);
    assert_eq!(layout.lanes.len(), 2);
    let execution = &layout.lanes[0];
    assert_eq!(execution.steps, [1, 2, 3, 5]);
    let xs: Vec<i32> = layout.nodes.iter().map(|n| n.x).collect();
    assert_eq!(xs[0], xs[1]);
    assert_eq!(xs[1], xs[2]);
    assert_eq!(xs[0], xs[4]);
    assert_ne!(xs[0], xs[3]);
    // Same-lane arrows run straight down; others turn between the rows.
    assert_eq!(layout.arrows[0].points.len(), 2);
    assert_eq!(layout.arrows[2].points.len(), 4);
    let s = &layout.summary;
    assert_eq!(s.detected, [3]);
    assert_eq!(s.prevented, [4]);
    assert_eq!(s.missed, [1, 2, 5]);
    assert_eq!(
        s.sentence,
        "Reached Exfiltration; no impact recorded (last stage: Execution at step 5); \
         prevented at step 4; detected at step 3; missed at steps 1–2 and 5."
    );
    assert_clean(&layout);
}

#[test]
fn milestones_and_the_furthest_stage_read_in_plain_words() {
    let detail = incident(
        "Full path",
        &[
            ("AML.TA0002", "AML.T0000", Unknown),
            ("AML.TA0004", "AML.T0093", Missed),
            ("AML.TA0001", "AML.T0043", Missed),
            ("AML.TA0001", "AML.T0042", Detected),
            ("AML.TA0001", "AML.T0043", Missed),
            ("AML.TA0004", "AML.T0093", Missed),
            ("AML.TA0011", "AML.T0048", Missed),
            ("AML.TA0010", "AML.T0024", Prevented),
            ("AML.TA0011", "AML.T0048", Missed),
        ],
    );
    let layout = build(&detail, LaneMode::Reached);
    let s = &layout.summary;
    assert_eq!(
        s.initial_access,
        Some(2),
        "the first step in Initial Access"
    );
    assert_eq!(s.staging, [3, 4, 5]);
    assert_eq!(s.impact, Some(9), "the last step in Impact");
    let furthest = s.furthest.as_ref().unwrap();
    assert_eq!(
        (
            furthest.tactic_id.as_str(),
            furthest.name.as_str(),
            furthest.step
        ),
        ("AML.TA0011", "Impact", 7)
    );
    assert_eq!(
        s.sentence,
        "Reached Impact; initial access at step 2; AI attack staging in steps 3–5; \
         final impact at step 9; prevented at step 8; detected at step 4; \
         missed at steps 2–3, 5–7 and 9."
    );
    let kinds: Vec<Vec<MilestoneKind>> =
        layout.nodes.iter().map(|n| n.milestones.clone()).collect();
    assert_eq!(kinds[1], [MilestoneKind::InitialAccess]);
    assert!(
        kinds[5].is_empty(),
        "only the first initial access is marked"
    );
    assert_eq!(kinds[2], [MilestoneKind::Staging]);
    assert!(kinds[6].is_empty(), "only the last impact is marked");
    assert_eq!(kinds[8], [MilestoneKind::Impact]);
    // Marked in the right gutter, on the node's row, with a leader line.
    let n = &layout.nodes[1];
    assert_eq!(n.milestone_labels[0].text, "Initial access");
    assert!(n.leader.is_some());
    let lanes_right = layout.lanes.last().map(|l| l.x + l.width).unwrap();
    assert!(n.milestone_labels[0].x > lanes_right);
    // The furthest lane is marked.
    let marked: Vec<&str> = layout
        .lanes
        .iter()
        .filter(|l| l.furthest)
        .map(|l| l.tactic_id.as_str())
        .collect();
    assert_eq!(marked, ["AML.TA0011"]);
    assert_clean(&layout);
}

#[test]
fn without_impact_the_last_stage_is_named() {
    let layout = build(&cs0000(), LaneMode::Reached);
    let s = &layout.summary;
    assert_eq!(s.furthest.as_ref().unwrap().name, "AI Attack Staging");
    assert_eq!(s.impact, None);
    assert_eq!(s.last.as_ref().unwrap().name, "Defense Evasion");
    assert_eq!(
        s.sentence,
        "Reached AI Attack Staging; AI attack staging in steps 3–5; \
         no impact recorded (last stage: Defense Evasion at step 6); \
         no control outcome recorded."
    );
    assert_eq!(layout.nodes[5].milestones, [MilestoneKind::LastStage]);
    let words: Vec<&str> = layout.nodes[5]
        .milestone_labels
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(words.join(" "), "Last stage: Defense Evasion");
}

#[test]
fn an_incident_without_steps_is_a_clear_empty_state() {
    for lanes in [LaneMode::Reached, LaneMode::All] {
        let layout = build(&incident("Nothing yet", &[]), lanes);
        assert!(layout.is_empty());
        assert!(layout.arrows.is_empty());
        assert_eq!(layout.summary.sentence, "No steps recorded yet.");
        assert_eq!(layout.summary.furthest, None);
        assert_eq!(layout.empty[0].text, "No steps recorded yet");
        assert_eq!(
            layout.lanes.len(),
            if lanes == LaneMode::All { 16 } else { 0 }
        );
        assert!(layout.width >= MIN_WIDTH && layout.height > 0);
        assert_clean(&layout);
    }
}

#[test]
fn outcomes_differ_by_shape_as_well_as_colour() {
    let styles: Vec<OutcomeStyle> = [Prevented, Detected, Missed, Unknown]
        .into_iter()
        .map(OutcomeStyle::of)
        .collect();
    for (i, a) in styles.iter().enumerate() {
        for b in &styles[i + 1..] {
            assert_ne!(a.shape, b.shape);
            assert_ne!(a.stroke, b.stroke);
        }
    }
    assert_eq!(Icon::new(Prevented, 0, 0).points.split(' ').count(), 8);
    assert_eq!(Icon::new(Detected, 0, 0).points.split(' ').count(), 4);
    assert_eq!(Icon::new(Missed, 0, 0).points.split(' ').count(), 3);
    assert!(Icon::new(Unknown, 0, 0).is_circle());
}

#[test]
fn times_are_shown_where_known() {
    let mut detail = cs0000();
    detail.steps[0].observed = Some(FuzzyTime::parse("2025-03-14T09:30:00Z").unwrap());
    detail.steps[3].observed = Some(FuzzyTime::parse("2020-03").unwrap());
    let layout = build(&detail, LaneMode::Reached);
    let times: Vec<Option<&str>> = layout.nodes.iter().map(|n| n.time.as_deref()).collect();
    assert_eq!(times[0], Some("2025-03-14 09:30 UTC"));
    assert_eq!(times[3], Some("2020-03"));
    assert_eq!(times[1], None);
    let words: Vec<&str> = layout.nodes[0]
        .time_labels
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(words.join(" "), "2025-03-14 09:30 UTC");
    assert!(layout.gutter_heads.iter().any(|l| l.text == "Time"));
    assert_clean(&layout);
}

#[test]
fn a_long_story_with_long_names_never_overlaps_or_leaves_the_picture() {
    // 18 steps as in the largest ATLAS case study, with repeats, returns
    // to earlier tactics, unknown tactics and techniques, long names and
    // times.
    let path: [(&str, &str, Outcome); 18] = [
        ("AML.TA0002", "AML.T0000.001", Unknown),
        ("AML.TA0003", "AML.T9999", Unknown),
        ("AML.TA0008", "AML.T0069.000", Unknown),
        ("AML.TA0008", "AML.T0069.001", Detected),
        ("AML.TA0003", "AML.T0065", Unknown),
        ("AML.TA0003", "AML.T0065", Unknown),
        ("AML.TA0003", "AML.T0008", Unknown),
        ("AML.TA0003", "AML.T0079", Unknown),
        ("AML.TA0007", "AML.T0074", Missed),
        ("AML.TA0004", "AML.T0093", Missed),
        ("AML.TA0005", "AML.T0086", Missed),
        ("AML.TA0007", "AML.T0054", Prevented),
        ("AML.TA0005", "AML.T0053", Missed),
        ("AML.TA0006", "AML.T0081", Missed),
        ("AML.TA9999", "AML.T0051.000", Unknown),
        ("AML.TA0006", "AML.T0080.001", Missed),
        ("AML.TA0014", "AML.T0108", Detected),
        ("AML.TA0011", "AML.T0112.000", Missed),
    ];
    let mut detail = incident(
        "OpenClaw Command & Control via Prompt Injection <script>alert(1)</script> with a title long enough to wrap over more than one line of the heading",
        &path,
    );
    for (i, s) in detail.steps.iter_mut().enumerate() {
        if i % 3 == 0 {
            s.observed = Some(FuzzyTime::parse("2026-01-31T23:59:00Z").unwrap());
        }
    }
    let mut atlas = atlas();
    // A technique name far longer than a node, and a name with one huge word.
    atlas.release.techniques.push(Technique {
        id: "AML.T0069.000".to_string(),
        name: "Discover LLM System Information: Special Character Sets and an Extremely Long Explanatory Name That Keeps Going Well Past Five Lines Of Text In The Node".to_string(),
        description: None,
        parent: None,
        tactics: vec!["AML.TA0008".to_string()],
        maturity: None,
        attack_ref: None,
        platforms: Vec::new(),
    });
    atlas.release.techniques.push(Technique {
        id: "AML.T0069.001".to_string(),
        name: "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"
            .to_string(),
        description: None,
        parent: None,
        tactics: vec!["AML.TA0008".to_string()],
        maturity: None,
        attack_ref: None,
        platforms: Vec::new(),
    });
    let atlas = ActiveAtlas::new(atlas.info.clone(), atlas.release.clone());
    for lanes in [LaneMode::Reached, LaneMode::All] {
        for titled in [true, false] {
            let layout = StoryLayout::build(&atlas, &detail, StoryOptions { lanes, titled });
            assert_eq!(layout.nodes.len(), 18);
            assert_eq!(layout.arrows.len(), 17);
            assert_clean(&layout);
            let n = &layout.nodes[2];
            assert_eq!(n.name_labels.len(), NAME_MAX_LINES);
            assert!(n.name_labels.last().unwrap().text.ends_with('…'));
            // A huge word is abbreviated on one line, never split over several.
            let huge = &layout.nodes[3].name_labels;
            assert_eq!(huge.len(), 1, "{huge:?}");
            assert!(huge[0].text.starts_with("WWW") && huge[0].text.ends_with('…'));
            // The unknown tactic gets its own lane after the known ones.
            let unknown = layout.lanes.last().unwrap();
            assert_eq!(unknown.tactic_id, "AML.TA9999");
            assert!(!unknown.known);
        }
    }
}

#[test]
fn the_checker_catches_overlaps() {
    let mut layout = build(&cs0000(), LaneMode::Reached);
    layout.nodes[1].x = layout.nodes[0].x;
    layout.nodes[1].y = layout.nodes[0].y + 10;
    layout.nodes[2].name_labels[0].text = "x".repeat(80);
    let problems = layout.collisions();
    assert!(
        problems.iter().any(|p| p.contains("nodes 1 and 2 overlap")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("leaves node 3")),
        "{problems:#?}"
    );
    let mut layout = build(&cs0000(), LaneMode::Reached);
    layout.width = 100;
    assert!(
        layout
            .collisions()
            .iter()
            .any(|p| p.contains("leaves the canvas"))
    );
}

#[test]
fn wrapping_fits_the_width_and_never_splits_a_word() {
    let lines = wrap(
        "Craft Adversarial Data: Insert Backdoor Trigger",
        144.0,
        13.0,
        Face::Sans,
        5,
    );
    assert!(lines.len() >= 2);
    for l in &lines {
        assert!(text_width(l, 13.0, Face::Sans) <= 144.0, "{l}");
    }
    assert_eq!(
        lines.join(" "),
        "Craft Adversarial Data: Insert Backdoor Trigger"
    );
    // A word wider than the line is abbreviated, never split.
    let long = wrap(&"m".repeat(40), 100.0, 10.0, Face::Sans, 10);
    assert_eq!(long.len(), 1);
    assert!(
        long[0].ends_with('…') && long[0].starts_with("mmm"),
        "{long:?}"
    );
    assert!(text_width(&long[0], 10.0, Face::Sans) <= 100.0);
    let words = wrap(
        "Reconnaissance Virtualization/Sandbox",
        90.0,
        12.0,
        Face::Sans,
        5,
    );
    assert!(
        words
            .iter()
            .all(|l| !l.starts_with(|c: char| c.is_lowercase())),
        "no line starts inside a word: {words:?}"
    );
    assert!(wrap("   ", 100.0, 10.0, Face::Sans, 3).is_empty());
    let capped = wrap(&"word ".repeat(100), 60.0, 10.0, Face::Sans, 2);
    assert_eq!(capped.len(), 2);
    assert!(capped[1].ends_with('…'));
    assert_eq!(xml_safe("a\u{FFFE}b\u{1}c\u{FFFF}\td"), "abc\td");
}

#[test]
fn the_view_lists_the_steps_with_sanitized_descriptions() {
    let mut detail = cs0000();
    detail.steps[0].description = "Found **papers** <script>alert(1)</script>".to_string();
    let view = StoryView::build(&atlas(), &detail, StoryOptions::default());
    assert_eq!(view.items.len(), 6);
    let html = view.items[0].description_html.as_deref().unwrap();
    assert!(html.contains("<strong>papers</strong>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(view.items[1].description_html, None);
    assert_eq!(view.items[2].milestones, [MilestoneKind::Staging]);
    assert_eq!(view.items[0].href, "/incidents/inc-test#step-stp-0");
    assert!(view.desc.starts_with(&view.summary));
    assert!(
        view.desc
            .contains("Step 6: Defense Evasion, Evade AI Model (AML.T0015), unknown, last stage."),
        "{}",
        view.desc
    );
    assert_eq!(view.page_href, "/incidents/inc-test/story");
    assert_eq!(view.svg_href, "/incidents/inc-test/story.svg");
    assert_eq!(
        view.lanes_href("all"),
        "/incidents/inc-test/story?lanes=all"
    );
    assert_eq!(
        view.file_name(),
        "inc-test-evasion-of-deep-learning-detector-for-malware-c-story.svg"
    );
    let min: i32 = view.size_class["story-min-".len()..].parse().unwrap();
    assert!(min < view.layout.width && min >= 300);
    assert!(view.show_list && !view.link_to_page);
    let embedded = view.embedded();
    assert!(!embedded.show_list && embedded.link_to_page);
    let all = StoryView::build(
        &atlas(),
        &detail,
        StoryOptions {
            lanes: LaneMode::All,
            titled: false,
        },
    );
    assert_eq!(all.svg_href, "/incidents/inc-test/story.svg?lanes=all");
    assert_eq!(all.lanes_href("reached"), "/incidents/inc-test/story");
}

#[test]
fn step_lists_read_naturally() {
    assert_eq!(step_list(&[4]), "step 4");
    assert_eq!(step_list(&[3, 4, 5]), "steps 3–5");
    assert_eq!(step_list(&[3, 5]), "steps 3 and 5");
    assert_eq!(step_list(&[1, 2, 3, 5, 7, 8]), "steps 1–3, 5 and 7–8");
}

#[test]
fn lane_modes_parse_strictly() {
    assert_eq!(LaneMode::parse(None).unwrap(), LaneMode::Reached);
    assert_eq!(LaneMode::parse(Some("")).unwrap(), LaneMode::Reached);
    assert_eq!(LaneMode::parse(Some("reached")).unwrap(), LaneMode::Reached);
    assert_eq!(LaneMode::parse(Some("all")).unwrap(), LaneMode::All);
    assert!(LaneMode::parse(Some("bogus")).is_err());
    assert!(LaneMode::parse(Some("ALL")).is_err());
}
