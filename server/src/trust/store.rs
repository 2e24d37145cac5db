//! The `TrustStore` port: trusted JWT grant issuers (Hydra's RFC 7523 key storage).
//! Defined beside its model, so `trust` does not depend on `storage`; `storage/sql` and
//! `storage/memory` implement it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::TrustRelationship;
use crate::error::StorageError;
use crate::outbox_event::{OutboxEvent, no_outbox};

/// How many relationships [`TrustStore::trusted_keys`] returns at most: the keys an
/// assertion without `kid` is tried against.
pub const MAX_CANDIDATE_KEYS: usize = 16;

/// A page request over trust relationships: keyset pagination by `id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustListQuery {
    /// Return only relationships whose id sorts strictly after this one.
    pub after: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: usize,
    /// Exact match on `issuer`.
    pub issuer: Option<String>,
}

/// Trust relationships. Timestamps are kept at microsecond precision; strings compare
/// byte-wise on every backend.
#[async_trait]
pub trait TrustStore: Send + Sync {
    /// Inserts a relationship. `Conflict`, writing nothing, when its id exists or a
    /// relationship with the same (`issuer`, `subject`, `kid`) exists — expired or not
    /// (an `allow_any_subject` relationship has the empty subject).
    async fn create_trust(&self, trust: &TrustRelationship) -> Result<(), StorageError>;

    /// The relationship with this id, expired or not.
    async fn get_trust(&self, id: &str) -> Result<Option<TrustRelationship>, StorageError>;

    /// Deletes the relationship; returns `false` when there was none.
    async fn delete_trust(&self, id: &str) -> Result<bool, StorageError>;

    /// Relationships matching the filter, ordered by `id` ascending, ids strictly after
    /// `after`, at most `limit`; expired ones included (an admin list).
    async fn list_trusts(
        &self,
        query: &TrustListQuery,
    ) -> Result<Vec<TrustRelationship>, StorageError>;

    /// The relationships that may verify an assertion of `issuer` about `subject`: same
    /// issuer, `subject` equal or `allow_any_subject`, `kid` equal when given, and
    /// `expires_at` strictly after `now`. Those naming the subject come first, then by
    /// id; at most [`MAX_CANDIDATE_KEYS`].
    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrustRelationship>, StorageError>;

    /// [`create_trust`](Self::create_trust), writing `events` to the outbox in the same
    /// transaction: they exist iff the relationship was created. A store without an
    /// outbox fails, writing nothing, when `events` is not empty.
    async fn create_trust_reporting(
        &self,
        trust: &TrustRelationship,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        no_outbox(events)?;
        self.create_trust(trust).await
    }

    /// [`delete_trust`](Self::delete_trust), writing `events` in the same transaction
    /// when the relationship existed.
    async fn delete_trust_reporting(
        &self,
        id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        no_outbox(events)?;
        self.delete_trust(id).await
    }
}
