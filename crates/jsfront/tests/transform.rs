//! Table tests and snapshots of `transform`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_jsfront::{Lang, transform};

fn js(src: &str) -> String {
    match transform("t.js", src, Lang::Js) {
        Ok(o) => o.code,
        Err(e) => panic!("{e}"),
    }
}

fn ts(src: &str) -> String {
    match transform("t.ts", src, Lang::Ts) {
        Ok(o) => o.code,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn plain_script_is_byte_identical() {
    for src in [
        "var a = require('./a')\nmodule.exports = { a: a }\n",
        "// import x from 'y'\nfunction f() { return 1 }\r\n",
        "with (o) { x = 010 }\n",
        "\u{feff}Page({ data: {} })",
        "const s = `\nimport x from 'y'\nexport default 1\n`\n",
        "const s = \"import x from 'y'\"; const t = 'export { a }'\n",
        "if (typeof wx === 'undefined') return\nmodule.exports = wx\n",
    ] {
        let o = transform("t.js", src, Lang::Js).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.code, src);
        assert!(o.map.is_identity());
    }
}

#[test]
fn module_syntax_table() {
    // (input, must contain, must not contain)
    let table: &[(&str, &[&str], &[&str])] = &[
        ("import './z'\n", &["require(\"./z\");"], &["import"]),
        (
            "import a from './x'\n",
            &[
                "var __m$1 = require(\"./x\");",
                "var __m$1d = __m$1 && __m$1.__esModule ? __m$1 : { default: __m$1 };",
            ],
            &[],
        ),
        (
            "import { b as c, d } from './x'\nc(d, { d }, c`t`)\n",
            &["__m$1.b(__m$1.d, { d: __m$1.d }, __m$1.b`t`)"],
            &["var c", "var d"],
        ),
        (
            "import { 'a-b' as ab } from './x'\nab\n",
            &["__m$1[\"a-b\"]"],
            &[],
        ),
        (
            "import { x } from './x'\nfunction f(x) { return x }\nexport { x as y }\n",
            &[
                "function f(x) { return x }",
                "get: function () { return __m$1.x; }",
            ],
            &[],
        ),
        ("import * as ns from './x'\n", &["var ns = __m$1;"], &[]),
        (
            "import { default as q } from './x'\nq.go()\n",
            &[
                "var __m$1d = __m$1 && __m$1.__esModule",
                "__m$1d.default.go()",
            ],
            &[],
        ),
        (
            "export default { a: 1 }\n",
            &["exports.default = { a: 1 }"],
            &[],
        ),
        (
            "export default function f() {}\n",
            &["get: function () { return f; }", "function f() {}"],
            &["export "],
        ),
        (
            "export default class A {}\n",
            &["return A;", "class A {}"],
            &["export "],
        ),
        (
            "export default function () {}\n",
            &["exports.default = function () {};"],
            &[],
        ),
        (
            "export function f() {}\n",
            &["\"f\"", "return f;"],
            &["export "],
        ),
        (
            "export class C {}\n",
            &["\"C\"", "class C {}"],
            &["export "],
        ),
        (
            "export const { a, b: [c] } = o\n",
            &["return a;", "return c;"],
            &["export "],
        ),
        (
            "export let x = 1, y = 2\n",
            &["return x;", "return y;"],
            &[],
        ),
        ("export var v = 1\n", &["return v;"], &[]),
        (
            "const a = 1, b = 2\nexport { a, b as c }\n",
            &["\"a\"", "\"c\"", "return b;"],
            &["export "],
        ),
        (
            "export { x, y as z } from './m'\n",
            &["var __m$1 = require(\"./m\");", "return __m$1[\"y\"];"],
            &[],
        ),
        (
            "export * from './m'\n",
            &[";(function (m) {", "require(\"./m\")"],
            &["export "],
        ),
        (
            "export * as ns from './m'\n",
            &["\"ns\"", "return __m$1;"],
            &[],
        ),
        (
            "const m = import('./lazy')\n",
            &["Promise.resolve().then(function () { return require('./lazy'); })"],
            &["__esModule"],
        ),
        (
            "import a from 'a'\nconst s = `\nimport b from 'b'\n`\n",
            &["`\nimport b from 'b'\n`"],
            &[],
        ),
    ];
    for (src, yes, no) in table {
        let out = js(src);
        for y in *yes {
            assert!(out.contains(y), "{src:?} → {out:?} lacks {y:?}");
        }
        for n in *no {
            assert!(!out.contains(n), "{src:?} → {out:?} has {n:?}");
        }
        assert_eq!(
            out.matches('\n').count(),
            src.matches('\n').count(),
            "line count of {src:?}"
        );
        if !src.contains("import(") {
            assert!(
                out.starts_with("\"use strict\";Object.defineProperty(exports, \"__esModule\"")
            );
        }
    }
}

#[test]
fn typescript_is_stripped() {
    let table: &[(&str, &[&str], &[&str])] = &[
        ("let a: number = 1\n", &["let a = 1"], &["number"]),
        (
            "interface P { x: number }\nconst p = {} as P\n",
            &["const p = {}"],
            &["interface", " as "],
        ),
        (
            "type T = string\nconst v = x satisfies T\n",
            &["const v = x"],
            &["type", "satisfies"],
        ),
        ("const n = el!.value\n", &["el.value"], &["!"]),
        (
            "enum E { A, B = 'b' }\n",
            &["E[E[\"A\"] = 0] = \"A\"", "E[\"B\"] = \"b\""],
            &["enum"],
        ),
        ("declare const wx: any\nwx.x()\n", &["wx.x()"], &["declare"]),
        (
            "function id<T>(x: T): T { return x }\n",
            &["function id(x)"],
            &["<T>"],
        ),
        (
            "class K { constructor(private a: number) {} }\n",
            &["this.a = a"],
            &["private"],
        ),
        (
            "class F extends Base { name!: string; n = 1 }\n",
            &["class F extends Base", "n = 1"],
            &["name"],
        ),
        (
            "import x = require('./x')\nconst foo = x.a\nexport = foo\n",
            &["const x = require(\"./x\")", "module.exports = foo"],
            &[],
        ),
        (
            "abstract class B { abstract f(): void }\n",
            &["class B"],
            &["abstract"],
        ),
        (
            "function f(a: string): void\nfunction f(a: any) {}\n",
            &["function f(a) {}"],
            &["void"],
        ),
        (
            "import type { A } from './a'\nexport type { A }\nlet x: A\n",
            &["let x"],
            &["require", "./a"],
        ),
        (
            "import { util } from './u'\nutil()\n",
            &["require(\"./u\")", "__m$1.util()"],
            &[],
        ),
        (
            "export enum C { R }\n",
            &["\"C\"", "return C;"],
            &["export "],
        ),
    ];
    for (src, yes, no) in table {
        let out = ts(src);
        for y in *yes {
            assert!(out.contains(y), "{src:?} → {out:?} lacks {y:?}");
        }
        for n in *no {
            assert!(!out.contains(n), "{src:?} → {out:?} has {n:?}");
        }
    }
}

#[test]
fn errors_name_file_line_and_column() {
    let e = transform("pages/a.js", "var ok = 1\nvar x = ;\n", Lang::Js).unwrap_err();
    assert_eq!((e.file.as_str(), e.line, e.column), ("pages/a.js", 2, 9));
    assert!(
        e.to_string()
            .starts_with("syntax error in `pages/a.js` line 2, column 9: "),
        "{e}"
    );
    let e = transform("a.ts", "let a: = 1\n", Lang::Ts).unwrap_err();
    assert_eq!(e.line, 1);
    let e = transform("m.js", "export const u = import.meta.url\n", Lang::Js).unwrap_err();
    assert!(e.message.contains("import.meta"), "{e}");
}

#[test]
fn line_map_points_back() {
    // JS module: lines are kept, columns move only on edited lines.
    let src = "import a from './a'\nfunction f() {\n  throw new Error(a)\n}\nexport { f }\n";
    let o = transform("m.js", src, Lang::Js).unwrap_or_else(|e| panic!("{e}"));
    let line3 = o.code.lines().nth(2).unwrap_or("");
    assert_eq!(line3, "  throw new Error(__m$1d.default)");
    assert_eq!(o.map.original(3, 3), (3, 3));
    assert_eq!(o.map.original(1, 2), (1, 1));
    // TypeScript: codegen reformats; the map finds the original line.
    let src = "interface I {\n  a: number\n}\n\n\nfunction g(x: I): number {\n  return x.a\n}\nthrow new Error('boom')\n";
    let o = transform("t.ts", src, Lang::Ts).unwrap_or_else(|e| panic!("{e}"));
    let (gl, line) = o
        .code
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("throw"))
        .unwrap_or((0, ""));
    let col = line.find("throw").unwrap_or(0) + 1;
    assert_eq!(o.map.original(gl as u32 + 1, col as u32), (9, 1));
    let (gl, _) = o
        .code
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("return x.a"))
        .unwrap_or((0, ""));
    assert_eq!(o.map.original(gl as u32 + 1, 2).0, 7);
}

#[test]
fn snapshots() {
    insta::assert_snapshot!(
        "esm_js",
        js(
            "import wxApi, { promisify } from './wx'\nimport * as fmt from '../utils/format'\nexport const PAGE = 'index'\nexport function load() {\n  return promisify(wxApi.getSetting)()\n}\nconst tpl = `import nothing from 'here'`\nexport { tpl as template }\nexport default { load }\n"
        )
    );
    insta::assert_snapshot!(
        "page_ts",
        ts(
            "import type { IUser } from '../../types'\nimport { formatTime } from '../../utils/util'\n\nenum Step { Idle, Asking = 'asking' }\n\nPage({\n  data: { step: Step.Idle as Step, when: '' },\n  onLoad(query: Record<string, string>) {\n    const u = getApp<IAppOption>().globalData.user as IUser | undefined\n    this.setData({ when: formatTime(new Date()), name: u!.name })\n  },\n})\n"
        )
    );
    insta::assert_snapshot!(
        "reexports_js",
        js(
            "export * from './a'\nexport * as b from './b'\nexport { c as default, d } from './c'\nexport const lazy = () => import('./e')\n"
        )
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Module pieces, each at most once (an export name may not repeat), in any order.
    fn pieces() -> impl Strategy<Value = Vec<&'static str>> {
        let all = vec![
            "import a from './a'\n",
            "import { b, c as d } from \"./b\"\n",
            "export const e = 1\n",
            "export function f() {\n  return 1\n}\n",
            "export { e as g }\n",
            "export * from './h'\n",
            "const t = `\nimport x from 'y'\n`\n",
            "// export default 1\n",
            "console.log(\"import z from 'z'\")\n",
            "var k = import('./k')\n",
            "\n",
            "let v = 2; v++\n",
            "b()\nc()\n",
        ];
        let n = all.len();
        prop::sample::subsequence(all, 0..=n).prop_shuffle()
    }

    proptest! {
        #[test]
        fn module_conversion_keeps_lines_and_literal_text(parts in pieces()) {
            let src: String = parts.concat();
            let out = transform("p.js", &src, Lang::Js).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(out.code.matches('\n').count(), src.matches('\n').count());
            prop_assert_eq!(
                out.code.matches("import x from 'y'").count(),
                src.matches("import x from 'y'").count()
            );
            prop_assert!(!out.code.contains("\nimport a") && !out.code.contains("\nexport "));
            // Every line of the output maps to a line of the source.
            for l in 1..=out.code.lines().count() as u32 {
                let (ol, _) = out.map.original(l, 1);
                prop_assert!(ol >= 1 && ol as usize <= src.lines().count().max(1));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
            let _ = transform("a.js", &src, Lang::Js);
            let _ = transform("a.ts", &src, Lang::Ts);
        }
    }
}
