//! `RunConfig::screen` (the final page for drawing: scopes, hosts, component style options,
//! `data-*`) and `RunConfig::device` (what getSystemInfo reports).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use std::path::PathBuf;

use common::run_with;
use miniperm_runtime::{Device, Event, Project};
use serde_json::{Value as Json, json};

fn styles() -> Project {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/fixtures/styles");
    Project::load(&p).unwrap()
}

/// The first node (depth first) whose attrs have this id.
fn by_id<'a>(nodes: &'a Json, id: &str) -> Option<&'a Json> {
    for n in nodes.as_array()? {
        if n["attrs"]["id"] == id {
            return Some(n);
        }
        if let Some(f) = by_id(&n["children"], id) {
            return Some(f);
        }
    }
    None
}

#[test]
fn the_screen_names_scopes_hosts_and_style_options() {
    let p = styles();
    let o = run_with(&p, &[], "", |c| c.screen = true);
    let s = o.screen.expect("a screen");
    assert_eq!(s["route"], "pages/index/index");
    let tree = &s["tree"];
    let top = by_id(tree, "top").unwrap();
    assert_eq!(top["scope"], "");
    assert_eq!(top["attrs"]["class"], "page-box imported");
    assert_eq!(top["attrs"]["data-kind"], "demo");
    assert_eq!(top["attrs"]["data-item-id"], 7);
    let host = by_id(tree, "iso").unwrap();
    assert_eq!(host["host"], "components/card/card");
    assert_eq!(host["scope"], "");
    let inner = by_id(tree, "iso-inner").unwrap();
    assert_eq!(inner["scope"], "components/card/card");
    assert_eq!(by_id(tree, "ext").unwrap()["attrs"]["ext-class"], "ext-red");
    let row = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attrs"]["class"] == "row")
        .unwrap();
    assert_eq!(row["events"], json!(["tap"]));
    let c = &s["components"];
    assert_eq!(
        c["components/card-apply/card-apply"]["styleIsolation"],
        "apply-shared"
    );
    assert_eq!(
        c["components/card-shared/card-shared"]["styleIsolation"],
        "shared"
    );
    assert_eq!(
        c["components/card-ext/card-ext"]["externalClasses"],
        json!(["ext-class"])
    );
    assert!(c["components/card/card"].get("styleIsolation").is_none());
    // Without the switch, no screen (and no cost).
    assert!(run_with(&p, &[], "", |_| {}).screen.is_none());
}

#[test]
fn get_system_info_follows_the_device() {
    let p = styles();
    let logged = |device: Device| {
        run_with(&p, &[], "", |c| c.device = device)
            .events
            .iter()
            .find_map(|e| match e {
                Event::Log { args, .. } => Some(Json::Array(args.clone())),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        logged(Device::default()),
        json!(["window", 390, 844, "iPhone 12/13 (Pro)", 3])
    );
    assert_eq!(
        logged(Device::by_name("iPhone 6/7/8").unwrap()),
        json!(["window", 375, 667, "iPhone 6/7/8", 2])
    );
}

#[test]
fn typing_and_toggling_reach_the_page() {
    let p = styles();
    let o = run_with(
        &p,
        &[
            "input(#name)=小明",
            "change(#sw)=true",
            "view.row",
            "text=整行可点",
        ],
        "",
        |c| c.screen = true,
    );
    let s = o.screen.unwrap();
    let text = |id: &str| {
        fn all(n: &Json, out: &mut String) {
            if let Some(t) = n["text"].as_str() {
                out.push_str(t);
            }
            for c in n["children"].as_array().into_iter().flatten() {
                all(c, out);
            }
        }
        let mut out = String::new();
        all(by_id(&s["tree"], id).unwrap(), &mut out);
        out
    };
    assert_eq!(text("echo"), "你好，小明");
    assert_eq!(text("sw-state"), "开关：开");
    // A tap on the row and one on the text inside it both bubble to the row's handler.
    assert_eq!(text("row-text"), "整行可点：2");
    assert_eq!(by_id(&s["tree"], "name").unwrap()["attrs"]["value"], "小明");
    // Not a control that takes it: bad input naming the target.
    let err = common::try_run_with(
        &p,
        &mut miniperm_consent::MemoryStore::new(),
        &["input(#sw)=x"],
        "",
        |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("input(#sw)=x"), "{err}");
}
