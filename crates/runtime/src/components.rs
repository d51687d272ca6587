//! What the renderer needs from a project: every WXML file parsed once, WXS sources, and the
//! `usingComponents` maps (app, page and component level) resolved to component definitions.

use std::collections::{BTreeMap, HashMap};

use miniperm_wxml::Templates;
use serde_json::Value as Json;

use crate::pageinfo::PageInfo;
use crate::source::{FileProblem, Source};

/// Module resolution (`Project::resolve`): the file `spec` names from the file `from`.
type Resolve<'r> = &'r dyn Fn(&str, &str) -> Option<String>;

/// A `usingComponents` entry: the component's definition (its path without extension), or why
/// it cannot be used.
pub(crate) type Using = Result<String, Unusable>;

/// Why a `usingComponents` entry gives no component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// A plugin's or an extended library's component: WeChat has it, miniperm does not
    /// simulate it (a `not-supported` warning where it is used).
    Unsimulated(String),
    /// No component at that path: WeChat's compiler refuses the JSON file and its runtime
    /// throws `Component is not found in path …`, so every page that needs the file fails,
    /// whether or not its WXML uses the tag.
    Missing(MissingComponent),
}

/// A `usingComponents` entry whose path names no component of the project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Component is not found in path \"{path}\" (using by \"{user}\"): usingComponents[\"{tag}\"] in `{file}` line {line}, column {column}"
)]
pub(crate) struct MissingComponent {
    /// The path the entry names, resolved against its JSON file's folder.
    pub(crate) path: String,
    /// The page or component whose JSON has the entry (its path without extension).
    pub(crate) user: String,
    pub(crate) tag: String,
    /// The JSON file, and the 1-based place of the entry's key in it.
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// The parsed WXML of a project and its component maps.
pub(crate) struct RenderData {
    pub(crate) templates: Templates,
    /// Component maps by owner WXML file (`pages/a/a.wxml`, `components/x/x.wxml`).
    pub(crate) using: HashMap<String, BTreeMap<String, Using>>,
    /// app.json's `usingComponents`: available everywhere.
    pub(crate) global: BTreeMap<String, Using>,
    /// The entries of `using` and `global` that name no component, by owner WXML file (`""`:
    /// app.json's), each list in the order its JSON file has them: found once, at load.
    missing: HashMap<String, Vec<MissingComponent>>,
    /// The WXML and WXS files that do not parse (they render nothing; the pages that use them
    /// report the error when opened).
    pub(crate) problems: Vec<FileProblem>,
    /// Every WXS module as its wrapper (`WXS_HEAD` … `})`): `.wxs` files by path, inline
    /// `<wxs module>` by `file.wxml#module` (see [`wxs_id`]).
    pub(crate) wxs: HashMap<String, Source>,
    /// Every page's tap handlers and open-type buttons, read off its parsed WXML.
    pub(crate) pages: BTreeMap<String, PageInfo>,
    /// The pages (WXML files) whose render has no effect but the tree it draws: the WXML
    /// parses, and names no custom component (neither the page's JSON nor app.json has
    /// `usingComponents`), no `<wxs>` (WXS code), no `<import>`/`<include>` (another file, with
    /// whatever it holds) and no `<camera>` (it asks for `scope.camera` when it shows).
    plain: std::collections::HashSet<String>,
}

/// The head of a WXS module's wrapper (miniperm_jsfront::wxs's contract).
pub(crate) const WXS_HEAD: &str =
    "(function (module, exports, require, getRegExp, getDate, __wxs_ctor__) {";

/// The id a WXS module is loaded by: its resolved `src`, or `file#name` for an inline one.
pub(crate) fn wxs_id(file: &str, m: &miniperm_wxml::WxsModule) -> String {
    match &m.src {
        Some(src) => src.clone(),
        None => format!("{file}#{}", m.name),
    }
}

/// One WXS source compiled to its wrapper, or the syntax error that stops it (its line moved
/// down by `line_offset`: an inline module starts on its `<wxs>` tag's line).
fn compile_wxs(id: &str, file: &str, src: &str, line_offset: u32) -> Source {
    match miniperm_jsfront::wxs(id, src) {
        Ok(out) => Source::Js(format!("{WXS_HEAD}{}\n}})", out.code)),
        Err(e) => Source::Broken(FileProblem {
            file: file.to_string(),
            line: e.line.saturating_add(line_offset),
            column: e.column,
            message: e.message,
        }),
    }
}

fn strip_ext(p: &str) -> &str {
    p.rsplit_once('.')
        .filter(|(_, ext)| !ext.contains('/'))
        .map_or(p, |(base, _)| base)
}

/// Resolves one `usingComponents` value from the JSON file `from` (whose text is `text`);
/// `weui` says app.json's `useExtendedLib` has WeUI (its `weui-miniprogram/…` components come
/// with WeChat, not the project).
fn resolve_one(
    resolve: Resolve<'_>,
    from: &str,
    text: &str,
    tag: &str,
    spec: &str,
    weui: bool,
) -> Using {
    if spec.starts_with("plugin://") || spec.starts_with("plugin-private://") {
        return Err(Unusable::Unsimulated(format!(
            "component `{tag}` (`{spec}`) comes from a plugin: plugins are not simulated by miniperm"
        )));
    }
    match resolve(from, spec) {
        Some(file) if !file.ends_with(".json") => Ok(strip_ext(&file).to_string()),
        _ if weui
            && spec
                .trim_start_matches('/')
                .starts_with("weui-miniprogram/") =>
        {
            Err(Unusable::Unsimulated(format!(
                "component `{tag}` (`{spec}`) comes from WeChat's extended library WeUI (`useExtendedLib`): it is not simulated by miniperm"
            )))
        }
        _ => {
            let (line, column) = key_place(text, tag);
            Err(Unusable::Missing(MissingComponent {
                path: wechat_path(from, spec),
                user: strip_ext(from).to_string(),
                tag: tag.to_string(),
                file: from.to_string(),
                line,
                column,
            }))
        }
    }
}

/// The path to name in `Component is not found in path …`: a relative `spec` resolved against
/// the folder of `from`, an absolute one without its `/`, a package path (`pkg/comp/index`,
/// looked up in `miniprogram_npm` too) as written.
fn wechat_path(from: &str, spec: &str) -> String {
    if spec.starts_with('/') || spec.starts_with('.') {
        miniperm_wxml::resolve(from, spec, "")
    } else {
        spec.to_string()
    }
}

/// The 1-based line and column of `"tag"` as a key after `"usingComponents"` in a JSON text
/// (the key's opening quote); 1:1 when it cannot be found.
fn key_place(text: &str, tag: &str) -> (u32, u32) {
    let from = text.find("\"usingComponents\"").unwrap_or(0);
    let quoted = format!("\"{tag}\"");
    let Some(at) = text[from..].find(&quoted).map(|i| from + i) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

fn using_of(
    resolve: Resolve<'_>,
    json_file: &str,
    text: &str,
    j: &Json,
    weui: bool,
) -> BTreeMap<String, Using> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(m)) = j.get("usingComponents") {
        for (tag, v) in m {
            if let Some(spec) = v.as_str() {
                out.insert(
                    tag.clone(),
                    resolve_one(resolve, json_file, text, tag, spec, weui),
                );
            }
        }
    }
    out
}

impl RenderData {
    /// Parses every WXML file (a malformed one is kept as a [`FileProblem`] with file, line and
    /// column, for the pages that use it), compiles every WXS module (the `.wxs` files, then
    /// the inline ones), resolves every JSON file's `usingComponents` (`files`, app.json's
    /// `app`) with `resolve`, and reads each of `pages`' tap handlers off its parsed WXML.
    pub(crate) fn build<'a>(
        wxml: impl IntoIterator<Item = (&'a str, &'a str)>,
        wxs_files: impl IntoIterator<Item = (&'a str, &'a str)>,
        files: &HashMap<String, Source>,
        app: &Json,
        pages: &[String],
        resolve: Resolve<'_>,
    ) -> RenderData {
        let (templates, errors) = Templates::parse_all(wxml);
        let mut problems: Vec<FileProblem> = errors
            .into_iter()
            .map(|e| FileProblem {
                file: e.file,
                line: u32::try_from(e.line).unwrap_or(u32::MAX),
                column: u32::try_from(e.column).unwrap_or(u32::MAX),
                message: e.message,
            })
            .collect();
        let mut wxs = HashMap::new();
        for (path, src) in wxs_files {
            wxs.insert(path.to_string(), compile_wxs(path, path, src, 0));
        }
        for file in templates.paths() {
            for m in templates.wxs_modules(file) {
                if let (None, Some(code)) = (&m.src, &m.code) {
                    let id = wxs_id(file, &m);
                    let offset = u32::try_from(m.line.saturating_sub(1)).unwrap_or(0);
                    wxs.insert(id.clone(), compile_wxs(&id, file, code, offset));
                }
            }
        }
        for s in wxs.values() {
            if let Source::Broken(p) = s {
                problems.push(p.clone());
            }
        }
        // `"weui": true` or a version (`"latest"`, `"1.5.6"`): WeChat takes any truthy value.
        let weui = app
            .get("useExtendedLib")
            .and_then(|l| l.get("weui"))
            .is_some_and(|v| match v {
                Json::Bool(b) => *b,
                Json::String(s) => !s.is_empty(),
                Json::Number(_) | Json::Array(_) | Json::Object(_) => true,
                Json::Null => false,
            });
        let app_text = match files.get("app.json") {
            Some(Source::Json(t)) => t.as_str(),
            _ => "",
        };
        let global = using_of(resolve, "app.json", app_text, app, weui);
        let mut using = HashMap::new();
        for (name, src) in files {
            let Source::Json(text) = src else { continue };
            if name == "app.json" || !name.ends_with(".json") {
                continue;
            }
            let Ok(j) = serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')) else {
                continue;
            };
            let m = using_of(resolve, name, text, &j, weui);
            if !m.is_empty() {
                using.insert(format!("{}.wxml", strip_ext(name)), m);
            }
        }
        let pages = pages
            .iter()
            .map(|p| {
                let doc = templates.get(&format!("{p}.wxml"));
                (p.clone(), PageInfo::of(p, doc))
            })
            .collect();
        let missing_of = |m: &BTreeMap<String, Using>| {
            let mut v: Vec<MissingComponent> = m
                .values()
                .filter_map(|u| match u {
                    Err(Unusable::Missing(x)) => Some(x.clone()),
                    _ => None,
                })
                .collect();
            v.sort_by_key(|x| (x.line, x.column));
            v
        };
        let missing: HashMap<String, Vec<MissingComponent>> = using
            .iter()
            .map(|(owner, m)| (owner.clone(), missing_of(m)))
            .chain(std::iter::once((String::new(), missing_of(&global))))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let mut rd = RenderData {
            templates,
            using,
            global,
            missing,
            plain: std::collections::HashSet::new(),
            problems,
            wxs,
            pages,
        };
        rd.plain = rd
            .pages
            .keys()
            .map(|p| format!("{p}.wxml"))
            .filter(|file| {
                !rd.may_use_components(file)
                    && rd.templates.get(file).is_some_and(|doc| {
                        !doc.any_element(|e| {
                            matches!(e.name.as_str(), "wxs" | "import" | "include" | "camera")
                        })
                    })
            })
            .collect();
        rd
    }

    /// The page's render draws its tree and does nothing else (see `plain`).
    pub(crate) fn renders_plainly(&self, page_wxml: &str) -> bool {
        self.plain.contains(page_wxml)
    }

    /// True when the page's WXML may show a custom component (its JSON or app.json names one):
    /// only then must the page render before its `onLoad`.
    pub(crate) fn may_use_components(&self, page_wxml: &str) -> bool {
        !self.global.is_empty() || self.using.get(page_wxml).is_some_and(|m| !m.is_empty())
    }

    /// The component `tag` names in `owner_file`: the owner's own map first, then app.json's.
    pub(crate) fn component(
        &self,
        owner_file: &str,
        tag: &str,
    ) -> Result<Option<String>, &Unusable> {
        let hit = self
            .using
            .get(owner_file)
            .and_then(|m| m.get(tag))
            .or_else(|| self.global.get(tag));
        match hit {
            None => Ok(None),
            Some(Ok(def)) => Ok(Some(def.clone())),
            Some(Err(e)) => Err(e),
        }
    }

    /// The entries of `owner_file`'s JSON, then of app.json, that name no component, each
    /// file's in its order: each fails the page or component whose WXML `owner_file` is, when
    /// it is opened (see [`Unusable`]). No work when there are none (the renderer asks for
    /// every instance it draws).
    pub(crate) fn missing(&self, owner_file: &str) -> impl Iterator<Item = &MissingComponent> {
        [owner_file, ""]
            .into_iter()
            .filter_map(|k| self.missing.get(k))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_stripped_from_files_only() {
        assert_eq!(strip_ext("components/a/a.js"), "components/a/a");
        assert_eq!(
            strip_ext("miniprogram_npm/x.y/index.ts"),
            "miniprogram_npm/x.y/index"
        );
        assert_eq!(strip_ext("a.b/c"), "a.b/c");
    }

    #[test]
    fn a_missing_components_path_and_place() {
        assert_eq!(
            wechat_path("pages/a/a.json", "../../components/x/index"),
            "components/x/index"
        );
        assert_eq!(wechat_path("pages/a/a.json", "./x/x"), "pages/a/x/x");
        assert_eq!(wechat_path("pages/a/a.json", "/c/x"), "c/x");
        assert_eq!(wechat_path("pages/a/a.json", "pkg/x/index"), "pkg/x/index");
        let text =
            "{\n  \"x\": 1,\n  \"usingComponents\": {\n    \"a\": \"/a\",\n\t\"x\": \"/x\"\n  }\n}";
        assert_eq!(key_place(text, "a"), (4, 5));
        assert_eq!(
            key_place(text, "x"),
            (5, 2),
            "the key inside usingComponents"
        );
        assert_eq!(key_place(text, "nope"), (1, 1));
    }
}
