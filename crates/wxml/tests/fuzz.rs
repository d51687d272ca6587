//! Fuzz harness on stable Rust (issue 9): token soup for the WXML parser, the expression parser
//! and selectors. Unlike `props.rs` (well-formed pages), these inputs are mostly broken, deeply
//! nested or hostile. Property: every call returns (a value or a typed error), never panics or
//! overflows the stack. Small case counts keep the smoke run fast; raise `PROPTEST_CASES` for more.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_wxml::{Expr, Selector, parse};
use proptest::prelude::*;

fn soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("<view"),
        Just("<button"),
        Just("<template"),
        Just("<import"),
        Just("<include"),
        Just("<wxs"),
        Just("<block"),
        Just("</view>"),
        Just("</block>"),
        Just("</"),
        Just(">"),
        Just("/>"),
        Just(" "),
        Just("\n"),
        Just("="),
        Just("\""),
        Just("'"),
        Just("{{"),
        Just("}}"),
        Just("wx:if"),
        Just("wx:for"),
        Just("wx:else"),
        Just("bindtap"),
        Just("open-type=\"openSetting\""),
        Just("src=\"../../x\""),
        Just("name=\"t\""),
        Just("is=\"t\""),
        Just("a ? b : c"),
        Just("(("),
        Just("))"),
        Just("[["),
        Just("]]"),
        Just("<!--"),
        Just("-->"),
        Just("&amp;"),
        Just("&#x0;"),
        Just("\u{1b}[2J"),
        Just("中"),
    ];
    prop::collection::vec(token, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn wxml_soup_never_panics(src in soup()) {
        let _ = parse("pages/p/p.wxml", &src);
    }

    #[test]
    fn deep_nesting_never_overflows(depth in 1usize..3000, open in prop::sample::select(vec!["<view>", "{{(", "<block wx:if=\"{{a}}\">"])) {
        let _ = parse("pages/p/p.wxml", &open.repeat(depth));
        let _ = Expr::parse(&"(".repeat(depth));
        let _ = Expr::parse(&"a.".repeat(depth));
    }

    #[test]
    fn expressions_and_selectors_never_panic(s in "\\PC{0,60}") {
        let _ = Expr::parse(&s);
        let _ = Selector::parse(&s);
    }
}
