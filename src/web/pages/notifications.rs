//! The signed-in user's notifications: the inbox (mark one or all read) and
//! the choices of what they are told, in the app and by e-mail. Plain forms,
//! POST-redirect-GET, so all of it works without JavaScript.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::notification::PreferencesInput;
use crate::render::notifications::{InboxView, SettingsView, inbox_view, settings_view};
use crate::service::notifications as uc;
use crate::web::extract::auth::SignedIn;
use crate::web::extract::html_form::{HtmlForm, parse_query, see_other};
use crate::web::{AppError, AppState, Routes};

pub fn routes() -> Routes {
    Routes::new()
        .signed_in("/notifications", get(inbox))
        .signed_in("/notifications/read-all", post(read_all))
        .signed_in("/notifications/{id}/read", post(read_one))
        .signed_in("/notifications/settings", get(settings).post(save))
}

page!(InboxPage, InboxView, "notifications/inbox.html");
page!(SettingsPage, SettingsView, "notifications/settings.html");

async fn inbox(State(state): State<AppState>, who: SignedIn) -> Result<InboxPage, AppError> {
    let (list, unread) = uc::inbox(&state.store, who.0.username()).await?;
    Ok(inbox_view(&list, unread).into())
}

async fn read_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    who: SignedIn,
) -> Result<Response, AppError> {
    uc::mark_read(&state.store, who.0.username(), &id).await?;
    Ok(see_other("/notifications"))
}

async fn read_all(State(state): State<AppState>, who: SignedIn) -> Result<Response, AppError> {
    uc::mark_all_read(&state.store, who.0.username()).await?;
    Ok(see_other("/notifications"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsQuery {
    saved: String,
}

async fn settings(
    State(state): State<AppState>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<SettingsPage, AppError> {
    let q: SettingsQuery = parse_query(raw.as_deref())?;
    let (prefs, email) = uc::preferences(&state.store, who.0.username()).await?;
    let mail_sent = state.config.smtp.is_some();
    Ok(settings_view(&prefs, email.as_deref(), mail_sent, !q.saved.is_empty()).into())
}

/// The settings form: `follow` and `mail` repeated, one per kind ticked.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsForm {
    follow: Vec<String>,
    mail: Vec<String>,
    email: String,
}

impl SettingsForm {
    pub fn input(self) -> PreferencesInput {
        PreferencesInput {
            follow: self.follow,
            mail: self.mail,
            email: Some(self.email),
        }
    }
}

async fn save(
    State(state): State<AppState>,
    who: SignedIn,
    HtmlForm(form): HtmlForm<SettingsForm>,
) -> Result<Response, AppError> {
    uc::set_preferences(&state.store, who.0.username(), &form.input()).await?;
    Ok(see_other("/notifications/settings?saved=1"))
}
