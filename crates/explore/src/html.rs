//! A self-contained HTML report: the outcome tree drawn as SVG diagrams (one per starting
//! state) and the findings with their replay commands. No scripts, fonts or network.

use crate::tree::{Branch, Node};
use crate::{Finding, Report};

const COL: f64 = 230.0;
const ROW: f64 = 96.0;
const BOX_W: f64 = 210.0;
const BOX_H: f64 = 46.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

struct Svg {
    body: String,
    width: f64,
    height: f64,
}

/// Lays a node out over leaf columns starting at `col`; returns the node's centre x.
fn draw(node: &Node, col: f64, depth: usize, svg: &mut Svg) -> f64 {
    let y = 20.0 + depth as f64 * ROW;
    svg.height = svg.height.max(y + BOX_H + 20.0);
    match node {
        Node::Leaf(l) => {
            let x = col * COL + COL / 2.0;
            svg.width = svg.width.max(x + COL / 2.0);
            let bad = !l.findings.is_empty() || !l.errors.is_empty();
            let fill = if bad {
                "#fde2e1"
            } else if l.succeeded.is_empty() {
                "#eef0f3"
            } else {
                "#dff5e3"
            };
            let title = esc(&l.line());
            let first = if l.succeeded.is_empty() {
                "nothing granted".to_string()
            } else {
                format!("✓ {}", l.succeeded.join(", "))
            };
            let second = if l.findings.is_empty() {
                format!("page {}", l.page)
            } else {
                l.findings.iter().cloned().collect::<Vec<_>>().join(", ")
            };
            svg.body.push_str(&format!(
                "<g><title>{title}</title><rect x=\"{:.0}\" y=\"{y:.0}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"{fill}\" stroke=\"#8a94a6\"/>\
<text x=\"{x:.0}\" y=\"{:.0}\" class=\"t\">{}</text><text x=\"{x:.0}\" y=\"{:.0}\" class=\"s{}\">{}</text></g>\n",
                x - BOX_W / 2.0,
                y + 19.0,
                esc(&clip(&first, 30)),
                y + 36.0,
                if l.findings.is_empty() { "" } else { " bad" },
                esc(&clip(&second, 34)),
            ));
            x
        }
        Node::Ui { ui, edges } => {
            let mut c = col;
            let mut xs = Vec::new();
            for e in edges {
                let cx = draw(&e.child, c, depth + 1, svg);
                xs.push((cx, e));
                c += e.child.leaves() as f64;
            }
            let x = match (xs.first(), xs.last()) {
                (Some(a), Some(b)) => (a.0 + b.0) / 2.0,
                _ => col * COL + COL / 2.0,
            };
            for (cx, e) in &xs {
                let y2 = y + ROW;
                svg.body.push_str(&format!(
                    "<path d=\"M{x:.0},{:.0} C{x:.0},{:.0} {cx:.0},{:.0} {cx:.0},{y2:.0}\" class=\"edge\"/>\
<text x=\"{:.0}\" y=\"{:.0}\" class=\"a\">{}</text>\n",
                    y + BOX_H,
                    y + BOX_H + 25.0,
                    y2 - 25.0,
                    // Near the child, so sibling labels do not crowd at the parent.
                    x * 0.3 + cx * 0.7,
                    y2 - 12.0,
                    esc(&clip(&e.answers.join(" | "), 34)),
                ));
            }
            svg.body.push_str(&format!(
                "<g><title>{}</title><rect x=\"{:.0}\" y=\"{y:.0}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"#e3ecfb\" stroke=\"#4a6fa5\"/>\
<text x=\"{x:.0}\" y=\"{:.0}\" class=\"t\">{}</text></g>\n",
                esc(ui),
                x - BOX_W / 2.0,
                y + 28.0,
                esc(&clip(ui, 30)),
            ));
            x
        }
    }
}

fn branch_svg(b: &Branch) -> String {
    let mut svg = Svg {
        body: String::new(),
        width: COL,
        height: ROW,
    };
    draw(&b.node, 0.0, 0, &mut svg);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.0} {:.0}\">\n{}</svg>",
        svg.width, svg.height, svg.width, svg.height, svg.body
    )
}

fn finding_row(f: &Finding) -> String {
    format!(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code class=\"cmd\">{}</code></td></tr>\n",
        esc(&f.code),
        esc(&f.message),
        esc(&f.rule),
        if f.state.is_empty() {
            "fresh".to_string()
        } else {
            esc(&f.state.join(" "))
        },
        esc(&f.answers.join(", ")),
        esc(&f.replay),
    )
}

/// Renders the whole report as one HTML document.
pub fn render(report: &Report, title: &str) -> String {
    let mut trees = String::new();
    for b in &report.branches {
        trees.push_str(&format!(
            "<section><h3>start: {}</h3><div class=\"scroll\">{}</div></section>\n",
            esc(&b.starts.join("  |  ")),
            branch_svg(b)
        ));
    }
    let findings = if report.findings.is_empty() {
        "<p class=\"ok\">No findings: every path ends somewhere sensible.</p>".to_string()
    } else {
        let rows: String = report.findings.iter().map(finding_row).collect();
        format!(
            "<table><thead><tr><th>code</th><th>message</th><th>rule</th><th>starting state</th><th>answers</th><th>replay</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>miniperm explore: {t}</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#1d2433;background:#fafbfc}}
h1{{font-size:20px;margin:0 0 4px}} h2{{font-size:16px;margin:28px 0 8px}} h3{{font-size:13px;font-weight:600;color:#4a5568;margin:18px 0 6px}}
.summary{{color:#4a5568}} .ok{{color:#1e7b34}}
table{{border-collapse:collapse;width:100%;background:#fff}} th,td{{border:1px solid #d9dee7;padding:6px 8px;text-align:left;vertical-align:top}}
th{{background:#f1f4f8}} code{{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}} .cmd{{overflow-wrap:anywhere}} td:last-child{{min-width:24em}} td{{overflow-wrap:anywhere}} td:first-child{{white-space:nowrap;overflow-wrap:normal}}
.scroll{{overflow-x:auto;background:#fff;border:1px solid #d9dee7;border-radius:6px;padding:6px}}
svg .t{{font-size:12px;text-anchor:middle;fill:#1d2433}} svg .s{{font-size:11px;text-anchor:middle;fill:#4a5568}} svg .bad{{fill:#b42318;font-weight:600}}
svg .a{{font-size:11px;text-anchor:middle;fill:#2f4f7f}} svg .edge{{fill:none;stroke:#8a94a6;stroke-width:1.4}}
</style></head><body>
<h1>miniperm explore: {t}</h1>
<p class="summary">{paths} paths run · {nf} findings · {nb} distinct outcome trees</p>
<h2>Findings</h2>
{findings}
<h2>Outcome tree</h2>
<p class="summary">Blue boxes are native UIs, edges are the user's answers, green leaves end with a guarded API granted, grey ones without, red ones with a finding.</p>
{trees}
</body></html>
"#,
        t = esc(title),
        paths = report.paths,
        nf = report.findings.len(),
        nb = report.branches.len(),
    )
}
