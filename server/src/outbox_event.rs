//! The outbox row of an audit event (docs/operations.md, "Events"), in a base module of
//! its own, as `StorageError` is in `error.rs`: the storage ports defined beside their
//! models (`client::store`, `trust::store`) take the events their writes report, and
//! may not depend on `storage` or `events`. `storage::outbox` re-exports it.

use chrono::{DateTime, Utc};

use crate::error::StorageError;

/// One event as the outbox keeps it. `envelope` is the whole CloudEvents JSON document
/// the sinks receive; the other fields are what the worker needs without parsing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// UUIDv7: its byte order is creation order, the order of delivery per aggregate.
    pub id: String,
    /// What the event is about (a token family, a client id): events of one aggregate
    /// are delivered in `id` order, none while an older one is undelivered.
    pub aggregate_key: String,
    /// The CloudEvents `type` (`token.issued`, …).
    pub event_type: String,
    /// The CloudEvents 1.0 JSON envelope.
    pub envelope: String,
    /// Stored at microsecond precision on every implementation.
    pub created_at: DateTime<Utc>,
}

/// The refusal of a store that has no outbox (the memory stores) to report a change: an
/// event is never dropped silently. The default of every `*_reporting` method calls it.
pub fn no_outbox(events: &[OutboxEvent]) -> Result<(), StorageError> {
    if events.is_empty() {
        Ok(())
    } else {
        Err(StorageError::Database(
            "this store has no event outbox; events.enabled needs the SQL store".to_owned(),
        ))
    }
}
