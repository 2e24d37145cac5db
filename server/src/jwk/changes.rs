//! What a change of a key set reports (`key.created`, `key.rotated`, `key.deleted`;
//! docs/operations.md, "Events"): the set and each key's `kid`, `alg` and `use`, never
//! key material. `jwk` describes the change and hands it to a [`KeyChangeReporter`]
//! (`events::KeyEvents`), which turns it into outbox rows the store writes in the
//! transaction of the change, as `client::store` does with `events::ReportingClients`:
//! `jwk` may not depend on `events`.

use super::store::StoredJsonWebKey;
use crate::error::StorageError;
use crate::outbox_event::OutboxEvent;

/// The kind of a change, one event type each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChangeKind {
    /// Keys were added to a set that had none of their use (`key.created`).
    Created,
    /// Keys were added or replaced in place of others, which stop signing
    /// (`key.rotated`): a generated key in a set that has keys of its use (the old ones
    /// retire), a replaced set, a replaced key.
    Rotated,
    /// Keys were deleted (`key.deleted`).
    Deleted,
}

/// A key as an event names it: no public or private parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySummary {
    pub kid: String,
    pub alg: String,
    pub use_: String,
}

impl From<&StoredJsonWebKey> for KeySummary {
    fn from(key: &StoredJsonWebKey) -> Self {
        Self {
            kid: key.kid.clone(),
            alg: key.alg.clone(),
            use_: key.use_.clone(),
        }
    }
}

/// One change of one set, made by the admin (API or dashboard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub kind: KeyChangeKind,
    pub set: String,
    /// The keys added (created, rotated) or deleted.
    pub keys: Vec<KeySummary>,
    /// Rotated: the keys that stop signing (retired, replaced or removed).
    pub replaced: Vec<KeySummary>,
}

impl KeyChange {
    pub fn new(kind: KeyChangeKind, set: &str, keys: &[StoredJsonWebKey]) -> Self {
        Self {
            kind,
            set: set.to_owned(),
            keys: keys.iter().map(KeySummary::from).collect(),
            replaced: Vec::new(),
        }
    }

    /// The same change, naming `replaced` as the keys it takes the place of.
    pub fn replacing<'a>(
        mut self,
        replaced: impl IntoIterator<Item = &'a StoredJsonWebKey>,
    ) -> Self {
        self.replaced = replaced.into_iter().map(KeySummary::from).collect();
        self
    }
}

/// Turns a change into the outbox rows its store write carries (none when events are
/// off: then no reporter is attached at all).
pub trait KeyChangeReporter: Send + Sync {
    fn rows(&self, change: &KeyChange) -> Result<Vec<OutboxEvent>, StorageError>;
}
