//! The prelude's module source: prelude.js with sim.js spliced in and core's `wx` API table baked
//! in. Shared by the build script (which compiles it to bytecode once, at build time) and the
//! crate (the fallback that compiles it at load). Depends only on std and `miniperm_core`.

pub(crate) const PRELUDE: &str = include_str!("prelude.js");
/// The simulated APIs, spliced into the prelude's closure at its `/* @sim */` marker.
pub(crate) const SIM: &str = include_str!("sim.js");

/// The prelude as a module whose default export is its factory, with sim.js spliced in at its
/// `/* @sim */` marker (inside the factory's closure, before the table's stubs). The `wx` API
/// table ([`miniperm_core::wxapi`]) is baked in as string constants (read on demand in the
/// prelude) rather than sent as JSON with every run's config; on the same line as the factory,
/// so its line numbers stay those of prelude.js up to the marker.
pub(crate) fn module_source() -> String {
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
