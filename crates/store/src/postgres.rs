//! The PostgreSQL store: the same contract as [`crate::SqliteStore`] on a server that many
//! processes and machines can share.
//!
//! Schema (version [`PG_SCHEMA_VERSION`], recorded in `miniperm_migrations`; a database whose
//! migrations table names a newer version is refused before anything is written):
//!
//! * `events`: the consent log, append-only (a trigger refuses UPDATE, DELETE and TRUNCATE);
//! * `state(tenant, user_id, app, subject, value, seq)`: the current non-default entries, exactly
//!   [`AppState::entries`] of the fold of the log, rewritten in the transaction that appends;
//! * `apps(tenant, user_id, app, privacy_refused_at)`: one row per (tenant, user, app) with events;
//! * `keys`: API keys, hashed;
//! * `receipts` (schema 3): what each keyed request answered ([`crate::Receipt`]), written in
//!   the transaction of its decision; refused UPDATE, DELETE and TRUNCATE like the log.
//!
//! Writes take `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE` (writers queue, readers do not),
//! so `seq` is gapless and `at` never decreases as `seq` grows, as in SQLite. A group commit is
//! one transaction with ONE multi-row `INSERT … SELECT * FROM UNNEST(…)` for all its events, one
//! for the state rows that changed and one for the per-app rows, sent in two pipelined round
//! trips: `BEGIN; LOCK` with both reads, then every write with the `COMMIT`.
//!
//! Client: `tokio-postgres`, driven from the store's synchronous methods. Connections live in a
//! small pool ([`POOL_SIZE`]); their socket tasks run on a private one-thread runtime, and each
//! method polls its queries on the calling thread, so the store may be used from inside another
//! tokio runtime (the service's handlers) without nesting runtimes, which the blocking `postgres`
//! wrapper cannot do. A connection that breaks is dropped and a new one is made with bounded
//! retries ([`CONNECT_ATTEMPTS`]); a read, or a write that failed before its COMMIT was sent, is
//! retried once on the new connection.
//!
//! Statements are prepared once per connection (named), unless the URL carries miniperm's own
//! parameter `pgbouncer=true` (removed before the URL reaches the client): then every statement
//! is sent unnamed with its parameter types (`Parse`/`Bind`/`Execute` in one flight), which is
//! what a pooler in transaction mode (PgBouncer's `pool_mode = transaction`) needs, since the
//! server connection behind a client connection changes between transactions. A write whose COMMIT got no answer is never retried (it
//! may have committed): the caller sees an error, and a decision is acknowledged only after its
//! commit answered.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use miniperm_core::{AppState, Channel, ConsentEvent, Subject, Value, Via};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, GenericClient, NoTls, Row, Statement};

use miniperm_consent::{ConsentKey, StoreError, make_truthful};

use crate::backend::{Backend, backend_by_inherent, check_folds, consent_store_of_backend};
use crate::model::{
    Batch, Committed, DEFAULT_TENANT, KeyRow, Receipt, StoredReceipt, Versioned, seq_range,
};

/// The schema version this build writes and reads (the highest row of `miniperm_migrations`).
pub const PG_SCHEMA_VERSION: i64 = 3;
/// Most connections one [`PgStore`] (and its clones) keeps open.
pub const POOL_SIZE: usize = 8;
/// Connection attempts before a store reports [`StoreError::Unreachable`] (backoff 50 ms
/// doubling to 1 s: about 4.5 s in all).
pub const CONNECT_ATTEMPTS: u32 = 8;
/// How long a caller waits for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// `MIGRATIONS[n]` takes a database from version `n` to `n + 1`.
const MIGRATIONS: [&str; PG_SCHEMA_VERSION as usize] = [
    // 0 -> 1: the log, the current state, the per-app rows, the keys (SQLite's schema 2).
    "CREATE TABLE events (
        seq            BIGINT  PRIMARY KEY,
        at             BIGINT  NOT NULL,
        tenant         TEXT    NOT NULL,
        user_id        TEXT    NOT NULL,
        app            TEXT    NOT NULL,
        channel        TEXT    NOT NULL,
        scope          TEXT    NOT NULL,
        from_state     TEXT    NOT NULL,
        to_state       TEXT    NOT NULL,
        via            TEXT    NOT NULL,
        gesture        BOOLEAN NOT NULL,
        api            TEXT,
        notice         TEXT,
        profile        TEXT    NOT NULL,
        engine_version TEXT    NOT NULL
    );
    CREATE INDEX events_by_app ON events (tenant, user_id, app, seq);
    CREATE FUNCTION miniperm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the consent log is append-only'; END $$;
    CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION miniperm_append_only();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION miniperm_append_only();
    CREATE TABLE state (
        tenant  TEXT   NOT NULL,
        user_id TEXT   NOT NULL,
        app     TEXT   NOT NULL,
        subject TEXT   NOT NULL,
        value   TEXT   NOT NULL,
        seq     BIGINT NOT NULL,
        PRIMARY KEY (tenant, user_id, app, subject)
    );
    CREATE TABLE apps (
        tenant             TEXT NOT NULL,
        user_id            TEXT NOT NULL,
        app                TEXT NOT NULL,
        privacy_refused_at BIGINT,
        PRIMARY KEY (tenant, user_id, app)
    );
    CREATE TABLE keys (
        id      TEXT   PRIMARY KEY,
        tenant  TEXT   NOT NULL,
        hash    TEXT   NOT NULL UNIQUE,
        created BIGINT NOT NULL,
        revoked BIGINT
    );",
    // 1 -> 2: the apps' declarations registered through the API (SQLite's schema 3).
    "CREATE TABLE manifests (
        tenant  TEXT   NOT NULL,
        app     TEXT   NOT NULL,
        body    TEXT   NOT NULL,
        updated BIGINT NOT NULL,
        PRIMARY KEY (tenant, app)
    );",
    // 2 -> 3: receipts of keyed requests (SQLite's schema 4).
    "CREATE TABLE receipts (
        tenant      TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        fingerprint TEXT    NOT NULL,
        user_id     TEXT    NOT NULL,
        app         TEXT    NOT NULL,
        status      INTEGER NOT NULL,
        body        TEXT    NOT NULL,
        first_seq   BIGINT,
        last_seq    BIGINT,
        at          BIGINT  NOT NULL,
        PRIMARY KEY (tenant, key)
    );
    CREATE TRIGGER receipts_no_change BEFORE UPDATE OR DELETE ON receipts
        FOR EACH ROW EXECUTE FUNCTION miniperm_append_only();
    CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
        FOR EACH STATEMENT EXECUTE FUNCTION miniperm_append_only();",
];

const EVENT_COLUMNS: &str = "seq, at, user_id, app, channel, scope, from_state, to_state, via, \
     gesture, api, notice, profile, engine_version";

const SQL_LOCK: &str = "LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE";
const SQL_LAST: &str = "SELECT seq, at FROM events ORDER BY seq DESC LIMIT 1";
const SQL_STATES: &str =
    "SELECT a.tenant, a.user_id, a.app, a.privacy_refused_at, s.subject, s.value
     FROM apps a LEFT JOIN state s
       ON s.tenant = a.tenant AND s.user_id = a.user_id AND s.app = a.app
     WHERE (a.tenant, a.user_id, a.app) IN
       (SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]))";
const SQL_STATE_ONE: &str = "SELECT a.privacy_refused_at, s.subject, s.value
     FROM apps a LEFT JOIN state s
       ON s.tenant = a.tenant AND s.user_id = a.user_id AND s.app = a.app
     WHERE a.tenant = $1 AND a.user_id = $2 AND a.app = $3";
const SQL_INSERT_EVENTS: &str = "INSERT INTO events (seq, at, tenant, user_id, app, channel, scope,
         from_state, to_state, via, gesture, api, notice, profile, engine_version)
     SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[],
         $13::text[], $14::text[], $15::text[])";
const SQL_UPSERT_STATE: &str = "INSERT INTO state (tenant, user_id, app, subject, value, seq)
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
     ON CONFLICT (tenant, user_id, app, subject)
     DO UPDATE SET value = excluded.value, seq = excluded.seq";
const SQL_DELETE_STATE: &str = "DELETE FROM state WHERE (tenant, user_id, app, subject) IN
     (SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]))";
const SQL_RECEIPTS: &str = "SELECT tenant, key, fingerprint, user_id, app, status, body,
         first_seq, last_seq, at
     FROM receipts WHERE (tenant, key) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))";
const SQL_INSERT_RECEIPTS: &str = "INSERT INTO receipts (tenant, key, fingerprint, user_id, app,
         status, body, first_seq, last_seq, at)
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
         $6::int[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[])";
const SQL_LOG: &str = "SELECT seq, at, user_id, app, channel, scope, from_state, to_state, via, \
     gesture, api, notice, profile, engine_version FROM events \
     WHERE tenant = $1 AND user_id = $2 AND app = $3 ORDER BY seq";
const SQL_KEYS: &str = "SELECT id, tenant, hash, created, revoked FROM keys \
     ORDER BY created, id COLLATE \"C\"";
const SQL_RECEIPT_ONE: &str = "SELECT key, fingerprint, user_id, app, status, body, first_seq, \
     last_seq, at FROM receipts WHERE tenant = $1 AND key = $2";
const SQL_UPSERT_APPS: &str = "INSERT INTO apps (tenant, user_id, app, privacy_refused_at)
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (tenant, user_id, app) DO UPDATE SET privacy_refused_at = excluded.privacy_refused_at";

/// A [`ConsentStore`] in a PostgreSQL database. Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Arc<Pool>,
    /// The tenant the [`ConsentStore`] methods act as ([`DEFAULT_TENANT`] unless set).
    tenant: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.pool.url)
            .finish_non_exhaustive()
    }
}

/// One pooled connection and its prepared statements.
struct Conn {
    client: Client,
    stmts: Stmts,
}

/// A connection's prepared statements, by SQL; with `named` false (behind a pooler in
/// transaction mode) nothing is prepared and every statement goes unnamed.
struct Stmts {
    named: bool,
    map: HashMap<&'static str, Statement>,
}

/// One statement of the store, ready to run on a connection: prepared (named), or to be sent
/// unnamed with the parameter types of [`param_types`].
#[derive(Clone)]
struct Q {
    st: Option<Statement>,
    sql: &'static str,
}

impl Q {
    fn typed<'p>(&self, params: &[&'p (dyn ToSql + Sync)]) -> Vec<(&'p (dyn ToSql + Sync), Type)> {
        params
            .iter()
            .zip(param_types(self.sql))
            .map(|(p, t)| (*p, t.clone()))
            .collect()
    }

    async fn query(
        &self,
        c: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        match &self.st {
            Some(st) => c.query(st, params).await,
            None => c.query_typed(self.sql, &self.typed(params)).await,
        }
    }

    async fn query_opt(
        &self,
        c: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        match &self.st {
            Some(st) => c.query_opt(st, params).await,
            None => c.query_typed_opt(self.sql, &self.typed(params)).await,
        }
    }

    async fn execute(
        &self,
        c: &impl GenericClient,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        match &self.st {
            Some(st) => c.execute(st, params).await,
            None => c.execute_typed(self.sql, &self.typed(params)).await,
        }
    }
}

static TYPES_STATES: [Type; 3] = [Type::TEXT_ARRAY, Type::TEXT_ARRAY, Type::TEXT_ARRAY];
static TYPES_KEY3: [Type; 3] = [Type::TEXT, Type::TEXT, Type::TEXT];
static TYPES_KEY2: [Type; 2] = [Type::TEXT, Type::TEXT];
static TYPES_INSERT_EVENTS: [Type; 15] = [
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::BOOL_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
];
static TYPES_UPSERT_STATE: [Type; 6] = [
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
];
static TYPES_DELETE_STATE: [Type; 4] = [
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
];
static TYPES_UPSERT_APPS: [Type; 4] = [
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
];
static TYPES_RECEIPTS: [Type; 2] = [Type::TEXT_ARRAY, Type::TEXT_ARRAY];
static TYPES_INSERT_RECEIPTS: [Type; 10] = [
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
];

/// The parameter types of each statement [`Conn::stmt`] runs (sent with an unnamed statement).
fn param_types(sql: &str) -> &'static [Type] {
    match sql {
        SQL_STATES => &TYPES_STATES,
        SQL_STATE_ONE | SQL_LOG => &TYPES_KEY3,
        SQL_RECEIPT_ONE => &TYPES_KEY2,
        SQL_INSERT_EVENTS => &TYPES_INSERT_EVENTS,
        SQL_UPSERT_STATE => &TYPES_UPSERT_STATE,
        SQL_DELETE_STATE => &TYPES_DELETE_STATE,
        SQL_UPSERT_APPS => &TYPES_UPSERT_APPS,
        SQL_RECEIPTS => &TYPES_RECEIPTS,
        SQL_INSERT_RECEIPTS => &TYPES_INSERT_RECEIPTS,
        // SQL_LAST, SQL_KEYS: no parameters.
        _ => &[],
    }
}

/// Miniperm's own URL parameter `pgbouncer=true|false` (whether the URL leads to a pooler in
/// transaction mode), taken out of `url` before the client parses it.
fn pooler_param(url: &str, shown: &str) -> Result<(String, bool), StoreError> {
    let (head, query, sep) = match url.split_once('?') {
        Some((h, q)) if url.contains("://") => (h, q, '&'),
        None if url.contains("://") => return Ok((url.to_string(), false)),
        _ => ("", url, ' '),
    };
    let mut pooler = false;
    let mut kept = Vec::new();
    for part in query.split(sep).filter(|p| !p.is_empty()) {
        match part.strip_prefix("pgbouncer=") {
            Some("true") => pooler = true,
            Some("false") => pooler = false,
            Some(v) => {
                return Err(StoreError::BadUrl {
                    url: shown.to_string(),
                    reason: format!("`pgbouncer={v}`: true or false"),
                });
            }
            None => kept.push(part),
        }
    }
    let rest = kept.join(&sep.to_string());
    Ok(match (sep, rest.is_empty()) {
        ('&', true) => (head.to_string(), pooler),
        ('&', false) => (format!("{head}?{rest}"), pooler),
        _ => (rest, pooler),
    })
}

struct Slots {
    idle: Vec<Conn>,
    /// Connections handed out or idle.
    open: usize,
}

struct Pool {
    config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    url: String,
    /// Runs the connections' socket tasks. `Option` so `Drop` can shut it down without
    /// blocking (a store may be dropped inside another runtime).
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    slots: Mutex<Slots>,
    freed: Condvar,
    max: usize,
    /// Statements are prepared (false behind a pooler in transaction mode).
    named: bool,
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(s) = self.slots.get_mut() {
            s.idle.clear();
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// How one attempt of an operation failed.
enum Fail {
    /// Before COMMIT was sent: nothing was written; retried when the connection broke.
    Pg(tokio_postgres::Error),
    /// COMMIT was sent and got no answer: the outcome is unknown; never retried.
    Commit(tokio_postgres::Error),
    /// Anything else (a value this version does not know).
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Fail {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

/// Wakes the thread that polls a future.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `f` to completion on this thread. The client's futures only talk to the socket task
/// through channels, so this needs no runtime here (and works inside one).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// `url` without its password (both the URL form and `password=` key-value pairs).
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon..at, "");
        }
    }
    let mut clean = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("password=") {
        let before = &rest[..i];
        let after = &rest[i + "password=".len()..];
        let stop = after.find(['&', ' ']).map_or(after.len(), |j| j);
        clean.push_str(before);
        clean.push_str("password=***");
        rest = &after[stop..];
    }
    clean.push_str(rest);
    clean
}

/// True for an error that says the connection itself is gone (the server restarted or went
/// away), not that a statement was wrong.
fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c.starts_with("57P")
        }
        None => true,
    }
}

impl Pool {
    fn checkout(self: &Arc<Self>) -> Result<Conn, StoreError> {
        let deadline = Instant::now() + POOL_WAIT;
        let mut slots = self.slots.lock().map_err(|_| self.poisoned())?;
        loop {
            if let Some(c) = slots.idle.pop() {
                if !c.client.is_closed() {
                    return Ok(c);
                }
                slots.open -= 1;
                continue;
            }
            if slots.open < self.max {
                slots.open += 1;
                drop(slots);
                return match self.connect() {
                    Ok(c) => Ok(c),
                    Err(e) => {
                        if let Ok(mut s) = self.slots.lock() {
                            s.open -= 1;
                        }
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unreachable {
                    url: self.url.clone(),
                    reason: format!("no free connection in the pool after {POOL_WAIT:?}"),
                });
            }
            slots = self
                .freed
                .wait_timeout(slots, deadline - now)
                .map_err(|_| self.poisoned())?
                .0;
        }
    }

    /// Returns a connection to the pool, or forgets it when it broke.
    fn checkin(&self, c: Conn, broken: bool) {
        if let Ok(mut s) = self.slots.lock() {
            if broken || c.client.is_closed() {
                s.open -= 1;
            } else {
                s.idle.push(c);
            }
        }
        self.freed.notify_one();
    }

    fn poisoned(&self) -> StoreError {
        StoreError::Unreachable {
            url: self.url.clone(),
            reason: "the connection pool is poisoned".into(),
        }
    }

    /// One connection attempt; `None` when the client runtime is gone (the store is being
    /// dropped).
    fn connect_once(&self) -> Option<Result<Client, tokio_postgres::Error>> {
        let config = self.config.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            match config.connect(NoTls).await {
                Ok((client, connection)) => {
                    let _ = tx.send(Ok(client));
                    let _ = connection.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        rx.recv().ok()
    }

    /// A new connection, with bounded retries while the server cannot be reached or is
    /// starting up. Other refusals (a wrong password, no such database) fail at once.
    fn connect(&self) -> Result<Conn, StoreError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut last = String::new();
        for attempt in 1..=CONNECT_ATTEMPTS {
            let Some(result) = self.connect_once() else {
                last = "the client runtime stopped".into();
                break;
            };
            match result {
                Ok(client) => {
                    return Ok(Conn {
                        client,
                        stmts: Stmts {
                            named: self.named,
                            map: HashMap::new(),
                        },
                    });
                }
                Err(e) => {
                    let retry = match e.code() {
                        None => true,
                        Some(c) => *c == SqlState::CANNOT_CONNECT_NOW || c.code().starts_with("08"),
                    };
                    if !retry {
                        return Err(pg_error(self.url.clone(), e));
                    }
                    last = one_line(&e);
                    if attempt < CONNECT_ATTEMPTS {
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(1));
                    }
                }
            }
        }
        Err(StoreError::Unreachable {
            url: self.url.clone(),
            reason: format!(
                "{last} ({CONNECT_ATTEMPTS} attempts in {:.1} s)",
                start.elapsed().as_secs_f64()
            ),
        })
    }
}

/// [`StoreError::Postgres`] of `source` on the store at `url` (without its password).
fn pg_error(url: String, source: tokio_postgres::Error) -> StoreError {
    StoreError::Postgres {
        url,
        reason: one_line(&source),
        source: Box::new(source),
    }
}

/// An error's message with its causes, on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Conn {
    /// The statement for `sql` on this connection: prepared on first use, or unnamed behind a
    /// pooler in transaction mode.
    async fn stmt(
        stmts: &mut Stmts,
        c: &impl GenericClient,
        sql: &'static str,
    ) -> Result<Q, tokio_postgres::Error> {
        if !stmts.named {
            return Ok(Q { st: None, sql });
        }
        if let Some(s) = stmts.map.get(sql) {
            return Ok(Q {
                st: Some(s.clone()),
                sql,
            });
        }
        let s = c.prepare(sql).await?;
        stmts.map.insert(sql, s.clone());
        Ok(Q { st: Some(s), sql })
    }
}

/// What `open` found before touching anything.
enum Found {
    Fresh,
    Ours(i64),
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db[?options=…]`), checks the
    /// schema and brings it up to [`PG_SCHEMA_VERSION`].
    ///
    /// An unreachable server is [`StoreError::Unreachable`] (after [`CONNECT_ATTEMPTS`]); a
    /// database with another program's `events` table, or with a newer miniperm schema, is
    /// refused before anything is written.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact_url(url);
        let (url, pooler) = pooler_param(url, &shown)?;
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|e: tokio_postgres::Error| StoreError::BadUrl {
                    url: shown.clone(),
                    reason: one_line(&e),
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        if config.get_application_name().is_none() {
            config.application_name("miniperm");
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("miniperm-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unreachable {
                url: shown.clone(),
                reason: format!("cannot start the client runtime: {e}"),
            })?;
        let handle = rt.handle().clone();
        let pool = Arc::new(Pool {
            config,
            url: shown,
            rt: Some(rt),
            handle,
            slots: Mutex::new(Slots {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            max: POOL_SIZE,
            named: !pooler,
        });
        let store = PgStore {
            pool,
            tenant: DEFAULT_TENANT.to_string(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The URL without its password.
    pub fn url(&self) -> &str {
        &self.pool.url
    }

    fn pg_err(&self, source: tokio_postgres::Error) -> StoreError {
        if is_connection_error(&source) {
            StoreError::Unreachable {
                url: self.pool.url.clone(),
                reason: one_line(&source),
            }
        } else {
            pg_error(self.pool.url.clone(), source)
        }
    }

    /// Runs `op` on a pooled connection. When the connection broke before any COMMIT was sent,
    /// the operation runs once more on a fresh connection.
    fn run<T>(&self, mut op: impl FnMut(&mut Conn) -> Result<T, Fail>) -> Result<T, StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut conn = self.pool.checkout()?;
            match op(&mut conn) {
                Ok(v) => {
                    self.pool.checkin(conn, false);
                    return Ok(v);
                }
                Err(Fail::Pg(e)) => {
                    let broken = is_connection_error(&e) || conn.client.is_closed();
                    self.pool.checkin(conn, broken);
                    if broken && tries < 3 {
                        continue;
                    }
                    return Err(self.pg_err(e));
                }
                Err(Fail::Commit(e)) => {
                    let broken = is_connection_error(&e) || conn.client.is_closed();
                    self.pool.checkin(conn, broken);
                    return Err(self.pg_err(e));
                }
                Err(Fail::Store(e)) => {
                    self.pool.checkin(conn, false);
                    return Err(e);
                }
            }
        }
    }

    /// Reads the schema version and migrates, under an advisory lock (another process may be
    /// migrating the same database).
    fn migrate(&self) -> Result<(), StoreError> {
        let url = self.pool.url.clone();
        let found = self.run(|c| block_on(inspect(&c.client, &url)))?;
        if let Found::Ours(v) = found
            && v >= PG_SCHEMA_VERSION
        {
            return Ok(());
        }
        self.run(|c| {
            block_on(async {
                let tx = c.client.transaction().await?;
                tx.batch_execute(
                    "SELECT pg_advisory_xact_lock(hashtext('miniperm:' || current_schema()));
                     CREATE TABLE IF NOT EXISTS miniperm_migrations (
                         version    BIGINT PRIMARY KEY,
                         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                     );",
                )
                .await?;
                let from = match inspect(&tx, &url).await? {
                    Found::Fresh => 0,
                    Found::Ours(v) => v,
                };
                for (n, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
                    tx.batch_execute(sql).await?;
                    tx.execute_typed(
                        "INSERT INTO miniperm_migrations (version) VALUES ($1)",
                        &[(&(n as i64 + 1), Type::INT8)],
                    )
                    .await?;
                }
                tx.commit().await.map_err(Fail::Commit)
            })
        })
    }

    /// The tenant the [`ConsentStore`] methods act as.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Makes the [`ConsentStore`] methods act as `tenant` from now on.
    pub fn set_tenant(&mut self, tenant: impl Into<String>) {
        self.tenant = tenant.into();
    }

    /// The state of one (tenant, app, user).
    pub fn state_in(&self, key: ConsentKey<'_>) -> Result<AppState, StoreError> {
        let ConsentKey { tenant, app, user } = key;
        self.run(|c| {
            let Conn { client, stmts } = c;
            block_on(async {
                let st = Conn::stmt(stmts, client, SQL_STATE_ONE).await?;
                let rows = st.query(client, &[&tenant, &user, &app]).await?;
                Ok(state_from_rows(&rows, 0, user, app)?.0)
            })
        })
    }

    /// Stores (or replaces) the declarations of `app` for `tenant`: a JSON document, kept as
    /// given. An upsert, so the pool's one retry after a lost connection is harmless.
    pub fn put_manifest_in(
        &self,
        tenant: &str,
        app: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.run(|c| {
            block_on(async {
                c.client
                    .execute_typed(
                        "INSERT INTO manifests (tenant, app, body, updated) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (tenant, app) DO UPDATE SET body = excluded.body, updated = excluded.updated",
                        &[
                            (&tenant, Type::TEXT),
                            (&app, Type::TEXT),
                            (&body, Type::TEXT),
                            (&at, Type::INT8),
                        ],
                    )
                    .await?;
                Ok(())
            })
        })
    }

    /// The declarations stored for (`tenant`, `app`), if any.
    pub fn manifest_in(&self, tenant: &str, app: &str) -> Result<Option<String>, StoreError> {
        self.run(|c| {
            block_on(async {
                let row = c
                    .client
                    .query_typed_opt(
                        "SELECT body FROM manifests WHERE tenant = $1 AND app = $2",
                        &[(&tenant, Type::TEXT), (&app, Type::TEXT)],
                    )
                    .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get::<_, String>(0)?),
                    None => None,
                })
            })
        })
    }

    /// The consent log of one (tenant, app, user).
    pub fn log_in(&self, key: ConsentKey<'_>) -> Result<Vec<ConsentEvent>, StoreError> {
        let ConsentKey { tenant, app, user } = key;
        debug_assert!(SQL_LOG.contains(EVENT_COLUMNS));
        self.run(|c| {
            let Conn { client, stmts } = c;
            block_on(async {
                let st = Conn::stmt(stmts, client, SQL_LOG).await?;
                let rows = st.query(client, &[&tenant, &user, &app]).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(event_from_row(r)?);
                }
                Ok(out)
            })
        })
    }

    /// [`ConsentStore::update`] for the key's tenant: read and append in one transaction that
    /// holds the write lock.
    pub fn update_in(
        &self,
        key: ConsentKey<'_>,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        let ConsentKey { tenant, app, user } = key;
        self.run(|c| {
            let Conn { client, stmts } = c;
            block_on(async {
                let tx = client.transaction().await?;
                tx.batch_execute(SQL_LOCK).await?;
                let st = Conn::stmt(stmts, &tx, SQL_STATE_ONE).await?;
                let rows = st.query(&tx, &[&tenant, &user, &app]).await?;
                let (state, known) = state_from_rows(&rows, 0, user, app)?;
                let events = changes(&state);
                if events.is_empty() {
                    return Ok((state, events));
                }
                let key = (tenant.to_string(), user.to_string(), app.to_string());
                let mut out = append_in(
                    &tx,
                    stmts,
                    vec![(tenant.to_string(), events)],
                    Some((key, state, known)),
                )
                .await?;
                tx.commit().await.map_err(Fail::Commit)?;
                Ok((state, out.pop().unwrap_or_default()))
            })
        })
    }

    /// Group commit across tenants: every `(tenant, batch)` in ONE transaction with one
    /// multi-row insert; each batch comes back with its `seq`s. All or nothing.
    pub fn append_batches_in(
        &self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        if batches.iter().all(|(_, b)| b.is_empty()) {
            return Ok(batches.into_iter().map(|(_, b)| b).collect());
        }
        let batches = batches
            .into_iter()
            .map(|(tenant, events)| Batch {
                tenant,
                events,
                receipt: None,
            })
            .collect();
        let (_, out) = self.append_receipted(batches)?;
        Ok(out
            .into_iter()
            .map(|c| match c {
                Committed::Appended(events) => events,
                // Only a batch with a receipt can be a duplicate.
                Committed::Duplicate(_) => Vec::new(),
            })
            .collect())
    }

    /// Group commit with receipts ([`crate::Backend::append_receipted`]): one transaction
    /// under the writers' lock, in two pipelined round trips. No change signal on
    /// PostgreSQL: the version is always `None`.
    pub fn append_receipted(
        &self,
        batches: Vec<Batch>,
    ) -> Result<Versioned<Vec<Committed>>, StoreError> {
        if batches
            .iter()
            .all(|b| b.events.is_empty() && b.receipt.is_none())
        {
            let out = batches
                .into_iter()
                .map(|b| Committed::Appended(b.events))
                .collect();
            return Ok((Ok(None), out));
        }
        let out = self.run(|c| {
            let Conn { client, stmts } = c;
            let batches = batches.clone();
            block_on(append_pipelined(client, stmts, batches))
        })?;
        Ok((Ok(None), out))
    }

    /// The receipt stored under (`tenant`, `key`), if any.
    pub fn receipt_in(&self, tenant: &str, key: &str) -> Result<Option<StoredReceipt>, StoreError> {
        self.run(|c| {
            let Conn { client, stmts } = c;
            block_on(async {
                let st = Conn::stmt(stmts, client, SQL_RECEIPT_ONE).await?;
                let row = st.query_opt(client, &[&tenant, &key]).await?;
                Ok(match row {
                    Some(r) => Some(receipt_from_row(&r, 0)?),
                    None => None,
                })
            })
        })
    }

    /// Stores a new API key (`hash`: hex SHA-256 of the secret).
    pub fn insert_key(&self, key: &KeyRow) -> Result<(), StoreError> {
        self.run(|c| {
            block_on(async {
                c.client
                    .execute_typed(
                        "INSERT INTO keys (id, tenant, hash, created, revoked) VALUES ($1, $2, $3, $4, $5)",
                        &[
                            (&key.id, Type::TEXT),
                            (&key.tenant, Type::TEXT),
                            (&key.hash, Type::TEXT),
                            (&key.created, Type::INT8),
                            (&key.revoked, Type::INT8),
                        ],
                    )
                    .await?;
                Ok(())
            })
        })
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        self.run(|c| {
            let Conn { client, stmts } = c;
            block_on(async {
                let st = Conn::stmt(stmts, client, SQL_KEYS).await?;
                let rows = st.query(client, &[]).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let name = "?";
                    out.push(KeyRow {
                        id: get(r, 0, "keys", name, "id")?,
                        tenant: get(r, 1, "keys", name, "tenant")?,
                        hash: get(r, 2, "keys", name, "hash")?,
                        created: get(r, 3, "keys", name, "created")?,
                        revoked: get(r, 4, "keys", name, "revoked")?,
                    });
                }
                Ok(out)
            })
        })
    }

    /// Marks key `id` revoked at `at`. False when no unrevoked key has that id.
    pub fn revoke_key(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        self.run(|c| {
            block_on(async {
                let n = c
                    .client
                    .execute_typed(
                        "UPDATE keys SET revoked = $2 WHERE id = $1 AND revoked IS NULL",
                        &[(&id, Type::TEXT), (&at, Type::INT8)],
                    )
                    .await?;
                Ok(n > 0)
            })
        })
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.scalar("SELECT coalesce(max(version), 0) FROM miniperm_migrations")
    }

    /// The `seq` of the newest event (0 when the log is empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        self.scalar("SELECT coalesce(max(seq), 0) FROM events")
            .map(|n| n.max(0) as u64)
    }

    fn scalar(&self, sql: &'static str) -> Result<i64, StoreError> {
        self.run(|c| {
            block_on(async {
                let row = c.client.query_typed_one(sql, &[]).await?;
                Ok(get(&row, 0, "events", "?", "count")?)
            })
        })
    }

    /// Every (user, app) of the current tenant with at least one event, sorted bytewise.
    pub fn pairs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let tenant = self.tenant.clone();
        self.run(|c| {
            block_on(async {
                let rows = c
                    .client
                    .query_typed(
                        "SELECT user_id, app FROM apps WHERE tenant = $1
                         ORDER BY user_id COLLATE \"C\", app COLLATE \"C\"",
                        &[(&tenant, Type::TEXT)],
                    )
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push((
                        get(r, 0, "apps", "?", "user_id")?,
                        get(r, 1, "apps", "?", "app")?,
                    ));
                }
                Ok(out)
            })
        })
    }

    /// Checks that every (user, app) of the current tenant holds the fold of its log, and that
    /// no event lacks its `apps` row. Returns how many (user, app) were checked.
    pub fn verify(&mut self) -> Result<usize, StoreError> {
        let pairs = self.pairs()?;
        check_folds(self, &pairs)?;
        let orphan: Option<(String, String)> = self.run(|c| {
            block_on(async {
                let rows = c
                    .client
                    .query_typed(
                        "SELECT e.user_id, e.app FROM events e WHERE NOT EXISTS (
                             SELECT 1 FROM apps a WHERE a.tenant = e.tenant
                             AND a.user_id = e.user_id AND a.app = e.app) LIMIT 1",
                        &[],
                    )
                    .await?;
                match rows.first() {
                    Some(r) => Ok(Some((
                        get(r, 0, "events", "?", "user_id")?,
                        get(r, 1, "events", "?", "app")?,
                    ))),
                    None => Ok(None),
                }
            })
        })?;
        if let Some((user, app)) = orphan {
            return Err(StoreError::Inconsistent { user, app });
        }
        Ok(pairs.len())
    }

    /// Runs `sql` (several statements allowed) outside any store method: for tests and tools.
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        self.run(|c| block_on(async { Ok(c.client.batch_execute(sql).await?) }))
    }
}

/// Creates schema `name` in the database at `url` if missing (tests give each store its own
/// schema in one database; `?options=-c search_path=NAME` then opens it).
#[doc(hidden)]
pub fn create_schema(url: &str, name: &str) -> Result<(), StoreError> {
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::BadUrl {
            url: redact_url(url),
            reason: format!("bad schema name `{name}`"),
        });
    }
    let shown = redact_url(url);
    let config: tokio_postgres::Config =
        url.parse()
            .map_err(|e: tokio_postgres::Error| StoreError::BadUrl {
                url: shown.clone(),
                reason: one_line(&e),
            })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Unreachable {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
    let sql = format!("CREATE SCHEMA IF NOT EXISTS {name}");
    let r: Result<(), tokio_postgres::Error> = rt.block_on(async {
        let (client, conn) = config.connect(NoTls).await?;
        let task = tokio::spawn(conn);
        client.batch_execute(&sql).await?;
        drop(client);
        let _ = task.await;
        Ok(())
    });
    r.map_err(|source| pg_error(shown, source))
}

/// Classifies the database without writing to it.
async fn inspect(c: &impl GenericClient, url: &str) -> Result<Found, Fail> {
    let row = c
        .query_typed_one(
            "SELECT to_regclass('miniperm_migrations') IS NOT NULL,
                    to_regclass('events') IS NOT NULL",
            &[],
        )
        .await?;
    let (ours, events): (bool, bool) = (row.get(0), row.get(1));
    if !ours {
        if events {
            return Err(Fail::Store(StoreError::Foreign {
                path: PathBuf::from(url),
                reason: "an `events` table without miniperm's migrations table".into(),
            }));
        }
        return Ok(Found::Fresh);
    }
    let row = c
        .query_typed_one(
            "SELECT coalesce(max(version), 0) FROM miniperm_migrations",
            &[],
        )
        .await?;
    let version: i64 = row.get(0);
    if version > PG_SCHEMA_VERSION {
        return Err(Fail::Store(StoreError::NewerSchema {
            path: PathBuf::from(url),
            found: version,
            supported: PG_SCHEMA_VERSION,
        }));
    }
    Ok(Found::Ours(version))
}

/// A column as `T`; a surprise is a [`StoreError::BadValue`].
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    table: &'static str,
    name: &str,
    column: &'static str,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::BadValue {
        table,
        row: name.to_string(),
        column,
        value: e.to_string(),
    })
}

fn parsed<T>(
    text: String,
    parse: impl FnOnce(&str) -> Option<T>,
    table: &'static str,
    name: &str,
    column: &'static str,
) -> Result<T, StoreError> {
    parse(&text).ok_or_else(|| StoreError::BadValue {
        table,
        row: name.to_string(),
        column,
        value: text,
    })
}

/// One row of `events` selected as [`EVENT_COLUMNS`].
fn event_from_row(r: &Row) -> Result<ConsentEvent, StoreError> {
    let t = "events";
    let seq: i64 = get(r, 0, t, "?", "seq")?;
    let n = format!("seq {seq}");
    let n = n.as_str();
    Ok(ConsentEvent {
        seq: u64::try_from(seq).map_err(|_| StoreError::BadValue {
            table: t,
            row: n.to_string(),
            column: "seq",
            value: seq.to_string(),
        })?,
        at: get(r, 1, t, n, "at")?,
        user: get(r, 2, t, n, "user_id")?,
        app: get(r, 3, t, n, "app")?,
        channel: parsed(get(r, 4, t, n, "channel")?, Channel::parse, t, n, "channel")?,
        scope: parsed(
            get(r, 5, t, n, "scope")?,
            |s| Subject::parse(s).ok(),
            t,
            n,
            "scope",
        )?,
        from: parsed(
            get(r, 6, t, n, "from_state")?,
            Value::parse,
            t,
            n,
            "from_state",
        )?,
        to: parsed(get(r, 7, t, n, "to_state")?, Value::parse, t, n, "to_state")?,
        via: parsed(get(r, 8, t, n, "via")?, Via::parse, t, n, "via")?,
        gesture: get(r, 9, t, n, "gesture")?,
        api: get(r, 10, t, n, "api")?,
        notice: get(r, 11, t, n, "notice")?,
        profile: get(r, 12, t, n, "profile")?,
        engine_version: get(r, 13, t, n, "engine_version")?,
    })
}

/// The state of one (user, app) from rows `(…, privacy_refused_at, subject, value)` starting at
/// column `first`; whether its `apps` row exists.
fn state_from_rows(
    rows: &[Row],
    first: usize,
    user: &str,
    app: &str,
) -> Result<(AppState, bool), StoreError> {
    let name = format!("{user}/{app}");
    let mut refused = None;
    let mut entries = Vec::new();
    for r in rows {
        refused = get(r, first, "apps", &name, "privacy_refused_at")?;
        let subject: Option<String> = get(r, first + 1, "state", &name, "subject")?;
        let Some(subject) = subject else { continue };
        let subject = parsed(
            subject,
            |s| match Subject::parse(s) {
                Ok(Subject::All) | Err(_) => None,
                Ok(s) => Some(s),
            },
            "state",
            &name,
            "subject",
        )?;
        let row_name = format!("{name}/{}", subject.key());
        let value = parsed(
            get(r, first + 2, "state", &row_name, "value")?,
            Value::parse,
            "state",
            &row_name,
            "value",
        )?;
        entries.push((subject, value));
    }
    Ok((AppState::from_entries(entries, refused), !rows.is_empty()))
}

type Key = (String, String, String);

/// The state of one (tenant, user, app) while a transaction runs.
struct Touched {
    known: bool,
    before: AppState,
    after: AppState,
    seq: i64,
}

/// The (tenant, user, app) of `batches` whose state is not in `touched` yet, in order.
fn wanted<'a>(
    batches: impl IntoIterator<Item = (&'a str, &'a [ConsentEvent])>,
    touched: &BTreeMap<Key, Touched>,
) -> Vec<Key> {
    let mut want: Vec<Key> = Vec::new();
    for (tenant, events) in batches {
        for e in events {
            let k = (tenant.to_string(), e.user.clone(), e.app.clone());
            if !touched.contains_key(&k) && !want.contains(&k) {
                want.push(k);
            }
        }
    }
    want
}

/// Adds the state of every `want`ed pair, read as rows of [`SQL_STATES`], to `touched`.
fn absorb_states(
    rows: Vec<Row>,
    want: Vec<Key>,
    touched: &mut BTreeMap<Key, Touched>,
) -> Result<(), StoreError> {
    let mut by_key: BTreeMap<Key, Vec<Row>> = BTreeMap::new();
    for r in rows {
        let k: Key = (
            get(&r, 0, "apps", "?", "tenant")?,
            get(&r, 1, "apps", "?", "user_id")?,
            get(&r, 2, "apps", "?", "app")?,
        );
        by_key.entry(k).or_default().push(r);
    }
    for k in want {
        let rows = by_key.remove(&k).unwrap_or_default();
        let (before, known) = state_from_rows(&rows, 3, &k.1, &k.2)?;
        touched.insert(
            k,
            Touched {
                known,
                before,
                after: before,
                seq: 0,
            },
        );
    }
    Ok(())
}

/// `(seq, at)` of the newest event, from [`SQL_LAST`].
fn last_of(row: Option<Row>) -> Result<(i64, i64), StoreError> {
    match row {
        Some(r) => Ok((
            get::<i64>(&r, 0, "events", "?", "seq")?,
            get::<i64>(&r, 1, "events", "?", "at")?,
        )),
        None => Ok((0, i64::MIN)),
    }
}

/// Makes every event of one batch truthful against the state it lands on
/// ([`crate::make_truthful`]), gives it the next `seq` (`cursor`: the newest `(seq, at)`), and
/// folds it into `touched` and the insert's columns. Returns the stored events.
fn place_batch(
    tenant: &str,
    events: Vec<ConsentEvent>,
    touched: &mut BTreeMap<Key, Touched>,
    cursor: &mut (i64, i64),
    cols: &mut EventColumns,
) -> Vec<ConsentEvent> {
    let (seq, last_at) = cursor;
    let mut stored = Vec::with_capacity(events.len());
    for mut e in events {
        let k = (tenant.to_string(), e.user.clone(), e.app.clone());
        let Some(t) = touched.get_mut(&k) else {
            continue;
        };
        *last_at = make_truthful(&t.after, &mut e, *last_at);
        *seq += 1;
        t.after.apply(&e);
        t.seq = *seq;
        e.seq = (*seq).max(0) as u64;
        cols.push(*seq, tenant, &e);
        stored.push(e);
    }
    stored
}

/// [`place_batch`] for every batch, from the newest `(seq, at)` `last`.
fn place_events(
    batches: Vec<(String, Vec<ConsentEvent>)>,
    touched: &mut BTreeMap<Key, Touched>,
    mut last: (i64, i64),
) -> (Vec<Vec<ConsentEvent>>, EventColumns) {
    let mut cols = EventColumns::default();
    let out = batches
        .into_iter()
        .map(|(tenant, events)| place_batch(&tenant, events, touched, &mut last, &mut cols))
        .collect();
    (out, cols)
}

/// Appends every batch inside `tx` (which holds the write lock): reads the state of every
/// (tenant, user, app) the batches touch in one query, makes each event truthful, then writes
/// all events with ONE multi-row insert and the changed state rows with one upsert, one delete
/// and one upsert of the per-app rows. (The unpipelined path, for `update_in`.)
async fn append_in(
    tx: &tokio_postgres::Transaction<'_>,
    stmts: &mut Stmts,
    batches: Vec<(String, Vec<ConsentEvent>)>,
    known_state: Option<(Key, AppState, bool)>,
) -> Result<Vec<Vec<ConsentEvent>>, Fail> {
    let mut touched: BTreeMap<Key, Touched> = BTreeMap::new();
    if let Some((key, before, known)) = known_state {
        touched.insert(
            key,
            Touched {
                known,
                before,
                after: before,
                seq: 0,
            },
        );
    }
    let want = wanted(
        batches.iter().map(|(t, e)| (t.as_str(), e.as_slice())),
        &touched,
    );
    if !want.is_empty() {
        let st = Conn::stmt(stmts, tx, SQL_STATES).await?;
        let (ts, us, aps) = key_columns(&want);
        let rows = st.query(tx, &[&ts, &us, &aps]).await?;
        absorb_states(rows, want, &mut touched)?;
    }
    let st = Conn::stmt(stmts, tx, SQL_LAST).await?;
    let last = last_of(st.query_opt(tx, &[]).await?)?;
    let (out, cols) = place_events(batches, &mut touched, last);
    let writes = StateWrites::of(&touched);
    if !cols.seq.is_empty() {
        let st = Conn::stmt(stmts, tx, SQL_INSERT_EVENTS).await?;
        st.execute(tx, &cols.params()).await?;
    }
    for (sql, params) in writes.statements() {
        let st = Conn::stmt(stmts, tx, sql).await?;
        st.execute(tx, &params).await?;
    }
    Ok(out)
}

fn key_columns(keys: &[Key]) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
    (
        keys.iter().map(|k| k.0.as_str()).collect(),
        keys.iter().map(|k| k.1.as_str()).collect(),
        keys.iter().map(|k| k.2.as_str()).collect(),
    )
}

/// Polls every future to completion, first to last on each wake (so a pipelined client sends
/// their requests in order), and returns their outputs in order.
async fn join_all<'a, T>(mut futs: Vec<std::pin::Pin<Box<dyn Future<Output = T> + 'a>>>) -> Vec<T> {
    let mut done: Vec<Option<T>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut pending = false;
        for (f, d) in futs.iter_mut().zip(done.iter_mut()) {
            if d.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *d = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(done.iter_mut().filter_map(Option::take).collect())
        }
    })
    .await
}

/// A group commit in two round trips: `BEGIN; LOCK`, the newest event, the states and the
/// receipts already stored under the batches' keys, pipelined; then every write and the
/// `COMMIT`, pipelined. A batch whose key is stored (or taken by an earlier batch of this
/// transaction) writes nothing and becomes [`Committed::Duplicate`]. Any failed statement fails
/// the whole (its COMMIT then only rolls back); a connection lost in the second flight is
/// [`Fail::Commit`] (outcome unknown).
async fn append_pipelined(
    client: &Client,
    stmts: &mut Stmts,
    batches: Vec<Batch>,
) -> Result<Vec<Committed>, Fail> {
    // Prepared before the flights (one round trip each, once per connection).
    let s_states = Conn::stmt(stmts, client, SQL_STATES).await?;
    let s_last = Conn::stmt(stmts, client, SQL_LAST).await?;
    let s_insert = Conn::stmt(stmts, client, SQL_INSERT_EVENTS).await?;
    for sql in [SQL_UPSERT_STATE, SQL_DELETE_STATE, SQL_UPSERT_APPS] {
        Conn::stmt(stmts, client, sql).await?;
    }
    let keyed = batches.iter().any(|b| b.receipt.is_some());
    let (s_receipts, s_insert_receipts) = if keyed {
        (
            Some(Conn::stmt(stmts, client, SQL_RECEIPTS).await?),
            Some(Conn::stmt(stmts, client, SQL_INSERT_RECEIPTS).await?),
        )
    } else {
        (None, None)
    };
    let mut touched: BTreeMap<Key, Touched> = BTreeMap::new();
    let want = wanted(
        batches
            .iter()
            .map(|b| (b.tenant.as_str(), b.events.as_slice())),
        &touched,
    );
    let (ts, us, aps) = key_columns(&want);
    let (rts, rks): (Vec<&str>, Vec<&str>) = batches
        .iter()
        .filter_map(|b| Some((b.tenant.as_str(), b.receipt.as_ref()?.key.as_str())))
        .unzip();
    // Flight 1: BEGIN and the lock, the newest event, the states, the receipts.
    let begin = client.batch_execute(BEGIN_LOCKED);
    let last = s_last.query_opt(client, &[]);
    let state_params: [&(dyn ToSql + Sync); 3] = [&ts, &us, &aps];
    let states = s_states.query(client, &state_params);
    let receipt_params: [&(dyn ToSql + Sync); 2] = [&rts, &rks];
    type Flight<'f> =
        std::pin::Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + 'f>>;
    let mut flight: Vec<Flight<'_>> = vec![
        Box::pin(async move { begin.await.map(|()| Vec::new()) }),
        Box::pin(async move { last.await.map(|r| r.into_iter().collect()) }),
        Box::pin(states),
    ];
    if let Some(s) = &s_receipts {
        flight.push(Box::pin(s.query(client, &receipt_params)));
    }
    type Read = ((i64, i64), HashMap<(String, String), StoredReceipt>);
    let read: Result<Read, Fail> = async {
        let mut results = join_all(flight).await.into_iter();
        let mut next = || results.next().unwrap_or_else(|| Ok(Vec::new()));
        let (r_begin, r_last, r_states, r_receipts) = (next(), next(), next(), next());
        r_begin?;
        let last = last_of(r_last?.into_iter().next())?;
        absorb_states(r_states?, want.clone(), &mut touched)?;
        let mut found = HashMap::new();
        for r in &r_receipts? {
            let tenant: String = get(r, 0, "receipts", "?", "tenant")?;
            let stored = receipt_from_row(r, 1)?;
            found.insert((tenant, stored.receipt.key.clone()), stored);
        }
        Ok((last, found))
    }
    .await;
    let (mut cursor, mut seen) = match read {
        Ok(v) => v,
        Err(e) => {
            // Leave no transaction open on a connection that goes back to the pool.
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e);
        }
    };
    let mut out = Vec::with_capacity(batches.len());
    let mut cols = EventColumns::default();
    let mut receipts = ReceiptColumns::default();
    for b in batches {
        if let Some(r) = &b.receipt
            && let Some(first) = seen.get(&(b.tenant.clone(), r.key.clone()))
        {
            out.push(Committed::Duplicate(first.clone()));
            continue;
        }
        let stored = place_batch(&b.tenant, b.events, &mut touched, &mut cursor, &mut cols);
        if let Some(receipt) = b.receipt {
            let r = StoredReceipt {
                receipt,
                seqs: seq_range(&stored),
            };
            receipts.push(&b.tenant, &r);
            seen.insert((b.tenant, r.receipt.key.clone()), r);
        }
        out.push(Committed::Appended(stored));
    }
    let writes = StateWrites::of(&touched);
    // Flight 2: every write, then COMMIT.
    let insert_params = cols.params();
    let receipt_params = receipts.params();
    let mut prepared = Vec::new();
    for (sql, params) in writes.statements() {
        // Cached above: no round trip here.
        prepared.push((Conn::stmt(stmts, client, sql).await?, params));
    }
    type Write<'f> =
        std::pin::Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + 'f>>;
    let mut flight: Vec<Write<'_>> = Vec::new();
    if !cols.seq.is_empty() {
        let f = s_insert.execute(client, &insert_params);
        flight.push(Box::pin(f));
    }
    for (s, params) in &prepared {
        flight.push(Box::pin(s.execute(client, params)));
    }
    if let Some(s) = &s_insert_receipts
        && !receipts.key.is_empty()
    {
        flight.push(Box::pin(s.execute(client, &receipt_params)));
    }
    flight.push(Box::pin(async move {
        client.batch_execute("COMMIT").await.map(|()| 0)
    }));
    let results = join_all(flight).await;
    let n = results.len();
    for (i, r) in results.into_iter().enumerate() {
        if let Err(e) = r {
            // A broken connection during this flight leaves the COMMIT's outcome unknown.
            return Err(if i + 1 == n || is_connection_error(&e) {
                Fail::Commit(e)
            } else {
                Fail::Pg(e)
            });
        }
    }
    Ok(out)
}

/// A receipt from a row whose columns from `first` on are `key, fingerprint, user_id, app,
/// status, body, first_seq, last_seq, at`.
fn receipt_from_row(r: &Row, first: usize) -> Result<StoredReceipt, StoreError> {
    let t = "receipts";
    let key: String = get(r, first, t, "?", "key")?;
    let n = key.as_str();
    let bad = |column: &'static str, v: i64| StoreError::BadValue {
        table: t,
        row: n.to_string(),
        column,
        value: v.to_string(),
    };
    let status: i32 = get(r, first + 4, t, n, "status")?;
    let status = u16::try_from(status).map_err(|_| bad("status", i64::from(status)))?;
    let seq = |i: usize, column: &'static str| -> Result<Option<u64>, StoreError> {
        match get::<Option<i64>>(r, i, t, n, column)? {
            None => Ok(None),
            Some(v) => u64::try_from(v).map(Some).map_err(|_| bad(column, v)),
        }
    };
    let seqs = match (seq(first + 6, "first_seq")?, seq(first + 7, "last_seq")?) {
        (Some(f), Some(l)) => Some((f, l)),
        _ => None,
    };
    Ok(StoredReceipt {
        receipt: Receipt {
            fingerprint: get(r, first + 1, t, n, "fingerprint")?,
            user: get(r, first + 2, t, n, "user_id")?,
            app: get(r, first + 3, t, n, "app")?,
            status,
            body: get(r, first + 5, t, n, "body")?,
            at: get(r, first + 8, t, n, "at")?,
            key,
        },
        seqs,
    })
}

/// The receipts of one insert, column by column.
#[derive(Default)]
struct ReceiptColumns {
    tenant: Vec<String>,
    key: Vec<String>,
    fingerprint: Vec<String>,
    user: Vec<String>,
    app: Vec<String>,
    status: Vec<i32>,
    body: Vec<String>,
    first: Vec<Option<i64>>,
    last: Vec<Option<i64>>,
    at: Vec<i64>,
}

impl ReceiptColumns {
    fn push(&mut self, tenant: &str, s: &StoredReceipt) {
        let r = &s.receipt;
        self.tenant.push(tenant.to_string());
        self.key.push(r.key.clone());
        self.fingerprint.push(r.fingerprint.clone());
        self.user.push(r.user.clone());
        self.app.push(r.app.clone());
        self.status.push(i32::from(r.status));
        self.body.push(r.body.clone());
        self.first.push(s.seqs.map(|(f, _)| f as i64));
        self.last.push(s.seqs.map(|(_, l)| l as i64));
        self.at.push(r.at);
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 10] {
        [
            &self.tenant,
            &self.key,
            &self.fingerprint,
            &self.user,
            &self.app,
            &self.status,
            &self.body,
            &self.first,
            &self.last,
            &self.at,
        ]
    }
}

const BEGIN_LOCKED: &str = "BEGIN; LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE";

/// The events of one insert, column by column.
#[derive(Default)]
struct EventColumns {
    seq: Vec<i64>,
    at: Vec<i64>,
    tenant: Vec<String>,
    user: Vec<String>,
    app: Vec<String>,
    channel: Vec<&'static str>,
    scope: Vec<String>,
    from: Vec<&'static str>,
    to: Vec<&'static str>,
    via: Vec<&'static str>,
    gesture: Vec<bool>,
    api: Vec<Option<String>>,
    notice: Vec<Option<String>>,
    profile: Vec<String>,
    engine: Vec<String>,
}

impl EventColumns {
    fn push(&mut self, seq: i64, tenant: &str, e: &ConsentEvent) {
        self.seq.push(seq);
        self.at.push(e.at);
        self.tenant.push(tenant.to_string());
        self.user.push(e.user.clone());
        self.app.push(e.app.clone());
        self.channel.push(e.channel.as_str());
        self.scope.push(e.scope.key());
        self.from.push(e.from.as_str());
        self.to.push(e.to.as_str());
        self.via.push(e.via.as_str());
        self.gesture.push(e.gesture);
        self.api.push(e.api.clone());
        self.notice.push(e.notice.clone());
        self.profile.push(e.profile.clone());
        self.engine.push(e.engine_version.clone());
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 15] {
        [
            &self.seq,
            &self.at,
            &self.tenant,
            &self.user,
            &self.app,
            &self.channel,
            &self.scope,
            &self.from,
            &self.to,
            &self.via,
            &self.gesture,
            &self.api,
            &self.notice,
            &self.profile,
            &self.engine,
        ]
    }
}

/// The state-row writes of a group commit: rows to upsert, rows to delete, per-app rows.
#[derive(Default)]
struct StateWrites {
    up_tenant: Vec<String>,
    up_user: Vec<String>,
    up_app: Vec<String>,
    up_subject: Vec<String>,
    up_value: Vec<&'static str>,
    up_seq: Vec<i64>,
    del_tenant: Vec<String>,
    del_user: Vec<String>,
    del_app: Vec<String>,
    del_subject: Vec<String>,
    app_tenant: Vec<String>,
    app_user: Vec<String>,
    app_app: Vec<String>,
    app_refused: Vec<Option<i64>>,
}

impl StateWrites {
    /// The rows that differ between `before` and `after` of every touched pair, and the per-app
    /// rows that are new or changed.
    fn of(touched: &BTreeMap<Key, Touched>) -> StateWrites {
        let mut w = StateWrites::default();
        for ((tenant, user, app), t) in touched {
            if t.seq == 0 {
                continue;
            }
            let old: BTreeMap<Subject, Value> = t.before.entries().into_iter().collect();
            let new: BTreeMap<Subject, Value> = t.after.entries().into_iter().collect();
            for (subject, value) in &new {
                if old.get(subject) != Some(value) {
                    w.up_tenant.push(tenant.clone());
                    w.up_user.push(user.clone());
                    w.up_app.push(app.clone());
                    w.up_subject.push(subject.key());
                    w.up_value.push(value.as_str());
                    w.up_seq.push(t.seq);
                }
            }
            for subject in old.keys() {
                if !new.contains_key(subject) {
                    w.del_tenant.push(tenant.clone());
                    w.del_user.push(user.clone());
                    w.del_app.push(app.clone());
                    w.del_subject.push(subject.key());
                }
            }
            if !t.known || t.before.privacy_refused_at != t.after.privacy_refused_at {
                w.app_tenant.push(tenant.clone());
                w.app_user.push(user.clone());
                w.app_app.push(app.clone());
                w.app_refused.push(t.after.privacy_refused_at);
            }
        }
        w
    }

    /// At most three statements: upsert, delete, per-app upsert (each skipped when empty).
    fn statements(&self) -> Vec<(&'static str, Vec<&(dyn ToSql + Sync)>)> {
        let mut v: Vec<(&'static str, Vec<&(dyn ToSql + Sync)>)> = Vec::new();
        if !self.up_tenant.is_empty() {
            v.push((
                SQL_UPSERT_STATE,
                vec![
                    &self.up_tenant,
                    &self.up_user,
                    &self.up_app,
                    &self.up_subject,
                    &self.up_value,
                    &self.up_seq,
                ],
            ));
        }
        if !self.del_tenant.is_empty() {
            v.push((
                SQL_DELETE_STATE,
                vec![
                    &self.del_tenant,
                    &self.del_user,
                    &self.del_app,
                    &self.del_subject,
                ],
            ));
        }
        if !self.app_tenant.is_empty() {
            v.push((
                SQL_UPSERT_APPS,
                vec![
                    &self.app_tenant,
                    &self.app_user,
                    &self.app_app,
                    &self.app_refused,
                ],
            ));
        }
        v
    }
}

consent_store_of_backend!(PgStore);

backend_by_inherent!(PgStore, {
    /// None: PostgreSQL has no cheap signal that another session committed.
    fn data_version(&mut self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }
    fn describe(&self) -> String {
        self.pool.url.clone()
    }
    fn another(&self) -> Result<Box<dyn Backend>, StoreError> {
        Ok(Box::new(self.clone()))
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://bob:s3cret@db.example:5432/consent"),
            "postgres://bob@db.example:5432/consent"
        );
        assert_eq!(
            redact_url("postgresql://bob@localhost/x?password=hunter2&sslmode=disable"),
            "postgresql://bob@localhost/x?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("host=/tmp user=bob password=pw dbname=x"),
            "host=/tmp user=bob password=*** dbname=x"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn an_unreachable_server_is_a_typed_error_naming_the_url() {
        // Port 1 on loopback: nothing listens there.
        let e = PgStore::open("postgres://bob:pw@127.0.0.1:1/db?connect_timeout=1").unwrap_err();
        assert!(matches!(e, StoreError::Unreachable { .. }), "{e}");
        let m = e.to_string();
        assert!(
            m.starts_with("database `postgres://bob@127.0.0.1:1/db"),
            "{m}"
        );
        assert!(!m.contains("pw"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn the_pooler_parameter_is_taken_out_of_the_url() {
        let t = |u: &str| pooler_param(u, "shown").unwrap();
        assert_eq!(t("postgres://h/db"), ("postgres://h/db".into(), false));
        assert_eq!(
            t("postgres://h:6432/db?pgbouncer=true"),
            ("postgres://h:6432/db".into(), true)
        );
        assert_eq!(
            t("postgres://a,b/db?target_session_attrs=read-write&pgbouncer=true&connect_timeout=2"),
            (
                "postgres://a,b/db?target_session_attrs=read-write&connect_timeout=2".into(),
                true
            )
        );
        assert_eq!(
            t("host=/tmp pgbouncer=true dbname=x"),
            ("host=/tmp dbname=x".into(), true)
        );
        assert!(!t("postgres://h/db?pgbouncer=false").1);
        let e = pooler_param("postgres://h/db?pgbouncer=yes", "shown").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad database url `shown`: `pgbouncer=yes`: true or false"
        );
        // Every statement the pooled mode sends unnamed has its parameter types.
        for sql in [
            SQL_STATES,
            SQL_STATE_ONE,
            SQL_LOG,
            SQL_RECEIPT_ONE,
            SQL_INSERT_EVENTS,
            SQL_UPSERT_STATE,
            SQL_DELETE_STATE,
            SQL_UPSERT_APPS,
            SQL_RECEIPTS,
            SQL_INSERT_RECEIPTS,
            SQL_LAST,
            SQL_KEYS,
        ] {
            let params = (1..=20).filter(|n| sql.contains(&format!("${n}"))).count();
            assert_eq!(param_types(sql).len(), params, "{sql}");
        }
    }

    #[test]
    fn a_bad_url_is_bad_input() {
        let e = PgStore::open("postgres://h:notaport/db").unwrap_err();
        assert!(matches!(e, StoreError::BadUrl { .. }), "{e}");
        assert!(e.is_bad_input());
    }
}
