//! The `JsonWebKeyStore` port: JSON Web Key Sets (RFC 7517 §5) as rows of one key each,
//! defined beside the keys (as Hydra's `jwk.Manager`) so `jwk` does not depend on
//! `storage`; `storage/sql` and `storage/memory` implement it.
//!
//! A set exists while it has at least one key. Private key material never reaches this
//! port in the clear: `private_jwk_sealed` is the AEAD-sealed private JWK (see
//! `jwk::stored`), `public_jwk` the public members only.
//!
//! The admin's changes go through the `*_reporting` writes, which take the change's
//! audit events (`jwk::changes`) and write them in the same transaction: an event
//! exists iff its change committed. A store without an outbox (memory) refuses events.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StorageError;
use crate::outbox_event::{OutboxEvent, no_outbox};

/// One key of a set, as stored. Timestamps are kept at microsecond precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredJsonWebKey {
    /// The set's name, e.g. `hydra.openid.id-token`.
    pub set_id: String,
    /// RFC 7517 §4.5 `kid`, unique within the set and case-sensitive.
    pub kid: String,
    /// RFC 7517 §4.4 `alg`, e.g. `RS256`.
    pub alg: String,
    /// RFC 7517 §4.2 `use`: `sig` or `enc`.
    pub use_: String,
    /// The public JWK as JSON (for `oct` keys: only `kty`, `kid`, `alg`, `use`).
    pub public_jwk: String,
    /// The private JWK, sealed; `None` for keys given without private part.
    pub private_jwk_sealed: Option<String>,
    /// When the key was added: from then on it is published.
    pub created_at: DateTime<Utc>,
    /// From when the key may sign (publish-before-use rotation).
    pub not_before: DateTime<Utc>,
    /// From when the key no longer signs; it stays published.
    pub retired_at: Option<DateTime<Utc>>,
}

/// JSON Web Key Sets. Every method is one transaction: a failed call writes nothing.
#[async_trait]
pub trait JsonWebKeyStore: Send + Sync {
    /// Adds `keys` (each with `set_id == set`) to `set`, creating the set. With
    /// `retire_at`, every other key of the set that has the `use_` of a new key and no
    /// `retired_at` gets `retired_at = retire_at`, in the same transaction (rotation).
    /// `Conflict` when one of the kids is already in the set.
    async fn add_json_web_keys(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        retire_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError>;

    /// Adds `keys` only if `set` has no key: insert-if-absent for startup bootstrap. Of
    /// concurrent callers, also on other nodes sharing the database, exactly one writes
    /// and gets `true`; the others write nothing and get `false`.
    async fn add_json_web_keys_if_set_empty(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<bool, StorageError>;

    /// Replaces every key of `set` with `keys` (an empty slice deletes the set).
    async fn replace_json_web_key_set(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<(), StorageError>;

    /// Inserts the key, or replaces the key with the same `set_id` and `kid`.
    async fn put_json_web_key(&self, key: &StoredJsonWebKey) -> Result<(), StorageError>;

    /// The keys of `set`, oldest first (`created_at`, then `kid` byte-wise); empty when
    /// the set does not exist.
    async fn get_json_web_key_set(&self, set: &str) -> Result<Vec<StoredJsonWebKey>, StorageError>;

    /// The key `kid` of `set`.
    async fn get_json_web_key(
        &self,
        set: &str,
        kid: &str,
    ) -> Result<Option<StoredJsonWebKey>, StorageError>;

    /// Deletes one key; `false` when there was none.
    async fn delete_json_web_key(&self, set: &str, kid: &str) -> Result<bool, StorageError>;

    /// Deletes every key of the set; `false` when it had none.
    async fn delete_json_web_key_set(&self, set: &str) -> Result<bool, StorageError>;

    /// The keys of all `sets` in one query (for the public JWKS), ordered by `set_id`,
    /// then as in [`JsonWebKeyStore::get_json_web_key_set`].
    async fn list_json_web_keys(
        &self,
        sets: &[String],
    ) -> Result<Vec<StoredJsonWebKey>, StorageError>;

    /// [`add_json_web_keys`](Self::add_json_web_keys), writing `events` to the outbox
    /// in the same transaction.
    async fn add_json_web_keys_reporting(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        retire_at: Option<DateTime<Utc>>,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.add_json_web_keys(set, keys, retire_at).await
    }

    /// [`replace_json_web_key_set`](Self::replace_json_web_key_set), writing `events`
    /// in the same transaction.
    async fn replace_json_web_key_set_reporting(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.replace_json_web_key_set(set, keys).await
    }

    /// [`put_json_web_key`](Self::put_json_web_key), writing `events` in the same
    /// transaction.
    async fn put_json_web_key_reporting(
        &self,
        key: &StoredJsonWebKey,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.put_json_web_key(key).await
    }

    /// [`delete_json_web_key`](Self::delete_json_web_key), writing `events` in the same
    /// transaction when the key existed.
    async fn delete_json_web_key_reporting(
        &self,
        set: &str,
        kid: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.delete_json_web_key(set, kid).await
    }

    /// [`delete_json_web_key_set`](Self::delete_json_web_key_set), writing `events` in
    /// the same transaction when the set had keys.
    async fn delete_json_web_key_set_reporting(
        &self,
        set: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.delete_json_web_key_set(set).await
    }
}
