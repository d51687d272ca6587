//! What Rust and the prelude share during a run ([`Shared`]), and the work queued between
//! them ([`Job`], [`Incoming`]).

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use miniperm_core::AppState;
use serde_json::Value as Json;

use crate::event::Event;

#[derive(Clone)]
pub(super) enum Job {
    Deliver {
        id: u32,
        ok: bool,
        res: Json,
        gesture: bool,
        /// The engine's failure, for the transcript's typed fact.
        failure: Option<miniperm_core::Fail>,
    },
    Task(u32),
    Handler {
        owner: String,
        name: String,
        event: Json,
    },
    Location(Json),
}

/// A promise rejected with nothing to handle it (yet): its reason as a message, and when the
/// reason is a failed API call's result, that call's site and the engine's failure (the
/// prelude marks such results).
#[derive(Clone)]
pub(super) struct Rejection {
    pub(super) message: String,
    pub(super) at: Option<String>,
    pub(super) failure: Option<miniperm_core::Fail>,
}

#[derive(Clone)]
pub(super) struct Incoming {
    pub(super) id: u32,
    pub(super) api: String,
    pub(super) args: Json,
    pub(super) gesture: bool,
}

/// Cloned when a run is suspended at a UI (the explorer's branch point): the clone shares the
/// engine's stop and refusal flags (`Rc`s), everything else is the run's own.
#[derive(Default, Clone)]
pub(super) struct Shared {
    pub(super) events: Vec<Event>,
    pub(super) now: i64,
    pub(super) gesture: bool,
    pub(super) jobs: VecDeque<Job>,
    pub(super) incoming: VecDeque<Incoming>,
    pub(super) privacy_listener: bool,
    pub(super) state: AppState,
    pub(super) errors: u32,
    pub(super) limit: Option<String>,
    pub(super) warned: HashSet<String>,
    pub(super) rejections: Vec<Rejection>,
    /// Set with `limit`: the interrupt handler then stops the JS that is running.
    pub(super) stop: Rc<Cell<bool>>,
    /// Set by the allocator when it refused a request (the memory cap): the run is ending.
    pub(super) refused: crate::heap::Refused,
    /// The program changed data since the last render.
    pub(super) dirty: bool,
    /// The current page's last render, and its route.
    pub(super) tree: Option<Rc<miniperm_wxml::Tree>>,
    pub(super) tree_route: String,
    /// The `<camera>` elements on screen at the last render.
    pub(super) cameras: HashSet<String>,
    /// Bytes of payload (event fields, API arguments) the host keeps for the run, and their
    /// cap (the run's memory limit): host memory counts against `--memory-mb` too (issue 9).
    pub(super) host_bytes: usize,
    /// The run has written consent to the store (starting states included).
    pub(super) wrote: bool,
    /// A render is under way (the prelude's `N.render` does not start a second one).
    pub(super) rendering: bool,
    /// The consent facts the run observed, in order (see [`crate::event::Observation`]).
    pub(super) observations: Vec<crate::event::Observation>,
    pub(super) host_cap: usize,
}

/// Caps on what a run may pile up on the Rust side (the JS heap has its own cap).
pub(super) const MAX_EVENTS: usize = 200_000;
pub(super) const MAX_QUEUED: usize = 100_000;
/// Observations a run records at most (the explorer needs the first of each subject).
pub(super) const MAX_OBSERVATIONS: usize = 10_000;

impl Shared {
    /// Records an event; past the cap the run is ended with `limit`. Once the allocator refused
    /// a request, only the `limit` warning that ends the run is recorded: what the program does
    /// between the refusal and the interrupt handler's next poll (up to ~10,000 bytecode steps,
    /// a number that depends on where the engine's counter stood) is not part of its story, and
    /// the zygote and fresh paths could disagree on it.
    pub(super) fn push(&mut self, ev: Event) {
        if self.refused.get() && !matches!(&ev, Event::Warning { code, .. } if code == "limit") {
            return;
        }
        if self.events.len() >= MAX_EVENTS {
            if self.limit.is_none() {
                self.limit = Some(format!("the run produced more than {MAX_EVENTS} events"));
                self.stop.set(true);
            }
            return;
        }
        self.events.push(ev);
    }

    /// Counts `n` bytes the host keeps for the run; false (and the run ends with `limit`) when
    /// that goes over the cap.
    pub(super) fn keep(&mut self, n: usize, what: &str) -> bool {
        self.host_bytes = self.host_bytes.saturating_add(n);
        if self.host_cap > 0 && self.host_bytes > self.host_cap {
            if self.limit.is_none() {
                let mib = self.host_cap / (1024 * 1024);
                self.limit = Some(format!(
                    "the run went over its memory limit: {what} kept by the host passed {mib} MiB"
                ));
                self.stop.set(true);
            }
            return false;
        }
        true
    }

    pub(super) fn queue_full(&mut self) -> bool {
        let full = self.incoming.len() + self.jobs.len() >= MAX_QUEUED;
        if full && self.limit.is_none() {
            self.limit = Some(format!(
                "more than {MAX_QUEUED} api calls and results waiting at once"
            ));
            self.stop.set(true);
        }
        full
    }

    /// Notes a consent fact the run observed (once per subject, way and transcript position;
    /// at most [`MAX_OBSERVATIONS`] in all).
    pub(super) fn observe(
        &mut self,
        subject: miniperm_core::Subject,
        value: miniperm_core::Value,
        how: crate::event::Observed,
    ) {
        let o = crate::event::Observation {
            after: self.events.len(),
            subject,
            value,
            how,
        };
        let known = self
            .observations
            .iter()
            .rev()
            .take_while(|x| x.after == o.after)
            .any(|x| *x == o);
        if !known && self.observations.len() < MAX_OBSERVATIONS {
            self.observations.push(o);
        }
    }

    pub(super) fn warn(&mut self, code: &str, message: String) {
        self.warn_at(code, message, None);
    }

    /// A warning about one call site (`at` as in [`Event::Call`]).
    pub(super) fn warn_at(&mut self, code: &str, message: String, at: Option<String>) {
        self.warn_failure(code, message, at, None);
    }

    /// A warning about one call site and the engine's failure it is about.
    pub(super) fn warn_failure(
        &mut self,
        code: &str,
        message: String,
        at: Option<String>,
        failure: Option<miniperm_core::Fail>,
    ) {
        let key = format!("{code}\u{0}{message}\u{0}{}", at.as_deref().unwrap_or(""));
        if self.warned.insert(key) {
            self.push(Event::Warning {
                code: code.to_string(),
                message,
                at,
                failure,
            });
        }
    }

    /// A promise rejected with `message`: the JS heap running out inside a promise chain is
    /// the run's memory limit, not an ordinary rejection.
    pub(super) fn rejected(&mut self, rejection: Rejection) {
        if rejection.message.contains("out of memory") && self.limit.is_none() {
            self.limit = Some("the run went over its memory limit".into());
            self.stop.set(true);
        }
        self.rejections.push(rejection);
    }

    pub(super) fn error(&mut self, message: String, stack: String) {
        if message.contains("out of memory") {
            self.limit = Some("the run went over its memory limit".into());
            self.stop.set(true);
            return;
        }
        self.errors += 1;
        self.push(Event::Error { message, stack });
    }
}
