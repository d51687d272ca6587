//! `miniperm settings APPID [show|clear|remove|set|log|explain]`: read and change one
//! mini-program's authorization records in the consent store `run` uses.

use std::io::Write;

use miniperm_core::decide::StepResult;
use miniperm_core::{
    AppState, Change, Channel, ConsentEvent, Env, EventMeta, Manifest, Profile, Scope,
    SettingChange, Subject, SystemSwitches, Value, Via, auth_setting, explain,
};
use miniperm_store::{ConsentStore, now_ms};

use crate::db::{Access, DbArgs, Location};
use crate::entry::{channel, non_empty};
use crate::error::CliError;
use crate::help;
use crate::output::{format_ms, json_document, json_record, table};

/// `schema_version` of `settings show --json` (docs/schemas/settings-show.schema.json).
const SHOW_SCHEMA_VERSION: u32 = 1;
/// `schema_version` of each `settings log --json` line (docs/schemas/settings-log.schema.json).
const LOG_SCHEMA_VERSION: u32 = 1;
/// `schema_version` of `settings explain --json` (docs/schemas/settings-explain.schema.json).
const EXPLAIN_SCHEMA_VERSION: u32 = 1;

/// The user id used when `--user` is not given.
pub const DEFAULT_USER: &str = "default";

/// Read and change one mini-program's authorization records (the settings page, the devtools
/// "clear authorization data", the consent log)
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::SETTINGS)]
pub struct Args {
    /// The mini-program's appid
    #[arg(value_parser = non_empty)]
    pub appid: String,
    /// The WeChat user the records belong to
    #[arg(long, short = 'u', value_name = "ID", default_value = DEFAULT_USER, global = true, value_parser = non_empty)]
    pub user: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// The release channel recorded with new events
    #[arg(long, default_value = "develop", value_parser = channel(), global = true)]
    pub channel: Channel,
    /// The client profile recorded with new events and used by `explain`
    #[arg(long, default_value = "wechat", value_parser = Profile::NAMES, global = true)]
    pub profile: String,
    /// What to do (default: show)
    #[command(subcommand)]
    pub action: Option<Action>,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Action {
    /// Show the authSetting (requested scopes only), and any privacy and OS records
    Show {
        /// Print one JSON document: appid, user, authSetting (as getSetting returns it), privacy
        /// and os records (docs/schemas/settings-show.schema.json)
        #[arg(long)]
        json: bool,
    },
    /// Devtools "clear authorization data": every scope and the privacy consent back to unset
    /// (logged as a `reset` event; the log keeps its history)
    Clear,
    /// The user deleted the mini-program: every scope and the privacy consent back to unset
    /// (logged as a `remove` event; the log keeps its history)
    Remove,
    /// Set scopes as the host, in one transaction: `scope.userLocation=off scope.camera=on`
    Set {
        /// SCOPE=on|off, one or more; any scope of the catalogue (`miniperm scopes`)
        #[arg(value_name = "SCOPE=on|off", required = true)]
        changes: Vec<String>,
    },
    /// Print the consent log of this mini-program, oldest first
    Log {
        /// One JSON object per event per line (JSON Lines,
        /// docs/schemas/settings-log.schema.json)
        #[arg(long)]
        json: bool,
    },
    /// Why a scope is in its state, and what `wx.authorize` would do now
    Explain {
        /// The scope, e.g. scope.userLocation
        scope: String,
        /// Print the explanation as one JSON document
        /// (docs/schemas/settings-explain.schema.json)
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<(), CliError> {
    // Every input is checked before the store is opened: bad input leaves it untouched.
    let channel = args.channel;
    let profile = Profile::by_name(&args.profile)?;
    let action = args.action.clone().unwrap_or(Action::Show { json: false });
    let ctx = Ctx {
        user: &args.user,
        app: &args.appid,
        meta: EventMeta {
            at: 0,
            user: args.user.clone(),
            app: args.appid.clone(),
            channel,
            profile: profile.name.clone(),
        },
    };
    match action {
        Action::Show { json } => {
            let (loc, mut store) = args.db.open(Access::Read)?;
            let state = store.state(ctx.user, ctx.app)?;
            show(out, &ctx, &loc, &state, json)
        }
        Action::Clear => reset(out, &ctx, &args.db, Via::Reset),
        Action::Remove => reset(out, &ctx, &args.db, Via::Remove),
        Action::Set { changes } => {
            let changes = changes
                .iter()
                .map(|c| SettingChange::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            set(out, &ctx, &args.db, &changes)
        }
        Action::Log { json } => {
            let (loc, mut store) = args.db.open(Access::Read)?;
            let log = store.log(ctx.user, ctx.app)?;
            print_log(out, &ctx, &loc, &log, json)
        }
        Action::Explain { scope, json } => {
            let scope =
                Scope::parse(&scope).ok_or(miniperm_core::CoreError::UnknownScope(scope))?;
            let (_, mut store) = args.db.open(Access::Read)?;
            let log = store.log(ctx.user, ctx.app)?;
            print_explain(out, &log, scope, &profile, json)
        }
    }
}

struct Ctx<'a> {
    user: &'a str,
    app: &'a str,
    meta: EventMeta,
}

impl Ctx<'_> {
    fn title(&self, loc: &Location) -> String {
        format!("{} · user {} · {}", self.app, self.user, loc)
    }

    fn meta_now(&self) -> EventMeta {
        EventMeta {
            at: now_ms(),
            ..self.meta.clone()
        }
    }
}

fn on_off(v: Value) -> &'static str {
    match v {
        Value::Granted => "on",
        Value::Denied => "off",
        Value::Unset => "unset",
    }
}

fn show(
    out: &mut dyn Write,
    ctx: &Ctx<'_>,
    loc: &Location,
    state: &AppState,
    json: bool,
) -> Result<(), CliError> {
    if json {
        return json_document(out, SHOW_SCHEMA_VERSION, show_fields(ctx, state));
    }
    writeln!(out, "{}", ctx.title(loc))?;
    let mut rows = Vec::new();
    for (scope, v) in state.requested() {
        let label = scope.info().label;
        rows.push(vec![
            format!("  {scope}"),
            on_off(v).to_string(),
            format!("{} ({})", label.zh, label.en),
        ]);
    }
    if rows.is_empty() {
        writeln!(out, "  no scope requested yet (authSetting is {{}})")?;
    } else {
        table(out, &rows)?;
    }
    let others: Vec<Vec<String>> = state
        .entries()
        .into_iter()
        .filter(|(s, _)| !matches!(s, Subject::Scope(_)))
        .map(|(s, v)| {
            let shown = match s {
                Subject::Os(_) => v.os_str(),
                _ => v.as_str(),
            };
            vec![format!("  {}", s.key()), shown.to_string()]
        })
        .collect();
    if !others.is_empty() {
        writeln!(out, "privacy and os records:")?;
        table(out, &others)?;
    }
    Ok(())
}

/// `settings show --json` after its `schema_version`: the authSetting as `getSetting` returns it
/// (requested scopes only), then the privacy consent and OS permission records by name.
fn show_fields(ctx: &Ctx<'_>, state: &AppState) -> serde_json::Map<String, serde_json::Value> {
    let mut privacy = serde_json::Map::new();
    let mut os = serde_json::Map::new();
    for (s, v) in state.entries() {
        match s {
            Subject::Privacy(t) => {
                privacy.insert(t.as_str().to_string(), v.as_str().into());
            }
            Subject::Os(p) => {
                os.insert(p.as_str().to_string(), v.os_arg().into());
            }
            Subject::Scope(_) | Subject::All => {}
        }
    }
    let mut m = serde_json::Map::new();
    m.insert("appid".into(), ctx.app.into());
    m.insert("user".into(), ctx.user.into());
    m.insert("authSetting".into(), auth_setting(state).into());
    m.insert("privacy".into(), privacy.into());
    m.insert("os".into(), os.into());
    m
}

fn reset(out: &mut dyn Write, ctx: &Ctx<'_>, db: &DbArgs, via: Via) -> Result<(), CliError> {
    let (loc, mut store) = db.open(Access::Write)?;
    let meta = ctx.meta_now();
    // Read and write in one transaction (issue 9: the log tells the truth).
    let (_, done) = store.update(ctx.user, ctx.app, &mut |_| {
        vec![ConsentEvent::new(&meta, Change::reset(via))]
    })?;
    let seq = done.first().map_or(0, |e| e.seq);
    let what = match via {
        Via::Remove => "removed the mini-program",
        _ => "cleared the authorization data",
    };
    writeln!(
        out,
        "{what}: every scope of {} for user {} is unset (event {seq}, {loc})",
        ctx.app, ctx.user
    )?;
    Ok(())
}

/// The host events that take `state` to `changes`, and the changes that are already in force.
fn host_changes(
    state: &AppState,
    meta: &EventMeta,
    changes: &[SettingChange],
) -> (Vec<ConsentEvent>, Vec<SettingChange>) {
    let mut state = *state;
    let mut events = Vec::new();
    let mut unchanged = Vec::new();
    for c in changes {
        let subject = Subject::Scope(c.scope);
        let from = state.scope(c.scope);
        let to = if c.on { Value::Granted } else { Value::Denied };
        if from == to {
            unchanged.push(*c);
            continue;
        }
        state.apply_change(subject, to, Via::Host, meta.at);
        events.push(ConsentEvent::new(meta, Change::host(subject, from, to)));
    }
    (events, unchanged)
}

fn set(
    out: &mut dyn Write,
    ctx: &Ctx<'_>,
    db: &DbArgs,
    changes: &[SettingChange],
) -> Result<(), CliError> {
    let (loc, mut store) = db.open(Access::Write)?;
    let meta = ctx.meta_now();
    let mut unchanged = Vec::new();
    // The changes are computed from the state read inside the write transaction, so a
    // concurrent writer cannot slip in between the read and the write.
    let (before, done) = store.update(ctx.user, ctx.app, &mut |state| {
        let (events, same) = host_changes(state, &meta, changes);
        unchanged = same;
        events
    })?;
    let mut state = before;
    for e in &done {
        state.apply(e);
    }
    writeln!(out, "{}", ctx.title(&loc))?;
    for e in &done {
        writeln!(
            out,
            "{}: {} → {} (event {})",
            e.scope.key(),
            e.from.as_str(),
            e.to.as_str(),
            e.seq
        )?;
    }
    for c in unchanged {
        writeln!(
            out,
            "{}: already {} (no event)",
            c.scope,
            on_off(state.scope(c.scope))
        )?;
    }
    Ok(())
}

fn print_log(
    out: &mut dyn Write,
    ctx: &Ctx<'_>,
    loc: &Location,
    log: &[ConsentEvent],
    json: bool,
) -> Result<(), CliError> {
    if json {
        for e in log {
            json_record(out, e, LOG_SCHEMA_VERSION)?;
        }
        return Ok(());
    }
    writeln!(out, "{}", ctx.title(loc))?;
    if log.is_empty() {
        writeln!(out, "  no events")?;
        return Ok(());
    }
    let mut rows = vec![
        [
            "seq", "time", "channel", "scope", "change", "via", "gesture", "api",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for e in log {
        rows.push(event_row(e));
    }
    table(out, &rows)
}

fn event_row(e: &ConsentEvent) -> Vec<String> {
    vec![
        e.seq.to_string(),
        format_ms(e.at),
        e.channel.as_str().to_string(),
        e.scope.key(),
        e.change_label(),
        e.via.as_str().to_string(),
        if e.gesture { "tap" } else { "-" }.to_string(),
        e.api.clone().unwrap_or_else(|| "-".to_string()),
    ]
}

fn print_explain(
    out: &mut dyn Write,
    log: &[ConsentEvent],
    scope: Scope,
    profile: &Profile,
    json: bool,
) -> Result<(), CliError> {
    let manifest = Manifest::default();
    let env = Env {
        profile,
        manifest: &manifest,
        privacy_listener: false,
        system: SystemSwitches::default(),
    };
    let x = explain(log, scope, &env, now_ms());
    if json {
        let fields = match serde_json::to_value(&x)? {
            serde_json::Value::Object(m) => m,
            other => std::iter::once(("explanation".to_string(), other)).collect(),
        };
        return json_document(out, EXPLAIN_SCHEMA_VERSION, fields);
    }
    writeln!(out, "{scope}: {}", x.state.as_str())?;
    writeln!(out, "next: {}", x.summary)?;
    if x.events.is_empty() {
        writeln!(out, "history: no events")?;
    } else {
        writeln!(out, "history:")?;
        let rows: Vec<Vec<String>> = x
            .events
            .iter()
            .map(|e| {
                let mut r = event_row(e);
                r[0] = format!("  {}", r[0]);
                r
            })
            .collect();
        table(out, &rows)?;
    }
    writeln!(
        out,
        "pipeline (wx.authorize in a tap, profile {}):",
        profile.name
    )?;
    let rows: Vec<Vec<String>> = x
        .next
        .trail
        .steps()
        .iter()
        .map(|(step, r)| {
            let r = match r {
                StepResult::Pass => "pass",
                StepResult::Skip => "skip",
                StepResult::Stop => "stop",
            };
            vec![format!("  {}", step.describe()), r.to_string()]
        })
        .collect();
    table(out, &rows)
}
