//! A file's WXML as written, before any rendering: its elements in document order and the
//! event bindings with a literal handler. For a host that must know what a page binds without
//! its data (the explorer's entry points when nothing is visible yet, a tap by method name):
//! the binding forms are the renderer's ([`binding`]), so the two never disagree on what a tap
//! binding is.

use std::collections::BTreeMap;

use crate::parse::{Document, Element, Item};
use crate::render::{Binding, binding, dataset_key};

/// Every element of `doc` in document order (a parent before its children, siblings in
/// order), `<template>` bodies and `<wxs>` tags included; includes and imports not followed.
pub fn elements(doc: &Document) -> Vec<&Element> {
    let mut out = Vec::new();
    let mut stack: Vec<std::slice::Iter<'_, Item>> = vec![doc.children.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(Item::Element(e)) => {
                out.push(e);
                stack.push(e.children.iter());
            }
            Some(Item::Text(_)) => {}
            None => {
                stack.pop();
            }
        }
    }
    out
}

/// Every event binding written with a literal, non-empty handler (`bindtap="go"`,
/// `bind:tap`, `catchtap`, `catch:tap`, `capture-bind:tap`, `capture-catch:tap`,
/// `mut-bind:tap`, and the same forms for any event), with its element, in document order
/// (an element's bindings in attribute order). A handler with `{{ }}` is left out: only a
/// render knows it.
pub fn written_bindings(doc: &Document) -> Vec<(&Element, Binding)> {
    elements(doc)
        .into_iter()
        .flat_map(|el| bindings_of(el).into_iter().map(move |b| (el, b)))
        .collect()
}

/// One element's event bindings with a literal, non-empty handler, in attribute order.
pub fn bindings_of(el: &Element) -> Vec<Binding> {
    el.attrs
        .iter()
        .filter_map(|a| {
            let (event, catch, capture, mut_) = binding(&a.name)?;
            let handler = a.value.as_ref().and_then(|v| v.literal())?;
            (!handler.is_empty()).then(|| Binding {
                event: event.to_string(),
                handler,
                catch,
                capture,
                mut_,
            })
        })
        .collect()
}

/// The element's `data-*` attributes with a literal value, by dataset key (`data-foo-bar` as
/// `fooBar`, as a render gives them); the ones with `{{ }}` are left out.
pub fn static_dataset(el: &Element) -> BTreeMap<String, String> {
    el.attrs
        .iter()
        .filter_map(|a| {
            let d = a.name.strip_prefix("data-")?;
            let v = a
                .value
                .as_ref()
                .map_or(Some(String::new()), |v| v.literal())?;
            Some((dataset_key(d), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn every_tap_form_in_document_order() {
        let doc = parse(
            "a.wxml",
            r#"<view bindtap="a"><view capture-catch:tap="b"/></view><!-- <view bindtap="c"/> -->
<template name="t"><view catch:tap="d" data-x-y="1" data-z="{{z}}"/></template>
<view bindtap="{{dyn}}" capture-bind:tap="e" mut-bind:tap="f" bind:tap="g" catchtap="h"/>
<button open-type="openSetting" bindopensetting="back"/>"#,
        )
        .expect("parses");
        let all = written_bindings(&doc);
        let taps: Vec<&str> = all
            .iter()
            .filter(|(_, b)| b.event == "tap")
            .map(|(_, b)| b.handler.as_str())
            .collect();
        assert_eq!(taps, ["a", "b", "d", "e", "f", "g", "h"]);
        let (el, b) = all.last().expect("the button's binding");
        assert_eq!(
            (el.name.as_str(), b.event.as_str()),
            ("button", "opensetting")
        );
        let (d, _) = &all[2];
        assert_eq!(
            static_dataset(d),
            BTreeMap::from([("xY".to_string(), "1".to_string())])
        );
        let names: Vec<&str> = elements(&doc).iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["view", "view", "template", "view", "view", "button"]
        );
    }
}
