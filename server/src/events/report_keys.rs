//! The events of the admin's key changes (Hydra's `/admin/keys` API and the dashboard):
//! `key.created`, `key.rotated`, `key.deleted`, keyed by the set, the admin as actor.
//! [`KeyEvents`] is the `KeyManager`'s reporter (`jwk::changes`), attached only with
//! `events.enabled`; its rows go to the store's `*_reporting` write of the change.
//! Each key is named by `kid`, `alg` and `use`: no public or private parameter appears.

use std::sync::Arc;

use serde_json::{Value, json};

use super::envelope::{Actor, Event};
use super::report::fields;
use crate::clock::Clock;
use crate::jwk::{KeyChange, KeyChangeKind, KeyChangeReporter, KeySummary};
use crate::storage::{OutboxEvent, StorageError};

/// Builds the `key.*` rows of a change (see the module documentation).
pub struct KeyEvents {
    /// The events' `source`: the issuer.
    issuer: String,
    clock: Arc<dyn Clock>,
}

impl KeyEvents {
    pub fn new(issuer: String, clock: Arc<dyn Clock>) -> Self {
        Self { issuer, clock }
    }
}

fn summaries(keys: &[KeySummary]) -> Value {
    keys.iter()
        .map(|key| json!({"kid": key.kid, "alg": key.alg, "use": key.use_}))
        .collect()
}

impl KeyChangeReporter for KeyEvents {
    fn rows(&self, change: &KeyChange) -> Result<Vec<OutboxEvent>, StorageError> {
        let (event_type, data) = match change.kind {
            KeyChangeKind::Created => (
                "key.created",
                json!({"set_id": change.set, "keys": summaries(&change.keys)}),
            ),
            KeyChangeKind::Rotated => (
                "key.rotated",
                json!({
                    "set_id": change.set,
                    "keys": summaries(&change.keys),
                    "replaced": summaries(&change.replaced),
                }),
            ),
            KeyChangeKind::Deleted => (
                "key.deleted",
                json!({"set_id": change.set, "keys": summaries(&change.keys)}),
            ),
        };
        let event = Event {
            event_type,
            aggregate_key: change.set.clone(),
            actor: Actor::Admin,
            fields: fields(data),
        };
        event
            .into_outbox(&self.issuer, self.clock.now())
            .map(|row| vec![row])
            .map_err(|e| StorageError::Database(format!("the event cannot be encoded: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[test]
    fn a_rotation_names_kids_algs_and_uses_only() {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let events = KeyEvents::new(
            "https://issuer.example/".into(),
            Arc::new(FixedClock::new(at)),
        );
        let key = |kid: &str| KeySummary {
            kid: kid.into(),
            alg: "ES256".into(),
            use_: "sig".into(),
        };
        let change = KeyChange {
            kind: KeyChangeKind::Rotated,
            set: "s1".into(),
            keys: vec![key("new")],
            replaced: vec![key("old")],
        };
        let rows = events.rows(&change).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].event_type, "key.rotated");
        assert_eq!(rows[0].aggregate_key, "s1");
        let json: Value = serde_json::from_str(&rows[0].envelope).unwrap();
        let data = &json["data"];
        assert_eq!(
            data["keys"],
            json!([{"kid": "new", "alg": "ES256", "use": "sig"}])
        );
        assert_eq!(data["replaced"][0]["kid"], "old");
        assert_eq!(data["actor"], json!({"type": "admin"}));
    }
}
