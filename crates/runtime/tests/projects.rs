//! Real project layouts: the devtools TypeScript template (project.config.json +
//! miniprogramRoot), resolveAlias, subpackages, miniprogram_npm, ES modules, requirePlugin.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use std::path::PathBuf;

use common::*;
use miniperm_consent::{ConsentStore, MemoryStore};
use miniperm_runtime::{EndReason, Event, LoadError, Project};

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ui_scopes(o: &miniperm_runtime::RunOutcome) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::Ui { ui, detail } => Some(format!(
                "{ui} {}",
                detail.get("scope").and_then(|s| s.as_str()).unwrap_or("")
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn the_devtools_typescript_template_runs_from_its_root_folder() {
    let p = Project::load(&dir("tstemplate")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.appid(), "wx1234567890abcdef");
    assert!(p.root().ends_with("miniprogram"), "{:?}", p.root());
    assert_eq!(p.pages(), ["pages/index/index"]);
    let mut store = MemoryStore::new();
    let o = try_run_with(&p, &mut store, &[], "", |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        o.events
            .iter()
            .filter(|e| matches!(e, Event::Error { .. }))
            .count(),
        0,
        "{}",
        transcript(&o)
    );
    assert_eq!(
        ui_scopes(&o),
        vec!["authorize scope.userLocation"],
        "{}",
        transcript(&o)
    );
    assert!(matches!(
        o.events.last(),
        Some(Event::End {
            reason: EndReason::AwaitingAnswer,
            ..
        })
    ));
    // The answer is recorded under the appid of project.config.json, not the folder name.
    let o = try_run_with(&p, &mut store, &[], "allow", |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        logs(&o)
            .iter()
            .any(|l| l.starts_with("located ") && l.ends_with(" string")),
        "{}",
        transcript(&o)
    );
    assert!(
        !store
            .log("default", "wx1234567890abcdef")
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        store
            .log("default", "tstemplate")
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        store
            .log("default", "miniprogram")
            .unwrap_or_default()
            .is_empty()
    );
}

#[test]
fn the_app_json_folder_of_the_template_finds_the_config_one_level_up() {
    let p = Project::load(&dir("tstemplate/miniprogram")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.appid(), "wx1234567890abcdef");
}

#[test]
fn an_error_stack_in_typescript_names_the_original_line() {
    let p = fixture_at("tstemplate");
    let o = go(&p, &["onShareAppMessage"], "deny");
    let stack = o
        .events
        .iter()
        .find_map(|e| match e {
            Event::Error { message, stack } if message.contains("nothing to share") => {
                Some(stack.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}", transcript(&o)));
    assert!(stack.contains("pages/index/index.ts:63"), "{stack}");
    // Line 1 of the generated code holds the require of the import on line 3.
    assert_eq!(p.original_position("pages/index/index.ts", 1, 200).0, 3);
}

fn fixture_at(name: &str) -> Project {
    Project::load(&dir(name)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn alias_npm_esm_template_literal_and_require_plugin() {
    let p = fixture_at("devshapes");
    assert_eq!(p.appid(), "wxdevshapes00001");
    let o = go(&p, &[], "");
    assert_eq!(
        logs(&o),
        vec!["paid 12.50 CNY 2 lines, CNY object 0"],
        "{}",
        transcript(&o)
    );
    let warn = o.events.iter().find_map(|e| match e {
        Event::Warning { code, message, .. } if code == "not-supported" => Some(message.clone()),
        _ => None,
    });
    assert_eq!(
        warn.as_deref(),
        Some("requirePlugin(`mapPlugin`) is not supported by miniperm: plugins are not simulated")
    );
    assert!(
        matches!(
            o.end,
            miniperm_runtime::EndReason::Idle | miniperm_runtime::EndReason::AwaitingAnswer
        ) && !o
            .events
            .iter()
            .any(|e| matches!(e, miniperm_runtime::Event::Error { .. }))
    );
    assert_eq!(
        p.resolve_alias("@/utils/format").as_deref(),
        Some("/utils/format")
    );
    assert_eq!(
        p.resolve_alias("~/utils/tpl").as_deref(),
        Some("/utils/tpl")
    );
    assert_eq!(p.resolve_alias("./x"), None);
}

#[test]
fn a_subpackage_page_opens_and_finds_miniprogram_npm_upwards() {
    let p = fixture_at("devshapes");
    assert_eq!(p.pages(), ["pages/index/index", "pkgA/pages/detail/detail"]);
    let o = run_with(&p, &[], "", |c| {
        c.page = Some("pkgA/pages/detail/detail".into());
        c.query = Some("id=7".into());
    });
    assert_eq!(logs(&o), vec!["detail 7 0.99 CNY"], "{}", transcript(&o));
}

#[test]
fn wxml_and_wxs_sources_are_listed() {
    let p = fixture_at("devshapes");
    let wxml: Vec<&str> = p.files_with_ext("wxml").map(|(f, _)| f).collect();
    assert_eq!(
        wxml,
        ["pages/index/index.wxml", "pkgA/pages/detail/detail.wxml"]
    );
    assert!(p.files_with_ext("wxml").all(|(_, t)| t.contains("<view>")));
    assert_eq!(p.files_with_ext("wxs").count(), 0);
}

#[test]
fn a_folder_without_app_json_or_config_is_a_clear_error() {
    let tmp = std::env::temp_dir().join(format!("miniperm-noroot-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&tmp);
    let e = Project::load(&tmp).unwrap_err();
    assert!(matches!(e, LoadError::NoAppJson(_)), "{e}");
    std::fs::write(
        tmp.join("project.config.json"),
        r#"{"miniprogramRoot": "src/", "appid": "wx1"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = Project::load(&tmp).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`project.config.json` names miniprogramRoot `src/` but `src/` holds no app.json"
    );
    std::fs::write(tmp.join("project.config.json"), r#"{"appid": "wx1"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = Project::load(&tmp).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("no app.json, and its project.config.json names no miniprogramRoot"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A throwaway project folder with one page.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("miniperm-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("pages/index")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("app.json"), r#"{"pages": ["pages/index/index"]}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("pages/index/index.js"), "Page({})").unwrap_or_else(|e| panic!("{e}"));
    d
}

#[test]
fn a_file_over_the_size_limit_is_a_load_error_naming_it() {
    let d = scratch("big");
    let big = format!("var s = '{}'\n", "x".repeat(8 * 1024 * 1024));
    std::fs::write(d.join("big.js"), big).unwrap_or_else(|e| panic!("{e}"));
    let e = Project::load(&d).unwrap_err();
    assert_eq!(e.to_string(), "`big.js` is larger than the 8 MiB limit");
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_project_is_a_load_error_and_one_inside_is_read() {
    let d = scratch("link");
    let outside = scratch("link-target");
    std::os::unix::fs::symlink(&d, d.join("pages/self")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(d.join("pages"), d.join("alias-pages"))
        .unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = Project::load(&d) {
        panic!("{e}");
    }
    std::os::unix::fs::symlink(outside.join("app.json"), d.join("secret.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let e = Project::load(&d).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`secret.json` is a symbolic link to a place outside the project"
    );
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&outside);
}

#[test]
fn typescript_pages_and_dts_files() {
    let d = scratch("ts");
    std::fs::remove_file(d.join("pages/index/index.js")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        d.join("pages/index/index.ts"),
        "import { twice } from '../../lib'\nconst n: number = twice(21)\nPage({ onLoad() { console.log(`n=${n as number}`) } })\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(d.join("lib")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        d.join("lib/index.ts"),
        "export const twice = (x: number): number => x * 2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // A declaration file is never loaded (it would not even run).
    std::fs::write(
        d.join("lib/index.d.ts"),
        "export declare const twice: (x: number) => number\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        d.join("app.ts"),
        "App<{ ready: boolean }>({ ready: true as boolean })\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = Project::load(&d).unwrap_or_else(|e| panic!("{e}"));
    let o = go(&p, &[], "");
    assert_eq!(logs(&o), vec!["n=42"], "{}", transcript(&o));
    std::fs::write(d.join("pages/index/index.ts"), "let a: = 1\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let p = Project::load(&d).unwrap_or_else(|e| panic!("{e}"));
    let problems = p.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .to_string()
            .starts_with("syntax error in `pages/index/index.ts` line 1, column "),
        "{problems:?}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn imported_bindings_are_live_and_const_cycles_load() {
    let d = scratch("live");
    let w = |f: &str, t: &str| std::fs::write(d.join(f), t).unwrap_or_else(|e| panic!("{e}"));
    w(
        "counter.js",
        "export let count = 0\nexport function inc() {\n  count++\n}\n",
    );
    w(
        "a.js",
        "import { B } from './b'\nexport const A = 'a'\nexport const readB = () => B\n",
    );
    w(
        "b.js",
        "import { A } from './a'\nexport const B = 'b'\nexport const readA = () => A\n",
    );
    w(
        "pages/index/index.js",
        "import { count, inc } from '../../counter'\nimport { readB } from '../../a'\nimport { readA } from '../../b'\ninc()\ninc()\nPage({ onLoad() { console.log('count', count, { count }.count, readB(), readA()) } })\n",
    );
    let p = Project::load(&d).unwrap_or_else(|e| panic!("{e}"));
    let o = go(&p, &[], "");
    assert_eq!(logs(&o), vec!["count 2 2 b a"], "{}", transcript(&o));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_private_project_config_overrides_the_appid() {
    let d = scratch("private");
    std::fs::write(d.join("project.config.json"), r#"{"appid": "wxshared"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixture_path(&d).appid(), "wxshared");
    std::fs::write(
        d.join("project.private.config.json"),
        r#"{"appid": "wxmine"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixture_path(&d).appid(), "wxmine");
    let _ = std::fs::remove_dir_all(&d);
}

fn fixture_path(d: &std::path::Path) -> Project {
    Project::load(d).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_call_site_in_typescript_names_the_original_line() {
    let p = fixture_at("tstemplate");
    let o = go(&p, &["locate"], "allow");
    let at: Vec<(String, Option<String>)> = o
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Call { api, at, .. } => Some((api.clone(), at.clone())),
            _ => None,
        })
        .collect();
    let site = |api: &str| {
        at.iter()
            .find(|(a, _)| a == api)
            .and_then(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("{at:?}"))
    };
    // index.ts: `wx.getSetting({` on line 30, `wx.authorize({` on 38, `wx.getLocation({` on 48
    assert!(
        site("getSetting").starts_with("pages/index/index.ts:30:"),
        "{at:?}"
    );
    assert!(
        site("authorize").starts_with("pages/index/index.ts:38:"),
        "{at:?}"
    );
    assert!(
        site("getLocation").starts_with("pages/index/index.ts:48:"),
        "{at:?}"
    );
}
