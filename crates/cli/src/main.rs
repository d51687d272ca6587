//! `miniperm`: the command line.
//!
//! This file holds only the clap [`Cli`] / [`Command`] enum and the dispatch. Each subcommand
//! lives in its own module with an `Args` struct and `run(args, out) -> Result<(), CliError>`;
//! to add one, add a module, a [`Command`] variant and a dispatch arm. Shared pieces: [`db`]
//! (opening the consent store from `--db` / `--ephemeral` / `MINIPERM_DB`), [`error`] (the
//! error type and the exit codes), [`output`] (one-line JSON, tables, times).
#![forbid(unsafe_code)]

mod db;
mod entry;
mod error;
mod explore;
mod output;
mod run;
mod scopes;
mod settings;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{CliError, EXIT_BAD_INPUT, EXIT_CODES_HELP, EXIT_IO, EXIT_OK};

/// WeChat mini-program authorization, reproduced: run a mini-program headless, explore every
/// answer of a permission flow, read and change the consent store
#[derive(Parser, Debug)]
#[command(name = "miniperm", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Settings(settings::Args),
    Scopes(scopes::Args),
    Run(run::Args),
    Explore(explore::Args),
}

/// Runs a subcommand; its exit code on success (`run` and `explore` can end 1 without an
/// error). The process exits in one place, [`main`].
fn dispatch(command: Command, out: &mut dyn Write) -> Result<u8, CliError> {
    match command {
        Command::Settings(args) => settings::run(args, out).map(|()| EXIT_OK),
        Command::Scopes(args) => scopes::run(args, out).map(|()| EXIT_OK),
        Command::Run(args) => run::run(args, out),
        Command::Explore(args) => explore::run(args, out),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = dispatch(cli.command, &mut out)
        .and_then(|code| out.flush().map(|()| code).map_err(CliError::from));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            drop(out);
            eprintln!("miniperm: {}", e.one_line());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Help and version go to stdout as clap prints them; a usage error becomes one line on stderr
/// and exit code 2.
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            match e.print() {
                Ok(()) => ExitCode::from(code),
                Err(_) => ExitCode::from(EXIT_IO),
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("invalid command line");
            // clap quotes inputs with '…'; our messages use backticks.
            let first = first
                .strip_prefix("error: ")
                .unwrap_or(first)
                .replace('\'', "`");
            let err = CliError::Usage(format!("{first} (see `miniperm --help`)"));
            eprintln!("miniperm: {}", err.one_line());
            ExitCode::from(err.exit_code())
        }
    }
}
