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
//!
//! Modules: `model` (receipts, batches, key rows, the default tenant) and `backend` (the
//! [`Backend`] trait, what the two SQL stores share) are leaves; `sqlite` and `postgres` import
//! them and not each other; this root only declares, re-exports and opens ([`open_backend`]).
//!
//! [`AppState::fold`]: miniperm_core::AppState::fold
//! [`AppState::apply`]: miniperm_core::AppState::apply
//! [`AppState::entries`]: miniperm_core::AppState::entries
//! [`AppState::from_entries`]: miniperm_core::AppState::from_entries
#![forbid(unsafe_code)]

mod backend;
mod codec;
mod model;
mod postgres;
mod sqlite;
#[doc(hidden)]
pub mod testpg;

use std::path::PathBuf;

pub use backend::Backend;
pub use miniperm_consent::{
    ConsentKey, ConsentStore, DriverError, MemoryStore, StoreError, make_truthful, now_ms,
};
pub use model::{Batch, Committed, DEFAULT_TENANT, KeyRow, Receipt, StoredReceipt, Versioned};
pub use postgres::{
    CONNECT_ATTEMPTS, PG_SCHEMA_VERSION, POOL_SIZE, PgStore, create_schema, redact_url,
};
pub use sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteStore};

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
