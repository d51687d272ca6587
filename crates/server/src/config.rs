//! How the service is set up ([`Config`]) and its fixed limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use miniperm_store::Target;

use crate::faults::Faults;
use crate::sim::Clock;

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
    pub sim_clock: Clock,
    /// Faults the writer's store obeys (tests only: [`crate::faults`]).
    #[doc(hidden)]
    pub faults: Option<Arc<Faults>>,
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
            sim_clock: Clock::system(),
            faults: None,
        }
    }
}
