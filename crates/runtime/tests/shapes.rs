//! Transcript snapshots of the real-world project shapes (issue 7): the devtools TypeScript
//! template, alias/subpackage/npm/ESM shapes, and a promise wrapper around wx APIs.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use std::path::PathBuf;

fn at(name: &str) -> miniperm_runtime::Project {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    miniperm_runtime::Project::load(&p).unwrap()
}

#[test]
fn typescript_template_location_flow() {
    let p = at("tstemplate");
    assert_eq!(p.appid(), "wx1234567890abcdef");
    let o = go(&p, &["locate"], "allow");
    insta::assert_snapshot!("tstemplate_locate_allow", transcript(&o));
}

#[test]
fn devtools_shapes_alias_npm_esm_plugin() {
    let o = go(&at("devshapes"), &[], "");
    insta::assert_snapshot!("devshapes_launch", transcript(&o));
    let o = run_with(&at("devshapes"), &[], "", |c| {
        c.page = Some("pkgA/pages/detail/detail".into())
    });
    insta::assert_snapshot!("devshapes_subpackage_page", transcript(&o));
}

#[test]
fn promise_wrapper_loses_the_tap_after_await() {
    let p = at("promisewrap");
    let o = go(&p, &["text=查找附近网点"], "deny,confirm");
    let t = transcript(&o);
    assert!(
        t.contains("openSetting: openSetting:fail can only be invoked by user TAP gesture."),
        "{t}"
    );
    insta::assert_snapshot!("promisewrap_deny_confirm", t);
    let o = go(&p, &["text=查找附近网点"], "allow");
    insta::assert_snapshot!("promisewrap_allow", transcript(&o));
}
