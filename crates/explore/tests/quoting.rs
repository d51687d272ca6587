//! Issue 9: replay lines are shell-quoted. Each word, quoted by [`shell_quote`] and read back by
//! `sh -c`, is the same single argument, whatever it holds (`;`, spaces, quotes, `$`, newlines).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_explore::shell_quote;
use proptest::prelude::*;
use std::process::Command;

/// The arguments `sh` sees for `printf '%s\0' WORDS...`.
fn through_sh(words: &[String]) -> Vec<String> {
    let line = words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{line}");
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .map(str::to_string)
        .collect();
    got.pop();
    got
}

#[test]
fn a_settings_answer_with_a_semicolon_stays_one_argument() {
    let answer = "deny,settings:scope.camera=on;scope.record=off".to_string();
    let words = vec![answer.clone(), "--ephemeral".to_string()];
    assert_eq!(through_sh(&words), words);
    assert!(shell_quote(&answer).starts_with('\''));
    // A project path with spaces and a quote.
    let path = vec!["/tmp/my project's dir".to_string()];
    assert_eq!(through_sh(&path), path);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn any_words_round_trip_through_sh(words in prop::collection::vec("[^\\x00]{1,24}", 1..5)) {
        prop_assert_eq!(through_sh(&words), words);
    }
}
