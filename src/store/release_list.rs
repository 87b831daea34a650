//! The stored releases as admins list them: each with its whole source
//! (credentials removed) and its object counts, in one query, where
//! [`Store::list_releases`] followed by `release_source` per release cost
//! five queries a release.

use crate::store::backend::on_pool;
use sqlx::FromRow;

use super::{Store, StoreResult};
use crate::atlas::ReleaseInfo;
use crate::atlas::version::compare_versions;
use crate::domain::source::redact_source;

#[derive(FromRow)]
struct ReleaseListRow {
    version: String,
    name: String,
    format: String,
    source: String,
    imported_at: String,
    is_active: bool,
    has_descriptions: bool,
    tactic_count: i64,
    technique_count: i64,
    mitigation_count: i64,
    case_study_count: i64,
}

impl Store {
    /// Every stored release, newest first, with its whole source for admins.
    pub async fn list_releases_with_sources(&self) -> StoreResult<Vec<ReleaseInfo>> {
        let rows: Vec<ReleaseListRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT r.version, r.name, r.format, r.source, r.imported_at, r.is_active,
                    r.has_descriptions,
                    (SELECT COUNT(*) FROM atlas_tactics x WHERE x.release_version = r.version)
                        AS tactic_count,
                    (SELECT COUNT(*) FROM atlas_techniques x WHERE x.release_version = r.version)
                        AS technique_count,
                    (SELECT COUNT(*) FROM atlas_mitigations x WHERE x.release_version = r.version)
                        AS mitigation_count,
                    (SELECT COUNT(*) FROM atlas_case_studies x WHERE x.release_version = r.version)
                        AS case_study_count
             FROM atlas_releases r",
        )
        .fetch_all(db)
        .await)?;
        let mut infos: Vec<ReleaseInfo> = rows
            .into_iter()
            .map(|r| ReleaseInfo {
                version: r.version,
                name: r.name,
                format: r.format,
                source: redact_source(&r.source),
                imported_at: r.imported_at,
                is_active: r.is_active,
                has_descriptions: r.has_descriptions,
                tactic_count: r.tactic_count,
                technique_count: r.technique_count,
                mitigation_count: r.mitigation_count,
                case_study_count: r.case_study_count,
            })
            .collect();
        infos.sort_by(|a, b| compare_versions(&b.version, &a.version));
        Ok(infos)
    }
}
