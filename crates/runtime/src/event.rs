//! The transcript: DESIGN.md's event table as a Rust enum, and its readable rendering.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    Idle,
    AwaitingAnswer,
    Error,
    Limit,
    /// A later answer or tap was bad input (it does not fit the UI, no such handler) after the
    /// run had already written consent: the run ends here with what it did (exit 1, never 2).
    BadInput,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::AwaitingAnswer => "awaiting-answer",
            EndReason::Error => "error",
            EndReason::Limit => "limit",
            EndReason::BadInput => "bad-input",
        }
    }
}

/// The codes of the runtime's own warnings that other crates read (the explorer's findings).
/// The prelude writes the same words (`tests/observe.rs` holds them equal).
pub mod warning {
    /// A failing call that nothing receives: no fail, complete or listener.
    pub const UNHANDLED_FAIL: &str = "unhandled-fail";
    /// A rejected promise that nothing handles.
    pub const UNHANDLED_REJECTION: &str = "unhandled-rejection";
}

/// How a run came to observe a consent fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    /// The program read it: a key of `getSetting`'s/`openSetting`'s `authSetting` (a whole read
    /// of the object, keys, JSON, a spread, reads every key it holds), an `…Authorized` field of
    /// the system or app-authorize settings.
    Read,
    /// An engine decision consulted it (`miniperm_core::Decision::consulted`).
    Consulted,
    /// The settings page showed its row.
    Shown,
}

/// A consent fact a run observed, with its value then and where in the transcript: after the
/// first `after` events. What the explorer branches on: a starting state that differs only in
/// facts no path observed cannot change any path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Observation {
    pub after: usize,
    pub subject: miniperm_core::Subject,
    pub value: miniperm_core::Value,
    pub how: Observed,
}

/// One transcript line (`--json` prints each as one JSON object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Launch {
        appid: String,
        profile: String,
        user: String,
    },
    Page {
        action: String,
        route: String,
    },
    Tap {
        route: String,
        handler: String,
    },
    Call {
        api: String,
        args: Json,
        /// Where the mini-program made the call: `file:line:col` in its own source (TypeScript
        /// mapped back), when the stack shows one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        at: Option<String>,
    },
    /// A native UI shown: `ui` is its kind; the other fields depend on it (`scope`, `desc`,
    /// `permission`, `referrer`, `source`, `title`, `content`, `rows`, `items`, `api`, `icon`).
    Ui {
        ui: String,
        #[serde(flatten)]
        detail: Map<String, Json>,
    },
    Answer {
        ui: String,
        answer: String,
    },
    Callback {
        api: String,
        kind: String,
        res: Json,
        /// The call site of the call this result belongs to (as [`Event::Call`]'s `at`).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        at: Option<String>,
        /// Why the engine failed the call, when it did (typed: the findings read this, never
        /// the errMsg). Not part of the JSON transcript (DESIGN's wire format).
        #[serde(skip_serializing, default)]
        failure: Option<miniperm_core::Fail>,
    },
    Navigate {
        action: String,
        url: String,
    },
    Data {
        route: String,
        patch: Json,
    },
    Log {
        level: String,
        args: Vec<Json>,
    },
    Warning {
        code: String,
        message: String,
        /// The call site the warning is about, when it is about one call.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        at: Option<String>,
        /// The engine's failure an `unhandled-fail` / `unhandled-rejection` warning is about
        /// (typed, as on [`Event::Callback`]; not in the JSON transcript).
        #[serde(skip_serializing, default)]
        failure: Option<miniperm_core::Fail>,
    },
    Error {
        message: String,
        stack: String,
    },
    /// The page as it stands after a settle (`--render`): `tree` is a list of visible nodes
    /// `{tag, attrs, text, children}`.
    Render {
        route: String,
        tree: Json,
    },
    End {
        reason: EndReason,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        ui: Option<String>,
    },
}

// The transcript's styles (the caller decides whether to colour: `--color`, NO_COLOR).
use anstyle::{AnsiColor, Effects, Style};
const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BLUE: Style = AnsiColor::Blue.on_default();
const MAGENTA: Style = AnsiColor::Magenta.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();

/// True for the JSON encoding of JavaScript's `undefined`: `{"$undefined": true}`.
pub fn is_undefined(v: &Json) -> bool {
    matches!(v, Json::Object(m) if m.len() == 1 && m.get("$undefined") == Some(&Json::Bool(true)))
}

/// Compact JSON, except that the encoding of `undefined` prints as `undefined`.
fn compact(v: &Json) -> String {
    let mut out = String::new();
    write_compact(v, &mut out);
    out
}

fn write_compact(v: &Json, out: &mut String) {
    match v {
        _ if is_undefined(v) => out.push_str("undefined"),
        Json::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(x, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                write_compact(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

fn text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => compact(other),
    }
}

/// The indented outline of a `render` event's tree (one visible node a line, control
/// characters escaped).
pub fn render_outline(tree: &Json) -> String {
    let mut lines = Vec::new();
    outline(tree, 0, &mut lines);
    lines
        .iter()
        .map(|l| escape_controls(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The indented outline of a `render` event's tree: one visible node a line.
fn outline(nodes: &Json, depth: usize, out: &mut Vec<String>) {
    let Some(list) = nodes.as_array() else { return };
    for n in list {
        let tag = n.get("tag").and_then(Json::as_str).unwrap_or("?");
        let pad = "  ".repeat(depth);
        if tag == "#text" {
            out.push(format!("{pad}\"{}\"", text(n.get("text"))));
            continue;
        }
        let mut line = format!("{pad}{tag}");
        if let Some(Json::Object(attrs)) = n.get("attrs") {
            if let Some(id) = attrs
                .get("id")
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
            {
                line.push_str(&format!("#{id}"));
            }
            if let Some(c) = attrs.get("class").and_then(Json::as_str) {
                for c in c.split_whitespace() {
                    line.push('.');
                    line.push_str(c);
                }
            }
            let rest: Vec<String> = attrs
                .iter()
                .filter(|(k, _)| *k != "id" && *k != "class")
                .map(|(k, v)| format!("{k}={}", text(Some(v))))
                .collect();
            if !rest.is_empty() {
                line.push_str(&format!(" [{}]", rest.join(" ")));
            }
        }
        let t = text(n.get("text"));
        if !t.is_empty() {
            line.push_str(&format!(" \"{t}\""));
        }
        out.push(line);
        if let Some(c) = n.get("children") {
            outline(c, depth + 1, out);
        }
    }
}

/// Tells, along a transcript, when a UI is "the same one again" (the nag-loop cut and finding):
/// a modal is the same when its title and content are; the settings page when its rows and
/// their states are and the modal that led to it (the last one shown before it, if any) is the
/// same one. A settings page that gained a row, where the user switched something, or that a
/// modal about something else led to, is a new one.
#[derive(Debug, Clone, Default)]
pub struct Repeats {
    last_modal: Option<String>,
}

impl Repeats {
    /// The key of the next event of the transcript (`None` for events other than a modal or
    /// the settings page). Feed it every `ui` event, in order.
    pub fn key(&mut self, e: &Event) -> Option<String> {
        let Event::Ui { ui, detail } = e else {
            return None;
        };
        let text = |k: &str| detail.get(k).and_then(Json::as_str).unwrap_or("");
        match miniperm_core::UiKind::parse(ui)? {
            miniperm_core::UiKind::Modal => {
                let key = format!("modal:{}:{}", text("title"), text("content"));
                self.last_modal = Some(key.clone());
                Some(key)
            }
            miniperm_core::UiKind::Settings => {
                let mut key = String::from("settings:");
                for r in detail
                    .get("rows")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let field = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("");
                    key.push_str(field("scope"));
                    key.push('=');
                    key.push_str(field("state"));
                    key.push(';');
                }
                if let Some(m) = &self.last_modal {
                    key.push_str(" after ");
                    key.push_str(m);
                }
                Some(key)
            }
            _ => None,
        }
    }

    /// Every event's key, in order.
    pub fn keys<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<Option<String>> {
        let mut r = Repeats::default();
        events.into_iter().map(|e| r.key(e)).collect()
    }
}

/// Makes a string from a project safe for a terminal: control characters (ESC, BEL, CR, line
/// breaks, C1 controls, bidi overrides) are shown as escapes, so a page can neither drive the
/// terminal nor forge a transcript line.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The readable transcript line(s) for one event; ANSI colours only when `color`.
pub fn render_human(event: &Event, color: bool) -> String {
    let paint = |c: Style, s: String| {
        let s = escape_controls(&s);
        if color { format!("{c}{s}{c:#}") } else { s }
    };
    match event {
        Event::Launch {
            appid,
            profile,
            user,
        } => paint(
            BOLD,
            format!("▸ launch {appid} (profile {profile}, user {user})"),
        ),
        Event::Page { action, route } => paint(DIM, format!("  page {action} {route}")),
        Event::Tap { route, handler } => paint(BOLD, format!("▸ tap {route} {handler}")),
        Event::Call { api, args, .. } => {
            let a = match args {
                Json::Object(m) if m.is_empty() => String::new(),
                other => format!(" {}", compact(other)),
            };
            let prefix = if api.contains('.') || api.starts_with('<') {
                ""
            } else {
                "wx."
            };
            escape_controls(&format!("  call {prefix}{api}{a}"))
        }
        Event::Ui { ui, detail } => {
            let line = match ui.as_str() {
                "authorize" => {
                    let mut s = format!("  ui  authorize {}", text(detail.get("scope")));
                    let d = text(detail.get("desc"));
                    if !d.is_empty() {
                        s.push_str(&format!(" \"{d}\""));
                    }
                    if detail.get("withPrivacy") == Some(&Json::Bool(true)) {
                        s.push_str(" [+privacy]");
                    }
                    s
                }
                "system" => format!("  ui  system {}", text(detail.get("permission"))),
                "privacy" => format!(
                    "  ui  privacy {} ({})",
                    text(detail.get("referrer")),
                    text(detail.get("source"))
                ),
                "modal" => format!(
                    "  ui  modal \"{}\" \"{}\"",
                    text(detail.get("title")),
                    text(detail.get("content"))
                ),
                "actionSheet" => format!("  ui  actionSheet {}", text(detail.get("items"))),
                "settings" => {
                    let rows = detail
                        .get("rows")
                        .and_then(Json::as_array)
                        .map(|rows| {
                            rows.iter()
                                .map(|r| {
                                    let scope = text(r.get("scope"));
                                    let state = text(r.get("state"));
                                    format!("{scope}={state}")
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default();
                    if rows.is_empty() {
                        "  ui  settings (no rows)".to_string()
                    } else {
                        format!("  ui  settings [{rows}]")
                    }
                }
                "toast" => format!(
                    "  ui  toast \"{}\" ({})",
                    text(detail.get("title")),
                    text(detail.get("icon"))
                ),
                "picker" => format!("  ui  picker {}", text(detail.get("api"))),
                other => format!("  ui  {other} {}", compact(&Json::Object(detail.clone()))),
            };
            paint(MAGENTA, line)
        }
        Event::Answer { answer, .. } => paint(CYAN, format!("  ← {answer}")),
        Event::Callback { api, kind, res, .. } => {
            let c = match kind.as_str() {
                "fail" | "reject" => RED,
                "success" | "resolve" => GREEN,
                _ => DIM,
            };
            paint(c, format!("  callback {api} {kind} {}", compact(res)))
        }
        Event::Navigate { action, url } => paint(BLUE, format!("  navigate {action} {url}")),
        Event::Data { route, patch } => paint(DIM, format!("  data {route} {}", compact(patch))),
        Event::Log { level, args } => {
            let parts: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Json::String(s) => s.clone(),
                    other => compact(other),
                })
                .collect();
            let line = format!("  log {level}: {}", parts.join(" "));
            match level.as_str() {
                "error" => paint(RED, line),
                "warn" => paint(YELLOW, line),
                _ => escape_controls(&line),
            }
        }
        Event::Warning { code, message, .. } => {
            paint(YELLOW, format!("  warning {code}: {message}"))
        }
        Event::Error { message, stack } => {
            // Each piece is escaped on its own: the line breaks between stack frames are ours.
            let mut s = format!("  error {}", escape_controls(message));
            for l in stack.lines().filter(|l| !l.trim().is_empty()) {
                s.push_str("\n        ");
                s.push_str(&escape_controls(l.trim()));
            }
            if color { format!("{RED}{s}{RED:#}") } else { s }
        }
        Event::Render { route, tree } => {
            let mut s = paint(DIM, format!("  render {route}"));
            let mut lines = Vec::new();
            outline(tree, 2, &mut lines);
            for l in lines {
                s.push('\n');
                s.push_str(&paint(DIM, l));
            }
            s
        }
        Event::End { reason, ui } => {
            let s = match ui {
                Some(u) => format!("■ end {} ({u})", reason.as_str()),
                None => format!("■ end {}", reason.as_str()),
            };
            paint(BOLD, s)
        }
    }
}
