//! API keys: random secrets shown once, kept as their SHA-256 (hex) in the store's `keys` table.

use miniperm_store::{Backend, KeyRow, StoreError};
use sha2::{Digest, Sha256};

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
