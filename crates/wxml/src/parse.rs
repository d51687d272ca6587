//! The WXML parser: tolerant of what WXML allows and XML does not (unquoted and value-less
//! attributes, an attribute right after a quoted value with no space, `{{ }}` holding `<`, `>`
//! and quotes), strict about structure (every tag closed).
//!
//! Which WXS modules a binding calls is not checked here: an `<include>`d file uses its
//! includer's modules, so only the renderer knows (it warns about a call to an unknown module).

use crate::expr::{Expr, ExprError};

/// A WXML syntax error, with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}` line {line}, column {column}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A parsed WXML file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub file: String,
    pub children: Vec<Item>,
}

/// A child in a WXML tree (comments are dropped, whitespace-only text too).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Element(Element),
    Text(Text),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Item>,
    /// The raw content of an inline `<wxs>`.
    pub raw: Option<String>,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub tpl: Tpl,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: String,
    /// `None` for an attribute written without a value (`hidden`, `wx:else`).
    pub value: Option<Tpl>,
    pub line: usize,
    pub col: usize,
}

/// Literal text and `{{expr}}` parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tpl(pub Vec<Part>);

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    Expr(Expr),
}

impl Tpl {
    /// The literal text when the template has no `{{ }}`.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Expr(_) => return None,
            }
        }
        Some(s)
    }
}

/// A `<wxs>` module declared in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxsModule {
    pub name: String,
    /// `src` as written (see `Templates::wxs_modules` for the resolved path).
    pub src: Option<String>,
    /// Inline code.
    pub code: Option<String>,
    pub line: usize,
    pub col: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().rev().find(|a| a.name == name)
    }

    /// The literal value of an attribute (`None` when absent or dynamic).
    pub fn literal(&self, name: &str) -> Option<String> {
        self.attr(name)
            .and_then(|a| a.value.as_ref())
            .and_then(Tpl::literal)
    }
}

impl Document {
    /// True when some element anywhere in the file satisfies `f`.
    pub fn any_element(&self, mut f: impl FnMut(&Element) -> bool) -> bool {
        let mut hit = false;
        walk(&self.children, &mut |e| hit = hit || f(e));
        hit
    }

    /// The `<wxs>` modules declared anywhere in the file, in order.
    pub fn wxs_modules(&self) -> Vec<WxsModule> {
        let mut out = Vec::new();
        walk(&self.children, &mut |e| {
            if e.name == "wxs"
                && let Some(name) = e.literal("module")
            {
                out.push(WxsModule {
                    name,
                    src: e.literal("src"),
                    code: e.raw.clone(),
                    line: e.line,
                    col: e.col,
                });
            }
        });
        out
    }
}

pub(crate) fn walk(items: &[Item], f: &mut dyn FnMut(&Element)) {
    let mut stack: Vec<&[Item]> = vec![items];
    while let Some(items) = stack.pop() {
        for it in items {
            if let Item::Element(e) = it {
                f(e);
                stack.push(&e.children);
            }
        }
    }
}

const MAX_NESTING: usize = 256;

struct P<'a> {
    file: &'a str,
    s: &'a str,
    b: &'a [u8],
    i: usize,
    lines: Vec<usize>,
}

struct Open {
    el: Element,
    offset: usize,
}

impl<'a> P<'a> {
    fn pos(&self, offset: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines[line.saturating_sub(1)];
        let end = offset.min(self.s.len());
        let col = self.s.get(start..end).map_or(1, |t| t.chars().count() + 1);
        (line, col)
    }

    fn err(&self, offset: usize, message: String) -> ParseError {
        let (line, column) = self.pos(offset);
        ParseError {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    fn starts(&self, pat: &str) -> bool {
        self.b[self.i..].starts_with(pat.as_bytes())
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn name(&mut self) -> &'a str {
        let start = self.i;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.') || c >= 0x80 {
                self.i += 1;
            } else {
                break;
            }
        }
        // stay on a char boundary
        while !self.s.is_char_boundary(self.i) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// From `at` (just after `{{`), the offset of the closing `}}`, skipping string literals
    /// and balanced braces.
    fn close_of(&self, at: usize) -> Option<usize> {
        let b = self.b;
        let mut i = at;
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'{' => depth += 1,
                    b'}' if depth > 0 => depth -= 1,
                    b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
                    _ => {}
                },
            }
            i += 1;
        }
        None
    }

    /// Parse `text` (at file offset `base`) into literal and expression parts.
    fn tpl(&self, base: usize, end: usize, body: bool) -> Result<Tpl, ParseError> {
        let mut parts = Vec::new();
        let mut i = base;
        let mut lit_start = base;
        while i + 1 < end {
            if self.b[i] == b'{' && self.b[i + 1] == b'{' {
                let close = self
                    .close_of(i + 2)
                    .filter(|&c| c + 2 <= end)
                    .ok_or_else(|| self.err(i, "unclosed `{{`".to_string()))?;
                if lit_start < i {
                    parts.push(Part::Lit(decode(&self.s[lit_start..i])));
                }
                let src = &self.s[i + 2..close];
                let parsed = if body {
                    Expr::parse_object_body(src)
                } else {
                    Expr::parse(src)
                };
                let e = parsed.map_err(|ExprError { offset, message }| {
                    self.err(
                        i + 2 + offset,
                        format!("{message} in `{{{{{}}}}}`", src.trim()),
                    )
                })?;
                parts.push(Part::Expr(e));
                i = close + 2;
                lit_start = i;
            } else {
                i += 1;
            }
        }
        if lit_start < end {
            parts.push(Part::Lit(decode(&self.s[lit_start..end])));
        }
        Ok(Tpl(parts))
    }

    /// Skip a `{{ }}` starting at `self.i`, or fail with "unclosed `{{`".
    fn skip_mustache(&mut self) -> Result<(), ParseError> {
        let close = self
            .close_of(self.i + 2)
            .ok_or_else(|| self.err(self.i, "unclosed `{{`".to_string()))?;
        self.i = close + 2;
        Ok(())
    }

    fn is_tag_start(&self, i: usize) -> bool {
        self.b[i] == b'<'
            && match self.b.get(i + 1) {
                Some(c) => c.is_ascii_alphabetic() || *c == b'_' || *c == b'/' || *c == b'!',
                None => false,
            }
    }

    fn open_tag(&mut self) -> Result<(Element, bool), ParseError> {
        let start = self.i;
        let (line, col) = self.pos(start);
        self.i += 1;
        let name = self.name().to_string();
        let mut el = Element {
            name: name.clone(),
            attrs: Vec::new(),
            children: Vec::new(),
            raw: None,
            line,
            col,
        };
        // WeChat's compiler takes `a="x"b="y"`: after a quoted value the next attribute may
        // follow without a space (elsewhere a missing space stays an error)
        let mut quoted = false;
        loop {
            let before = self.i;
            self.skip_ws();
            if self.i >= self.b.len() {
                return Err(self.err(start, format!("unterminated start tag `{name}`")));
            }
            if self.starts("/>") {
                self.i += 2;
                return Ok((el, true));
            }
            if self.b[self.i] == b'>' {
                self.i += 1;
                return Ok((el, false));
            }
            if before == self.i && !el.attrs.is_empty() && !quoted {
                return Err(self.err(
                    self.i,
                    format!("expected a space between attributes in `{name}`"),
                ));
            }
            let astart = self.i;
            while self.i < self.b.len() {
                let c = self.b[self.i];
                if c.is_ascii_whitespace() || matches!(c, b'=' | b'>' | b'/' | b'"' | b'\'' | b'<')
                {
                    break;
                }
                self.i += 1;
            }
            let aname = &self.s[astart..self.i];
            if aname.is_empty() {
                let c = self.s[self.i..].chars().next().unwrap_or(' ');
                return Err(self.err(self.i, format!("unexpected `{c}` in tag `{name}`")));
            }
            let (aline, acol) = self.pos(astart);
            let save = self.i;
            self.skip_ws();
            if self.i >= self.b.len() || self.b[self.i] != b'=' {
                self.i = save;
                quoted = false;
                el.attrs.push(Attr {
                    name: aname.to_string(),
                    value: None,
                    line: aline,
                    col: acol,
                });
                continue;
            }
            self.i += 1;
            self.skip_ws();
            let body = name == "template" && aname == "data";
            let (vstart, vend) = match self.b.get(self.i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let open = self.i;
                    self.i += 1;
                    let vs = self.i;
                    loop {
                        if self.i >= self.b.len() {
                            return Err(
                                self.err(open, format!("unclosed quote in attribute `{aname}`"))
                            );
                        }
                        if self.starts("{{") {
                            self.skip_mustache()?;
                            continue;
                        }
                        if self.b[self.i] == q {
                            break;
                        }
                        self.i += 1;
                    }
                    let ve = self.i;
                    self.i += 1;
                    quoted = true;
                    (vs, ve)
                }
                _ => {
                    let vs = self.i;
                    while self.i < self.b.len() {
                        if self.starts("{{") {
                            self.skip_mustache()?;
                            continue;
                        }
                        let c = self.b[self.i];
                        if c.is_ascii_whitespace() || c == b'>' || self.starts("/>") {
                            break;
                        }
                        self.i += 1;
                    }
                    if vs == self.i {
                        return Err(self.err(vs, format!("missing value for attribute `{aname}`")));
                    }
                    quoted = false;
                    (vs, self.i)
                }
            };
            let value = self.tpl(vstart, vend, body)?;
            el.attrs.push(Attr {
                name: aname.to_string(),
                value: Some(value),
                line: aline,
                col: acol,
            });
        }
    }

    fn run(mut self) -> Result<Document, ParseError> {
        let mut root: Vec<Item> = Vec::new();
        let mut stack: Vec<Open> = Vec::new();
        fn push(root: &mut Vec<Item>, stack: &mut [Open], it: Item) {
            match stack.last_mut() {
                Some(o) => o.el.children.push(it),
                None => root.push(it),
            }
        }
        while self.i < self.b.len() {
            if self.starts("<!--") {
                match self.s[self.i + 4..].find("-->") {
                    Some(k) => self.i += 4 + k + 3,
                    None => return Err(self.err(self.i, "unclosed comment".to_string())),
                }
                continue;
            }
            if self.starts("</") {
                let start = self.i;
                self.i += 2;
                let name = self.name().to_string();
                self.skip_ws();
                if self.i >= self.b.len() || self.b[self.i] != b'>' {
                    return Err(self.err(start, format!("malformed closing tag `{name}`")));
                }
                self.i += 1;
                let Some(open) = stack.pop() else {
                    return Err(self.err(start, format!("unexpected closing tag `{name}`")));
                };
                if open.el.name != name {
                    return Err(self.err(
                        start,
                        format!(
                            "closing tag `{name}` does not match `{}` opened at line {}, column {}",
                            open.el.name, open.el.line, open.el.col
                        ),
                    ));
                }
                push(&mut root, &mut stack, Item::Element(open.el));
                continue;
            }
            if self.starts("<!") {
                // <!DOCTYPE ...> or similar: skip to '>'
                match self.s[self.i..].find('>') {
                    Some(k) => self.i += k + 1,
                    None => return Err(self.err(self.i, "unterminated `<!`".to_string())),
                }
                continue;
            }
            if self.is_tag_start(self.i) {
                let start = self.i;
                let (mut el, closed) = self.open_tag()?;
                if closed {
                    push(&mut root, &mut stack, Item::Element(el));
                } else if el.name == "wxs" {
                    match self.s[self.i..].find("</wxs") {
                        Some(k) => {
                            el.raw = Some(self.s[self.i..self.i + k].to_string());
                            self.i += k + 5;
                            self.skip_ws();
                            if self.i >= self.b.len() || self.b[self.i] != b'>' {
                                return Err(
                                    self.err(self.i, "malformed closing tag `wxs`".to_string())
                                );
                            }
                            self.i += 1;
                            push(&mut root, &mut stack, Item::Element(el));
                        }
                        None => return Err(self.err(start, "unclosed tag `wxs`".to_string())),
                    }
                } else {
                    if stack.len() >= MAX_NESTING {
                        return Err(
                            self.err(start, format!("tags nested deeper than {MAX_NESTING}"))
                        );
                    }
                    stack.push(Open { el, offset: start });
                }
                continue;
            }
            // text up to the next tag
            let start = self.i;
            while self.i < self.b.len() {
                if self.starts("{{") {
                    self.skip_mustache()?;
                    continue;
                }
                if self.is_tag_start(self.i) {
                    break;
                }
                self.i += 1;
            }
            let text = &self.s[start..self.i];
            if text.trim().is_empty() {
                continue;
            }
            let lead = text.len() - text.trim_start().len();
            let (line, col) = self.pos(start + lead);
            let tpl = self.tpl(start, self.i, false)?;
            push(&mut root, &mut stack, Item::Text(Text { tpl, line, col }));
        }
        if let Some(open) = stack.last() {
            return Err(self.err(open.offset, format!("unclosed tag `{}`", open.el.name)));
        }
        Ok(Document {
            file: self.file.to_string(),
            children: root,
        })
    }
}

/// Decode the entities WXML text uses.
pub fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => ent
                    .strip_prefix("#x")
                    .or_else(|| ent.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parse one WXML file. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Document, ParseError> {
    let mut lines = vec![0];
    lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    P {
        file,
        s: text,
        b: text.as_bytes(),
        i: 0,
        lines,
    }
    .run()
}
