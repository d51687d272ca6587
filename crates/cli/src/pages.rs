//! `miniperm pages PROJECT`: opens every page of a project once, each from a fresh start, and
//! says which do not load clean and why: the first thing to run on an app, to see whether
//! miniperm runs it.

use std::io::Write;
use std::path::PathBuf;

use miniperm_runtime::{PageReport, escape_controls};
use serde_json::{Map, Value as Json, json};

use crate::entry::{EntryArgs, bad};
use crate::error::{CliError, EXIT_OK, EXIT_SCRIPT_ERROR};
use crate::help;
use crate::output::{self, json_document};

/// `schema_version` of the report (docs/schemas/pages.schema.json).
const SCHEMA_VERSION: u32 = 1;

/// Open every page of a project (app.json's pages and its subpackages'), each once from a fresh
/// start, in parallel; print each page that does not load clean with its first error and where
/// it points, then how many load clean
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::PAGES)]
pub struct Args {
    /// The project folder (the one holding app.json, or project.config.json)
    pub project: PathBuf,
    /// Worker threads [default: every core]
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print the report as one JSON document (docs/schemas/pages.schema.json)
    #[arg(long)]
    pub json: bool,
    /// List every page, the clean ones too
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// The client profile [default: miniperm.json's, else wechat]
    #[arg(long, value_parser = miniperm_core::Profile::NAMES)]
    pub profile: Option<String>,
    /// Wall time one dispatch may take before it is interrupted (longer than `run`'s default:
    /// some pages do real work while loading, a QR code, a big list)
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout_ms: u64,
    /// The JS heap cap of a run
    #[arg(long, value_name = "MB", default_value_t = 64)]
    pub memory_mb: usize,
    /// The base library, like 2.32.3 [default: project.config.json's libVersion, else the
    /// profile's]
    #[arg(long, value_name = "X.Y.Z")]
    pub base_lib: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<u8, CliError> {
    if args.threads == Some(0) {
        return Err(bad("`--threads` must be at least 1".into()));
    }
    let entry = EntryArgs {
        project: args.project.clone(),
        page: None,
        query: None,
        tap: Vec::new(),
        state: Vec::new(),
        system: Vec::new(),
        profile: args.profile.clone(),
        timeout_ms: args.timeout_ms,
        memory_mb: args.memory_mb,
        seed: miniperm_runtime::DEFAULT_SEED,
        now: crate::entry::DEFAULT_NOW.to_string(),
        base_lib: args.base_lib.clone(),
    };
    let (project, cfg) = entry.load()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let reports = miniperm_runtime::check_pages(&project, &cfg, threads, &|_| {});
    let clean = reports.iter().filter(|r| r.clean()).count();
    if args.json {
        let mut doc = Map::new();
        doc.insert("appid".into(), json!(project.appid()));
        doc.insert("pages".into(), json!(reports.len()));
        doc.insert("clean".into(), json!(clean));
        doc.insert(
            "problems".into(),
            Json::Array(
                project
                    .problems()
                    .iter()
                    .map(|p| {
                        json!({"file": p.file, "line": p.line, "column": p.column,
                            "message": p.message})
                    })
                    .collect(),
            ),
        );
        doc.insert(
            "results".into(),
            Json::Array(reports.iter().map(report_json).collect()),
        );
        json_document(out, SCHEMA_VERSION, doc)?;
    } else {
        let width = reports
            .iter()
            .filter(|r| args.verbose || !r.clean())
            .map(|r| r.route.chars().count())
            .max()
            .unwrap_or(0);
        for r in &reports {
            if let Some(line) = human_line(r, width, args.verbose) {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out, "{clean} of {} pages load clean", reports.len())?;
        let problems = project.problems();
        if !problems.is_empty() {
            output::hint(&format!(
                "{} file(s) of the project have a syntax error; the pages that need them fail: {}",
                problems.len(),
                problems
                    .iter()
                    .map(|p| escape_controls(&p.file))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out.flush()?;
    Ok(if clean == reports.len() {
        EXIT_OK
    } else {
        EXIT_SCRIPT_ERROR
    })
}

fn report_json(r: &PageReport) -> Json {
    let mut m = Map::new();
    m.insert("route".into(), json!(r.route));
    m.insert("clean".into(), json!(r.clean()));
    m.insert("end".into(), json!(r.end.as_str()));
    m.insert("warnings".into(), json!(r.warnings));
    if let Some(p) = &r.problem {
        let mut e = Map::new();
        e.insert("kind".into(), json!(p.kind));
        e.insert("message".into(), json!(p.message));
        if let Some(at) = &p.at {
            e.insert("at".into(), json!(at));
        }
        m.insert("problem".into(), Json::Object(e));
    }
    Json::Object(m)
}

/// `ROUTE  KIND  MESSAGE  (AT)`, or `ROUTE  ok` with `verbose`; untrusted text escaped.
fn human_line(r: &PageReport, width: usize, verbose: bool) -> Option<String> {
    let route = format!("{:width$}", escape_controls(&r.route));
    match &r.problem {
        None if verbose => Some(format!("{route}  ok")),
        None => None,
        Some(p) => {
            let at =
                p.at.as_deref()
                    .map(|a| format!("  ({})", escape_controls(a)))
                    .unwrap_or_default();
            Some(format!(
                "{route}  {:5}  {}{at}",
                p.kind,
                escape_controls(&p.message)
            ))
        }
    }
}
