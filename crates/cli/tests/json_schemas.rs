//! Every `--json` output against its committed schema (docs/json.md, docs/schemas/), on real
//! runs of the `miniperm` binary; and the output style of each: JSON Lines for streams, one
//! pretty document otherwise, each carrying `schema_version`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

mod common;
use common::{example, fixture, root};

/// The committed schema `docs/schemas/NAME.schema.json`, checked against draft 2020-12's
/// meta-schema and compiled.
fn schema(name: &str) -> jsonschema::Validator {
    let path = root().join(format!("docs/schemas/{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{name}"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("{name}.schema.json is not a valid draft 2020-12 schema: {e}");
    }
    jsonschema::draft202012::new(&schema).unwrap()
}

/// Every error of `value` against `v`, one per line; empty when it validates.
fn errors(v: &jsonschema::Validator, value: &Json) -> String {
    v.iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_valid(v: &jsonschema::Validator, value: &Json, what: &str) {
    let errs = errors(v, value);
    assert!(
        errs.is_empty(),
        "{what} does not match its schema:\n{errs}\n{value:#}"
    );
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `miniperm ARGS` on this test's own store; stdout, with the exit code checked.
    fn run(&self, args: &[&str], code: i32) -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_miniperm"))
            .args(args)
            .env("MINIPERM_DB", self.path().join("consent.sqlite"))
            .env("HOME", self.path().join("home"))
            .env("XDG_DATA_HOME", self.path().join("xdg"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
}

/// A JSON Lines stream: every line one compact object carrying `schema_version` last.
fn lines(out: &str, version: u64) -> Vec<Json> {
    assert!(out.is_empty() || out.ends_with('\n'), "{out:?}");
    out.lines()
        .map(|l| {
            assert!(!l.trim().is_empty(), "a blank line in a stream:\n{out}");
            let v: Json = serde_json::from_str(l).unwrap();
            let m = v.as_object().expect("each line is an object");
            assert_eq!(
                m.iter().next_back().map(|(k, v)| (k.as_str(), v.as_u64())),
                Some(("schema_version", Some(version))),
                "{l}"
            );
            assert_eq!(serde_json::to_string(&v).unwrap(), l, "not compact: {l}");
            v
        })
        .collect()
}

/// One document: pretty-printed (two-space indent), one trailing newline, `schema_version`
/// first.
fn document(out: &str, version: u64) -> Json {
    let v: Json = serde_json::from_str(out).unwrap();
    assert_eq!(
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap()),
        out,
        "not one pretty document"
    );
    let m = v.as_object().expect("a document is an object");
    assert_eq!(
        m.iter().next().map(|(k, v)| (k.as_str(), v.as_u64())),
        Some(("schema_version", Some(version)))
    );
    v
}

#[test]
fn every_schema_is_draft_2020_12_and_has_a_schema_version() {
    let dir = root().join("docs/schemas");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "explore-report.schema.json",
            "pages.schema.json",
            "scopes.schema.json",
            "settings-explain.schema.json",
            "settings-log.schema.json",
            "settings-show.schema.json",
            "transcript.schema.json",
        ]
    );
    for n in names {
        let name = n.trim_end_matches(".schema.json");
        schema(name);
        let s: Json =
            serde_json::from_str(&std::fs::read_to_string(dir.join(&n)).unwrap()).unwrap();
        assert!(
            s["required"]
                .as_array()
                .unwrap()
                .contains(&"schema_version".into()),
            "{n}"
        );
        assert!(
            docs_json().contains(&format!("schemas/{n}")),
            "{n} is not in docs/json.md"
        );
    }
}

fn docs_json() -> String {
    std::fs::read_to_string(root().join("docs/json.md")).unwrap()
}

#[test]
fn run_transcripts_match_the_transcript_schema() {
    let v = schema("transcript");
    let env = Env::new();
    let classic = example("classic");
    let runs: Vec<(Vec<String>, i32)> = vec![
        // launch, page, tap, call, ui, answer, callback, log, end idle
        (
            vec![
                "--tap",
                "onLocate",
                "--answers",
                "deny,confirm,settings:scope.userLocation=on",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            0,
        ),
        // navigate (redirectTo)
        (
            ["--tap", "onLocate", "--answers", "deny,cancel"]
                .map(String::from)
                .to_vec(),
            0,
        ),
        // data, and end awaiting-answer with its ui
        (
            ["--tap", "onLocate", "--answers", "allow"]
                .map(String::from)
                .to_vec(),
            0,
        ),
        (["--tap", "onLocate"].map(String::from).to_vec(), 0),
    ];
    let mut seen = BTreeSet::new();
    let mut check = |project: &str, args: &[String], code: i32| {
        let mut all = vec!["run", project, "--ephemeral", "--json"];
        all.extend(args.iter().map(String::as_str));
        let out = env.run(&all, code);
        let events = lines(&out, 1);
        assert_eq!(events.first().unwrap()["type"], "launch", "{out}");
        assert_eq!(events.last().unwrap()["type"], "end", "{out}");
        for e in &events {
            assert_valid(&v, e, &format!("a transcript line of {all:?}"));
            seen.insert(e["type"].as_str().unwrap().to_string());
        }
    };
    for (args, code) in &runs {
        check(&classic, args, *code);
    }
    // render (--render), error (uncaught) and warning
    check(&fixture("render"), &["--render".to_string()], 0);
    check(
        &fixture("limits"),
        &[
            "--tap".to_string(),
            "boom".into(),
            "--tap".into(),
            "alive".into(),
        ],
        1,
    );
    check(
        &fixture("sim"),
        &["--page".to_string(), "pages/bare/bare".into()],
        0,
    );
    let all: BTreeSet<String> = [
        "launch", "page", "tap", "call", "ui", "answer", "callback", "navigate", "data", "log",
        "warning", "error", "render", "end",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        seen, all,
        "every event type of the schema is shown by a real run"
    );
}

#[test]
fn the_transcript_schema_rejects_what_the_contract_forbids() {
    let v = schema("transcript");
    let ok = serde_json::json!({"type": "end", "reason": "idle", "schema_version": 1});
    assert_valid(&v, &ok, "an end line");
    for bad in [
        serde_json::json!({"type": "end", "reason": "idle"}),
        serde_json::json!({"type": "end", "reason": "bored", "schema_version": 1}),
        serde_json::json!({"type": "call", "args": {}, "schema_version": 1}),
        serde_json::json!({"type": "teleport", "schema_version": 1}),
        serde_json::json!({"type": "end", "reason": "idle", "schema_version": 2}),
    ] {
        assert!(!errors(&v, &bad).is_empty(), "accepted {bad}");
    }
}

#[test]
fn the_explore_report_matches_its_schema() {
    let v = schema("explore-report");
    let env = Env::new();
    let out = env.run(
        &[
            "explore",
            &example("classic"),
            "--tap",
            "onLocate",
            "--json",
        ],
        0,
    );
    let doc = document(&out, 1);
    assert_valid(&v, &doc, "explore --json");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "no-retry-after-settings")
    );
    let mut bad = doc.clone();
    bad["findings"][0]["code"] = "nope".into();
    assert!(!errors(&v, &bad).is_empty());
}

#[test]
fn settings_show_log_and_explain_match_their_schemas() {
    let (show, log, explain) = (
        schema("settings-show"),
        schema("settings-log"),
        schema("settings-explain"),
    );
    let env = Env::new();
    let db = env.path().join("consent.sqlite").display().to_string();
    // Empty store: an empty authSetting, an empty log (no lines at all).
    let empty = document(
        &env.run(&["settings", "wxdemo0001", "show", "--json"], 0),
        1,
    );
    assert_valid(&show, &empty, "settings show --json (empty)");
    assert_eq!(empty["authSetting"], serde_json::json!({}));
    assert_eq!(env.run(&["settings", "wxdemo0001", "log", "--json"], 0), "");
    // A real run writes scope, privacy and OS records; then host changes and a reset.
    env.run(
        &[
            "run",
            &example("classic"),
            "--db",
            &db,
            "--system",
            "location=authorized",
            "--tap",
            "onLocate",
            "--answers",
            "deny,confirm,settings:scope.userLocation=on",
        ],
        0,
    );
    let appid = "wxdemo0001";
    env.run(&["settings", appid, "set", "scope.camera=off"], 0);
    let doc = document(&env.run(&["settings", appid, "show", "--json"], 0), 1);
    assert_valid(&show, &doc, "settings show --json");
    assert_eq!(doc["appid"], appid);
    assert_eq!(doc["authSetting"]["scope.userLocation"], true);
    assert_eq!(doc["authSetting"]["scope.camera"], false);
    assert_eq!(doc["os"]["location"], "authorized");
    env.run(&["settings", appid, "clear"], 0);
    let events = lines(&env.run(&["settings", appid, "log", "--json"], 0), 1);
    assert!(events.len() >= 4, "{events:?}");
    for e in &events {
        assert_valid(&log, e, "a settings log line");
    }
    let vias: BTreeSet<&str> = events.iter().filter_map(|e| e["via"].as_str()).collect();
    assert!(
        ["prompt", "settings", "host", "reset"]
            .iter()
            .all(|v| vias.contains(v)),
        "{vias:?}"
    );
    for scope in ["scope.userLocation", "scope.camera", "scope.record"] {
        let x = document(
            &env.run(&["settings", appid, "explain", scope, "--json"], 0),
            1,
        );
        assert_valid(&explain, &x, "settings explain --json");
    }
    let mut bad = events[0].clone();
    bad["via"] = "telepathy".into();
    assert!(!errors(&log, &bad).is_empty());

    // A privacy consent record.
    env.run(
        &[
            "run",
            &example("privacy"),
            "--tap",
            "onLocate",
            "--answers",
            "agree,allow",
        ],
        0,
    );
    let doc = document(
        &env.run(&["settings", "wxdemo0005", "show", "--json"], 0),
        1,
    );
    assert_valid(&show, &doc, "settings show --json (privacy)");
    assert_eq!(doc["privacy"]["location"], "granted");
    let mut bad = doc.clone();
    bad["privacy"]["location"] = "maybe".into();
    assert!(!errors(&show, &bad).is_empty());
    for e in lines(&env.run(&["settings", "wxdemo0005", "log", "--json"], 0), 1) {
        assert_valid(&log, &e, "a settings log line (privacy)");
    }
}

#[test]
fn pages_match_their_schema() {
    let v = schema("pages");
    let env = Env::new();
    // a project with broken files: every field, problems and failing pages included (exit 1)
    let doc = document(&env.run(&["pages", &fixture("brokenapp"), "--json"], 1), 1);
    assert_valid(&v, &doc, "pages --json (brokenapp)");
    assert_eq!(doc["pages"], 7);
    assert_eq!(doc["clean"], 2);
    assert_eq!(doc["problems"].as_array().map(Vec::len), Some(3));
    let doc = document(&env.run(&["pages", &example("classic"), "--json"], 0), 1);
    assert_valid(&v, &doc, "pages --json (classic)");
    assert_eq!(doc["clean"], doc["pages"]);
    // the schema refuses a clean page with a problem's kind it does not know
    let mut bad = doc.clone();
    bad["results"][0]["problem"] = serde_json::json!({"kind": "oops", "message": "m"});
    assert!(!v.is_valid(&bad));
}

#[test]
fn scopes_match_their_schema() {
    let v = schema("scopes");
    let env = Env::new();
    let doc = document(&env.run(&["scopes", "--json"], 0), 1);
    assert_valid(&v, &doc, "scopes --json");
    assert!(
        doc["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scope"] == "scope.userLocation")
    );
}
