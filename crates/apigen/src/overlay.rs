//! miniperm's own column: how each API is handled, from `overlay.txt`.

use std::collections::BTreeMap;

use crate::error::ApigenError;

/// How miniperm handles an API (written into the table as core's `Handling::<variant>`).
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

    /// The overlay's spelling (and docs/wx-api.md's).
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

/// `engine`, `native-ui`, … as the overlay spells them.
pub(crate) fn parse_handling(s: &str) -> Option<Handling> {
    Handling::ALL.into_iter().find(|h| h.as_str() == s)
}

/// `api kind` lines; `#` starts a comment; `prefix.*` covers every API under `prefix.`, and an
/// exact name beats a prefix.
#[derive(Debug, Default)]
pub struct Overlay {
    exact: BTreeMap<String, (usize, Handling)>,
    prefix: BTreeMap<String, (usize, Handling)>,
}

impl Overlay {
    pub fn parse(text: &str) -> Result<Overlay, ApigenError> {
        let mut o = Overlay::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let mut words = body.split_whitespace();
            let (Some(name), Some(kind), None) = (words.next(), words.next(), words.next()) else {
                return Err(ApigenError::Overlay {
                    line,
                    message: format!("expected `api kind`, got `{body}`"),
                });
            };
            let h = parse_handling(kind).ok_or_else(|| ApigenError::Overlay {
                line,
                message: format!("unknown kind `{kind}`"),
            })?;
            let (map, key) = match name.strip_suffix(".*") {
                Some(p) => (&mut o.prefix, format!("{p}.")),
                None => (&mut o.exact, name.to_string()),
            };
            if let Some((first, _)) = map.insert(key, (line, h)) {
                return Err(ApigenError::Overlay {
                    line,
                    message: format!("`{name}` already given on line {first}"),
                });
            }
        }
        Ok(o)
    }

    /// Every name in the overlay must be an API (every prefix must cover one).
    pub fn check(&self, apis: &[&str]) -> Result<(), ApigenError> {
        for name in self.exact.keys() {
            if apis.binary_search(&name.as_str()).is_err() {
                return Err(ApigenError::UnknownApi(name.clone()));
            }
        }
        for p in self.prefix.keys() {
            if !apis.iter().any(|a| a.starts_with(p.as_str())) {
                return Err(ApigenError::UnknownApi(format!("{p}*")));
            }
        }
        Ok(())
    }

    pub fn handling(&self, api: &str) -> Handling {
        if let Some((_, h)) = self.exact.get(api) {
            return *h;
        }
        self.prefix
            .iter()
            .filter(|(p, _)| api.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map_or(Handling::NotSupported, |(_, (_, h))| *h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_prefix_and_default_is_not_supported() {
        let o = Overlay::parse(
            "# c\ncloud.* simulated\ncloud.callFunction mocked # x\n\nlogin mocked\n",
        )
        .unwrap();
        assert_eq!(o.handling("cloud.init"), Handling::Simulated);
        assert_eq!(o.handling("cloud.callFunction"), Handling::Mocked);
        assert_eq!(o.handling("login"), Handling::Mocked);
        assert_eq!(o.handling("scanCode"), Handling::NotSupported);
        assert!(
            o.check(&["cloud.callFunction", "cloud.init", "login"])
                .is_ok()
        );
        assert!(
            matches!(o.check(&["cloud.init", "login"]), Err(ApigenError::UnknownApi(n)) if n == "cloud.callFunction")
        );
    }

    #[test]
    fn bad_lines_name_their_line() {
        let e = Overlay::parse("login mocked\nrequest bogus\n").unwrap_err();
        assert_eq!(e.to_string(), "overlay line 2: unknown kind `bogus`");
        let e = Overlay::parse("login\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "overlay line 1: expected `api kind`, got `login`"
        );
        let e = Overlay::parse("login mocked\nlogin local\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "overlay line 2: `login` already given on line 1"
        );
    }
}
