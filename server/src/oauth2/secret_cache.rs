//! Bounded in-process caches of slow (Argon2id) client secret verifications (docs/security.md):
//! the successes, so the KDF runs once per client and process rather than on every
//! token request, and the recent failures, so a flood repeating one wrong secret does
//! not recompute it.
//!
//! [`SecretCache`] (successes): an entry is keyed by (client id, stored secret hash) and
//! holds an HMAC of the secret that verified (never the secret). A later request hits
//! only if the HMAC of its presented secret equals the entry, compared in constant time.
//!
//! [`FailureCache`] (failures): an entry is an HMAC of (client id, stored hash, presented
//! secret) with an expiry a few seconds ahead (`oauth2.client_secret_verification.
//! failure_cache_ttl`). Only a request presenting that same wrong secret to that same
//! client hits it.
//!
//! Both include the stored hash in what they key on: a changed secret has a different
//! stored hash, so it never meets a stale entry of either kind. Both are bounded: when
//! full, expired failures are dropped first, and if that frees nothing the cache is
//! cleared (simple; a burst of re-verifications after clearing is the whole cost).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use subtle::ConstantTimeEq;

use crate::secrets::{KeyRing, Purpose};

/// Entries kept before a cache is cleared.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A panic cannot leave a map half-written (each use is one map call).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// (client id, stored secret hash) → HMAC of the verified secret.
pub struct SecretCache {
    capacity: usize,
    entries: Mutex<HashMap<(String, String), [u8; 32]>>,
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
        }
    }

    fn mac(keys: &KeyRing, secret: &str) -> Option<[u8; 32]> {
        keys.sign(Purpose::ClientSecretCache, secret.as_bytes())
    }

    /// Whether `secret` verified for this client and stored hash before.
    pub fn contains(&self, keys: &KeyRing, client_id: &str, stored: &str, secret: &str) -> bool {
        let Some(mac) = Self::mac(keys, secret) else {
            return false;
        };
        locked(&self.entries)
            .get(&(client_id.to_owned(), stored.to_owned()))
            .is_some_and(|known| known.ct_eq(&mac).into())
    }

    /// Records that `secret` verified against `stored`.
    pub fn insert(&self, keys: &KeyRing, client_id: &str, stored: &str, secret: &str) {
        let Some(mac) = Self::mac(keys, secret) else {
            return;
        };
        let mut entries = locked(&self.entries);
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert((client_id.to_owned(), stored.to_owned()), mac);
    }

    pub fn len(&self) -> usize {
        locked(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        locked(&self.entries).is_empty()
    }
}

/// The HMAC naming one verification, (client id, stored hash, presented secret): the
/// failure cache's key and the in-flight map's (`client_auth::in_flight`). Lengths
/// first, so no two different triples share an encoding, and a label of its own, so it
/// is never the MAC `SecretCache` keeps of a bare secret.
pub fn verification_key(
    keys: &KeyRing,
    client_id: &str,
    stored: &str,
    secret: &str,
) -> Option<[u8; 32]> {
    let mut message = Vec::with_capacity(32 + client_id.len() + stored.len() + secret.len());
    message.extend_from_slice(b"portunus/v1/failed-client-secret\0");
    for part in [client_id, stored] {
        message.extend_from_slice(&(part.len() as u64).to_be_bytes());
        message.extend_from_slice(part.as_bytes());
    }
    message.extend_from_slice(secret.as_bytes());
    keys.sign(Purpose::ClientSecretCache, &message)
}

/// HMAC of (client id, stored hash, presented secret) → when the failure is forgotten.
pub struct FailureCache {
    capacity: usize,
    ttl: TimeDelta,
    entries: Mutex<HashMap<[u8; 32], DateTime<Utc>>>,
}

impl std::fmt::Debug for FailureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FailureCache({} entries max, {}s)",
            self.capacity,
            self.ttl.num_seconds()
        )
    }
}

impl FailureCache {
    /// A cache remembering failures for `ttl`; a zero `ttl` remembers none.
    pub fn new(capacity: usize, ttl: TimeDelta) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `secret` failed to verify for this client and stored hash within the
    /// last `ttl` before `now`.
    pub fn contains(
        &self,
        keys: &KeyRing,
        client_id: &str,
        stored: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(key) = verification_key(keys, client_id, stored, secret) else {
            return false;
        };
        locked(&self.entries)
            .get(&key)
            .is_some_and(|until| now < *until)
    }

    /// Records that `secret` did not verify against `stored` at `now`.
    pub fn insert(
        &self,
        keys: &KeyRing,
        client_id: &str,
        stored: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) {
        if self.ttl <= TimeDelta::zero() {
            return;
        }
        let Some(key) = verification_key(keys, client_id, stored, secret) else {
            return;
        };
        let until = crate::duration::later(now, self.ttl);
        let mut entries = locked(&self.entries);
        if entries.len() >= self.capacity {
            entries.retain(|_, until| now < *until);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, until);
    }

    pub fn len(&self) -> usize {
        locked(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        locked(&self.entries).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> KeyRing {
        KeyRing::new(&["cache-secret-0123456789".to_owned()])
    }

    #[test]
    fn hits_only_the_same_secret_and_hash_and_stays_bounded() {
        let keys = keys();
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

    #[test]
    fn failures_expire_follow_the_stored_hash_and_stay_bounded() {
        let keys = keys();
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let cache = FailureCache::new(2, TimeDelta::seconds(5));
        cache.insert(&keys, "a", "hash-1", "wrong", now);
        assert!(cache.contains(&keys, "a", "hash-1", "wrong", now));
        assert!(cache.contains(&keys, "a", "hash-1", "wrong", now + TimeDelta::seconds(4)));
        assert!(!cache.contains(&keys, "a", "hash-1", "wrong", now + TimeDelta::seconds(5)));
        assert!(
            !cache.contains(&keys, "a", "hash-2", "wrong", now),
            "secret changed"
        );
        assert!(!cache.contains(&keys, "b", "hash-1", "wrong", now));
        assert!(!cache.contains(&keys, "a", "hash-1", "other", now));
        // No ambiguity between where the client id ends and the hash begins.
        cache.insert(&keys, "ab", "c", "s", now);
        assert!(!cache.contains(&keys, "a", "bc", "s", now));
        // Full: expired entries go first, then everything.
        let later = now + TimeDelta::seconds(10);
        cache.insert(&keys, "c", "hash-1", "x", later);
        assert_eq!(cache.len(), 1);
        cache.insert(&keys, "d", "hash-1", "y", later);
        cache.insert(&keys, "e", "hash-1", "z", later);
        assert_eq!(cache.len(), 1);
        assert!(cache.contains(&keys, "e", "hash-1", "z", later));

        let off = FailureCache::new(10, TimeDelta::zero());
        off.insert(&keys, "a", "hash-1", "wrong", now);
        assert!(off.is_empty());
    }
}
