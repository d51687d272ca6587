//! The scope catalogue (reference table T1) and the API catalogue, as data.
//!
//! Every scope miniperm knows is a variant of [`Scope`]; every API whose behaviour the engine
//! decides is a variant of [`Api`]. Both carry their facts in static tables so that the
//! decision pipeline is a handful of array look-ups and no string compares.

use serde::{Deserialize, Serialize};

/// How `wx.authorize` treats a scope (T1 column "authorize?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromptKind {
    /// `authorize` and the guarded APIs show the scope prompt when the scope is Unset (R5, R10).
    Prompt,
    /// Never prompts; granted only on the settings page (R8, background location).
    SettingsOnly,
    /// Authorization retired: the APIs never prompt and succeed; first use records Granted (R3, D4).
    Retired,
    /// `authorize` never shows UI and fails `scope unauthorized` (R7, D2).
    NoPrompt,
    /// Mini-game only scope: `invalid scope` in a mini-program (T1).
    MiniGameOnly,
}

/// A permission WeChat itself holds from the operating system (D12, T5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OsPermission {
    Location,
    Camera,
    Microphone,
    Album,
    Bluetooth,
    Calendar,
    Contacts,
    Notification,
}

impl OsPermission {
    pub const ALL: [OsPermission; 8] = [
        OsPermission::Location,
        OsPermission::Camera,
        OsPermission::Microphone,
        OsPermission::Album,
        OsPermission::Bluetooth,
        OsPermission::Calendar,
        OsPermission::Contacts,
        OsPermission::Notification,
    ];

    /// The name used on the command line and in the log (`os.<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            OsPermission::Location => "location",
            OsPermission::Camera => "camera",
            OsPermission::Microphone => "microphone",
            OsPermission::Album => "album",
            OsPermission::Bluetooth => "bluetooth",
            OsPermission::Calendar => "calendar",
            OsPermission::Contacts => "contacts",
            OsPermission::Notification => "notification",
        }
    }

    pub fn parse(s: &str) -> Option<OsPermission> {
        OsPermission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The `wx.getAppAuthorizeSetting()` field this permission is reported in (T5).
    pub fn authorize_setting_field(self) -> &'static str {
        match self {
            OsPermission::Location => "locationAuthorized",
            OsPermission::Camera => "cameraAuthorized",
            OsPermission::Microphone => "microphoneAuthorized",
            OsPermission::Album => "albumAuthorized",
            OsPermission::Bluetooth => "bluetoothAuthorized",
            OsPermission::Calendar => "phoneCalendarAuthorized",
            OsPermission::Contacts => "contactsAuthorized",
            OsPermission::Notification => "notificationAuthorized",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A kind of personal information a privacy guide declares (R24, R25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InfoType {
    Location,
    FuzzyLocation,
    Microphone,
    Camera,
    Album,
    Bluetooth,
    Contacts,
    Calendar,
    WeRun,
    Address,
    Invoice,
    UserInfo,
    Clipboard,
    PhoneNumber,
}

impl InfoType {
    pub const ALL: [InfoType; 14] = [
        InfoType::Location,
        InfoType::FuzzyLocation,
        InfoType::Microphone,
        InfoType::Camera,
        InfoType::Album,
        InfoType::Bluetooth,
        InfoType::Contacts,
        InfoType::Calendar,
        InfoType::WeRun,
        InfoType::Address,
        InfoType::Invoice,
        InfoType::UserInfo,
        InfoType::Clipboard,
        InfoType::PhoneNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InfoType::Location => "location",
            InfoType::FuzzyLocation => "fuzzyLocation",
            InfoType::Microphone => "microphone",
            InfoType::Camera => "camera",
            InfoType::Album => "album",
            InfoType::Bluetooth => "bluetooth",
            InfoType::Contacts => "contacts",
            InfoType::Calendar => "calendar",
            InfoType::WeRun => "weRun",
            InfoType::Address => "address",
            InfoType::Invoice => "invoice",
            InfoType::UserInfo => "userInfo",
            InfoType::Clipboard => "clipboard",
            InfoType::PhoneNumber => "phoneNumber",
        }
    }

    pub fn parse(s: &str) -> Option<InfoType> {
        InfoType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Display text in Chinese with an English gloss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: &'static str,
    pub en: &'static str,
}

/// One row of table T1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScopeInfo {
    pub scope: Scope,
    pub name: &'static str,
    pub prompt: PromptKind,
    /// Guarded APIs and components (T1, "guards").
    pub guards: &'static [&'static str],
    /// app.json `permission[scope].desc` is expected (R21).
    pub needs_permission_desc: bool,
    /// app.json `requiredBackgroundModes` must contain `location` (R8).
    pub needs_background_mode: bool,
    pub os: Option<OsPermission>,
    pub info: Option<InfoType>,
    /// Settings-page label.
    pub label: Text,
    /// Prompt line: "<app> 申请 <this>".
    pub ask: Text,
}

macro_rules! scopes {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// Every scope of table T1.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scope { $($variant),* }

        impl Scope {
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),*];
            pub const COUNT: usize = Scope::ALL.len();

            /// The scope string as mini-programs write it (`scope.userLocation`).
            pub fn as_str(self) -> &'static str {
                match self { $(Scope::$variant => $name),* }
            }

            /// Parses an exact scope string; `None` for anything else (D11).
            pub fn parse(s: &str) -> Option<Scope> {
                match s { $($name => Some(Scope::$variant),)* _ => None }
            }
        }
    };
}

scopes! {
    UserLocation = "scope.userLocation",
    UserFuzzyLocation = "scope.userFuzzyLocation",
    UserLocationBackground = "scope.userLocationBackground",
    Record = "scope.record",
    Camera = "scope.camera",
    Bluetooth = "scope.bluetooth",
    WritePhotosAlbum = "scope.writePhotosAlbum",
    AddPhoneContact = "scope.addPhoneContact",
    AddPhoneCalendar = "scope.addPhoneCalendar",
    Werun = "scope.werun",
    Address = "scope.address",
    InvoiceTitle = "scope.invoiceTitle",
    Invoice = "scope.invoice",
    UserInfo = "scope.userInfo",
    WxFriendInteraction = "scope.WxFriendInteraction",
    GameClubData = "scope.gameClubData",
}

impl Scope {
    pub fn info(self) -> &'static ScopeInfo {
        &SCOPES[self as usize]
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// True for the three location scopes (R21: only they take a `permission` desc).
    pub fn is_location(self) -> bool {
        matches!(
            self,
            Scope::UserLocation | Scope::UserFuzzyLocation | Scope::UserLocationBackground
        )
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope `{s}`")))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const fn t(zh: &'static str, en: &'static str) -> Text {
    Text { zh, en }
}

/// Table T1, in [`Scope`] order. Sources: reference §1 T1 ([S1], [S2], [S27]-[S31], [S39]).
pub static SCOPES: [ScopeInfo; Scope::COUNT] = [
    ScopeInfo {
        scope: Scope::UserLocation,
        name: "scope.userLocation",
        prompt: PromptKind::Prompt,
        guards: &[
            "getLocation",
            "startLocationUpdate",
            "onLocationChange",
            "MapContext.moveToLocation",
        ],
        needs_permission_desc: true,
        needs_background_mode: false,
        os: Some(OsPermission::Location),
        info: Some(InfoType::Location),
        label: t("位置信息", "Location"),
        ask: t("获取你的地理位置", "get your location"),
    },
    ScopeInfo {
        scope: Scope::UserFuzzyLocation,
        name: "scope.userFuzzyLocation",
        prompt: PromptKind::Prompt,
        guards: &["getFuzzyLocation"],
        needs_permission_desc: true,
        needs_background_mode: false,
        os: Some(OsPermission::Location),
        info: Some(InfoType::FuzzyLocation),
        label: t("模糊位置信息", "Approximate location"),
        ask: t("获取你的模糊地理位置", "get your approximate location"),
    },
    ScopeInfo {
        scope: Scope::UserLocationBackground,
        name: "scope.userLocationBackground",
        prompt: PromptKind::SettingsOnly,
        guards: &["startLocationUpdateBackground"],
        needs_permission_desc: true,
        needs_background_mode: true,
        os: Some(OsPermission::Location),
        info: Some(InfoType::Location),
        label: t("后台定位", "Background location"),
        ask: t(
            "在后台获取你的地理位置",
            "get your location in the background",
        ),
    },
    ScopeInfo {
        scope: Scope::Record,
        name: "scope.record",
        prompt: PromptKind::Prompt,
        guards: &[
            "startRecord",
            "RecorderManager.start",
            "joinVoIPChat",
            "live-pusher",
        ],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Microphone),
        info: Some(InfoType::Microphone),
        label: t("麦克风", "Microphone"),
        ask: t("使用你的麦克风", "use your microphone"),
    },
    ScopeInfo {
        scope: Scope::Camera,
        name: "scope.camera",
        prompt: PromptKind::Prompt,
        guards: &["camera", "live-pusher", "createVKSession"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Camera),
        info: Some(InfoType::Camera),
        label: t("摄像头", "Camera"),
        ask: t("使用你的摄像头", "use your camera"),
    },
    ScopeInfo {
        scope: Scope::Bluetooth,
        name: "scope.bluetooth",
        prompt: PromptKind::Prompt,
        guards: &["openBluetoothAdapter", "createBLEPeripheralServer"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Bluetooth),
        info: Some(InfoType::Bluetooth),
        label: t("蓝牙", "Bluetooth"),
        ask: t("使用你的蓝牙", "use your Bluetooth"),
    },
    ScopeInfo {
        scope: Scope::WritePhotosAlbum,
        name: "scope.writePhotosAlbum",
        prompt: PromptKind::Prompt,
        guards: &["saveImageToPhotosAlbum", "saveVideoToPhotosAlbum"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Album),
        info: Some(InfoType::Album),
        label: t("添加到相册", "Save to album"),
        ask: t(
            "保存图片或视频到你的相册",
            "save pictures or videos to your album",
        ),
    },
    ScopeInfo {
        scope: Scope::AddPhoneContact,
        name: "scope.addPhoneContact",
        prompt: PromptKind::Prompt,
        guards: &["addPhoneContact"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Contacts),
        info: Some(InfoType::Contacts),
        label: t("添加到联系人", "Add to contacts"),
        ask: t("添加联系人到你的手机通讯录", "add contacts to your phone"),
    },
    ScopeInfo {
        scope: Scope::AddPhoneCalendar,
        name: "scope.addPhoneCalendar",
        prompt: PromptKind::Prompt,
        guards: &["addPhoneCalendar", "addPhoneRepeatCalendar"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: Some(OsPermission::Calendar),
        info: Some(InfoType::Calendar),
        label: t("添加到日历", "Add to calendar"),
        ask: t(
            "添加日程到你的手机日历",
            "add events to your phone calendar",
        ),
    },
    ScopeInfo {
        scope: Scope::Werun,
        name: "scope.werun",
        prompt: PromptKind::Prompt,
        guards: &["getWeRunData"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: Some(InfoType::WeRun),
        label: t("微信运动步数", "WeRun steps"),
        ask: t("获取你的微信运动步数", "get your WeRun step count"),
    },
    ScopeInfo {
        scope: Scope::Address,
        name: "scope.address",
        prompt: PromptKind::Retired,
        guards: &["chooseAddress"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: Some(InfoType::Address),
        label: t("通讯地址", "Mailing address"),
        ask: t("获取你的通讯地址", "get your mailing address"),
    },
    ScopeInfo {
        scope: Scope::InvoiceTitle,
        name: "scope.invoiceTitle",
        prompt: PromptKind::Retired,
        guards: &["chooseInvoiceTitle"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: Some(InfoType::Invoice),
        label: t("发票抬头", "Invoice title"),
        ask: t("获取你的发票抬头", "get your invoice title"),
    },
    ScopeInfo {
        scope: Scope::Invoice,
        name: "scope.invoice",
        prompt: PromptKind::Retired,
        guards: &["chooseInvoice"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: Some(InfoType::Invoice),
        label: t("获取发票", "Invoices"),
        ask: t("获取你的发票", "get your invoices"),
    },
    ScopeInfo {
        scope: Scope::UserInfo,
        name: "scope.userInfo",
        prompt: PromptKind::NoPrompt,
        guards: &["getUserInfo"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: Some(InfoType::UserInfo),
        label: t("用户信息", "User info"),
        ask: t("获取你的昵称、头像", "get your nickname and avatar"),
    },
    ScopeInfo {
        scope: Scope::WxFriendInteraction,
        name: "scope.WxFriendInteraction",
        prompt: PromptKind::MiniGameOnly,
        guards: &["getFriendCloudStorage"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: None,
        label: t("微信朋友关系", "WeChat friends"),
        ask: t("使用你的微信朋友关系", "use your WeChat friend relations"),
    },
    ScopeInfo {
        scope: Scope::GameClubData,
        name: "scope.gameClubData",
        prompt: PromptKind::MiniGameOnly,
        guards: &["getGameClubData"],
        needs_permission_desc: false,
        needs_background_mode: false,
        os: None,
        info: None,
        label: t("游戏圈数据", "Game club data"),
        ask: t("获取你的游戏圈数据", "get your game club data"),
    },
];

/// One API the engine decides (guarded, privacy-bearing or tap-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiInfo {
    pub api: Api,
    pub name: &'static str,
    /// The scope that guards it (R10); `authorize` takes its scope from the request.
    pub scope: Option<Scope>,
    /// Privacy info type (R24); `None` = not a privacy API.
    pub info: Option<InfoType>,
    /// A location-class API that must be listed in `requiredPrivateInfos` (R22).
    pub private_info: bool,
    /// Tap-only since base library 2.3.0 (R16).
    pub tap_only: bool,
    /// OS permission the API needs beyond its scope (pickers that use the camera, say).
    pub os: Option<OsPermission>,
}

macro_rules! apis {
    ($($variant:ident = $name:literal { scope: $scope:expr, info: $info:expr, private: $private:expr, tap: $tap:expr, os: $os:expr }),* $(,)?) => {
        /// Every API the decision pipeline knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Api { $($variant),* }

        /// The API catalogue, in [`Api`] order.
        pub static APIS: &[ApiInfo] = &[$(ApiInfo {
            api: Api::$variant,
            name: $name,
            scope: $scope,
            info: $info,
            private_info: $private,
            tap_only: $tap,
            os: $os,
        }),*];

        impl Api {
            pub const ALL: &'static [Api] = &[$(Api::$variant),*];

            /// The API name without `wx.` (the errMsg prefix, R37).
            pub fn as_str(self) -> &'static str {
                match self { $(Api::$variant => $name),* }
            }

            pub fn parse(s: &str) -> Option<Api> {
                match s { $($name => Some(Api::$variant),)* _ => None }
            }
        }
    };
}

use InfoType as I;
use Scope as S;

apis! {
    Authorize = "authorize" { scope: None, info: None, private: false, tap: false, os: None },
    OpenSetting = "openSetting" { scope: None, info: None, private: false, tap: true, os: None },
    GetUserProfile = "getUserProfile" { scope: None, info: Some(I::UserInfo), private: false, tap: true, os: None },
    RequestSubscribeMessage = "requestSubscribeMessage" { scope: None, info: None, private: false, tap: true, os: None },
    RequirePrivacyAuthorize = "requirePrivacyAuthorize" { scope: None, info: None, private: false, tap: false, os: None },
    GetLocation = "getLocation" { scope: Some(S::UserLocation), info: Some(I::Location), private: true, tap: false, os: None },
    StartLocationUpdate = "startLocationUpdate" { scope: Some(S::UserLocation), info: Some(I::Location), private: true, tap: false, os: None },
    OnLocationChange = "onLocationChange" { scope: None, info: None, private: true, tap: false, os: None },
    StartLocationUpdateBackground = "startLocationUpdateBackground" { scope: Some(S::UserLocationBackground), info: Some(I::Location), private: true, tap: false, os: None },
    GetFuzzyLocation = "getFuzzyLocation" { scope: Some(S::UserFuzzyLocation), info: Some(I::FuzzyLocation), private: true, tap: false, os: None },
    ChooseLocation = "chooseLocation" { scope: None, info: Some(I::Location), private: true, tap: false, os: None },
    ChoosePoi = "choosePoi" { scope: None, info: Some(I::Location), private: true, tap: false, os: None },
    ChooseAddress = "chooseAddress" { scope: Some(S::Address), info: Some(I::Address), private: true, tap: false, os: None },
    StartRecord = "startRecord" { scope: Some(S::Record), info: Some(I::Microphone), private: false, tap: false, os: None },
    RecorderManagerStart = "RecorderManager.start" { scope: Some(S::Record), info: Some(I::Microphone), private: false, tap: false, os: None },
    JoinVoIPChat = "joinVoIPChat" { scope: Some(S::Record), info: Some(I::Microphone), private: false, tap: false, os: None },
    CreateCameraContext = "camera" { scope: Some(S::Camera), info: Some(I::Camera), private: false, tap: false, os: None },
    CreateVKSession = "createVKSession" { scope: Some(S::Camera), info: Some(I::Camera), private: false, tap: false, os: None },
    OpenBluetoothAdapter = "openBluetoothAdapter" { scope: Some(S::Bluetooth), info: Some(I::Bluetooth), private: false, tap: false, os: None },
    CreateBLEPeripheralServer = "createBLEPeripheralServer" { scope: Some(S::Bluetooth), info: Some(I::Bluetooth), private: false, tap: false, os: None },
    SaveImageToPhotosAlbum = "saveImageToPhotosAlbum" { scope: Some(S::WritePhotosAlbum), info: Some(I::Album), private: false, tap: false, os: None },
    SaveVideoToPhotosAlbum = "saveVideoToPhotosAlbum" { scope: Some(S::WritePhotosAlbum), info: Some(I::Album), private: false, tap: false, os: None },
    AddPhoneContact = "addPhoneContact" { scope: Some(S::AddPhoneContact), info: Some(I::Contacts), private: false, tap: false, os: None },
    AddPhoneCalendar = "addPhoneCalendar" { scope: Some(S::AddPhoneCalendar), info: Some(I::Calendar), private: false, tap: false, os: None },
    AddPhoneRepeatCalendar = "addPhoneRepeatCalendar" { scope: Some(S::AddPhoneCalendar), info: Some(I::Calendar), private: false, tap: false, os: None },
    GetWeRunData = "getWeRunData" { scope: Some(S::Werun), info: Some(I::WeRun), private: false, tap: false, os: None },
    ChooseInvoiceTitle = "chooseInvoiceTitle" { scope: Some(S::InvoiceTitle), info: Some(I::Invoice), private: false, tap: false, os: None },
    ChooseInvoice = "chooseInvoice" { scope: Some(S::Invoice), info: Some(I::Invoice), private: false, tap: false, os: None },
    GetUserInfo = "getUserInfo" { scope: None, info: Some(I::UserInfo), private: false, tap: false, os: None },
    ChooseImage = "chooseImage" { scope: None, info: Some(I::Album), private: false, tap: false, os: None },
    ChooseMedia = "chooseMedia" { scope: None, info: Some(I::Album), private: false, tap: false, os: None },
    GetClipboardData = "getClipboardData" { scope: None, info: Some(I::Clipboard), private: false, tap: false, os: None },
    SetClipboardData = "setClipboardData" { scope: None, info: Some(I::Clipboard), private: false, tap: false, os: None },
}

impl Api {
    pub fn info(self) -> &'static ApiInfo {
        &APIS[self as usize]
    }

    /// The API a guarded-API name stands for, if the engine decides it.
    pub fn lookup(name: &str) -> Option<&'static ApiInfo> {
        Api::parse(name).map(Api::info)
    }
}

impl Serialize for Api {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_in_enum_order() {
        for (i, s) in Scope::ALL.iter().enumerate() {
            assert_eq!(SCOPES[i].scope, *s);
            assert_eq!(SCOPES[i].name, s.as_str());
        }
        for (i, a) in Api::ALL.iter().enumerate() {
            assert_eq!(APIS[i].api, *a);
        }
    }

    #[test]
    fn parse_round_trips() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Scope::parse("scope.userlocation"), None);
        for p in OsPermission::ALL {
            assert_eq!(OsPermission::parse(p.as_str()), Some(p));
        }
        for t in InfoType::ALL {
            assert_eq!(InfoType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn guarded_apis_name_their_scope_in_t1() {
        for a in APIS {
            if let Some(s) = a.scope {
                assert!(s.info().guards.contains(&a.name), "{} not in {}", a.name, s);
            }
        }
    }
}
