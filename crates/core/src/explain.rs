//! `explain(user, app, scope)`: the events behind a scope's state and the rule that decides next.

use serde::Serialize;

use crate::catalogue::Scope;
use crate::decide::{Ask, Decision, Env, Outcome, Request, decide};
use crate::state::{AppState, ConsentEvent, Subject, Value};

/// Why a scope is where it is, and what the next `authorize` will do.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub scope: Scope,
    pub state: Value,
    /// The events that touched this scope (its own and every reset), oldest first.
    pub events: Vec<ConsentEvent>,
    /// The decision for `wx.authorize({scope})` called now, in a tap.
    pub next: Decision,
    /// One line for people.
    pub summary: String,
}

/// Explains `scope` given one (user, app)'s log.
pub fn explain(events: &[ConsentEvent], scope: Scope, env: &Env<'_>, now: i64) -> Explanation {
    let state = AppState::fold(events);
    let req = Request::authorize(Some(scope.as_str()), true, now);
    let next = decide(&req, &state, env);
    let summary = match next.outcome {
        Outcome::Allow => format!(
            "`authorize` succeeds at once with `authorize:ok`, no prompt ({})",
            next.rule
        ),
        Outcome::Fail(f) => {
            let errno = f
                .errno(env.profile)
                .map(|n| format!(" (errno {n})"))
                .unwrap_or_default();
            format!(
                "`authorize` fails at once with `{}`{errno}, no prompt ({})",
                f.err_msg(env.profile, "authorize"),
                next.rule
            )
        }
        Outcome::Ask(Ask::ScopePrompt { .. }) => {
            format!("`authorize` shows the scope prompt ({})", next.rule)
        }
        Outcome::Ask(Ask::PrivacyListener { .. }) => format!(
            "`authorize` first fires the onNeedPrivacyAuthorization listener ({})",
            next.rule
        ),
        Outcome::Ask(Ask::PrivacyPopup { .. }) => {
            format!(
                "`authorize` first shows the official privacy popup ({})",
                next.rule
            )
        }
        Outcome::Ask(Ask::OsPrompt { .. }) => {
            format!("`authorize` asks the os first ({})", next.rule)
        }
    };
    Explanation {
        scope,
        state: state.scope(scope),
        events: events
            .iter()
            .filter(|e| matches!(e.scope, Subject::All) || e.scope == Subject::Scope(scope))
            .cloned()
            .collect(),
        next,
        summary,
    }
}
