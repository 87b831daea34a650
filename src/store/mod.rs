//! Storage: every SQL statement of atlasview lives below this module, behind
//! [`Store`]. The SQL is kept portable (SQLite now, PostgreSQL next): `$n`
//! placeholders in order, TEXT timestamps in RFC 3339, no SQLite-only functions.

pub mod acting;
mod alert_events;
mod alert_groups;
mod alert_incidents;
mod alert_webhooks;
mod alerts;
mod atlas;
mod attachments;
mod audit;
mod auth;
pub(crate) mod backend;
pub mod backup;
mod case_study_copies;
pub mod copy;
mod error;
mod ids;
mod imports;
mod incidents;
mod matrix;
mod matrix_patch;
mod notifications;
mod observables;
mod outbox;
mod pool;
mod readiness;
mod release_list;
mod report;
mod retrospective;
mod search;
mod step_order;
mod tags;
mod task_edit;
mod teamwork;
mod upgrade;
mod webhooks;

pub use alert_incidents::IncidentTouch;
pub use alerts::{
    AlertListItem, AlertTx, CorrelatedIncident, NewAlert, NewHit, NewStep, RuleRow, SourceStats,
    StepAlert, StepAlerts, StepState, ToConfirm, UnmappedHit, split_tactics,
};
pub use atlas::ImportOutcome;
pub use audit::{AuditEntry, AuditEvent, AuditQuery};
pub use auth::{Resolved, TokenInfo, User};
pub use backend::BackendKind;
pub use error::{StoreError, StoreResult};
pub use ids::{new_id, new_time_ordered_id};
pub use imports::{OriginRecord, Upsert};
pub use incidents::{
    Assigned, BatchStart, Cursor, IncidentQuery, IncidentSummary, Page, Sort, TechniqueMatch,
};
pub use matrix::{
    AggregateIncident, CellAggregate, DataStamp, MatrixAggregate, StepHit, TechniqueHit,
    TechniqueHits,
};
pub use matrix_patch::MAX_PATCHED_INCIDENTS;
pub use observables::NewObservable;
pub(crate) use pool::WriteTurn;
pub use pool::webhook_wake;
pub use pool::{BUSY_TIMEOUT, MIGRATOR, MIGRATOR_POSTGRES, Store, now_rfc3339};
pub use readiness::AppliedMigration;
pub use report::{ReportData, ReportIncident, ReportStep};
pub use retrospective::{CheckInput, MitigationCheck, RetroActions, RetroNotes, Retrospective};
pub use sqlx::migrate::Migrator;
pub use tags::{TAG_PREFIX_MAX, TagCount};
pub use upgrade::{
    CandidateStep, IncidentUpgrade, ReviewWrite, StepHistoryEntry, StepReview, StepUpgrade,
    UpgradeCandidate, UpgradeRecord, UpgradeWrite,
};
pub use webhooks::stamp as webhook_stamp;
