//! `miniperm serve`: the consent service. The `/v1` API of DESIGN ("`miniperm serve`") on axum,
//! answered by the same core decisions as `miniperm run` ([`miniperm_core::drive`],
//! [`miniperm_core::apply_settings`], [`miniperm_core::setting_result`],
//! [`miniperm_core::explain`]), over the consent store keyed by (tenant, appid, user): SQLite by
//! default, PostgreSQL with [`Config::database_url`] (both behind [`miniperm_store::Backend`]).
//!
//! * Every decision that changes state is durable before its answer is sent: the events go
//!   through one writer thread that commits concurrent decisions together ([`writer`]).
//! * Pending prompts and settings sessions live in memory, keyed by tenant, and expire
//!   ([`PROMPT_TTL`]); a restart forgets them (the host asks again). They outlive a failover of
//!   the database (the process keeps them), and a prompt stays pending until its answer
//!   committed.
//! * Retries tell the truth ([`retry`]): a prompt's answer and every request sent with an
//!   `Idempotency-Key` store a receipt with their decision, in the same transaction; a repeat
//!   gets the first answer again (or 409 when it asks for something else), never a second
//!   decision.
//! * Apps have no project here: the permission desc of the authorize sheet comes from the app's
//!   manifest, set with `PUT /v1/apps/{appid}/manifest` (app.json's `permission`,
//!   `requiredPrivateInfos`, `requiredBackgroundModes`); kept in the store per tenant (it
//!   changes decisions, so it survives restarts) and cached. Without one the desc is empty and
//!   the manifest is empty (no private-info or background checks).
//! * Caches ([`cache`]): states, verified keys and manifests are read from memory, kept exact by
//!   the writer for this process's commits and cleared when another process commits.
//! * Keys: on a loopback address with no key created the API is open (tenant `dev`); otherwise
//!   `Authorization: Bearer KEY` (see [`keys`]), and a tenant sees only its own data.
#![forbid(unsafe_code)]

mod api;
pub mod cache;
mod error;
#[doc(hidden)]
pub mod faults;
pub mod keys;
mod metrics;
pub mod retry;
pub mod sim;
pub mod writer;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use api::{ApiDoc, router};
pub use error::{ApiError, ErrorBody};
pub use metrics::Metrics;
use miniperm_core::{Ask, Profile, Request};
use miniperm_store::{Backend, ConsentKey, Target};

/// How long a prompt or a settings session waits for its answer.
pub const PROMPT_TTL: Duration = Duration::from_secs(600);
/// Most prompts waiting at once (all tenants); past it authorize answers 409 until some are
/// answered or expire.
pub const MAX_PENDING: usize = 100_000;
/// Read connections to the store.
pub const READERS: usize = 4;
/// Largest request body accepted (413 past it).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest a request may take (the store's busy timeout is 10 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How the service is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub db: PathBuf,
    /// A PostgreSQL URL: when set, the store is there and `db` is unused.
    pub database_url: Option<String>,
    /// Requests per second per key (or per open-mode client).
    pub rate_limit: u32,
    /// Commit each decision alone (the baseline of BENCHMARKS.md), not in groups.
    pub single_commit: bool,
    /// Project folders the simulator at `/` offers (each loaded at start; failures skipped).
    pub projects: Vec<PathBuf>,
    /// The clock simulator sessions expire by (tests pass a manual one).
    pub sim_clock: sim::Clock,
    /// Faults the writer's store obeys (tests only: [`faults`]).
    #[doc(hidden)]
    pub faults: Option<Arc<faults::Faults>>,
}

impl Config {
    /// Where the store is: `database_url` when set, else the SQLite file `db`.
    pub fn target(&self) -> Target {
        match &self.database_url {
            Some(u) => Target::Postgres(u.clone()),
            None => Target::Sqlite(self.db.clone()),
        }
    }

    pub fn new(listen: SocketAddr, db: PathBuf) -> Config {
        Config {
            listen,
            db,
            database_url: None,
            rate_limit: 10_000,
            single_commit: false,
            projects: Vec::new(),
            sim_clock: sim::Clock::system(),
            faults: None,
        }
    }
}

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
    pub(crate) writer: writer::Writer,
    pub(crate) prompts: Mutex<HashMap<String, Pending>>,
    pub(crate) sessions: Mutex<HashMap<String, SettingsSession>>,
    /// One attempt at a time per receipt key ([`retry::KeyLocks`]).
    pub(crate) locks: Arc<retry::KeyLocks>,
    /// The store is a server (PostgreSQL): reads may wait on the network ([`Service::read`]).
    pub(crate) remote: bool,
    pub(crate) profile: Profile,
    pub metrics: Arc<Metrics>,
    /// The state and key caches, and whether the API is open (no key needed: loopback and no
    /// active key in the store; re-checked by the writer when another process commits, and once
    /// a key exists it stays closed until restart).
    pub(crate) caches: Arc<cache::Caches>,
    pub(crate) rate_limit: u32,
    pub(crate) rate: Mutex<HashMap<String, (u64, u32)>>,
    /// The simulator's projects and sessions ([`sim`]).
    pub(crate) sim_projects: Vec<sim::SimProject>,
    pub(crate) sim_sessions: Mutex<HashMap<String, sim::SimSession>>,
    pub(crate) sim_clock: sim::Clock,
    /// Set when the service stops: the simulator's event streams end (so the graceful
    /// shutdown does not wait for open pages).
    pub(crate) sim_closing: Arc<tokio::sync::watch::Sender<bool>>,
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
            write = faults::Faulty::wrap(write, f.clone());
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
        let caches = Arc::new(cache::Caches::new(open, exact));
        let (writer, handle) =
            writer::Writer::start(write, metrics.clone(), caches.clone(), cfg.single_commit);
        Ok((
            Arc::new(Service {
                readers,
                next_reader: std::sync::atomic::AtomicUsize::new(0),
                writer,
                prompts: Mutex::new(HashMap::new()),
                sessions: Mutex::new(HashMap::new()),
                locks: Arc::new(retry::KeyLocks::default()),
                remote: !exact,
                profile: Profile::wechat(),
                metrics,
                caches,
                rate_limit: cfg.rate_limit,
                rate: Mutex::new(HashMap::new()),
                sim_projects: sim::load_projects(&cfg.projects),
                sim_sessions: Mutex::new(HashMap::new()),
                sim_clock: cfg.sim_clock.clone(),
                sim_closing: Arc::new(tokio::sync::watch::Sender::new(false)),
            }),
            handle,
        ))
    }

    /// True when the API needs no key.
    pub fn is_open(&self) -> bool {
        self.caches.open.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Runs the service on `listener` until `shutdown` resolves; in-flight requests (and their
/// commits) finish first, then the writer drains and stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let (svc, writer) = Service::start(cfg)?;
    let app = router(svc.clone());
    let closing = svc.sim_closing.clone();
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    drop(svc);
    // The router (and with it every Writer clone) is gone: the writer sees its channel close
    // after the last queued batch and returns.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    served.map_err(|e| ApiError::BadRequest(format!("cannot serve: {e}")))
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Milliseconds since the Unix epoch (the store's clock).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A fresh random id with a prefix (`p_…` prompts, `s_…` sessions).
pub(crate) fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 12];
    if getrandom::fill(&mut raw).is_err() {
        // No OS randomness: fall back to time and a counter (ids only need to be unique).
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return format!("{prefix}{:x}{n:x}", now_ms());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}
