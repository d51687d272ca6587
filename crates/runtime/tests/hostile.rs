//! Issue 9: hostile mini-program code stays contained. One project per case of the issue's
//! "Why"; each test asserts the bound it promises, measured with `Instant` (no sleeps): the run
//! ends within 3× its deadline, and what the host keeps for the run stays under the memory cap.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use miniperm_runtime::{EndReason, Event, Project, RunOutcome};

const DEADLINE_MS: u64 = 500;

/// Timed tests run one at a time: on a loaded 2-core machine, tests of this file running in
/// parallel would measure each other.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn hostile(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile")
        .join(name)
}

/// Runs one tap of the flood project with a 500 ms deadline and `mb` MiB of memory; returns the
/// outcome and the wall time the run took.
fn flood(tap: &str, mb: usize) -> (RunOutcome, Duration) {
    flood_within(tap, mb, DEADLINE_MS)
}

fn flood_within(tap: &str, mb: usize, deadline_ms: u64) -> (RunOutcome, Duration) {
    let _one = serial();
    let project = Project::load(&hostile("flood")).unwrap();
    let t = Instant::now();
    let o = run_with(&project, &[tap], "", |c| {
        c.limits.dispatch_ms = deadline_ms;
        c.limits.memory_bytes = mb * 1024 * 1024;
    });
    (o, t.elapsed())
}

fn limit_message(o: &RunOutcome) -> String {
    o.events
        .iter()
        .find_map(|e| match e {
            Event::Warning { code, message, .. } if code == "limit" => Some(message.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Bytes of the transcript's events as JSON: what the host keeps for the run.
fn transcript_bytes(o: &RunOutcome) -> usize {
    o.events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap().len())
        .sum()
}

fn within(elapsed: Duration, factor: u64) {
    assert!(
        elapsed < Duration::from_millis(DEADLINE_MS * factor),
        "took {elapsed:?}, more than {factor}× the {DEADLINE_MS} ms deadline"
    );
}

/// Loads a project on another thread; a load that does not return in 20 s ran project code.
fn load_promptly(name: &str) -> Result<Project, String> {
    let dir = hostile(name);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Project::load(&dir).map_err(|e| e.to_string()));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("loading the project hung: its code ran at load time")
}

#[test]
fn loading_a_project_never_runs_its_code() {
    // utils/spin.js loops at its top level; no page requires it at launch.
    let _one = serial();
    let t = Instant::now();
    let project = load_promptly("loadloop").unwrap();
    let o = run_with(&project, &["hello"], "", |c| {
        c.limits.dispatch_ms = DEADLINE_MS
    });
    assert_eq!(o.end, EndReason::Idle, "{}", transcript(&o));
    within(t.elapsed(), 3);
}

#[test]
fn a_file_that_closes_the_loaders_wrapper_is_a_syntax_error_never_run() {
    // `}); while (true) {} (function () {`: refused by the parser, and never evaluated (the
    // QuickJS check compiles without running: see `bytecode::check_script`'s unit test). The
    // project loads; requiring the file throws its syntax error.
    let p = load_promptly("escape").unwrap();
    let problems = p.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, "utils/evil.js");
    let _one = serial();
    let t = Instant::now();
    let o = run_with(&p, &["hello", "useEvil", "hello"], "", |_| {});
    within(t.elapsed(), 3);
    let t = transcript(&o);
    assert!(
        t.contains("SyntaxError: syntax error in `utils/evil.js` line "),
        "{t}"
    );
    assert_eq!(logs(&o), vec!["hello", "hello"], "{t}");
    assert_eq!(o.end, EndReason::Error, "{t}");
}

#[test]
fn a_required_file_that_loops_at_its_top_level_ends_with_limit() {
    let project = load_promptly("loadloop").unwrap();
    let _one = serial();
    let t = Instant::now();
    let o = run_with(&project, &["useSpin"], "", |c| {
        c.limits.dispatch_ms = DEADLINE_MS
    });
    eprintln!("useSpin: {:?} for a {DEADLINE_MS} ms deadline", t.elapsed());
    within(t.elapsed(), 3);
    assert_eq!(o.end, EndReason::Limit, "{}", transcript(&o));
}

#[test]
fn expensive_builtins_in_a_loop_stop_near_the_deadline() {
    for tap in ["scan", "scanCaught", "stringify"] {
        let (o, took) = flood(tap, 64);
        eprintln!("{tap}: {took:?} for a {DEADLINE_MS} ms deadline");
        assert_eq!(o.end, EndReason::Limit, "{tap}: {}", transcript(&o));
        within(took, 3);
    }
}

#[test]
fn set_data_floods_are_capped_by_the_memory_limit() {
    // A long deadline: the memory cap, not the clock, must end these.
    for tap in ["setDataFlood", "consoleFlood"] {
        let (o, took) = flood_within(tap, 16, 20_000);
        assert_eq!(o.end, EndReason::Limit, "{tap}: {}", transcript(&o));
        let msg = limit_message(&o);
        assert!(msg.contains("memory"), "{tap}: {msg}");
        assert!(
            transcript_bytes(&o) <= 16 * 1024 * 1024,
            "{tap}: the transcript holds {} bytes",
            transcript_bytes(&o)
        );
        eprintln!("{tap}: {took:?}, {} bytes kept", transcript_bytes(&o));
    }
    let (o, took) = flood("setDataLoop", 16);
    eprintln!(
        "setDataLoop: {took:?} for a {DEADLINE_MS} ms deadline, {}",
        limit_message(&o)
    );
    assert_eq!(o.end, EndReason::Limit, "{}", limit_message(&o));
    within(took, 3);
}

#[test]
fn a_memory_hit_in_a_promise_chain_ends_with_limit() {
    let (o, took) = flood("promiseHog", 16);
    eprintln!("promiseHog: {took:?} for a {DEADLINE_MS} ms deadline");
    assert_eq!(o.end, EndReason::Limit, "{}", transcript(&o));
    assert!(limit_message(&o).contains("memory"));
    within(took, 3);
}

#[test]
fn a_memory_hit_the_program_catches_still_ends_with_limit() {
    // The allocator, not QuickJS, refuses past the cap, and the host sees every refusal: a
    // later `.catch`, a `try`, or a timer's `try` swallowing the error changes nothing.
    for tap in ["promiseHogChained", "hogCaught", "hogCaughtInTimer"] {
        let (o, took) = flood(tap, 16);
        eprintln!("{tap}: {took:?} for a {DEADLINE_MS} ms deadline");
        assert_eq!(o.end, EndReason::Limit, "{tap}: {}", transcript(&o));
        assert_eq!(
            limit_message(&o),
            "the run went over its memory limit",
            "{tap}"
        );
        let said = logs(&o).join("|");
        assert!(
            !said.contains("caught") && !said.contains("carried on") && !said.contains("later"),
            "{tap}: the program ran on after the refusal: {said}"
        );
        within(took, 3);
    }
}

#[test]
fn an_app_json_symlinked_outside_the_project_is_refused() {
    let outside = tempdir();
    std::fs::write(
        outside.join("app.json"),
        r#"{ "pages": ["pages/index/index"] }"#,
    )
    .unwrap();
    let project = tempdir();
    std::fs::create_dir_all(project.join("pages/index")).unwrap();
    std::fs::write(project.join("pages/index/index.js"), "Page({})").unwrap();
    std::fs::write(project.join("app.js"), "App({})").unwrap();
    std::os::unix::fs::symlink(outside.join("app.json"), project.join("app.json")).unwrap();
    let e = Project::load(&project).unwrap_err();
    assert!(e.to_string().contains("app.json"), "{e}");
}

#[test]
fn control_characters_stay_escaped_in_human_output() {
    let o = run_with(
        &Project::load(&hostile("flood")).unwrap(),
        &["alive"],
        "",
        |_| {},
    );
    // Already handled on main (event.rs escape_controls); kept here so the suite covers it.
    let shown = transcript(&o);
    assert!(!shown.contains('\u{1b}'));
}

/// A fresh temporary folder (removed when the test process ends is not needed: under target/).
fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}
