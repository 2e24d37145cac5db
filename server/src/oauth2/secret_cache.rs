//! A bounded in-process cache of successful client secret verifications (DESIGN §5),
//! so that the slow KDF (Argon2id, for operator-chosen secrets) runs once per client and
//! process rather than on every token request.
//!
//! An entry is keyed by (client id, stored secret hash) and holds an HMAC of the secret
//! that verified (never the secret). A later request hits only if the HMAC of its
//! presented secret equals the entry, compared in constant time. A changed secret has a
//! different stored hash, so it never meets a stale entry; a wrong secret always falls
//! through to the real verification. When the cache is full it is cleared (simple, and
//! bounded; a burst of re-verifications after clearing is the whole cost).
//!
//! Slow verifications also take turns here (`slow_turn`): a burst of first requests of
//! one client then costs one KDF run, not one per request, since each waiter checks the
//! cache again when its turn comes; and the KDF's memory is held once (`argon2id.rs`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use subtle::ConstantTimeEq;

use crate::secrets::{KeyRing, Purpose};

/// Entries kept before the cache is cleared.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// (client id, stored secret hash) → HMAC of the verified secret.
pub struct SecretCache {
    capacity: usize,
    entries: Mutex<HashMap<(String, String), [u8; 32]>>,
    slow: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretCache({} entries max)", self.capacity)
    }
}

impl Default for SecretCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl SecretCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            slow: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits until no other slow verification runs (fair: first come, first served).
    pub async fn slow_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.slow.lock().await
    }

    /// A panic cannot leave the map half-written (each use is one map call).
    fn entries(&self) -> MutexGuard<'_, HashMap<(String, String), [u8; 32]>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn mac(keys: &KeyRing, secret: &str) -> Option<[u8; 32]> {
        keys.sign(Purpose::ClientSecretCache, secret.as_bytes())
    }

    /// Whether `secret` verified for this client and stored hash before.
    pub fn contains(&self, keys: &KeyRing, client_id: &str, stored: &str, secret: &str) -> bool {
        let Some(mac) = Self::mac(keys, secret) else {
            return false;
        };
        self.entries()
            .get(&(client_id.to_owned(), stored.to_owned()))
            .is_some_and(|known| known.ct_eq(&mac).into())
    }

    /// Records that `secret` verified against `stored`.
    pub fn insert(&self, keys: &KeyRing, client_id: &str, stored: &str, secret: &str) {
        let Some(mac) = Self::mac(keys, secret) else {
            return;
        };
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert((client_id.to_owned(), stored.to_owned()), mac);
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_only_the_same_secret_and_hash_and_stays_bounded() {
        let keys = KeyRing::new(&["cache-secret-0123456789".to_owned()]);
        let cache = SecretCache::new(2);
        cache.insert(&keys, "a", "hash-1", "s3cret");
        assert!(cache.contains(&keys, "a", "hash-1", "s3cret"));
        assert!(!cache.contains(&keys, "a", "hash-1", "wrong"));
        assert!(!cache.contains(&keys, "a", "hash-2", "s3cret"));
        assert!(!cache.contains(&keys, "b", "hash-1", "s3cret"));
        cache.insert(&keys, "b", "hash-1", "x");
        assert_eq!(cache.len(), 2);
        cache.insert(&keys, "c", "hash-1", "y");
        assert_eq!(cache.len(), 1);
        assert!(cache.contains(&keys, "c", "hash-1", "y"));
    }
}
