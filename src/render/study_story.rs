//! A case study's attack path as the same story picture an incident has:
//! its procedure becomes the steps (outcome unknown: ATLAS records what the
//! attacker did, not what the defences did), and the picture's links point
//! at the procedure on the case study's own page.

use crate::atlas::{ActiveAtlas, CaseStudy};
use crate::domain::{
    Incident, IncidentDetail, Kind, Observation, Outcome, Severity, Status, StepSource,
};
use crate::render::story::{StoryOptions, StoryView};

/// The procedure as an incident's steps, for the story layout only.
fn as_incident(cs: &CaseStudy, release: &str) -> IncidentDetail {
    let incident = Incident {
        atlas_release: release.to_string(),
        source_ref: Some(cs.id.clone()),
        ..Incident::outline(
            &cs.id,
            &cs.name,
            Kind::CaseStudy,
            Severity::Medium,
            Status::Closed,
        )
    };
    let steps = cs
        .procedure
        .iter()
        .enumerate()
        .map(|(i, p)| Observation {
            id: format!("procedure-{}", i + 1),
            incident_id: cs.id.clone(),
            position: i as i64 + 1,
            tactic_id: p.tactic.clone(),
            technique_id: p.technique.clone(),
            observed: None,
            description: p.description.clone().unwrap_or_default(),
            evidence: String::new(),
            confidence: None,
            outcome: Outcome::Unknown,
            source: StepSource::CaseStudy,
            created_at: String::new(),
            updated_at: String::new(),
        })
        .collect();
    IncidentDetail { incident, steps }
}

/// The story of a case study for its page (the page lists the procedure
/// itself) or, `titled`, for the standalone SVG.
pub fn study_story(atlas: &ActiveAtlas, cs: &CaseStudy, titled: bool) -> StoryView {
    let detail = as_incident(cs, atlas.version());
    let mut story = StoryView::build(
        atlas,
        &detail,
        StoryOptions {
            titled,
            ..StoryOptions::default()
        },
    );
    story.show_list = false;
    story.link_to_page = false;
    for node in &mut story.layout.nodes {
        node.href = format!("/studies/{}#procedure-{}", cs.id, node.number);
    }
    for item in &mut story.items {
        item.href = format!("/studies/{}#procedure-{}", cs.id, item.number);
    }
    story.page_href = format!("/studies/{}", cs.id);
    story.svg_href = format!("/studies/{}/story.svg", cs.id);
    story.download_name = format!(
        "{}-story.svg",
        crate::render::download::slug(&format!("{} {}", cs.id, cs.name), 80)
    );
    story
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::ProcedureStep;

    #[test]
    fn the_procedure_becomes_the_story_linking_back_to_the_page() {
        let atlas = crate::render::report::tests_support::atlas();
        let cs = CaseStudy {
            id: "AML.CS0099".into(),
            name: "Test study".into(),
            summary: None,
            incident_date: None,
            incident_date_granularity: None,
            target: None,
            actor: None,
            reporter: None,
            case_study_type: None,
            references: vec![],
            procedure: vec![
                ProcedureStep {
                    tactic: "AML.TA0002".into(),
                    technique: "AML.T0000".into(),
                    description: Some("Looked".into()),
                },
                ProcedureStep {
                    tactic: "AML.TA0005".into(),
                    technique: "AML.T0051.001".into(),
                    description: None,
                },
            ],
        };
        let story = study_story(&atlas, &cs, false);
        assert_eq!(story.layout.nodes.len(), 2);
        assert_eq!(
            story.layout.nodes[1].href,
            "/studies/AML.CS0099#procedure-2"
        );
        assert_eq!(story.svg_href, "/studies/AML.CS0099/story.svg");
        assert_eq!(story.file_name(), "aml-cs0099-test-study-story.svg");
        assert!(!story.show_list);
        assert!(story.summary.contains("Execution"), "{}", story.summary);
    }
}
