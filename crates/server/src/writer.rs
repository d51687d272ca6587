//! Group commit: one writer thread owns the write connection; requests queue their events and
//! wait for the commit of the batch that carried them.
//!
//! The writer takes a job, then everything queued behind it (at most [`MAX_BATCH`] jobs; no
//! waiting: the jobs that arrive while a batch commits form the next one), and commits them all
//! with [`Backend::append_receipted`]: ONE transaction, one fsync (SQLite; PostgreSQL: one
//! multi-row insert). A job of a keyed request carries its [`Receipt`]; when the store already
//! holds that key (a retry whose first attempt committed), the job writes nothing and its
//! caller gets the first receipt ([`Committed::Duplicate`]). The writer does not know which store it drives: SQLite and PostgreSQL
//! share this path. After the commit it applies the stored events to the caches
//! ([`crate::cache`]: the states and the known keys), and only then sends each job's reply.
//! Inside each batch's transaction (before its writes), and every [`FOREIGN_POLL`] while idle,
//! it asks the store whether another process committed ([`Backend::data_version`]: SQLite's
//! `PRAGMA data_version`) and clears the caches when one did, before it applies its own batch.
//! A store that cannot tell (PostgreSQL: other service instances write it) runs with the caches
//! off.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use miniperm_core::ConsentEvent;
use miniperm_store::{Backend, Batch, Committed, Receipt, StoreError};
use tokio::sync::oneshot;

use crate::cache::{Bloom, Caches, FOREIGN_POLL, KNOWN_QUIET, state_key};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// The most jobs in one transaction.
pub const MAX_BATCH: usize = 256;

struct Job {
    tenant: String,
    events: Vec<ConsentEvent>,
    receipt: Option<Receipt>,
    reply: oneshot::Sender<Result<Committed, ApiError>>,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    /// Commit one job per transaction (the single-commit baseline of BENCHMARKS.md).
    single: bool,
}

impl Writer {
    /// Starts the writer thread on `store`. With `single`, every job is its own transaction.
    pub fn start(
        store: Box<dyn Backend>,
        metrics: Arc<Metrics>,
        caches: Arc<Caches>,
        single: bool,
    ) -> (Writer, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>();
        let handle = std::thread::Builder::new()
            .name("miniperm-writer".into())
            .spawn(move || run(store, rx, metrics, caches, single))
            .unwrap_or_else(|_| std::process::abort());
        (Writer { tx, single }, handle)
    }

    /// Appends `events` for `tenant` and returns them stored, after their commit.
    pub async fn append(
        &self,
        tenant: &str,
        events: Vec<ConsentEvent>,
    ) -> Result<Vec<ConsentEvent>, ApiError> {
        if events.is_empty() {
            return Ok(events);
        }
        match self.commit(tenant, events, None).await? {
            Committed::Appended(events) => Ok(events),
            // Only a job with a receipt can be a duplicate.
            Committed::Duplicate(_) => Ok(Vec::new()),
        }
    }

    /// Appends `events` for `tenant` with the `receipt` of a keyed request, after their commit;
    /// or, when the store already holds the receipt's key, writes nothing and returns the first
    /// receipt. A job with a receipt is committed even without events (the answer is recorded).
    pub async fn commit(
        &self,
        tenant: &str,
        events: Vec<ConsentEvent>,
        receipt: Option<Receipt>,
    ) -> Result<Committed, ApiError> {
        if events.is_empty() && receipt.is_none() {
            return Ok(Committed::Appended(events));
        }
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Job {
            tenant: tenant.to_string(),
            events,
            receipt,
            reply,
        });
        let out = match sent {
            Ok(()) => rx.await.map_err(|_| ApiError::Unavailable),
            Err(_) => Err(ApiError::Unavailable),
        };
        out?
    }

    pub fn is_single(&self) -> bool {
        self.single
    }
}

/// Watches `PRAGMA data_version` of the writer's connection: it moves only when another
/// connection commits. Also keeps the known-keys filter ([`crate::cache::KnownKeys`]): built by
/// a scan at start, switched off by a foreign commit, scanned again once the store has had no
/// foreign commit for [`KNOWN_QUIET`].
struct Foreign {
    seen: Option<i64>,
    /// When the last foreign commit (or failed look) was seen.
    changed_at: Option<Instant>,
    /// The known-keys filter is installed.
    known_on: bool,
    /// The store lists its keys (false: PostgreSQL, or a scan failed).
    listable: bool,
}

impl Foreign {
    /// Asks the store (idle polls).
    fn check(&mut self, store: &mut dyn Backend, caches: &Caches) {
        let seen = store.data_version();
        self.observe(seen, store, caches);
    }

    /// Clears the caches when `seen` moved since the last look (or cannot be read).
    fn observe(
        &mut self,
        seen: Result<Option<i64>, StoreError>,
        store: &mut dyn Backend,
        caches: &Caches,
    ) {
        let now = match seen {
            Ok(Some(v)) => Some(v),
            // No change signal: the caches are off (`Caches::new`), nothing to clear.
            Ok(None) => return,
            Err(_) => None,
        };
        if now.is_none() || now != self.seen {
            if self.seen.is_some() || now.is_none() {
                let active = store
                    .keys()
                    .ok()
                    .map(|k| k.iter().any(|k| k.revoked.is_none()));
                caches.foreign_change(active);
                self.known_on = false;
                self.changed_at = Some(Instant::now());
            }
            self.seen = now;
        }
    }

    /// After a failed commit: whether its keys reached the store is unknown, so the known-keys
    /// filter goes off until a new scan.
    fn unsure(&mut self, caches: &Caches) {
        caches.known.off();
        self.known_on = false;
        self.changed_at = Some(Instant::now());
    }

    /// Scans the store's keys into a new known-keys filter when it is off and the store has
    /// been quiet long enough. The look at `data_version` comes first: a foreign commit before
    /// the scan is in it, one after it moves the version and switches the filter off again.
    fn rebuild_known(&mut self, store: &mut dyn Backend, caches: &Caches) {
        let quiet = |f: &Foreign| f.changed_at.is_none_or(|t| t.elapsed() >= KNOWN_QUIET);
        if self.known_on || !self.listable || !caches.keeps() || !quiet(self) {
            return;
        }
        self.check(store, caches);
        if !quiet(self) {
            return;
        }
        let filter = std::cell::OnceCell::new();
        let listed = store.known_keys(
            &mut |n| {
                let _ = filter.set(Bloom::with_capacity((n as usize).saturating_mul(2)));
            },
            &mut |key| {
                if let Some(b) = filter.get() {
                    b.insert(&state_key(key));
                }
            },
        );
        match listed {
            Ok(true) => {
                if let Some(b) = filter.into_inner() {
                    caches.known.install(b);
                    self.known_on = true;
                }
            }
            Ok(false) => self.listable = false,
            // Not retried (a damaged row would fail every scan): misses read the store, which
            // is always right.
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the store's keys; every state miss reads it");
                self.listable = false;
            }
        }
    }
}

fn run(
    mut store: Box<dyn Backend>,
    rx: mpsc::Receiver<Job>,
    metrics: Arc<Metrics>,
    caches: Arc<Caches>,
    single: bool,
) {
    let mut foreign = Foreign {
        seen: None,
        changed_at: None,
        known_on: false,
        listable: true,
    };
    foreign.check(&mut *store, &caches);
    foreign.rebuild_known(&mut *store, &caches);
    loop {
        let first = match rx.recv_timeout(FOREIGN_POLL) {
            Ok(j) => j,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                foreign.check(&mut *store, &caches);
                foreign.rebuild_known(&mut *store, &caches);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut jobs = vec![first];
        if !single {
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
        }
        metrics.batch(jobs.len());
        let batches: Vec<Batch> = jobs
            .iter_mut()
            .map(|j| Batch {
                tenant: j.tenant.clone(),
                events: std::mem::take(&mut j.events),
                receipt: j.receipt.take(),
            })
            .collect();
        match store.append_receipted(batches) {
            Ok((seen, stored)) => {
                // The version seen inside the batch's transaction, before its writes: a
                // foreign commit clears the caches before ours is applied to them.
                foreign.observe(seen, &mut *store, &caches);
                let batches = || {
                    jobs.iter().zip(&stored).map(|(j, c)| match c {
                        Committed::Appended(e) => (j.tenant.as_str(), e.as_slice()),
                        Committed::Duplicate(_) => (j.tenant.as_str(), &[][..]),
                    })
                };
                // Both before any reply: an answered decision's key is known and its state
                // cached.
                caches.known.committed(batches());
                caches.states.committed(batches());
                for (job, events) in jobs.into_iter().zip(stored) {
                    let _ = job.reply.send(Ok(events));
                }
                foreign.rebuild_known(&mut *store, &caches);
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed");
                metrics.failed_commit();
                // Whatever the failed transaction touched is unknown now.
                caches.states.clear();
                foreign.unsure(&caches);
                for job in jobs {
                    let _ = job.reply.send(Err(write_failed(&e)));
                }
            }
        }
    }
}

/// What each caller of a failed group commit sees: an unreachable database stays that typed
/// error (503); anything else is a failed write (409).
fn write_failed(e: &StoreError) -> ApiError {
    match e {
        StoreError::Unreachable { url, reason } => ApiError::Store(StoreError::Unreachable {
            url: url.clone(),
            reason: reason.clone(),
        }),
        e => ApiError::Conflict(format!("the write failed: {e}")),
    }
}
