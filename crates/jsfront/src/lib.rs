//! Mini-program sources to the CommonJS bodies miniperm runs.
//!
//! [`transform`] parses a `.js` or `.ts` file with oxc (a real parser: nothing here matches
//! source text with patterns), strips TypeScript with oxc's TypeScript transform, and turns ES
//! module declarations into CommonJS (`require`, live export getters, `exports.__esModule`).
//! The result is the body of `(function (require, module, exports, __filename, __dirname) {…})`
//! (wrapping is the caller's job). Plain JavaScript without module syntax comes back
//! byte-identical, so error positions stay exact; for anything transformed, [`LineMap`] maps a
//! generated position back to the source.
//!
//! [`wxs`] does the same for WXS (`.wxs` files and inline `<wxs>` modules): identifiers WXS
//! allows but JavaScript reserves are renamed, `x.constructor` reads become `__wxs_ctor__(x)`,
//! and the body is for the runtime's
//! `(function (module, exports, require, getRegExp, getDate, __wxs_ctor__) {…})`.
//!
//! Pure: no I/O, no JavaScript engine.
#![forbid(unsafe_code)]

mod cjs;
mod linemap;
mod output;
mod wxs;

use std::path::{Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{TransformOptions, Transformer};

pub use linemap::LineMap;
use linemap::Point;
pub use output::{Output, TransformError};
use output::{diagnostic_error, error_at, parse_options};
pub use wxs::{WXS_RENAME_PREFIX, WXS_RENAMED, wxs};

/// The language of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Js,
    Ts,
}

impl Lang {
    /// The language of a path by its extension (`.ts` → TypeScript, anything else JavaScript).
    pub fn of(path: &str) -> Lang {
        if path.ends_with(".ts") {
            Lang::Ts
        } else {
            Lang::Js
        }
    }
}

/// Parses `source` and returns the CommonJS body with its line map.
///
/// `file` names the file in errors (and in the source map of TypeScript files).
pub fn transform(file: &str, source: &str, lang: Lang) -> Result<Output, TransformError> {
    // oxc's transforms assert on states they do not expect; a source that trips one is reported
    // as an error of that file, never a crash of the host.
    let run = std::panic::AssertUnwindSafe(|| match lang {
        Lang::Js => transform_js(file, source),
        Lang::Ts => transform_ts(file, source),
    });
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        Err(TransformError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: "the parser failed on this file (internal error)".into(),
        })
    })
}

fn transform_js(file: &str, source: &str) -> Result<Output, TransformError> {
    let alloc = Allocator::default();
    let ret = Parser::new(&alloc, source, SourceType::unambiguous())
        .with_options(parse_options())
        .parse();
    if let Some(d) = ret.diagnostics.errors().next() {
        return Err(diagnostic_error(file, source, d, None));
    }
    match cjs::convert(source, &ret.program, &ret.module_record) {
        Err(u) => Err(error_at(file, source, u.offset, &u.message, None)),
        Ok(None) => Ok(Output {
            code: source.to_string(),
            map: LineMap::default(),
        }),
        Ok(Some(c)) => Ok(Output {
            code: c.code,
            map: LineMap::new(c.points, Vec::new()),
        }),
    }
}

fn transform_ts(file: &str, source: &str) -> Result<Output, TransformError> {
    let alloc = Allocator::default();
    let ret = Parser::new(&alloc, source, SourceType::ts())
        .with_options(parse_options())
        .parse();
    if let Some(d) = ret.diagnostics.errors().next() {
        return Err(diagnostic_error(file, source, d, None));
    }
    if let Some(span) = ret.module_record.import_metas.first() {
        return Err(error_at(
            file,
            source,
            span.start,
            "`import.meta` is not supported in mini-programs",
            None,
        ));
    }
    let mut program = ret.program;
    let scoping = SemanticBuilder::new()
        .with_excess_capacity(2.0)
        .with_enum_eval(true)
        .build(&program)
        .semantic
        .into_scoping();
    // Devtools compiles TypeScript with `useDefineForClassFields` off: a field without an
    // initializer (`name!: string`) declares a type only and creates no own property.
    let mut options = TransformOptions::default();
    options.typescript.remove_class_fields_without_initializer = true;
    let tr = Transformer::new(&alloc, Path::new(file), &options)
        .build_with_scoping(scoping, &mut program);
    if let Some(d) = tr.diagnostics.errors().next() {
        return Err(diagnostic_error(file, source, d, None));
    }
    let cg = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(PathBuf::from(file)),
            ..CodegenOptions::default()
        })
        .build(&program);
    let tokens: Vec<Point> = cg
        .map
        .as_ref()
        .map(|m| {
            m.get_tokens()
                .map(|t| Point {
                    gen_line: t.get_dst_line() + 1,
                    gen_col: t.get_dst_col() + 1,
                    orig_line: t.get_src_line() + 1,
                    orig_col: t.get_src_col() + 1,
                    copied: true,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut tokens = tokens;
    tokens.sort_by_key(|p| (p.gen_line, p.gen_col));
    let stripped = cg.code;
    let token_map = LineMap::new(Vec::new(), tokens.clone());
    let alloc2 = Allocator::default();
    let ret2 = Parser::new(&alloc2, &stripped, SourceType::unambiguous())
        .with_options(parse_options())
        .parse();
    if let Some(d) = ret2.diagnostics.errors().next() {
        return Err(diagnostic_error(file, &stripped, d, Some(&token_map)));
    }
    match cjs::convert(&stripped, &ret2.program, &ret2.module_record) {
        Err(u) => Err(error_at(
            file,
            &stripped,
            u.offset,
            &u.message,
            Some(&token_map),
        )),
        Ok(None) => Ok(Output {
            code: stripped,
            map: token_map,
        }),
        Ok(Some(c)) => Ok(Output {
            code: c.code,
            map: LineMap::new(c.points, tokens),
        }),
    }
}
