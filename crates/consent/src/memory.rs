//! The in-memory store: plain maps, no I/O, cheap to create and to clone (the explorer makes
//! thousands).

use std::collections::BTreeMap;

use miniperm_core::{AppState, ConsentEvent};

use crate::contract::{ConsentStore, make_truthful};
use crate::error::StoreError;

/// One (user, app): its log and the fold of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct AppLog {
    events: Vec<ConsentEvent>,
    state: AppState,
}

/// A [`ConsentStore`] in memory. Nothing survives the process; `append` cannot fail.
///
/// `Clone` copies the whole store, so a caller can branch it (the explorer does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    /// user → app → log. Nested so look-ups by `&str` allocate nothing.
    apps: BTreeMap<String, BTreeMap<String, AppLog>>,
    last_seq: u64,
    /// `at` of the newest event: later events are clamped to it (`at` monotonic with `seq`).
    last_at: i64,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The `seq` of the newest event (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Every (user, app) with at least one event, sorted.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.apps
            .iter()
            .flat_map(|(u, apps)| apps.keys().map(move |a| (u.clone(), a.clone())))
            .collect()
    }

    fn get(&self, user: &str, app: &str) -> Option<&AppLog> {
        self.apps.get(user).and_then(|m| m.get(app))
    }

    /// The state of one (user, app), without `&mut` (the trait's method takes `&mut self`).
    pub fn peek_state(&self, user: &str, app: &str) -> AppState {
        self.get(user, app).map(|l| l.state).unwrap_or_default()
    }

    /// The log of one (user, app), borrowed.
    pub fn peek_log(&self, user: &str, app: &str) -> &[ConsentEvent] {
        self.get(user, app).map(|l| &l.events[..]).unwrap_or(&[])
    }
}

impl ConsentStore for MemoryStore {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError> {
        let mut out = Vec::with_capacity(events.len());
        if self.last_seq == 0 {
            self.last_at = i64::MIN;
        }
        for mut e in events {
            self.last_seq += 1;
            e.seq = self.last_seq;
            let log = match self.apps.get_mut(&e.user) {
                Some(m) => m,
                None => self.apps.entry(e.user.clone()).or_default(),
            };
            let log = match log.get_mut(&e.app) {
                Some(l) => l,
                None => log.entry(e.app.clone()).or_default(),
            };
            self.last_at = make_truthful(&log.state, &mut e, self.last_at);
            log.state.apply(&e);
            log.events.push(e.clone());
            out.push(e);
        }
        Ok(out)
    }

    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError> {
        Ok(self.peek_state(user, app))
    }

    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError> {
        Ok(self.peek_log(user, app).to_vec())
    }
}
