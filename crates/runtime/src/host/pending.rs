//! What waits for the user: a native UI queued ([`Pending`]), the one on screen ([`Asking`]),
//! and the handler an element or button leads to ([`Target`]).

use miniperm_core::{Ask, Request};
use serde_json::Value as Json;

use crate::user::UiRequest;

/// A handler on a rendered element: which instance owns it (`""` is the page), its name, and
/// the element's `id` and `dataset` for the event's target.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) owner: String,
    pub(super) handler: String,
    pub(super) id: String,
    pub(super) dataset: Json,
}

#[derive(Debug, Clone)]
pub(super) enum Pending {
    Engine {
        id: u32,
        api: String,
        req: Request,
        picker: bool,
        args: Json,
        /// Decisions already taken for this call (an answer leads to a new decision: R36 again).
        tries: u8,
    },
    Settings {
        id: Option<u32>,
        button: Option<Target>,
        with_subscriptions: bool,
    },
    Modal {
        id: u32,
        ui: UiRequest,
    },
    Sheet {
        id: u32,
        ui: UiRequest,
    },
}

/// A UI on screen, waiting for its answer: the call it belongs to, what the user sees and, for
/// an engine call, what the engine asked. Everything the driver does once the answer comes is
/// a function of this and the answer ([`Driver::answered`]), so a run can stop here and go on
/// later (the explorer resumes many answers from one such point).
#[derive(Debug, Clone)]
pub(crate) struct Asking {
    pub(super) pending: Pending,
    pub(crate) ui: UiRequest,
    pub(super) ask: Option<Ask>,
}
