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

/// Every node under `n` (itself included) with tag `tag`, in document order.
fn all_of<'n>(n: &'n Node, tag: &str, out: &mut Vec<&'n Node>) {
    if n.tag == tag {
        out.push(n);
    }
    for c in &n.children {
        all_of(c, tag, out);
    }
}

impl<'js> Driver<'_, 'js> {
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
                    all_of(g, "checkbox", &mut boxes);
                    let values: Vec<String> = boxes
                        .into_iter()
                        .filter(|b| {
                            if std::ptr::eq(*b, target) {
                                on
                            } else {
                                checked(b)
                            }
                        })
                        .map(|b| js_text(b.attrs.get("value")))
                        .collect();
                    json!({"value": values})
                };
                (g, detail)
            }
            (k, tag) => {
                return Err(bad(format!("`{k}` does not fit a `<{tag}>`")));
            }
        };
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
