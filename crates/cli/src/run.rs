//! `miniperm run PROJECT`: runs a mini-program headless, answering each native UI from
//! `--answers`, and prints the transcript (readable, or JSON Lines with `--json`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use miniperm_core::{Channel, OsPermission, Profile, Subject, Value};
use miniperm_runtime::{Limits, Project, RunConfig, ScriptedUser, parse_answers, render_human};

use crate::db::{Access, DbArgs};
use crate::error::{CliError, EXIT_CODES_HELP};
use crate::output::now_ms;

/// Run a mini-program project headless: launch, open a page, tap handlers, answer each native
/// UI from --answers, print the transcript
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Args {
    /// The project folder (the one holding app.json)
    pub project: PathBuf,
    /// The page to open [default: the first page of app.json]
    #[arg(long, value_name = "ROUTE")]
    pub page: Option<String>,
    /// The page's query, k=v&k2=v2
    #[arg(long, value_name = "K=V&...")]
    pub query: Option<String>,
    /// A page method to call as a user tap (repeatable, in order); `open-type=openSetting` taps
    /// the page's first <button open-type="openSetting">
    #[arg(long, value_name = "HANDLER")]
    pub tap: Vec<String>,
    /// Answers for the native UIs, in order: allow, deny, confirm (confirm:TEXT for an editable
    /// modal), cancel, agree, disagree,
    /// sheet:N, pick, settings, settings:SCOPE=on|off[;SCOPE=on|off]
    #[arg(long, value_name = "A,B,...", default_value = "")]
    pub answers: String,
    /// A starting state written to the store before launch (repeatable)
    #[arg(long, value_name = "SCOPE=unset|granted|denied")]
    pub state: Vec<String>,
    /// A starting OS permission of WeChat (repeatable)
    #[arg(long, value_name = "PERM=authorized|denied|not-determined")]
    pub system: Vec<String>,
    /// The client profile [default: miniperm.json's, else wechat]
    #[arg(long, value_parser = Profile::NAMES)]
    pub profile: Option<String>,
    /// The WeChat user
    #[arg(long, value_name = "ID", default_value = "default")]
    pub user: String,
    /// The release channel recorded with consent events
    #[arg(long, default_value = "develop", value_parser = ["develop", "trial", "release"])]
    pub channel: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the transcript as JSON Lines, one event per line
    #[arg(long)]
    pub json: bool,
    /// Wall time one dispatch may take before it is interrupted
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub timeout_ms: u64,
    /// The JS heap cap of the run
    #[arg(long, value_name = "MB", default_value_t = 64)]
    pub memory_mb: usize,
    /// What getLocation returns
    #[arg(long, value_name = "LAT,LNG", allow_hyphen_values = true)]
    pub location: Option<String>,
}

fn bad(msg: String) -> CliError {
    CliError::Usage(msg)
}

pub(crate) fn parse_location(s: &str) -> Result<(f64, f64), CliError> {
    let err = || bad(format!("malformed location `{s}` (expected LAT,LNG)"));
    let (a, b) = s.split_once(',').ok_or_else(err)?;
    let lat: f64 = a.trim().parse().map_err(|_| err())?;
    let lng: f64 = b.trim().parse().map_err(|_| err())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(err());
    }
    Ok((lat, lng))
}

pub(crate) fn parse_state(s: &str) -> Result<(Subject, Value), CliError> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        bad(format!(
            "malformed state `{s}` (expected SCOPE=unset|granted|denied)"
        ))
    })?;
    let subject = Subject::parse(k.trim())?;
    if matches!(subject, Subject::All | Subject::Os(_)) {
        return Err(bad(format!(
            "malformed state `{s}` (use --system for os permissions)"
        )));
    }
    let value = Value::parse(v.trim()).ok_or_else(|| {
        bad(format!(
            "malformed state `{s}` (expected unset, granted or denied)"
        ))
    })?;
    Ok((subject, value))
}

pub(crate) fn parse_system(s: &str) -> Result<(Subject, Value), CliError> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        bad(format!(
            "malformed system state `{s}` (expected PERM=authorized|denied|not-determined)"
        ))
    })?;
    let k = k.trim().trim_start_matches("os.");
    let p = OsPermission::parse(k)
        .ok_or_else(|| miniperm_core::CoreError::UnknownOsPermission(k.to_string()))?;
    let value = Value::parse_os(v.trim()).ok_or_else(|| {
        bad(format!(
            "malformed system state `{s}` (expected authorized, denied or not-determined)"
        ))
    })?;
    Ok((Subject::Os(p), value))
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<(), CliError> {
    let answers = parse_answers(&args.answers).map_err(|e| bad(e.to_string()))?;
    let mut initial = Vec::new();
    for s in &args.state {
        initial.push(parse_state(s)?);
    }
    for s in &args.system {
        initial.push(parse_system(s)?);
    }
    let location = args.location.as_deref().map(parse_location).transpose()?;
    if args.timeout_ms == 0 {
        return Err(bad("`--timeout-ms` must be at least 1".into()));
    }
    if args.memory_mb == 0 || args.memory_mb > 4096 {
        return Err(bad(format!(
            "`--memory-mb {}` is out of range (1 to 4096)",
            args.memory_mb
        )));
    }
    let project = Project::load(&args.project).map_err(|e| bad(e.to_string()))?;
    let mut cfg = RunConfig::new(&project);
    if let Some(p) = &args.profile {
        cfg.profile = Profile::by_name(p)?;
    }
    cfg.page = args.page.clone();
    cfg.query = args.query.clone();
    cfg.taps = args.tap.clone();
    cfg.user = args.user.clone();
    cfg.channel = Channel::parse(&args.channel)
        .ok_or_else(|| bad(format!("unknown channel `{}`", args.channel)))?;
    cfg.initial = initial;
    if let Some(l) = location {
        cfg.location = l;
    }
    cfg.limits = Limits {
        dispatch_ms: args.timeout_ms,
        memory_bytes: args.memory_mb * 1024 * 1024,
        ..Limits::default()
    };
    cfg.now_ms = now_ms();

    let (_, mut store) = args.db.open(Access::Write)?;
    let mut user = ScriptedUser::new(answers);
    let outcome = miniperm_runtime::run(&project, &cfg, &mut *store, &mut user).map_err(|e| {
        if e.is_bad_input() {
            bad(e.to_string())
        } else {
            match e {
                miniperm_runtime::RunError::Store(s) => CliError::Store(s),
                other => CliError::Output(std::io::Error::other(other.to_string())),
            }
        }
    })?;
    let color = !args.json
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for ev in &outcome.events {
        if args.json {
            let line = serde_json::to_string(ev)?;
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", render_human(ev, color))?;
        }
    }
    if outcome.exit_code != 0 {
        out.flush()?;
        std::process::exit(outcome.exit_code);
    }
    Ok(())
}
