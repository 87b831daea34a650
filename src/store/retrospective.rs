//! The post-incident review of an incident (migration 0005): three Markdown
//! sections and the mitigation checklist, under one optimistic version. A
//! save names the version it was made from; a stale one is a
//! [`StoreError::Conflict`] and changes nothing.

use crate::store::backend::{Tx, Written, on_pool, on_tx};

use super::{Store, StoreError, StoreResult, now_rfc3339};
use crate::domain::CheckState;

/// The team's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetroNotes {
    pub went_well: String,
    pub to_improve: String,
    pub actions: String,
}

/// Whether one mitigation was in place when the incident happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MitigationCheck {
    pub mitigation_id: String,
    pub state: CheckState,
    /// Saved as "not in place" by the two-state checklist before migration
    /// 0018 without a note: possibly a box nobody looked at.
    pub unconfirmed: bool,
    pub note: String,
    /// RFC 3339 (empty for a row not saved yet).
    pub updated_at: String,
    pub updated_by: String,
}

/// A row of a checklist save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInput {
    pub mitigation_id: String,
    /// `None`: no state was chosen; the stored one (if any) stays.
    pub state: Option<CheckState>,
    pub note: String,
}

/// An incident's retrospective as stored (all empty, version 0, before the first save).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retrospective {
    pub notes: RetroNotes,
    pub version: i64,
    /// RFC 3339 of the last save, if any.
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    /// Saved rows, by mitigation ID.
    pub checklist: Vec<MitigationCheck>,
}

/// The "Actions" note of one retrospective (what the team decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetroActions {
    pub incident_id: String,
    /// Markdown, as saved.
    pub actions: String,
    /// RFC 3339 of the last save.
    pub updated_at: String,
}

impl Retrospective {
    pub fn check(&self, mitigation_id: &str) -> Option<&MitigationCheck> {
        self.checklist
            .iter()
            .find(|c| c.mitigation_id == mitigation_id)
    }
}

fn conflict(incident_id: &str, expected: i64, current: i64) -> StoreError {
    StoreError::Conflict(format!(
        "the retrospective of incident {incident_id} was changed by someone else (you edited version {expected}, it is now at version {current}); review their changes and save again"
    ))
}

/// Bumps the retrospective's version from `expected` (0: none saved yet),
/// creating the row on the first save. Returns the new version.
async fn bump(
    tx: &mut Tx,
    incident_id: &str,
    expected: i64,
    by: &str,
    now: &str,
) -> StoreResult<i64> {
    let exists: Option<(String,)> = on_tx!(&mut *tx, |ex| sqlx::query_as(
        "SELECT id FROM incidents WHERE id = $1"
    )
    .bind(incident_id)
    .fetch_optional(&mut *ex)
    .await)?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("incident {incident_id}")));
    }
    let current: Option<(i64,)> = on_tx!(&mut *tx, |ex| sqlx::query_as(
        "SELECT version FROM incident_retrospectives WHERE incident_id = $1"
    )
    .bind(incident_id)
    .fetch_optional(&mut *ex)
    .await)?;
    let current = current.map_or(0, |(v,)| v);
    if current != expected {
        return Err(conflict(incident_id, expected, current));
    }
    if current == 0 {
        let done = on_tx!(&mut *tx, |ex| sqlx::query(
            "INSERT INTO incident_retrospectives (incident_id, version, updated_at, updated_by)
             VALUES ($1, 1, $2, $3) ON CONFLICT (incident_id) DO NOTHING",
        )
        .bind(incident_id)
        .bind(now)
        .bind(by)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        if done.rows_affected() == 0 {
            return Err(conflict(incident_id, expected, expected + 1));
        }
        return Ok(1);
    }
    let done = on_tx!(&mut *tx, |ex| {
        sqlx::query(
        "UPDATE incident_retrospectives SET version = version + 1, updated_at = $1, updated_by = $2
         WHERE incident_id = $3 AND version = $4",
    )
    .bind(now)
    .bind(by)
    .bind(incident_id)
    .bind(current)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;
    if done.rows_affected() == 0 {
        return Err(conflict(incident_id, expected, current + 1));
    }
    Ok(current + 1)
}

impl Store {
    /// The retrospective of an incident (empty when none was saved; the
    /// caller checks that the incident exists).
    pub async fn retrospective(&self, incident_id: &str) -> StoreResult<Retrospective> {
        let row: Option<(String, String, String, i64, String, String)> =
            on_pool!(&self.pool, |db| sqlx::query_as(
                "SELECT went_well, to_improve, actions, version, updated_at, updated_by
             FROM incident_retrospectives WHERE incident_id = $1",
            )
            .bind(incident_id)
            .fetch_optional(db)
            .await)?;
        let checklist: Vec<(String, String, bool, String, String, String)> =
            on_pool!(&self.pool, |db| sqlx::query_as(
                "SELECT mitigation_id, state, unconfirmed, note, updated_at, updated_by
             FROM incident_mitigations WHERE incident_id = $1 ORDER BY mitigation_id",
            )
            .bind(incident_id)
            .fetch_all(db)
            .await)?;
        let checklist = checklist
            .into_iter()
            .map(
                |(mitigation_id, state, unconfirmed, note, updated_at, updated_by)| {
                    Ok(MitigationCheck {
                        state: CheckState::parse(&state).ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "unknown mitigation state `{state}` in the database"
                            ))
                        })?,
                        mitigation_id,
                        unconfirmed,
                        note,
                        updated_at,
                        updated_by,
                    })
                },
            )
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(match row {
            Some((went_well, to_improve, actions, version, updated_at, updated_by)) => {
                Retrospective {
                    notes: RetroNotes {
                        went_well,
                        to_improve,
                        actions,
                    },
                    version,
                    updated_at: Some(updated_at),
                    updated_by: Some(updated_by),
                    checklist,
                }
            }
            None => Retrospective {
                checklist,
                ..Retrospective::default()
            },
        })
    }

    /// The "Actions" notes of every retrospective that has one, newest
    /// save first (the reports keep those of the incidents they count).
    pub async fn retro_actions(&self) -> StoreResult<Vec<RetroActions>> {
        let rows: Vec<(String, String, String)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT incident_id, actions, updated_at FROM incident_retrospectives
             WHERE actions <> '' ORDER BY updated_at DESC, incident_id",
        )
        .fetch_all(db)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(incident_id, actions, updated_at)| RetroActions {
                incident_id,
                actions,
                updated_at,
            })
            .collect())
    }

    /// Replaces the notes; `expected_version` must be current. Returns the new version.
    pub async fn save_retro_notes(
        &self,
        incident_id: &str,
        notes: &RetroNotes,
        expected_version: i64,
        by: &str,
    ) -> StoreResult<i64> {
        let now = now_rfc3339();
        let (mut tx, _turn) = self.write().await?;
        let version = bump(&mut tx, incident_id, expected_version, by, &now).await?;
        on_tx!(&mut tx, |ex| sqlx::query(
            "UPDATE incident_retrospectives SET went_well = $1, to_improve = $2, actions = $3
             WHERE incident_id = $4",
        )
        .bind(&notes.went_well)
        .bind(&notes.to_improve)
        .bind(&notes.actions)
        .bind(incident_id)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        // The agreed actions become the incident's tasks, in the same transaction.
        super::teamwork::sync_retro_tasks(&mut tx, incident_id, &notes.actions, by).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Records the given checklist rows (others are left as they are);
    /// `expected_version` must be current. A row without a chosen state
    /// keeps its stored one (and only its note changes); a row that was
    /// never saved and is still unreviewed without a note is not written.
    /// A row whose state and note are unchanged keeps who changed it last.
    /// Returns the new version.
    pub async fn save_mitigation_checks(
        &self,
        incident_id: &str,
        rows: &[CheckInput],
        expected_version: i64,
        by: &str,
    ) -> StoreResult<i64> {
        let now = now_rfc3339();
        let (mut tx, _turn) = self.write().await?;
        let version = bump(&mut tx, incident_id, expected_version, by, &now).await?;
        for row in rows {
            let state = row.state.map(CheckState::as_str);
            let untouched =
                matches!(row.state, None | Some(CheckState::Unreviewed)) && row.note.is_empty();
            if untouched {
                // Only an existing row changes (back to unreviewed, or its note cleared).
                on_tx!(&mut tx, |ex| sqlx::query(
                    "UPDATE incident_mitigations
                     SET state = COALESCE($1, state), in_place = (COALESCE($1, state) = 'in_place'),
                         unconfirmed = unconfirmed AND $1 IS NULL, note = '',
                         updated_at = $2, updated_by = $3
                     WHERE incident_id = $4 AND mitigation_id = $5
                       AND (state <> COALESCE($1, state) OR note <> ''
                            OR (unconfirmed AND $1 IS NOT NULL))",
                )
                .bind(state)
                .bind(&now)
                .bind(by)
                .bind(incident_id)
                .bind(&row.mitigation_id)
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
                continue;
            }
            on_tx!(&mut tx, |ex| {
                sqlx::query(
                "INSERT INTO incident_mitigations
                     (incident_id, mitigation_id, state, in_place, unconfirmed, note, updated_at, updated_by)
                 VALUES ($1, $2, COALESCE($3, 'unreviewed'), COALESCE($3, 'unreviewed') = 'in_place',
                         FALSE, $4, $5, $6)
                 ON CONFLICT (incident_id, mitigation_id) DO UPDATE
                 SET state = COALESCE($3, incident_mitigations.state),
                     in_place = (COALESCE($3, incident_mitigations.state) = 'in_place'),
                     unconfirmed = incident_mitigations.unconfirmed AND $3 IS NULL,
                     note = excluded.note,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by
                 WHERE incident_mitigations.state <> COALESCE($3, incident_mitigations.state)
                    OR incident_mitigations.note <> excluded.note
                    OR (incident_mitigations.unconfirmed AND $3 IS NOT NULL)",
            )
            .bind(incident_id)
            .bind(&row.mitigation_id)
            .bind(state)
            .bind(&row.note)
            .bind(&now)
            .bind(by)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
        tx.commit().await?;
        Ok(version)
    }
}
