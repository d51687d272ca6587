//! The explorer on real projects: every finding code has a fixture that shows it (`CODE-yes`)
//! and one that must not (`CODE-no`); the classic example yields `no-retry-after-settings`, the
//! corrected one nothing; the tree of the classic flow is a snapshot.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use miniperm_core::FindingCode;
use miniperm_explore::format::{Baseline, Meta};
use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::session::{EntryReport, Explored};
use miniperm_explore::{Config, ExploreError, Report, explore};
use miniperm_runtime::{Project, RunConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn explore_dir(dir: &Path, taps: &[&str]) -> Report {
    let project = Project::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut base = RunConfig::new(&project);
    base.taps = taps.iter().map(|s| s.to_string()).collect();
    let runner = RuntimeRunner::new(project, base, 8);
    let cfg = Config {
        product: None,
        fixed: vec![],
        max_paths: 5_000,
        max_depth: 16,
        threads: 2,
        replay: format!(
            "miniperm run {} --tap {}",
            dir.display(),
            taps.join(" --tap ")
        ),
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
    for code in FindingCode::ALL.iter().map(|c| c.as_str()) {
        let yes = fixture(&format!("{code}-yes"));
        assert!(
            codes(&yes).contains(code),
            "{code}-yes should show {code}, got {:?}",
            codes(&yes)
        );
        assert_eq!(
            codes(&yes),
            BTreeSet::from([code.to_string()]),
            "{code}-yes shows only its own code"
        );
        for f in &yes.findings {
            let l = f
                .location
                .as_ref()
                .unwrap_or_else(|| panic!("{code}: no location"));
            assert_eq!(l.file, "pages/index/index.js", "{code}");
            assert!(l.line > 1, "{code}: {l}");
        }
        let no = fixture(&format!("{code}-no"));
        assert!(
            codes(&no).is_empty(),
            "{code}-no should be clean, got {:?}",
            no.findings
        );
    }
}

/// The patterns of issue 10: each a `-yes` fixture that must show `code` (and nothing else) and
/// a `-no` twin that must be clean.
const PATTERNS: &[(&str, &str)] = &[
    ("opensetting-success-only", "opensetting-without-tap"),
    ("opensetting-after-await", "opensetting-without-tap"),
    ("silent-deny-complete-only", "silent-deny"),
    ("no-retry-choose-location", "no-retry-after-settings"),
    ("unset-soft-ask", "unset-treated-as-denied"),
    ("unset-race", "unset-treated-as-denied"),
    ("unhandled-fail-promise", "unhandled-fail"),
    ("unhandled-fail-recorder", "unhandled-fail"),
    ("getsetting-only", "no-retry-after-settings"),
];

#[test]
fn every_pattern_has_a_fixture_that_shows_it_and_one_that_does_not() {
    let mut wrong = Vec::new();
    for (pattern, code) in PATTERNS {
        let yes = fixture(&format!("{pattern}-yes"));
        if codes(&yes) != BTreeSet::from([code.to_string()]) {
            wrong.push(format!(
                "{pattern}-yes: want {{{code}}}, got {:?}",
                codes(&yes)
            ));
        }
        if yes.findings.iter().any(|f| f.location.is_none()) {
            wrong.push(format!("{pattern}-yes: a finding without location"));
        }
        let no = fixture(&format!("{pattern}-no"));
        if !codes(&no).is_empty() {
            wrong.push(format!("{pattern}-no: want none, got {:?}", no.findings));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_denied_recorder_and_an_allowed_one_end_apart() {
    let r = fixture("unhandled-fail-recorder-yes");
    let text = r.text_tree();
    let fresh = text.split("\n\n").next().unwrap_or("");
    assert!(fresh.contains("allow → ✓ RecorderManager.start"), "{text}");
    assert!(fresh.contains("deny → nothing granted"), "{text}");
    assert!(!fresh.contains("allow | deny"), "{text}");
    let f = &r.findings[0];
    let l = f.location.as_ref().expect("location");
    assert_eq!(
        (l.file.as_str(), l.line),
        ("pages/index/index.js", 10),
        "{l}"
    );
}

#[test]
fn a_tap_target_on_some_paths_only_ends_those_paths() {
    let dir = root().join("crates/explore/tests/fixtures/tap-some-paths-yes");
    let r = explore_dir(&dir, &["onTap", "onNext"]);
    let text = r.text_tree();
    assert!(text.contains("tap target not there"), "{text}");
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let dir = root().join("crates/explore/tests/fixtures/tap-some-paths-no");
    let r = explore_dir(&dir, &["onTap", "onNext"]);
    assert!(!r.text_tree().contains("tap target not there"));
}

#[test]
fn a_tap_target_no_path_has_is_bad_input() {
    let dir = root().join("crates/explore/tests/fixtures/tap-some-paths-yes");
    let project = Project::load(&dir).unwrap();
    let mut base = RunConfig::new(&project);
    base.taps = vec!["onTap".into(), "onNowhere".into()];
    let runner = RuntimeRunner::new(project, base, 8);
    let cfg = Config {
        product: None,
        fixed: vec![],
        max_paths: 100,
        max_depth: 16,
        threads: 1,
        replay: String::new(),
    };
    let e = explore(&runner, &cfg).unwrap_err();
    assert!(matches!(e, ExploreError::BadInput(_)), "{e}");
}

#[test]
fn a_scope_only_read_through_get_setting_is_explored_granted_and_denied() {
    let r = fixture("getsetting-only-yes");
    assert!(
        r.starts
            .iter()
            .any(|s| s == "scope.writePhotosAlbum=denied"),
        "{:?}",
        r.starts
    );
    assert!(
        r.starts
            .iter()
            .any(|s| s == "scope.writePhotosAlbum=granted"),
        "{:?}",
        r.starts
    );
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

fn explored(label: &str, report: Report) -> Explored {
    Explored {
        entries: vec![EntryReport {
            label: label.into(),
            report,
        }],
        not_started: 0,
        duration: std::time::Duration::from_millis(1500),
    }
}

fn meta() -> Meta {
    Meta {
        command: "miniperm explore examples/classic --tap onLocate".into(),
        project: "examples/classic".into(),
        version: "0.1.0".into(),
    }
}

#[test]
fn html_report_is_self_contained_and_links_findings_to_paths() {
    let r = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let html =
        miniperm_explore::html::render(&explored("tap onLocate", r), &meta(), &Baseline::default());
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("no-retry-after-settings"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    assert!(!html.contains(" src="), "nothing loaded");
    // finding 1 links to its path and the path back to it
    assert!(html.contains("href=\"#p0\""), "to the path");
    assert!(html.contains("id=\"p0\""), "the path");
    assert!(html.contains("href=\"#f0\""), "back to the finding");
    assert!(html.contains("complete: every path ran"));
    assert!(html.contains("transcript of this path"));
    assert!(
        html.contains("▸ tap pages/index/index onLocate"),
        "the transcript is embedded"
    );
    assert!(html.contains("pages/index/index.js:"), "the location");
}

#[test]
fn streamed_json_is_the_json_document_byte_for_byte() {
    let r = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let ex = explored("tap onLocate", r);
    let doc = miniperm_explore::format::json_doc(&ex, &meta(), &Baseline::default());
    let mut streamed = Vec::new();
    miniperm_explore::format::write_json(&ex, &meta(), &Baseline::default(), &mut streamed)
        .unwrap();
    let expected = format!("{}\n", serde_json::to_string_pretty(&doc).unwrap());
    assert_eq!(String::from_utf8(streamed).unwrap(), expected);
}

#[test]
fn same_project_same_report() {
    let a = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    let b = explore_dir(&root().join("examples/classic"), &["onLocate"]);
    assert_eq!(a.text_tree(), b.text_tree());
    assert_eq!(a.findings, b.findings);
}

#[test]
fn a_long_tree_prints_as_a_summary_after_the_findings() {
    use miniperm_explore::format::{self, TreeMode};
    use miniperm_explore::session::{self, Entry, Plan, ReplayArgs};
    let dir = root().join("crates/explore/tests/fixtures/seven-scopes");
    let project = Project::load(&dir).unwrap();
    let base = RunConfig::new(&project);
    let plan = Plan {
        project,
        base,
        entries: vec![Entry {
            page: None,
            taps: vec!["onStart".into()],
        }],
        fixed: vec![],
        max_paths: 300,
        max_depth: 16,
        max_settings_combos: 8,
        threads: 2,
        replay: ReplayArgs {
            project: "seven-scopes".into(),
            ..ReplayArgs::default()
        },
    };
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let ex = session::run(&plan, &|p| {
        assert!(p.done <= p.budget);
        seen.fetch_max(p.done, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(ex.paths(), 300);
    assert!(ex.truncated());
    assert_eq!(seen.into_inner(), 300, "progress saw every path");
    let text = format::text(&ex, &Baseline::default(), TreeMode::Auto);
    assert!(text.starts_with("findings (2):"), "{text}");
    assert!(text.contains("the outcome tree has"), "{text}");
    assert!(text.contains("cut by --max-paths"), "{text}");
    assert!(text.lines().count() <= 40, "fits a screen:\n{text}");
    let tree = format::text(&ex, &Baseline::default(), TreeMode::Tree);
    assert!(tree.lines().count() > 60);
}

/// A settings page's switches vary only over rows something reads afterwards, or the row the
/// page is about (issue 19): three prompts in a row, each denial sent to a settings page that
/// lists every scope asked so far, give 4 answers a step (allow; deny then cancel; deny, confirm
/// and leave; deny, confirm and switch it on), not every combination of the page's rows.
#[test]
fn settings_pages_flip_only_the_rows_that_matter() {
    let dir = root().join("crates/explore/tests/fixtures/settings-flips");
    let project = Project::load(&dir).unwrap();
    let mut base = RunConfig::new(&project);
    base.taps = vec!["onTap".into()];
    let runner = RuntimeRunner::new(project, base, 8);
    let unset = ["scope.camera", "scope.record", "scope.writePhotosAlbum"]
        .map(|s| {
            (
                miniperm_core::Subject::Scope(miniperm_core::Scope::parse(s).unwrap()),
                miniperm_core::Value::Unset,
            )
        })
        .to_vec();
    let cfg = Config {
        fixed: unset,
        threads: 1,
        ..Config::default()
    };
    let r = explore(&runner, &cfg).unwrap();
    assert_eq!(r.paths, 4 * 4 * 4);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    // the witness of a switch: a path that turned the record row on at its own page
    assert!(
        r.text_tree().contains("settings:scope.record=on"),
        "{}",
        r.text_tree()
    );
    assert!(
        !r.text_tree().contains("=on;"),
        "no page flips a second row:\n{}",
        r.text_tree()
    );
}

/// Two workers give the report one worker gives, path for path: answers handed to an idle
/// worker are run once (they were once carried by every run below the branch and run again).
#[test]
fn two_workers_explore_each_path_once() {
    let dir = root().join("crates/explore/tests/fixtures/settings-flips");
    let project = Project::load(&dir).unwrap();
    let mut base = RunConfig::new(&project);
    base.taps = vec!["onTap".into()];
    base.stamp = || 0;
    let runner = RuntimeRunner::new(project, base, 8);
    let report = |threads| {
        let cfg = Config {
            threads,
            replay: "miniperm run".into(),
            ..Config::default()
        };
        let r = explore(&runner, &cfg).unwrap();
        (r.paths, serde_json::to_string(&r).unwrap())
    };
    let one = report(1);
    for _ in 0..4 {
        assert_eq!(report(2), one);
    }
}
