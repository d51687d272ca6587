//! miniperm's consent store: an append-only consent log plus the current state, updated in the
//! same transaction. SQLite (rusqlite, bundled) by default; an in-memory store for tests,
//! `--ephemeral` and the explorer.
#![forbid(unsafe_code)]

use miniperm_core::{AppState, ConsentEvent};

/// The contract every store keeps. (Implementations: see the modules of this crate.)
///
/// * `append` writes all `events` and the state they lead to in one transaction and returns
///   only after the commit: an acknowledged event is never lost. Each returned event carries the
///   `seq` the log gave it, in order.
/// * `state` is always equal to `AppState::fold(log)` for that (user, app).
/// * History is never rewritten: resets are events (D15).
pub trait ConsentStore {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError>;
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError>;
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError>;
}

/// Placeholder until the store lands.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {}
