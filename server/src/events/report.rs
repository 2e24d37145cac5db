//! The events a change reports, built for the outbox: each function returns no event
//! when `events.enabled` is off (nothing is written then), else the rows the caller
//! hands to the storage write that makes the change, so both commit together. Tokens
//! themselves never appear: only families, clients, subjects, scopes and audiences.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::envelope::{Actor, Event};
use crate::config::Config;
use crate::storage::{OutboxEvent, StorageError};

/// What a token issuance reports (`token.issued`).
#[derive(Debug, Clone, Copy)]
pub struct Issued<'a> {
    /// The grant type that issued the tokens (RFC 6749 §4, `grant_type`).
    pub grant_type: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    pub family_id: &'a str,
    pub scopes: &'a [String],
    pub audience: &'a [String],
    /// The kinds stored or returned (`access_token`, `refresh_token`, `id_token`).
    pub token_kinds: &'a [&'a str],
}

/// The fields of `value`, an object (anything else: none).
pub(super) fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The outbox row of `event`, sourced at the issuer.
pub(super) fn one(
    config: &Config,
    at: DateTime<Utc>,
    event: Event,
) -> Result<Vec<OutboxEvent>, StorageError> {
    event
        .into_outbox(&config.issuer(), at)
        .map(|row| vec![row])
        .map_err(|e| StorageError::Database(format!("the event cannot be encoded: {e}")))
}

/// The row of the event `build` makes, or none when events are off: the event is not
/// even built then, so a disabled deployment pays one branch.
pub(super) fn report(
    config: &Config,
    at: DateTime<Utc>,
    build: impl FnOnce() -> Event,
) -> Result<Vec<OutboxEvent>, StorageError> {
    if !config.events.enabled {
        return Ok(Vec::new());
    }
    one(config, at, build())
}

/// `token.issued`, keyed by the token family.
pub fn token_issued(
    config: &Config,
    at: DateTime<Utc>,
    issued: &Issued<'_>,
) -> Result<Vec<OutboxEvent>, StorageError> {
    if !config.events.enabled {
        return Ok(Vec::new());
    }
    let event = Event {
        event_type: "token.issued",
        aggregate_key: issued.family_id.to_owned(),
        actor: Actor::Client(issued.client_id.to_owned()),
        fields: fields(json!({
            "grant_type": issued.grant_type,
            "client_id": issued.client_id,
            "subject": issued.subject,
            "token_family": issued.family_id,
            "scopes": issued.scopes,
            "audience": issued.audience,
            "token_kinds": issued.token_kinds,
        })),
    };
    one(config, at, event)
}

/// `authorization.code_issued` (RFC 6749 §4.1.2), keyed by the code's family.
pub fn code_issued(
    config: &Config,
    at: DateTime<Utc>,
    client_id: &str,
    subject: &str,
    family_id: &str,
    scopes: &[String],
) -> Result<Vec<OutboxEvent>, StorageError> {
    if !config.events.enabled {
        return Ok(Vec::new());
    }
    let event = Event {
        event_type: "authorization.code_issued",
        aggregate_key: family_id.to_owned(),
        actor: Actor::Subject(subject.to_owned()),
        fields: fields(json!({
            "client_id": client_id,
            "subject": subject,
            "token_family": family_id,
            "scopes": scopes,
        })),
    };
    one(config, at, event)
}

/// Why a family was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// RFC 7009: the client revoked a token.
    Requested,
    /// A rotated refresh token came back (RFC 6749 §10.4, RFC 9700 §4.14.2).
    RefreshReuse,
    /// A used authorization code came back (RFC 6749 §4.1.2).
    CodeReuse,
}

/// `token.revoked` (written only when the revocation deactivated a token), preceded
/// for a refresh token's reuse by `token.refresh_reuse_detected`; keyed by the family.
pub fn family_revoked(
    config: &Config,
    at: DateTime<Utc>,
    client_id: &str,
    family_id: &str,
    why: Revocation,
) -> Result<Vec<OutboxEvent>, StorageError> {
    if !config.events.enabled {
        return Ok(Vec::new());
    }
    let mut events = Vec::new();
    if why == Revocation::RefreshReuse {
        events.extend(one(
            config,
            at,
            Event {
                event_type: "token.refresh_reuse_detected",
                aggregate_key: family_id.to_owned(),
                actor: Actor::Client(client_id.to_owned()),
                fields: fields(json!({
                    "client_id": client_id,
                    "token_family": family_id,
                })),
            },
        )?);
    }
    events.extend(one(
        config,
        at,
        Event {
            event_type: "token.revoked",
            aggregate_key: family_id.to_owned(),
            actor: Actor::Client(client_id.to_owned()),
            fields: fields(json!({
                "client_id": client_id,
                "token_family": family_id,
                "reason": match why {
                    Revocation::Requested => "revocation_request",
                    Revocation::RefreshReuse | Revocation::CodeReuse => "reuse_detected",
                },
            })),
        },
    )?);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(enabled: bool) -> Config {
        let mut config = Config::default();
        config.events.enabled = enabled;
        config.urls.self_.issuer = Some("https://issuer.example/".into());
        config
    }

    fn issued() -> Issued<'static> {
        Issued {
            grant_type: "client_credentials",
            client_id: "c1",
            subject: "c1",
            family_id: "f1",
            scopes: &[],
            audience: &[],
            token_kinds: &["access_token"],
        }
    }

    #[test]
    fn nothing_is_built_when_events_are_off() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert!(
            token_issued(&config(false), at, &issued())
                .unwrap()
                .is_empty()
        );
        let reuse = family_revoked(&config(false), at, "c1", "f1", Revocation::RefreshReuse);
        assert!(reuse.unwrap().is_empty());
    }

    #[test]
    fn a_reuse_reports_detection_then_revocation_of_one_aggregate() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let rows = family_revoked(&config(true), at, "c1", "f1", Revocation::RefreshReuse).unwrap();
        let types: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
        assert_eq!(types, ["token.refresh_reuse_detected", "token.revoked"]);
        assert!(rows.iter().all(|r| r.aggregate_key == "f1"));
        assert!(rows[0].id < rows[1].id, "UUIDv7 ids order the two");
        let issued = token_issued(&config(true), at, &issued()).unwrap();
        let json: Value = serde_json::from_str(&issued[0].envelope).unwrap();
        assert_eq!(json["data"]["grant_type"], "client_credentials");
        assert_eq!(json["source"], "https://issuer.example/");
    }
}
