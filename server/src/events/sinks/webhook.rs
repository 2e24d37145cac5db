//! The webhook sink, after Standard Webhooks (standardwebhooks.com, "Signature scheme"):
//! `webhook-id` (the event id), `webhook-timestamp` (Unix seconds, so a receiver can
//! refuse old replays), and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `<id>.<timestamp>.<body>` keyed with the configured secret's UTF-8 bytes. The body is
//! the CloudEvents envelope in structured mode (CloudEvents HTTP binding §3.2,
//! `application/cloudevents+json`). The URL is called through the outbound guard
//! (`outbound/`), without redirects, within the sink's timeout; a 2xx answer is a
//! delivery, anything else a failure to retry.
//!
//! With `batch_size` above 1, up to that many events go in one request in batched mode
//! (CloudEvents HTTP binding §3.3: `application/cloudevents-batch+json`, a JSON array of
//! envelopes). Its `webhook-id` is `batch_` + the base64url SHA-256 of the events' ids in
//! order: a retry of the same events carries the same id, a different set another one,
//! so a receiver that deduplicates by `webhook-id` never drops an event it has not seen;
//! receivers deduplicate the events themselves by their `id` (at-least-once). A single
//! event is always sent alone in structured mode, as with `batch_size: 1`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{CLOUDEVENTS_BATCH_JSON, CLOUDEVENTS_JSON};
use crate::config::WebhookSinkConfig;
use crate::outbound::GuardedClients;
use crate::storage::OutboxEvent;

/// `v1,<base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>"))>`.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-id` of a batch: `batch_` + base64url(SHA-256 of the ids, each followed
/// by a newline), the same for the same events in the same order.
pub fn batch_id(events: &[&OutboxEvent]) -> String {
    let mut digest = Sha256::new();
    for event in events {
        digest.update(event.id.as_bytes());
        digest.update(b"\n");
    }
    format!("batch_{}", URL_SAFE_NO_PAD.encode(digest.finalize()))
}

/// The body of a batch: the envelopes (each a JSON object) as one JSON array, in order.
pub fn batch_body(events: &[&OutboxEvent]) -> String {
    let length = events
        .iter()
        .map(|e| e.envelope.len().saturating_add(1))
        .sum::<usize>()
        .saturating_add(2);
    let mut body = String::with_capacity(length);
    body.push('[');
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&event.envelope);
    }
    body.push(']');
    body
}

/// POSTs `events` to the configured URL, signed with the sending time `now`: one alone
/// in structured mode, several as a batch (module documentation).
pub async fn post(
    config: &WebhookSinkConfig,
    clients: &GuardedClients,
    events: &[&OutboxEvent],
    now: DateTime<Utc>,
) -> Result<(), String> {
    let (id, content_type, body) = match events {
        [] => return Ok(()),
        [event] => (event.id.clone(), CLOUDEVENTS_JSON, event.envelope.clone()),
        several => (
            batch_id(several),
            CLOUDEVENTS_BATCH_JSON,
            batch_body(several),
        ),
    };
    let (url, client) = clients.for_uri(&config.url)?;
    let timestamp = now.timestamp();
    let response = crate::outbound::send(
        client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature(&config.secret, &id, timestamp, &body),
            )
            .header("webhook-id", id)
            .body(body),
    )
    .await
    .map_err(|e| crate::outbound::describe(&e))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, envelope: &str) -> OutboxEvent {
        OutboxEvent {
            id: id.into(),
            aggregate_key: "a".into(),
            event_type: "token.issued".into(),
            envelope: envelope.into(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_batch_is_a_json_array_of_the_envelopes_in_order() {
        let (a, b) = (event("e1", r#"{"id":"e1"}"#), event("e2", r#"{"id":"e2"}"#));
        let body = batch_body(&[&a, &b]);
        assert_eq!(body, r#"[{"id":"e1"},{"id":"e2"}]"#);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed[1]["id"], "e2");
    }

    #[test]
    fn the_batch_id_names_exactly_its_events_in_order() {
        let (a, b, c) = (event("e1", "{}"), event("e2", "{}"), event("e3", "{}"));
        let id = batch_id(&[&a, &b]);
        assert!(id.starts_with("batch_"), "{id}");
        assert_eq!(id, batch_id(&[&a, &b]));
        assert_ne!(id, batch_id(&[&b, &a]));
        assert_ne!(id, batch_id(&[&a, &b, &c]));
        assert_ne!(id, batch_id(&[&a]));
        // The separator keeps "e1"+"e2" apart from "e1e"+"2".
        let (x, y) = (event("e1e", "{}"), event("2", "{}"));
        assert_ne!(id, batch_id(&[&x, &y]));
    }

    /// The Standard Webhooks reference vector's shape, computed independently: HMAC-SHA256
    /// over "id.timestamp.body", base64 with padding, prefixed by the version.
    #[test]
    fn the_signature_is_v1_base64_hmac_over_id_timestamp_body() {
        let sig = signature("0123456789abcdef", "msg_1", 1_700_000_000, "{\"a\":1}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"0123456789abcdef").unwrap();
        mac.update(b"msg_1.1700000000.{\"a\":1}");
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sig, format!("v1,{expected}"));
        assert_ne!(
            sig,
            signature("0123456789abcdeF", "msg_1", 1_700_000_000, "{\"a\":1}")
        );
    }
}
