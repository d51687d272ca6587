//! The table's row types: [`ApiRow`] and what it is made of ([`Shape`], [`Handling`], [`Ty`],
//! [`Field`]). A leaf: the generated table and the look-ups in `wxapi` both import it.

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
