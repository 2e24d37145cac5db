//! Events that report no change of ours (`auth.client_failed`, `rate_limit.exceeded`):
//! there is no transaction to ride on, so each is a standalone outbox insert
//! (`EventOutbox::enqueue`), sampled so that whoever can cause refusals cannot flood the
//! outbox (`events.sampling`; docs/operations.md, "Sampled events"):
//!
//! - per key (a `(client_id, reason)`, a rate-limit group): at most one event per
//!   `interval` on this node; the next one carries how many were `suppressed` since;
//! - in all: at most `max_per_interval` events per `interval`; what the cap refuses,
//!   and what finds no room among the [`MAX_KEYS`] keys kept, is counted and carried
//!   by the next event written as `suppressed_other`.
//!
//! The insert runs in a spawned task: the refused request's answer never waits for it,
//! and a failure is logged (the event's type and the storage error, nothing of the
//! request) and dropped. With `events.enabled` off nothing is counted or written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::envelope::Event;
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::EventOutbox;

/// The most keys one node keeps counts for; keys beyond wait for expired ones to go.
pub const MAX_KEYS: usize = 4096;

/// What an event that passed the sampling reports of those that did not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// Offers of the same key suppressed since its previous event.
    pub suppressed: u64,
    /// Offers of any key dropped for lack of room (the per-interval cap, the key
    /// table full) since the previous event of any key.
    pub suppressed_other: u64,
}

#[derive(Debug)]
struct Slot {
    last: DateTime<Utc>,
    suppressed: u64,
}

#[derive(Debug)]
struct State {
    slots: HashMap<String, Slot>,
    window_start: Option<DateTime<Utc>>,
    written_in_window: u32,
    overflow: u64,
}

/// The bounded bookkeeping of the sampling (see the module documentation).
#[derive(Debug)]
pub struct Sampler {
    interval: chrono::Duration,
    max_per_interval: u32,
    state: Mutex<State>,
}

impl Sampler {
    pub fn new(interval: std::time::Duration, max_per_interval: u32) -> Self {
        Self {
            interval: chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX),
            max_per_interval,
            state: Mutex::new(State {
                slots: HashMap::new(),
                window_start: None,
                written_in_window: 0,
                overflow: 0,
            }),
        }
    }

    /// Whether `since` is at least an interval before `now` (or after it: a clock set
    /// back starts afresh rather than suppressing until it catches up).
    fn expired(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let elapsed = now.signed_duration_since(since);
        elapsed < chrono::Duration::zero() || elapsed >= self.interval
    }

    /// One refusal of `key` at `now`: `Some` when an event is to be written, with what
    /// it reports as suppressed; `None` when it is counted instead.
    pub fn offer(&self, key: &str, now: DateTime<Utc>) -> Option<Sample> {
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state
            .window_start
            .is_none_or(|start| self.expired(start, now))
        {
            state.window_start = Some(now);
            state.written_in_window = 0;
        }
        let cap_reached = state.written_in_window >= self.max_per_interval;
        if let Some(slot) = state.slots.get_mut(key)
            && (cap_reached || !self.expired(slot.last, now))
        {
            slot.suppressed = slot.suppressed.saturating_add(1);
            return None;
        }
        if cap_reached {
            state.overflow = state.overflow.saturating_add(1);
            return None;
        }
        if !state.slots.contains_key(key) && state.slots.len() >= MAX_KEYS {
            self.prune(&mut state, now);
            if state.slots.len() >= MAX_KEYS {
                state.overflow = state.overflow.saturating_add(1);
                return None;
            }
        }
        let suppressed = state.slots.get(key).map_or(0, |slot| slot.suppressed);
        state.slots.insert(
            key.to_owned(),
            Slot {
                last: now,
                suppressed: 0,
            },
        );
        state.written_in_window = state.written_in_window.saturating_add(1);
        Some(Sample {
            suppressed,
            suppressed_other: std::mem::take(&mut state.overflow),
        })
    }

    /// Drops the keys whose interval is over; their pending counts move to the
    /// overflow, so no refusal goes uncounted.
    fn prune(&self, state: &mut State, now: DateTime<Utc>) {
        let mut moved = 0_u64;
        state.slots.retain(|_, slot| {
            let keep = !self.expired(slot.last, now);
            if !keep {
                moved = moved.saturating_add(slot.suppressed);
            }
            keep
        });
        state.overflow = state.overflow.saturating_add(moved);
    }

    /// How many keys are kept (for tests).
    pub fn keys(&self) -> usize {
        match self.state.lock() {
            Ok(state) => state.slots.len(),
            Err(poisoned) => poisoned.into_inner().slots.len(),
        }
    }
}

struct Writer {
    outbox: Arc<dyn EventOutbox>,
    issuer: String,
    clock: Arc<dyn Clock>,
    sampler: Sampler,
}

/// The sampled writer shared by client authentication and the rate limiter; a no-op
/// with events off.
#[derive(Clone, Default)]
pub struct SampledEvents {
    writer: Option<Arc<Writer>>,
}

impl std::fmt::Debug for SampledEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampledEvents")
            .field("enabled", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl SampledEvents {
    /// The writer of `config`'s `events.sampling` into `outbox`; nothing with
    /// `events.enabled` off.
    pub fn new(config: &Config, outbox: Arc<dyn EventOutbox>, clock: Arc<dyn Clock>) -> Self {
        if !config.events.enabled {
            return Self::default();
        }
        let sampling = &config.events.sampling;
        Self {
            writer: Some(Arc::new(Writer {
                outbox,
                issuer: config.issuer(),
                clock,
                sampler: Sampler::new(sampling.interval.as_std(), sampling.max_per_interval),
            })),
        }
    }

    /// One refusal of `key`: when it passes the sampling, `build` makes its event
    /// (given what was suppressed) and a background task queues it.
    pub fn offer(&self, key: &str, build: impl FnOnce(Sample) -> Event) {
        let Some(writer) = &self.writer else {
            return;
        };
        let now = writer.clock.now();
        let Some(sample) = writer.sampler.offer(key, now) else {
            return;
        };
        let event = build(sample);
        let event_type = event.event_type;
        let row = match event.into_outbox(&writer.issuer, now) {
            Ok(row) => row,
            Err(error) => {
                tracing::warn!(event_type, %error, "a sampled event cannot be encoded");
                return;
            }
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let outbox = writer.outbox.clone();
        runtime.spawn(async move {
            if let Err(error) = outbox.enqueue(&row).await {
                tracing::warn!(event_type, %error, "a sampled event was not written");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn one_event_per_key_and_interval_carries_the_suppressed_count() {
        let sampler = Sampler::new(std::time::Duration::from_secs(60), 100);
        assert_eq!(sampler.offer("a", at(0)), Some(Sample::default()));
        for second in 1..50 {
            assert_eq!(sampler.offer("a", at(second)), None);
        }
        assert!(
            sampler.offer("b", at(1)).is_some(),
            "keys are sampled apart"
        );
        let next = sampler.offer("a", at(60)).unwrap();
        assert_eq!(next.suppressed, 49);
        assert_eq!(sampler.offer("a", at(61)), None);
    }

    #[test]
    fn the_cap_and_the_key_table_bound_everything_and_count_the_rest() {
        let sampler = Sampler::new(std::time::Duration::from_secs(60), 3);
        let written = (0..10)
            .filter(|n| sampler.offer(&format!("k{n}"), at(0)).is_some())
            .count();
        assert_eq!(written, 3);
        let next = sampler.offer("k9", at(60)).unwrap();
        assert_eq!(next.suppressed_other, 7);
        let many = Sampler::new(std::time::Duration::from_secs(60), u32::MAX);
        for n in 0..(MAX_KEYS + 10) {
            many.offer(&format!("k{n}"), at(0));
        }
        assert_eq!(many.keys(), MAX_KEYS);
        let after = many.offer("fresh", at(61)).unwrap();
        assert_eq!(after.suppressed_other, 10, "the refused keys are counted");
        assert_eq!(many.keys(), 1, "expired keys make room");
    }

    #[test]
    fn a_clock_set_back_starts_afresh() {
        let sampler = Sampler::new(std::time::Duration::from_secs(60), 100);
        assert!(sampler.offer("a", at(100)).is_some());
        assert!(sampler.offer("a", at(10)).is_some());
    }
}
