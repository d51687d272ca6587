//! WXML for miniperm: the parser, the `{{ }}` expression language, a renderer from WXML plus
//! data to a tree of what the user sees, selectors to find a node to tap, and outlines.
//!
//! Pure: no JavaScript engine and no I/O. The runtime supplies components, WXS calls (and,
//! optionally, WXS module values) and warnings through [`Host`]; a file that failed to parse is
//! reported through [`Host::syntax_error`] when a render needs it (see [`Templates::error`]).
//!
//! ```
//! use miniperm_wxml::{Templates, render, outline, Host, Instance};
//! struct NoHost;
//! impl Host for NoHost {
//!     fn component(&mut self, _: &str, _: &str) -> Option<String> { None }
//!     fn instance(&mut self, _: &str, _: &str, _: &serde_json::Map<String, serde_json::Value>) -> Option<Instance> { None }
//!     fn wxs_call(&mut self, _: &str, _: &str, _: &str, _: Vec<serde_json::Value>) -> Result<serde_json::Value, String> { Err("no wxs".into()) }
//!     fn warn(&mut self, _: String) {}
//! }
//! let (t, errors) = Templates::parse_all([("pages/a/a.wxml", r#"<button bindtap="go">{{label}}</button>"#)]);
//! assert!(errors.is_empty());
//! let tree = render(&t, "pages/a/a.wxml", &serde_json::json!({"label": "Go"}), &mut NoHost);
//! assert_eq!(outline(&tree), "button \"Go\" (tap→go)\n");
//! ```
#![forbid(unsafe_code)]

pub mod expr;
mod outline;
mod parse;
mod render;
mod select;
mod written;

pub use expr::{Expr, ExprError, V};
pub use outline::{outline, to_render_json};
pub use parse::{Attr, Document, Element, Item, ParseError, Part, Text, Tpl, WxsModule, parse};
pub use render::{
    Binding, Host, Instance, MAX_DEPTH, MAX_FOR, MAX_NODES, Node, Path, Templates, Tree, ancestors,
    render, render_with_tail, resolve,
};
pub use select::{Selector, SelectorError, find, find_all, tappable};
pub use written::{bindings_of, elements, static_dataset, written_bindings};
