//! API keys: random secrets shown once, kept as their SHA-256 (hex) in the store's `keys` table;
//! the [`Tenant`] a checked key acts as; the service's other random ids ([`new_id`]).

use miniperm_store::{Backend, KeyRow, StoreError, now_ms};
use sha2::{Digest, Sha256};

/// The tenant a request acts as, set by the key check (`crate::gate`).
#[derive(Debug, Clone)]
pub struct Tenant(pub String);

/// A fresh random id with a prefix (`p_…` prompts, `s_…` sessions).
pub(crate) fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 12];
    if getrandom::fill(&mut raw).is_err() {
        // No OS randomness: fall back to time and a counter (ids only need to be unique).
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return format!("{prefix}{:x}{n:x}", now_ms());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// Lowercase hex SHA-256 of a secret: what the store keeps.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Errors of key management.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error("invalid tenant `{0}`: use 1-64 letters, digits, `-` or `_`")]
    BadTenant(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// True for a usable tenant name.
pub fn valid_tenant(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 64
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Creates a key for `tenant` at time `now` (ms); returns the stored row and the secret, which
/// exists nowhere else afterwards.
pub fn create_key(
    store: &mut dyn Backend,
    tenant: &str,
    now: i64,
) -> Result<(KeyRow, String), KeyError> {
    if !valid_tenant(tenant) {
        return Err(KeyError::BadTenant(tenant.to_string()));
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| KeyError::Random(e.to_string()))?;
    let secret = format!("mpk_{}", hex(&raw));
    let row = KeyRow {
        id: format!("key_{}", &hash_secret(&secret)[..12]),
        tenant: tenant.to_string(),
        hash: hash_secret(&secret),
        created: now,
        revoked: None,
    };
    store.insert_key(&row)?;
    Ok((row, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_and_unique() {
        let mut s = miniperm_store::SqliteStore::open_in_memory().unwrap();
        let (a, sa) = create_key(&mut s, "acme", 1).unwrap();
        let (b, sb) = create_key(&mut s, "acme", 2).unwrap();
        assert_ne!(sa, sb);
        assert_ne!(a.id, b.id);
        assert_eq!(a.hash, hash_secret(&sa));
        assert!(!a.hash.contains(&sa[4..]));
        assert_eq!(hex(&[0x00, 0x9f, 0xa0]), "009fa0");
        assert!(matches!(
            create_key(&mut s, "a b", 3),
            Err(KeyError::BadTenant(_))
        ));
    }
}
