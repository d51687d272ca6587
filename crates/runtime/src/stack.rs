//! QuickJS stack lines: the `file:line:col` of a frame, and the first frame in the project.

/// JavaScript's `\s` (ECMAScript WhiteSpace and LineTerminator; unlike Rust's
/// `char::is_whitespace`, the byte-order mark but not U+0085).
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// The first frame of a QuickJS stack that names a project file (prelude frames name `<…>`), as
/// `file:line:col`. The same as matching each line (split on `\n`) against
/// `/\(?([^\s()]+):(\d+):(\d+)\)?\s*$/` and keeping the first whose file does not start with `<`.
pub(crate) fn call_site(stack: &str) -> Option<String> {
    stack.split('\n').find_map(|line| {
        let (file, l, c) = frame(line)?;
        (!file.starts_with('<')).then(|| format!("{file}:{l}:{c}"))
    })
}

/// `(file, line, col)` of one stack line, as the regex in [`call_site`] captures them.
pub(crate) fn frame(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.trim_end_matches(js_space);
    let rest = rest.strip_suffix(')').unwrap_or(rest);
    let digits = |s: &str| s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let nc = digits(rest);
    let (rest, col) = rest.split_at(rest.len() - nc);
    let rest = rest.strip_suffix(':').filter(|_| nc > 0)?;
    let nl = digits(rest);
    let (rest, ln) = rest.split_at(rest.len() - nl);
    let rest = rest.strip_suffix(':').filter(|_| nl > 0)?;
    let start = rest
        .char_indices()
        .rev()
        .find(|&(_, c)| js_space(c) || c == '(' || c == ')')
        .map_or(0, |(i, c)| i + c.len_utf8());
    let file = &rest[start..];
    (!file.is_empty()).then_some((file, ln, col))
}
