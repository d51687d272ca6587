//! Fuzz harness on stable Rust (issue 9): proptest generators over the project loader (random
//! app.json, project.config.json and file trees, hostile JS included) and the answers grammar.
//! Properties: nothing panics; a project either loads or gives a typed error; a loaded project
//! runs to an end within a small factor of its deadline. The case counts are small so the smoke
//! run stays fast in CI; raise `PROPTEST_CASES` for a longer campaign.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use miniperm_runtime::{Project, parse_answers};
use proptest::prelude::*;

fn scratch() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let p =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Bits of JSON, some valid, some not, some hostile.
fn json_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"pages\"".to_string()),
        Just("\"pages/index/index\"".to_string()),
        Just("\"../../etc/passwd\"".to_string()),
        Just("\"/abs/page\"".to_string()),
        Just("\"usingComponents\"".to_string()),
        Just("\"permission\"".to_string()),
        Just("\"subpackages\"".to_string()),
        Just("\"tabBar\"".to_string()),
        Just("null".to_string()),
        Just("1e999".to_string()),
        "\\PC{0,8}".prop_map(|s| format!("{s:?}")),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn app_json() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(
            prop_oneof![
                Just("pages/index/index".to_string()),
                Just("pages/a/a".to_string()),
                Just("../outside/x".to_string()),
                Just("".to_string()),
                "[a-z/]{1,12}",
            ],
            0..4,
        )
        .prop_map(|pages| serde_json::json!({ "pages": pages }).to_string()),
        1 => json_soup(),
    ]
}

/// Page code: ordinary, broken, or hostile (loops, wrapper escapes, floods).
fn js() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Page({ onLoad() { console.log('hi') } })".to_string()),
        Just("Page({ data: { a: 1 }, tap() { this.setData({ a: 2 }) } })".to_string()),
        Just("}); while (true) {} (function () {".to_string()),
        Just("while (true) {}".to_string()),
        Just("Page({ onLoad() { for (;;) console.log('x'.repeat(1000)) } })".to_string()),
        Just("Page({ onLoad() { Promise.resolve().then(function f() { return Promise.resolve().then(f) }) } })".to_string()),
        Just("export default {}; import x from './nope'".to_string()),
        Just("require('../../../../etc/passwd')".to_string()),
        Just("Page(".to_string()),
        "\\PC{0,40}",
    ]
}

fn tree() -> impl Strategy<Value = (String, Vec<(String, String)>)> {
    let file = (
        prop_oneof![
            Just("pages/index/index.js".to_string()),
            Just("pages/index/index.json".to_string()),
            Just("pages/index/index.wxml".to_string()),
            Just("pages/a/a.js".to_string()),
            Just("utils/u.js".to_string()),
            Just("app.js".to_string()),
            Just("project.config.json".to_string()),
            Just("miniperm.json".to_string()),
        ],
        prop_oneof![js(), json_soup()],
    );
    (app_json(), prop::collection::vec(file, 0..6))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_and_a_run_never_panic_and_always_end((app, files) in tree()) {
        let dir = scratch();
        std::fs::write(dir.join("app.json"), &app).unwrap();
        for (path, text) in &files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
        let t = Instant::now();
        let loaded = Project::load(&dir);
        prop_assert!(t.elapsed() < Duration::from_secs(10), "load took {:?}", t.elapsed());
        if let Ok(project) = loaded {
            let t = Instant::now();
            let r = common::try_run_with(
                &project,
                &mut miniperm_consent::MemoryStore::new(),
                &[],
                "",
                |c| {
                    c.limits.dispatch_ms = 200;
                    c.limits.memory_bytes = 16 * 1024 * 1024;
                },
            );
            // Bad input (no such page) is a typed error; anything else ends with a reason.
            let _ = r;
            prop_assert!(t.elapsed() < Duration::from_millis(200 * 3 + 1000), "run took {:?}", t.elapsed());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_answers_grammar_never_panics(s in "\\PC{0,60}") {
        let _ = parse_answers(&s);
    }

    #[test]
    fn answers_made_of_the_grammar_words_parse_or_fail_cleanly(
        words in prop::collection::vec(
            prop_oneof![
                Just("allow"), Just("deny"), Just("confirm"), Just("confirm:"),
                Just("confirm:a,b"), Just("cancel"), Just("agree"), Just("disagree"),
                Just("sheet:0"), Just("sheet:-1"), Just("sheet:99999999999999999999"),
                Just("pick"), Just("settings"), Just("settings:scope.camera=on"),
                Just("settings:scope.camera=on;scope.record=off"), Just("settings:=;"),
                Just(" "), Just(""),
            ],
            0..8,
        )
    ) {
        let _ = parse_answers(&words.join(","));
    }
}
