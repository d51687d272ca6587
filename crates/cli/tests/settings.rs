//! `miniperm settings` and `miniperm scopes`, run as a user would.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("consent.sqlite")
    }

    /// `miniperm ARGS` with `MINIPERM_DB` pointing into this test's folder and no other
    /// way to reach the real data directory.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_miniperm"))
            .args(args)
            .env("MINIPERM_DB", self.db())
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{args:?}: stderr {:?}", out.stderr);
        String::from_utf8(out.stdout).unwrap()
    }

    /// `settings APPID [--user U] show --json`'s authSetting (the document's `authSetting`).
    fn auth(&self, args: &[&str]) -> serde_json::Value {
        let doc: serde_json::Value = serde_json::from_str(&self.ok(args)).unwrap();
        doc["authSetting"].clone()
    }
}

/// The db file and its -wal/-shm companions, byte for byte (None when missing).
fn snapshot(p: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::fs::read(format!("{}{s}", p.display())).ok())
        .collect()
}

/// Masks times (`2026-11-23 21:50:00.123Z`) and the temp folder for snapshots.
fn mask(s: &str, dir: &Path) -> String {
    let s = s.replace(&dir.display().to_string(), "[dir]");
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let is_time = b.len() >= i + 24
            && b[i + 4] == b'-'
            && b[i + 10] == b' '
            && b[i + 13] == b':'
            && b[i + 19] == b'.'
            && b[i + 23] == b'Z'
            && b[i..i + 4].iter().all(u8::is_ascii_digit);
        if is_time {
            out.push_str("[time]");
            out.extend(std::iter::repeat_n(' ', 24 - 6));
            i += 24;
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn done_when_set_show_log_clear() {
    let env = Env::new();
    env.ok(&["settings", "wxdemo", "set", "scope.userLocation=off"]);
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({"scope.userLocation": false})
    );
    let log = env.ok(&["settings", "wxdemo", "log"]);
    let line = log
        .lines()
        .find(|l| l.contains("scope.userLocation"))
        .unwrap();
    assert!(line.contains("develop"), "{line}");
    assert!(line.contains("unset → denied"), "{line}");
    assert!(line.contains("host"), "{line}");

    env.ok(&["settings", "wxdemo", "clear"]);
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({})
    );
    let log = env.ok(&["settings", "wxdemo", "log", "--json"]);
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "history kept: {log}");
    assert_eq!(events[0]["scope"], "scope.userLocation");
    assert_eq!(events[0]["to"], "denied");
    assert_eq!(events[0]["channel"], "develop");
    assert_eq!(events[1]["scope"], "*");
    assert_eq!(events[1]["via"], "reset");
}

#[test]
fn set_several_in_one_transaction_and_channels() {
    let env = Env::new();
    env.ok(&[
        "settings",
        "wxdemo",
        "--channel",
        "trial",
        "--user",
        "u1",
        "set",
        "scope.camera=on",
        "scope.werun=off",
        "scope.userLocationBackground=on",
    ]);
    let show = env.auth(&["settings", "wxdemo", "--user", "u1", "show", "--json"]);
    assert_eq!(
        show,
        serde_json::json!({"scope.userLocationBackground": true, "scope.camera": true, "scope.werun": false})
    );
    let log = env.ok(&["settings", "wxdemo", "log", "--json", "--user", "u1"]);
    let seqs: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(log.lines().all(|l| l.contains("\"channel\":\"trial\"")));
    // Another user sees nothing.
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({})
    );
    // A no-op set writes no event.
    let out = env.ok(&[
        "settings",
        "wxdemo",
        "--user",
        "u1",
        "set",
        "scope.camera=on",
    ]);
    assert!(out.contains("already on"), "{out}");
    assert_eq!(
        env.ok(&["settings", "wxdemo", "log", "--json", "--user", "u1"])
            .lines()
            .count(),
        3
    );
}

#[test]
fn remove_is_logged_and_history_kept() {
    let env = Env::new();
    env.ok(&["settings", "wxdemo", "set", "scope.record=on"]);
    env.ok(&["settings", "wxdemo", "remove"]);
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({})
    );
    let log = env.ok(&["settings", "wxdemo", "log", "--json"]);
    assert_eq!(log.lines().count(), 2);
    assert!(log.lines().nth(1).unwrap().contains("\"via\":\"remove\""));
}

#[test]
fn explain_and_scopes_json() {
    let env = Env::new();
    env.ok(&["settings", "wxdemo", "set", "scope.camera=off"]);
    let x: serde_json::Value =
        serde_json::from_str(&env.ok(&["settings", "wxdemo", "explain", "scope.camera", "--json"]))
            .unwrap();
    assert_eq!(x["state"], "denied");
    assert_eq!(x["events"].as_array().unwrap().len(), 1);
    assert!(x["summary"].as_str().unwrap().contains("auth deny"), "{x}");
    let human = env.ok(&["settings", "wxdemo", "explain", "scope.camera"]);
    assert!(human.starts_with("scope.camera: denied\n"), "{human}");

    let scopes: serde_json::Value = serde_json::from_str(&env.ok(&["scopes", "--json"])).unwrap();
    assert_eq!(scopes["schema_version"], 1);
    let names: Vec<&str> = scopes["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"scope.userLocation"));
    assert_eq!(names.len(), miniperm_core::Scope::COUNT);
    let human = env.ok(&["scopes"]);
    assert_eq!(human.lines().count(), miniperm_core::Scope::COUNT + 1);
}

#[test]
fn reads_create_nothing() {
    let env = Env::new();
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({})
    );
    assert_eq!(env.ok(&["settings", "wxdemo", "log", "--json"]), "");
    assert!(!env.db().exists());
}

#[test]
fn db_flag_beats_env_and_default_is_in_the_data_dir() {
    let env = Env::new();
    let other = env.dir.path().join("a/b/other.sqlite");
    env.ok(&[
        "settings",
        "wxdemo",
        "--db",
        other.to_str().unwrap(),
        "set",
        "scope.camera=on",
    ]);
    assert!(other.exists(), "parent folders created");
    assert!(!env.db().exists());

    let out = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(["settings", "wxdemo", "set", "scope.camera=on"])
        .env_remove("MINIPERM_DB")
        .env("HOME", env.dir.path().join("home"))
        .env("XDG_DATA_HOME", env.dir.path().join("xdg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(env.dir.path().join("xdg/miniperm/consent.sqlite").exists());

    let out = env.run(&[
        "settings",
        "wxdemo",
        "--ephemeral",
        "set",
        "scope.camera=on",
    ]);
    assert!(out.status.success());
    assert!(!env.db().exists(), "--ephemeral writes nothing");
}

/// Each bad input: one line on stderr naming the input, exit code 2, the store untouched.
#[test]
fn bad_input_is_one_line_exit_2_and_leaves_the_store_alone() {
    let env = Env::new();
    env.ok(&["settings", "wxdemo", "set", "scope.userLocation=off"]);
    let db = env.db();
    let not_db = env.dir.path().join("notes.txt");
    std::fs::write(&not_db, "just text\n").unwrap();
    let foreign = env.dir.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let newer = env.dir.path().join("newer.sqlite");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 99; CREATE TABLE events (seq);",
            miniperm_store::APPLICATION_ID
        ))
        .unwrap();
    let folder = env.dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let p = |p: &Path| p.to_str().unwrap().to_string();

    let cases: Vec<(Vec<String>, &Path, &str)> = vec![
        (
            vec!["set".into(), "scope.nope=on".into()],
            &db,
            "unknown scope `scope.nope`",
        ),
        (
            vec![
                "set".into(),
                "scope.camera=on".into(),
                "scope.nope=off".into(),
            ],
            &db,
            "`scope.nope`",
        ),
        (
            vec!["set".into(), "scope.camera".into()],
            &db,
            "malformed setting `scope.camera`",
        ),
        (
            vec!["set".into(), "scope.camera=maybe".into()],
            &db,
            "`scope.camera=maybe`",
        ),
        (
            vec!["explain".into(), "scope.nope".into()],
            &db,
            "unknown scope `scope.nope`",
        ),
        (
            vec!["--channel".into(), "beta".into(), "clear".into()],
            &db,
            "`beta`",
        ),
        (
            vec![
                "--db".into(),
                p(&not_db),
                "set".into(),
                "scope.camera=on".into(),
            ],
            &not_db,
            "not a miniperm database",
        ),
        (
            vec!["--db".into(), p(&not_db), "log".into()],
            &not_db,
            "not a miniperm database",
        ),
        (
            vec!["--db".into(), p(&foreign), "clear".into()],
            &foreign,
            "not a miniperm database",
        ),
        (
            vec!["--db".into(), p(&newer), "show".into()],
            &newer,
            "newer than this miniperm supports",
        ),
        (
            vec![
                "--db".into(),
                p(&folder),
                "set".into(),
                "scope.camera=on".into(),
            ],
            &folder,
            "is a directory",
        ),
    ];
    for (args, file, want) in cases {
        let before = snapshot(file);
        let mut full = vec!["settings".to_string(), "wxdemo".to_string()];
        full.extend(args.iter().cloned());
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let out = env.run(&full);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", out.stdout);
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err:?}");
        assert!(err.starts_with("miniperm: "), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err} lacks {want}");
        assert_eq!(
            snapshot(file),
            before,
            "{args:?}: {} untouched",
            file.display()
        );
    }
    // And the real store still says what it said.
    assert_eq!(
        env.auth(&["settings", "wxdemo", "show", "--json"]),
        serde_json::json!({"scope.userLocation": false})
    );
    assert_eq!(
        env.ok(&["settings", "wxdemo", "log", "--json"])
            .lines()
            .count(),
        1
    );
}

#[test]
fn store_io_failure_is_exit_3() {
    let env = Env::new();
    let file = env.dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let db = file.join("sub/consent.sqlite");
    let out = env.run(&["settings", "wxdemo", "--db", db.to_str().unwrap(), "clear"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("miniperm: cannot create `"), "{err}");
}

#[test]
fn usage_errors_are_one_line_exit_2() {
    let env = Env::new();
    for args in [
        vec!["settings"],
        vec!["settings", "wxdemo", "--bogus"],
        vec!["settings", "wxdemo", "set"],
        vec!["settings", "wxdemo", "--db", "x", "--ephemeral", "show"],
        vec!["nosuch"],
    ] {
        let out = env.run(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(err.starts_with("miniperm: "), "{args:?}: {err}");
    }
    let help = env.ok(&["--help"]);
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(help.contains("3  the consent store"), "{help}");
}

#[test]
fn human_output_snapshots() {
    let env = Env::new();
    let dir = env.dir.path();
    insta::assert_snapshot!(
        "show_empty",
        mask(&env.ok(&["settings", "wxdemo", "show"]), dir)
    );
    env.ok(&[
        "settings",
        "wxdemo",
        "set",
        "scope.userLocation=off",
        "scope.camera=on",
    ]);
    env.ok(&[
        "settings",
        "wxdemo",
        "--channel",
        "release",
        "set",
        "scope.userLocation=on",
    ]);
    insta::assert_snapshot!("show", mask(&env.ok(&["settings", "wxdemo", "show"]), dir));
    env.ok(&["settings", "wxdemo", "clear"]);
    insta::assert_snapshot!("log", mask(&env.ok(&["settings", "wxdemo", "log"]), dir));
}
