//! A mini-program project read once: app.json, the sources (rewritten to one CommonJS shape and
//! syntax-checked), page WXML (tap handlers, open-type buttons), miniperm.json, the appid.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miniperm_core::{Manifest, Privacy, Profile, Scope};
use serde_json::{Map, Value as Json};

use crate::esm;

/// Why a project cannot be loaded. Messages are one line, lowercase, input in backticks.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{}` is not a mini-program project: no app.json", .0.display())]
    NoAppJson(PathBuf),
    #[error("cannot read `{}`: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("malformed `{file}`: {reason}")]
    BadJson { file: String, reason: String },
    #[error("app.json lists no pages")]
    NoPages,
    #[error("page `{0}` is listed in app.json but `{0}.js` does not exist")]
    MissingPage(String),
    #[error("syntax error in `{file}` line {line}: {message}")]
    Syntax {
        file: String,
        line: u32,
        message: String,
    },
    #[error("unknown profile `{0}` in miniperm.json (expected wechat or wechat-android)")]
    BadProfile(String),
    #[error("the javascript engine failed to start: {0}")]
    Engine(String),
    #[error(transparent)]
    BadMock(#[from] crate::mocks::MockError),
}

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
    /// Static `data-*` attributes (values with `{{ }}` are left out).
    pub dataset: BTreeMap<String, String>,
    pub id: String,
}

/// What the explorer and the runner read from a page's WXML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageInfo {
    pub route: String,
    /// `bindtap`/`catchtap` handlers in document order (deduplicated).
    pub taps: Vec<TapTarget>,
    pub open_setting: Option<Button>,
    pub agree_privacy: Option<Button>,
}

impl PageInfo {
    /// The handler names, in document order.
    pub fn tap_handlers(&self) -> Vec<String> {
        self.taps.iter().map(|t| t.handler.clone()).collect()
    }
}

pub(crate) enum Source {
    /// The wrapper expression `(function (require, module, exports, __filename, __dirname) {...})`.
    Js(String),
    Json(String),
}

pub(crate) struct Inner {
    pub root: PathBuf,
    pub appid: String,
    pub pages: Vec<String>,
    pub tabs: Vec<String>,
    pub manifest: Manifest,
    pub profile: Option<String>,
    pub files: HashMap<String, Source>,
    pub page_info: BTreeMap<String, PageInfo>,
    /// The prelude's bytecode, compiled once per project load.
    pub prelude: Option<crate::bytecode::PreludeBytecode>,
    /// miniperm.json `mocks` and the project's file list, for the simulated APIs.
    pub sim: crate::sim::Sim,
}

/// A loaded project. Cheap to clone; `Send + Sync`: share it across threads, one run per thread.
#[derive(Clone)]
pub struct Project {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("root", &self.inner.root)
            .field("appid", &self.inner.appid)
            .field("pages", &self.inner.pages)
            .finish()
    }
}

const MAX_FILES: usize = 5000;
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| LoadError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string().to_lowercase(),
    })
}

fn parse_json(text: &str, file: &str) -> Result<Json, LoadError> {
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| LoadError::BadJson {
        file: file.to_string(),
        reason: e.to_string(),
    })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Unreadable {
        path: dir.to_path_buf(),
        reason: e.to_string().to_lowercase(),
    })?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if out.len() >= MAX_FILES {
            return Ok(());
        }
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else if ft.is_file()
            && (name.ends_with(".js") || name.ends_with(".json") || name.ends_with(".wxml"))
            && e.metadata()
                .map(|m| m.len() <= MAX_FILE_BYTES)
                .unwrap_or(false)
        {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}

pub(crate) fn wrap(src: &str) -> String {
    let src = src.trim_start_matches('\u{feff}');
    let head = "(function (require, module, exports, __filename, __dirname) {";
    match esm::rewrite(src) {
        Some(r) => format!("{head}{}{}\n}})", r.prelude, r.body),
        None => format!("{head}{src}\n}})"),
    }
}

fn scan_wxml(route: &str, text: &str) -> PageInfo {
    let mut info = PageInfo {
        route: route.to_string(),
        ..PageInfo::default()
    };
    // strip comments
    let mut s = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!--") {
        s.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    s.push_str(rest);
    let mut pos = 0;
    let b = s.as_bytes();
    while let Some(off) = s[pos..].find('<') {
        let start = pos + off + 1;
        if start >= s.len() || !b[start].is_ascii_alphabetic() {
            pos = start;
            continue;
        }
        let name_end = s[start..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(s.len(), |i| start + i);
        let tag = &s[start..name_end];
        // attributes until the closing '>' outside quotes
        let mut i = name_end;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            match (quote, b[i]) {
                (Some(q), c) if c == q => quote = None,
                (None, b'"') | (None, b'\'') => quote = Some(b[i]),
                (None, b'>') => break,
                _ => {}
            }
            i += 1;
        }
        let attrs = parse_attrs(&s[name_end..i.min(s.len())]);
        pos = (i + 1).min(s.len());
        let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        let id = get("id").unwrap_or_default();
        for key in [
            "bindtap",
            "catchtap",
            "bind:tap",
            "catch:tap",
            "mut-bind:tap",
            "capture-bind:tap",
        ] {
            if let Some(h) = get(key)
                && !h.is_empty()
                && !h.contains("{{")
                && !info.taps.iter().any(|t| t.handler == h)
            {
                let dataset = attrs
                    .iter()
                    .filter_map(|(k, v)| {
                        let k = k.strip_prefix("data-")?;
                        (!v.contains("{{")).then(|| (k.to_string(), v.clone()))
                    })
                    .collect();
                info.taps.push(TapTarget {
                    handler: h,
                    dataset,
                    id: id.clone(),
                });
            }
        }
        if tag == "button" {
            match get("open-type").as_deref() {
                Some("openSetting") if info.open_setting.is_none() => {
                    info.open_setting = Some(Button {
                        handler: get("bindopensetting").or_else(|| get("bind:opensetting")),
                        id,
                    });
                }
                Some("agreePrivacyAuthorization") if info.agree_privacy.is_none() => {
                    info.agree_privacy = Some(Button {
                        handler: get("bindagreeprivacyauthorization")
                            .or_else(|| get("bind:agreeprivacyauthorization")),
                        id,
                    });
                }
                _ => {}
            }
        }
    }
    info
}

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if ks == i {
            i += 1;
            continue;
        }
        let key = s[ks..i].to_string();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut val = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                val = s[vs..i.min(s.len())].to_string();
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                val = s[vs..i].to_string();
            }
        }
        out.push((key, val.trim().to_string()));
    }
    out
}

fn line_of(stack: &str, file: &str) -> u32 {
    // QuickJS: "    at pages/x.js:12:5" or "SyntaxError: ... \n    at file:line:col"
    for l in stack.lines() {
        if let Some(i) = l.find(file) {
            let rest = &l[i + file.len()..];
            if let Some(r) = rest.strip_prefix(':') {
                let n: String = r.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(n) = n.parse() {
                    return n;
                }
            }
        }
    }
    0
}

impl Project {
    /// Reads and checks a project folder. Syntax errors are reported with file and line.
    pub fn load(dir: &Path) -> Result<Project, LoadError> {
        let app_json_path = dir.join("app.json");
        if !app_json_path.is_file() {
            return Err(LoadError::NoAppJson(dir.to_path_buf()));
        }
        let app = parse_json(&read(&app_json_path)?, "app.json")?;
        let pages: Vec<String> = app
            .get("pages")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(|s| s.trim_start_matches('/').to_string())
                    .collect()
            })
            .unwrap_or_default();
        if pages.is_empty() {
            return Err(LoadError::NoPages);
        }
        let tabs: Vec<String> = app
            .pointer("/tabBar/list")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("pagePath").and_then(Json::as_str))
                    .map(|s| {
                        s.trim_start_matches('/')
                            .trim_end_matches(".html")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();

        let mut manifest = Manifest::default();
        if let Some(Json::Object(perm)) = app.get("permission") {
            for (k, v) in perm {
                if let (Some(scope), Some(desc)) =
                    (Scope::parse(k), v.get("desc").and_then(Json::as_str))
                {
                    manifest.permission_desc.insert(scope, desc.to_string());
                }
            }
        }
        manifest.required_private_infos = app
            .get("requiredPrivateInfos")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            });
        manifest.background_location = app
            .get("requiredBackgroundModes")
            .and_then(Json::as_array)
            .is_some_and(|a| a.iter().any(|m| m.as_str() == Some("location")));

        let mut profile = None;
        let mut mocks = crate::mocks::Mocks::default();
        let mp = dir.join("miniperm.json");
        if mp.is_file() {
            let j = parse_json(&read(&mp)?, "miniperm.json")?;
            if let Some(p) = j.get("privacy") {
                manifest.privacy = serde_json::from_value::<Privacy>(p.clone()).map_err(|e| {
                    LoadError::BadJson {
                        file: "miniperm.json".into(),
                        reason: format!("privacy: {e}"),
                    }
                })?;
            }
            if let Some(p) = j.get("profile").and_then(Json::as_str) {
                if Profile::by_name(p).is_err() {
                    return Err(LoadError::BadProfile(p.to_string()));
                }
                profile = Some(p.to_string());
            }
            if let Some(m) = j.get("mocks") {
                mocks = crate::mocks::Mocks::parse(m)?;
            }
        }
        let folder = std::fs::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .unwrap_or_else(|| "app".to_string());
        let mut appid = folder;
        let pc = dir.join("project.config.json");
        if pc.is_file()
            && let Ok(j) = parse_json(&read(&pc)?, "project.config.json")
            && let Some(a) = j.get("appid").and_then(Json::as_str)
            && !a.is_empty()
        {
            appid = a.to_string();
        }

        let mut list = Vec::new();
        walk(dir, dir, &mut list)?;
        let mut files = HashMap::new();
        let mut wxml = HashMap::new();
        for (rel, path) in list {
            if rel.ends_with(".js") {
                files.insert(rel, Source::Js(wrap(&read(&path)?)));
            } else if rel.ends_with(".json") {
                files.insert(rel, Source::Json(read(&path)?));
            } else {
                wxml.insert(rel, read(&path)?);
            }
        }
        if !files.contains_key("app.js") {
            files.insert("app.js".into(), Source::Js(wrap("App({})")));
        }
        let mut page_info = BTreeMap::new();
        for p in &pages {
            if !files.contains_key(&format!("{p}.js")) {
                return Err(LoadError::MissingPage(p.clone()));
            }
            let info = match wxml.get(&format!("{p}.wxml")) {
                Some(t) => scan_wxml(p, t),
                None => PageInfo {
                    route: p.clone(),
                    ..PageInfo::default()
                },
            };
            page_info.insert(p.clone(), info);
        }
        let prelude = check_syntax(&files)?;
        Ok(Project {
            inner: Arc::new(Inner {
                root: dir.to_path_buf(),
                appid,
                pages,
                tabs,
                manifest,
                profile,
                files,
                page_info,
                prelude,
                sim: crate::sim::Sim {
                    mocks,
                    assets: crate::sim::assets(dir),
                },
            }),
        })
    }

    pub fn appid(&self) -> &str {
        &self.inner.appid
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The pages of app.json, in order (the first is the default entry).
    pub fn pages(&self) -> &[String] {
        &self.inner.pages
    }

    pub fn tab_pages(&self) -> &[String] {
        &self.inner.tabs
    }

    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The profile named in miniperm.json, else `wechat`.
    pub fn profile(&self) -> Profile {
        self.inner
            .profile
            .as_deref()
            .and_then(|p| Profile::by_name(p).ok())
            .unwrap_or_else(Profile::wechat)
    }

    /// What a page's WXML offers: tap handlers and open-type buttons.
    pub fn page_info(&self, route: &str) -> Option<&PageInfo> {
        self.inner.page_info.get(route.trim_start_matches('/'))
    }

    /// Tap handlers bound in a page's WXML (`bindtap`/`catchtap`), in document order.
    pub fn tap_handlers(&self, route: &str) -> Vec<String> {
        self.page_info(route)
            .map(PageInfo::tap_handlers)
            .unwrap_or_default()
    }

    pub(crate) fn resolve(&self, from: &str, spec: &str) -> Option<String> {
        let dir = from.rfind('/').map_or("", |i| &from[..i]);
        let mut bases: Vec<String> = Vec::new();
        if let Some(abs) = spec.strip_prefix('/') {
            bases.push(abs.to_string());
        } else if spec.starts_with("./") || spec.starts_with("../") {
            bases.push(format!("{dir}/{spec}"));
        } else {
            bases.push(format!("{dir}/{spec}"));
            bases.push(spec.to_string());
            bases.push(format!("miniprogram_npm/{spec}"));
        }
        for b in bases {
            let Some(norm) = normalize(&b) else { continue };
            for cand in [
                norm.clone(),
                format!("{norm}.js"),
                format!("{norm}.json"),
                format!("{norm}/index.js"),
                format!("{norm}/index.json"),
            ] {
                if self.inner.files.contains_key(&cand) {
                    return Some(cand);
                }
            }
        }
        None
    }
}

fn normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

fn check_syntax(
    files: &HashMap<String, Source>,
) -> Result<Option<crate::bytecode::PreludeBytecode>, LoadError> {
    use rquickjs::{CatchResultExt, Context, Function, Runtime};
    let rt = Runtime::new().map_err(|e| LoadError::Engine(e.to_string()))?;
    rt.set_memory_limit(256 * 1024 * 1024);
    let ctx = Context::full(&rt).map_err(|e| LoadError::Engine(e.to_string()))?;
    let mut names: Vec<&String> = files.keys().collect();
    names.sort();
    ctx.with(|ctx| {
        for name in names {
            let Some(Source::Js(src)) = files.get(name) else {
                continue;
            };
            let mut opts = rquickjs::context::EvalOptions::default();
            opts.global = true;
            opts.strict = false;
            opts.filename = Some(name.clone());
            let r: Result<Function, _> = ctx.eval_with_options(src.as_str(), opts).catch(&ctx);
            if let Err(e) = r {
                let (message, stack) = match &e {
                    rquickjs::CaughtError::Exception(ex) => (
                        ex.message().unwrap_or_default(),
                        ex.stack().unwrap_or_default(),
                    ),
                    other => (other.to_string(), String::new()),
                };
                let line = line_of(&stack, name).max(line_of(&message, name));
                return Err(LoadError::Syntax {
                    file: name.clone(),
                    line,
                    message: message.to_lowercase(),
                });
            }
        }
        Ok(crate::bytecode::compile(&ctx).ok())
    })
}

/// A JSON-safe object of a page query string `a=1&b=2`.
pub(crate) fn parse_query(q: &str) -> Map<String, Json> {
    let mut m = Map::new();
    for kv in q
        .trim_start_matches('?')
        .split('&')
        .filter(|s| !s.is_empty())
    {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        m.insert(k.to_string(), Json::String(v.to_string()));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wxml_scan() {
        let w = r#"<view bindtap="a" data-x="1" data-y="{{y}}"></view><!-- <view bindtap="hidden"/> -->
<button open-type="openSetting" bindopensetting="back">go</button>
<button id="agree" open-type="agreePrivacyAuthorization" bindagreeprivacyauthorization="onAgree">ok</button>
<view catchtap='b'/>"#;
        let i = scan_wxml("pages/x/x", w);
        assert_eq!(i.tap_handlers(), vec!["a", "b"]);
        assert_eq!(i.taps[0].dataset.get("x").map(String::as_str), Some("1"));
        assert!(!i.taps[0].dataset.contains_key("y"));
        assert_eq!(i.open_setting.unwrap().handler.as_deref(), Some("back"));
        let a = i.agree_privacy.unwrap();
        assert_eq!(a.id, "agree");
        assert_eq!(a.handler.as_deref(), Some("onAgree"));
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("pages/a/../b/./c").as_deref(), Some("pages/b/c"));
        assert_eq!(normalize("../x"), None);
    }
}
