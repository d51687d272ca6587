//! A screen ([`miniperm_runtime::RunOutcome::screen`]) drawn as one self-contained HTML document:
//! the status and navigation bars from app.json's `window` (and the page's JSON), the page's
//! elements with their WXSS, the tab bar, images inlined from the project. Nothing in it runs
//! script or reaches the network (its Content-Security-Policy says so too); every string from the
//! project is escaped.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

use base64::Engine as _;
use miniperm_runtime::{Device, Project};
use serde_json::{Map, Value as Json};

use crate::wxss::{self, Options, Theme, class_token, element_name};

const BASE_CSS: &str = include_str!("base.css");
/// Largest image inlined; a larger one shows as not loaded.
pub const MAX_IMAGE_BYTES: u64 = 2 * 1024 * 1024;
/// Above this many elements, tap selectors count by tag only (linear, not quadratic).
const FULL_SELECTORS_UP_TO: usize = 3000;

/// Built-in components (WeChat's list); any other tag that hosts no component is drawn as a
/// labelled placeholder.
const BUILTIN: &[&str] = &[
    "view",
    "text",
    "button",
    "image",
    "icon",
    "navigator",
    "input",
    "textarea",
    "switch",
    "checkbox",
    "checkbox-group",
    "radio",
    "radio-group",
    "slider",
    "progress",
    "picker",
    "picker-view",
    "picker-view-column",
    "scroll-view",
    "swiper",
    "swiper-item",
    "rich-text",
    "form",
    "label",
    "block",
    "slot",
    "cover-view",
    "cover-image",
    "movable-area",
    "movable-view",
    "page-container",
    "root-portal",
    "match-media",
    "page-meta",
    "navigation-bar",
    "editor",
    "keyboard-accessory",
    "share-element",
    "grid-view",
    "list-view",
    "sticky-section",
    "sticky-header",
];
/// Built-ins miniperm draws as a labelled box (native views on a phone).
const PLACEHOLDER: &[&str] = &[
    "camera",
    "map",
    "video",
    "live-player",
    "live-pusher",
    "canvas",
    "web-view",
    "ad",
    "ad-custom",
    "official-account",
    "audio",
    "voip-room",
    "channel-live",
    "channel-video",
    "functional-page-navigator",
    "open-data",
    "store-product",
    "xr-frame",
];
/// WXML attributes carried onto the element besides `id`, `class`, `style` and `data-*`:
/// inert on these custom elements, and what the default look keys on.
const KEPT: &[&str] = &[
    "type",
    "size",
    "plain",
    "disabled",
    "loading",
    "mode",
    "checked",
    "open-type",
    "scroll-x",
    "scroll-y",
    "hover-class",
    "placeholder",
    "maxlength",
    "password",
    "value",
    "selectable",
    "user-select",
    "space",
    "decode",
    "url",
    "name",
    "color",
    "percent",
    "min",
    "max",
    "step",
    "current",
    "indicator-dots",
    "form-type",
    "lazy-load",
    "show-menu-by-longpress",
];

/// Of [`KEPT`], the boolean attributes: present (empty) when truthy, absent otherwise.
const BOOLEAN: &[&str] = &[
    "plain",
    "disabled",
    "loading",
    "checked",
    "scroll-x",
    "scroll-y",
    "password",
    "indicator-dots",
    "selectable",
    "user-select",
];

fn esc(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    esc(value, out);
    out.push('"');
}

/// A WXML attribute value as text (JavaScript's `String(v)` for the JSON kinds a render keeps).
fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(","),
        Json::Object(_) => "[object Object]".into(),
    }
}

/// WeChat's boolean attributes: present and not `false` (the string "false" is true, as in
/// WeChat, except that an empty value is false).
fn truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => !s.is_empty() && s != "false",
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(_) => true,
    }
}

fn safe_attr_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':' || c == '.')
        && !n.to_ascii_lowercase().starts_with("on")
}

/// A selector name part the runtime's selector parser reads back as written.
fn selector_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            !(c.is_whitespace()
                || matches!(
                    c,
                    '#' | '.' | '[' | ']' | '=' | '"' | '\'' | ':' | '(' | ')'
                ))
        })
}

/// A component definition's style options, as the runtime reported them.
#[derive(Debug, Clone, Default)]
struct Style {
    /// Classes in the page's scope too (`apply-shared`, `shared`, `addGlobalClass`).
    global_classes: bool,
    /// Its WXSS in the page's scope (`shared`).
    shared: bool,
    external: Vec<String>,
}

fn styles_of(components: &Map<String, Json>) -> BTreeMap<String, Style> {
    components
        .iter()
        .map(|(def, o)| {
            let iso = o.get("styleIsolation").and_then(Json::as_str);
            let global = o.get("addGlobalClass").and_then(Json::as_bool) == Some(true);
            let (global_classes, shared) = match iso {
                Some("shared") => (true, true),
                Some("apply-shared") => (true, false),
                Some("isolated") => (false, false),
                _ => (global, false),
            };
            let external = o
                .get("externalClasses")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            (
                def.clone(),
                Style {
                    global_classes,
                    shared,
                    external,
                },
            )
        })
        .collect()
}

/// The drawn page, and what could not be drawn as written.
#[derive(Debug, Clone, Default)]
pub struct Painted {
    /// One HTML document, to show in an `<iframe srcdoc>`.
    pub html: String,
    /// WXSS dropped (with file:line:column) and images that did not load.
    pub warnings: Vec<String>,
}

/// Draws screens of one project on one device.
pub struct Painter<'p> {
    project: &'p Project,
    device: Device,
    theme: Theme,
    app: Json,
    images: Mutex<HashMap<String, Option<String>>>,
}

/// One element in document order, for its tap selector.
struct Flat {
    tag: String,
    id: String,
    classes: Vec<String>,
}

impl<'p> Painter<'p> {
    pub fn new(project: &'p Project, device: Device, theme: Theme) -> Painter<'p> {
        let app = project
            .json_text("app.json")
            .and_then(|t| serde_json::from_str(t.trim_start_matches('\u{feff}')).ok())
            .unwrap_or(Json::Null);
        Painter {
            project,
            device,
            theme,
            app,
            images: Mutex::new(HashMap::new()),
        }
    }

    /// app.json asks for dark mode support (`darkmode: true`).
    pub fn supports_dark(&self) -> bool {
        self.app.get("darkmode").and_then(Json::as_bool) == Some(true)
    }

    fn opts<'a>(
        &self,
        scope: &'a str,
        component: Option<&'a str>,
        read: &'a dyn Fn(&str) -> Option<String>,
    ) -> Options<'a> {
        Options {
            width: self.device.width,
            pixel_ratio: self.device.pixel_ratio,
            theme: self.theme,
            scope,
            component,
            read,
        }
    }

    fn text(&self, path: &str) -> Option<&'p str> {
        self.project
            .files_with_ext("wxss")
            .find(|(k, _)| *k == path)
            .map(|(_, v)| v)
    }

    /// The page's stylesheet: app.wxss, each component's WXSS, the page's WXSS, in that order
    /// (a later rule wins a tie).
    fn css(
        &self,
        route: &str,
        styles: &BTreeMap<String, Style>,
        warnings: &mut Vec<String>,
    ) -> String {
        let read = |p: &str| self.text(p).map(str::to_string);
        let mut css = String::new();
        let mut add = |file: &str, scope: &str, component: Option<&str>, css: &mut String| {
            if let Some(text) = self.text(file) {
                let c = wxss::compile(file, text, &self.opts(scope, component, &read));
                warnings.extend(c.warnings);
                let _ = writeln!(css, "/* {} */", file.replace("*/", "* /"));
                css.push_str(&c.css);
            }
        };
        add("app.wxss", "", None, &mut css);
        for (def, style) in styles {
            let scope = if style.shared { "" } else { def.as_str() };
            add(&format!("{def}.wxss"), scope, Some(def), &mut css);
        }
        add(&format!("{route}.wxss"), "", None, &mut css);
        css
    }

    /// app.json `window` with the page's JSON over it, theme variables (`@name`) resolved.
    fn window(&self, route: &str) -> Map<String, Json> {
        let mut w = self
            .app
            .get("window")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(Json::Object(page)) = self
            .project
            .json_text(&format!("{route}.json"))
            .and_then(|t| serde_json::from_str(t.trim_start_matches('\u{feff}')).ok())
        {
            for (k, v) in page {
                if k != "usingComponents" {
                    w.insert(k, v);
                }
            }
        }
        let vars = self.theme_vars();
        for v in w.values_mut() {
            if let Some(name) = v.as_str().and_then(|s| s.strip_prefix('@'))
                && let Some(x) = vars.get(name)
            {
                *v = x.clone();
            }
        }
        w
    }

    /// theme.json's variables for the theme (app.json `themeLocation`), when dark mode is on.
    fn theme_vars(&self) -> Map<String, Json> {
        if !self.supports_dark() {
            return Map::new();
        }
        let loc = self
            .app
            .get("themeLocation")
            .and_then(Json::as_str)
            .unwrap_or("theme.json");
        let Some(path) = wxss::resolve("app.json", loc) else {
            return Map::new();
        };
        let key = match self.theme {
            Theme::Light => "light",
            Theme::Dark => "dark",
        };
        self.project
            .json_text(&path)
            .and_then(|t| serde_json::from_str::<Json>(t.trim_start_matches('\u{feff}')).ok())
            .and_then(|j| j.get(key).and_then(Json::as_object).cloned())
            .unwrap_or_default()
    }

    /// An image of the project as a data URL (`None`: missing, too large or not an image).
    fn image(&self, path: &str) -> Option<String> {
        if let Ok(cache) = self.images.lock()
            && let Some(hit) = cache.get(path)
        {
            return hit.clone();
        }
        let mime = match path
            .rsplit('.')
            .next()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Some("image/png"),
            Some("jpg" | "jpeg") => Some("image/jpeg"),
            Some("gif") => Some("image/gif"),
            Some("webp") => Some("image/webp"),
            Some("svg") => Some("image/svg+xml"),
            Some("bmp") => Some("image/bmp"),
            _ => None,
        };
        let url = mime.and_then(|mime| {
            let file = self.project.asset_file(path)?;
            let len = std::fs::metadata(&file).ok()?.len();
            if len > MAX_IMAGE_BYTES {
                return None;
            }
            let bytes = std::fs::read(&file).ok()?;
            Some(format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ))
        });
        if let Ok(mut cache) = self.images.lock() {
            cache.insert(path.to_string(), url.clone());
        }
        url
    }

    /// Draws one screen.
    pub fn paint(&self, screen: &Json) -> Painted {
        let route = screen.get("route").and_then(Json::as_str).unwrap_or("");
        let empty = Map::new();
        let comps = screen
            .get("components")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let styles = styles_of(comps);
        let mut warnings = Vec::new();
        let css = self.css(route, &styles, &mut warnings);
        let window = self.window(route);
        let nodes: &[Json] = screen
            .get("tree")
            .and_then(Json::as_array)
            .map_or(&[], Vec::as_slice);

        let mut flat = Vec::new();
        flatten(nodes, &mut flat);
        let sels = selectors(&flat);
        let mut d = Draw {
            p: self,
            route,
            styles: &styles,
            sels,
            next: 0,
            out: String::new(),
            warnings: Vec::new(),
        };
        let host_classes = BTreeMap::new();
        for n in nodes {
            d.node(n, &host_classes);
        }
        let body = std::mem::take(&mut d.out);
        warnings.extend(d.warnings);

        let str_of = |k: &str| window.get(k).and_then(Json::as_str).map(str::to_string);
        let nav_bg = str_of("navigationBarBackgroundColor").unwrap_or_else(|| "#000000".into());
        let white = str_of("navigationBarTextStyle").as_deref() != Some("black");
        let nav_fg = if white { "#ffffff" } else { "#000000" };
        let title = str_of("navigationBarTitleText").unwrap_or_default();
        let custom = str_of("navigationStyle").as_deref() == Some("custom");
        let bg = str_of("backgroundColor").unwrap_or_else(|| "#ffffff".into());
        let dev = self.device;

        let mut h = String::with_capacity(body.len() + css.len() + BASE_CSS.len() + 2048);
        h.push_str("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
        h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:\">");
        let _ = write!(
            h,
            "<meta name=\"viewport\" content=\"width={}\">",
            dev.width
        );
        h.push_str("<title>");
        esc(&title, &mut h);
        h.push_str("</title><style>");
        h.push_str(BASE_CSS);
        h.push_str("</style><style>");
        // The project's CSS inside <style>: `</` would end the element.
        h.push_str(&css.replace("</", "<\\/"));
        h.push_str("</style></head><body");
        let mut style = String::new();
        let _ = write!(style, "background-color:{};", css_color(&bg));
        if self.theme == Theme::Dark {
            style.push_str("color-scheme:dark;");
        }
        attr(&mut h, "style", &style);
        attr(&mut h, "mp-route", route);
        h.push('>');
        // The status bar, then the navigation bar (unless the page draws its own).
        let _ = write!(
            h,
            "<div class=\"mp-status\" aria-hidden=\"true\" style=\"height:{}px;background:{};color:{}\"><span>9:41</span><span>100%</span></div>",
            dev.status_bar,
            if custom {
                "transparent".to_string()
            } else {
                css_color(&nav_bg)
            },
            if custom { "#000" } else { nav_fg }
        );
        if !custom {
            let _ = write!(
                h,
                "<div class=\"mp-nav\" role=\"banner\" style=\"background:{};color:{}\"><span class=\"mp-title\">",
                css_color(&nav_bg),
                nav_fg
            );
            esc(&title, &mut h);
            let _ = write!(
                h,
                "</span><div class=\"mp-capsule{}\" aria-hidden=\"true\"><span>···</span><span>◉</span></div></div>",
                if white { " mp-white" } else { "" }
            );
        }
        h.push_str("<div class=\"mp-viewport\"><wx-page>");
        h.push_str(&body);
        h.push_str("</wx-page></div>");
        self.tab_bar(route, &mut h);
        h.push_str("</body></html>");
        Painted { html: h, warnings }
    }

    fn tab_bar(&self, route: &str, h: &mut String) {
        let Some(tb) = self.app.get("tabBar") else {
            return;
        };
        if tb.get("custom").and_then(Json::as_bool) == Some(true) {
            return;
        }
        let list = tb
            .get("list")
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice);
        let page_of = |t: &Json| {
            t.get("pagePath").and_then(Json::as_str).map(|s| {
                s.trim_start_matches('/')
                    .trim_end_matches(".html")
                    .to_string()
            })
        };
        if !list.iter().any(|t| page_of(t).as_deref() == Some(route)) {
            return;
        }
        let vars = self.theme_vars();
        let get = |k: &str, d: &str| {
            let v = tb.get(k).and_then(Json::as_str).unwrap_or(d);
            match v
                .strip_prefix('@')
                .and_then(|n| vars.get(n))
                .and_then(Json::as_str)
            {
                Some(x) => x.to_string(),
                None => v.to_string(),
            }
        };
        let color = get("color", "#7a7e83");
        let selected = get("selectedColor", "#07c160");
        let bg = get("backgroundColor", "#ffffff");
        let white = get("borderStyle", "black") == "white";
        let _ = write!(
            h,
            "<div class=\"mp-tabbar{}\" role=\"tablist\" style=\"background:{};padding-bottom:{}px\">",
            if white { " mp-white-border" } else { "" },
            css_color(&bg),
            self.device.height - self.device.safe_bottom
        );
        for t in list {
            let on = page_of(t).as_deref() == Some(route);
            let icon = t
                .get(if on { "selectedIconPath" } else { "iconPath" })
                .and_then(Json::as_str)
                .and_then(|p| self.image(&wxss::resolve("app.json", p)?));
            let _ = write!(
                h,
                "<div class=\"mp-tab\" role=\"tab\" aria-selected=\"{on}\" style=\"color:{}\">",
                css_color(if on { &selected } else { &color })
            );
            match icon {
                Some(src) => {
                    h.push_str("<img alt=\"\"");
                    attr(h, "src", &src);
                    h.push('>');
                }
                None if t.get("iconPath").is_some() => h.push_str("<span class=\"mp-dot\"></span>"),
                None => {}
            }
            h.push_str("<span>");
            esc(t.get("text").and_then(Json::as_str).unwrap_or(""), h);
            h.push_str("</span></div>");
        }
        h.push_str("</div>");
    }
}

/// A colour from app.json as CSS (anything but a plain colour token is dropped).
fn css_color(s: &str) -> String {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '#' | '(' | ')' | ',' | '.' | ' ' | '%')
        });
    if ok {
        s.to_string()
    } else {
        "transparent".into()
    }
}

fn flatten(nodes: &[Json], out: &mut Vec<Flat>) {
    for n in nodes {
        let tag = n.get("tag").and_then(Json::as_str).unwrap_or("");
        if tag == "#text" {
            continue;
        }
        let attrs = n.get("attrs");
        let id = attrs
            .and_then(|a| a.get("id"))
            .map(text_of)
            .unwrap_or_default();
        let classes = attrs
            .and_then(|a| a.get("class"))
            .map(text_of)
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
        out.push(Flat {
            tag: tag.to_string(),
            id,
            classes,
        });
        if let Some(c) = n.get("children").and_then(Json::as_array) {
            flatten(c, out);
        }
    }
}

/// For each element in document order, the `--tap` selector that finds exactly it (the runtime's
/// `find`: visible elements in document order, `:nth(N)` when several match).
fn selectors(flat: &[Flat]) -> Vec<String> {
    let base = |f: &Flat, full: bool| {
        let mut s = f.tag.clone();
        if full {
            if selector_safe(&f.id) {
                s.push('#');
                s.push_str(&f.id);
            }
            for c in f.classes.iter().filter(|c| selector_safe(c)) {
                s.push('.');
                s.push_str(c);
            }
        }
        s
    };
    let matches = |want: &Flat, full: bool, other: &Flat| {
        other.tag == want.tag
            && (!full
                || ((!selector_safe(&want.id) || other.id == want.id)
                    && want
                        .classes
                        .iter()
                        .filter(|c| selector_safe(c))
                        .all(|c| other.classes.contains(c))))
    };
    let full = flat.len() <= FULL_SELECTORS_UP_TO;
    let mut out = Vec::with_capacity(flat.len());
    if full {
        for (i, f) in flat.iter().enumerate() {
            let before = flat[..i].iter().filter(|o| matches(f, true, o)).count();
            let after = flat[i + 1..].iter().filter(|o| matches(f, true, o)).count();
            let b = base(f, true);
            out.push(if before + after == 0 {
                b
            } else {
                format!("{b}:nth({})", before + 1)
            });
        }
    } else {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for f in flat {
            let n = seen.entry(f.tag.as_str()).or_insert(0);
            *n += 1;
            out.push(format!("{}:nth({n})", f.tag));
        }
    }
    out
}

struct Draw<'a, 'p> {
    p: &'a Painter<'p>,
    route: &'a str,
    styles: &'a BTreeMap<String, Style>,
    sels: Vec<String>,
    next: usize,
    out: String,
    warnings: Vec<String>,
}

impl Draw<'_, '_> {
    /// The `mp-class` tokens of classes written in `scope`'s WXML.
    fn tokens(&self, scope: &str, classes: &[String], out: &mut Vec<String>) {
        let global = scope.is_empty() || self.styles.get(scope).is_some_and(|s| s.global_classes);
        for c in classes {
            if !scope.is_empty() {
                out.push(class_token(scope, c));
            }
            if global {
                out.push(class_token("", c));
            }
        }
    }

    /// `host_classes`: the external classes the enclosing component's host passes in, as
    /// `mp-class` tokens.
    fn node(&mut self, n: &Json, host_classes: &BTreeMap<String, Vec<String>>) {
        let tag = n.get("tag").and_then(Json::as_str).unwrap_or("");
        if tag == "#text" {
            esc(
                n.get("text").and_then(Json::as_str).unwrap_or(""),
                &mut self.out,
            );
            return;
        }
        let sel = self.sels.get(self.next).cloned().unwrap_or_default();
        self.next += 1;
        let empty = Map::new();
        let attrs = n.get("attrs").and_then(Json::as_object).unwrap_or(&empty);
        let scope = n.get("scope").and_then(Json::as_str).unwrap_or("");
        let host = n.get("host").and_then(Json::as_str);
        let events: Vec<&str> = n
            .get("events")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let known = BUILTIN.contains(&tag) || PLACEHOLDER.contains(&tag) || host.is_some();
        let el = element_name(tag);
        let o = &mut self.out;
        o.push('<');
        o.push_str(&el);
        if let Some(id) = attrs.get("id") {
            attr(o, "id", &text_of(id));
        }
        let classes: Vec<String> = attrs
            .get("class")
            .map(text_of)
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
        if !classes.is_empty() {
            attr(o, "class", &classes.join(" "));
        }
        // Scoped class tokens: a class the component declared external takes the host's.
        let mut own = Vec::new();
        let mut tokens = Vec::new();
        for c in &classes {
            match host_classes.get(c) {
                Some(t) => tokens.extend(t.iter().cloned()),
                None => own.push(c.clone()),
            }
        }
        let mut t2 = Vec::new();
        self.tokens(scope, &own, &mut t2);
        tokens.extend(t2);
        let o = &mut self.out;
        if !tokens.is_empty() {
            attr(o, "mp-class", &tokens.join(" "));
        }
        if let Some(style) = attrs.get("style") {
            let read = |_: &str| None;
            let css = wxss::declarations(&text_of(style), &self.p.opts("", None, &read));
            attr(o, "style", &css);
        }
        for (k, v) in attrs {
            if k.starts_with("data-") && safe_attr_name(k) {
                attr(o, k, &text_of(v));
            }
        }
        for k in KEPT {
            let Some(v) = attrs.get(*k) else { continue };
            if BOOLEAN.contains(k) {
                if truthy(Some(v)) {
                    attr(o, k, "");
                }
            } else {
                attr(o, k, &text_of(v));
            }
        }
        if let Some(def) = host {
            attr(o, "mp-host", def);
        }
        // The press state (`hover-class`; a button's is WeChat's `button-hover` unless `none`):
        // the class tokens the simulator adds while the element is pressed, how long they stay
        // after release, and whether ancestors show theirs too.
        let hover = attrs.get("hover-class").map(text_of);
        if hover.as_deref() != Some("none") && (hover.is_some() || tag == "button") {
            let classes: Vec<String> = hover
                .as_deref()
                .unwrap_or("button-hover")
                .split_ascii_whitespace()
                .map(str::to_string)
                .collect();
            let mut t = Vec::new();
            self.tokens(scope, &classes, &mut t);
            let o = &mut self.out;
            attr(o, "mp-hover", &t.join(" "));
            let stay = attrs
                .get("hover-stay-time")
                .and_then(|v| text_of(v).trim().parse::<u32>().ok())
                .unwrap_or(if tag == "button" { 70 } else { 400 });
            attr(o, "mp-hover-stay", &stay.to_string());
            if truthy(attrs.get("hover-stop-propagation")) {
                attr(o, "mp-hover-stop", "");
            }
            if hover.is_none() {
                // base.css draws WeChat's default pressed button
                attr(o, "mp-hover-default", "");
            }
        }
        // A selector `<picker>`'s options as shown (`range`, its items' `range-key`), for the
        // simulator's chooser.
        if tag == "picker"
            && attrs.get("mode").is_none_or(|m| text_of(m) == "selector")
            && let Some(Json::Array(items)) = attrs.get("range")
        {
            let key = attrs.get("range-key").map(text_of);
            let labels: Vec<String> = items
                .iter()
                .map(|it| match (it, &key) {
                    (Json::Object(m), Some(k)) => m.get(k).map(text_of).unwrap_or_default(),
                    _ => text_of(it),
                })
                .collect();
            attr(&mut self.out, "mp-range", &Json::from(labels).to_string());
        }
        let o = &mut self.out;
        attr(o, "mp-sel", &sel);
        let tappable = events
            .iter()
            .any(|e| matches!(*e, "tap" | "longpress" | "longtap"))
            || (tag == "button"
                && (attrs.contains_key("open-type")
                    || attrs.contains_key("form-type")
                    || attrs.contains_key("formType")))
            || tag == "navigator";
        if tappable {
            o.push_str(" mp-tap tabindex=\"0\"");
            if tag != "button" {
                o.push_str(" role=\"button\"");
            }
        }
        if tag == "button" {
            o.push_str(" role=\"button\"");
            if !tappable {
                o.push_str(" tabindex=\"0\"");
            }
        }
        if !events.is_empty() {
            attr(o, "mp-events", &events.join(" "));
        }
        if !known {
            attr(
                o,
                "mp-placeholder",
                &format!("<{tag}> (not a component miniperm knows)"),
            );
        } else if PLACEHOLDER.contains(&tag) {
            attr(
                o,
                "mp-placeholder",
                &format!("<{tag}> (a native view: not drawn)"),
            );
        }
        let src = if tag == "image" || tag == "cover-image" {
            Some(self.image_src(attrs.get("src").map(text_of).unwrap_or_default(), scope))
        } else {
            None
        };
        if let Some(Err(why)) = &src {
            attr(&mut self.out, "mp-broken", "");
            attr(&mut self.out, "title", why);
            attr(&mut self.out, "role", "img");
            attr(&mut self.out, "aria-label", why);
        }
        self.out.push('>');
        // Inside: what the component draws, then the children.
        match tag {
            "image" | "cover-image" => {
                if let Some(Ok(url)) = &src {
                    self.out.push_str("<img alt=\"\"");
                    attr(&mut self.out, "src", url);
                    self.out.push('>');
                }
            }
            "icon" => {
                let glyph = match attrs.get("type").map(text_of).as_deref() {
                    Some("info" | "info_circle") => "i",
                    Some("warn") => "!",
                    Some("waiting" | "waiting_circle") => "…",
                    Some("cancel" | "clear") => "×",
                    Some("download") => "↓",
                    Some("search") => "⌕",
                    _ => "✓",
                };
                let _ = write!(self.out, "<span>{glyph}</span>");
            }
            "input" | "textarea" => {
                let value = attrs.get("value").map(text_of).unwrap_or_default();
                let ph = attrs.get("placeholder").map(text_of).unwrap_or_default();
                if tag == "input" {
                    let kind = if truthy(attrs.get("password"))
                        || attrs.get("type").map(text_of).as_deref() == Some("safe-password")
                    {
                        "password"
                    } else {
                        "text"
                    };
                    let _ = write!(self.out, "<input type=\"{kind}\"");
                    attr(&mut self.out, "value", &value);
                    attr(&mut self.out, "placeholder", &ph);
                    attr(
                        &mut self.out,
                        "aria-label",
                        if ph.is_empty() { &sel } else { &ph },
                    );
                    if truthy(attrs.get("disabled")) {
                        self.out.push_str(" disabled");
                    }
                    self.out.push('>');
                } else {
                    self.out.push_str("<textarea");
                    attr(&mut self.out, "placeholder", &ph);
                    attr(
                        &mut self.out,
                        "aria-label",
                        if ph.is_empty() { &sel } else { &ph },
                    );
                    self.out.push('>');
                    esc(&value, &mut self.out);
                    self.out.push_str("</textarea>");
                }
            }
            "switch" => {
                let on = truthy(attrs.get("checked"));
                let _ = write!(
                    self.out,
                    "<span role=\"switch\" tabindex=\"0\" aria-checked=\"{on}\""
                );
                attr(&mut self.out, "aria-label", &sel);
                self.out.push_str("></span>");
            }
            "checkbox" | "radio" => {
                let on = truthy(attrs.get("checked"));
                let role = if tag == "radio" { "radio" } else { "checkbox" };
                let _ = write!(
                    self.out,
                    "<span class=\"mp-box\" role=\"{role}\" tabindex=\"0\" aria-checked=\"{on}\"></span>"
                );
            }
            "slider" => {
                let num = |k: &str, d: f64| {
                    attrs
                        .get(k)
                        .and_then(|v| text_of(v).parse::<f64>().ok())
                        .unwrap_or(d)
                };
                let _ = write!(
                    self.out,
                    "<input type=\"range\" min=\"{}\" max=\"{}\" step=\"{}\" value=\"{}\"",
                    num("min", 0.0),
                    num("max", 100.0),
                    num("step", 1.0),
                    num("value", 0.0)
                );
                attr(&mut self.out, "aria-label", &sel);
                self.out.push('>');
            }
            "progress" => {
                let pct = attrs
                    .get("percent")
                    .and_then(|v| text_of(v).parse::<f64>().ok())
                    .unwrap_or(0.0)
                    .clamp(0.0, 100.0);
                let _ = write!(
                    self.out,
                    "<span class=\"mp-track\" role=\"progressbar\" aria-valuenow=\"{pct}\"><span style=\"width:{pct}%\"></span></span>"
                );
            }
            "rich-text" => {
                if let Some(nodes) = attrs.get("nodes") {
                    let mut text = String::new();
                    rich_text(nodes, &mut text);
                    esc(&text, &mut self.out);
                }
            }
            _ => {}
        }
        let children: &[Json] = n
            .get("children")
            .and_then(Json::as_array)
            .map_or(&[], Vec::as_slice);
        // A component's own nodes see the external classes its host passes.
        let inner_ext: BTreeMap<String, Vec<String>> = match host.and_then(|d| self.styles.get(d)) {
            Some(style) => {
                let mut m = BTreeMap::new();
                for ext in &style.external {
                    let given: Vec<String> = attrs
                        .get(ext)
                        .map(text_of)
                        .unwrap_or_default()
                        .split_ascii_whitespace()
                        .map(str::to_string)
                        .collect();
                    let mut t = Vec::new();
                    self.tokens(scope, &given, &mut t);
                    m.insert(ext.clone(), t);
                }
                m
            }
            None => BTreeMap::new(),
        };
        if tag == "swiper" {
            let current = attrs
                .get("current")
                .and_then(|v| text_of(v).parse::<usize>().ok())
                .unwrap_or(0);
            let items: Vec<&Json> = children.iter().collect();
            for (i, c) in items.iter().enumerate() {
                if i == current.min(items.len().saturating_sub(1)) {
                    self.child(c, host, &inner_ext, host_classes);
                }
            }
            if truthy(attrs.get("indicator-dots")) {
                self.out
                    .push_str("<div class=\"mp-dots\" aria-hidden=\"true\">");
                for i in 0..items.len() {
                    self.out.push_str(if i == current {
                        "<span class=\"mp-on\"></span>"
                    } else {
                        "<span></span>"
                    });
                }
                self.out.push_str("</div>");
            }
        } else {
            for c in children {
                self.child(c, host, &inner_ext, host_classes);
            }
        }
        self.out.push_str("</");
        self.out.push_str(&el);
        self.out.push('>');
    }

    fn child(
        &mut self,
        c: &Json,
        host: Option<&str>,
        inner_ext: &BTreeMap<String, Vec<String>>,
        outer: &BTreeMap<String, Vec<String>>,
    ) {
        // Inside a host: the component's own nodes get its external classes; slot content keeps
        // the classes of the scope it was written in.
        let cs = c.get("scope").and_then(Json::as_str).unwrap_or("");
        if host.is_some_and(|d| d == cs) {
            self.node(c, inner_ext);
        } else {
            self.node(c, outer);
        }
    }

    /// The image's data URL, or why it shows as broken.
    fn image_src(&mut self, src: String, scope: &str) -> Result<String, String> {
        let src = src.trim().to_string();
        if src.is_empty() {
            return Err("image: no src".into());
        }
        let lower = src.to_ascii_lowercase();
        if lower.starts_with("data:image/") {
            return Ok(src);
        }
        if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
        {
            return Err(format!("network image not loaded by miniperm: {src}"));
        }
        if lower.contains("://") {
            return Err(format!("image not in the project: {src}"));
        }
        let from = if scope.is_empty() {
            format!("{}.wxml", self.route)
        } else {
            format!("{scope}.wxml")
        };
        let path = wxss::resolve(&from, &src);
        match path.as_deref().and_then(|p| self.p.image(p)) {
            Some(url) => Ok(url),
            None => {
                let why = format!("image not found in the project: {src}");
                self.warnings.push(why.clone());
                Err(why)
            }
        }
    }
}

/// The text of rich-text `nodes` (an HTML string or a node list): drawn as text, never markup.
fn rich_text(nodes: &Json, out: &mut String) {
    match nodes {
        Json::String(s) => {
            let mut in_tag = false;
            for c in s.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' if in_tag => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
        }
        Json::Array(a) => {
            for n in a {
                rich_text(n, out);
            }
        }
        Json::Object(o) => {
            if let Some(t) = o.get("text").and_then(Json::as_str) {
                out.push_str(t);
            }
            if let Some(c) = o.get("children") {
                rich_text(c, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(tag: &str, id: &str, classes: &[&str]) -> Flat {
        Flat {
            tag: tag.into(),
            id: id.into(),
            classes: classes.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn tap_selectors_find_exactly_their_element() {
        let f = [
            flat("view", "", &["a"]),
            flat("view", "", &["a", "b"]),
            flat("button", "go", &[]),
            flat("view", "x.y", &["a"]),
            flat("text", "", &[]),
        ];
        assert_eq!(
            selectors(&f),
            [
                "view.a:nth(1)",
                "view.a.b",
                "button#go",
                "view.a:nth(3)",
                "text"
            ]
        );
    }

    #[test]
    fn rich_text_is_text() {
        let mut s = String::new();
        rich_text(
            &Json::String("<b onclick=x>hi</b> & <i>there</i>".into()),
            &mut s,
        );
        assert_eq!(s, "hi & there");
    }
}
