//! A mini-program project read once, as devtools opens it: project.config.json (appid,
//! miniprogramRoot), app.json (pages, subpackages, resolveAlias, permission), the sources (`.js`
//! and `.ts` through `miniperm_jsfront` to one CommonJS shape, then syntax-checked by QuickJS),
//! WXML and WXS texts (parsed by `components`; a page's tap handlers and open-type buttons are
//! `pageinfo`'s, read off the parsed WXML), miniperm.json.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miniperm_core::{Manifest, Privacy, Profile, Scope};
use serde_json::{Map, Value as Json};

use miniperm_jsfront::{Lang, LineMap};

use crate::pageinfo::PageInfo;
use crate::source::{FileProblem, Source};

/// Why a project cannot be loaded. Messages are one line, lowercase, input in backticks.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "`{}` is not a mini-program project: no app.json and no project.config.json",
        .0.display()
    )]
    NoAppJson(PathBuf),
    #[error(
        "`{}` is not a mini-program project: no app.json, and its project.config.json names no miniprogramRoot",
        .0.display()
    )]
    NoRootInConfig(PathBuf),
    #[error("`{config}` names miniprogramRoot `{root}` but `{root}` holds no app.json")]
    NoMiniprogramRoot { config: String, root: String },
    #[error("cannot read `{}`: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("malformed `{file}`: {reason}")]
    BadJson { file: String, reason: String },
    #[error("app.json lists no pages")]
    NoPages,
    #[error("syntax error in `{file}` line {line}, column {column}: {message}")]
    Syntax {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("`{file}` is larger than the {limit} limit")]
    TooLarge { file: String, limit: &'static str },
    #[error("the project has more than {limit} files: `{file}` is past the limit")]
    TooManyFiles { file: String, limit: usize },
    #[error("`{0}` is a symbolic link to a place outside the project")]
    OutsideRoot(String),
    #[error("unknown profile `{0}` in miniperm.json (expected wechat or wechat-android)")]
    BadProfile(String),
    #[error("the javascript engine failed to start: {0}")]
    Engine(String),
    #[error(transparent)]
    BadMock(#[from] crate::mocks::MockError),
}

pub(crate) struct Inner {
    pub root: PathBuf,
    pub appid: String,
    pub pages: Vec<String>,
    pub tabs: Vec<String>,
    pub manifest: Manifest,
    pub profile: Option<String>,
    pub files: HashMap<String, Source>,
    /// Line maps of the transformed `.js`/`.ts` files (plain scripts have none).
    pub maps: HashMap<String, LineMap>,
    /// WXML, WXS and WXSS sources by path.
    pub texts: BTreeMap<String, String>,
    /// app.json `resolveAlias`: (key, target) as written.
    pub aliases: Vec<(String, String)>,
    /// The prelude's bytecode, compiled once per project load.
    pub prelude: Option<crate::bytecode::PreludeBytecode>,
    /// miniperm.json `mocks` and the project's file list, for the simulated APIs.
    pub sim: crate::sim::Sim,
    /// project.config.json's `libVersion` (the base library devtools runs), when it is X.Y.Z.
    pub lib_version: Option<(u16, u16, u16)>,
    /// Parsed WXML and resolved `usingComponents`, set once right after loading.
    pub render: std::sync::OnceLock<crate::components::RenderData>,
    /// The sources with a syntax error (JS here; WXML and WXS ones live with the templates).
    pub problems: Vec<FileProblem>,
    /// app.json `tabBar.custom` with a `custom-tab-bar/index` component in the project.
    pub custom_tab_bar: bool,
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
const MAX_FILE_BYTES_TEXT: &str = "8 MiB";
/// The wrapper's head: on the first line, so the body's line numbers are the file's.
const HEAD: &str = "(function (require, module, exports, __filename, __dirname) {";

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

/// Files the loader reads, by extension (`.d.ts` and folders of types are left out).
fn wanted(name: &str) -> bool {
    [".js", ".ts", ".json", ".wxml", ".wxs", ".wxss"]
        .iter()
        .any(|e| name.ends_with(e))
        && !name.ends_with(".d.ts")
}

struct Walk {
    /// The canonical project root: symbolic links must stay inside it.
    canon: PathBuf,
    visited: Vec<PathBuf>,
    /// Linked folders, walked after every real folder (a file is read under its real path).
    linked: Vec<PathBuf>,
    out: Vec<(String, PathBuf)>,
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn walk(root: &Path, dir: &Path, w: &mut Walk) -> Result<(), LoadError> {
    let unreadable = |path: &Path, e: std::io::Error| LoadError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string().to_lowercase(),
    };
    let rd = std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "node_modules" || name == "typings" {
            continue;
        }
        let p = e.path();
        let rel = rel_of(root, &p);
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let link = meta.file_type().is_symlink();
        let (is_dir, is_file, len) = if link {
            let target = std::fs::canonicalize(&p).map_err(|e| unreadable(&p, e))?;
            if !target.starts_with(&w.canon) {
                return Err(LoadError::OutsideRoot(rel));
            }
            let m = std::fs::metadata(&target).map_err(|e| unreadable(&p, e))?;
            (m.is_dir(), m.is_file(), m.len())
        } else {
            (meta.is_dir(), meta.is_file(), meta.len())
        };
        if is_dir && link {
            w.linked.push(p);
        } else if is_dir {
            if let Ok(canon) = std::fs::canonicalize(&p) {
                w.visited.push(canon);
            }
            walk(root, &p, w)?;
        } else if is_file && wanted(&name) {
            if w.out.len() >= MAX_FILES {
                return Err(LoadError::TooManyFiles {
                    file: rel,
                    limit: MAX_FILES,
                });
            }
            if len > MAX_FILE_BYTES {
                return Err(LoadError::TooLarge {
                    file: rel,
                    limit: MAX_FILE_BYTES_TEXT,
                });
            }
            w.out.push((rel, p));
        }
    }
    Ok(())
}

/// A source file as the CommonJS wrapper expression, with its line map when it was transformed.
pub(crate) fn compile(file: &str, src: &str) -> Result<(String, Option<LineMap>), LoadError> {
    let src = src.trim_start_matches('\u{feff}');
    let out =
        miniperm_jsfront::transform(file, src, Lang::of(file)).map_err(|e| LoadError::Syntax {
            file: e.file,
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
    let map = (!out.map.is_identity()).then_some(out.map);
    Ok((wrap(&out.code), map))
}

/// The wrapper around a CommonJS body.
/// `X.Y.Z` as numbers; anything else (`latest`, `trial`) is `None`.
pub fn parse_version(s: &str) -> Option<(u16, u16, u16)> {
    let mut it = s.trim().split('.').map(|p| p.parse::<u16>().ok());
    let v = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(v)
}

pub(crate) fn wrap(body: &str) -> String {
    format!("{HEAD}{body}\n}})")
}

/// app.json / project.config.json folder resolution: (folder holding app.json, appid from
/// project.config.json (and project.private.config.json), if any).
/// A project config's (appid, miniprogramRoot, libVersion).
type ConfigIds = (Option<String>, Option<String>, Option<String>);

/// Where app.json is, with the config's appid and libVersion.
type Located = (PathBuf, Option<String>, Option<String>);

fn locate(dir: &Path) -> Result<Located, LoadError> {
    // A config's (appid, miniprogramRoot); the private config overrides the shared one.
    let config = |folder: &Path| -> Result<Option<ConfigIds>, LoadError> {
        let mut found = None;
        for name in ["project.config.json", "project.private.config.json"] {
            let path = folder.join(name);
            if !path.is_file() {
                continue;
            }
            let j = parse_json(&read(&path)?, name)?;
            let get = |k: &str| {
                j.get(k)
                    .and_then(Json::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let (appid, root, lib): ConfigIds = found.unwrap_or_default();
            found = Some((
                get("appid").or(appid),
                get("miniprogramRoot").or(root),
                get("libVersion").or(lib),
            ));
        }
        Ok(found)
    };
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if dir.join("app.json").is_file() {
        if let Some((appid, _, lib)) = config(dir)? {
            return Ok((dir.to_path_buf(), appid, lib));
        }
        // The devtools template: project.config.json one level up names this folder.
        if let Some(parent) = dir.parent()
            && let Some((appid, Some(root), lib)) = config(parent)?
            && same(&parent.join(&root), dir)
        {
            return Ok((dir.to_path_buf(), appid, lib));
        }
        return Ok((dir.to_path_buf(), None, None));
    }
    match config(dir)? {
        Some((appid, Some(root), lib)) => {
            let folder = dir.join(&root);
            if folder.join("app.json").is_file() {
                Ok((folder, appid, lib))
            } else {
                Err(LoadError::NoMiniprogramRoot {
                    config: "project.config.json".into(),
                    root,
                })
            }
        }
        Some((_, None, _)) => Err(LoadError::NoRootInConfig(dir.to_path_buf())),
        None => Err(LoadError::NoAppJson(dir.to_path_buf())),
    }
}

fn str_list(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(|s| s.trim_start_matches('/').to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn line_of(stack: &str, file: &str) -> (u32, u32) {
    // QuickJS: "    at pages/x.js:12:5" or "SyntaxError: ... \n    at file:line:col"
    let num = |s: &str| -> Option<u32> {
        let n: String = s.chars().take_while(char::is_ascii_digit).collect();
        n.parse().ok()
    };
    for l in stack.lines() {
        if let Some(i) = l.find(file) {
            let rest = &l[i + file.len()..];
            if let Some(r) = rest.strip_prefix(':')
                && let Some(n) = num(r)
            {
                let col = r.split_once(':').and_then(|(_, c)| num(c)).unwrap_or(0);
                return (n, col);
            }
        }
    }
    (0, 0)
}

impl Project {
    /// Reads and checks a project folder. Syntax errors are reported with file and line.
    ///
    /// `dir` is the folder holding app.json, or the folder holding a project.config.json whose
    /// `miniprogramRoot` names it (the devtools layout).
    pub fn load(dir: &Path) -> Result<Project, LoadError> {
        let (root, config_appid, lib_version) = locate(dir)?;
        let dir = root.as_path();
        let app = parse_json(&read(&dir.join("app.json"))?, "app.json")?;
        let mut pages = str_list(app.get("pages"));
        if pages.is_empty() {
            return Err(LoadError::NoPages);
        }
        // Subpackages (also independent ones): their pages are routes under their root.
        let subs = app.get("subpackages").or_else(|| app.get("subPackages"));
        for sp in subs.and_then(Json::as_array).into_iter().flatten() {
            let Some(r) = sp.get("root").and_then(Json::as_str) else {
                continue;
            };
            let r = r.trim_matches('/');
            for p in str_list(sp.get("pages")) {
                let route = if r.is_empty() { p } else { format!("{r}/{p}") };
                if !pages.contains(&route) {
                    pages.push(route);
                }
            }
        }
        let aliases: Vec<(String, String)> = app
            .get("resolveAlias")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
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
        let appid = config_appid.unwrap_or(folder);

        let canon = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut w = Walk {
            canon: canon.clone(),
            visited: vec![canon],
            linked: Vec::new(),
            out: Vec::new(),
        };
        walk(dir, dir, &mut w)?;
        // A link back into the project must not walk a folder twice (or forever).
        while let Some(p) = w.linked.pop() {
            let canon = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
            if !w.visited.contains(&canon) {
                w.visited.push(canon);
                walk(dir, &p, &mut w)?;
            }
        }
        let mut files = HashMap::new();
        let mut maps = HashMap::new();
        let mut texts = BTreeMap::new();
        for (rel, path) in w.out {
            if rel.ends_with(".js") || rel.ends_with(".ts") {
                match compile(&rel, &read(&path)?) {
                    Ok((code, map)) => {
                        if let Some(m) = map {
                            maps.insert(rel.clone(), m);
                        }
                        files.insert(rel, Source::Js(code));
                    }
                    Err(LoadError::Syntax {
                        file,
                        line,
                        column,
                        message,
                    }) => {
                        files.insert(
                            rel,
                            Source::Broken(FileProblem {
                                file,
                                line,
                                column,
                                message,
                            }),
                        );
                    }
                    Err(e) => return Err(e),
                }
            } else if rel.ends_with(".json") {
                files.insert(rel, Source::Json(read(&path)?));
            } else {
                texts.insert(rel, read(&path)?);
            }
        }
        if !files.contains_key("app.js") && !files.contains_key("app.ts") {
            files.insert("app.js".into(), Source::Js(wrap("App({})")));
        }
        let prelude = check_syntax(&mut files, &maps)?;
        let custom_tab_bar = app
            .pointer("/tabBar/custom")
            .and_then(Json::as_bool)
            .unwrap_or(false)
            && ["js", "ts"]
                .iter()
                .any(|e| files.contains_key(&format!("{CUSTOM_TAB_BAR}/index.{e}")));
        let mut problems: Vec<FileProblem> = files
            .values()
            .filter_map(|s| match s {
                Source::Broken(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        let project = Project {
            inner: Arc::new(Inner {
                root: dir.to_path_buf(),
                appid,
                pages,
                tabs,
                manifest,
                profile,
                files,
                maps,
                texts,
                aliases,
                prelude,
                sim: crate::sim::Sim {
                    mocks,
                    assets: crate::sim::assets(dir),
                },
                lib_version: lib_version.as_deref().and_then(parse_version),
                render: std::sync::OnceLock::new(),
                problems,
                custom_tab_bar,
            }),
        };
        let rd = crate::components::RenderData::build(
            project.files_with_ext("wxml"),
            project.files_with_ext("wxs"),
            &project.inner.files,
            &app,
            project.pages(),
            &|from: &str, spec: &str| project.resolve(from, spec),
        );
        let _ = project.inner.render.set(rd);
        Ok(project)
    }

    /// The files with a syntax error (`.js`, `.ts`, `.wxs`, `.wxml`), by path. The project
    /// loads anyway: a page that needs one of them reports its error when it is opened, as
    /// WeChat's devtools do, and the other pages run.
    pub fn problems(&self) -> Vec<FileProblem> {
        let mut out = self.inner.problems.clone();
        if let Some(r) = self.inner.render.get() {
            out.extend(r.problems.iter().cloned());
        }
        out.sort_by(|a, b| a.file.cmp(&b.file));
        out
    }

    /// project.config.json's `libVersion`, when it is a version (`X.Y.Z`).
    pub fn lib_version(&self) -> Option<(u16, u16, u16)> {
        self.inner.lib_version
    }

    /// Every WXML file parsed (`None` only while loading).
    pub(crate) fn templates(&self) -> Option<&miniperm_wxml::Templates> {
        self.inner.render.get().map(|r| &r.templates)
    }

    /// True when the project has any WXML to render.
    pub(crate) fn has_wxml(&self) -> bool {
        self.templates().is_some_and(|t| t.paths().next().is_some())
    }

    /// The page `route` may show a custom component (see `RenderData::may_use_components`), its
    /// custom tab bar included.
    pub(crate) fn may_use_components(&self, route: &str) -> bool {
        self.custom_tab_bar_of(route)
            || self
                .inner
                .render
                .get()
                .is_some_and(|r| r.may_use_components(&format!("{route}.wxml")))
    }

    /// The page `route`'s render has no effect but its tree: no component (the custom tab bar
    /// included), WXS, imported or included file, or camera (`RenderData::renders_plainly`).
    /// Such a render may wait until something reads the tree.
    pub(crate) fn renders_plainly(&self, route: &str) -> bool {
        !self.custom_tab_bar_of(route)
            && self
                .inner
                .render
                .get()
                .is_some_and(|r| r.renders_plainly(&format!("{route}.wxml")))
    }

    /// The custom tab bar's tag (`custom-tab-bar`) when the page `route` shows it: a tab page of
    /// an app with [`custom_tab_bar`](Self::custom_tab_bar). It renders after the page's WXML,
    /// as a component of the page (WeChat: the component takes over the tab bar's rendering,
    /// one instance a tab page).
    pub(crate) fn custom_tab_bar_of(&self, route: &str) -> bool {
        self.inner.custom_tab_bar && self.inner.tabs.iter().any(|t| t == route)
    }

    /// A WXS module's wrapper by id (see `components::wxs_id`).
    pub(crate) fn wxs_source(&self, id: &str) -> Option<&Source> {
        self.inner.render.get().and_then(|r| r.wxs.get(id))
    }

    /// app.json asks for a custom tab bar (`tabBar.custom`) and the project has its component
    /// (`custom-tab-bar/index`).
    pub fn custom_tab_bar(&self) -> bool {
        self.inner.custom_tab_bar
    }

    /// The component a custom tag names in a WXML file (`usingComponents` of the file's JSON,
    /// then app.json's); `Err` says why it cannot be used (a plugin, a missing path).
    pub(crate) fn component_for(
        &self,
        owner_file: &str,
        tag: &str,
    ) -> Result<Option<String>, &crate::components::Unusable> {
        let found = match self.inner.render.get() {
            Some(r) => r.component(owner_file, tag)?,
            None => None,
        };
        // The custom tab bar a tab page renders after its WXML (`custom_tab_bar_of`).
        if found.is_none()
            && tag == CUSTOM_TAB_BAR
            && let Some(route) = owner_file.strip_suffix(".wxml")
            && self.custom_tab_bar_of(route)
        {
            return Ok(Some(format!("{CUSTOM_TAB_BAR}/index")));
        }
        Ok(found)
    }

    /// The `usingComponents` entries that name no component, of the JSON beside `owner_file`
    /// (a page's or a component's WXML) and of app.json: the file's own first, each file's in
    /// the order it lists them.
    pub(crate) fn missing_components(
        &self,
        owner_file: &str,
    ) -> impl Iterator<Item = &crate::components::MissingComponent> {
        self.inner
            .render
            .get()
            .into_iter()
            .flat_map(move |r| r.missing(owner_file))
    }

    pub fn appid(&self) -> &str {
        &self.inner.appid
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The pages of app.json, in order (the first is the default entry), then the pages of its
    /// subpackages as routes under their roots (`pkgA/pages/x`).
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

    /// What a page's WXML offers as written: tap handlers and open-type buttons (`None` for a
    /// route that is not a page).
    pub fn page_info(&self, route: &str) -> Option<&PageInfo> {
        self.inner
            .render
            .get()?
            .pages
            .get(route.trim_start_matches('/'))
    }

    /// Tap handlers bound in a page's WXML (every binding form: `bindtap`, `catchtap`,
    /// `capture-catch:tap`…), in document order.
    pub fn tap_handlers(&self, route: &str) -> Vec<String> {
        self.page_info(route)
            .map(PageInfo::tap_handlers)
            .unwrap_or_default()
    }

    /// The sources of one kind (`"wxml"`, `"wxs"`), by path relative to the app.json folder,
    /// in path order.
    pub fn files_with_ext<'a>(&'a self, ext: &str) -> impl Iterator<Item = (&'a str, &'a str)> {
        let suffix = format!(".{}", ext.trim_start_matches('.'));
        self.inner
            .texts
            .iter()
            .filter(move |(k, _)| k.ends_with(&suffix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A `.json` file of the project as written (app.json, a page's or a component's JSON), by
    /// path relative to the app.json folder.
    pub fn json_text(&self, path: &str) -> Option<&str> {
        match self.inner.files.get(path) {
            Some(Source::Json(t)) => Some(t.as_str()),
            _ => None,
        }
    }

    /// Where to read the project file `path` (root-relative, leading `/` optional, `..`
    /// resolved): `None` unless it is a regular file listed at load inside the project (never a
    /// symbolic link, a dot-file or a path out of the root). For images a page shows.
    pub fn asset_file(&self, path: &str) -> Option<PathBuf> {
        self.inner
            .sim
            .asset(path)
            .map(|rel| self.inner.root.join(rel))
    }

    /// app.json `resolveAlias` applied to a module or component path: the root-absolute path
    /// (`/utils/x`) it stands for, or `None` when no alias matches. A key ending in `*` is a
    /// prefix; the longest matching key wins.
    pub fn resolve_alias(&self, spec: &str) -> Option<String> {
        let mut best: Option<(usize, String)> = None;
        for (k, v) in &self.inner.aliases {
            let hit = match (k.strip_suffix('*'), v.strip_suffix('*')) {
                (Some(kp), Some(vp)) => spec.strip_prefix(kp).map(|rest| format!("{vp}{rest}")),
                _ => (spec == k).then(|| v.clone()),
            };
            if let Some(t) = hit
                && best.as_ref().is_none_or(|(len, _)| k.len() > *len)
            {
                best = Some((k.len(), format!("/{}", t.trim_start_matches('/'))));
            }
        }
        best.map(|(_, t)| t)
    }

    /// The original (line, column) of a position in a loaded file's wrapped source (1-based, as
    /// QuickJS reports them). Untransformed files map to themselves, less the wrapper's head on
    /// the first line.
    pub fn original_position(&self, file: &str, line: u32, col: u32) -> (u32, u32) {
        let col = if line == 1 {
            col.saturating_sub(HEAD.len() as u32).max(1)
        } else {
            col
        };
        match self.inner.maps.get(file) {
            Some(m) => m.original(line, col),
            None => (line, col),
        }
    }

    /// A call site `file:line:col` as the prelude read it off the stack, mapped to the original
    /// source (the wrapper's head on line 1, TypeScript). Anything else is returned as it came.
    pub fn map_site(&self, at: &str) -> String {
        let mut parts = at.rsplitn(3, ':');
        let (Some(c), Some(l), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            return at.to_string();
        };
        let (Ok(l), Ok(c)) = (l.parse::<u32>(), c.parse::<u32>()) else {
            return at.to_string();
        };
        let (ol, oc) = self.original_position(file, l, c);
        format!("{file}:{ol}:{oc}")
    }

    /// A QuickJS stack with every `file:line:col` of a project file mapped to the original
    /// position (the wrapper's head on line 1, TypeScript and ESM line maps), and every
    /// `file:line` of a transformed file.
    pub(crate) fn map_stack(&self, stack: &str) -> String {
        let mut out = String::with_capacity(stack.len());
        for (i, line) in stack.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&self.map_frame(line));
        }
        out
    }

    fn map_frame(&self, line: &str) -> String {
        if let Some((file, l, c)) = crate::stack::frame(line)
            && self.inner.files.contains_key(file)
            && let (Ok(ln), Ok(col)) = (l.parse::<u32>(), c.parse::<u32>())
        {
            let written = format!("{file}:{l}:{c}");
            if let Some(at) = line.rfind(&written) {
                let (ol, oc) = self.original_position(file, ln, col);
                return format!(
                    "{}{file}:{ol}:{oc}{}",
                    &line[..at],
                    &line[at + written.len()..]
                );
            }
        }
        for file in self.inner.maps.keys() {
            let Some(at) = line.find(&format!("{file}:")) else {
                continue;
            };
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| !(c == ' ' || c == '(' || c == '@')) {
                continue;
            }
            let rest = &line[at + file.len() + 1..];
            let num = |s: &str| -> (Option<u32>, usize) {
                let n: String = s.chars().take_while(char::is_ascii_digit).collect();
                (n.parse().ok(), n.len())
            };
            let (Some(l), llen) = num(rest) else { continue };
            let after_line = &rest[llen..];
            let (col, clen) = match after_line.strip_prefix(':') {
                Some(r) => match num(r) {
                    (Some(c), n) => (Some(c), n + 1),
                    _ => (None, 0),
                },
                None => (None, 0),
            };
            let (ol, oc) = self.original_position(file, l, col.unwrap_or(1));
            let pos = match col {
                Some(_) => format!("{ol}:{oc}"),
                None => ol.to_string(),
            };
            return format!("{}{file}:{pos}{}", &line[..at], &after_line[clen..]);
        }
        line.to_string()
    }

    pub(crate) fn resolve(&self, from: &str, spec: &str) -> Option<String> {
        let dir = from.rfind('/').map_or("", |i| &from[..i]);
        let aliased = self.resolve_alias(spec);
        let spec = aliased.as_deref().unwrap_or(spec);
        let mut bases: Vec<String> = Vec::new();
        if let Some(abs) = spec.strip_prefix('/') {
            bases.push(abs.to_string());
        } else if spec.starts_with("./") || spec.starts_with("../") {
            bases.push(format!("{dir}/{spec}"));
        } else {
            bases.push(format!("{dir}/{spec}"));
            // miniprogram_npm, from the requiring file's folder up to the root.
            let mut d = dir;
            loop {
                bases.push(format!("{d}/miniprogram_npm/{spec}"));
                if d.is_empty() {
                    break;
                }
                d = d.rfind('/').map_or("", |i| &d[..i]);
            }
            bases.push(spec.to_string());
        }
        for b in bases {
            let Some(norm) = normalize(&b) else { continue };
            for cand in [
                norm.clone(),
                format!("{norm}.js"),
                format!("{norm}.ts"),
                format!("{norm}.json"),
                format!("{norm}/index.js"),
                format!("{norm}/index.ts"),
                format!("{norm}/index.json"),
            ] {
                if !cand.ends_with(".d.ts") && self.inner.files.contains_key(&cand) {
                    return Some(cand);
                }
            }
            // A package folder without an index: its package.json's entry (`main`).
            if let Some(main) = self.package_main(&norm) {
                return Some(main);
            }
        }
        None
    }

    /// The file `folder/package.json`'s `main` names, when the project has it.
    fn package_main(&self, folder: &str) -> Option<String> {
        let Some(Source::Json(text)) = self.inner.files.get(&format!("{folder}/package.json"))
        else {
            return None;
        };
        let j: Json = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
        let main = j.get("main").and_then(Json::as_str)?;
        let norm = normalize(&format!("{folder}/{main}"))?;
        [
            norm.clone(),
            format!("{norm}.js"),
            format!("{norm}.ts"),
            format!("{norm}/index.js"),
        ]
        .into_iter()
        .find(|c| {
            matches!(
                self.inner.files.get(c),
                Some(Source::Js(_) | Source::Broken(_))
            )
        })
    }
}

/// The custom tab bar's tag and folder (`custom-tab-bar/index`), as WeChat names them.
pub(crate) const CUSTOM_TAB_BAR: &str = "custom-tab-bar";

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

/// Compiles every JS source with QuickJS (compile only: nothing runs) and marks the ones that
/// do not compile as [`Source::Broken`]; returns the prelude's bytecode.
fn check_syntax(
    files: &mut HashMap<String, Source>,
    maps: &HashMap<String, LineMap>,
) -> Result<Option<crate::bytecode::PreludeBytecode>, LoadError> {
    use rquickjs::{CatchResultExt, Context, Runtime};
    let rt = Runtime::new().map_err(|e| LoadError::Engine(e.to_string()))?;
    rt.set_memory_limit(256 * 1024 * 1024);
    let ctx = Context::full(&rt).map_err(|e| LoadError::Engine(e.to_string()))?;
    let mut names: Vec<String> = files.keys().cloned().collect();
    names.sort();
    ctx.with(|ctx| {
        for name in names {
            let Some(Source::Js(src)) = files.get(&name) else {
                continue;
            };
            // Compile only: nothing of the project runs at load time (issue 9).
            let r = crate::bytecode::check_script(&ctx, src.as_str(), &name).catch(&ctx);
            if let Err(e) = r {
                let (message, stack) = match &e {
                    rquickjs::CaughtError::Exception(ex) => (
                        ex.message().unwrap_or_default(),
                        ex.stack().unwrap_or_default(),
                    ),
                    other => (other.to_string(), String::new()),
                };
                let (line, col) = line_of(&stack, &name).max(line_of(&message, &name));
                let (line, column) = match maps.get(&name) {
                    Some(m) if line > 0 => m.original(line, col),
                    _ => (line, col),
                };
                let problem = FileProblem {
                    file: name.clone(),
                    line,
                    column,
                    message: message.to_lowercase(),
                };
                files.insert(name, Source::Broken(problem));
            }
        }
        Ok(crate::bytecode::embedded().or_else(|| crate::bytecode::compile(&ctx).ok()))
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

    fn tstemplate() -> Project {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tstemplate");
        Project::load(&d).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_a_page_that_draws_nothing_but_its_tree_renders_plainly() {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plain-render");
        let p = Project::load(&d).unwrap_or_else(|e| panic!("{e}"));
        let plain: Vec<&str> = ["plain", "cam", "wxs", "imp", "comp"]
            .into_iter()
            .filter(|r| p.renders_plainly(&format!("pages/{r}/{r}")))
            .collect();
        // A camera asks for its scope, WXS runs code, an import reaches another file, a
        // component has lifetimes: each renders when its data changes.
        assert_eq!(plain, ["plain"]);
        assert!(!p.renders_plainly("pages/none/none"));
    }

    #[test]
    fn map_stack_rewrites_only_transformed_files() {
        let p = tstemplate();
        let m = p
            .inner
            .maps
            .get("pages/index/index.ts")
            .cloned()
            .unwrap_or_default();
        let (l, c) = m.original(3, 1);
        let stack = "    at locate (pages/index/index.ts:3:1)\n    at xpages/index/index.ts:3:1\n    at pages/index/index.ts:3\n    at f (other.js:3:1)";
        let out = p.map_stack(stack);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            format!("    at locate (pages/index/index.ts:{l}:{c})")
        );
        assert_eq!(lines[1], "    at xpages/index/index.ts:3:1");
        assert_eq!(lines[2], format!("    at pages/index/index.ts:{l}"));
        assert_eq!(lines[3], "    at f (other.js:3:1)");
    }

    #[test]
    fn alias_longest_prefix_wins() {
        let p = tstemplate();
        let mut inner = Inner {
            root: p.inner.root.clone(),
            appid: String::new(),
            pages: Vec::new(),
            tabs: Vec::new(),
            manifest: Manifest::default(),
            profile: None,
            files: HashMap::new(),
            maps: HashMap::new(),
            texts: BTreeMap::new(),
            aliases: vec![
                ("@/*".into(), "/*".into()),
                ("@/comp/*".into(), "components/*".into()),
                ("lodash".into(), "/vendor/lodash.js".into()),
            ],
            prelude: None,
            sim: crate::sim::Sim::default(),
            lib_version: None,
            render: std::sync::OnceLock::new(),
            problems: Vec::new(),
            custom_tab_bar: false,
        };
        inner
            .files
            .insert("components/card/index.js".into(), Source::Json("{}".into()));
        let p = Project {
            inner: Arc::new(inner),
        };
        assert_eq!(p.resolve_alias("@/utils/a").as_deref(), Some("/utils/a"));
        assert_eq!(
            p.resolve_alias("@/comp/card").as_deref(),
            Some("/components/card")
        );
        assert_eq!(
            p.resolve_alias("lodash").as_deref(),
            Some("/vendor/lodash.js")
        );
        assert_eq!(p.resolve_alias("lodash/fp"), None);
        assert_eq!(
            p.resolve("pages/x/x.js", "@/comp/card").as_deref(),
            Some("components/card/index.js")
        );
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("pages/a/../b/./c").as_deref(), Some("pages/b/c"));
        assert_eq!(normalize("../x"), None);
    }
}
