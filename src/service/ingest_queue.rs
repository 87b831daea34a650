//! Group commit of ingestion requests (issue 15): one writer task takes the
//! requests that wait while the previous group commits and writes them in ONE
//! transaction: all together first (one statement per table for the group,
//! the incidents' timelines told once), and when that fails, one after
//! another, each inside its own savepoint (its failure undoes only its own
//! writes). Every request gets its own report, and only after the COMMIT:
//! acknowledged means committed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc, oneshot};

use super::ingest::{
    IngestOptions, IngestReport, Prepared, TURN, apply, apply_all, prepare, rules_of,
};
use crate::atlas::ActiveAtlas;
use crate::domain::alert::CorrelationRule;
use crate::service::ServiceError;
use crate::store::{AlertTx, Store, StoreError};

/// Requests in one group at most.
pub const MAX_GROUP_REQUESTS: usize = 64;
/// Alerts in one group at most (a larger request still goes alone).
pub const MAX_GROUP_ALERTS: usize = 10_000;

type Outcome = Result<IngestReport, ServiceError>;

struct Job {
    prepared: Prepared,
    atlas: Arc<ActiveAtlas>,
    reply: oneshot::Sender<Outcome>,
}

/// Counts for tests and diagnostics.
#[derive(Debug, Default)]
struct Counters {
    /// Requests handed to the writer and not answered yet.
    waiting: AtomicUsize,
    /// Groups committed, and the requests they held.
    groups: AtomicU64,
    requests: AtomicU64,
}

/// Groups committed so far and the requests they held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    pub groups: u64,
    pub requests: u64,
}

/// The server's ingestion queue: a cheap-to-clone handle on its writer task
/// (started on first use, ended when the last handle is dropped).
#[derive(Clone)]
pub struct IngestQueue {
    store: Store,
    sender: Arc<OnceLock<mpsc::UnboundedSender<Job>>>,
    counters: Arc<Counters>,
    /// Taken by the writer before each group; [`IngestQueue::pause`] holds it.
    gate: Arc<Mutex<()>>,
}

impl IngestQueue {
    pub fn new(store: &Store) -> Self {
        IngestQueue {
            store: store.clone(),
            sender: Arc::new(OnceLock::new()),
            counters: Arc::new(Counters::default()),
            gate: Arc::new(Mutex::new(())),
        }
    }

    /// Ingests one request's alerts in the next group; answers once that
    /// group is committed (or with the request's own error).
    pub async fn ingest(
        &self,
        atlas: Arc<ActiveAtlas>,
        items: Vec<Result<Value, String>>,
        options: &IngestOptions,
    ) -> Outcome {
        let prepared = prepare(items, options)?;
        if prepared.alerts() == 0 {
            return Ok(prepared.into_report());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            prepared,
            atlas,
            reply,
        };
        self.counters.waiting.fetch_add(1, Ordering::SeqCst);
        if self.writer().send(job).is_err() {
            self.counters.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(gone());
        }
        answer.await.unwrap_or_else(|_| Err(gone()))
    }

    /// Holds the writer between groups until the guard is dropped: the
    /// requests that arrive meanwhile wait, and then go in one group.
    pub async fn pause(&self) -> OwnedMutexGuard<()> {
        self.gate.clone().lock_owned().await
    }

    /// Requests handed to the writer and not answered yet.
    pub fn waiting(&self) -> usize {
        self.counters.waiting.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> GroupStats {
        GroupStats {
            groups: self.counters.groups.load(Ordering::SeqCst),
            requests: self.counters.requests.load(Ordering::SeqCst),
        }
    }

    fn writer(&self) -> &mpsc::UnboundedSender<Job> {
        self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let writer = Writer {
                store: self.store.clone(),
                counters: self.counters.clone(),
                gate: self.gate.clone(),
            };
            tokio::spawn(writer.run(receiver));
            sender
        })
    }
}

/// The writer task dropped a request unanswered (it cannot have committed
/// it: answers are sent after the commit, whatever its outcome).
fn gone() -> ServiceError {
    StoreError::Database(sqlx::Error::WorkerCrashed).into()
}

/// What the writer task holds (not the sender: the task ends when the
/// last [`IngestQueue`] is dropped).
struct Writer {
    store: Store,
    counters: Arc<Counters>,
    gate: Arc<Mutex<()>>,
}

impl Writer {
    /// One group after another until every handle is dropped.
    async fn run(self, mut receiver: mpsc::UnboundedReceiver<Job>) {
        let mut next = None;
        loop {
            let first = match next.take() {
                Some(job) => job,
                None => match receiver.recv().await {
                    Some(job) => job,
                    None => return,
                },
            };
            let gate = self.gate.lock().await;
            let turn = TURN.lock().await;
            let tx = self.store.begin_alerts().await;
            // Whatever arrived while the lock was awaited joins this group.
            let (group, carried) = gather(first, &mut receiver);
            next = carried;
            let size = group.len() as u64;
            let answers = match tx {
                Ok(tx) => write_group(&self.store, tx, group).await,
                Err(e) => fail_all(replies_of(group), e.into()),
            };
            drop(turn);
            drop(gate);
            if answers.committed {
                self.counters.groups.fetch_add(1, Ordering::SeqCst);
                self.counters.requests.fetch_add(size, Ordering::SeqCst);
            }
            for (reply, outcome) in answers.replies {
                self.counters.waiting.fetch_sub(1, Ordering::SeqCst);
                // A request whose client went away has no one to answer.
                let _ = reply.send(outcome);
            }
        }
    }
}

/// A group: `first` and the requests waiting after it, within the bounds;
/// the request that would overflow the alerts bound starts the next group.
fn gather(first: Job, receiver: &mut mpsc::UnboundedReceiver<Job>) -> (Vec<Job>, Option<Job>) {
    let mut alerts = first.prepared.alerts();
    let mut group = vec![first];
    while group.len() < MAX_GROUP_REQUESTS {
        let Ok(job) = receiver.try_recv() else { break };
        if alerts + job.prepared.alerts() > MAX_GROUP_ALERTS {
            return (group, Some(job));
        }
        alerts += job.prepared.alerts();
        group.push(job);
    }
    (group, None)
}

struct Answers {
    committed: bool,
    replies: Vec<(oneshot::Sender<Outcome>, Outcome)>,
}

/// The same failure for every request of `replies` (the first gets the
/// error itself, the others a copy of its message).
fn fail_all(replies: Vec<oneshot::Sender<Outcome>>, error: ServiceError) -> Answers {
    let message = error.to_string();
    let mut error = Some(error);
    let replies = replies
        .into_iter()
        .map(|reply| {
            let e = error.take().unwrap_or_else(|| copy_of(&message));
            (reply, Err(e))
        })
        .collect();
    Answers {
        committed: false,
        replies,
    }
}

/// The first failure of a group again, for the group's other requests.
fn copy_of(message: &str) -> ServiceError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "this request's group was not committed: {message}"
    )))
    .into()
}

fn replies_of(group: Vec<Job>) -> Vec<oneshot::Sender<Outcome>> {
    group.into_iter().map(|job| job.reply).collect()
}

/// Writes a group's requests and commits; their answers, in order.
async fn write_group(store: &Store, mut tx: AlertTx, group: Vec<Job>) -> Answers {
    let rules = match rules_of(&mut tx).await {
        Ok(rules) => rules,
        Err(e) => return fail_all(replies_of(group), e),
    };
    if group.len() == 1 {
        // Alone, the transaction is the request's: no savepoint needed.
        return write_alone(tx, &rules, group).await;
    }
    let atlas = group[0].atlas.clone();
    // Requests under different releases (one was imported meanwhile) are
    // never written together.
    let group = if group.iter().all(|j| Arc::ptr_eq(&j.atlas, &atlas)) {
        let prepared: Vec<&Prepared> = group.iter().map(|j| &j.prepared).collect();
        match apply_all(&mut tx, &atlas, &rules, &prepared).await {
            Ok(reports) => {
                let outcomes = group
                    .into_iter()
                    .zip(reports)
                    .map(|(j, report)| (j.reply, Ok(report)))
                    .collect();
                return commit_and_answer(tx, outcomes).await;
            }
            Err(_) => {
                // Undone with its transaction (no savepoint: its sub-journal
                // would cost every group); then one by one, anew.
                drop(tx);
                tx = match store.begin_alerts().await {
                    Ok(tx) => tx,
                    Err(e) => return fail_all(replies_of(group), e.into()),
                };
                group
            }
        }
    } else {
        group
    };
    let mut outcomes = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    while let Some(job) = jobs.next() {
        match in_savepoint(&mut tx, &job.atlas, &rules, &job.prepared).await {
            Ok(outcome) => outcomes.push((job.reply, outcome)),
            Err(e) => {
                // The transaction itself is gone: nothing of the group stays.
                drop(tx);
                let mut replies: Vec<_> = outcomes.into_iter().map(|(r, _)| r).collect();
                replies.push(job.reply);
                replies.extend(jobs.map(|j| j.reply));
                return fail_all(replies, e);
            }
        }
    }
    commit_and_answer(tx, outcomes).await
}

async fn write_alone(mut tx: AlertTx, rules: &[CorrelationRule], group: Vec<Job>) -> Answers {
    let mut jobs = group;
    let Some(job) = jobs.pop() else {
        return fail_all(Vec::new(), gone());
    };
    match apply(&mut tx, &job.atlas, rules, &job.prepared).await {
        Ok(report) => commit_and_answer(tx, vec![(job.reply, Ok(report))]).await,
        // Dropping the transaction rolls it back.
        Err(e) => Answers {
            committed: false,
            replies: vec![(job.reply, Err(e))],
        },
    }
}

/// One request of a group inside its savepoint: `Ok` holds the request's
/// outcome (its failure rolled back to the savepoint); `Err` means the
/// transaction could not go on.
async fn in_savepoint(
    tx: &mut AlertTx,
    atlas: &ActiveAtlas,
    rules: &[CorrelationRule],
    prepared: &Prepared,
) -> Result<Outcome, ServiceError> {
    tx.savepoint().await?;
    match apply(tx, atlas, rules, prepared).await {
        Ok(report) => {
            tx.release().await?;
            Ok(Ok(report))
        }
        Err(e) => {
            tx.rollback_to().await?;
            Ok(Err(e))
        }
    }
}

async fn commit_and_answer(
    tx: AlertTx,
    outcomes: Vec<(oneshot::Sender<Outcome>, Outcome)>,
) -> Answers {
    match tx.commit().await {
        Ok(()) => Answers {
            committed: true,
            replies: outcomes,
        },
        Err(e) => fail_all(outcomes.into_iter().map(|(r, _)| r).collect(), e.into()),
    }
}
