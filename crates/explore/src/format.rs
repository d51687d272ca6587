//! The report of an invocation in every format: text for a terminal (findings first, the tree
//! only while it is short), the JSON document (`docs/schemas/explore-report.schema.json`), SARIF 2.1.0
//! for code scanning, JUnit XML for CI test views, and the baseline of accepted findings.

use std::collections::BTreeMap;
use std::io::Write as _;

use miniperm_runtime::escape_controls;
use serde_json::{Value as Json, json};

use crate::findings::codes;
use crate::findings::{describe, rule_of};
use crate::session::Explored;
use crate::{Finding, tree};

/// The version of the `--json` document's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The text tree is printed while it has at most this many lines (unless forced).
pub const TREE_LINES: usize = 60;

/// Facts about the invocation every format shows.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// The command line, as typed.
    pub command: String,
    /// The project argument (SARIF paths are relative to the directory it was run from).
    pub project: String,
    pub version: String,
}

/// How the text form shows the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeMode {
    /// The tree while it fits in [`TREE_LINES`], else the summary.
    Auto,
    Tree,
    Summary,
}

/// Findings accepted earlier: matched by code and location (by code and message when a finding
/// has no location).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    keys: Vec<(String, String)>,
}

fn key(f: &Finding) -> (String, String) {
    (
        f.code.clone(),
        f.location
            .as_ref()
            .map_or_else(|| f.message.clone(), ToString::to_string),
    )
}

impl Baseline {
    /// Reads a baseline: any JSON document with a `findings` array of objects with `code` and
    /// `location` (`{file, line, column}`) or `message` — so `--json` output is a baseline.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let doc: Json = serde_json::from_str(text).map_err(|e| format!("not json: {e}"))?;
        let list = doc
            .get("findings")
            .and_then(Json::as_array)
            .ok_or("no `findings` array")?;
        let mut keys = Vec::new();
        for f in list {
            let code = f
                .get("code")
                .and_then(Json::as_str)
                .ok_or("a finding without `code`")?;
            let at = match f.get("location") {
                Some(l @ Json::Object(_)) => {
                    let loc: crate::Location = serde_json::from_value(l.clone())
                        .map_err(|e| format!("bad `location`: {e}"))?;
                    loc.to_string()
                }
                _ => f
                    .get("message")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            keys.push((code.to_string(), at));
        }
        Ok(Baseline { keys })
    }

    pub fn accepts(&self, f: &Finding) -> bool {
        self.keys.contains(&key(f))
    }
}

/// The findings not accepted by the baseline.
pub fn new_findings<'a>(ex: &'a Explored, baseline: &Baseline) -> Vec<(&'a str, &'a Finding)> {
    ex.findings()
        .into_iter()
        .filter(|(_, f)| !baseline.accepts(f))
        .collect()
}

fn where_(f: &Finding) -> String {
    f.location
        .as_ref()
        .map_or_else(|| "(no location)".to_string(), ToString::to_string)
}

/// The text report: findings first, then the tree or a summary, then one totals line.
pub fn text(ex: &Explored, baseline: &Baseline, mode: TreeMode) -> String {
    let mut out = String::new();
    let all = ex.findings();
    if all.is_empty() {
        out.push_str("no findings\n");
    } else {
        out.push_str(&format!("findings ({}):\n", all.len()));
        for (label, f) in &all {
            let entry = if ex.multi() {
                format!("  [{label}]")
            } else {
                String::new()
            };
            let accepted = if baseline.accepts(f) {
                "  (accepted in baseline)"
            } else {
                ""
            };
            // Text from the mini-program (messages, file names, answers) is escaped: a
            // terminal shows the report, and the program must not drive it.
            out.push_str(&format!(
                "  {}  {}{}{accepted}\n",
                f.code,
                escape_controls(&where_(f)),
                escape_controls(&entry)
            ));
            out.push_str(&format!(
                "    {} ({})\n",
                escape_controls(&f.message),
                f.rule
            ));
            out.push_str(&format!("    replay: {}\n", escape_controls(&f.replay)));
        }
    }
    out.push('\n');
    // Counted first: a tree too long to print (100,000 paths make hundreds of thousands of
    // lines) is never built as text.
    let lines: usize = ex
        .entries
        .iter()
        .map(|e| usize::from(ex.multi()) + tree::text_lines(&e.report.branches))
        .sum();
    let show_tree = match mode {
        TreeMode::Tree => true,
        TreeMode::Summary => false,
        TreeMode::Auto => lines <= TREE_LINES,
    };
    if show_tree {
        for e in &ex.entries {
            if ex.multi() {
                out.push_str(&format!(
                    "== {}  ({})\n",
                    escape_controls(&e.label),
                    count(e.report.paths, "path")
                ));
            }
            out.push_str(&tree::render_text(&e.report.branches));
        }
    } else {
        out.push_str(&summary(ex));
        if mode == TreeMode::Auto {
            out.push_str(&format!(
                "(the outcome tree has {lines} lines: `--tree` prints it, `--html FILE` draws it)\n"
            ));
        }
        out.push('\n');
    }
    out.push_str(&totals(ex));
    out
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Paths per outcome, per entry point.
fn summary(ex: &Explored) -> String {
    let mut out = String::new();
    for e in &ex.entries {
        let r = &e.report;
        out.push_str(&format!(
            "{}{} from {}, {}:\n",
            if ex.multi() {
                format!("== {}: ", escape_controls(&e.label))
            } else {
                String::new()
            },
            count(r.paths, "path"),
            count(r.starts.len(), "starting state"),
            count(r.outcomes.len(), "outcome")
        ));
        const TOP: usize = 12;
        for o in r.outcomes.iter().take(TOP) {
            // Clip the middle, keep the finding codes at the end.
            let line = match o.outcome.rfind("  [") {
                Some(i) if o.outcome.ends_with(']') => {
                    let tag = &o.outcome[i..];
                    format!(
                        "{}{tag}",
                        clip(
                            &o.outcome[..i],
                            150usize.saturating_sub(tag.chars().count())
                        )
                    )
                }
                _ => clip(&o.outcome, 150),
            };
            out.push_str(&format!("  {:>6}  {}\n", o.paths, escape_controls(&line)));
        }
        if r.outcomes.len() > TOP {
            let rest: usize = r.outcomes[TOP..].iter().map(|o| o.paths).sum();
            out.push_str(&format!(
                "  {:>6}  … {} more outcomes\n",
                rest,
                r.outcomes.len() - TOP
            ));
        }
    }
    out
}

/// `1 path`, `2 paths`: a count and its noun (every noun here takes a plain `s`).
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn totals(ex: &Explored) -> String {
    let n = ex.findings().len();
    format!(
        "{}, {} in {:.1} s{}\n",
        count(ex.paths(), "path"),
        count(n, "finding"),
        ex.duration.as_secs_f64(),
        if ex.truncated() {
            " (cut by --max-paths: not every path ran)"
        } else {
            ""
        }
    )
}

fn finding_json(label: &str, f: &Finding, baseline: &Baseline) -> Json {
    json!({
        "code": f.code,
        "message": f.message,
        "rule": f.rule,
        "location": f.location,
        "entry": label,
        "answers": f.answers,
        "state": f.state,
        "replay": f.replay,
        "accepted": baseline.accepts(f),
    })
}

/// The `--json` document (see `docs/schemas/explore-report.schema.json`).
pub fn json_doc(ex: &Explored, meta: &Meta, baseline: &Baseline) -> Json {
    let findings: Vec<Json> = ex
        .findings()
        .into_iter()
        .map(|(l, f)| finding_json(l, f, baseline))
        .collect();
    let tree: Vec<Json> = ex
        .entries
        .iter()
        .map(|e| {
            json!({
                "entry": e.label,
                "paths": e.report.paths,
                "truncated": e.report.truncated,
                "starts": e.report.starts,
                "outcomes": e.report.outcomes,
                "branches": e.report.branches,
            })
        })
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "miniperm", "version": meta.version},
        "command": meta.command,
        "duration_ms": ex.duration.as_millis() as u64,
        "paths": ex.paths(),
        "truncated": ex.truncated(),
        "findings": findings,
        "tree": tree,
    })
}

/// The `--json` document written straight to `w`, pretty-printed, byte for byte what
/// `serde_json::to_string_pretty(&json_doc(..))` gives plus a newline, without building the
/// document as one value first (at 100,000 paths the tree and its starting states are large).
pub fn write_json(
    ex: &Explored,
    meta: &Meta,
    baseline: &Baseline,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Tool<'a> {
        name: &'a str,
        version: &'a str,
    }
    #[derive(Serialize)]
    struct FindingDoc<'a> {
        code: &'a str,
        message: &'a str,
        rule: &'a str,
        location: &'a Option<crate::Location>,
        entry: &'a str,
        answers: &'a [String],
        state: &'a [String],
        replay: &'a str,
        accepted: bool,
    }
    #[derive(Serialize)]
    struct EntryDoc<'a> {
        entry: &'a str,
        paths: usize,
        truncated: bool,
        starts: &'a [String],
        outcomes: &'a [crate::Outcome],
        branches: &'a [tree::Branch],
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        tool: Tool<'a>,
        command: &'a str,
        duration_ms: u64,
        paths: usize,
        truncated: bool,
        findings: Vec<FindingDoc<'a>>,
        tree: Vec<EntryDoc<'a>>,
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "miniperm",
            version: &meta.version,
        },
        command: &meta.command,
        duration_ms: ex.duration.as_millis() as u64,
        paths: ex.paths(),
        truncated: ex.truncated(),
        findings: ex
            .findings()
            .into_iter()
            .map(|(label, f)| FindingDoc {
                code: &f.code,
                message: &f.message,
                rule: &f.rule,
                location: &f.location,
                entry: label,
                answers: &f.answers,
                state: &f.state,
                replay: &f.replay,
                accepted: baseline.accepts(f),
            })
            .collect(),
        tree: ex
            .entries
            .iter()
            .map(|e| EntryDoc {
                entry: &e.label,
                paths: e.report.paths,
                truncated: e.report.truncated,
                starts: &e.report.starts,
                outcomes: &e.report.outcomes,
                branches: &e.report.branches,
            })
            .collect(),
    };
    let mut buf = std::io::BufWriter::new(w);
    serde_json::to_writer_pretty(&mut buf, &doc)?;
    buf.write_all(b"\n")?;
    buf.flush()
}

/// A path inside the project as the directory the command ran from sees it (a `file://` URI when
/// the project was given as an absolute path).
fn artifact(project: &str, file: &str) -> String {
    let p = project.trim_end_matches('/').trim_start_matches("./");
    if p.is_empty() || p == "." {
        file.to_string()
    } else if p.starts_with('/') {
        format!("file://{p}/{file}")
    } else {
        format!("{p}/{file}")
    }
}

/// SARIF 2.1.0: one rule per finding code, one result per finding.
pub fn sarif(ex: &Explored, meta: &Meta, baseline: &Baseline) -> Json {
    let rules: Vec<Json> = codes()
        .map(|(code, rule)| {
            json!({
                "id": code,
                "name": code,
                "shortDescription": {"text": describe(code)},
                "fullDescription": {"text": format!("{} (rests on {rule})", describe(code))},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"rule": rule},
            })
        })
        .collect();
    let index: BTreeMap<&str, usize> = codes().enumerate().map(|(i, (c, _))| (c, i)).collect();
    let results: Vec<Json> = ex
        .findings()
        .into_iter()
        .map(|(label, f)| {
            let (uri, line, column) = match &f.location {
                Some(l) => (artifact(&meta.project, &l.file), l.line.max(1), l.column.max(1)),
                None => (artifact(&meta.project, "app.json"), 1, 1),
            };
            let mut r = json!({
                "ruleId": f.code,
                "ruleIndex": index.get(f.code.as_str()).copied().unwrap_or(0),
                "level": "warning",
                "message": {"text": format!("{} ({}). Replay: {}", f.message, rule_of(&f.code), f.replay)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": line, "startColumn": column},
                    }
                }],
                "partialFingerprints": {"minipermFinding/v1": format!("{}@{}", f.code, where_(f))},
                "properties": {"entry": label, "answers": f.answers, "state": f.state, "replay": f.replay},
            });
            if baseline.accepts(f) {
                r["baselineState"] = json!("unchanged");
                r["suppressions"] = json!([{"kind": "external", "justification": "accepted in the baseline"}]);
            }
            r
        })
        .collect();
    let mut invocation = json!({
        "commandLine": meta.command,
        "executionSuccessful": true,
    });
    if ex.truncated() {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "warning",
            "message": {"text": "the search was cut by --max-paths: not every path ran"},
        }]);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "miniperm",
                "version": meta.version,
                "rules": rules,
            }},
            "invocations": [invocation],
            "results": results,
        }],
    })
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per entry point, one failure per (not accepted) finding.
pub fn junit(ex: &Explored, meta: &Meta, baseline: &Baseline) -> String {
    let cases = ex.entries.len();
    let failures = new_findings(ex, baseline).len();
    let secs = ex.duration.as_secs_f64();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"miniperm explore\" tests=\"{cases}\" failures=\"{failures}\" errors=\"0\" time=\"{secs:.3}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{cases}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{secs:.3}\">\n",
        xml(&format!("miniperm explore {}", meta.project))
    ));
    for e in &ex.entries {
        let time = if ex.paths() == 0 {
            0.0
        } else {
            secs * e.report.paths as f64 / ex.paths() as f64
        };
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{time:.3}\">\n",
            xml(&meta.project),
            xml(&e.label)
        ));
        let mut accepted = Vec::new();
        for f in &e.report.findings {
            if baseline.accepts(f) {
                accepted.push(format!("accepted: {} at {}", f.code, where_(f)));
                continue;
            }
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                xml(&f.code),
                xml(&format!("{}: {}", where_(f), f.message)),
                xml(&format!(
                    "{} at {}\n{} ({})\nreplay: {}",
                    f.code,
                    where_(f),
                    f.message,
                    f.rule,
                    f.replay
                ))
            ));
        }
        out.push_str(&format!(
            "      <system-out>{}</system-out>\n",
            xml(&format!(
                "{}{}{}",
                count(e.report.paths, "path"),
                if e.report.truncated {
                    " (cut by --max-paths)"
                } else {
                    ""
                },
                accepted
                    .iter()
                    .map(|a| format!("\n{a}"))
                    .collect::<String>()
            ))
        ));
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_singular_for_one() {
        assert_eq!(count(1, "path"), "1 path");
        assert_eq!(count(0, "finding"), "0 findings");
        assert_eq!(count(7, "starting state"), "7 starting states");
    }

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            xml("a<b & \"c\"\u{1b}"),
            "a&lt;b &amp; &quot;c&quot;\\u{1b}"
        );
    }

    #[test]
    fn artifact_paths() {
        assert_eq!(
            artifact("./examples/classic/", "a.js"),
            "examples/classic/a.js"
        );
        assert_eq!(artifact(".", "a.js"), "a.js");
        assert_eq!(artifact("/srv/app", "a.js"), "file:///srv/app/a.js");
    }

    #[test]
    fn baseline_reads_findings() {
        let b = Baseline::parse(
            r#"{"findings":[{"code":"silent-deny","location":{"file":"a.js","line":3,"column":5}}]}"#,
        )
        .unwrap();
        let f = Finding {
            code: "silent-deny".into(),
            message: "m".into(),
            rule: "R5".into(),
            answers: vec![],
            state: vec![],
            replay: String::new(),
            location: crate::Location::parse("a.js:3:5"),
            transcript: vec![],
        };
        assert!(b.accepts(&f));
        let mut g = f.clone();
        g.location = crate::Location::parse("a.js:4:5");
        assert!(!b.accepts(&g));
        assert!(Baseline::parse("[]").is_err());
    }
}
