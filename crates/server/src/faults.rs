//! Store faults on demand, for tests: the writer's store handle wrapped so that a test decides
//! what the next group commit does. This is how the outcome-unknown case (a commit whose answer
//! never arrived) is forced deterministically instead of waited for.
//!
//! Set [`crate::Config::faults`]; [`Faults::arm`] a [`Fault`]; the next group commit of the
//! service's writer takes it. Everything else passes through to the real store.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use miniperm_core::{AppState, ConsentEvent};
use miniperm_store::{
    Backend, Batch, Committed, ConsentKey, ConsentStore, KeyRow, StoreError, StoredReceipt,
    Versioned,
};

/// What the next group commit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Commits, then reports the store unreachable: the decision is durable but its callers
    /// get a 503, as when a primary dies between its commit and the answer.
    LoseAnswer,
    /// Reports the store unreachable without writing anything.
    FailBeforeCommit,
}

/// The faults armed for the next group commits, in order.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Mutex<VecDeque<Fault>>,
    fired: AtomicUsize,
}

impl Faults {
    /// The next group commit (after those already armed) takes `f`.
    pub fn arm(&self, f: Fault) {
        if let Ok(mut a) = self.armed.lock() {
            a.push_back(f);
        }
    }

    /// How many armed faults have fired.
    pub fn fired(&self) -> usize {
        self.fired.load(Ordering::SeqCst)
    }

    fn take(&self) -> Option<Fault> {
        let f = self.armed.lock().ok()?.pop_front()?;
        self.fired.fetch_add(1, Ordering::SeqCst);
        Some(f)
    }
}

/// A store whose group commits obey [`Faults`].
pub(crate) struct Faulty {
    inner: Box<dyn Backend>,
    faults: std::sync::Arc<Faults>,
}

impl Faulty {
    pub(crate) fn wrap(
        inner: Box<dyn Backend>,
        faults: std::sync::Arc<Faults>,
    ) -> Box<dyn Backend> {
        Box::new(Faulty { inner, faults })
    }

    fn lost(&self, what: &str) -> StoreError {
        StoreError::Unreachable {
            url: self.inner.describe(),
            reason: format!("injected fault: {what}"),
        }
    }
}

impl ConsentStore for Faulty {
    fn append(&mut self, events: Vec<ConsentEvent>) -> Result<Vec<ConsentEvent>, StoreError> {
        self.inner.append(events)
    }
    fn state(&mut self, user: &str, app: &str) -> Result<AppState, StoreError> {
        self.inner.state(user, app)
    }
    fn log(&mut self, user: &str, app: &str) -> Result<Vec<ConsentEvent>, StoreError> {
        self.inner.log(user, app)
    }
}

impl Backend for Faulty {
    fn state_in(&mut self, key: ConsentKey<'_>) -> Result<AppState, StoreError> {
        self.inner.state_in(key)
    }
    fn log_in(&mut self, key: ConsentKey<'_>) -> Result<Vec<ConsentEvent>, StoreError> {
        self.inner.log_in(key)
    }
    fn update_in(
        &mut self,
        key: ConsentKey<'_>,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError> {
        self.inner.update_in(key, changes)
    }
    fn append_batches_in(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError> {
        self.inner.append_batches_in(batches)
    }
    fn append_receipted(
        &mut self,
        batches: Vec<Batch>,
    ) -> Result<Versioned<Vec<Committed>>, StoreError> {
        match self.faults.take() {
            None => self.inner.append_receipted(batches),
            Some(Fault::FailBeforeCommit) => Err(self.lost("the store went away before COMMIT")),
            Some(Fault::LoseAnswer) => {
                let _committed = self.inner.append_receipted(batches)?;
                Err(self.lost("COMMIT was sent and its answer was lost"))
            }
        }
    }
    fn receipt_in(&mut self, tenant: &str, key: &str) -> Result<Option<StoredReceipt>, StoreError> {
        self.inner.receipt_in(tenant, key)
    }
    fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(ConsentKey<'_>),
    ) -> Result<bool, StoreError> {
        self.inner.known_keys(sized, each)
    }
    fn put_manifest_in(
        &mut self,
        tenant: &str,
        app: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.inner.put_manifest_in(tenant, app, body, at)
    }
    fn manifest_in(&mut self, tenant: &str, app: &str) -> Result<Option<String>, StoreError> {
        self.inner.manifest_in(tenant, app)
    }
    fn data_version(&mut self) -> Result<Option<i64>, StoreError> {
        self.inner.data_version()
    }
    fn insert_key(&mut self, key: &KeyRow) -> Result<(), StoreError> {
        self.inner.insert_key(key)
    }
    fn keys(&mut self) -> Result<Vec<KeyRow>, StoreError> {
        self.inner.keys()
    }
    fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, StoreError> {
        self.inner.revoke_key(id, at)
    }
    fn tenant(&self) -> &str {
        self.inner.tenant()
    }
    fn set_tenant(&mut self, tenant: &str) {
        self.inner.set_tenant(tenant);
    }
    fn last_seq(&mut self) -> Result<u64, StoreError> {
        self.inner.last_seq()
    }
    fn pairs(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.pairs()
    }
    fn verify(&mut self) -> Result<usize, StoreError> {
        self.inner.verify()
    }
    fn schema_version(&mut self) -> Result<i64, StoreError> {
        self.inner.schema_version()
    }
    fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        self.inner.checkpoint_in_background()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn another(&self) -> Result<Box<dyn Backend>, StoreError> {
        self.inner.another()
    }
}
