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
mod generate;
mod help;
mod output;
mod pages;
#[cfg(test)]
mod reference;
mod run;
mod scopes;
mod serve;
mod settings;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc for every Rust allocation: the explorer's own work per path (transcripts, digests,
/// the tree) is allocation-heavy. QuickJS keeps its own allocators (the C library's on a fresh
/// runtime, the arena on a zygote). Measured in BENCHMARKS.md (`cargo bench -p miniperm-explore
/// --bench speed`, with and without `--features bench-mimalloc`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::error::{CliError, EXIT_BAD_INPUT, EXIT_IO, EXIT_OK};
use crate::output::ColorWhen;

/// WeChat mini-program authorization, reproduced: run a mini-program headless, explore every
/// answer of a permission flow, read and change the consent store
#[derive(Parser, Debug)]
#[command(name = "miniperm", version, after_help = help::TOP, max_term_width = 100)]
struct Cli {
    /// When to colour: auto, always, never; auto colours a terminal unless NO_COLOR is set
    /// (CLICOLOR_FORCE=1 colours anything)
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value_t = ColorWhen::Auto,
        hide_possible_values = true
    )]
    color: ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run::Args),
    Pages(pages::Args),
    Explore(explore::Args),
    Settings(settings::Args),
    Scopes(scopes::Args),
    Serve(serve::ServeArgs),
    Keys(serve::KeysArgs),
    Completions(generate::CompletionsArgs),
    Man(generate::ManArgs),
}

/// Runs a subcommand; its exit code on success (`run` and `explore` can end 1 without an
/// error). The process exits in one place, [`main`].
fn dispatch(command: Command, out: &mut dyn Write) -> Result<u8, CliError> {
    match command {
        Command::Serve(args) => serve::serve(args, out).map(|()| EXIT_OK),
        Command::Keys(args) => serve::keys(args, out).map(|()| EXIT_OK),
        Command::Settings(args) => settings::run(args, out).map(|()| EXIT_OK),
        Command::Scopes(args) => scopes::run(args, out).map(|()| EXIT_OK),
        Command::Run(args) => run::run(args, out),
        Command::Pages(args) => pages::run(args, out),
        Command::Explore(args) => explore::run(args, out),
        Command::Completions(args) => {
            generate::completions(args, cli_command(), out).map(|()| EXIT_OK)
        }
        Command::Man(args) => generate::man(args, cli_command(), out).map(|()| EXIT_OK),
    }
}

/// The whole command line as clap sees it (help, completions, man pages, docs/cli.md).
pub fn cli_command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

fn main() -> ExitCode {
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--color` is known before parsing, so that clap's own help and errors follow it.
    let early = output::color_in_args(&args).unwrap_or(ColorWhen::Auto);
    output::set_color(early);
    let cli = match cli_command()
        .color(early)
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    output::set_color(cli.color);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = dispatch(cli.command, &mut out)
        .and_then(|code| out.flush().map(|()| code).map_err(CliError::from));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            drop(out);
            error_line(&e);
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
            let mut first = clap_one_line(&text);
            // clap's similarity cut-off misses short typos (`rn`): one edit away still helps.
            if e.kind() == ErrorKind::InvalidSubcommand
                && !first.contains("tip:")
                && let Some(clap::error::ContextValue::String(typed)) =
                    e.get(clap::error::ContextKind::InvalidSubcommand)
            {
                use clap::CommandFactory;
                let cmd = Cli::command();
                if let Some(near) = cmd
                    .get_subcommands()
                    .map(|c| c.get_name())
                    .find(|n| edit_distance(n, typed) <= 1)
                {
                    first.push_str(&format!("; tip: a similar subcommand exists: `{near}`"));
                }
            }
            let err = CliError::Usage(format!("{first} (see `miniperm --help`)"));
            error_line(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// `miniperm: MESSAGE` on stderr, the one line an error prints (coloured per `--color`).
fn error_line(e: &CliError) {
    let style = output::ERROR;
    anstream::eprintln!("{style}miniperm:{style:#} {}", e.one_line());
}

/// Levenshtein distance, for short subcommand typos.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// clap's whole error on one line: the message, what it names (missing arguments, the bad
/// value) and its tips ("a similar subcommand exists: `run`"), without the usage block.
fn clap_one_line(text: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for l in text.lines() {
        let l = l.trim();
        if l.starts_with("Usage:") || l.starts_with("For more information") {
            break;
        }
        if l.is_empty() {
            continue;
        }
        let l = l.strip_prefix("error: ").unwrap_or(l);
        // clap quotes inputs with '…'; our messages use backticks.
        let l = l.replace('\'', "`");
        match parts.last_mut() {
            Some(last) if last.ends_with(':') => {
                last.push(' ');
                last.push_str(&l);
            }
            Some(last) if !l.starts_with("tip:") => {
                last.push_str(", ");
                last.push_str(&l);
            }
            _ => parts.push(l),
        }
    }
    if parts.is_empty() {
        "invalid command line".to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::clap_one_line;

    #[test]
    fn the_command_line_is_consistent() {
        // clap's own checks: no two flags share a short or long name, defaults fit, ….
        super::cli_command().debug_assert();
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(super::edit_distance("rn", "run"), 1);
        assert_eq!(super::edit_distance("run", "run"), 0);
        assert_eq!(super::edit_distance("serve", "run"), 4);
    }

    #[test]
    fn clap_errors_keep_what_they_name_and_their_tips() {
        let missing = "error: the following required arguments were not provided:\n  <APPID>\n\nUsage: miniperm settings <APPID> [COMMAND]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_one_line(missing),
            "the following required arguments were not provided: <APPID>"
        );
        let typo = "error: unrecognized subcommand 'rn'\n\n  tip: a similar subcommand exists: 'run'\n\nUsage: miniperm <COMMAND>\n";
        assert_eq!(
            clap_one_line(typo),
            "unrecognized subcommand `rn`; tip: a similar subcommand exists: `run`"
        );
    }
}
