//! What the service needs from a durable store ([`Backend`]), and what the SQLite and
//! PostgreSQL stores share to keep it: the fold check of `verify` and the two macros that give
//! each store its [`ConsentStore`] impl and its [`Backend`] delegation. A leaf beneath the
//! stores: `sqlite` and `postgres` import it, it imports neither.

use miniperm_consent::{ConsentKey, ConsentStore, StoreError};
use miniperm_core::{AppState, ConsentEvent};

use crate::model::{Batch, Committed, KeyRow, StoredReceipt, Versioned};

/// The first half of a SQL store's `verify`: every (user, app) of `pairs` holds the fold of its
/// log.
pub(crate) fn check_folds<S: ConsentStore + ?Sized>(
    store: &mut S,
    pairs: &[(String, String)],
) -> Result<(), StoreError> {
    for (user, app) in pairs {
        let log = store.log(user, app)?;
        if store.state(user, app)? != AppState::fold(&log) {
            return Err(StoreError::Inconsistent {
                user: user.clone(),
                app: app.clone(),
            });
        }
    }
    Ok(())
}

/// The [`ConsentStore`] of a [`Backend`]: every call is the backend's `*_in` method for its
/// current tenant ([`Backend::tenant`]). The SQLite and PostgreSQL stores both use it.
macro_rules! consent_store_of_backend {
    ($store:ty) => {
        impl miniperm_consent::ConsentStore for $store {
            fn append(
                &mut self,
                events: Vec<miniperm_core::ConsentEvent>,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, miniperm_consent::StoreError> {
                if events.is_empty() {
                    return Ok(events);
                }
                let tenant = $crate::backend::Backend::tenant(self).to_string();
                let mut out =
                    $crate::backend::Backend::append_batches_in(self, vec![(tenant, events)])?;
                Ok(out.pop().unwrap_or_default())
            }

            fn append_batches(
                &mut self,
                batches: Vec<Vec<miniperm_core::ConsentEvent>>,
            ) -> Result<Vec<Vec<miniperm_core::ConsentEvent>>, miniperm_consent::StoreError> {
                let tenant = $crate::backend::Backend::tenant(self).to_string();
                let batches = batches.into_iter().map(|b| (tenant.clone(), b)).collect();
                $crate::backend::Backend::append_batches_in(self, batches)
            }

            fn update(
                &mut self,
                user: &str,
                app: &str,
                changes: &mut dyn FnMut(
                    &miniperm_core::AppState,
                ) -> Vec<miniperm_core::ConsentEvent>,
            ) -> Result<
                (miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>),
                miniperm_consent::StoreError,
            > {
                let tenant = $crate::backend::Backend::tenant(self).to_string();
                let key = miniperm_consent::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::backend::Backend::update_in(self, key, changes)
            }

            fn state(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<miniperm_core::AppState, miniperm_consent::StoreError> {
                let tenant = $crate::backend::Backend::tenant(self).to_string();
                let key = miniperm_consent::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::backend::Backend::state_in(self, key)
            }

            fn log(
                &mut self,
                user: &str,
                app: &str,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, miniperm_consent::StoreError> {
                let tenant = $crate::backend::Backend::tenant(self).to_string();
                let key = miniperm_consent::ConsentKey {
                    tenant: &tenant,
                    app,
                    user,
                };
                $crate::backend::Backend::log_in(self, key)
            }
        }
    };
}
pub(crate) use consent_store_of_backend;

/// The [`Backend`] impl of a store whose inherent methods carry the same names: each trait
/// method calls the inherent one. `$extra` holds what differs between stores (the change signal,
/// the description, another handle, overridden defaults).
macro_rules! backend_by_inherent {
    ($store:ty, { $($extra:tt)* }) => {
        impl $crate::backend::Backend for $store {
            fn state_in(
                &mut self,
                key: miniperm_consent::ConsentKey<'_>,
            ) -> Result<miniperm_core::AppState, miniperm_consent::StoreError> {
                <$store>::state_in(self, key)
            }
            fn log_in(
                &mut self,
                key: miniperm_consent::ConsentKey<'_>,
            ) -> Result<Vec<miniperm_core::ConsentEvent>, miniperm_consent::StoreError> {
                <$store>::log_in(self, key)
            }
            fn update_in(
                &mut self,
                key: miniperm_consent::ConsentKey<'_>,
                changes: &mut dyn FnMut(&miniperm_core::AppState) -> Vec<miniperm_core::ConsentEvent>,
            ) -> Result<(miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>), miniperm_consent::StoreError>
            {
                <$store>::update_in(self, key, changes)
            }
            fn append_batches_in(
                &mut self,
                batches: Vec<(String, Vec<miniperm_core::ConsentEvent>)>,
            ) -> Result<Vec<Vec<miniperm_core::ConsentEvent>>, miniperm_consent::StoreError> {
                <$store>::append_batches_in(self, batches)
            }
            fn put_manifest_in(
                &mut self,
                tenant: &str,
                app: &str,
                body: &str,
                at: i64,
            ) -> Result<(), miniperm_consent::StoreError> {
                <$store>::put_manifest_in(self, tenant, app, body, at)
            }
            fn manifest_in(
                &mut self,
                tenant: &str,
                app: &str,
            ) -> Result<Option<String>, miniperm_consent::StoreError> {
                <$store>::manifest_in(self, tenant, app)
            }
            fn insert_key(&mut self, key: &$crate::model::KeyRow) -> Result<(), miniperm_consent::StoreError> {
                <$store>::insert_key(self, key)
            }
            fn keys(&mut self) -> Result<Vec<$crate::model::KeyRow>, miniperm_consent::StoreError> {
                <$store>::keys(self)
            }
            fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, miniperm_consent::StoreError> {
                <$store>::revoke_key(self, id, at)
            }
            fn tenant(&self) -> &str {
                <$store>::tenant(self)
            }
            fn set_tenant(&mut self, tenant: &str) {
                <$store>::set_tenant(self, tenant);
            }
            fn last_seq(&mut self) -> Result<u64, miniperm_consent::StoreError> {
                <$store>::last_seq(self)
            }
            fn pairs(&mut self) -> Result<Vec<(String, String)>, miniperm_consent::StoreError> {
                <$store>::pairs(self)
            }
            fn verify(&mut self) -> Result<usize, miniperm_consent::StoreError> {
                <$store>::verify(self)
            }
            fn schema_version(&mut self) -> Result<i64, miniperm_consent::StoreError> {
                <$store>::schema_version(self)
            }
            fn append_receipted(
                &mut self,
                batches: Vec<$crate::model::Batch>,
            ) -> Result<$crate::model::Versioned<Vec<$crate::model::Committed>>, miniperm_consent::StoreError> {
                <$store>::append_receipted(self, batches)
            }
            fn receipt_in(
                &mut self,
                tenant: &str,
                key: &str,
            ) -> Result<Option<$crate::model::StoredReceipt>, miniperm_consent::StoreError> {
                <$store>::receipt_in(self, tenant, key)
            }
            $($extra)*
        }
    };
}
pub(crate) use backend_by_inherent;

/// What the service (and the conformance tests) need from a durable store: the
/// [`ConsentStore`] contract for every tenant, group commit across tenants, and the API keys.
/// [`SqliteStore`] and [`PgStore`] implement it with the same meaning.
///
/// [`SqliteStore`]: crate::SqliteStore
/// [`PgStore`]: crate::PgStore
pub trait Backend: ConsentStore + Send {
    /// The state of one (tenant, app, user).
    fn state_in(&mut self, key: ConsentKey<'_>) -> Result<AppState, StoreError>;
    /// The consent log of one (tenant, app, user).
    fn log_in(&mut self, key: ConsentKey<'_>) -> Result<Vec<ConsentEvent>, StoreError>;
    /// [`ConsentStore::update`] for the key's tenant.
    fn update_in(
        &mut self,
        key: ConsentKey<'_>,
        changes: &mut dyn FnMut(&AppState) -> Vec<ConsentEvent>,
    ) -> Result<(AppState, Vec<ConsentEvent>), StoreError>;
    /// Group commit across tenants: every `(tenant, batch)` in ONE transaction; each batch
    /// comes back with its `seq`s. All or nothing.
    fn append_batches_in(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<Vec<Vec<ConsentEvent>>, StoreError>;
    /// [`Backend::append_batches_in`], with the [`Backend::data_version`] seen just before the
    /// batch's writes. SQLite reads it inside the write transaction, so no other commit can fall
    /// between the two (and it costs no read transaction of its own).
    #[allow(clippy::type_complexity)]
    fn append_batches_versioned(
        &mut self,
        batches: Vec<(String, Vec<ConsentEvent>)>,
    ) -> Result<(Result<Option<i64>, StoreError>, Vec<Vec<ConsentEvent>>), StoreError> {
        let version = self.data_version();
        Ok((version, self.append_batches_in(batches)?))
    }
    /// Group commit with receipts: every batch in ONE transaction, like
    /// [`Backend::append_batches_versioned`]. A batch whose receipt's key is already stored
    /// (committed earlier, or by an earlier batch of this transaction) writes nothing and comes
    /// back as [`Committed::Duplicate`]; the look happens inside the write transaction, under
    /// the store's writer lock, so no two commits can both store a key. All or nothing.
    fn append_receipted(
        &mut self,
        batches: Vec<Batch>,
    ) -> Result<Versioned<Vec<Committed>>, StoreError>;
    /// The receipt stored under (`tenant`, `key`), if any.
    fn receipt_in(&mut self, tenant: &str, key: &str) -> Result<Option<StoredReceipt>, StoreError>;
    /// Every (tenant, app, user) with rows in the store (its `apps` row: every one that ever had
    /// an event has one), read in one read transaction: `sized` gets their number first, then
    /// `each` gets each one. False when the store does not list them (PostgreSQL, where the
    /// service caches nothing).
    fn known_keys(
        &mut self,
        sized: &mut dyn FnMut(u64),
        each: &mut dyn FnMut(ConsentKey<'_>),
    ) -> Result<bool, StoreError> {
        let _ = (sized, each);
        Ok(false)
    }
    /// Stores (or replaces) the declarations of `app` for `tenant` (a JSON document).
    fn put_manifest_in(
        &mut self,
        tenant: &str,
        app: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// The declarations stored for (`tenant`, `app`), if any.
    fn manifest_in(&mut self, tenant: &str, app: &str) -> Result<Option<String>, StoreError>;
    /// A number that moves when ANOTHER connection or process commits (SQLite's
    /// `PRAGMA data_version`), for caches in front of the store; `None` when the store has no
    /// such signal (PostgreSQL), and then nothing may be cached.
    fn data_version(&mut self) -> Result<Option<i64>, StoreError>;
    /// Stores a new API key.
    fn insert_key(&mut self, key: &KeyRow) -> Result<(), StoreError>;
    /// Every key, oldest first.
    fn keys(&mut self) -> Result<Vec<KeyRow>, StoreError>;
    /// Marks key `id` revoked at `at`; false when no unrevoked key has that id.
    fn revoke_key(&mut self, id: &str, at: i64) -> Result<bool, StoreError>;
    /// The tenant the [`ConsentStore`] methods act as.
    fn tenant(&self) -> &str;
    /// Makes the [`ConsentStore`] methods act as `tenant`.
    fn set_tenant(&mut self, tenant: &str);
    /// The `seq` of the newest event of any tenant (0 when empty).
    fn last_seq(&mut self) -> Result<u64, StoreError>;
    /// Every (user, app) of the current tenant with events, sorted bytewise.
    fn pairs(&mut self) -> Result<Vec<(String, String)>, StoreError>;
    /// Checks state = fold(log) for every pair of the current tenant; how many were checked.
    fn verify(&mut self) -> Result<usize, StoreError>;
    /// The schema version recorded in the database.
    fn schema_version(&mut self) -> Result<i64, StoreError>;
    /// Runs the store's housekeeping off this handle's commits where the store has any
    /// (SQLite: WAL checkpoints on a thread of their own, [`SqliteStore::checkpoint_in_background`]),
    /// so that no commit of this handle waits for it. The service's writer asks for it.
    ///
    /// [`SqliteStore::checkpoint_in_background`]: crate::SqliteStore::checkpoint_in_background
    fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Where the store is: a file, or a URL without its password.
    fn describe(&self) -> String;
    /// Another handle on the same store, for another thread: a new connection to the SQLite
    /// file; a clone sharing the PostgreSQL pool.
    fn another(&self) -> Result<Box<dyn Backend>, StoreError>;
}
