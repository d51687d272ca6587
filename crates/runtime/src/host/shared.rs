//! What Rust and the prelude share during a run ([`Shared`]), and the work queued between
//! them ([`Job`], [`Incoming`]).

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use miniperm_core::AppState;
use serde_json::Value as Json;

use crate::event::Event;
use crate::transcript::Transcript;

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

/// What Rust and the prelude share during a run, by concern. Cloned when a run is suspended at
/// a UI (the explorer's branch point): the clone shares the engine's stop and refusal flags
/// (`Rc`s, in [`Record`]), everything else is the run's own.
#[derive(Default, Clone)]
pub(super) struct Shared {
    /// What the run has recorded (transcript, warnings, observations, errors, rejections) and
    /// whether it is ending (a limit, the stop and refusal flags, the host's bytes).
    pub(super) record: Record,
    /// The virtual clock and the gesture in progress.
    pub(super) clock: Clock,
    /// The calls the program made and the results and tasks waiting for the driver.
    pub(super) queues: Queues,
    /// The consent state as the run sees it.
    pub(super) consent: Consent,
    /// The current page as last rendered.
    pub(super) page: Page,
    /// The phone's clipboard: what `setClipboardData` wrote last, what `getClipboardData` reads
    /// (empty at launch).
    pub(super) clipboard: String,
}

/// The run's record, and what ends it early. Every method that records checks the caps.
#[derive(Default, Clone)]
pub(super) struct Record {
    /// The transcript: what a run resumed from a branch wrote before it is shared with the
    /// branch (frozen at the pause), so cloning the state there does not copy it.
    pub(super) events: Transcript,
    /// Uncaught errors so far (a run with any ends `error`).
    pub(super) errors: u32,
    /// Why the run must end with `limit`, once it must.
    pub(super) limit: Option<String>,
    /// The warnings already given (each is given once).
    pub(super) warned: HashSet<String>,
    pub(super) rejections: Vec<Rejection>,
    /// Set with `limit`: the interrupt handler then stops the JS that is running.
    pub(super) stop: Rc<Cell<bool>>,
    /// Set by the allocator when it refused a request (the memory cap): the run is ending.
    pub(super) refused: crate::heap::Refused,
    /// Bytes of payload (event fields, API arguments) the host keeps for the run, and their
    /// cap (the run's memory limit): host memory counts against `--memory-mb` too (issue 9).
    pub(super) host_bytes: usize,
    pub(super) host_cap: usize,
    /// The consent facts the run observed, in order (see [`crate::event::Observation`]).
    pub(super) observations: Vec<crate::event::Observation>,
}

/// The program's virtual time and the user's gesture.
#[derive(Default, Clone)]
pub(super) struct Clock {
    /// The virtual clock, in ms since the Unix epoch.
    pub(super) now: i64,
    /// A tap is being handled (D1).
    pub(super) gesture: bool,
}

/// Work waiting between the prelude and the driver.
#[derive(Default, Clone)]
pub(super) struct Queues {
    /// Results, tasks and handler calls to deliver to JS.
    pub(super) jobs: VecDeque<Job>,
    /// `wx` calls the program made, not yet dispatched.
    pub(super) incoming: VecDeque<Incoming>,
}

/// The consent facts as the run sees them.
#[derive(Default, Clone)]
pub(super) struct Consent {
    pub(super) state: AppState,
    /// `wx.onNeedPrivacyAuthorization` has a listener (R26).
    pub(super) privacy_listener: bool,
    /// The run has written consent to the store (starting states included).
    pub(super) wrote: bool,
}

/// The page on screen.
#[derive(Default, Clone)]
pub(super) struct Page {
    /// The program changed data since the last render.
    pub(super) dirty: bool,
    /// A change the settle loop left for later: the page renders plainly (nothing but its
    /// tree), so it renders when something reads the tree (`Driver::render_settled`).
    pub(super) stale: bool,
    /// The current page's last render, and its route.
    pub(super) tree: Option<Rc<miniperm_wxml::Tree>>,
    pub(super) tree_route: String,
    /// The `<camera>` elements on screen at the last render.
    pub(super) cameras: HashSet<String>,
    /// A render is under way (the prelude's `N.render` does not start a second one).
    pub(super) rendering: bool,
    /// What a person gave form controls (typed, toggled, picked), by control identity
    /// (`actions::control_id`): a form's submit reads them before the controls' own
    /// `value`/`checked`, as the phone's controls hold what was entered.
    pub(super) fields: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Caps on what a run may pile up on the Rust side (the JS heap has its own cap).
pub(super) const MAX_EVENTS: usize = 200_000;
pub(super) const MAX_QUEUED: usize = 100_000;
/// Observations a run records at most (the explorer needs the first of each subject).
pub(super) const MAX_OBSERVATIONS: usize = 10_000;

impl Shared {
    /// A run's state at its start: the virtual clock at `now`, the engine's stop and refusal
    /// flags, and the cap on the bytes the host keeps for it.
    pub(super) fn new(
        now: i64,
        stop: Rc<Cell<bool>>,
        refused: crate::heap::Refused,
        host_cap: usize,
    ) -> Shared {
        Shared {
            record: Record {
                stop,
                refused,
                host_cap,
                ..Record::default()
            },
            clock: Clock {
                now,
                ..Clock::default()
            },
            ..Shared::default()
        }
    }

    /// True (and the run ends with `limit`) when too many calls and results wait at once.
    pub(super) fn queue_full(&mut self) -> bool {
        let full = self.queues.incoming.len() + self.queues.jobs.len() >= MAX_QUEUED;
        if full && self.record.limit.is_none() {
            self.record.limit = Some(format!(
                "more than {MAX_QUEUED} api calls and results waiting at once"
            ));
            self.record.stop.set(true);
        }
        full
    }
}

impl Record {
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

    /// An error the run meets again and again (a file's problem, on every render): reported
    /// the first time only.
    pub(super) fn error_once(&mut self, message: String) {
        if self.warned.insert(format!("error\u{0}{message}")) {
            self.error(message, String::new());
        }
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
