//! Tenants (turn 2): data keyed by (tenant, user, app); two tenants' logs never mix; a schema 1
//! file upgrades in place with its data as tenant `dev`; API keys are stored and revoked.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::{AppState, ConsentEvent, Scope, Subject, Value};
use miniperm_store::{
    APPLICATION_ID, ConsentKey, ConsentStore, KeyRow, SCHEMA_VERSION, SqliteStore,
};
use proptest::prelude::*;

mod common;

const TENANTS: [&str; 2] = ["dev", "acme"];

fn ev(user: &str, app: &str, scope: Scope, to: Value, at: i64) -> ConsentEvent {
    common::event(user, app, scope, to, at)
}

fn op() -> impl Strategy<Value = (usize, usize, Scope, Value)> {
    (
        0..TENANTS.len(),
        0..2usize,
        prop::sample::select(Scope::ALL.to_vec()),
        prop::sample::select(vec![Value::Unset, Value::Granted, Value::Denied]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever two tenants write to the same (user, app), grouped or not, each tenant's log is
    /// exactly its own events, in order, and its state is the fold of its own log.
    #[test]
    fn two_tenants_logs_never_mix(ops in prop::collection::vec(op(), 0..40), grouped in any::<bool>()) {
      for (name, mut s) in common::backends("two_tenants_logs_never_mix") {
        let mut want: Vec<Vec<(Scope, Value)>> = vec![Vec::new(); TENANTS.len()];
        let mut batches = Vec::new();
        for (i, (t, u, scope, to)) in ops.iter().enumerate() {
            let user = ["u1", "u2"][*u];
            if *u == 0 {
                want[*t].push((*scope, *to));
            }
            let e = ev(user, "wxsame", *scope, *to, i as i64);
            if grouped {
                batches.push((TENANTS[*t].to_string(), vec![e]));
            } else {
                s.update_in(ConsentKey { tenant: TENANTS[*t], app: "wxsame", user }, &mut |_| vec![e.clone()]).unwrap();
            }
        }
        if grouped {
            s.append_batches_in(batches).unwrap();
        }
        for (t, tenant) in TENANTS.iter().enumerate() {
            let log = s.log_in(ConsentKey { tenant, app: "wxsame", user: "u1" }).unwrap();
            let got: Vec<(Scope, Value)> = log
                .iter()
                .map(|e| match e.scope { Subject::Scope(sc) => (sc, e.to), _ => unreachable!() })
                .collect();
            prop_assert_eq!(&got, &want[t], "{}", name);
            prop_assert_eq!(s.state_in(ConsentKey { tenant, app: "wxsame", user: "u1" }).unwrap(), AppState::fold(&log), "{}", name);
        }
        let nobody = ConsentKey { tenant: "nobody", app: "wxsame", user: "u1" };
        prop_assert!(s.log_in(nobody).unwrap().is_empty());
      }
    }
}

#[test]
fn the_trait_acts_as_the_set_tenant() {
    for (name, mut s) in common::backends("the_trait_acts_as_the_set_tenant") {
        assert_eq!(s.tenant(), "dev", "{name}");
        s.append(vec![ev("u", "wx", Scope::Camera, Value::Denied, 1)])
            .unwrap();
        s.set_tenant("acme");
        assert!(s.log("u", "wx").unwrap().is_empty(), "{name}");
        assert_eq!(s.state("u", "wx").unwrap(), AppState::new(), "{name}");
        assert_eq!(
            s.log_in(ConsentKey {
                tenant: "dev",
                app: "wx",
                user: "u"
            })
            .unwrap()
            .len(),
            1,
            "{name}"
        );
        assert_eq!(s.pairs().unwrap(), Vec::<(String, String)>::new(), "{name}");
        s.set_tenant("dev");
        assert_eq!(s.pairs().unwrap(), [("u".to_string(), "wx".to_string())]);
        assert_eq!(s.verify().unwrap(), 1, "{name}");
    }
}

/// The schema 1 DDL, as miniperm 0.1 turn 1 wrote it.
const V1: &str =
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, user TEXT NOT NULL,
    app TEXT NOT NULL, channel TEXT NOT NULL, scope TEXT NOT NULL, from_state TEXT NOT NULL,
    to_state TEXT NOT NULL, via TEXT NOT NULL, gesture INTEGER NOT NULL, api TEXT, notice TEXT,
    profile TEXT NOT NULL, engine_version TEXT NOT NULL);
  CREATE INDEX events_by_app ON events (user, app, seq);
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END;
  CREATE TABLE state (user TEXT NOT NULL, app TEXT NOT NULL, subject TEXT NOT NULL,
    value TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (user, app, subject)) WITHOUT ROWID;
  CREATE TABLE apps (user TEXT NOT NULL, app TEXT NOT NULL, privacy_refused_at INTEGER,
    PRIMARY KEY (user, app)) WITHOUT ROWID;
  INSERT INTO events VALUES (1, 5, 'u', 'wx', 'release', 'scope.camera', 'unset', 'denied',
    'prompt', 1, NULL, NULL, 'wechat', '0.1.0');
  INSERT INTO state VALUES ('u', 'wx', 'scope.camera', 'denied', 1);
  INSERT INTO apps VALUES ('u', 'wx', NULL);";

#[test]
fn a_schema_1_file_upgrades_in_place_as_tenant_dev() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    make_v1(&path);
    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(s.log("u", "wx").unwrap().len(), 1);
    assert_eq!(
        s.state("u", "wx").unwrap().scope(Scope::Camera),
        Value::Denied
    );
    assert!(
        s.log_in(ConsentKey {
            tenant: "acme",
            app: "wx",
            user: "u"
        })
        .unwrap()
        .is_empty()
    );
    assert_eq!(s.manifest_in("dev", "wx").unwrap(), None);
    assert_eq!(s.verify().unwrap(), 1);
    let out = s
        .append(vec![ev("u", "wx", Scope::Camera, Value::Granted, 9)])
        .unwrap();
    assert_eq!(out[0].from, Value::Denied);
}

fn make_v1(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&format!(
        "{V1} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    ))
    .unwrap();
}

#[test]
fn keys_are_stored_listed_and_revoked() {
    for (name, mut s) in common::backends("keys_are_stored_listed_and_revoked") {
        let k = KeyRow {
            id: "k1".into(),
            tenant: "acme".into(),
            hash: "ab".repeat(32),
            created: 10,
            revoked: None,
        };
        s.insert_key(&k).unwrap();
        assert_eq!(s.keys().unwrap(), std::slice::from_ref(&k));
        assert!(s.revoke_key("k1", 20).unwrap());
        assert!(!s.revoke_key("k1", 30).unwrap());
        assert_eq!(s.keys().unwrap()[0].revoked, Some(20), "{name}");
    }
}

#[test]
fn schema_3_reads_the_log_through_the_tenant_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    make_v1(&path);
    drop(SqliteStore::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let indexes: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["events_by_tenant_app"]);
    let plan: String = c
        .query_row(
            "EXPLAIN QUERY PLAN SELECT seq FROM events WHERE tenant = 'dev' AND user = 'u' AND app = 'wx' ORDER BY seq",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("events_by_tenant_app"), "{plan}");
}
