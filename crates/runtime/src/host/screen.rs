//! The final page as the simulator and explore's HTML report draw it ([`RunConfig::screen`]):
//! the visible render tree with everything a drawing needs beyond the `render` event (which
//! stays as DESIGN.md has it): `data-*` attributes, which component's WXML made each node (its
//! style scope), which nodes host a component, and each component's style options.
//!
//! ```json
//! {"route": "pages/index/index",
//!  "tree": [{"tag", "attrs": {"id", "class", "style", "data-x", …}, "text", "children",
//!            "scope": "components/card/card" | "", "host": "components/card/card"?,
//!            "events": ["tap", …]?}],
//!  "components": {"components/card/card": {"styleIsolation"?, "addGlobalClass"?,
//!                 "externalClasses"?, "json": {…}?}}}
//! ```

use std::collections::BTreeMap;

use miniperm_wxml::{Node, Tree};
use serde_json::{Map, Value as Json, json};
use std::rc::Rc;

use crate::project::Project;

use super::driver::Driver;

/// `fooBar` (a dataset key) back to the attribute `data-foo-bar` it most likely came from.
fn data_attr(key: &str) -> String {
    let mut out = String::from("data-");
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

struct Walk<'a> {
    project: &'a Project,
    route: &'a str,
    /// Instance key → the component definition it is (the page is `""` → `""`).
    defs: BTreeMap<String, String>,
}

impl Walk<'_> {
    fn node(&mut self, n: &Node) -> Json {
        let mut attrs = Map::new();
        if !n.id.is_empty() {
            attrs.insert("id".into(), Json::String(n.id.clone()));
        }
        if !n.classes.is_empty() {
            attrs.insert("class".into(), Json::String(n.classes.join(" ")));
        }
        for (k, v) in &n.attrs {
            attrs.insert(k.clone(), v.clone());
        }
        for (k, v) in &n.dataset {
            attrs.insert(data_attr(k), v.clone());
        }
        let scope = self.defs.get(&n.owner).cloned().unwrap_or_default();
        let mut out = Map::new();
        out.insert("tag".into(), Json::String(n.tag.clone()));
        out.insert("attrs".into(), Json::Object(attrs));
        out.insert(
            "text".into(),
            n.text.clone().map_or(Json::Null, Json::String),
        );
        out.insert("scope".into(), Json::String(scope.clone()));
        if let Some(key) = &n.component {
            let owner_file = if scope.is_empty() {
                format!("{}.wxml", self.route)
            } else {
                format!("{scope}.wxml")
            };
            if let Ok(Some(def)) = self.project.component_for(&owner_file, &n.tag) {
                self.defs.insert(key.clone(), def.clone());
                out.insert("host".into(), Json::String(def));
            }
        }
        let mut events: Vec<&str> = n.events.iter().map(|b| b.event.as_str()).collect();
        events.sort_unstable();
        events.dedup();
        if !events.is_empty() {
            out.insert("events".into(), json!(events));
        }
        let children: Vec<Json> = n
            .children
            .iter()
            .filter(|c| c.visible)
            .map(|c| self.node(c))
            .collect();
        out.insert("children".into(), Json::Array(children));
        Json::Object(out)
    }
}

impl<'js> Driver<'_, 'js> {
    /// The page on top of the stack as [`screen`](self) describes it; `None` when it has no
    /// rendered WXML or the render failed.
    pub(super) fn screen(&mut self) -> Option<Json> {
        self.render_if_dirty().ok()?;
        let (tree, route): (Option<Rc<Tree>>, String) = {
            let sh = self.sh.borrow();
            (sh.page.tree.clone(), sh.page.tree_route.clone())
        };
        let route = if route.is_empty() {
            self.current_route().ok()?
        } else {
            route
        };
        let tree = tree?;
        let mut w = Walk {
            project: self.project,
            route: &route,
            defs: BTreeMap::new(),
        };
        let nodes: Vec<Json> = tree
            .roots
            .iter()
            .filter(|n| n.visible)
            .map(|n| w.node(n))
            .collect();
        let mut components = Map::new();
        let defs: Vec<String> = w.defs.into_values().collect();
        let p = self.prelude();
        for def in defs {
            if components.contains_key(&def) {
                continue;
            }
            let mut info = p
                .call("styleOptions", vec![def.clone()])
                .ok()
                .and_then(|v| v.as_string().and_then(|s| s.to_string().ok()))
                .and_then(|s| serde_json::from_str::<Map<String, Json>>(&s).ok())
                .unwrap_or_default();
            if let Some(j) = self
                .project
                .json_text(&format!("{def}.json"))
                .and_then(|t| serde_json::from_str::<Json>(t.trim_start_matches('\u{feff}')).ok())
                && let Some(iso) = j.get("styleIsolation").and_then(Json::as_str)
                && !info.contains_key("styleIsolation")
            {
                info.insert("styleIsolation".into(), Json::String(iso.to_string()));
            }
            components.insert(def, Json::Object(info));
        }
        Some(json!({"route": route, "tree": nodes, "components": components}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_keys_go_back_to_attributes() {
        assert_eq!(data_attr("fooBar"), "data-foo-bar");
        assert_eq!(data_attr("id"), "data-id");
    }
}
