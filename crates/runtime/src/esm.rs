//! ES module syntax rewritten to the CommonJS shape every file runs in, keeping line numbers.
//!
//! Handled at statement starts (a line that begins with `import`/`export`): default, named,
//! namespace and bare imports; `export default`, `export function|class|const|let|var`,
//! `export { a, b as c }`, `export { .. } from`, `export * from`. Exports are live getters
//! defined before the body runs, so cycles see functions at once.

/// The rewritten body and the getter prelude (to put on the wrapper's first line).
pub struct Rewritten {
    pub body: String,
    pub prelude: String,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn starts_kw(s: &str, kw: &str) -> bool {
    s.strip_prefix(kw)
        .is_some_and(|r| r.chars().next().is_none_or(|c| !is_ident_char(c)))
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `from 'spec'` at the end of a statement: (clause before `from`, spec).
fn split_from(stmt: &str) -> Option<(String, String)> {
    let t = stmt.trim().trim_end_matches(';').trim_end();
    let q = t.chars().last()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let inner = &t[..t.len() - 1];
    let open = inner.rfind(q)?;
    let spec = inner[open + 1..].to_string();
    let before = inner[..open].trim_end();
    let clause = before.strip_suffix("from")?;
    Some((clause.trim().to_string(), spec))
}

fn bare_spec(stmt: &str) -> Option<String> {
    let t = stmt.trim().trim_end_matches(';').trim();
    let q = t.chars().next()?;
    if (q == '\'' || q == '"') && t.len() >= 2 && t.ends_with(q) {
        Some(t[1..t.len() - 1].to_string())
    } else {
        None
    }
}

/// `{ a, b as c }` → [(a, a), (b, c)] as (imported/local, exported/alias).
fn braces(list: &str) -> Vec<(String, String)> {
    list.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            if p.is_empty() {
                return None;
            }
            let mut it = p.split_whitespace();
            let a = it.next()?.to_string();
            match (it.next(), it.next()) {
                (Some("as"), Some(b)) => Some((a, b.to_string())),
                _ => Some((a.clone(), a)),
            }
        })
        .collect()
}

fn complete(stmt: &str, is_import: bool) -> bool {
    let t = stmt.trim();
    if is_import {
        let rest = t["import".len()..].trim_start();
        return bare_spec(rest).is_some() || split_from(t).is_some();
    }
    let rest = t["export".len()..].trim_start();
    if rest.starts_with('{') {
        if !rest.contains('}') {
            return false;
        }
        let after = rest[rest.find('}').map_or(0, |i| i + 1)..].trim();
        return after.is_empty() || after == ";" || split_from(t).is_some();
    }
    if rest.starts_with('*') {
        return split_from(t).is_some();
    }
    true
}

pub fn rewrite(src: &str) -> Option<Rewritten> {
    let lines: Vec<&str> = src.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut prelude = String::new();
    let mut esm = false;
    let mut n = 0usize;
    let mut i = 0;
    let mut in_comment = false;
    let getter = |prelude: &mut String, name: &str, expr: &str| {
        prelude.push_str(&format!(
            "Object.defineProperty(exports, {}, {{ enumerable: true, configurable: true, get: function () {{ return {expr}; }} }});",
            js_str(name)
        ));
    };
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        if in_comment {
            if line.contains("*/") {
                in_comment = false;
            }
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if t.starts_with("/*") && !t.contains("*/") {
            in_comment = true;
            out.push(line.to_string());
            i += 1;
            continue;
        }
        let is_import = starts_kw(t, "import")
            && !t["import".len()..].trim_start().starts_with('(')
            && !t["import".len()..].trim_start().starts_with('.');
        let is_export = starts_kw(t, "export");
        if !is_import && !is_export {
            out.push(line.to_string());
            i += 1;
            continue;
        }
        esm = true;
        // Gather a multi-line import / export list.
        let mut stmt = line.to_string();
        let mut used = 1;
        while !complete(&stmt, is_import) && i + used < lines.len() && used < 200 {
            stmt.push(' ');
            stmt.push_str(lines[i + used]);
            used += 1;
        }
        let indent = &line[..line.len() - t.len()];
        let st = stmt.trim();
        let replaced: String = if is_import {
            let rest = st["import".len()..].trim_start();
            if let Some(spec) = bare_spec(rest) {
                format!("require({});", js_str(&spec))
            } else if let Some((clause, spec)) = split_from(st) {
                let clause = clause["import".len()..].trim().to_string();
                n += 1;
                let m = format!("__m{n}");
                let mut s = format!("var {m} = require({});", js_str(&spec));
                let (default, rest) = if clause.starts_with('{') || clause.starts_with('*') {
                    (None, clause.as_str())
                } else {
                    match clause.split_once(',') {
                        Some((d, r)) => (Some(d.trim()), r.trim()),
                        None => (Some(clause.trim()), ""),
                    }
                };
                if let Some(d) = default {
                    s.push_str(&format!(" var {d} = __interop({m});"));
                }
                if let Some(ns) = rest.strip_prefix('*') {
                    let ns = ns.trim().trim_start_matches("as").trim();
                    s.push_str(&format!(" var {ns} = {m};"));
                } else if rest.starts_with('{') {
                    for (a, b) in braces(rest) {
                        if a == "default" {
                            s.push_str(&format!(" var {b} = __interop({m});"));
                        } else {
                            s.push_str(&format!(" var {b} = {m}[{}];", js_str(&a)));
                        }
                    }
                }
                s
            } else {
                st.to_string()
            }
        } else {
            let rest = st["export".len()..].trim_start();
            if let Some(d) = rest.strip_prefix("default") {
                let d = d.trim_start();
                let named = ["function", "async function", "class"]
                    .iter()
                    .find_map(|kw| {
                        let r = d
                            .strip_prefix(kw)?
                            .trim_start()
                            .trim_start_matches('*')
                            .trim_start();
                        let name: String = r.chars().take_while(|c| is_ident_char(*c)).collect();
                        (!name.is_empty()).then_some(name)
                    });
                match named {
                    Some(name) => {
                        getter(&mut prelude, "default", &name);
                        d.to_string()
                    }
                    None => format!("exports.default = {d}"),
                }
            } else if rest.starts_with('{') {
                let close = rest.find('}').unwrap_or(rest.len() - 1);
                let list = &rest[..=close.min(rest.len() - 1)];
                if let Some((_, spec)) = split_from(st) {
                    n += 1;
                    let m = format!("__m{n}");
                    for (a, b) in braces(list) {
                        getter(&mut prelude, &b, &format!("{m}[{}]", js_str(&a)));
                    }
                    format!("var {m} = require({});", js_str(&spec))
                } else {
                    for (a, b) in braces(list) {
                        getter(&mut prelude, &b, &a);
                    }
                    String::new()
                }
            } else if let Some(clause) = rest.strip_prefix('*') {
                let spec = split_from(st).map(|(_, s)| s).unwrap_or_default();
                let clause = clause.trim_start();
                if let Some(ns) = clause.strip_prefix("as") {
                    let ns: String = ns
                        .trim_start()
                        .chars()
                        .take_while(|c| is_ident_char(*c))
                        .collect();
                    n += 1;
                    let m = format!("__m{n}");
                    getter(&mut prelude, &ns, &m);
                    format!("var {m} = require({});", js_str(&spec))
                } else {
                    format!(
                        "(function (m) {{ Object.keys(m).forEach(function (k) {{ if (k !== 'default' && !Object.prototype.hasOwnProperty.call(exports, k)) Object.defineProperty(exports, k, {{ enumerable: true, get: function () {{ return m[k]; }} }}); }}); }})(require({}));",
                        js_str(&spec)
                    )
                }
            } else {
                // export function|async function|class|const|let|var
                let decl = rest;
                let after_kw = ["async function", "function", "class", "const", "let", "var"]
                    .iter()
                    .find_map(|kw| {
                        if starts_kw(decl, kw) {
                            Some((kw, decl[kw.len()..].trim_start()))
                        } else {
                            None
                        }
                    });
                if let Some((kw, r)) = after_kw {
                    let r = r.trim_start_matches('*').trim_start();
                    if (*kw == "const" || *kw == "let" || *kw == "var")
                        && (r.starts_with('{') || r.starts_with('['))
                    {
                        let close = r.find(['}', ']']).unwrap_or(r.len());
                        for part in r[1..close].split(',') {
                            let part = part.split('=').next().unwrap_or("").trim();
                            let name = part.rsplit(':').next().unwrap_or("").trim();
                            if !name.is_empty() && name.chars().all(is_ident_char) {
                                getter(&mut prelude, name, name);
                            }
                        }
                    } else {
                        let name: String = r.chars().take_while(|c| is_ident_char(*c)).collect();
                        if !name.is_empty() {
                            getter(&mut prelude, &name, &name);
                        }
                    }
                }
                decl.to_string()
            }
        };
        out.push(format!("{indent}{replaced}"));
        for _ in 1..used {
            out.push(String::new());
        }
        i += used;
    }
    if !esm {
        return None;
    }
    let mut p = String::from("Object.defineProperty(exports, \"__esModule\", { value: true });");
    p.push_str(&prelude);
    Some(Rewritten {
        body: out.join("\n"),
        prelude: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_imports_and_exports() {
        let src = "import a, { b as c, d } from './x'\nimport * as ns from \"./y\"\nimport './z'\nexport const k = 1\nexport function f() {}\nexport default f\nexport { k as kk }\n";
        let r = rewrite(src).unwrap();
        assert_eq!(r.body.lines().count(), src.lines().count());
        assert!(r.body.contains("var a = __interop(__m1);"));
        assert!(r.body.contains("var c = __m1[\"b\"];"));
        assert!(r.body.contains("var ns = __m2;"));
        assert!(r.body.contains("require(\"./z\");"));
        assert!(r.body.contains("exports.default = f"));
        assert!(r.prelude.contains("\"kk\""));
        assert!(rewrite("const x = require('./a')\n").is_none());
    }

    #[test]
    fn multiline_import_keeps_lines() {
        let src = "import {\n  a,\n  b,\n} from './m'\nconsole.log(a)\n";
        let r = rewrite(src).unwrap();
        assert_eq!(r.body.split('\n').count(), src.split('\n').count());
        assert!(r.body.contains("var b = __m1[\"b\"];"));
    }
}
