//! One Redis connection for the counters every node must share: the rate limits'
//! budgets (`http::rate_limit::redis`) and the failed-attempt budgets
//! (`failed_attempts::shared`), when `rate_limit.store` is a Redis URL.
//!
//! The connection is made lazily and re-made by redis's `ConnectionManager`; every
//! call has a short timeout, and after a failure Redis is left alone for [`BACKOFF`],
//! so an outage costs requests at most one timeout per second (callers fall back: the
//! rate limits fail open, the failed-attempt budgets count in this node's memory).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::FromRedisValue;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Connect and response timeout of one Redis call.
const TIMEOUT: Duration = Duration::from_millis(250);
/// How long to skip Redis after it failed.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// The Redis of `rate_limit.store` and the start of every key put there
/// (`rate_limit.key_prefix`): what the counters of the failed-attempt budgets need.
#[derive(Debug, Clone)]
pub struct SharedCounters {
    pub redis: Arc<SharedRedis>,
    pub prefix: String,
}

/// A lazily connected Redis shared by every worker of both listeners.
pub struct SharedRedis {
    client: redis::Client,
    manager: tokio::sync::OnceCell<ConnectionManager>,
    failed_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for SharedRedis {
    // The URL may carry a password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SharedRedisError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Redis failed less than {0:?} ago; not asked")]
    BackingOff(Duration),
}

impl SharedRedis {
    /// A connection for `url` (`redis://…`); nothing is connected until the first call.
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            manager: tokio::sync::OnceCell::new(),
            failed_at: Mutex::new(None),
        })
    }

    /// The Redis of `rate_limit.store`, or `None` when counters stay in memory. The
    /// store was validated with the configuration; a URL the client cannot parse is the
    /// one error left.
    pub fn for_store(store: &str) -> Result<Option<Arc<Self>>, String> {
        if store == "memory" {
            return Ok(None);
        }
        Self::new(store)
            .map(|redis| Some(Arc::new(redis)))
            .map_err(|e| format!("rate_limit.store: {e}"))
    }

    async fn connection(&self) -> Result<ConnectionManager, SharedRedisError> {
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

    /// Runs `command` within the timeout, unless Redis failed less than [`BACKOFF`]
    /// ago; a failure starts a new back-off.
    pub async fn query<T: FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, SharedRedisError> {
        if self.backing_off() {
            return Err(SharedRedisError::BackingOff(BACKOFF));
        }
        let call = async {
            let mut connection = self.connection().await?;
            command
                .query_async::<T>(&mut connection)
                .await
                .map_err(SharedRedisError::from)
        };
        let result = match tokio::time::timeout(TIMEOUT * 2, call).await {
            Ok(result) => result,
            Err(_) => Err(SharedRedisError::Timeout(TIMEOUT * 2)),
        };
        if result.is_err() {
            self.remember_failure();
        }
        result
    }
}
