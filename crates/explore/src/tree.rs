//! The outcome tree: one branch per starting state, one level per native UI, one edge per
//! answer, a leaf per end. Equal sibling subtrees are merged into one edge (`allow | deny`).

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};

use miniperm_runtime::{Event, escape_controls};
use serde::Serialize;
use serde_json::Value as Json;

/// What the user ended with on one path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Leaf {
    /// Guarded APIs (and authorize) that succeeded, in order, without repeats.
    pub succeeded: Vec<String>,
    /// `api: errMsg` of calls that failed, in order, without repeats.
    pub failed: Vec<String>,
    /// The page on top of the stack at the end.
    pub page: String,
    /// Uncaught errors.
    pub errors: Vec<String>,
    /// How the run ended (idle, awaiting-answer, error, limit, or `nag-loop cut`).
    pub end: String,
    /// Finding codes seen on this path.
    pub findings: BTreeSet<String>,
    /// The consent the path left behind (`scope.record=granted`): two answers that leave
    /// different consent are different outcomes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub consent: Vec<String>,
    /// The toasts shown on the way (`已拒绝`), in order: what the user was told.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub toasts: Vec<String>,
    /// The page as the user saw it at the end (an outline), when explored with `--render`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render: Option<String>,
}

impl Leaf {
    /// Reads the outcome off a transcript.
    pub fn from_events(events: &[&Event], guarded: impl Fn(&str) -> bool) -> Leaf {
        let mut leaf = Leaf {
            succeeded: Vec::new(),
            failed: Vec::new(),
            page: String::new(),
            errors: Vec::new(),
            end: String::new(),
            findings: BTreeSet::new(),
            consent: Vec::new(),
            toasts: Vec::new(),
            render: None,
        };
        for e in events {
            match e {
                Event::Ui { ui, detail } if ui == "toast" => {
                    let t = detail.get("title").and_then(Json::as_str).unwrap_or("");
                    leaf.toasts.push(t.to_string());
                }
                Event::Callback { api, kind, res, .. } => {
                    if !guarded(api) {
                        continue;
                    }
                    match kind.as_str() {
                        "success" | "resolve" if !leaf.succeeded.contains(api) => {
                            leaf.succeeded.push(api.clone());
                        }
                        "fail" | "reject" => {
                            let msg = res.get("errMsg").and_then(Json::as_str).unwrap_or("");
                            let line = format!("{api}: {msg}");
                            if !leaf.failed.contains(&line) {
                                leaf.failed.push(line);
                            }
                        }
                        _ => {}
                    }
                }
                Event::Page { action, route } if matches!(action.as_str(), "show" | "load") => {
                    leaf.page = route.clone()
                }
                Event::Error { message, .. } => leaf.errors.push(message.clone()),
                Event::Render { tree, .. } => {
                    leaf.render = Some(miniperm_runtime::render_outline(tree));
                }
                Event::End { reason, ui } => {
                    leaf.end = reason.as_str().to_string();
                    if let Some(ui) = ui {
                        leaf.end = format!("{} ({ui})", leaf.end);
                    }
                }
                _ => {}
            }
        }
        leaf
    }

    /// One line for the text tree.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if !self.succeeded.is_empty() {
            parts.push(format!("✓ {}", self.succeeded.join(", ")));
        }
        for f in &self.failed {
            parts.push(format!("✗ {f}"));
        }
        if parts.is_empty() {
            parts.push("nothing granted".into());
        }
        parts.push(format!("page {}", self.page));
        if !self.consent.is_empty() {
            parts.push(format!("consent {}", self.consent.join(" ")));
        }
        for t in &self.toasts {
            parts.push(format!("toast {t}"));
        }
        for e in &self.errors {
            parts.push(format!("error: {e}"));
        }
        if self.end != "idle" {
            parts.push(format!("end {}", self.end));
        }
        let mut s = parts.join(" · ");
        if !self.findings.is_empty() {
            let codes: Vec<&str> = self.findings.iter().map(String::as_str).collect();
            s.push_str(&format!("  [{}]", codes.join(", ")));
        }
        s
    }
}

/// A node: a native UI waiting for an answer, or the end of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Node {
    Ui { ui: String, edges: Vec<Edge> },
    Leaf(Leaf),
}

/// One or more answers leading to the same subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Edge {
    pub answers: Vec<String>,
    pub child: Node,
}

/// The paths from one starting state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branch {
    /// Starting states, e.g. `scope.userLocation=denied`; several when merged.
    pub starts: Vec<String>,
    pub node: Node,
}

/// Builds a [`Node`] from paths inserted one by one.
#[derive(Debug, Default)]
pub struct Builder {
    ui: Option<String>,
    leaf: Option<Leaf>,
    edges: Vec<(String, Builder)>,
}

impl Builder {
    /// Inserts one path: its (ui, answer) steps, then its leaf. Replays are deterministic, so
    /// two paths with the same prefix saw the same UIs; a conflict keeps the first.
    pub fn insert(&mut self, steps: &[(String, String)], leaf: Leaf) {
        let Some(((ui, answer), rest)) = steps.split_first() else {
            if self.leaf.is_none() && self.ui.is_none() {
                self.leaf = Some(leaf);
            }
            return;
        };
        if self.leaf.is_some() {
            return;
        }
        self.ui.get_or_insert_with(|| ui.clone());
        let idx = match self.edges.iter().position(|(a, _)| a == answer) {
            Some(i) => i,
            None => {
                self.edges.push((answer.clone(), Builder::default()));
                self.edges.len() - 1
            }
        };
        self.edges[idx].1.insert(rest, leaf);
    }

    pub fn build(self) -> Node {
        match (self.leaf, self.ui) {
            (Some(l), _) => Node::Leaf(l),
            (None, ui) => Node::Ui {
                ui: ui.unwrap_or_default(),
                edges: self
                    .edges
                    .into_iter()
                    .map(|(a, b)| Edge {
                        answers: vec![a],
                        child: b.build(),
                    })
                    .collect(),
            },
        }
    }
}

impl Node {
    /// Merges sibling edges whose subtrees are equal, bottom-up.
    pub fn merge(&mut self) {
        if let Node::Ui { edges, .. } = self {
            for e in edges.iter_mut() {
                e.child.merge();
            }
            let mut merged: Vec<Edge> = Vec::new();
            for e in edges.drain(..) {
                match merged.iter_mut().find(|m| m.child == e.child) {
                    Some(m) => m.answers.extend(e.answers),
                    None => merged.push(e),
                }
            }
            *edges = merged;
        }
    }

    pub fn leaves(&self) -> usize {
        match self {
            Node::Leaf(_) => 1,
            Node::Ui { edges, .. } => edges.iter().map(|e| e.child.leaves()).sum(),
        }
    }

    /// The lines [`Node::render`] writes, counted without writing them.
    fn lines(&self) -> usize {
        match self {
            Node::Leaf(_) => 1,
            Node::Ui { edges, .. } => {
                1 + edges
                    .iter()
                    .map(|e| match &e.child {
                        Node::Leaf(_) => 1,
                        child => 1 + child.lines(),
                    })
                    .sum::<usize>()
            }
        }
    }

    fn render(&self, prefix: &str, out: &mut String) {
        match self {
            Node::Leaf(l) => {
                out.push_str(prefix);
                out.push_str("└─ ");
                out.push_str(&escape_controls(&l.line()));
                out.push('\n');
            }
            Node::Ui { ui, edges } => {
                out.push_str(prefix);
                out.push_str("└─ ");
                out.push_str(&escape_controls(ui));
                out.push('\n');
                let inner = format!("{prefix}   ");
                for (i, e) in edges.iter().enumerate() {
                    let last = i + 1 == edges.len();
                    let label = escape_controls(&e.answers.join(" | "));
                    match &e.child {
                        Node::Leaf(l) => {
                            out.push_str(&format!(
                                "{inner}{} {label} → {}\n",
                                if last { "└─" } else { "├─" },
                                escape_controls(&l.line())
                            ));
                        }
                        child => {
                            out.push_str(&format!(
                                "{inner}{} {label}\n",
                                if last { "└─" } else { "├─" }
                            ));
                            let next = format!("{inner}{}", if last { "   " } else { "│  " });
                            child.render(&next, out);
                        }
                    }
                }
            }
        }
    }
}

/// Merges starting states whose trees are equal.
pub fn merge_branches(branches: Vec<Branch>) -> Vec<Branch> {
    let mut m = BranchMerger::default();
    for b in branches {
        m.push(b);
    }
    m.finish()
}

/// [`merge_branches`] one branch at a time: each branch's tree is merged as it comes and
/// either joins an equal earlier tree (its starts are appended there) or is kept. Equal trees
/// are found through a hash, so many starting states cost one pass, not a comparison with
/// every kept branch.
#[derive(Debug, Default)]
pub struct BranchMerger {
    out: Vec<Branch>,
    by_hash: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
}

impl BranchMerger {
    pub fn push(&mut self, mut b: Branch) {
        b.node.merge();
        let h = self.hasher.hash_one(&b.node);
        let same = self.by_hash.entry(h).or_default();
        match same.iter().find(|i| self.out[**i].node == b.node) {
            Some(i) => self.out[*i].starts.extend(b.starts),
            None => {
                same.push(self.out.len());
                self.out.push(b);
            }
        }
    }

    pub fn finish(self) -> Vec<Branch> {
        self.out
    }
}

/// The lines [`render_text`] gives (a start line, the tree, a blank line per branch), counted
/// without building the text: a report too long to print only says how long it is.
pub fn text_lines(branches: &[Branch]) -> usize {
    branches.iter().map(|b| 2 + b.node.lines()).sum()
}

pub fn render_text(branches: &[Branch]) -> String {
    let mut out = String::new();
    for b in branches {
        out.push_str("start ");
        out.push_str(&escape_controls(&b.starts.join("  |  ")));
        out.push('\n');
        b.node.render("", &mut out);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(ok: &str) -> Leaf {
        Leaf {
            succeeded: if ok.is_empty() {
                vec![]
            } else {
                vec![ok.into()]
            },
            failed: vec![],
            page: "pages/index/index".into(),
            errors: vec![],
            end: "idle".into(),
            findings: BTreeSet::new(),
            consent: vec![],
            toasts: vec![],
            render: None,
        }
    }

    #[test]
    fn insert_and_merge() {
        let mut root = Builder::default();
        let ui = |a: &str| ("authorize scope.camera".to_string(), a.to_string());
        root.insert(&[ui("allow")], leaf("getLocation"));
        root.insert(&[ui("deny")], leaf(""));
        let mut n = root.build();
        assert_eq!(n.leaves(), 2);
        n.merge();
        assert_eq!(n.leaves(), 2);
        let mut root2 = Builder::default();
        root2.insert(&[ui("allow")], leaf(""));
        root2.insert(&[ui("deny")], leaf(""));
        let mut n2 = root2.build();
        n2.merge();
        assert_eq!(n2.leaves(), 1, "equal subtrees merge");
        let text = render_text(&[Branch {
            starts: vec!["fresh".into()],
            node: n2,
        }]);
        assert!(text.contains("allow | deny"), "{text}");
        let branches = [Branch {
            starts: vec!["fresh".into()],
            node: n,
        }];
        assert_eq!(
            text_lines(&branches),
            render_text(&branches).lines().count(),
            "counted as written"
        );
    }
}
