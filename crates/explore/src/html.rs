//! A self-contained HTML report: a header (command, version, duration, paths, cut or not), the
//! findings linked to the paths that show them (and back), each with its path's transcript, and
//! the outcome tree as nested `<details>` that stay readable at thousands of paths (collapsed
//! past depth 3). One small inline script filters the tree by outcome, finding or text; the
//! page works without it. No fonts or network.
//!
//! With [`Screens`] ([`render_with_screens`]), each outcome leaf also shows the final page of
//! its path as the phone draws it (issue 20): a thumbnail that opens full size beside that
//! path's transcript. The leaf's path (its branch's first starting state, each edge's first
//! answer) is run again with [`RunConfig::screen`](miniperm_runtime::RunConfig::screen); the
//! caller draws the screen (miniperm-view) into one HTML document, inlined once however many
//! leaves show it, and shown in `<iframe sandbox srcdoc>` (no script, no network, no way out).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use miniperm_consent::MemoryStore;
use miniperm_core::{Subject, Value};
use miniperm_runtime::{Event, Project, RunConfig, render_human};
use serde_json::Value as Json;

use crate::Finding;
use crate::format::{Baseline, Meta};
use crate::runner::ReplayUser;
use crate::session::{Entry, Explored};
use crate::tree::{Branch, Leaf, Node};

/// Most leaves that get a screen (each is one more run); the others say they have none.
pub const MAX_SCREENS: usize = 300;

/// What the report needs to draw each outcome's final page.
pub struct Screens<'a> {
    pub project: &'a Project,
    /// The configuration explore ran with (its starting states come from each branch).
    pub base: &'a RunConfig,
    /// The entry points, in the order of [`Explored::entries`].
    pub entries: &'a [Entry],
    /// Draws a run's screen as one HTML document (`None`: nothing to draw).
    pub paint: &'a dyn Fn(&Json) -> Option<String>,
    /// The drawn phone's size in CSS px (the thumbnails' aspect).
    pub size: (i64, i64),
}

/// The screens of one report: documents and transcripts stored once, and which leaf shows which.
#[derive(Default)]
struct Shots {
    docs: Vec<String>,
    doc_ids: HashMap<String, usize>,
    /// Each transcript as indices into `lines` (paths share most of their lines).
    transcripts: Vec<Vec<usize>>,
    tr_ids: HashMap<Vec<usize>, usize>,
    lines: Vec<String>,
    line_ids: HashMap<String, usize>,
    /// (entry, branch, edge path) → (document, transcript).
    at: BTreeMap<(usize, usize, Vec<usize>), (usize, usize)>,
    /// Leaves left without a screen (past [`MAX_SCREENS`]).
    skipped: usize,
    size: (i64, i64),
}

/// A branch label's starting states (`scope.x=denied, os.camera=not-determined`), as explore
/// wrote them (`start_label`); the fresh start is none.
fn parse_start(label: &str) -> Vec<(Subject, Value)> {
    let mut out = Vec::new();
    for part in label.split(", ") {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let Ok(subject) = Subject::parse(k) else {
            continue;
        };
        let value = match subject {
            Subject::Os(_) => Value::parse_os(&v.replace('-', " ")),
            _ => Value::parse(v),
        };
        if let Some(value) = value {
            out.push((subject, value));
        }
    }
    out
}

fn intern<T: Clone + Eq + std::hash::Hash>(
    list: &mut Vec<T>,
    ids: &mut HashMap<T, usize>,
    s: T,
) -> usize {
    if let Some(i) = ids.get(&s) {
        return *i;
    }
    list.push(s.clone());
    ids.insert(s, list.len() - 1);
    list.len() - 1
}

/// Every leaf of `node` with its edge path and the answers (each edge's first) leading to it.
fn leaves_of(
    node: &Node,
    path: &mut Vec<usize>,
    answers: &mut Vec<String>,
    out: &mut Vec<(Vec<usize>, Vec<String>)>,
) {
    match node {
        Node::Leaf(_) => out.push((path.clone(), answers.clone())),
        Node::Ui { edges, .. } => {
            for (i, e) in edges.iter().enumerate() {
                path.push(i);
                answers.push(e.answers.first().cloned().unwrap_or_default());
                leaves_of(&e.child, path, answers, out);
                answers.pop();
                path.pop();
            }
        }
    }
}

fn shoot(ex: &Explored, src: &Screens<'_>) -> Shots {
    let mut shots = Shots {
        size: src.size,
        ..Shots::default()
    };
    let mut budget = MAX_SCREENS;
    for (ei, e) in ex.entries.iter().enumerate() {
        let Some(entry) = src.entries.get(ei) else {
            continue;
        };
        for (bi, b) in e.report.branches.iter().enumerate() {
            let mut found = Vec::new();
            leaves_of(&b.node, &mut Vec::new(), &mut Vec::new(), &mut found);
            for (path, answers) in found {
                if budget == 0 {
                    shots.skipped += 1;
                    continue;
                }
                budget -= 1;
                let mut cfg = src.base.clone();
                cfg.page = entry.page.clone();
                cfg.taps = entry.taps.clone();
                cfg.screen = true;
                cfg.render = false;
                cfg.initial
                    .extend(parse_start(b.starts.first().map_or("", String::as_str)));
                let mut user = ReplayUser::new(&answers, answers.len());
                let Ok(out) =
                    miniperm_runtime::run(src.project, &cfg, &mut MemoryStore::new(), &mut user)
                else {
                    continue;
                };
                let Some(doc) = out.screen.as_ref().and_then(|s| (src.paint)(s)) else {
                    continue;
                };
                let transcript: Vec<usize> = out
                    .events
                    .iter()
                    .filter(|e| !matches!(e, Event::Render { .. }))
                    .map(|e| {
                        intern(
                            &mut shots.lines,
                            &mut shots.line_ids,
                            render_human(e, false),
                        )
                    })
                    .collect();
                let d = intern(&mut shots.docs, &mut shots.doc_ids, doc);
                let t = intern(&mut shots.transcripts, &mut shots.tr_ids, transcript);
                shots.at.insert((ei, bi, path), (d, t));
            }
        }
    }
    shots
}

/// JSON for a `<script type="application/json">`: no `<`, `>` or `&` left to end the element.
fn script_json(v: &Json) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Levels of the tree open by default (the start, then the first UIs).
const OPEN_DEPTH: usize = 3;
/// Starting-state branches open by default.
const OPEN_BRANCHES: usize = 4;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The start label a finding's state maps to (as the tree's branches name starts).
fn start_of(f: &Finding) -> String {
    if f.state.is_empty() {
        "fresh (every scope unset, os authorized)".into()
    } else {
        f.state.join(", ")
    }
}

/// The leaf a finding's witness path ends at: (branch index, edge indices).
fn witness(branches: &[Branch], f: &Finding) -> Option<(usize, Vec<usize>)> {
    let start = start_of(f);
    let b = branches.iter().position(|b| b.starts.contains(&start))?;
    let mut node = &branches[b].node;
    let mut path = Vec::new();
    let mut answers = f.answers.iter();
    while let Node::Ui { edges, .. } = node {
        let a = answers.next()?;
        let i = edges.iter().position(|e| e.answers.contains(a))?;
        path.push(i);
        node = &edges[i].child;
    }
    Some((b, path))
}

fn leaf_class(l: &Leaf) -> &'static str {
    if !l.findings.is_empty() || !l.errors.is_empty() {
        "bad"
    } else if l.end.starts_with("cut") || l.end.starts_with("tap target") {
        "cut"
    } else if l.succeeded.is_empty() {
        "none"
    } else {
        "ok"
    }
}

struct Tree<'s> {
    /// (entry, branch, edge path) → finding ids witnessed there.
    marks: BTreeMap<(usize, usize, Vec<usize>), Vec<usize>>,
    shots: Option<&'s Shots>,
    out: String,
    entry: usize,
    branch: usize,
}

impl Tree<'_> {
    /// One node; `lead` (the answer that led here) goes on the node's own line.
    fn node(&mut self, node: &Node, depth: usize, path: &mut Vec<usize>, lead: &str) {
        match node {
            Node::Leaf(l) => {
                let key = (self.entry, self.branch, path.clone());
                let ids = self.marks.get(&key).cloned().unwrap_or_default();
                let anchor = ids
                    .first()
                    .map(|i| format!(" id=\"p{i}\""))
                    .unwrap_or_default();
                let back: String = ids
                    .iter()
                    .map(|i| format!(" <a class=\"fl\" href=\"#f{i}\">finding {}</a>", i + 1))
                    .collect();
                let codes: Vec<&str> = l.findings.iter().map(String::as_str).collect();
                let shot = self
                    .shots
                    .and_then(|s| s.at.get(&key))
                    .map(|(d, t)| {
                        format!(
                            " <button type=\"button\" class=\"shot\" data-s=\"{d}\" data-t=\"{t}\" aria-label=\"the final page of this path, full size\" title=\"the final page of this path\"></button>"
                        )
                    })
                    .unwrap_or_default();
                let _ = write!(
                    self.out,
                    "{lead}<span class=\"leaf {}\" data-f=\"{}\"{anchor}>{}</span>{shot}{back}",
                    leaf_class(l),
                    esc(&codes.join(" ")),
                    esc(&l.line())
                );
            }
            Node::Ui { ui, edges } => {
                let open = if depth < OPEN_DEPTH { " open" } else { "" };
                let _ = write!(
                    self.out,
                    "<details{open}><summary>{lead}<span class=\"ui\">{}</span> <span class=\"n\">{}</span></summary><ul>",
                    esc(ui),
                    leaves(node.leaves())
                );
                for (i, e) in edges.iter().enumerate() {
                    path.push(i);
                    let lead = format!(
                        "<span class=\"ans\">{}</span> → ",
                        esc(&e.answers.join(" | "))
                    );
                    self.out.push_str("<li>");
                    self.node(&e.child, depth + 1, path, &lead);
                    self.out.push_str("</li>");
                    path.pop();
                }
                self.out.push_str("</ul></details>");
            }
        }
    }
}

fn leaves(n: usize) -> String {
    if n == 1 {
        "1 leaf".into()
    } else {
        format!("{n} leaves")
    }
}

/// A branch's starting states: the first few, and how many more (all of them on hover, up to a
/// bound).
fn starts_label(starts: &[String]) -> String {
    const SHOWN: usize = 2;
    if starts.len() <= SHOWN {
        return esc(&starts.join("  |  "));
    }
    let title: Vec<&str> = starts.iter().take(200).map(String::as_str).collect();
    format!(
        "<span title=\"{}\">{}</span> <span class=\"n\">and {} more starting states</span>",
        esc(&title.join("\n")),
        esc(&starts[..SHOWN].join("  |  ")),
        starts.len() - SHOWN
    )
}

/// Renders the whole report as one HTML document.
pub fn render(ex: &Explored, meta: &Meta, baseline: &Baseline) -> String {
    render_with_screens(ex, meta, baseline, None)
}

/// [`render`], with each outcome's final page drawn when `screens` is given.
pub fn render_with_screens(
    ex: &Explored,
    meta: &Meta,
    baseline: &Baseline,
    screens: Option<&Screens<'_>>,
) -> String {
    let shots = screens.map(|src| shoot(ex, src));
    let findings = ex.findings();
    let mut marks: BTreeMap<(usize, usize, Vec<usize>), Vec<usize>> = BTreeMap::new();
    let mut fi = 0usize;
    let mut linked = vec![false; findings.len()];
    for (ei, e) in ex.entries.iter().enumerate() {
        for f in &e.report.findings {
            if let Some((b, p)) = witness(&e.report.branches, f) {
                marks.entry((ei, b, p)).or_default().push(fi);
                linked[fi] = true;
            }
            fi += 1;
        }
    }

    // Findings.
    let mut fs = String::new();
    if findings.is_empty() {
        fs.push_str("<p class=\"okmsg\">No findings: every path ends somewhere sensible.</p>");
    }
    for (i, (label, f)) in findings.iter().enumerate() {
        let at = f
            .location
            .as_ref()
            .map_or_else(|| "(no location)".into(), ToString::to_string);
        let accepted = if baseline.accepts(f) {
            " <span class=\"acc\">accepted in baseline</span>"
        } else {
            ""
        };
        let entry = if ex.multi() {
            format!(" <span class=\"n\">[{}]</span>", esc(label))
        } else {
            String::new()
        };
        let path_link = if linked[i] {
            format!(" · <a href=\"#p{i}\">show the path in the tree</a>")
        } else {
            String::new()
        };
        let _ = write!(
            fs,
            "<div class=\"finding\" id=\"f{i}\"><div class=\"fh\"><code class=\"code\">{}</code> <code class=\"loc\">{}</code>{entry}{accepted}</div>\
<p>{} <span class=\"n\">({})</span></p>\
<p class=\"n\">start: {} · answers: {}{path_link}</p>\
<pre class=\"cmd\">{}</pre>\
<details><summary>transcript of this path</summary><pre class=\"tr\">{}</pre></details></div>",
            esc(&f.code),
            esc(&at),
            esc(&f.message),
            esc(&f.rule),
            esc(&start_of(f)),
            if f.answers.is_empty() {
                "none".to_string()
            } else {
                esc(&f.answers.join(", "))
            },
            esc(&f.replay),
            esc(&f.transcript.join("\n")),
        );
        fs.push('\n');
    }

    // The tree.
    let mut tree = Tree {
        marks,
        shots: shots.as_ref(),
        out: String::new(),
        entry: 0,
        branch: 0,
    };
    let mut opened = 0usize;
    for (ei, e) in ex.entries.iter().enumerate() {
        tree.entry = ei;
        if ex.multi() {
            let _ = write!(
                tree.out,
                "<h3>{} <span class=\"n\">{} paths</span></h3>",
                esc(&e.label),
                e.report.paths
            );
        }
        tree.out.push_str("<ul class=\"top\">");
        for (bi, b) in e.report.branches.iter().enumerate() {
            tree.branch = bi;
            let open = if opened < OPEN_BRANCHES { " open" } else { "" };
            opened += 1;
            let _ = write!(
                tree.out,
                "<li><details{open}><summary><span class=\"start\">start</span> {} <span class=\"n\">{}</span></summary><ul><li>",
                starts_label(&b.starts),
                leaves(b.node.leaves())
            );
            tree.node(&b.node, 1, &mut Vec::new(), "");
            tree.out.push_str("</li></ul></details></li>");
        }
        tree.out.push_str("</ul>");
    }

    let mut codes: Vec<&str> = findings.iter().map(|(_, f)| f.code.as_str()).collect();
    codes.sort_by_key(|c| crate::findings::rank(c));
    codes.dedup();
    let options: String = codes
        .iter()
        .map(|c| format!("<option value=\"{0}\">finding {0}</option>", esc(c)))
        .collect();
    let cut = if ex.truncated() {
        "<span class=\"warn\">cut by --max-paths: not every path ran</span>"
    } else {
        "<span class=\"okmsg\">complete: every path ran</span>"
    };
    let title = format!("miniperm explore {}", meta.project);
    let size = shots.as_ref().map_or((375, 667), |s| s.size);
    let thumb = (
        (size.0 as f64 * THUMB_SCALE).ceil() as i64,
        (size.1 as f64 * THUMB_SCALE).ceil() as i64,
    );
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{t}</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;color:#1d2433;background:#f6f7f9}}
main{{max-width:1200px;margin:0 auto;padding:20px 24px 60px}}
h1{{font-size:20px;margin:0 0 6px}} h2{{font-size:16px;margin:26px 0 10px}} h3{{font-size:14px;margin:16px 0 6px}}
.meta{{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;color:#4a5568;font-size:13px;margin:0}}
.meta dt{{font-weight:600}} .meta dd{{margin:0;overflow-wrap:anywhere}}
code,pre{{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}}
.n{{color:#6b7280;font-size:12px}} .okmsg{{color:#1e7b34}} .warn{{color:#b42318;font-weight:600}}
.finding{{background:#fff;border:1px solid #d9dee7;border-left:4px solid #d92d20;border-radius:6px;padding:8px 12px;margin:0 0 10px}}
.finding:target{{outline:2px solid #4a6fa5}} .finding p{{margin:4px 0}}
.code{{font-weight:700;color:#b42318}} .loc{{background:#eef2f7;padding:1px 5px;border-radius:4px}}
.acc{{background:#fef3c7;color:#92400e;font-size:12px;padding:1px 6px;border-radius:4px}}
pre.cmd{{background:#f1f4f8;padding:6px 8px;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}}
pre.tr{{background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;overflow-x:auto;max-height:420px}}
.bar{{position:sticky;top:0;background:#f6f7f9;padding:8px 0;display:flex;gap:8px;align-items:center;border-bottom:1px solid #e5e7eb;z-index:1}}
.bar input,.bar select{{font:inherit;padding:3px 6px}}
#tree{{background:#fff;border:1px solid #d9dee7;border-radius:6px;padding:8px 12px}}
#tree ul{{list-style:none;margin:0;padding-left:18px;border-left:1px dotted #c4cad4}} #tree ul.top{{padding-left:0;border:0}}
#tree li{{margin:2px 0}} summary{{cursor:pointer}}
.ui{{color:#1e40af;font-weight:600}} .start{{background:#e3ecfb;color:#1e3a8a;border-radius:4px;padding:0 5px;font-size:12px}}
.ans{{color:#0f766e;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}}
.leaf{{padding:0 5px;border-radius:4px;scroll-margin-top:64px}} .leaf.ok{{background:#dff5e3}} .leaf.none{{background:#eef0f3}}
.leaf.bad{{background:#fde2e1;color:#7a1c14}} .leaf.cut{{background:#fef3c7}}
.leaf:target{{outline:2px solid #4a6fa5}} a.fl{{font-size:12px;margin-left:6px}}
button.shot{{display:inline-block;vertical-align:top;margin:2px 0 4px 8px;padding:0;border:1px solid #c4cad4;border-radius:6px;background:#fff;cursor:zoom-in;overflow:hidden;width:{tw}px;height:{th}px}}
button.shot:focus-visible,#shotbox button:focus-visible{{outline:3px solid #1a73e8;outline-offset:2px}}
button.shot iframe{{border:0;width:{sw}px;height:{sh}px;transform:scale({k});transform-origin:0 0;pointer-events:none;display:block}}
#shotbox{{border:0;border-radius:8px;padding:12px;max-width:calc(100vw - 24px);max-height:calc(100vh - 24px)}}
#shotbox::backdrop{{background:rgba(0,0,0,.5)}}
#shotbox .sb{{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}}
#shotbox iframe{{border:1px solid #d9dee7;width:{sw}px;height:{sh}px;max-width:100%}}
#shotbox pre{{flex:1 1 320px;min-width:0;overflow-wrap:anywhere;max-height:{sh}px;overflow:auto;margin:0;background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;white-space:pre-wrap}}
</style></head><body><main>
<h1>{t}</h1>
<dl class="meta"><dt>command</dt><dd><code>{cmd}</code></dd><dt>miniperm</dt><dd>{ver}</dd>
<dt>paths</dt><dd>{paths} in {secs:.1} s · {cut}</dd><dt>findings</dt><dd>{nf}</dd></dl>
<h2>Findings</h2>
{fs}
<h2>Outcome tree</h2>
<div class="bar"><label>show <select id="k"><option value="">every path</option><option value="bad">with a finding or error</option><option value="ok">ending with something granted</option><option value="none">ending with nothing granted</option><option value="cut">cut or stopped</option>{options}</select></label>
<input id="q" type="search" placeholder="filter by text" size="28"> <span class="n" id="cnt"></span></div>
<p class="n">Blue: a native UI; teal: the user's answers; green leaves end with a guarded api granted, grey without, red with a finding, yellow cut. Levels past {od} start folded.</p>
<div id="tree">{tree}</div>{shotnote}
</main>
<dialog id="shotbox" aria-label="the final page of a path"><div class="sb"><iframe sandbox="" tabindex="-1" title="the final page, as the phone draws it"></iframe><pre tabindex="0" aria-label="transcript of this path"></pre></div><p><button type="button" id="shotclose" autofocus>close</button></p></dialog>
<script type="application/json" id="screens">{screens}</script>
<script>
(function(){{var q=document.getElementById('q'),k=document.getElementById('k'),c=document.getElementById('cnt');
function run(){{var t=q.value.toLowerCase(),v=k.value,n=0,all=document.querySelectorAll('#tree .leaf');
all.forEach(function(l){{var f=(l.getAttribute('data-f')||'').split(' ');
var hit=(!t||l.textContent.toLowerCase().indexOf(t)>=0)&&(!v||l.classList.contains(v)||f.indexOf(v)>=0);
l.parentElement.hidden=!hit;if(hit)n++;}});
var ds=[].slice.call(document.querySelectorAll('#tree details')).reverse();
ds.forEach(function(d){{var vis=!!d.querySelector('li:not([hidden]) > .leaf');d.parentElement.hidden=!vis;if(t||v)d.open=vis;}});
c.textContent=(t||v)?n+' of '+all.length+' leaves':'';}}
q.addEventListener('input',run);k.addEventListener('change',run);}})();
(function(){{var el=document.getElementById('screens');var data=JSON.parse(el.textContent||'null');if(!data||!data.docs.length)return;
var box=document.getElementById('shotbox'),big=box.querySelector('iframe'),tr=box.querySelector('pre');
function frame(b){{if(b.firstChild)return;var f=document.createElement('iframe');f.setAttribute('sandbox','');f.setAttribute('tabindex','-1');f.setAttribute('aria-hidden','true');f.setAttribute('loading','lazy');f.srcdoc=data.docs[+b.dataset.s];b.appendChild(f);}}
var shots=[].slice.call(document.querySelectorAll('button.shot'));
if('IntersectionObserver' in window){{var io=new IntersectionObserver(function(es){{es.forEach(function(e){{if(e.isIntersecting){{frame(e.target);io.unobserve(e.target);}}}});}});shots.forEach(function(b){{io.observe(b);}});}}else shots.forEach(frame);
shots.forEach(function(b){{b.addEventListener('click',function(){{big.srcdoc=data.docs[+b.dataset.s];tr.textContent=data.tr[+b.dataset.t].map(function(i){{return data.lines[i];}}).join('\n');if(box.showModal)box.showModal();else box.setAttribute('open','');document.getElementById('shotclose').focus();}});}});
document.getElementById('shotclose').addEventListener('click',function(){{box.close();}});}})();
</script>
</body></html>
"#,
        t = esc(&title),
        cmd = esc(&meta.command),
        ver = esc(&meta.version),
        paths = ex.paths(),
        secs = ex.duration.as_secs_f64(),
        nf = findings.len(),
        od = OPEN_DEPTH,
        tree = tree.out,
        screens = shots.as_ref().map_or_else(
            || "null".to_string(),
            |s| {
                script_json(
                    &serde_json::json!({"docs": s.docs, "lines": s.lines, "tr": s.transcripts}),
                )
            }
        ),
        shotnote = match &shots {
            Some(s) if s.skipped > 0 => format!(
                "<p class=\"n\">{} more leaves have no picture of their final page (at most {MAX_SCREENS} are drawn).</p>",
                s.skipped
            ),
            _ => String::new(),
        },
        sw = size.0,
        sh = size.1,
        tw = thumb.0,
        th = thumb.1,
        k = THUMB_SCALE,
    )
}

/// Thumbnails are the phone at this scale.
const THUMB_SCALE: f64 = 0.2;
