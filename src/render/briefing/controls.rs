//! The briefing page's controls around the sheet: the period presets, the
//! paper, whether case studies count, and the PDF links.

use crate::render::links::{ChoiceView, with_query};
use crate::render::paper::Paper;
use crate::render::period::{Period, Preset};

pub struct BriefingControlsView {
    /// The page's own stylesheets (`web::assets::PAGE_SHEETS`), with the
    /// paper size when one is chosen.
    pub paper_sheets: &'static str,
    pub periods: Vec<ChoiceView>,
    pub papers: Vec<ChoiceView>,
    pub case_study_choices: Vec<ChoiceView>,
    pub pdf_a4: String,
    pub pdf_letter: String,
    pub from_value: String,
    pub to_value: String,
    pub case_studies: bool,
}

/// The query of a briefing link: the period's pairs, then the other choices.
fn own(
    mut pairs: Vec<(&'static str, String)>,
    case_studies: bool,
    paper: Option<Paper>,
) -> Vec<(&'static str, String)> {
    if case_studies {
        pairs.push(("case_studies", "1".to_string()));
    }
    if let Some(p) = paper {
        pairs.push(("paper", p.as_str().to_string()));
    }
    pairs
}

impl BriefingControlsView {
    pub fn build(period: &Period, cs: bool, paper: Option<Paper>) -> BriefingControlsView {
        let link = |path: &str, cs: bool, paper: Option<Paper>| {
            with_query(path, &own(period.query_pairs(), cs, paper))
        };
        let periods = Preset::BRIEFING
            .iter()
            .map(|p| ChoiceView {
                label: p.label(),
                href: with_query(
                    "/briefing",
                    &own(vec![("period", p.as_str().to_string())], cs, paper),
                ),
                current: period.preset == Some(*p),
            })
            .collect();
        let papers = [
            (None, "Either"),
            (Some(Paper::A4), "A4"),
            (Some(Paper::Letter), "US Letter"),
        ]
        .into_iter()
        .map(|(p, label)| ChoiceView {
            label,
            href: link("/briefing", cs, p),
            current: paper == p,
        })
        .collect();
        let case_study_choices = [("Left out", false), ("Included", true)]
            .into_iter()
            .map(|(label, c)| ChoiceView {
                label,
                href: link("/briefing", c, paper),
                current: cs == c,
            })
            .collect();
        BriefingControlsView {
            paper_sheets: match paper {
                None => "reports.css briefing.css",
                Some(Paper::A4) => "reports.css briefing.css paper-a4.css",
                Some(Paper::Letter) => "reports.css briefing.css paper-letter.css",
            },
            periods,
            papers,
            case_study_choices,
            pdf_a4: link("/briefing.pdf", cs, Some(Paper::A4)),
            pdf_letter: link("/briefing.pdf", cs, Some(Paper::Letter)),
            from_value: period.from_input.clone(),
            to_value: period.to_input.clone(),
            case_studies: cs,
        }
    }
}
