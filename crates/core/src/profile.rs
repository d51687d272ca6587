//! Profiles: every spelling and policy knob that differs between clients (D3), as data.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// A base-library version such as `2.32.3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BaseLib(pub u16, pub u16, pub u16);

impl BaseLib {
    /// Parses `MAJOR.MINOR.PATCH` (missing parts are 0).
    pub fn parse(s: &str) -> Result<BaseLib, CoreError> {
        let bad = || CoreError::BadVersion(s.to_string());
        let mut parts = [0u16; 3];
        for (n, piece) in s.split('.').enumerate() {
            let slot = parts.get_mut(n).ok_or_else(bad)?;
            *slot = piece.parse().map_err(|_| bad())?;
        }
        Ok(BaseLib(parts[0], parts[1], parts[2]))
    }
}

impl std::fmt::Display for BaseLib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The failure strings of one client, with `{api}` standing for the API name (T3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spellings {
    /// `authorize` on a denied scope (R5, R6).
    pub authorize_deny: String,
    /// A guarded API on a denied scope (R10).
    pub api_deny: String,
    /// OS permission missing (R34).
    pub system_denied: String,
    pub invalid_scope: String,
    pub scope_unauthorized: String,
    pub privacy_refused: String,
    pub privacy_undeclared: String,
    pub no_privacy_guide: String,
    pub tap_required: String,
    pub private_infos: String,
    pub not_supported: String,
    pub location_switch_off: String,
    pub bluetooth_off: String,
}

/// Every knob that differs between WeChat clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    /// Base library version the simulated client runs (R16, R23, R33 gates).
    pub base_lib: BaseLib,
    pub spellings: Spellings,
    /// errno on a scope denial (D7).
    pub errno_scope_denied: Option<i64>,
    pub errno_system_denied: Option<i64>,
    pub errno_privacy_refused: Option<i64>,
    pub errno_privacy_undeclared: Option<i64>,
    pub errno_no_privacy_guide: Option<i64>,
    pub errno_not_supported: Option<i64>,
    /// Refused official privacy popup: further calls fail at once for this long (R28).
    pub privacy_gap_ms: i64,
    /// Location-class APIs must be in `requiredPrivateInfos` even when the project lists none (D10).
    pub require_private_infos: bool,
    /// openSetting needs a tap from this base library on (R16).
    pub opensetting_tap_from: BaseLib,
    /// The privacy layer exists from this base library on (R23).
    pub privacy_from: BaseLib,
    /// The scope prompt carries the privacy checkbox from this base library on (R33).
    pub merged_privacy_prompt_from: BaseLib,
    /// The scope prompt can be dismissed without an answer (D8: not in `wechat`).
    pub prompt_dismissable: bool,
    /// Granting `scope.userLocation` alone clears a background grant (R13, Q6).
    pub location_grant_clears_background: bool,
}

impl Profile {
    /// `wechat`: devtools and iOS spellings (D3). The default.
    pub fn wechat() -> Profile {
        Profile {
            name: "wechat".into(),
            // api-typings v5.2.1 defines base library 3.15.2 [S31].
            base_lib: BaseLib(3, 15, 2),
            spellings: Spellings {
                authorize_deny: "authorize:fail auth deny".into(),
                api_deny: "{api}:fail auth deny".into(),
                system_denied: "{api}:fail system permission denied".into(),
                invalid_scope: "{api}:fail invalid scope".into(),
                scope_unauthorized: "{api}:fail scope unauthorized".into(),
                privacy_refused: "{api}:fail privacy permission is not authorized".into(),
                privacy_undeclared: "{api}:fail api scope is not declared in the privacy agreement"
                    .into(),
                no_privacy_guide: "{api}:fail please go to mp to announce your privacy usage".into(),
                tap_required: "{api}:fail can only be invoked by user TAP gesture.".into(),
                private_infos: "{api}:fail the api need to be declared in the requiredPrivateInfos field in app.json/ext.json".into(),
                not_supported: "{api}:fail not supported".into(),
                location_switch_off: "{api}:fail system location switch off".into(),
                bluetooth_off: "{api}:fail not available".into(),
            },
            errno_scope_denied: Some(103),
            errno_system_denied: Some(3),
            errno_privacy_refused: Some(104),
            errno_privacy_undeclared: Some(112),
            errno_no_privacy_guide: Some(1025),
            errno_not_supported: Some(100),
            privacy_gap_ms: 10_000,
            require_private_infos: false,
            opensetting_tap_from: BaseLib(2, 3, 0),
            privacy_from: BaseLib(2, 32, 3),
            merged_privacy_prompt_from: BaseLib(3, 4, 2),
            prompt_dismissable: false,
            location_grant_clears_background: false,
        }
    }

    /// `wechat-android`: the Android spellings of D3.
    pub fn wechat_android() -> Profile {
        let mut p = Profile::wechat();
        p.name = "wechat-android".into();
        p.spellings.authorize_deny = "authorize:fail:auth deny".into();
        p.spellings.api_deny = "{api}:fail:auth denied".into();
        p.spellings.system_denied = "{api}:fail:system permission denied".into();
        p.spellings.location_switch_off = "{api}:fail:ERROR_NOCELL&WIFI_LOCATIONSWITCHOFF".into();
        p
    }

    pub const NAMES: [&'static str; 2] = ["wechat", "wechat-android"];

    /// A built-in profile by name.
    pub fn by_name(name: &str) -> Result<Profile, CoreError> {
        match name {
            "wechat" => Ok(Profile::wechat()),
            "wechat-android" => Ok(Profile::wechat_android()),
            other => Err(CoreError::UnknownProfile(other.to_string())),
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::wechat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order() {
        assert!(BaseLib::parse("2.3.0").unwrap() > BaseLib::parse("2.2.9").unwrap());
        assert_eq!(BaseLib::parse("2.32").unwrap(), BaseLib(2, 32, 0));
        assert!(BaseLib::parse("2.x").is_err());
        assert!(BaseLib::parse("1.2.3.4").is_err());
    }

    #[test]
    fn profiles_by_name() {
        for n in Profile::NAMES {
            assert_eq!(Profile::by_name(n).unwrap().name, n);
        }
        assert_eq!(
            Profile::by_name("alipay").unwrap_err().to_string(),
            "unknown profile `alipay` (expected wechat or wechat-android)"
        );
    }
}
