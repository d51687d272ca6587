//! Text and JSON views of a rendered tree.

use serde_json::{Map, Value, json};

use crate::render::{Node, Tree};

fn attr_text(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() || s.contains(char::is_whitespace) || s.contains(']') => {
            format!("{s:?}")
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn line(n: &Node) -> String {
    if n.tag == "#text" {
        return format!("{:?}", n.text.as_deref().unwrap_or(""));
    }
    let mut s = n.tag.clone();
    if !n.id.is_empty() {
        s.push('#');
        s.push_str(&n.id);
    }
    for c in &n.classes {
        s.push('.');
        s.push_str(c);
    }
    if inline_text(n) {
        let t: Vec<&str> = n
            .children
            .iter()
            .filter_map(|c| c.text.as_deref())
            .collect();
        s.push_str(&format!(" {:?}", t.join(" ")));
    }
    if !n.attrs.is_empty() {
        let a: Vec<String> = n
            .attrs
            .iter()
            .map(|(k, v)| match v {
                Value::Bool(true) => k.clone(),
                _ => format!("{k}={}", attr_text(v)),
            })
            .collect();
        s.push_str(&format!(" [{}]", a.join(" ")));
    }
    if !n.events.is_empty() {
        let e: Vec<String> = n
            .events
            .iter()
            .map(|b| {
                let kind = match (b.capture, b.catch, b.mut_) {
                    (true, true, _) => "capture-catch:",
                    (true, false, _) => "capture:",
                    (false, true, _) => "catch:",
                    (false, false, true) => "mut:",
                    (false, false, false) => "",
                };
                format!("{kind}{}→{}", b.event, b.handler)
            })
            .collect();
        s.push_str(&format!(" ({})", e.join(", ")));
    }
    if let Some(k) = &n.component {
        s.push_str(&format!(" @{k}"));
    }
    s
}

/// An element whose visible children are all text prints its text on its own line.
fn inline_text(n: &Node) -> bool {
    let mut any = false;
    for c in &n.children {
        if !c.visible {
            continue;
        }
        if c.tag != "#text" {
            return false;
        }
        any = true;
    }
    any
}

/// One visible node per line, indented two spaces per level, e.g.
/// `button#go.primary "去设置" [open-type=openSetting] (tap→onGo)`. Hidden nodes are left out.
pub fn outline(tree: &Tree) -> String {
    let mut out = String::new();
    fn go(nodes: &[Node], depth: usize, out: &mut String) {
        for n in nodes {
            if !n.visible {
                continue;
            }
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str(&line(n));
            out.push('\n');
            if !inline_text(n) {
                go(&n.children, depth + 1, out);
            }
        }
    }
    go(&tree.roots, 0, &mut out);
    out
}

fn node_json(n: &Node) -> Value {
    let mut attrs = Map::new();
    if !n.id.is_empty() {
        attrs.insert("id".to_string(), Value::String(n.id.clone()));
    }
    if !n.classes.is_empty() {
        attrs.insert("class".to_string(), Value::String(n.classes.join(" ")));
    }
    for (k, v) in &n.attrs {
        attrs.insert(k.clone(), v.clone());
    }
    let children: Vec<Value> = n
        .children
        .iter()
        .filter(|c| c.visible)
        .map(node_json)
        .collect();
    json!({"tag": n.tag, "attrs": attrs, "text": n.text, "children": children})
}

/// The visible tree in the `render` event's shape: a list of `{tag, attrs, text, children}`
/// (`id` and `class` folded into `attrs`; text nodes have tag `#text`).
pub fn to_render_json(tree: &Tree) -> Value {
    Value::Array(
        tree.roots
            .iter()
            .filter(|n| n.visible)
            .map(node_json)
            .collect(),
    )
}
