//! Saving an incident's retrospective: the three notes and the mitigation
//! checklist, each under the retrospective's optimistic version. Text is
//! cleaned and checked here (every problem reported); a stale version is a
//! [`RetroSaveError::Conflict`]. Nothing is written unless all is valid.

use crate::domain::{ValidationError, clean_text, limits};
use crate::store::{CheckInput, RetroNotes, Store, StoreError};

/// Longest note on a checklist row, in characters.
pub const CHECK_NOTE_MAX: usize = 500;

/// Why a save changed nothing.
#[derive(Debug)]
pub enum RetroSaveError {
    /// Every problem of the input, by field.
    Invalid(Vec<ValidationError>),
    /// Someone saved since the given version.
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for RetroSaveError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => RetroSaveError::Conflict(m),
            other => RetroSaveError::Store(other),
        }
    }
}

/// The notes as typed: went well, to improve, actions.
pub async fn save_notes(
    store: &Store,
    incident_id: &str,
    input: [&str; 3],
    version: i64,
    by: &str,
) -> Result<i64, RetroSaveError> {
    let mut errors = Vec::new();
    let mut clean = Vec::new();
    for (name, value) in ["went_well", "to_improve", "actions"]
        .into_iter()
        .zip(input)
    {
        match clean_text(name, Some(value), limits::LONG_TEXT) {
            Ok(v) => clean.push(v),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(RetroSaveError::Invalid(errors));
    }
    let notes = RetroNotes {
        went_well: clean[0].clone(),
        to_improve: clean[1].clone(),
        actions: clean[2].clone(),
    };
    Ok(store
        .save_retro_notes(incident_id, &notes, version, by)
        .await?)
}

/// The checklist rows shown on the form (a row's note is one line).
pub async fn save_checklist(
    store: &Store,
    incident_id: &str,
    mut rows: Vec<CheckInput>,
    version: i64,
    by: &str,
) -> Result<i64, RetroSaveError> {
    let mut errors = Vec::new();
    for r in &mut rows {
        let single_line = r.note.replace(['\r', '\n'], " ");
        match clean_text("note", Some(&single_line), CHECK_NOTE_MAX) {
            Ok(n) => r.note = n,
            Err(e) => errors.push(ValidationError::new(
                "note",
                format!("The note on {} {}", r.mitigation_id, e.message),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(RetroSaveError::Invalid(errors));
    }
    Ok(store
        .save_mitigation_checks(incident_id, &rows, version, by)
        .await?)
}
