//! The page as the user sees it: the current page's WXML rendered against its data (and its
//! custom components' data) after every change, taps on rendered elements by selector, bubbling
//! through `bind`/`catch` handlers, open-type buttons' built-in actions and `<camera>`'s scope.

use super::*;
use std::collections::HashSet;
use std::rc::Rc;

use miniperm_core::{Change, Subject, Value, Via};
use miniperm_wxml::{Instance, Node, Selector, Tree};
use serde_json::{Map, Value as Json, json};

use crate::event::Event;

/// A handler on a rendered element: which instance owns it (`""` is the page), its name, and
/// the element's `id` and `dataset` for the event's target.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) owner: String,
    pub(super) handler: String,
    pub(super) id: String,
    pub(super) dataset: Json,
}

/// The wxml renderer's view of the running program: component instances and WXS calls go to JS.
struct JsHost<'d, 'a, 'js> {
    d: &'d mut Driver<'a, 'js>,
    halt: Option<Halt>,
    visited: Vec<String>,
}

impl miniperm_wxml::Host for JsHost<'_, '_, '_> {
    fn component(&mut self, owner_file: &str, tag: &str) -> Option<String> {
        match self.d.project.component_for(owner_file, tag) {
            Ok(found) => found,
            Err(message) => {
                self.d.sh.borrow_mut().warn("not-supported", message);
                None
            }
        }
    }

    fn instance(&mut self, key: &str, def: &str, props: &Map<String, Json>) -> Option<Instance> {
        if self.halt.is_some() {
            return None;
        }
        self.visited.push(key.to_string());
        let props = Json::Object(props.clone()).to_string();
        match self
            .d
            .js("instance", (key.to_string(), def.to_string(), props))
        {
            Ok(v) => {
                let s = v.as_string().and_then(|s| s.to_string().ok())?;
                if s.is_empty() {
                    return None;
                }
                let data = serde_json::from_str(&s).ok()?;
                Some(Instance {
                    data,
                    wxml: format!("{def}.wxml"),
                })
            }
            Err(h) => {
                self.halt = Some(h);
                None
            }
        }
    }

    fn wxs_call(
        &mut self,
        file: &str,
        module: &str,
        func: &str,
        args: Vec<Json>,
    ) -> Result<Json, String> {
        if self.halt.is_some() {
            return Err("the run stopped".into());
        }
        let found = self
            .d
            .project
            .templates()
            .map(|t| t.wxs_modules(file))
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.name == module);
        let Some(m) = found else {
            return Err(format!("no wxs module `{module}` in `{file}`"));
        };
        let args = Json::Array(args).to_string();
        let id = format!("{file}#{module}");
        let src = m.src.unwrap_or_default();
        let code = m.code.unwrap_or_default();
        match self.d.js("wxs", (id, src, code, func.to_string(), args)) {
            Ok(v) => {
                let s = v
                    .as_string()
                    .and_then(|s| s.to_string().ok())
                    .unwrap_or_default();
                if s.is_empty() {
                    return Err(format!("wxs `{module}.{func}` is not a function"));
                }
                serde_json::from_str(&s).map_err(|e| e.to_string())
            }
            Err(h) => {
                self.halt = Some(h);
                Err("the run stopped".into())
            }
        }
    }

    fn warn(&mut self, message: String) {
        self.d.sh.borrow_mut().warn("render", message);
    }
}

/// Every node of a tree with the chain of its ancestors (root first), in document order.
fn walk<'t>(nodes: &'t [Node], chain: &mut Vec<&'t Node>, out: &mut Vec<Vec<&'t Node>>) {
    for n in nodes {
        chain.push(n);
        out.push(chain.clone());
        walk(&n.children, chain, out);
        chain.pop();
    }
}

fn chains(tree: &Tree) -> Vec<Vec<&Node>> {
    let mut out = Vec::new();
    walk(tree_roots(tree), &mut Vec::new(), &mut out);
    out
}

fn tree_roots(tree: &Tree) -> &[Node] {
    &tree.roots
}

fn node_target(n: &Node) -> Json {
    json!({"id": n.id, "dataset": n.dataset, "offsetLeft": 0, "offsetTop": 0})
}

fn binding<'n>(n: &'n Node, event: &str) -> Option<&'n miniperm_wxml::Binding> {
    n.events.iter().find(|b| b.event == event && !b.capture)
}

fn attr_str(n: &Node, k: &str) -> Option<String> {
    match n.attrs.get(k)? {
        Json::String(s) => Some(s.clone()),
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

fn truthy_attr(n: &Node, k: &str) -> bool {
    match n.attrs.get(k) {
        None | Some(Json::Null) | Some(Json::Bool(false)) => false,
        Some(Json::String(s)) => s != "false",
        Some(Json::Number(x)) => x.as_f64() != Some(0.0),
        _ => true,
    }
}

impl<'js> Driver<'_, 'js> {
    /// Renders when the program changed something since the last render.
    pub(super) fn render_if_dirty(&mut self) -> Result<(), Halt> {
        let dirty = std::mem::take(&mut self.sh.borrow_mut().dirty);
        if dirty && self.project.has_wxml() {
            self.render_now()?;
        }
        Ok(())
    }

    /// Renders the current page: components are created, updated and detached as the tree says,
    /// their hosts' handlers are handed to them, and newly shown cameras ask for their scope.
    pub(super) fn render_now(&mut self) -> Result<(), Halt> {
        let v = self.js("pageData", ())?;
        let s = v
            .as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_default();
        self.sh.borrow_mut().dirty = false;
        let Ok(Json::Object(pd)) = serde_json::from_str::<Json>(&s) else {
            self.sh.borrow_mut().tree = None;
            return Ok(());
        };
        let route = pd.get("route").and_then(Json::as_str).unwrap_or_default();
        let data = pd.get("data").cloned().unwrap_or(Json::Null);
        let file = format!("{route}.wxml");
        let project = self.project;
        let Some(templates) = project.templates() else {
            return Ok(());
        };
        if templates.get(&file).is_none() {
            self.sh.borrow_mut().tree = None;
            return Ok(());
        }
        let (tree, visited, halt) = {
            let mut host = JsHost {
                d: self,
                halt: None,
                visited: Vec::new(),
            };
            let tree = miniperm_wxml::render(templates, &file, &data, &mut host);
            (tree, host.visited, host.halt)
        };
        if let Some(h) = halt {
            return Err(h);
        }
        let mut cameras = HashSet::new();
        let mut new_cameras = Vec::new();
        for chain in chains(&tree) {
            let Some(n) = chain.last() else { continue };
            if let Some(key) = &n.component {
                let mut evs = Map::new();
                for b in &n.events {
                    evs.insert(
                        b.event.clone(),
                        json!({"handler": b.handler, "owner": n.owner}),
                    );
                }
                self.js(
                    "hostEvents",
                    (
                        key.clone(),
                        n.id.clone(),
                        json!(n.dataset).to_string(),
                        Json::Object(evs).to_string(),
                    ),
                )?;
            }
            if n.tag == "camera" && chain.iter().all(|a| a.visible) {
                let id = format!("{}@{}:{}", n.owner, n.line, n.col);
                if !self.sh.borrow().cameras.contains(&id) {
                    new_cameras.push(Target {
                        owner: n.owner.clone(),
                        handler: binding(n, "error")
                            .map(|b| b.handler.clone())
                            .unwrap_or_default(),
                        id: n.id.clone(),
                        dataset: json!(n.dataset),
                    });
                }
                cameras.insert(id);
            }
        }
        let keys = Json::Array(visited.into_iter().map(Json::String).collect()).to_string();
        self.js("prune", (keys,))?;
        {
            let mut sh = self.sh.borrow_mut();
            sh.cameras = cameras;
            sh.tree = Some(Rc::new(tree));
            sh.tree_route = route.to_string();
        }
        // A <camera> asks for scope.camera when it first shows (binderror on a denial).
        for c in new_cameras {
            self.js("camera", (c.owner, c.handler, c.id, c.dataset.to_string()))?;
        }
        Ok(())
    }

    /// `--render`: the page as it stands, as a `render` event.
    pub(super) fn emit_render(&mut self) -> Result<(), Halt> {
        if !self.cfg.render {
            return Ok(());
        }
        self.render_if_dirty()?;
        let (route, tree) = {
            let sh = self.sh.borrow();
            (
                sh.tree_route.clone(),
                sh.tree
                    .as_ref()
                    .map(|t| miniperm_wxml::to_render_json(t))
                    .unwrap_or(Json::Array(Vec::new())),
            )
        };
        let route = if route.is_empty() {
            self.current_route()?
        } else {
            route
        };
        self.push(Event::Render { route, tree });
        Ok(())
    }

    /// A tap on what the user sees: `--tap SELECTOR`.
    pub(super) fn tap_selector(&mut self, text: &str) -> Result<(), Halt> {
        let route = self.current_route()?;
        let sel = Selector::parse(text).map_err(|e| {
            Halt::Fail(RunError::BadSelector {
                selector: text.to_string(),
                reason: e.to_string(),
            })
        })?;
        self.sh.borrow_mut().dirty = true;
        self.render_if_dirty()?;
        let tree = self.sh.borrow().tree.clone();
        let Some(tree) = tree else {
            return Err(Halt::Fail(RunError::NotVisible {
                selector: text.to_string(),
                route,
                tappable: "nothing (the page has no rendered WXML)".into(),
            }));
        };
        let found = miniperm_wxml::find(&tree, &sel);
        let Some(path) = found else {
            let list = miniperm_wxml::tappable(&tree);
            return Err(Halt::Fail(RunError::NotVisible {
                selector: text.to_string(),
                route,
                tappable: if list.is_empty() {
                    "nothing".into()
                } else {
                    list.join(", ")
                },
            }));
        };
        self.push(Event::Tap {
            route: route.clone(),
            handler: text.to_string(),
        });
        // root first
        let chain: Vec<Node> = miniperm_wxml::ancestors(&tree, &path)
            .into_iter()
            .rev()
            .cloned()
            .collect();
        self.dispatch_tap(&chain)
    }

    /// WeChat's tap: capture handlers root first, then bubbling from the target up, stopped by
    /// `catch`; then the built-in action of an open-type button the tap landed in.
    fn dispatch_tap(&mut self, chain: &[Node]) -> Result<(), Halt> {
        let Some(target) = chain.last() else {
            return Ok(());
        };
        let tgt = node_target(target);
        let event = |current: &Node| {
            json!({
                "type": "tap",
                "target": tgt,
                "currentTarget": node_target(current),
                "detail": {"x": 0, "y": 0},
                "touches": [],
                "changedTouches": [],
                "mark": {},
            })
        };
        let mut stopped = false;
        'capture: for n in chain {
            for b in n.events.iter().filter(|b| b.event == "tap" && b.capture) {
                self.invoke(&n.owner, &b.handler, event(n))?;
                if b.catch {
                    stopped = true;
                    break 'capture;
                }
            }
        }
        if !stopped {
            'bubble: for n in chain.iter().rev() {
                for b in n.events.iter().filter(|b| b.event == "tap" && !b.capture) {
                    self.invoke(&n.owner, &b.handler, event(n))?;
                    if b.catch {
                        break 'bubble;
                    }
                }
            }
        }
        let button = chain
            .iter()
            .rev()
            .find(|n| n.tag == "button" && n.attrs.contains_key("open-type"));
        if let Some(b) = button
            && !truthy_attr(b, "disabled")
        {
            let b = b.clone();
            self.open_type(&b)?;
        }
        Ok(())
    }

    /// Calls a handler on its owner in a gesture context (D1); a missing method is warned.
    pub(super) fn invoke(&mut self, owner: &str, handler: &str, event: Json) -> Result<(), Halt> {
        let done = self
            .with_gesture(
                "invoke",
                (owner.to_string(), handler.to_string(), event.to_string()),
            )?
            .as_bool()
            .unwrap_or(false);
        if !done {
            let who = if owner.is_empty() {
                "the page".to_string()
            } else {
                format!("component `{owner}`")
            };
            self.sh.borrow_mut().warn(
                "no-handler",
                format!("{who} has no method `{handler}` to handle the event"),
            );
        }
        Ok(())
    }

    /// The built-in action of `<button open-type=…>`.
    fn open_type(&mut self, b: &Node) -> Result<(), Halt> {
        let kind = attr_str(b, "open-type").unwrap_or_default();
        let target = |event: &str| {
            binding(b, event).map(|x| Target {
                owner: b.owner.clone(),
                handler: x.handler.clone(),
                id: b.id.clone(),
                dataset: json!(b.dataset),
            })
        };
        match kind.as_str() {
            "openSetting" => {
                self.uiq.push_back(Pending::Settings {
                    id: None,
                    button: target("opensetting"),
                    with_subscriptions: false,
                });
            }
            "agreePrivacyAuthorization" => {
                self.agree_privacy()?;
                if let Some(t) = target("agreeprivacyauthorization") {
                    let detail = json!({"errMsg": "agreePrivacyAuthorization:ok"});
                    self.invoke(
                        &t.owner,
                        &t.handler,
                        open_event("agreeprivacyauthorization", &t, detail),
                    )?;
                }
            }
            "getPhoneNumber" | "getRealtimePhoneNumber" => {
                let ev = kind.to_lowercase();
                if let Some(t) = target(&ev) {
                    let detail =
                        json!({"errMsg": format!("{kind}:ok"), "code": "miniperm-phone-code"});
                    self.invoke(&t.owner, &t.handler, open_event(&ev, &t, detail))?;
                }
            }
            "chooseAvatar" => {
                if let Some(t) = target("chooseavatar") {
                    let detail = json!({"avatarUrl": "wxfile://tmp/avatar.jpg"});
                    self.invoke(&t.owner, &t.handler, open_event("chooseavatar", &t, detail))?;
                }
            }
            "getUserInfo" => {
                if let Some(t) = target("getuserinfo") {
                    let detail = json!({
                        "errMsg": "getUserInfo:ok",
                        "userInfo": {"nickName": "微信用户", "avatarUrl": "", "gender": 0,
                            "country": "", "province": "", "city": "", "language": "zh_CN"},
                        "rawData": "{}", "signature": "", "encryptedData": "", "iv": ""
                    });
                    self.invoke(&t.owner, &t.handler, open_event("getuserinfo", &t, detail))?;
                }
            }
            other => {
                self.sh.borrow_mut().warn(
                    "not-supported",
                    format!("`<button open-type=\"{other}\">` is not simulated by miniperm: the tap runs its handlers only"),
                );
            }
        }
        Ok(())
    }

    /// The visible `<button open-type="agreePrivacyAuthorization">` with its handler (a popup
    /// component's included), else the one the page's WXML declares.
    pub(super) fn agree_button(&mut self) -> Result<Option<Target>, Halt> {
        self.render_if_dirty()?;
        let tree = self.sh.borrow().tree.clone();
        if let Some(tree) = tree {
            for chain in chains(&tree) {
                let Some(n) = chain.last() else { continue };
                if n.tag == "button"
                    && chain.iter().all(|a| a.visible)
                    && attr_str(n, "open-type").as_deref() == Some("agreePrivacyAuthorization")
                    && let Some(b) = binding(n, "agreeprivacyauthorization")
                {
                    return Ok(Some(Target {
                        owner: n.owner.clone(),
                        handler: b.handler.clone(),
                        id: n.id.clone(),
                        dataset: json!(n.dataset),
                    }));
                }
            }
        }
        let route = self.current_route()?;
        Ok(self
            .project
            .page_info(&route)
            .and_then(|i| i.agree_privacy.clone())
            .and_then(|b| {
                Some(Target {
                    owner: String::new(),
                    handler: b.handler?,
                    id: b.id,
                    dataset: json!({}),
                })
            }))
    }

    /// R29: the agree button records consent for every declared info type.
    pub(super) fn agree_privacy(&mut self) -> Result<(), Halt> {
        let st = self.state();
        let changes: Vec<Change> = self
            .project
            .manifest()
            .declared_types()
            .iter()
            .filter(|t| !st.privacy_granted(**t))
            .map(|t| Change {
                subject: Subject::Privacy(*t),
                from: Value::Unset,
                to: Value::Granted,
                via: Via::Prompt,
                gesture: true,
                api: Some("agreePrivacyAuthorization".into()),
                notice: None,
            })
            .collect();
        self.commit(changes)
    }
}

/// The components selected from `owner`'s part of the tree (selectComponent).
pub(super) fn select_components(
    tree: &Tree,
    owner: &str,
    sel: &Selector,
    all: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for chain in chains(tree) {
        let Some(n) = chain.last() else { continue };
        if n.owner == owner
            && let Some(k) = &n.component
            && sel.matches(n)
        {
            out.push(k.clone());
            if !all {
                break;
            }
        }
    }
    out
}

/// The event an open-type button's own handler gets.
pub(super) fn open_event(ty: &str, t: &Target, detail: Json) -> Json {
    tap_event(ty, &t.id, t.dataset.clone(), detail)
}
