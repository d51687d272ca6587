//! `miniperm explore PROJECT`: every combination of user answers and starting states for one
//! entry point (or every tap handler with `--all`), as an outcome tree with findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{CODES, Config, Report, explore};

use crate::entry::{EntryArgs, bad};
use crate::error::{CliError, EXIT_CODES_HELP};

/// Explore every path of a flow: each answer of each native UI from each starting state of the
/// scopes it touches; print the outcome tree and the findings, each with a replay command
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Args {
    #[command(flatten)]
    pub entry: EntryArgs,
    /// Explore every page and every tap handler bound in its WXML, one entry point each
    #[arg(long, conflicts_with_all = ["page", "tap"])]
    pub all: bool,
    /// Stop after this many paths (the report says it was cut)
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub max_paths: usize,
    /// At most this many answers on one path
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_depth: usize,
    /// At most this many answers for one settings page (unchanged, each switch, combinations)
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_settings_combos: usize,
    /// Worker threads [default: every core]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the tree and the findings as one JSON document
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exit 1 when there is any finding
    #[arg(long)]
    pub strict: bool,
    /// Exit 1 when there is a finding with one of these codes
    #[arg(long, value_name = "CODE,...", value_delimiter = ',')]
    pub deny: Vec<String>,
}

/// Quotes a word for a POSIX shell when it needs it.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One entry point: a page and its taps.
struct Entry {
    page: Option<String>,
    taps: Vec<String>,
}

impl Entry {
    fn label(&self) -> String {
        let mut s = String::new();
        if let Some(p) = &self.page {
            s.push_str(&format!("page {p}"));
        }
        for t in &self.taps {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("tap {t}"));
        }
        if s.is_empty() {
            s.push_str("launch");
        }
        s
    }
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<(), CliError> {
    for code in &args.deny {
        if !CODES.iter().any(|(c, _)| c == code) {
            return Err(bad(format!(
                "unknown finding code `{code}` in `--deny` (expected one of {})",
                CODES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    if args.max_paths == 0 || args.max_depth == 0 {
        return Err(bad(
            "`--max-paths` and `--max-depth` must be at least 1".into()
        ));
    }
    let (project, base) = args.entry.load()?;
    // The starting states the user gave are fixed, not explored.
    let fixed = base.initial.clone();
    let mut base = base;
    base.initial.clear();

    let entries: Vec<Entry> = if args.all {
        let mut v = Vec::new();
        for route in project.pages() {
            for h in project.tap_handlers(route) {
                v.push(Entry {
                    page: Some(route.clone()),
                    taps: vec![h],
                });
            }
            if project
                .page_info(route)
                .is_some_and(|p| p.open_setting.is_some())
            {
                v.push(Entry {
                    page: Some(route.clone()),
                    taps: vec!["open-type=openSetting".into()],
                });
            }
        }
        if v.is_empty() {
            v.push(Entry {
                page: None,
                taps: Vec::new(),
            });
        }
        v
    } else {
        vec![Entry {
            page: args.entry.page.clone(),
            taps: args.entry.tap.clone(),
        }]
    };

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let progress = std::io::stderr().is_terminal();
    let mut reports: Vec<(String, Report)> = Vec::new();
    let mut budget = args.max_paths;
    for entry in &entries {
        if budget == 0 {
            break;
        }
        let mut cfg = base.clone();
        cfg.page = entry.page.clone();
        cfg.taps = entry.taps.clone();
        let mut replay = format!("miniperm run {}", sh(&args.entry.project.to_string_lossy()));
        if let Some(p) = &entry.page {
            replay.push_str(&format!(" --page {}", sh(p)));
        }
        if let Some(q) = &args.entry.query {
            replay.push_str(&format!(" --query {}", sh(q)));
        }
        for t in &entry.taps {
            replay.push_str(&format!(" --tap {}", sh(t)));
        }
        if let Some(p) = &args.entry.profile {
            replay.push_str(&format!(" --profile {p}"));
        }
        for s in &args.entry.state {
            replay.push_str(&format!(" --state {}", sh(s)));
        }
        for s in &args.entry.system {
            replay.push_str(&format!(" --system {}", sh(s)));
        }
        let runner = RuntimeRunner {
            project: project.clone(),
            base: cfg,
            max_settings_combos: args.max_settings_combos,
        };
        let config = Config {
            fixed: fixed.clone(),
            max_paths: budget,
            max_depth: args.max_depth,
            threads,
            replay,
            progress,
        };
        let report = explore(&runner, &config).map_err(|e| bad(e.to_string()))?;
        budget = budget.saturating_sub(report.paths);
        reports.push((entry.label(), report));
    }

    let multi = args.all || reports.len() > 1;
    let total_paths: usize = reports.iter().map(|(_, r)| r.paths).sum();
    let truncated = reports.iter().any(|(_, r)| r.truncated) || reports.len() < entries.len();
    let mut all_findings = Vec::new();
    for (label, r) in &reports {
        for f in &r.findings {
            all_findings.push((label.clone(), f.clone()));
        }
    }

    if args.json {
        let findings: Vec<serde_json::Value> = all_findings
            .iter()
            .map(|(label, f)| {
                let mut v = serde_json::to_value(f).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("entry".into(), label.clone().into());
                }
                v
            })
            .collect();
        let tree: Vec<serde_json::Value> = reports
            .iter()
            .map(|(label, r)| {
                serde_json::json!({"entry": label, "paths": r.paths, "starts": r.starts, "branches": r.branches})
            })
            .collect();
        let doc = serde_json::json!({
            "paths": total_paths,
            "truncated": truncated,
            "findings": findings,
            "tree": tree,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for (label, r) in &reports {
            if multi {
                writeln!(out, "== {label}  ({} paths)", r.paths)?;
            }
            write!(out, "{}", r.text_tree())?;
        }
        if all_findings.is_empty() {
            writeln!(out, "no findings")?;
        } else {
            writeln!(out, "findings:")?;
            for (label, f) in &all_findings {
                let entry = if multi {
                    format!(" [{label}]")
                } else {
                    String::new()
                };
                writeln!(out, "  {}{entry}: {} ({})", f.code, f.message, f.rule)?;
                writeln!(out, "    replay: {}", f.replay)?;
            }
        }
        writeln!(
            out,
            "{total_paths} paths, {} findings{}",
            all_findings.len(),
            if truncated {
                " (cut by --max-paths: not every path ran)"
            } else {
                ""
            }
        )?;
    }

    if let Some(path) = &args.html {
        let title = format!(
            "{} {}",
            args.entry.project.to_string_lossy(),
            reports
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let merged = Report {
            paths: total_paths,
            findings: all_findings.iter().map(|(_, f)| f.clone()).collect(),
            branches: reports
                .iter()
                .flat_map(|(label, r)| {
                    r.branches.iter().cloned().map(move |mut b| {
                        if multi {
                            for s in &mut b.starts {
                                *s = format!("{label} · {s}");
                            }
                        }
                        b
                    })
                })
                .collect(),
            truncated,
            starts: Vec::new(),
        };
        std::fs::write(path, miniperm_explore::html::render(&merged, &title)).map_err(|e| {
            CliError::Output(std::io::Error::new(
                e.kind(),
                format!("cannot write `{}`: {e}", path.display()),
            ))
        })?;
    }

    let fail = (args.strict && !all_findings.is_empty())
        || all_findings
            .iter()
            .any(|(_, f)| args.deny.iter().any(|d| d == &f.code));
    if fail {
        out.flush()?;
        std::process::exit(1);
    }
    Ok(())
}
