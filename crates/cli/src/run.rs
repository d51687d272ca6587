//! `miniperm run PROJECT`: runs a mini-program headless, answering each native UI from
//! `--answers`, and prints the transcript (readable, or JSON Lines with `--json`).

use std::io::{IsTerminal, Write};

use miniperm_core::Channel;
use miniperm_runtime::{EndReason, Event, RunOutcome, ScriptedUser, parse_answers, render_human};

use crate::db::{Access, DbArgs};
use crate::entry::{EntryArgs, bad};
use crate::error::{CliError, EXIT_CODES_HELP, EXIT_OK, EXIT_SCRIPT_ERROR};
use crate::output::json_record;

/// `schema_version` of each transcript line (docs/schemas/transcript.schema.json).
const SCHEMA_VERSION: u32 = 1;

/// Run a mini-program project headless: launch, open a page, tap handlers, answer each native
/// UI from --answers, print the transcript
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Args {
    #[command(flatten)]
    pub entry: EntryArgs,
    /// Answers for the native UIs, in order: allow, deny, confirm (confirm:TEXT for an editable
    /// modal), cancel, agree, disagree,
    /// sheet:N, pick, settings, settings:SCOPE=on|off[;SCOPE=on|off]
    #[arg(long, value_name = "A,B,...", default_value = "")]
    pub answers: String,
    /// The WeChat user
    #[arg(long, value_name = "ID", default_value = "default")]
    pub user: String,
    /// The release channel recorded with consent events
    #[arg(long, default_value = "develop", value_parser = ["develop", "trial", "release"])]
    pub channel: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the transcript as JSON Lines, one event per line
    /// (docs/schemas/transcript.schema.json)
    #[arg(long)]
    pub json: bool,
    /// Add a `render` event after each settle: the page's visible elements (an indented outline
    /// in the human transcript)
    #[arg(long)]
    pub render: bool,
    /// What getLocation returns
    #[arg(long, value_name = "LAT,LNG", allow_hyphen_values = true)]
    pub location: Option<String>,
}

fn parse_location(s: &str) -> Result<(f64, f64), CliError> {
    let err = || bad(format!("malformed location `{s}` (expected LAT,LNG)"));
    let (a, b) = s.split_once(',').ok_or_else(err)?;
    let lat: f64 = a.trim().parse().map_err(|_| err())?;
    let lng: f64 = b.trim().parse().map_err(|_| err())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(err());
    }
    Ok((lat, lng))
}

/// The exit code of a finished run: 0 when it went idle or waits for an answer with no uncaught
/// error, 1 otherwise (an uncaught error, a limit).
fn exit_code(outcome: &RunOutcome) -> u8 {
    let errors = outcome
        .events
        .iter()
        .any(|e| matches!(e, Event::Error { .. }));
    match outcome.end {
        EndReason::Idle | EndReason::AwaitingAnswer if !errors => EXIT_OK,
        _ => EXIT_SCRIPT_ERROR,
    }
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<u8, CliError> {
    let answers = parse_answers(&args.answers).map_err(|e| bad(e.to_string()))?;
    let location = args.location.as_deref().map(parse_location).transpose()?;
    let (project, mut cfg) = args.entry.load()?;
    cfg.user = args.user.clone();
    cfg.render = args.render;
    cfg.channel = Channel::parse(&args.channel)
        .ok_or_else(|| bad(format!("unknown channel `{}`", args.channel)))?;
    if let Some(l) = location {
        cfg.location = l;
    }

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
            json_record(out, ev, SCHEMA_VERSION)?;
        } else {
            writeln!(out, "{}", render_human(ev, color))?;
        }
    }
    Ok(exit_code(&outcome))
}
