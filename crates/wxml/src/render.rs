//! The renderer: a parsed project's WXML plus data to a tree of what the user sees.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::expr::{self, Env, V};
use crate::parse::{self, Document, Element, Item, ParseError, Part, Tpl, WxsModule};

/// What the renderer asks of the runtime: components, WXS, warnings.
pub trait Host {
    /// Is `tag` a custom component for the file `owner_file` (the page's or component's WXML
    /// path)? Returns the component's definition id.
    fn component(&mut self, owner_file: &str, tag: &str) -> Option<String>;
    /// Create (first time) or update the component instance at `key` with `props` (evaluated
    /// attributes that are not events, `wx:*`, `class`, `style`, `id`, `data-*`, `slot`; names
    /// camelCased), and return its current data and WXML path. `None`: the host node's
    /// children render as a plain element.
    fn instance(&mut self, key: &str, def: &str, props: &Map<String, Value>) -> Option<Instance>;
    /// Call WXS module `module` declared in `file`: the module's export itself when `func` is
    /// `""` (`{{ style(x) }}`), else the member function at the dotted path `func` (`"f"` for
    /// `{{ m.f(x) }}`, `"a.b"` for `{{ m.a.b(x) }}`). `Err` is the message to report (the call
    /// then gives `undefined`). The renderer only calls modules `file` declares.
    fn wxs_call(
        &mut self,
        file: &str,
        module: &str,
        func: &str,
        args: Vec<Value>,
    ) -> Result<Value, String>;
    /// The exports of WXS module `module` declared in `file`, as data (functions left out), for
    /// bindings that read them (`{{ consts.MAX }}`). Asked at most once per module per render.
    /// `Err` is the message to report (the module then reads as `undefined`).
    fn wxs_value(&mut self, file: &str, module: &str) -> Result<Value, String> {
        let _ = (file, module);
        Err("no wxs values".into())
    }
    /// A warning: the renderer never fails at render time.
    fn warn(&mut self, message: String);
    /// The WXML file the render needs (the page, a component's WXML, an `<import>` or an
    /// `<include>`) did not parse. Reported at most once per file per render.
    fn syntax_error(&mut self, error: &ParseError) {
        self.warn(error.to_string());
    }
}

/// A component instance as the host sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub data: Value,
    pub wxml: String,
}

/// All parsed WXML files of a project by path (`pages/a/a.wxml`), and the syntax errors of
/// those that failed.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    docs: HashMap<String, Document>,
    errors: HashMap<String, ParseError>,
}

impl Templates {
    /// Parse every file; files that fail are left out and their errors returned (sorted by
    /// file), and kept: see [`Templates::error`].
    pub fn parse_all<I, P, T>(files: I) -> (Templates, Vec<ParseError>)
    where
        I: IntoIterator<Item = (P, T)>,
        P: AsRef<str>,
        T: AsRef<str>,
    {
        let mut t = Templates::default();
        for (path, text) in files {
            let path = normalize(path.as_ref());
            match parse::parse(&path, text.as_ref()) {
                Ok(doc) => {
                    t.errors.remove(&path);
                    t.docs.insert(path, doc);
                }
                Err(e) => {
                    t.docs.remove(&path);
                    t.errors.insert(path, e);
                }
            }
        }
        let mut errors: Vec<ParseError> = t.errors.values().cloned().collect();
        errors.sort_by(|a, b| a.file.cmp(&b.file));
        (t, errors)
    }

    /// Add (or replace) one parsed document under its `file` (forgetting an earlier syntax
    /// error there).
    pub fn insert(&mut self, doc: Document) {
        let path = normalize(&doc.file);
        self.errors.remove(&path);
        self.docs.insert(path, doc);
    }

    /// The syntax error of the file at `path` when it failed to parse.
    pub fn error(&self, path: &str) -> Option<&ParseError> {
        self.errors.get(&normalize(path))
    }

    pub fn get(&self, path: &str) -> Option<&Document> {
        self.docs.get(&normalize(path))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    /// The WXS modules of `file`, with `src` resolved against it (`./a.wxs` → `pages/a/a.wxs`).
    pub fn wxs_modules(&self, file: &str) -> Vec<WxsModule> {
        let Some(doc) = self.get(file) else {
            return Vec::new();
        };
        let mut mods = doc.wxs_modules();
        for m in &mut mods {
            if let Some(src) = &m.src {
                m.src = Some(resolve(&doc.file, src, ".wxs"));
            }
        }
        mods
    }
}

/// `src` (relative to `from`'s directory, or absolute from the project root with a leading `/`)
/// as a project path, with `ext` added when it has no extension.
pub fn resolve(from: &str, src: &str, ext: &str) -> String {
    let joined = if let Some(abs) = src.strip_prefix('/') {
        abs.to_string()
    } else {
        match from.rfind('/') {
            Some(k) => format!("{}/{}", &from[..k], src),
            None => src.to_string(),
        }
    };
    let mut p = normalize(&joined);
    let last = p.rsplit('/').next().unwrap_or("");
    if !last.contains('.') {
        p.push_str(ext);
    }
    p
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// An event binding on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// `tap`, `opensetting`, a custom event name…
    pub event: String,
    pub handler: String,
    pub catch: bool,
    pub capture: bool,
    #[serde(rename = "mut")]
    pub mut_: bool,
}

/// A rendered node. Text nodes have tag `#text`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub tag: String,
    pub id: String,
    pub classes: Vec<String>,
    /// Evaluated attributes other than `wx:*`, `id`, `class`, `data-*` and event bindings.
    pub attrs: BTreeMap<String, Value>,
    /// `data-foo-bar` as `fooBar`.
    pub dataset: BTreeMap<String, Value>,
    pub events: Vec<Binding>,
    pub text: Option<String>,
    pub children: Vec<Node>,
    /// False when `hidden` is truthy here or on an ancestor.
    pub visible: bool,
    /// Instance key of the page (`""`) or component whose WXML produced this node.
    pub owner: String,
    /// Instance key when this node hosts a custom component.
    pub component: Option<String>,
    /// The `wx:key` value of this `wx:for` item (or its index when there is no `wx:key`).
    pub key: Option<String>,
    /// The WXML file the node comes from.
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// Two-way bindings (`model:value="{{form.name}}"`, base library 2.9.3): each property and
    /// the data path a person's change to it is written back to.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub model: BTreeMap<String, String>,
}

/// The data path of a two-way binding's template: `{{a}}` or `{{a.b}}` (WeChat takes only
/// these), else `None`.
fn model_path(t: &Tpl) -> Option<String> {
    fn path(e: &expr::Expr) -> Option<String> {
        match e {
            expr::Expr::Ident(n) => Some(n.clone()),
            expr::Expr::Member(base, key) => match key.as_ref() {
                expr::Expr::Lit(Value::String(k)) => Some(format!("{}.{k}", path(base)?)),
                _ => None,
            },
            _ => None,
        }
    }
    let mut exprs = t.0.iter().filter(|p| match p {
        Part::Lit(s) => !s.trim().is_empty(),
        Part::Expr(_) => true,
    });
    match (exprs.next(), exprs.next()) {
        (Some(Part::Expr(e)), None) => path(e),
        _ => None,
    }
}

/// The rendered roots of a page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Tree {
    pub roots: Vec<Node>,
}

/// Indices from the roots down to a node.
pub type Path = Vec<usize>;

impl Tree {
    /// The instance keys of every custom component in the tree (hidden ones too), in document
    /// order: after a re-render, instances no longer listed were removed.
    pub fn instances(&self) -> Vec<String> {
        let mut out = Vec::new();
        fn go(nodes: &[Node], out: &mut Vec<String>) {
            for n in nodes {
                if let Some(k) = &n.component {
                    out.push(k.clone());
                }
                go(&n.children, out);
            }
        }
        go(&self.roots, &mut out);
        out
    }

    /// The path of the node hosting the component instance `key` (where its `triggerEvent`
    /// lands, on the host's `bind:NAME`).
    pub fn find_component(&self, key: &str) -> Option<Path> {
        fn go(nodes: &[Node], key: &str, path: &mut Path) -> bool {
            for (i, n) in nodes.iter().enumerate() {
                path.push(i);
                if n.component.as_deref() == Some(key) || go(&n.children, key, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        go(&self.roots, key, &mut path).then_some(path)
    }

    pub fn get(&self, path: &[usize]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let mut n = self.roots.get(*first)?;
        for i in rest {
            n = n.children.get(*i)?;
        }
        Some(n)
    }
}

impl Node {
    /// A `<button>`'s form action, `"submit"` or `"reset"`, from `form-type` (or `formType`, as
    /// real projects write it and WeChat reads it); `None` for anything else.
    pub fn form_action(&self) -> Option<&'static str> {
        if self.tag != "button" {
            return None;
        }
        ["form-type", "formType"]
            .iter()
            .filter_map(|k| self.attrs.get(*k))
            .map(expr::js_string)
            .find_map(|t| match t.as_str() {
                "submit" => Some("submit"),
                "reset" => Some("reset"),
                _ => None,
            })
    }

    /// The concatenated text of this node and its visible descendants.
    pub fn visible_text(&self) -> String {
        let mut s = String::new();
        fn go(n: &Node, s: &mut String) {
            if !n.visible {
                return;
            }
            if let Some(t) = &n.text {
                s.push_str(t);
            }
            for c in &n.children {
                go(c, s);
            }
        }
        go(self, &mut s);
        s
    }

    pub fn has_event(&self, event: &str) -> bool {
        self.events.iter().any(|b| b.event == event)
    }
}

/// The nodes on the way from the node at `path` up to its root, the target first (for
/// bubbling). Empty when the path is not in the tree.
pub fn ancestors<'t>(tree: &'t Tree, path: &[usize]) -> Vec<&'t Node> {
    let mut out = Vec::new();
    for k in 1..=path.len() {
        match tree.get(&path[..k]) {
            Some(n) => out.push(n),
            None => return Vec::new(),
        }
    }
    out.reverse();
    out
}

/// Nesting allowed through elements, templates, includes and components.
pub const MAX_DEPTH: usize = 96;
/// Nodes one render may produce.
pub const MAX_NODES: usize = 50_000;
/// Iterations one `wx:for` may make over a number.
pub const MAX_FOR: usize = 10_000;

const BUILTIN: &[&str] = &[
    "view",
    "text",
    "button",
    "image",
    "input",
    "textarea",
    "scroll-view",
    "swiper",
    "swiper-item",
    "icon",
    "rich-text",
    "progress",
    "checkbox",
    "checkbox-group",
    "radio",
    "radio-group",
    "form",
    "label",
    "picker",
    "picker-view",
    "picker-view-column",
    "slider",
    "switch",
    "navigator",
    "camera",
    "map",
    "canvas",
    "video",
    "audio",
    "live-player",
    "live-pusher",
    "web-view",
    "ad",
    "open-data",
    "official-account",
    "cover-view",
    "cover-image",
    "movable-area",
    "movable-view",
    "page-meta",
    "navigation-bar",
    "editor",
    "match-media",
    "page-container",
    "root-portal",
    "voip-room",
    "channel-live",
    "channel-video",
];

type Slots = Rc<RefCell<BTreeMap<String, Vec<Node>>>>;

/// The WXS modules a frame sees: (name, file declaring it), the frame's own file's first.
type Mods = Rc<[(String, String)]>;

#[derive(Clone)]
struct Frame<'t> {
    /// Where templates and WXS modules are looked up: an `<include>` keeps its includer's.
    file: &'t str,
    /// The file the items being rendered are written in (differs from `file` inside an
    /// `<include>`): nodes' `file`, `<include src>` resolution.
    src: &'t str,
    /// WXS modules visible here: `file`'s, then (inside an `<include>`) `src`'s own.
    mods: Mods,
    owner: String,
    owner_file: String,
    data: Rc<Value>,
    locals: Vec<(String, Value)>,
    slots: Option<Slots>,
}

struct R<'t, 'h> {
    t: &'t Templates,
    host: &'h mut dyn Host,
    nodes: usize,
    depth: usize,
    depth_warned: bool,
    nodes_warned: bool,
    /// Visible WXS modules by frame file, then source file: computed once per render.
    mods: HashMap<String, HashMap<String, Mods>>,
    /// WXS module values by declaring file, then module: asked once per render.
    values: HashMap<String, HashMap<String, V>>,
    /// Warnings given once per render.
    warned: HashSet<String>,
    /// Files whose syntax error was reported this render.
    syntax_reported: HashSet<String>,
}

struct FrameEnv<'a, 'h> {
    fr: &'a Frame<'a>,
    host: &'a mut (dyn Host + 'h),
    values: &'a mut HashMap<String, HashMap<String, V>>,
    warned: &'a mut HashSet<String>,
}

impl FrameEnv<'_, '_> {
    fn warn_once(&mut self, message: String) {
        if !self.warned.contains(&message) {
            self.warned.insert(message.clone());
            self.host.warn(message);
        }
    }

    fn module_value(&mut self, file: &str, module: &str) -> V {
        if let Some(v) = self.values.get(file).and_then(|m| m.get(module)) {
            return v.clone();
        }
        let v = match self.host.wxs_value(file, module) {
            Ok(v) => V::Json(v),
            Err(m) => {
                self.warn_once(format!(
                    "wxs module `{module}` of `{file}` has no value: {m}"
                ));
                V::Undefined
            }
        };
        self.values
            .entry(file.to_string())
            .or_default()
            .insert(module.to_string(), v.clone());
        v
    }
}

impl Env for FrameEnv<'_, '_> {
    /// `wx:for` locals, then a WXS module visible from the frame, then the data.
    fn lookup(&mut self, name: &str) -> V {
        if let Some((_, v)) = self.fr.locals.iter().rev().find(|(n, _)| n == name) {
            return V::Json(v.clone());
        }
        let fr = self.fr;
        if let Some((_, file)) = fr.mods.iter().find(|(n, _)| n == name) {
            return self.module_value(file, name);
        }
        fr.data.get(name).cloned().map_or(V::Undefined, V::Json)
    }

    fn call(&mut self, module: &str, func: &str, args: Vec<Value>) -> V {
        // as written: `m`, `m.f`, `m.a.b` (only for messages)
        let what = || {
            if func.is_empty() {
                module.to_string()
            } else {
                format!("{module}.{func}")
            }
        };
        let fr = self.fr;
        let Some((_, file)) = fr.mods.iter().find(|(n, _)| n == module) else {
            self.warn_once(format!(
                "`{module}` is not a wxs module of `{}`: `{}(…)` gives undefined",
                fr.file,
                what()
            ));
            return V::Undefined;
        };
        match self.host.wxs_call(file, module, func, args) {
            Ok(v) => V::Json(v),
            Err(m) => {
                self.host
                    .warn(format!("wxs `{}` in `{file}` failed: {m}", what()));
                V::Undefined
            }
        }
    }
}

/// Render `file` with `data` (the page's or component's data). Never fails: problems go to
/// [`Host::warn`].
pub fn render(t: &Templates, file: &str, data: &Value, host: &mut dyn Host) -> Tree {
    render_with_tail(t, file, data, host, &[])
}

/// [`render`], then each of `tail` appended as a root element with no attributes, in `file`'s
/// scope and keyed `/{tag}`: what a page shows that its WXML does not name (WeChat's custom tab
/// bar, `<custom-tab-bar>`, below a tab page). A tag the host names no component for is drawn
/// as any unknown tag is.
pub fn render_with_tail(
    t: &Templates,
    file: &str,
    data: &Value,
    host: &mut dyn Host,
    tail: &[&str],
) -> Tree {
    let tail: Vec<Element> = tail
        .iter()
        .map(|tag| Element {
            name: (*tag).to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            raw: None,
            line: 0,
            col: 0,
        })
        .collect();
    let file = normalize(file);
    let mut r = R {
        t,
        host,
        nodes: 0,
        depth: 0,
        depth_warned: false,
        nodes_warned: false,
        mods: HashMap::new(),
        values: HashMap::new(),
        warned: HashSet::new(),
        syntax_reported: HashSet::new(),
    };
    let Some(doc) = t.docs.get(&file) else {
        r.absent(&file, || format!("no WXML `{file}`"));
        return Tree::default();
    };
    let fr = Frame {
        file: &doc.file,
        src: &doc.file,
        mods: r.mods(&doc.file, &doc.file),
        owner: String::new(),
        owner_file: doc.file.clone(),
        data: Rc::new(data.clone()),
        locals: Vec::new(),
        slots: None,
    };
    let mut roots = Vec::new();
    r.children(&doc.children, &fr, "", &mut roots);
    for el in &tail {
        r.element(el, &fr, &format!("/{}", el.name), None, &mut roots);
    }
    fn vis(n: &mut Node, parent: bool) {
        n.visible &= parent;
        let v = n.visible;
        for c in &mut n.children {
            vis(c, v);
        }
    }
    for n in &mut roots {
        vis(n, true);
    }
    Tree { roots }
}

impl<'t> R<'t, '_> {
    /// The WXS modules visible from frame file `file` rendering items of `src`.
    fn mods(&mut self, file: &str, src: &str) -> Mods {
        if let Some(m) = self.mods.get(file).and_then(|m| m.get(src)) {
            return m.clone();
        }
        let mut out: Vec<(String, String)> = Vec::new();
        for f in [file, src] {
            if let Some(doc) = self.t.docs.get(f) {
                for m in doc.wxs_modules() {
                    if !out.iter().any(|(n, _)| *n == m.name) {
                        out.push((m.name, doc.file.clone()));
                    }
                }
            }
        }
        let m: Mods = out.into();
        self.mods
            .entry(file.to_string())
            .or_default()
            .insert(src.to_string(), m.clone());
        m
    }

    fn warn_once(&mut self, message: String) {
        if !self.warned.contains(&message) {
            self.warned.insert(message.clone());
            self.host.warn(message);
        }
    }

    /// A WXML file the render needs is not there: its syntax error when it failed to parse
    /// (once per render), else the `missing` warning (once per render).
    fn absent(&mut self, path: &str, missing: impl FnOnce() -> String) {
        match self.t.errors.get(path) {
            Some(e) => {
                if self.syntax_reported.insert(path.to_string()) {
                    self.host.syntax_error(e);
                }
            }
            None => self.warn_once(missing()),
        }
    }

    fn eval_tpl(&mut self, tpl: &Tpl, fr: &Frame) -> V {
        let mut env = FrameEnv {
            fr,
            host: &mut *self.host,
            values: &mut self.values,
            warned: &mut self.warned,
        };
        match tpl.0.as_slice() {
            [Part::Expr(e)] => expr::eval(e, &mut env),
            parts => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        Part::Lit(l) => s.push_str(l),
                        Part::Expr(e) => s.push_str(&expr::eval(e, &mut env).to_text()),
                    }
                }
                V::Json(Value::String(s))
            }
        }
    }

    fn attr_value(&mut self, el: &Element, name: &str, fr: &Frame) -> Option<V> {
        let a = el.attr(name)?;
        Some(match &a.value {
            None => V::Json(Value::Bool(true)),
            Some(t) => self.eval_tpl(t, fr),
        })
    }

    fn enter(&mut self, file: &str, what: &str) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.host.warn(format!(
                    "render depth limit {MAX_DEPTH} reached at {what} in `{file}` (recursive template or component?)"
                ));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn budget(&mut self) -> bool {
        if self.nodes >= MAX_NODES {
            if !self.nodes_warned {
                self.nodes_warned = true;
                self.host
                    .warn(format!("render stopped after {MAX_NODES} nodes"));
            }
            return false;
        }
        self.nodes += 1;
        true
    }

    fn children(&mut self, items: &'t [Item], fr: &Frame, path: &str, out: &mut Vec<Node>) {
        // Some(taken) while inside a wx:if / wx:elif chain
        let mut chain: Option<bool> = None;
        for (idx, it) in items.iter().enumerate() {
            let el = match it {
                Item::Text(t) => {
                    chain = None;
                    let s = self.eval_tpl(&t.tpl, fr).to_text();
                    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
                    if !s.is_empty() && self.budget() {
                        out.push(Node {
                            tag: "#text".to_string(),
                            id: String::new(),
                            classes: Vec::new(),
                            attrs: BTreeMap::new(),
                            dataset: BTreeMap::new(),
                            events: Vec::new(),
                            text: Some(s.to_string()),
                            children: Vec::new(),
                            visible: true,
                            owner: fr.owner.clone(),
                            component: None,
                            key: None,
                            file: fr.src.to_string(),
                            line: t.line,
                            col: t.col,
                            model: BTreeMap::new(),
                        });
                    }
                    continue;
                }
                Item::Element(e) => e,
            };
            let p = format!("{path}/{idx}");
            if for_attr(el).is_some() {
                chain = None;
                self.for_each(el, fr, &p, out);
                continue;
            }
            if el.attr("wx:if").is_some() {
                let c = self.attr_value(el, "wx:if", fr).is_some_and(|v| v.truthy());
                chain = Some(c);
                if c {
                    self.one(el, fr, &p, None, out);
                }
            } else if el.attr("wx:elif").is_some() {
                if chain == Some(true) {
                    continue;
                }
                let c = self
                    .attr_value(el, "wx:elif", fr)
                    .is_some_and(|v| v.truthy());
                chain = Some(c);
                if c {
                    self.one(el, fr, &p, None, out);
                }
            } else if el.attr("wx:else").is_some() {
                let taken = chain == Some(true);
                chain = None;
                if !taken {
                    self.one(el, fr, &p, None, out);
                }
            } else {
                chain = None;
                self.one(el, fr, &p, None, out);
            }
        }
    }

    fn for_each(&mut self, el: &'t Element, fr: &Frame, path: &str, out: &mut Vec<Node>) {
        let list = for_attr(el)
            .and_then(|a| self.attr_value(el, a, fr))
            .unwrap_or(V::Undefined);
        let item_name = el
            .literal("wx:for-item")
            .unwrap_or_else(|| "item".to_string());
        let index_name = el
            .literal("wx:for-index")
            .unwrap_or_else(|| "index".to_string());
        let key_attr = el.literal("wx:key");
        let pairs: Vec<(Value, Value)> = match list {
            V::Json(Value::Array(a)) => a
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, Value::from(i)))
                .collect(),
            V::Json(Value::Object(o)) => {
                o.into_iter().map(|(k, v)| (v, Value::String(k))).collect()
            }
            V::Json(Value::Number(n)) => {
                let n = n.as_f64().unwrap_or(0.0);
                let count = if n > 0.0 {
                    (n.ceil() as usize).min(MAX_FOR)
                } else {
                    0
                };
                if n > MAX_FOR as f64 {
                    self.host.warn(format!(
                        "`wx:for` over {n} in `{}` line {} cut at {MAX_FOR}",
                        fr.src, el.line
                    ));
                }
                (0..count)
                    .map(|i| (Value::from(i), Value::from(i)))
                    .collect()
            }
            V::Json(Value::String(s)) => s
                .chars()
                .enumerate()
                .map(|(i, c)| (Value::String(c.to_string()), Value::from(i)))
                .collect(),
            _ => Vec::new(),
        };
        for (item, index) in pairs {
            if self.nodes >= MAX_NODES {
                self.budget();
                return;
            }
            let key = match key_attr.as_deref() {
                Some("*this") => expr::js_string(&item),
                Some(k) if !k.is_empty() => match item.get(k) {
                    Some(v) => expr::js_string(v),
                    None => expr::js_string(&index),
                },
                _ => expr::js_string(&index),
            };
            let p = if key_attr.is_some() {
                format!("{path}[k={key}]")
            } else {
                format!("{path}[{key}]")
            };
            let mut f = fr.clone();
            f.locals.push((item_name.clone(), item));
            f.locals.push((index_name.clone(), index));
            if el.attr("wx:if").is_some()
                && !self.attr_value(el, "wx:if", &f).is_some_and(|v| v.truthy())
            {
                continue;
            }
            self.one(el, &f, &p, Some(key), out);
        }
    }

    /// One element after control flow.
    fn one(
        &mut self,
        el: &'t Element,
        fr: &Frame,
        path: &str,
        key: Option<String>,
        out: &mut Vec<Node>,
    ) {
        match el.name.as_str() {
            "wxs" | "import" => {}
            "block" => {
                if self.enter(fr.src, "`block`") {
                    self.children(&el.children, fr, path, out);
                    self.depth -= 1;
                }
            }
            "template" => {
                if el.attr("is").is_some() {
                    self.template_call(el, fr, path, out);
                }
            }
            "include" => self.include(el, fr, path, out),
            "slot" => {
                let name = self
                    .attr_value(el, "name", fr)
                    .map(|v| v.to_text())
                    .unwrap_or_default();
                if let Some(slots) = &fr.slots
                    && let Some(nodes) = slots.borrow_mut().remove(&name)
                {
                    out.extend(nodes);
                }
            }
            _ => self.element(el, fr, path, key, out),
        }
    }

    fn template_call(&mut self, el: &'t Element, fr: &Frame, path: &str, out: &mut Vec<Node>) {
        let name = self
            .attr_value(el, "is", fr)
            .map(|v| v.to_text())
            .unwrap_or_default();
        let data = match self.attr_value(el, "data", fr) {
            Some(V::Json(v @ Value::Object(_))) => v,
            _ => Value::Object(Map::new()),
        };
        // inside an `<include>`, the included file's own templates and imports come after the
        // includer's
        let found = match self.find_template(fr.file, &name) {
            None if fr.src != fr.file => self.find_template(fr.src, &name),
            found => found,
        };
        let Some((def, file)) = found else {
            self.host.warn(format!(
                "unknown template `{name}` in `{}` line {}",
                fr.src, el.line
            ));
            return;
        };
        if !self.enter(fr.src, &format!("template `{name}`")) {
            return;
        }
        // a template sees the WXS modules of the file defining it
        let f = Frame {
            file,
            src: file,
            mods: self.mods(file, file),
            owner: fr.owner.clone(),
            owner_file: fr.owner_file.clone(),
            data: Rc::new(data),
            locals: Vec::new(),
            slots: fr.slots.clone(),
        };
        self.children(&def.children, &f, &format!("{path}<{name}>"), out);
        self.depth -= 1;
    }

    /// A template visible from `file`: its own definitions, then those of its direct imports
    /// (the last import wins).
    fn find_template(&mut self, file: &str, name: &str) -> Option<(&'t Element, &'t str)> {
        let t = self.t;
        let doc = t.docs.get(file)?;
        let defined = |d: &'t Document| -> Option<&'t Element> {
            d.children.iter().find_map(|it| match it {
                Item::Element(e)
                    if e.name == "template" && e.literal("name").as_deref() == Some(name) =>
                {
                    Some(e)
                }
                _ => None,
            })
        };
        if let Some(e) = defined(doc) {
            return Some((e, &doc.file));
        }
        let mut found = None;
        for it in &doc.children {
            if let Item::Element(e) = it
                && e.name == "import"
                && let Some(src) = e.literal("src")
            {
                let p = resolve(&doc.file, &src, ".wxml");
                match t.docs.get(&p) {
                    Some(d) => {
                        if let Some(e) = defined(d) {
                            found = Some((e, d.file.as_str()));
                        }
                    }
                    None => self.absent(&p, || {
                        format!("import `{src}` in `{file}` not found (`{p}`)")
                    }),
                }
            }
        }
        found
    }

    /// `<include src>`: the included file's items (but its `<template name>` and `<wxs>`, which
    /// render nothing) in the includer's scope: its data, locals, templates and WXS modules
    /// (the included file's own templates, imports and modules come after the includer's).
    fn include(&mut self, el: &'t Element, fr: &Frame, path: &str, out: &mut Vec<Node>) {
        let Some(src) = el.literal("src") else {
            self.host.warn(format!(
                "`include` without a literal `src` in `{}` line {}",
                fr.src, el.line
            ));
            return;
        };
        // relative to the file the `<include>` is written in
        let p = resolve(fr.src, &src, ".wxml");
        let t = self.t;
        let Some(doc) = t.docs.get(&p) else {
            self.absent(&p, || {
                format!("include `{src}` in `{}` not found (`{p}`)", fr.src)
            });
            return;
        };
        if !self.enter(fr.src, &format!("include `{src}`")) {
            return;
        }
        let f = Frame {
            src: &doc.file,
            mods: self.mods(fr.file, &doc.file),
            ..fr.clone()
        };
        self.children(&doc.children, &f, &format!("{path}+"), out);
        self.depth -= 1;
    }

    fn element(
        &mut self,
        el: &'t Element,
        fr: &Frame,
        path: &str,
        key: Option<String>,
        out: &mut Vec<Node>,
    ) {
        if !self.budget() {
            return;
        }
        let mut node = Node {
            tag: el.name.clone(),
            id: String::new(),
            classes: Vec::new(),
            attrs: BTreeMap::new(),
            dataset: BTreeMap::new(),
            events: Vec::new(),
            text: None,
            children: Vec::new(),
            visible: true,
            owner: fr.owner.clone(),
            component: None,
            key,
            file: fr.src.to_string(),
            line: el.line,
            col: el.col,
            model: BTreeMap::new(),
        };
        for a in &el.attrs {
            if a.name.starts_with("wx:") {
                continue;
            }
            if let Some(prop) = a.name.strip_prefix("model:") {
                // the value shows as the property's; a change writes back to the path
                let v = match &a.value {
                    None => V::Json(Value::Bool(true)),
                    Some(t) => {
                        if let Some(p) = model_path(t) {
                            node.model.insert(prop.to_string(), p);
                        }
                        self.eval_tpl(t, fr)
                    }
                };
                node.attrs.insert(prop.to_string(), v.into_json());
                continue;
            }
            let v = match &a.value {
                None => V::Json(Value::Bool(true)),
                Some(t) => self.eval_tpl(t, fr),
            };
            if let Some((event, catch, capture, mut_)) = binding(&a.name) {
                let handler = v.to_text();
                if !handler.is_empty() {
                    node.events.push(Binding {
                        event: event.to_string(),
                        handler,
                        catch,
                        capture,
                        mut_,
                    });
                }
            } else if a.name == "id" {
                node.id = v.to_text();
            } else if a.name == "class" {
                node.classes = v
                    .to_text()
                    .split_ascii_whitespace()
                    .map(str::to_string)
                    .collect();
            } else if let Some(d) = a.name.strip_prefix("data-") {
                node.dataset.insert(dataset_key(d), v.into_json());
            } else {
                node.attrs.insert(a.name.clone(), v.into_json());
            }
        }
        node.visible = !node.attrs.get("hidden").is_some_and(expr::truthy);
        let comp = if BUILTIN.contains(&el.name.as_str()) {
            None
        } else {
            self.host.component(&fr.owner_file, &el.name)
        };
        if let Some(def) = comp {
            let ikey = format!("{}{}", fr.owner, path);
            let props: Map<String, Value> = node
                .attrs
                .iter()
                .filter(|(k, _)| {
                    !(k.as_str() == "style"
                        || k.as_str() == "slot"
                        || k.starts_with("generic:")
                        || k.starts_with("mark:"))
                })
                .map(|(k, v)| (camel(k), v.clone()))
                .collect();
            if let Some(inst) = self.host.instance(&ikey, &def, &props) {
                node.component = Some(ikey.clone());
                if self.enter(fr.src, &format!("component `{}`", el.name)) {
                    // slot content: the host's children in the host's scope
                    let mut content = Vec::new();
                    self.children(&el.children, fr, &format!("{path}:"), &mut content);
                    let mut slots: BTreeMap<String, Vec<Node>> = BTreeMap::new();
                    for n in content {
                        let name = n.attrs.get("slot").map(expr::js_string).unwrap_or_default();
                        slots.entry(name).or_default().push(n);
                    }
                    let t = self.t;
                    let wxml = normalize(&inst.wxml);
                    match t.docs.get(&wxml) {
                        Some(doc) => {
                            let f = Frame {
                                file: &doc.file,
                                src: &doc.file,
                                mods: self.mods(&doc.file, &doc.file),
                                owner: ikey,
                                owner_file: doc.file.clone(),
                                data: Rc::new(inst.data),
                                locals: Vec::new(),
                                slots: Some(Rc::new(RefCell::new(slots))),
                            };
                            self.children(&doc.children, &f, "", &mut node.children);
                        }
                        None => self.absent(&wxml, || {
                            format!(
                                "component `{}` ({def}) has no WXML `{}`",
                                el.name, inst.wxml
                            )
                        }),
                    }
                    self.depth -= 1;
                }
                out.push(node);
                return;
            }
        }
        if self.enter(fr.src, &format!("`{}`", el.name)) {
            self.children(&el.children, fr, path, &mut node.children);
            self.depth -= 1;
        }
        out.push(node);
    }
}

/// The attribute holding a `wx:for` list: `wx:for`, or the older `wx:for-items`.
fn for_attr(el: &Element) -> Option<&'static str> {
    ["wx:for", "wx:for-items"]
        .into_iter()
        .find(|a| el.attr(a).is_some())
}

/// `bindtap`, `bind:tap`, `catchtap`, `catch:tap`, `capture-bind:tap`, `capture-catch:tap`,
/// `mut-bind:tap` → (event, catch, capture, mut).
pub fn binding(name: &str) -> Option<(&str, bool, bool, bool)> {
    let forms: [(&str, bool, bool, bool); 5] = [
        ("capture-bind", false, true, false),
        ("capture-catch", true, true, false),
        ("mut-bind", false, false, true),
        ("bind", false, false, false),
        ("catch", true, false, false),
    ];
    for (prefix, catch, capture, mut_) in forms {
        if let Some(rest) = name.strip_prefix(prefix) {
            let ev = rest.strip_prefix(':').unwrap_or(rest);
            if prefix.contains('-') && !rest.starts_with(':') {
                continue;
            }
            if ev.is_empty() {
                return None;
            }
            return Some((ev, catch, capture, mut_));
        }
    }
    None
}

/// `foo-bar` → `fooBar`; upper case letters are lowered first, as WeChat does for datasets.
pub fn dataset_key(d: &str) -> String {
    camel(&d.to_lowercase())
}

fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '-' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}
