//! docs/cli.md, the complete command-line reference: every subcommand's `--help`, rendered from
//! the clap definitions. A test fails when the committed file differs from what the code
//! renders; `MINIPERM_UPDATE_DOCS=1 cargo test -p miniperm-cli reference` rewrites it.

/// The width the help is wrapped at in the reference (a terminal's help wraps at its own width,
/// at most 100).
const WIDTH: usize = 100;

/// The reference as Markdown: a contents list, then one section per command and subcommand with
/// its long help in a code block.
pub fn markdown(cmd: clap::Command) -> String {
    let mut cmd = cmd.term_width(WIDTH);
    cmd.build();
    let mut all = Vec::new();
    collect(&cmd, &mut all);
    let mut md = String::from(
        "# miniperm command-line reference\n\n\
         <!-- Generated from the clap definitions by crates/cli/src/reference.rs: do not edit.\n     \
         Regenerate: MINIPERM_UPDATE_DOCS=1 cargo test -p miniperm-cli reference -->\n\n\
         Every subcommand's `--help`, as the binary prints it. Short flags: `-p` `--page`, \
         `-t` `--tap`,\n`-s` `--state` (`run`, `explore`); `-a` `--answers` (`run`); `-u` \
         `--user` (`run`, `settings`);\n`-j` `--threads` (`explore`); `-o` `--out` (`man`). \
         Colours follow `--color auto|always|never`,\n`NO_COLOR` and `CLICOLOR_FORCE`.\n\n",
    );
    for (path, _) in &all {
        md.push_str(&format!("- [`{path}`](#{})\n", anchor(path)));
    }
    for (path, help) in &all {
        md.push_str(&format!(
            "\n## `{path}`\n\n```text\n{}\n```\n",
            help.trim_end()
        ));
    }
    md
}

/// `miniperm settings log` → `miniperm-settings-log` (GitHub's heading anchors).
fn anchor(path: &str) -> String {
    path.replace(' ', "-")
}

fn collect(cmd: &clap::Command, all: &mut Vec<(String, String)>) {
    let path = cmd
        .get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let help = cmd.clone().render_long_help().to_string();
    // clap pads some lines with trailing spaces; Markdown linters dislike them.
    let help: String = help
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    all.push((path, help));
    for sub in cmd.get_subcommands() {
        if sub.get_name() != "help" && !sub.is_hide_set() {
            collect(sub, all);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn docs_file() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md")
    }

    #[test]
    fn reference_matches_docs_cli_md() {
        let rendered = super::markdown(crate::cli_command());
        let path = docs_file();
        if std::env::var_os("MINIPERM_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "docs/cli.md is out of date with the clap definitions: regenerate it with \
             `MINIPERM_UPDATE_DOCS=1 cargo test -p miniperm-cli reference` and review the diff"
        );
    }

    #[test]
    fn reference_covers_every_subcommand_and_no_empty_default() {
        let md = super::markdown(crate::cli_command());
        for sub in crate::cli_command().get_subcommands() {
            if sub.get_name() != "help" {
                assert!(
                    md.contains(&format!("## `miniperm {}`", sub.get_name())),
                    "{}",
                    sub.get_name()
                );
            }
        }
        assert!(md.contains("## `miniperm settings log`"));
        assert!(!md.contains("[default: \"\"]"));
        assert!(!md.contains('\u{1b}'), "no ANSI escapes in the reference");
    }

    #[test]
    fn each_subcommand_names_only_its_own_exit_codes() {
        let md = super::markdown(crate::cli_command());
        let section = |name: &str| {
            let start = md.find(&format!("## `{name}`")).unwrap();
            let rest = &md[start + 4..];
            rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
        };
        let run = section("miniperm run");
        assert!(run.contains("Exit codes:") && run.contains("Examples:"));
        assert!(!run.contains("--strict"), "run's help talks about explore");
        let explore = section("miniperm explore");
        assert!(explore.contains("--strict") && explore.contains("Exit codes:"));
        for name in ["settings", "scopes", "serve", "keys", "completions", "man"] {
            let s = section(&format!("miniperm {name}"));
            assert!(
                s.contains("Examples:") && s.contains("Exit codes:"),
                "{name}"
            );
            assert!(!s.contains("--strict"), "{name}");
        }
    }
}
