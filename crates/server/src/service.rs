//! The service's shared state ([`Service`]): the store's reader connections and the writer, the
//! caches, the prompts and settings sessions waiting in memory, the rate limits; and what every
//! handler asks of it (a state through the cache, a manifest, a receipt, a write).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use miniperm_core::{
    AppState, Ask, Change, Channel, ConsentEvent, Env, EventMeta, Manifest, Profile, Request,
    SystemSwitches,
};
use miniperm_store::{Backend, ConsentKey, StoreError, StoredReceipt, now_ms};

use crate::cache::{Caches, Lookup, state_key};
use crate::config::{Config, READERS, REQUEST_TIMEOUT};
use crate::error::ApiError;
use crate::faults::Faulty;
use crate::metrics::Metrics;
use crate::retry::KeyLocks;
use crate::writer::Writer;

/// A prompt the host must show; answered with `POST /v1/prompts/{id}`.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub tenant: String,
    pub app: String,
    pub user: String,
    pub req: Request,
    pub ask: Ask,
    pub expires: Instant,
    /// An answer was attempted: whether it committed is for the store's receipts to tell.
    pub tried: bool,
}

impl Pending {
    /// Whose consent the prompt is about.
    pub fn key(&self) -> ConsentKey<'_> {
        ConsentKey {
            tenant: &self.tenant,
            app: &self.app,
            user: &self.user,
        }
    }

    /// Still answerable: not expired, or an answer was attempted (kept a little longer, so a
    /// retry of an attempt still in the writer's queue cannot be told "no answer recorded").
    pub fn alive(&self, now: Instant) -> bool {
        self.expires > now || (self.tried && self.expires + 2 * REQUEST_TIMEOUT > now)
    }
}

/// An open settings page (openSetting) of one (tenant, app, user).
#[derive(Debug, Clone)]
pub(crate) struct SettingsSession {
    pub tenant: String,
    pub app: String,
    pub user: String,
    pub expires: Instant,
    /// The close's answer once closed: a repeated close gets it again.
    pub closed: Option<String>,
}

impl SettingsSession {
    /// Whose settings page it is.
    pub fn key(&self) -> ConsentKey<'_> {
        ConsentKey {
            tenant: &self.tenant,
            app: &self.app,
            user: &self.user,
        }
    }
}

/// Shared state of the service.
pub struct Service {
    /// Read connections (WAL readers do not block each other or the writer).
    pub(crate) readers: Vec<Mutex<Box<dyn Backend>>>,
    pub(crate) next_reader: std::sync::atomic::AtomicUsize,
    pub(crate) writer: Writer,
    pub(crate) prompts: Mutex<HashMap<String, Pending>>,
    pub(crate) sessions: Mutex<HashMap<String, SettingsSession>>,
    /// One attempt at a time per receipt key ([`KeyLocks`]).
    pub(crate) locks: Arc<KeyLocks>,
    /// The store is a server (PostgreSQL): reads may wait on the network ([`Service::read`]).
    pub(crate) remote: bool,
    pub(crate) profile: Profile,
    pub metrics: Arc<Metrics>,
    /// The state and key caches, and whether the API is open (no key needed: loopback and no
    /// active key in the store; re-checked by the writer when another process commits, and once
    /// a key exists it stays closed until restart).
    pub(crate) caches: Arc<Caches>,
    pub(crate) rate_limit: u32,
    pub(crate) rate: Mutex<HashMap<String, (u64, u32)>>,
}

/// Whether `addr` with the keys of `store` runs open (no key needed).
pub fn is_open(addr: &SocketAddr, store: &mut dyn Backend) -> Result<bool, ApiError> {
    Ok(addr.ip().is_loopback() && store.keys()?.iter().all(|k| k.revoked.is_some()))
}

impl Service {
    /// Opens the store (readers and the writer's handle) and starts the writer.
    pub fn start(cfg: &Config) -> Result<(Arc<Service>, std::thread::JoinHandle<()>), ApiError> {
        let mut reader = miniperm_store::open_backend(&cfg.target())?;
        let mut write = reader.another()?;
        // No decision waits for a WAL checkpoint inside its commit (SQLite).
        write.checkpoint_in_background()?;
        if let Some(f) = &cfg.faults {
            write = Faulty::wrap(write, f.clone());
        }
        // Caches only where the store says when others wrote it (SQLite's data_version).
        let exact = write.data_version()?.is_some();
        let open = is_open(&cfg.listen, &mut *reader)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 1..READERS {
            readers.push(Mutex::new(reader.another()?));
        }
        readers.insert(0, Mutex::new(reader));
        let metrics = Arc::new(Metrics::default());
        let caches = Arc::new(Caches::new(open, exact));
        let (writer, handle) =
            Writer::start(write, metrics.clone(), caches.clone(), cfg.single_commit);
        Ok((
            Arc::new(Service {
                readers,
                next_reader: std::sync::atomic::AtomicUsize::new(0),
                writer,
                prompts: Mutex::new(HashMap::new()),
                sessions: Mutex::new(HashMap::new()),
                locks: Arc::new(KeyLocks::default()),
                remote: !exact,
                profile: Profile::wechat(),
                metrics,
                caches,
                rate_limit: cfg.rate_limit,
                rate: Mutex::new(HashMap::new()),
            }),
            handle,
        ))
    }

    /// True when the API needs no key.
    pub fn is_open(&self) -> bool {
        self.caches.open.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Runs `f`, which may block for long (a remote store that is reconnecting), without holding
/// up the other tasks of this worker: on a multi-threaded runtime the worker hands its tasks to
/// another thread first (`block_in_place`); elsewhere `f` just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Service {
    /// Runs `f` on a reader connection. On a remote store (PostgreSQL) a read can wait seconds
    /// while the pool reconnects (a failover): it runs as blocking work, so `/healthz`,
    /// `/metrics` and cached answers stay served meanwhile. SQLite reads take microseconds and
    /// run in place.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, StoreError>,
    ) -> Result<T, ApiError> {
        if self.remote {
            return blocking(|| self.read_now(f));
        }
        self.read_now(f)
    }

    fn read_now<T>(
        &self,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, StoreError>,
    ) -> Result<T, ApiError> {
        let n = self.readers.len();
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for i in 0..n {
            if let Ok(mut s) = self.readers[(start + i) % n].try_lock() {
                return Ok(f(&mut **s)?);
            }
        }
        let mut s = self.readers[start % n]
            .lock()
            .map_err(|_| ApiError::Unavailable)?;
        Ok(f(&mut **s)?)
    }

    pub(crate) fn check_rate(&self, who: &str) -> Result<(), ApiError> {
        let second = (now_ms() / 1000) as u64;
        let mut rate = self.rate.lock().map_err(|_| ApiError::Unavailable)?;
        if !rate.contains_key(who) {
            rate.insert(who.to_string(), (second, 0));
        }
        let Some(e) = rate.get_mut(who) else {
            return Err(ApiError::Unavailable);
        };
        if e.0 != second {
            *e = (second, 0);
        }
        e.1 += 1;
        if e.1 > self.rate_limit {
            return Err(ApiError::RateLimited(self.rate_limit));
        }
        Ok(())
    }

    /// The app's declarations (the empty manifest when none was stored).
    pub(crate) fn manifest(&self, tenant: &str, app: &str) -> Result<Arc<Manifest>, ApiError> {
        if let Some(m) = self.caches.manifests.get(tenant, app) {
            return Ok(m);
        }
        let generation = self.caches.manifests.generation();
        let m = match self.read(|s| s.manifest_in(tenant, app))? {
            // Written by this service from a `Manifest`: unreadable means a damaged row.
            Some(body) => serde_json::from_str(&body).map_err(|e| {
                ApiError::Conflict(format!("the stored manifest of `{app}` is unreadable: {e}"))
            })?,
            None => Manifest::default(),
        };
        let m = Arc::new(m);
        self.caches
            .manifests
            .fill(tenant, app, m.clone(), generation);
        Ok(m)
    }

    /// The state of one (tenant, app, user): from the cache, else read and cached.
    pub(crate) fn state(&self, key: ConsentKey<'_>) -> Result<AppState, ApiError> {
        let slot = state_key(key);
        match self.caches.states.get(&slot) {
            Lookup::Hit(s) => Ok(s),
            Lookup::Miss(token) => {
                // A key the store surely has no row for: the empty state, without a read.
                let s = if self.caches.known.surely_absent(&slot) {
                    AppState::new()
                } else {
                    self.read(|st| st.state_in(key))?
                };
                self.caches.states.fill(&slot, token, s);
                Ok(s)
            }
        }
    }

    pub(crate) fn env<'a>(&'a self, manifest: &'a Manifest) -> Env<'a> {
        Env {
            profile: &self.profile,
            manifest,
            privacy_listener: false,
            system: SystemSwitches::default(),
        }
    }

    fn meta(&self, key: ConsentKey<'_>) -> EventMeta {
        EventMeta {
            at: now_ms(),
            user: key.user.to_string(),
            app: key.app.to_string(),
            channel: Channel::Release,
            profile: self.profile.name.clone(),
        }
    }

    /// The events of `changes` for the key's app and user, stamped now.
    pub(crate) fn events(&self, key: ConsentKey<'_>, changes: Vec<Change>) -> Vec<ConsentEvent> {
        let meta = self.meta(key);
        changes
            .into_iter()
            .map(|c| ConsentEvent::new(&meta, c))
            .collect()
    }

    pub(crate) async fn write(
        &self,
        key: ConsentKey<'_>,
        changes: Vec<Change>,
    ) -> Result<Vec<ConsentEvent>, ApiError> {
        let events = self.events(key, changes);
        self.writer.append(key.tenant, events).await
    }

    /// The receipt stored under (`tenant`, `key`): read through a reader connection (on
    /// PostgreSQL a pooled connection to the current primary).
    pub(crate) fn receipt(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredReceipt>, ApiError> {
        self.read(|s| s.receipt_in(tenant, key))
    }

    pub(crate) fn forget_prompt(&self, id: &str) {
        if let Ok(mut p) = self.prompts.lock() {
            p.remove(id);
        }
    }
}
