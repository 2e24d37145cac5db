//! Where the worker sends envelopes: a signed HTTP webhook, or standard output.
//!
//! The webhook follows Standard Webhooks (standardwebhooks.com, "Signature scheme"):
//! `webhook-id` (the event id), `webhook-timestamp` (Unix seconds, so a receiver can
//! refuse old replays), and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `<id>.<timestamp>.<body>` keyed with the configured secret's UTF-8 bytes. The body is
//! the CloudEvents envelope in structured mode (CloudEvents HTTP binding §3.2,
//! `application/cloudevents+json`). The URL is called through the outbound guard
//! (`outbound/`), without redirects, within the sink's timeout; a 2xx answer is a
//! delivery, anything else a failure to retry.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::{ClientsHttpConfig, EventSinkConfig, WebhookSinkConfig};
use crate::outbound::{GuardedClients, Redirects};
use crate::storage::OutboxEvent;

/// The `Content-Type` of a structured-mode CloudEvent.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// One configured sink and whether its last delivery succeeded.
#[derive(Debug)]
pub struct Sink {
    kind: SinkKind,
    healthy: AtomicBool,
}

#[derive(Debug)]
enum SinkKind {
    Webhook {
        config: WebhookSinkConfig,
        clients: GuardedClients,
    },
    Stdout,
}

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

impl Sink {
    /// The sink for `config`; webhooks get an HTTP client behind the outbound guard.
    pub fn new(config: &EventSinkConfig, http: &ClientsHttpConfig) -> Result<Self, String> {
        let kind = match config {
            EventSinkConfig::Webhook(hook) => SinkKind::Webhook {
                clients: GuardedClients::new(http, hook.timeout.as_std(), Redirects::None)
                    .map_err(|e| e.to_string())?,
                config: hook.clone(),
            },
            EventSinkConfig::Stdout => SinkKind::Stdout,
        };
        Ok(Self {
            kind,
            healthy: AtomicBool::new(true),
        })
    }

    /// `webhook` or `stdout`: the metrics label and the health entry's name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            SinkKind::Webhook { .. } => "webhook",
            SinkKind::Stdout => "stdout",
        }
    }

    /// Whether the last delivery to this sink succeeded (true before the first).
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Sends one event; `Err` says why, for the log (it may name internal hosts, never
    /// the secret).
    pub async fn send(&self, event: &OutboxEvent, now: DateTime<Utc>) -> Result<(), String> {
        let outcome = match &self.kind {
            SinkKind::Webhook { config, clients } => post(config, clients, event, now).await,
            SinkKind::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", event.envelope)
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("standard output: {e}"))
            }
        };
        self.healthy.store(outcome.is_ok(), Ordering::Relaxed);
        outcome
    }
}

async fn post(
    config: &WebhookSinkConfig,
    clients: &GuardedClients,
    event: &OutboxEvent,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let (url, client) = clients.for_uri(&config.url)?;
    let timestamp = now.timestamp();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, CLOUDEVENTS_JSON)
        .header("webhook-id", event.id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(&config.secret, &event.id, timestamp, &event.envelope),
        )
        .body(event.envelope.clone())
        .send()
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
