//! What only the PostgreSQL store has to show: the append-only guard as a trigger, foreign and
//! newer schemas refused untouched, unknown values as typed errors, and reconnection after the
//! server restarts. (The shared contract runs on both stores in the other test files.)
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::{ConsentEvent, Scope, Value};
use miniperm_store::{ConsentStore, PG_SCHEMA_VERSION, PgStore, StoreError, testpg};

mod common;

fn ev(to: Value) -> ConsentEvent {
    let mut e = common::event("u", "wxdemo", Scope::Camera, to, 1);
    e.notice = Some("for the photo".into());
    e
}

#[test]
fn the_log_is_append_only() {
    let Some(url) = testpg::fresh_url("the_log_is_append_only") else {
        return;
    };
    let mut s = PgStore::open(&url).unwrap();
    s.append(vec![ev(Value::Denied)]).unwrap();
    for sql in [
        "UPDATE events SET via = 'host'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let e = s.execute_raw(sql).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(s.log("u", "wxdemo").unwrap().len(), 1);
}

#[test]
fn newer_and_foreign_schemas_are_refused_untouched() {
    let Some(url) = testpg::fresh_url("newer_and_foreign_schemas_are_refused_untouched") else {
        return;
    };
    let s = PgStore::open(&url).unwrap();
    assert_eq!(s.schema_version().unwrap(), PG_SCHEMA_VERSION);
    s.execute_raw(&format!(
        "INSERT INTO miniperm_migrations (version) VALUES ({})",
        PG_SCHEMA_VERSION + 1
    ))
    .unwrap();
    drop(s);
    let e = PgStore::open(&url).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found, .. } if found == PG_SCHEMA_VERSION + 1),
        "{e}"
    );
    assert!(e.is_bad_input());
    assert!(
        e.to_string().contains("newer than this miniperm supports"),
        "{e}"
    );

    // Another program's `events` table in a schema no miniperm store has opened yet, made
    // through a store on a schema of its own.
    let (Some(base), Some(helper)) = (
        testpg::fresh_url("newer_and_foreign_schemas_are_refused_untouched"),
        testpg::fresh_url("newer_and_foreign_schemas_are_refused_untouched"),
    ) else {
        return;
    };
    let raw = PgStore::open(&helper).unwrap();
    let schema = base.rsplit("%3D").next().unwrap().to_string();
    raw.execute_raw(&format!(
        "CREATE TABLE {schema}.events (body TEXT); INSERT INTO {schema}.events VALUES ('hi');"
    ))
    .unwrap();
    let e = PgStore::open(&base).unwrap_err();
    assert!(matches!(e, StoreError::Foreign { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("without miniperm's migrations table"),
        "{e}"
    );
    raw.execute_raw(&format!(
        "SELECT count(*) FROM {schema}.events; DO $$ BEGIN
           IF to_regclass('{schema}.miniperm_migrations') IS NOT NULL THEN
             RAISE EXCEPTION 'touched';
           END IF; END $$;"
    ))
    .unwrap();
}

#[test]
fn unknown_values_are_typed_errors() {
    let Some(url) = testpg::fresh_url("unknown_values_are_typed_errors") else {
        return;
    };
    let mut s = PgStore::open(&url).unwrap();
    s.append(vec![ev(Value::Denied)]).unwrap();
    s.execute_raw(
        "ALTER TABLE events DISABLE TRIGGER events_no_change;
         UPDATE events SET via = 'teleport';
         INSERT INTO apps VALUES ('dev', 'u', 'b', NULL);
         INSERT INTO state VALUES ('dev', 'u', 'b', 'scope.nope', 'granted', 1);",
    )
    .unwrap();
    let e = s.log("u", "wxdemo").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown via `teleport` in the events table (row seq 1)"
    );
    let e = s.state("u", "b").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown subject `scope.nope` in the state table (row u/b)"
    );
}

/// The server restarts (fast shutdown: every connection is cut): the store reconnects by
/// itself and keeps every acknowledged event. Needs the PostgreSQL binaries (its own cluster).
#[test]
fn the_store_reconnects_after_a_server_restart() {
    let Some(_) = testpg::fresh_url("the_store_reconnects_after_a_server_restart") else {
        return;
    };
    let cluster = match testpg::Cluster::init(false) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("SKIPPED the_store_reconnects_after_a_server_restart: {why}");
            return;
        }
    };
    cluster.stop_when_this_process_ends().unwrap();
    cluster.start().unwrap();
    let mut s = PgStore::open(&cluster.url()).unwrap();
    let first = s.append(vec![ev(Value::Denied)]).unwrap();
    cluster.stop("fast").unwrap();
    // Down: a write fails with the typed error (after bounded retries), nothing half-written.
    let e = s.append(vec![ev(Value::Granted)]).unwrap_err();
    assert!(e.is_unreachable(), "{e}");
    cluster.start().unwrap();
    let again = s.append(vec![ev(Value::Granted)]).unwrap();
    assert_eq!(
        again[0].seq,
        first[0].seq + 1,
        "the failed write left nothing"
    );
    let log = s.log("u", "wxdemo").unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(s.verify().unwrap(), 1);
    cluster.stop("fast").unwrap();
}

/// `pgbouncer=true` (a pooler in transaction mode in front): no statement is prepared, every
/// one goes unnamed with its types, and the whole contract still holds. Against the server
/// directly here; through a real PgBouncer in `.ci/failover.sh`.
#[test]
fn unnamed_statements_for_a_pooler_keep_the_contract() {
    use miniperm_store::{Batch, Committed, ConsentKey, KeyRow, Receipt};
    let Some(url) = testpg::fresh_url("unnamed_statements_for_a_pooler") else {
        return;
    };
    let mut s = PgStore::open(&format!("{url}&pgbouncer=true")).unwrap();
    assert_eq!(s.schema_version().unwrap(), PG_SCHEMA_VERSION);
    s.append(vec![ev(Value::Denied)]).unwrap();
    let (state, out) = s
        .update_in(
            ConsentKey {
                tenant: "dev",
                app: "wxdemo",
                user: "u",
            },
            &mut |_| vec![ev(Value::Granted)],
        )
        .unwrap();
    assert_eq!(state.scope(Scope::Camera), Value::Denied);
    assert_eq!(out[0].seq, 2);
    let receipt = Receipt {
        key: "prompt:p_1".into(),
        fingerprint: "deny".into(),
        user: "u".into(),
        app: "wxdemo".into(),
        status: 200,
        body: "{}".into(),
        at: 3,
    };
    let batch = Batch {
        tenant: "dev".into(),
        events: vec![ev(Value::Denied)],
        receipt: Some(receipt.clone()),
    };
    let (_, out) = s.append_receipted(vec![batch.clone()]).unwrap();
    assert!(matches!(&out[0], Committed::Appended(e) if e[0].seq == 3));
    let (_, out) = s.append_receipted(vec![batch]).unwrap();
    assert!(matches!(&out[0], Committed::Duplicate(r) if r.receipt == receipt));
    assert_eq!(
        s.receipt_in("dev", "prompt:p_1").unwrap().unwrap().seqs,
        Some((3, 3))
    );
    assert_eq!(s.log("u", "wxdemo").unwrap().len(), 3);
    assert_eq!(
        s.state("u", "wxdemo").unwrap().scope(Scope::Camera),
        Value::Denied
    );
    s.put_manifest_in("dev", "wxdemo", "{}", 1).unwrap();
    assert_eq!(
        s.manifest_in("dev", "wxdemo").unwrap().as_deref(),
        Some("{}")
    );
    s.insert_key(&KeyRow {
        id: "key_1".into(),
        tenant: "dev".into(),
        hash: "h".into(),
        created: 1,
        revoked: None,
    })
    .unwrap();
    assert!(s.revoke_key("key_1", 2).unwrap());
    assert_eq!(s.keys().unwrap()[0].revoked, Some(2));
    assert_eq!(s.last_seq().unwrap(), 3);
    assert_eq!(s.verify().unwrap(), 1);
    // Nothing was prepared on the server.
    s.execute_raw(
        "DO $$ BEGIN IF (SELECT count(*) FROM pg_prepared_statements) > 0 THEN
             RAISE EXCEPTION 'a statement was prepared'; END IF; END $$",
    )
    .unwrap();
}
