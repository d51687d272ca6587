//! WXS in bindings: the call forms, module values, and which modules a frame sees (its own
//! file's; an `<include>`d file's bindings see the includer's; a template those of the file
//! defining it).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use common::{FakeHost, render_with};
use miniperm_wxml::outline;
use serde_json::json;

const PAGE: &str = "pages/a/a.wxml";

fn calls(host: &FakeHost) -> Vec<(&str, &str, &str)> {
    host.calls
        .iter()
        .map(|(f, m, n)| (f.as_str(), m.as_str(), n.as_str()))
        .collect()
}

#[test]
fn call_forms_reach_the_host_with_a_dotted_path() {
    let src = r#"<wxs module="fmt" src="./fmt.wxs"/>
<wxs module="style">module.exports = function (o) { return ''; };</wxs>
<wxs module="upper">module.exports = function (s) { return s; };</wxs>
<view style="{{ style({color: c}) }}">{{ upper(name) }}</view>
<text>{{ fmt.nested.upper(name) }}|{{ fmt.words(s).length }}|{{ fmt.words(s)[1] }}|{{ fmt['upper'](s) }}</text>"#;
    let mut host = FakeHost::default();
    let tree = render_with(
        &[(PAGE, src)],
        PAGE,
        json!({"c": "red", "name": "li", "s": "a b c"}),
        &mut host,
    );
    assert_eq!(
        outline(&tree),
        "view \"LI\" [style=color:red;]\ntext \"LI|3|b|A B C\"\n"
    );
    assert_eq!(
        calls(&host),
        [
            (PAGE, "style", ""),
            (PAGE, "upper", ""),
            (PAGE, "fmt", "nested.upper"),
            (PAGE, "fmt", "words"),
            (PAGE, "fmt", "words"),
            (PAGE, "fmt", "upper"),
        ]
    );
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn a_call_to_an_undeclared_module_warns_once_without_the_host() {
    let src = r#"<wxs module="fmt">module.exports = {};</wxs>
<text wx:for="{{[1, 2, 3]}}">{{ nope.f(item) }}{{ item.toFixed(2) }}x</text>"#;
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, src)], PAGE, json!({"nope": {"f": 1}}), &mut host);
    assert_eq!(outline(&tree), "text \"x\"\ntext \"x\"\ntext \"x\"\n");
    assert!(host.calls.is_empty(), "{:?}", host.calls);
    assert_eq!(
        host.warnings,
        [
            "`nope` is not a wxs module of `pages/a/a.wxml`: `nope.f(…)` gives undefined",
            "`item` is not a wxs module of `pages/a/a.wxml`: `item.toFixed(…)` gives undefined",
        ]
    );
}

#[test]
fn a_failing_call_warns_and_gives_undefined() {
    let src = r#"<wxs module="fmt">module.exports = {};</wxs><text>[{{ fmt.a.b(1) }}]</text>"#;
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, src)], PAGE, json!({}), &mut host);
    assert_eq!(outline(&tree), "text \"[]\"\n");
    assert_eq!(
        host.warnings,
        ["wxs `fmt.a.b` in `pages/a/a.wxml` failed: no `fmt.a.b` in `pages/a/a.wxml`"]
    );
}

#[test]
fn module_values_come_after_locals_and_before_data() {
    let src = r#"<wxs module="consts" src="./consts.wxs"/>
<text wx:for="{{list}}">{{ consts.MAX }} {{ consts.names[index] }} {{ consts.fn }}</text>
<text wx:for="{{[7]}}" wx:for-item="consts">{{ consts }}</text>
<text>{{ list.length }}</text>"#;
    let mut host =
        FakeHost::default().value(PAGE, "consts", json!({"MAX": 9, "names": ["a", "b", "c"]}));
    let tree = render_with(
        &[(PAGE, src)],
        PAGE,
        json!({"list": [1, 2, 3], "consts": {"MAX": "data"}}),
        &mut host,
    );
    assert_eq!(
        outline(&tree),
        "text \"9 a\"\ntext \"9 b\"\ntext \"9 c\"\ntext \"7\"\ntext \"3\"\n"
    );
    // asked once per render, however many bindings read it
    assert_eq!(host.value_asks, [(PAGE.to_string(), "consts".to_string())]);
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn a_module_without_a_value_reads_as_undefined_with_one_warning() {
    let src = r#"<wxs module="m">module.exports = {};</wxs>
<text wx:for="{{3}}">[{{ m.MAX }}]</text>"#;
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, src)], PAGE, json!({"m": {"MAX": 1}}), &mut host);
    assert_eq!(outline(&tree), "text \"[]\"\n".repeat(3));
    assert_eq!(
        host.warnings,
        ["wxs module `m` of `pages/a/a.wxml` has no value: no value for `m` in `pages/a/a.wxml`"]
    );
}

#[test]
fn included_files_use_the_includers_modules() {
    let files = [
        (
            PAGE,
            r#"<wxs module="fmt" src="/wxs/fmt.wxs"/>
<view wx:for="{{rows}}"><include src="/common/row.wxml"/></view>"#,
        ),
        (
            "common/row.wxml",
            r#"<wxs module="own">module.exports = {};</wxs>
<text>{{ fmt.upper(item) }}</text><text>{{ own.upper(item) }}</text>
<include src="./cell.wxml"/>"#,
        ),
        (
            "common/cell.wxml",
            r#"<text>cell {{ fmt.upper(index) }}</text>"#,
        ),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(&files, PAGE, json!({"rows": ["a", "b"]}), &mut host);
    assert_eq!(
        outline(&tree),
        "view\n  text \"A\"\n  text \"A\"\n  text \"cell\"\nview\n  text \"B\"\n  text \"B\"\n  text \"cell\"\n"
    );
    // the includer's module is called as declared in the includer; the included file's own
    // module (not declared by the includer) as declared in the included file
    assert_eq!(
        calls(&host)[..2],
        [(PAGE, "fmt", "upper"), ("common/row.wxml", "own", "upper"),]
    );
    // a nested include resolves against the file it is written in
    assert_eq!(calls(&host)[2], (PAGE, "fmt", "upper"));
    let v = &tree.roots[0];
    assert_eq!(v.file, PAGE);
    assert_eq!(v.children[0].file, "common/row.wxml");
    assert_eq!(v.children[2].file, "common/cell.wxml");
    // `fmt.upper(0)` is not a string: the fake gives ""
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn an_included_file_sees_its_own_imports() {
    let files = [
        (PAGE, r#"<include src="./body.wxml"/>"#),
        (
            "pages/a/body.wxml",
            r#"<import src="/t/button.wxml"/><template is="btn" data="{{ label: title }}"/>"#,
        ),
        (
            "t/button.wxml",
            r#"<template name="btn"><button>{{label}}</button></template>"#,
        ),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(&files, PAGE, json!({"title": "OK"}), &mut host);
    assert_eq!(outline(&tree), "button \"OK\"\n");
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn a_template_uses_the_modules_of_the_file_defining_it() {
    let files = [
        (
            PAGE,
            r#"<import src="/t/card.wxml"/><wxs module="pg">module.exports = {};</wxs>
<template is="card" data="{{ name }}"/>"#,
        ),
        (
            "t/card.wxml",
            r#"<wxs module="fmt">module.exports = {};</wxs>
<template name="card"><text>{{ fmt.upper(name) }}{{ pg.upper(name) }}</text></template>"#,
        ),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(&files, PAGE, json!({"name": "li"}), &mut host);
    assert_eq!(outline(&tree), "text \"LI\"\n");
    assert_eq!(calls(&host), [("t/card.wxml", "fmt", "upper")]);
    assert_eq!(
        host.warnings,
        ["`pg` is not a wxs module of `t/card.wxml`: `pg.upper(…)` gives undefined"]
    );
}

#[test]
fn a_component_uses_its_own_modules() {
    let files = [
        (
            PAGE,
            r#"<wxs module="fmt">module.exports = {};</wxs><card t="{{ fmt.upper(x) }}"/>"#,
        ),
        (
            "c/card.wxml",
            r#"<wxs module="own">module.exports = {};</wxs><text>{{ own.upper(t) }}{{ fmt.upper(t) }}</text>"#,
        ),
    ];
    let mut host = FakeHost::default().using(PAGE, "card", "c/card", "c/card.wxml", json!({}));
    let tree = render_with(&files, PAGE, json!({"x": "a"}), &mut host);
    assert_eq!(outline(&tree), "card [t=A] @/1\n  text \"A\"\n");
    assert_eq!(
        calls(&host),
        [(PAGE, "fmt", "upper"), ("c/card.wxml", "own", "upper")]
    );
    assert_eq!(host.warnings.len(), 1, "{:?}", host.warnings);
    assert!(host.warnings[0].starts_with("`fmt` is not a wxs module of `c/card.wxml`"));
}
