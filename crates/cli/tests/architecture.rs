//! The crate graph ARCHITECTURE.md promises (issue 22), read from cargo itself: the workspace's
//! internal dependency edges are exactly the ones its "Dependency edges" paragraph lists, its
//! crate map names every crate, and the runtime and the explorer build without SQLite,
//! PostgreSQL or an async runtime. Within each crate, no two modules import each other, directly
//! or around a loop (`scripts/module-cycles.py` over every crate's `src`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

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

/// An edge `from → to` between workspace crates, by their short names (`cli`, `core`).
type Edge = (String, String);

/// `cargo metadata` of the workspace's own packages.
fn metadata() -> Json {
    serde_json::from_str(&cargo(&[
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]))
    .unwrap()
}

/// The workspace's crates (short names: `miniperm-` taken off) and their direct dependencies on
/// each other, normal and build-time (dev-dependencies are the tests' and benches' business).
fn workspace_edges() -> (BTreeSet<String>, BTreeSet<Edge>) {
    let meta = metadata();
    let short = |name: &str| name.strip_prefix("miniperm-").map(str::to_string);
    let packages = meta["packages"].as_array().unwrap();
    let crates: BTreeSet<String> = packages
        .iter()
        .map(|p| short(p["name"].as_str().unwrap()).unwrap())
        .collect();
    let mut edges = BTreeSet::new();
    for p in packages {
        let from = short(p["name"].as_str().unwrap()).unwrap();
        for d in p["dependencies"].as_array().unwrap() {
            let Some(to) = short(d["name"].as_str().unwrap()) else {
                continue;
            };
            if crates.contains(&to) && d["kind"].as_str() != Some("dev") {
                edges.insert((from.clone(), to));
            }
        }
    }
    (crates, edges)
}

/// ARCHITECTURE.md.
fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap()
}

/// The edges ARCHITECTURE.md's "Dependency edges" paragraph lists: every backquoted chain
/// `a → b → c` in it is the edges `a → b` and `b → c`.
fn documented_edges(doc: &str) -> Vec<Edge> {
    let start = doc
        .find("\nDependency edges")
        .expect("ARCHITECTURE.md has a paragraph starting `Dependency edges`");
    let para = &doc[start + 1..];
    let para = &para[..para.find("\n\n").unwrap_or(para.len())];
    let mut edges = Vec::new();
    for (i, span) in para.split('`').enumerate() {
        if i % 2 == 0 || !span.contains('→') {
            continue;
        }
        let names: Vec<&str> = span.split('→').map(str::trim).collect();
        for pair in names.windows(2) {
            edges.push((pair[0].to_string(), pair[1].to_string()));
        }
    }
    edges
}

#[test]
fn the_crate_graph_is_the_one_architecture_md_lists() {
    let (crates, actual) = workspace_edges();
    let doc = architecture();
    let listed = documented_edges(&doc);
    let mut documented = BTreeSet::new();
    for (from, to) in &listed {
        for name in [from, to] {
            assert!(
                crates.contains(name),
                "ARCHITECTURE.md lists an edge of `{name}`, which is no crate of the workspace \
                 ({crates:?})"
            );
        }
        assert!(
            documented.insert((from.clone(), to.clone())),
            "ARCHITECTURE.md lists `{from} → {to}` twice"
        );
    }
    let missing: Vec<String> = actual
        .difference(&documented)
        .map(|(a, b)| format!("{a} → {b}"))
        .collect();
    let stale: Vec<String> = documented
        .difference(&actual)
        .map(|(a, b)| format!("{a} → {b}"))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the crate graph and ARCHITECTURE.md's \"Dependency edges\" differ:\n  in the manifests, \
         not in the paragraph: {missing:?}\n  in the paragraph, not in the manifests: {stale:?}\n\
         Change the dependency or the paragraph (it is the architecture's one list of edges)."
    );
    // Cycles are impossible in cargo's graph; the documented one says who may use whom.
    assert!(
        !actual.iter().any(|(_, to)| to == "cli"),
        "nothing depends on cli"
    );
}

#[test]
fn the_crate_map_names_every_crate() {
    let (crates, _) = workspace_edges();
    let doc = architecture();
    let mapped: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split_once("/ "))
        .map(|(name, _)| name.to_string())
        .filter(|n| !n.contains(' '))
        .collect();
    let unmapped: Vec<&String> = crates.difference(&mapped).collect();
    assert!(
        unmapped.is_empty(),
        "ARCHITECTURE.md's crate map lacks {unmapped:?}"
    );
    for name in &crates {
        assert!(
            doc.contains(&format!("\n## {name} (`miniperm-{name}`")),
            "ARCHITECTURE.md has no section for `miniperm-{name}`"
        );
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn architecture_md_names_every_module_that_allows_unsafe() {
    // The modules that lift the workspace's `forbid`/`deny(unsafe_code)`, as ARCHITECTURE.md
    // names them: `dir/` for a `dir/mod.rs`, else the file under the crate's src/.
    let mut allowing = BTreeSet::new();
    for krate in std::fs::read_dir(root().join("crates")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.contains("allow(unsafe_code)") {
                continue;
            }
            let rel = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            allowing.insert(match rel.strip_suffix("mod.rs") {
                Some(dir) => dir.to_string(),
                None => rel,
            });
        }
    }
    let doc = architecture();
    let start = doc
        .find("\nWhere the `unsafe` is")
        .expect("ARCHITECTURE.md has a paragraph starting `Where the `unsafe` is`");
    let para = &doc[start + 1..];
    let para = &para[..para.find("\n\n").unwrap_or(para.len())];
    let named: BTreeSet<String> = para
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(m, _)| m.to_string())
        .collect();
    assert_eq!(
        allowing, named,
        "the modules that allow unsafe code, and the ones ARCHITECTURE.md's \"Where the `unsafe` \
         is\" lists (one `- `MODULE`: why` item each)"
    );
}

/// Every workspace crate's `src` folder, relative to the workspace root (`crates/core/src`).
fn crate_sources() -> Vec<PathBuf> {
    let root = root().canonicalize().unwrap();
    let meta = metadata();
    let mut out: Vec<PathBuf> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let src = manifest.parent().unwrap().join("src");
            assert!(src.is_dir(), "{} has no src folder", manifest.display());
            src.canonicalize()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_path_buf()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    // Issue 22: within a crate, no module imports one that imports it back, directly or around
    // a loop (a child importing its parent included). The check is a text scan of `crate::`,
    // `super::`, `self::` and child paths with re-exports followed (its docstring says what it
    // reads); a shared type belongs in a leaf module both sides import.
    let sources = crate_sources();
    assert!(
        sources.len() > 1,
        "cargo metadata lists the workspace's crates: {sources:?}"
    );
    let script = "scripts/module-cycles.py";
    let out = Command::new("python3")
        .arg(script)
        .args(&sources)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `python3 {script}` (it needs python3): {e}"));
    assert!(
        out.status.success(),
        "module import cycles (`python3 {script} {}`, exit {:?}):\n{}{}\nMove what both sides \
         use into a leaf module they import (ARCHITECTURE.md); never hide a use from the check.",
        sources
            .iter()
            .map(|s| s.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
