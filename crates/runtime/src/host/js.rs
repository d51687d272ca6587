//! Turning what JS hands the host into the host's facts: a thrown value's message and stack,
//! the prelude's failure names, a rejection's call site, a caught failure as an `error` event.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{CaughtError, Ctx};
use serde_json::Value as Json;

use crate::project::Project;

use super::outcome::{Halt, RunError};
use super::shared::{Rejection, Shared};

/// A typed failure as the prelude passes it back (`auth-deny`, its serde name).
pub(super) fn parse_fail(s: &str) -> Option<miniperm_core::Fail> {
    serde_json::from_value(Json::String(s.to_string())).ok()
}

pub(super) fn describe_value<'js>(ctx: &Ctx<'js>, v: &rquickjs::Value<'js>) -> (String, String) {
    if let Some(o) = v.as_object() {
        let msg: Option<String> = o.get("message").ok();
        let name: Option<String> = o.get("name").ok();
        let stack: Option<String> = o.get("stack").ok();
        if let Some(m) = msg {
            let m = match name {
                Some(n) if !n.is_empty() => format!("{n}: {m}"),
                _ => m,
            };
            return (m, stack.unwrap_or_default());
        }
    }
    let s = ctx
        .json_stringify(v.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| "undefined".into());
    (s, String::new())
}

impl Rejection {
    /// The rejection of `reason`, with the call behind it when the prelude marked it.
    pub(super) fn of<'js>(ctx: &Ctx<'js>, reason: &rquickjs::Value<'js>, p: &Project) -> Rejection {
        let (message, _) = describe_value(ctx, reason);
        let (at, failure) = match reason.as_object() {
            Some(o) => (
                o.get::<_, Option<String>>("__minipermSite")
                    .ok()
                    .flatten()
                    .filter(|a| !a.is_empty())
                    .map(|a| p.map_site(&a)),
                o.get::<_, Option<String>>("__minipermFailure")
                    .ok()
                    .flatten()
                    .and_then(|f| parse_fail(&f)),
            ),
            None => (None, None),
        };
        Rejection {
            message,
            at,
            failure,
        }
    }
}

/// A caught JS failure: an exception or a thrown value becomes an `error` event; an engine
/// failure stops the run.
pub(super) fn record_caught<'js>(
    ctx: &Ctx<'js>,
    sh: &Rc<RefCell<Shared>>,
    project: &Project,
    e: CaughtError<'js>,
) -> Result<(), Halt> {
    match e {
        CaughtError::Exception(ex) => {
            let msg = ex.message().unwrap_or_default();
            let name: String = ex.get("name").unwrap_or_default();
            let m = if name.is_empty() {
                msg
            } else {
                format!("{name}: {msg}")
            };
            sh.borrow_mut()
                .record
                .error(m, project.map_stack(&ex.stack().unwrap_or_default()));
            Ok(())
        }
        CaughtError::Value(v) => {
            let (m, s) = describe_value(ctx, &v);
            let s = project.map_stack(&s);
            sh.borrow_mut().record.error(format!("Uncaught {m}"), s);
            Ok(())
        }
        CaughtError::Error(e) => Err(Halt::Fail(RunError::Engine(e.to_string()))),
    }
}
