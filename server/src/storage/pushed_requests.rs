//! The `PushedRequestStore` port: authorization requests pushed to `/oauth2/par`
//! (RFC 9126 §2), kept until their `request_uri` is used once at the authorization
//! endpoint or expires (§2.2: "the request_uri … MUST be bound to the client that
//! posted the authorization request"; §4: single use is RECOMMENDED, and Portunus
//! makes it so).
//!
//! A request is stored under a key derived from the random part of its `request_uri`
//! ([`pushed_request_key`]), so the stored rows cannot be turned back into usable
//! `request_uri`s.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::storage::StorageError;

/// A validated authorization request as pushed: its effective parameters (a request
/// object already resolved into them), the client it is bound to, and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequest {
    pub client_id: String,
    /// The name/value pairs of the request, in order.
    pub parameters: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// Pushed authorization requests, each used at most once.
#[async_trait]
pub trait PushedRequestStore: Send + Sync {
    /// Stores `request` under `key` (a fresh random key: a clash is a `Conflict`).
    async fn push_request(&self, key: &str, request: &PushedRequest) -> Result<(), StorageError>;

    /// Takes the request stored under `key` for `client_id`: returns it and removes it
    /// when it exists, belongs to `client_id`, and has not expired at `now`. An expired
    /// request is removed and `None`; a request of another client stays and is `None`.
    /// Of any number of concurrent calls for one key, on any node, at most one gets
    /// `Some`.
    async fn take_pushed_request(
        &self,
        key: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PushedRequest>, StorageError>;

    /// Deletes every request that expired strictly before `before` (the janitor);
    /// returns the number deleted.
    async fn delete_expired_pushed_requests(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StorageError>;
}

/// The storage key of a `request_uri`'s random reference: hex SHA-256, so the key is
/// bounded in length and a copy of the table holds no usable `request_uri`.
pub fn pushed_request_key(reference: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(reference.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
