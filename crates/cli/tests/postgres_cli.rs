//! `--database-url`: `settings` and `keys` on PostgreSQL as on SQLite, and an unreachable
//! database at start is one clear line naming the URL without its password, exit 3.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::process::{Command, Output};

use miniperm_store::testpg;

fn miniperm(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(args)
        // Nothing may fall back to a file store.
        .env("MINIPERM_DB", dir.path().join("never.sqlite"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = miniperm(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn settings_and_keys_on_postgres() {
    let Some(url) = testpg::fresh_url("settings_and_keys_on_postgres") else {
        return;
    };
    let u = url.as_str();
    ok(&[
        "settings",
        "wxpg",
        "--database-url",
        u,
        "set",
        "scope.camera=on",
        "scope.record=off",
    ]);
    let shown = ok(&["settings", "wxpg", "--database-url", u, "show", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["authSetting"]["scope.camera"], true, "{shown}");
    assert_eq!(v["authSetting"]["scope.record"], false, "{shown}");
    ok(&["settings", "wxpg", "--database-url", u, "clear"]);
    let log = ok(&["settings", "wxpg", "--database-url", u, "log"]);
    assert_eq!(
        log.lines().filter(|l| l.contains("scope.")).count(),
        2,
        "{log}"
    );
    assert!(log.contains("reset"), "{log}");

    let created = ok(&["keys", "create", "acme", "--database-url", u]);
    assert!(
        created.lines().last().unwrap().starts_with("mpk_"),
        "{created}"
    );
    let listed = ok(&["keys", "list", "--database-url", u]);
    assert!(
        listed.contains("acme") && listed.contains("active"),
        "{listed}"
    );
}

#[test]
fn database_url_conflicts_with_db() {
    let out = miniperm(&[
        "settings",
        "wx",
        "--db",
        "x.sqlite",
        "--database-url",
        "postgres://h/db",
        "show",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// Nothing listens on port 1: `settings` and `serve` end with exit 3 and one line that names
/// the URL without its password.
#[test]
fn an_unreachable_database_is_exit_3_with_one_line() {
    let url = "postgres://miniperm:s3cret@127.0.0.1:1/consent?connect_timeout=1";
    for args in [
        vec!["settings", "wx", "--database-url", url, "show"],
        vec!["serve", "--listen", "127.0.0.1:0", "--database-url", url],
    ] {
        let out = miniperm(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(
                "miniperm: database `postgres://miniperm@127.0.0.1:1/consent?connect_timeout=1` is unreachable:"
            ),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
}
