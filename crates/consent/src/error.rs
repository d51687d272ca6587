//! Everything a store can fail with: [`StoreError`], the SQL drivers' errors kept as boxed
//! sources ([`DriverError`]).

use std::path::PathBuf;

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
