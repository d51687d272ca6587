//! Selectors on a rendered tree, for taps on what the user sees.

use crate::expr::js_string;
use crate::render::{Node, Path, Tree, dataset_key};

/// A selector: `#id`, `.class`, `tag`, `tag[attr=value]`, combinations such as
/// `button.primary#go[open-type=openSetting]`, `text=LABEL`, and the short form
/// `open-type=openSetting` for `button[open-type=openSetting]`. A selector other than `text=`
/// may end in `:nth(N)`: the N-th (from 1) visible match in document order, not the first (what
/// the simulator sends for a click on one element of several alike).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub tag: Option<String>,
    pub id: Option<String>,
    pub classes: Vec<String>,
    /// `[name]` (presence) or `[name=value]`.
    pub attrs: Vec<(String, Option<String>)>,
    /// `text=LABEL`: the innermost visible element whose text contains LABEL.
    pub text: Option<String>,
    /// `:nth(N)`: the N-th visible match (1-based) instead of the first.
    pub nth: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("empty selector")]
    Empty,
    #[error("bad selector `{selector}`: {reason}")]
    Bad { selector: String, reason: String },
}

fn is_name_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '#' | '.' | '[' | ']' | '=' | '"' | '\''))
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        let s = s.trim();
        let bad = |reason: String| SelectorError::Bad {
            selector: s.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(SelectorError::Empty);
        }
        if let Some(label) = s.strip_prefix("text=") {
            let label = unquote(label);
            if label.is_empty() {
                return Err(bad("`text=` needs a label".to_string()));
            }
            return Ok(Selector {
                text: Some(label.to_string()),
                ..Selector::default()
            });
        }
        if let Some(head) = s.strip_suffix(')')
            && let Some((head, n)) = head.rsplit_once(":nth(")
        {
            let n = n
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(format!("`:nth({n})` needs a number from 1")))?;
            let mut sel = Selector::parse(head).map_err(|e| match e {
                SelectorError::Empty => bad("`:nth(N)` needs a selector before it".to_string()),
                e => e,
            })?;
            if sel.text.is_some() || sel.nth.is_some() {
                return Err(bad(
                    "`:nth(N)` goes after a selector other than `text=`".into()
                ));
            }
            sel.nth = Some(n);
            return Ok(sel);
        }
        if let Some((name, value)) = s.split_once('=')
            && !name.is_empty()
            && name.chars().all(is_name_char)
        {
            return Ok(Selector {
                tag: Some("button".to_string()),
                attrs: vec![(name.to_string(), Some(unquote(value).to_string()))],
                ..Selector::default()
            });
        }
        let mut sel = Selector::default();
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        let ident = |i: &mut usize| -> String {
            let start = *i;
            while *i < chars.len() && is_name_char(chars[*i]) {
                *i += 1;
            }
            chars[start..*i].iter().collect()
        };
        let tag = ident(&mut i);
        if !tag.is_empty() {
            sel.tag = Some(tag);
        }
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '#' | '.' => {
                    let name = ident(&mut i);
                    if name.is_empty() {
                        return Err(bad(format!("`{c}` needs a name")));
                    }
                    if c == '#' {
                        sel.id = Some(name);
                    } else {
                        sel.classes.push(name);
                    }
                }
                '[' => {
                    let name = ident(&mut i);
                    if name.is_empty() {
                        return Err(bad("`[` needs an attribute name".to_string()));
                    }
                    let value = if chars.get(i) == Some(&'=') {
                        i += 1;
                        let mut v = String::new();
                        match chars.get(i) {
                            Some(&q) if q == '"' || q == '\'' => {
                                i += 1;
                                while i < chars.len() && chars[i] != q {
                                    v.push(chars[i]);
                                    i += 1;
                                }
                                if i >= chars.len() {
                                    return Err(bad("unclosed quote".to_string()));
                                }
                                i += 1;
                            }
                            _ => {
                                while i < chars.len() && chars[i] != ']' {
                                    v.push(chars[i]);
                                    i += 1;
                                }
                            }
                        }
                        Some(v.trim().to_string())
                    } else {
                        None
                    };
                    if chars.get(i) != Some(&']') {
                        return Err(bad("expected `]`".to_string()));
                    }
                    i += 1;
                    sel.attrs.push((name, value));
                }
                other => return Err(bad(format!("unexpected `{other}`"))),
            }
        }
        Ok(sel)
    }

    /// Does this node match (ignoring visibility and `text=`)?
    pub fn matches(&self, n: &Node) -> bool {
        if n.tag == "#text" {
            return false;
        }
        if self.tag.as_ref().is_some_and(|t| *t != n.tag) {
            return false;
        }
        if self.id.as_ref().is_some_and(|id| *id != n.id) {
            return false;
        }
        if !self.classes.iter().all(|c| n.classes.contains(c)) {
            return false;
        }
        self.attrs.iter().all(|(name, value)| {
            let actual: Option<String> = if name == "id" {
                (!n.id.is_empty()).then(|| n.id.clone())
            } else if name == "class" {
                return match value {
                    Some(v) => n.classes.contains(v),
                    None => !n.classes.is_empty(),
                };
            } else if let Some(d) = name.strip_prefix("data-") {
                n.dataset.get(&dataset_key(d)).map(js_string)
            } else {
                n.attrs.get(name).map(js_string)
            };
            match (value, actual) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(v), Some(a)) => *v == a,
            }
        })
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(t) = &self.text {
            return write!(f, "text={t}");
        }
        if let Some(t) = &self.tag {
            f.write_str(t)?;
        }
        if let Some(id) = &self.id {
            write!(f, "#{id}")?;
        }
        for c in &self.classes {
            write!(f, ".{c}")?;
        }
        for (k, v) in &self.attrs {
            match v {
                Some(v) => write!(f, "[{k}={v}]")?,
                None => write!(f, "[{k}]")?,
            }
        }
        if let Some(n) = self.nth {
            write!(f, ":nth({n})")?;
        }
        Ok(())
    }
}

fn find_text(nodes: &[Node], label: &str, path: &mut Path, root: bool) -> Option<Path> {
    for (i, n) in nodes.iter().enumerate() {
        if !n.visible || (n.tag == "#text" && !root) {
            continue;
        }
        if !n.visible_text().contains(label) {
            continue;
        }
        path.push(i);
        if let Some(p) = find_text(&n.children, label, path, false) {
            return Some(p);
        }
        return Some(path.clone());
    }
    None
}

/// The first visible node matching `sel` in document order (for `text=`, the innermost visible
/// element whose text contains the label), as a path into `tree`.
pub fn find(tree: &Tree, sel: &Selector) -> Option<Path> {
    if let Some(label) = &sel.text {
        return find_text(&tree.roots, label, &mut Vec::new(), true);
    }
    find_all(tree, sel).into_iter().next()
}

/// Every visible node matching `sel` (not `text=` or `:nth(N)`, which give at most one), in
/// document order.
pub fn find_all(tree: &Tree, sel: &Selector) -> Vec<Path> {
    if sel.nth.is_some() {
        let all = Selector {
            nth: None,
            ..sel.clone()
        };
        return find_all(tree, &all)
            .into_iter()
            .nth(sel.nth.unwrap_or(1).saturating_sub(1))
            .into_iter()
            .collect();
    }
    if sel.text.is_some() {
        return find(tree, sel).into_iter().collect();
    }
    let mut out = Vec::new();
    fn go(nodes: &[Node], sel: &Selector, path: &mut Path, out: &mut Vec<Path>) {
        for (i, n) in nodes.iter().enumerate() {
            if !n.visible {
                continue;
            }
            path.push(i);
            if sel.matches(n) {
                out.push(path.clone());
            }
            go(&n.children, sel, path, out);
            path.pop();
        }
    }
    go(&tree.roots, sel, &mut Vec::new(), &mut out);
    out
}

const MAX_LABEL: usize = 24;

/// A short selector for each visible element a tap does something on: one with a tap
/// binding, a `<button open-type=…>`, a submit or reset button inside a `<form>`, a
/// `<navigator>`: `#id`, else `text=…`, else `tag.class` (or `open-type=…`, or the tag). Each
/// selector is checked to find its element (the first candidate that does wins; an element none
/// of whose candidates parse is left out).
pub fn tappable(tree: &Tree) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    fn candidates(n: &Node, open_type: Option<String>) -> Vec<String> {
        let mut c = Vec::new();
        if !n.id.is_empty() {
            c.push(format!("#{}", n.id));
        }
        let text = n.visible_text();
        let text = text.trim();
        if !text.is_empty() {
            let label: String = text.chars().take(MAX_LABEL).collect();
            c.push(format!("text={label}"));
        }
        for class in &n.classes {
            c.push(format!("{}.{class}", n.tag));
        }
        if let Some(o) = open_type {
            c.push(format!("open-type={o}"));
        }
        c.push(n.tag.clone());
        c
    }
    fn go(tree: &Tree, nodes: &[Node], path: &mut Path, in_form: bool, out: &mut Vec<String>) {
        for (i, n) in nodes.iter().enumerate() {
            if !n.visible {
                continue;
            }
            path.push(i);
            let open_type = (n.tag == "button")
                .then(|| n.attrs.get("open-type").map(js_string))
                .flatten()
                .filter(|s| !s.is_empty());
            let form_button = in_form && n.form_action().is_some();
            let acts =
                n.has_event("tap") || open_type.is_some() || form_button || n.tag == "navigator";
            if n.tag != "#text" && acts {
                let parsed: Vec<(String, Selector)> = candidates(n, open_type)
                    .into_iter()
                    .filter_map(|c| Selector::parse(&c).ok().map(|s| (c, s)))
                    .collect();
                let exact = parsed
                    .iter()
                    .find(|(_, s)| find(tree, s).as_deref() == Some(path.as_slice()));
                let any = exact.or_else(|| parsed.iter().find(|(_, s)| find(tree, s).is_some()));
                if let Some((c, _)) = any
                    && !out.contains(c)
                {
                    out.push(c.clone());
                }
            }
            go(tree, &n.children, path, in_form || n.tag == "form", out);
            path.pop();
        }
    }
    go(tree, &tree.roots, &mut Vec::new(), false, &mut out);
    out
}
