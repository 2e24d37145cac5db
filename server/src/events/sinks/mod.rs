//! Where the worker sends envelopes: a signed HTTP webhook (`webhook.rs`), NATS
//! JetStream (`nats.rs`), or standard output (`stdout.rs`). Each sink keeps whether its
//! last delivery succeeded, for `GET /events/health` and the metrics.

mod nats;
mod stdout;
mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::config::{ClientsHttpConfig, EventSinkConfig, WebhookSinkConfig};
use crate::outbound::{GuardedClients, Redirects};
use crate::storage::OutboxEvent;

use nats::NatsSink;
pub use webhook::signature;

/// The `Content-Type` of a structured-mode CloudEvent.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// The `Content-Type` of a batch of CloudEvents (CloudEvents HTTP binding §3.3).
pub const CLOUDEVENTS_BATCH_JSON: &str = "application/cloudevents-batch+json";

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

    /// Events this sink takes in one request: a webhook's `batch_size`; one for the
    /// others (a JetStream publish acknowledges one message).
    fn per_request(&self) -> usize {
        match &self.kind {
            SinkKind::Webhook { config, .. } => config.batch_size.max(1),
            SinkKind::Stdout | SinkKind::Nats(_) => 1,
        }
    }

    /// Sends one event; `Err` says why, for the log (it may name internal hosts, never
    /// a secret).
    pub async fn send(&self, event: &OutboxEvent, now: DateTime<Utc>) -> Result<(), String> {
        let outcome = self.send_request(&[event], now).await;
        self.healthy.store(outcome.is_ok(), Ordering::Relaxed);
        outcome
    }

    /// Sends `events` (a claimed batch: at most one per aggregate, so their relative
    /// order does not matter) in requests of [`Self::per_request`] events, `in_flight`
    /// requests at once; returns each event's outcome, in order: a failed request fails
    /// every event it carried.
    pub async fn deliver(
        &self,
        events: &[&OutboxEvent],
        now: DateTime<Utc>,
        in_flight: usize,
    ) -> Vec<Result<(), String>> {
        let per_request = self.per_request();
        // The requests are made first and then driven, rather than made by a closure
        // inside the stream: a closure over borrowed chunks is not general enough for
        // the worker's spawned task.
        let requests: Vec<_> = events
            .chunks(per_request)
            .enumerate()
            .map(|(index, chunk)| self.numbered_request(index, chunk, now))
            .collect();
        let answers: Vec<(usize, Result<(), String>)> = futures::stream::iter(requests)
            .buffer_unordered(in_flight.max(1))
            .collect()
            .await;
        let mut outcomes = vec![Ok(()); events.len()];
        for (index, answer) in answers {
            let start = index.saturating_mul(per_request);
            let end = start.saturating_add(per_request).min(events.len());
            if let Some(carried) = outcomes.get_mut(start..end) {
                carried.fill(answer);
            }
        }
        if !events.is_empty() {
            self.healthy
                .store(outcomes.iter().all(Result::is_ok), Ordering::Relaxed);
        }
        outcomes
    }

    /// [`Self::send_request`] with the request's position in the batch.
    async fn numbered_request(
        &self,
        index: usize,
        events: &[&OutboxEvent],
        now: DateTime<Utc>,
    ) -> (usize, Result<(), String>) {
        (index, self.send_request(events, now).await)
    }

    /// One request: `events` holds one event, or several for a batching webhook.
    async fn send_request(
        &self,
        events: &[&OutboxEvent],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        match &self.kind {
            SinkKind::Webhook { config, clients } => {
                webhook::post(config, clients, events, now).await
            }
            SinkKind::Stdout => events.iter().try_for_each(|e| stdout::write_line(e)),
            SinkKind::Nats(nats) => {
                for event in events {
                    nats.publish(event).await?;
                }
                Ok(())
            }
        }
    }
}
