//! WXS (WeiXin Script, the view layer's script language: `.wxs` files and inline
//! `<wxs module="m">…</wxs>`) → a JavaScript function body QuickJS can run.
//!
//! WXS reads like ES5 but is its own language. The differences handled here, at the source:
//!
//! - **Reserved words.** WXS reserves only `delete void typeof null undefined NaN Infinity var
//!   if else true false require this function arguments return for while do break continue
//!   switch case default`, so real components write `var class = …` or take a parameter named
//!   `class`. Words JavaScript reserves but WXS does not treat as syntax ([`WXS_RENAMED`]) are
//!   renamed to [`WXS_RENAME_PREFIX`]`word` (`$wxs$class`) wherever they are identifiers, on a real
//!   token stream: never after `.`/`?.` (`a.class`), never as an object-literal key
//!   (`{class: 1}`, `{ get class() {} }`; a shorthand `{class}` becomes `{class: $wxs$class}`),
//!   never inside strings, templates, comments or regular expressions. WXS identifiers cannot
//!   contain `$`, so the new names collide with nothing. `new`, `try`, `catch`, `finally`,
//!   `throw`, `in`, `instanceof`, `with`, `debugger`, `let` and `const` keep their JavaScript
//!   meaning (the runtime is JavaScript; WXS code that uses them means them).
//! - **`constructor`.** In WXS `x.constructor` is a string naming the type (`"Number"`,
//!   `"String"`, `"Boolean"`, `"Object"`, `"Array"`, `"Function"`, `"Date"`, `"RegExp"`), and
//!   libraries test `arr.constructor === 'Array'`. Every read `X.constructor`, `X['constructor']`
//!   becomes `__wxs_ctor__(X)` (found by oxc's parser, not by matching text); assignment
//!   targets, `delete` operands and links of an optional chain (`x?.constructor`, not WXS) stay.
//! - **End comments.** WXS documents an unterminated `/*` as commenting out the rest of the
//!   file; the comment is closed (`*/` appended) so the runtime's wrapper stays intact.
//! - **ES modules are not WXS.** A statement starting with `import`/`export` followed by module
//!   syntax is an error naming WXS's `module.exports`/`require` (not converted through the
//!   CommonJS path: WXS templates read `module.exports`, so a converted `export default` would
//!   silently give the template a different object).
//!
//! Left to the runtime, which supplies them as parameters of the wrapper (see [`wxs`]):
//! `module`/`exports` (a WXS module's value is `module.exports`), `require` (other `.wxs`
//! modules, relative paths, singletons), `getRegExp(pattern, flags)` and `getDate(…)` (WXS has
//! no `new RegExp`/`new Date` of its own), and `__wxs_ctor__(x)` (the type-name string above).
//! Also the runtime's: WXS's isolation from the logic layer (no `wx`, `getApp`, …), and
//! assignment to an undeclared name making a module-level global (sloppy mode does this).

mod lex;

use std::collections::HashSet;

use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{ChainElement, Expression, UnaryOperator};
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::{GetSpan, SourceType, Span};

use crate::cjs::{Edit, apply};
use crate::linemap::LineMap;
use crate::output::{Output, TransformError, diagnostic_error, error_at, parse_options};
use lex::{Kind, Token, Tokens};

/// The prefix of a renamed identifier (`class` → `$wxs$class`); a runtime may strip it from
/// error messages.
pub const WXS_RENAME_PREFIX: &str = "$wxs$";

/// Words JavaScript reserves (always, or in strict code, generators or async functions) that
/// WXS lets a program use as identifiers, and that WXS gives no meaning of its own.
pub const WXS_RENAMED: &[&str] = &[
    "class",
    "enum",
    "export",
    "extends",
    "import",
    "super",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "yield",
    "await",
];

/// The function the runtime calls for `X.constructor`.
const CTOR_FN: &str = "__wxs_ctor__";

/// Turns WXS source into the body of a JavaScript function, with a line map back to `src`.
///
/// # Wrapper contract
///
/// The runtime evaluates the returned [`Output::code`] as `BODY` in exactly
///
/// ```text
/// (function (module, exports, require, getRegExp, getDate, __wxs_ctor__) { BODY
/// })
/// ```
///
/// (a newline before `})`, so a last-line `// comment` cannot swallow it) and calls it with:
/// `module` (an object whose `exports` is the module's value), `exports` (`module.exports`),
/// `require(path)` (another `.wxs` module's `module.exports`), `getRegExp(pattern, flags)`,
/// `getDate(…)` (WXS's replacements for `new RegExp`/`new Date`), and `__wxs_ctor__(x)`, which
/// returns WXS's type-name string for `x` (`"Array"`, `"Object"`, `"Number"`, `"String"`,
/// `"Boolean"`, `"Function"`, `"Date"`, `"RegExp"`). `module.exports = …`, `exports.x = …`
/// and `require('./other.wxs')` are left as written.
///
/// [`Output::map`] maps positions in `BODY` (line 1, column 1 is its first character; on line 1
/// the runtime subtracts the length of the wrapper's prefix) to `src`. A source with nothing to
/// change comes back byte-identical with an identity map.
///
/// # What the WXS documentation says (and what is handled)
///
/// From the official WXS reference (developers.weixin.qq.com/miniprogram/dev/reference/wxs/):
/// - `02variate` (变量 / 保留标识符): the only identifiers that cannot be variable names are
///   `delete void typeof null undefined NaN Infinity var if else true false require this
///   function arguments return for while do break continue switch case default`; variable
///   names are letters, digits and `_` (no `$`). So `class`, `import`, `static` … are plain
///   identifiers in WXS and are renamed here ([`WXS_RENAMED`]).
/// - `06datatype` (数据类型): every type's `constructor` property "returns the string"
///   `"Number"`, `"String"`, `"Boolean"`, `"Object"` (`{k:"1"}.constructor === "Object"`), and
///   likewise for function, array, date and regexp: hence `__wxs_ctor__`.
/// - `03comment` (注释): besides `//` and `/* */`, an unclosed `/*` comments out everything
///   after it (结尾注释): closed here.
/// - `01wxs-module` (模块): `module.exports`, `require` of relative `.wxs` paths, singletons.
///
/// The reference documents ES5 syntax only: its examples use `var` and `function`, and it does
/// not list `let`, `const` or arrow functions (third-party rewrites of the intro page show
/// `const`/arrows; the official one uses `var`). They are not rejected here: QuickJS runs them,
/// and WXS that uses them means JavaScript's meaning.
///
/// # Errors
///
/// A syntax error (from oxc's parser, in script mode, a top-level `return` allowed), or ES
/// module syntax, as a [`TransformError`] at the line and column of `src`.
pub fn wxs(file: &str, src: &str) -> Result<Output, TransformError> {
    let run = std::panic::AssertUnwindSafe(|| wxs_inner(file, src));
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        Err(TransformError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: "the parser failed on this file (internal error)".into(),
        })
    })
}

fn wxs_inner(file: &str, src: &str) -> Result<Output, TransformError> {
    let toks = lex::tokenize(src);
    if let Some(t) = module_syntax(src, &toks) {
        let word = text(src, t);
        return Err(error_at(
            file,
            src,
            offset_u32(t.start),
            &format!(
                "`{word}` (ES module syntax) is not WXS: use `module.exports = …` and `require('./x.wxs')`"
            ),
            None,
        ));
    }
    let mut edits = renames(src, &toks);
    if toks.unterminated_comment {
        edits.push(Edit {
            start: src.len(),
            end: src.len(),
            text: "*/".into(),
        });
    }
    let renamed = (!edits.is_empty()).then(|| apply(src, "", &edits));
    let (text_r, map_r) = match &renamed {
        Some(c) => (c.code.as_str(), LineMap::new(c.points.clone(), Vec::new())),
        None => (src, LineMap::default()),
    };

    let alloc = Allocator::default();
    let ret = Parser::new(&alloc, text_r, SourceType::script())
        .with_options(parse_options())
        .parse();
    if let Some(d) = ret.diagnostics.errors().next() {
        return Err(diagnostic_error(file, text_r, d, Some(&map_r)));
    }
    let ctor = constructor_reads(&ret.program);
    if ctor.is_empty() {
        return Ok(match renamed {
            Some(c) => Output {
                code: c.code,
                map: map_r,
            },
            None => Output {
                code: src.to_string(),
                map: LineMap::default(),
            },
        });
    }
    // The rewrites were found in the renamed text; their ends are token boundaries, which map
    // back to the source exactly, so both kinds of edit apply to the source in one pass.
    let back = Back::new(&edits);
    for c in ctor {
        let (open, close) = if c.new_callee {
            (format!("({CTOR_FN}("), "))")
        } else {
            (format!("{CTOR_FN}("), ")")
        };
        let obj_start = back.source(c.object.start as usize);
        edits.push(Edit {
            start: obj_start,
            end: obj_start,
            text: open,
        });
        edits.push(Edit {
            start: back.source(c.object.end as usize),
            end: back.source(c.member.end as usize),
            text: close.into(),
        });
    }
    edits.sort_by_key(|e| (e.start, e.end));
    let c = apply(src, "", &edits);
    Ok(Output {
        code: c.code,
        map: LineMap::new(c.points, Vec::new()),
    })
}

fn text<'s>(src: &'s str, t: &Token) -> &'s str {
    src.get(t.start..t.end).unwrap_or("")
}

fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The significant tokens (no comments), with their index.
fn significant(toks: &Tokens) -> Vec<&Token> {
    toks.tokens.iter().filter(|t| !t.is_comment()).collect()
}

/// An `import`/`export` starting a statement and followed, on its line, by what only module
/// syntax puts there (`{`, a string, another word, `* as`/`* from`).
fn module_syntax<'t>(src: &str, toks: &'t Tokens) -> Option<&'t Token> {
    let sig = significant(toks);
    sig.iter().enumerate().find_map(|(i, t)| {
        let word = text(src, t);
        if t.kind != Kind::Word
            || !matches!(word, "import" | "export")
            || t.after_dot
            || !(t.statement_start || t.newline_before)
        {
            return None;
        }
        let next = sig.get(i + 1).filter(|n| !n.newline_before)?;
        let nt = text(src, next);
        let module = match next.kind {
            Kind::Str => true,
            Kind::Word => !matches!(nt, "in" | "instanceof"),
            Kind::Punct if nt == "{" => true,
            Kind::Punct if nt == "*" => sig
                .get(i + 2)
                .is_some_and(|a| matches!(text(src, a), "as" | "from")),
            _ => false,
        };
        module.then_some(*t)
    })
}

/// The edits renaming every [`WXS_RENAMED`] word used as an identifier.
fn renames(src: &str, toks: &Tokens) -> Vec<Edit> {
    let sig = significant(toks);
    let mut edits = Vec::new();
    for (i, t) in sig.iter().enumerate() {
        let word = text(src, t);
        if t.kind != Kind::Word || t.after_dot || !WXS_RENAMED.contains(&word) {
            continue;
        }
        let next = sig.get(i + 1).map_or("", |n| text(src, n));
        let prev = i.checked_sub(1).and_then(|p| sig.get(p));
        // `{ get class() {} }`, `{ *class() {} }`: the key after a modifier.
        let after_modifier = prev.is_some_and(|p| {
            p.key_position && matches!(text(src, p), "get" | "set" | "async" | "*")
        });
        let replacement = if t.key_position {
            match next {
                ":" | "(" => continue,
                "," | "}" | "=" => format!("{word}: {WXS_RENAME_PREFIX}{word}"),
                _ => format!("{WXS_RENAME_PREFIX}{word}"),
            }
        } else if after_modifier && next == "(" {
            continue;
        } else {
            format!("{WXS_RENAME_PREFIX}{word}")
        };
        edits.push(Edit {
            start: t.start,
            end: t.end,
            text: replacement,
        });
    }
    edits
}

/// Renamed-text offsets → source offsets, through the rename edits.
struct Back {
    /// (source start, source end, renamed start, renamed end), in order.
    spans: Vec<(usize, usize, usize, usize)>,
}

impl Back {
    fn new(edits: &[Edit]) -> Back {
        let mut spans = Vec::with_capacity(edits.len());
        let mut delta: isize = 0;
        for e in edits {
            let r_start = e.start.saturating_add_signed(delta);
            let r_end = r_start + e.text.len();
            spans.push((e.start, e.end, r_start, r_end));
            delta += e.text.len() as isize - (e.end - e.start) as isize;
        }
        Back { spans }
    }

    fn source(&self, r: usize) -> usize {
        let i = self.spans.partition_point(|s| s.2 <= r);
        let Some(&(s_start, s_end, _, r_end)) = i.checked_sub(1).and_then(|j| self.spans.get(j))
        else {
            return r;
        };
        if r >= r_end {
            s_end + (r - r_end)
        } else {
            // `r == r_start`, or inside a replacement (not a token boundary: never asked for).
            s_start
        }
    }
}

/// A member read `object.constructor` or `object['constructor']`.
struct CtorRead {
    member: Span,
    object: Span,
    /// The callee of `new` (or a link of its member chain): parenthesized.
    new_callee: bool,
}

fn is_ctor_key(e: &Expression<'_>) -> bool {
    match e {
        Expression::StringLiteral(s) => s.value == "constructor",
        Expression::TemplateLiteral(t) => {
            t.expressions.is_empty()
                && t.quasis.len() == 1
                && t.quasis
                    .first()
                    .and_then(|q| q.value.cooked.as_ref())
                    .is_some_and(|c| c.as_str() == "constructor")
        }
        _ => false,
    }
}

/// The members of an expression's object chain: `a.b[c].d` → the spans of `a.b[c].d`,
/// `a.b[c]`, `a.b`; with `through_calls`, calls' callees too (`a.b().c`).
fn member_chain(e: &Expression<'_>, through_calls: bool, out: &mut Vec<(Span, bool)>) {
    let mut cur = e;
    loop {
        cur = match cur {
            Expression::StaticMemberExpression(m) => {
                out.push((m.span, m.optional));
                &m.object
            }
            Expression::ComputedMemberExpression(m) => {
                out.push((m.span, m.optional));
                &m.object
            }
            Expression::PrivateFieldExpression(m) => {
                out.push((m.span, m.optional));
                &m.object
            }
            Expression::CallExpression(c) if through_calls => {
                out.push((c.span, c.optional));
                &c.callee
            }
            _ => return,
        };
    }
}

/// Every `X.constructor` / `X['constructor']` read, outermost first at equal starts.
fn constructor_reads(program: &oxc_ast::ast::Program<'_>) -> Vec<CtorRead> {
    let semantic = SemanticBuilder::new()
        .with_build_nodes(true)
        .build(program)
        .semantic;
    // Spans of expressions that are written, deleted or short-circuited, not read.
    let mut not_read: HashSet<Span> = HashSet::new();
    let mut new_chain: HashSet<Span> = HashSet::new();
    let mut found: Vec<(Span, Span)> = Vec::new();
    for node in semantic.nodes().iter() {
        match node.kind() {
            AstKind::AssignmentExpression(a) => {
                not_read.insert(a.left.span());
            }
            AstKind::UpdateExpression(u) => {
                not_read.insert(u.argument.span());
            }
            AstKind::ForInStatement(f) => {
                not_read.insert(f.left.span());
            }
            AstKind::ForOfStatement(f) => {
                not_read.insert(f.left.span());
            }
            AstKind::ArrayAssignmentTarget(a) => {
                for e in a.elements.iter().flatten() {
                    not_read.insert(e.span());
                }
            }
            AstKind::AssignmentTargetWithDefault(d) => {
                not_read.insert(d.binding.span());
            }
            AstKind::AssignmentTargetPropertyProperty(p) => {
                not_read.insert(p.binding.span());
            }
            AstKind::AssignmentTargetRest(r) => {
                not_read.insert(r.target.span());
            }
            AstKind::UnaryExpression(u) if u.operator == UnaryOperator::Delete => {
                not_read.insert(u.argument.span());
            }
            AstKind::NewExpression(n) => {
                let mut chain = Vec::new();
                member_chain(&n.callee, false, &mut chain);
                new_chain.extend(chain.into_iter().map(|(s, _)| s));
            }
            AstKind::ChainExpression(c) => {
                // `a?.b.c`: every link from the top down to the last `?.` is skipped when `a`
                // is nullish; links below it (`x.constructor?.y`'s `x.constructor`) are reads.
                let mut chain = Vec::new();
                match &c.expression {
                    ChainElement::CallExpression(call) => {
                        chain.push((call.span, call.optional));
                        member_chain(&call.callee, true, &mut chain);
                    }
                    ChainElement::StaticMemberExpression(m) => {
                        chain.push((m.span, m.optional));
                        member_chain(&m.object, true, &mut chain);
                    }
                    ChainElement::ComputedMemberExpression(m) => {
                        chain.push((m.span, m.optional));
                        member_chain(&m.object, true, &mut chain);
                    }
                    ChainElement::PrivateFieldExpression(m) => {
                        chain.push((m.span, m.optional));
                        member_chain(&m.object, true, &mut chain);
                    }
                    ChainElement::TSNonNullExpression(_) => {}
                }
                if let Some(last) = chain.iter().rposition(|(_, optional)| *optional) {
                    not_read.extend(chain.iter().take(last + 1).map(|(s, _)| *s));
                }
            }
            AstKind::StaticMemberExpression(m) if m.property.name == "constructor" => {
                found.push((m.span, m.object.span()));
            }
            AstKind::ComputedMemberExpression(m) if is_ctor_key(&m.expression) => {
                found.push((m.span, m.object.span()));
            }
            _ => {}
        }
    }
    found
        .into_iter()
        .filter(|(member, _)| !not_read.contains(member))
        .map(|(member, object)| CtorRead {
            member,
            object,
            new_callee: new_chain.contains(&member),
        })
        .collect()
}
