//! The parser over WXML snippets: what it accepts and where it reports errors.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_wxml::{Document, Element, Item, Part, parse};

fn ok(src: &str) -> Document {
    parse("pages/a/a.wxml", src).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn first(doc: &Document) -> &Element {
    match doc.children.first() {
        Some(Item::Element(e)) => e,
        other => panic!("no element first: {other:?}"),
    }
}

#[test]
fn accepted_snippets() {
    let cases: &[(&str, usize)] = &[
        ("<view>hi</view>", 1),
        ("<view class=box id=main>x</view>", 1),
        ("<view class='a' data-x=\"1\"></view>", 1),
        ("<view hidden wx:else disabled></view>", 1),
        ("<my-comp prop=\"{{x}}\" />", 1),
        ("<my-comp prop=\"{{x}}\"/><view/>", 2),
        ("<!-- a <view> in a comment --><view/>", 1),
        ("<view wx:if=\"{{a > b && c < d}}\">x</view>", 1),
        ("<view class=\"{{ ok ? \"yes\" : 'no' }}\"></view>", 1),
        ("<text>{{ '}}' + a }}</text>", 1),
        ("<text>{{ {a: {b: 1}}.a.b }}</text>", 1),
        (
            "<wxs module=\"m\">var f = function(a) { return a < 2 && '<view>'; }; module.exports = {f: f};</wxs><text>{{m.f(1)}}</text>",
            2,
        ),
        (
            "<wxs module=\"m\" src=\"./a.wxs\" /><text>{{m.g()}}</text>",
            2,
        ),
        ("<import src=\"/t/t.wxml\"/><include src='../b/b.wxml'/>", 2),
        ("<template name=\"x\"><view>{{a}}</view></template>", 1),
        ("<template is=\"{{name}}\" data=\"{{...item, a: 1}}\"/>", 1),
        ("<slot/><slot name=\"n\"/>", 2),
        (
            "<block wx:for=\"{{list}}\" wx:key=\"id\"><text>{{item}}</text></block>",
            1,
        ),
        ("text &lt;b&gt; &amp; &quot;q&quot;&nbsp;!", 1),
        ("<view>a < b</view>", 1),
        ("  \n  <view/>\n  ", 1),
        (
            "<button open-type=openSetting bindopensetting=onSet>去设置</button>",
            1,
        ),
        // calls to modules the file does not declare (an included file uses its includer's)
        ("<text>{{ m.f(1) }}</text>", 1),
        (
            "<text>{{ style({color: c}) }} {{ m.a.b(x).length }}</text>",
            1,
        ),
        (
            "<text>{{ m.f(x)[0] }} {{ this.label(item) }} {{ _.cls('a', [['b', on]]) }}</text>",
            1,
        ),
        (
            "<button type=\"primary\"data-mode=\"x\" bindtap=\"go\">x</button>",
            1,
        ),
    ];
    for (src, n) in cases {
        let doc = ok(src);
        assert_eq!(doc.children.len(), *n, "{src}");
    }
}

#[test]
fn details_are_kept() {
    let doc = ok("\n  <view\n   hidden\n   class=a>x</view>");
    let v = first(&doc);
    assert_eq!((v.line, v.col), (2, 3));
    assert_eq!(v.attrs[0].name, "hidden");
    assert!(v.attrs[0].value.is_none());
    assert_eq!((v.attrs[1].line, v.attrs[1].col), (4, 4));

    let doc = ok("<wxs module=\"m\">var a = '<view>'; // </view></wxs>");
    assert_eq!(
        first(&doc).raw.as_deref(),
        Some("var a = '<view>'; // </view>")
    );

    let doc = ok("text &lt;b&gt; &amp; &quot;q&quot;&nbsp;!");
    let Item::Text(t) = &doc.children[0] else {
        panic!()
    };
    assert_eq!(t.tpl.literal().as_deref(), Some("text <b> & \"q\"\u{a0}!"));

    let doc = ok("<text>a {{b}} c</text>");
    let Item::Text(t) = &first(&doc).children[0] else {
        panic!()
    };
    assert!(matches!(
        t.tpl.0.as_slice(),
        [Part::Lit(_), Part::Expr(_), Part::Lit(_)]
    ));

    let mods = ok("<wxs module=\"m\" src=\"./a.wxs\"/><wxs module=\"n\">x</wxs>").wxs_modules();
    assert_eq!(mods.len(), 2);
    assert_eq!(mods[0].src.as_deref(), Some("./a.wxs"));
    assert_eq!(mods[1].code.as_deref(), Some("x"));
}

#[test]
fn errors_name_the_place() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("<view>\n  <text>x</text>", 1, 1, "unclosed tag `view`"),
        (
            "<view>\n<view>\n      <view>x</view>",
            2,
            1,
            "unclosed tag `view`",
        ),
        (
            "<view></text>",
            1,
            7,
            "closing tag `text` does not match `view` opened at line 1, column 1",
        ),
        ("</view>", 1, 1, "unexpected closing tag `view`"),
        ("<view>{{a</view>", 1, 7, "unclosed `{{`"),
        ("<view class=\"{{a\"></view>", 1, 14, "unclosed `{{`"),
        (
            "<text>{{ a + }}</text>",
            1,
            14,
            "unexpected end of expression in `{{a +}}`",
        ),
        (
            "<text>\n  {{ a ? b }}</text>",
            2,
            12,
            "expected `:`, found the end of the expression",
        ),
        (
            "<text>{{ 'x'.toUpperCase() }}</text>",
            1,
            25,
            "only wxs modules can be called",
        ),
        (
            "<text>\n{{ m.f(1)(2) }}</text>",
            2,
            10,
            "only wxs modules can be called",
        ),
        (
            "<view a=\"1\"b=\"2\"=\"3\"></view>",
            1,
            17,
            "unexpected `=` in tag `view`",
        ),
        (
            "<view hidden\"x\"></view>",
            1,
            13,
            "expected a space between attributes in `view`",
        ),
        (
            "<view class=\"a></view>",
            1,
            13,
            "unclosed quote in attribute `class`",
        ),
        (
            "<view class=></view>",
            1,
            13,
            "missing value for attribute `class`",
        ),
        ("<view class", 1, 1, "unterminated start tag `view`"),
        ("<!-- never closed", 1, 1, "unclosed comment"),
        ("<wxs module=\"m\">var a = 1;", 1, 1, "unclosed tag `wxs`"),
        ("<view =\"x\"></view>", 1, 7, "unexpected `=` in tag `view`"),
        ("<text>{{ 'abc }}</text>", 1, 7, "unclosed `{{`"),
        (
            "<view class=\"{{ 'a\\x' + \"b\" }}\" wx:if=\"{{ 'abc' + }}\"></view>",
            1,
            51,
            "unexpected end",
        ),
        ("<text>{{ a = 1 }}</text>", 1, 12, "unexpected `=`"),
        ("<text>{{}}</text>", 1, 9, "empty expression"),
        (
            "<view></view\n>x</view>",
            2,
            3,
            "unexpected closing tag `view`",
        ),
        (
            "<text>{{ \"中文\" + }}</text>",
            1,
            17,
            "unexpected end of expression",
        ),
    ];
    for (src, line, col, msg) in cases {
        let e = parse("pages/a/a.wxml", src).expect_err(src);
        assert!(e.message.contains(msg), "{src:?}: got {:?}", e.message);
        assert_eq!((e.line, e.column), (*line, *col), "{src:?}: {e}");
    }
}

#[test]
fn error_display() {
    let e = parse("pages/a/a.wxml", "<page>\n\n  <view>\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`pages/a/a.wxml` line 3, column 3: unclosed tag `view`"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = "<view>".repeat(5000) + &"</view>".repeat(5000);
    let e = parse("a.wxml", &src).unwrap_err();
    assert!(e.message.contains("nested deeper"), "{e}");
}

fn attrs(doc: &Document) -> Vec<(String, Option<String>)> {
    first(doc)
        .attrs
        .iter()
        .map(|a| {
            let v = a.value.as_ref().map(|t| match t.literal() {
                Some(l) => l,
                None => "{{}}".to_string(),
            });
            (a.name.clone(), v)
        })
        .collect()
}

#[test]
fn attributes_may_follow_a_quoted_value_without_a_space() {
    let pairs = |v: &[(&str, Option<&str>)]| -> Vec<(String, Option<String>)> {
        v.iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
            .collect()
    };
    let doc = ok("<button type=\"primary\"data-mode=\"x\" bindtap=\"go\">Go</button>");
    assert_eq!(
        attrs(&doc),
        pairs(&[
            ("type", Some("primary")),
            ("data-mode", Some("x")),
            ("bindtap", Some("go"))
        ])
    );
    // single quotes, a `{{ }}` value (holding quotes and `>`), a value-less attribute, `/>`
    let doc =
        ok("<view class='a'id=\"{{ a > 1 ? 'x' : \"y\" }}\"data-k=\"{{k}}\"hidden bindtap=go/>");
    assert_eq!(
        attrs(&doc),
        pairs(&[
            ("class", Some("a")),
            ("id", Some("{{}}")),
            ("data-k", Some("{{}}")),
            ("hidden", None),
            ("bindtap", Some("go"))
        ])
    );
    // positions of glued attributes
    let doc = ok("<view a=\"1\"b=\"2\"\n  c=\"3\"d='4'></view>");
    let pos: Vec<(usize, usize)> = first(&doc).attrs.iter().map(|a| (a.line, a.col)).collect();
    assert_eq!(pos, [(1, 7), (1, 12), (2, 3), (2, 8)]);
    // unclosed tags stay errors, with their place
    let e = parse("pages/a/a.wxml", "<view a=\"1\"b=\"2\">\n<text>x</text>").unwrap_err();
    assert_eq!(
        (e.line, e.column, e.message.as_str()),
        (1, 1, "unclosed tag `view`")
    );
}

#[test]
fn calls_parse_whatever_modules_the_file_declares() {
    // the parser does not know which modules an includer gives: no error here
    let doc = ok("<view>{{ m.f(1) }}</view><text>{{ nope(2) }}</text>");
    let mut mods = Vec::new();
    for it in &doc.children {
        if let Item::Element(e) = it
            && let Some(Item::Text(t)) = e.children.first()
            && let [Part::Expr(x)] = t.tpl.0.as_slice()
        {
            x.modules(&mut mods);
        }
    }
    assert_eq!(mods, ["m", "nope"]);
}
