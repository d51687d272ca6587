//! Output helpers shared by the subcommands: JSON (docs/json.md), times and tables.

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

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `2026-11-23 21:50:00.123Z` for milliseconds since the Unix epoch (UTC).
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
pub fn table(out: &mut dyn Write, rows: &[Vec<String>]) -> Result<(), CliError> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(c);
                line.extend(std::iter::repeat_n(' ', widths[i] - c.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(format_ms(0), "1970-01-01 00:00:00.000Z");
        assert_eq!(format_ms(1_795_470_600_123), "2026-11-23 21:50:00.123Z");
        assert_eq!(format_ms(951_782_400_000), "2000-02-29 00:00:00.000Z");
        assert_eq!(format_ms(-1), "1969-12-31 23:59:59.999Z");
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
