//! Releases of the ATLAS knowledge base: import (one transaction), activation,
//! and loading a release back into the in-memory model.

use crate::store::backend::{Sql, Tx, Written, on_pool, on_tx};
use std::cmp::Ordering;
use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use super::{Store, StoreError, StoreResult, now_rfc3339};
use crate::atlas::version::compare_versions;
use crate::atlas::{
    ActiveAtlas, AttackRef, CaseStudy, Mitigation, MitigationUse, ProcedureStep, Reference,
    Release, ReleaseInfo, SourceFormat, Tactic, Technique,
};
use crate::domain::source::{public_source, redact_source};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The same release with the same content was already stored: nothing changed.
    Unchanged { version: String },
    /// A new release was stored.
    Added { version: String, activated: bool },
    /// A stored release of that version had other content (e.g. the embedded
    /// catalog, now replaced by the full release) and was replaced.
    Replaced { version: String, activated: bool },
}

impl std::fmt::Display for ImportOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let active = |a: &bool| {
            if *a {
                " and made it the active release"
            } else {
                ""
            }
        };
        match self {
            ImportOutcome::Unchanged { version } => {
                write!(
                    f,
                    "release {version} is already stored with the same content: nothing changed"
                )
            }
            ImportOutcome::Added { version, activated } => {
                write!(f, "stored release {version}{}", active(activated))
            }
            ImportOutcome::Replaced { version, activated } => {
                write!(
                    f,
                    "replaced the stored release {version} with the new content{}",
                    active(activated)
                )
            }
        }
    }
}

#[derive(FromRow)]
struct ReleaseRow {
    version: String,
    name: String,
    format: String,
    source: String,
    imported_at: String,
    is_active: bool,
    has_descriptions: bool,
}

#[derive(FromRow)]
struct TacticRow {
    id: String,
    name: String,
    description: Option<String>,
    attack_id: Option<String>,
    attack_url: Option<String>,
}

#[derive(FromRow)]
struct TechniqueRow {
    id: String,
    name: String,
    description: Option<String>,
    parent_id: Option<String>,
    maturity: Option<String>,
    attack_id: Option<String>,
    attack_url: Option<String>,
}

#[derive(FromRow)]
struct PairRow {
    owner: String,
    item: String,
    extra: Option<String>,
}

#[derive(FromRow)]
struct MitigationRow {
    id: String,
    name: String,
    description: Option<String>,
}

#[derive(FromRow)]
struct CaseStudyRow {
    id: String,
    name: String,
    summary: Option<String>,
    incident_date: Option<String>,
    incident_date_granularity: Option<String>,
    target: Option<String>,
    actor: Option<String>,
    reporter: Option<String>,
    case_study_type: Option<String>,
}

#[derive(FromRow)]
struct StepRow {
    case_study_id: String,
    tactic_id: String,
    technique_id: String,
    description: Option<String>,
}

#[derive(FromRow)]
struct ReferenceRow {
    case_study_id: String,
    title: Option<String>,
    url: Option<String>,
}

fn attack_ref(id: Option<String>, url: Option<String>) -> Option<AttackRef> {
    id.map(|id| AttackRef { id, url })
}

/// Content fingerprint: re-importing identical content is a no-op.
fn content_hash(release: &Release) -> String {
    let bytes = serde_json::to_vec(release).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

impl Store {
    /// Stores a release in one transaction. Identical content is a no-op; a
    /// release newer than the active one becomes active.
    pub async fn import_release(
        &self,
        release: &Release,
        source: &str,
    ) -> StoreResult<ImportOutcome> {
        let hash = content_hash(release);
        let source = &redact_source(source);
        let (mut tx, _turn) = self.write().await?;
        let existing: Option<(String,)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT content_hash FROM atlas_releases WHERE version = $1"
        )
        .bind(&release.version)
        .fetch_optional(&mut *ex)
        .await)?;
        if let Some((stored_hash,)) = &existing
            && *stored_hash == hash
        {
            return Ok(ImportOutcome::Unchanged {
                version: release.version.clone(),
            });
        }
        let was_active: bool = match &existing {
            Some(_) => {
                let (active,): (bool,) = on_tx!(&mut tx, |ex| sqlx::query_as(
                    "SELECT is_active FROM atlas_releases WHERE version = $1"
                )
                .bind(&release.version)
                .fetch_one(&mut *ex)
                .await)?;
                // ON DELETE CASCADE removes every row of the old content.
                on_tx!(&mut tx, |ex| sqlx::query(
                    "DELETE FROM atlas_releases WHERE version = $1"
                )
                .bind(&release.version)
                .execute(&mut *ex)
                .await
                .map(Written::from))?;
                active
            }
            None => false,
        };
        insert_release(&mut tx, release, source, &hash).await?;

        let active: Option<(String,)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT version FROM atlas_releases WHERE is_active"
        )
        .fetch_optional(&mut *ex)
        .await)?;
        let activate = was_active
            || match &active {
                None => true,
                Some((current,)) => {
                    compare_versions(&release.version, current) == Ordering::Greater
                }
            };
        if activate {
            set_active(&mut tx, &release.version).await?;
        }
        tx.commit().await?;
        let version = release.version.clone();
        Ok(match existing {
            Some(_) => ImportOutcome::Replaced {
                version,
                activated: activate,
            },
            None => ImportOutcome::Added {
                version,
                activated: activate,
            },
        })
    }

    /// Makes a stored release the active one.
    pub async fn activate_release(&self, version: &str) -> StoreResult<()> {
        let (mut tx, _turn) = self.write().await?;
        let found: Option<(String,)> = on_tx!(&mut tx, |ex| sqlx::query_as(
            "SELECT version FROM atlas_releases WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(&mut *ex)
        .await)?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("release {version}")));
        }
        set_active(&mut tx, version).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where a release came from, in full (as admins see it): a URL without
    /// credentials, a file's path.
    pub async fn release_source(&self, version: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT source FROM atlas_releases WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(db)
        .await)?;
        Ok(row.map(|(s,)| redact_source(&s)))
    }

    /// Removes credentials from sources stored before they were redacted on
    /// import. Returns how many rows changed.
    pub async fn redact_release_sources(&self) -> StoreResult<u64> {
        let rows: Vec<(String, String)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version, source FROM atlas_releases"
        )
        .fetch_all(db)
        .await)?;
        let mut changed = 0;
        for (version, source) in rows {
            let clean = redact_source(&source);
            if clean != source {
                self.execute_write(
                    Sql::new("UPDATE atlas_releases SET source = $1 WHERE version = $2")
                        .bind(clean)
                        .bind(version),
                )
                .await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Every stored release, newest first.
    pub async fn list_releases(&self) -> StoreResult<Vec<ReleaseInfo>> {
        let rows: Vec<ReleaseRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version, name, format, source, imported_at, is_active, has_descriptions
             FROM atlas_releases",
        )
        .fetch_all(db)
        .await)?;
        let mut infos = Vec::with_capacity(rows.len());
        for row in rows {
            infos.push(self.release_info(row).await?);
        }
        infos.sort_by(|a, b| compare_versions(&b.version, &a.version));
        Ok(infos)
    }

    async fn release_info(&self, row: ReleaseRow) -> StoreResult<ReleaseInfo> {
        let count = |table: &'static str| {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE release_version = $1");
            let version = row.version.clone();
            let pool = self.pool.clone();
            async move {
                let (n,): (i64,) = on_pool!(&pool, |db| sqlx::query_as(&sql)
                    .bind(version)
                    .fetch_one(db)
                    .await)?;
                Ok::<i64, StoreError>(n)
            }
        };
        Ok(ReleaseInfo {
            tactic_count: count("atlas_tactics").await?,
            technique_count: count("atlas_techniques").await?,
            mitigation_count: count("atlas_mitigations").await?,
            case_study_count: count("atlas_case_studies").await?,
            version: row.version,
            name: row.name,
            format: row.format,
            // What everyone may see; admins read the whole (credential-free)
            // source with `release_source`.
            source: public_source(&row.source),
            imported_at: row.imported_at,
            is_active: row.is_active,
            has_descriptions: row.has_descriptions,
        })
    }

    /// The active release with its indexes, if any release is stored.
    pub async fn load_active(&self) -> StoreResult<Option<ActiveAtlas>> {
        let row: Option<ReleaseRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version, name, format, source, imported_at, is_active, has_descriptions
             FROM atlas_releases WHERE is_active",
        )
        .fetch_optional(db)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let version = row.version.clone();
        let info = self.release_info(row).await?;
        let release = self
            .load_release(&version)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("active release {version} has no row")))?;
        Ok(Some(ActiveAtlas::new(info, release)))
    }

    /// A stored release, read back into the model.
    pub async fn load_release(&self, version: &str) -> StoreResult<Option<Release>> {
        let row: Option<ReleaseRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT version, name, format, source, imported_at, is_active, has_descriptions
             FROM atlas_releases WHERE version = $1",
        )
        .bind(version)
        .fetch_optional(db)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let format = SourceFormat::parse(&row.format)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown release format {}", row.format)))?;

        let tactics: Vec<TacticRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT id, name, description, attack_id, attack_url FROM atlas_tactics
             WHERE release_version = $1 ORDER BY position",
        )
        .bind(version)
        .fetch_all(db)
        .await)?;
        let techniques: Vec<TechniqueRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, name, description, parent_id, maturity, attack_id, attack_url FROM atlas_techniques
             WHERE release_version = $1 ORDER BY position",
        )
        .bind(version)
        .fetch_all(db)
        .await
        })?;
        let technique_tactics = self
            .pairs(
                "SELECT technique_id AS owner, tactic_id AS item, NULL AS extra FROM atlas_technique_tactics
                 WHERE release_version = $1 ORDER BY technique_id, position",
                version,
            )
            .await?;
        let technique_platforms = self
            .pairs(
                "SELECT technique_id AS owner, platform AS item, NULL AS extra FROM atlas_technique_platforms
                 WHERE release_version = $1 ORDER BY technique_id, position",
                version,
            )
            .await?;
        let mitigations: Vec<MitigationRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, name, description FROM atlas_mitigations WHERE release_version = $1 ORDER BY position",
        )
        .bind(version)
        .fetch_all(db)
        .await
        })?;
        let mitigation_uses = self
            .pairs(
                "SELECT mitigation_id AS owner, technique_id AS item, usage AS extra FROM atlas_mitigation_techniques
                 WHERE release_version = $1 ORDER BY mitigation_id, position",
                version,
            )
            .await?;
        let studies: Vec<CaseStudyRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT id, name, summary, incident_date, incident_date_granularity, target, actor, reporter,
                    case_study_type
             FROM atlas_case_studies WHERE release_version = $1 ORDER BY position",
        )
        .bind(version)
        .fetch_all(db)
        .await
        })?;
        let steps: Vec<StepRow> = on_pool!(&self.pool, |db| {
            sqlx::query_as(
            "SELECT case_study_id, tactic_id, technique_id, description FROM atlas_case_study_steps
             WHERE release_version = $1 ORDER BY case_study_id, position",
        )
        .bind(version)
        .fetch_all(db)
        .await
        })?;
        let references: Vec<ReferenceRow> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT case_study_id, title, url FROM atlas_case_study_references
             WHERE release_version = $1 ORDER BY case_study_id, position",
        )
        .bind(version)
        .fetch_all(db)
        .await)?;

        let mut tactics_of: HashMap<String, Vec<String>> = HashMap::new();
        for p in technique_tactics {
            tactics_of.entry(p.owner).or_default().push(p.item);
        }
        let mut platforms_of: HashMap<String, Vec<String>> = HashMap::new();
        for p in technique_platforms {
            platforms_of.entry(p.owner).or_default().push(p.item);
        }
        let mut uses_of: HashMap<String, Vec<MitigationUse>> = HashMap::new();
        for p in mitigation_uses {
            uses_of.entry(p.owner).or_default().push(MitigationUse {
                technique: p.item,
                usage: p.extra,
            });
        }
        let mut steps_of: HashMap<String, Vec<ProcedureStep>> = HashMap::new();
        for s in steps {
            steps_of
                .entry(s.case_study_id)
                .or_default()
                .push(ProcedureStep {
                    tactic: s.tactic_id,
                    technique: s.technique_id,
                    description: s.description,
                });
        }
        let mut refs_of: HashMap<String, Vec<Reference>> = HashMap::new();
        for r in references {
            refs_of.entry(r.case_study_id).or_default().push(Reference {
                title: r.title,
                url: r.url,
            });
        }

        Ok(Some(Release {
            version: row.version,
            name: row.name,
            format,
            tactics: tactics
                .into_iter()
                .map(|t| Tactic {
                    id: t.id,
                    name: t.name,
                    description: t.description,
                    attack_ref: attack_ref(t.attack_id, t.attack_url),
                })
                .collect(),
            techniques: techniques
                .into_iter()
                .map(|t| Technique {
                    tactics: tactics_of.remove(&t.id).unwrap_or_default(),
                    platforms: platforms_of.remove(&t.id).unwrap_or_default(),
                    id: t.id,
                    name: t.name,
                    description: t.description,
                    parent: t.parent_id,
                    maturity: t.maturity,
                    attack_ref: attack_ref(t.attack_id, t.attack_url),
                })
                .collect(),
            mitigations: mitigations
                .into_iter()
                .map(|m| Mitigation {
                    techniques: uses_of.remove(&m.id).unwrap_or_default(),
                    id: m.id,
                    name: m.name,
                    description: m.description,
                })
                .collect(),
            case_studies: studies
                .into_iter()
                .map(|c| CaseStudy {
                    procedure: steps_of.remove(&c.id).unwrap_or_default(),
                    references: refs_of.remove(&c.id).unwrap_or_default(),
                    id: c.id,
                    name: c.name,
                    summary: c.summary,
                    incident_date: c.incident_date,
                    incident_date_granularity: c.incident_date_granularity,
                    target: c.target,
                    actor: c.actor,
                    reporter: c.reporter,
                    case_study_type: c.case_study_type,
                })
                .collect(),
        }))
    }

    async fn pairs(&self, sql: &str, version: &str) -> StoreResult<Vec<PairRow>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(sql)
            .bind(version)
            .fetch_all(db)
            .await)?)
    }

    /// The newest stored release that has this technique, with the technique as
    /// it stood there. Used for techniques that vanished from the active release.
    pub async fn find_technique_anywhere(
        &self,
        id: &str,
    ) -> StoreResult<Option<(String, Technique)>> {
        let versions: Vec<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT release_version FROM atlas_techniques WHERE id = $1"
        )
        .bind(id)
        .fetch_all(db)
        .await)?;
        let Some(newest) = versions
            .into_iter()
            .map(|(v,)| v)
            .max_by(|a, b| compare_versions(a, b))
        else {
            return Ok(None);
        };
        let release = self.load_release(&newest).await?;
        Ok(release.and_then(|r| {
            r.techniques
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| (newest, t))
        }))
    }

    /// Every name a technique has had in any stored release, as
    /// `(id, name, parent name)` (the parent's name in the same release, for
    /// the "Parent: Child" form), so a picker can accept an earlier name.
    pub async fn technique_names_anywhere(
        &self,
    ) -> StoreResult<Vec<(String, String, Option<String>)>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT DISTINCT t.id, t.name, p.name FROM atlas_techniques t \
             LEFT JOIN atlas_techniques p \
               ON p.release_version = t.release_version AND p.id = t.parent_id \
             ORDER BY t.id",
        )
        .fetch_all(db)
        .await)?)
    }

    /// How often each technique is recorded: `(technique ID, incidents, steps)`.
    pub async fn technique_usage(&self) -> StoreResult<Vec<(String, i64, i64)>> {
        Ok(on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT technique_id, COUNT(DISTINCT incident_id), COUNT(*) \
             FROM observations GROUP BY technique_id",
        )
        .fetch_all(db)
        .await)?)
    }

    /// Whether any stored release knows this technique.
    pub async fn technique_known(&self, id: &str) -> StoreResult<bool> {
        let found: Option<(String,)> = on_pool!(&self.pool, |db| sqlx::query_as(
            "SELECT release_version FROM atlas_techniques WHERE id = $1 LIMIT 1"
        )
        .bind(id)
        .fetch_optional(db)
        .await)?;
        Ok(found.is_some())
    }
}

async fn set_active(tx: &mut Tx, version: &str) -> StoreResult<()> {
    on_tx!(&mut *tx, |ex| sqlx::query(
        "UPDATE atlas_releases SET is_active = FALSE WHERE is_active"
    )
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    on_tx!(&mut *tx, |ex| sqlx::query(
        "UPDATE atlas_releases SET is_active = TRUE WHERE version = $1"
    )
    .bind(version)
    .execute(&mut *ex)
    .await
    .map(Written::from))?;
    Ok(())
}

async fn insert_release(
    tx: &mut Tx,
    release: &Release,
    source: &str,
    hash: &str,
) -> StoreResult<()> {
    let v = &release.version;
    let has_descriptions = release.format != SourceFormat::Catalog;
    on_tx!(&mut *tx, |ex| {
        sqlx::query(
        "INSERT INTO atlas_releases (version, name, format, source, content_hash, imported_at, is_active, has_descriptions)
         VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7)",
    )
    .bind(v)
    .bind(&release.name)
    .bind(release.format.as_str())
    .bind(source)
    .bind(hash)
    .bind(now_rfc3339())
    .bind(has_descriptions)
    .execute(&mut *ex)
    .await.map(Written::from)
    })?;

    for (pos, t) in release.tactics.iter().enumerate() {
        on_tx!(&mut *tx, |ex| {
            sqlx::query(
            "INSERT INTO atlas_tactics (release_version, id, position, name, description, attack_id, attack_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(v)
        .bind(&t.id)
        .bind(pos as i64)
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.attack_ref.as_ref().map(|a| &a.id))
        .bind(t.attack_ref.as_ref().and_then(|a| a.url.as_ref()))
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
    }
    for (pos, t) in release.techniques.iter().enumerate() {
        on_tx!(&mut *tx, |ex| {
            sqlx::query(
            "INSERT INTO atlas_techniques (release_version, id, position, name, description, parent_id, maturity,
                                           attack_id, attack_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(v)
        .bind(&t.id)
        .bind(pos as i64)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.parent)
        .bind(&t.maturity)
        .bind(t.attack_ref.as_ref().map(|a| &a.id))
        .bind(t.attack_ref.as_ref().and_then(|a| a.url.as_ref()))
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
    }
    for t in &release.techniques {
        for (pos, platform) in t.platforms.iter().enumerate() {
            on_tx!(&mut *tx, |ex| {
                sqlx::query(
                "INSERT INTO atlas_technique_platforms (release_version, technique_id, position, platform)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(v)
            .bind(&t.id)
            .bind(pos as i64)
            .bind(platform)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
        for (pos, tactic) in t.tactics.iter().enumerate() {
            on_tx!(&mut *tx, |ex| {
                sqlx::query(
                "INSERT INTO atlas_technique_tactics (release_version, technique_id, tactic_id, position)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(v)
            .bind(&t.id)
            .bind(tactic)
            .bind(pos as i64)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
    }
    for (pos, m) in release.mitigations.iter().enumerate() {
        on_tx!(&mut *tx, |ex| sqlx::query(
            "INSERT INTO atlas_mitigations (release_version, id, position, name, description)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(v)
        .bind(&m.id)
        .bind(pos as i64)
        .bind(&m.name)
        .bind(&m.description)
        .execute(&mut *ex)
        .await
        .map(Written::from))?;
        for (upos, u) in m.techniques.iter().enumerate() {
            on_tx!(&mut *tx, |ex| {
                sqlx::query(
                "INSERT INTO atlas_mitigation_techniques (release_version, mitigation_id, position, technique_id, usage)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(v)
            .bind(&m.id)
            .bind(upos as i64)
            .bind(&u.technique)
            .bind(&u.usage)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
    }
    for (pos, c) in release.case_studies.iter().enumerate() {
        on_tx!(&mut *tx, |ex| {
            sqlx::query(
            "INSERT INTO atlas_case_studies (release_version, id, position, name, summary, incident_date,
                 incident_date_granularity, target, actor, reporter, case_study_type)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(v)
        .bind(&c.id)
        .bind(pos as i64)
        .bind(&c.name)
        .bind(&c.summary)
        .bind(&c.incident_date)
        .bind(&c.incident_date_granularity)
        .bind(&c.target)
        .bind(&c.actor)
        .bind(&c.reporter)
        .bind(&c.case_study_type)
        .execute(&mut *ex)
        .await.map(Written::from)
        })?;
        for (spos, s) in c.procedure.iter().enumerate() {
            on_tx!(&mut *tx, |ex| {
                sqlx::query(
                "INSERT INTO atlas_case_study_steps (release_version, case_study_id, position, tactic_id, technique_id,
                                                     description)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(v)
            .bind(&c.id)
            .bind(spos as i64)
            .bind(&s.tactic)
            .bind(&s.technique)
            .bind(&s.description)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
        for (rpos, r) in c.references.iter().enumerate() {
            on_tx!(&mut *tx, |ex| {
                sqlx::query(
                "INSERT INTO atlas_case_study_references (release_version, case_study_id, position, title, url)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(v)
            .bind(&c.id)
            .bind(rpos as i64)
            .bind(&r.title)
            .bind(&r.url)
            .execute(&mut *ex)
            .await.map(Written::from)
            })?;
        }
    }
    Ok(())
}
