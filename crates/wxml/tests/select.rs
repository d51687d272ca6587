//! Selectors, `tappable` and `ancestors` on rendered trees.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use common::{FakeHost, render_with};
use miniperm_wxml::{Selector, SelectorError, Tree, ancestors, find, find_all, tappable};
use serde_json::json;

const PAGE: &str = "pages/a/a.wxml";

const SRC: &str = r#"
<view id="root" class="page">
  <view class="row" bindtap="onRow">
    <text>设置</text>
    <button class="primary small" id="go" open-type="openSetting" bindopensetting="onSetting">去<text>设置</text></button>
  </view>
  <button open-type="getPhoneNumber" hidden="{{hideHidden}}" id="secret">隐藏的按钮</button>
  <button class="plain" open-type="contact"></button>
  <view bindtap="onCard" data-id="{{7}}" class="card x"><image src="a.png"/></view>
  <view hidden><button bindtap="never">不可见</button></view>
  <button bindtap="onPlain">普通</button>
</view>
"#;

fn tree() -> Tree {
    let mut host = FakeHost::default();
    render_with(&[(PAGE, SRC)], PAGE, json!({"hideHidden": true}), &mut host)
}

fn tag_at(t: &Tree, sel: &str) -> Option<String> {
    let s = Selector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
    find(t, &s).and_then(|p| t.get(&p)).map(|n| {
        if n.id.is_empty() {
            n.tag.clone()
        } else {
            format!("{}#{}", n.tag, n.id)
        }
    })
}

#[test]
fn finds_the_first_visible_match() {
    let t = tree();
    assert_eq!(tag_at(&t, "#go").as_deref(), Some("button#go"));
    assert_eq!(tag_at(&t, ".primary").as_deref(), Some("button#go"));
    assert_eq!(
        tag_at(&t, "button.primary.small#go[open-type=openSetting]").as_deref(),
        Some("button#go")
    );
    assert_eq!(
        tag_at(&t, "button[open-type='openSetting']").as_deref(),
        Some("button#go")
    );
    assert_eq!(
        tag_at(&t, "open-type=openSetting").as_deref(),
        Some("button#go")
    );
    assert_eq!(tag_at(&t, "open-type=contact").as_deref(), Some("button"));
    assert_eq!(tag_at(&t, "view").as_deref(), Some("view#root"));
    assert_eq!(tag_at(&t, "[data-id=7]").as_deref(), Some("view"));
    assert_eq!(tag_at(&t, "view.card.x").as_deref(), Some("view"));
    assert_eq!(tag_at(&t, "image[src]").as_deref(), Some("image"));
    // hidden elements are never found
    assert_eq!(tag_at(&t, "#secret"), None);
    assert_eq!(tag_at(&t, "open-type=getPhoneNumber"), None);
    assert_eq!(tag_at(&t, "text=不可见"), None);
    assert_eq!(tag_at(&t, ".nothing"), None);
    assert_eq!(find_all(&t, &Selector::parse("button").unwrap()).len(), 3);
}

#[test]
fn text_finds_the_innermost_element() {
    let t = tree();
    // `设置` first appears in the row's own <text>, the innermost element holding it
    let p = find(&t, &Selector::parse("text=设置").unwrap()).unwrap();
    assert_eq!(p, [0, 0, 0]);
    // `去设置` spans the button's text and its <text>: the button is innermost
    assert_eq!(tag_at(&t, "text=去设置").as_deref(), Some("button#go"));
    assert_eq!(tag_at(&t, "text=\"普通\"").as_deref(), Some("button"));
}

#[test]
fn ancestors_go_from_target_to_root() {
    let t = tree();
    let p = find(&t, &Selector::parse("text=去设置").unwrap()).unwrap();
    let chain: Vec<String> = ancestors(&t, &p)
        .iter()
        .map(|n| {
            format!(
                "{}{}",
                n.tag,
                n.events
                    .first()
                    .map(|b| format!("({})", b.handler))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(chain, ["button(onSetting)", "view(onRow)", "view"]);
    assert!(ancestors(&t, &[9, 9]).is_empty());
}

#[test]
fn tappable_lists_visible_targets() {
    let t = tree();
    assert_eq!(
        tappable(&t),
        [
            "text=设置去设置",
            "#go",
            "button.plain",
            "view.card",
            "text=普通"
        ]
    );
}

#[test]
fn tappable_lists_form_buttons_and_navigators() {
    let src = r#"
<form bindsubmit="onSubmit">
  <input name="n" />
  <button id="send" form-type="submit">Send</button>
  <button formType="reset">Clear</button>
  <button>Plain</button>
</form>
<button form-type="submit">Outside</button>
<navigator url="/pages/b/b">More</navigator>
"#;
    let mut host = FakeHost::default();
    let t = render_with(&[(PAGE, src)], PAGE, json!({}), &mut host);
    // a submit or reset button counts inside a form only; a plain button does nothing
    assert_eq!(tappable(&t), ["#send", "text=Clear", "text=More"]);
}

#[test]
fn bad_selectors() {
    assert_eq!(Selector::parse("  "), Err(SelectorError::Empty));
    for (s, msg) in [
        ("#", "bad selector `#`: `#` needs a name"),
        ("view.", "bad selector `view.`: `.` needs a name"),
        (
            "button[open-type",
            "bad selector `button[open-type`: expected `]`",
        ),
        ("a[b='c]", "bad selector `a[b='c]`: unclosed quote"),
        ("text=", "bad selector `text=`: `text=` needs a label"),
        ("a b", "bad selector `a b`: unexpected ` `"),
        ("[=x]", "bad selector `[=x]`: `[` needs an attribute name"),
    ] {
        assert_eq!(Selector::parse(s).unwrap_err().to_string(), msg);
    }
    let s = Selector::parse("button.primary#go[open-type=openSetting]").unwrap();
    assert_eq!(s.to_string(), "button#go.primary[open-type=openSetting]");
}

#[test]
fn nth_picks_the_nth_visible_match_and_round_trips() {
    let t = tree();
    // Visible buttons in document order: #go, the plain contact button, 普通 (#secret is hidden).
    assert_eq!(tag_at(&t, "button:nth(1)").as_deref(), Some("button#go"));
    let s = Selector::parse("button:nth(3)").unwrap();
    let p = find(&t, &s).unwrap();
    assert_eq!(t.get(&p).unwrap().visible_text(), "普通");
    assert_eq!(find_all(&t, &s), vec![p]);
    assert_eq!(s.to_string(), "button:nth(3)");
    assert_eq!(tag_at(&t, "view.card:nth(2)"), None);
    assert_eq!(tag_at(&t, "view.row:nth(1)").as_deref(), Some("view"));
    for bad in ["button:nth(0)", "button:nth(x)", ":nth(2)"] {
        assert!(
            matches!(Selector::parse(bad), Err(SelectorError::Bad { .. })),
            "{bad}"
        );
    }
}
