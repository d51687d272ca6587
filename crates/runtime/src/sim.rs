//! What the simulated APIs (sim.js) need from Rust: the project's mocks and which project files
//! exist (a page may pass `/images/a.png` as a file path), both read once at load.

use std::collections::HashSet;
use std::path::Path;

use crate::mocks::Mocks;

/// Project files listed at most: a bigger project's later files count as missing.
const MAX_ASSETS: usize = 20_000;

/// The simulation's view of a loaded project.
#[derive(Debug, Default)]
pub(crate) struct Sim {
    pub mocks: Mocks,
    /// Every regular file under the project root, root-relative with `/` separators (symbolic
    /// links, dot-files and `node_modules` left out).
    pub assets: HashSet<String>,
}

impl Sim {
    /// True when `path` (root-relative, leading `/` optional) names a project file; a path
    /// that climbs out of the root with `..` never does.
    pub(crate) fn is_asset(&self, path: &str) -> bool {
        normalize(path).is_some_and(|p| self.assets.contains(&p))
    }

    /// The root-relative path of the project file `path` names, when it is one.
    pub(crate) fn asset(&self, path: &str) -> Option<String> {
        normalize(path).filter(|p| self.assets.contains(p))
    }
}

fn normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    (!out.is_empty()).then(|| out.join("/"))
}

/// Lists the project's files (without reading them).
pub(crate) fn assets(root: &Path) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            if out.len() >= MAX_ASSETS {
                return out;
            }
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            // DirEntry::file_type does not follow symbolic links: a link is neither.
            let Ok(ft) = e.file_type() else { continue };
            let p = e.path();
            if ft.is_dir() {
                dirs.push(p);
            } else if ft.is_file()
                && let Ok(rel) = p.strip_prefix(root)
            {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_paths_stay_inside_the_root() {
        let sim = Sim {
            assets: ["images/a.png".to_string()].into_iter().collect(),
            ..Sim::default()
        };
        assert!(sim.is_asset("/images/a.png"));
        assert!(sim.is_asset("images/./a.png"));
        assert!(sim.is_asset("pages/../images/a.png"));
        assert!(!sim.is_asset("../images/a.png"));
        assert!(!sim.is_asset("/images/b.png"));
        assert!(!sim.is_asset(""));
    }
}
