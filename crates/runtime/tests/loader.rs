//! CommonJS + ES modules + JSON + cycles, and what mini-program code cannot reach.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_runtime::{Event, Project};

#[test]
fn commonjs_esm_json_and_cycles_mix() {
    let o = go(&fixture("loader"), &[], "");
    assert_eq!(
        logs(&o),
        vec![
            "loader-fixture hello from utils/index.js",
            "default export 4 ESM 10 named from cjs loader-fixture 42 early e1+e2 sees function",
        ],
        "{}",
        transcript(&o)
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
}

#[test]
fn a_missing_module_is_an_error_event_and_the_run_goes_on() {
    let o = go(&fixture("loader"), &["missing", "sandbox"], "");
    let err = o
        .events
        .iter()
        .find_map(|e| match e {
            Event::Error { message, stack } => Some((message.clone(), stack.clone())),
            _ => None,
        })
        .unwrap();
    assert!(
        err.0.contains("module \"./nope\" is not defined"),
        "{err:?}"
    );
    assert!(err.1.contains("pages/index/index.js"), "{err:?}");
    // the next tap still ran
    assert!(logs(&o).iter().any(|l| l.starts_with("undefined,")));
}

#[test]
fn no_file_system_network_or_process() {
    let o = go(&fixture("loader"), &["sandbox"], "");
    let l = logs(&o);
    assert_eq!(
        l[2], "undefined,undefined,undefined,undefined,undefined,object",
        "{l:?}"
    );
    assert!(
        l[3].starts_with("fs: module \"fs\" is not defined"),
        "{l:?}"
    );
}

#[test]
fn a_syntax_error_names_file_and_line_when_the_page_opens() {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax");
    let p = Project::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let problems = p.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let msg = problems[0].to_string();
    assert!(
        msg.starts_with("syntax error in `pages/index/index.js` line 5, column 15:"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    let o = go(&p, &[], "");
    let errors: Vec<&str> = o
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Error { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![format!("SyntaxError: {msg}").as_str()]);
    assert_eq!(o.end, miniperm_runtime::EndReason::Error);
}

#[test]
fn no_app_json_is_a_one_line_error() {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let e = Project::load(&p).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("no app.json and no project.config.json"),
        "{e}"
    );
}

#[test]
fn tap_handlers_and_pages_for_the_explorer() {
    let p = example("classic");
    assert_eq!(p.pages(), ["pages/index/index", "pages/fallback/fallback"]);
    assert_eq!(p.tap_handlers("pages/index/index"), vec!["onLocate"]);
    assert_eq!(
        p.tap_handlers("pages/fallback/fallback"),
        vec!["onPickCity"]
    );
    let a = example("album");
    assert_eq!(
        a.page_info("pages/index/index")
            .and_then(|i| i.open_setting.clone())
            .and_then(|b| b.handler)
            .as_deref(),
        Some("onSettingBack")
    );
    assert_eq!(a.appid(), "wxdemo0003");
}

/// Every form of tap binding is a tap handler, read off the parsed WXML (issue 22: the second
/// scanner this replaced missed `capture-catch:tap`); a tap by method name carries the bound
/// element's id and static dataset.
#[test]
fn every_tap_binding_form_is_a_handler() {
    let p = fixture("tapforms");
    let handlers = [
        "onBindtap",
        "onCatchtap",
        "onBindColon",
        "onCatchColon",
        "onMutBind",
        "onCaptureBind",
        "onCaptureCatch",
    ];
    assert_eq!(p.tap_handlers("pages/index/index"), handlers);
    let o = go(&p, &["onCaptureCatch"], "");
    assert_eq!(
        logs(&o),
        vec![r#"tap b7 {"form":"capture-catch:tap","tapForm":"cc"}"#],
        "{}",
        transcript(&o)
    );
}

#[test]
fn a_project_is_send_sync_and_cheap_to_clone() {
    fn is<T: Send + Sync + Clone>() {}
    is::<Project>();
    is::<miniperm_runtime::RunConfig>();
}

#[test]
fn a_page_listed_in_app_json_without_its_file_fails_when_opened() {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/missingpage");
    let p = Project::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let o = go(&p, &[], "");
    assert_eq!(
        o.end,
        miniperm_runtime::EndReason::Idle,
        "the other page runs"
    );
    let o = run_with(&p, &[], "", |c| c.page = Some("pages/gone/gone".into()));
    let t = transcript(&o);
    assert!(
        t.contains(
            "page `pages/gone/gone` is listed in app.json but `pages/gone/gone.js` does not exist"
        ),
        "{t}"
    );
    assert_eq!(o.end, miniperm_runtime::EndReason::Error, "{t}");
}
