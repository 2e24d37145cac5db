//! The shared store: GCRA in one Lua script on Redis, so every node pointed at the
//! same Redis spends from one budget per key. Same algorithm as governor's (the memory
//! store): a key holds its theoretical arrival time (TAT) in microseconds of Redis's
//! clock (`TIME`, so node clocks do not matter) and expires when its budget is full
//! again. The connection is made lazily and re-made by redis's `ConnectionManager`;
//! every call has a short timeout, and after a failure Redis is left alone for
//! `BACKOFF` so an outage costs requests nothing (the caller fails open).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Decision, Group};
use crate::config::GroupLimit;

/// Connect and response timeout of one Redis call.
const TIMEOUT: Duration = Duration::from_millis(250);
/// How long to skip Redis after it failed.
const BACKOFF: Duration = Duration::from_secs(1);

/// KEYS[1]: the key; ARGV[1]: emission interval (µs per request); ARGV[2]: burst.
/// Returns {allowed, remaining, retry_after_us}.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local limit = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > limit then
  return {0, 0, new_tat - now - limit}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((limit - (new_tat - now)) / interval), 0}
";

pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    manager: tokio::sync::OnceCell<ConnectionManager>,
    failed_at: Mutex<Option<Instant>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedisStoreError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Redis failed less than {0:?} ago; not asked")]
    BackingOff(Duration),
}

impl RedisStore {
    /// A store for `url` (`redis://…`); nothing is connected until the first check.
    pub fn new(url: &str, prefix: String) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            prefix,
            manager: tokio::sync::OnceCell::new(),
            failed_at: Mutex::new(None),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, RedisStoreError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let manager = self
            .manager
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await?;
        Ok(manager.clone())
    }

    fn backing_off(&self) -> bool {
        let failed_at = self.failed_at.lock().map(|g| *g).unwrap_or(None);
        failed_at.is_some_and(|at| at.elapsed() < BACKOFF)
    }

    fn remember_failure(&self) {
        if let Ok(mut failed_at) = self.failed_at.lock() {
            *failed_at = Some(Instant::now());
        }
    }

    /// Spends one request of `key`'s budget in `group` on Redis.
    pub async fn check(
        &self,
        group: Group,
        key: &str,
        limit: GroupLimit,
    ) -> Result<Decision, RedisStoreError> {
        if self.backing_off() {
            return Err(RedisStoreError::BackingOff(BACKOFF));
        }
        let result = tokio::time::timeout(TIMEOUT * 2, self.eval(group, key, limit)).await;
        let result = match result {
            Ok(result) => result,
            Err(_) => Err(RedisStoreError::Timeout(TIMEOUT * 2)),
        };
        if result.is_err() {
            self.remember_failure();
        }
        result
    }

    async fn eval(
        &self,
        group: Group,
        key: &str,
        limit: GroupLimit,
    ) -> Result<Decision, RedisStoreError> {
        let mut connection = self.connection().await?;
        // At least 1 µs: a rate above a million a second is no limit anyway.
        let interval_us = (60_000_000 / u64::from(limit.per_minute.max(1))).max(1);
        let (allowed, remaining, retry_us): (i64, i64, i64) = redis::cmd("EVAL")
            .arg(GCRA)
            .arg(1)
            .arg(format!("{}{}:{key}", self.prefix, group.name()))
            .arg(interval_us)
            .arg(limit.burst)
            .query_async(&mut connection)
            .await?;
        Ok(if allowed == 1 {
            Decision::allowed(u32::try_from(remaining).unwrap_or(0), limit)
        } else {
            Decision::denied(Duration::from_micros(u64::try_from(retry_us).unwrap_or(0)))
        })
    }
}
