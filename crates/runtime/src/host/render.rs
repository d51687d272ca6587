//! The page as the user sees it: the current page's WXML rendered against its data (and its
//! custom components' data) after every change, taps on rendered elements by selector, bubbling
//! through `bind`/`catch` handlers, open-type buttons' built-in actions and `<camera>`'s scope.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use rquickjs::{CatchResultExt, Ctx, Function, Object};

use miniperm_core::{Change, Subject, Value, Via};
use miniperm_wxml::{Instance, Node, Selector, Tree};
use serde_json::{Map, Value as Json, json};

use crate::components::Unusable;
use crate::event::Event;

use crate::event::EndReason;
use crate::project::Project;

use super::driver::{Driver, open_event};
use super::js::record_caught;
use super::outcome::{Halt, RunError};
use super::pending::{Pending, Target};
use super::shared::Shared;

/// What calling the prelude's host entry points needs: the context, the entry points, the
/// shared state and the run's stop flags. The driver renders through it, and so does the
/// prelude itself (`N.render`, when a page opens: its components must exist before `onLoad`).
pub(super) struct Prelude<'js> {
    pub(super) ctx: Ctx<'js>,
    pub(super) h: Object<'js>,
    pub(super) sh: Rc<RefCell<Shared>>,
    pub(super) project: Project,
    pub(super) interrupted: Rc<Cell<bool>>,
    pub(super) refused: crate::heap::Refused,
}

impl<'js> Prelude<'js> {
    /// The run must stop: interrupted, a limit, the memory cap.
    pub(super) fn check(&self) -> Result<(), Halt> {
        if self.interrupted.get() || self.sh.borrow().record.limit.is_some() || self.refused.get() {
            return Err(Halt::End(EndReason::Limit, None));
        }
        Ok(())
    }

    /// Calls host entry point `name` with string arguments; a JS exception becomes an `error`
    /// event (as [`Driver::js`] does).
    pub(super) fn call(&self, name: &str, args: Vec<String>) -> Result<rquickjs::Value<'js>, Halt> {
        let f: Function = self.h.get(name)?;
        let r = f
            .call::<_, rquickjs::Value>((rquickjs::function::Rest(args),))
            .catch(&self.ctx);
        self.check()?;
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                record_caught(&self.ctx, &self.sh, &self.project, e)?;
                self.check()?;
                Ok(rquickjs::Value::new_undefined(self.ctx.clone()))
            }
        }
    }

    fn call_string(&self, name: &str, args: Vec<String>) -> Result<String, Halt> {
        Ok(self
            .call(name, args)?
            .as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_default())
    }
}

/// The wxml renderer's view of the running program: component instances and WXS calls go to JS.
struct JsHost<'p, 'js> {
    p: &'p Prelude<'js>,
    halt: Option<Halt>,
    visited: Vec<String>,
    /// WXML files whose syntax error was already reported by this render.
    broken: HashSet<String>,
}

/// The `usingComponents` entries of the page or component whose WXML is `owner_file` (and of
/// app.json) that name no component: an error each, once a run, as WeChat's runtime throws
/// when it creates the page or component.
fn missing(p: &Prelude<'_>, owner_file: &str) {
    for m in p.project.missing_components(owner_file) {
        p.sh.borrow_mut().record.error_once(format!("Error: {m}"));
    }
}

impl JsHost<'_, '_> {
    fn wxs_module(&self, file: &str, module: &str) -> Option<miniperm_wxml::WxsModule> {
        self.p
            .project
            .templates()
            .map(|t| t.wxs_modules(file))
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.name == module)
    }
}

impl miniperm_wxml::Host for JsHost<'_, '_> {
    fn component(&mut self, owner_file: &str, tag: &str) -> Option<String> {
        match self.p.project.component_for(owner_file, tag) {
            Ok(found) => found,
            Err(Unusable::Unsimulated(message)) => {
                self.p
                    .sh
                    .borrow_mut()
                    .record
                    .warn("not-supported", message.clone());
                None
            }
            // Reported for the whole file when its page or component renders (`missing`).
            Err(Unusable::Missing(_)) => None,
        }
    }

    fn instance(&mut self, key: &str, def: &str, props: &Map<String, Json>) -> Option<Instance> {
        if self.halt.is_some() {
            return None;
        }
        self.visited.push(key.to_string());
        let props = Json::Object(props.clone()).to_string();
        match self
            .p
            .call_string("instance", vec![key.to_string(), def.to_string(), props])
        {
            Ok(s) => {
                if s.is_empty() {
                    return None;
                }
                let data = serde_json::from_str(&s).ok()?;
                let wxml = format!("{def}.wxml");
                missing(self.p, &wxml);
                Some(Instance { data, wxml })
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
        self.wxs(file, module, Some(func), args)
    }

    fn wxs_value(&mut self, file: &str, module: &str) -> Result<Json, String> {
        self.wxs(file, module, None, Vec::new())
    }

    fn syntax_error(&mut self, error: &miniperm_wxml::ParseError) {
        if self.broken.insert(error.file.clone()) {
            let problem = crate::source::FileProblem {
                file: error.file.clone(),
                line: u32::try_from(error.line).unwrap_or(u32::MAX),
                column: u32::try_from(error.column).unwrap_or(u32::MAX),
                message: error.message.clone(),
            };
            self.p
                .sh
                .borrow_mut()
                .record
                .error(format!("SyntaxError: {problem}"), String::new());
        }
    }

    fn warn(&mut self, message: String) {
        self.p.sh.borrow_mut().record.warn("render", message);
    }
}

impl JsHost<'_, '_> {
    /// A WXS module's function called (`func`: the dotted member, `""` the module itself), or
    /// with `func` None its exports as data.
    fn wxs(
        &mut self,
        file: &str,
        module: &str,
        func: Option<&str>,
        args: Vec<Json>,
    ) -> Result<Json, String> {
        if self.halt.is_some() {
            return Err("the run stopped".into());
        }
        let Some(m) = self.wxs_module(file, module) else {
            return Err(format!("no wxs module `{module}` in `{file}`"));
        };
        let id = crate::components::wxs_id(file, &m);
        let args = Json::Array(args).to_string();
        let what = match func {
            Some(f) => f.to_string(),
            None => "\u{0}".to_string(),
        };
        match self.p.call_string("wxs", vec![id, what, args]) {
            Ok(s) => {
                if s.is_empty() {
                    return Err(match func {
                        Some("") => format!("wxs module `{module}` is not a function"),
                        Some(f) => format!("wxs `{module}.{f}` is not a function"),
                        None => format!("wxs module `{module}` did not load"),
                    });
                }
                serde_json::from_str(&s).map_err(|e| e.to_string())
            }
            Err(h) => {
                self.halt = Some(h);
                Err("the run stopped".into())
            }
        }
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
        let dirty = {
            let mut sh = self.sh.borrow_mut();
            let stale = std::mem::take(&mut sh.page.stale);
            std::mem::take(&mut sh.page.dirty) || stale
        };
        if dirty && self.project.has_wxml() {
            self.render_now()?;
        }
        Ok(())
    }

    /// The settle loop's render after a change. With [`RunConfig::lazy_render`] (the
    /// explorer's), a page whose render has no effect but its tree (`Project::renders_plainly`:
    /// no components, WXS, imports or cameras) is marked stale instead, and rendered when
    /// something reads the tree ([`Driver::render_if_dirty`]: a tap, a selector query, a
    /// form); what the program sees is the same, without the renders nothing read.
    pub(super) fn render_settled(&mut self) -> Result<(), Halt> {
        let lazy = self.cfg.lazy_render && !self.cfg.render && !self.cfg.screen;
        if lazy && self.project.has_wxml() {
            let route = self.current_route()?;
            if self.project.renders_plainly(&route) {
                let mut sh = self.sh.borrow_mut();
                if std::mem::take(&mut sh.page.dirty) {
                    sh.page.stale = true;
                }
                // What the render would have left that is read without rendering first: a
                // plain page shows no camera (a camera page shown again asks again) and no
                // component (`selectComponent` finds none in another page's tree).
                sh.page.cameras.clear();
                if sh.page.tree_route != route {
                    sh.page.tree = None;
                }
                return Ok(());
            }
        }
        self.render_if_dirty()
    }

    /// The prelude as the renderer calls it.
    pub(super) fn prelude(&self) -> Prelude<'js> {
        Prelude {
            ctx: self.ctx.clone(),
            h: self.h.clone(),
            sh: self.sh.clone(),
            project: self.project.clone(),
            interrupted: self.interrupted.clone(),
            refused: self.refused.clone(),
        }
    }

    /// Renders the current page, then runs `ready` for the components the render created.
    pub(super) fn render_now(&mut self) -> Result<(), Halt> {
        let p = self.prelude();
        render_page(&p)?;
        p.call("readyAll", Vec::new())?;
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
                sh.page.tree_route.clone(),
                sh.page
                    .tree
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
        self.sh.borrow_mut().page.dirty = true;
        self.render_if_dirty()?;
        let tree = self.sh.borrow().page.tree.clone();
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
        // A tap on a submit or reset button inside a `<form>`: the form's submit or reset.
        if let Some(bi) = chain.iter().rposition(|n| n.form_action().is_some())
            && !truthy_attr(&chain[bi], "disabled")
            && let Some(fi) = chain[..bi].iter().rposition(|n| n.tag == "form")
        {
            let b = chain[bi].clone();
            let reset = b.form_action() == Some("reset");
            self.form_button(&chain[..=fi], &b, reset)?;
        }
        // A tap in a `<navigator>`: its own navigation, after the handlers (a `catch` on the
        // way does not stop it: it is the component's behaviour, not a bubbling handler).
        if let Some(n) = chain.iter().rev().find(|n| n.tag == "navigator") {
            if attr_str(n, "target").as_deref() == Some("miniProgram") {
                self.sh.borrow_mut().record.warn(
                    "not-supported",
                    "`<navigator target=\"miniProgram\">` is not simulated by miniperm: another mini-program cannot be opened".into(),
                );
            } else {
                let open_type = attr_str(n, "open-type").unwrap_or_else(|| "navigate".into());
                let url = attr_str(n, "url").unwrap_or_default();
                let delta = attr_str(n, "delta")
                    .and_then(|d| d.trim().parse::<u32>().ok())
                    .unwrap_or(1);
                self.js("navigator", (open_type, url, delta))?;
            }
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
            self.sh.borrow_mut().record.warn(
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
                self.sh.borrow_mut().record.warn(
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
        let tree = self.sh.borrow().page.tree.clone();
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
/// Renders the current page: components are created, updated and detached as the tree says,
/// their hosts' handlers are handed to them, the new ones get their lifetimes (`created`,
/// `attached`, relations; `ready` is the caller's: after `onLoad`/`onShow` when a page opens),
/// and newly shown cameras ask for their scope. A render already under way is not entered again.
pub(super) fn render_page(p: &Prelude<'_>) -> Result<(), Halt> {
    if p.sh.borrow().page.rendering {
        return Ok(());
    }
    p.sh.borrow_mut().page.rendering = true;
    let r = render_page_inner(p);
    p.sh.borrow_mut().page.rendering = false;
    r
}

fn render_page_inner(p: &Prelude<'_>) -> Result<(), Halt> {
    let s = p.call_string("pageData", Vec::new())?;
    {
        let mut sh = p.sh.borrow_mut();
        sh.page.dirty = false;
        sh.page.stale = false;
    }
    let Ok(Json::Object(pd)) = serde_json::from_str::<Json>(&s) else {
        p.sh.borrow_mut().page.tree = None;
        return Ok(());
    };
    let route = pd.get("route").and_then(Json::as_str).unwrap_or_default();
    let data = pd.get("data").cloned().unwrap_or(Json::Null);
    let file = format!("{route}.wxml");
    missing(p, &file);
    let project = p.project.clone();
    let Some(templates) = project.templates() else {
        return Ok(());
    };
    if templates.get(&file).is_none() {
        p.sh.borrow_mut().page.tree = None;
        if let Some(e) = templates.error(&file) {
            let mut host = JsHost {
                p,
                halt: None,
                visited: Vec::new(),
                broken: HashSet::new(),
            };
            miniperm_wxml::Host::syntax_error(&mut host, e);
        }
        return Ok(());
    }
    let (tree, visited, halt) = {
        let mut host = JsHost {
            p,
            halt: None,
            visited: Vec::new(),
            broken: HashSet::new(),
        };
        let tail: &[&str] = if project.custom_tab_bar_of(route) {
            &[crate::project::CUSTOM_TAB_BAR]
        } else {
            &[]
        };
        let tree = miniperm_wxml::render_with_tail(templates, &file, &data, &mut host, tail);
        (tree, host.visited, host.halt)
    };
    if let Some(h) = halt {
        return Err(h);
    }
    let mut cameras = HashSet::new();
    let mut new_cameras = Vec::new();
    // The components in tree order with the owner whose WXML made them and their component
    // ancestors, nearest first.
    let mut plan = Vec::new();
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
            p.call(
                "hostEvents",
                vec![
                    key.clone(),
                    n.id.clone(),
                    json!(n.dataset).to_string(),
                    Json::Object(evs).to_string(),
                ],
            )?;
            let ancestors: Vec<&String> = chain
                .iter()
                .rev()
                .skip(1)
                .filter_map(|a| a.component.as_ref())
                .collect();
            plan.push(json!({"k": key, "o": n.owner, "a": ancestors}));
        }
        if n.tag == "camera" && chain.iter().all(|a| a.visible) {
            let id = format!("{}@{}:{}", n.owner, n.line, n.col);
            if !p.sh.borrow().page.cameras.contains(&id) {
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
    p.call("prune", vec![keys])?;
    {
        let mut sh = p.sh.borrow_mut();
        sh.page.cameras = cameras;
        sh.page.tree = Some(Rc::new(tree));
        sh.page.tree_route = route.to_string();
    }
    p.call("lifecycle", vec![Json::Array(plan).to_string()])?;
    // A <camera> asks for scope.camera when it first shows (binderror on a denial).
    for c in new_cameras {
        p.call(
            "camera",
            vec![c.owner, c.handler, c.id, c.dataset.to_string()],
        )?;
    }
    Ok(())
}

/// Rows of a made-up layout: every visible element is a row of the window's width, stacked in
/// document order, as tall as the rows inside it. Enough for code that measures (`top`,
/// `height` are numbers, a hidden node has no box), not a real layout.
const ROW: i64 = 20;

/// A selector query's request (see [`layout`]).
pub(super) struct Query<'q> {
    pub(super) owner: &'q str,
    pub(super) sel: &'q str,
    pub(super) kind: &'q str,
    pub(super) all: bool,
    pub(super) fields: &'q Json,
}

/// What `createSelectorQuery` and `createIntersectionObserver` get for `sel` among the nodes
/// of `owner` (`""`: the page's own WXML): a JSON array of one object per node found (the
/// first only unless `all`); `kind` is `rect`, `scroll`, `fields`, `node`, `context` or
/// `viewport` (then `sel` is ignored), `fields` the `fields()` request.
pub(super) fn layout(tree: Option<&Tree>, (width, height): (i64, i64), q: &Query<'_>) -> Json {
    let Query {
        owner,
        sel,
        kind,
        all,
        fields,
    } = *q;
    let viewport = || {
        json!({"id": "", "dataset": {}, "left": 0, "top": 0, "right": width, "bottom": height,
            "width": width, "height": height, "scrollLeft": 0, "scrollTop": 0,
            "scrollWidth": width, "scrollHeight": height})
    };
    if kind == "viewport" {
        return Json::Array(vec![viewport()]);
    }
    let (Some(tree), Ok(selector)) = (tree, Selector::parse(sel)) else {
        return Json::Array(Vec::new());
    };
    // Every visible element's row and its height in rows.
    let mut boxes: Vec<(&Node, i64, i64)> = Vec::new();
    fn go<'t>(nodes: &'t [Node], row: &mut i64, out: &mut Vec<(&'t Node, i64, i64)>) {
        for n in nodes {
            if !n.visible || n.tag == "#text" {
                continue;
            }
            let top = *row;
            *row += 1;
            let at = out.len();
            out.push((n, top, 1));
            go(&n.children, row, out);
            if let Some(b) = out.get_mut(at) {
                b.2 = (*row - top).max(1);
            }
        }
    }
    let mut row = 0;
    go(&tree.roots, &mut row, &mut boxes);
    let want = |k: &str| fields.get(k).is_some_and(expr_truthy);
    let mut out = Vec::new();
    for (n, top, rows) in boxes {
        if n.owner != owner || !selector.matches(n) {
            continue;
        }
        let (t, h) = (top * ROW, rows * ROW);
        let rect = json!({"left": 0, "top": t, "right": width, "bottom": t + h,
            "width": width, "height": h});
        let mut o = Map::new();
        let put_rect = |o: &mut Map<String, Json>| {
            if let Json::Object(r) = &rect {
                o.extend(r.clone());
            }
        };
        match kind {
            "rect" => {
                o.insert("id".into(), json!(n.id));
                o.insert("dataset".into(), json!(n.dataset));
                put_rect(&mut o);
            }
            "scroll" => {
                o.insert("id".into(), json!(n.id));
                o.insert("dataset".into(), json!(n.dataset));
                o.insert("scrollLeft".into(), json!(0));
                o.insert("scrollTop".into(), json!(0));
                o.insert("scrollWidth".into(), json!(width));
                o.insert("scrollHeight".into(), json!(h));
            }
            "node" | "context" => {
                o.insert(kind.into(), Json::Null);
                o.insert("__tag".into(), json!(n.tag));
            }
            _ => {
                if want("id") {
                    o.insert("id".into(), json!(n.id));
                }
                if want("dataset") {
                    o.insert("dataset".into(), json!(n.dataset));
                }
                if want("rect") {
                    for k in ["left", "top", "right", "bottom"] {
                        o.insert(k.into(), rect[k].clone());
                    }
                }
                if want("size") {
                    o.insert("width".into(), json!(width));
                    o.insert("height".into(), json!(h));
                }
                if want("scrollOffset") {
                    o.insert("scrollLeft".into(), json!(0));
                    o.insert("scrollTop".into(), json!(0));
                }
                if let Some(Json::Array(props)) = fields.get("properties") {
                    for p in props.iter().filter_map(Json::as_str) {
                        o.insert(p.into(), n.attrs.get(p).cloned().unwrap_or(Json::Null));
                    }
                }
                if let Some(Json::Array(styles)) = fields.get("computedStyle") {
                    for p in styles.iter().filter_map(Json::as_str) {
                        o.insert(p.into(), json!(""));
                    }
                }
                if want("node") {
                    o.insert("node".into(), Json::Null);
                    o.insert("__tag".into(), json!(n.tag));
                }
            }
        }
        out.push(Json::Object(o));
        if !all {
            break;
        }
    }
    Json::Array(out)
}

fn expr_truthy(v: &Json) -> bool {
    miniperm_wxml::expr::truthy(v)
}
