//! Issue 9, honest ends: a run that has already stored consent never exits 2 ("bad input,
//! nothing is written"); it prints its transcript and ends `bad-input` with exit 1.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::example;

#[test]
fn a_bad_answer_after_consent_was_stored_exits_1_with_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("consent.sqlite");
    let o = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(["run", &example("classic"), "--tap", "onLocate"])
        .args(["--answers", "deny,allow", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("← deny"), "{out}");
    assert!(out.contains("bad-input"), "{out}");
    assert!(out.trim_end().ends_with("■ end bad-input"), "{out}");
    // The deny is in the store, as the transcript says.
    let log = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(["settings", "wxdemo0001", "log", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("\"denied\""), "{log}");
}

#[test]
fn a_bad_answer_before_anything_was_stored_is_still_exit_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(["run", &example("classic"), "--tap", "onLocate"])
        .args(["--answers", "confirm", "--ephemeral"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

fn explore(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .arg("explore")
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn explore_strict_fails_on_a_cut_search_and_says_so() {
    let classic = example("classic");
    let (code, err) = explore(&[
        &classic,
        "--tap",
        "onLocate",
        "--max-paths",
        "2",
        "--strict",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cut by --max-paths"), "{err}");
    // Without --strict a cut search is reported, not failed.
    let (code, _) = explore(&[&classic, "--tap", "onLocate", "--max-paths", "2"]);
    assert_eq!(code, Some(0));
}

#[test]
fn explore_strict_fails_on_a_path_that_ends_in_a_limit() {
    let flood = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/tests/fixtures/hostile/flood")
        .display()
        .to_string();
    let (code, err) = explore(&[&flood, "--tap", "scan", "--timeout-ms", "200", "--strict"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("ended in a limit"), "{err}");
}

fn flood() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/tests/fixtures/hostile/flood")
        .display()
        .to_string()
}

#[test]
fn a_memory_hit_the_program_catches_ends_in_the_memory_limit_not_idle() {
    // A later `.catch` of the promise chain, or a `try`, swallows the out-of-memory error: the
    // run still ends with the memory limit, and exits as every limit does (1).
    for tap in ["promiseHogChained", "hogCaught"] {
        let o = Command::new(env!("CARGO_BIN_EXE_miniperm"))
            .args([
                "run",
                &flood(),
                "--tap",
                tap,
                "--memory-mb",
                "16",
                "--ephemeral",
            ])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{tap}: {out}");
        assert!(
            out.contains("the run went over its memory limit"),
            "{tap}: {out}"
        );
        assert!(out.trim_end().ends_with("■ end limit"), "{tap}: {out}");
        assert!(
            !out.contains("caught") && !out.contains("carried on"),
            "{tap}: {out}"
        );
    }
}
