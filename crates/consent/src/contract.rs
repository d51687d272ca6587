//! The contract every store keeps: [`ConsentStore`] and [`make_truthful`], how a store makes an
//! event agree with the state it holds.

use miniperm_core::{AppState, ConsentEvent};

use crate::error::StoreError;

/// The contract every store keeps. (Implementations: [`MemoryStore`] here; `SqliteStore` and
/// `PgStore` in `miniperm-store`.)
///
/// * `append` writes all `events` and the state they lead to in one transaction and returns
///   only after the commit: an acknowledged event is never lost. Each returned event carries the
///   `seq` the log gave it, in order.
/// * `state` is always equal to `AppState::fold(log)` for that (user, app).
/// * History is never rewritten: resets are events (D15).
/// * The log tells the truth: `append` re-derives each event's `from` from the state it holds
///   inside its transaction (so a writer that read the state earlier cannot log a `from` that
///   contradicts the previous event's `to`), and clamps `at` so that `at` never decreases as
///   `seq` grows (the store's clock, not the caller's, orders the log).
///
/// [`MemoryStore`]: crate::MemoryStore
pub trait ConsentStore {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError>;
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError>;
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError>;

    /// Reads the state of one (user, app) and appends the events `changes` computes from it, in
    /// ONE write transaction: no other writer can change the state between the read and the
    /// write. Returns the state that was read and the stored events.
    ///
    /// The default reads then appends; it is correct for stores only one caller can reach at a
    /// time (`&mut self` of a [`MemoryStore`]). `SqliteStore` overrides it with an IMMEDIATE
    /// transaction, since other processes may write the same file.
    ///
    /// [`MemoryStore`]: crate::MemoryStore
    fn update(
        &mut self,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        let state = self.state(user, app)?;
        let events = changes(&state);
        Ok((state, self.append(events)?))
    }

    /// Group commit: appends several batches (for example the decisions of several callers that
    /// queued behind one writer) in ONE transaction, and returns each batch with its `seq`s, in
    /// order. Either every batch is committed or none is.
    ///
    /// The default concatenates the batches into one [`append`](ConsentStore::append), which
    /// already is one transaction.
    fn append_batches(
        &mut self,
        batches: Vec<Vec<ConsentEvent>>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        let lens: Vec<usize> = batches.iter().map(Vec::len).collect();
        let mut all = self
            .append(batches.into_iter().flatten().collect())?
            .into_iter();
        Ok(lens
            .into_iter()
            .map(|n| all.by_ref().take(n).collect())
            .collect())
    }
}

impl<S: ConsentStore + ?Sized> ConsentStore for Box<S> {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError> {
        (**self).append(events)
    }
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError> {
        (**self).state(user, app)
    }
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError> {
        (**self).log(user, app)
    }
    fn append_batches(
        &mut self,
        batches: Vec<Vec<ConsentEvent>>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        (**self).append_batches(batches)
    }
    fn update(
        &mut self,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        (**self).update(user, app, changes)
    }
}

/// Makes an event agree with the state it is applied to: `from` becomes what `state` holds for
/// the event's subject (a reset, subject `*`, keeps its `from`), and `at` is raised to `last_at`
/// when it is earlier. Returns the event's `at` after clamping (the next event's `last_at`).
pub fn make_truthful(state: &AppState, e: &mut ConsentEvent, last_at: i64) -> i64 {
    use miniperm_core::{Subject, Value};
    match e.scope {
        Subject::Scope(s) => e.from = state.scope(s),
        Subject::Os(p) => e.from = state.os(p),
        Subject::Privacy(t) => {
            e.from = if state.privacy_granted(t) {
                Value::Granted
            } else if e.from == Value::Granted {
                Value::Unset
            } else {
                e.from
            };
        }
        Subject::All => {}
    }
    e.at = e.at.max(last_at);
    e.at
}
