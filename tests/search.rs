//! Issues 13 and 14: full-text search (FTS5) finds what the LIKE search it
//! replaced found, and evidence, reporters and tags too; the technique filter
//! includes sub-techniques unless asked for exactly one ID, and several
//! techniques combine as any-of or all-of; keyset pages equal OFFSET pages.

use std::collections::BTreeSet;

use atlasview::domain::{
    FuzzyTime, IncidentDraft, Kind, Outcome, Severity, Status, StepDraft, StepSource,
};
use atlasview::store::{BackendKind, Cursor, IncidentQuery, Sort, Store, TechniqueMatch};

use crate::support::{Arg, RawDb, TestApp, TestDatabase};

const WORDS: &[&str] = &[
    "prompt",
    "Prompts",
    "jailbreakprompt",
    "injection",
    "INJECTED",
    "model",
    "ai",
    "canary",
    "exfil",
    "OF-5521",
    "data",
    "of",
    "rag",
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn draft(title: String, summary: String, target: String, actor: String) -> IncidentDraft {
    IncidentDraft {
        title,
        summary,
        kind: Kind::Incident,
        severity: Severity::High,
        status: Status::Open,
        occurred: FuzzyTime::parse("2025-04-02").ok(),
        detected: None,
        resolved: None,
        target,
        actor,
        reporter: String::new(),
        tags: vec![],
        references: vec![],
        atlas_release: None,
    }
}

fn step(technique: &str, description: String, evidence: &str) -> StepDraft {
    StepDraft {
        tactic_id: "AML.TA0005".into(),
        technique_id: technique.into(),
        observed: None,
        description,
        evidence: evidence.into(),
        confidence: None,
        outcome: Outcome::Detected,
        source: StepSource::Manual,
    }
}

/// The search of atlasview before FTS (every word, as a substring, in the
/// title, summary, target, actor, ID or a step's description), run as it ran.
async fn old_search(pool: &RawDb, text: &str) -> BTreeSet<String> {
    let mut sql = String::from("SELECT i.id FROM incidents i WHERE 1 = 1");
    let mut binds = Vec::new();
    for (n, word) in text.split_whitespace().take(8).enumerate() {
        let mut p = String::from("%");
        for c in word.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        // (One `$n` a word, six times: the same placeholder on both backends.)
        let n = n + 1;
        sql.push_str(&format!(
            " AND (LOWER(i.title) LIKE ${n} ESCAPE '\\' OR LOWER(i.summary) LIKE ${n} ESCAPE '\\'
               OR LOWER(i.target) LIKE ${n} ESCAPE '\\' OR LOWER(i.actor) LIKE ${n} ESCAPE '\\'
               OR LOWER(i.id) LIKE ${n} ESCAPE '\\' OR EXISTS (SELECT 1 FROM observations o
               WHERE o.incident_id = i.id AND LOWER(o.description) LIKE ${n} ESCAPE '\\'))",
        ));
        binds.push(p);
    }
    let args: Vec<Arg<'_>> = binds.iter().map(Arg::from).collect();
    pool.fetch_all::<(String,)>(&sql, &args)
        .await
        .unwrap()
        .into_iter()
        .map(|(id,)| id)
        .collect()
}

async fn new_search(store: &Store, text: &str, sort: Sort) -> Vec<String> {
    let page = store
        .list_incidents(&IncidentQuery {
            text: Some(text.to_string()),
            sort,
            page: 1,
            per_page: 200,
            ..IncidentQuery::default()
        })
        .await
        .unwrap();
    assert!(page.total <= 200);
    page.items.into_iter().map(|s| s.incident.id).collect()
}

async fn seeded() -> (TestDatabase, Store, RawDb) {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut rng = Rng(0x13_14);
    for _ in 0..120 {
        let n = 1 + rng.below(3);
        let d = draft(rng.words(n), rng.words(4), rng.words(1), rng.words(1));
        let steps: Vec<StepDraft> = (0..rng.below(3))
            .map(|_| step("AML.T0051", rng.words(3), ""))
            .collect();
        store
            .create_incident(&d, "5.6.0", None, &steps)
            .await
            .unwrap();
    }
    let pool = db.connect().await;
    (db, store, pool)
}

#[tokio::test]
async fn full_text_search_finds_what_the_old_search_found() {
    let (_dir, store, pool) = seeded().await;
    let mut compared = 0;
    for text in [
        "prompt",
        "PROMPT",
        "inject",
        "jailbreak",
        "ai",
        "ai prompt",
        "of-5521",
        "5521",
        "canary exfil",
        "model data rag",
        "of",
        "tion",
        "nothing-like-this",
    ] {
        let old = old_search(&pool, text).await;
        for sort in [Sort::OccurredDesc, Sort::Relevance] {
            let new: BTreeSet<String> = new_search(&store, text, sort).await.into_iter().collect();
            // The seeded text sits only in the columns the old search read.
            assert_eq!(new, old, "search {text:?} sorted {sort:?}");
        }
        compared += old.len();
    }
    assert!(compared > 200, "the searches found something to compare");
}

/// Every page of a search says how many incidents match, also a page past
/// the last (a ranked page counts its matches in its own statement, which
/// has no row there), and the pages together are the matches.
#[tokio::test]
async fn every_page_of_a_search_counts_all_its_matches() {
    let (_dir, store, pool) = seeded().await;
    for text in ["prompt", "ai prompt", "tion", "nothing-like-this"] {
        let old = old_search(&pool, text).await;
        for sort in [Sort::Relevance, Sort::OccurredDesc] {
            let mut seen = BTreeSet::new();
            let last = old.len().div_ceil(7) as u32 + 1;
            for page in 1..=last {
                let p = store
                    .list_incidents(&IncidentQuery {
                        text: Some(text.to_string()),
                        sort,
                        page,
                        per_page: 7,
                        ..IncidentQuery::default()
                    })
                    .await
                    .unwrap();
                assert_eq!(p.total as usize, old.len(), "{text:?} {sort:?} page {page}");
                seen.extend(p.items.into_iter().map(|s| s.incident.id));
            }
            assert_eq!(seen, old, "{text:?} {sort:?}");
        }
    }
}

#[tokio::test]
async fn search_finds_evidence_reporter_and_tags_ranked_by_title_first() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut d = draft(
        "Canary leak".into(),
        String::new(),
        String::new(),
        String::new(),
    );
    d.reporter = "sam.soc".into();
    d.tags = vec!["sysprompt-canary".into()];
    let evidence = store
        .create_incident(
            &d,
            "5.6.0",
            None,
            &[step(
                "AML.T0051",
                "system prompt read".into(),
                "ticket OF-5521, SYSPROMPT-CANARY",
            )],
        )
        .await
        .unwrap();
    assert_eq!(
        new_search(&store, "OF-5521", Sort::Relevance).await,
        std::slice::from_ref(&evidence)
    );
    assert_eq!(
        new_search(&store, "sam.soc", Sort::Relevance).await,
        std::slice::from_ref(&evidence)
    );
    assert!(
        new_search(&store, "SYSPROMPT-CANARY", Sort::Relevance)
            .await
            .contains(&evidence)
    );
    // Ranked: the incident with the word in its title comes before those
    // with it only in their steps.
    let titled = store
        .create_incident(
            &draft("Unicornish attack".into(), "".into(), "".into(), "".into()),
            "5.6.0",
            None,
            &[],
        )
        .await
        .unwrap();
    let stepped = store
        .create_incident(
            &draft("Another".into(), "".into(), "".into(), "".into()),
            "5.6.0",
            None,
            &[step(
                "AML.T0051",
                "a unicornish step, unicornish".into(),
                "",
            )],
        )
        .await
        .unwrap();
    let ranked = new_search(&store, "unicornish", Sort::Relevance).await;
    assert_eq!(ranked, [titled, stepped]);
}

#[tokio::test]
async fn search_over_http_finds_evidence_and_the_reporter() {
    let app = TestApp::spawn().await;
    let client = app.client.clone();
    let mut d = draft("Web search".into(), "".into(), "".into(), "".into());
    d.reporter = "sam.soc".into();
    let store = app.store.clone();
    let id = store
        .create_incident(
            &d,
            "5.6.0",
            None,
            &[step("AML.T0051", "".into(), "OF-5521")],
        )
        .await
        .unwrap();
    for q in ["OF-5521", "sam.soc"] {
        let (_, body) = app.get_with(&client, &format!("/incidents?q={q}")).await;
        assert!(body.contains(&id), "/incidents?q={q} lists {id}");
        assert!(body.contains(r#"<option value="relevance" selected"#));
    }
}

#[tokio::test]
async fn technique_filters_include_sub_techniques_and_combine_as_any_or_all() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let make = async |title: &str, techniques: &[&str]| {
        let steps: Vec<StepDraft> = techniques
            .iter()
            .map(|t| step(t, String::new(), ""))
            .collect();
        store
            .create_incident(
                &draft(title.into(), "".into(), "".into(), "".into()),
                "5.6.0",
                None,
                &steps,
            )
            .await
            .unwrap()
    };
    let parent = make("parent", &["AML.T0051"]).await;
    let sub = make("sub", &["AML.T0051.001"]).await;
    let both = make("both", &["AML.T0051.000", "AML.T0015"]).await;
    let other = make("other", &["AML.T0015", "AML.T00510"]).await;
    let ids = async |techniques: &[&str], exact: bool, all: bool| -> BTreeSet<String> {
        store
            .list_incidents(&IncidentQuery {
                techniques: techniques.iter().map(|t| t.to_string()).collect(),
                techniques_exact: exact,
                techniques_match: if all {
                    TechniqueMatch::All
                } else {
                    TechniqueMatch::Any
                },
                page: 1,
                per_page: 50,
                ..IncidentQuery::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.incident.id)
            .collect()
    };
    let set = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        ids(&["AML.T0051"], false, false).await,
        set(&[&parent, &sub, &both])
    );
    assert_eq!(ids(&["AML.T0051"], true, false).await, set(&[&parent]));
    assert_eq!(ids(&["AML.T0051.001"], false, false).await, set(&[&sub]));
    assert_eq!(
        ids(&["AML.T0051", "AML.T0015"], false, true).await,
        set(&[&both])
    );
    assert_eq!(
        ids(&["AML.T0051", "AML.T0015"], false, false).await,
        set(&[&parent, &sub, &both, &other])
    );
    assert_eq!(
        ids(&["AML.T0051", "AML.T0015"], true, true).await,
        BTreeSet::new()
    );
}

#[tokio::test]
async fn technique_filter_parameters_over_http() {
    let app = TestApp::spawn().await;
    let client = app.client.clone();
    let page = async |q: &str| {
        let res = client
            .get(app.url(&format!("/incidents?{q}")))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    let (status, body) = page("technique=AML.T0051&technique_exact=1&techniques_match=all").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"name="technique_exact" value="1" checked"#));
    assert!(body.contains(r#"<option value="all" selected>"#));
    let (status, body) = page("techniques_match=some").await;
    assert_eq!(status, 400);
    assert!(body.contains("techniques_match"));
    let (status, body) = page("technique_exact=maybe").await;
    assert_eq!(status, 400);
    assert!(body.contains("technique_exact"));
    let (status, body) = page("after=not-a-token").await;
    assert_eq!(status, 400);
    assert!(body.contains("after"));
}

#[tokio::test]
async fn keyset_pages_equal_offset_pages_for_every_keyset_order() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut rng = Rng(99);
    for n in 0..57 {
        let mut d = draft(
            format!("Incident {}", rng.below(9)),
            "".into(),
            "".into(),
            "".into(),
        );
        // Ties and undated incidents, so the ID must break them.
        d.occurred = match n % 4 {
            0 => None,
            _ => FuzzyTime::parse(&format!("2025-0{}", 1 + rng.below(3))).ok(),
        };
        store.create_incident(&d, "5.6.0", None, &[]).await.unwrap();
    }
    for sort in [
        Sort::OccurredDesc,
        Sort::OccurredAsc,
        Sort::UpdatedDesc,
        Sort::TitleAsc,
    ] {
        let q = |page: u32, after: Option<Cursor>| IncidentQuery {
            sort,
            page,
            per_page: 10,
            after,
            ..IncidentQuery::default()
        };
        let mut after = None;
        let mut by_cursor = Vec::new();
        let mut by_offset = Vec::new();
        for page in 1..=6 {
            let p = store.list_incidents(&q(page, after.take())).await.unwrap();
            by_cursor.extend(p.items.iter().map(|s| s.incident.id.clone()));
            after = p.next.clone();
            let o = store.list_incidents(&q(page, None)).await.unwrap();
            by_offset.extend(o.items.into_iter().map(|s| s.incident.id));
            if page < 6 {
                let token = after.as_ref().expect("a next page").encode();
                assert_eq!(Cursor::decode(&token), after, "the token round-trips");
            }
        }
        assert_eq!(by_cursor.len(), 57, "{sort:?}");
        assert_eq!(by_cursor, by_offset, "{sort:?}");
    }
}

#[tokio::test]
async fn the_api_and_the_list_link_the_next_page_by_keyset() {
    let app = TestApp::spawn().await;
    let client = app.client.clone();
    let store = app.store.clone();
    for n in 0..30 {
        store
            .create_incident(
                &draft(format!("Keyset {n}"), "".into(), "".into(), "".into()),
                "5.6.0",
                None,
                &[],
            )
            .await
            .unwrap();
    }
    let get = async |path: &str| -> serde_json::Value {
        client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let first = get("/api/v1/incidents?per_page=20").await;
    let token = first["next_after"].as_str().expect("a next page token");
    let second = get(&format!(
        "/api/v1/incidents?per_page=20&page=2&after={token}"
    ))
    .await;
    let offset = get("/api/v1/incidents?per_page=20&page=2").await;
    assert_eq!(second["items"], offset["items"]);
    let (_, html) = app.get_with(&client, "/incidents?per_page=20").await;
    assert!(
        html.contains(&format!("after={token}")),
        "Next follows the token"
    );
}

/// Alert ingestion writes each touched incident's search document once per
/// request (migration 0015 defers the step triggers inside its transaction):
/// the index still holds every alert ID and count, equals a document built
/// from scratch, and the deferral never outlives the request.
#[tokio::test]
async fn ingested_alerts_are_searchable_and_the_index_matches_a_rebuild() {
    let app = TestApp::spawn().await;
    let alert = |id: &str, technique: &str, time: &str| {
        format!(
            r#"{{"id":"{id}","time":"{time}","technique":"{technique}","source":"siem","host":{{"name":"gpu-7"}}}}"#
        )
    };
    // Six steps in one request: written deferred (more than a few).
    let first = [
        alert("ZQX-ALERT-1", "AML.T0051", "2026-03-01T10:00:00Z"),
        alert("ZQX-ALERT-2", "AML.T0043", "2026-03-01T10:01:00Z"),
        alert("ZQX-ALERT-3", "AML.T0051", "2026-03-01T10:02:00Z"),
        alert("ZQX-ALERT-5", "AML.T0015", "2026-03-01T10:02:10Z"),
        alert("ZQX-ALERT-6", "AML.T0024", "2026-03-01T10:02:20Z"),
        alert("ZQX-ALERT-7", "AML.T0040", "2026-03-01T10:02:30Z"),
        alert("ZQX-ALERT-8", "AML.T0054", "2026-03-01T10:02:40Z"),
    ]
    .join("\n");
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", first)
        .await;
    assert_eq!(status, 200, "{report}");
    // Folded into a step by a second request of one alert (the triggers).
    let (status, report) = app
        .post_alerts(
            "/api/v1/alerts",
            "application/json",
            alert("ZQX-ALERT-4", "AML.T0043", "2026-03-01T10:03:00Z"),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    // A bulk import writes its tags, references and steps deferred too.
    let (status, report) = app
        .post_alerts(
            "/api/v1/incidents/import",
            "application/x-ndjson",
            r#"{"external_id":"zqx-1","source":"corpus","title":"Imported one","tags":["zqx-tag-one","llm"],"references":[{"title":"ZQX write-up","url":"https://example.org/zqx"}],"techniques":["AML.T0051","AML.T0043"]}"#.to_string(),
        )
        .await;
    assert!(status.is_success(), "{report}");
    for id in [
        "ZQX-ALERT-1",
        "ZQX-ALERT-3",
        "ZQX-ALERT-4",
        "zqx-tag-one",
        "ZQX write-up",
    ] {
        let (_, page) = app.get_json(&format!("/api/v1/incidents?q={id}")).await;
        assert_eq!(page["total"], 1, "{id}: {page}");
    }
    let pool = app.other_connection().await;
    let deferred = pool.count("SELECT deferred FROM search_control", &[]).await;
    assert_eq!(deferred, 0, "the deferral ends with the request");
    // The index's documents: FTS5's rows by `search_docs` on SQLite, the
    // `search_index` table on PostgreSQL.
    let indexed = match pool.kind() {
        BackendKind::Sqlite => {
            "SELECT d.incident_id, s.steps, s.tags, s.refs, s.title, s.people
             FROM search_docs d JOIN incident_search s ON s.rowid = d.doc"
        }
        BackendKind::Postgres => {
            "SELECT incident_id, steps, tags, refs, title, people FROM search_index"
        }
    };
    let stale: Vec<(String,)> = pool
        .fetch_all(
            &format!(
                "SELECT s.incident_id FROM ({indexed}) s
                 JOIN search_document v ON v.incident_id = s.incident_id
                 WHERE s.steps IS DISTINCT FROM v.steps OR s.tags IS DISTINCT FROM v.tags
                    OR s.refs IS DISTINCT FROM v.refs OR s.title IS DISTINCT FROM v.title
                    OR s.people IS DISTINCT FROM v.people"
            ),
            &[],
        )
        .await
        .unwrap();
    assert!(stale.is_empty(), "documents out of date: {stale:?}");
    pool.close().await;
}

/// What changes whenever any search document is written: on SQLite the
/// index's structure record (FTS5 rewrites it, with a new cookie), on
/// PostgreSQL the row versions (`xmin`) of `search_index`.
async fn index_structure(pool: &RawDb) -> Vec<u8> {
    match pool.kind() {
        BackendKind::Sqlite => {
            let (block,): (Vec<u8>,) = pool
                .fetch_one("SELECT block FROM incident_search_data WHERE id = 10", &[])
                .await
                .unwrap();
            block
        }
        BackendKind::Postgres => {
            let rows: Vec<(String,)> = pool
                .fetch_all(
                    "SELECT incident_id || ':' || xmin::text FROM search_index ORDER BY incident_id",
                    &[],
                )
                .await
                .unwrap();
            rows.into_iter().flat_map(|(r,)| r.into_bytes()).collect()
        }
    }
}

#[tokio::test]
async fn folding_alerts_into_a_full_sample_leaves_the_search_index_alone() {
    let app = TestApp::spawn().await;
    let techniques = [
        "AML.T0051",
        "AML.T0043",
        "AML.T0015",
        "AML.T0024",
        "AML.T0040",
    ];
    let alert = |n: usize| {
        format!(
            r#"{{"id":"QKV-{n}","time":"2026-03-01T10:{:02}:{:02}Z","technique":"{}","source":"siem","host":{{"name":"gpu-9"}}}}"#,
            n / 60 % 60,
            n % 60,
            techniques[n % techniques.len()]
        )
    };
    // Five steps, each with a full sample.
    let sample = atlasview::service::ingest::SAMPLE;
    let full = sample * techniques.len();
    let first: Vec<String> = (0..full).map(alert).collect();
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", first.join("\n"))
        .await;
    assert_eq!(status, 200, "{report}");
    let incident = report["incidents"][0].as_str().unwrap().to_string();
    let pool = app.other_connection().await;
    let before = index_structure(&pool).await;
    // One more alert (the triggers' path) and a batch into all five steps
    // (the deferred path): the steps' counts and evidence change, their
    // samples do not.
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/json", alert(full))
        .await;
    assert_eq!(
        (status.as_u16(), report["folded"].as_u64()),
        (200, Some(1)),
        "{report}"
    );
    let more: Vec<String> = (full + 1..full + 11).map(alert).collect();
    let (status, report) = app
        .post_alerts("/api/v1/alerts", "application/x-ndjson", more.join("\n"))
        .await;
    assert_eq!(
        (status.as_u16(), report["folded"].as_u64()),
        (200, Some(10)),
        "{report}"
    );
    let steps = app.incident(&incident).await["steps"].clone();
    let evidence = steps[0]["evidence"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        evidence.starts_with(&format!("{} alerts", sample + 3)),
        "the evidence still counts every alert: {evidence}"
    );
    assert_eq!(
        index_structure(&pool).await,
        before,
        "no search document was rewritten for a count"
    );
    // The sample is what the index holds of the step.
    let (_, page) = app.get_json("/api/v1/incidents?q=QKV-7").await;
    assert_eq!(page["total"], 1, "{page}");
    pool.close().await;
}
