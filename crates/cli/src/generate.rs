//! `miniperm completions SHELL` and `miniperm man [--out DIR]`: shell completions and man pages,
//! both generated from the clap definitions so they cannot drift from the command.

use std::io::Write;
use std::path::PathBuf;

use crate::error::CliError;
use crate::help;

/// Print a shell completion script to stdout
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::COMPLETIONS)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Print the man page (roff) to stdout, or write one page per subcommand to a folder
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::MAN)]
pub struct ManArgs {
    /// Write miniperm.1 and one page per subcommand (miniperm-run.1, …) into DIR, created if
    /// missing, instead of printing miniperm.1
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn completions(
    args: CompletionsArgs,
    mut cmd: clap::Command,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let name = cmd.get_name().to_string();
    // clap_complete panics when its writer fails (a closed pipe): render to memory first.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    out.write_all(&script)?;
    Ok(())
}

pub fn man(args: ManArgs, cmd: clap::Command, out: &mut dyn Write) -> Result<(), CliError> {
    let Some(dir) = args.out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        out.write_all(&page)?;
        return Ok(());
    };
    let ctx = |e: std::io::Error| {
        CliError::Output(std::io::Error::new(
            e.kind(),
            format!("cannot write man pages to `{}`: {e}", dir.display()),
        ))
    };
    std::fs::create_dir_all(&dir).map_err(ctx)?;
    let mut cmd = cmd;
    cmd.build();
    let mut written = 0usize;
    write_pages(&cmd, &dir, &mut written).map_err(ctx)?;
    writeln!(out, "wrote {written} man pages to {}", dir.display())?;
    Ok(())
}

/// The page of `cmd` (named by its path, `miniperm-settings-log.1`) and those of its
/// subcommands.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path, n: &mut usize) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(dir.join(man.get_filename()), page)?;
    *n += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        write_pages(sub, dir, n)?;
    }
    Ok(())
}
