//! Reading `interface Wx` (and `WxCloud`) out of the typings with oxc's TypeScript parser.

use std::collections::{BTreeMap, HashMap, HashSet};

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Comment, FormalParameters, Statement, TSLiteral, TSNamespaceDeclarationBody, TSSignature,
    TSType, TSTypeName, TSTypeParameterDeclaration,
};
use oxc_parser::Parser;
use oxc_span::SourceType;

use crate::error::ApigenError;

/// How an API is called (written into the table as core's `Shape::<variant>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// Returns its result (`getStorageSync`, `canIUse`).
    Sync,
    /// Takes an option object with `success`/`fail`/`complete`.
    Callback,
    /// `on*`/`off*` taking a listener.
    Listener,
    /// `create*`/`get*Manager` returning an object.
    Factory,
    /// A property holding an object (`wx.cloud`, `wx.env`).
    Namespace,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Sync,
        Shape::Callback,
        Shape::Listener,
        Shape::Factory,
        Shape::Namespace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Sync => "sync",
            Shape::Callback => "callback",
            Shape::Listener => "listener",
            Shape::Factory => "factory",
            Shape::Namespace => "namespace",
        }
    }
}

/// A JSON type class (written into the table as core's `Ty::<variant>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Any,
}

impl Ty {
    pub const ALL: [Ty; 6] = [
        Ty::String,
        Ty::Number,
        Ty::Boolean,
        Ty::Object,
        Ty::Array,
        Ty::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::Any => "any",
        }
    }
}

/// A field of a success result (or of a sync API's return value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub required: bool,
    pub ty: Ty,
}

/// One API as the typings describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// `getLocation`, `cloud.callFunction`.
    pub name: String,
    pub shape: Shape,
    /// A callback API that returns a Promise when given no callback.
    pub promise: bool,
    /// Minimum base library from the JSDoc.
    pub since: Option<(u16, u16, u16)>,
    /// A sync API's return type class; `None` for `void` and the other shapes.
    pub returns: Option<Ty>,
    pub result_fields: Vec<Field>,
}

/// One signature of a method (overloads give several).
struct Sig<'a> {
    params: &'a FormalParameters<'a>,
    ret: Option<&'a TSType<'a>>,
    tparams: Option<&'a TSTypeParameterDeclaration<'a>>,
    doc: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Decl<'a> {
    Interface(&'a oxc_ast::ast::TSInterfaceDeclaration<'a>),
    Alias(&'a oxc_ast::ast::TSTypeAliasDeclaration<'a>),
}

#[derive(Default)]
struct Index<'a> {
    /// By plain name (first wins) and by `Namespace.Name`.
    decls: HashMap<String, Decl<'a>>,
}

impl<'a> Index<'a> {
    fn collect(&mut self, stmts: &'a [Statement<'a>], ns: &str) {
        for s in stmts {
            match s {
                Statement::TSInterfaceDeclaration(i) => {
                    self.add(ns, i.id.name.as_str(), Decl::Interface(i))
                }
                Statement::TSTypeAliasDeclaration(a) => {
                    self.add(ns, a.id.name.as_str(), Decl::Alias(a))
                }
                Statement::TSNamespaceDeclaration(n) => {
                    let mut body = &n.body;
                    let mut name = n.id.name.as_str().to_string();
                    loop {
                        match body {
                            TSNamespaceDeclarationBody::TSModuleBlock(b) => {
                                self.collect(&b.body, &name);
                                break;
                            }
                            TSNamespaceDeclarationBody::TSNamespaceDeclaration(inner) => {
                                name = inner.id.name.as_str().to_string();
                                body = &inner.body;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn add(&mut self, ns: &str, name: &str, d: Decl<'a>) {
        self.decls.entry(name.to_string()).or_insert(d);
        if !ns.is_empty() {
            self.decls.entry(format!("{ns}.{name}")).or_insert(d);
        }
    }

    fn get(&self, name: &str) -> Option<Decl<'a>> {
        self.decls.get(name).copied().or_else(|| {
            let last = name.rsplit('.').next().unwrap_or(name);
            self.decls.get(last).copied()
        })
    }
}

fn type_name(n: &TSTypeName<'_>) -> String {
    match n {
        TSTypeName::IdentifierReference(id) => id.name.as_str().to_string(),
        TSTypeName::QualifiedName(q) => format!("{}.{}", type_name(&q.left), q.right.name.as_str()),
        TSTypeName::ThisExpression(_) => "this".to_string(),
    }
}

/// Names that only wrap their first type argument.
const WRAPPERS: &[&str] = &[
    "OQ",
    "RQ",
    "Partial",
    "Required",
    "Readonly",
    "Optional",
    "OptionalInterface",
];

struct Ctx<'a, 'i> {
    index: &'i Index<'a>,
}

impl<'a> Ctx<'a, '_> {
    /// Substitutes a method's type parameter by its constraint (or default).
    fn subst(
        &self,
        ty: &'a TSType<'a>,
        tp: Option<&'a TSTypeParameterDeclaration<'a>>,
    ) -> &'a TSType<'a> {
        if let (TSType::TSTypeReference(r), Some(tp)) = (ty, tp) {
            let name = type_name(&r.type_name);
            if let Some(p) = tp.params.iter().find(|p| p.name.name.as_str() == name)
                && let Some(c) = p.constraint.as_ref().or(p.default.as_ref())
            {
                return c;
            }
        }
        ty
    }

    /// The members of an object type: interface (with what it extends), alias, literal.
    fn members(&self, ty: &'a TSType<'a>, depth: u8) -> Option<Vec<&'a TSSignature<'a>>> {
        if depth > 12 {
            return None;
        }
        match ty {
            TSType::TSTypeLiteral(l) => Some(l.members.iter().collect()),
            TSType::TSParenthesizedType(p) => self.members(&p.type_annotation, depth + 1),
            TSType::TSIntersectionType(i) => {
                let mut out = Vec::new();
                for t in &i.types {
                    out.extend(self.members(t, depth + 1)?);
                }
                Some(out)
            }
            TSType::TSTypeReference(r) => {
                let name = type_name(&r.type_name);
                let last = name.rsplit('.').next().unwrap_or(&name);
                if WRAPPERS.contains(&last) {
                    let arg = r.type_arguments.as_ref()?.params.first()?;
                    return self.members(arg, depth + 1);
                }
                self.decl_members(&name, depth)
            }
            _ => None,
        }
    }

    fn decl_members(&self, name: &str, depth: u8) -> Option<Vec<&'a TSSignature<'a>>> {
        match self.index.get(name)? {
            Decl::Interface(i) => {
                let mut out: Vec<&'a TSSignature<'a>> = i.body.body.iter().collect();
                for h in &i.extends {
                    if let Some(more) = self.decl_members(&type_name(&h.type_name), depth + 1) {
                        out.extend(more);
                    }
                }
                Some(out)
            }
            Decl::Alias(a) => self.members(&a.type_annotation, depth + 1),
        }
    }

    /// The parameters of a function type (through aliases).
    fn func_params(&self, ty: &'a TSType<'a>, depth: u8) -> Option<&'a FormalParameters<'a>> {
        if depth > 8 {
            return None;
        }
        match ty {
            TSType::TSFunctionType(f) => Some(&f.params),
            TSType::TSParenthesizedType(p) => self.func_params(&p.type_annotation, depth + 1),
            TSType::TSUnionType(u) => u.types.iter().find_map(|t| self.func_params(t, depth + 1)),
            TSType::TSTypeReference(r) => match self.index.get(&type_name(&r.type_name))? {
                Decl::Alias(a) => self.func_params(&a.type_annotation, depth + 1),
                Decl::Interface(_) => None,
            },
            _ => None,
        }
    }

    fn classify(&self, ty: &'a TSType<'a>, depth: u8) -> Ty {
        if depth > 12 {
            return Ty::Any;
        }
        match ty {
            TSType::TSStringKeyword(_) | TSType::TSTemplateLiteralType(_) => Ty::String,
            TSType::TSNumberKeyword(_) | TSType::TSBigIntKeyword(_) => Ty::Number,
            TSType::TSBooleanKeyword(_) => Ty::Boolean,
            TSType::TSObjectKeyword(_) | TSType::TSTypeLiteral(_) | TSType::TSMappedType(_) => {
                Ty::Object
            }
            TSType::TSIntersectionType(_) => Ty::Object,
            TSType::TSArrayType(_) | TSType::TSTupleType(_) => Ty::Array,
            TSType::TSLiteralType(l) => match &l.literal {
                TSLiteral::StringLiteral(_) | TSLiteral::TemplateLiteral(_) => Ty::String,
                TSLiteral::NumericLiteral(_) | TSLiteral::BigIntLiteral(_) => Ty::Number,
                TSLiteral::BooleanLiteral(_) => Ty::Boolean,
                TSLiteral::UnaryExpression(_) => Ty::Number,
            },
            TSType::TSParenthesizedType(p) => self.classify(&p.type_annotation, depth + 1),
            TSType::TSUnionType(u) => {
                let mut seen = None;
                for t in &u.types {
                    if matches!(t, TSType::TSUndefinedKeyword(_) | TSType::TSNullKeyword(_)) {
                        continue;
                    }
                    let c = self.classify(t, depth + 1);
                    match seen {
                        None => seen = Some(c),
                        Some(s) if s == c => {}
                        Some(_) => return Ty::Any,
                    }
                }
                seen.unwrap_or(Ty::Any)
            }
            TSType::TSTypeReference(r) => {
                let name = type_name(&r.type_name);
                let last = name.rsplit('.').next().unwrap_or(&name);
                match last {
                    "Array" | "ReadonlyArray" => Ty::Array,
                    "Record" | "IAnyObject" | "AnyObject" | "Object" => Ty::Object,
                    "String" => Ty::String,
                    "Number" => Ty::Number,
                    "Boolean" => Ty::Boolean,
                    _ => match self.index.get(&name) {
                        Some(Decl::Interface(_)) => Ty::Object,
                        Some(Decl::Alias(a)) => self.classify(&a.type_annotation, depth + 1),
                        None => Ty::Any,
                    },
                }
            }
            _ => Ty::Any,
        }
    }

    /// The property fields of an object type; the first declaration of a name wins.
    fn fields(&self, ty: &'a TSType<'a>) -> Option<Vec<Field>> {
        let members = self.members(ty, 0)?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for m in members {
            if let TSSignature::TSPropertySignature(p) = m {
                let Some(name) = p.key.static_name() else {
                    continue;
                };
                if !seen.insert(name.to_string()) {
                    continue;
                }
                let ty = p
                    .type_annotation
                    .as_ref()
                    .map_or(Ty::Any, |t| self.classify(&t.type_annotation, 0));
                out.push(Field {
                    name: name.to_string(),
                    required: !p.optional,
                    ty,
                });
            }
        }
        Some(out)
    }

    fn property<'m>(members: &'m [&'a TSSignature<'a>], name: &str) -> Option<&'a TSType<'a>> {
        members.iter().find_map(|m| match m {
            TSSignature::TSPropertySignature(p) if p.key.static_name().as_deref() == Some(name) => {
                p.type_annotation.as_ref().map(|t| &t.type_annotation)
            }
            _ => None,
        })
    }

    fn first_param(&self, sig: &Sig<'a>) -> Option<&'a TSType<'a>> {
        let p = sig.params.items.first()?;
        let t = &p.type_annotation.as_ref()?.type_annotation;
        Some(self.subst(t, sig.tparams))
    }

    fn ref_name(ty: &TSType<'_>) -> Option<String> {
        match ty {
            TSType::TSTypeReference(r) => Some(type_name(&r.type_name)),
            _ => None,
        }
    }

    /// `Promise<X>` → X.
    fn promised(ty: &'a TSType<'a>) -> Option<&'a TSType<'a>> {
        match ty {
            TSType::TSTypeReference(r) if type_name(&r.type_name) == "Promise" => {
                r.type_arguments.as_ref()?.params.first()
            }
            _ => None,
        }
    }

    fn api(&self, name: &str, sigs: &[Sig<'a>]) -> Api {
        let since = sigs.iter().find_map(|s| s.doc.and_then(since));
        let first = &sigs[0];
        let opt = self.first_param(first);
        let opt_members = opt.and_then(|t| self.members(t, 0)).unwrap_or_default();
        let is_callback = ["success", "fail", "complete"]
            .iter()
            .any(|k| Self::property(&opt_members, k).is_some())
            || (opt.is_some()
                && sigs
                    .iter()
                    .any(|s| s.ret.and_then(Self::promised).is_some()));
        let listener_name = ["on", "off"].iter().any(|p| {
            name.strip_prefix(p)
                .and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_ascii_uppercase())
        });
        let takes_fn =
            first.params.items.is_empty() || opt.is_some_and(|t| self.func_params(t, 0).is_some());
        let ret = first.ret;
        let mut api = Api {
            name: name.to_string(),
            shape: Shape::Sync,
            promise: false,
            since,
            returns: None,
            result_fields: Vec::new(),
        };
        if is_callback {
            api.shape = Shape::Callback;
            api.promise = sigs.iter().any(|s| {
                s.ret.is_some_and(|r| {
                    Self::ref_name(r).is_some_and(|n| n.ends_with("PromisifySuccessResult"))
                        || Self::promised(r).is_some()
                })
            });
            let from_success = Self::property(&opt_members, "success")
                .and_then(|t| self.func_params(t, 0))
                .and_then(|p| p.items.first())
                .and_then(|p| p.type_annotation.as_ref())
                .and_then(|t| self.fields(&t.type_annotation));
            let from_promise = || {
                sigs.iter()
                    .find_map(|s| s.ret.and_then(Self::promised))
                    .and_then(|t| self.fields(t))
            };
            api.result_fields = match from_success {
                Some(f) if !f.is_empty() => f,
                _ => from_promise().unwrap_or_default(),
            };
        } else if listener_name && takes_fn {
            api.shape = Shape::Listener;
        } else {
            let object = ret.and_then(|r| self.members(r, 0)).is_some();
            let factory_name = name.starts_with("create")
                || (name.starts_with("get") && name.ends_with("Manager"));
            if factory_name && object {
                api.shape = Shape::Factory;
            } else {
                api.returns = ret.and_then(|r| match r {
                    TSType::TSVoidKeyword(_) | TSType::TSUndefinedKeyword(_) => None,
                    r => Some(self.classify(r, 0)),
                });
                if api.returns == Some(Ty::Object) {
                    api.result_fields = ret.and_then(|r| self.fields(r)).unwrap_or_default();
                }
            }
        }
        api
    }
}

/// `需要基础库： \`2.3.0\`` (or `最低基础库：`) in a JSDoc → (2, 3, 0).
fn since(doc: &str) -> Option<(u16, u16, u16)> {
    for marker in ["需要基础库： `", "最低基础库： `"] {
        if let Some(i) = doc.find(marker) {
            let rest = &doc[i + marker.len()..];
            let v = rest.split('`').next()?;
            let mut it = v.split('.').map(|p| p.trim().parse::<u16>().ok());
            let (a, b, c) = (
                it.next()??,
                it.next().flatten().unwrap_or(0),
                it.next().flatten().unwrap_or(0),
            );
            return Some((a, b, c));
        }
    }
    None
}

/// The JSDoc right before `start`, if only whitespace separates them.
fn doc_before<'s>(src: &'s str, comments: &[Comment], start: u32) -> Option<&'s str> {
    let i = comments.partition_point(|c| c.span.end <= start);
    let c = comments.get(i.checked_sub(1)?)?;
    let between = src.get(c.span.end as usize..start as usize)?;
    if !between.trim().is_empty() {
        return None;
    }
    src.get(c.span.start as usize..c.span.end as usize)
}

struct Parsed<'a> {
    src: &'a str,
    program: oxc_ast::ast::Program<'a>,
}

fn parse<'a>(alloc: &'a Allocator, file: &str, src: &'a str) -> Result<Parsed<'a>, ApigenError> {
    let ret = Parser::new(alloc, src, SourceType::d_ts()).parse();
    if ret.panicked || ret.diagnostics.has_errors() {
        let message = ret
            .diagnostics
            .errors()
            .next()
            .map_or_else(|| "parser gave up".to_string(), |d| d.message.to_string());
        return Err(ApigenError::Parse {
            file: file.to_string(),
            message,
        });
    }
    Ok(Parsed {
        src,
        program: ret.program,
    })
}

/// An interface's methods by name and its object-typed properties.
type Members<'a> = (
    BTreeMap<String, Vec<Sig<'a>>>,
    Vec<(String, &'a TSType<'a>)>,
);

/// Methods (and function-typed properties) of an interface, grouped by name, plus its object
/// properties.
fn methods<'a>(iface: &'a oxc_ast::ast::TSInterfaceDeclaration<'a>, p: &Parsed<'a>) -> Members<'a> {
    let mut out: BTreeMap<String, Vec<Sig<'a>>> = BTreeMap::new();
    let mut props = Vec::new();
    let comments = &p.program.comments;
    for m in &iface.body.body {
        match m {
            TSSignature::TSMethodSignature(m) => {
                let Some(name) = m.key.static_name() else {
                    continue;
                };
                out.entry(name.to_string()).or_default().push(Sig {
                    params: &m.params,
                    ret: m.return_type.as_ref().map(|t| &t.type_annotation),
                    tparams: m.type_parameters.as_deref(),
                    doc: doc_before(p.src, comments, m.span.start),
                });
            }
            TSSignature::TSPropertySignature(prop) => {
                let Some(name) = prop.key.static_name() else {
                    continue;
                };
                let Some(t) = prop.type_annotation.as_ref().map(|t| &t.type_annotation) else {
                    continue;
                };
                if let TSType::TSFunctionType(f) = t {
                    out.entry(name.to_string()).or_default().push(Sig {
                        params: &f.params,
                        ret: Some(&f.return_type.type_annotation),
                        tparams: f.type_parameters.as_deref(),
                        doc: doc_before(p.src, comments, prop.span.start),
                    });
                } else {
                    props.push((name.to_string(), t));
                }
            }
            _ => {}
        }
    }
    (out, props)
}

fn find_interface<'a>(
    stmts: &'a [Statement<'a>],
    name: &str,
) -> Option<&'a oxc_ast::ast::TSInterfaceDeclaration<'a>> {
    for s in stmts {
        match s {
            Statement::TSInterfaceDeclaration(i) if i.id.name.as_str() == name => return Some(i),
            Statement::TSNamespaceDeclaration(n) => {
                if let TSNamespaceDeclarationBody::TSModuleBlock(b) = &n.body
                    && let Some(i) = find_interface(&b.body, name)
                {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every API of `wx` (and `wx.cloud`), sorted by name.
pub fn extract(api_src: &str, cloud_src: Option<&str>) -> Result<Vec<Api>, ApigenError> {
    let alloc = Allocator::default();
    let api = parse(&alloc, "lib.wx.api.d.ts", api_src)?;
    let cloud = cloud_src
        .map(|s| parse(&alloc, "lib.wx.cloud.d.ts", s))
        .transpose()?;
    let mut index = Index::default();
    index.collect(&api.program.body, "");
    if let Some(c) = &cloud {
        index.collect(&c.program.body, "");
    }
    let ctx = Ctx { index: &index };
    let wx = find_interface(&api.program.body, "Wx").ok_or(ApigenError::MissingInterface("Wx"))?;
    let (sigs, props) = methods(wx, &api);
    let mut out: Vec<Api> = sigs.iter().map(|(n, s)| ctx.api(n, s)).collect();
    for (name, ty) in props {
        if ctx.members(ty, 0).is_none() {
            continue;
        }
        let is_cloud = Ctx::ref_name(ty).as_deref() == Some("WxCloud");
        out.push(Api {
            name: name.clone(),
            shape: Shape::Namespace,
            promise: false,
            since: None,
            returns: None,
            result_fields: if is_cloud {
                Vec::new()
            } else {
                ctx.fields(ty).unwrap_or_default()
            },
        });
        if let (true, Some(c)) = (is_cloud, &cloud) {
            let iface = find_interface(&c.program.body, "WxCloud")
                .ok_or(ApigenError::MissingInterface("WxCloud"))?;
            let (csigs, _) = methods(iface, c);
            out.extend(
                csigs
                    .iter()
                    .map(|(n, s)| ctx.api(&format!("{name}.{n}"), s)),
            );
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
declare namespace WechatMiniprogram {
    interface GetThingOption {
        complete?: (res: any) => void
        success?: GetThingSuccessCallback
        kind?: string
    }
    interface GetThingSuccessCallbackResult {
        /** 需要基础库： `1.2.0` */
        size: number
        label?: 'a' | 'b'
        tags: string[]
        errMsg: string
    }
    type GetThingSuccessCallback = (result: GetThingSuccessCallbackResult) => void
    interface Box { width: number; inner: Box }
    interface Wx {
        /** [wx.getThing](x)
         *
         * 需要基础库： `2.10.4` */
        getThing<T extends GetThingOption = GetThingOption>(option: T): PromisifySuccessResult<T, GetThingOption>
        getBoxSync(): Box
        onThingChange(listener: (r: any) => void): void
        createBox(): Box
        getBoxManager(): Box
        canIUse(schema: string): boolean
        env: { USER_DATA_PATH: string }
    }
}
"#;

    #[test]
    fn shapes_versions_and_fields() {
        let apis = extract(SRC, None).unwrap();
        let get = |n: &str| apis.iter().find(|a| a.name == n).unwrap();
        let t = get("getThing");
        assert_eq!(t.shape, Shape::Callback);
        assert!(t.promise);
        assert_eq!(t.since, Some((2, 10, 4)));
        let f: Vec<_> = t
            .result_fields
            .iter()
            .map(|f| (f.name.as_str(), f.required, f.ty))
            .collect();
        assert_eq!(
            f,
            [
                ("size", true, Ty::Number),
                ("label", false, Ty::String),
                ("tags", true, Ty::Array),
                ("errMsg", true, Ty::String)
            ]
        );
        assert_eq!(get("getBoxSync").shape, Shape::Sync);
        assert_eq!(get("getBoxSync").returns, Some(Ty::Object));
        assert_eq!(get("getBoxSync").result_fields.len(), 2);
        assert_eq!(get("onThingChange").shape, Shape::Listener);
        assert_eq!(get("createBox").shape, Shape::Factory);
        assert_eq!(get("getBoxManager").shape, Shape::Factory);
        assert_eq!(get("canIUse").returns, Some(Ty::Boolean));
        assert_eq!(get("env").shape, Shape::Namespace);
        assert_eq!(get("getBoxSync").since, None);
    }

    #[test]
    fn since_reads_both_markers() {
        assert_eq!(since("x 需要基础库： `2.3.0` y"), Some((2, 3, 0)));
        assert_eq!(since("最低基础库： `1.9.90`"), Some((1, 9, 90)));
        assert_eq!(since("在插件中使用：需要基础库 `2.2.2`"), None);
    }

    #[test]
    fn a_broken_file_is_an_error() {
        assert!(matches!(
            extract("interface Wx {", None),
            Err(ApigenError::Parse { .. })
        ));
        assert!(matches!(
            extract("interface X {}", None),
            Err(ApigenError::MissingInterface("Wx"))
        ));
    }
}
