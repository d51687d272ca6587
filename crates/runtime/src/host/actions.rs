//! What a user does to a form control besides tapping it, as `--tap` targets (additive; the
//! simulator sends them when a person types or toggles):
//!
//! - `input(SELECTOR)=TEXT`: the `<input>`/`<textarea>` SELECTOR finds now holds TEXT: its
//!   `bindinput` gets `{value, cursor, keyCode}` (WeChat's input event does not bubble);
//! - `change(SELECTOR)=VALUE`: a `<switch>` or `<slider>` takes VALUE (`true`/`false`, a
//!   number): its `bindchange` gets `{value}`; a `<checkbox>` or `<radio>` is checked (`true`) or
//!   not (`false`): the `bindchange` of its `<checkbox-group>` gets the values now checked, of
//!   its `<radio-group>` the radio's value; a `<picker>` takes the index VALUE.
//!
//! These are not taps: no gesture context (WeChat allows `openSetting` and the like only from a
//! tap).

use crate::event::Event;
use miniperm_wxml::{Node, Selector, Tree};
use serde_json::{Value as Json, json};

use super::driver::Driver;
use super::outcome::{Halt, RunError};

/// `input(SEL)=TEXT` / `change(SEL)=VALUE` as (kind, selector, value).
pub(super) fn parse(text: &str) -> Option<(&'static str, &str, &str)> {
    for kind in ["input", "change"] {
        if let Some(rest) = text.strip_prefix(kind).and_then(|r| r.strip_prefix('('))
            && let Some((sel, value)) = rest.split_once(")=")
        {
            return Some((kind, sel, value));
        }
    }
    None
}

fn js_text(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn checked(n: &Node) -> bool {
    match n.attrs.get("checked") {
        None | Some(Json::Null) | Some(Json::Bool(false)) => false,
        Some(Json::String(s)) => !s.is_empty() && s != "false",
        Some(_) => true,
    }
}

fn event(ty: &str, target: &Node, current: &Node, detail: Json) -> Json {
    let t = |n: &Node| json!({"id": n.id, "dataset": n.dataset, "offsetLeft": 0, "offsetTop": 0});
    json!({
        "type": ty, "target": t(target), "currentTarget": t(current), "detail": detail,
        "touches": [], "changedTouches": [], "mark": {},
    })
}

/// A form control's identity across renders: its owner, its place in its WXML file and the
/// `wx:for` keys of the items it is in (`keys`, outermost first, its own included).
fn control_id(n: &Node, keys: &[&str]) -> String {
    format!(
        "{}|{}:{}:{}|{}",
        n.owner,
        n.file,
        n.line,
        n.col,
        keys.join("/")
    )
}

/// The `wx:for` keys above `g`, one of the nodes of `chain` (target first).
fn group_outer<'n>(chain: &[&'n Node], g: &Node) -> Vec<&'n str> {
    match chain.iter().position(|n| std::ptr::eq(*n, g)) {
        Some(i) => keys_of(&chain[i + 1..]),
        None => Vec::new(),
    }
}

/// The `wx:for` keys from the root down to the node a chain (target first) ends at.
fn keys_of<'n>(chain: &[&'n Node]) -> Vec<&'n str> {
    chain
        .iter()
        .rev()
        .filter_map(|n| n.key.as_deref())
        .collect()
}

/// Every node under `n` (itself included) with tag `tag`, in document order, with its
/// [`control_id`]; `outer`: the `wx:for` keys above `n`.
fn ids_of<'n>(n: &'n Node, tag: &str, outer: &[&'n str], out: &mut Vec<(&'n Node, String)>) {
    let mut keys = outer.to_vec();
    keys.extend(n.key.as_deref());
    if n.tag == tag {
        out.push((n, control_id(n, &keys)));
    }
    for c in &n.children {
        ids_of(c, tag, &keys, out);
    }
}

impl<'js> Driver<'_, 'js> {
    /// What a person left in the control `id`, if anything.
    fn held(&self, id: &str) -> Option<Json> {
        self.sh.borrow().page.fields.get(id).cloned()
    }

    /// Whether a switch, checkbox or radio (`n`, identity `id`) is on: as a person left it,
    /// else its `checked`.
    fn is_on(&self, id: &str, n: &Node) -> bool {
        match self.held(id) {
            Some(Json::Bool(b)) => b,
            _ => checked(n),
        }
    }

    /// `detail.value` of a form's submit: every named control under `n` (`outer`: the
    /// `wx:for` keys above it) by its `name`, as WeChat collects them; `ids` gets each
    /// control's identity (a reset forgets them).
    fn form_values(
        &self,
        n: &Node,
        outer: &[&str],
        out: &mut serde_json::Map<String, Json>,
        ids: &mut Vec<String>,
    ) {
        let mut keys = outer.to_vec();
        keys.extend(n.key.as_deref());
        let id = control_id(n, &keys);
        let value = match n.tag.as_str() {
            "input" | "textarea" => {
                ids.push(id.clone());
                Some(
                    self.held(&id)
                        .unwrap_or_else(|| json!(js_text(n.attrs.get("value")))),
                )
            }
            "switch" => {
                ids.push(id.clone());
                Some(json!(self.is_on(&id, n)))
            }
            "slider" => {
                // a Number property: a static `value="30"` is 30
                ids.push(id.clone());
                let own = n.attrs.get("value").map(|v| match v {
                    Json::String(t) => t.trim().parse::<f64>().map_or(json!(0), |x| json!(x)),
                    other => other.clone(),
                });
                Some(self.held(&id).or(own).unwrap_or(json!(0)))
            }
            "picker" => {
                ids.push(id.clone());
                let own = n.attrs.get("value").cloned();
                Some(self.held(&id).or(own).unwrap_or(Json::Null))
            }
            "checkbox-group" | "radio-group" => {
                let item = if n.tag == "checkbox-group" {
                    "checkbox"
                } else {
                    "radio"
                };
                let mut boxes = Vec::new();
                ids_of(n, item, outer, &mut boxes);
                let mut on = Vec::new();
                for (b, bid) in boxes {
                    if self.is_on(&bid, b) {
                        on.push(js_text(b.attrs.get("value")));
                    }
                    ids.push(bid);
                }
                Some(if item == "checkbox" {
                    json!(on)
                } else {
                    json!(on.first().cloned().unwrap_or_default())
                })
            }
            _ => None,
        };
        let name = js_text(n.attrs.get("name"));
        if let Some(v) = value
            && !name.is_empty()
        {
            out.insert(name, v);
        }
        for c in &n.children {
            self.form_values(c, &keys, out, ids);
        }
    }

    /// A tap on `<button form-type="submit|reset">` inside a `<form>`: `to_form` is the chain
    /// from the root down to the form (root first), `button` the button. Submit hands the
    /// form's `bindsubmit` `{value, target}`; reset forgets what was entered and calls
    /// `bindreset`.
    pub(super) fn form_button(
        &mut self,
        to_form: &[Node],
        button: &Node,
        reset: bool,
    ) -> Result<(), Halt> {
        let Some(form) = to_form.last() else {
            return Ok(());
        };
        let outer: Vec<&str> = to_form[..to_form.len() - 1]
            .iter()
            .filter_map(|n| n.key.as_deref())
            .collect();
        let mut values = serde_json::Map::new();
        let mut ids = Vec::new();
        self.form_values(form, &outer, &mut values, &mut ids);
        let (ty, detail) = if reset {
            let mut sh = self.sh.borrow_mut();
            for id in &ids {
                sh.page.fields.remove(id);
            }
            sh.page.dirty = true;
            ("reset", json!({}))
        } else {
            let target = json!({"id": button.id, "dataset": button.dataset, "offsetLeft": 0, "offsetTop": 0});
            ("submit", json!({"value": values, "target": target}))
        };
        for b in form.events.iter().filter(|b| b.event == ty) {
            let ev = event(ty, button, form, detail.clone());
            self.invoke(&form.owner, &b.handler, ev)?;
        }
        Ok(())
    }

    /// Runs `text` when it is a form action (`Some`), else leaves it to the tap (`None`).
    pub(super) fn form_action(&mut self, text: &str) -> Option<Result<(), Halt>> {
        let (kind, sel, value) = parse(text)?;
        Some(self.act(text, kind, sel, value))
    }

    fn act(&mut self, text: &str, kind: &str, sel: &str, value: &str) -> Result<(), Halt> {
        let route = self.current_route()?;
        let bad = |reason: String| {
            Halt::Fail(RunError::BadSelector {
                selector: text.to_string(),
                reason,
            })
        };
        let selector = Selector::parse(sel).map_err(|e| bad(e.to_string()))?;
        self.sh.borrow_mut().page.dirty = true;
        self.render_if_dirty()?;
        let tree: Option<std::rc::Rc<Tree>> = self.sh.borrow().page.tree.clone();
        let found = tree
            .as_deref()
            .and_then(|t| miniperm_wxml::find(t, &selector).map(|p| (t, p)));
        let Some((tree, path)) = found else {
            return Err(Halt::Fail(RunError::NotVisible {
                selector: sel.to_string(),
                route,
                tappable: "a form control to fill in".into(),
            }));
        };
        let chain = miniperm_wxml::ancestors(tree, &path);
        let Some(target) = chain.first().copied() else {
            return Ok(());
        };
        self.push(Event::Tap {
            route,
            handler: text.to_string(),
        });
        let (host, detail): (&Node, Json) = match (kind, target.tag.as_str()) {
            ("input", "input" | "textarea") => (
                target,
                json!({"value": value, "cursor": value.chars().count(), "keyCode": 0}),
            ),
            ("change", "switch") => (target, json!({"value": value == "true"})),
            ("change", "slider") => (
                target,
                json!({"value": value.parse::<f64>().map_err(|_| bad("a slider takes a number".into()))?}),
            ),
            ("change", "picker") => (target, json!({"value": value})),
            ("change", "checkbox" | "radio") => {
                let group = if target.tag == "checkbox" {
                    "checkbox-group"
                } else {
                    "radio-group"
                };
                let Some(g) = chain.iter().copied().find(|n| n.tag == group) else {
                    return Ok(());
                };
                let on = value == "true";
                let detail = if target.tag == "radio" {
                    json!({"value": js_text(target.attrs.get("value"))})
                } else {
                    let mut boxes = Vec::new();
                    ids_of(g, "checkbox", &group_outer(&chain, g), &mut boxes);
                    let values: Vec<String> = boxes
                        .into_iter()
                        .filter(|(b, bid)| {
                            if std::ptr::eq(*b, target) {
                                on
                            } else {
                                self.is_on(bid, b)
                            }
                        })
                        .map(|(b, _)| js_text(b.attrs.get("value")))
                        .collect();
                    json!({"value": values})
                };
                (g, detail)
            }
            (k, tag) => {
                return Err(bad(format!("`{k}` does not fit a `<{tag}>`")));
            }
        };
        // What the control now holds, for a form's submit.
        let id = control_id(target, &keys_of(&chain));
        let held = match target.tag.as_str() {
            "input" | "textarea" => json!(value),
            "switch" | "checkbox" | "radio" => json!(value == "true"),
            _ => detail.get("value").cloned().unwrap_or(Json::Null),
        };
        {
            let mut sh = self.sh.borrow_mut();
            if target.tag == "radio" && value == "true" {
                // the other radios of the group are unchecked
                if let Some(g) = chain.iter().copied().find(|n| n.tag == "radio-group") {
                    let mut radios = Vec::new();
                    ids_of(g, "radio", &group_outer(&chain, g), &mut radios);
                    for (_, rid) in radios {
                        sh.page.fields.insert(rid, json!(false));
                    }
                }
            }
            sh.page.fields.insert(id, held.clone());
        }
        // A two-way binding (`model:value`, `model:checked`): the owner's data follows first.
        let prop = match target.tag.as_str() {
            "switch" | "checkbox" | "radio" => "checked",
            _ => "value",
        };
        if let Some(path) = target.model.get(prop) {
            self.js(
                "model",
                (target.owner.clone(), path.clone(), held.to_string()),
            )?;
        }
        let ty = kind;
        for b in host.events.iter().filter(|b| b.event == ty) {
            let ev = event(ty, target, host, detail.clone());
            let done = self
                .js(
                    "invoke",
                    (host.owner.clone(), b.handler.clone(), ev.to_string()),
                )?
                .as_bool()
                .unwrap_or(false);
            if !done {
                self.sh.borrow_mut().record.warn(
                    "no-handler",
                    format!("the page has no method `{}` to handle the event", b.handler),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("input(#name)=张三"), Some(("input", "#name", "张三")));
        assert_eq!(
            parse("change(switch:nth(2))=true"),
            Some(("change", "switch:nth(2)", "true"))
        );
        assert_eq!(parse("input(#a)"), None);
        assert_eq!(parse("onTap"), None);
    }
}
