//! Issue 14: the matrix aggregate kept current after writes (patched from the
//! incidents the triggers of migration 0011 record as changed) equals a full
//! recount, after random inserts, updates, moves and deletes (fixed seed).

use atlasview::domain::{
    FuzzyTime, IncidentDraft, Kind, Outcome, Severity, Status, StepDraft, StepSource,
};
use atlasview::store::{IncidentQuery, MatrixAggregate, Store};
use std::sync::Arc;

use crate::support::TestDatabase;

/// xorshift64*: a fixed seed, the same run every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CELLS: &[(&str, &str)] = &[
    ("AML.TA0002", "AML.T0000"),
    ("AML.TA0005", "AML.T0051"),
    ("AML.TA0005", "AML.T0051.000"),
    ("AML.TA0005", "AML.T0051.001"),
    ("AML.TA0007", "AML.T0015"),
    ("AML.TA0011", "AML.T0048"),
    ("AML.TA0004", "AML.T0051"),
];

fn step(rng: &mut Rng) -> StepDraft {
    let (tactic, technique) = *rng.pick(CELLS);
    StepDraft {
        tactic_id: tactic.into(),
        technique_id: technique.into(),
        observed: None,
        description: format!("step {}", rng.below(1000)),
        evidence: String::new(),
        confidence: None,
        outcome: *rng.pick(Outcome::ALL),
        source: StepSource::Manual,
    }
}

fn draft(rng: &mut Rng) -> IncidentDraft {
    let day = 1 + rng.below(28);
    IncidentDraft {
        title: format!("incident {}", rng.below(10_000)),
        summary: String::new(),
        kind: *rng.pick(Kind::ALL),
        severity: *rng.pick(Severity::ALL),
        status: *rng.pick(Status::ALL),
        // Mostly days, some months and years: periods choose those by their middle.
        occurred: match rng.below(8) {
            0 => None,
            1 => Some(FuzzyTime::parse("2025-03").unwrap()),
            2 => Some(FuzzyTime::parse("2025").unwrap()),
            _ => Some(FuzzyTime::parse(&format!("2025-03-{day:02}")).unwrap()),
        },
        detected: None,
        resolved: None,
        target: String::new(),
        actor: String::new(),
        reporter: String::new(),
        tags: ["llm", "rag", "agent"]
            .into_iter()
            .filter(|_| rng.below(2) == 0)
            .map(String::from)
            .collect(),
        references: vec![],
        atlas_release: None,
    }
}

/// One random write; `live` is every incident with its current version.
async fn random_write(store: &Store, rng: &mut Rng, live: &mut Vec<String>) {
    let op = if live.is_empty() { 0 } else { rng.below(8) };
    if op == 0 {
        let steps: Vec<StepDraft> = (0..rng.below(5)).map(|_| step(rng)).collect();
        let id = store
            .create_incident(&draft(rng), "5.6.0", None, &steps)
            .await
            .unwrap();
        live.push(id);
        return;
    }
    let at = rng.below(live.len());
    let id = live[at].clone();
    let detail = store.get_incident(&id).await.unwrap().unwrap();
    let steps = &detail.steps;
    let version = Some(detail.incident.version);
    let position = Some(1 + rng.below(steps.len() + 1) as i64);
    match op {
        1 => {
            store
                .update_incident(&id, &draft(rng), "5.6.0", detail.incident.version)
                .await
                .unwrap();
        }
        2 => {
            store.delete_incident(&id, version).await.unwrap();
            live.swap_remove(at);
        }
        3 | 4 => {
            store
                .add_step(&id, &step(rng), position, version)
                .await
                .unwrap();
        }
        5 if !steps.is_empty() => {
            // Changes the technique and moves the step.
            let s = rng.pick(steps).id.clone();
            store
                .update_step(&id, &s, &step(rng), position, version)
                .await
                .unwrap();
        }
        6 if !steps.is_empty() => {
            let s = rng.pick(steps).id.clone();
            store.delete_step(&id, &s, version).await.unwrap();
        }
        _ => {
            let mut order: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
            order.reverse();
            store.reorder_steps(&id, &order, version).await.unwrap();
        }
    }
}

#[tokio::test]
async fn patched_matrix_aggregates_equal_a_full_recount_after_random_writes() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let queries = [
        IncidentQuery::default(),
        IncidentQuery {
            statuses: vec![Status::Open, Status::Contained],
            ..IncidentQuery::default()
        },
        IncidentQuery {
            techniques: vec!["AML.T0051".into()],
            ..IncidentQuery::default()
        },
        IncidentQuery {
            tags: vec!["llm".into()],
            severities: vec![Severity::High, Severity::Critical],
            ..IncidentQuery::default()
        },
    ];
    let mut rng = Rng(0x5EED_0014);
    let mut live = Vec::new();
    let mut held: Vec<(i64, MatrixAggregate)> = Vec::new();
    for q in &queries {
        let version = store.data_stamp().await.unwrap().version;
        held.push((version, store.matrix_aggregate(q).await.unwrap()));
    }
    let mut patched_nonempty = 0;
    for round in 0..60 {
        for _ in 0..1 + rng.below(6) {
            random_write(&store, &mut rng, &mut live).await;
        }
        for (n, q) in queries.iter().enumerate() {
            let (since, base) = &held[n];
            let version = store.data_stamp().await.unwrap().version;
            let changed = store
                .changed_incidents_since(*since)
                .await
                .unwrap()
                .expect("a few changes are patched, not recounted");
            let patched = store
                .patch_matrix_aggregate(q, base, &changed)
                .await
                .unwrap();
            let full = store.matrix_aggregate(q).await.unwrap();
            assert_eq!(patched, full, "round {round}, query {n}: {q:?}");
            if !full.cells.is_empty() {
                patched_nonempty += 1;
            }
            held[n] = (version, patched);
        }
    }
    assert!(patched_nonempty > 100, "the test compared real aggregates");
    let (incidents, steps) = store.incident_counts().await.unwrap();
    assert!(
        incidents > 5 && steps > 20,
        "{incidents} incidents, {steps} steps"
    );
}

#[tokio::test]
async fn an_unchanged_store_reports_no_changed_incidents() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut rng = Rng(7);
    let mut live = Vec::new();
    random_write(&store, &mut rng, &mut live).await;
    let after = store.data_stamp().await.unwrap().version + 1;
    assert_eq!(
        store.changed_incidents_since(after).await.unwrap(),
        Some(vec![])
    );
    let before = store.changed_incidents_since(0).await.unwrap().unwrap();
    assert_eq!(before, live);
}

/// The reports' data (dashboard and briefing) kept current the same way:
/// patched report data equals a fresh read after random writes, with and
/// without steps, for the whole record and for periods.
#[tokio::test]
async fn patched_report_data_equals_a_fresh_read_after_random_writes() {
    use atlasview::domain::DateRule;
    use atlasview::store::ReportData;
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let period = |from: &str, to: &str| IncidentQuery {
        occurred_from: Some(FuzzyTime::parse(from).unwrap()),
        occurred_to: Some(FuzzyTime::parse(to).unwrap()),
        dates: DateRule::Middle,
        ..IncidentQuery::default()
    };
    let queries = [
        IncidentQuery::default(),
        period("2025-03-05", "2025-03-20"),
        IncidentQuery {
            kinds: vec![Kind::Incident, Kind::Exercise],
            ..period("2025-03", "2025-03")
        },
    ];
    let fresh = |q: IncidentQuery, steps: bool| {
        let store = store.clone();
        async move {
            if steps {
                store.report_data(&q).await.unwrap()
            } else {
                ReportData {
                    incidents: store.report_incidents(&q).await.unwrap(),
                    steps: vec![],
                }
            }
        }
    };
    let mut rng = Rng(0x5EED_0B1E);
    let mut live = Vec::new();
    let mut held: Vec<(i64, ReportData)> = Vec::new();
    for (n, q) in queries.iter().enumerate() {
        let version = store.data_stamp().await.unwrap().version;
        held.push((version, fresh(q.clone(), n % 2 == 0).await));
    }
    let mut compared_steps = 0;
    for round in 0..60 {
        for _ in 0..1 + rng.below(6) {
            random_write(&store, &mut rng, &mut live).await;
        }
        for (n, q) in queries.iter().enumerate() {
            let steps = n % 2 == 0;
            let (since, base) = &held[n];
            let version = store.data_stamp().await.unwrap().version;
            let changed = store
                .changed_incidents_since(*since)
                .await
                .unwrap()
                .expect("a few changes are patched, not read again");
            let patched = store
                .patch_report_data(q, Arc::new(base.clone()), &changed, steps)
                .await
                .unwrap();
            let full = fresh(q.clone(), steps).await;
            assert_eq!(*patched, full, "round {round}, query {n}: {q:?}");
            compared_steps += full.steps.len();
            held[n] = (version, Arc::unwrap_or_clone(patched));
        }
    }
    assert!(compared_steps > 500, "the test compared real steps");
}

/// A write that touches none of a period's incidents hands that period's
/// report data back as the same value, so what was counted over it (the
/// dashboard's trends against the period before) is kept; a write inside
/// the period gives new data equal to a fresh read.
#[tokio::test]
async fn report_data_of_a_period_a_write_misses_comes_back_as_the_same_value() {
    use atlasview::domain::DateRule;
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut rng = Rng(0x5A3E);
    let dated = |rng: &mut Rng, day: &str| IncidentDraft {
        occurred: Some(FuzzyTime::parse(day).unwrap()),
        ..draft(rng)
    };
    let steps: Vec<StepDraft> = (0..3).map(|_| step(&mut rng)).collect();
    let inside = store
        .create_incident(&dated(&mut rng, "2024-06-10"), "5.6.0", None, &steps)
        .await
        .unwrap();
    let q = IncidentQuery {
        occurred_from: Some(FuzzyTime::parse("2024-06-01").unwrap()),
        occurred_to: Some(FuzzyTime::parse("2024-06-30").unwrap()),
        dates: DateRule::Middle,
        ..IncidentQuery::default()
    };
    let base = Arc::new(store.report_data(&q).await.unwrap());
    let since = store.data_stamp().await.unwrap().version;
    store
        .create_incident(&dated(&mut rng, "2025-03-02"), "5.6.0", None, &steps)
        .await
        .unwrap();
    // The new incident, and the one inside the period: changed at the
    // version it was read at, unchanged since.
    let changed = store.changed_incidents_since(since).await.unwrap().unwrap();
    assert!(changed.contains(&inside), "{changed:?}");
    let patched = store
        .patch_report_data(&q, base.clone(), &changed, true)
        .await
        .unwrap();
    assert!(
        Arc::ptr_eq(&base, &patched),
        "untouched data is kept as it is"
    );

    let since = store.data_stamp().await.unwrap().version;
    let detail = store.get_incident(&inside).await.unwrap().unwrap();
    store
        .add_step(
            &inside,
            &step(&mut rng),
            None,
            Some(detail.incident.version),
        )
        .await
        .unwrap();
    let changed = store.changed_incidents_since(since).await.unwrap().unwrap();
    let patched = store
        .patch_report_data(&q, base.clone(), &changed, true)
        .await
        .unwrap();
    assert!(!Arc::ptr_eq(&base, &patched));
    assert_eq!(patched.steps.len(), 4);
    assert_eq!(*patched, store.report_data(&q).await.unwrap());
}

/// The tag counts kept by the triggers of migration 0026 equal a count of
/// the tag rows after random writes (incidents created, retagged, deleted).
#[tokio::test]
async fn kept_tag_counts_equal_a_recount_after_random_writes() {
    let db = TestDatabase::fresh().await;
    let store = Store::connect(&db.url).await.unwrap();
    let raw = db.connect().await;
    let mut rng = Rng(0x7A65);
    let mut live = Vec::new();
    let mut compared = 0;
    for round in 0..40 {
        for _ in 0..1 + rng.below(8) {
            random_write(&store, &mut rng, &mut live).await;
        }
        let kept: Vec<(String, i64)> = store
            .tags_by_prefix("", 100)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.tag, t.incidents))
            .collect();
        let counted: Vec<(String, i64)> = raw
            .fetch_all(
                "SELECT tag, COUNT(*) AS n FROM incident_tags GROUP BY tag ORDER BY n DESC, tag",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(kept, counted, "round {round}");
        compared += counted.len();
        let prefixed = store.tags_by_prefix("R", 100).await.unwrap();
        let rag = counted.iter().find(|(t, _)| t == "rag").map(|(_, n)| *n);
        assert_eq!(prefixed.first().map(|t| t.incidents), rag, "round {round}");
    }
    assert!(compared > 60, "the test compared real counts");
}
