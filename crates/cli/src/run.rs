//! `miniperm run PROJECT`: runs a mini-program headless, answering each native UI from
//! `--answers`, and prints the transcript (readable, or JSON Lines with `--json`).

use std::io::Write;

use miniperm_core::{Channel, Scope, Value};
use miniperm_runtime::{
    EndReason, Event, RunOutcome, ScriptedUser, UiAnswer, parse_answers, render_human,
};
use miniperm_store::ConsentStore;

use crate::db::DbArgs;
use crate::entry::{EntryArgs, bad, channel, non_empty};
use crate::error::{CliError, EXIT_OK, EXIT_SCRIPT_ERROR};
use crate::help;
use crate::output;
use crate::output::json_record;

/// `schema_version` of each transcript line (docs/schemas/transcript.schema.json).
const SCHEMA_VERSION: u32 = 1;

/// Run a mini-program project headless: launch, open a page, tap handlers, answer each native
/// UI from --answers, print the transcript
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::RUN)]
pub struct Args {
    #[command(flatten)]
    pub entry: EntryArgs,
    /// Answers for the native UIs, in order: allow, deny, confirm (confirm:TEXT for an editable
    /// modal), cancel, agree, disagree,
    /// sheet:N, pick, settings, settings:SCOPE=on|off[;SCOPE=on|off] [default: none: the run
    /// ends `awaiting-answer` at the first native UI]
    #[arg(long, short = 'a', value_name = "A,B,...")]
    pub answers: Option<String>,
    /// The WeChat user
    #[arg(long, short = 'u', value_name = "ID", default_value = "default", value_parser = non_empty)]
    pub user: String,
    /// The release channel recorded with consent events
    #[arg(long, default_value = "develop", value_parser = channel())]
    pub channel: Channel,
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

/// `--answers`: every item must be an answer; an empty item (`allow,,deny`, a trailing comma) is
/// bad input rather than skipped. An empty string is no answers.
fn answers(s: &str) -> Result<Vec<UiAnswer>, CliError> {
    if !s.trim().is_empty()
        && let Some(n) = s.split(',').position(|item| item.trim().is_empty())
    {
        return Err(bad(format!(
            "empty answer (item {}) in `--answers {s}`",
            n + 1
        )));
    }
    parse_answers(s).map_err(|e| bad(e.to_string()))
}

/// Warnings on stderr about answers the run did not use. `unused` answers were left when the run
/// ended; `stored` are the scope records the store held before the run.
fn answer_warnings(
    given: &[String],
    unused: usize,
    stored: &[(Scope, Value)],
    appid: &str,
) -> Vec<String> {
    if unused == 0 {
        return Vec::new();
    }
    let left = &given[given.len().saturating_sub(unused)..];
    let mut v = vec![format!(
        "{unused} of {} answers unused when the run ended: `{}`",
        given.len(),
        left.join(",")
    )];
    if !stored.is_empty() {
        let records: Vec<String> = stored
            .iter()
            .map(|(s, val)| format!("{s}={}", val.as_str()))
            .collect();
        let why = if unused == given.len() {
            "no native UI asked for an answer, and the store already had decisions"
        } else {
            "the store already had decisions, which can skip prompts,"
        };
        v.push(format!(
            "{why} for `{appid}` ({}): rerun with `--ephemeral`, or clear them with \
             `miniperm settings {appid} clear`",
            records.join(", ")
        ));
    }
    v
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<u8, CliError> {
    let given = args.answers.as_deref().unwrap_or("");
    let answers = answers(given)?;
    let given: Vec<String> = given
        .split(',')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let location = args.location.as_deref().map(parse_location).transpose()?;
    let (project, mut cfg) = args.entry.load()?;
    cfg.user = args.user.clone();
    cfg.render = args.render;
    cfg.channel = args.channel;
    cfg.exit_after = true;
    if let Some(l) = location {
        cfg.location = l;
    }

    // Opened for writing at the first write: bad input found before it (a tap on nothing, a
    // bad answer) leaves no file behind (exit 2 means nothing was written, nor created).
    let mut store = crate::db::LazyStore::new(args.db.location()?);
    // What the store held before the run, to explain answers that were never asked for.
    let stored: Vec<(Scope, Value)> = if answers.is_empty() {
        Vec::new()
    } else {
        store
            .state(&cfg.user, project.appid())?
            .requested()
            .collect()
    };
    let mut user = ScriptedUser::new(answers);
    let outcome = miniperm_runtime::run(&project, &cfg, &mut store, &mut user).map_err(|e| {
        if e.is_bad_input() {
            bad(e.to_string())
        } else {
            match e {
                miniperm_runtime::RunError::Store(s) => CliError::Store(s),
                other => CliError::Output(std::io::Error::other(other.to_string())),
            }
        }
    })?;
    let color = !args.json && output::stdout_color();
    for ev in &outcome.events {
        if args.json {
            json_record(out, ev, SCHEMA_VERSION)?;
        } else {
            writeln!(out, "{}", render_human(ev, color))?;
        }
    }
    out.flush()?;
    for w in answer_warnings(&given, user.remaining(), &stored, project.appid()) {
        output::warn(&w);
    }
    Ok(exit_code(&outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_the_leftover_answers_and_the_stored_decisions() {
        let given: Vec<String> = ["deny", "confirm", "settings"].map(String::from).to_vec();
        assert!(answer_warnings(&given, 0, &[], "wx1").is_empty());
        assert!(
            answer_warnings(&given, 0, &[(Scope::UserLocation, Value::Granted)], "wx1").is_empty(),
            "every answer used: nothing to say"
        );
        assert_eq!(
            answer_warnings(&given, 2, &[], "wx1"),
            vec!["2 of 3 answers unused when the run ended: `confirm,settings`"]
        );
        let w = answer_warnings(&given, 3, &[(Scope::UserLocation, Value::Denied)], "wx1");
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[1],
            "no native UI asked for an answer, and the store already had decisions for `wx1` \
             (scope.userLocation=denied): rerun with `--ephemeral`, or clear them with \
             `miniperm settings wx1 clear`"
        );
        let w = answer_warnings(&given, 1, &[(Scope::Camera, Value::Granted)], "wx1");
        assert!(w[1].starts_with("the store already had decisions, which can skip prompts, for"));
    }

    #[test]
    fn empty_answers_are_bad_input() {
        assert!(answers("").unwrap().is_empty());
        assert_eq!(answers("allow,deny").unwrap().len(), 2);
        for bad in ["allow,,deny", ",allow", "allow,", "allow, ,deny"] {
            let e = answers(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("empty answer (item "),
                "{bad}: {e}"
            );
            assert_eq!(e.exit_code(), crate::error::EXIT_BAD_INPUT);
        }
    }
}
