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
/// `/* @sim */` marker (inside the factory's closure, before the unsupported stubs). The names of
/// the unsupported APIs are baked in as one string constant (split once per run in the prelude)
/// rather than sent as JSON with every run's config; on the same line as the factory, so its line
/// numbers stay those of prelude.js up to the marker.
fn module_source() -> String {
    let names = crate::UNSUPPORTED.join(" ");
    let prelude = PRELUDE.replacen("/* @sim */", SIM, 1);
    format!("const UNSUPPORTED = \"{names}\"; export default {prelude};")
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
    fn the_prelude_compiles() {
        let rt = rquickjs::Runtime::new().unwrap();
        let ctx = rquickjs::Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let bc = super::compile(&ctx).unwrap();
            assert!(super::load(&ctx, &bc).is_ok());
        });
    }
}
