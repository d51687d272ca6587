//! miniperm's consent-store contract, without a database: the [`ConsentStore`] trait every store
//! keeps, [`ConsentKey`] (whose consent: one tenant's app and user), [`StoreError`],
//! [`make_truthful`] (how a store makes an event agree with the state it holds) and
//! [`MemoryStore`] (plain maps, for tests, `--ephemeral` and the explorer).
//!
//! The runtime and the explorer depend on this crate only, so they build without SQLite,
//! PostgreSQL or an async runtime; `miniperm-store` adds the durable stores (SQLite,
//! PostgreSQL) and re-exports everything here.
#![forbid(unsafe_code)]

mod contract;
mod error;
mod memory;

use miniperm_core::ConsentEvent;

pub use contract::{ConsentStore, make_truthful};
pub use error::{DriverError, StoreError};
pub use memory::MemoryStore;

/// Milliseconds since the Unix epoch by this host's wall clock (0 before 1970): the one clock
/// consent events are stamped with (a store then keeps `at` monotonic with `seq`). Core has no
/// clock (its callers pass `now`); the runtime's default `RunConfig::stamp`, the service and the
/// CLI all read this one.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whose consent: one user of one app of one tenant. Every call that names a state, a log or a
/// cache slot across tenants takes this key, never three strings (their order is a swap that
/// compiles). Borrowed and `Copy`: building one costs nothing.
///
/// [`ConsentStore`] acts within one tenant (the store's own), so it takes the app and user only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConsentKey<'a> {
    pub tenant: &'a str,
    pub app: &'a str,
    pub user: &'a str,
}

impl<'a> ConsentKey<'a> {
    /// The key of `event` (which names its app and user) in `tenant`.
    pub fn of_event(tenant: &'a str, event: &'a ConsentEvent) -> ConsentKey<'a> {
        ConsentKey {
            tenant,
            app: &event.app,
            user: &event.user,
        }
    }
}
