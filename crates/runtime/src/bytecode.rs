//! The prelude compiled once to QuickJS bytecode, loaded into every run's fresh runtime.
//!
//! Parsing the ~26 KB prelude costs ~2 ms per run; reading its bytecode ~0.2 ms. rquickjs marks
//! bytecode loading `unsafe` because arbitrary bytes can crash the engine. This is the crate's
//! only `unsafe` block: the bytes handed to it are always the output of [`compile`] (QuickJS's
//! own writer, same build, same process) on miniperm's own prelude source, kept unchanged in the
//! `Project`'s `Arc`. Mini-program sources are never loaded as bytecode.
#![allow(unsafe_code)]

use rquickjs::module::WriteOptions;
use rquickjs::{Ctx, Function, Module};

pub(crate) const PRELUDE: &str = include_str!("prelude.js");
/// The simulated APIs, spliced into the prelude's closure at its `/* @sim */` marker.
pub(crate) const SIM: &str = include_str!("sim.js");

/// Our own bytecode, produced only by [`compile`].
pub(crate) struct PreludeBytecode(Vec<u8>);

/// The prelude as a module whose default export is its factory, with sim.js spliced in at its
/// `/* @sim */` marker (inside the factory's closure, before the table's stubs). The `wx` API
/// table ([`miniperm_core::wxapi`]) is baked in as string constants (read on demand in the
/// prelude) rather than sent as JSON with every run's config; on the same line as the factory,
/// so its line numbers stay those of prelude.js up to the marker.
fn module_source() -> String {
    let t = Baked::new();
    let prelude = PRELUDE.replacen("/* @sim */", SIM, 1);
    format!(
        "const APIS = \"{}\", NATIVE = \"{}\", DATED = \"{}\"; export default {prelude};",
        t.apis, t.native, t.dated
    )
}

/// The table as the prelude reads it.
pub(crate) struct Baked {
    /// ` name,shape,handling,since ` rows between spaces (a leading and a trailing one): shape
    /// `s` sync, `c` callback, `l` listener, `f` factory, `n` namespace; handling `e` engine, `u`
    /// native-ui, `p` picker, `l` local, `s` simulated, `m` mocked, `x` not-supported; since as
    /// `a*1e6+b*1e3+c`, empty for every base library.
    pub(crate) apis: String,
    /// The callback APIs Rust answers (engine, native-ui, picker), space-separated.
    pub(crate) native: String,
    /// `name,since` of the APIs miniperm implements that need a base library.
    pub(crate) dated: String,
}

impl Baked {
    pub(crate) fn new() -> Baked {
        use miniperm_core::wxapi::{Handling, Shape};
        let since = |r: &miniperm_core::wxapi::ApiRow| {
            r.since.map_or(String::new(), |(a, b, c)| {
                (u32::from(a) * 1_000_000 + u32::from(b) * 1_000 + u32::from(c)).to_string()
            })
        };
        let mut apis = String::from(" ");
        let mut native = Vec::new();
        let mut dated = Vec::new();
        for r in miniperm_core::wxapi::rows() {
            let shape = match r.shape {
                Shape::Sync => 's',
                Shape::Callback => 'c',
                Shape::Listener => 'l',
                Shape::Factory => 'f',
                Shape::Namespace => 'n',
            };
            let handling = match r.handling {
                Handling::Engine => 'e',
                Handling::NativeUi => 'u',
                Handling::Picker => 'p',
                Handling::Local => 'l',
                Handling::Simulated => 's',
                Handling::Mocked => 'm',
                Handling::NotSupported => 'x',
            };
            apis.push_str(&format!("{},{shape},{handling},{} ", r.name, since(r)));
            if r.shape == Shape::Callback && matches!(handling, 'e' | 'u' | 'p') {
                native.push(r.name);
            }
            if r.handling != Handling::NotSupported && r.since.is_some() {
                dated.push(format!("{},{}", r.name, since(r)));
            }
        }
        Baked {
            apis,
            native: native.join(" "),
            dated: dated.join(" "),
        }
    }
}

/// Compiles the prelude to bytecode.
pub(crate) fn compile(ctx: &Ctx<'_>) -> rquickjs::Result<PreludeBytecode> {
    let m = Module::declare(ctx.clone(), "<miniperm>", module_source())?;
    // No source text and no line tables: smaller bytecode reads faster, and a stack trace of
    // mini-program code keeps its own files and lines either way.
    let opts = WriteOptions {
        strip_source: true,
        strip_debug: true,
        ..WriteOptions::default()
    };
    Ok(PreludeBytecode(m.write(opts)?))
}

/// Loads the prelude's factory function from its bytecode.
pub(crate) fn load<'js>(ctx: &Ctx<'js>, bc: &PreludeBytecode) -> rquickjs::Result<Function<'js>> {
    // SAFETY: `bc` can only be built by `compile` above, from QuickJS's own bytecode writer in
    // this same build; the bytes are copied on read (JS_READ_OBJ_ROM_DATA is a no-op in
    // QuickJS-ng), so nothing borrows them after this call.
    let m = unsafe { Module::load(ctx.clone(), &bc.0) }?;
    let (m, _promise) = m.eval()?;
    m.get("default")
}

/// Without bytecode (used if compiling ever fails): parse the source.
pub(crate) fn parse<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let m = Module::declare(ctx.clone(), "<miniperm>", module_source())?;
    let (m, _promise) = m.eval()?;
    m.get("default")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sim_is_spliced_at_its_one_marker() {
        assert_eq!(super::PRELUDE.matches("/* @sim */").count(), 1);
        let src = super::module_source();
        assert!(!src.contains("/* @sim */"));
        assert!(src.contains(super::SIM));
    }

    #[test]
    fn the_baked_table_is_plain_js_string_literals() {
        let t = super::Baked::new();
        for s in [&t.apis, &t.native, &t.dated] {
            assert!(!s.contains(['"', '\\', '\n']));
        }
        assert!(t.apis.contains(" getPrivacySetting,c,l,2032003 "));
        assert!(t.apis.contains(" scanCode,c,x,1000000 "));
        assert!(t.apis.starts_with(' ') && t.apis.ends_with(' '));
        assert_eq!(
            t.apis.trim().split(' ').count(),
            miniperm_core::wxapi::ROWS.len()
        );
        assert!(t.native.split(' ').any(|n| n == "chooseAddress"));
        assert!(!t.native.split(' ').any(|n| n == "createVKSession"));
        assert!(t.dated.split(' ').any(|n| n == "getPrivacySetting,2032003"));
        assert!(!t.dated.contains("scanCode"));
    }

    #[test]
    fn the_prelude_compiles() {
        let rt = rquickjs::Runtime::new().unwrap();
        let ctx = rquickjs::Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let bc = super::compile(&ctx).unwrap();
            assert!(super::load(&ctx, &bc).is_ok());
        });
    }
}
