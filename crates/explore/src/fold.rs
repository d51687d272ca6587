//! The report built as paths stream in (issue 9): each finished path is folded at once into its
//! starting state's tree, the outcome counts and the best witness of each finding, and then
//! forgotten. What stays per path is one compact tree node chain (interned labels and answers, an
//! interned leaf); transcripts are kept only for the one witness path of each finding.
//!
//! Paths finish in any order (the workers race), yet the report must not depend on it: every
//! choice here is made by a key that does not depend on arrival order (the order the old
//! assemble-at-the-end code sorted by: starting state, then answer prefix).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use miniperm_core::{Subject, Value};

use crate::findings;
use crate::report::{
    Finding, Outcome, Report, replay_flags, shell_quote, start_label, state_label,
};
use crate::tree::{self, Branch, Leaf};

/// Strings kept once, named by a small id (ui labels and answers repeat on every path).
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Interner {
    pub(crate) fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let name: Arc<str> = Arc::from(s);
        self.names.push(name.clone());
        self.ids.insert(name, i);
        i
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }
}

/// A starting state as the report orders them: fewer fixed subjects first, then by value.
pub(crate) type StartKey = (usize, Vec<(Subject, Value)>);

pub(crate) fn start_key(start: &[(Subject, Value)]) -> StartKey {
    (start.len(), start.to_vec())
}

/// One node of a starting state's tree while paths arrive: a UI with its answers so far, or a
/// leaf (an index into the leaf table).
#[derive(Debug)]
struct Node {
    /// Interned UI label (`u32::MAX`: none yet).
    ui: u32,
    /// Interned leaf (`u32::MAX`: none).
    leaf: u32,
    edges: Vec<Edge>,
}

#[derive(Debug)]
struct Edge {
    answer: u32,
    /// Some path took this answer as the first choice (not from its prefix): such an edge
    /// comes first, the others in answer order. That is the order in which the paths sorted by
    /// prefix would have created the edges.
    default: bool,
    child: Node,
}

const NONE: u32 = u32::MAX;

impl Default for Node {
    fn default() -> Node {
        Node::new()
    }
}

impl Node {
    fn new() -> Node {
        Node {
            ui: NONE,
            leaf: NONE,
            edges: Vec::new(),
        }
    }

    /// Inserts one path: (ui, answer, taken as first choice) steps, then its leaf. Replays are
    /// deterministic, so two paths with the same answers saw the same UIs; a conflict keeps the
    /// first.
    fn insert(&mut self, steps: &[(u32, u32, bool)], leaf: u32) {
        let mut node = self;
        for &(ui, answer, default) in steps {
            if node.leaf != NONE {
                return;
            }
            if node.ui == NONE {
                node.ui = ui;
            }
            let idx = match node.edges.iter().position(|e| e.answer == answer) {
                Some(i) => i,
                None => {
                    // Most nodes have one or two answers: no room kept for four.
                    node.edges.reserve_exact(1);
                    node.edges.push(Edge {
                        answer,
                        default,
                        child: Node::new(),
                    });
                    node.edges.len() - 1
                }
            };
            let e = &mut node.edges[idx];
            e.default |= default;
            node = &mut e.child;
        }
        if node.leaf == NONE && node.ui == NONE {
            node.leaf = leaf;
        }
    }

    fn build(&self, names: &Interner, leaves: &[Arc<Leaf>]) -> tree::Node {
        if self.leaf != NONE {
            let leaf = leaves
                .get(self.leaf as usize)
                .map(|l| Leaf::clone(l))
                .unwrap_or_else(empty_leaf);
            return tree::Node::Leaf(leaf);
        }
        let mut order: Vec<&Edge> = self.edges.iter().collect();
        order.sort_by(|a, b| {
            (!a.default, names.name(a.answer)).cmp(&(!b.default, names.name(b.answer)))
        });
        tree::Node::Ui {
            ui: if self.ui == NONE {
                String::new()
            } else {
                names.name(self.ui).to_string()
            },
            edges: order
                .into_iter()
                .map(|e| tree::Edge {
                    answers: vec![names.name(e.answer).to_string()],
                    child: e.child.build(names, leaves),
                })
                .collect(),
        }
    }
}

fn empty_leaf() -> Leaf {
    Leaf {
        succeeded: Vec::new(),
        failed: Vec::new(),
        page: String::new(),
        errors: Vec::new(),
        end: String::new(),
        findings: Default::default(),
        consent: Vec::new(),
        toasts: Vec::new(),
        render: None,
    }
}

/// The order among witnesses of one finding: the shortest (fewest fixed states and answers),
/// then the first in starting-state and prefix order.
type Rank = (usize, StartKey, usize, Vec<String>);

struct Best {
    rank: Rank,
    finding: Finding,
}

/// One finished path, as [`Fold::add`] takes it.
pub(crate) struct Path<'a> {
    pub start: &'a [(Subject, Value)],
    pub prefix: Vec<String>,
    pub hits: Vec<findings::Hit>,
    pub leaf: Leaf,
    /// (ui label, answer) of every answer given.
    pub steps: Vec<(String, String)>,
    /// Every answer given (only needed when there are hits).
    pub answers: Vec<String>,
    /// The readable transcript (only built when there are hits).
    pub transcript: Vec<String>,
    pub limit: bool,
    pub cut: bool,
}

/// Everything the report needs, folded path by path.
#[derive(Default)]
pub(crate) struct Fold {
    pub paths: usize,
    pub limit_paths: usize,
    pub cut_paths: usize,
    trees: BTreeMap<StartKey, Node>,
    leaves: Vec<Arc<Leaf>>,
    leaf_ids: HashMap<Arc<Leaf>, u32>,
    /// Paths per leaf id.
    leaf_paths: Vec<usize>,
    best: BTreeMap<(String, String), Best>,
    /// Labels and answers.
    pub names: Interner,
}

impl Fold {
    fn leaf_id(&mut self, leaf: Leaf) -> u32 {
        if let Some(&i) = self.leaf_ids.get(&leaf) {
            return i;
        }
        let i = u32::try_from(self.leaves.len()).unwrap_or(NONE - 1);
        let leaf = Arc::new(leaf);
        self.leaves.push(leaf.clone());
        self.leaf_ids.insert(leaf, i);
        self.leaf_paths.push(0);
        i
    }

    /// Folds one finished path in.
    pub(crate) fn add(&mut self, p: Path<'_>, replay: &str) {
        self.paths += 1;
        self.cut_paths += usize::from(p.cut);
        self.limit_paths += usize::from(p.limit);
        let mut leaf = p.leaf;
        let state: Vec<String> = if p.hits.is_empty() {
            Vec::new()
        } else {
            p.start.iter().map(|(s, v)| state_label(*s, *v)).collect()
        };
        let mut rank: Option<Rank> = None;
        for h in &p.hits {
            leaf.findings.insert(h.code.to_string());
            // A call site is its location; without one, the message tells sites apart.
            let key = (
                h.code.to_string(),
                h.location
                    .as_ref()
                    .map_or_else(|| h.message.clone(), ToString::to_string),
            );
            let r = rank
                .get_or_insert_with(|| {
                    (
                        state.len() + p.answers.len(),
                        start_key(p.start),
                        p.prefix.len(),
                        p.prefix.clone(),
                    )
                })
                .clone();
            if self.best.get(&key).is_some_and(|b| b.rank <= r) {
                continue;
            }
            let finding = Finding {
                code: h.code.to_string(),
                message: h.message.clone(),
                rule: h.code.basis(),
                answers: p.answers.clone(),
                state: state.clone(),
                replay: format!(
                    "{replay}{}{} --ephemeral",
                    replay_flags(p.start),
                    if p.answers.is_empty() {
                        String::new()
                    } else {
                        format!(" --answers {}", shell_quote(&p.answers.join(",")))
                    }
                ),
                location: h.location.clone(),
                transcript: p.transcript.clone(),
            };
            self.best.insert(key, Best { rank: r, finding });
        }
        let id = self.leaf_id(leaf);
        if let Some(n) = self.leaf_paths.get_mut(id as usize) {
            *n += 1;
        }
        let steps: Vec<(u32, u32, bool)> = p
            .steps
            .iter()
            .enumerate()
            .map(|(d, (ui, a))| (self.names.id(ui), self.names.id(a), d >= p.prefix.len()))
            .collect();
        let root = match self.trees.get_mut(&(p.start.len(), p.start.to_vec())) {
            Some(n) => n,
            None => self.trees.entry(start_key(p.start)).or_default(),
        };
        root.insert(&steps, id);
    }

    /// The report: trees merged per starting state, then equal starting states merged.
    pub(crate) fn report(self, truncated: bool) -> Report {
        let Fold {
            paths,
            limit_paths,
            cut_paths,
            trees,
            leaves,
            leaf_paths,
            best,
            names,
            ..
        } = self;
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for (l, n) in leaves.iter().zip(&leaf_paths) {
            if *n > 0 {
                *outcomes.entry(l.line()).or_default() += n;
            }
        }
        let starts: Vec<String> = trees.keys().map(|(_, s)| start_label(s)).collect();
        let mut merger = tree::BranchMerger::default();
        for ((_, s), node) in &trees {
            merger.push(Branch {
                starts: vec![start_label(s)],
                node: node.build(&names, &leaves),
            });
        }
        drop(trees);
        let mut findings: Vec<Finding> = best.into_values().map(|b| b.finding).collect();
        let rank = findings::rank;
        findings.sort_by(|a, b| {
            (rank(&a.code), &a.location, &a.message).cmp(&(rank(&b.code), &b.location, &b.message))
        });
        let mut outcomes: Vec<Outcome> = outcomes
            .into_iter()
            .map(|(outcome, paths)| Outcome { outcome, paths })
            .collect();
        outcomes.sort_by(|a, b| {
            b.paths
                .cmp(&a.paths)
                .then_with(|| a.outcome.cmp(&b.outcome))
        });
        Report {
            paths,
            findings,
            outcomes,
            limit_paths,
            cut_paths,
            starts,
            branches: merger.finish(),
            truncated,
            observed: Vec::new(),
        }
    }

    /// Bytes this fold holds for its trees, leaves and witnesses (an estimate from sizes and
    /// lengths, for tests that check the bound).
    pub(crate) fn retained_bytes(&self) -> usize {
        fn node(n: &Node) -> usize {
            n.edges.capacity() * std::mem::size_of::<Edge>()
                + n.edges.iter().map(|e| node(&e.child)).sum::<usize>()
        }
        let trees: usize = self
            .trees
            .iter()
            .map(|((_, s), n)| {
                std::mem::size_of::<(StartKey, Node)>()
                    + s.capacity() * std::mem::size_of::<(Subject, Value)>()
                    + node(n)
            })
            .sum();
        let leaves: usize = self
            .leaves
            .iter()
            .map(|l| 64 + l.line().len() + l.render.as_ref().map_or(0, String::len))
            .sum();
        let best: usize = self
            .best
            .values()
            .map(|b| {
                b.finding.transcript.iter().map(String::len).sum::<usize>()
                    + b.finding.replay.len()
                    + b.finding.message.len()
                    + 256
            })
            .sum();
        let names: usize = self.names.names.iter().map(|s| s.len() + 48).sum();
        trees + leaves + best + names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniperm_core::Scope;

    fn leaf(ok: &str) -> Leaf {
        Leaf {
            succeeded: vec![ok.to_string()],
            ..empty_leaf()
        }
    }

    /// Paths of a flow with a prompt (allow/deny) and, on deny, a modal (confirm/cancel), from
    /// two starting states; the deny paths have a finding.
    /// (starting state, prefix, answers given).
    type TestPath = (Vec<(Subject, Value)>, Vec<&'static str>, Vec<&'static str>);

    fn paths() -> Vec<TestPath> {
        let denied = vec![(Subject::Scope(Scope::Camera), Value::Denied)];
        vec![
            (vec![], vec![], vec!["allow"]),
            (vec![], vec!["deny"], vec!["deny", "confirm"]),
            (vec![], vec!["deny", "cancel"], vec!["deny", "cancel"]),
            (denied.clone(), vec![], vec!["confirm"]),
            (denied, vec!["cancel"], vec!["cancel"]),
        ]
    }

    fn fold(order: &[usize]) -> Report {
        let all = paths();
        let mut f = Fold::default();
        for &i in order {
            let (start, prefix, answers) = &all[i];
            let ui = |a: &str| match a {
                "allow" | "deny" => "authorize scope.camera",
                _ => "modal 需要相机",
            };
            let denied = answers.first() != Some(&"allow");
            f.add(
                Path {
                    start,
                    prefix: prefix.iter().map(|s| s.to_string()).collect(),
                    hits: if denied {
                        vec![findings::Hit {
                            code: miniperm_core::FindingCode::SilentDeny,
                            message: "m".into(),
                            location: None,
                        }]
                    } else {
                        Vec::new()
                    },
                    leaf: leaf(if denied { "none" } else { "authorize" }),
                    steps: answers
                        .iter()
                        .map(|a| (ui(a).to_string(), a.to_string()))
                        .collect(),
                    answers: answers.iter().map(|s| s.to_string()).collect(),
                    transcript: vec![format!("path {i}")],
                    limit: false,
                    cut: false,
                },
                "miniperm run x",
            );
        }
        f.report(false)
    }

    #[test]
    fn the_report_does_not_depend_on_the_order_paths_arrive_in() {
        let sorted = fold(&[0, 1, 2, 3, 4]);
        for order in [[4, 3, 2, 1, 0], [2, 4, 0, 3, 1], [3, 1, 4, 2, 0]] {
            let r = fold(&order);
            assert_eq!(r.text_tree(), sorted.text_tree(), "{order:?}");
            assert_eq!(r.findings, sorted.findings, "{order:?}");
            assert_eq!(r.findings[0].transcript, sorted.findings[0].transcript);
            assert_eq!(r.outcomes, sorted.outcomes, "{order:?}");
            assert_eq!(r.starts, sorted.starts, "{order:?}");
        }
        // The first choice first, then the other answers; the shortest witness.
        let text = sorted.text_tree();
        assert!(
            text.find("allow").unwrap() < text.find("deny").unwrap(),
            "{text}"
        );
        assert!(
            text.find("confirm").unwrap() < text.find("cancel").unwrap(),
            "{text}"
        );
        // `deny,confirm` from the fresh start and `confirm` from `denied` both cost 2: the
        // fresh start (fewer fixed states) comes first.
        assert_eq!(sorted.findings[0].answers, vec!["deny", "confirm"]);
        assert_eq!(sorted.findings[0].transcript, vec!["path 1"]);
    }
}
