//! `miniperm pages PROJECT`, as a new user runs it on an app: which pages load clean, the first
//! error of the others with where it points, the exit codes, terminal-safe output.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::process::{Command, Output};

mod common;
use common::{example, fixture};

fn miniperm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_whole_app_loads_clean() {
    let o = miniperm(&["pages", &fixture("wholeapp")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "10 of 10 pages load clean\n");
    let o = miniperm(&["pages", &fixture("wholeapp"), "-v", "-j", "1"]);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("pkgA/pages/async/async ") && l.ends_with("  ok")),
        "{out}"
    );
    assert_eq!(out.lines().count(), 11, "{out}");
}

#[test]
fn broken_pages_are_named_with_their_first_error_and_where_it_points() {
    let o = miniperm(&["pages", &fixture("brokenapp")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with("pages/badwxml/badwxml  error  SyntaxError: syntax error in `pages/badwxml/badwxml.wxml` line 3, column 1:"), "{out}");
    assert!(
        lines[0].ends_with("(pages/badwxml/badwxml.wxml:3:1)"),
        "{out}"
    );
    assert!(lines[1].contains("(components/bad/bad.js:3:26)"), "{out}");
    // a JSON whose usingComponents names no component, the page's own or a component's
    assert!(lines[3].ends_with("(pages/ghost/ghost.json:3:5)"), "{out}");
    assert!(
        lines[4].ends_with("(components/holder/holder.json:4:5)"),
        "{out}"
    );
    assert_eq!(lines[5], "2 of 7 pages load clean");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("3 file(s) of the project have a syntax error"),
        "{err}"
    );
}

#[test]
fn bad_input_is_exit_2() {
    let o = miniperm(&["pages", "/nonexistent/project"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let o = miniperm(&["pages", &example("classic"), "-j", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn text_from_the_program_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("pages/x")).unwrap();
    std::fs::write(d.join("app.json"), r#"{"pages": ["pages/x/x"]}"#).unwrap();
    std::fs::write(
        d.join("pages/x/x.js"),
        "Page({ onLoad() { throw new Error('\\u001b[2Jgone\\rforged line\\u0007') } })\n",
    )
    .unwrap();
    let o = miniperm(&["pages", &d.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{7}'),
        "{out:?}"
    );
    assert!(out.contains("\\e[2Jgone\\rforged line"), "{out}");
}
