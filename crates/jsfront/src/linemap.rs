//! Generated → original positions. All lines and columns here are 1-based; columns count
//! characters (Unicode scalar values) from the line start.

/// One mapping point: from `gen` onwards (on the same generated line) the text comes from `orig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    pub gen_line: u32,
    pub gen_col: u32,
    pub orig_line: u32,
    pub orig_col: u32,
    /// The generated text after this point was copied, so columns advance together; when false
    /// (inserted text) every column maps to the point itself.
    pub copied: bool,
}

/// Maps a position in [`Output::code`](crate::Output) back to the source file given to
/// [`transform`](crate::transform).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMap {
    /// Empty: identity (the source came out unchanged).
    edits: Vec<Point>,
    /// Codegen's source map (TypeScript files): positions of the edited text → the original.
    tokens: Vec<Point>,
}

fn lookup(points: &[Point], line: u32, col: u32) -> Option<(u32, u32)> {
    if points.is_empty() {
        return None;
    }
    let i = points.partition_point(|p| (p.gen_line, p.gen_col) <= (line, col));
    let p = if i == 0 { points[0] } else { points[i - 1] };
    if p.gen_line != line {
        // Before the first point of this line, or a line without points: the nearest point.
        let next = points.get(i).filter(|n| n.gen_line == line);
        let q = next.copied().unwrap_or(p);
        return Some((q.orig_line, q.orig_col));
    }
    if p.copied {
        Some((p.orig_line, p.orig_col + (col - p.gen_col)))
    } else {
        Some((p.orig_line, p.orig_col))
    }
}

impl LineMap {
    pub(crate) fn new(edits: Vec<Point>, tokens: Vec<Point>) -> LineMap {
        LineMap { edits, tokens }
    }

    /// True when the code is the source unchanged (every position maps to itself).
    pub fn is_identity(&self) -> bool {
        self.edits.is_empty() && self.tokens.is_empty()
    }

    /// The original (line, column) of a generated position, both 1-based.
    pub fn original(&self, line: u32, col: u32) -> (u32, u32) {
        let col = col.max(1);
        let (l, c) = lookup(&self.edits, line, col).unwrap_or((line, col));
        lookup(&self.tokens, l, c).unwrap_or((l, c))
    }
}

/// Byte offsets of line starts.
pub(crate) struct Lines<'s> {
    text: &'s str,
    starts: Vec<usize>,
}

impl<'s> Lines<'s> {
    pub fn new(text: &'s str) -> Lines<'s> {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        Lines { text, starts }
    }

    /// 1-based (line, column in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let i = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[i];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (to_u32(i + 1), to_u32(col + 1))
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_when_empty() {
        let m = LineMap::default();
        assert!(m.is_identity());
        assert_eq!(m.original(7, 3), (7, 3));
    }

    #[test]
    fn copied_and_inserted_points() {
        let p = |gl, gc, ol, oc, copied| Point {
            gen_line: gl,
            gen_col: gc,
            orig_line: ol,
            orig_col: oc,
            copied,
        };
        let m = LineMap::new(
            vec![
                p(1, 1, 1, 1, false),
                p(1, 20, 1, 7, true),
                p(2, 1, 2, 1, true),
            ],
            vec![],
        );
        assert_eq!(m.original(1, 5), (1, 1));
        assert_eq!(m.original(1, 22), (1, 9));
        assert_eq!(m.original(2, 4), (2, 4));
    }

    #[test]
    fn positions_count_characters() {
        let l = Lines::new("ab\n\u{e9}x\n");
        assert_eq!(l.position(0), (1, 1));
        assert_eq!(l.position(3), (2, 1));
        assert_eq!(l.position(5), (2, 2));
    }
}
