//! Confirmation pages for destructive actions when JavaScript is off: the
//! page's own form asks `GET` for this page (the IDs it names are in the
//! query, never free text), and this page holds the `POST` form that does
//! it. With JavaScript, `static/confirm.js` asks in place and posts the
//! same form directly.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::web::extract::auth::SignedIn;
use crate::web::{AppError, AppState};

/// One question before one destructive `POST`.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    /// "Delete the rule “vpn”?"
    question: String,
    /// What happens, in a sentence.
    consequence: String,
    /// The `POST` that does it and its fields.
    action: String,
    fields: Vec<(&'static str, String)>,
    button: &'static str,
    cancel_href: String,
}

impl ConfirmPage {
    /// A question with no fields: the `POST` to `action` says it all.
    pub(crate) fn plain(
        question: String,
        consequence: String,
        action: String,
        button: &'static str,
        cancel_href: String,
    ) -> ConfirmPage {
        ConfirmPage {
            question,
            consequence,
            action,
            fields: Vec::new(),
            button,
            cancel_href,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NameQuery {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PrefixQuery {
    prefix: String,
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    q.map(|Query(v)| v)
        .map_err(|e| AppError::bad_request("query", e.body_text()))
}

fn shown(text: &str) -> String {
    text.chars().take(100).collect()
}

/// `GET /admin/ingest/rules/delete?name=…`
pub async fn rule_delete(
    State(state): State<AppState>,
    q: Result<Query<NameQuery>, QueryRejection>,
) -> Result<ConfirmPage, AppError> {
    let name = query(q)?.name;
    let rule = crate::service::ingest::list_rules(&state.store)
        .await?
        .into_iter()
        .find(|r| r.name == name);
    let Some(rule) = rule else {
        return Err(AppError::NotFound(format!("The rule “{}”", shown(&name))));
    };
    Ok(ConfirmPage {
        question: format!("Delete the rule “{}”?", rule.name),
        consequence: format!(
            "Alerts will no longer be grouped by {}; alerts already grouped stay as they are. This cannot be undone.",
            rule.key_fields
        ),
        action: "/admin/ingest/rules/delete".into(),
        fields: vec![("name", rule.name)],
        button: "Delete the rule",
        cancel_href: "/admin/ingest".into(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TechniqueQuery {
    technique: String,
}

/// `GET /admin/atlas/successors/clear?technique=…`: removing an admin's
/// successor override.
pub async fn successor_clear(
    State(state): State<AppState>,
    q: Result<Query<TechniqueQuery>, QueryRejection>,
) -> Result<ConfirmPage, AppError> {
    let technique = query(q)?.technique;
    let table = crate::service::upgrade::successor_table(&state.store).await?;
    let Some(entry) = table.get(technique.trim()).filter(|e| e.is_override()) else {
        return Err(AppError::NotFound(format!(
            "An override for “{}”",
            shown(&technique)
        )));
    };
    let ours = entry.successor.as_deref().unwrap_or("none");
    let after = match &entry.shipped {
        Some(s) => format!("the successor shipped with atlasview, {s}, applies again"),
        None => "no successor applies (atlasview ships none for it)".to_string(),
    };
    Ok(ConfirmPage {
        question: format!(
            "Remove your override for {} (successor {ours})?",
            entry.technique
        ),
        consequence: format!(
            "Upgrades from now on use the table without it: {after}. Upgrades already applied stay as they are."
        ),
        action: "/admin/atlas/successors/clear".into(),
        fields: vec![("technique", entry.technique.clone())],
        button: "Remove the override",
        cancel_href: "/admin/atlas/upgrade".into(),
    })
}

/// A token the visitor may revoke, or 404.
async fn token_page(
    state: &AppState,
    prefix: &str,
    owner: Option<&str>,
    action: &'static str,
    cancel_href: &'static str,
) -> Result<ConfirmPage, AppError> {
    let token = crate::service::accounts::tokens(&state.store, owner)
        .await?
        .into_iter()
        .find(|t| t.prefix == prefix && t.revoked_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("The active token atv_{}", shown(prefix))))?;
    Ok(ConfirmPage {
        question: format!("Revoke the token atv_{} (“{}”)?", token.prefix, token.name),
        consequence: format!(
            "Scripts and integrations using it (owner {}, role {}) are refused from now on. This cannot be undone: a new token has to be made.",
            token.username, token.role
        ),
        action: action.into(),
        fields: vec![("prefix", token.prefix)],
        button: "Revoke the token",
        cancel_href: cancel_href.into(),
    })
}

/// `GET /admin/tokens/revoke?prefix=…` (any user's token).
pub async fn admin_token_revoke(
    State(state): State<AppState>,
    q: Result<Query<PrefixQuery>, QueryRejection>,
) -> Result<ConfirmPage, AppError> {
    let prefix = query(q)?.prefix;
    token_page(
        &state,
        &prefix,
        None,
        "/admin/tokens/revoke",
        "/admin/users",
    )
    .await
}

/// `GET /account/tokens/revoke?prefix=…` (one's own token).
pub async fn own_token_revoke(
    State(state): State<AppState>,
    who: SignedIn,
    q: Result<Query<PrefixQuery>, QueryRejection>,
) -> Result<ConfirmPage, AppError> {
    let prefix = query(q)?.prefix;
    let owner = who.0.username().to_string();
    token_page(
        &state,
        &prefix,
        Some(&owner),
        "/account/tokens/revoke",
        "/account",
    )
    .await
}
