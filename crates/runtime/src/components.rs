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
pub(crate) type Using = Result<String, String>;

/// The parsed WXML of a project and its component maps.
pub(crate) struct RenderData {
    pub(crate) templates: Templates,
    /// Component maps by owner WXML file (`pages/a/a.wxml`, `components/x/x.wxml`).
    pub(crate) using: HashMap<String, BTreeMap<String, Using>>,
    /// app.json's `usingComponents`: available everywhere.
    pub(crate) global: BTreeMap<String, Using>,
    /// The WXML and WXS files that do not parse (they render nothing; the pages that use them
    /// report the error when opened).
    pub(crate) problems: Vec<FileProblem>,
    /// Every WXS module as its wrapper (`WXS_HEAD` … `})`): `.wxs` files by path, inline
    /// `<wxs module>` by `file.wxml#module` (see [`wxs_id`]).
    pub(crate) wxs: HashMap<String, Source>,
    /// Every page's tap handlers and open-type buttons, read off its parsed WXML.
    pub(crate) pages: BTreeMap<String, PageInfo>,
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

/// Resolves one `usingComponents` value from the JSON file `from`.
fn resolve_one(resolve: Resolve<'_>, from: &str, tag: &str, spec: &str) -> Using {
    if spec.starts_with("plugin://") || spec.starts_with("plugin-private://") {
        return Err(format!(
            "component `{tag}` (`{spec}`) comes from a plugin: plugins are not simulated by miniperm"
        ));
    }
    match resolve(from, spec) {
        Some(file) if !file.ends_with(".json") => Ok(strip_ext(&file).to_string()),
        _ => Err(format!(
            "component `{tag}` in `{from}`: `{spec}` is not a component of the project"
        )),
    }
}

fn using_of(resolve: Resolve<'_>, json_file: &str, j: &Json) -> BTreeMap<String, Using> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(m)) = j.get("usingComponents") {
        for (tag, v) in m {
            if let Some(spec) = v.as_str() {
                out.insert(tag.clone(), resolve_one(resolve, json_file, tag, spec));
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
        let global = using_of(resolve, "app.json", app);
        let mut using = HashMap::new();
        for (name, src) in files {
            let Source::Json(text) = src else { continue };
            if name == "app.json" || !name.ends_with(".json") {
                continue;
            }
            let Ok(j) = serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')) else {
                continue;
            };
            let m = using_of(resolve, name, &j);
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
        RenderData {
            templates,
            using,
            global,
            problems,
            wxs,
            pages,
        }
    }

    /// True when the page's WXML may show a custom component (its JSON or app.json names one):
    /// only then must the page render before its `onLoad`.
    pub(crate) fn may_use_components(&self, page_wxml: &str) -> bool {
        !self.global.is_empty() || self.using.get(page_wxml).is_some_and(|m| !m.is_empty())
    }

    /// The component `tag` names in `owner_file`: the owner's own map first, then app.json's.
    pub(crate) fn component(&self, owner_file: &str, tag: &str) -> Result<Option<String>, String> {
        let hit = self
            .using
            .get(owner_file)
            .and_then(|m| m.get(tag))
            .or_else(|| self.global.get(tag));
        match hit {
            None => Ok(None),
            Some(Ok(def)) => Ok(Some(def.clone())),
            Some(Err(e)) => Err(e.clone()),
        }
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
}
