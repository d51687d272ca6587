//! `miniperm explore PROJECT`: flags in, reports out. The exploration itself (entry points,
//! budget, replay lines, merging, every report format) lives in `miniperm_explore`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use miniperm_core::FindingCode;
use miniperm_explore::ExploreError;
use miniperm_explore::format::{self, Baseline, Meta, TreeMode};
use miniperm_explore::session::{self, Entry, Plan, Progress, ReplayArgs};

use crate::entry::{EntryArgs, bad};
use crate::error::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::{help, output};

/// Explore every path of a flow: each answer of each native UI from each starting state of the
/// consent the runs were seen to use; print the findings (each with its source location and a replay command)
/// and the outcome tree, or a summary when the tree is long
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::EXPLORE)]
pub struct Args {
    #[command(flatten)]
    pub entry: EntryArgs,
    /// Explore every page and everything a tap does something on (a tap handler bound in its
    /// WXML, an open-type button, a form's submit or reset button, a navigator), one entry
    /// point each
    #[arg(long, conflicts_with_all = ["page", "tap"])]
    pub all: bool,
    /// Stop after this many paths, over every entry point (the report says it was cut; on
    /// several threads which paths ran varies between runs, `-j 1` cuts the same ones)
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub max_paths: usize,
    /// At most this many answers on one path
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_depth: usize,
    /// At most this many answers for one settings page (unchanged, then the switches that matter
    /// there one by one, then combinations)
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_settings_combos: usize,
    /// Worker threads [default: every core]
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print the report as one JSON document (docs/schemas/explore-report.schema.json)
    #[arg(long)]
    pub json: bool,
    /// Render the page on every path: each leaf of the JSON tree carries the final page as an
    /// outline (`render`)
    #[arg(long)]
    pub render: bool,
    /// Print the whole outcome tree, however long
    #[arg(long, conflicts_with = "summary")]
    pub tree: bool,
    /// Print paths per outcome instead of the tree
    #[arg(long)]
    pub summary: bool,
    /// Also write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the findings as SARIF 2.1.0 to FILE (code scanning)
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write JUnit XML to FILE: a test case per entry point, a failure per finding
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Accepted findings (a `--json` report of an earlier run): they are reported but fail
    /// neither --strict nor --deny
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when there is any finding not in the baseline, or the search was cut
    #[arg(long)]
    pub strict: bool,
    /// Exit 1 when there is a finding with one of these codes (not in the baseline)
    #[arg(long, value_name = "CODE,...", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Progress as plain lines on stderr (for CI logs); a terminal gets a live bar anyway
    #[arg(long)]
    pub progress: bool,
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| {
        CliError::Output(std::io::Error::new(
            e.kind(),
            format!("cannot write `{}`: {e}", path.display()),
        ))
    })
}

fn explore_error(e: ExploreError) -> CliError {
    match e {
        ExploreError::BadInput(m) => bad(m),
        other => CliError::Explore(other),
    }
}

/// `1.2k`, `34`.
fn count(n: f64) -> String {
    if n >= 10_000.0 {
        format!("{:.0}k", n / 1000.0)
    } else if n >= 1000.0 {
        format!("{:.1}k", n / 1000.0)
    } else {
        format!("{n:.0}")
    }
}

/// The live line: done/total, rate, ETA. The total is what is known so far (done + waiting),
/// capped by the budget.
fn progress_line(p: Progress, secs: f64) -> String {
    let total = (p.done + p.waiting).min(p.budget).max(p.done);
    let rate = if secs > 0.0 {
        p.done as f64 / secs
    } else {
        0.0
    };
    let eta = if rate > 0.0 {
        format!("{:.0}s", (total - p.done) as f64 / rate)
    } else {
        "?".into()
    };
    let entry = if p.entries > 1 {
        format!("entry {}/{}  ", p.entry + 1, p.entries)
    } else {
        String::new()
    };
    format!(
        "{entry}{}/{} paths  {}/s  eta {eta}",
        p.done,
        count(total as f64),
        count(rate)
    )
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<u8, CliError> {
    if args.deny.iter().any(|c| c.trim().is_empty()) {
        return Err(bad(format!(
            "empty finding code in `--deny {}`",
            args.deny.join(",")
        )));
    }
    for code in &args.deny {
        if FindingCode::parse(code).is_none() {
            return Err(bad(format!(
                "unknown finding code `{code}` in `--deny` (expected one of {})",
                FindingCode::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if args.max_paths == 0 || args.max_depth == 0 {
        return Err(bad(
            "`--max-paths` and `--max-depth` must be at least 1".into()
        ));
    }
    let baseline = match &args.baseline {
        None => Baseline::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| bad(format!("cannot read baseline `{}`: {e}", p.display())))?;
            Baseline::parse(&text).map_err(|e| bad(format!("baseline `{}`: {e}", p.display())))?
        }
    };
    let (project, mut base) = args.entry.load()?;
    base.render = args.render;
    // The starting states the user gave are fixed, not explored.
    let fixed = std::mem::take(&mut base.initial);
    let entries = if args.all {
        session::all_entries(&project, &base)
    } else {
        vec![Entry {
            page: args.entry.page.clone(),
            taps: args.entry.tap.clone(),
        }]
    };
    let project_arg = args.entry.project.to_string_lossy().to_string();
    let plan = Plan {
        project,
        base,
        entries,
        fixed,
        max_paths: args.max_paths,
        max_depth: args.max_depth,
        max_settings_combos: args.max_settings_combos,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        replay: ReplayArgs {
            project: project_arg.clone(),
            query: args.entry.query.clone(),
            profile: args.entry.profile.clone(),
            state: args.entry.state.clone(),
            system: args.entry.system.clone(),
            extra: args.entry.replay_extra(),
        },
    };

    let explored = {
        let started = Instant::now();
        let live = std::io::stderr().is_terminal() && !args.progress;
        let bar = live.then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb
        });
        // Plain lines at most once a second (and for the first path).
        let last_line = std::sync::Mutex::new(None::<Instant>);
        let tick = |p: Progress| {
            let secs = started.elapsed().as_secs_f64();
            if let Some(pb) = &bar {
                pb.set_message(progress_line(p, secs));
                pb.tick();
            } else if args.progress
                && let Ok(mut last) = last_line.lock()
                && last.is_none_or(|t| t.elapsed().as_secs() >= 1)
            {
                *last = Some(Instant::now());
                eprintln!("miniperm: explore: {}", progress_line(p, secs));
            }
        };
        let result = session::run(&plan, &tick);
        if let Some(pb) = bar {
            pb.finish_and_clear();
        }
        result.map_err(explore_error)?
    };

    let meta = Meta {
        command: std::env::args()
            .map(|a| session::sh(&a))
            .collect::<Vec<_>>()
            .join(" "),
        project: project_arg,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if args.json {
        // Streamed: the document is never built as one value (issue 9).
        format::write_json(&explored, &meta, &baseline, out)?;
    } else {
        let mode = if args.tree {
            TreeMode::Tree
        } else if args.summary {
            TreeMode::Summary
        } else {
            TreeMode::Auto
        };
        write!(out, "{}", format::text(&explored, &baseline, mode))?;
    }
    if let Some(path) = &args.html {
        // Each outcome's final page, drawn as the phone shows it (issue 20).
        let painter = miniperm_view::Painter::new(
            &plan.project,
            plan.base.device,
            miniperm_view::Theme::Light,
        );
        let paint = |s: &serde_json::Value| Some(painter.paint(s).html);
        let screens = miniperm_explore::html::Screens {
            project: &plan.project,
            base: &plan.base,
            entries: &plan.entries,
            paint: &paint,
            size: (plan.base.device.width, plan.base.device.height),
        };
        write_file(
            path,
            &miniperm_explore::html::render_with_screens(
                &explored,
                &meta,
                &baseline,
                Some(&screens),
            ),
        )?;
        eprintln!("miniperm: wrote the html report to {}", path.display());
    }
    if let Some(path) = &args.sarif {
        let doc = format::sarif(&explored, &meta, &baseline);
        write_file(path, &serde_json::to_string_pretty(&doc)?)?;
    }
    if let Some(path) = &args.junit {
        write_file(path, &format::junit(&explored, &meta, &baseline))?;
    }

    out.flush()?;
    if explored.truncated() && plan.threads > 1 {
        output::hint(&format!(
            "the search was cut by --max-paths on {} worker threads: which paths ran depends on \
             which worker finished first, so another run may report other paths; `-j 1` cuts the \
             same paths every time",
            plan.threads
        ));
    }
    if !args.all && args.entry.tap.is_empty() && explored.paths() == 1 {
        output::hint(
            "only the launch ran (1 path): no `--tap` was given, so no handler asked for a \
             permission; name one with `--tap TARGET` (a method or a selector), or explore every \
             page and tap handler with `--all`",
        );
    }

    let new = format::new_findings(&explored, &baseline);
    // What fails the run, said on stderr (issue 9: a cut search or a path ending in a limit
    // fails --strict, and says which).
    let mut reasons = Vec::new();
    if args.strict {
        if !new.is_empty() {
            reasons.push(format!("{} findings", new.len()));
        }
        if explored.truncated() {
            reasons.push("the search was cut by --max-paths (not every path ran)".to_string());
        }
        let limits: usize = explored.entries.iter().map(|e| e.report.limit_paths).sum();
        if limits > 0 {
            reasons.push(format!("{limits} paths ended in a limit"));
        }
        let cuts: usize = explored.entries.iter().map(|e| e.report.cut_paths).sum();
        if cuts > 0 {
            reasons.push(format!(
                "{cuts} paths were cut (the same ui kept coming back)"
            ));
        }
    }
    if new
        .iter()
        .any(|(_, f)| args.deny.iter().any(|d| d == &f.code))
    {
        reasons.push("a finding named by --deny".to_string());
    }
    if reasons.is_empty() {
        return Ok(EXIT_OK);
    }
    let style = output::ERROR;
    anstream::eprintln!("miniperm: {style}failing{style:#}: {}", reasons.join("; "));
    Ok(EXIT_FINDINGS)
}
