//! A small JavaScript tokenizer for the WXS rename pass.
//!
//! It finds where identifiers are, and nothing else: strings (with escapes), template literals
//! (with nested `${…}`), line and block comments, regular expression literals (told from
//! division by the previous significant token), numbers and punctuators are skipped as whole
//! tokens, so a word inside any of them is never seen as an identifier. It also tracks, with a
//! stack of open brackets, whether a `{` opens a block or an object literal, so that the first
//! token of a property key (`{ class: 1 }`) can be told from an identifier.
//!
//! It never fails: malformed input (an unterminated string, a stray `}`) still gives tokens,
//! and the parser that runs afterwards reports the error.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An identifier or a keyword (or a `#private` name).
    Word,
    Number,
    /// A quoted string.
    Str,
    /// A whole template without substitutions, or its last piece (`` }…` ``).
    TemplateEnd,
    /// A template piece before a substitution (`` `…${ `` or `` }…${ ``).
    TemplateOpen,
    Regex,
    Punct,
    LineComment,
    BlockComment,
}

/// One token: `src[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// A line terminator comes between the previous token and this one.
    pub newline_before: bool,
    /// The first token of a property definition in an object literal (after its `{` or a `,`).
    pub key_position: bool,
    /// The previous significant token is `.` or `?.` (this is a property name).
    pub after_dot: bool,
    /// A statement may start here (nothing, `;`, a block's `}`, `else`, a label's `:` … before).
    pub statement_start: bool,
}

impl Token {
    pub fn is_comment(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

/// The tokens of a source.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub tokens: Vec<Token>,
    /// The source ends inside a block comment.
    pub unterminated_comment: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Block,
    Object,
    /// `(`; `cond` when it follows `if`, `while`, `for` or `with` (a `/` after its `)` starts a
    /// regular expression).
    Paren {
        cond: bool,
    },
    Bracket,
    /// `${` of a template: its `}` continues the template.
    Template,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: FrameKind,
    /// `?` of conditional expressions whose `:` has not come yet.
    ternaries: u32,
}

/// What the previous significant token says about the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of input.
    Start,
    /// An operand ended (identifier, literal, `)`, `]`, an object literal's `}`, postfix `++`):
    /// `/` divides, `{` cannot start an object literal.
    Operand,
    /// `return`, `typeof`, `new`, `case` …: an expression starts.
    ExprKeyword {
        is_return: bool,
    },
    /// `)` closing `if (…)`, `while (…)`, `for (…)` or `with (…)`.
    CondParen,
    /// `;` or a block's `}`.
    StatementEnd,
    /// `else`, `do`, `try`, `finally`.
    StatementKeyword,
    /// `:` of a `case` or a label.
    StatementColon,
    Arrow,
    Dot,
    /// Any other punctuator: an expression starts.
    Operator,
}

impl Prev {
    fn regex_allowed(self) -> bool {
        !matches!(self, Prev::Operand | Prev::Dot)
    }

    fn statement_start(self) -> bool {
        matches!(
            self,
            Prev::Start
                | Prev::StatementEnd
                | Prev::StatementKeyword
                | Prev::StatementColon
                | Prev::CondParen
        )
    }
}

/// Keywords after which an expression starts.
const EXPR_KEYWORDS: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "new",
    "delete",
    "void",
    "throw",
    "case",
];

const STATEMENT_KEYWORDS: &[&str] = &["else", "do", "try", "finally"];

/// Punctuators of more than one character, longest first (`/` and `/=` are scanned apart).
const PUNCTUATORS: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
    "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "%=", "&=", "|=", "^=", "<<",
    ">>", "**",
];

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || c == '_'
        || c == '$'
        || c == '\\'
        || (!c.is_ascii() && c.is_alphabetic())
}

fn is_id_continue(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '$'
        || c == '\\'
        || c == '\u{200c}'
        || c == '\u{200d}'
        || (!c.is_ascii() && c.is_alphanumeric())
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    stack: Vec<Frame>,
    prev: Prev,
    /// The text of the previous significant token when it is a word not after a dot.
    prev_word: Option<&'s str>,
    /// The next significant token starts a property definition.
    key_next: bool,
    newline: bool,
    out: Tokens,
}

/// Splits `src` into tokens (comments included).
pub(crate) fn tokenize(src: &str) -> Tokens {
    let mut lx = Lexer {
        src,
        pos: 0,
        stack: vec![Frame {
            kind: FrameKind::Block,
            ternaries: 0,
        }],
        prev: Prev::Start,
        prev_word: None,
        key_next: false,
        newline: false,
        out: Tokens::default(),
    };
    lx.run();
    lx.out
}

impl<'s> Lexer<'s> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().nth(ahead))
    }

    /// Moves past the next character (nothing at the end).
    fn bump(&mut self) {
        self.pos += self.peek().map_or(0, char::len_utf8);
    }

    fn starts_with(&self, p: &str) -> bool {
        self.src.get(self.pos..).is_some_and(|s| s.starts_with(p))
    }

    fn top(&mut self) -> &mut Frame {
        if self.stack.is_empty() {
            self.stack.push(Frame {
                kind: FrameKind::Block,
                ternaries: 0,
            });
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn top_kind(&self) -> FrameKind {
        self.stack.last().map_or(FrameKind::Block, |f| f.kind)
    }

    /// Pops the top frame when it is of `kind`-like sort (never the root frame).
    fn pop_if(&mut self, pred: impl Fn(FrameKind) -> bool) -> Option<FrameKind> {
        if self.stack.len() > 1 && pred(self.top_kind()) {
            self.stack.pop().map(|f| f.kind)
        } else {
            None
        }
    }

    fn push_frame(&mut self, kind: FrameKind) {
        self.stack.push(Frame { kind, ternaries: 0 });
    }

    fn emit(&mut self, kind: Kind, start: usize) {
        let comment = matches!(kind, Kind::LineComment | Kind::BlockComment);
        let tok = Token {
            kind,
            start,
            end: self.pos,
            newline_before: self.newline,
            key_position: !comment && self.key_next,
            after_dot: !comment && self.prev == Prev::Dot,
            statement_start: !comment && self.prev.statement_start(),
        };
        self.out.tokens.push(tok);
        if !comment {
            self.newline = false;
            self.key_next = false;
        }
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if is_line_terminator(c) {
                self.newline = true;
                self.bump();
            } else if c.is_whitespace() || c == '\u{feff}' {
                self.bump();
            } else if self.starts_with("//") {
                self.line_comment(start);
            } else if self.starts_with("/*") {
                self.block_comment(start);
            } else if c == '/' {
                if self.prev.regex_allowed() {
                    self.regex(start);
                } else {
                    self.bump();
                    if self.peek() == Some('=') {
                        self.bump();
                    }
                    self.punct_done(start);
                }
            } else if c == '\'' || c == '"' {
                self.string(start, c);
            } else if c == '`' {
                self.bump();
                self.template(start);
            } else if c.is_ascii_digit()
                || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.number(start);
            } else if is_id_start(c) || (c == '#' && self.peek_at(1).is_some_and(is_id_start)) {
                self.word(start);
            } else {
                self.punct(start);
            }
        }
    }

    fn line_comment(&mut self, start: usize) {
        while let Some(c) = self.peek() {
            if is_line_terminator(c) {
                break;
            }
            self.bump();
        }
        self.emit(Kind::LineComment, start);
    }

    fn block_comment(&mut self, start: usize) {
        self.pos += 2;
        loop {
            match self.peek() {
                None => {
                    self.out.unterminated_comment = true;
                    break;
                }
                Some('*') if self.peek_at(1) == Some('/') => {
                    self.pos += 2;
                    break;
                }
                Some(c) => {
                    if is_line_terminator(c) {
                        self.newline = true;
                    }
                    self.bump();
                }
            }
        }
        self.emit(Kind::BlockComment, start);
    }

    fn string(&mut self, start: usize, quote: char) {
        self.bump();
        while let Some(c) = self.peek() {
            if c == quote {
                self.bump();
                break;
            }
            if c == '\n' || c == '\r' {
                // Unterminated: the parser reports it.
                break;
            }
            self.bump();
            if c == '\\' {
                let next = self.peek();
                self.bump();
                if next == Some('\r') && self.peek() == Some('\n') {
                    self.bump();
                }
            }
        }
        self.emit(Kind::Str, start);
        self.prev = Prev::Operand;
        self.prev_word = None;
    }

    /// The rest of a template after its `` ` `` or a substitution's `}`.
    fn template(&mut self, start: usize) {
        loop {
            match self.peek() {
                None => {
                    self.emit(Kind::TemplateEnd, start);
                    self.prev = Prev::Operand;
                    break;
                }
                Some('`') => {
                    self.bump();
                    self.emit(Kind::TemplateEnd, start);
                    self.prev = Prev::Operand;
                    break;
                }
                Some('$') if self.peek_at(1) == Some('{') => {
                    self.pos += 2;
                    self.emit(Kind::TemplateOpen, start);
                    self.push_frame(FrameKind::Template);
                    self.prev = Prev::Operator;
                    break;
                }
                Some('\\') => {
                    self.bump();
                    self.bump();
                }
                Some(_) => self.bump(),
            }
        }
        self.prev_word = None;
    }

    fn regex(&mut self, start: usize) {
        self.bump();
        let mut in_class = false;
        while let Some(c) = self.peek() {
            if is_line_terminator(c) {
                break;
            }
            self.bump();
            match c {
                '\\' if self.peek().is_some_and(|n| !is_line_terminator(n)) => self.bump(),
                '[' => in_class = true,
                ']' => in_class = false,
                '/' if !in_class => break,
                _ => {}
            }
        }
        while self.peek().is_some_and(is_id_continue) {
            self.bump();
        }
        self.emit(Kind::Regex, start);
        self.prev = Prev::Operand;
        self.prev_word = None;
    }

    fn number(&mut self, start: usize) {
        let radix = self.peek() == Some('0')
            && self
                .peek_at(1)
                .is_some_and(|c| matches!(c, 'x' | 'X' | 'o' | 'O' | 'b' | 'B'));
        if radix {
            self.pos += 2;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                self.bump();
            }
        } else {
            while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
                self.bump();
            }
            if self.peek() == Some('.') {
                self.bump();
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
                    self.bump();
                }
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let sign = matches!(self.peek_at(1), Some('+' | '-'));
                let digit_at = if sign { 2 } else { 1 };
                if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += digit_at;
                    while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
                        self.bump();
                    }
                }
            }
            // A BigInt suffix (`10n`); anything else glued on is the parser's to report.
            while self.peek().is_some_and(is_id_continue) {
                self.bump();
            }
        }
        self.emit(Kind::Number, start);
        self.prev = Prev::Operand;
        self.prev_word = None;
    }

    fn word(&mut self, start: usize) {
        if self.peek() == Some('#') {
            self.bump();
        }
        while let Some(c) = self.peek() {
            if !is_id_continue(c) {
                break;
            }
            self.bump();
            if c == '\\' && self.peek() == Some('u') && self.peek_at(1) == Some('{') {
                // `\u{61}`: through its `}`.
                while let Some(d) = self.peek() {
                    self.bump();
                    if d == '}' {
                        break;
                    }
                }
            }
        }
        let after_dot = self.prev == Prev::Dot;
        self.emit(Kind::Word, start);
        let text = self.src.get(start..self.pos).unwrap_or("");
        if after_dot {
            self.prev = Prev::Operand;
            self.prev_word = None;
            return;
        }
        self.prev = if EXPR_KEYWORDS.contains(&text) {
            Prev::ExprKeyword {
                is_return: text == "return",
            }
        } else if STATEMENT_KEYWORDS.contains(&text) {
            Prev::StatementKeyword
        } else {
            Prev::Operand
        };
        self.prev_word = Some(text);
    }

    fn punct(&mut self, start: usize) {
        let multi = PUNCTUATORS.iter().find(|p| {
            self.starts_with(p)
                // `a?.5:b` is a conditional, not optional chaining.
                && !(**p == "?." && self.peek_at(2).is_some_and(|c| c.is_ascii_digit()))
        });
        match multi {
            Some(p) => self.pos += p.len(),
            None => self.bump(),
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        match text {
            "{" => {
                let object = match self.prev {
                    Prev::Operator => true,
                    Prev::ExprKeyword { is_return } => !(is_return && self.newline),
                    _ => false,
                };
                self.emit(Kind::Punct, start);
                if object {
                    self.push_frame(FrameKind::Object);
                    self.key_next = true;
                } else {
                    self.push_frame(FrameKind::Block);
                }
                self.prev = Prev::Operator;
            }
            "}" => {
                if self.top_kind() == FrameKind::Template && self.stack.len() > 1 {
                    self.stack.pop();
                    self.template(start);
                    return;
                }
                self.emit(Kind::Punct, start);
                let popped = self.pop_if(|k| matches!(k, FrameKind::Block | FrameKind::Object));
                self.prev = if popped == Some(FrameKind::Object) {
                    Prev::Operand
                } else {
                    Prev::StatementEnd
                };
            }
            "(" => {
                let cond = self
                    .prev_word
                    .is_some_and(|w| matches!(w, "if" | "while" | "for" | "with"));
                self.emit(Kind::Punct, start);
                self.push_frame(FrameKind::Paren { cond });
                self.prev = Prev::Operator;
            }
            ")" => {
                self.emit(Kind::Punct, start);
                let popped = self.pop_if(|k| matches!(k, FrameKind::Paren { .. }));
                self.prev = if popped == Some(FrameKind::Paren { cond: true }) {
                    Prev::CondParen
                } else {
                    Prev::Operand
                };
            }
            "[" => {
                self.emit(Kind::Punct, start);
                self.push_frame(FrameKind::Bracket);
                self.prev = Prev::Operator;
            }
            "]" => {
                self.emit(Kind::Punct, start);
                self.pop_if(|k| k == FrameKind::Bracket);
                self.prev = Prev::Operand;
            }
            _ => {
                self.emit(Kind::Punct, start);
                self.punct_done_text(text);
            }
        }
        self.prev_word = None;
    }

    /// `/` or `/=` as division.
    fn punct_done(&mut self, start: usize) {
        self.emit(Kind::Punct, start);
        self.prev = Prev::Operator;
        self.prev_word = None;
    }

    fn punct_done_text(&mut self, text: &str) {
        self.prev = match text {
            ";" => Prev::StatementEnd,
            "," => {
                if self.top_kind() == FrameKind::Object {
                    self.key_next = true;
                }
                Prev::Operator
            }
            "?" => {
                self.top().ternaries += 1;
                Prev::Operator
            }
            ":" => {
                let kind = self.top_kind();
                let top = self.top();
                if top.ternaries > 0 {
                    top.ternaries -= 1;
                    Prev::Operator
                } else if kind == FrameKind::Object {
                    Prev::Operator
                } else {
                    Prev::StatementColon
                }
            }
            "=>" => Prev::Arrow,
            "++" | "--" => Prev::Operand,
            "." | "?." => Prev::Dot,
            _ => Prev::Operator,
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    /// (kind, text) of every token.
    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokenize(src)
            .tokens
            .iter()
            .map(|t| (t.kind, &src[t.start..t.end]))
            .collect()
    }

    fn words(src: &str) -> Vec<&str> {
        kinds(src)
            .into_iter()
            .filter(|(k, _)| *k == Kind::Word)
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn strings_comments_and_templates_are_single_tokens() {
        use Kind::*;
        assert_eq!(
            kinds("a = 'it\\'s class' + \"x\\\"y\" // class\n/* class */b"),
            vec![
                (Word, "a"),
                (Punct, "="),
                (Str, "'it\\'s class'"),
                (Punct, "+"),
                (Str, "\"x\\\"y\""),
                (LineComment, "// class"),
                (BlockComment, "/* class */"),
                (Word, "b"),
            ]
        );
        assert_eq!(
            kinds("`a ${ {b: `c${d}`} } class`"),
            vec![
                (TemplateOpen, "`a ${"),
                (Punct, "{"),
                (Word, "b"),
                (Punct, ":"),
                (TemplateOpen, "`c${"),
                (Word, "d"),
                (TemplateEnd, "}`"),
                (Punct, "}"),
                (TemplateEnd, "} class`"),
            ]
        );
    }

    #[test]
    fn regex_or_division_by_previous_token() {
        use Kind::*;
        let regexes = |src: &'static str| -> Vec<&'static str> {
            kinds(src)
                .into_iter()
                .filter(|(k, _)| *k == Regex)
                .map(|(_, t)| t)
                .collect()
        };
        assert_eq!(regexes("a / b / c"), Vec::<&str>::new());
        assert_eq!(
            regexes("x = /class[/]\\//g.test(y)"),
            vec!["/class[/]\\//g"]
        );
        assert_eq!(regexes("f(a) / 2; (b) / 2; c[0] / 2"), Vec::<&str>::new());
        assert_eq!(regexes("if (a) /re/.test(b)"), vec!["/re/"]);
        assert_eq!(regexes("return /re/"), vec!["/re/"]);
        assert_eq!(regexes("a.return / 2"), Vec::<&str>::new());
        assert_eq!(regexes("}\n/re/.x"), vec!["/re/"]);
        assert_eq!(regexes("x = {} / 2"), Vec::<&str>::new());
        assert_eq!(regexes("i++ / 2"), Vec::<&str>::new());
        assert_eq!(regexes("a = b ? /x/ : /y/"), vec!["/x/", "/y/"]);
        assert_eq!(regexes("`${a}` / 2"), Vec::<&str>::new());
        assert_eq!(regexes("a /= 2"), Vec::<&str>::new());
    }

    #[test]
    fn numbers() {
        use Kind::*;
        assert_eq!(
            kinds("1.5e+3 .5 0xFF 10n 1..toString"),
            vec![
                (Number, "1.5e+3"),
                (Number, ".5"),
                (Number, "0xFF"),
                (Number, "10n"),
                (Number, "1."),
                (Punct, "."),
                (Word, "toString"),
            ]
        );
    }

    #[test]
    fn object_keys_and_property_names() {
        let src = "var o = { class: 1, b: { class: c ? d : e }, f: function () { class: 1 } }; o.class; a ? class : 1";
        let toks = tokenize(src);
        let class: Vec<(bool, bool)> = toks
            .tokens
            .iter()
            .filter(|t| &src[t.start..t.end] == "class")
            .map(|t| (t.key_position, t.after_dot))
            .collect();
        // Two keys, a label inside a function body, a property name, an identifier.
        assert_eq!(
            class,
            vec![
                (true, false),
                (true, false),
                (false, false),
                (false, true),
                (false, false)
            ]
        );
        // A block after `)`, `=>`, a label and a return on its own line; objects elsewhere.
        let keys = |src: &str| {
            tokenize(src)
                .tokens
                .iter()
                .filter(|t| t.key_position)
                .count()
        };
        assert_eq!(keys("if (a) { b: 1 }"), 0);
        assert_eq!(keys("x => { b: 1 }"), 0);
        assert_eq!(keys("case 1: { b: 1 }"), 0);
        assert_eq!(keys("return\n{ b: 1 }"), 0);
        assert_eq!(keys("return { b: 1 }"), 1);
        assert_eq!(keys("f({ b: 1 }, [{ c: 2 }])"), 2);
        assert_eq!(keys("a ? { b: 1 } : { c: 2 }"), 2);
        assert_eq!(keys("x = { a: { b: 1 } }"), 2);
    }

    #[test]
    fn unterminated_pieces_end_at_eof() {
        assert!(tokenize("a /* b").unterminated_comment);
        assert!(!tokenize("a /* b */").unterminated_comment);
        assert_eq!(words("'abc\nclass"), vec!["class"]);
        assert_eq!(words("x = /abc\nclass"), vec!["x", "class"]);
        assert_eq!(words("`abc class"), Vec::<&str>::new());
        assert_eq!(words("} } ) ] class"), vec!["class"]);
    }

    #[test]
    fn unicode_identifiers_and_escapes() {
        assert_eq!(
            words("var \u{e9}t\u{e9} = cl\\u0061ss + \\u{61}b"),
            vec!["var", "\u{e9}t\u{e9}", "cl\\u0061ss", "\\u{61}b"]
        );
    }

    proptest! {
        #[test]
        fn tokens_are_ordered_and_cover_no_char_twice(src in "\\PC{0,120}") {
            let toks = tokenize(&src);
            let mut last = 0;
            for t in &toks.tokens {
                prop_assert!(t.start >= last && t.end > t.start && t.end <= src.len());
                prop_assert!(src.is_char_boundary(t.start) && src.is_char_boundary(t.end));
                last = t.end;
            }
        }

        #[test]
        fn js_like_text_never_panics(src in "[a-z{}()\\[\\]/*`'\"\\\\$.?:;,=+\\n #0-9]{0,120}") {
            let toks = tokenize(&src);
            for t in &toks.tokens {
                prop_assert!(t.end <= src.len());
            }
        }
    }
}
