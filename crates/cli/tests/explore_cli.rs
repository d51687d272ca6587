//! `miniperm explore` end to end: the classic example's finding, its replay line reproduced by
//! `miniperm run`, the JSON document, the HTML report, `--strict` / `--deny`, bad input.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::process::{Command, Output};

mod common;
use common::root;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_miniperm"));
    c.current_dir(root());
    c.env_remove("MINIPERM_DB");
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn classic_tree_finding_and_replay() {
    let o = bin()
        .args(["explore", "examples/classic", "--tap", "onLocate"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("start fresh"), "{text}");
    assert!(text.contains("no-retry-after-settings"), "{text}");
    let replay = text
        .lines()
        .find(|l| l.contains("replay:") && l.contains("settings:scope.userLocation=on"))
        .expect("a replay line")
        .split("replay: ")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(
        replay.starts_with("miniperm run examples/classic --tap onLocate"),
        "{replay}"
    );
    // The replay line, run as printed (with --json), shows the defect: settings switched on,
    // and no getLocation or authorize afterwards.
    // Read as a shell would (the line is shell-quoted).
    let words: Vec<String> = shlex::split(&replay)
        .expect("a well-quoted line")
        .into_iter()
        .skip(1)
        .collect();
    let o = bin().args(&words).arg("--json").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at = events
        .iter()
        .position(|e| e["type"] == "answer" && e["answer"] == "settings:scope.userLocation=on")
        .expect("the settings answer");
    assert!(
        !events[at..]
            .iter()
            .any(|e| e["type"] == "call" && (e["api"] == "getLocation" || e["api"] == "authorize")),
        "no retry after settings"
    );
}

#[test]
fn json_document_and_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--json",
            "--html",
        ])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(doc["paths"].as_u64().unwrap() > 10);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "no-retry-after-settings")
        .unwrap();
    for key in ["code", "message", "answers", "state", "replay", "rule"] {
        assert!(f.get(key).is_some(), "finding has `{key}`");
    }
    assert!(doc["tree"].is_array());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<details") && page.contains("no-retry-after-settings"));
}

#[test]
fn strict_and_deny_make_findings_fail() {
    let cases: [(&[&str], i32, &str); 4] = [
        (&["examples/classic", "--strict"], 1, "classic has findings"),
        (
            &["examples/classic", "--deny", "nag-loop"],
            0,
            "no nag-loop in classic",
        ),
        (
            &["examples/classic", "--deny", "no-retry-after-settings"],
            1,
            "classic's defect",
        ),
        (&["examples/corrected", "--strict"], 0, "corrected is clean"),
    ];
    for (args, code, why) in cases {
        let o = bin()
            .arg("explore")
            .args(args)
            .args(["--tap", "onLocate"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(code), "{why}: {}", stdout(&o));
    }
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for args in [
        vec!["explore", "examples/classic", "--deny", "no-such-code"],
        vec!["explore", "examples/nope"],
        vec![
            "explore",
            "examples/classic",
            "--state",
            "scope.nope=denied",
        ],
        vec!["explore", "examples/classic", "--max-paths", "0"],
    ] {
        let o = bin().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("miniperm: "), "{err}");
    }
}

#[test]
fn all_explores_every_tap_handler() {
    let o = bin()
        .args(["explore", "examples/album", "--all", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // the entries are the rendered page's tappable elements (the settings button is hidden
    // until a denial, so it is not an entry)
    let entries: Vec<&str> = v["tree"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["entry"].as_str())
        .collect();
    assert_eq!(entries, vec!["page pages/index/index tap text=保存到相册"]);
}

/// A page that shows nothing tappable at first: `--all` takes its entries from the WXML as
/// written, every form of tap binding included (issue 22: `capture-catch:tap` was missed).
#[test]
fn all_finds_every_form_of_tap_binding() {
    let o = bin()
        .args([
            "explore",
            "crates/runtime/tests/fixtures/tapforms",
            "--all",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let entries: Vec<&str> = v["tree"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["entry"].as_str())
        .collect();
    let want: Vec<String> = [
        "onBindtap",
        "onCatchtap",
        "onBindColon",
        "onCatchColon",
        "onMutBind",
        "onCaptureBind",
        "onCaptureCatch",
    ]
    .iter()
    .map(|h| format!("page pages/index/index tap {h}"))
    .collect();
    assert_eq!(entries, want);
}

#[test]
fn base_lib_reaches_the_runs_and_the_replay_line() {
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--base-lib",
            "2.30.0",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let replay = text
        .lines()
        .find(|l| l.contains("replay:"))
        .expect("a replay line");
    assert!(replay.contains(" --base-lib 2.30.0"), "{replay}");
}

#[test]
fn render_puts_the_final_page_on_every_leaf() {
    let render = root()
        .join("crates/runtime/tests/fixtures/render")
        .display()
        .to_string();
    let o = bin()
        .args([
            "explore",
            &render,
            "--tap",
            "text=开启定位",
            "--render",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // the allowed path shows the stores, the denied one the settings button
    assert!(text.contains("1. 珠江新城店"), "{text}");
    assert!(
        text.contains("button.primary [open-type=openSetting]"),
        "{text}"
    );
}

#[test]
fn text_from_the_program_never_reaches_the_terminal_raw() {
    // A modal title with ESC sequences, a toast with CR, an error with BEL, in every text form
    // a terminal shows: the findings, the tree, the summary.
    let fixture = "crates/explore/tests/fixtures/hostile-text";
    for mode in ["--tree", "--summary"] {
        let o = bin()
            .args(["explore", fixture, "--tap", "onTap", mode])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        let raw: Vec<char> = out
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(
            raw.is_empty(),
            "{mode}: raw control characters {raw:?} in:\n{out}"
        );
        assert!(out.contains("uncaught-error"), "{out}");
        assert!(out.contains("\\u{7}") || out.contains("\\e"), "{out}");
    }
    let o = bin()
        .args(["explore", fixture, "--tap", "onTap", "--tree"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.contains("\\e[2J\\e[Hcleared"),
        "the modal title, escaped: {out}"
    );
    assert!(out.contains("ok\\e[31mred"), "the toast, escaped: {out}");
}
