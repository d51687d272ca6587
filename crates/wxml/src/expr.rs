//! The data-binding language inside `{{ }}`: a small JavaScript expression subset, parsed once
//! and evaluated with JavaScript semantics over JSON values plus `undefined`.

use serde_json::{Map, Number, Value};

/// A value during evaluation: JSON, or JavaScript's `undefined` (a missing path).
///
/// Non-finite numbers (`1 / 0`, `NaN`) cannot be JSON; they evaluate to `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Undefined,
    Json(Value),
}

impl V {
    /// JSON form: `undefined` becomes `null`.
    pub fn into_json(self) -> Value {
        match self {
            V::Undefined => Value::Null,
            V::Json(v) => v,
        }
    }

    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            V::Undefined => false,
            V::Json(v) => truthy(v),
        }
    }

    /// JavaScript `String(v)`.
    pub fn to_js_string(&self) -> String {
        match self {
            V::Undefined => "undefined".to_string(),
            V::Json(v) => js_string(v),
        }
    }

    /// Text for a mixed template: `undefined` and `null` are empty.
    pub fn to_text(&self) -> String {
        match self {
            V::Undefined | V::Json(Value::Null) => String::new(),
            V::Json(v) => js_string(v),
        }
    }

    fn to_number(&self) -> f64 {
        match self {
            V::Undefined => f64::NAN,
            V::Json(v) => js_number(v),
        }
    }

    fn is_string(&self) -> bool {
        matches!(self, V::Json(Value::String(_)))
    }

    fn is_object_like(&self) -> bool {
        matches!(self, V::Json(Value::Array(_) | Value::Object(_)))
    }
}

/// JavaScript truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript `String(v)` of a JSON value (arrays join with `,`, objects are `[object Object]`).
pub fn js_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_string(n),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_string(),
    }
}

fn number_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

fn js_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_number(s),
        Value::Array(_) => string_number(&js_string(v)),
        Value::Object(_) => f64::NAN,
    }
}

fn string_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).map_or(f64::NAN, |u| u as f64);
    }
    match t {
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if t
            .chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            f64::NAN
        }
        _ => t.parse::<f64>().unwrap_or(f64::NAN),
    }
}

/// A number as JSON: integral values become integers, non-finite ones `null`.
pub fn number(f: f64) -> V {
    if !f.is_finite() {
        return V::Json(Value::Null);
    }
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // exact: |f| < 2^53
        return V::Json(Value::from(f as i64));
    }
    V::Json(Number::from_f64(f).map_or(Value::Null, Value::Number))
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Value),
    Undefined,
    Ident(String),
    /// `a.b` (the key as a string literal) or `a[k]`.
    Member(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Array(Vec<Entry>),
    Object(Vec<Prop>),
    /// A call into a WXS module, the only call form: `module(args)` calls the module's export
    /// itself (`func` is `""`), `module.f(args)` and `module.a.b(args)` a (nested) member
    /// function (`func` is the dotted path after the module: `"f"`, `"a.b"`).
    Call {
        module: String,
        func: String,
        args: Vec<Expr>,
    },
}

/// An array literal entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Item(Expr),
    Spread(Expr),
}

/// An object literal entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Pair(String, Expr),
    Spread(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
    Plus,
    TypeOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    And,
    Or,
}

/// An expression syntax error: byte offset into the expression text and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    P(&'static str),
    End,
}

const PUNCTS: [&str; 29] = [
    "...", "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%",
    "!", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}", ";", "=",
];

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |offset: usize, message: String| ExprError { offset, message };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            if c == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
                i += 2;
                while i < b.len() && b[i].is_ascii_hexdigit() {
                    i += 1;
                }
                let n = u64::from_str_radix(&src[start + 2..i], 16)
                    .map_err(|_| err(start, format!("bad number `{}`", &src[start..i])))?;
                out.push((Tok::Num(n as f64), start));
                continue;
            }
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                i += 1;
                if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = &src[start..i];
            let n: f64 = text
                .parse()
                .map_err(|_| err(start, format!("bad number `{text}`")))?;
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                return Err(err(i, format!("bad number `{}`", &src[start..=i])));
            }
            out.push((Tok::Num(n), start));
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (s, end) = lex_string(src, i)?;
            out.push((Tok::Str(s), start));
            i = end;
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or(' ');
        if ch.is_alphabetic() || ch == '_' || ch == '$' {
            let mut j = i;
            for (k, cc) in src[i..].char_indices() {
                if cc.is_alphanumeric() || cc == '_' || cc == '$' {
                    j = i + k + cc.len_utf8();
                } else {
                    break;
                }
            }
            out.push((Tok::Ident(src[i..j].to_string()), start));
            i = j;
            continue;
        }
        match PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            Some(p) => {
                out.push((Tok::P(p), start));
                i += p.len();
            }
            None => return Err(err(start, format!("unexpected `{ch}`"))),
        }
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

fn lex_string(src: &str, start: usize) -> Result<(String, usize), ExprError> {
    let q = src.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        if c == q {
            return Ok((out, start + 1 + k + 1));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' => out.push('\0'),
            'u' => {
                let hex: String = chars.clone().take(4).map(|(_, c)| c).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => {
                        return Err(ExprError {
                            offset: start,
                            message: "bad `\\u` escape in string".to_string(),
                        });
                    }
                }
            }
            other => out.push(other),
        }
    }
    Err(ExprError {
        offset: start,
        message: "unterminated string".to_string(),
    })
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 128;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }
    fn off(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.i += 1;
        t
    }
    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::P(q) if *q == p)
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn fail<T>(&self, message: String) -> Result<T, ExprError> {
        Err(ExprError {
            offset: self.off(),
            message,
        })
    }
    fn unexpected<T>(&self) -> Result<T, ExprError> {
        match self.peek() {
            Tok::End => self.fail("unexpected end of expression".to_string()),
            Tok::Num(n) => self.fail(format!("unexpected number `{n}`")),
            Tok::Str(_) => self.fail("unexpected string".to_string()),
            Tok::Ident(s) => self.fail(format!("unexpected `{s}`")),
            Tok::P(p) => self.fail(format!("unexpected `{p}`")),
        }
    }
    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            match self.peek() {
                Tok::End => self.fail(format!("expected `{p}`, found the end of the expression")),
                _ => self.unexpected(),
            }
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("expression nested too deeply".to_string());
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let cond = self.binary(0)?;
        let r = if self.eat("?") {
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            Expr::Cond(Box::new(cond), Box::new(a), Box::new(b))
        } else {
            cond
        };
        self.depth -= 1;
        Ok(r)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        let Tok::P(p) = self.peek() else { return None };
        Some(match *p {
            "||" => (BinOp::Or, 1),
            "&&" => (BinOp::And, 2),
            "==" => (BinOp::Eq, 3),
            "!=" => (BinOp::Ne, 3),
            "===" => (BinOp::StrictEq, 3),
            "!==" => (BinOp::StrictNe, 3),
            "<" => (BinOp::Lt, 4),
            "<=" => (BinOp::Le, 4),
            ">" => (BinOp::Gt, 4),
            ">=" => (BinOp::Ge, 4),
            "+" => (BinOp::Add, 5),
            "-" => (BinOp::Sub, 5),
            "*" => (BinOp::Mul, 6),
            "/" => (BinOp::Div, 6),
            "%" => (BinOp::Rem, 6),
            _ => return None,
        })
    }

    fn binary(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        // each operator folded here deepens the (left-leaning) tree: count it
        let mut folded = 0;
        while let Some((op, prec)) = self.binop() {
            if prec <= min {
                break;
            }
            self.bump();
            self.enter()?;
            folded += 1;
            let rhs = self.binary(prec)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= folded;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let op = match self.peek() {
            Tok::P("!") => Some(UnOp::Not),
            Tok::P("-") => Some(UnOp::Neg),
            Tok::P("+") => Some(UnOp::Plus),
            Tok::Ident(s) if s == "typeof" => Some(UnOp::TypeOf),
            _ => None,
        };
        match op {
            Some(op) => {
                self.bump();
                self.enter()?;
                let e = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Unary(op, Box::new(e)))
            }
            None => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        // While the expression is a bare identifier followed by member names, the WXS callee it
        // would name: the module and the path after it.
        let mut callee: Option<(String, Vec<String>)> = match self.peek() {
            Tok::Ident(s) if !matches!(s.as_str(), "true" | "false" | "null" | "undefined") => {
                Some((s.clone(), Vec::new()))
            }
            _ => None,
        };
        let mut e = self.primary()?;
        let mut folded = 0;
        loop {
            self.enter()?;
            folded += 1;
            if self.eat(".") {
                match self.bump() {
                    Tok::Ident(name) => {
                        if let Some((_, path)) = &mut callee {
                            path.push(name.clone());
                        }
                        e = Expr::Member(Box::new(e), Box::new(Expr::Lit(Value::String(name))));
                    }
                    _ => {
                        self.i -= 1;
                        return self.fail("expected a property name after `.`".to_string());
                    }
                }
            } else if self.is("[") {
                self.bump();
                let k = self.expr()?;
                self.expect("]")?;
                match (&mut callee, &k) {
                    (Some((_, path)), Expr::Lit(Value::String(name))) if !name.contains('.') => {
                        path.push(name.clone());
                    }
                    _ => callee = None,
                }
                e = Expr::Member(Box::new(e), Box::new(k));
            } else if self.is("(") {
                let Some((module, path)) = callee.take() else {
                    return self.fail(call_error());
                };
                self.bump();
                let mut args = Vec::new();
                while !self.is(")") {
                    args.push(self.expr()?);
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect(")")?;
                e = Expr::Call {
                    module,
                    func: path.join("."),
                    args,
                };
            } else {
                self.depth -= folded;
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        match self.bump() {
            Tok::Num(n) => Ok(number(n).into_expr()),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::Ident(s) => Ok(match s.as_str() {
                "true" => Expr::Lit(Value::Bool(true)),
                "false" => Expr::Lit(Value::Bool(false)),
                "null" => Expr::Lit(Value::Null),
                "undefined" => Expr::Undefined,
                _ => Expr::Ident(s),
            }),
            Tok::P("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::P("[") => {
                let mut items = Vec::new();
                while !self.is("]") {
                    if self.eat("...") {
                        items.push(Entry::Spread(self.expr()?));
                    } else {
                        items.push(Entry::Item(self.expr()?));
                    }
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect("]")?;
                Ok(Expr::Array(items))
            }
            Tok::P("{") => {
                let props = self.object_body("}")?;
                self.expect("}")?;
                Ok(Expr::Object(props))
            }
            _ => {
                self.i = self.i.saturating_sub(1);
                self.unexpected()
            }
        }
    }

    /// `a: 1, b, ...c` up to (not including) `close` (`}` or the end).
    fn object_body(&mut self, close: &str) -> Result<Vec<Prop>, ExprError> {
        let mut props = Vec::new();
        loop {
            if (close == "}" && self.is("}")) || matches!(self.peek(), Tok::End) {
                break;
            }
            if self.eat("...") {
                props.push(Prop::Spread(self.expr()?));
            } else {
                let key = match self.bump() {
                    Tok::Ident(s) => {
                        if !self.is(":") {
                            props.push(Prop::Pair(s.clone(), Expr::Ident(s)));
                            if !self.eat(",") {
                                break;
                            }
                            continue;
                        }
                        s
                    }
                    Tok::Str(s) => s,
                    Tok::Num(n) => number(n).to_js_string(),
                    _ => {
                        self.i = self.i.saturating_sub(1);
                        return self.unexpected();
                    }
                };
                self.expect(":")?;
                props.push(Prop::Pair(key, self.expr()?));
            }
            if !self.eat(",") {
                break;
            }
        }
        Ok(props)
    }

    fn finish(&self) -> Result<(), ExprError> {
        if matches!(self.peek(), Tok::End) {
            Ok(())
        } else {
            self.unexpected()
        }
    }
}

fn call_error() -> String {
    "only wxs modules can be called, as `module(...)`, `module.function(...)` or `module.a.b(...)`"
        .to_string()
}

impl V {
    fn into_expr(self) -> Expr {
        match self {
            V::Undefined => Expr::Undefined,
            V::Json(v) => Expr::Lit(v),
        }
    }
}

impl Expr {
    /// Parse one expression (the text between `{{` and `}}`). A top-level object body without
    /// braces (`a: 1, ...b`) is accepted and gives an object.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let toks = lex(src)?;
        if matches!(toks[0].0, Tok::End) {
            return Err(ExprError {
                offset: 0,
                message: "empty expression".to_string(),
            });
        }
        let body_start = matches!(toks[0].0, Tok::P("..."))
            || (matches!(toks[0].0, Tok::Ident(_) | Tok::Str(_) | Tok::Num(_))
                && matches!(toks.get(1), Some((Tok::P(":"), _))));
        let mut p = Parser {
            toks,
            i: 0,
            depth: 0,
        };
        if !body_start {
            let e = p.expr()?;
            if !p.is(",") {
                p.finish()?;
                return Ok(e);
            }
            p.i = 0;
            p.depth = 0;
        }
        let props = p.object_body("")?;
        p.finish()?;
        Ok(Expr::Object(props))
    }

    /// Parse an object body without braces (`<template data="{{...}}">`): `item` alone means
    /// `{item: item}`, as in WeChat.
    pub fn parse_object_body(src: &str) -> Result<Expr, ExprError> {
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            i: 0,
            depth: 0,
        };
        let props = p.object_body("")?;
        p.finish()?;
        Ok(Expr::Object(props))
    }

    /// The WXS modules this expression calls (the roots of its calls: `m` in `m(x)`, `m.f(x)`,
    /// `m.a.b(x)`), in order, with repeats.
    pub fn modules(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) | Expr::Undefined | Expr::Ident(_) => {}
            Expr::Member(a, b) | Expr::Binary(_, a, b) => {
                a.modules(out);
                b.modules(out);
            }
            Expr::Unary(_, a) => a.modules(out),
            Expr::Cond(a, b, c) => {
                a.modules(out);
                b.modules(out);
                c.modules(out);
            }
            Expr::Array(items) => {
                for i in items {
                    match i {
                        Entry::Item(e) | Entry::Spread(e) => e.modules(out),
                    }
                }
            }
            Expr::Object(props) => {
                for p in props {
                    match p {
                        Prop::Pair(_, e) | Prop::Spread(e) => e.modules(out),
                    }
                }
            }
            Expr::Call { module, args, .. } => {
                out.push(module.clone());
                for a in args {
                    a.modules(out);
                }
            }
        }
    }
}

/// What an expression is evaluated against.
pub trait Env {
    /// The value of a free identifier (`undefined` when absent).
    fn lookup(&mut self, name: &str) -> V;
    /// Call WXS module `module`: its export itself when `func` is `""`, else the member
    /// function at the dotted path `func` (`"f"`, `"a.b"`). Failures are the environment's to
    /// report.
    fn call(&mut self, module: &str, func: &str, args: Vec<Value>) -> V;
}

/// A plain environment: the identifiers are the keys of a JSON object; no WXS.
pub struct DataEnv<'a>(pub &'a Value);

impl Env for DataEnv<'_> {
    fn lookup(&mut self, name: &str) -> V {
        self.0.get(name).cloned().map_or(V::Undefined, V::Json)
    }
    fn call(&mut self, _module: &str, _func: &str, _args: Vec<Value>) -> V {
        V::Undefined
    }
}

/// Property access with JavaScript semantics (missing → `undefined`, never an error).
pub fn member(obj: &V, key: &V) -> V {
    let V::Json(o) = obj else {
        return V::Undefined;
    };
    let k = key.to_js_string();
    match o {
        Value::Object(m) => m.get(&k).cloned().map_or(V::Undefined, V::Json),
        Value::Array(a) => {
            if k == "length" {
                return number(a.len() as f64);
            }
            index(&k)
                .and_then(|i| a.get(i))
                .cloned()
                .map_or(V::Undefined, V::Json)
        }
        Value::String(s) => {
            if k == "length" {
                return number(s.encode_utf16().count() as f64);
            }
            index(&k)
                .and_then(|i| s.chars().nth(i))
                .map_or(V::Undefined, |c| V::Json(Value::String(c.to_string())))
        }
        _ => V::Undefined,
    }
}

fn index(k: &str) -> Option<usize> {
    if k.is_empty() || (k.len() > 1 && k.starts_with('0')) {
        return None;
    }
    k.parse::<usize>().ok()
}

fn type_of(v: &V) -> &'static str {
    match v {
        V::Undefined => "undefined",
        V::Json(Value::Bool(_)) => "boolean",
        V::Json(Value::Number(_)) => "number",
        V::Json(Value::String(_)) => "string",
        V::Json(_) => "object",
    }
}

fn strict_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Undefined, V::Undefined) => true,
        (V::Json(Value::Number(x)), V::Json(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (V::Json(x), V::Json(y)) => x == y,
        _ => false,
    }
}

fn loose_eq(a: &V, b: &V) -> bool {
    let nullish = |v: &V| matches!(v, V::Undefined | V::Json(Value::Null));
    if nullish(a) || nullish(b) {
        return nullish(a) && nullish(b);
    }
    if type_of(a) == type_of(b) {
        return strict_eq(a, b);
    }
    if a.is_object_like() || b.is_object_like() {
        // ToPrimitive: compare as strings
        let (x, y) = (a.to_js_string(), b.to_js_string());
        if a.is_object_like() && b.is_object_like() {
            return false;
        }
        if a.is_string() || b.is_string() {
            return x == y;
        }
        return string_number(&x) == string_number(&y) || string_number(&y) == a.to_number();
    }
    a.to_number() == b.to_number()
}

fn compare(op: BinOp, a: &V, b: &V) -> bool {
    if let (V::Json(Value::String(x)), V::Json(Value::String(y))) = (a, b) {
        let (x, y): (Vec<u16>, Vec<u16>) = (x.encode_utf16().collect(), y.encode_utf16().collect());
        return match op {
            BinOp::Lt => x < y,
            BinOp::Le => x <= y,
            BinOp::Gt => x > y,
            _ => x >= y,
        };
    }
    let (x, y) = (a.to_number(), b.to_number());
    match op {
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        _ => x >= y,
    }
}

fn spread_into(m: &mut Map<String, Value>, v: V) {
    match v {
        V::Json(Value::Object(o)) => m.extend(o),
        V::Json(Value::Array(a)) => {
            for (i, x) in a.into_iter().enumerate() {
                m.insert(i.to_string(), x);
            }
        }
        V::Json(Value::String(s)) => {
            for (i, c) in s.chars().enumerate() {
                m.insert(i.to_string(), Value::String(c.to_string()));
            }
        }
        _ => {}
    }
}

/// Evaluate with JavaScript semantics. Never fails: missing paths are `undefined`.
pub fn eval(e: &Expr, env: &mut dyn Env) -> V {
    match e {
        Expr::Lit(v) => V::Json(v.clone()),
        Expr::Undefined => V::Undefined,
        Expr::Ident(name) => env.lookup(name),
        Expr::Member(o, k) => {
            let o = eval(o, env);
            let k = eval(k, env);
            member(&o, &k)
        }
        Expr::Unary(op, a) => {
            let a = eval(a, env);
            match op {
                UnOp::Not => V::Json(Value::Bool(!a.truthy())),
                UnOp::Neg => number(-a.to_number()),
                UnOp::Plus => number(a.to_number()),
                UnOp::TypeOf => V::Json(Value::String(type_of(&a).to_string())),
            }
        }
        Expr::Binary(BinOp::And, a, b) => {
            let a = eval(a, env);
            if a.truthy() { eval(b, env) } else { a }
        }
        Expr::Binary(BinOp::Or, a, b) => {
            let a = eval(a, env);
            if a.truthy() { a } else { eval(b, env) }
        }
        Expr::Binary(op, a, b) => {
            let a = eval(a, env);
            let b = eval(b, env);
            binary(*op, &a, &b)
        }
        Expr::Cond(c, a, b) => {
            if eval(c, env).truthy() {
                eval(a, env)
            } else {
                eval(b, env)
            }
        }
        Expr::Array(items) => {
            let mut out = Vec::new();
            for it in items {
                match it {
                    Entry::Item(e) => out.push(eval(e, env).into_json()),
                    Entry::Spread(e) => match eval(e, env) {
                        V::Json(Value::Array(a)) => out.extend(a),
                        V::Json(Value::String(s)) => {
                            out.extend(s.chars().map(|c| Value::String(c.to_string())));
                        }
                        _ => {}
                    },
                }
            }
            V::Json(Value::Array(out))
        }
        Expr::Object(props) => {
            let mut m = Map::new();
            for p in props {
                match p {
                    Prop::Pair(k, e) => match eval(e, env) {
                        // like JSON: an undefined member is left out
                        V::Undefined => {
                            m.remove(k);
                        }
                        V::Json(v) => {
                            m.insert(k.clone(), v);
                        }
                    },
                    Prop::Spread(e) => {
                        let v = eval(e, env);
                        spread_into(&mut m, v);
                    }
                }
            }
            V::Json(Value::Object(m))
        }
        Expr::Call { module, func, args } => {
            let args = args.iter().map(|a| eval(a, env).into_json()).collect();
            env.call(module, func, args)
        }
    }
}

fn binary(op: BinOp, a: &V, b: &V) -> V {
    match op {
        BinOp::Add => {
            if a.is_string() || b.is_string() || a.is_object_like() || b.is_object_like() {
                V::Json(Value::String(a.to_js_string() + &b.to_js_string()))
            } else {
                number(a.to_number() + b.to_number())
            }
        }
        BinOp::Sub => number(a.to_number() - b.to_number()),
        BinOp::Mul => number(a.to_number() * b.to_number()),
        BinOp::Div => number(a.to_number() / b.to_number()),
        BinOp::Rem => number(a.to_number() % b.to_number()),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => V::Json(Value::Bool(compare(op, a, b))),
        BinOp::Eq => V::Json(Value::Bool(loose_eq(a, b))),
        BinOp::Ne => V::Json(Value::Bool(!loose_eq(a, b))),
        BinOp::StrictEq => V::Json(Value::Bool(strict_eq(a, b))),
        BinOp::StrictNe => V::Json(Value::Bool(!strict_eq(a, b))),
        BinOp::And | BinOp::Or => V::Undefined, // handled with short-circuit in `eval`
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(src: &str, data: Value) -> V {
        let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        eval(&e, &mut DataEnv(&data))
    }
    fn j(src: &str, data: Value) -> Value {
        ev(src, data).into_json()
    }

    #[test]
    fn precedence() {
        assert_eq!(j("1 + 2 * 3", json!({})), json!(7));
        assert_eq!(j("(1 + 2) * 3", json!({})), json!(9));
        assert_eq!(j("10 - 4 - 3", json!({})), json!(3));
        assert_eq!(j("2 * 3 % 4", json!({})), json!(2));
        assert_eq!(j("1 < 2 == true", json!({})), json!(true));
        assert_eq!(j("a || b && c", json!({"a": 0, "b": 1, "c": 2})), json!(2));
        assert_eq!(j("!a ? 'x' : 'y'", json!({"a": 0})), json!("x"));
        assert_eq!(j("a ? b ? 1 : 2 : 3", json!({"a": 1, "b": 0})), json!(2));
        assert_eq!(j("-a + +b", json!({"a": 2, "b": "3"})), json!(1));
        assert_eq!(
            j("typeof a + typeof b", json!({"a": 1})),
            json!("numberundefined")
        );
        assert_eq!(j("1 / 4", json!({})), json!(0.25));
        assert_eq!(j("1 / 0", json!({})), json!(null));
    }

    #[test]
    fn paths_and_undefined() {
        let d = json!({"a": {"b": [10, {"c": "x"}]}, "k": "b", "i": 1});
        assert_eq!(j("a.b[0]", d.clone()), json!(10));
        assert_eq!(j("a[k][i].c", d.clone()), json!("x"));
        assert_eq!(j("a['b'].length", d.clone()), json!(2));
        assert_eq!(ev("a.x.y.z", d.clone()), V::Undefined);
        assert_eq!(ev("nope[0]", d.clone()), V::Undefined);
        assert_eq!(j("a.x === undefined", d.clone()), json!(true));
        assert_eq!(j("a.x == null", d.clone()), json!(true));
        assert_eq!(j("a.x === null", d.clone()), json!(false));
        assert_eq!(j("k.length", d), json!(1));
    }

    #[test]
    fn concatenation_and_equality() {
        assert_eq!(j("'a' + 1 + 2", json!({})), json!("a12"));
        assert_eq!(j("1 + 2 + 'a'", json!({})), json!("3a"));
        assert_eq!(j("'n:' + x", json!({})), json!("n:undefined"));
        assert_eq!(j("\"q\\\"\" + 'it\\'s'", json!({})), json!("q\"it's"));
        assert_eq!(j("'1' == 1", json!({})), json!(true));
        assert_eq!(j("'1' === 1", json!({})), json!(false));
        assert_eq!(j("true == 1", json!({})), json!(true));
        assert_eq!(j("null == 0", json!({})), json!(false));
        assert_eq!(j("'b' > 'a'", json!({})), json!(true));
        assert_eq!(j("'10' < 9", json!({})), json!(false));
        assert_eq!(j("[1, 2] + ''", json!({})), json!("1,2"));
    }

    #[test]
    fn objects_and_spread() {
        let d = json!({"item": {"a": 1, "b": 2}, "x": 5});
        assert_eq!(j("{a: 9, ...item}", d.clone()), json!({"a": 1, "b": 2}));
        assert_eq!(j("...item, a: 9", d.clone()), json!({"a": 9, "b": 2}));
        assert_eq!(j("x, 'y-z': 1", d.clone()), json!({"x": 5, "y-z": 1}));
        assert_eq!(j("[...[1, 2], x]", d.clone()), json!([1, 2, 5]));
        let e = Expr::parse_object_body("item").unwrap();
        assert_eq!(
            eval(&e, &mut DataEnv(&d)).into_json(),
            json!({"item": {"a": 1, "b": 2}})
        );
    }

    #[test]
    fn errors() {
        for (src, msg) in [
            ("a +", "unexpected end of expression"),
            ("(a).b(1)", "only wxs modules can be called"),
            ("'x'.toUpperCase()", "only wxs modules can be called"),
            ("[1].f()", "only wxs modules can be called"),
            ("m.f(1)(2)", "only wxs modules can be called"),
            ("m.f(1).g(2)", "only wxs modules can be called"),
            ("m[k](1)", "only wxs modules can be called"),
            ("m['a.b'](1)", "only wxs modules can be called"),
            ("true()", "only wxs modules can be called"),
            ("m.f(1", "expected `)`"),
            ("'abc", "unterminated string"),
            ("a = 1", "unexpected `=`"),
            ("a # b", "unexpected `#`"),
            ("", "empty expression"),
            ("(1", "expected `)`"),
            ("1a", "bad number `1a`"),
        ] {
            let e = Expr::parse(src).unwrap_err();
            assert!(e.message.contains(msg), "{src}: {}", e.message);
        }
        for deep in [
            "(".repeat(1000) + "1" + &")".repeat(1000),
            "1".to_string() + &" + 1".repeat(20_000),
            "a".to_string() + &".b".repeat(20_000),
            "!".repeat(20_000) + "a",
            "a ? ".repeat(5_000) + "1" + &" : 2".repeat(5_000),
        ] {
            let e = Expr::parse(&deep).unwrap_err();
            assert_eq!(e.message, "expression nested too deeply");
        }
        assert!(Expr::parse(&("1".to_string() + &" + 1".repeat(100))).is_ok());
        let e = Expr::parse("m.f(a, 'x')").unwrap();
        let mut mods = Vec::new();
        e.modules(&mut mods);
        assert_eq!(mods, ["m"]);
    }

    /// Records calls; `m(...)` gives its arguments, member functions give `[func, ...args]`.
    struct CallEnv {
        data: Value,
        calls: Vec<(String, String, Vec<Value>)>,
    }

    impl Env for CallEnv {
        fn lookup(&mut self, name: &str) -> V {
            self.data.get(name).cloned().map_or(V::Undefined, V::Json)
        }
        fn call(&mut self, module: &str, func: &str, args: Vec<Value>) -> V {
            self.calls
                .push((module.to_string(), func.to_string(), args.clone()));
            if func.is_empty() {
                V::Json(Value::Array(args))
            } else {
                let mut out = vec![Value::String(func.to_string())];
                out.extend(args);
                V::Json(Value::Array(out))
            }
        }
    }

    fn call(src: &str) -> (Value, Vec<(String, String, Vec<Value>)>) {
        let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let mut env = CallEnv {
            data: json!({"x": 1, "list": [1, 2]}),
            calls: Vec::new(),
        };
        let v = eval(&e, &mut env).into_json();
        (v, env.calls)
    }

    #[test]
    fn call_forms() {
        let (v, calls) = call("style(x, 'a')");
        assert_eq!(v, json!([1, "a"]));
        assert_eq!(
            calls,
            [("style".into(), String::new(), vec![json!(1), json!("a")])]
        );
        let (v, calls) = call("m.f(x)");
        assert_eq!(v, json!(["f", 1]));
        assert_eq!(calls[0].1, "f");
        let (v, calls) = call("m.a.b(x)");
        assert_eq!(v, json!(["a.b", 1]));
        assert_eq!(calls[0].0, "m");
        let (_, calls) = call("m['a'].b()");
        assert_eq!((calls[0].0.as_str(), calls[0].1.as_str()), ("m", "a.b"));
        // the result of a call takes members, and calls nest in arguments
        assert_eq!(call("m.f(x).length").0, json!(2));
        assert_eq!(call("m.f(x)[0]").0, json!("f"));
        assert_eq!(call("style(x)[0] + 1").0, json!(2));
        assert_eq!(call("!m.f()").0, json!(false));
        let (v, calls) = call("m.f(n.g(x), {x, y: 2},)");
        assert_eq!(v, json!(["f", ["g", 1], {"x": 1, "y": 2}]));
        assert_eq!(calls.len(), 2);
        let e = Expr::parse("a.b(1) + c(d.e(2)) + f.g").unwrap();
        let mut mods = Vec::new();
        e.modules(&mut mods);
        assert_eq!(mods, ["a", "c", "d"]);
    }
}
