//! A read-only SQLite file still serves reads: `miniperm serve` on a store its user cannot
//! write answers getSetting and settled authorize calls from it, and a decision that needs a
//! write is refused (409, the database's message), never acknowledged. Run as root, the service
//! runs as `nobody` (root writes through file modes).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

mod common;
use common::{call_json as call, spawn_serve};

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn a_read_only_store_serves_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("consent.sqlite");
    let bin = env!("CARGO_BIN_EXE_miniperm");
    let out = Command::new(bin)
        .args(["settings", "wxro", "--user", "alice", "--db"])
        .arg(&db)
        .args(["set", "scope.camera=on"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let root = is_root();
    // As root the service runs as `nobody`, who may not reach the build folder (a clone under
    // /root): it runs a copy of the binary from the test's own folder.
    let copy = dir.path().join("miniperm");
    let bin = if root {
        std::fs::copy(bin, &copy).unwrap();
        copy.to_str().unwrap()
    } else {
        bin
    };
    if root {
        let st = Command::new("chown")
            .arg("-R")
            .arg("nobody:nogroup")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success());
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();

    let mut cmd = Command::new(bin);
    if root {
        // The service itself runs as nobody (not under `runuser`, whose kill would leave the
        // service running): std's `uid`/`gid` drop privileges between fork and exec.
        use std::os::unix::process::CommandExt;
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, "nobody"]).output().unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        cmd.gid(id("-g")).uid(id("-u"));
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db);
    let (mut child, addr) = spawn_serve(&mut cmd);
    let base = "/v1/apps/wxro/users/alice";
    let (st, v) = call(addr, "GET", &format!("{base}/setting"), "");
    let (st2, v2) = call(
        addr,
        "POST",
        &format!("{base}/authorize"),
        r#"{"scope": "scope.camera"}"#,
    );
    let (st3, v3) = call(
        addr,
        "POST",
        &format!("{base}/authorize"),
        r#"{"scope": "scope.record"}"#,
    );
    let id = v3["prompt"]["id"].as_str().unwrap_or("").to_string();
    let (st4, v4) = call(
        addr,
        "POST",
        &format!("/v1/prompts/{id}"),
        r#"{"answer": "allow"}"#,
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["authSetting"]["scope.camera"], true, "{v}");
    assert_eq!((st2, &v2["errMsg"]), (200, &"authorize:ok".into()), "{v2}");
    assert_eq!(st3, 202, "{v3}");
    assert_eq!(st4, 409, "{v4}");
    let m = v4["error"]["message"].as_str().unwrap();
    assert!(m.contains("readonly database"), "{m}");
}
