//! Receipts (issue 21): a keyed request's answer is stored in the transaction of its decision,
//! and a second commit under the same key writes nothing, on SQLite and PostgreSQL alike.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::{Scope, Value};
use miniperm_store::{Batch, Committed, Receipt, StoredReceipt};

mod common;

fn receipt(key: &str, user: &str, body: &str) -> Receipt {
    Receipt {
        key: key.into(),
        fingerprint: format!("answer deny {user}"),
        user: user.into(),
        app: "wxr".into(),
        status: 200,
        body: body.into(),
        at: 42,
    }
}

fn batch(tenant: &str, user: &str, to: Value, r: Option<Receipt>) -> Batch {
    Batch {
        tenant: tenant.into(),
        events: vec![common::event(user, "wxr", Scope::Camera, to, 5)],
        receipt: r,
    }
}

#[test]
fn a_receipt_is_stored_with_its_events_and_a_second_commit_writes_nothing() {
    for (name, mut s) in common::backends("receipts_second_commit_writes_nothing") {
        let r = receipt(
            "prompt:p_1",
            "u1",
            r#"{"errMsg":"authorize:fail auth deny"}"#,
        );
        let (_, out) = s
            .append_receipted(vec![
                batch("acme", "u0", Value::Granted, None),
                batch("acme", "u1", Value::Denied, Some(r.clone())),
            ])
            .unwrap();
        let Committed::Appended(events) = &out[1] else {
            panic!("{name}: {out:?}")
        };
        let seq = events[0].seq;
        let want = StoredReceipt {
            receipt: r.clone(),
            seqs: Some((seq, seq)),
        };
        assert_eq!(
            s.receipt_in("acme", "prompt:p_1").unwrap(),
            Some(want.clone())
        );
        assert_eq!(s.receipt_in("other", "prompt:p_1").unwrap(), None, "{name}");
        assert_eq!(s.receipt_in("acme", "prompt:p_2").unwrap(), None, "{name}");

        // The same key again (a retry that did not know the first committed), with an event
        // that would change the state: nothing is written, the first receipt comes back.
        let mut again = receipt("prompt:p_1", "u1", "other body");
        again.fingerprint = "answer allow u1".into();
        let (_, out) = s
            .append_receipted(vec![
                batch("acme", "u1", Value::Granted, Some(again)),
                batch("acme", "u2", Value::Granted, None),
            ])
            .unwrap();
        assert_eq!(out[0], Committed::Duplicate(want), "{name}");
        assert!(matches!(&out[1], Committed::Appended(e) if e.len() == 1));
        s.set_tenant("acme");
        let log = s.log("u1", "wxr").unwrap();
        assert_eq!(log.len(), 1, "{name}: {log:?}");
        assert_eq!(
            s.state("u1", "wxr").unwrap().scope(Scope::Camera),
            Value::Denied
        );
        s.verify().unwrap();
    }
}

#[test]
fn the_same_key_twice_in_one_commit_is_stored_once() {
    for (name, mut s) in common::backends("receipts_same_key_in_one_commit") {
        let first = receipt("key:k1", "u", "first");
        let (_, out) = s
            .append_receipted(vec![
                batch("t", "u", Value::Denied, Some(first.clone())),
                batch(
                    "t",
                    "u",
                    Value::Granted,
                    Some(receipt("key:k1", "u", "second")),
                ),
                // Another tenant's key of the same name is its own.
                batch(
                    "t2",
                    "u",
                    Value::Granted,
                    Some(receipt("key:k1", "u", "t2")),
                ),
            ])
            .unwrap();
        let Committed::Appended(events) = &out[0] else {
            panic!("{name}: {out:?}")
        };
        let seq = events[0].seq;
        assert_eq!(
            out[1],
            Committed::Duplicate(StoredReceipt {
                receipt: first,
                seqs: Some((seq, seq)),
            }),
            "{name}"
        );
        assert!(matches!(&out[2], Committed::Appended(e) if e.len() == 1));
        s.set_tenant("t");
        assert_eq!(s.log("u", "wxr").unwrap().len(), 1, "{name}");
        assert_eq!(
            s.receipt_in("t2", "key:k1").unwrap().unwrap().receipt.body,
            "t2"
        );
    }
}

#[test]
fn a_receipt_without_events_is_stored_and_receipts_are_never_changed() {
    for (name, mut s) in common::backends("receipts_without_events") {
        let r = receipt("key:read", "u", r#"{"errMsg":"authorize:ok"}"#);
        let (_, out) = s
            .append_receipted(vec![Batch {
                tenant: "t".into(),
                events: vec![],
                receipt: Some(r.clone()),
            }])
            .unwrap();
        assert_eq!(out, vec![Committed::Appended(vec![])], "{name}");
        assert_eq!(
            s.receipt_in("t", "key:read").unwrap(),
            Some(StoredReceipt {
                receipt: r,
                seqs: None
            })
        );
        assert_eq!(s.last_seq().unwrap(), 0, "{name}: no event");
    }
    // The table refuses UPDATE and DELETE, like the log.
    let dir = tempfile::tempdir().unwrap();
    for (name, target) in common::targets("receipts_never_changed", dir.path()) {
        let mut s = common::open(&target);
        let (_, out) = s
            .append_receipted(vec![batch(
                "t",
                "u",
                Value::Denied,
                Some(receipt("key:x", "u", "b")),
            )])
            .unwrap();
        assert!(matches!(&out[0], Committed::Appended(e) if e.len() == 1));
        drop(s);
        for sql in [
            "UPDATE receipts SET body = 'forged'",
            "DELETE FROM receipts",
        ] {
            let refused = match &target {
                miniperm_store::Target::Sqlite(p) => rusqlite::Connection::open(p)
                    .unwrap()
                    .execute(sql, [])
                    .is_err(),
                miniperm_store::Target::Postgres(u) => miniperm_store::PgStore::open(u)
                    .unwrap()
                    .execute_raw(sql)
                    .is_err(),
            };
            assert!(refused, "{name}: {sql} was allowed");
        }
        let mut s = common::open(&target);
        assert_eq!(
            s.receipt_in("t", "key:x").unwrap().unwrap().receipt.body,
            "b"
        );
    }
}
