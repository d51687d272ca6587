//! The one table of `wx` APIs: every API of the official typings with its shape, the base
//! library it needs, how miniperm handles it and the fields of its success result.
//!
//! [`generated`] is written by `cargo run -p miniperm-apigen` from the pinned
//! `miniprogram-api-typings` (tools/typings) and the overlay crates/apigen/overlay.txt; a test
//! in crates/apigen keeps it fresh. Names are without `wx.`; `wx.cloud`'s methods are
//! `cloud.<method>`.

mod generated;
mod model;

pub use generated::{ROWS, TYPINGS_VERSION};
pub use model::{ApiRow, Field, Handling, Shape, Ty};

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
