//! A synchronous driver for one call: decide, ask, resolve, decide again, until settled.
//!
//! Hosts that can answer a UI at once (tests, the explorer's replay, a service's scripted user)
//! use [`drive`]; hosts that must wait (the runtime's FIFO of native UIs) run the same loop
//! themselves around [`crate::decide`] and [`crate::resolve`].

use crate::vocab::Rule;
use serde::Serialize;

use crate::decide::{Answer, Ask, Env, Fail, Outcome, Request, Then, Warning, decide, resolve};
use crate::error::CoreError;
use crate::state::{AppState, Change};

/// The end of one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Driven {
    /// `Ok` = the API proceeds (success); `Err` = it fails with this.
    pub result: Result<(), Fail>,
    /// `Some(ask)` when the answer source ran dry while this UI waited (`result` is then
    /// meaningless and the call is still pending).
    pub waiting: Option<Ask>,
    /// The rule that settled it.
    pub rule: Rule,
    /// Changes appended along the way, in order (already applied to the state passed in).
    pub changes: Vec<Change>,
    /// The UIs shown and their answers, in order.
    pub asked: Vec<(Ask, Answer)>,
    pub warnings: Vec<Warning>,
}

/// More rounds than any real pipeline needs (privacy, scope, OS: three asks at most).
const MAX_ROUNDS: usize = 8;

/// Runs one call to its end, asking `answer` for every UI. `state` is updated in place.
pub fn drive(
    req: &Request,
    state: &mut AppState,
    env: &Env<'_>,
    mut answer: impl FnMut(&Ask) -> Option<Answer>,
) -> Result<Driven, CoreError> {
    let mut out = Driven {
        result: Ok(()),
        waiting: None,
        rule: Rule::R36,
        changes: Vec::new(),
        asked: Vec::new(),
        warnings: Vec::new(),
    };
    for _ in 0..MAX_ROUNDS {
        let d = decide(req, state, env);
        if let Some(w) = d.warning
            && !out.warnings.contains(&w)
        {
            out.warnings.push(w);
        }
        if let Some(c) = d.record_change(req.api, req.gesture, state) {
            state.apply_change(c.subject, c.to, c.via, req.now);
            out.changes.push(c);
        }
        out.rule = d.rule;
        match d.outcome {
            Outcome::Allow => return Ok(out),
            Outcome::Fail(f) => {
                out.result = Err(f);
                return Ok(out);
            }
            Outcome::Ask(ask) => {
                let Some(a) = answer(&ask) else {
                    out.waiting = Some(ask);
                    return Ok(out);
                };
                let r = resolve(&ask, a, req, state, env)?;
                out.asked.push((ask, a));
                for c in r.changes {
                    state.apply_change(c.subject, c.to, c.via, req.now);
                    out.changes.push(c);
                }
                if let Then::Fail(f) = r.then {
                    out.result = Err(f);
                    // The answer settled it: name the rule of the UI that was answered.
                    out.rule = match ask {
                        Ask::ScopePrompt { .. } => Rule::R5,
                        Ask::PrivacyListener { .. } => Rule::R26,
                        Ask::PrivacyPopup { .. } => Rule::R28,
                        Ask::OsPrompt { .. } => Rule::D12,
                    };
                    return Ok(out);
                }
            }
        }
    }
    out.result = Err(Fail::NotSupported);
    Ok(out)
}
