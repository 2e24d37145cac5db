//! The shared store: GCRA in one Lua script on Redis, so every node pointed at the
//! same Redis spends from one budget per key. Same algorithm as governor's (the memory
//! store): a key holds its theoretical arrival time (TAT) in microseconds of Redis's
//! clock (`TIME`, so node clocks do not matter) and expires when its budget is full
//! again. The connection, its timeouts and back-off are `crate::redis_client`'s; the
//! caller fails open when Redis does not answer.

use std::sync::Arc;
use std::time::Duration;

use super::{Decision, Group};
use crate::config::GroupLimit;
use crate::redis_client::{SharedRedis, SharedRedisError};

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
    redis: Arc<SharedRedis>,
    prefix: String,
}

impl RedisStore {
    /// A store on the shared connection; nothing is connected until the first check.
    pub fn new(redis: Arc<SharedRedis>, prefix: String) -> Self {
        Self { redis, prefix }
    }

    /// Spends one request of `key`'s budget in `group` on Redis.
    pub async fn check(
        &self,
        group: Group,
        key: &str,
        limit: GroupLimit,
    ) -> Result<Decision, SharedRedisError> {
        // At least 1 µs: a rate above a million a second is no limit anyway.
        let interval_us = (60_000_000 / u64::from(limit.per_minute.max(1))).max(1);
        let mut command = redis::cmd("EVAL");
        command
            .arg(GCRA)
            .arg(1)
            .arg(format!("{}{}:{key}", self.prefix, group.name()))
            .arg(interval_us)
            .arg(limit.burst);
        let (allowed, remaining, retry_us): (i64, i64, i64) = self.redis.query(&command).await?;
        Ok(if allowed == 1 {
            Decision::allowed(u32::try_from(remaining).unwrap_or(0), limit)
        } else {
            Decision::denied(Duration::from_micros(u64::try_from(retry_us).unwrap_or(0)))
        })
    }
}
