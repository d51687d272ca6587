//! The text after each subcommand's options in `--help`: examples, then the exit codes that
//! subcommand can end with (each names only its own flags). docs/cli.md is generated from
//! these (tests/cli_reference.rs), so keep the wording here.

/// `miniperm --help`.
pub const TOP: &str = "\
Examples:
  miniperm run examples/classic -t onLocate -a deny,confirm,settings:scope.userLocation=on
  miniperm explore examples/classic -t onLocate
  miniperm settings wxdemo0001 log
  miniperm scopes

Every subcommand's --help lists its examples and exit codes. The consent store: --ephemeral, else
--db PATH, else $MINIPERM_DB, else consent.sqlite in the user's data directory.

Exit codes:
  0  success
  1  run: an uncaught error in mini-program code, a limit, or bad input after the run wrote
     consent; explore: --strict or --deny failed
  2  bad input: a malformed flag or argument, an unknown scope, a --db file that is not a
     miniperm database or was written by a newer miniperm (nothing is written)
  3  the consent store or the output failed (i/o error, full disk, database locked, database
     server unreachable)";

/// `miniperm run --help`.
pub const RUN: &str = "\
Examples:
  # deny, confirm the modal, switch location on in the settings page
  miniperm run examples/classic -t onLocate -a deny,confirm,settings:scope.userLocation=on
  # start from a denied scope, on a fresh in-memory store, as JSON Lines
  miniperm run examples/classic -s scope.userLocation=denied -t onLocate -a confirm,settings \\
    --ephemeral --json
  # tap what the page shows, and print the page after each step
  miniperm run examples/classic -t 'button' -a allow --render --ephemeral

The store remembers answers across runs (deny memory): a second run may show no prompt and leave
--answers unused (a warning says so). Use --ephemeral, or `miniperm settings APPID clear`.

Exit codes:
  0  the run went idle, or a native UI waits and --answers ran out (end `idle` or
     `awaiting-answer`)
  1  an uncaught error in mini-program code, a limit (--timeout-ms, --memory-mb, event caps), or
     a bad answer or tap after the run wrote consent (end `error`, `limit` or `bad-input`)
  2  bad input before anything was written: a malformed flag, an empty answer or id, a project
     that does not load, a bad --db file
  3  the consent store or the output failed (i/o error, full disk, database locked, database
     server unreachable)";

/// `miniperm pages --help`.
pub const PAGES: &str = "\
Examples:
  # does miniperm run my app? every page, once
  miniperm pages path/to/project
  # every page listed, as JSON for CI
  miniperm pages path/to/project --json > pages.json

A page loads clean when opening it (launch, its lifecycle, its timers, run to idle; a prompt that
waits for an answer is fine) ends without an uncaught error and without a limit. A file with a
syntax error fails only the pages that need it, with its file, line and column.

Exit codes:
  0  every page loads clean
  1  at least one page does not (each is printed with its first error)
  2  bad input: a malformed flag, a project that does not load (no app.json, malformed app.json)
  3  the output failed";

/// `miniperm explore --help`.
pub const EXPLORE: &str = "\
Examples:
  miniperm explore examples/classic -t onLocate
  miniperm explore examples/classic -t onLocate --html report.html
  # every page and tap handler, for CI: fail on any finding, plain progress lines
  miniperm explore examples/classic --all --strict --progress
  # accept today's findings, fail only on new ones
  miniperm explore examples/classic --all --json > baseline.json
  miniperm explore examples/classic --all --baseline baseline.json --strict

Exit codes:
  0  explored (findings are reported but do not fail without --strict or --deny)
  1  --strict: a finding not in --baseline, a search cut by --max-paths, a path that ended in a
     limit or was cut; --deny CODE: a finding with that code (the reasons are printed on stderr)
  2  bad input: a malformed flag, an unknown --deny code, a bad --baseline, a project that does
     not load
  3  the consent store, a report file or the output failed";

/// `miniperm settings --help`.
pub const SETTINGS: &str = "\
Examples:
  miniperm settings wxdemo0001
  miniperm settings wxdemo0001 set scope.userLocation=off scope.camera=on
  miniperm settings wxdemo0001 log -u alice
  miniperm settings wxdemo0001 explain scope.userLocation
  miniperm settings wxdemo0001 clear

Exit codes:
  0  success
  2  bad input: an empty appid or user, a malformed SCOPE=on|off, an unknown scope, a --db file
     that is not a miniperm database (nothing is written)
  3  the consent store or the output failed (i/o error, full disk, database locked, database
     server unreachable)";

/// `miniperm scopes --help`.
pub const SCOPES: &str = "\
Examples:
  miniperm scopes
  miniperm scopes --json

Exit codes:
  0  success
  3  the output failed";

/// `miniperm serve --help`.
pub const SERVE: &str = "\
Examples:
  miniperm serve
  miniperm serve --listen 0.0.0.0:7878 --db /var/lib/miniperm/consent.sqlite --projects ~/wx

Exit codes:
  0  stopped by SIGTERM or ctrl-c after the requests in flight were answered
  2  bad input: --ephemeral, a --projects path that is not a folder, an address it cannot listen
     on, a bad --db file
  3  the consent store or the output failed";

/// `miniperm keys --help`.
pub const KEYS: &str = "\
Examples:
  miniperm keys create acme
  miniperm keys list
  miniperm keys revoke key_0123456789ab

Exit codes:
  0  success
  2  bad input: a malformed tenant, no active key with that id, --ephemeral, a bad --db file
  3  the consent store or the output failed";

/// `miniperm completions --help`.
pub const COMPLETIONS: &str = "\
Examples:
  miniperm completions bash > ~/.local/share/bash-completion/completions/miniperm
  miniperm completions zsh > ~/.zfunc/_miniperm        # with fpath+=(~/.zfunc) in .zshrc
  miniperm completions fish > ~/.config/fish/completions/miniperm.fish

Exit codes:
  0  success
  2  an unknown shell
  3  the output failed";

/// `miniperm man --help`.
pub const MAN: &str = "\
Examples:
  miniperm man | man -l -
  miniperm man --out target/man    # miniperm.1, miniperm-run.1, miniperm-settings-log.1, …

Exit codes:
  0  success
  3  the output or a page file could not be written";
