//! The SQLite store: WAL, `synchronous=FULL`, one transaction per `append`.
//!
//! Schema (version [`SCHEMA_VERSION`], kept in `PRAGMA user_version`; the file is marked as
//! miniperm's with `PRAGMA application_id` = [`APPLICATION_ID`]):
//!
//! * `events`: the consent log, append-only (triggers refuse UPDATE and DELETE);
//! * `state(tenant, user, app, subject, value, seq)`: the current non-default entries of each
//!   (user, app), exactly [`AppState::entries`] of the fold of its events; `seq` is the event
//!   that last wrote the row;
//! * `manifests(tenant, app, body, updated)`: the app declarations registered through the
//!   service (a JSON document the store does not interpret);
//! * `apps(tenant, user, app, privacy_refused_at)`: one row per (user, app) with events, holding the
//!   rest of [`AppState`] (the privacy-refusal time of R28). Written only when it changes;
//! * `receipts(tenant, key, …)` (schema 4): what each keyed request (a prompt's answer, an
//!   `Idempotency-Key`) answered, written in the transaction of its decision ([`crate::Receipt`]);
//!   never changed (triggers refuse UPDATE and DELETE).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use miniperm_core::{AppState, ConsentEvent, Subject, Value};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params};

use miniperm_consent::{ConsentKey, StoreError, make_truthful};

use crate::backend::{Backend, backend_by_inherent, check_folds, consent_store_of_backend};
use crate::codec::{EVENT_COLUMNS, Reader, event_from_row};
use crate::model::{
    Batch, Committed, DEFAULT_TENANT, KeyRow, Receipt, StoredReceipt, Versioned, seq_range,
};

/// The schema version this build writes and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 4;

/// `PRAGMA application_id` of a miniperm database: "mpr1".
pub const APPLICATION_ID: i64 = 0x6d70_7231;

/// `MIGRATIONS[n]` takes a database from version `n` to `n + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 -> 1: the consent log, the current state, the per-app row.
    "CREATE TABLE events (
        seq            INTEGER PRIMARY KEY,
        at             INTEGER NOT NULL,
        user           TEXT    NOT NULL,
        app            TEXT    NOT NULL,
        channel        TEXT    NOT NULL,
        scope          TEXT    NOT NULL,
        from_state     TEXT    NOT NULL,
        to_state       TEXT    NOT NULL,
        via            TEXT    NOT NULL,
        gesture        INTEGER NOT NULL,
        api            TEXT,
        notice         TEXT,
        profile        TEXT    NOT NULL,
        engine_version TEXT    NOT NULL
    );
    CREATE INDEX events_by_app ON events (user, app, seq);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
    CREATE TABLE state (
        user    TEXT    NOT NULL,
        app     TEXT    NOT NULL,
        subject TEXT    NOT NULL,
        value   TEXT    NOT NULL,
        seq     INTEGER NOT NULL,
        PRIMARY KEY (user, app, subject)
    ) WITHOUT ROWID;
    CREATE TABLE apps (
        user               TEXT    NOT NULL,
        app                TEXT    NOT NULL,
        privacy_refused_at INTEGER,
        PRIMARY KEY (user, app)
    ) WITHOUT ROWID;",
    // 1 -> 2 (turn 2): tenants. Every row gains `tenant` (existing data is the CLI's, `dev`), the
    // state and apps keys become (tenant, user, app, …), and `keys` holds the API keys, hashed.
    "ALTER TABLE events ADD COLUMN tenant TEXT NOT NULL DEFAULT 'dev';
    CREATE INDEX events_by_tenant_app ON events (tenant, user, app, seq);
    CREATE TABLE state2 (
        tenant  TEXT    NOT NULL,
        user    TEXT    NOT NULL,
        app     TEXT    NOT NULL,
        subject TEXT    NOT NULL,
        value   TEXT    NOT NULL,
        seq     INTEGER NOT NULL,
        PRIMARY KEY (tenant, user, app, subject)
    ) WITHOUT ROWID;
    INSERT INTO state2 SELECT 'dev', user, app, subject, value, seq FROM state;
    DROP TABLE state;
    ALTER TABLE state2 RENAME TO state;
    CREATE TABLE apps2 (
        tenant             TEXT    NOT NULL,
        user               TEXT    NOT NULL,
        app                TEXT    NOT NULL,
        privacy_refused_at INTEGER,
        PRIMARY KEY (tenant, user, app)
    ) WITHOUT ROWID;
    INSERT INTO apps2 SELECT 'dev', user, app, privacy_refused_at FROM apps;
    DROP TABLE apps;
    ALTER TABLE apps2 RENAME TO apps;
    CREATE TABLE keys (
        id      TEXT    PRIMARY KEY,
        tenant  TEXT    NOT NULL,
        hash    TEXT    NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        revoked INTEGER
    );",
    // 2 -> 3: the app declarations a host registers through the service (`PUT
    // /v1/apps/{appid}/manifest`), per tenant, as the JSON document the server reads back; and
    // the log's schema-1 index goes (every query names the tenant, so `events_by_tenant_app`
    // serves them all, and each append updates one index fewer).
    "DROP INDEX events_by_app;
    CREATE TABLE manifests (
        tenant  TEXT    NOT NULL,
        app     TEXT    NOT NULL,
        body    TEXT    NOT NULL,
        updated INTEGER NOT NULL,
        PRIMARY KEY (tenant, app)
    ) WITHOUT ROWID;",
    // 3 -> 4: receipts of keyed requests (a prompt's answer, an `Idempotency-Key`), written in
    // the transaction of the decision they answered, so a retry learns what was committed.
    "CREATE TABLE receipts (
        tenant      TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        fingerprint TEXT    NOT NULL,
        user        TEXT    NOT NULL,
        app         TEXT    NOT NULL,
        status      INTEGER NOT NULL,
        body        TEXT    NOT NULL,
        first_seq   INTEGER,
        last_seq    INTEGER,
        at          INTEGER NOT NULL,
        PRIMARY KEY (tenant, key)
    ) WITHOUT ROWID;
    CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
        BEGIN SELECT RAISE(ABORT, 'receipts are never changed'); END;
    CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
        BEGIN SELECT RAISE(ABORT, 'receipts are never changed'); END;",
];

/// WAL pages between automatic checkpoints (SQLite's default is 1000). Group commits touch many
/// scattered pages of `state` and the log's index; checkpointing less often copies each page
/// fewer times (measured in `benches/store.rs`: ~16k → ~25k grouped decisions/s). The WAL file
/// grows to about 32 MiB between checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 8000;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A [`ConsentStore`] in an SQLite database.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The tenant the [`ConsentStore`] methods act as ([`DEFAULT_TENANT`] unless set).
    tenant: String,
    /// The thread that checkpoints the WAL for this connection, when it was asked for
    /// ([`SqliteStore::checkpoint_in_background`]).
    checkpointer: Option<Checkpointer>,
}

/// What the writer's commit hook and the checkpoint thread share.
#[derive(Default)]
struct CheckpointFlags {
    state: std::sync::Mutex<CheckpointState>,
    wake: std::sync::Condvar,
    /// Passes the thread ran, tails the writer copied, checkpoints the writer ran because the
    /// WAL reached four times its size.
    done: std::sync::atomic::AtomicU64,
    tails: std::sync::atomic::AtomicU64,
    fallbacks: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct CheckpointState {
    /// The writer wants a pass.
    wanted: bool,
    /// The thread is copying.
    running: bool,
    /// The thread copied all but a short tail: the writer's next commit copies the rest.
    caught_up: bool,
    /// The thread must stop.
    stop: bool,
}

/// Frames a pass of the thread may leave for the writer to copy (a few hundred KiB).
const CHECKPOINT_TAIL: i64 = 256;

/// A thread with its own connection that runs `PRAGMA wal_checkpoint(PASSIVE)` whenever the
/// writer's WAL passed [`WAL_AUTOCHECKPOINT_PAGES`]; stopped and joined on drop.
struct Checkpointer {
    flags: std::sync::Arc<CheckpointFlags>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Ok(mut s) = self.flags.state.lock() {
            s.stop = true;
        }
        self.flags.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What `open` found in the file before touching it.
enum Found {
    Fresh,
    Ours(i64),
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`. The parent folder must exist.
    ///
    /// A file that is not SQLite, an SQLite database of another program, or a miniperm database
    /// of a newer schema is refused with a typed error, and nothing is written to it.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        precheck(&path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(&path, flags).map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
                    StoreError::Unreadable {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                }
                _ => sql_err(&path, e),
            })?;
        SqliteStore::init(conn, path)
    }

    /// A private in-memory SQLite database (`:memory:`), for `--ephemeral` and tests.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| sql_err(&path, e))?;
        SqliteStore::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<SqliteStore, StoreError> {
        let mut store = SqliteStore {
            conn,
            path,
            tenant: DEFAULT_TENANT.to_string(),
            checkpointer: None,
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| sql_err(&store.path, e))?;
        // Read-only look first: nothing is written before we know the file is ours.
        let found = store.inspect()?;
        let version = match found {
            Found::Ours(v) => v,
            Found::Fresh => 0,
        };
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| store.err(e))?;
        if mode != "wal" && mode != "memory" {
            return Err(StoreError::Unreadable {
                path: store.path.clone(),
                reason: format!("cannot switch to write-ahead logging (journal mode `{mode}`)"),
            });
        }
        store
            .conn
            .execute_batch(&format!(
                "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
            ))
            .map_err(|e| store.err(e))?;
        if version < SCHEMA_VERSION {
            store.migrate()?;
        }
        Ok(store)
    }

    /// Classifies the database without writing to it.
    fn inspect(&self) -> Result<Found, StoreError> {
        let read = |sql: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map_err(|e| match e.sqlite_error_code() {
                    Some(ErrorCode::NotADatabase) => StoreError::NotSqlite {
                        path: self.path.clone(),
                    },
                    _ => self.err(e),
                })
        };
        let app_id = read("PRAGMA application_id")?;
        let version = read("PRAGMA user_version")?;
        let objects = read("SELECT count(*) FROM sqlite_master")?;
        classify(&self.path, app_id, version, objects)
    }

    /// Brings the schema up to [`SCHEMA_VERSION`] in one transaction.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let read = |sql: &str| -> Result<i64, StoreError> {
            tx.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map_err(|e| sql_err(&path, e))
        };
        let found = classify(
            &path,
            read("PRAGMA application_id")?,
            read("PRAGMA user_version")?,
            read("SELECT count(*) FROM sqlite_master")?,
        )?;
        let from = match found {
            Found::Fresh => 0,
            Found::Ours(v) => v,
        };
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            tx.execute_batch(sql).map_err(|e| sql_err(&path, e))?;
            tx.execute_batch(&format!(
                "PRAGMA user_version = {}; PRAGMA application_id = {APPLICATION_ID};",
                n + 1
            ))
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    /// The tenant the [`ConsentStore`] methods act as.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Moves the WAL's checkpoints off this connection's commits: SQLite would otherwise run
    /// one inside the commit that passes [`WAL_AUTOCHECKPOINT_PAGES`] (copying up to ~32 MiB
    /// into the database file and fsyncing it), and every decision waiting on that commit
    /// would wait for it too (measured: p99 of a durable decision 13-20 ms under a sustained
    /// load, BENCHMARKS.md). Instead, once the WAL passed that size, a thread with its own
    /// connection runs PASSIVE checkpoints (writers go on meanwhile) until all but a short
    /// tail ([`CHECKPOINT_TAIL`] frames) is copied; then this connection's next commit copies
    /// the tail itself, between two of its commits, so the checkpoint completes and the WAL
    /// starts over (a checkpoint that writers keep outrunning never lets it: the WAL would grow
    /// without end). Should the WAL reach four times the size anyway, the commit checkpoints
    /// as SQLite would. Errors of the commit-time checkpoints are ignored, as SQLite's own
    /// hook does: the commit itself is done. For the service's writer connection; a no-op for
    /// `:memory:`.
    pub fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        self.checkpoint_in_background_past(WAL_AUTOCHECKPOINT_PAGES)
    }

    /// [`SqliteStore::checkpoint_in_background`] once the WAL passed `pages` (tests use a small
    /// size).
    #[doc(hidden)]
    pub fn checkpoint_in_background_past(&mut self, pages: u32) -> Result<(), StoreError> {
        if self.checkpointer.is_some() || self.path == Path::new(":memory:") {
            return Ok(());
        }
        let flags = std::sync::Arc::new(CheckpointFlags::default());
        let other = SqliteStore::open(&self.path)?;
        let theirs = flags.clone();
        let thread = std::thread::Builder::new()
            .name("miniperm-checkpoint".into())
            .spawn(move || checkpoint_loop(other, &theirs))
            .map_err(|e| StoreError::Io {
                path: self.path.clone(),
                source: e,
            })?;
        let ours = flags.clone();
        let threshold = i32::try_from(pages).unwrap_or(i32::MAX / 4);
        self.conn
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                use std::sync::atomic::Ordering::Relaxed;
                if pages < threshold {
                    return Ok(());
                }
                let Ok(mut s) = ours.state.lock() else {
                    return Ok(());
                };
                if s.caught_up {
                    // The thread copied all but the tail: copy it here, where no commit of
                    // ours can outrun it, so the checkpoint completes.
                    s.caught_up = false;
                    drop(s);
                    let _ = wal.checkpoint();
                    ours.tails.fetch_add(1, Relaxed);
                    return Ok(());
                }
                if !s.wanted && !s.running {
                    s.wanted = true;
                    ours.wake.notify_one();
                }
                drop(s);
                if pages >= 4 * threshold {
                    let _ = wal.checkpoint();
                    ours.fallbacks.fetch_add(1, Relaxed);
                }
                Ok(())
            }))
            .map_err(|e| self.err(e))?;
        self.checkpointer = Some(Checkpointer {
            flags,
            thread: Some(thread),
        });
        Ok(())
    }

    /// How the WAL was checkpointed since [`SqliteStore::checkpoint_in_background`]: passes of
    /// the thread, tails this connection copied, and checkpoints it ran because the WAL had
    /// reached four times its size. Zeros without a thread.
    pub fn checkpoint_counts(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.checkpointer.as_ref().map_or((0, 0, 0), |c| {
            (
                c.flags.done.load(Relaxed),
                c.flags.tails.load(Relaxed),
                c.flags.fallbacks.load(Relaxed),
            )
        })
    }

    /// Makes the [`ConsentStore`] methods act as `tenant` from now on.
    pub fn set_tenant(&mut self, tenant: impl Into<String>) {
        self.tenant = tenant.into();
    }

    /// The state of one (tenant, app, user).
    pub fn state_in(&mut self, key: ConsentKey<'_>) -> Result<AppState, StoreError> {
        read_state(&self.conn, &self.path, key).map(|(s, _)| s)
    }

    /// The consent log of one (tenant, app, user).
    pub fn log_in(&mut self, key: ConsentKey<'_>) -> Result<Vec<ConsentEvent>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE tenant = ?1 AND user = ?2 AND app = ?3 ORDER BY seq"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = st
            .query(params![key.tenant, key.user, key.app])
            .map_err(|e| sql_err(&self.path, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sql_err(&self.path, e))? {
            out.push(event_from_row(row)?);
        }
        Ok(out)
    }

    /// [`ConsentStore::update`] for the key's tenant: read and append in one IMMEDIATE
    /// transaction.
    pub fn update_in(
        &mut self,
        key: ConsentKey<'_>,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let (state, known) = read_state(&tx, &path, key)?;
        let events = changes(&state);
        if events.is_empty() {
            return Ok((state, events));
        }
        let out = append_in(
            &tx,
            &path,
            key.tenant,
            events,
            Some((key.user, key.app, state, known)),
            &mut None,
        )?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok((state, out))
    }

    /// Group commit across tenants: every `(tenant, batch)` in ONE transaction; each batch comes
    /// back with its `seq`s. Either every batch is committed or none is.
    pub fn append_batches_in(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        self.append_batches_versioned(batches).map(|(_, out)| out)
    }

    /// [`SqliteStore::append_batches_in`], with `PRAGMA data_version` read inside the write
    /// transaction, before its writes: what other connections had committed when it began.
    pub fn append_batches_versioned(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Versioned<Vec<Vec<ConsentEvent>>>, StoreError> {
        let batches = batches
            .into_iter()
            .map(|(tenant, events)| Batch {
                tenant,
                events,
                receipt: None,
            })
            .collect();
        let (version, out) = self.append_receipted(batches)?;
        let out = out
            .into_iter()
            .map(|c| match c {
                Committed::Appended(events) => events,
                // Only a batch with a receipt can be a duplicate.
                Committed::Duplicate(_) => Vec::new(),
            })
            .collect();
        Ok((version, out))
    }

    /// Group commit with receipts ([`crate::Backend::append_receipted`]): one IMMEDIATE
    /// transaction (the file's writer lock) that reads `PRAGMA data_version` first, then for
    /// each batch looks its receipt's key up, and appends the batch and stores the receipt
    /// only when the key is new.
    pub fn append_receipted(
        &mut self,
        batches: Vec<Batch>,
    ) -> Result<Versioned<Vec<Committed>>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let version = tx
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map(Some)
            .map_err(|e| sql_err(&path, e));
        let mut out = Vec::with_capacity(batches.len());
        // The newest `at`, read once for the whole batch.
        let mut last_at = None;
        for b in batches {
            if let Some(r) = &b.receipt
                && let Some(first) = read_receipt(&tx, &path, &b.tenant, &r.key)?
            {
                out.push(Committed::Duplicate(first));
                continue;
            }
            let events = append_in(&tx, &path, &b.tenant, b.events, None, &mut last_at)?;
            if let Some(r) = &b.receipt {
                let (first, last) = match seq_range(&events) {
                    Some((f, l)) => (Some(f as i64), Some(l as i64)),
                    None => (None, None),
                };
                tx.prepare_cached(
                    "INSERT INTO receipts (tenant, key, fingerprint, user, app, status, body,
                         first_seq, last_seq, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        b.tenant,
                        r.key,
                        r.fingerprint,
                        r.user,
                        r.app,
                        r.status,
                        r.body,
                        first,
                        last,
                        r.at
                    ])
                })
                .map_err(|e| sql_err(&path, e))?;
            }
            out.push(Committed::Appended(events));
        }
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok((version, out))
    }

    /// The receipt stored under (`tenant`, `key`), if any.
    pub fn receipt_in(
        &mut self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredReceipt>, StoreError> {
        read_receipt(&self.conn, &self.path, tenant, key)
    }

    /// Every (tenant, app, user) with an `apps` row, in one read transaction: `sized` gets their
    /// number, then `each` each one ([`crate::Backend::known_keys`]).
    pub fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(ConsentKey<'_>),
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        {
            let n: i64 = tx
                .query_row("SELECT count(*) FROM apps", [], |r| r.get(0))
                .map_err(|e| sql_err(&path, e))?;
            sized(n.max(0) as u64);
            let mut st = tx
                .prepare("SELECT tenant, user, app FROM apps")
                .map_err(|e| sql_err(&path, e))?;
            let mut rows = st.query([]).map_err(|e| sql_err(&path, e))?;
            while let Some(row) = rows.next().map_err(|e| sql_err(&path, e))? {
                let r = Reader {
                    row,
                    table: "apps",
                    name: "?".into(),
                };
                each(ConsentKey {
                    tenant: &r.text(0, "tenant")?,
                    app: &r.text(2, "app")?,
                    user: &r.text(1, "user")?,
                });
            }
        }
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(true)
    }

    /// `PRAGMA data_version` of this connection: it changes when ANOTHER connection (of this
    /// process or another) commits, never on this connection's own commits. A process that owns
    /// the only writing connection can keep caches exact by watching it.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Stores (or replaces) the declarations of `app` for `tenant`: a JSON document, kept as
    /// given.
    pub fn put_manifest_in(
        &mut self,
        tenant: &str,
        app: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO manifests (tenant, app, body, updated) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant, app) DO UPDATE SET body = excluded.body, updated = excluded.updated",
            )
            .and_then(|mut st| st.execute(params![tenant, app, body, at]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The declarations stored for `app` of `tenant`, if any.
    pub fn manifest_in(&mut self, tenant: &str, app: &str) -> Result<Option<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT body FROM manifests WHERE tenant = ?1 AND app = ?2")
            .map_err(|e| self.err(e))?;
        let mut rows = st
            .query(params![tenant, app])
            .map_err(|e| sql_err(&self.path, e))?;
        match rows.next().map_err(|e| sql_err(&self.path, e))? {
            Some(row) => Ok(Some(row.get(0).map_err(|e| sql_err(&self.path, e))?)),
            None => Ok(None),
        }
    }

    /// Stores a new API key (`hash`: hex SHA-256 of the secret).
    pub fn insert_key(&mut self, key: &KeyRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO keys (id, tenant, hash, created, revoked) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.id, key.tenant, key.hash, key.created, key.revoked],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, tenant, hash, created, revoked FROM keys ORDER BY created, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(KeyRow {
                    id: r.get(0)?,
                    tenant: r.get(1)?,
                    hash: r.get(2)?,
                    created: r.get(3)?,
                    revoked: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Marks key `id` revoked at `at`. False when no unrevoked key has that id.
    pub fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE keys SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, at],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Where the database lives (`:memory:` for an in-memory one).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The `seq` of the newest event (0 when the log is empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = self
            .conn
            .query_row("SELECT max(seq) FROM events", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(n.map_or(0, |n| n.max(0) as u64))
    }

    /// Every (user, app) with at least one event, sorted.
    pub fn pairs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT user, app FROM apps WHERE tenant = ?1 ORDER BY user, app")
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([&self.tenant]).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let r = Reader {
                row,
                table: "apps",
                name: "?".into(),
            };
            out.push((r.text(0, "user")?, r.text(1, "app")?));
        }
        Ok(out)
    }

    /// Checks that every (user, app)'s stored state is the fold of its log, and that no event
    /// lacks its `apps` row. Returns how many (user, app) were checked.
    pub fn verify(&mut self) -> Result<usize, StoreError> {
        let pairs = self.pairs()?;
        check_folds(self, &pairs)?;
        let orphans: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM (SELECT DISTINCT tenant, user, app FROM events) e
                 WHERE NOT EXISTS (SELECT 1 FROM apps a
                     WHERE a.tenant = e.tenant AND a.user = e.user AND a.app = e.app)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if orphans > 0 {
            let (user, app): (String, String) = self
                .conn
                .query_row(
                    "SELECT user, app FROM events e WHERE NOT EXISTS (SELECT 1 FROM apps a
                     WHERE a.tenant = e.tenant AND a.user = e.user AND a.app = e.app) LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| self.err(e))?;
            return Err(StoreError::Inconsistent { user, app });
        }
        Ok(pairs.len())
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sql_err(&self.path, e)
    }
}

fn sql_err(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source: Box::new(source),
    }
}

/// Looks at an existing file before SQLite does: a folder, an unreadable file or a file that
/// does not start with SQLite's header is refused here, untouched.
fn precheck(path: &Path) -> Result<(), StoreError> {
    let unreadable = |reason: String| StoreError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    if meta.is_dir() {
        return Err(unreadable("it is a directory".into()));
    }
    if meta.len() == 0 {
        // SQLite treats an empty file as an empty database.
        return Ok(());
    }
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(e.to_string())),
        }
    }
    if got < head.len() || &head != SQLITE_MAGIC {
        return Err(StoreError::NotSqlite {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn classify(path: &Path, app_id: i64, version: i64, objects: i64) -> Result<Found, StoreError> {
    if app_id == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < 0 {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                reason: format!("schema version {version}"),
            });
        }
        return Ok(Found::Ours(version));
    }
    if app_id == 0 && version == 0 && objects == 0 {
        return Ok(Found::Fresh);
    }
    let reason = if app_id != 0 {
        format!("sqlite application id {app_id:#x}, not miniperm's")
    } else {
        "an sqlite database with another program's tables".to_string()
    };
    Err(StoreError::Foreign {
        path: path.to_path_buf(),
        reason,
    })
}

/// Reads the state rows of one (user, app) inside `conn` (a transaction or the connection), and
/// whether its `apps` row exists. One statement (the `apps` row is the one without a subject),
/// so that outside a transaction it is one read transaction, not two: taking a WAL read lock
/// costs more than both lookups.
fn read_state(
    conn: &Connection,
    path: &Path,
    key: ConsentKey<'_>,
) -> Result<(AppState, bool), StoreError> {
    let ConsentKey { tenant, app, user } = key;
    let mut entries = Vec::new();
    let (mut refused, mut known) = (None, false);
    let mut st = conn
        .prepare_cached(
            "SELECT subject, value, NULL FROM state WHERE tenant = ?1 AND user = ?2 AND app = ?3
             UNION ALL
             SELECT NULL, NULL, privacy_refused_at FROM apps WHERE tenant = ?1 AND user = ?2 AND app = ?3",
        )
        .map_err(|e| sql_err(path, e))?;
    let mut rows = st
        .query(params![tenant, user, app])
        .map_err(|e| sql_err(path, e))?;
    while let Some(row) = rows.next().map_err(|e| sql_err(path, e))? {
        let apps_row = matches!(row.get_ref(0), Ok(rusqlite::types::ValueRef::Null));
        let mut r = Reader {
            row,
            table: if apps_row { "apps" } else { "state" },
            name: format!("{user}/{app}"),
        };
        if apps_row {
            refused = r.opt_int(2, "privacy_refused_at")?;
            known = true;
            continue;
        }
        let subject = r.parsed(0, "subject", |s| match Subject::parse(s) {
            Ok(Subject::All) | Err(_) => None,
            Ok(s) => Some(s),
        })?;
        r.name = format!("{user}/{app}/{}", subject.key());
        let value = r.parsed(1, "value", Value::parse)?;
        entries.push((subject, value));
    }
    Ok((AppState::from_entries(entries, refused), known))
}

/// The checkpoint thread: waits for the writer's hook to want a checkpoint, then runs PASSIVE
/// checkpoints (at most 8) until at most [`CHECKPOINT_TAIL`] frames are left, and tells the
/// writer to copy that tail; until told to stop. A pass that fails is tried again at the next
/// request (and past four times the size the writer checkpoints itself).
fn checkpoint_loop(store: SqliteStore, flags: &CheckpointFlags) {
    loop {
        {
            let Ok(mut s) = flags.state.lock() else {
                return;
            };
            while !s.wanted && !s.stop {
                s = match flags.wake.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if s.stop {
                return;
            }
            s.wanted = false;
            s.running = true;
        }
        let mut caught_up = false;
        for _ in 0..8 {
            // (busy, frames in the WAL, frames copied into the database)
            let pass = store
                .conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
            let Ok((log, copied)) = pass else {
                break;
            };
            flags
                .done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if log - copied <= CHECKPOINT_TAIL {
                caught_up = true;
                break;
            }
        }
        let Ok(mut s) = flags.state.lock() else {
            return;
        };
        s.running = false;
        s.caught_up = caught_up;
    }
}

/// The receipt stored under (`tenant`, `key`), read on `conn` (inside a transaction or not).
fn read_receipt(
    conn: &Connection,
    path: &Path,
    tenant: &str,
    key: &str,
) -> Result<Option<StoredReceipt>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT fingerprint, user, app, status, body, first_seq, last_seq, at
             FROM receipts WHERE tenant = ?1 AND key = ?2",
        )
        .map_err(|e| sql_err(path, e))?;
    let mut rows = st
        .query(params![tenant, key])
        .map_err(|e| sql_err(path, e))?;
    let Some(row) = rows.next().map_err(|e| sql_err(path, e))? else {
        return Ok(None);
    };
    let r = Reader {
        row,
        table: "receipts",
        name: key.to_string(),
    };
    let status = r.int(3, "status")?;
    let bad = |column: &'static str, v: i64| StoreError::BadValue {
        table: "receipts",
        row: key.to_string(),
        column,
        value: v.to_string(),
    };
    let status = u16::try_from(status).map_err(|_| bad("status", status))?;
    let seq = |i: usize, column: &'static str| -> Result<Option<u64>, StoreError> {
        match r.opt_int(i, column)? {
            None => Ok(None),
            Some(v) => u64::try_from(v).map(Some).map_err(|_| bad(column, v)),
        }
    };
    let seqs = match (seq(5, "first_seq")?, seq(6, "last_seq")?) {
        (Some(f), Some(l)) => Some((f, l)),
        _ => None,
    };
    Ok(Some(StoredReceipt {
        receipt: Receipt {
            key: key.to_string(),
            fingerprint: r.text(0, "fingerprint")?,
            user: r.text(1, "user")?,
            app: r.text(2, "app")?,
            status,
            body: r.text(4, "body")?,
            at: r.int(7, "at")?,
        },
        seqs,
    }))
}

/// Rewrites the state rows that differ between `before` and `after`, and the `apps` row.
fn write_state(
    conn: &Connection,
    path: &Path,
    key: ConsentKey<'_>,
    t: &Touched,
) -> Result<(), StoreError> {
    let ConsentKey { tenant, app, user } = key;
    let (before, after, seq) = (&t.before, &t.after, t.seq);
    let old: BTreeMap<Subject, Value> = before.entries().into_iter().collect();
    let new: BTreeMap<Subject, Value> = after.entries().into_iter().collect();
    for (subject, value) in &new {
        if old.get(subject) != Some(value) {
            conn.prepare_cached(
                "INSERT INTO state (tenant, user, app, subject, value, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant, user, app, subject) DO UPDATE SET value = excluded.value, seq = excluded.seq",
            )
            .and_then(|mut st| {
                st.execute(params![tenant, user, app, subject.key(), value.as_str(), seq])
            })
            .map_err(|e| sql_err(path, e))?;
        }
    }
    for subject in old.keys() {
        if !new.contains_key(subject) {
            conn.prepare_cached(
                "DELETE FROM state WHERE tenant = ?1 AND user = ?2 AND app = ?3 AND subject = ?4",
            )
            .and_then(|mut st| st.execute(params![tenant, user, app, subject.key()]))
            .map_err(|e| sql_err(path, e))?;
        }
    }
    if t.known && before.privacy_refused_at == after.privacy_refused_at {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO apps (tenant, user, app, privacy_refused_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant, user, app) DO UPDATE SET privacy_refused_at = excluded.privacy_refused_at",
    )
    .and_then(|mut st| st.execute(params![tenant, user, app, after.privacy_refused_at]))
    .map_err(|e| sql_err(path, e))?;
    Ok(())
}

/// The state of one (user, app) while a transaction runs: before, after, newest seq.
struct Touched {
    /// The `apps` row exists.
    known: bool,
    before: AppState,
    after: AppState,
    seq: i64,
}

/// Appends `events` inside the open transaction `tx`: each event's `from` is re-derived from the
/// state the transaction holds and its `at` clamped to the newest stored `at`
/// ([`crate::make_truthful`]), then the state rows are rewritten.
fn append_in(
    tx: &Connection,
    path: &Path,
    tenant: &str,
    events: Vec<ConsentEvent>,
    known_state: Option<(&str, &str, AppState, bool)>,
    newest_at: &mut Option<i64>,
) -> Result<Vec<ConsentEvent>, StoreError> {
    let mut touched: BTreeMap<(String, String), Touched> = BTreeMap::new();
    if let Some((user, app, before, known)) = known_state {
        touched.insert(
            (user.to_string(), app.to_string()),
            Touched {
                known,
                before,
                after: before,
                seq: 0,
            },
        );
    }
    let mut last_at: i64 = match *newest_at {
        Some(at) => at,
        None => tx
            .prepare_cached("SELECT at FROM events ORDER BY seq DESC LIMIT 1")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(i64::MIN),
                e => Err(e),
            })
            .map_err(|e| sql_err(path, e))?,
    };
    let mut out = Vec::with_capacity(events.len());
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO events (at, user, app, channel, scope, from_state, to_state, via,
                     gesture, api, notice, profile, engine_version, tenant)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .map_err(|e| sql_err(path, e))?;
        for mut e in events {
            let key = (e.user.clone(), e.app.clone());
            let t = match touched.get_mut(&key) {
                Some(t) => t,
                None => {
                    let (before, known) = read_state(tx, path, ConsentKey::of_event(tenant, &e))?;
                    touched.entry(key).or_insert(Touched {
                        known,
                        before,
                        after: before,
                        seq: 0,
                    })
                }
            };
            last_at = make_truthful(&t.after, &mut e, last_at);
            insert
                .execute(params![
                    e.at,
                    e.user,
                    e.app,
                    e.channel.as_str(),
                    e.scope.key(),
                    e.from.as_str(),
                    e.to.as_str(),
                    e.via.as_str(),
                    e.gesture,
                    e.api,
                    e.notice,
                    e.profile,
                    e.engine_version,
                    tenant,
                ])
                .map_err(|e| sql_err(path, e))?;
            let seq = tx.last_insert_rowid();
            t.after.apply(&e);
            t.seq = seq;
            e.seq = seq.max(0) as u64;
            out.push(e);
        }
    }
    for ((user, app), t) in &touched {
        if t.seq > 0 {
            write_state(tx, path, ConsentKey { tenant, app, user }, t)?;
        }
    }
    *newest_at = Some(last_at);
    Ok(out)
}

consent_store_of_backend!(SqliteStore);

backend_by_inherent!(SqliteStore, {
    fn append_batches_versioned(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Versioned<Vec<Vec<ConsentEvent>>>, StoreError> {
        SqliteStore::append_batches_versioned(self, batches)
    }
    fn data_version(&mut self) -> Result<Option<i64>, StoreError> {
        SqliteStore::data_version(self).map(Some)
    }
    fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(ConsentKey<'_>),
    ) -> Result<bool, StoreError> {
        SqliteStore::known_keys(self, sized, each)
    }
    fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        SqliteStore::checkpoint_in_background(self)
    }
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
    fn another(&self) -> Result<Box<dyn Backend>, StoreError> {
        let mut s = SqliteStore::open(&self.path)?;
        s.tenant = self.tenant.clone();
        Ok(Box::new(s))
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConsentStore;
    use miniperm_core::{Change, Channel, EventMeta, Scope, Via};

    fn ev(app: &str, subject: Subject, to: Value, via: Via) -> ConsentEvent {
        let meta = EventMeta {
            at: 7,
            user: "u".into(),
            app: app.into(),
            channel: Channel::Trial,
            profile: "wechat".into(),
        };
        ConsentEvent::new(
            &meta,
            Change {
                subject,
                from: Value::Unset,
                to,
                via,
                gesture: true,
                api: Some("getLocation".into()),
                notice: Some("for the map".into()),
            },
        )
    }

    /// The version read inside a group commit's transaction moves with another connection's
    /// commits only, and every batch's `at` is clamped to the newest stored one.
    #[test]
    fn versioned_batches_see_other_connections_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.sqlite");
        let mut ours = SqliteStore::open(&path).unwrap();
        let mut theirs = SqliteStore::open(&path).unwrap();
        let loc = Subject::Scope(Scope::UserLocation);
        let cam = Subject::Scope(Scope::Camera);
        let batch = |app: &str, s: Subject, at: i64| {
            let mut e = ev(app, s, Value::Granted, Via::Prompt);
            e.at = at;
            vec![("dev".to_string(), vec![e])]
        };
        let (v1, _) = ours.append_batches_versioned(batch("a", loc, 50)).unwrap();
        let (v2, _) = ours.append_batches_versioned(batch("b", loc, 60)).unwrap();
        let (v1, v2) = (v1.unwrap(), v2.unwrap());
        assert_eq!(v1, v2, "our own commits do not move it");
        theirs
            .append(vec![ev("c", cam, Value::Granted, Via::Host)])
            .unwrap();
        let (v3, out) = ours
            .append_batches_versioned(vec![
                ("dev".to_string(), batch("d", loc, 10).remove(0).1),
                ("dev".to_string(), batch("e", cam, 20).remove(0).1),
            ])
            .unwrap();
        assert_ne!(v2, v3.unwrap(), "another connection's commit moves it");
        // `theirs` was clamped to 60 too: the newest `at` stays 60, for both jobs of the batch.
        let ats: Vec<i64> = out.iter().flatten().map(|e| e.at).collect();
        assert_eq!(ats, vec![60, 60]);
    }

    #[test]
    fn append_assigns_seqs_and_round_trips() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let loc = Subject::Scope(Scope::UserLocation);
        let out = s
            .append(vec![
                ev("a", loc, Value::Denied, Via::Prompt),
                ev("b", loc, Value::Granted, Via::Prompt),
            ])
            .unwrap();
        assert_eq!(out.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        let log = s.log("u", "a").unwrap();
        assert_eq!(log, out[..1]);
        assert_eq!(
            s.state("u", "a").unwrap().scope(Scope::UserLocation),
            Value::Denied
        );
        assert_eq!(
            s.state("u", "b").unwrap().scope(Scope::UserLocation),
            Value::Granted
        );
        assert_eq!(s.state("u", "c").unwrap(), AppState::new());
        assert_eq!(s.last_seq().unwrap(), 2);
        assert_eq!(s.verify().unwrap(), 2);
    }

    #[test]
    fn reset_deletes_state_rows_but_not_history() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let loc = Subject::Scope(Scope::UserLocation);
        s.append(vec![ev("a", loc, Value::Denied, Via::Prompt)])
            .unwrap();
        s.append(vec![ev("a", Subject::All, Value::Unset, Via::Reset)])
            .unwrap();
        assert_eq!(s.state("u", "a").unwrap(), AppState::new());
        assert_eq!(s.log("u", "a").unwrap().len(), 2);
        let rows: i64 = s
            .conn
            .query_row("SELECT count(*) FROM state", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn log_is_append_only() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        s.append(vec![ev("a", Subject::All, Value::Unset, Via::Reset)])
            .unwrap();
        assert!(s.conn.execute("DELETE FROM events", []).is_err());
        assert!(
            s.conn
                .execute("UPDATE events SET via = 'host'", [])
                .is_err()
        );
    }

    #[test]
    fn unknown_values_are_typed_errors() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        s.append(vec![ev("a", Subject::All, Value::Unset, Via::Reset)])
            .unwrap();
        s.conn
            .execute_batch(
                "DROP TRIGGER events_no_update; UPDATE events SET via = 'teleport';
                 INSERT INTO state VALUES ('dev', 'u', 'b', 'scope.nope', 'granted', 1);",
            )
            .unwrap();
        let e = s.log("u", "a").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown via `teleport` in the events table (row seq 1)"
        );
        let e = s.state("u", "b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown subject `scope.nope` in the state table (row u/b)"
        );
        s.conn
            .execute_batch("UPDATE events SET via = 'reset', gesture = 'yes'")
            .unwrap();
        assert!(matches!(
            s.log("u", "a").unwrap_err(),
            StoreError::BadValue {
                column: "gesture",
                ..
            }
        ));
    }

    #[test]
    fn manifests_are_kept_per_tenant_and_replaced() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        assert_eq!(s.manifest_in("acme", "wx").unwrap(), None);
        s.put_manifest_in("acme", "wx", r#"{"a":1}"#, 1).unwrap();
        s.put_manifest_in("acme", "wx", r#"{"a":2}"#, 2).unwrap();
        assert_eq!(
            s.manifest_in("acme", "wx").unwrap().as_deref(),
            Some(r#"{"a":2}"#)
        );
        assert_eq!(s.manifest_in("other", "wx").unwrap(), None);
    }

    #[test]
    fn pragmas_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path().join("db.sqlite")).unwrap();
        let mode: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = s
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn classify_cases() {
        let p = Path::new("x");
        assert!(matches!(classify(p, 0, 0, 0), Ok(Found::Fresh)));
        assert!(matches!(
            classify(p, APPLICATION_ID, 1, 5),
            Ok(Found::Ours(1))
        ));
        assert!(matches!(
            classify(p, APPLICATION_ID, SCHEMA_VERSION + 1, 5),
            Err(StoreError::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1
        ));
        assert!(matches!(
            classify(p, 0, 0, 1),
            Err(StoreError::Foreign { .. })
        ));
        assert!(matches!(
            classify(p, 42, 0, 0),
            Err(StoreError::Foreign { .. })
        ));
    }
}
