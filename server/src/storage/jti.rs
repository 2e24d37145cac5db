//! The `JtiStore` port: replay protection for JWT client assertions (RFC 7523 §3 item 7:
//! "The authorization server MAY ensure that JWTs are not replayed by maintaining the
//! set of used "jti" values for the length of time for which the JWT would be valid";
//! OIDC Core §9 makes `jti` required for `private_key_jwt`).
//!
//! A `jti` is unique per issuer, so records are keyed by (client, jti): two clients
//! that happen to pick the same `jti` do not block each other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::storage::StorageError;

/// Used assertion ids.
#[async_trait]
pub trait JtiStore: Send + Sync {
    /// Records that `client_id` used `jti`, until `expires_at` (the assertion's `exp`).
    /// Returns `true` when this call recorded it, `false` when the pair is already
    /// recorded and its record has not expired at `now` (a replay). An expired record
    /// is replaced. Of any number of concurrent calls for one pair, on any node,
    /// exactly one gets `true`.
    async fn record_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Deletes every record that expired strictly before `before` (the janitor);
    /// returns the number deleted.
    async fn delete_expired_jtis(&self, before: DateTime<Utc>) -> Result<u64, StorageError>;
}

/// The key a (client, jti) pair is stored under: hex SHA-256 of both, length-prefixed
/// so that no two pairs share a key, and bounded in length whatever the client sent.
pub fn jti_key(client_id: &str, jti: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update((client_id.len() as u64).to_be_bytes());
    hasher.update(client_id.as_bytes());
    hasher.update(jti.as_bytes());
    // One string written in place (this runs for every DPoP proof and assertion),
    // rather than a string per byte.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(64);
    for byte in hasher.finalize() {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::jti_key;

    /// Keys written by earlier versions must still be found: the key is the lower-case
    /// hex SHA-256 of the length-prefixed pair (value computed with Python's hashlib).
    #[test]
    fn key_is_lower_hex_sha256_of_the_length_prefixed_pair() {
        assert_eq!(
            jti_key("dpop-jkt:abc", "id-1"),
            "5493241176db2b3c7461dfaa56db5244d9e39ce5977d085b2027940f97c58d87"
        );
        assert_ne!(jti_key("ab", "c"), jti_key("a", "bc"));
    }
}
