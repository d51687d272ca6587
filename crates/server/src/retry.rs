//! Retries that tell the truth (issue 21). A request whose answer never arrived (a 5xx, a
//! dropped connection, a failover of the database) is safe to repeat as is:
//!
//! * a prompt's answer is keyed by the prompt's id (`prompt:ID`); the writer stores its
//!   [`miniperm_store::Receipt`] (what was answered, the status and body sent) in the
//!   transaction of the decision, so the decision and its receipt commit together or not at all;
//! * a request without a natural id (authorize, a settings-session PATCH, DELETE of settings)
//!   takes an `Idempotency-Key` header (`key:K`), with the same meaning;
//! * a repeat first looks the key up in the store (on PostgreSQL through a fresh connection of
//!   the pool: the current primary); found, it answers the first body again, or 409 when the
//!   repeat asks for something else. Not found, it decides again, and the writer looks the key
//!   up once more inside its own transaction, under the store's writer lock, so an attempt that
//!   was still in flight cannot make the decision twice ([`miniperm_store::Committed`]).
//!
//! [`KeyLocks`] serialises the attempts of one key within this process (a retry waits for an
//! attempt still running).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

/// The header a host sends with a request that has no natural id.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Longest `Idempotency-Key` accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The `Idempotency-Key` of a request, if it sent one (checked: 1 to [`MAX_KEY_LEN`] visible
/// ASCII characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdemKey, ApiError> {
        let Some(v) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(IdemKey(None));
        };
        let bad = || {
            ApiError::BadRequest(format!(
                "bad `Idempotency-Key`: 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
        };
        let s = v.to_str().map_err(|_| bad())?;
        if s.is_empty() || s.len() > MAX_KEY_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad());
        }
        Ok(IdemKey(Some(s.to_string())))
    }
}

/// The receipt key of a prompt's answer.
pub fn prompt_key(id: &str) -> String {
    format!("prompt:{id}")
}

/// The receipt key of a request sent with `Idempotency-Key: key`.
pub fn idem_key(key: &str) -> String {
    format!("key:{key}")
}

/// The family of a prompt's answer, as its receipt records it: `allow` (allow, agree), `deny`
/// (deny, disagree) or `dismiss`. A repeat with an answer of the same family is the same
/// answer.
pub fn answer_family(answer: &str) -> Option<&'static str> {
    match answer {
        "allow" | "agree" => Some("allow"),
        "deny" | "disagree" => Some("deny"),
        "dismiss" => Some("dismiss"),
        _ => None,
    }
}

/// A key's mutex and how many hold or wait for it.
type Slot = (Arc<tokio::sync::Mutex<()>>, usize);

/// One async mutex per key in use; entries go when no one holds or waits for them.
#[derive(Default)]
pub struct KeyLocks {
    map: Mutex<HashMap<String, Slot>>,
}

/// Held while one attempt of a key runs.
pub struct KeyGuard {
    _held: tokio::sync::OwnedMutexGuard<()>,
    _ticket: Ticket,
}

/// A place in a key's queue: released on drop, also when the waiting future is dropped.
struct Ticket {
    locks: Arc<KeyLocks>,
    key: String,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut m) = self.locks.map.lock()
            && let Some(e) = m.get_mut(&self.key)
        {
            e.1 -= 1;
            if e.1 == 0 {
                m.remove(&self.key);
            }
        }
    }
}

impl KeyLocks {
    /// Waits until no other attempt of (`tenant`, `key`) runs in this process.
    pub async fn lock(self: &Arc<Self>, tenant: &str, key: &str) -> Result<KeyGuard, ApiError> {
        let full = format!("{}:{tenant}{key}", tenant.len());
        let mutex = {
            let mut m = self.map.lock().map_err(|_| ApiError::Unavailable)?;
            let e = m
                .entry(full.clone())
                .or_insert_with(|| (Arc::new(tokio::sync::Mutex::new(())), 0));
            e.1 += 1;
            e.0.clone()
        };
        let ticket = Ticket {
            locks: self.clone(),
            key: full,
        };
        let held = mutex.lock_owned().await;
        Ok(KeyGuard {
            _held: held,
            _ticket: ticket,
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn one_attempt_per_key_and_entries_go_when_released() {
        let locks = Arc::new(KeyLocks::default());
        let a = locks.lock("t", "prompt:p_1").await.unwrap();
        // Another key and the same key of another tenant are free.
        let b = locks.lock("t", "prompt:p_2").await.unwrap();
        let c = locks.lock("u", "prompt:p_1").await.unwrap();
        // The same key waits until the first is released.
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("t", "prompt:p_1").await.map(drop) })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(a);
        waiting.await.unwrap().unwrap();
        drop((b, c));
        assert_eq!(locks.len(), 0);
        // A waiter dropped while waiting leaves nothing behind either.
        let held = locks.lock("t", "k").await.unwrap();
        let fut = Box::pin(locks.lock("t", "k"));
        let polled = futures_util::FutureExt::now_or_never(fut);
        assert!(polled.is_none());
        drop(held);
        assert_eq!(locks.len(), 0);
    }

    #[test]
    fn answers_of_one_family_are_one_answer() {
        assert_eq!(answer_family("agree"), answer_family("allow"));
        assert_eq!(answer_family("disagree"), Some("deny"));
        assert_eq!(answer_family("maybe"), None);
    }
}
