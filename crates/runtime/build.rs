//! Compiles miniperm's own prelude (prelude.js + sim.js + the baked `wx` API table) to QuickJS
//! bytecode at build time, so a process does not spend ~5 ms compiling it at every start. The
//! crate checks the embedded bytes load in this build's QuickJS at `Project::load` and compiles
//! the source instead if they don't (or if this script could not produce them: an empty file).

// A build script reports failure by panicking (cargo prints the message): allowed here only.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

#[path = "src/bake.rs"]
#[allow(dead_code)]
mod bake;

fn main() -> Result<(), String> {
    for f in ["src/prelude.js", "src/sim.js", "src/bake.rs", "build.rs"] {
        println!("cargo:rerun-if-changed={f}");
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default())
        .join("prelude.qjsbc");
    let bytes = compile().unwrap_or_else(|e| {
        println!("cargo:warning=prelude bytecode not built at build time ({e}); it will be compiled at load");
        Vec::new()
    });
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write `{}`: {e}", out.display()))
}

fn compile() -> Result<Vec<u8>, String> {
    use rquickjs::module::WriteOptions;
    use rquickjs::{Context, Module, Runtime};
    let rt = Runtime::new().map_err(|e| e.to_string())?;
    let ctx = Context::full(&rt).map_err(|e| e.to_string())?;
    ctx.with(|ctx| {
        let m = Module::declare(ctx.clone(), "<miniperm>", bake::module_source())
            .map_err(|e| e.to_string())?;
        // The same options as `bytecode::compile`.
        let opts = WriteOptions {
            strip_source: true,
            strip_debug: true,
            ..WriteOptions::default()
        };
        m.write(opts).map_err(|e| e.to_string())
    })
}
