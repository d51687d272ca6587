//! ES module declarations → CommonJS, as span edits of the parsed program's top-level statements
//! (and of `import(…)` expressions anywhere). Every edit keeps the number of lines, so only the
//! columns of edited lines move; the edits are recorded as [`Point`]s for the [`LineMap`].
//!
//! Bindings are live both ways, as in ES modules: a getter per exported name is defined before
//! the body runs (hoisted functions are visible to import cycles at once), and every reference
//! to an imported name reads the exporting module's `exports` when it runs (`__m$1.name`), so a
//! value assigned later, or a `const` of a module still loading in a cycle, is seen when used.
//!
//! [`LineMap`]: crate::LineMap

use std::collections::HashMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{
    Declaration, ExportDefaultDeclarationKind, ImportDeclarationSpecifier, ModuleExportName,
    Program, Statement,
};
use oxc_semantic::{Semantic, SemanticBuilder};
use oxc_span::{GetSpan, Span};
use oxc_syntax::module_record::ModuleRecord;
use oxc_syntax::symbol::SymbolId;

use crate::linemap::{Lines, Point};

/// Replaces `start..end` of the source by `text`.
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A string as a JavaScript string literal.
fn js_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn export_name(n: &ModuleExportName<'_>) -> String {
    n.name().as_str().to_string()
}

/// What the conversion found to be unsupported, with its byte offset.
pub(crate) struct Unsupported {
    pub offset: u32,
    pub message: String,
}

pub(crate) struct Converted {
    pub code: String,
    pub points: Vec<Point>,
}

#[derive(Default)]
struct State {
    edits: Vec<Edit>,
    getters: String,
    n: usize,
    /// Imported bindings: symbol → the expression reading it (`__m$1.name`).
    imports: HashMap<SymbolId, String>,
    /// The same by local name (for `export { local }` of an imported binding).
    import_names: HashMap<String, String>,
}

impl State {
    fn module_var(&mut self) -> String {
        self.n += 1;
        format!("__m${}", self.n)
    }

    fn getter(&mut self, name: &str, expr: &str) {
        self.getters.push_str(&format!(
            "Object.defineProperty(exports, {}, {{ enumerable: true, configurable: true, get: function () {{ return {expr}; }} }});",
            js_str(name)
        ));
    }

    /// Replaces `span` of the source by `text`, padded with the newlines the span held.
    fn replace(&mut self, src: &str, span: Span, text: String) {
        let (start, end) = (span.start as usize, span.end as usize);
        let newlines = src.get(start..end).map_or(0, |s| s.matches('\n').count());
        let mut text = text;
        text.push_str(&"\n".repeat(newlines));
        self.edits.push(Edit { start, end, text });
    }
}

/// `m.name`, or `m["name"]` when the name is not an identifier.
fn member(m: &str, name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if ident {
        format!("{m}.{name}")
    } else {
        format!("{m}[{}]", js_str(name))
    }
}

/// Converts module syntax; `None` when the program has none (the source stays as it is).
pub(crate) fn convert(
    src: &str,
    program: &Program<'_>,
    record: &ModuleRecord<'_>,
) -> Result<Option<Converted>, Unsupported> {
    if let Some(span) = record.import_metas.first() {
        return Err(Unsupported {
            offset: span.start,
            message: "`import.meta` is not supported in mini-programs".into(),
        });
    }
    let has_module_syntax = program.body.iter().any(Statement::is_module_declaration);
    if !has_module_syntax && record.dynamic_imports.is_empty() {
        return Ok(None);
    }
    let mut st = State::default();
    // Semantic analysis binds the imported names to their references.
    let has_imports = program
        .body
        .iter()
        .any(|s| matches!(s, Statement::ImportDeclaration(_)));
    let semantic = has_imports.then(|| {
        SemanticBuilder::new()
            .with_build_nodes(true)
            .build(program)
            .semantic
    });
    // Imports first: exports of imported names read them through the module object.
    for stmt in &program.body {
        if let Statement::ImportDeclaration(_) = stmt {
            module_statement(src, stmt, &mut st);
        }
    }
    for stmt in &program.body {
        if !matches!(stmt, Statement::ImportDeclaration(_)) {
            module_statement(src, stmt, &mut st);
        }
    }
    if let Some(semantic) = &semantic {
        rewrite_references(semantic, &mut st);
    }
    // `import(x)` → a promise of `require(x)`, skipping one nested in another.
    let mut last_end = 0;
    let mut dynamic: Vec<_> = record.dynamic_imports.iter().collect();
    dynamic.sort_by_key(|d| d.span.start);
    for d in dynamic {
        if d.span.start < last_end {
            continue;
        }
        last_end = d.span.end;
        let arg = src
            .get(d.module_request.start as usize..d.module_request.end as usize)
            .unwrap_or("undefined");
        st.edits.push(Edit {
            start: d.span.start as usize,
            end: d.span.end as usize,
            text: format!("Promise.resolve().then(function () {{ return require({arg}); }})"),
        });
    }
    st.edits.sort_by_key(|e| e.start);
    let prelude = if has_module_syntax {
        format!(
            "\"use strict\";Object.defineProperty(exports, \"__esModule\", {{ value: true }});{}",
            st.getters
        )
    } else {
        String::new()
    };
    Ok(Some(apply(src, &prelude, &st.edits)))
}

fn module_statement(src: &str, stmt: &Statement<'_>, st: &mut State) {
    match stmt {
        Statement::ImportDeclaration(d) => {
            if d.import_kind.is_type() {
                st.replace(src, d.span, String::new());
                return;
            }
            let spec = js_str(d.source.value.as_str());
            let specifiers = d.specifiers.as_ref().map_or(&[][..], |s| s.as_slice());
            if specifiers.is_empty() {
                st.replace(src, d.span, format!("require({spec});"));
                return;
            }
            let m = st.module_var();
            let mut s = format!("var {m} = require({spec});");
            let mut default_var: Option<String> = None;
            for sp in specifiers {
                let (local, imported) = match sp {
                    ImportDeclarationSpecifier::ImportDefaultSpecifier(x) => (&x.local, None),
                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(x) => {
                        // The namespace is the module's exports object itself.
                        s.push_str(&format!(" var {} = {m};", x.local.name.as_str()));
                        continue;
                    }
                    ImportDeclarationSpecifier::ImportSpecifier(x) => {
                        if x.import_kind.is_type() {
                            continue;
                        }
                        let name = export_name(&x.imported);
                        (&x.local, (name != "default").then_some(name))
                    }
                };
                let read = match imported {
                    Some(name) => member(&m, &name),
                    None => {
                        // babel's interop: `default` of an ES module, else the whole exports.
                        let d = default_var.get_or_insert_with(|| {
                            let d = format!("{m}d");
                            s.push_str(&format!(
                                " var {d} = {m} && {m}.__esModule ? {m} : {{ default: {m} }};"
                            ));
                            d
                        });
                        format!("{d}.default")
                    }
                };
                if let Some(sym) = local.symbol_id.get() {
                    st.imports.insert(sym, read.clone());
                }
                st.import_names
                    .insert(local.name.as_str().to_string(), read);
            }
            st.replace(src, d.span, s);
        }
        Statement::ExportAllDeclaration(d) => {
            if d.export_kind.is_type() {
                st.replace(src, d.span, String::new());
                return;
            }
            let spec = js_str(d.source.value.as_str());
            if let Some(ns) = &d.exported {
                let m = st.module_var();
                st.getter(&export_name(ns), &m);
                st.replace(src, d.span, format!("var {m} = require({spec});"));
            } else {
                st.replace(
                    src,
                    d.span,
                    format!(
                        ";(function (m) {{ Object.keys(m).forEach(function (k) {{ if (k !== \"default\" && !Object.prototype.hasOwnProperty.call(exports, k)) Object.defineProperty(exports, k, {{ enumerable: true, get: function () {{ return m[k]; }} }}); }}); }})(require({spec}));"
                    ),
                );
            }
        }
        Statement::ExportFromDeclaration(d) => {
            if d.export_kind.is_type() {
                st.replace(src, d.span, String::new());
                return;
            }
            let m = st.module_var();
            for s in d.specifiers.iter().filter(|s| !s.export_kind.is_type()) {
                let expr = format!("{m}[{}]", js_str(&export_name(&s.local)));
                st.getter(&export_name(&s.exported), &expr);
            }
            let spec = js_str(d.source.value.as_str());
            st.replace(src, d.span, format!("var {m} = require({spec});"));
        }
        Statement::ExportNamedDeclaration(d) => {
            if !d.export_kind.is_type() {
                for s in d.specifiers.iter().filter(|s| !s.export_kind.is_type()) {
                    let local = export_name(&s.local);
                    let read = st.import_names.get(&local).cloned().unwrap_or(local);
                    st.getter(&export_name(&s.exported), &read);
                }
            }
            st.replace(src, d.span, String::new());
        }
        Statement::ExportDeclaration(d) => {
            let decl = &d.declaration;
            let prefix = Span::new(d.span.start, decl.span().start);
            match decl {
                Declaration::VariableDeclaration(v) => {
                    for dcl in &v.declarations {
                        for id in dcl.id.get_binding_identifiers() {
                            let name = id.name.as_str();
                            st.getter(name, name);
                        }
                    }
                }
                Declaration::FunctionDeclaration(f) => {
                    if let Some(id) = &f.id {
                        st.getter(id.name.as_str(), id.name.as_str());
                    }
                }
                Declaration::ClassDeclaration(c) => {
                    if let Some(id) = &c.id {
                        st.getter(id.name.as_str(), id.name.as_str());
                    }
                }
                _ => {
                    // Type-only declarations (the TypeScript transform removed the rest).
                    if decl.is_typescript_syntax() {
                        st.replace(src, d.span, String::new());
                        return;
                    }
                }
            }
            st.replace(src, prefix, String::new());
        }
        Statement::ExportDefaultDeclaration(d) => {
            let inner = d.declaration.span();
            let prefix = Span::new(d.span.start, inner.start);
            let named = match &d.declaration {
                ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                    Some(f.id.as_ref().map(|i| i.name.as_str().to_string()))
                }
                ExportDefaultDeclarationKind::ClassDeclaration(c) => {
                    Some(c.id.as_ref().map(|i| i.name.as_str().to_string()))
                }
                ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => {
                    st.replace(src, d.span, String::new());
                    return;
                }
                _ => None,
            };
            match named {
                Some(Some(name)) => {
                    st.getter("default", &name);
                    st.replace(src, prefix, String::new());
                }
                Some(None) => {
                    st.replace(src, prefix, "exports.default = ".into());
                    st.edits.push(Edit {
                        start: inner.end as usize,
                        end: inner.end as usize,
                        text: ";".into(),
                    });
                }
                None => st.replace(src, prefix, "exports.default = ".into()),
            }
        }
        Statement::TSExportAssignment(d) => {
            let prefix = Span::new(d.span.start, d.expression.span().start);
            st.replace(src, prefix, "module.exports = ".into());
        }
        Statement::TSNamespaceExportDeclaration(d) => st.replace(src, d.span, String::new()),
        _ => {}
    }
}

/// Every read of an imported binding becomes a read of the module object (`{ a }` →
/// `{ a: __m$1.a }`). A call `a()` becomes `__m$1.a()`: its `this` is the exports object, not
/// undefined; babel's `(0, __m$1.a)()` would need a semicolon before a line starting with it.
fn rewrite_references(semantic: &Semantic<'_>, st: &mut State) {
    let nodes = semantic.nodes();
    let mut edits = Vec::new();
    for (sym, read) in &st.imports {
        for r in semantic.scoping().get_resolved_references(*sym) {
            let node = r.node_id();
            let AstKind::IdentifierReference(id) = nodes.kind(node) else {
                continue;
            };
            let text = match nodes.parent_kind(node) {
                AstKind::ObjectProperty(p) if p.shorthand => {
                    format!("{}: {read}", id.name.as_str())
                }
                _ => read.clone(),
            };
            edits.push(Edit {
                start: id.span.start as usize,
                end: id.span.end as usize,
                text,
            });
        }
    }
    st.edits.extend(edits);
}

/// The edited text and its points (generated → `src` positions). `edits` are sorted by start;
/// one that overlaps an earlier one is skipped.
pub(crate) fn apply(src: &str, prelude: &str, edits: &[Edit]) -> Converted {
    // (output offset, source offset, copied)
    let mut segs: Vec<(usize, usize, bool)> = Vec::new();
    let mut out = String::with_capacity(src.len() + prelude.len() + 256);
    if !prelude.is_empty() {
        segs.push((0, 0, false));
        out.push_str(prelude);
    }
    let mut pos = 0;
    for e in edits {
        if e.start < pos || e.end > src.len() {
            continue;
        }
        if e.start > pos {
            segs.push((out.len(), pos, true));
            out.push_str(&src[pos..e.start]);
        }
        segs.push((out.len(), e.start, false));
        out.push_str(&e.text);
        pos = e.end;
    }
    if pos < src.len() {
        segs.push((out.len(), pos, true));
        out.push_str(&src[pos..]);
    }
    let gen_lines = Lines::new(&out);
    let src_lines = Lines::new(src);
    let mut points = Vec::with_capacity(segs.len() * 2);
    let mut push = |g: usize, s: usize, copied: bool| {
        let (gl, gc) = gen_lines.position(g);
        let (ol, oc) = src_lines.position(s);
        points.push(Point {
            gen_line: gl,
            gen_col: gc,
            orig_line: ol,
            orig_col: oc,
            copied,
        });
    };
    for (i, &(g, s, copied)) in segs.iter().enumerate() {
        push(g, s, copied);
        let g_end = segs.get(i + 1).map_or(out.len(), |n| n.0);
        if copied {
            // A point at every line start inside a copied run.
            for (k, _) in src[s..s + (g_end - g)].match_indices('\n') {
                push(g + k + 1, s + k + 1, true);
            }
        } else {
            for (k, _) in out[g..g_end].match_indices('\n') {
                push(g + k + 1, s, false);
            }
        }
    }
    points.sort_by_key(|p| (p.gen_line, p.gen_col));
    points.dedup_by_key(|p| (p.gen_line, p.gen_col));
    Converted { code: out, points }
}
