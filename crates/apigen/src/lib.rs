//! Generates miniperm's `wx` API table from the official mini-program typings
//! (`miniprogram-api-typings`, pinned in tools/typings) and a hand-written overlay.
//!
//! [`generate`] is pure (strings in, strings out) so tests can run it on perturbed input;
//! [`Sources::read`] and the binary do the file I/O.
//!
//! The model ([`Shape`], [`Ty`], [`Handling`]) is the generator's own, not imported from
//! `miniperm-core`, the crate it generates into: it builds (and can regenerate the table) even
//! when core's committed table does not compile. The table names core's variants by the same
//! names; `tests/model.rs` holds the two models equal.
#![forbid(unsafe_code)]

mod error;
mod extract;
mod overlay;
mod render;

use std::path::{Path, PathBuf};

pub use error::ApigenError;
pub use extract::{Api, Field, Shape, Ty};
pub use overlay::{Handling, Overlay};

/// The typings' texts and the overlay.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The typings package's version (from its package.json).
    pub version: String,
    /// `types/wx/lib.wx.api.d.ts`.
    pub api: String,
    /// `types/wx/lib.wx.cloud.d.ts`, if the package has it.
    pub cloud: Option<String>,
    /// `crates/apigen/overlay.txt`.
    pub overlay: String,
}

/// The generated files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `crates/core/src/wxapi/generated.rs`.
    pub rust: String,
    /// `docs/wx-api.md`.
    pub markdown: String,
    /// Every API, sorted by name, with its handling.
    pub apis: Vec<(Api, Handling)>,
}

/// Where things are, relative to the workspace root.
pub const TYPINGS_DIR: &str = "tools/typings/node_modules/miniprogram-api-typings";
pub const OVERLAY: &str = "crates/apigen/overlay.txt";
pub const GENERATED_RS: &str = "crates/core/src/wxapi/generated.rs";
pub const GENERATED_MD: &str = "docs/wx-api.md";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> Result<String, ApigenError> {
    std::fs::read_to_string(path).map_err(|source| ApigenError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Sources {
    /// Reads the typings package at `typings` and the overlay at `overlay`.
    pub fn read(typings: &Path, overlay: &Path) -> Result<Sources, ApigenError> {
        let manifest = read(&typings.join("package.json"))?;
        let version = serde_json::from_str::<serde_json::Value>(&manifest)
            .ok()
            .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(String::from))
            .ok_or(ApigenError::MissingVersion)?;
        let api = read(&typings.join("types/wx/lib.wx.api.d.ts"))?;
        let cloud_path = typings.join("types/wx/lib.wx.cloud.d.ts");
        let cloud = if cloud_path.exists() {
            Some(read(&cloud_path)?)
        } else {
            None
        };
        Ok(Sources {
            version,
            api,
            cloud,
            overlay: read(overlay)?,
        })
    }
}

/// Extracts the APIs, applies the overlay and renders both files.
pub fn generate(src: &Sources) -> Result<Output, ApigenError> {
    let apis = extract::extract(&src.api, src.cloud.as_deref())?;
    let overlay = Overlay::parse(&src.overlay)?;
    let names: Vec<&str> = apis.iter().map(|a| a.name.as_str()).collect();
    overlay.check(&names)?;
    let apis: Vec<(Api, Handling)> = apis
        .into_iter()
        .map(|a| {
            let h = overlay.handling(&a.name);
            (a, h)
        })
        .collect();
    Ok(Output {
        rust: render::rust(&src.version, &apis),
        markdown: render::markdown(&src.version, &apis),
        apis,
    })
}
