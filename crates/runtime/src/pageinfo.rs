//! What a page's WXML binds as written, before any render: its tap handlers (with their
//! element's id and static `data-*`) and its first open-type `openSetting` and
//! `agreePrivacyAuthorization` buttons. Read off the parsed file through
//! `miniperm_wxml::written_bindings`, so a tap binding here is what the renderer calls one (every
//! form: `bindtap`, `catchtap`, `bind:tap`, `catch:tap`, `mut-bind:tap`, `capture-bind:tap`,
//! `capture-catch:tap`).

use std::collections::BTreeMap;

use miniperm_wxml::{Document, bindings_of, elements, static_dataset};

/// A button with an `open-type` in a page's WXML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Button {
    /// The `bindopensetting` / `bindagreeprivacyauthorization` handler, if any.
    pub handler: Option<String>,
    pub id: String,
}

/// One tap target of a page's WXML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapTarget {
    pub handler: String,
    /// Static `data-*` attributes by dataset key (values with `{{ }}` are left out).
    pub dataset: BTreeMap<String, String>,
    pub id: String,
}

/// What the explorer and the runner read from a page's WXML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageInfo {
    pub route: String,
    /// Tap handlers (every binding form) in document order (deduplicated).
    pub taps: Vec<TapTarget>,
    pub open_setting: Option<Button>,
    pub agree_privacy: Option<Button>,
}

impl PageInfo {
    /// The handler names, in document order.
    pub fn tap_handlers(&self) -> Vec<String> {
        self.taps.iter().map(|t| t.handler.clone()).collect()
    }

    /// The page `route` as its parsed WXML `doc` writes it (nothing when it has none, or its
    /// WXML does not parse).
    pub(crate) fn of(route: &str, doc: Option<&Document>) -> PageInfo {
        let mut info = PageInfo {
            route: route.to_string(),
            ..PageInfo::default()
        };
        let Some(doc) = doc else { return info };
        for el in elements(doc) {
            let bindings = bindings_of(el);
            let id = el.literal("id").unwrap_or_default();
            for b in bindings.iter().filter(|b| b.event == "tap") {
                let handler = b.handler.trim();
                if handler.is_empty() || info.taps.iter().any(|t| t.handler == handler) {
                    continue;
                }
                info.taps.push(TapTarget {
                    handler: handler.to_string(),
                    dataset: static_dataset(el),
                    id: id.clone(),
                });
            }
            if el.name != "button" {
                continue;
            }
            let button = |event: &str| Button {
                handler: bindings
                    .iter()
                    .find(|b| b.event == event)
                    .map(|b| b.handler.clone()),
                id: id.clone(),
            };
            match el.literal("open-type").as_deref() {
                Some("openSetting") if info.open_setting.is_none() => {
                    info.open_setting = Some(button("opensetting"));
                }
                Some("agreePrivacyAuthorization") if info.agree_privacy.is_none() => {
                    info.agree_privacy = Some(button("agreeprivacyauthorization"));
                }
                _ => {}
            }
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(w: &str) -> PageInfo {
        let doc = miniperm_wxml::parse("pages/x/x.wxml", w).ok();
        PageInfo::of("pages/x/x", doc.as_ref())
    }

    #[test]
    fn taps_and_buttons() {
        let i = info(
            r#"<view bindtap="a" data-x="1" data-y="{{y}}"></view><!-- <view bindtap="hidden"/> -->
<button open-type="openSetting" bindopensetting="back">go</button>
<button id="agree" open-type="agreePrivacyAuthorization" bindagreeprivacyauthorization="onAgree">ok</button>
<view catchtap='b'/>"#,
        );
        assert_eq!(i.tap_handlers(), vec!["a", "b"]);
        assert_eq!(i.taps[0].dataset.get("x").map(String::as_str), Some("1"));
        assert!(!i.taps[0].dataset.contains_key("y"));
        assert_eq!(
            i.open_setting.and_then(|b| b.handler).as_deref(),
            Some("back")
        );
        let a = i.agree_privacy.unwrap_or_default();
        assert_eq!(a.id, "agree");
        assert_eq!(a.handler.as_deref(), Some("onAgree"));
    }

    #[test]
    fn every_tap_binding_form_is_a_tap() {
        let i = info(
            r#"<view bindtap="a"/><view catchtap="b"/><view bind:tap="c"/><view catch:tap="d"/>
<view mut-bind:tap="e"/><view capture-bind:tap="f"/><view id="g" capture-catch:tap="g" data-k="v"/>"#,
        );
        assert_eq!(i.tap_handlers(), ["a", "b", "c", "d", "e", "f", "g"]);
        let g = &i.taps[6];
        assert_eq!(
            (g.id.as_str(), g.dataset.get("k").map(String::as_str)),
            ("g", Some("v"))
        );
    }

    #[test]
    fn no_wxml_no_taps() {
        assert_eq!(PageInfo::of("pages/x/x", None).route, "pages/x/x");
        assert!(
            info("<view bindtap=\"a\">").taps.is_empty(),
            "a file that does not parse"
        );
    }
}
