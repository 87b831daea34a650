//! Whether this server can take traffic (`/readyz`): the database answers,
//! every migration this build knows is applied as written, and a release is
//! active. `/healthz` only asks the first (is the process alive at all).

use serde::Serialize;

use crate::store::Migrator;

use crate::store::{AppliedMigration, Store};

/// One check: its name, whether it passed and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Every check, in the order they were run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
    /// The names of the checks that failed.
    pub failed: Vec<&'static str>,
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            ok: true,
            detail,
        },
        Err(detail) => Check {
            name,
            ok: false,
            detail,
        },
    }
}

/// Runs the checks; when the database does not answer, the two others are
/// reported as not run (failed).
pub async fn readiness(store: &Store) -> Readiness {
    let mut checks = Vec::with_capacity(3);
    let reachable = store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        "the database does not answer".to_string()
    });
    let db_ok = reachable.is_ok();
    checks.push(check(
        "database",
        reachable.map(|()| "reachable".to_string()),
    ));
    if db_ok {
        let migrations = match store.applied_migrations().await {
            Ok(applied) => compare_migrations(store.migrator(), &applied),
            Err(e) => Err(format!("cannot read the applied migrations: {e}")),
        };
        checks.push(check("migrations", migrations));
        let release = match store.active_release_version().await {
            Ok(Some(v)) => Ok(format!("ATLAS {v} is active")),
            Ok(None) => Err("no ATLAS release is active".to_string()),
            Err(e) => Err(format!("cannot read the active release: {e}")),
        };
        checks.push(check("release", release));
    } else {
        for name in ["migrations", "release"] {
            checks.push(check(name, Err("not checked: no database".to_string())));
        }
    }
    let failed: Vec<&'static str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    Readiness {
        ready: failed.is_empty(),
        checks,
        failed,
    }
}

/// The build's migrations against those the database recorded: each one
/// applied successfully with the same checksum, and none the build lacks.
pub fn compare_migrations(
    migrator: &Migrator,
    applied: &[AppliedMigration],
) -> Result<String, String> {
    let known: Vec<_> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    let mut problems = Vec::new();
    let pending: Vec<String> = known
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version && a.success))
        .map(|m| m.version.to_string())
        .collect();
    if !pending.is_empty() {
        problems.push(format!("not applied: {}", pending.join(", ")));
    }
    let changed: Vec<String> = known
        .iter()
        .filter(|m| {
            applied
                .iter()
                .any(|a| a.version == m.version && a.checksum[..] != m.checksum[..])
        })
        .map(|m| m.version.to_string())
        .collect();
    if !changed.is_empty() {
        problems.push(format!(
            "applied differently from this build: {}",
            changed.join(", ")
        ));
    }
    let unknown: Vec<String> = applied
        .iter()
        .filter(|a| !known.iter().any(|m| m.version == a.version))
        .map(|a| a.version.to_string())
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "applied but unknown to this build (a newer version ran here): {}",
            unknown.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(format!("{} applied", known.len()))
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MIGRATOR;

    fn all_applied() -> Vec<AppliedMigration> {
        MIGRATOR
            .iter()
            .map(|m| AppliedMigration {
                version: m.version,
                checksum: m.checksum.to_vec(),
                success: true,
            })
            .collect()
    }

    #[test]
    fn every_migration_applied_is_ready() {
        assert!(compare_migrations(&MIGRATOR, &all_applied()).is_ok());
    }

    #[test]
    fn a_missing_changed_failed_or_unknown_migration_is_named() {
        let mut applied = all_applied();
        let last = applied.pop().expect("a migration");
        let missing = compare_migrations(&MIGRATOR, &applied).expect_err("one missing");
        assert!(missing.contains(&last.version.to_string()), "{missing}");

        let mut applied = all_applied();
        applied[0].checksum = vec![0; 4];
        let changed = compare_migrations(&MIGRATOR, &applied).expect_err("one changed");
        assert!(changed.contains("differently"), "{changed}");

        let mut applied = all_applied();
        applied[1].success = false;
        assert!(compare_migrations(&MIGRATOR, &applied).is_err());

        let mut applied = all_applied();
        applied.push(AppliedMigration {
            version: 9999,
            checksum: Vec::new(),
            success: true,
        });
        let unknown = compare_migrations(&MIGRATOR, &applied).expect_err("one unknown");
        assert!(unknown.contains("9999"), "{unknown}");
    }
}
