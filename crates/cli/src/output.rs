//! Output helpers shared by the subcommands: JSON (docs/json.md), tables, times, colour and
//! warnings.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::error::CliError;

/// Writes `value` as one JSON Lines record (a stream's line: compact, no spaces), with
/// `schema_version` added as its last field. `value` must serialize to an object.
pub fn json_record(
    out: &mut dyn Write,
    value: &(impl Serialize + ?Sized),
    schema_version: u32,
) -> Result<(), CliError> {
    let mut v = serde_json::to_value(value)?;
    if let Json::Object(m) = &mut v {
        m.insert("schema_version".into(), schema_version.into());
    }
    let mut line = serde_json::to_vec(&v)?;
    line.push(b'\n');
    out.write_all(&line)?;
    Ok(())
}

/// Writes one JSON document (a whole answer: pretty-printed, two-space indent, then a newline)
/// with `schema_version` as its first field, then `fields` in order.
pub fn json_document(
    out: &mut dyn Write,
    schema_version: u32,
    fields: Map<String, Json>,
) -> Result<(), CliError> {
    let mut doc = Map::new();
    doc.insert("schema_version".into(), schema_version.into());
    doc.extend(fields);
    let mut text = serde_json::to_vec_pretty(&Json::Object(doc))?;
    text.push(b'\n');
    out.write_all(&text)?;
    Ok(())
}

/// `2026-11-23 21:50:00.123Z` for milliseconds since the Unix epoch (UTC); the bare number when
/// it is out of the calendar's range.
pub fn format_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S%.3fZ").to_string(),
        Err(_) => format!("{ms} ms"),
    }
}

/// The columns a string takes in a terminal (CJK characters take two).
fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Left-aligned columns, two spaces apart, padded by display width (so CJK text aligns); the
/// last column is not padded.
pub fn table(out: &mut dyn Write, rows: &[Vec<String>]) -> Result<(), CliError> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - width(c) + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `--color`: when human output and messages on stderr are coloured.
pub type ColorWhen = clap::ColorChoice;

/// Sets the colour choice for the whole process (clap's help, stdout, stderr). `auto` honours
/// `NO_COLOR` (never), then `CLICOLOR_FORCE` (always), then `CLICOLOR=0`, then whether the
/// stream is a terminal.
pub fn set_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
        ColorWhen::Auto => anstream::ColorChoice::Auto,
    };
    choice.write_global();
}

/// The `--color` value on a command line before clap parses it, so that clap's own help and
/// errors follow it too. `None` when absent or not one of the values (clap then says so).
pub fn color_in_args(args: &[std::ffi::OsString]) -> Option<ColorWhen> {
    let mut it = args.iter().skip(1).map(|a| a.to_str());
    let mut found = None;
    while let Some(a) = it.next() {
        let value = match a {
            Some("--") => break,
            Some("--color") => it.next().flatten(),
            Some(a) => match a.strip_prefix("--color=") {
                Some(v) => Some(v),
                None => continue,
            },
            None => continue,
        };
        found = match value {
            Some("auto") => Some(ColorWhen::Auto),
            Some("always") => Some(ColorWhen::Always),
            Some("never") => Some(ColorWhen::Never),
            _ => None,
        };
    }
    found
}

/// True when stdout is to be coloured (after [`set_color`]).
pub fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// The style of `warning:` and `hint:` on stderr.
pub const WARN: anstyle::Style = anstyle::AnsiColor::Yellow.on_default().bold();
/// The style of a failing line on stderr.
pub const ERROR: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();

/// `miniperm: warning: MESSAGE` on stderr (coloured per `--color`).
pub fn warn(msg: &str) {
    anstream::eprintln!("miniperm: {WARN}warning{WARN:#}: {msg}");
}

/// `miniperm: hint: MESSAGE` on stderr (coloured per `--color`).
pub fn hint(msg: &str) {
    anstream::eprintln!("miniperm: {WARN}hint{WARN:#}: {msg}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_by_display_width() {
        let rows = vec![
            vec!["scope".to_string(), "label".to_string(), "x".to_string()],
            vec![
                "位置信息".to_string(),
                "地理位置".to_string(),
                "y".to_string(),
            ],
            vec!["ab".to_string(), "c".to_string(), "z".to_string()],
        ];
        let mut out = Vec::new();
        table(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let cols: Vec<usize> = text
            .lines()
            .map(|l| width(&l[..l.rfind(' ').unwrap()]))
            .collect();
        assert_eq!(cols, vec![19, 19, 19], "{text}");
        assert_eq!(text.lines().nth(1), Some("位置信息  地理位置  y"));
    }

    #[test]
    fn color_flag_is_found_before_parsing() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            color_in_args(&args(&["miniperm", "--color", "never", "scopes"])),
            Some(ColorWhen::Never)
        );
        assert_eq!(
            color_in_args(&args(&["miniperm", "scopes", "--color=always"])),
            Some(ColorWhen::Always)
        );
        assert_eq!(
            color_in_args(&args(&["miniperm", "--", "--color=always"])),
            None
        );
        assert_eq!(color_in_args(&args(&["miniperm", "--color=pink"])), None);
        assert_eq!(color_in_args(&args(&["miniperm", "scopes"])), None);
    }

    #[test]
    fn times() {
        assert_eq!(format_ms(0), "1970-01-01 00:00:00.000Z");
        assert_eq!(format_ms(1_795_470_600_123), "2026-11-23 21:50:00.123Z");
        assert_eq!(format_ms(951_782_400_000), "2000-02-29 00:00:00.000Z");
        assert_eq!(format_ms(-1), "1969-12-31 23:59:59.999Z");
        assert_eq!(format_ms(i64::MAX), format!("{} ms", i64::MAX));
    }

    #[test]
    fn records_are_compact_lines_and_carry_their_version_last() {
        let mut out = Vec::new();
        json_record(
            &mut out,
            &serde_json::json!({"type": "end", "a": [1, 2]}),
            3,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"type\":\"end\",\"a\":[1,2],\"schema_version\":3}\n"
        );
    }

    #[test]
    fn documents_are_pretty_and_carry_their_version_first() {
        let mut out = Vec::new();
        let mut m = Map::new();
        m.insert("scopes".into(), serde_json::json!([]));
        json_document(&mut out, 1, m).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n  \"schema_version\": 1,\n  \"scopes\": []\n}\n"
        );
    }
}
