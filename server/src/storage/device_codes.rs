//! The `DeviceCodeStore` port: device authorizations of the device flow (RFC 8628 §3.2)
//! from the device authorization request until their device code is redeemed once or
//! expires, and the per-challenge count of user-code attempts (§5.1, brute force).
//!
//! Neither code is stored: a device authorization is keyed by the hex SHA-256 of its
//! device code (256 random bits, [`device_code_key`]) and found by the user under the
//! HMAC of its normalized user code (a short code, so the hash is keyed: a copy of the
//! table gives no code away). Lookups are by these keys, so the time a lookup takes
//! says nothing about how close a guess was.
//!
//! State changes are compare-and-set: of concurrent callers moving one authorization
//! out of a state, exactly one succeeds, on every backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::storage::StorageError;

/// Where a device authorization is in its life (RFC 8628 §3.3 – §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeState {
    /// Waiting for the user to enter the user code (`authorization_pending`).
    Pending,
    /// The user code was accepted; login and consent are under way
    /// (`authorization_pending`). A user code is accepted once.
    Verifying,
    /// The user consented; the next poll that is not too fast gets the tokens.
    Approved,
    /// The login or consent app refused (`access_denied`).
    Denied,
    /// The tokens were issued; the device code is spent.
    Used,
}

impl DeviceCodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verifying => "verifying",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Used => "used",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Verifying,
            Self::Approved,
            Self::Denied,
            Self::Used,
        ]
        .into_iter()
        .find(|state| state.as_str() == value)
    }
}

/// One device authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// [`device_code_key`] of the device code: the primary key.
    pub device_code_key: String,
    /// The keyed hash of the normalized user code: unique among stored rows.
    pub user_code_key: String,
    pub client_id: String,
    pub requested_scope: Vec<String>,
    pub requested_audience: Vec<String>,
    /// RFC 9396 `authorization_details` of the request (types the client may use),
    /// shown to the consent app as `requested_authorization_details`.
    pub requested_authorization_details: Vec<serde_json::Value>,
    pub state: DeviceCodeState,
    /// What the user granted (subject, scope, claims), sealed to the row by the
    /// server; set when the authorization is approved.
    pub approval: Option<String>,
    /// The polling interval the client must keep, in seconds (§3.2 `interval`); grows
    /// by 5 with every `slow_down` (§3.5).
    pub interval_secs: i64,
    /// The earliest time of a poll that is not too fast.
    pub next_poll_at: DateTime<Utc>,
    /// Polls recorded so far: the version [`DeviceCodeStore::record_poll`] compares.
    pub polls: i64,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Device authorizations and user-code attempts.
#[async_trait]
pub trait DeviceCodeStore: Send + Sync {
    /// Stores a new device authorization. A clash of either key (another row with the
    /// same user code key) is a `Conflict`; the caller draws a new user code.
    async fn insert_device_authorization(
        &self,
        authorization: &DeviceAuthorization,
    ) -> Result<(), StorageError>;

    /// The authorization of a device code key, in whatever state, expired or not.
    async fn get_device_authorization(
        &self,
        device_code_key: &str,
    ) -> Result<Option<DeviceAuthorization>, StorageError>;

    /// The authorization stored under any of `user_code_keys` (one per configured
    /// secret), in whatever state, expired or not.
    async fn find_device_authorization_by_user_code(
        &self,
        user_code_keys: &[String],
    ) -> Result<Option<DeviceAuthorization>, StorageError>;

    /// Moves the authorization from `from` to `to`, setting `approval` when it is
    /// `Some`; `true` for the one caller that moved it, `false` when it was not in
    /// `from` (or does not exist).
    async fn transition_device_authorization(
        &self,
        device_code_key: &str,
        from: DeviceCodeState,
        to: DeviceCodeState,
        approval: Option<&str>,
    ) -> Result<bool, StorageError>;

    /// Records a poll seen at version `polls`: sets the interval and the next allowed
    /// poll time and advances the version; `false` when another poll was recorded
    /// since `polls` was read (of concurrent polls one is recorded).
    async fn record_poll(
        &self,
        device_code_key: &str,
        polls: i64,
        interval_secs: i64,
        next_poll_at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Spends one of the `max` user-code attempts of a device challenge, which lives
    /// until `expires_at`: `true` when an attempt was left. Of concurrent callers at
    /// most `max` in all get `true`, on every node.
    async fn take_user_code_attempt(
        &self,
        challenge_id: &str,
        max: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Deletes every authorization and attempt count that expired strictly before
    /// `before` (the janitor); returns the number of rows deleted.
    async fn delete_expired_device_codes(&self, before: DateTime<Utc>)
    -> Result<u64, StorageError>;
}

/// The storage key of a device code: hex SHA-256. A device code carries 256 random
/// bits, so an unkeyed hash is as good as a keyed one (as for generated client secrets).
pub fn device_code_key(device_code: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(device_code.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
