//! The crate graph ARCHITECTURE.md promises (issue 22), read from cargo itself: the runtime and
//! the explorer build without SQLite, PostgreSQL or an async runtime.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// The workspace root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// cargo, as `cargo test` runs us (`CARGO`), in the workspace root.
fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The names of every package `package` builds with (normal dependencies, transitively, with
/// the features this package alone enables: what `cargo build -p PACKAGE` compiles).
fn normal_closure(package: &str) -> BTreeSet<String> {
    let tree = cargo(&["tree", "-p", package, "-e", "normal", "--prefix", "none"]);
    tree.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Crates only the durable stores and the service need.
const HEAVY: [&str; 4] = ["rusqlite", "libsqlite3-sys", "tokio-postgres", "tokio"];

#[test]
fn runtime_and_explore_build_without_sql_or_async() {
    for package in ["miniperm-runtime", "miniperm-explore"] {
        let closure = normal_closure(package);
        assert!(
            closure.contains("miniperm-consent") && closure.contains("miniperm-core"),
            "{package}: {closure:?}"
        );
        let heavy: Vec<&str> = HEAVY.into_iter().filter(|h| closure.contains(*h)).collect();
        assert!(
            heavy.is_empty(),
            "{package} builds with {heavy:?}: it needs only the consent-store contract and the \
             in-memory store (miniperm-consent), not miniperm-store"
        );
    }
}
