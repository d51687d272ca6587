//! The simulated phone: what `getSystemInfo` (and its split forms) report, what selector queries
//! measure against, and what the simulator draws. The presets are the common sizes of WeChat
//! devtools' device list; [`Device::default`] is the one runs have always reported.

/// One phone model, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// The name a person picks it by (devtools' list).
    pub name: &'static str,
    /// `getSystemInfo().model` on iOS.
    pub model: &'static str,
    pub width: i64,
    pub height: i64,
    pub pixel_ratio: i64,
    /// `statusBarHeight` (and `safeArea.top`).
    pub status_bar: i64,
    /// `safeArea.bottom`: the height less the home indicator, when the phone has one.
    pub safe_bottom: i64,
}

const fn device(
    name: &'static str,
    model: &'static str,
    (width, height): (i64, i64),
    pixel_ratio: i64,
    status_bar: i64,
    home_indicator: i64,
) -> Device {
    Device {
        name,
        model,
        width,
        height,
        pixel_ratio,
        status_bar,
        safe_bottom: height - home_indicator,
    }
}

/// The devices a person can pick (the simulator's list), smallest first.
pub const DEVICES: &[Device] = &[
    device("iPhone 5", "iPhone 5", (320, 568), 2, 20, 0),
    device("iPhone 6/7/8", "iPhone 6/7/8", (375, 667), 2, 20, 0),
    device("iPhone X", "iPhone X", (375, 812), 3, 44, 34),
    device(
        "iPhone 12/13 (Pro)",
        "iPhone 12/13 (Pro)",
        (390, 844),
        3,
        47,
        34,
    ),
    device(
        "iPhone 6/7/8 Plus",
        "iPhone 6/7/8 Plus",
        (414, 736),
        3,
        20,
        0,
    ),
    device(
        "iPhone 14 Pro Max",
        "iPhone 14 Pro Max",
        (430, 932),
        3,
        59,
        34,
    ),
];

/// The simulator's default (devtools' default): iPhone 6/7/8, 375×667.
pub const SIMULATOR_DEVICE: Device = DEVICES[1];

impl Default for Device {
    /// iPhone 12/13 (Pro), 390×844: what `run` and `explore` report unless told otherwise.
    fn default() -> Device {
        DEVICES[3]
    }
}

impl Device {
    /// A preset by its name (case and spaces ignored).
    pub fn by_name(name: &str) -> Option<Device> {
        let key = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let want = key(name);
        DEVICES.iter().copied().find(|d| key(d.name) == want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(Device::default().width, 390);
        assert_eq!(Device::default().safe_bottom, 810);
        assert_eq!(SIMULATOR_DEVICE.width, 375);
        assert_eq!(SIMULATOR_DEVICE.height, 667);
        assert_eq!(Device::by_name("iphone x").map(|d| d.height), Some(812));
        assert_eq!(Device::by_name("nokia"), None);
    }
}
