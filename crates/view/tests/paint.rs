//! Screens of real projects drawn: the styles fixture (app, page and component WXSS, isolation,
//! images) and the classic example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use miniperm_consent::MemoryStore;
use miniperm_runtime::{Device, Project, RunConfig, SIMULATOR_DEVICE, ScriptedUser, run};
use miniperm_view::{Painted, Painter, Theme};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn paint(dir: &str, taps: &[&str], device: Device) -> Painted {
    let project = Project::load(&root().join(dir)).unwrap();
    let mut cfg = RunConfig::new(&project);
    cfg.screen = true;
    cfg.device = device;
    cfg.taps = taps.iter().map(|s| s.to_string()).collect();
    let out = run(
        &project,
        &cfg,
        &mut MemoryStore::new(),
        &mut ScriptedUser::new(vec![]),
    )
    .unwrap();
    let screen = out.screen.expect("a screen");
    let painted = Painter::new(&project, device, Theme::Light).paint(&screen);
    if let Ok(out) = std::env::var("MINIPERM_VIEW_OUT") {
        let name = format!("{}.html", dir.replace('/', "_"));
        std::fs::write(PathBuf::from(out).join(name), &painted.html).unwrap();
    }
    painted
}

#[test]
fn the_styles_fixture_draws_with_its_wxss_and_image() {
    let p = paint("tests/browser/fixtures/styles", &[], SIMULATOR_DEVICE);
    let h = &p.html;
    // Elements keep their WXML id, class and data-*; the tap selector rides along.
    assert!(h.contains(r#"<wx-view id="top" class="page-box imported" mp-class="|page-box |imported" data-item-id="7" data-kind="demo" mp-sel="view#top.page-box.imported">"#), "{h}");
    // 750rpx at 375 px wide.
    assert!(
        h.contains(r#"[mp-class~="|full"]{width: 375px; height: 10px;"#),
        "{h}"
    );
    // The isolated component's classes live in its own scope only.
    assert!(h.contains(r#"id="iso-inner" class="card-title app-box tagged" mp-class="components/card/card|card-title components/card/card|app-box components/card/card|tagged""#), "{h}");
    // apply-shared: the page's scope too.
    assert!(h.contains(r#"mp-class="components/card-apply/card-apply|card-title |card-title components/card-apply/card-apply|app-box |app-box""#), "{h}");
    // The external class comes from the host, in the page's scope.
    assert!(
        h.contains(r#"id="ext-inner" class="ext-class" mp-class="|ext-red""#),
        "{h}"
    );
    // The image inlined, the missing one broken, the map a placeholder; the nav bar from app.json.
    assert!(
        h.contains("<img alt=\"\" src=\"data:image/png;base64,"),
        "{h}"
    );
    assert!(
        h.contains(r#"mp-broken="" title="image not found in the project: /images/missing.png""#),
        "{h}"
    );
    assert!(
        h.contains(r#"mp-placeholder="&lt;map&gt; (a native view: not drawn)""#),
        "{h}"
    );
    // A tag that is neither built in nor a component: a labelled box, its content kept.
    assert!(
        h.contains(r#"<wx-fancy-widget id="unknown" mp-sel="fancy-widget#unknown" mp-placeholder="&lt;fancy-widget&gt; (not a component miniperm knows)">未注册的组件</wx-fancy-widget>"#),
        "{h}"
    );
    assert!(
        h.contains("background:#1f6feb;color:#ffffff\"><span class=\"mp-title\">样式与组件</span>"),
        "{h}"
    );
    assert!(
        h.contains("role=\"tab\" aria-selected=\"true\" style=\"color:#07c160\""),
        "{h}"
    );
    // What WeChat refuses is left out, and said.
    assert!(!h.contains("outline: 9px"), "{h}");
    assert!(
        p.warnings.iter().any(|w| w.contains("no `*` selector")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("components/card/card.wxss:") && w.contains("id selectors")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn untrusted_text_never_becomes_markup() {
    let dir = std::env::temp_dir().join(format!("miniperm-view-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pages/index")).unwrap();
    std::fs::write(
        dir.join("app.json"),
        r#"{"pages":["pages/index/index"],"window":{"navigationBarTitleText":"</title><script>x()</script>","navigationBarBackgroundColor":"red;}</style><script>"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("app.wxss"),
        ".a{color:red}</style><script>alert(1)</script>",
    )
    .unwrap();
    std::fs::write(
        dir.join("pages/index/index.wxml"),
        r#"<view class="a" onclick="x()" data-x="&quot;><script>" style="color:red;}</style><b>">{{'<img src=x onerror=alert(1)>'}}</view><rich-text nodes="<b onclick=x>bold</b>"/>"#,
    )
    .unwrap();
    std::fs::write(dir.join("pages/index/index.js"), "Page({})").unwrap();
    let project = Project::load(&dir).unwrap();
    let mut cfg = RunConfig::new(&project);
    cfg.screen = true;
    let out = run(
        &project,
        &cfg,
        &mut MemoryStore::new(),
        &mut ScriptedUser::new(vec![]),
    )
    .unwrap();
    let h = Painter::new(&project, SIMULATOR_DEVICE, Theme::Light)
        .paint(&out.screen.unwrap())
        .html;
    std::fs::remove_dir_all(&dir).ok();
    assert!(!h.contains("<script"), "{h}");
    assert!(!h.contains("<img src=x"), "{h}");
    assert!(!h.contains("onclick"), "{h}");
    assert!(!h.contains("<b>") && !h.contains("<b "), "{h}");
    assert_eq!(h.matches("</style>").count(), 2, "{h}");
    assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"), "{h}");
}

#[test]
fn classic_draws_its_button_and_image() {
    let p = paint("examples/classic", &[], SIMULATOR_DEVICE);
    assert!(p.html.contains("<wx-button type=\"primary\" mp-hover=\"|button-hover\" mp-hover-stay=\"70\" mp-hover-default=\"\" mp-sel=\"button\" mp-tap tabindex=\"0\" role=\"button\" mp-events=\"tap\">获取当前位置</wx-button>"), "{}", p.html);
}

#[test]
fn a_custom_tab_bar_is_drawn_below_its_tab_page() {
    // app.json `tabBar.custom`: the `custom-tab-bar` component's own template, in its own scope,
    // after the page's elements, and no default tab bar beside it
    let p = paint(
        "crates/runtime/tests/fixtures/wholeapp",
        &[],
        SIMULATOR_DEVICE,
    );
    let h = &p.html;
    let bar = h
        .find("<wx-custom-tab-bar")
        .expect("the custom tab bar's host");
    let page = h.find("launched").unwrap_or(0);
    assert!(bar > page, "after the page's own elements: {h}");
    assert!(
        h[bar..].contains(r#"mp-class="custom-tab-bar/index|tab-bar""#),
        "its template in its own scope: {h}"
    );
    assert!(
        h[bar..].contains(">Home<") && h[bar..].contains(">Tabs<"),
        "{h}"
    );
}
