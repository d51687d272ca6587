//! WXSS to CSS, on cssparser's tokenizer (Servo's CSS parser, the one Firefox uses): never
//! regular expressions. What WeChat's compiler does, it does here:
//!
//! - `rpx` becomes px: `value × device width / 750`, floored to whole pixels as WeChat's
//!   `transformRPX` does, with a non-zero value that floors to 0 kept as 1px (0.5px on an
//!   iPhone with a pixel ratio above 1);
//! - `@import "path"` (relative to the importing file, or from the root with `/`) is inlined,
//!   once per file per sheet, cycles cut;
//! - tag selectors name the HTML elements the page is drawn with (`view` → `wx-view`, `page` →
//!   `wx-page`);
//! - a class selector `.x` becomes `[mp-class~="SCOPE|x"]` (the same specificity as a class):
//!   each drawn element lists its classes under the style scopes they are visible in, which is
//!   how WeChat's compiler isolates components (it renames classes per component). `SCOPE` is
//!   empty for app.wxss and the page's WXSS, a component's path for its own WXSS (empty again for
//!   a `styleIsolation: shared` component);
//! - WeChat has no `*` selector: a selector using it is dropped with a warning; in a component's
//!   WXSS, tag, id and attribute selectors are dropped too (devtools: "Some selectors are not
//!   allowed in component wxss"); `:host` is the component's host element;
//! - `url(…)` keeps only `data:` URLs: WeChat does not load a project file from WXSS and
//!   miniperm never loads from the network (the declaration keeps `none`);
//! - `@media (prefers-color-scheme: …)` is decided for the page's theme.

use cssparser::{
    Delimiter, ParseError, Parser, ParserInput, ToCss, Token, serialize_identifier,
    serialize_string,
};

/// The page's colour theme (app.json `darkmode` lets a page follow the phone's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// How one stylesheet is compiled.
pub struct Options<'a> {
    /// The device width in px (`750rpx`).
    pub width: i64,
    /// Device pixel ratio (for the sub-pixel `rpx` rule).
    pub pixel_ratio: i64,
    pub theme: Theme,
    /// The style scope of the sheet's classes (`""`: the page's).
    pub scope: &'a str,
    /// A component's own sheet: `:host` is its host; tag, id and attribute selectors are not
    /// allowed.
    pub component: Option<&'a str>,
    /// Reads a project file's text by root-relative path (for `@import`).
    pub read: &'a dyn Fn(&str) -> Option<String>,
}

/// A compiled sheet: CSS text, and what was dropped and why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub css: String,
    pub warnings: Vec<String>,
}

/// The root-relative path `spec` names from `from` (a file): `/x` from the root, `./x`, `../x`
/// and `x` from `from`'s folder; `None` when it climbs out of the root.
pub fn resolve(from: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = if spec.starts_with('/') {
        Vec::new()
    } else {
        let mut v: Vec<&str> = from.split('/').collect();
        v.pop();
        v
    };
    for seg in spec.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `rpx` to px, as WeChat's `transformRPX`.
pub fn rpx(value: f64, width: i64, pixel_ratio: i64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return 0.0;
    }
    let px = (value.abs() * width as f64 / 750.0 + 0.0001).floor();
    let px = if px == 0.0 {
        if pixel_ratio > 1 { 0.5 } else { 1.0 }
    } else {
        px
    };
    px.copysign(value)
}

fn fmt_px(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}px")
    } else {
        format!("{v}px")
    }
}

/// The element a WXML tag is drawn as: `wx-` and the tag, lowercased, other characters `-`.
pub fn element_name(tag: &str) -> String {
    let mut out = String::from("wx-");
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push('-');
        }
    }
    out
}

/// The `mp-class` token of class `class` in scope `scope`.
pub fn class_token(scope: &str, class: &str) -> String {
    format!("{scope}|{class}")
}

struct Cx<'a, 'o> {
    o: &'o Options<'a>,
    file: String,
    /// Files imported into this sheet so far (each once).
    seen: Vec<String>,
    warnings: Vec<String>,
    depth: usize,
}

type Res<'i> = Result<(), ParseError<'i, ()>>;

impl Cx<'_, '_> {
    fn warn(&mut self, line: u32, column: u32, msg: impl std::fmt::Display) {
        if self.warnings.len() < 200 {
            self.warnings
                .push(format!("{}:{}:{}: {msg}", self.file, line + 1, column));
        }
    }

    /// Copies tokens to the end of the parser's input: rpx to px, `url()` by the policy, blocks
    /// recursively. `media`: parenthesized `prefers-color-scheme` tests are decided.
    fn copy<'i>(&mut self, p: &mut Parser<'i, '_>, out: &mut String, media: bool) -> Res<'i> {
        loop {
            let tok = match p.next_including_whitespace_and_comments() {
                Ok(t) => t.clone(),
                Err(_) => return Ok(()),
            };
            match tok {
                Token::Comment(_) => {}
                Token::WhiteSpace(_) => out.push(' '),
                Token::Dimension { value, unit, .. } if unit.eq_ignore_ascii_case("rpx") => {
                    out.push_str(&fmt_px(rpx(
                        f64::from(value),
                        self.o.width,
                        self.o.pixel_ratio,
                    )));
                }
                Token::UnquotedUrl(u) => self.url(&u, out),
                Token::Function(name) if name.eq_ignore_ascii_case("url") => {
                    let mut arg = String::new();
                    p.parse_nested_block(|p| {
                        while let Ok(t) = p.next() {
                            if let Token::QuotedString(s) = t {
                                arg = s.to_string();
                            }
                        }
                        Ok::<(), ParseError<'i, ()>>(())
                    })?;
                    self.url(&arg, out);
                }
                Token::Function(name) => {
                    out.push_str(&Token::Function(name).to_css_string());
                    p.parse_nested_block(|p| self.copy(p, out, false))?;
                    out.push(')');
                }
                Token::ParenthesisBlock if media => {
                    let mut inner = String::new();
                    let mut scheme = None;
                    p.parse_nested_block(|p| {
                        let start = p.state();
                        if let Ok(Token::Ident(f)) = p.next()
                            && f.eq_ignore_ascii_case("prefers-color-scheme")
                            && p.expect_colon().is_ok()
                            && let Ok(v) = p.expect_ident()
                        {
                            scheme = Some(v.to_ascii_lowercase());
                            while p.next().is_ok() {}
                            return Ok(());
                        }
                        p.reset(&start);
                        self.copy(p, &mut inner, false)
                    })?;
                    match scheme {
                        Some(s) => {
                            let wanted = match self.o.theme {
                                Theme::Light => "light",
                                Theme::Dark => "dark",
                            };
                            out.push_str(if s == wanted {
                                "(min-width: 0px)"
                            } else {
                                "(max-width: -1px)"
                            });
                        }
                        None => {
                            out.push('(');
                            out.push_str(&inner);
                            out.push(')');
                        }
                    }
                }
                Token::ParenthesisBlock | Token::SquareBracketBlock | Token::CurlyBracketBlock => {
                    let close = match tok {
                        Token::ParenthesisBlock => ')',
                        Token::SquareBracketBlock => ']',
                        _ => '}',
                    };
                    out.push_str(&tok.to_css_string());
                    p.parse_nested_block(|p| self.copy(p, out, false))?;
                    out.push(close);
                }
                // A broken token would end the sheet's good part: leave it out.
                Token::BadUrl(_) | Token::BadString(_) => {}
                t => out.push_str(&t.to_css_string()),
            }
        }
    }

    fn url(&mut self, u: &str, out: &mut String) {
        if u.trim_start().to_ascii_lowercase().starts_with("data:") {
            out.push_str("url(");
            let _ = serialize_string(u.trim(), out);
            out.push(')');
        } else {
            out.push_str("none");
        }
    }

    /// The rules of a sheet or of a block (`@media`, `@supports`).
    fn rules<'i>(&mut self, p: &mut Parser<'i, '_>, out: &mut String) -> Res<'i> {
        loop {
            p.skip_whitespace();
            let start = p.state();
            let loc = p.current_source_location();
            let tok = match p.next() {
                Ok(t) => t.clone(),
                Err(_) => return Ok(()),
            };
            match tok {
                Token::AtKeyword(name) => {
                    self.at_rule(&name.to_ascii_lowercase(), p, out, loc)?;
                }
                Token::CDO | Token::CDC | Token::Semicolon => {}
                _ => {
                    p.reset(&start);
                    let mut sel = String::new();
                    let mut dropped = Vec::new();
                    p.parse_until_before(Delimiter::CurlyBracketBlock, |p| {
                        self.selector_list(p, &mut sel, &mut dropped)
                    })?;
                    for d in dropped {
                        self.warn(loc.line, loc.column, d);
                    }
                    match p.next() {
                        Ok(Token::CurlyBracketBlock) => {}
                        _ => continue,
                    }
                    let mut body = String::new();
                    p.parse_nested_block(|p| self.copy(p, &mut body, false))?;
                    let sel = sel.trim();
                    if !sel.is_empty() {
                        out.push_str(sel);
                        out.push('{');
                        out.push_str(body.trim());
                        out.push_str("}\n");
                    }
                }
            }
        }
    }

    fn at_rule<'i>(
        &mut self,
        name: &str,
        p: &mut Parser<'i, '_>,
        out: &mut String,
        loc: cssparser::SourceLocation,
    ) -> Res<'i> {
        let mut prelude = String::new();
        let mut import = None;
        p.parse_until_before(Delimiter::CurlyBracketBlock | Delimiter::Semicolon, |p| {
            if name == "import" {
                while let Ok(t) = p.next() {
                    match t {
                        Token::QuotedString(s) | Token::UnquotedUrl(s) => {
                            import = Some(s.to_string())
                        }
                        Token::Function(f) if f.eq_ignore_ascii_case("url") => {
                            let mut arg = None;
                            p.parse_nested_block(|p| {
                                if let Ok(s) = p.expect_string() {
                                    arg = Some(s.to_string());
                                }
                                while p.next().is_ok() {}
                                Ok::<(), ParseError<'i, ()>>(())
                            })?;
                            if arg.is_some() {
                                import = arg;
                            }
                        }
                        _ => {}
                    }
                }
                Ok(())
            } else {
                self.copy(p, &mut prelude, name == "media")
            }
        })?;
        let block = matches!(p.next(), Ok(Token::CurlyBracketBlock));
        if name == "import" {
            if let Some(spec) = import {
                self.import(&spec, out, loc);
            }
            if block {
                p.parse_nested_block(|p| {
                    while p.next().is_ok() {}
                    Ok::<(), ParseError<'i, ()>>(())
                })?;
            }
            return Ok(());
        }
        out.push('@');
        let _ = serialize_identifier(name, out);
        let prelude = prelude.trim();
        if !prelude.is_empty() {
            out.push(' ');
            out.push_str(prelude);
        }
        if !block {
            out.push_str(";\n");
            return Ok(());
        }
        out.push('{');
        match name {
            "media" | "supports" | "document" | "layer" | "container" => {
                out.push('\n');
                p.parse_nested_block(|p| self.rules(p, out))?;
            }
            _ => {
                let mut body = String::new();
                p.parse_nested_block(|p| self.copy(p, &mut body, false))?;
                out.push_str(body.trim());
            }
        }
        out.push_str("}\n");
        Ok(())
    }

    fn import(&mut self, spec: &str, out: &mut String, loc: cssparser::SourceLocation) {
        let Some(path) = resolve(&self.file, spec) else {
            self.warn(
                loc.line,
                loc.column,
                format!("@import `{spec}` leaves the project"),
            );
            return;
        };
        let path = if path.ends_with(".wxss") {
            path
        } else {
            format!("{path}.wxss")
        };
        if self.seen.contains(&path) {
            return;
        }
        if self.depth >= 16 {
            self.warn(loc.line, loc.column, "@import nested too deep");
            return;
        }
        let Some(text) = (self.o.read)(&path) else {
            self.warn(
                loc.line,
                loc.column,
                format!("@import `{spec}`: no file `{path}`"),
            );
            return;
        };
        self.seen.push(path.clone());
        let file = std::mem::replace(&mut self.file, path);
        self.depth += 1;
        let mut input = ParserInput::new(&text);
        let mut p = Parser::new(&mut input);
        let _ = self.rules(&mut p, out);
        self.depth -= 1;
        self.file = file;
    }

    /// A rule's selector list, rewritten; selectors WeChat does not allow are left out and
    /// named in `dropped`.
    fn selector_list<'i>(
        &mut self,
        p: &mut Parser<'i, '_>,
        out: &mut String,
        dropped: &mut Vec<String>,
    ) -> Res<'i> {
        let mut first = true;
        loop {
            let mut one = String::new();
            let mut bad = None;
            p.parse_until_before(Delimiter::Comma, |p| {
                self.selector(p, &mut one, &mut bad);
                Ok::<(), ParseError<'i, ()>>(())
            })?;
            match bad {
                Some(why) => dropped.push(format!("selector `{}` dropped: {why}", one.trim())),
                None if !one.trim().is_empty() => {
                    if !first {
                        out.push_str(", ");
                    }
                    out.push_str(one.trim());
                    first = false;
                }
                None => {}
            }
            if p.next().is_err() {
                return Ok(());
            }
        }
    }

    /// One complex selector. `bad` gets why it cannot be used, if so (`out` then holds the
    /// selector as written, for the warning).
    fn selector<'i>(&mut self, p: &mut Parser<'i, '_>, out: &mut String, bad: &mut Option<String>) {
        let component = self.o.component;
        let mut colons = 0usize;
        let mut class_next = false;
        loop {
            let tok = match p.next_including_whitespace_and_comments() {
                Ok(t) => t.clone(),
                Err(_) => return,
            };
            let after_colon = colons > 0;
            if !matches!(tok, Token::Colon) {
                colons = 0;
            }
            match tok {
                Token::Comment(_) => {}
                Token::WhiteSpace(_) => out.push(' '),
                Token::Delim('.') => class_next = true,
                Token::Ident(name) if class_next => {
                    class_next = false;
                    out.push_str("[mp-class~=");
                    let _ = serialize_string(&class_token(self.o.scope, &name), out);
                    out.push(']');
                }
                Token::Ident(name) if after_colon => {
                    if name.eq_ignore_ascii_case("host") {
                        match component {
                            Some(c) => {
                                out.push_str("[mp-host=");
                                let _ = serialize_string(c, out);
                                out.push(']');
                            }
                            None => {
                                bad.get_or_insert_with(|| "`:host` outside a component".into());
                            }
                        }
                    } else {
                        out.push_str(&":".repeat(colons_for(&name)));
                        let _ = serialize_identifier(&name, out);
                    }
                }
                Token::Ident(name) => {
                    if component.is_some() {
                        bad.get_or_insert_with(|| {
                            "tag selectors are not allowed in component wxss".into()
                        });
                    }
                    out.push_str(&element_name(&name));
                }
                Token::IDHash(id) => {
                    if component.is_some() {
                        bad.get_or_insert_with(|| {
                            "id selectors are not allowed in component wxss".into()
                        });
                    }
                    out.push('#');
                    let _ = serialize_identifier(&id, out);
                }
                Token::Delim('*') => {
                    bad.get_or_insert_with(|| "WXSS has no `*` selector".into());
                    out.push('*');
                }
                Token::Colon => {
                    colons += 1;
                }
                Token::Function(name) if after_colon => {
                    let lower = name.to_ascii_lowercase();
                    if lower == "host" {
                        bad.get_or_insert_with(|| "`:host(…)` is not supported".into());
                    }
                    out.push_str(&":".repeat(colons_for(&name)));
                    out.push_str(&Token::Function(name).to_css_string());
                    let nested =
                        matches!(lower.as_str(), "not" | "is" | "where" | "has" | "matches");
                    let _ = p.parse_nested_block(|p| {
                        if nested {
                            self.selector(p, out, bad);
                        } else {
                            let _ = self.copy(p, out, false);
                        }
                        Ok::<(), ParseError<'i, ()>>(())
                    });
                    out.push(')');
                }
                Token::SquareBracketBlock => {
                    if component.is_some() {
                        bad.get_or_insert_with(|| {
                            "attribute selectors are not allowed in component wxss".into()
                        });
                    }
                    out.push('[');
                    let _ = p.parse_nested_block(|p| self.copy(p, out, false));
                    out.push(']');
                }
                t => {
                    class_next = false;
                    out.push_str(&t.to_css_string());
                }
            }
        }
    }
}

/// `::` for the pseudo-elements written with one colon in old CSS too, else `:`.
fn colons_for(name: &str) -> usize {
    match name.to_ascii_lowercase().as_str() {
        "before"
        | "after"
        | "first-line"
        | "first-letter"
        | "placeholder"
        | "selection"
        | "-webkit-scrollbar"
        | "-webkit-input-placeholder"
        | "marker" => 2,
        _ => 1,
    }
}

/// Compiles the WXSS file `file` (its text `text`).
pub fn compile(file: &str, text: &str, o: &Options<'_>) -> Compiled {
    let mut cx = Cx {
        o,
        file: file.to_string(),
        seen: vec![file.to_string()],
        warnings: Vec::new(),
        depth: 0,
    };
    let mut css = String::new();
    let mut input = ParserInput::new(text);
    let mut p = Parser::new(&mut input);
    let _ = cx.rules(&mut p, &mut css);
    Compiled {
        css,
        warnings: cx.warnings,
    }
}

/// A `style` attribute's declarations (rpx to px, `url()` by the policy).
pub fn declarations(text: &str, o: &Options<'_>) -> String {
    let mut cx = Cx {
        o,
        file: String::new(),
        seen: Vec::new(),
        warnings: Vec::new(),
        depth: 0,
    };
    let mut out = String::new();
    let mut input = ParserInput::new(text);
    let mut p = Parser::new(&mut input);
    let _ = cx.copy(&mut p, &mut out, false);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn opts<'a>(
        scope: &'a str,
        component: Option<&'a str>,
        read: &'a dyn Fn(&str) -> Option<String>,
    ) -> Options<'a> {
        Options {
            width: 375,
            pixel_ratio: 2,
            theme: Theme::Light,
            scope,
            component,
            read,
        }
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn rpx_is_the_width_over_750_floored() {
        assert_eq!(rpx(750.0, 375, 2), 375.0);
        assert_eq!(rpx(33.0, 375, 2), 16.0);
        assert_eq!(rpx(1.0, 375, 2), 0.5);
        assert_eq!(rpx(1.0, 375, 1), 1.0);
        assert_eq!(rpx(-20.0, 375, 2), -10.0);
        assert_eq!(rpx(750.0, 414, 3), 414.0);
        let c = compile(
            "a.wxss",
            ".a{width:750rpx;margin:0 -20rpx}",
            &opts("", None, &none),
        );
        assert_eq!(c.css, "[mp-class~=\"|a\"]{width:375px;margin:0 -10px}\n");
    }

    #[test]
    fn selectors_become_elements_and_scoped_classes() {
        let c = compile(
            "app.wxss",
            "page{color:red}\nview.x > text::after, #top .y:not(.z){a:b}\n* {c:d}\nbutton:nth-child(2n+1){e:f}",
            &opts("", None, &none),
        );
        assert_eq!(
            c.css,
            "wx-page{color:red}\nwx-view[mp-class~=\"|x\"] > wx-text::after, #top [mp-class~=\"|y\"]:not([mp-class~=\"|z\"]){a:b}\nwx-button:nth-child(2n+1){e:f}\n"
        );
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].contains("no `*` selector"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn component_sheets_allow_classes_and_host_only() {
        let c = compile(
            "components/c/c.wxss",
            ":host{display:block}\n.t, view{x:y}\n#i{x:y}\n[a]{x:y}\n.u::before{content:\"{\"}",
            &opts("components/c/c", Some("components/c/c"), &none),
        );
        assert_eq!(
            c.css,
            "[mp-host=\"components/c/c\"]{display:block}\n[mp-class~=\"components/c/c|t\"]{x:y}\n[mp-class~=\"components/c/c|u\"]::before{content:\"{\"}\n"
        );
        assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
        assert!(
            c.warnings[0].starts_with("components/c/c.wxss:2:"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn imports_media_and_urls() {
        let files = |p: &str| match p {
            "common/base.wxss" => Some(".b{x:1rpx}\n@import \"../app.wxss\";".to_string()),
            "app.wxss" => Some("@import \"common/base.wxss\";\n.a{y:2}".to_string()),
            _ => None,
        };
        let c = compile(
            "app.wxss",
            &files("app.wxss").unwrap_or_default(),
            &opts("", None, &files),
        );
        assert_eq!(
            c.css,
            "[mp-class~=\"|b\"]{x:0.5px}\n[mp-class~=\"|a\"]{y:2}\n"
        );
        let c = compile(
            "p.wxss",
            "@import 'nope';\n@media (prefers-color-scheme: dark){.d{color:white}}\n@media screen and (max-width: 400px){.m{background:url(/images/a.png) no-repeat, url(\"data:image/png;base64,AA==\")}}\n@keyframes k{from{left:0}to{left:100rpx}}",
            &opts("", None, &none),
        );
        assert_eq!(
            c.css,
            "@media (max-width: -1px){\n[mp-class~=\"|d\"]{color:white}\n}\n@media screen and (max-width: 400px){\n[mp-class~=\"|m\"]{background:none no-repeat, url(\"data:image/png;base64,AA==\")}\n}\n@keyframes k{from{left:0}to{left:50px}}\n"
        );
        assert!(
            c.warnings[0].contains("no file `nope.wxss`"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn style_attributes_and_resolution() {
        assert_eq!(
            declarations(
                "width: 750rpx; background: url(http://x/y.png)",
                &opts("", None, &none)
            ),
            "width: 375px; background: none"
        );
        assert_eq!(
            resolve("pages/a/a.wxss", "../../common/x.wxss").as_deref(),
            Some("common/x.wxss")
        );
        assert_eq!(
            resolve("pages/a/a.wxss", "/c.wxss").as_deref(),
            Some("c.wxss")
        );
        assert_eq!(resolve("a.wxss", "../../x"), None);
        assert_eq!(element_name("my-Card"), "wx-my-card");
        assert_eq!(element_name("a:b"), "wx-a-b");
    }
}
