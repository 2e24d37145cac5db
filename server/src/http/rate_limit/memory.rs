//! The per-node store: one governor GCRA limiter per endpoint group, keyed by client
//! address. Each node counts only the requests it serves (N nodes behind a load
//! balancer allow up to N times the budget); use the Redis store to share counters.
//! Memory stays bounded: `prune` drops keys whose budget is full again.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

/// A keyed GCRA limiter that reports the budget left after each request.
type Limiter = DefaultKeyedRateLimiter<String, StateInformationMiddleware>;

use super::{Decision, GROUPS, Group};
use crate::config::GroupLimit;

pub struct MemoryStore {
    limiters: [Limiter; GROUPS],
    clock: DefaultClock,
}

fn quota(limit: GroupLimit) -> Quota {
    // Validation keeps both at least 1 (`RateLimitConfig::problems`).
    let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl MemoryStore {
    pub fn new(limits: &[GroupLimit; GROUPS]) -> Self {
        Self {
            limiters: limits
                .map(|limit| DefaultKeyedRateLimiter::keyed(quota(limit)).with_middleware()),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one request of `key`'s budget in `group`, if there is one left.
    pub fn check(&self, group: Group, key: String, limit: GroupLimit) -> Decision {
        let Some(limiter) = self.limiters.get(group.index()) else {
            return Decision::allowed(limit.burst, limit);
        };
        match limiter.check_key(&key) {
            Ok(snapshot) => Decision::allowed(snapshot.remaining_burst_capacity(), limit),
            Err(not_until) => Decision::denied(not_until.wait_time_from(self.clock.now())),
        }
    }

    /// Forgets keys whose budget has refilled (governor keeps every key seen until
    /// `retain_recent`); called every `PRUNE_EVERY`.
    pub fn prune(&self) {
        for limiter in &self.limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.limiters.iter().map(|l| l.len()).sum()
    }
}

/// How often the memory store forgets refilled keys.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    fn store(limit: GroupLimit) -> MemoryStore {
        MemoryStore::new(&[limit; GROUPS])
    }

    #[test]
    fn the_burst_is_spent_then_denied_per_key() {
        let limit = GroupLimit {
            per_minute: 1,
            burst: 3,
        };
        let store = store(limit);
        let remaining: Vec<u32> = (0..3)
            .map(|_| store.check(Group::Token, "a".into(), limit).remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let denied = store.check(Group::Token, "a".into(), limit);
        assert!(!denied.allowed);
        assert!(denied.retry_after > Duration::from_secs(50));
        // Another key and another group have budgets of their own.
        assert!(store.check(Group::Token, "b".into(), limit).allowed);
        assert!(store.check(Group::Authorize, "a".into(), limit).allowed);
    }

    #[test]
    fn pruning_keeps_only_keys_still_spending() {
        let limit = GroupLimit {
            per_minute: 1,
            burst: 2,
        };
        let store = store(limit);
        store.check(Group::Default, "spent".into(), limit);
        assert_eq!(store.keys(), 1);
        store.prune();
        assert_eq!(store.keys(), 1, "a key with budget still refilling is kept");
    }
}
