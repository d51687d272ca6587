//! What one run takes besides the project, the store and the user.

use miniperm_core::{Channel, Profile, Subject, SystemSwitches, Value};

use crate::project::Project;

/// The virtual clock's default start: 2026-01-01T00:00:00Z.
pub const DEFAULT_NOW_MS: i64 = 1_767_225_600_000;
/// `Math.random`'s default seed.
pub const DEFAULT_SEED: u32 = 1;

/// Per-run limits (issue 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time one dispatch (launch, a tap) may take, run to idle included.
    pub dispatch_ms: u64,
    /// The JS heap cap of one run.
    pub memory_bytes: usize,
    /// Timer firings at one instant of virtual time before the run ends with `limit` (a timer
    /// that re-arms itself with no delay). Timers that keep ticking as time moves (an
    /// animation, a countdown) are normal: the page goes idle with them set.
    pub max_timer_fires: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            dispatch_ms: 2000,
            memory_bytes: 64 * 1024 * 1024,
            max_timer_fires: 10_000,
        }
    }
}

/// Everything one run takes besides the project, the store and the user.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The page to open (default: the first page of app.json).
    pub page: Option<String>,
    /// Its query, `a=1&b=2`.
    pub query: Option<String>,
    /// Handlers to tap in order; `open-type=openSetting` taps the page's openSetting button.
    pub taps: Vec<String>,
    pub profile: Profile,
    pub user: String,
    pub channel: Channel,
    /// Starting states (`--state`, `--system`), appended as `host` events before launch.
    pub initial: Vec<(Subject, Value)>,
    pub system: SystemSwitches,
    /// What getLocation returns: (latitude, longitude).
    pub location: (f64, f64),
    pub limits: Limits,
    /// The virtual clock's start, in ms since the Unix epoch (`Date`, `performance.now`, timers).
    pub now_ms: i64,
    /// The seed of `Math.random` (the same seed gives the same numbers).
    pub seed: u32,
    /// Add a `render` event (the page's render tree) after each settle (`--render`).
    pub render: bool,
    /// The clock that stamps consent events (`at`): the host's wall clock by default. The
    /// program's virtual clock never reaches the log.
    pub stamp: fn() -> i64,
    /// Keep at most this many characters of a logged value or a `setData` patch in the
    /// transcript (`None`: all of it). The explorer clips: a path's findings need to know that
    /// the program logged or changed something, not every byte of it.
    pub clip: Option<usize>,
    /// The base library of the run (`--base-lib`, else project.config.json's `libVersion`);
    /// `None`: the profile's. APIs newer than it
    /// are absent from `wx` and `wx.canIUse` answers for it.
    pub base_lib: Option<(u16, u16, u16)>,
    /// The phone `getSystemInfo` reports and selector queries measure against.
    pub device: crate::Device,
    /// Keep the final page for drawing ([`RunOutcome::screen`]).
    pub screen: bool,
    /// A page whose render draws nothing but its tree (no components, WXS, imports or
    /// cameras) renders when something reads the tree (a tap, a selector query, a form), not
    /// after every change: the explorer's setting, for thousands of paths whose callbacks
    /// change data nothing reads before the next change. What the program sees is the same;
    /// the renderer's own warnings (an unknown template, a cut `wx:for`) about a state nothing
    /// read are not in the transcript. Off with `render` or `screen`.
    pub lazy_render: bool,
    /// The process ends right after this run (`miniperm run`): the run's JS heap is left to the
    /// operating system instead of being freed object by object, which costs a short process
    /// ~5% of its time. Never set it where runs repeat in one process: each would keep its heap.
    pub exit_after: bool,
}

impl RunConfig {
    /// Defaults for a project: its profile, user `default`, channel develop, no taps.
    pub fn new(project: &Project) -> RunConfig {
        RunConfig {
            page: None,
            query: None,
            taps: Vec::new(),
            profile: project.profile(),
            user: "default".into(),
            channel: Channel::Develop,
            initial: Vec::new(),
            system: SystemSwitches::default(),
            location: (23.129_163, 113.264_435),
            limits: Limits::default(),
            now_ms: DEFAULT_NOW_MS,
            seed: DEFAULT_SEED,
            render: false,
            stamp: miniperm_consent::now_ms,
            clip: None,
            base_lib: project.lib_version(),
            device: crate::Device::default(),
            screen: false,
            lazy_render: false,
            exit_after: false,
        }
    }

    /// The run's base library: [`RunConfig::base_lib`], else the profile's.
    pub fn effective_base_lib(&self) -> (u16, u16, u16) {
        self.base_lib.unwrap_or({
            let b = self.profile.base_lib;
            (b.0, b.1, b.2)
        })
    }
}
