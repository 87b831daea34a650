//! `/incidents/layer/import`: paste (or pick) an ATT&CK Navigator layer and
//! get an incident draft. The API twin is `POST /api/v1/layers`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::export::navigator::{self, LayerError};
use crate::service::ServiceError;
use crate::service::layers::{self, LayerImport};
use crate::web::extract::html_form::{HtmlForm, see_other};
use crate::web::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LayerForm {
    layer: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "layers/import.html")]
pub struct ImportPage {
    active_version: String,
    layer: String,
    /// (where, what) of a refused layer.
    problem: Option<(String, String)>,
    done: Option<LayerImport>,
}

pub async fn form(State(state): State<AppState>) -> ImportPage {
    ImportPage {
        active_version: state.atlas.get().version().to_string(),
        layer: String::new(),
        problem: None,
        done: None,
    }
}

fn refused(state: &AppState, layer: String, e: LayerError) -> Response {
    let page = ImportPage {
        active_version: state.atlas.get().version().to_string(),
        layer,
        problem: Some((e.field, e.message)),
        done: None,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn submit(
    State(state): State<AppState>,
    HtmlForm(form): HtmlForm<LayerForm>,
) -> Result<Response, AppError> {
    let parsed = match navigator::parse_layer(form.layer.as_bytes()) {
        Ok(p) => p,
        Err(e) => return Ok(refused(&state, form.layer, e)),
    };
    let atlas = state.atlas.get();
    match layers::import_layer(&state.store, &atlas, &parsed).await {
        Ok(done) if done.unknown_techniques.is_empty() && done.skipped.is_empty() => {
            Ok(see_other(&format!("/incidents/{}", done.incident)))
        }
        Ok(done) => Ok(ImportPage {
            active_version: atlas.version().to_string(),
            layer: String::new(),
            problem: None,
            done: Some(done),
        }
        .into_response()),
        Err(ServiceError::Invalid(v)) => Ok(refused(
            &state,
            form.layer,
            LayerError {
                field: v.field,
                message: v.message,
            },
        )),
        Err(e) => Err(e.into()),
    }
}
