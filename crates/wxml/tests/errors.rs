//! Syntax errors stay findable: `Templates::error`, and `Host::syntax_error` when a render
//! needs a file that did not parse (once per file per render).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;

use common::FakeHost;
use miniperm_wxml::{Host, Instance, Templates, outline, render};
use serde_json::{Map, Value, json};

const PAGE: &str = "pages/a/a.wxml";
const BROKEN: &str = "<view>\n  <text>x</text>";

#[test]
fn errors_are_kept_by_normalized_path() {
    let (t, errors) = Templates::parse_all([
        (PAGE, "<view/>"),
        ("./pages/b/b.wxml", BROKEN),
        ("c/c.wxml", "<text>{{ a + }}</text>"),
    ]);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].file, "c/c.wxml");
    let e = t.error("pages/b/b.wxml").expect("kept");
    assert_eq!((e.line, e.column), (1, 1));
    assert_eq!(e.message, "unclosed tag `view`");
    assert_eq!(t.error("pages/b/../b/b.wxml"), Some(e));
    assert_eq!(t.error("c/c.wxml"), Some(&errors[0]));
    assert!(t.error(PAGE).is_none());
    assert!(t.get("pages/b/b.wxml").is_none());

    // a fixed file replaces its error
    let mut t = t;
    t.insert(miniperm_wxml::parse("pages/b/b.wxml", "<view/>").unwrap());
    assert!(t.error("pages/b/b.wxml").is_none());
}

#[test]
fn rendering_a_broken_page_reports_its_syntax_error() {
    let (t, _) = Templates::parse_all([(PAGE, BROKEN)]);
    let mut host = FakeHost::default();
    let tree = render(&t, PAGE, &json!({}), &mut host);
    assert!(tree.roots.is_empty());
    assert_eq!(host.syntax_errors.len(), 1);
    assert_eq!(host.syntax_errors[0].file, PAGE);
    assert_eq!(host.syntax_errors[0].line, 1);
    assert!(host.warnings.is_empty(), "{:?}", host.warnings);
    // a page that is not there at all keeps the plain warning
    let mut host = FakeHost::default();
    render(&t, "pages/none/none.wxml", &json!({}), &mut host);
    assert!(host.syntax_errors.is_empty());
    assert_eq!(host.warnings, ["no WXML `pages/none/none.wxml`"]);
}

#[test]
fn broken_includes_imports_and_components_are_reported_once_per_render() {
    let files = [
        (
            PAGE,
            r#"<import src="/t/t.wxml"/>
<view wx:for="{{3}}"><include src="inc.wxml"/><template is="x"/><card/></view>
<include src="gone.wxml"/><include src="gone.wxml"/>"#,
        ),
        ("pages/a/inc.wxml", BROKEN),
        ("t/t.wxml", "<template name=\"x\"><view></template>"),
        ("c/card.wxml", "<text>{{ 'abc }}</text>"),
    ];
    let (t, errors) = Templates::parse_all(files);
    assert_eq!(errors.len(), 3);
    let mut host = FakeHost::default().using(PAGE, "card", "c/card", "c/card.wxml", json!({}));
    let tree = render(&t, PAGE, &json!({}), &mut host);
    assert_eq!(
        outline(&tree),
        "view\n  card @/1[0]/2\nview\n  card @/1[1]/2\nview\n  card @/1[2]/2\n"
    );
    let mut reported: Vec<&str> = host.syntax_errors.iter().map(|e| e.file.as_str()).collect();
    reported.sort_unstable();
    assert_eq!(reported, ["c/card.wxml", "pages/a/inc.wxml", "t/t.wxml"]);
    // the missing include keeps its warning (once), the unknown template too (each time)
    assert_eq!(
        host.warnings
            .iter()
            .filter(|w| w.contains("include `gone.wxml`"))
            .count(),
        1,
        "{:?}",
        host.warnings
    );
    assert!(host.warnings.iter().all(|w| !w.contains("inc.wxml")));

    // a second render reports again
    host.syntax_errors.clear();
    render(&t, PAGE, &json!({}), &mut host);
    assert_eq!(host.syntax_errors.len(), 3);
}

/// A host with only the required methods: the defaults apply.
#[derive(Default)]
struct Plain {
    warnings: Vec<String>,
}

impl Host for Plain {
    fn component(&mut self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn instance(&mut self, _: &str, _: &str, _: &Map<String, Value>) -> Option<Instance> {
        None
    }
    fn wxs_call(&mut self, _: &str, _: &str, _: &str, _: Vec<Value>) -> Result<Value, String> {
        Err("no wxs".into())
    }
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}

#[test]
fn default_host_methods_warn() {
    let (t, _) = Templates::parse_all([
        (
            PAGE,
            "<wxs module=\"m\">module.exports = {};</wxs><text>[{{ m.x }}]</text>",
        ),
        ("pages/b/b.wxml", BROKEN),
    ]);
    let mut host = Plain::default();
    let tree = render(&t, "pages/b/b.wxml", &json!({}), &mut host);
    assert!(tree.roots.is_empty());
    assert_eq!(
        host.warnings,
        ["`pages/b/b.wxml` line 1, column 1: unclosed tag `view`"]
    );
    let mut host = Plain::default();
    let tree = render(&t, PAGE, &json!({}), &mut host);
    assert_eq!(outline(&tree), "text \"[]\"\n");
    assert_eq!(
        host.warnings,
        ["wxs module `m` of `pages/a/a.wxml` has no value: no wxs values"]
    );
}
