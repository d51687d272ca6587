//! What the renderer needs from a project: every WXML file parsed once, WXS sources, and the
//! `usingComponents` maps (app, page and component level) resolved to component definitions.

use std::collections::{BTreeMap, HashMap};

use miniperm_wxml::Templates;
use serde_json::Value as Json;

use crate::project::{LoadError, Project, Source};

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
}

fn strip_ext(p: &str) -> &str {
    p.rsplit_once('.')
        .filter(|(_, ext)| !ext.contains('/'))
        .map_or(p, |(base, _)| base)
}

/// Resolves one `usingComponents` value from the JSON file `from`.
fn resolve_one(project: &Project, from: &str, tag: &str, spec: &str) -> Using {
    if spec.starts_with("plugin://") || spec.starts_with("plugin-private://") {
        return Err(format!(
            "component `{tag}` (`{spec}`) comes from a plugin: plugins are not simulated by miniperm"
        ));
    }
    match project.resolve(from, spec) {
        Some(file) if !file.ends_with(".json") => Ok(strip_ext(&file).to_string()),
        _ => Err(format!(
            "component `{tag}` in `{from}`: `{spec}` is not a component of the project"
        )),
    }
}

fn using_of(project: &Project, json_file: &str, j: &Json) -> BTreeMap<String, Using> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(m)) = j.get("usingComponents") {
        for (tag, v) in m {
            if let Some(spec) = v.as_str() {
                out.insert(tag.clone(), resolve_one(project, json_file, tag, spec));
            }
        }
    }
    out
}

impl RenderData {
    /// Parses every WXML file (a malformed one is a load error with file, line and column) and
    /// resolves every JSON file's `usingComponents`.
    pub(crate) fn build<'a>(
        project: &Project,
        wxml: impl IntoIterator<Item = (&'a str, &'a str)>,
        files: &HashMap<String, Source>,
        app: &Json,
    ) -> Result<RenderData, LoadError> {
        let (templates, errors) = Templates::parse_all(wxml);
        if let Some(e) = errors.into_iter().next() {
            return Err(LoadError::Wxml(e.to_string()));
        }
        let global = using_of(project, "app.json", app);
        let mut using = HashMap::new();
        for (name, src) in files {
            let Source::Json(text) = src else { continue };
            if name == "app.json" || !name.ends_with(".json") {
                continue;
            }
            let Ok(j) = serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')) else {
                continue;
            };
            let m = using_of(project, name, &j);
            if !m.is_empty() {
                using.insert(format!("{}.wxml", strip_ext(name)), m);
            }
        }
        Ok(RenderData {
            templates,
            using,
            global,
        })
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
