//! What a project declares that the engine consults: app.json's `permission`,
//! `requiredPrivateInfos`, `requiredBackgroundModes`, and the privacy guide (miniperm.json, D13).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::{Api, InfoType, Scope};

/// The project's privacy configuration (D13).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Privacy {
    /// No privacy configuration: behaves as base library < 2.32.3, no interception (D13).
    #[default]
    Off,
    /// Privacy checks on, but no guide configured at all: errno 1025 (R24).
    NoGuide,
    /// A privacy guide declaring these info types under this contract name (R24–R33).
    Guide {
        types: Vec<InfoType>,
        contract_name: String,
    },
}

/// The declarations of one project.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    /// app.json `permission[scope].desc` (R21).
    pub permission_desc: BTreeMap<Scope, String>,
    /// app.json `requiredPrivateInfos`; `None` when the field is absent (R22, D10).
    pub required_private_infos: Option<Vec<String>>,
    /// app.json `requiredBackgroundModes` contains `location` (R8, D5).
    pub background_location: bool,
    pub privacy: Privacy,
}

impl Manifest {
    pub fn desc(&self, scope: Scope) -> Option<&str> {
        self.permission_desc.get(&scope).map(String::as_str)
    }

    pub(crate) fn declares_private_info(&self, api: Api) -> bool {
        self.required_private_infos
            .as_ref()
            .is_some_and(|l| l.iter().any(|n| n == api.as_str()))
    }

    /// Privacy info types the guide declares, as a bit set.
    pub(crate) fn declared_bits(&self) -> u32 {
        match &self.privacy {
            Privacy::Guide { types, .. } => types.iter().fold(0, |acc, t| acc | t.bit()),
            _ => 0,
        }
    }

    pub fn declared_types(&self) -> &[InfoType] {
        match &self.privacy {
            Privacy::Guide { types, .. } => types,
            _ => &[],
        }
    }

    pub fn contract_name(&self) -> &str {
        match &self.privacy {
            Privacy::Guide { contract_name, .. } => contract_name,
            _ => "",
        }
    }

    /// `wx.getPrivacySetting`: `(needAuthorization, privacyContractName)` (R30).
    ///
    /// `needAuthorization` is false when nothing is declared or consent covers every declared
    /// type (R25: a newly declared type makes it true again).
    pub fn privacy_setting(&self, state: &crate::state::AppState) -> (bool, &str) {
        let need = self
            .declared_types()
            .iter()
            .any(|t| !state.privacy_granted(*t));
        (need, self.contract_name())
    }

    /// R22: `getFuzzyLocation` together with a precise location API is a configuration error.
    pub fn private_infos_conflict(&self) -> bool {
        let Some(list) = &self.required_private_infos else {
            return false;
        };
        let fuzzy = list.iter().any(|n| n == "getFuzzyLocation");
        let precise = list.iter().any(|n| {
            matches!(
                n.as_str(),
                "getLocation"
                    | "onLocationChange"
                    | "startLocationUpdate"
                    | "startLocationUpdateBackground"
            )
        });
        fuzzy && precise
    }
}
