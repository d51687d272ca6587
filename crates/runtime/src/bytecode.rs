//! The prelude compiled once to QuickJS bytecode, loaded into every run's fresh runtime.
//!
//! Compiling the ~70 KB prelude (with sim.js and the baked API table) costs ~5 ms; reading its
//! bytecode ~0.2 ms. build.rs compiles it at build time and embeds the bytes ([`embedded`]), so a
//! process does not pay the compile at start; [`compile`] is the fallback. rquickjs marks
//! bytecode loading `unsafe` because arbitrary bytes can crash the engine. This is the crate's
//! only `unsafe` block: the bytes handed to it are always QuickJS's own writer's output (at
//! build time by build.rs, or by [`compile`]) on miniperm's own prelude source, by the one
//! rquickjs Cargo.lock pins. Mini-program sources are never loaded as bytecode.
//!
//! The second audited block is [`check_script`]: the load-time syntax check compiles each
//! mini-program file with `JS_EVAL_FLAG_COMPILE_ONLY`, which rquickjs's safe API offers only for
//! modules (strict mode, which would refuse valid sloppy scripts). Compiling never runs code: a
//! file that closes the loader's wrapper and loops at its top level is parsed, not executed
//! (issue 9).
#![allow(unsafe_code)]

use rquickjs::module::WriteOptions;
use rquickjs::{Ctx, Function, Module};

pub(crate) use crate::bake::module_source;
#[cfg(test)]
pub(crate) use crate::bake::{Baked, PRELUDE, SIM};

/// Our own bytecode, produced only by [`compile`] or by build.rs (the same writer, same QuickJS).
pub(crate) struct PreludeBytecode(std::borrow::Cow<'static, [u8]>);

/// The prelude compiled by build.rs (empty if the build script could not compile it).
static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prelude.qjsbc"));

/// The build-time bytecode (`None` when the build script could not compile it). Not loaded
/// here to check it: a run that loads it falls back to the prelude's source if this build's
/// QuickJS refuses it (`host::bridge`), so a process reads the prelude once, not twice (the
/// check cost ~7% of a `miniperm run` process). `embedded_bytecode_loads` holds it loadable.
pub(crate) fn embedded() -> Option<PreludeBytecode> {
    (!EMBEDDED.is_empty()).then_some(PreludeBytecode(std::borrow::Cow::Borrowed(EMBEDDED)))
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
    Ok(PreludeBytecode(std::borrow::Cow::Owned(m.write(opts)?)))
}

/// Loads the prelude's factory function from its bytecode.
pub(crate) fn load<'js>(ctx: &Ctx<'js>, bc: &PreludeBytecode) -> rquickjs::Result<Function<'js>> {
    // SAFETY: `bc` can only be built by `compile` above or by build.rs, both QuickJS's own
    // bytecode writer (the same rquickjs, pinned by Cargo.lock) on miniperm's own prelude source,
    // never bytes from a project or from disk at run time; the bytes are copied on read (JS_READ_OBJ_ROM_DATA is a no-op in
    // QuickJS-ng), so nothing borrows them after this call.
    let m = unsafe { Module::load(ctx.clone(), &bc.0) }?;
    let (m, _promise) = m.eval()?;
    m.get("default")
}

/// Compiles `src` as a sloppy global script WITHOUT running it: a syntax check that executes
/// nothing. A syntax error is the context's pending exception (`Error::Exception`; use
/// `.catch(ctx)` to read it).
pub(crate) fn check_script(ctx: &Ctx<'_>, src: &str, file: &str) -> rquickjs::Result<()> {
    use rquickjs::qjs;
    let len = src.len();
    let src = std::ffi::CString::new(src)?;
    let name = std::ffi::CString::new(file)?;
    let flags = (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32;
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: `raw` is the live context `ctx` borrows; both strings are NUL-terminated and
    // outlive the call, and `len` is the source's length without the terminator. With
    // COMPILE_ONLY, JS_Eval returns a new reference to the compiled function (never run) or
    // JS_EXCEPTION with the error pending on the context; the reference is freed right here.
    unsafe {
        let v = qjs::JS_Eval(raw, src.as_ptr(), len as _, name.as_ptr(), flags);
        if qjs::JS_IsException(v) {
            return Err(rquickjs::Error::Exception);
        }
        qjs::JS_FreeValue(raw, v);
    }
    Ok(())
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
    fn embedded_bytecode_loads() {
        let rt = rquickjs::Runtime::new().unwrap();
        let ctx = rquickjs::Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let bc = super::embedded().expect("build.rs compiled the prelude");
            assert!(super::load(&ctx, &bc).is_ok());
        });
    }

    #[test]
    fn the_syntax_check_compiles_without_running() {
        let rt = rquickjs::Runtime::new().unwrap();
        let ctx = rquickjs::Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            // Evaluated, this would loop forever; compiled only, it returns at once.
            let escape = "(function () {}); while (true) {} (function () {\n})";
            super::check_script(&ctx, escape, "evil.js").unwrap();
            // A side effect at the top level does not happen either.
            super::check_script(&ctx, "globalThis.ran = 1", "x.js").unwrap();
            let ran: rquickjs::Value = ctx.globals().get("ran").unwrap();
            assert!(ran.is_undefined());
            // A syntax error is the pending exception.
            assert!(super::check_script(&ctx, "Page(", "bad.js").is_err());
            let _ = ctx.catch();
        });
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
