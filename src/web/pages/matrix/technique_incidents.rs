//! The incidents section of a technique page: which incidents (chosen by the
//! matrix's filters, kept in the URL) have steps using the technique, under
//! one tactic when the link came from a matrix cell (`under=`), and with its
//! sub-techniques when the matrix rolled them up (`rollup=1`).

use serde::Deserialize;

use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_tactic_id;
use crate::render::Link;
use crate::render::heat::step_list;
use crate::store::Store;
use crate::web::AppError;
use crate::web::extract::matrix_query::{MatrixRequest, join_queries, with_query};

/// Incidents listed on the page; the rest are one link away.
const LIMIT: usize = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Narrow {
    under: Option<String>,
}

/// One step of a listed incident.
pub struct HitStep {
    pub label: String,
}

pub struct HitRow {
    pub id: String,
    pub title: String,
    pub href: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub severity_class: String,
    pub occurred: Option<String>,
    pub steps: String,
    pub where_: Vec<HitStep>,
}

pub struct TechniqueIncidents {
    pub under: Option<Link>,
    pub summary: String,
    pub filtered: bool,
    pub with_subtechniques: bool,
    pub total_incidents: usize,
    pub total_steps: usize,
    pub rows: Vec<HitRow>,
    /// The complete list on the incidents page, when more than shown.
    pub more_href: Option<String>,
    /// Back to the matrix with the same filters.
    pub matrix_href: String,
}

impl TechniqueIncidents {
    pub async fn load(
        store: &Store,
        atlas: &ActiveAtlas,
        technique_id: &str,
        raw: Option<&str>,
    ) -> Result<TechniqueIncidents, AppError> {
        let req = MatrixRequest::parse(raw)?;
        let narrow: Narrow =
            serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
                message: format!("invalid query string: {e}"),
                field: None,
            })?;
        let under = match narrow.under.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) if is_tactic_id(t) => Some(t.to_string()),
            Some(_) => {
                return Err(AppError::bad_request(
                    "under",
                    "under: must be a tactic ID such as AML.TA0007",
                ));
            }
        };
        let mut techniques = vec![technique_id.to_string()];
        if req.rollup {
            techniques.extend(atlas.subtechniques(technique_id).map(|s| s.id.clone()));
        }
        let hits = store
            .technique_hits(&req.query, &techniques, under.as_deref(), LIMIT)
            .await?;
        let rows = hits
            .incidents
            .into_iter()
            .map(|h| {
                let positions: Vec<u32> = h
                    .steps
                    .iter()
                    .map(|s| u32::try_from(s.0).unwrap_or(0))
                    .collect();
                let where_ = h
                    .steps
                    .iter()
                    .map(|(n, tactic, technique)| {
                        let mut label = format!("Step {n}: {}", Link::tactic(atlas, tactic).name);
                        if technique != technique_id {
                            label.push_str(&format!(
                                " · {}",
                                Link::technique(atlas, technique).name
                            ));
                        }
                        HitStep { label }
                    })
                    .collect();
                HitRow {
                    href: format!("/incidents/{}", h.id),
                    kind: h.kind.label(),
                    severity: h.severity.label(),
                    severity_class: format!("inc-badge inc-sev-{}", h.severity.as_str()),
                    occurred: h.occurred.map(|t| t.display()),
                    steps: step_list(&positions),
                    where_,
                    id: h.id,
                    title: h.title,
                }
            })
            .collect();
        let filters = req.filter_query();
        let more_href = (hits.total_incidents > LIMIT).then(|| {
            with_query(
                "/incidents",
                &join_queries(
                    &filters,
                    &serde_html_form::to_string([("technique", technique_id)]).unwrap_or_default(),
                ),
            )
        });
        Ok(TechniqueIncidents {
            under: under.as_deref().map(|t| Link::tactic(atlas, t)),
            summary: req.describe(),
            filtered: req.is_filtered(),
            with_subtechniques: req.rollup,
            total_incidents: hits.total_incidents,
            total_steps: hits.total_steps,
            rows,
            more_href,
            matrix_href: req.href("/matrix"),
        })
    }
}
