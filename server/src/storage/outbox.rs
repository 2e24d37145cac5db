//! The `EventOutbox` port: audit events written in the transaction of the change they
//! report (the "transactional outbox"), then delivered by a worker at least once, in
//! order per aggregate (docs/operations.md, "Events").
//!
//! Writes that report a change take their events with them (the `*_reporting` methods
//! of `TokenStore`, `FlowStepStore`, `LoginSessionStore`, `ClientStore` and
//! `TrustStore`): the event row exists iff the change committed. This port is the
//! delivery side: claim what is due, record the outcome, and queue events that report
//! no change of ours (`POST /admin/events/ingest`, the sampled refusals).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::storage::StorageError;

// Defined in the base module so the ports beside their models (`ClientStore`,
// `TrustStore`) can take events too.
pub use crate::outbox_event::{OutboxEvent, no_outbox};

/// An event the worker claimed, with how often its delivery failed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEvent {
    pub event: OutboxEvent,
    pub attempts: u32,
}

/// What queuing an event under an idempotency key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The event was queued.
    Queued,
    /// The key was seen before, with this event id; nothing was queued.
    Duplicate(String),
}

/// The delivery side of the outbox. Every method is atomic.
#[async_trait]
pub trait EventOutbox: Send + Sync {
    /// Queues `event` and records `key` with it in one transaction; when `key` exists
    /// already, queues nothing and answers the event id recorded with it.
    async fn enqueue_idempotent(
        &self,
        key: &str,
        event: &OutboxEvent,
    ) -> Result<Enqueued, StorageError>;

    /// Queues `event` on its own: for events that report no change of ours and need
    /// no idempotency key (the sampled `auth.client_failed` and `rate_limit.exceeded`,
    /// `events::sampled`).
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StorageError>;

    /// Leases at most `limit` due events to `owner` until `lease_until`, oldest first:
    /// undelivered, `next_attempt_at <= now`, not leased (or their lease expired before
    /// `now`, e.g. a killed node's), and with no older undelivered event of their
    /// aggregate. Concurrent claims on other connections or nodes never get the same
    /// event while its lease runs.
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, StorageError>;

    /// Marks the event delivered at `at` if `owner` still holds it; returns whether it
    /// did (a lease that expired and was taken over is not the owner's any more).
    async fn mark_delivered(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// Marks every event of `ids` that `owner` still holds delivered at `at`, in one
    /// statement (the worker's outcome for a whole delivered batch); returns how many it
    /// marked. Events whose lease expired and was taken over are left as they are.
    async fn mark_all_delivered(
        &self,
        ids: &[String],
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StorageError>;

    /// Records a failed delivery: one more attempt, the lease released, due again at
    /// `next_attempt_at`. Returns whether `owner` still held it.
    async fn retry_later(
        &self,
        id: &str,
        owner: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    /// How many events are not delivered yet.
    async fn pending_count(&self) -> Result<u64, StorageError>;

    /// The newest `limit` events still in the outbox (delivered or not, until the
    /// janitor purges them), newest first: the admin dashboard's overview. Read-only.
    async fn recent(&self, limit: usize) -> Result<Vec<OutboxEvent>, StorageError>;
}
