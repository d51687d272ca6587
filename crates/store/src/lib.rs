//! miniperm's consent store: an append-only consent log plus the current state, updated in the
//! same transaction. SQLite (rusqlite, bundled) by default; an in-memory store for tests,
//! `--ephemeral` and the explorer.
//!
//! * [`SqliteStore`]: a file (or `:memory:`) in WAL mode with `synchronous=FULL`; every
//!   [`ConsentStore::append`] is one transaction and returns only after its commit. Versioned
//!   schema ([`SCHEMA_VERSION`]); a database from a newer miniperm or from another program is
//!   refused with a typed error before anything is written.
//! * [`PgStore`]: a PostgreSQL database (tokio-postgres, a small connection pool, reconnect
//!   with bounded retries); group commit is one multi-row insert per batch.
//! * [`MemoryStore`]: plain Rust maps, `Clone`, no I/O. Same contract, nothing durable.
//!
//! [`Backend`] is what the service needs from a durable store, per tenant: both [`SqliteStore`]
//! and [`PgStore`] implement it, and [`open_backend`] opens either from a [`Target`].
//!
//! The store decides nothing: it appends what the engine decided and keeps the current state equal
//! to [`AppState::fold`] of the log, using [`AppState::apply`], [`AppState::entries`] and
//! [`AppState::from_entries`].
#![forbid(unsafe_code)]

mod codec;
mod memory;
mod postgres;
mod sqlite;
#[doc(hidden)]
pub mod testpg;

use std::path::PathBuf;

use miniperm_core::{AppState, ConsentEvent};

pub use memory::MemoryStore;
pub use postgres::{
    CONNECT_ATTEMPTS, PG_SCHEMA_VERSION, POOL_SIZE, PgStore, create_schema, redact_url,
};
pub use sqlite::{APPLICATION_ID, DEFAULT_TENANT, KeyRow, SCHEMA_VERSION, SqliteStore};

/// The contract every store keeps. (Implementations: see the modules of this crate.)
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
    /// time (`&mut self` of a [`MemoryStore`]). [`SqliteStore`] overrides it with an IMMEDIATE
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

/// What a keyed request answered, kept with the decision it made in the same transaction: a
/// retry of the request (after an answer that never arrived: a 5xx, a dropped connection, a
/// failover) learns from it what was committed, and a decision is never made twice.
///
/// Receipts are keyed by (tenant, `key`) and never change once written (the table refuses
/// UPDATE and DELETE, like the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Unique per tenant. The service writes `prompt:ID` for a prompt's answer and `key:K` for
    /// a request carrying `Idempotency-Key: K`.
    pub key: String,
    /// What the request asked (its route, target and body, normalised), so that a different
    /// request under the same key is told apart from a repeat.
    pub fingerprint: String,
    /// The (user, app) the decision is about.
    pub user: String,
    pub app: String,
    /// The answer as first sent: HTTP status and body.
    pub status: u16,
    pub body: String,
    /// When the request was decided (milliseconds since the Unix epoch, the service's clock).
    pub at: i64,
}

/// A [`Receipt`] read back, with the `seq`s its decision's events got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReceipt {
    pub receipt: Receipt,
    /// First and last `seq` of the decision's events; `None` when it changed nothing.
    pub seqs: Option<(u64, u64)>,
}

/// One caller's part of a group commit: its events and, for a keyed request, its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub tenant: String,
    pub events: Vec<ConsentEvent>,
    pub receipt: Option<Receipt>,
}

/// What became of one [`Batch`] of a group commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Its events were appended (with their `seq`s) and its receipt, if any, stored.
    Appended(Vec<ConsentEvent>),
    /// Its receipt's key was already stored (by an earlier commit, or earlier in the same
    /// one): nothing of this batch was written; the first receipt is returned instead.
    Duplicate(StoredReceipt),
}

/// A group commit's outcome with the [`Backend::data_version`] seen just before its writes.
pub type Versioned<T> = (Result<Option<i64>, StoreError>, T);

/// The `seq`s of a batch's stored events, first and last.
pub(crate) fn seq_range(events: &[ConsentEvent]) -> Option<(u64, u64)> {
    Some((events.first()?.seq, events.last()?.seq))
}

/// The first half of a SQL store's `verify`: every (user, app) of `pairs` holds the fold of its
/// log.
pub(crate) fn check_folds<S: ConsentStore + ?Sized>(
    store: &mut S,
    pairs: &[(String, String)],
) -> Result<(), StoreError> {
    for (user, app) in pairs {
        let log = store.log(user, app)?;
        if store.state(user, app)? != AppState::fold(&log) {
            return Err(StoreError::Inconsistent {
                user: user.clone(),
                app: app.clone(),
            });
        }
    }
    Ok(())
}

/// The [`ConsentStore`] of a [`Backend`]: every call is the backend's `*_in` method for its
/// current tenant ([`Backend::tenant`]). The SQLite and PostgreSQL stores both use it.
macro_rules! consent_store_of_backend {
    ($store:ty) => {
        impl $crate::ConsentStore for $store {
            fn append(
                &mut self,
                events: Vec<miniperm_core::ConsentEvent>,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, $crate::StoreError> {
                if events.is_empty() {
                    return Ok(events);
                }
                let tenant = $crate::Backend::tenant(self).to_string();
                let mut out = $crate::Backend::append_batches_in(self, vec![(tenant, events)])?;
                Ok(out.pop().unwrap_or_default())
            }

            fn append_batches(
                &mut self,
                batches: Vec<Vec<miniperm_core::ConsentEvent>>,
            ) -> Result<Vec<Vec<miniperm_core::ConsentEvent>>, $crate::StoreError> {
                let tenant = $crate::Backend::tenant(self).to_string();
                let batches = batches.into_iter().map(|b| (tenant.clone(), b)).collect();
                $crate::Backend::append_batches_in(self, batches)
            }

            fn update(
                &mut self,
                user: &str,
                app: &str,
                changes: &mut dyn FnMut(
                    &miniperm_core::AppState,
                ) -> Vec<miniperm_core::ConsentEvent>,
            ) -> Result<
                (miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>),
                $crate::StoreError,
            > {
                let tenant = $crate::Backend::tenant(self).to_string();
                $crate::Backend::update_in(self, &tenant, user, app, changes)
            }

            fn state(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<miniperm_core::AppState, $crate::StoreError> {
                let tenant = $crate::Backend::tenant(self).to_string();
                $crate::Backend::state_in(self, &tenant, user, app)
            }

            fn log(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, $crate::StoreError> {
                let tenant = $crate::Backend::tenant(self).to_string();
                $crate::Backend::log_in(self, &tenant, user, app)
            }
        }
    };
}
pub(crate) use consent_store_of_backend;

/// The [`Backend`] impl of a store whose inherent methods carry the same names: each trait
/// method calls the inherent one. `$extra` holds what differs between stores (the change signal,
/// the description, another handle, overridden defaults).
macro_rules! backend_by_inherent {
    ($store:ty, { $($extra:tt)* }) => {
        impl $crate::Backend for $store {
            fn state_in(
                &mut self,
                tenant: &str,
                user: &str,
                app: &str,
            ) -> Result<miniperm_core::AppState, $crate::StoreError> {
                <$store>::state_in(self, tenant, user, app)
            }
            fn log_in(
                &mut self,
                tenant: &str,
                user: &str,
                app: &str,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, $crate::StoreError> {
                <$store>::log_in(self, tenant, user, app)
            }
            fn update_in(
                &mut self,
                tenant: &str,
                user: &str,
                app: &str,
                changes: &mut dyn FnMut(&miniperm_core::AppState) -> Vec<miniperm_core::ConsentEvent>,
            ) -> Result<(miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>), $crate::StoreError>
            {
                <$store>::update_in(self, tenant, user, app, changes)
            }
            fn append_batches_in(
                &mut self,
                batches: Vec<(String, Vec<miniperm_core::ConsentEvent>)>,
            ) -> Result<Vec<Vec<miniperm_core::ConsentEvent>>, $crate::StoreError> {
                <$store>::append_batches_in(self, batches)
            }
            fn put_manifest_in(
                &mut self,
                tenant: &str,
                app: &str,
                body: &str,
                at: i64,
            ) -> Result<(), $crate::StoreError> {
                <$store>::put_manifest_in(self, tenant, app, body, at)
            }
            fn manifest_in(
                &mut self,
                tenant: &str,
                app: &str,
            ) -> Result<Option<String>, $crate::StoreError> {
                <$store>::manifest_in(self, tenant, app)
            }
            fn insert_key(&mut self, key: &$crate::KeyRow) -> Result<(), $crate::StoreError> {
                <$store>::insert_key(self, key)
            }
            fn keys(&mut self) -> Result<Vec<$crate::KeyRow>, $crate::StoreError> {
                <$store>::keys(self)
            }
            fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, $crate::StoreError> {
                <$store>::revoke_key(self, id, at)
            }
            fn tenant(&self) -> &str {
                <$store>::tenant(self)
            }
            fn set_tenant(&mut self, tenant: &str) {
                <$store>::set_tenant(self, tenant);
            }
            fn last_seq(&mut self) -> Result<u64, $crate::StoreError> {
                <$store>::last_seq(self)
            }
            fn pairs(&mut self) -> Result<Vec<(String, String)>, $crate::StoreError> {
                <$store>::pairs(self)
            }
            fn verify(&mut self) -> Result<usize, $crate::StoreError> {
                <$store>::verify(self)
            }
            fn schema_version(&mut self) -> Result<i64, $crate::StoreError> {
                <$store>::schema_version(self)
            }
            fn append_receipted(
                &mut self,
                batches: Vec<$crate::Batch>,
            ) -> Result<$crate::Versioned<Vec<$crate::Committed>>, $crate::StoreError> {
                <$store>::append_receipted(self, batches)
            }
            fn receipt_in(
                &mut self,
                tenant: &str,
                key: &str,
            ) -> Result<Option<$crate::StoredReceipt>, $crate::StoreError> {
                <$store>::receipt_in(self, tenant, key)
            }
            $($extra)*
        }
    };
}
pub(crate) use backend_by_inherent;

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
        #[source]
        source: rusqlite::Error,
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
    #[error("database error on `{url}`: {}", postgres::one_line(.source))]
    Postgres {
        url: String,
        #[source]
        source: tokio_postgres::Error,
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

/// Where a durable store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…`).
    Postgres(String),
}

impl std::fmt::Display for Target {
    /// The file, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(p) => write!(f, "{}", p.display()),
            Target::Postgres(u) => f.write_str(&redact_url(u)),
        }
    }
}

/// Opens the store at `target`.
pub fn open_backend(target: &Target) -> Result<Box<dyn Backend>, StoreError> {
    Ok(match target {
        Target::Sqlite(p) => Box::new(SqliteStore::open(p)?),
        Target::Postgres(u) => Box::new(PgStore::open(u)?),
    })
}

/// What the service (and the conformance tests) need from a durable store: the
/// [`ConsentStore`] contract for every tenant, group commit across tenants, and the API keys.
/// [`SqliteStore`] and [`PgStore`] implement it with the same meaning.
pub trait Backend: ConsentStore + Send {
    /// The state of one (user, app) of `tenant`.
    fn state_in(&mut self, tenant: &str, user: &str, app: &str) -> Result<AppState, StoreError>;
    /// The consent log of one (user, app) of `tenant`.
    fn log_in(
        &mut self,
        tenant: &str,
        user: &str,
        app: &str,
    ) -> Result<Vec<ConsentEvent>, StoreError>;
    /// [`ConsentStore::update`] for `tenant`.
    fn update_in(
        &mut self,
        tenant: &str,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError>;
    /// Group commit across tenants: every `(tenant, batch)` in ONE transaction; each batch
    /// comes back with its `seq`s. All or nothing.
    fn append_batches_in(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError>;
    /// [`Backend::append_batches_in`], with the [`Backend::data_version`] seen just before the
    /// batch's writes. SQLite reads it inside the write transaction, so no other commit can fall
    /// between the two (and it costs no read transaction of its own).
    #[allow(clippy::type_complexity)]
    fn append_batches_versioned(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<(Result<Option<i64>, StoreError>, Vec<Vec<ConsentEvent>>), StoreError> {
        let version = self.data_version();
        Ok((version, self.append_batches_in(batches)?))
    }
    /// Group commit with receipts: every batch in ONE transaction, like
    /// [`Backend::append_batches_versioned`]. A batch whose receipt's key is already stored
    /// (committed earlier, or by an earlier batch of this transaction) writes nothing and comes
    /// back as [`Committed::Duplicate`]; the look happens inside the write transaction, under
    /// the store's writer lock, so no two commits can both store a key. All or nothing.
    fn append_receipted(
        &mut self,
        batches: Vec<Batch>,
    ) -> Result<Versioned<Vec<Committed>>, StoreError>;
    /// The receipt stored under (`tenant`, `key`), if any.
    fn receipt_in(&mut self, tenant: &str, key: &str) -> Result<Option<StoredReceipt>, StoreError>;
    /// Every (tenant, user, app) with rows in the store (its `apps` row: every one that ever had
    /// an event has one), read in one read transaction: `sized` gets their number first, then
    /// `each` gets each one. False when the store does not list them (PostgreSQL, where the
    /// service caches nothing).
    fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(&str, &str, &str),
    ) -> Result<bool, StoreError> {
        let _ = (sized, each);
        Ok(false)
    }
    /// Stores (or replaces) the declarations of `app` for `tenant` (a JSON document).
    fn put_manifest_in(
        &mut self,
        tenant: &str,
        app: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// The declarations stored for (`tenant`, `app`), if any.
    fn manifest_in(&mut self, tenant: &str, app: &str) -> Result<Option<String>, StoreError>;
    /// A number that moves when ANOTHER connection or process commits (SQLite's
    /// `PRAGMA data_version`), for caches in front of the store; `None` when the store has no
    /// such signal (PostgreSQL), and then nothing may be cached.
    fn data_version(&mut self) -> Result<Option<i64>, StoreError>;
    /// Stores a new API key.
    fn insert_key(&mut self, key: &KeyRow) -> Result<(), StoreError>;
    /// Every key, oldest first.
    fn keys(&mut self) -> Result<Vec<KeyRow>, StoreError>;
    /// Marks key `id` revoked at `at`; false when no unrevoked key has that id.
    fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, StoreError>;
    /// The tenant the [`ConsentStore`] methods act as.
    fn tenant(&self) -> &str;
    /// Makes the [`ConsentStore`] methods act as `tenant`.
    fn set_tenant(&mut self, tenant: &str);
    /// The `seq` of the newest event of any tenant (0 when empty).
    fn last_seq(&mut self) -> Result<u64, StoreError>;
    /// Every (user, app) of the current tenant with events, sorted bytewise.
    fn pairs(&mut self) -> Result<Vec<(String, String)>, StoreError>;
    /// Checks state = fold(log) for every pair of the current tenant; how many were checked.
    fn verify(&mut self) -> Result<usize, StoreError>;
    /// The schema version recorded in the database.
    fn schema_version(&mut self) -> Result<i64, StoreError>;
    /// Runs the store's housekeeping off this handle's commits where the store has any
    /// (SQLite: WAL checkpoints on a thread of their own, [`SqliteStore::checkpoint_in_background`]),
    /// so that no commit of this handle waits for it. The service's writer asks for it.
    fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Where the store is: a file, or a URL without its password.
    fn describe(&self) -> String;
    /// Another handle on the same store, for another thread: a new connection to the SQLite
    /// file; a clone sharing the PostgreSQL pool.
    fn another(&self) -> Result<Box<dyn Backend>, StoreError>;
}
