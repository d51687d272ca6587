//! Rendering: control flow, templates, includes, components with slots, visibility.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use common::{FakeHost, render_with, templates};
use miniperm_wxml::{Node, outline, render, to_render_json};
use serde_json::json;

const PAGE: &str = "pages/a/a.wxml";

fn page(src: &str, data: serde_json::Value) -> (String, FakeHost) {
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, src)], PAGE, data, &mut host);
    (outline(&tree), host)
}

const SETTINGS_SWAP: &str = r#"
<view class="page">
  <text>{{ authorized ? '已授权' : '需要位置权限' }}</text>
  <button wx:if="{{!denied}}" id="ask" class="primary" bindtap="onAsk">获取位置</button>
  <button wx:elif="{{denied && !gaveUp}}" id="go" class="primary" open-type="openSetting" bindopensetting="onSetting">去设置</button>
  <text wx:else>已放弃</text>
</view>
"#;

#[test]
fn if_swaps_a_button_for_an_open_setting_button() {
    let (first, _) = page(SETTINGS_SWAP, json!({"authorized": false, "denied": false}));
    insta::assert_snapshot!("swap_before", first);
    let (after, _) = page(SETTINGS_SWAP, json!({"authorized": false, "denied": true}));
    insta::assert_snapshot!("swap_after", after);
    let (gave_up, _) = page(SETTINGS_SWAP, json!({"denied": true, "gaveUp": 1}));
    insta::assert_snapshot!("swap_else", gave_up);
}

const LIST: &str = r#"
<view wx:for="{{list}}" wx:key="id" data-item-id="{{item.id}}" bindtap="pick">{{index}}: {{item.name}}</view>
<block wx:for="{{groups}}" wx:for-item="g" wx:for-index="gi">
  <text wx:for="{{g.members}}" wx:for-item="m" wx:if="{{m != 'skip'}}">{{gi}}.{{index}} {{m}}</text>
</block>
<text wx:for="{{ {a: 1, b: 2} }}">{{index}}={{item}}</text>
<text wx:for="{{3}}" wx:key="*this">n{{item}}</text>
<text wx:for="ab">{{item}}{{index}}</text>
<text wx:for="{{nothing}}">never</text>
"#;

#[test]
fn for_with_item_index_and_key() {
    let data = json!({
        "list": [{"id": 7, "name": "a"}, {"id": 9, "name": "b"}],
        "groups": [{"members": ["x", "skip", "y"]}, {"members": ["z"]}],
    });
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, LIST)], PAGE, data, &mut host);
    insta::assert_snapshot!("for_loops", outline(&tree));
    let keys: Vec<Option<&str>> = tree.roots.iter().map(|n| n.key.as_deref()).collect();
    assert_eq!(keys[..2], [Some("7"), Some("9")]);
    assert_eq!(tree.roots[0].dataset["itemId"], json!(7));
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn template_and_import() {
    let files = [
        (
            PAGE,
            r#"<import src="/templates/card.wxml"/>
<template name="local"><text>local {{x}}</text></template>
<template is="card" data="{{...user, extra: 1}}"/>
<template is="{{ which }}" data="{{x}}"/>
<template is="deep"/>
<template is="missing"/>"#,
        ),
        (
            "templates/card.wxml",
            r#"<import src="deep.wxml"/>
<template name="card"><view class="card">{{name}} ({{extra}}) {{x}}</view><template is="deep"/></template>"#,
        ),
        (
            "templates/deep.wxml",
            r#"<template name="deep"><text>deep</text></template>"#,
        ),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(
        &files,
        PAGE,
        json!({"user": {"name": "Li"}, "which": "local", "x": 5}),
        &mut host,
    );
    insta::assert_snapshot!("templates", outline(&tree));
    // `deep` reaches card.wxml through its own import, but the page does not import it
    assert_eq!(
        host.warnings,
        [
            "unknown template `deep` in `pages/a/a.wxml` line 5",
            "unknown template `missing` in `pages/a/a.wxml` line 6"
        ]
    );
}

#[test]
fn include_inlines_all_but_templates_and_wxs() {
    let files = [
        (
            PAGE,
            "<view><include src=\"../../common/header.wxml\"/></view><include src=\"nope.wxml\"/>",
        ),
        (
            "common/header.wxml",
            r#"<wxs module="m">module.exports = {};</wxs>
<template name="t"><text>inside template</text></template>
<view class="header">{{title}}</view>
<text wx:if="{{sub}}">{{sub}}</text>"#,
        ),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(
        &files,
        PAGE,
        json!({"title": "Hello", "sub": "world"}),
        &mut host,
    );
    insta::assert_snapshot!("include", outline(&tree));
    assert_eq!(host.warnings.len(), 1);
    assert!(
        host.warnings[0].contains("include `nope.wxml`"),
        "{:?}",
        host.warnings
    );
}

const CARD_PAGE: &str = r#"
<card title="{{title}}" my-count="{{n}}" class="c" bind:change="onChange" data-k="1">
  <text>default {{title}}</text>
  <button slot="footer" bindtap="onOk">OK</button>
  <view slot="nowhere">dropped</view>
</card>
<card title="second" />
"#;
const CARD: &str = r#"
<view class="card-title" bindtap="toggle">{{title}} / {{myCount}} / {{open}}</view>
<view class="body" hidden="{{!open}}"><slot/></view>
<view class="footer"><slot name="footer"/></view>
"#;

#[test]
fn component_with_default_and_named_slots() {
    let files = [(PAGE, CARD_PAGE), ("components/card/card.wxml", CARD)];
    let mut host = FakeHost::default().using(
        PAGE,
        "card",
        "components/card/card",
        "components/card/card.wxml",
        json!({"open": true}),
    );
    let tree = render_with(&files, PAGE, json!({"title": "T", "n": 3}), &mut host);
    insta::assert_snapshot!("component_slots", outline(&tree));
    let host_node = &tree.roots[0];
    assert_eq!(host_node.component.as_deref(), Some("/0"));
    assert_eq!(host_node.owner, "");
    let title = &host_node.children[0];
    assert_eq!(title.owner, "/0");
    // slot content keeps the page as owner
    let slotted = &host_node.children[1].children[0];
    assert_eq!(slotted.owner, "");
    assert_eq!(host.instances[0].0, "/0");
    assert_eq!(host.instances[1].0, "/1");
    assert_eq!(
        serde_json::Value::Object(host.instances[0].2.clone()),
        json!({"title": "T", "myCount": 3})
    );

    // a closed card hides the default slot's content with its body
    let mut host = FakeHost::default().using(
        PAGE,
        "card",
        "components/card/card",
        "components/card/card.wxml",
        json!({"open": false}),
    );
    let tree = render_with(&files, PAGE, json!({"title": "T", "n": 3}), &mut host);
    let slotted = &tree.roots[0].children[1].children[0];
    assert!(!slotted.visible);
}

#[test]
fn component_keys_inside_for_and_nested_components() {
    let files = [
        (
            PAGE,
            r#"<item wx:for="{{ids}}" wx:key="*this" v="{{item}}"/>"#,
        ),
        ("c/item.wxml", r#"<view><leaf v="{{v}}"/></view>"#),
        ("c/leaf.wxml", r#"<text>{{v}}</text>"#),
    ];
    let mut host = FakeHost::default()
        .using(PAGE, "item", "c/item", "c/item.wxml", json!({}))
        .using("c/item.wxml", "leaf", "c/leaf", "c/leaf.wxml", json!({}));
    let tree = render_with(&files, PAGE, json!({"ids": [5, 6]}), &mut host);
    let keys: Vec<&str> = host.instances.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(keys, ["/0[k=5]", "/0[k=5]/0/0", "/0[k=6]", "/0[k=6]/0/0"]);
    assert_eq!(tree.instances(), keys);
    assert_eq!(tree.find_component("/0[k=6]/0/0"), Some(vec![1, 0, 0]));
    assert_eq!(tree.find_component("/9"), None);
    insta::assert_snapshot!("component_keys", outline(&tree));
}

#[test]
fn recursion_is_cut_with_a_warning() {
    let files = [
        (
            PAGE,
            r#"<template name="r"><view><template is="r"/></view></template><template is="r"/>"#,
        ),
        ("c/self.wxml", r#"<self-comp/>"#),
        ("pages/b/b.wxml", r#"<self-comp/>"#),
    ];
    let mut host = FakeHost::default();
    let tree = render_with(&files, PAGE, json!({}), &mut host);
    assert!(!tree.roots.is_empty());
    assert_eq!(host.warnings.len(), 1);
    assert!(
        host.warnings[0].contains("render depth limit"),
        "{:?}",
        host.warnings
    );

    let mut host = FakeHost::default()
        .using(
            "pages/b/b.wxml",
            "self-comp",
            "c/self",
            "c/self.wxml",
            json!({}),
        )
        .using(
            "c/self.wxml",
            "self-comp",
            "c/self",
            "c/self.wxml",
            json!({}),
        );
    let tree = render_with(&files, "pages/b/b.wxml", json!({}), &mut host);
    assert_eq!(tree.roots.len(), 1);
    assert!(
        host.warnings[0].contains("render depth limit"),
        "{:?}",
        host.warnings
    );
}

const HIDDEN: &str = r#"
<view hidden="{{closed}}" id="panel">
  <button id="inner" bindtap="onInner">inner</button>
</view>
<view hidden><text>always hidden</text></view>
<view hidden="{{false}}" id="shown">shown</view>
<view wx:if="{{false}}">not rendered</view>
"#;

#[test]
fn hidden_nodes_stay_in_the_tree_flagged() {
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, HIDDEN)], PAGE, json!({"closed": true}), &mut host);
    insta::assert_snapshot!("hidden", outline(&tree));
    assert_eq!(tree.roots.len(), 3);
    let inner: &Node = &tree.roots[0].children[0];
    assert_eq!(inner.id, "inner");
    assert!(!inner.visible);
    assert!(!tree.roots[1].visible && tree.roots[2].visible);
    insta::assert_json_snapshot!("hidden_render_json", to_render_json(&tree));
}

#[test]
fn bindings_attrs_and_wxs() {
    let src = r#"<wxs module="fmt">module.exports = {}</wxs>
<button class="a {{extra}} b" style="color: {{c}}" disabled="{{off}}" bind:tap="onTap" catchlongpress="{{h}}"
  capture-bind:touchstart="cs" capture-catch:touchend="ce" mut-bind:tap="mt" data-fooBar="{{1}}" data-x-y="z">{{fmt.upper(label)}} {{fmt.nope()}}</button>
<text>{{n}} {{missing}} {{nul}} {{obj}}|{{ list }}</text>
<text>{{n * 2}}</text>"#;
    let mut host = FakeHost::default();
    let tree = render_with(
        &[(PAGE, src)],
        PAGE,
        json!({"extra": "x", "c": "red", "off": false, "h": "onLong", "label": "ok", "n": 1.5, "nul": null, "obj": {"a": 1}, "list": [1, null, "s"]}),
        &mut host,
    );
    insta::assert_snapshot!("bindings", outline(&tree));
    let b = &tree.roots[0];
    assert_eq!(b.classes, ["a", "x", "b"]);
    assert_eq!(b.attrs["disabled"], json!(false));
    assert_eq!(b.dataset["foobar"], json!(1));
    assert_eq!(b.dataset["xY"], json!("z"));
    insta::assert_json_snapshot!("bindings_events", b.events);
    assert_eq!(host.warnings.len(), 1, "{:?}", host.warnings);
    assert!(host.warnings[0].contains("fmt.nope"));
}

#[test]
fn missing_page_and_plugin_components_warn() {
    let t = templates(&[(PAGE, "<view/>")]);
    let mut host = FakeHost::default();
    let tree = render(&t, "pages/none/none.wxml", &json!({}), &mut host);
    assert!(tree.roots.is_empty());
    assert_eq!(host.warnings, ["no WXML `pages/none/none.wxml`"]);
}

#[test]
fn big_loops_are_cut_with_warnings() {
    let (out, host) = page(r#"<text wx:for="{{100000}}">{{item}}</text>"#, json!({}));
    assert_eq!(out.lines().count(), miniperm_wxml::MAX_FOR);
    assert_eq!(host.warnings.len(), 1);
    assert!(host.warnings[0].contains("cut at"), "{:?}", host.warnings);

    let (out, host) = page(
        r#"<view wx:for="{{list}}"><view wx:for="{{list}}">x</view></view>"#,
        json!({"list": vec![0; 1000]}),
    );
    assert!(out.lines().count() <= miniperm_wxml::MAX_NODES);
    assert!(
        host.warnings
            .iter()
            .any(|w| w.contains("render stopped after")),
        "{:?}",
        host.warnings
    );
}

#[test]
fn chains_templates_in_loops_and_raw_values() {
    let src = r#"
<template name="row"><text>{{item.n}}</text></template>
<template is="row" wx:for="{{rows}}" data="{{item}}"/>
<view wx:for="{{rows}}">r</view>
<text wx:else>dangling else renders</text>
<text wx:if="{{0}}">zero</text>
<text wx:elif="{{''}}">empty</text>
<text wx:elif="{{[]}}">array is truthy</text>
<text wx:else>never</text>
<view wx:if="{{obj}}" data-obj="{{obj}}" title="{{obj}}" mixed="a{{obj}}b{{nul}}{{undef}}"/>
"#;
    let data = json!({"rows": [{"n": 1}, {"n": 2}], "obj": {"k": [1, true]}, "nul": null});
    let mut host = FakeHost::default();
    let tree = render_with(&[(PAGE, src)], PAGE, data, &mut host);
    insta::assert_snapshot!("chains", outline(&tree));
    let v = tree.roots.last().unwrap();
    assert_eq!(v.dataset["obj"], json!({"k": [1, true]}));
    assert_eq!(v.attrs["mixed"], json!("a[object Object]b"));
}

#[test]
fn deep_pages_are_cut_not_overflowed() {
    let src = "<view class=\"{{a + 1}}\">".repeat(250) + &"</view>".repeat(250);
    let (out, host) = page(&src, json!({"a": 1}));
    assert_eq!(out.lines().count(), miniperm_wxml::MAX_DEPTH + 1);
    assert_eq!(host.warnings.len(), 1, "{:?}", host.warnings);
}

#[test]
fn for_items_is_the_older_spelling_of_for() {
    let (out, host) = page(
        r#"<text wx:for-items="{{list}}" wx:for-item="x">{{index}}{{x}}</text>"#,
        json!({"list": ["a", "b"]}),
    );
    assert_eq!(out, "text \"0a\"\ntext \"1b\"\n");
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
}

#[test]
fn two_way_bindings_show_their_value_and_name_their_path() {
    let mut host = FakeHost::default();
    let src = r#"<input model:value="{{form.name}}" /><switch model:checked="{{ on }}" /><input model:value="{{a[0]}}" /><input model:value="x{{y}}" />"#;
    let tree = render_with(
        &[(PAGE, src)],
        PAGE,
        json!({"form": {"name": "Ann"}, "on": true, "a": ["z"], "y": 1}),
        &mut host,
    );
    let r = &tree.roots;
    assert_eq!(r[0].attrs["value"], "Ann");
    assert_eq!(r[0].model["value"], "form.name");
    assert_eq!(r[1].attrs["checked"], true);
    assert_eq!(r[1].model["checked"], "on");
    // WeChat takes only `{{a}}` and `{{a.b}}`: others show their value and write nothing back
    assert_eq!(r[2].attrs["value"], "z");
    assert!(r[2].model.is_empty() && r[3].model.is_empty());
    assert_eq!(r[3].attrs["value"], "x1");
}
