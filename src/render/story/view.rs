//! The story as a page shows it: the layout (printed as SVG by
//! `templates/story/story.svg`) plus the same story as an ordered list with
//! the step descriptions, which is also the picture's text alternative.
//!
//! Any template can show a story: give it a field `story: StoryView` and
//! `{% include "story/_story.html" %}` (the page names story.css in its stylesheet).

use super::{Icon, LaneMode, MilestoneKind, OutcomeStyle, StoryLayout, StoryOptions, xml_safe};
use crate::atlas::ActiveAtlas;
use crate::atlas::markdown;
use crate::domain::{IncidentDetail, Observation};
use crate::render::Link;

/// One step in the ordered list.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryItem {
    pub number: usize,
    /// The step on the incident page.
    pub href: String,
    pub tactic: Link,
    pub technique: Link,
    /// As people write it, to its precision.
    pub time: Option<String>,
    /// The `datetime` attribute of the time.
    pub datetime: Option<String>,
    pub outcome: OutcomeStyle,
    /// The badge classes of the incident pages (`inc-badge inc-outcome-missed`).
    pub outcome_badge: String,
    /// The outcome's shape in a 16 × 16 box.
    pub icon: Icon,
    pub milestones: Vec<MilestoneKind>,
    /// The description as sanitized HTML (the only `|safe` of the partial).
    pub description_html: Option<String>,
}

/// Everything `templates/story/_story.html` and `story.svg` print.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryView {
    pub incident_id: String,
    pub title: String,
    /// A prefix for element IDs, unique per incident (`story-aml-cs0000`).
    pub dom_id: String,
    pub lanes: LaneMode,
    pub layout: StoryLayout,
    /// The path in plain words ("Reached Exfiltration; …").
    pub summary: String,
    /// The SVG's `<desc>`: the summary and every step in words.
    pub desc: String,
    pub items: Vec<StoryItem>,
    /// Show the ordered list beside the picture (off where the page already
    /// lists the steps, as the incident page does).
    pub show_list: bool,
    /// Link to the story page (for embeds elsewhere).
    pub link_to_page: bool,
    /// A `story-min-N` class: the smallest width (px) the picture may shrink
    /// to before the figure scrolls instead, so text stays legible.
    pub size_class: String,
    /// `/incidents/{id}/story` with the lane mode.
    pub page_href: String,
    /// `/incidents/{id}/story.svg` with the lane mode.
    pub svg_href: String,
    /// The download's file name (see [`StoryView::file_name`]).
    pub download_name: String,
}

impl StoryView {
    /// The full story (picture and list) of an incident.
    pub fn build(atlas: &ActiveAtlas, detail: &IncidentDetail, options: StoryOptions) -> StoryView {
        let layout = StoryLayout::build(atlas, detail, options);
        let id = &detail.incident.id;
        let mut steps: Vec<&Observation> = detail.steps.iter().collect();
        steps.sort_by_key(|s| s.position);
        let items: Vec<StoryItem> = steps
            .iter()
            .zip(&layout.nodes)
            .map(|(s, node)| StoryItem {
                number: node.number,
                href: node.href.clone(),
                tactic: Link::tactic(atlas, &s.tactic_id),
                technique: Link::technique(atlas, &s.technique_id),
                time: s.observed.as_ref().map(|t| t.display()),
                datetime: s.observed.as_ref().map(|t| t.input_value()),
                outcome: node.outcome,
                outcome_badge: format!("inc-badge inc-outcome-{}", s.outcome.as_str()),
                icon: Icon::new(s.outcome, 8, 8),
                milestones: node.milestones.clone(),
                description_html: (!s.description.trim().is_empty())
                    .then(|| markdown::render(&s.description)),
            })
            .collect();
        let mut desc = layout.summary.sentence.clone();
        for r in &layout.summary.backwards {
            desc.push(' ');
            desc.push_str(&r.words());
        }
        for n in &layout.nodes {
            desc.push_str(&format!(
                " Step {}: {}, {} ({}), {}",
                n.number,
                n.tactic_name,
                n.technique_name,
                n.technique_id,
                n.outcome.label().to_lowercase()
            ));
            if let Some(t) = &n.time {
                desc.push_str(&format!(", {t}"));
            }
            for m in &n.milestones {
                desc.push_str(&format!(", {}", m.label().to_lowercase()));
            }
            desc.push('.');
        }
        let safe_id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let query = match options.lanes {
            LaneMode::Reached => String::new(),
            LaneMode::All => "?lanes=all".to_string(),
        };
        // Shrink to fit down to about 75 % of the natural size (13 px text
        // stays near 10 px), then scroll.
        let min = ((layout.width * 3 / 4 + 50) / 100 * 100).clamp(300, 3000);
        StoryView {
            incident_id: xml_safe(id),
            title: xml_safe(&detail.incident.title),
            dom_id: format!("story-{safe_id}"),
            lanes: options.lanes,
            summary: layout.summary.sentence.clone(),
            desc: xml_safe(&desc),
            items,
            show_list: true,
            link_to_page: false,
            size_class: format!("story-min-{min}"),
            page_href: format!("/incidents/{safe_id}/story{query}"),
            svg_href: format!("/incidents/{safe_id}/story.svg{query}"),
            download_name: crate::render::download::incident_file(
                id,
                &detail.incident.title,
                "story.svg",
            ),
            layout,
        }
    }

    /// For a page that lists the steps itself: the picture and the summary,
    /// with links to the story page.
    pub fn embedded(mut self) -> StoryView {
        self.show_list = false;
        self.link_to_page = true;
        self
    }

    /// The story page with the other lane mode.
    pub fn lanes_href(&self, mode: &str) -> String {
        let base = self
            .page_href
            .split('?')
            .next()
            .unwrap_or(&self.page_href)
            .to_string();
        match mode {
            "all" => format!("{base}?lanes=all"),
            _ => base,
        }
    }

    pub fn shows_all_lanes(&self) -> bool {
        self.lanes == LaneMode::All
    }

    /// The download's file name: ID, title and `story.svg`
    /// (`aml-cs0000-evasion-of-deep-learning-detector-story.svg`).
    pub fn file_name(&self) -> String {
        self.download_name.clone()
    }
}
