//! Properties of the report's small pieces: call-site locations survive printing and parsing;
//! a replay word survives the shell.

use miniperm_explore::Location;
use miniperm_explore::session::sh;
use proptest::prelude::*;

/// Splits one POSIX shell word as `sh` would (only the quoting `sh()` produces).
fn unquote(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            c if c.is_whitespace() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

proptest! {
    #[test]
    fn locations_round_trip(file in "[a-z_/]{1,20}\\.(js|ts)", line in 1u32..100_000, column in 1u32..1000) {
        let l = Location { file, line, column };
        prop_assert_eq!(Location::parse(&l.to_string()), Some(l));
    }

    #[test]
    fn shell_words_round_trip(word in "\\PC{0,24}") {
        let q = sh(&word);
        prop_assert_eq!(unquote(&q), Some(word));
    }
}
