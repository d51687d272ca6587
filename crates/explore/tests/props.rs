//! Properties of the report's small pieces: call-site locations survive printing and parsing;
//! a replay word survives the shell.

use miniperm_explore::Location;
use miniperm_explore::session::sh;
use proptest::prelude::*;

proptest! {
    #[test]
    fn locations_round_trip(file in "[a-z_/]{1,20}\\.(js|ts)", line in 1u32..100_000, column in 1u32..1000) {
        let l = Location { file, line, column };
        prop_assert_eq!(Location::parse(&l.to_string()), Some(l));
    }

    #[test]
    fn shell_words_round_trip(word in "\\PC{0,24}") {
        let q = sh(&word);
        prop_assert_eq!(shlex::split(&q), Some(vec![word]));
    }
}
