//! `miniperm explore`'s CI formats on real output: the `--json` document against the committed
//! schema (docs/schemas/explore-report.schema.json, checked with the `jsonschema` crate; more in
//! tests/json_schemas.rs), SARIF 2.1.0's required structure, JUnit XML, and `--baseline`
//! accepting findings under `--strict`.

use std::process::{Command, Output};

use serde_json::Value as Json;

mod common;
use common::root;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_miniperm"));
    c.current_dir(root());
    c.env("MINIPERM_DB", "/nonexistent/never-used.db");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_sarif_junit_html_and_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let (sarif, junit, html) = (
        dir.path().join("r.sarif"),
        dir.path().join("r.xml"),
        dir.path().join("r.html"),
    );
    let o = bin()
        .args(["explore", "examples/classic", "--tap", "onLocate", "--json"])
        .arg("--sarif")
        .arg(&sarif)
        .arg("--junit")
        .arg(&junit)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("r.html"), "--html says where it wrote");

    // --json against the committed schema
    let doc: Json = serde_json::from_slice(&o.stdout).unwrap();
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/schemas/explore-report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errs: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errs.is_empty(), "{errs:#?}");
    let f = &doc["findings"][0];
    assert_eq!(f["location"]["file"], "pages/index/index.js");
    assert!(f["location"]["line"].as_u64().unwrap() > 1);

    // SARIF 2.1.0: the required structure
    let s: Json = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "miniperm");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["id"].is_string()));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), doc["findings"].as_array().unwrap().len());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert!(rules.iter().any(|x| x["id"] == id), "{id} is a rule");
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id);
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let pl = &r["locations"][0]["physicalLocation"];
        let uri = pl["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("examples/classic/"), "{uri}");
        assert!(root().join(uri).is_file(), "{uri} exists");
        assert!(pl["region"]["startLine"].as_u64().unwrap() >= 1);
    }

    // JUnit: one test case for the one entry point, a failure per finding
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(x.starts_with("<?xml"));
    assert_eq!(x.matches("<testcase ").count(), 1, "{x}");
    assert_eq!(
        x.matches("<failure ").count(),
        doc["findings"].as_array().unwrap().len(),
        "{x}"
    );

    // the --json report as a baseline: --strict passes, the text says accepted
    let base = dir.path().join("baseline.json");
    std::fs::write(&base, &o.stdout).unwrap();
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--strict",
        ])
        .arg("--baseline")
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(accepted in baseline)"));
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn text_prints_findings_first_and_a_summary_when_the_tree_is_long() {
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--summary",
        ])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.starts_with("findings (2):"), "{t}");
    assert!(t.contains("paths from"), "{t}");
    assert!(!t.contains("└─"), "no tree: {t}");
    let o = bin()
        .args(["explore", "examples/classic", "--tap", "onLocate", "--tree"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("└─"));
}

#[test]
fn progress_lines_for_ci_logs() {
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--progress",
        ])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(
        e.contains("miniperm: explore: ") && e.contains("paths"),
        "{e}"
    );
    assert!(e.contains("/s") && e.contains("eta"), "{e}");
}

#[test]
fn a_bad_baseline_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.json");
    std::fs::write(&base, "[1,2]").unwrap();
    let o = bin()
        .args([
            "explore",
            "examples/classic",
            "--tap",
            "onLocate",
            "--baseline",
        ])
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
