//! The post-incident review: the team's notes and the mitigation checklist,
//! each saved under the retrospective's one optimistic version.

use crate::store::{CheckInput, RetroNotes, Retrospective, Store, StoreError};

/// The saved notes and checklist of an incident (empty when none are saved).
pub async fn load(store: &Store, incident_id: &str) -> Result<Retrospective, StoreError> {
    store.retrospective(incident_id).await
}

/// Saves the notes if the retrospective is still at `expected_version`;
/// answers the new version.
pub async fn save_notes(
    store: &Store,
    incident_id: &str,
    notes: &RetroNotes,
    expected_version: i64,
    by: &str,
) -> Result<i64, StoreError> {
    store
        .save_retro_notes(incident_id, notes, expected_version, by)
        .await
}

/// Saves which mitigations were in place, under the same version as the notes.
pub async fn save_checklist(
    store: &Store,
    incident_id: &str,
    rows: &[CheckInput],
    expected_version: i64,
    by: &str,
) -> Result<i64, StoreError> {
    store
        .save_mitigation_checks(incident_id, rows, expected_version, by)
        .await
}
