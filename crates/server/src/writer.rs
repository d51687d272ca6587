//! Group commit: one writer thread owns the write connection; requests queue their events and
//! wait for the commit of the batch that carried them.
//!
//! The writer takes a job, then gathers more while other decisions are in flight (at most
//! [`MAX_WAIT`] and [`MAX_BATCH`] jobs), and commits them all with
//! [`Backend::append_batches_in`]: ONE transaction, one fsync (SQLite; PostgreSQL: one
//! multi-row insert). Each job's reply is sent only after that commit returned. The writer does
//! not know which store it drives: SQLite and PostgreSQL share this path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use miniperm_core::ConsentEvent;
use miniperm_store::{Backend, StoreError};
use tokio::sync::oneshot;

use crate::metrics::Metrics;

/// The longest the writer waits for company before committing.
pub const MAX_WAIT: Duration = Duration::from_millis(1);
/// The most jobs in one transaction.
pub const MAX_BATCH: usize = 256;

struct Job {
    tenant: String,
    events: Vec<ConsentEvent>,
    reply: oneshot::Sender<Result<Vec<ConsentEvent>, crate::ApiError>>,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    /// Decisions between "will write" and "written": the writer waits for company only while
    /// more are in flight than it holds.
    inflight: Arc<AtomicUsize>,
    /// Commit one job per transaction (the single-commit baseline of BENCHMARKS.md).
    single: bool,
}

impl Writer {
    /// Starts the writer thread on `store`. With `single`, every job is its own transaction.
    pub fn start(
        store: Box<dyn Backend>,
        metrics: Arc<Metrics>,
        single: bool,
    ) -> (Writer, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>();
        let inflight = Arc::new(AtomicUsize::new(0));
        let seen = inflight.clone();
        let handle = std::thread::Builder::new()
            .name("miniperm-writer".into())
            .spawn(move || run(store, rx, seen, metrics, single))
            .unwrap_or_else(|_| std::process::abort());
        (
            Writer {
                tx,
                inflight,
                single,
            },
            handle,
        )
    }

    /// Appends `events` for `tenant` and returns them stored, after their commit.
    pub async fn append(
        &self,
        tenant: &str,
        events: Vec<ConsentEvent>,
    ) -> Result<Vec<ConsentEvent>, crate::ApiError> {
        if events.is_empty() {
            return Ok(events);
        }
        let (reply, rx) = oneshot::channel();
        self.inflight.fetch_add(1, Ordering::SeqCst);
        let sent = self.tx.send(Job {
            tenant: tenant.to_string(),
            events,
            reply,
        });
        let out = match sent {
            Ok(()) => rx.await.map_err(|_| crate::ApiError::Unavailable),
            Err(_) => Err(crate::ApiError::Unavailable),
        };
        self.inflight.fetch_sub(1, Ordering::SeqCst);
        out?
    }

    pub fn is_single(&self) -> bool {
        self.single
    }
}

fn run(
    mut store: Box<dyn Backend>,
    rx: mpsc::Receiver<Job>,
    inflight: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
    single: bool,
) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        if !single {
            let deadline = Instant::now() + MAX_WAIT;
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => {
                        jobs.push(j);
                        continue;
                    }
                    Err(mpsc::TryRecvError::Disconnected) => break,
                    Err(mpsc::TryRecvError::Empty) => {}
                }
                let now = Instant::now();
                if inflight.load(Ordering::SeqCst) <= jobs.len() || now >= deadline {
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
        }
        metrics.batch(jobs.len());
        let batches: Vec<(String, Vec<ConsentEvent>)> = jobs
            .iter_mut()
            .map(|j| (j.tenant.clone(), std::mem::take(&mut j.events)))
            .collect();
        let result: Result<Vec<Vec<ConsentEvent>>, StoreError> = store.append_batches_in(batches);
        match result {
            Ok(stored) => {
                for (job, events) in jobs.into_iter().zip(stored) {
                    let _ = job.reply.send(Ok(events));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                for job in jobs {
                    let _ = job.reply.send(Err(write_failed(&e)));
                }
            }
        }
    }
}

/// What each caller of a failed group commit sees: an unreachable database stays that typed
/// error (503); anything else is a failed write (409).
fn write_failed(e: &StoreError) -> crate::ApiError {
    match e {
        StoreError::Unreachable { url, reason } => {
            crate::ApiError::Store(StoreError::Unreachable {
                url: url.clone(),
                reason: reason.clone(),
            })
        }
        e => crate::ApiError::Conflict(format!("the write failed: {e}")),
    }
}
