//! Disk full on SQLite (issue 12, "faults"): `miniperm serve` on a store whose filesystem fills
//! up mid-burst keeps running, refuses the decisions it cannot make durable (never acknowledged),
//! keeps serving reads, and takes writes again by itself once space is freed; afterwards every
//! acknowledged decision is in the log and state = fold(log).
//!
//! The filesystem is a small tmpfs mounted for the test, so it needs root (CI runs as root); as
//! another user, or where mounting is refused, the test prints why and skips.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use miniperm_core::{Scope, Subject, Value};
use miniperm_store::{ConsentKey, SqliteStore};

mod common;
use common::{call_json as call, spawn_serve};

/// A tmpfs of `kib` KiB, unmounted (and its folder removed) on drop.
struct Mount {
    dir: PathBuf,
}

impl Mount {
    fn new(kib: usize) -> Result<Mount, String> {
        use std::os::unix::fs::MetadataExt;
        if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            return Err("not root: cannot mount a small filesystem".into());
        }
        let dir = std::env::temp_dir().join(format!("miniperm-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(format!(
                "mount refused: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Mount { dir })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn serve(db: &Path) -> (Child, SocketAddr) {
    spawn_serve(
        Command::new(env!("CARGO_BIN_EXE_miniperm"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db),
    )
}

/// Asks `scope.camera` for user `u` and answers allow: Ok on 200, else the failing answer.
fn decide(addr: SocketAddr, u: usize) -> Result<(), (u16, serde_json::Value)> {
    let base = format!("/v1/apps/wxfull/users/u{u}");
    let (st, v) = call(
        addr,
        "POST",
        &format!("{base}/authorize"),
        r#"{"scope": "scope.camera"}"#,
    );
    if st != 202 {
        return Err((st, v));
    }
    let id = v["prompt"]["id"].as_str().unwrap_or("").to_string();
    match call(
        addr,
        "POST",
        &format!("/v1/prompts/{id}"),
        r#"{"answer": "allow"}"#,
    ) {
        (200, _) => Ok(()),
        other => Err(other),
    }
}

#[test]
fn a_full_disk_refuses_writes_keeps_reads_and_loses_nothing() {
    let mount = match Mount::new(384) {
        Ok(m) => m,
        Err(why) => {
            println!("SKIPPED a_full_disk_refuses_writes_keeps_reads_and_loses_nothing: {why}");
            return;
        }
    };
    let db = mount.dir.join("consent.sqlite");
    // Room to give back later: freeing it must let the service write again by itself.
    let filler = mount.dir.join("filler");
    std::fs::write(&filler, vec![0u8; 96 * 1024]).unwrap();
    let (mut child, addr) = serve(&db);

    let mut acked = Vec::new();
    let mut refused = Vec::new();
    let mut u = 0;
    while u < 5_000 && refused.len() < 5 {
        match decide(addr, u) {
            Ok(()) => acked.push(u),
            Err(e) => refused.push(e),
        }
        u += 1;
    }
    assert!(!acked.is_empty(), "no decision fit on the filesystem");
    assert!(
        !refused.is_empty(),
        "the filesystem never filled ({u} decisions)"
    );
    for (st, v) in &refused {
        assert!(matches!(st, 409 | 503), "{st} {v}");
        let m = v["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains("full"), "the error names the full disk: {v}");
    }
    // Reads still served, from what was acknowledged.
    let (st, v) = call(
        addr,
        "GET",
        &format!("/v1/apps/wxfull/users/u{}/setting", acked[0]),
        "",
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["authSetting"]["scope.camera"], true, "{v}");

    // Space comes back: the same service writes again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let again = (u..u + 5).find(|&n| decide(addr, n).is_ok());
    assert!(again.is_some(), "no write succeeded after space was freed");
    acked.extend(again);

    child.kill().unwrap();
    let _ = child.wait();
    // Check a copy on an ordinary filesystem (opening may write the WAL's recovery).
    let check = tempfile::tempdir().unwrap();
    for name in ["consent.sqlite", "consent.sqlite-wal"] {
        let from = mount.dir.join(name);
        if from.exists() {
            std::fs::copy(&from, check.path().join(name)).unwrap();
        }
    }
    let mut store = SqliteStore::open(check.path().join("consent.sqlite")).unwrap();
    store.verify().unwrap();
    for u in &acked {
        let log = store
            .log_in(ConsentKey {
                tenant: "dev",
                app: "wxfull",
                user: &format!("u{u}"),
            })
            .unwrap();
        assert!(
            log.iter()
                .any(|e| e.scope == Subject::Scope(Scope::Camera) && e.to == Value::Granted),
            "acknowledged decision of u{u} lost: {log:?}"
        );
    }
    println!(
        "disk full: {} acknowledged, {} refused, 0 lost",
        acked.len(),
        refused.len()
    );
}
