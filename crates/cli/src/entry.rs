//! The entry flags `run` and `explore` share (DESIGN.md: explore takes run's entry flags):
//! the project, where to start, what to tap, starting states, the profile and the limits.

use std::path::PathBuf;

use miniperm_core::{Channel, OsPermission, Profile, Subject, Value};
use miniperm_runtime::{Limits, Project, RunConfig};

use crate::error::CliError;

#[derive(clap::Args, Debug, Clone)]
pub struct EntryArgs {
    /// The project folder (the one holding app.json)
    pub project: PathBuf,
    /// The page to open [default: the first page of app.json]
    #[arg(long, short = 'p', value_name = "ROUTE", value_parser = non_empty)]
    pub page: Option<String>,
    /// The page's query, k=v&k2=v2
    #[arg(long, value_name = "K=V&...")]
    pub query: Option<String>,
    /// What to tap, in order (repeatable): a page method's name, or a selector on the rendered
    /// page: `#id`, `.class`, `tag`, `tag[attr=value]`, `text=LABEL`, combinations such as
    /// `button.primary`, any of them ending in `:nth(N)` for the N-th match;
    /// `open-type=openSetting` is short for `button[open-type=openSetting]`. Only visible elements
    /// can be tapped. `input(SELECTOR)=TEXT` types TEXT into an input (its bindinput),
    /// `change(SELECTOR)=VALUE` sets a switch, slider, picker, checkbox or radio (bindchange)
    #[arg(long, short = 't', value_name = "TARGET", value_parser = non_empty)]
    pub tap: Vec<String>,
    /// A starting scope state (repeatable): `run` writes it to the store before launch, `explore`
    /// keeps it fixed instead of exploring it
    #[arg(long, short = 's', value_name = "SCOPE=unset|granted|denied")]
    pub state: Vec<String>,
    /// A starting OS permission of WeChat (repeatable), like --state
    #[arg(long, value_name = "PERM=authorized|denied|not-determined")]
    pub system: Vec<String>,
    /// The client profile [default: miniperm.json's, else wechat]
    #[arg(long, value_parser = Profile::NAMES)]
    pub profile: Option<String>,
    /// Wall time one dispatch may take before it is interrupted
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub timeout_ms: u64,
    /// The JS heap cap of a run
    #[arg(long, value_name = "MB", default_value_t = 64)]
    pub memory_mb: usize,
    /// Seed of the mini-program's `Math.random` (runs are deterministic: the same command prints
    /// the same transcript)
    #[arg(long, value_name = "N", default_value_t = miniperm_runtime::DEFAULT_SEED)]
    pub seed: u32,
    /// Start of the virtual clock the mini-program sees (`Date`, `performance.now`, timers):
    /// RFC 3339 like 2026-01-01T08:00:00Z, or milliseconds since the Unix epoch
    #[arg(long, value_name = "TIME", default_value = DEFAULT_NOW)]
    pub now: String,
    /// The base library of the run, like 2.32.3 [default: project.config.json's libVersion,
    /// else the profile's]: APIs newer than it are absent from `wx`, and `wx.canIUse` answers
    /// for it
    #[arg(long, value_name = "X.Y.Z")]
    pub base_lib: Option<String>,
}

/// `--base-lib`: `MAJOR.MINOR.PATCH`, each part a number.
pub(crate) fn parse_base_lib(s: &str) -> Result<(u16, u16, u16), CliError> {
    let t = s.trim();
    let parts: Vec<&str> = t.split('.').collect();
    let nums: Option<Vec<u16>> = parts.iter().map(|p| p.parse::<u16>().ok()).collect();
    match nums.as_deref() {
        Some(&[a, b, c]) if parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) => {
            Ok((a, b, c))
        }
        _ => Err(bad(format!(
            "malformed base library `{s}` (expected MAJOR.MINOR.PATCH like 2.32.3)"
        ))),
    }
}

/// `--now`: RFC 3339 (UTC or with an offset) or milliseconds since the Unix epoch.
pub(crate) fn parse_now(s: &str) -> Result<i64, CliError> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .map_err(|_| bad(format!("`--now {s}` is out of range")));
    }
    let ts = t.parse::<jiff::Timestamp>().map_err(|_| {
        bad(format!(
            "malformed time `{s}` (expected RFC 3339 like 2026-01-01T08:00:00Z, or epoch milliseconds)"
        ))
    })?;
    Ok(ts.as_millisecond())
}

/// `--now`'s default: the runtime's default clock start.
pub(crate) const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

/// A value parser for ids and names that cannot be empty (appid, user, page, tap target).
pub(crate) fn non_empty(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("it cannot be empty".to_string())
    } else {
        Ok(s.to_string())
    }
}

/// `--channel`'s value parser: one of [`Channel::NAMES`] (listed in `--help`), as the enum.
pub(crate) fn channel() -> impl clap::builder::TypedValueParser<Value = Channel> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Channel::NAMES)
        .try_map(|s| Channel::parse(&s).ok_or("not a channel"))
}

pub(crate) fn bad(msg: String) -> CliError {
    CliError::Usage(msg)
}

fn parse_state(s: &str) -> Result<(Subject, Value), CliError> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        bad(format!(
            "malformed state `{s}` (expected SCOPE=unset|granted|denied)"
        ))
    })?;
    let subject = Subject::parse(k.trim())?;
    if matches!(subject, Subject::All | Subject::Os(_)) {
        return Err(bad(format!(
            "malformed state `{s}` (use --system for os permissions)"
        )));
    }
    let value = Value::parse(v.trim()).ok_or_else(|| {
        bad(format!(
            "malformed state `{s}` (expected unset, granted or denied)"
        ))
    })?;
    Ok((subject, value))
}

fn parse_system(s: &str) -> Result<(Subject, Value), CliError> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        bad(format!(
            "malformed system state `{s}` (expected PERM=authorized|denied|not-determined)"
        ))
    })?;
    let k = k.trim().trim_start_matches("os.");
    let p = OsPermission::parse(k)
        .ok_or_else(|| miniperm_core::CoreError::UnknownOsPermission(k.to_string()))?;
    let value = Value::parse_os(v.trim()).ok_or_else(|| {
        bad(format!(
            "malformed system state `{s}` (expected authorized, denied or not-determined)"
        ))
    })?;
    Ok((Subject::Os(p), value))
}

impl EntryArgs {
    /// The flags a replayed `miniperm run` needs besides project, page, taps and states:
    /// the base library, seed and start time when they are not the defaults.
    pub fn replay_extra(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(b) = &self.base_lib {
            v.push(("--base-lib".to_string(), b.clone()));
        }
        if self.seed != miniperm_runtime::DEFAULT_SEED {
            v.push(("--seed".to_string(), self.seed.to_string()));
        }
        if self.now != DEFAULT_NOW {
            v.push(("--now".to_string(), self.now.clone()));
        }
        v
    }

    /// Checks every flag, loads the project and builds the run's configuration; the starting
    /// states go into `initial`.
    pub fn load(&self) -> Result<(Project, RunConfig), CliError> {
        let mut initial = Vec::new();
        for s in &self.state {
            initial.push(parse_state(s)?);
        }
        for s in &self.system {
            initial.push(parse_system(s)?);
        }
        if self.timeout_ms == 0 {
            return Err(bad("`--timeout-ms` must be at least 1".into()));
        }
        if self.memory_mb == 0 || self.memory_mb > 4096 {
            return Err(bad(format!(
                "`--memory-mb {}` is out of range (1 to 4096)",
                self.memory_mb
            )));
        }
        let now_ms = parse_now(&self.now)?;
        let base_lib = self.base_lib.as_deref().map(parse_base_lib).transpose()?;
        let project = Project::load(&self.project).map_err(|e| bad(e.to_string()))?;
        let mut cfg = RunConfig::new(&project);
        if let Some(p) = &self.profile {
            cfg.profile = Profile::by_name(p)?;
        }
        cfg.page = self.page.clone();
        cfg.query = self.query.clone();
        cfg.taps = self.tap.clone();
        cfg.initial = initial;
        cfg.seed = self.seed;
        cfg.now_ms = now_ms;
        if base_lib.is_some() {
            cfg.base_lib = base_lib;
        }
        cfg.limits = Limits {
            dispatch_ms: self.timeout_ms,
            memory_bytes: self.memory_mb * 1024 * 1024,
            ..Limits::default()
        };
        Ok((project, cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_base_lib;

    #[test]
    fn base_lib_parses_three_numbers_only() {
        assert_eq!(parse_base_lib("2.32.3").ok(), Some((2, 32, 3)));
        assert_eq!(parse_base_lib(" 3.0.0 ").ok(), Some((3, 0, 0)));
        for bad in [
            "",
            "2.32",
            "2.32.3.1",
            "2.x.3",
            "+2.1.1",
            "2..3",
            "99999.0.0",
        ] {
            let e = parse_base_lib(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("malformed base library `{bad}` (expected MAJOR.MINOR.PATCH like 2.32.3)")
            );
        }
    }
}
