//! The explorer on real projects: every finding code has a fixture that shows it (`CODE-yes`)
//! and one that must not (`CODE-no`); the classic example yields `no-retry-after-settings`, the
//! corrected one nothing; the tree of the classic flow is a snapshot.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{CODES, Config, Report, explore};
use miniperm_runtime::{Project, RunConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn explore_dir(dir: &Path, taps: &[&str]) -> Report {
    let project = Project::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut base = RunConfig::new(&project);
    base.taps = taps.iter().map(|s| s.to_string()).collect();
    let runner = RuntimeRunner {
        project,
        base,
        max_settings_combos: 8,
    };
    let cfg = Config {
        fixed: vec![],
        max_paths: 5_000,
        max_depth: 16,
        threads: 2,
        replay: format!(
            "miniperm run {} --tap {}",
            dir.display(),
            taps.join(" --tap ")
        ),
        progress: false,
    };
    explore(&runner, &cfg).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn codes(r: &Report) -> BTreeSet<String> {
    r.findings.iter().map(|f| f.code.clone()).collect()
}

fn fixture(name: &str) -> Report {
    let dir = root().join("crates/explore/tests/fixtures").join(name);
    let taps: &[&str] = if name == "prompt-on-launch-yes" {
        &[]
    } else {
        &["onTap"]
    };
    explore_dir(&dir, taps)
}

#[test]
fn every_code_has_a_fixture_that_shows_it_and_one_that_does_not() {
    for (code, _) in CODES {
        let yes = fixture(&format!("{code}-yes"));
        assert!(
            codes(&yes).contains(*code),
            "{code}-yes should show {code}, got {:?}",
            codes(&yes)
        );
        assert_eq!(
            codes(&yes),
            BTreeSet::from([code.to_string()]),
            "{code}-yes shows only its own code"
        );
        let no = fixture(&format!("{code}-no"));
        assert!(
            codes(&no).is_empty(),
            "{code}-no should be clean, got {:?}",
            no.findings
        );
    }
}

#[test]
fn classic_example_yields_no_retry_after_settings_with_a_replay_line() {
    let r = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "no-retry-after-settings")
        .expect("no-retry-after-settings");
    assert_eq!(
        f.answers,
        ["deny", "confirm", "settings:scope.userLocation=on"]
    );
    assert!(
        f.state.is_empty(),
        "the shortest witness starts fresh: {:?}",
        f.state
    );
    assert!(
        f.replay
            .ends_with("--answers 'deny,confirm,settings:scope.userLocation=on' --ephemeral"),
        "{}",
        f.replay
    );
    assert_eq!(f.rule, "R15");
    assert!(!r.truncated);
}

#[test]
fn corrected_example_yields_nothing() {
    let r = explore_dir(&root().join("examples/corrected"), &["onLocate"]);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn classic_tree_snapshot() {
    let r = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    insta::assert_snapshot!(r.text_tree());
}

#[test]
fn a_nag_loop_terminates_and_is_cut() {
    let r = fixture("nag-loop-yes");
    assert!(r.paths < 5_000, "bounded: {}", r.paths);
    let text = r.text_tree();
    assert!(text.contains("nag-loop"), "{text}");
}

#[test]
fn html_report_is_self_contained() {
    let r = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let html = miniperm_explore::html::render(&r, "examples/classic tap onLocate");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("no-retry-after-settings"));
    let without_xmlns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_xmlns.contains("http://") && !without_xmlns.contains("https://"),
        "no network"
    );
    assert!(!html.contains("<script"), "no scripts");
}

#[test]
fn same_project_same_report() {
    let a = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let b = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    assert_eq!(a.text_tree(), b.text_tree());
    assert_eq!(a.findings, b.findings);
}
