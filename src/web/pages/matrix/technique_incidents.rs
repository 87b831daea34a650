//! The incidents section of a technique page: which incidents (chosen by the
//! matrix's filters, kept in the URL) have steps using the technique, under
//! one tactic when the link came from a matrix cell (`under=`), and with its
//! sub-techniques when the matrix rolled them up (`rollup=1`).

use serde::Deserialize;

use crate::atlas::ActiveAtlas;
use crate::atlas::ids::is_tactic_id;
use crate::render::technique_incidents::{HitsContext, LIMIT, TechniqueIncidentsView};
use crate::service::matrix;
use crate::web::extract::matrix_query::{MatrixRequest, join_queries, with_query};
use crate::web::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Narrow {
    under: Option<String>,
}

/// `under=`: a tactic ID, or nothing.
fn under(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let narrow: Narrow =
        serde_html_form::from_str(raw.unwrap_or("")).map_err(|e| AppError::BadRequest {
            message: format!("invalid query string: {e}"),
            field: None,
        })?;
    match narrow.under.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if is_tactic_id(t) => Ok(Some(t.to_string())),
        Some(_) => Err(AppError::bad_request(
            "under",
            "under: must be a tactic ID such as AML.TA0007",
        )),
    }
}

/// The section for the technique page of `technique_id`, from its query string.
pub async fn load(
    state: &AppState,
    atlas: &ActiveAtlas,
    technique_id: &str,
    raw: Option<&str>,
) -> Result<TechniqueIncidentsView, AppError> {
    let req = MatrixRequest::parse(raw)?;
    let under = under(raw)?;
    let mut techniques = vec![technique_id.to_string()];
    if req.rollup {
        techniques.extend(atlas.subtechniques(technique_id).map(|s| s.id.clone()));
    }
    let hits = matrix::technique_hits(
        &state.store,
        &req.query,
        &techniques,
        under.as_deref(),
        LIMIT,
    )
    .await?;
    let technique = serde_html_form::to_string([("technique", technique_id)]).unwrap_or_default();
    let ctx = HitsContext {
        summary: req.describe(),
        filtered: req.is_filtered(),
        rollup: req.rollup,
        all_href: with_query("/incidents", &join_queries(&req.filter_query(), &technique)),
        matrix_href: req.href("/matrix"),
    };
    Ok(TechniqueIncidentsView::build(
        atlas,
        technique_id,
        under.as_deref(),
        hits,
        ctx,
    ))
}
