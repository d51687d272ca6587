//! What a run observes of its consent state (issue 19): the facts the explorer branches on.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;
use common::*;
use miniperm_core::{OsPermission, Scope, Subject, Value};
use miniperm_runtime::{Observed, RunOutcome};

fn observed(o: &RunOutcome) -> Vec<(Subject, Value, Observed)> {
    let mut v: Vec<_> = o
        .observations
        .iter()
        .map(|x| (x.subject, x.value, x.how))
        .collect();
    v.dedup();
    v
}

fn tap(h: &str, answers: &str, start: &[(Subject, Value)]) -> RunOutcome {
    run_with(&fixture("observe"), &[h], answers, |c| {
        c.initial = start.to_vec();
    })
}

const UL: Subject = Subject::Scope(Scope::UserLocation);
const CAM: Subject = Subject::Scope(Scope::Camera);

#[test]
fn reading_one_key_observes_that_scope_and_nothing_else() {
    let o = tap("readOne", "", &[]);
    assert_eq!(observed(&o), vec![(UL, Value::Unset, Observed::Read)]);
    let o = tap("readOne", "", &[(UL, Value::Denied), (CAM, Value::Granted)]);
    assert_eq!(observed(&o), vec![(UL, Value::Denied, Observed::Read)]);
}

#[test]
fn reading_the_whole_object_observes_every_key_it_holds() {
    assert!(observed(&tap("readAll", "", &[])).is_empty());
    let o = tap("readAll", "", &[(UL, Value::Denied), (CAM, Value::Granted)]);
    let mut got = observed(&o);
    got.sort();
    assert_eq!(
        got,
        vec![
            (UL, Value::Denied, Observed::Read),
            (CAM, Value::Granted, Observed::Read)
        ]
    );
}

#[test]
fn the_transcript_and_logging_are_not_reads() {
    // the callback event serializes the result, console.log prints it: neither branches
    let o = tap("logAll", "", &[(UL, Value::Denied)]);
    assert!(observed(&o).is_empty(), "{:?}", observed(&o));
}

#[test]
fn in_and_promises_observe_too() {
    let o = tap("readAwait", "", &[]);
    assert_eq!(observed(&o), vec![(CAM, Value::Unset, Observed::Read)]);
    assert!(logs(&o).contains(&"camera never asked".to_string()));
}

#[test]
fn a_decision_observes_what_it_consulted() {
    let o = tap("ask", "deny", &[]);
    assert_eq!(observed(&o)[0], (CAM, Value::Unset, Observed::Consulted));
    // getLocation with the scope granted consults the OS permission beneath it too
    let o = tap("locate", "", &[(UL, Value::Granted)]);
    let got = observed(&o);
    assert!(
        got.contains(&(UL, Value::Granted, Observed::Consulted)),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            Subject::Os(OsPermission::Location),
            Value::Granted,
            Observed::Consulted
        )),
        "{got:?}"
    );
    // a denied scope stops the pipeline: the OS permission is not consulted
    let o = tap("locate", "", &[(UL, Value::Denied)]);
    assert_eq!(observed(&o), vec![(UL, Value::Denied, Observed::Consulted)]);
}

#[test]
fn system_info_observes_only_the_permission_fields_read() {
    let o = tap("sys", "", &[]);
    assert_eq!(
        observed(&o),
        vec![(
            Subject::Os(OsPermission::Camera),
            Value::Granted,
            Observed::Read
        )]
    );
}

/// The warnings explore's `unhandled-fail` rests on are spelled once, in the runtime's
/// `warning` module: the prelude that raises them must use the same words.
#[test]
fn unhandled_failures_are_warned_with_the_runtimes_codes() {
    use miniperm_core::Fail;
    use miniperm_runtime::{Event, warning};
    let warned = |o: &RunOutcome| -> Vec<(String, Option<Fail>)> {
        o.events
            .iter()
            .filter_map(|e| match e {
                Event::Warning { code, failure, .. } => Some((code.clone(), *failure)),
                _ => None,
            })
            .collect()
    };
    let o = tap("askBare", "deny", &[]);
    assert_eq!(
        warned(&o),
        vec![(warning::UNHANDLED_FAIL.to_string(), Some(Fail::AuthDeny))],
        "{}",
        transcript(&o)
    );
    let o = tap("askAwait", "deny", &[]);
    let got = warned(&o);
    assert_eq!(got.len(), 1, "{}", transcript(&o));
    assert_eq!(got[0].0, warning::UNHANDLED_REJECTION, "{}", transcript(&o));
    assert!(got[0].1.is_some_and(Fail::is_denial), "{}", transcript(&o));
}
