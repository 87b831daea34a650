//! Importing ATLAS releases, whatever brought the file (a path, a URL, an
//! upload, `sync` from a mirror): parse and validate everything first, then
//! store in one transaction, so a bad or partial download changes nothing.

use super::ServiceError;
use crate::atlas::fetch::{self, Fetched, ManifestRelease};
use crate::atlas::{
    ActiveAtlas, ImportError, ImportWarning, ParseOptions, Release, ReleaseInfo, Technique,
    catalog, parse_release_with,
};
use crate::store::{AuditEvent, ImportOutcome, Store, StoreError};

/// Why a release was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The file could not be fetched (network, HTTP status, size limit, manifest).
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    /// The file is not a valid release.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The release is stored already with case studies the new file lacks
    /// (a STIX bundle carries none): replacing it would lose them.
    #[error(
        "release {version} is already stored (from {stored_format}) with {case_studies} case studies; this {format} file has none, so it does not replace it"
    )]
    WouldLoseCaseStudies {
        version: String,
        stored_format: String,
        format: &'static str,
        case_studies: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did, with what the importer reported.
#[derive(Debug)]
pub struct ReleaseImport {
    pub version: String,
    pub source: String,
    pub outcome: ImportOutcome,
    /// Problems that did not stop the import (every step was kept).
    pub warnings: Vec<ImportWarning>,
}

/// The active release, seeding the embedded catalog when no release is
/// stored yet, so a fresh install works offline (startup and the admin pages).
pub async fn load_or_seed(store: &Store) -> Result<ActiveAtlas, StoreError> {
    if let Some(active) = store.load_active().await? {
        return Ok(active);
    }
    let release = catalog::embedded_release();
    store
        .import_release(&release, catalog::EMBEDDED_SOURCE)
        .await?;
    tracing::info!(version = %release.version, "seeded the embedded ATLAS catalog");
    store
        .load_active()
        .await?
        .ok_or_else(|| StoreError::Corrupt("no active release after seeding".to_string()))
}

/// Which state of the stored releases a loaded release reflects: compare
/// with a later stamp to know, with one cheap read, whether it is stale
/// (another node, or the CLI, imported or switched releases).
pub async fn stamp(store: &Store) -> Result<i64, StoreError> {
    store.release_stamp().await
}

/// Maps queued alerts whose techniques the (new) active release knows.
pub async fn remap_alerts(store: &Store) -> Result<usize, ServiceError> {
    let active = load_or_seed(store).await?;
    let mapped = super::ingest::remap_unmapped(store, &active).await?;
    if mapped > 0 {
        tracing::info!(mapped, release = %active.version(), "mapped queued alerts");
    }
    Ok(mapped)
}

/// Parses, validates and stores fetched bytes (one transaction).
pub async fn import_fetched(
    store: &Store,
    fetched: &Fetched,
) -> Result<ReleaseImport, ReleaseError> {
    let options = ParseOptions {
        release: fetched.release.clone(),
        source: Some(fetched.source.clone()),
    };
    let parsed = parse_release_with(&fetched.bytes, &options)?;
    for w in &parsed.warnings {
        tracing::warn!(release = %parsed.release.version, source = %fetched.source, "{w}");
    }
    if parsed.release.case_studies.is_empty()
        && let Some(stored) = store
            .list_releases()
            .await?
            .into_iter()
            .find(|r| r.version == parsed.release.version && r.case_study_count > 0)
    {
        return Err(ReleaseError::WouldLoseCaseStudies {
            version: stored.version,
            stored_format: stored.format,
            format: parsed.release.format.as_str(),
            case_studies: stored.case_study_count,
        });
    }
    let outcome = store
        .import_release(&parsed.release, &fetched.source)
        .await?;
    Ok(ReleaseImport {
        version: parsed.release.version.clone(),
        source: fetched.source.clone(),
        outcome,
        warnings: parsed.warnings,
    })
}

/// `sync` from a mirror's `dist/` folder: the newest release (or `release`).
pub async fn sync(
    store: &Store,
    base: &str,
    release: Option<&str>,
) -> Result<(ReleaseImport, String), ReleaseError> {
    let synced = fetch::sync(base, release).await?;
    let done = import_fetched(store, &synced.fetched).await?;
    Ok((done, synced.how))
}

/// A release the mirror offers, and whether it is stored here already.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoteRelease {
    #[serde(flatten)]
    pub release: ManifestRelease,
    pub stored: bool,
}

/// The releases a mirror's manifest lists, newest first, marking those
/// already stored; `None` when the mirror has no manifest.
pub async fn remote(store: &Store, base: &str) -> Result<Option<Vec<RemoteRelease>>, ReleaseError> {
    let Some(manifest) = fetch::remote(base).await? else {
        return Ok(None);
    };
    let stored: Vec<String> = store
        .list_releases()
        .await?
        .into_iter()
        .filter(|r| r.format != "catalog")
        .map(|r| r.version)
        .collect();
    Ok(Some(
        manifest
            .into_iter()
            .map(|release| RemoteRelease {
                stored: stored
                    .iter()
                    .any(|v| crate::atlas::version::compare_versions(v, &release.release).is_eq()),
                release,
            })
            .collect(),
    ))
}

/// Every stored release, newest first, each with its whole source
/// (credentials are never stored): what admins see.
pub async fn list_for_admins(store: &Store) -> Result<Vec<crate::atlas::ReleaseInfo>, StoreError> {
    store.list_releases_with_sources().await
}

/// The active release after the stored releases changed (the embedded
/// catalog is seeded when none is stored); alerts waiting for techniques it
/// knows are mapped now. The caller puts it in place for the running server.
pub async fn reload(store: &Store) -> Result<ActiveAtlas, ServiceError> {
    let active = load_or_seed(store).await?;
    super::ingest::remap_unmapped(store, &active).await?;
    Ok(active)
}

/// Makes a stored release the active one, maps the queued alerts it knows,
/// records who did it, and answers it loaded with how many alerts it mapped
/// (the admin page and the CLI).
pub async fn activate(
    store: &Store,
    version: &str,
    actor: &str,
    ip: &str,
) -> Result<(ActiveAtlas, usize), ServiceError> {
    store.activate_release(version).await?;
    let active = load_or_seed(store).await?;
    let mapped = super::ingest::remap_unmapped(store, &active).await?;
    store
        .audit(AuditEvent {
            actor: actor.to_string(),
            action: "import.atlas",
            target: version.to_string(),
            detail: "activated".into(),
            ip: ip.to_string(),
        })
        .await?;
    Ok((active, mapped))
}

/// Records an import in the audit log: its outcome, where it came from
/// (credentials removed) and what it warned about.
pub async fn record_import(
    store: &Store,
    done: &ReleaseImport,
    source: &str,
    actor: &str,
    ip: &str,
) -> Result<(), StoreError> {
    let mut detail = format!(
        "{} (from {})",
        done.outcome,
        crate::domain::source::redact_source(source)
    );
    for w in &done.warnings {
        detail.push_str("; warning: ");
        detail.push_str(&w.to_string());
    }
    store
        .audit(AuditEvent {
            actor: actor.to_string(),
            action: "import.atlas",
            target: done.version.clone(),
            detail,
            ip: ip.to_string(),
        })
        .await
}

/// Every stored release (without its whole source).
pub async fn list(store: &Store) -> Result<Vec<ReleaseInfo>, StoreError> {
    store.list_releases().await
}

/// A stored release, loaded whole.
pub async fn load(store: &Store, version: &str) -> Result<Option<Release>, StoreError> {
    store.load_release(version).await
}

/// Where a stored release came from, whole (credentials are never stored).
pub async fn source(store: &Store, version: &str) -> Result<Option<String>, StoreError> {
    store.release_source(version).await
}

/// The newest stored release that has the technique `id`: (its version, the technique).
pub async fn find_technique_anywhere(
    store: &Store,
    id: &str,
) -> Result<Option<(String, Technique)>, StoreError> {
    store.find_technique_anywhere(id).await
}

/// The newest stored release that still has a technique the active release
/// lacks, loaded whole so its page can name tactics, parent and mitigations.
pub async fn former_release(store: &Store, id: &str) -> Result<Option<ActiveAtlas>, StoreError> {
    if !crate::atlas::ids::is_technique_id(id) {
        return Ok(None);
    }
    let Some((version, _)) = store.find_technique_anywhere(id).await? else {
        return Ok(None);
    };
    let Some(release) = store.load_release(&version).await? else {
        return Ok(None);
    };
    let info = store
        .list_releases()
        .await?
        .into_iter()
        .find(|r| r.version == version);
    Ok(info.map(|info| ActiveAtlas::new(info, release)))
}

/// Per technique ID: (incidents, steps) using it, in any release.
pub async fn technique_usage(store: &Store) -> Result<Vec<(String, i64, i64)>, StoreError> {
    store.technique_usage().await
}

/// (ID, name, parent's name) of every technique in any stored release.
pub async fn technique_names_anywhere(
    store: &Store,
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    store.technique_names_anywhere().await
}
