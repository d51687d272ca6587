//! The words everything else rests on, each defined once: the reference's rule and decision
//! ids ([`Rule`]), the kinds of native UI a run shows ([`UiKind`]) and the codes of the
//! explorer's findings ([`FindingCode`]). The transcript and the reports spell them as strings
//! (their wire format); inside, they are these enums.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! rules {
    ($($v:ident),* $(,)?) => {
        /// A rule (`R1`–`R40`) or a decision (`D1`–`D15`) of
        /// `reference/wechat-authorization.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($v),* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$v),*];

            /// `R36`, `D11`.
            pub fn as_str(self) -> &'static str {
                match self { $(Rule::$v => stringify!($v)),* }
            }
        }
    };
}

rules!(
    R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15, R16, R17, R18, R19, R20, R21,
    R22, R23, R24, R25, R26, R27, R28, R29, R30, R31, R32, R33, R34, R35, R36, R37, R38, R39, R40,
    D1, D2, D3, D4, D5, D6, D7, D8, D9, D10, D11, D12, D13, D14, D15,
);

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Rule, String> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("`{s}` is no rule (R1–R40) or decision (D1–D15)"))
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Rules as a report writes them: `R16, D1`.
pub fn rules_text(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kinds of native UI a run shows (the transcript's `ui` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UiKind {
    /// The scope prompt.
    Authorize,
    /// The OS's own permission prompt.
    System,
    /// The privacy agreement (the official popup or the page's own).
    Privacy,
    Modal,
    ActionSheet,
    /// The settings page.
    Settings,
    Toast,
    /// A picker (`chooseLocation`, `chooseImage`, …).
    Picker,
}

impl UiKind {
    pub const ALL: &'static [UiKind] = &[
        UiKind::Authorize,
        UiKind::System,
        UiKind::Privacy,
        UiKind::Modal,
        UiKind::ActionSheet,
        UiKind::Settings,
        UiKind::Toast,
        UiKind::Picker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UiKind::Authorize => "authorize",
            UiKind::System => "system",
            UiKind::Privacy => "privacy",
            UiKind::Modal => "modal",
            UiKind::ActionSheet => "actionSheet",
            UiKind::Settings => "settings",
            UiKind::Toast => "toast",
            UiKind::Picker => "picker",
        }
    }

    pub fn parse(s: &str) -> Option<UiKind> {
        UiKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// A permission prompt: the scope's, the OS's or the privacy agreement.
    pub fn is_prompt(self) -> bool {
        matches!(self, UiKind::Authorize | UiKind::System | UiKind::Privacy)
    }
}

impl fmt::Display for UiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The defects `miniperm explore` names, with the rules they rest on (their codes are stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingCode {
    NoRetryAfterSettings,
    OpensettingWithoutTap,
    UnsetTreatedAsDenied,
    NagLoop,
    SilentDeny,
    UnhandledFail,
    UncaughtError,
    PromptOnLaunch,
    MissingPermissionDesc,
    MissingPrivateInfo,
    RetiredScope,
}

impl FindingCode {
    /// Every code, in the order reports list them.
    pub const ALL: &'static [FindingCode] = &[
        FindingCode::NoRetryAfterSettings,
        FindingCode::OpensettingWithoutTap,
        FindingCode::UnsetTreatedAsDenied,
        FindingCode::NagLoop,
        FindingCode::SilentDeny,
        FindingCode::UnhandledFail,
        FindingCode::UncaughtError,
        FindingCode::PromptOnLaunch,
        FindingCode::MissingPermissionDesc,
        FindingCode::MissingPrivateInfo,
        FindingCode::RetiredScope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::NoRetryAfterSettings => "no-retry-after-settings",
            FindingCode::OpensettingWithoutTap => "opensetting-without-tap",
            FindingCode::UnsetTreatedAsDenied => "unset-treated-as-denied",
            FindingCode::NagLoop => "nag-loop",
            FindingCode::SilentDeny => "silent-deny",
            FindingCode::UnhandledFail => "unhandled-fail",
            FindingCode::UncaughtError => "uncaught-error",
            FindingCode::PromptOnLaunch => "prompt-on-launch",
            FindingCode::MissingPermissionDesc => "missing-permission-desc",
            FindingCode::MissingPrivateInfo => "missing-private-info",
            FindingCode::RetiredScope => "retired-scope",
        }
    }

    pub fn parse(s: &str) -> Option<FindingCode> {
        FindingCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The rules the finding rests on (none for an uncaught error: DESIGN.md's transcript).
    pub fn rules(self) -> &'static [Rule] {
        match self {
            FindingCode::NoRetryAfterSettings => &[Rule::R15],
            FindingCode::OpensettingWithoutTap => &[Rule::R16, Rule::D1],
            FindingCode::UnsetTreatedAsDenied => &[Rule::R2, Rule::R14],
            FindingCode::NagLoop => &[Rule::R6, Rule::D9],
            FindingCode::SilentDeny => &[Rule::R5, Rule::R10],
            FindingCode::UnhandledFail => &[Rule::R37, Rule::R38],
            FindingCode::UncaughtError => &[],
            FindingCode::PromptOnLaunch => &[Rule::R5],
            FindingCode::MissingPermissionDesc => &[Rule::R21, Rule::D10],
            FindingCode::MissingPrivateInfo => &[Rule::R22],
            FindingCode::RetiredScope => &[Rule::R3, Rule::R7, Rule::D2, Rule::D4],
        }
    }

    /// What the finding rests on, as reports write it: the rules, or for an uncaught error
    /// DESIGN.md's `miniperm run` contract.
    pub fn basis(self) -> String {
        match self {
            FindingCode::UncaughtError => "DESIGN.md `miniperm run`".to_string(),
            other => rules_text(other.rules()),
        }
    }

    /// One line of help (SARIF rule descriptions, `--help`).
    pub fn describe(self) -> &'static str {
        match self {
            FindingCode::NoRetryAfterSettings => {
                "the flow failed to get a scope, the user switched it on in the settings page, and the flow never retried"
            }
            FindingCode::OpensettingWithoutTap => {
                "wx.openSetting was called outside a tap and the settings page never opened"
            }
            FindingCode::UnsetTreatedAsDenied => {
                "a scope getSetting reports as absent (never asked) was handled as denied"
            }
            FindingCode::NagLoop => {
                "a modal or the settings page comes back after the user declined it"
            }
            FindingCode::SilentDeny => "a denial reached a handler that told the user nothing",
            FindingCode::UnhandledFail => {
                "a failing call has no fail/complete callback or rejection handler"
            }
            FindingCode::UncaughtError => "an exception escaped mini-program code",
            FindingCode::PromptOnLaunch => {
                "a permission prompt appears before the user tapped anything"
            }
            FindingCode::MissingPermissionDesc => {
                "app.json lacks permission[scope].desc for a prompted scope"
            }
            FindingCode::MissingPrivateInfo => {
                "app.json requiredPrivateInfos lacks a location api it calls"
            }
            FindingCode::RetiredScope => "wx.authorize for a scope that never prompts any more",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_spells_and_parses_back() {
        assert_eq!(Rule::ALL.len(), 55);
        for r in Rule::ALL {
            assert_eq!(r.as_str().parse::<Rule>(), Ok(*r));
        }
        assert!("R41".parse::<Rule>().is_err());
        for k in UiKind::ALL {
            assert_eq!(UiKind::parse(k.as_str()), Some(*k));
        }
        for c in FindingCode::ALL {
            assert_eq!(FindingCode::parse(c.as_str()), Some(*c));
            assert!(!c.describe().is_empty());
            assert!(!c.basis().is_empty());
        }
        assert_eq!(FindingCode::OpensettingWithoutTap.basis(), "R16, D1");
    }
}
