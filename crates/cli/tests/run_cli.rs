//! `miniperm run`, as a user runs it: the README's done-when path, the persistent store, exit
//! codes 0/1/2, JSON Lines, NO_COLOR.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{example, fixture};

fn miniperm(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(args)
        .env("MINIPERM_DB", dir.join("consent.sqlite"))
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn done_when_deny_is_remembered_and_clear_brings_the_prompt_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let o = miniperm(
        d,
        &[
            "run",
            &classic,
            "--tap",
            "onLocate",
            "--answers",
            "deny,confirm,settings:scope.userLocation=on",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    for needle in [
        "ui  authorize scope.userLocation",
        "← deny",
        "callback authorize fail {\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}",
        "ui  modal \"提示\"",
        "ui  settings [scope.userLocation=off]",
        "callback openSetting success {\"authSetting\":{\"scope.userLocation\":true},\"errMsg\":\"openSetting:ok\"}",
        "■ end idle",
    ] {
        assert!(t.contains(needle), "missing `{needle}` in\n{t}");
    }
    assert!(
        !t.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );

    // the second run on the same store: no prompt at all (the settings page granted it)
    let o = miniperm(d, &["run", &classic, "--tap", "onLocate"]);
    let t = stdout(&o);
    assert!(!t.contains("ui  "), "{t}");
    assert!(t.contains("callback getLocation success"), "{t}");

    // a plain denial survives to the next run; `settings clear` brings the prompt back
    let o = miniperm(
        d,
        &["settings", "wxdemo0001", "set", "scope.userLocation=off"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = miniperm(
        d,
        &["run", &classic, "--tap", "onLocate", "--answers", "cancel"],
    );
    let t = stdout(&o);
    assert!(!t.contains("ui  authorize"), "{t}");
    assert!(t.contains("authorize:fail auth deny"), "{t}");
    let o = miniperm(d, &["settings", "wxdemo0001", "clear"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = miniperm(d, &["run", &classic, "--tap", "onLocate"]);
    let t = stdout(&o);
    assert!(t.contains("ui  authorize scope.userLocation"), "{t}");
    assert!(t.contains("■ end awaiting-answer (authorize)"), "{t}");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn json_lines_follow_the_transcript_table() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &example("classic"),
            "--ephemeral",
            "--json",
            "--tap",
            "onLocate",
            "--answers",
            "deny,cancel",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types[0], "launch");
    assert_eq!(lines[0]["appid"], "wxdemo0001");
    assert!(types.contains(&"navigate"));
    let ui = lines.iter().find(|l| l["type"] == "ui").unwrap();
    assert_eq!(ui["ui"], "authorize");
    assert_eq!(ui["scope"], "scope.userLocation");
    let answer = lines.iter().find(|l| l["type"] == "answer").unwrap();
    assert_eq!(answer["answer"], "deny");
    let end = lines.last().unwrap();
    assert_eq!(end["type"], "end");
    assert_eq!(end["reason"], "idle");
}

#[test]
fn os_denied_and_state_flags() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &example("classic"),
            "--ephemeral",
            "--system",
            "location=denied",
            "--state",
            "scope.userLocation=granted",
            "--tap",
            "onLocate",
            "--profile",
            "wechat-android",
        ],
    );
    let t = stdout(&o);
    assert!(
        t.contains("getLocation:fail:system permission denied"),
        "{t}{}",
        stderr(&o)
    );
    assert!(t.contains("profile wechat-android"));
}

#[test]
fn base_lib_flag_decides_what_wx_has() {
    let dir = tempfile::tempdir().unwrap();
    let run = |base: &str| {
        let o = miniperm(
            dir.path(),
            &[
                "run",
                &fixture("wxtable"),
                "--ephemeral",
                "--tap",
                "presence",
                "--base-lib",
                base,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    assert!(run("2.19.0").contains("undefined undefined function"));
    assert!(run("2.32.3").contains("function function function"));
}

#[test]
fn location_flag_takes_negative_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &example("classic"),
            "--ephemeral",
            "--location",
            "-33.86,151.21",
            "--tap",
            "onLocate",
            "--answers",
            "allow",
        ],
    );
    assert!(
        stdout(&o).contains("\"latitude\":-33.86,\"longitude\":151.21"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn an_uncaught_error_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &fixture("limits"),
            "--ephemeral",
            "--tap",
            "boom",
            "--tap",
            "alive",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let t = stdout(&o);
    assert!(t.contains("error TypeError"), "{t}");
    assert!(t.contains("still alive"), "{t}");
    assert!(t.contains("■ end error"), "{t}");
}

#[test]
fn a_syntax_error_fails_the_page_that_needs_it_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(dir.path(), &["run", &fixture("syntax"), "--ephemeral"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains("error SyntaxError: syntax error in `pages/index/index.js` line 5, column 15:"),
        "{t}"
    );
    assert!(t.contains("■ end error"), "{t}");
}

#[test]
fn bad_input_creates_no_store() {
    // Exit 2 means nothing was written, and nothing created either.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new/dir/c.db");
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &example("classic"),
            "--tap",
            "nope",
            "--db",
            &db.to_string_lossy(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!dir.path().join("new").exists(), "{}", stderr(&o));
    // The same run with a real tap writes and creates it.
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &example("classic"),
            "--tap",
            "onLocate",
            "--answers",
            "allow",
            "--db",
            &db.to_string_lossy(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(db.exists());
}

#[test]
fn a_runaway_dispatch_ends_with_limit() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &fixture("limits"),
            "--ephemeral",
            "--tap",
            "spin",
            "--timeout-ms",
            "50",
        ],
    );
    assert!(stdout(&o).contains("■ end limit"), "{}", stdout(&o));
}

fn bad(args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(dir.path(), args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with("miniperm: "), "{e}");
    assert!(e.contains(needle), "{args:?}: {e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let classic = example("classic");
    bad(&["run", "/nonexistent/project"], "no app.json");
    bad(
        &["run", &classic, "--ephemeral", "--answers", "deny,maybe"],
        "malformed answer `maybe`",
    );
    bad(
        &["run", &classic, "--ephemeral", "--base-lib", "2.x"],
        "malformed base library `2.x` (expected MAJOR.MINOR.PATCH like 2.32.3)",
    );
    bad(
        &["explore", &classic, "--base-lib", "3"],
        "malformed base library `3`",
    );
    bad(
        &["run", &classic, "--ephemeral", "--page", "pages/nope/nope"],
        "page `pages/nope/nope` is not in app.json",
    );
    bad(
        &[
            "run",
            &classic,
            "--ephemeral",
            "--state",
            "scope.nope=denied",
        ],
        "unknown scope `scope.nope`",
    );
    bad(
        &[
            "run",
            &classic,
            "--ephemeral",
            "--state",
            "scope.userLocation=maybe",
        ],
        "malformed state",
    );
    bad(
        &[
            "run",
            &classic,
            "--ephemeral",
            "--system",
            "teleport=denied",
        ],
        "teleport",
    );
    bad(
        &["run", &classic, "--ephemeral", "--location", "north"],
        "malformed location `north`",
    );
    bad(
        &["run", &classic, "--ephemeral", "--tap", "onNope"],
        "no method `onNope`",
    );
    bad(
        &[
            "run",
            &classic,
            "--ephemeral",
            "--tap",
            "onLocate",
            "--answers",
            "confirm",
        ],
        "answer `confirm` does not fit the authorize prompt for `scope.userLocation`",
    );
    // After the deny was stored, the same kind of mistake is no longer "nothing was written"
    // (issue 9): the transcript is printed and the run ends `bad-input`, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &classic,
            "--ephemeral",
            "--tap",
            "onLocate",
            "--answers",
            "deny,confirm,settings:scope.camera=on",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("answer `settings:scope.camera=on`"));
    assert!(stdout(&o).trim_end().ends_with("■ end bad-input"));
}

#[test]
fn the_same_command_prints_the_same_bytes() {
    let truth = fixture("truth");
    let args = |seed: &'static str, now: &'static str| {
        vec![
            "run",
            "PROJECT",
            "--tap",
            "onRandom",
            "--ephemeral",
            "--seed",
            seed,
            "--now",
            now,
        ]
    };
    let go = |seed, now| {
        let dir = tempfile::tempdir().unwrap();
        let mut a = args(seed, now);
        a[1] = truth.as_str();
        let o = miniperm(dir.path(), &a);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let first = go("1", "2026-03-01T08:00:00+08:00");
    assert_eq!(first, go("1", "2026-03-01T08:00:00+08:00"));
    assert!(String::from_utf8_lossy(&first).contains("2026-03-01T00:00:00.000Z"));
    assert_ne!(first, go("2", "2026-03-01T08:00:00+08:00"));
    assert_eq!(go("1", "1772323200000"), first);
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(
        dir.path(),
        &["run", &truth, "--ephemeral", "--now", "yesterday"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("malformed time `yesterday`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn render_prints_the_outline_and_selectors_tap_what_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let render = fixture("render");
    let o = miniperm(
        dir.path(),
        &[
            "run",
            &render,
            "--ephemeral",
            "--render",
            "--tap",
            "text=开启定位",
            "--tap",
            "text=去设置",
            "--answers",
            "deny,settings:scope.userLocation=on",
        ],
    );
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("  render pages/index/index\n    view.page"),
        "{out}"
    );
    assert!(
        out.contains("button.primary [open-type=openSetting]"),
        "{out}"
    );
    // a hidden element is bad input that names the selector and what can be tapped
    let o = miniperm(
        dir.path(),
        &["run", &render, "--ephemeral", "--tap", "text=去设置"],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("`text=去设置`") && e.contains("tappable: text=开启定位"),
        "{e}"
    );
    // --json carries the tree
    let o = miniperm(
        dir.path(),
        &["run", &render, "--ephemeral", "--render", "--json"],
    );
    let line = stdout(&o)
        .lines()
        .find(|l| l.contains("\"type\":\"render\""))
        .map(str::to_string)
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["route"], "pages/index/index");
    assert_eq!(v["tree"][0]["tag"], "view");
}

#[test]
fn usage_errors_name_what_is_missing_and_suggest() {
    bad(&["settings"], "not provided: <APPID>");
    bad(&["rn"], "a similar subcommand exists: `run`");
    bad(
        &["run", "examples/classic", "--answer", "allow"],
        "a similar argument exists: `--answers`",
    );
    bad(
        &["run", "examples/classic", "--profile", "foo"],
        "[possible values: wechat, wechat-android]",
    );
}
