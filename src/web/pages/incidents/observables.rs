//! Observables: adding one to an incident, removing it, and the page of one
//! observable listing every incident that holds it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::observable::ObservableInput;
use crate::render::observables::{HolderView, holders};
use crate::service::observables as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{AppError, AppState};

pub async fn add(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<ObservableInput>,
) -> Result<Response, AppError> {
    uc::add(&state.store, &id, &form, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#observables")))
}

pub async fn remove(
    State(state): State<AppState>,
    Path((id, observable)): Path<(String, String)>,
    who: SignedIn,
) -> Result<Response, AppError> {
    uc::remove(&state.store, &id, &observable, &who.by()).await?;
    Ok(see_other(&format!("/incidents/{id}#observables")))
}

#[derive(Deserialize)]
pub struct ObservableQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents/observable.html")]
pub struct ObservablePage {
    kind_label: &'static str,
    value: String,
    incidents: Vec<HolderView>,
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<ObservablePage, AppError> {
    let q: ObservableQuery = parse_query(raw.as_deref())?;
    let (kind, value, found) = uc::incidents_with(&state.store, &q.kind, &q.value).await?;
    Ok(ObservablePage {
        kind_label: kind.label(),
        value,
        incidents: holders(&found),
    })
}
