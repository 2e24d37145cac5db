//! The delivery worker `serve` runs (one per node): claim due events, send each to
//! every sink, mark it delivered, or schedule a retry with exponential backoff. It never
//! drops an event: a failing sink only delays it (and, through the per-aggregate order,
//! the later events of its aggregate). A node killed mid-delivery leaves its claims
//! leased until `events.delivery.lease` passes; then any node delivers them again
//! (at-least-once: receivers deduplicate by the event id, the webhooks' `webhook-id`
//! and JetStream's `Nats-Msg-Id`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::sinks::Sink;
use crate::clock::Clock;
use crate::config::EventDeliveryConfig;
use crate::storage::{ClaimedEvent, EventOutbox, OutboxEvent};

/// Events claimed at once.
const CLAIM_BATCH: usize = 64;

/// Requests of one claimed batch in flight at once, per sink. A batch holds at most one
/// event per aggregate (only heads of their aggregates are claimed), so sending its
/// events concurrently (or together, in a webhook's batch) keeps the per-aggregate
/// order; one slow receiver answer does not delay the others.
const IN_FLIGHT: usize = 16;

/// The worker's parts.
pub struct Worker {
    pub outbox: Arc<dyn EventOutbox>,
    pub sinks: Arc<[Sink]>,
    pub clock: Arc<dyn Clock>,
    pub delivery: EventDeliveryConfig,
    /// This process's lease owner name.
    pub owner: String,
}

/// The wait before attempt `attempts + 1`: `initial * 2^attempts`, at most `max`.
pub fn backoff(initial: Duration, max: Duration, attempts: u32) -> Duration {
    let factor = 2_u32.checked_pow(attempts.min(31)).unwrap_or(u32::MAX);
    initial.checked_mul(factor).unwrap_or(max).min(max)
}

fn later(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|by| at.checked_add_signed(by))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Worker {
    /// Runs until the task is dropped (the runtime stops).
    pub async fn run(self) {
        let poll = self.delivery.poll_interval.as_std();
        for sink in self.sinks.iter() {
            sink.prepare().await;
        }
        loop {
            match self.round().await {
                // A full batch: more may be due at once.
                Ok(n) if n >= CLAIM_BATCH => continue,
                Ok(_) => {}
                Err(why) => {
                    tracing::warn!(error = %why, "event delivery: the outbox cannot be read")
                }
            }
            if crate::prometheus::enabled()
                && let Ok(pending) = self.outbox.pending_count().await
            {
                crate::prometheus::events_pending(pending);
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Claims one batch and delivers it; returns how many were claimed. The delivered
    /// events are recorded with one write for the batch (instead of one per event, each
    /// queued behind the token writes on SQLite's single writer); each failed one gets
    /// its own retry time.
    pub async fn round(&self) -> Result<usize, String> {
        let now = self.clock.now();
        let until = later(now, self.delivery.lease.as_std());
        let claimed = self
            .outbox
            .claim_due(&self.owner, now, until, CLAIM_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let n = claimed.len();
        let sent = self.send_everywhere(&claimed).await;
        let outcomes: Vec<(ClaimedEvent, bool)> = claimed.into_iter().zip(sent).collect();
        let now = self.clock.now();
        let delivered: Vec<String> = outcomes
            .iter()
            .filter(|(_, sent)| *sent)
            .map(|(claimed, _)| claimed.event.id.clone())
            .collect();
        // Unrecorded, the lease runs out and the events are sent again: never lost.
        if let Err(why) = self
            .outbox
            .mark_all_delivered(&delivered, &self.owner, now)
            .await
        {
            tracing::warn!(events = delivered.len(), error = %why, "event delivery: outcome not recorded");
        }
        for (claimed, _) in outcomes.iter().filter(|(_, sent)| !*sent) {
            let wait = backoff(
                self.delivery.initial_backoff.as_std(),
                self.delivery.max_backoff.as_std(),
                claimed.attempts,
            );
            if let Err(why) = self
                .outbox
                .retry_later(&claimed.event.id, &self.owner, later(now, wait))
                .await
            {
                tracing::warn!(event_id = %claimed.event.id, error = %why, "event delivery: outcome not recorded");
            }
        }
        Ok(n)
    }

    /// Sends the claimed events to every sink (the sinks at once, each with its
    /// requests [`IN_FLIGHT`] at a time); whether all of them took each event.
    async fn send_everywhere(&self, claimed: &[ClaimedEvent]) -> Vec<bool> {
        let events: Vec<&OutboxEvent> = claimed.iter().map(|c| &c.event).collect();
        let now = self.clock.now();
        let per_sink = futures::future::join_all(
            self.sinks
                .iter()
                .map(|sink| sink.deliver(&events, now, IN_FLIGHT)),
        )
        .await;
        let mut sent = vec![true; claimed.len()];
        for (sink, outcomes) in self.sinks.iter().zip(per_sink) {
            for ((claimed, outcome), all_took_it) in
                claimed.iter().zip(outcomes).zip(sent.iter_mut())
            {
                match outcome {
                    Ok(()) => crate::prometheus::event_delivered(sink.name()),
                    Err(why) => {
                        tracing::warn!(
                            event_id = %claimed.event.id,
                            event_type = %claimed.event.event_type,
                            sink = sink.name(),
                            attempts = claimed.attempts.saturating_add(1),
                            error = %why,
                            "event delivery failed; it will be retried"
                        );
                        *all_took_it = false;
                    }
                }
            }
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let (one, cap) = (Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(backoff(one, cap, 0), one);
        assert_eq!(backoff(one, cap, 3), Duration::from_secs(8));
        assert_eq!(backoff(one, cap, 9), cap);
        assert_eq!(backoff(one, cap, u32::MAX), cap);
    }
}
