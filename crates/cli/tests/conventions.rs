//! CLI conventions (issue 13): `--color` with NO_COLOR / CLICOLOR_FORCE, completions and man
//! pages, short flags, empty inputs rejected, warnings about answers a run did not use, and the
//! hint of an `explore` without `--tap`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::example;

const SUBCOMMANDS: [&str; 8] = [
    "run",
    "explore",
    "settings",
    "scopes",
    "serve",
    "keys",
    "completions",
    "man",
];

/// The binary with a store in `dir` and no colour variables from the caller's environment.
fn miniperm(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_miniperm"));
    c.args(args)
        .env("MINIPERM_DB", dir.join("consent.sqlite"))
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn cat<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    [a, b].concat()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Exit 2 and exactly one line on stderr containing `needle`.
fn bad(dir: &Path, args: &[&str], needle: &str) {
    let o = miniperm(dir, args, &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("miniperm: "), "{err}");
    assert!(err.contains(needle), "{args:?}: {err} lacks {needle}");
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = miniperm(dir.path(), &["completions", shell], &[]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completions lack {sub}");
        }
        assert!(script.contains("--answers"), "{shell}");
    }
    bad(dir.path(), &["completions", "tcsh"], "`tcsh`");
}

#[test]
fn man_page_to_stdout_and_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(dir.path(), &["man"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let page = text(&o.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH miniperm"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(page.contains(sub), "the man page lacks {sub}");
    }
    let out = dir.path().join("man");
    let o = miniperm(dir.path(), &["man", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    for name in [
        "miniperm.1",
        "miniperm-settings-log.1",
        "miniperm-keys-create.1",
    ] {
        assert!(files.iter().any(|f| f == name), "{name} missing: {files:?}");
    }
    for sub in SUBCOMMANDS {
        assert!(
            files.contains(&format!("miniperm-{sub}.1")),
            "{sub}: {files:?}"
        );
        let page = std::fs::read_to_string(out.join(format!("miniperm-{sub}.1"))).unwrap();
        assert!(page.contains(".TH"), "{sub}");
    }
    assert!(text(&o.stdout).contains(&format!("wrote {} man pages", files.len())));
}

#[test]
fn color_follows_the_flag_then_no_color_then_clicolor_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let run = ["run", classic.as_str(), "--ephemeral"];
    let colored = |o: &Output| o.stdout.contains(&0x1b);
    let with = |extra: &[&'static str]| cat(extra, &run);
    // Not a terminal: plain by default.
    assert!(!colored(&miniperm(d, &run, &[])));
    assert!(colored(&miniperm(d, &with(&["--color", "always"]), &[])));
    assert!(colored(&miniperm(d, &run, &[("CLICOLOR_FORCE", "1")])));
    assert!(!colored(&miniperm(
        d,
        &run,
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!colored(&miniperm(
        d,
        &with(&["--color=never"]),
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(colored(&miniperm(
        d,
        &with(&["--color=always"]),
        &[("NO_COLOR", "1")]
    )));
    // The flag may follow the subcommand too, and JSON is never coloured.
    let o = miniperm(
        d,
        &[&run[..], &["--color", "always", "--json"]].concat(),
        &[],
    );
    assert!(!colored(&o));
    assert_eq!(o.status.code(), Some(0));
    bad(d, &["--color", "pink", "scopes"], "`pink`");
    // clap's own help follows the flag too.
    assert!(colored(&miniperm(
        d,
        &["--color", "always", "run", "--help"],
        &[]
    )));
    assert!(!colored(&miniperm(d, &["run", "--help"], &[])));
    // A closed pipe is not a crash (completions and man render to memory first).
    for args in [&["completions", "bash"][..], &["man"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_miniperm"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.code().is_some_and(|c| c == 0 || c == 3),
            "{args:?}"
        );
        assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    }
}

#[test]
fn short_flags_mean_the_long_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let long = miniperm(
        d,
        &[
            "run",
            &classic,
            "--ephemeral",
            "--page",
            "pages/index/index",
            "--state",
            "scope.userLocation=unset",
            "--tap",
            "onLocate",
            "--answers",
            "deny,confirm,settings",
            "--user",
            "alice",
        ],
        &[],
    );
    let short = miniperm(
        d,
        &[
            "run",
            &classic,
            "--ephemeral",
            "-p",
            "pages/index/index",
            "-s",
            "scope.userLocation=unset",
            "-t",
            "onLocate",
            "-a",
            "deny,confirm,settings",
            "-u",
            "alice",
        ],
        &[],
    );
    assert_eq!(long.status.code(), Some(0), "{}", text(&long.stderr));
    assert_eq!(text(&long.stdout), text(&short.stdout));
    assert!(text(&short.stdout).contains("user alice"));
    let o = miniperm(d, &["explore", &classic, "-t", "onLocate", "-j", "1"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("findings"));
}

#[test]
fn empty_list_items_and_ids_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let head = ["run", classic.as_str(), "-t", "onLocate"];
    let run = |extra: &[&'static str]| cat(&head, extra);
    bad(
        d,
        &run(&["-a", "allow,,deny"]),
        "empty answer (item 2) in `--answers allow,,deny`",
    );
    bad(d, &run(&["-a", "allow,"]), "empty answer (item 2)");
    bad(d, &run(&["-u", ""]), "`--user <ID>`: it cannot be empty");
    bad(d, &run(&["-t", " "]), "`--tap <TARGET>`");
    bad(d, &["settings", ""], "`<APPID>`: it cannot be empty");
    bad(
        d,
        &["settings", "wxdemo0001", "log", "--user", ""],
        "--user",
    );
    bad(d, &["keys", "revoke", ""], "`<ID>`");
    bad(
        d,
        &["explore", &classic, "--deny", "nag-loop,,silent-deny"],
        "empty finding code in `--deny nag-loop,,silent-deny`",
    );
    // Nothing was written by any of them.
    assert!(!d.join("consent.sqlite").exists());
}

#[test]
fn unused_answers_are_warned_about_and_a_moot_rerun_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let args = [
        "run",
        classic.as_str(),
        "-t",
        "onLocate",
        "-a",
        "deny,confirm,settings:scope.userLocation=on",
    ];
    let first = miniperm(d, &args, &[]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(text(&first.stderr), "", "every answer was used");

    // The store remembers: no prompt, every answer unused, and the hint says what to do.
    let again = miniperm(d, &args, &[]);
    assert_eq!(again.status.code(), Some(0));
    let err = text(&again.stderr);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains(
            "warning: 3 of 3 answers unused when the run ended: `deny,confirm,settings:scope.userLocation=on`"
        ),
        "{err}"
    );
    assert!(err.contains("scope.userLocation=granted"), "{err}");
    assert!(err.contains("`--ephemeral`"), "{err}");
    assert!(
        err.contains("`miniperm settings wxdemo0001 clear`"),
        "{err}"
    );

    // Extra answers on a fresh store: only the leftover is named, no store hint.
    let extra = miniperm(
        d,
        &[
            "run",
            &classic,
            "--ephemeral",
            "-t",
            "onLocate",
            "-a",
            "allow,deny,cancel",
        ],
        &[],
    );
    let err = text(&extra.stderr);
    assert_eq!(
        err,
        "miniperm: warning: 2 of 3 answers unused when the run ended: `deny,cancel`\n"
    );
    // JSON output keeps stdout clean; the warning is on stderr all the same.
    let json = miniperm(d, &[&args[..], &["--json"]].concat(), &[]);
    assert!(text(&json.stdout).lines().all(|l| l.starts_with('{')));
    assert!(text(&json.stderr).contains("answers unused"));
}

#[test]
fn explore_without_a_tap_hints_at_tap_and_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let o = miniperm(d, &["explore", &classic], &[]);
    assert_eq!(o.status.code(), Some(0));
    let err = text(&o.stderr);
    assert!(err.contains("hint: only the launch ran (1 path)"), "{err}");
    assert!(
        err.contains("`--tap TARGET`") && err.contains("`--all`"),
        "{err}"
    );
    let o = miniperm(d, &["explore", &classic, "-t", "onLocate"], &[]);
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn help_shows_examples_and_its_own_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let o = miniperm(dir.path(), &["run", "--help"], &[]);
    let help = text(&o.stdout);
    assert!(help.contains("Examples:") && help.contains("Exit codes:"));
    assert!(!help.contains("--strict"), "{help}");
    assert!(!help.contains("[default: \"\"]"), "{help}");
    assert!(help.contains("-a, --answers"), "{help}");
}

#[test]
fn a_cut_search_on_several_threads_says_it_may_differ_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let classic = example("classic");
    let cut = ["explore", &classic, "-t", "onLocate", "--max-paths", "5"];
    let o = miniperm(d, &[&cut[..], &["-j", "2"]].concat(), &[]);
    assert_eq!(o.status.code(), Some(0));
    let err = text(&o.stderr);
    assert_eq!(
        err,
        "miniperm: hint: the search was cut by --max-paths on 2 worker threads: which paths ran \
         depends on which worker finished first, so another run may report other paths; `-j 1` \
         cuts the same paths every time\n"
    );
    // One thread cuts the same paths every time; an uncut search on two threads is complete.
    let o = miniperm(d, &[&cut[..], &["-j", "1"]].concat(), &[]);
    assert_eq!(text(&o.stderr), "");
    let o = miniperm(d, &["explore", &classic, "-t", "onLocate", "-j", "2"], &[]);
    assert_eq!(text(&o.stderr), "");
}
