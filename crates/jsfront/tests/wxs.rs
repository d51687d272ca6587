//! WXS → JavaScript function bodies: renamed reserved words, `constructor` reads, errors, maps.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_jsfront::{Lang, Output, WXS_RENAMED, transform, wxs};

fn run(src: &str) -> Output {
    wxs("m.wxs", src).unwrap_or_else(|e| panic!("{e}"))
}

fn code(src: &str) -> String {
    run(src).code
}

/// The body inside the runtime's wrapper, as documented on `wxs`.
fn wrapped(body: &str) -> String {
    format!("(function (module, exports, require, getRegExp, getDate, __wxs_ctor__) {{ {body}\n}})")
}

/// The wrapped body parses as JavaScript (oxc through `transform`; no engine here).
fn assert_runs_as_js(body: &str) {
    if let Err(e) = transform("wrapped.js", &wrapped(body), Lang::Js) {
        panic!("{e}\n{body}");
    }
}

#[test]
fn nothing_to_change_is_byte_identical() {
    for src in [
        "",
        "var a = 1;\nmodule.exports = { f: function (x) { return x.length } };\n",
        "var r = getRegExp('^\\\\d+$', 'g');\nvar d = getDate();\nmodule.exports.ok = r.test('12') && d;\r\n",
        "var u = require('./util.wxs');\nexports.n = u.n; // a.class and class\n",
        "var s = 'class' + \"constructor\"; /* import x from 'y' */\n",
        "var o = { class: 1, 'constructor': 2 }; o.class = o.constructorName;\n",
        "function f(x) { switch (x) { case 1: return /class/.test(x) } }\n",
    ] {
        let o = run(src);
        assert_eq!(o.code, src);
        assert!(o.map.is_identity(), "{src:?}");
    }
}

#[test]
fn reserved_words_as_identifiers_are_renamed() {
    let src = "\
var class = 'btn';
function f(class, static) { return class + static }
var o = { class: 1, b: a.class, c: a?.import };
var s = \"class\" + 'class' + `class`; // class
/* class */
var r = /class[/]\\/class/g, q = x / class / 2;
var t = { class };
var u = { get class() { return 1 }, *class() {}, k: p ? class : 1 };
module.exports = { class: class, f: f, i: import, e: export };
";
    let want = "\
var $wxs$class = 'btn';
function f($wxs$class, $wxs$static) { return $wxs$class + $wxs$static }
var o = { class: 1, b: a.class, c: a?.import };
var s = \"class\" + 'class' + `class`; // class
/* class */
var r = /class[/]\\/class/g, q = x / $wxs$class / 2;
var t = { class: $wxs$class };
var u = { get class() { return 1 }, *class() {}, k: p ? $wxs$class : 1 };
module.exports = { class: $wxs$class, f: f, i: $wxs$import, e: $wxs$export };
";
    let out = code(src);
    assert_eq!(out, want);
    assert_runs_as_js(&out);
}

#[test]
fn renames_in_every_statement_context() {
    let table: &[(&str, &str)] = &[
        (
            "switch (k) { case class: break; default: x = { a: class } }",
            "switch (k) { case $wxs$class: break; default: x = { a: $wxs$class } }",
        ),
        (
            "class: for (;;) { break class }",
            "$wxs$class: for (;;) { break $wxs$class }",
        ),
        ("{ class: 1 }", "{ $wxs$class: 1 }"),
        (
            "try { f() } catch (class) { g(class) }",
            "try { f() } catch ($wxs$class) { g($wxs$class) }",
        ),
        (
            "var f = function class(a) { return a[class] }",
            "var f = function $wxs$class(a) { return a[$wxs$class] }",
        ),
        (
            "function f() { return {\n class: class } }",
            "function f() { return {\n class: $wxs$class } }",
        ),
        (
            "if (class) /class/.test(class)",
            "if ($wxs$class) /class/.test($wxs$class)",
        ),
        (
            "var a = b.c(class)\n/ 2 / class",
            "var a = b.c($wxs$class)\n/ 2 / $wxs$class",
        ),
    ];
    for (src, want) in table {
        let out = code(src);
        assert_eq!(&out, want, "{src}");
        assert_runs_as_js(&out);
    }
}

#[test]
fn every_renamed_word_is_renamed_and_javascript_keywords_kept() {
    for w in WXS_RENAMED {
        let src = format!("var {w} = 1;\nmodule.exports.{w} = {w} + 1;\n");
        let out = code(&src);
        assert_eq!(
            out,
            format!("var $wxs${w} = 1;\nmodule.exports.{w} = $wxs${w} + 1;\n")
        );
        assert_runs_as_js(&out);
    }
    // WXS code that uses these means JavaScript's meaning.
    let src = "var a = new Array(1);\ntry { throw 1 } catch (e) { a = e instanceof Error || 'k' in a } finally {}\nlet b = 1; const c = 2;\n";
    assert_eq!(code(src), src);
}

#[test]
fn constructor_reads_become_calls() {
    let table: &[(&str, &str)] = &[
        (
            "var t = x.constructor === 'Array';",
            "var t = __wxs_ctor__(x) === 'Array';",
        ),
        ("var t = x['constructor'];", "var t = __wxs_ctor__(x);"),
        ("var t = x[\"constructor\"];", "var t = __wxs_ctor__(x);"),
        ("var t = x[`constructor`];", "var t = __wxs_ctor__(x);"),
        ("var t = a.b.constructor;", "var t = __wxs_ctor__(a.b);"),
        ("var t = a.b().constructor;", "var t = __wxs_ctor__(a.b());"),
        (
            "var t = a.constructor.constructor;",
            "var t = __wxs_ctor__(__wxs_ctor__(a));",
        ),
        (
            "var t = x[a.constructor].constructor;",
            "var t = __wxs_ctor__(x[__wxs_ctor__(a)]);",
        ),
        ("var t = (a).constructor;", "var t = __wxs_ctor__((a));"),
        (
            "var t = class.constructor;",
            "var t = __wxs_ctor__($wxs$class);",
        ),
        (
            "var t = x.constructor.length;",
            "var t = __wxs_ctor__(x).length;",
        ),
        (
            "var t = x.constructor?.length;",
            "var t = __wxs_ctor__(x)?.length;",
        ),
        (
            "var t = new a.constructor();",
            "var t = new (__wxs_ctor__(a))();",
        ),
        (
            "var t = new a.constructor.b();",
            "var t = new (__wxs_ctor__(a)).b();",
        ),
        (
            "f(x.constructor, typeof y.constructor, !z.constructor)",
            "f(__wxs_ctor__(x), typeof __wxs_ctor__(y), !__wxs_ctor__(z))",
        ),
        (
            "if (x.constructor == 'Object') { return x }",
            "if (__wxs_ctor__(x) == 'Object') { return x }",
        ),
    ];
    for (src, want) in table {
        let out = code(src);
        assert_eq!(&out, want, "{src}");
        assert_runs_as_js(&out);
    }
}

#[test]
fn constructor_writes_and_non_reads_stay() {
    for src in [
        "x.constructor = 1;",
        "x['constructor'] += 1;",
        "x.constructor++;",
        "delete x.constructor;",
        "for (x.constructor in o) {}",
        "[x.constructor] = [1];",
        "({ a: x.constructor } = o);",
        "var t = x?.constructor;",
        "var t = a?.b.constructor;",
        "var o = { constructor: 1 }; o = { constructor };",
        "var s = 'x.constructor'; // x.constructor\n",
        "var t = x.constructorName + x[k];",
    ] {
        assert_eq!(code(src), src);
    }
    // The value assigned is still a read.
    assert_eq!(
        code("x.constructor = y.constructor;"),
        "x.constructor = __wxs_ctor__(y);"
    );
    assert_eq!(
        code("[a = x.constructor] = [];"),
        "[a = __wxs_ctor__(x)] = [];"
    );
}

#[test]
fn syntax_errors_name_the_source_line_and_column() {
    // After a rename on the same line: the column is the source's.
    let e = wxs("comp/bem.wxs", "var a = 1;\nvar class = ;\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line, e.column), ("comp/bem.wxs", 2, 13));
    assert!(
        e.to_string()
            .starts_with("syntax error in `comp/bem.wxs` line 2, column 13: "),
        "{e}"
    );
    assert!(e.message.starts_with(|c: char| !c.is_uppercase()), "{e}");
    // Nothing renamed.
    let e = wxs("a.wxs", "var a = {\n  b: 1,,\n};\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 8));
    // A rename before the error on an earlier line changes nothing on this one.
    let e = wxs("a.wxs", "var static = 1, class = 2;\n  x = )\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 7));
}

#[test]
fn es_module_syntax_is_an_error() {
    for (src, line, column) in [
        ("export default { a: 1 }\n", 1, 1),
        ("var a = 1;\n  import b from './b.wxs'\n", 2, 3),
        ("import './b.wxs';\n", 1, 1),
        ("var a;\nexport { a };\n", 2, 1),
        ("export * from './x.wxs';\n", 1, 1),
        ("export function f() {}\n", 1, 1),
    ] {
        let e = wxs("m.wxs", src).unwrap_err();
        assert_eq!((e.line, e.column), (line, column), "{src:?}: {e}");
        assert!(e.message.contains("module.exports"), "{e}");
    }
    // The same words as identifiers.
    for src in [
        "var export = {};\nexport.a = 1;\nexport = import(1) * 2;\nx = import\n",
        "var import = 2, b = import * 3;\n",
    ] {
        let out = code(src);
        assert!(
            !out.contains(" import") && !out.contains("\nexport"),
            "{out}"
        );
        assert_runs_as_js(&out);
    }
}

#[test]
fn unclosed_comment_runs_to_the_end() {
    let src = "var a = 1;\nmodule.exports.a = a;\n/* rest\nvar b = 2;\n";
    let o = run(src);
    assert_eq!(o.code, format!("{src}*/"));
    assert_eq!(o.map.original(2, 5), (2, 5));
    assert_runs_as_js(&o.code);
    // Without it the wrapper's `})` would be commented out.
    assert!(transform("w.js", &wrapped(src), Lang::Js).is_err());
}

#[test]
fn body_ending_in_a_line_comment_still_closes_the_wrapper() {
    let o = run("module.exports.a = 1 // done");
    assert_runs_as_js(&o.code);
}

#[test]
fn line_map_points_back_past_edits() {
    let src = "var class = x.constructor === 'Array' ? 1 : 2; throw e\nvar k = 1\n";
    let o = run(src);
    let line = o.code.lines().next().unwrap_or("");
    assert_eq!(
        line,
        "var $wxs$class = __wxs_ctor__(x) === 'Array' ? 1 : 2; throw e"
    );
    let col = |hay: &str, needle: &str| hay.find(needle).map_or(0, |i| i + 1) as u32;
    // Copied text after the edits maps to its own column in the source.
    for needle in ["throw", "=== 'Array'", "? 1"] {
        assert_eq!(
            o.map.original(1, col(line, needle)),
            (1, col(src, needle)),
            "{needle}"
        );
    }
    // Inside an inserted or renamed piece: its start in the source.
    assert_eq!(o.map.original(1, col(line, "$wxs$class") + 3), (1, 5));
    assert_eq!(o.map.original(1, col(line, "__wxs_ctor__") + 2), (1, 13));
    // Other lines are untouched.
    assert_eq!(o.map.original(2, 5), (2, 5));
    assert_eq!(o.code.lines().nth(1), Some("var k = 1"));
}

/// A module in the style of component libraries' `bem.wxs`/`utils.wxs`.
#[test]
fn library_style_module() {
    let src = r#"/* eslint-disable */
var array = require('./array.wxs');
var PREFIX = 'x-';

function isArray(value) {
  return value && value.constructor === 'Array';
}

function isObj(x) {
  var type = typeof x;
  return x !== null && (type === 'object' || type === 'function') && x['constructor'] !== 'Array';
}

function join(name, mods) {
  name = PREFIX + name;
  mods = mods.map(function (mod) { return name + '--' + mod; });
  mods.unshift(name);
  return mods.join(' ');
}

function bem(name, conf) {
  var mods = [];
  var class = [];
  if (isArray(conf)) {
    conf.forEach(function (item) { if (item) mods.push(item); });
  } else if (isObj(conf)) {
    for (var key in conf) { if (conf[key]) mods.push(key); }
  }
  class = join(name, mods);
  return class.replace(getRegExp('\\s+', 'g'), ' ');
}

module.exports = { bem: bem, isArray: isArray, class: 'static' };
"#;
    let o = run(src);
    assert_runs_as_js(&o.code);
    assert_eq!(o.code.lines().count(), src.lines().count());
    for want in [
        "return value && __wxs_ctor__(value) === 'Array';",
        "&& __wxs_ctor__(x) !== 'Array';",
        "  var $wxs$class = [];",
        "  $wxs$class = join(name, mods);",
        "  return $wxs$class.replace(getRegExp('\\\\s+', 'g'), ' ');",
        "module.exports = { bem: bem, isArray: isArray, class: 'static' };",
        "var array = require('./array.wxs');",
    ] {
        assert!(o.code.contains(want), "lacks {want:?}:\n{}", o.code);
    }
    // Every line that had nothing to change is the source's line.
    for (a, b) in src.lines().zip(o.code.lines()) {
        if !a.contains("class") && !a.contains("constructor") {
            assert_eq!(a, b);
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Literal text holding `class`: must come out verbatim (four expressions, two comments).
    const LITERALS: &[&str] = &[
        "'class'",
        "\"a class \\\" class\"",
        "`class ${1} class`",
        "/class\\/class[/]/g",
        "/* class */",
        "// class import\n",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(&LITERALS[4..]).prop_map(|l| format!("var v = 1 {l}\n")),
            prop::sample::select(&LITERALS[..4]).prop_map(|l| format!("var v = {l}\n")),
            prop::sample::select(&LITERALS[..4]).prop_map(|l| format!("f({l}, class)\n")),
            Just("var class = 1;\n".to_string()),
            Just("function g(class, static) { return class / static / 2 }\n".to_string()),
            Just("var o = { class: class, b: o.class };\n".to_string()),
            Just("x = y.constructor === 'Array';\n".to_string()),
            Just("if (a) /class/.test(b)\n".to_string()),
            Just("\n".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn literals_are_untouched_and_output_parses(parts in prop::collection::vec(piece(), 0..12)) {
            let src: String = parts.concat();
            let out = wxs("p.wxs", &src).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for l in LITERALS {
                prop_assert_eq!(out.code.matches(l).count(), src.matches(l).count(), "{}", l);
            }
            prop_assert_eq!(out.code.lines().count(), src.lines().count());
            prop_assert!(!out.code.contains("var class") && !out.code.contains("(class"));
            prop_assert!(transform("w.js", &wrapped(&out.code), Lang::Js).is_ok(), "{}", out.code);
            for l in 1..=out.code.lines().count() as u32 {
                prop_assert_eq!(out.map.original(l, 1).0, l);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,100}") {
            let _ = wxs("a.wxs", &src);
        }

        #[test]
        fn js_like_text_never_panics(src in "[a-z{}()\\[\\]/*`'\"\\\\$.?:;,=+\\n #]{0,100}|(class|constructor|import|[ .{}:,/'`\\n])*") {
            if let Ok(o) = wxs("a.wxs", &src) {
                // Whatever was accepted maps every line back into the source.
                for l in 1..=o.code.lines().count() as u32 {
                    let (ol, _) = o.map.original(l, 1);
                    prop_assert!(ol >= 1 && ol as usize <= src.lines().count().max(1));
                }
            }
        }
    }
}
