//! Where the worker sends envelopes: a signed HTTP webhook (`webhook.rs`), NATS
//! JetStream (`nats.rs`), or standard output (`stdout.rs`). Each sink keeps whether its
//! last delivery succeeded, for `GET /events/health` and the metrics.

mod nats;
mod stdout;
mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use crate::config::{ClientsHttpConfig, EventSinkConfig, WebhookSinkConfig};
use crate::outbound::{GuardedClients, Redirects};
use crate::storage::OutboxEvent;

use nats::NatsSink;
pub use webhook::signature;

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
    /// Boxed: the client and its JetStream context are large beside the others.
    Nats(Box<NatsSink>),
}

impl Sink {
    /// The sink for `config`; webhooks get an HTTP client behind the outbound guard.
    /// Nothing here touches the network: a NATS sink connects on first use.
    pub fn new(config: &EventSinkConfig, http: &ClientsHttpConfig) -> Result<Self, String> {
        let kind = match config {
            EventSinkConfig::Webhook(hook) => SinkKind::Webhook {
                clients: GuardedClients::new(http, hook.timeout.as_std(), Redirects::None)
                    .map_err(|e| e.to_string())?,
                config: hook.clone(),
            },
            EventSinkConfig::Stdout => SinkKind::Stdout,
            EventSinkConfig::Nats(nats) => SinkKind::Nats(Box::new(NatsSink::new(nats.clone()))),
        };
        Ok(Self {
            kind,
            healthy: AtomicBool::new(true),
        })
    }

    /// `webhook`, `stdout` or `nats`: the metrics label and the health entry's name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            SinkKind::Webhook { .. } => "webhook",
            SinkKind::Stdout => "stdout",
            SinkKind::Nats(_) => "nats",
        }
    }

    /// Whether the last delivery to this sink succeeded (true before the first); a NATS
    /// sink is also unhealthy while its client is not connected, so an outage shows
    /// before an event fails on it.
    pub fn healthy(&self) -> bool {
        let connected = match &self.kind {
            SinkKind::Nats(nats) => nats.connected(),
            SinkKind::Webhook { .. } | SinkKind::Stdout => true,
        };
        connected && self.healthy.load(Ordering::Relaxed)
    }

    /// Opens what the sink keeps open (the NATS client), so that its connection state
    /// shows in the health before the first event. Never fails: a sink that cannot
    /// prepare fails its deliveries instead, and says why there.
    pub async fn prepare(&self) {
        if let SinkKind::Nats(nats) = &self.kind
            && let Err(why) = nats.connect().await
        {
            tracing::warn!(sink = "nats", error = %why, "event sink not prepared");
        }
    }

    /// Sends one event; `Err` says why, for the log (it may name internal hosts, never
    /// a secret).
    pub async fn send(&self, event: &OutboxEvent, now: DateTime<Utc>) -> Result<(), String> {
        let outcome = match &self.kind {
            SinkKind::Webhook { config, clients } => {
                webhook::post(config, clients, event, now).await
            }
            SinkKind::Stdout => stdout::write_line(event),
            SinkKind::Nats(nats) => nats.publish(event).await,
        };
        self.healthy.store(outcome.is_ok(), Ordering::Relaxed);
        outcome
    }
}
