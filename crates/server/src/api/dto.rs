//! The shapes of the `/v1` API: request bodies and queries (with their OpenAPI schemas), what
//! handlers extract, and getSetting's answer serialized straight from the state.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use miniperm_core::{AppState, Value};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::service::Service;

/// The service, as handlers extract it.
pub(crate) type Svc = State<Arc<Service>>;
/// A JSON body, its rejection kept for [`crate::error::ApiError`]'s answer.
pub(crate) type Body<T> = Result<Json<T>, JsonRejection>;

/// `authorize`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AuthorizeBody {
    /// e.g. `scope.userLocation`
    pub scope: String,
    /// The call happens in a user-tap context (default false).
    #[serde(default)]
    pub gesture: bool,
}

/// A prompt's answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// `allow` or `deny` (`dismiss` where the profile allows it; `agree`/`disagree` for the
    /// privacy popup, which also takes allow/deny).
    pub answer: String,
}

/// app.json's fields the engine reads.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestBody {
    /// `{"scope.userLocation": {"desc": "…"}}`
    #[serde(default)]
    pub permission: BTreeMap<String, PermissionEntry>,
    pub required_private_infos: Option<Vec<String>>,
    #[serde(default)]
    pub required_background_modes: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PermissionEntry {
    #[serde(default)]
    pub desc: String,
}

#[derive(Debug, Deserialize)]
pub struct SettingQuery {
    #[serde(rename = "withSubscriptions", default)]
    pub(crate) with_subscriptions: bool,
}

/// `getSetting`'s answer written straight from the state: the document of
/// [`setting_result`] (a test holds them equal) without a `serde_json::Value` per request.
pub struct SettingBody {
    pub(crate) state: AppState,
    pub(crate) with_subscriptions: bool,
}

impl serde::Serialize for SettingBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Auth<'a>(&'a AppState);
        impl serde::Serialize for Auth<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(
                    self.0
                        .requested()
                        .map(|(scope, v)| (scope.as_str(), v == Value::Granted)),
                )
            }
        }
        #[derive(serde::Serialize)]
        struct Subscriptions {
            #[serde(rename = "mainSwitch")]
            main_switch: bool,
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("authSetting", &Auth(&self.state))?;
        if self.with_subscriptions {
            m.serialize_entry("subscriptionsSetting", &Subscriptions { main_switch: true })?;
        }
        m.serialize_entry("errMsg", "getSetting:ok")?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniperm_core::{Scope, Subject, Value, Via, setting_result};

    /// The hand-written `getSetting` body is byte for byte the core's [`setting_result`].
    #[test]
    fn setting_body_is_setting_result() {
        let mut states = vec![AppState::default()];
        let mut s = AppState::default();
        for (i, scope) in Scope::ALL.iter().enumerate() {
            let v = [Value::Granted, Value::Denied, Value::Unset][i % 3];
            s.apply_change(Subject::Scope(*scope), v, Via::Prompt, 0);
            states.push(s);
        }
        for state in states {
            for with_subscriptions in [false, true] {
                let ours = serde_json::to_string(&SettingBody {
                    state,
                    with_subscriptions,
                })
                .unwrap();
                let core = setting_result(&state, "getSetting", with_subscriptions).to_string();
                assert_eq!(ours, core);
            }
        }
    }
}
