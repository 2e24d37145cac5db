//! A failed-attempt budget every node shares: the window of a key lives in Redis
//! (`rate_limit.store`), so a guesser spreading tries over the nodes behind a load
//! balancer spends one budget, not one per node. Each failure is also counted in this
//! node's memory ([`FailedAttempts`]): while Redis does not answer, the node decides
//! from its own counts instead of letting guesses through unlimited.
//!
//! Same fixed window as the memory budget: it starts at a key's first failure and lasts
//! `window`, measured by Redis's key expiry (so node clocks do not matter). Keys are
//! SHA-256 digests: usernames are not stored in Redis, and every key has one length.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::FailedAttempts;
use crate::redis_client::{SharedCounters, SharedRedisError};

/// KEYS[1]: the key; ARGV[1]: the window in ms. Counts a failure; the first one of a
/// window sets the window's expiry.
const RECORD: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
";

/// KEYS[1]: the key; ARGV[1]: the failures allowed. The milliseconds left of a window
/// whose failures are used up, else 0.
const BLOCKED: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[1]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then return 0 end
return left
";

/// One budget (`name`, e.g. the password grant's usernames) of failures per key.
#[derive(Debug)]
pub struct Budget {
    name: &'static str,
    max: u32,
    window: Duration,
    local: FailedAttempts,
    shared: Option<SharedCounters>,
}

impl Budget {
    /// `max` failures per `window` per key (at most `capacity` keys in memory), kept in
    /// `shared` under `<prefix>failed_attempts:<name>:<digest>` when given.
    pub fn new(
        name: &'static str,
        max: u32,
        window: Duration,
        capacity: usize,
        shared: Option<&SharedCounters>,
    ) -> Self {
        Self {
            name,
            max,
            window,
            local: FailedAttempts::new(max, window, capacity),
            shared: shared.cloned(),
        }
    }

    fn redis_key(&self, prefix: &str, key: &str) -> String {
        let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(key.as_bytes()));
        format!("{prefix}failed_attempts:{}:{digest}", self.name)
    }

    fn window_ms(&self) -> i64 {
        self.window.num_milliseconds().max(1)
    }

    /// When `key` may try again, if it has used up its failures of the current window.
    pub async fn blocked_until(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some(shared) = &self.shared {
            let mut command = redis::cmd("EVAL");
            command
                .arg(BLOCKED)
                .arg(1)
                .arg(self.redis_key(&shared.prefix, key))
                .arg(self.max);
            match shared.redis.query::<i64>(&command).await {
                Ok(0) => return None,
                Ok(left_ms) => {
                    return Some(
                        now.checked_add_signed(Duration::milliseconds(left_ms))
                            .unwrap_or(DateTime::<Utc>::MAX_UTC),
                    );
                }
                Err(err) => self.fell_back(&err),
            }
        }
        self.local.blocked_until(key, now)
    }

    /// Counts one failure of `key` at `now`, in Redis (when shared) and in memory.
    pub async fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        self.local.record_failure(key, now);
        if let Some(shared) = &self.shared {
            let mut command = redis::cmd("EVAL");
            command
                .arg(RECORD)
                .arg(1)
                .arg(self.redis_key(&shared.prefix, key))
                .arg(self.window_ms());
            if let Err(err) = shared.redis.query::<i64>(&command).await {
                self.fell_back(&err);
            }
        }
    }

    fn fell_back(&self, err: &SharedRedisError) {
        crate::prometheus::failed_attempts_fell_back(self.name);
        if !matches!(err, SharedRedisError::BackingOff(_)) {
            tracing::warn!(
                budget = self.name,
                error = %err,
                "failed-attempt store unavailable: counted in this node's memory"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_budget_blocks_after_max_failures() {
        let budget = Budget::new("test", 2, Duration::seconds(60), 10, None);
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        budget.record_failure("ada", now).await;
        assert_eq!(budget.blocked_until("ada", now).await, None);
        budget.record_failure("ada", now).await;
        assert_eq!(
            budget.blocked_until("ada", now).await,
            Some(now + Duration::seconds(60))
        );
    }

    #[test]
    fn redis_keys_hide_the_key_and_name_the_budget() {
        let budget = Budget::new(
            "password_grant_username",
            2,
            Duration::seconds(60),
            10,
            None,
        );
        let key = budget.redis_key("portunus:rate_limit:", "alice@example.com");
        assert!(
            key.starts_with("portunus:rate_limit:failed_attempts:password_grant_username:"),
            "{key}"
        );
        assert!(!key.contains("alice"), "{key}");
    }
}
