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
//! The contract itself ([`ConsentStore`], [`StoreError`], [`make_truthful`]) and [`MemoryStore`]
//! live in the light `miniperm-consent` crate (no SQL, no async), re-exported here: the runtime
//! and the explorer depend on that crate only.
//!
//! [`Backend`] is what the service needs from a durable store, per tenant: both [`SqliteStore`]
//! and [`PgStore`] implement it, and [`open_backend`] opens either from a [`Target`].
//!
//! The store decides nothing: it appends what the engine decided and keeps the current state equal
//! to [`AppState::fold`] of the log, using [`AppState::apply`], [`AppState::entries`] and
//! [`AppState::from_entries`].
#![forbid(unsafe_code)]

mod codec;
mod postgres;
mod sqlite;
#[doc(hidden)]
pub mod testpg;

use std::path::PathBuf;

use miniperm_core::{AppState, ConsentEvent};

pub use miniperm_consent::{
    ConsentKey, ConsentStore, DriverError, MemoryStore, StoreError, make_truthful, now_ms,
};
pub use postgres::{
    CONNECT_ATTEMPTS, PG_SCHEMA_VERSION, POOL_SIZE, PgStore, create_schema, redact_url,
};
pub use sqlite::{APPLICATION_ID, DEFAULT_TENANT, KeyRow, SCHEMA_VERSION, SqliteStore};

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
                let key = $crate::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::Backend::update_in(self, key, changes)
            }

            fn state(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<miniperm_core::AppState, $crate::StoreError> {
                let tenant = $crate::Backend::tenant(self).to_string();
                let key = $crate::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::Backend::state_in(self, key)
            }

            fn log(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, $crate::StoreError> {
                let tenant = $crate::Backend::tenant(self).to_string();
                let key = $crate::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::Backend::log_in(self, key)
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
                key: $crate::ConsentKey<'_>,
            ) -> Result<miniperm_core::AppState, $crate::StoreError> {
                <$store>::state_in(self, key)
            }
            fn log_in(
                &mut self,
                key: $crate::ConsentKey<'_>,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, $crate::StoreError> {
                <$store>::log_in(self, key)
            }
            fn update_in(
                &mut self,
                key: $crate::ConsentKey<'_>,
                changes: &mut dyn FnMut(&miniperm_core::AppState) -> Vec<miniperm_core::ConsentEvent>,
            ) -> Result<(miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>), $crate::StoreError>
            {
                <$store>::update_in(self, key, changes)
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
    /// The state of one (tenant, app, user).
    fn state_in(&mut self, key: ConsentKey<'_>) -> Result<AppState, StoreError>;
    /// The consent log of one (tenant, app, user).
    fn log_in(&mut self, key: ConsentKey<'_>) -> Result<Vec<ConsentEvent>, StoreError>;
    /// [`ConsentStore::update`] for the key's tenant.
    fn update_in(
        &mut self,
        key: ConsentKey<'_>,
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
    /// Every (tenant, app, user) with rows in the store (its `apps` row: every one that ever had
    /// an event has one), read in one read transaction: `sized` gets their number first, then
    /// `each` gets each one. False when the store does not list them (PostgreSQL, where the
    /// service caches nothing).
    fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(ConsentKey<'_>),
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
