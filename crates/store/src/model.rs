//! What the durable stores keep and hand back besides consent events, shared by both: the
//! default tenant, API key rows, receipts and a group commit's batches and outcomes. A leaf:
//! the stores, [`Backend`](crate::Backend) and the crate root import it.

use miniperm_consent::StoreError;
use miniperm_core::ConsentEvent;

/// The tenant the CLI's own commands act as.
pub const DEFAULT_TENANT: &str = "dev";

/// One API key as stored: the secret itself is never kept, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub tenant: String,
    /// Lowercase hex SHA-256 of the secret.
    pub hash: String,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    pub revoked: Option<i64>,
}

/// What a keyed request answered, kept with the decision it made in the same transaction: a
/// retry of the request (after an answer that never arrived: a 5xx, a dropped connection, a
/// failover) learns from it what was committed, and a decision is never made twice.
///
/// Receipts are keyed by (tenant, `key`) and never change once written (the table refuses
/// UPDATE and DELETE, like the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Unique per tenant. The service writes `prompt:ID` for a prompt's answer and `key:K` for
    /// a request carrying `Idempotency-Key: K`.
    pub key: String,
    /// What the request asked (its route, target and body, normalised), so that a different
    /// request under the same key is told apart from a repeat.
    pub fingerprint: String,
    /// The (user, app) the decision is about.
    pub user: String,
    pub app: String,
    /// The answer as first sent: HTTP status and body.
    pub status: u16,
    pub body: String,
    /// When the request was decided (milliseconds since the Unix epoch, the service's clock).
    pub at: i64,
}

/// A [`Receipt`] read back, with the `seq`s its decision's events got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReceipt {
    pub receipt: Receipt,
    /// First and last `seq` of the decision's events; `None` when it changed nothing.
    pub seqs: Option<(u64, u64)>,
}

/// One caller's part of a group commit: its events and, for a keyed request, its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub tenant: String,
    pub events: Vec<ConsentEvent>,
    pub receipt: Option<Receipt>,
}

/// What became of one [`Batch`] of a group commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Its events were appended (with their `seq`s) and its receipt, if any, stored.
    Appended(Vec<ConsentEvent>),
    /// Its receipt's key was already stored (by an earlier commit, or earlier in the same
    /// one): nothing of this batch was written; the first receipt is returned instead.
    Duplicate(StoredReceipt),
}

/// A group commit's outcome with the [`Backend::data_version`] seen just before its writes.
///
/// [`Backend::data_version`]: crate::Backend::data_version
pub type Versioned<T> = (Result<Option<i64>, StoreError>, T);

/// The `seq`s of a batch's stored events, first and last.
pub(crate) fn seq_range(events: &[ConsentEvent]) -> Option<(u64, u64)> {
    Some((events.first()?.seq, events.last()?.seq))
}
