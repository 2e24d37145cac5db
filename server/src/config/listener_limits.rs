//! Connection limits of each listener and the shutdown settings (issue 23: slow and
//! abusive clients, graceful shutdown; docs/operations.md "Faults"). The names follow
//! Ory's `serve.*.timeout.{read,idle}` (Oathkeeper); Hydra has no such keys.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};
use crate::duration::GoDuration;

/// `serve.{public,admin}.timeout`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerTimeouts {
    /// A client must send a request's line and headers within this long of connecting
    /// (or of the previous response on a kept-alive connection), else it gets 408 and
    /// the connection closes: a slowloris client holds a connection for this long at
    /// most. 100ms to 1m.
    pub read: GoDuration,
    /// An idle kept-alive connection is closed after this long; 0 disables keep-alive.
    /// At most 10m.
    pub idle: GoDuration,
}

impl Default for ListenerTimeouts {
    fn default() -> Self {
        Self {
            read: GoDuration::from_secs(5),
            idle: GoDuration::from_secs(60),
        }
    }
}

/// The default `serve.{public,admin}.max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The largest `serve.*.max_connections` accepted (each connection holds buffers).
pub const MAX_MAX_CONNECTIONS: usize = 1_000_000;

impl Config {
    /// `serve.*.timeout`, `serve.*.max_connections`, `serve.shutdown_*`: bounded, so a
    /// typo can neither disable a protection nor make shutdown hang.
    pub(super) fn validate_listener_limits(&self, errors: &mut Vec<ConfigError>) {
        let mut out_of = |key: &str, ok: bool, message: &str| {
            if !ok {
                errors.push(ConfigError::Invalid {
                    key: key.into(),
                    message: message.into(),
                });
            }
        };
        for (name, timeouts, max) in [
            (
                "public",
                &self.serve.public.timeout,
                self.serve.public.max_connections,
            ),
            (
                "admin",
                &self.serve.admin.timeout,
                self.serve.admin.max_connections,
            ),
        ] {
            out_of(
                &format!("serve.{name}.timeout.read"),
                (Duration::from_millis(100)..=Duration::from_secs(60))
                    .contains(&timeouts.read.as_std()),
                "must be between 100ms and 1m",
            );
            out_of(
                &format!("serve.{name}.timeout.idle"),
                timeouts.idle.as_std() <= Duration::from_secs(600),
                "must be at most 10m (0 disables keep-alive)",
            );
            out_of(
                &format!("serve.{name}.max_connections"),
                (1..=MAX_MAX_CONNECTIONS).contains(&max),
                "must be between 1 and 1000000",
            );
        }
        out_of(
            "serve.shutdown_timeout",
            self.serve.shutdown_timeout.as_std() <= Duration::from_secs(600),
            "must be at most 10m",
        );
        out_of(
            "serve.shutdown_drain_delay",
            self.serve.shutdown_drain_delay.as_std() <= Duration::from_secs(300),
            "must be at most 5m",
        );
    }
}

/// What one listener's `HttpServer` is built with (`app.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListenerLimits {
    pub read_timeout: Duration,
    pub idle_timeout: Duration,
    /// Per worker thread: actix counts connections per worker, so the configured total
    /// is divided (rounded up) among them.
    pub max_connections_per_worker: usize,
    pub shutdown_timeout: Duration,
}

impl ListenerLimits {
    pub fn new(config: &Config, timeouts: ListenerTimeouts, max: usize, workers: usize) -> Self {
        Self {
            read_timeout: timeouts.read.as_std(),
            idle_timeout: timeouts.idle.as_std(),
            max_connections_per_worker: max.div_ceil(workers.max(1)).max(1),
            shutdown_timeout: config.serve.shutdown_timeout.as_std(),
        }
    }
}
