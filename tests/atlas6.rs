//! Current ATLAS releases: the 6.0.0 format holding the complete 5.6.0
//! content, the STIX bundle, and the platform filter.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use atlasview::atlas::{Release, SourceFormat, parse_release};
use atlasview::store::Store;

use crate::support::shared_atlas;

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn granularity(legacy: &str) -> &'static str {
    match legacy {
        "YEAR" => "Year",
        "MONTH" => "Month",
        _ => "Day",
    }
}

/// Writes `release` (read from a legacy file) as upstream writes format
/// 6.0.0, from the description in `../shared/atlas/README.md`: ID-keyed maps
/// (tactics in ID order, not matrix order), `relationships` keyed by source
/// ID then type, `sequences` edges listed backwards, every technique with its
/// own `achieves` edges, and each case study's `employs` edges sorted by
/// target technique ID (steps of one technique backwards), chained by
/// `step-id` / `leads-to`.
pub fn v6_text(release: &Release, content_version: &str) -> String {
    let mut y = String::new();
    let w = &mut y;
    let _ = writeln!(w, "format-version: 6.0.0");
    let _ = writeln!(w, "collection:\n  id: ATLAS-collection");
    let _ = writeln!(w, "  name: {}", q(&release.name));
    let _ = writeln!(w, "  version: {}", q(content_version));
    let _ = writeln!(w, "  object-type: collection");
    let _ = writeln!(
        w,
        "matrix:\n  id: ATLAS-matrix\n  name: \"ATLAS Matrix\"\n  object-type: matrix"
    );
    let common = |w: &mut String,
                  id: &str,
                  name: &str,
                  description: &Option<String>,
                  kind: &str,
                  references: &[atlasview::atlas::Reference]| {
        let _ = writeln!(w, "  {id}:\n    id: {id}\n    name: {}", q(name));
        if let Some(d) = description {
            let _ = writeln!(w, "    description: {}", q(d));
        }
        if references.is_empty() {
            let _ = writeln!(w, "    references: []");
        } else {
            let _ = writeln!(w, "    references:");
            for (i, r) in references.iter().enumerate() {
                let _ = writeln!(w, "      - id: {}", q(&format!("{id}-ref-{i}")));
                if let Some(t) = &r.title {
                    let _ = writeln!(w, "        title: {}", q(t));
                }
                if let Some(u) = &r.url {
                    let _ = writeln!(w, "        url: {}", q(u));
                }
            }
        }
        let _ = writeln!(
            w,
            "    created-date: '2021-05-13'\n    modified-date: '2026-04-30'\n    uuid: {}\n    object-type: {kind}",
            q(&format!("uuid-of-{id}"))
        );
    };
    let attack = |w: &mut String, a: &Option<atlasview::atlas::AttackRef>| {
        if let Some(a) = a {
            let _ = writeln!(w, "    attack-reference:\n      id: {}", q(&a.id));
            if let Some(url) = &a.url {
                let _ = writeln!(w, "      url: {}", q(url));
            }
        }
    };

    let _ = writeln!(w, "tactics:");
    let mut tactics: Vec<_> = release.tactics.iter().collect();
    tactics.sort_by(|a, b| a.id.cmp(&b.id));
    for t in tactics {
        common(w, &t.id, &t.name, &t.description, "tactic", &[]);
        attack(w, &t.attack_ref);
    }
    let _ = writeln!(w, "techniques:");
    for t in &release.techniques {
        common(w, &t.id, &t.name, &t.description, "technique", &[]);
        if let Some(m) = &t.maturity {
            let _ = writeln!(w, "    maturity: {}", capitalized(m));
        }
        if !t.platforms.is_empty() {
            let _ = writeln!(w, "    platforms:");
            for p in &t.platforms {
                let _ = writeln!(w, "      - {}", q(p));
            }
        }
        attack(w, &t.attack_ref);
    }
    let _ = writeln!(w, "mitigations:");
    for m in &release.mitigations {
        common(w, &m.id, &m.name, &m.description, "mitigation", &[]);
        let _ = writeln!(w, "    lifecycle-phases: []\n    categories: []");
    }
    let _ = writeln!(w, "case-studies:");
    for c in &release.case_studies {
        common(w, &c.id, &c.name, &c.summary, "case-study", &c.references);
        if let Some(t) = &c.case_study_type {
            let _ = writeln!(w, "    type: {}", capitalized(t));
        }
        for (key, value) in [
            ("actor", &c.actor),
            ("target", &c.target),
            ("reporter", &c.reporter),
        ] {
            if let Some(v) = value {
                let _ = writeln!(w, "    {key}: {}", q(v));
            }
        }
        if let Some(d) = &c.incident_date {
            let _ = writeln!(w, "    date: {}", q(d));
        }
        if let Some(g) = &c.incident_date_granularity {
            let _ = writeln!(w, "    date-granularity: {}", granularity(g));
        }
    }

    let _ = writeln!(w, "relationships:\n  ATLAS-matrix:\n    sequences:");
    for (i, t) in release.tactics.iter().enumerate().rev() {
        let _ = writeln!(
            w,
            "      - {{source: ATLAS-matrix, target: {}, relationship-type: sequences, position: {}}}",
            t.id,
            i + 1
        );
    }
    for t in &release.techniques {
        let _ = writeln!(w, "  {}:\n    achieves:", t.id);
        for tactic in &t.tactics {
            let _ = writeln!(
                w,
                "      - {{source: {}, target: {tactic}, relationship-type: achieves}}",
                t.id
            );
        }
        if let Some(p) = &t.parent {
            let _ = writeln!(
                w,
                "    specializes:\n      - {{source: {}, target: {p}, relationship-type: specializes}}",
                t.id
            );
        }
    }
    for m in &release.mitigations {
        if m.techniques.is_empty() {
            continue;
        }
        let _ = writeln!(w, "  {}:\n    mitigates:", m.id);
        for u in &m.techniques {
            let _ = writeln!(
                w,
                "      - source: {}\n        target: {}\n        relationship-type: mitigates",
                m.id, u.technique
            );
            if let Some(d) = &u.usage {
                let _ = writeln!(w, "        description: {}", q(d));
            }
        }
    }
    for c in &release.case_studies {
        if c.procedure.is_empty() {
            continue;
        }
        let _ = writeln!(w, "  {}:\n    employs:", c.id);
        let n = c.procedure.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            (c.procedure[a].technique.as_str(), std::cmp::Reverse(a))
                .cmp(&(c.procedure[b].technique.as_str(), std::cmp::Reverse(b)))
        });
        for i in order {
            let s = &c.procedure[i];
            let leads = if i + 1 < n {
                format!("[S{:02}]", i + 1)
            } else {
                "[]".to_string()
            };
            let _ = writeln!(
                w,
                "      - source: {}\n        target: {}\n        relationship-type: employs\n        tactic: {}\n        step-id: S{i:02}\n        leads-to: {leads}",
                c.id, s.technique, s.tactic
            );
            if let Some(d) = &s.description {
                let _ = writeln!(w, "        description: {}", q(d));
            }
        }
    }
    y
}

fn legacy_5_6_0() -> Release {
    parse_release(&std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).expect("read 5.6.0"))
        .expect("parse 5.6.0")
}

#[test]
fn the_complete_5_6_0_content_in_format_6_imports_to_the_same_matrix() {
    let legacy = legacy_5_6_0();
    let text = v6_text(&legacy, "2026.04");
    // The generated file is really laid out as upstream's: no top-level
    // version, no list of tactics in the matrix, steps not in attack order.
    assert!(!text.contains("\nversion:") && text.contains("\n  version: \"2026.04\""));
    let v6 = parse_release(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v6.format, SourceFormat::V6);
    assert_eq!(v6.version, "2026.04");

    // 16 columns in the same order, same names and texts.
    assert_eq!(v6.tactics.len(), 16);
    assert_eq!(v6.tactics, legacy.tactics);
    // 170 techniques with every tactic and parent (and all other fields).
    assert_eq!(v6.techniques.len(), 170);
    for (a, b) in v6.techniques.iter().zip(&legacy.techniques) {
        assert_eq!(a, b, "technique {}", b.id);
    }
    assert_eq!(v6.techniques, legacy.techniques);
    // 35 mitigations with their 246 uses and usage texts.
    assert_eq!(v6.mitigations.len(), 35);
    assert_eq!(v6.mitigations, legacy.mitigations);
    // 57 case studies, 449 steps in the legacy (attack) order.
    assert_eq!(v6.case_studies.len(), 57);
    let steps: usize = v6.case_studies.iter().map(|c| c.procedure.len()).sum();
    assert_eq!(steps, 449);
    for (a, b) in v6.case_studies.iter().zip(&legacy.case_studies) {
        assert_eq!(a, b, "case study {}", b.id);
    }
    // Some study really was listed out of attack order.
    let cs0000 = &legacy.case_studies[0];
    let listed: Vec<&str> = {
        let start = text
            .find("  AML.CS0000:\n    employs:")
            .expect("CS0000 edges");
        text[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("        target: "))
            .take(cs0000.procedure.len())
            .collect()
    };
    let attack: Vec<&str> = cs0000
        .procedure
        .iter()
        .map(|s| s.technique.as_str())
        .collect();
    assert_ne!(listed, attack, "the edges are in target-ID order");
}

/// (tactic, technique, description) of every step of every incident.
async fn incident_steps(store: &Store) -> BTreeMap<String, Vec<(String, String, String)>> {
    let active = store.load_active().await.unwrap().unwrap();
    let summary = atlasview::service::case_studies::import_release_case_studies(store, &active)
        .await
        .unwrap();
    assert_eq!(summary.created, 57);
    assert_eq!(summary.steps, 449);
    let mut all = BTreeMap::new();
    for cs in &active.release.case_studies {
        let id = atlasview::service::case_studies::incident_id_for(&cs.id);
        let detail = store.get_incident(&id).await.unwrap().expect("incident");
        let i = &detail.incident;
        let steps = detail
            .steps
            .iter()
            .map(|s| {
                (
                    s.tactic_id.clone(),
                    s.technique_id.clone(),
                    s.description.clone(),
                )
            })
            .collect();
        all.insert(
            format!(
                "{id} {} | {} | {:?} | {} | {} | {} | {:?}",
                i.title,
                i.summary,
                i.occurred,
                i.target,
                i.actor,
                i.kind.label(),
                i.references
            ),
            steps,
        );
    }
    all
}

#[tokio::test]
async fn its_case_studies_become_the_same_57_incidents_with_the_same_449_steps() {
    let legacy = legacy_5_6_0();
    let v6 = parse_release(v6_text(&legacy, "2026.04").as_bytes()).unwrap();
    let mut results = Vec::new();
    for (name, release) in [("legacy", &legacy), ("v6", &v6)] {
        let db = crate::support::TestDatabase::fresh().await;
        let store = Store::connect(&db.url).await.unwrap();
        store.import_release(release, name).await.unwrap();
        results.push(incident_steps(&store).await);
        store.close().await;
    }
    assert_eq!(results[0].len(), 57);
    let total: usize = results[1].values().map(Vec::len).sum();
    assert_eq!(total, 449);
    assert_eq!(results[0], results[1]);
}

// ---------------------------------------------------------------------------
// STIX 2.1 bundle
// ---------------------------------------------------------------------------

/// Per technique ID: name, parent, tactics, description.
type TechniqueFacts = BTreeMap<String, (String, Option<String>, Vec<String>, Option<String>)>;
/// Per mitigation: ID, name, (technique, usage) uses.
type MitigationFacts = Vec<(String, String, Vec<(String, Option<String>)>)>;
/// Per column: tactic, and its cells with their sub-techniques.
type MatrixFacts = Vec<(String, BTreeSet<(String, Vec<String>)>)>;

#[test]
fn the_stix_bundle_imports_to_the_same_matrix_as_the_5_6_0_yaml() {
    let bytes = std::fs::read(shared_atlas("stix-atlas-5.6.0.json")).expect("read STIX");
    // The bundle does not name its release; the file name does.
    let options = atlasview::atlas::ParseOptions {
        release: None,
        source: Some(shared_atlas("stix-atlas-5.6.0.json").display().to_string()),
    };
    let stix = atlasview::atlas::parse_release_with(&bytes, &options)
        .unwrap_or_else(|e| panic!("{e}"))
        .release;
    let yaml = legacy_5_6_0();
    assert_eq!(stix.format, SourceFormat::Stix);
    assert_eq!(stix.version, "5.6.0");

    // Same tactics in the same order, same names and descriptions.
    let tactics = |r: &Release| -> Vec<(String, String, Option<String>)> {
        r.tactics
            .iter()
            .map(|t| (t.id.clone(), t.name.clone(), t.description.clone()))
            .collect()
    };
    assert_eq!(tactics(&stix).len(), 16);
    assert_eq!(tactics(&stix), tactics(&yaml));
    // Same techniques: names, parents, tactics (the bundle lists them by ID,
    // the YAML in upstream's display order, so compare by ID).
    let techniques = |r: &Release| -> TechniqueFacts {
        r.techniques
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    (
                        t.name.clone(),
                        t.parent.clone(),
                        t.tactics.clone(),
                        t.description.clone(),
                    ),
                )
            })
            .collect()
    };
    assert_eq!(techniques(&stix).len(), 170);
    assert_eq!(techniques(&stix), techniques(&yaml));
    // Same mitigations with the same uses in the same order.
    let mitigations = |r: &Release| -> MitigationFacts {
        r.mitigations
            .iter()
            .map(|m| {
                (
                    m.id.clone(),
                    m.name.clone(),
                    m.techniques
                        .iter()
                        .map(|u| (u.technique.clone(), u.usage.clone()))
                        .collect(),
                )
            })
            .collect()
    };
    assert_eq!(mitigations(&stix).len(), 35);
    assert_eq!(mitigations(&stix), mitigations(&yaml));

    // And so the same matrix: every column holds the same cells with the
    // same sub-techniques.
    let matrix = |r: &Release| -> MatrixFacts {
        let info = atlasview::atlas::ReleaseInfo {
            version: r.version.clone(),
            name: r.name.clone(),
            format: r.format.as_str().into(),
            source: "test".into(),
            imported_at: "now".into(),
            is_active: true,
            has_descriptions: true,
            tactic_count: 0,
            technique_count: 0,
            mitigation_count: 0,
            case_study_count: 0,
        };
        let atlas = atlasview::atlas::ActiveAtlas::new(info, r.clone());
        let view = atlasview::render::MatrixView::build(
            &atlas,
            &atlasview::render::MatrixOptions {
                subtechniques: atlasview::render::SubtechniqueMode::All,
                show_ids: true,
            },
        );
        view.columns
            .iter()
            .map(|c| {
                (
                    format!("{} {}", c.tactic_id, c.name),
                    c.cells
                        .iter()
                        .map(|cell| {
                            let mut subs: Vec<String> =
                                cell.subtechniques.iter().map(|s| s.id.clone()).collect();
                            subs.sort();
                            (cell.id.clone(), subs)
                        })
                        .collect(),
                )
            })
            .collect()
    };
    assert_eq!(matrix(&stix), matrix(&yaml));
}

#[test]
fn a_stix_bundle_without_a_release_is_refused_with_what_to_do() {
    let bytes = std::fs::read(shared_atlas("stix-atlas-5.6.0.json")).expect("read STIX");
    let err = parse_release(&bytes).unwrap_err();
    assert!(
        matches!(err, atlasview::atlas::ImportError::MissingRelease),
        "{err:?}"
    );
    assert!(err.to_string().contains("--release"), "{err}");
    let err = parse_release(b"{\"type\": \"bundle\", \"objects\": [").unwrap_err();
    assert!(
        err.to_string().starts_with("not valid JSON at line 1"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// `atlas sync` from a manifest, `--release`, `atlas remote`, the admin page
// ---------------------------------------------------------------------------

use crate::support::{cli, text as out};

/// Serves `files` (path -> body) on a free loopback port; other paths are 404.
async fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    let mut router = axum::Router::new();
    for (path, body) in files {
        router = router.route(
            &path,
            axum::routing::get(move || async move { body.clone() }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// What `atlas list` shows plus the active release's content.
async fn fingerprint(db: &crate::support::TestDatabase) -> String {
    let store = Store::connect(&db.url).await.unwrap();
    let releases = store.list_releases().await.unwrap();
    let active = store.load_active().await.unwrap().map(|a| a.release);
    store.close().await;
    format!("{releases:?}{active:?}")
}

/// The small 6.0.0 fixture as release `version`.
fn small_as(version: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(crate::support::fixture("atlas-v6-small.yaml")).unwrap();
    assert_eq!(text.matches("  version: '2026.09'\n").count(), 1);
    text.replace(
        "  version: '2026.09'\n",
        &format!("  version: '{version}'\n"),
    )
    .into_bytes()
}

const MANIFEST: &str = "# newest first, as upstream writes it
- release: '2026.09'
  release-date: '2026-09-30'
  versions:
    - {format-version: 7.0.0, path: v7/ATLAS-2026.09.yaml}
    - {format-version: 6.0.0, path: v6/ATLAS-2026.09.yaml}
- release: '2026.07'
  release-date: '2026-07-31'
  versions:
    - {format-version: 6.0.0, path: v6/ATLAS-2026.07.yaml}
- release: '2026.04'
  release-date: '2026-04-30'
  versions:
    - {format-version: 6.0.0, path: v6/ATLAS-2026.04.yaml}
    - {format-version: 5.6.0, path: legacy/ATLAS-5.6.0.yaml}
";

/// A mirror with a manifest of three releases (two files for two of them);
/// the 7.0.0 file is deliberately unreadable.
async fn mirror() -> String {
    serve(vec![
        ("/dist/manifest.yaml".into(), MANIFEST.as_bytes().to_vec()),
        (
            "/dist/v7/ATLAS-2026.09.yaml".into(),
            b"format-version: 7.0.0\nnot: for us\n".to_vec(),
        ),
        ("/dist/v6/ATLAS-2026.09.yaml".into(), small_as("2026.09")),
        ("/dist/v6/ATLAS-2026.07.yaml".into(), small_as("2026.07")),
        ("/dist/v6/ATLAS-2026.04.yaml".into(), small_as("2026.04")),
        (
            "/dist/legacy/ATLAS-5.6.0.yaml".into(),
            std::fs::read(shared_atlas("ATLAS-5.6.0.yaml")).unwrap(),
        ),
        // Also a pointer, which the manifest takes precedence over.
        (
            "/dist/ATLAS-latest.yaml".into(),
            b"v6/ATLAS-2026.07.yaml".to_vec(),
        ),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_takes_the_newest_6_0_0_file_of_the_manifest_and_release_picks_another() {
    let base = mirror().await;
    let dist = format!("{base}/dist/");
    let db = crate::support::TestDatabase::fresh().await;

    let o = cli(&db, &["atlas", "sync", "--url", &dist]);
    assert!(o.status.success(), "{}", out(&o.stderr));
    let stdout = out(&o.stdout);
    assert!(
        stdout.contains(&format!(
            "fetched {dist}v6/ATLAS-2026.09.yaml (manifest: the newest release 2026.09, format 6.0.0)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("stored release 2026.09 and made it the active release"),
        "{stdout}"
    );

    // `atlas remote` lists the three, newest first, marking the stored one.
    let o = cli(&db, &["atlas", "remote", "--url", &dist]);
    assert!(o.status.success(), "{}", out(&o.stderr));
    let lines: Vec<String> = out(&o.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("stored 2026.09"), "{lines:?}");
    assert!(
        lines[0].contains("6.0.0 v6/ATLAS-2026.09.yaml")
            && lines[0].contains("7.0.0 v7/ATLAS-2026.09.yaml")
    );
    assert!(lines[1].starts_with("       2026.07"), "{lines:?}");
    assert!(
        lines[2].contains("5.6.0 legacy/ATLAS-5.6.0.yaml"),
        "{lines:?}"
    );

    // `--release` takes an older one: stored, not made active.
    let o = cli(
        &db,
        &["atlas", "sync", "--url", &dist, "--release", "2026.07"],
    );
    assert!(o.status.success(), "{}", out(&o.stderr));
    let stdout = out(&o.stdout);
    assert!(
        stdout.contains(&format!(
            "fetched {dist}v6/ATLAS-2026.07.yaml (manifest: the asked-for release 2026.07"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("stored release 2026.07\n"), "{stdout}");
    let o = cli(&db, &["atlas", "remote", "--url", &dist]);
    assert!(
        out(&o.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("stored 2026.07")
    );

    // A release the manifest does not list: refused, nothing changes.
    let before = fingerprint(&db).await;
    let o = cli(
        &db,
        &["atlas", "sync", "--url", &dist, "--release", "2026.01"],
    );
    assert!(!o.status.success());
    assert!(
        out(&o.stderr).contains("offers no release 2026.01 (it lists 2026.09, 2026.07, 2026.04)"),
        "{}",
        out(&o.stderr)
    );
    assert_eq!(fingerprint(&db).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_or_a_broken_or_wrong_file_leaves_the_database_unchanged() {
    let broken = {
        let mut b = small_as("2026.11");
        // Cut off mid-way, as an interrupted download would be.
        b.truncate(b.len() / 2);
        b.extend_from_slice(b"\n    name: [unclosed");
        b
    };
    let manifest = "- release: '2026.12'\n  versions:\n    - {format-version: 6.0.0, path: v6/ATLAS-2026.12.yaml}\n- release: '2026.11'\n  versions:\n    - {format-version: 6.0.0, path: v6/ATLAS-2026.11.yaml}\n- release: '2026.10'\n  versions:\n    - {format-version: 6.0.0, path: v6/ATLAS-2026.10.yaml}\n";
    let base = serve(vec![
        ("/dist/manifest.yaml".into(), manifest.as_bytes().to_vec()),
        // 2026.12 is listed but missing (404).
        ("/dist/v6/ATLAS-2026.11.yaml".into(), broken),
        // The file says it is 2026.09, the manifest says 2026.10.
        ("/dist/v6/ATLAS-2026.10.yaml".into(), small_as("2026.09")),
    ])
    .await;
    let dist = format!("{base}/dist/");
    let db = crate::support::TestDatabase::fresh().await;
    let o = cli(
        &db,
        &[
            "atlas",
            "import",
            shared_atlas("ATLAS-4.8.0.yaml").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", out(&o.stderr));
    let before = fingerprint(&db).await;

    let cases: [(&[&str], &str); 3] = [
        (&[], "answered HTTP 404"),
        (&["--release", "2026.11"], "not valid YAML at line"),
        (
            &["--release", "2026.10"],
            "collection.version: the file holds release 2026.09, not the release 2026.10",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["atlas", "sync", "--url", dist.as_str()];
        args.extend_from_slice(extra);
        let o = cli(&db, &args);
        assert!(!o.status.success(), "{extra:?} was accepted");
        assert!(
            out(&o.stderr).contains(needle),
            "{extra:?}: {}",
            out(&o.stderr)
        );
        assert_eq!(
            fingerprint(&db).await,
            before,
            "{extra:?} changed the database"
        );
    }

    // A manifest that points outside the mirror is not followed at all.
    let hostile = serve(vec![(
        "/dist/manifest.yaml".into(),
        b"- release: '2026.08'\n  versions:\n    - {format-version: 6.0.0, path: ../../outside.yaml}\n".to_vec(),
    )])
    .await;
    let o = cli(
        &db,
        &["atlas", "sync", "--url", &format!("{hostile}/dist/")],
    );
    assert!(!o.status.success());
    assert!(
        out(&o.stderr).contains(
            "[0].versions[0].path: `../../outside.yaml` is not a path inside the dist/ folder"
        ),
        "{}",
        out(&o.stderr)
    );
    assert_eq!(fingerprint(&db).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_manifest_release_is_found_by_its_file_name() {
    let base = serve(vec![(
        "/dist/v6/ATLAS-2026.07.yaml".into(),
        small_as("2026.07"),
    )])
    .await;
    let dist = format!("{base}/dist");
    let db = crate::support::TestDatabase::fresh().await;
    let o = cli(
        &db,
        &["atlas", "sync", "--url", &dist, "--release", "2026.07"],
    );
    assert!(o.status.success(), "{}", out(&o.stderr));
    assert!(
        out(&o.stdout).contains(&format!(
            "fetched {dist}/v6/ATLAS-2026.07.yaml (no manifest: release 2026.07 by its file name)"
        )),
        "{}",
        out(&o.stdout)
    );
    let o = cli(&db, &["atlas", "remote", "--url", &dist]);
    assert!(!o.status.success());
    assert!(
        out(&o.stderr).contains("has no manifest.yaml"),
        "{}",
        out(&o.stderr)
    );
    let o = cli(
        &db,
        &["atlas", "sync", "--url", &dist, "--release", "2026.05"],
    );
    assert!(!o.status.success());
    assert!(
        out(&o.stderr)
            .contains("no manifest.yaml, no v6/ATLAS-2026.05.yaml, no legacy/ATLAS-2026.05.yaml"),
        "{}",
        out(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_lists_the_mirror_and_syncs_a_chosen_release() {
    let app = crate::support::TestApp::spawn().await;
    let base = mirror().await;
    let dist = format!("{base}/dist/");
    let (status, page) = app
        .get(&format!("/admin/atlas/remote?url={}", urlencode(&dist)))
        .await;
    assert_eq!(status, 200, "{page}");
    for r in ["2026.09", "2026.07", "2026.04"] {
        assert!(
            page.contains(&format!("name=\"release\" value=\"{r}\"")),
            "{r} offered"
        );
    }
    let res = app
        .post_encoded_as(
            &app.client,
            "/admin/atlas/sync",
            format!("url={}&release=2026.07", urlencode(&dist)),
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.state.atlas.get().version(),
        "2026.07",
        "newer than the catalog"
    );
    let (_, page) = app
        .get(&format!("/admin/atlas/remote?url={}", urlencode(&dist)))
        .await;
    assert!(
        !page.contains("name=\"release\" value=\"2026.07\""),
        "2026.07 is stored now"
    );
    assert!(page.contains("name=\"release\" value=\"2026.09\""));
    // Admins only.
    let analyst = app.client_as(atlasview::domain::auth::Role::Analyst).await;
    let res = analyst
        .get(app.url(&format!("/admin/atlas/remote?url={}", urlencode(&dist))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // A bad release name is a 422 naming the field; nothing is fetched.
    let res = app
        .post_encoded_as(
            &app.client,
            "/admin/atlas/sync",
            format!("url={}&release=..%2Fx", urlencode(&dist)),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("2026.09 or 5.6.0"));
}

fn urlencode(s: &str) -> String {
    serde_html_form::to_string([("x", s)]).unwrap()[2..].to_string()
}

// ---------------------------------------------------------------------------
// Platforms
// ---------------------------------------------------------------------------

/// The technique IDs the matrix page links to.
fn linked_techniques(html: &str) -> BTreeSet<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(".matrix a[href^=\"/techniques/\"]").unwrap();
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .map(|h| {
            h.trim_start_matches("/techniques/")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_platform_filter_counts_techniques_per_platform_on_pages_and_exports() {
    let app = crate::support::TestApp::spawn().await;
    app.import(&crate::support::fixture("atlas-v6-small.yaml"))
        .await;
    let release = app.state.atlas.get().release.clone();
    // Stored and read back per technique.
    assert_eq!(
        release.technique("AML.T0051.001").unwrap().platforms,
        ["Generative AI", "Agentic AI"]
    );

    let (_, all) = app.get("/matrix?subtechniques=all").await;
    assert_eq!(
        linked_techniques(&all).len(),
        7,
        "every technique without a filter"
    );
    // The renamed AML.TA0001 heads the last column under its new name.
    let doc = scraper::Html::parse_document(&all);
    let heads: Vec<String> = doc
        .select(&scraper::Selector::parse(".matrix a[href^=\"/tactics/\"]").unwrap())
        .map(|a| a.text().collect::<String>().trim().to_string())
        .collect();
    assert_eq!(
        heads.last().map(String::as_str),
        Some("AI Attack Adaptation"),
        "{heads:?}"
    );
    let cases: [(&str, &[&str]); 5] = [
        ("platform=predictive-ai", &["AML.T0000", "AML.T0043"]),
        (
            "platform=generative-ai",
            &["AML.T0000", "AML.T0051", "AML.T0051.000", "AML.T0051.001"],
        ),
        (
            "platform=agentic-ai",
            &["AML.T0000", "AML.T0051", "AML.T0051.001", "AML.T0053"],
        ),
        ("platform=enterprise", &["AML.T0049"]),
        // Several platforms: their union.
        (
            "platform=enterprise&platform=predictive-ai",
            &["AML.T0000", "AML.T0043", "AML.T0049"],
        ),
    ];
    for (query, want) in cases {
        let (status, page) = app.get(&format!("/matrix?subtechniques=all&{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        let got = linked_techniques(&page);
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "{query}");
        // The counts agree with the release's own data.
        let slugs: Vec<&str> = query.split('&').map(|p| &p["platform=".len()..]).collect();
        let direct = release
            .techniques
            .iter()
            .filter(|t| slugs.iter().any(|s| t.on_platform(s)))
            .count();
        assert_eq!(got.len(), direct, "{query}");
    }

    // The page's export links and toggles carry the filter.
    let (_, page) = app.get("/matrix?platform=generative-ai").await;
    assert!(
        page.contains("href=\"/matrix/layer.json?platform=generative-ai\""),
        "layer link"
    );
    assert!(
        page.contains("href=\"/matrix.svg?platform=generative-ai\""),
        "SVG link"
    );
    assert!(
        page.contains("href=\"/matrix?platform=generative-ai&#38;subtechniques=all\""),
        "toggles keep the platform"
    );
    assert!(page.contains("techniques of Generative AI"));

    // The SVG draws only the platform's techniques and says so.
    let (status, svg) = app.get("/matrix.svg?platform=enterprise&ids=1").await;
    assert_eq!(status, 200);
    assert!(
        svg.contains("AML.T0049") && !svg.contains("AML.T0043"),
        "{svg}"
    );
    assert!(svg.contains("techniques of Enterprise"));

    // The layer: only scored techniques of the platform, and the filter named.
    let active = app.state.atlas.get();
    atlasview::service::case_studies::import_release_case_studies(&app.store, &active)
        .await
        .unwrap();
    let layer_ids = |body: &str| -> BTreeSet<String> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["techniqueID"].as_str().unwrap().to_string())
            .collect()
    };
    // Observed cells lead to technique pages that keep the platform.
    let (_, page) = app.get("/matrix?platform=agentic-ai").await;
    assert!(
        page.contains("href=\"/techniques/AML.T0053?under=AML.TA0005&#38;platform=agentic-ai\""),
        "observed cell link"
    );
    let (_, whole) = app.get("/matrix/layer.json").await;
    assert!(layer_ids(&whole).contains("AML.T0053"));
    let (status, body) = app.get("/matrix/layer.json?platform=predictive-ai").await;
    assert_eq!(status, 200);
    assert_eq!(
        layer_ids(&body),
        ["AML.T0000", "AML.T0043"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .contains("techniques of Predictive AI")
    );
    assert!(
        v["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "platforms" && m["value"] == "Predictive AI")
    );

    // The heat scale is that of the techniques shown: an incident with nine
    // steps on an Agentic AI technique does not stretch the Predictive AI scale
    // (layer maxima are rounded up to a multiple of 4 for mitreattack-python).
    let step = serde_json::json!({"tactic": "AML.TA0005", "technique": "AML.T0053"});
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&serde_json::json!({
            "title": "An agent called its tools for the attacker",
            "kind": "incident",
            "severity": "high",
            "status": "open",
            "steps": vec![step; 9],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{}", res.text().await.unwrap());
    let max = async |query: &str| -> u64 {
        let (_, body) = app.get(&format!("/matrix/layer.json?{query}")).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["gradient"]["maxValue"].as_u64().unwrap()
    };
    assert_eq!(max("metric=steps").await, 12);
    assert_eq!(max("metric=steps&platform=agentic-ai").await, 12);
    assert_eq!(max("metric=steps&platform=predictive-ai").await, 4);

    // Technique pages name their platforms, each linking to the filtered matrix.
    let (_, page) = app.get("/techniques/AML.T0051.001").await;
    assert!(page.contains("<a href=\"/matrix?platform=generative-ai\">Generative AI</a>"));
    assert!(page.contains("<a href=\"/matrix?platform=agentic-ai\">Agentic AI</a>"));
    let (status, page) = app.get("/techniques/AML.T0051?platform=agentic-ai").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("/matrix?platform=agentic-ai"),
        "back to the filtered matrix"
    );

    // An unknown platform is a 400 naming the parameter.
    let (status, body) = app.get("/matrix?platform=quantum-ai").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("platform: must be one of predictive-ai"),
        "{body}"
    );
    let (status, _) = app.get("/matrix.svg?platform=quantum-ai").await;
    assert_eq!(status, 400);
}

// ---------------------------------------------------------------------------
// scripts/atlas-data: a clone without ../shared
// ---------------------------------------------------------------------------

/// (sha256, path under shared/atlas, first URL) of every line of the list.
fn data_list() -> Vec<(String, String, String)> {
    let list = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/atlas-data.sha256"
    ))
    .unwrap();
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let (sha, path, url) = (parts.next(), parts.next(), parts.next());
            (
                sha.unwrap().to_string(),
                path.unwrap().to_string(),
                url.unwrap().to_string(),
            )
        })
        .collect()
}

/// A mirror of MITRE's two repositories holding the shared files, except
/// `skip` (404) and `tamper` (one byte changed).
async fn data_mirror(skip: &[&str], tamper: &[&str]) -> String {
    let mut files = Vec::new();
    for (_, path, url) in data_list() {
        if skip.contains(&path.as_str()) {
            continue;
        }
        let route = url
            .replace("${ATLAS_DATA_URL}", "/data")
            .replace("${ATLAS_NAVIGATOR_URL}", "/nav");
        assert!(route.starts_with('/'), "{url}");
        let mut body = std::fs::read(shared_atlas(&path)).unwrap();
        if tamper.contains(&path.as_str()) {
            body[0] ^= 0x20;
        }
        files.push((route, body));
    }
    serve(files).await
}

/// Runs a copy of scripts/atlas-data in a repository without ../shared.
fn run_atlas_data(
    repo: &std::path::Path,
    base: &str,
    cache: &std::path::Path,
) -> std::process::Output {
    std::process::Command::new("bash")
        .arg(repo.join("scripts/atlas-data"))
        .env_remove("ATLASVIEW_SHARED_ATLAS")
        .env("ATLAS_DATA_URL", format!("{base}/data"))
        .env("ATLAS_NAVIGATOR_URL", format!("{base}/nav"))
        .env("ATLASVIEW_DATA_CACHE", cache)
        .output()
        .expect("run bash")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_without_shared_fetches_the_data_with_checked_sha256_or_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the repository's scripts, with no ../shared beside it.
    let repo = dir.path().join("clone/atlasview");
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    for f in ["atlas-data", "atlas-data.sha256"] {
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scripts")
                .join(f),
            repo.join("scripts").join(f),
        )
        .unwrap();
    }
    assert!(!repo.join("../shared").exists());
    let list = data_list();
    assert_eq!(
        list.len(),
        61,
        "5.6.0, 4.8.0, STIX, the matrix layer, 57 case-study layers"
    );

    // Everything reachable: fetched, checked, and the folder printed.
    let base = data_mirror(&[], &[]).await;
    let cache = dir.path().join("cache");
    let o = run_atlas_data(&repo, &base, &cache);
    assert!(o.status.success(), "{}", out(&o.stderr));
    assert_eq!(out(&o.stdout).trim(), cache.display().to_string());
    assert!(out(&o.stderr).contains("(61 fetched"), "{}", out(&o.stderr));
    for (_, path, _) in &list {
        assert_eq!(
            std::fs::read(cache.join(path)).unwrap(),
            std::fs::read(shared_atlas(path)).unwrap(),
            "{path}"
        );
    }
    let fetched = parse_release(&std::fs::read(cache.join("ATLAS-5.6.0.yaml")).unwrap()).unwrap();
    assert_eq!(fetched.techniques.len(), 170);
    // Again: nothing fetched, every file re-checked.
    let o = run_atlas_data(&repo, &base, &cache);
    assert!(o.status.success());
    assert!(out(&o.stderr).contains("(0 fetched"), "{}", out(&o.stderr));

    // A file missing upstream and one that does not match its SHA-256: exit 1
    // and exactly those two named, with why.
    let base = data_mirror(
        &["stix-atlas-5.6.0.json"],
        &["navigator-layers/case-studies/AML.CS0003.json"],
    )
    .await;
    let cache2 = dir.path().join("cache2");
    let o = run_atlas_data(&repo, &base, &cache2);
    assert_eq!(o.status.code(), Some(1));
    let stderr = out(&o.stderr);
    assert!(
        stderr
            .contains("2 of the files the tests read could not be fetched with the right SHA-256"),
        "{stderr}"
    );
    let missing: Vec<&str> = stderr.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(missing.len(), 2, "{stderr}");
    assert!(
        missing[0].starts_with(&format!(
            "  stix-atlas-5.6.0.json ({base}/nav/dist/stix-atlas.json: "
        )) && missing[0].contains("404"),
        "{stderr}"
    );
    let cs3 = list
        .iter()
        .find(|(_, p, _)| p.ends_with("AML.CS0003.json"))
        .unwrap();
    assert!(
        missing[1].starts_with("  navigator-layers/case-studies/AML.CS0003.json (")
            && missing[1].contains(&format!("expected {}", cs3.0)),
        "{stderr}"
    );
    assert!(!cache2.join("stix-atlas-5.6.0.json").exists());
    assert!(
        !cache2
            .join("navigator-layers/case-studies/AML.CS0003.json")
            .exists()
    );
}

#[tokio::test]
async fn the_cli_imports_a_stix_bundle_named_by_release_or_given_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::support::TestDatabase::fresh().await;
    let stix = shared_atlas("stix-atlas-5.6.0.json");
    let o = cli(&db, &["atlas", "import", stix.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o.stderr));
    assert!(
        out(&o.stdout).contains(
            "replaced the stored release 5.6.0 with the new content and made it the active release"
        ),
        "the bundle replaces the embedded catalog: {}",
        out(&o.stdout)
    );
    // The full YAML replaces it in turn; the bundle cannot take back its place
    // (it would lose the 57 case studies).
    let yaml = shared_atlas("ATLAS-5.6.0.yaml");
    let o = cli(&db, &["atlas", "import", yaml.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o.stderr));
    let before = cli(&db, &["atlas", "list"]).stdout;
    let o = cli(&db, &["atlas", "import", stix.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        out(&o.stderr).contains("release 5.6.0 is already stored (from legacy) with 57 case studies; this stix file has none"),
        "{}",
        out(&o.stderr)
    );
    assert_eq!(cli(&db, &["atlas", "list"]).stdout, before);
    // Under upstream's own name the release must be given.
    let plain = dir.path().join("stix-atlas.json");
    std::fs::copy(&stix, &plain).unwrap();
    let db2 = crate::support::TestDatabase::fresh().await;
    let o = cli(&db2, &["atlas", "import", plain.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        out(&o.stderr).contains("give it with --release"),
        "{}",
        out(&o.stderr)
    );
    let o = cli(
        &db2,
        &[
            "atlas",
            "import",
            plain.to_str().unwrap(),
            "--release",
            "5.6.0",
        ],
    );
    assert!(o.status.success(), "{}", out(&o.stderr));
    let o = cli(&db2, &["atlas", "list"]);
    assert!(
        out(&o.stdout).contains("5.6.0      stix"),
        "{}",
        out(&o.stdout)
    );
}

#[tokio::test]
async fn bad_format_6_files_change_nothing_and_chain_problems_are_imported_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::support::TestDatabase::fresh().await;
    let o = cli(
        &db,
        &[
            "atlas",
            "import",
            shared_atlas("ATLAS-5.6.0.yaml").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", out(&o.stderr));
    let before = fingerprint(&db).await;
    let fixture = std::fs::read_to_string(crate::support::fixture("atlas-v6-small.yaml")).unwrap();
    let edit = |from: &str, to: &str| {
        assert_eq!(fixture.matches(from).count(), 1, "{from}");
        fixture.replacen(from, to, 1)
    };

    // Refused: the database is exactly as it was.
    let refused = [
        (
            edit(
                "target: AML.T0053\n        relationship-type: employs",
                "target: AML.T0099\n        relationship-type: employs",
            ),
            "case study AML.CS0001 step S03 (relationships[AML.CS0001].employs[0]) refers to the unknown technique AML.T0099",
        ),
        (
            edit(
                "collection:\n  id: ATLAS-collection",
                "collected:\n  id: ATLAS-collection",
            ),
            "collection: missing",
        ),
    ];
    for (i, (text, needle)) in refused.iter().enumerate() {
        let file = dir.path().join(format!("bad-{i}.yaml"));
        std::fs::write(&file, text).unwrap();
        let o = cli(&db, &["atlas", "import", file.to_str().unwrap()]);
        assert!(!o.status.success(), "{needle}: accepted");
        assert!(out(&o.stderr).contains(needle), "{}", out(&o.stderr));
        assert_eq!(
            fingerprint(&db).await,
            before,
            "{needle}: changed the database"
        );
    }

    // Imported with a report, every step kept: a branch, a cycle, a dangling `leads-to`.
    let reported = [
        (
            "2026.10",
            "step-id: S01\n        leads-to: [S02]",
            "step-id: S01\n        leads-to: [S02, S03]",
            "step S01 (relationships[AML.CS0001].employs[2]): the chain branches",
        ),
        (
            "2026.11",
            "step-id: S03\n        leads-to: []",
            "step-id: S03\n        leads-to: [S00]",
            "step S03 (relationships[AML.CS0001].employs[0]): `leads-to` goes back to S00",
        ),
        (
            "2026.12",
            "step-id: S01\n        leads-to: [S02]",
            "step-id: S01\n        leads-to: [S02, S07]",
            "step S01 (relationships[AML.CS0001].employs[2]): `leads-to` names S07",
        ),
    ];
    for (version, from, to, needle) in reported {
        let text = edit(from, to).replace(
            "  version: '2026.09'\n",
            &format!("  version: '{version}'\n"),
        );
        let file = dir.path().join(format!("{version}.yaml"));
        std::fs::write(&file, text).unwrap();
        let o = cli(&db, &["atlas", "import", file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", out(&o.stderr));
        assert!(
            out(&o.stderr).contains(&format!("warning: case study AML.CS0001 {needle}")),
            "{}",
            out(&o.stderr)
        );
        let store = Store::connect(&db.url).await.unwrap();
        let stored = store.load_release(version).await.unwrap().unwrap();
        store.close().await;
        let cs = stored
            .case_studies
            .iter()
            .find(|c| c.id == "AML.CS0001")
            .unwrap();
        assert_eq!(cs.procedure.len(), 4, "{version}: every step stored");
        assert_eq!(cs.procedure[0].technique, "AML.T0000");
    }
}

#[tokio::test]
async fn the_api_imports_a_stix_bundle_given_its_release() {
    let app = crate::support::TestApp::spawn().await;
    let body = std::fs::read(shared_atlas("stix-atlas-5.6.0.json")).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/atlas/releases"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("--release"));
    let res = app
        .client
        .post(app.url("/api/v1/atlas/releases?release=5.6.0"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let releases = app.store.list_releases().await.unwrap();
    assert_eq!(releases[0].format, "stix");
    assert_eq!(releases[0].technique_count, 170);
}
