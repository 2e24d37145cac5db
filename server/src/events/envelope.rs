//! The CloudEvents 1.0 JSON envelope of every audit event (CloudEvents spec v1.0.2 §3,
//! "Context Attributes"; JSON format §3): `specversion`, `id` (a UUIDv7), `source` (the
//! issuer), `type`, `time` (RFC 3339), `subject`, `datacontenttype`, and `data`, which
//! carries the schema version and the actor beside the type's own fields.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::storage::OutboxEvent;

/// The version of every `data` schema this build writes; a breaking change of a type's
/// fields raises it.
pub const SCHEMA_VERSION: u32 = 1;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Actor {
    /// An OAuth 2.0 client, by `client_id`.
    Client(String),
    /// An end user, by subject.
    Subject(String),
    /// The admin API.
    Admin,
    /// A request that did not authenticate (a refused client, a rate-limited caller):
    /// whatever it claimed to be is in the event's data, not here.
    Unauthenticated,
}

/// One event before it is stored: its type, what it is about, and its fields.
#[derive(Debug, Clone)]
pub struct Event {
    /// The CloudEvents `type`: `token.issued`, …
    pub event_type: &'static str,
    /// The aggregate: events with one key are delivered in order. Also the CloudEvents
    /// `subject`.
    pub aggregate_key: String,
    pub actor: Actor,
    /// The type's own fields (an object).
    pub fields: Map<String, Value>,
}

/// The envelope as sent (and as accepted by `POST /admin/events/ingest`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Envelope {
    /// Always `1.0`.
    pub specversion: String,
    pub id: String,
    /// The issuer URL of the Portunus that wrote the event (a URI-reference).
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub data: Option<Value>,
}

impl Event {
    /// The outbox row of this event, with a new UUIDv7 id (RFC 9562 §5.7) and `at` as
    /// its time.
    pub fn into_outbox(self, source: &str, at: DateTime<Utc>) -> Result<OutboxEvent, String> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut data = self.fields;
        data.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
        data.insert(
            "actor".into(),
            serde_json::to_value(&self.actor).map_err(|e| e.to_string())?,
        );
        let envelope = Envelope {
            specversion: "1.0".into(),
            id: id.clone(),
            source: source.to_owned(),
            event_type: self.event_type.to_owned(),
            time: Some(at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            subject: Some(self.aggregate_key.clone()),
            datacontenttype: Some("application/json".into()),
            data: Some(Value::Object(data)),
        };
        Ok(OutboxEvent {
            id,
            aggregate_key: self.aggregate_key,
            event_type: self.event_type.to_owned(),
            envelope: serde_json::to_string(&envelope).map_err(|e| e.to_string())?,
            created_at: at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_the_cloudevents_attributes_and_the_data_its_version() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut fields = Map::new();
        fields.insert("client_id".into(), "c1".into());
        let event = Event {
            event_type: "token.revoked",
            aggregate_key: "family-1".into(),
            actor: Actor::Client("c1".into()),
            fields,
        };
        let row = event.into_outbox("https://issuer.example/", at).unwrap();
        let json: Value = serde_json::from_str(&row.envelope).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["id"], row.id.as_str());
        assert_eq!(json["source"], "https://issuer.example/");
        assert_eq!(json["type"], "token.revoked");
        assert_eq!(json["time"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(json["subject"], "family-1");
        assert_eq!(json["datacontenttype"], "application/json");
        assert_eq!(json["data"]["schema_version"], 1);
        assert_eq!(json["data"]["actor"]["type"], "client");
        assert_eq!(json["data"]["actor"]["id"], "c1");
        assert_eq!(json["data"]["client_id"], "c1");
        assert_eq!(uuid::Uuid::parse_str(&row.id).unwrap().get_version_num(), 7);
    }
}
