//! Properties: parsing and rendering never panic, whatever the data or the WXML.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use common::FakeHost;
use miniperm_wxml::{
    Expr, Node, Selector, Templates, find, outline, parse, render, tappable, to_render_json,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const PAGE: &str = "pages/p/p.wxml";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..20).prop_map(Value::from),
        (-1e3f64..1e3).prop_map(Value::from),
        prop_oneof![
            Just("a"),
            Just(""),
            Just("skip"),
            Just("中文"),
            Just("0"),
            Just("x y")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![Just("a"), Just("b"), Just("list"), Just("id"), Just("show")],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

fn data() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            prop_oneof![
                Just("a"),
                Just("b"),
                Just("list"),
                Just("show"),
                Just("name"),
                Just("n")
            ],
            json_value(),
        ),
        0..6,
    )
    .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

const FIXED: &str = r#"
<wxs module="fmt">module.exports = {}</wxs>
<import src="/t/t.wxml"/>
<view wx:for="{{list}}" wx:key="id" hidden="{{!item.show}}" data-i="{{index}}" bindtap="{{a}}">
  {{item.a + item.b}} {{index}} {{ item[b] }} {{fmt.upper(item)}}
  <template is="{{name}}" data="{{...item, a: a}}"/>
</view>
<block wx:if="{{a > b}}"><text>{{a - b}}</text></block>
<text wx:elif="{{a == b}}">{{a * b / n}}</text>
<button wx:else open-type="{{name}}" bindopensetting="x">{{ !a ? 'no' : a.length }}</button>
<text wx:for="{{n}}" wx:if="{{item % 2}}">{{ typeof item }}</text>
<my-comp a="{{a}}" list="{{list}}"><text slot="s">{{b}}</text>{{a}}</my-comp>
<include src="/t/inc.wxml"/>
"#;

fn templates(page: &str) -> Templates {
    let files = [
        (PAGE, page),
        (
            "t/t.wxml",
            r#"<template name="a"><view>{{a}} {{b}}</view><template is="a" data="{{a: a}}"/></template><template name="b"><text>{{ list[0] }}</text></template>"#,
        ),
        ("t/inc.wxml", r#"<text wx:for="{{b}}">{{item}}</text>"#),
        (
            "c/c.wxml",
            r#"<view hidden="{{!a}}"><slot/><slot name="s"/><my-comp a="{{list}}"/></view>"#,
        ),
    ];
    let (t, errors) = Templates::parse_all(files);
    assert!(errors.is_empty() || page != FIXED, "{errors:?}");
    t
}

fn host() -> FakeHost {
    FakeHost::default()
        .using(PAGE, "my-comp", "c/c", "c/c.wxml", json!({"a": 1}))
        .using("c/c.wxml", "my-comp", "c/c", "c/c.wxml", json!({}))
}

fn check_tree(roots: &[Node], parent_visible: bool) {
    for n in roots {
        if !parent_visible {
            assert!(!n.visible, "a child of a hidden node is visible");
        }
        check_tree(&n.children, n.visible);
    }
}

/// Generated WXML from a small grammar (always well formed).
fn wxml() -> impl Strategy<Value = String> {
    let expr = prop_oneof![
        Just("a"),
        Just("b"),
        Just("list"),
        Just("a.b[0]"),
        Just("a + 1"),
        Just("!show"),
        Just("a ? b : 'x'"),
        Just("list.length > 1"),
        Just("{x: a, ...b}"),
        Just("[a, ...list]"),
        Just("n"),
        Just("'s' + n"),
        Just("item"),
        Just("index"),
    ];
    let attr = (
        prop_oneof![
            Just("wx:if"),
            Just("wx:elif"),
            Just("wx:else"),
            Just("hidden"),
            Just("wx:for"),
            Just("class"),
            Just("id"),
            Just("bindtap"),
            Just("data-x"),
            Just("slot"),
            Just("wx:key"),
            Just("open-type"),
        ],
        prop::option::of(expr.clone()),
    )
        .prop_map(|(name, e)| match e {
            Some(e) => format!(" {name}=\"{{{{{e}}}}}\""),
            None => format!(" {name}"),
        });
    let text = prop_oneof![
        expr.clone().prop_map(|e| format!("{{{{{e}}}}}")),
        Just("hello".to_string()),
        Just("&lt;&amp;".to_string()),
    ];
    let leaf = prop_oneof![
        text,
        Just("<slot/>".to_string()),
        Just("<template is=\"a\" data=\"{{a, b}}\"/>".to_string()),
        Just("<include src=\"/t/inc.wxml\"/>".to_string()),
        Just("<my-comp a=\"{{a}}\"/>".to_string()),
    ];
    leaf.prop_recursive(5, 60, 4, move |inner| {
        (
            prop_oneof![
                Just("view"),
                Just("text"),
                Just("button"),
                Just("block"),
                Just("my-comp")
            ],
            prop::collection::vec(attr.clone(), 0..3),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(tag, attrs, children)| {
                format!("<{tag}{}>{}</{tag}>", attrs.concat(), children.concat())
            })
    })
}

fn exercise(t: &Templates, data: &Value) {
    let mut h = host();
    let tree = render(t, PAGE, data, &mut h);
    check_tree(&tree.roots, true);
    let _ = outline(&tree);
    let _ = to_render_json(&tree);
    for s in tappable(&tree) {
        let sel = Selector::parse(&s).expect("tappable gives valid selectors");
        let p = find(&tree, &sel).expect("tappable selectors find something");
        assert!(tree.get(&p).is_some_and(|n| n.visible));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_data_renders(data in data()) {
        let t = templates(FIXED);
        exercise(&t, &data);
    }

    #[test]
    fn any_generated_wxml_renders(body in prop::collection::vec(wxml(), 1..4), data in data()) {
        let page = body.concat();
        parse(PAGE, &page).map_err(|e| TestCaseError::fail(format!("{page}: {e}")))?;
        let t = templates(&page);
        exercise(&t, &data);
    }

    /// Attributes glued after quoted values (`a="1"b='2'`) parse as separate attributes.
    #[test]
    fn glued_attributes_parse_apart(
        attrs in prop::collection::vec(
            (
                "[a-z][a-z0-9:-]{0,6}",
                prop_oneof![Just("x"), Just(""), Just("{{a}}"), Just("a {{ b > 1 ? 'p' : \"q\" }} c"), Just("中 &amp;")],
                prop::bool::ANY,
                prop_oneof![Just(""), Just(" "), Just("\n  ")],
            ),
            1..6,
        )
    ) {
        let mut src = "<view".to_string();
        for (name, value, single, sep) in &attrs {
            // the first attribute needs a space after the tag name
            src.push_str(if sep.is_empty() && src == "<view" { " " } else { sep });
            // quotes in values are inside `{{ }}`, where either quote may close
            let q = if *single { '\'' } else { '"' };
            src.push_str(&format!("{name}={q}{value}{q}"));
        }
        src.push_str("></view>");
        let doc = parse(PAGE, &src).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
        let Some(miniperm_wxml::Item::Element(el)) = doc.children.first() else {
            return Err(TestCaseError::fail(format!("{src}: no element")));
        };
        let names: Vec<&str> = el.attrs.iter().map(|a| a.name.as_str()).collect();
        let want: Vec<&str> = attrs.iter().map(|(n, ..)| n.as_str()).collect();
        prop_assert_eq!(names, want, "{}", src);
    }

    #[test]
    fn any_text_parses_or_errors(src in "[<>/a-z =\"'{}!?:.\\-\\[\\]&;0-9\\n中]{0,80}") {
        if let Err(e) = parse(PAGE, &src) {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
        let _ = Expr::parse(&src);
        let _ = Selector::parse(&src);
    }
}
