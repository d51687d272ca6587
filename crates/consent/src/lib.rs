//! miniperm's consent-store contract, without a database: the [`ConsentStore`] trait every store
//! keeps, [`ConsentKey`] (whose consent: one tenant's app and user), [`StoreError`],
//! [`make_truthful`] (how a store makes an event agree with the state it holds) and
//! [`MemoryStore`] (plain maps, for tests, `--ephemeral` and the explorer).
//!
//! The runtime and the explorer depend on this crate only, so they build without SQLite,
//! PostgreSQL or an async runtime; `miniperm-store` adds the durable stores (SQLite,
//! PostgreSQL) and re-exports everything here.
#![forbid(unsafe_code)]

mod memory;

use std::path::PathBuf;

use miniperm_core::{AppState, ConsentEvent};

pub use memory::MemoryStore;

/// Milliseconds since the Unix epoch by this host's wall clock (0 before 1970): the one clock
/// consent events are stamped with (a store then keeps `at` monotonic with `seq`). Core has no
/// clock (its callers pass `now`); the runtime's default `RunConfig::stamp`, the service and the
/// CLI all read this one.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whose consent: one user of one app of one tenant. Every call that names a state, a log or a
/// cache slot across tenants takes this key, never three strings (their order is a swap that
/// compiles). Borrowed and `Copy`: building one costs nothing.
///
/// [`ConsentStore`] acts within one tenant (the store's own), so it takes the app and user only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConsentKey<'a> {
    pub tenant: &'a str,
    pub app: &'a str,
    pub user: &'a str,
}

impl<'a> ConsentKey<'a> {
    /// The key of `event` (which names its app and user) in `tenant`.
    pub fn of_event(tenant: &'a str, event: &'a ConsentEvent) -> ConsentKey<'a> {
        ConsentKey {
            tenant,
            app: &event.app,
            user: &event.user,
        }
    }
}

/// The contract every store keeps. (Implementations: [`MemoryStore`] here; `SqliteStore` and
/// `PgStore` in `miniperm-store`.)
///
/// * `append` writes all `events` and the state they lead to in one transaction and returns
///   only after the commit: an acknowledged event is never lost. Each returned event carries the
///   `seq` the log gave it, in order.
/// * `state` is always equal to `AppState::fold(log)` for that (user, app).
/// * History is never rewritten: resets are events (D15).
/// * The log tells the truth: `append` re-derives each event's `from` from the state it holds
///   inside its transaction (so a writer that read the state earlier cannot log a `from` that
///   contradicts the previous event's `to`), and clamps `at` so that `at` never decreases as
///   `seq` grows (the store's clock, not the caller's, orders the log).
pub trait ConsentStore {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError>;
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError>;
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError>;

    /// Reads the state of one (user, app) and appends the events `changes` computes from it, in
    /// ONE write transaction: no other writer can change the state between the read and the
    /// write. Returns the state that was read and the stored events.
    ///
    /// The default reads then appends; it is correct for stores only one caller can reach at a
    /// time (`&mut self` of a [`MemoryStore`]). `SqliteStore` overrides it with an IMMEDIATE
    /// transaction, since other processes may write the same file.
    fn update(
        &mut self,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        let state = self.state(user, app)?;
        let events = changes(&state);
        Ok((state, self.append(events)?))
    }

    /// Group commit: appends several batches (for example the decisions of several callers that
    /// queued behind one writer) in ONE transaction, and returns each batch with its `seq`s, in
    /// order. Either every batch is committed or none is.
    ///
    /// The default concatenates the batches into one [`append`](ConsentStore::append), which
    /// already is one transaction.
    fn append_batches(
        &mut self,
        batches: Vec<Vec<ConsentEvent>>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        let lens: Vec<usize> = batches.iter().map(Vec::len).collect();
        let mut all = self
            .append(batches.into_iter().flatten().collect())?
            .into_iter();
        Ok(lens
            .into_iter()
            .map(|n| all.by_ref().take(n).collect())
            .collect())
    }
}

impl<S: ConsentStore + ?Sized> ConsentStore for Box<S> {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError> {
        (**self).append(events)
    }
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError> {
        (**self).state(user, app)
    }
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError> {
        (**self).log(user, app)
    }
    fn append_batches(
        &mut self,
        batches: Vec<Vec<ConsentEvent>>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        (**self).append_batches(batches)
    }
    fn update(
        &mut self,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        (**self).update(user, app, changes)
    }
}

/// Makes an event agree with the state it is applied to: `from` becomes what `state` holds for
/// the event's subject (a reset, subject `*`, keeps its `from`), and `at` is raised to `last_at`
/// when it is earlier. Returns the event's `at` after clamping (the next event's `last_at`).
pub fn make_truthful(state: &AppState, e: &mut ConsentEvent, last_at: i64) -> i64 {
    use miniperm_core::{Subject, Value};
    match e.scope {
        Subject::Scope(s) => e.from = state.scope(s),
        Subject::Os(p) => e.from = state.os(p),
        Subject::Privacy(t) => {
            e.from = if state.privacy_granted(t) {
                Value::Granted
            } else if e.from == Value::Granted {
                Value::Unset
            } else {
                e.from
            };
        }
        Subject::All => {}
    }
    e.at = e.at.max(last_at);
    e.at
}

/// Everything a store can fail with. Messages are lowercase and name the input in backticks.
///
/// [`StoreError::is_bad_input`] tells a caller's mistake (a foreign or newer file given as the
/// database) from a failure of the machine (I/O, a full disk, a lock held too long).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The path exists but cannot be opened or read as a database (a directory, no permission).
    #[error("cannot open database `{}`: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    /// The file is not an SQLite database at all.
    #[error("`{}` is not a miniperm database (not an sqlite file)", .path.display())]
    NotSqlite { path: PathBuf },
    /// An SQLite database that some other program wrote.
    #[error("`{}` is not a miniperm database ({reason})", .path.display())]
    Foreign { path: PathBuf, reason: String },
    /// A miniperm database from a newer version of miniperm.
    #[error(
        "database `{}` has schema version {found}, newer than this miniperm supports ({supported}): upgrade miniperm",
        .path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// A value read back that this version does not know (a foreign or damaged database).
    #[error("unknown {column} `{value}` in the {table} table (row {row})")]
    BadValue {
        table: &'static str,
        row: String,
        column: &'static str,
        value: String,
    },
    /// Any other database failure: I/O, a full disk, a lock held by another writer.
    #[error("database error on `{}`: {source}", .path.display())]
    Sqlite {
        path: PathBuf,
        /// rusqlite's error (boxed: this crate does not depend on the driver).
        #[source]
        source: DriverError,
    },
    /// The stored state of one (user, app) is not the fold of its log (a damaged database).
    #[error("the state of user `{user}` app `{app}` differs from the fold of its log")]
    Inconsistent { user: String, app: String },
    /// A `--database-url` that is not a PostgreSQL connection string.
    #[error("bad database url `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// The PostgreSQL server cannot be reached (refused, timed out, went away and did not come
    /// back within the bounded retries). `url` never holds the password.
    #[error("database `{url}` is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// Any other PostgreSQL failure (a refused login, a missing database, a failed statement).
    #[error("database error on `{url}`: {reason}")]
    Postgres {
        url: String,
        /// The error with its causes on one line (what the message shows).
        reason: String,
        /// tokio-postgres's error (boxed: this crate does not depend on the driver).
        #[source]
        source: DriverError,
    },
    /// I/O outside SQLite (creating the parent folder of a database).
    #[error("cannot create `{}`: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// True when the error is about what the caller handed in (the database file), not about
    /// the machine: the store was left untouched.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            StoreError::Unreadable { .. }
                | StoreError::NotSqlite { .. }
                | StoreError::Foreign { .. }
                | StoreError::NewerSchema { .. }
                | StoreError::BadValue { .. }
                | StoreError::Inconsistent { .. }
                | StoreError::BadUrl { .. }
        )
    }

    /// True when the database server could not be reached (the caller may try again later).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, StoreError::Unreachable { .. })
    }
}

/// A database driver's error (rusqlite's, tokio-postgres's), kept as the source of a
/// [`StoreError`] without this crate depending on the driver.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;
