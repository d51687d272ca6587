//! `miniperm explore`'s CI formats on real output: the `--json` document against the committed
//! schema (docs/explore-report.schema.json, checked by the small validator below), SARIF 2.1.0's
//! required structure, JUnit XML, and `--baseline` accepting findings under `--strict`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_miniperm"));
    c.current_dir(root());
    c.env("MINIPERM_DB", "/nonexistent/never-used.db");
    c
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON Schema keywords the report schema uses: type, enum, required, properties, items,
/// minimum, oneOf, $ref (to `#/$defs/…`). Returns every violation with its JSON path.
fn validate(schema: &Json, root: &Json, v: &Json, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Json::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        match root["$defs"].get(name) {
            Some(s) => validate(s, root, v, at, errs),
            None => errs.push(format!("{at}: unknown $ref {r}")),
        }
        return;
    }
    if let Some(alts) = schema.get("oneOf").and_then(Json::as_array) {
        let ok = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(s, root, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errs.push(format!("{at}: matches {ok} of oneOf"));
        }
    }
    if let Some(t) = schema.get("type").and_then(Json::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        };
        if !ok {
            errs.push(format!("{at}: not {t}: {v}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Json::as_array)
        && !e.contains(v)
    {
        errs.push(format!("{at}: {v} not in enum"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Json::as_i64), v.as_i64())
        && n < min
    {
        errs.push(format!("{at}: {n} < {min}"));
    }
    if let Some(req) = schema.get("required").and_then(Json::as_array) {
        for k in req.iter().filter_map(Json::as_str) {
            if v.get(k).is_none() {
                errs.push(format!("{at}: missing `{k}`"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Json::as_object),
        v.as_object(),
    ) {
        for (k, s) in props {
            if let Some(x) = obj.get(k) {
                validate(s, root, x, &format!("{at}.{k}"), errs);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(items, root, x, &format!("{at}[{i}]"), errs);
        }
    }
}

#[test]
fn the_validator_can_fail() {
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/explore-report.schema.json")).unwrap(),
    )
    .unwrap();
    let mut errs = Vec::new();
    validate(
        &schema,
        &schema,
        &serde_json::json!({"schema_version": 2, "findings": [{"code": "nope"}]}),
        "$",
        &mut errs,
    );
    assert!(
        errs.iter().any(|e| e.contains("schema_version")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("missing `tree`")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("findings[0].code")),
        "{errs:?}"
    );
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
        &std::fs::read_to_string(root().join("docs/explore-report.schema.json")).unwrap(),
    )
    .unwrap();
    let mut errs = Vec::new();
    validate(&schema, &schema, &doc, "$", &mut errs);
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
