//! The one table of `wx` APIs: every API of the official typings with its shape, the base
//! library it needs, how miniperm handles it and the fields of its success result.
//!
//! [`generated`] is written by `cargo run -p miniperm-apigen` from the pinned
//! `miniprogram-api-typings` (tools/typings) and the overlay crates/apigen/overlay.txt; a test
//! in crates/apigen keeps it fresh. Names are without `wx.`; `wx.cloud`'s methods are
//! `cloud.<method>`.

mod generated;

pub use generated::{ROWS, TYPINGS_VERSION};

/// How an API is called.
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

/// How miniperm handles an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Handling {
    /// Decided by the consent engine.
    Engine,
    /// A native dialog the user answers (`showModal`, `openSetting`).
    NativeUi,
    /// A picker the user fills or cancels (`chooseLocation`).
    Picker,
    /// Implemented in the runtime's prelude without a user (storage, navigation, system info).
    Local,
    /// Simulated (files, canvases, media contexts, network state).
    Simulated,
    /// Answered from mock responses (`request`, `login`).
    Mocked,
    /// Present, warning `not-supported` and behaving as its shape allows.
    NotSupported,
}

impl Handling {
    pub const ALL: [Handling; 7] = [
        Handling::Engine,
        Handling::NativeUi,
        Handling::Picker,
        Handling::Local,
        Handling::Simulated,
        Handling::Mocked,
        Handling::NotSupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Handling::Engine => "engine",
            Handling::NativeUi => "native-ui",
            Handling::Picker => "picker",
            Handling::Local => "local",
            Handling::Simulated => "simulated",
            Handling::Mocked => "mocked",
            Handling::NotSupported => "not-supported",
        }
    }
}

impl Shape {
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

/// A JSON type class.
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

    /// Whether a JSON value is of this class (`Any` takes everything, `null` included).
    pub fn admits(self, v: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match self {
            Ty::String => v.is_string(),
            Ty::Number => v.is_number(),
            Ty::Boolean => v.is_boolean(),
            Ty::Object => matches!(v, J::Object(_)),
            Ty::Array => v.is_array(),
            Ty::Any => true,
        }
    }
}

/// A field of a success result (a sync API's: of its return value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub ty: Ty,
}

/// One API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRow {
    /// Without `wx.`; `cloud.callFunction` for `wx.cloud`'s.
    pub name: &'static str,
    pub shape: Shape,
    /// A callback API that returns a Promise when called without `success`/`fail`/`complete`.
    pub promise: bool,
    /// The base library it needs (the typings' `需要基础库`); `None`: every base library.
    pub since: Option<(u16, u16, u16)>,
    pub handling: Handling,
    /// A sync API's return type class; `None` for `void` and the other shapes.
    pub returns: Option<Ty>,
    pub result_fields: &'static [Field],
}

impl ApiRow {
    /// Present at base library `base_lib`.
    pub fn available(&self, base_lib: (u16, u16, u16)) -> bool {
        self.since.is_none_or(|s| s <= base_lib)
    }
}

/// The row of an API (`getLocation`, `cloud.callFunction`).
pub fn lookup(name: &str) -> Option<&'static ApiRow> {
    ROWS.binary_search_by(|r| r.name.cmp(name))
        .ok()
        .and_then(|i| ROWS.get(i))
}

/// Whether `name` is an API present at `base_lib`.
pub fn available(name: &str, base_lib: (u16, u16, u16)) -> bool {
    lookup(name).is_some_and(|r| r.available(base_lib))
}

/// Every row, sorted by name.
pub fn rows() -> impl Iterator<Item = &'static ApiRow> {
    ROWS.iter()
}

/// The rows handled in one way.
pub fn handled(h: Handling) -> impl Iterator<Item = &'static ApiRow> {
    ROWS.iter().filter(move |r| r.handling == h)
}

/// The rows present at a base library.
pub fn available_at(base_lib: (u16, u16, u16)) -> impl Iterator<Item = &'static ApiRow> {
    ROWS.iter().filter(move |r| r.available(base_lib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sorted_and_unique() {
        assert!(ROWS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(ROWS.len() > 400);
    }

    #[test]
    fn lookup_and_available() {
        let r = lookup("getPrivacySetting").unwrap();
        assert_eq!(r.shape, Shape::Callback);
        assert_eq!(r.since, Some((2, 32, 3)));
        assert!(!available("getPrivacySetting", (2, 32, 2)));
        assert!(available("getPrivacySetting", (2, 32, 3)));
        assert!(available("getSystemInfoSync", (1, 0, 0)));
        assert!(lookup("noSuchApi").is_none());
        assert_eq!(
            lookup("cloud.callFunction").map(|r| r.handling),
            Some(Handling::Mocked)
        );
        assert_eq!(
            lookup("chooseAddress").map(|r| r.handling),
            Some(Handling::Picker)
        );
        assert_eq!(
            lookup("scanCode").map(|r| r.handling),
            Some(Handling::NotSupported)
        );
    }

    #[test]
    fn every_engine_api_of_the_catalogue_that_wx_has_is_handled_by_the_engine_or_a_ui() {
        for a in crate::catalogue::APIS {
            if let Some(r) = lookup(a.name) {
                assert!(
                    matches!(
                        r.handling,
                        Handling::Engine | Handling::NativeUi | Handling::Picker
                    ) || a.name == "onLocationChange",
                    "{} is {}",
                    a.name,
                    r.handling.as_str()
                );
            }
        }
    }

    #[test]
    fn type_classes_admit_their_values() {
        let j = serde_json::json!({"s": "x", "n": 1.5, "b": true, "o": {}, "a": [], "z": null});
        assert!(Ty::String.admits(&j["s"]) && !Ty::String.admits(&j["n"]));
        assert!(Ty::Number.admits(&j["n"]) && Ty::Boolean.admits(&j["b"]));
        assert!(Ty::Object.admits(&j["o"]) && !Ty::Object.admits(&j["a"]));
        assert!(Ty::Array.admits(&j["a"]) && Ty::Any.admits(&j["z"]));
    }
}
