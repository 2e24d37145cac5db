//! `database.*`: how the server waits for its database (issue 23, docs/operations.md
//! "Faults"). The DSN itself stays at the top level (`dsn`), as in Hydra.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};
use crate::duration::GoDuration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Opening one PostgreSQL or MySQL connection (TCP, TLS, authentication) gives up
    /// after this long; 100ms to 1m. A PostgreSQL DSN's own `connect_timeout` wins.
    pub connect_timeout: GoDuration,
    /// A storage call waits this long for a pooled connection, then answers 503
    /// `temporarily_unavailable`; 10ms to 30s.
    pub acquire_timeout: GoDuration,
    /// PostgreSQL and MySQL: the longest one statement of the server may run (lock waits
    /// included on PostgreSQL and MariaDB), then the request answers 503; 100ms to 10m.
    pub statement_timeout: GoDuration,
    /// At startup, how long in all to keep trying to reach a PostgreSQL or MySQL server
    /// that does not answer yet, before failing; 0s to 10m (0s: one attempt).
    pub startup_timeout: GoDuration,
    pub sqlite: SqliteConfig,
    pub postgres: PostgresConfig,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            connect_timeout: GoDuration::from_secs(5),
            acquire_timeout: GoDuration::from_secs(1),
            statement_timeout: GoDuration::from_secs(10),
            startup_timeout: GoDuration::from_secs(30),
            sqlite: SqliteConfig::default(),
            postgres: PostgresConfig::default(),
        }
    }
}

/// `database.postgres.*`: settings that only a PostgreSQL DSN uses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// Keep decoded clients in memory, invalidated across nodes through LISTEN/NOTIFY
    /// (`storage::sql::client_notify`). Off: every lookup reads the row. Turn it off when
    /// the DSN goes through a pooler in transaction mode (PgBouncer), where the listener
    /// connection's LISTEN does not stay with it.
    pub client_cache: bool,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self { client_cache: true }
    }
}

/// `database.sqlite.*`: settings that only an SQLite DSN uses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SqliteConfig {
    /// `normal` (default): an answered write survives a crash of the process, and the
    /// last ones may be lost on a power loss or OS crash; `full`: it survives those too,
    /// at one fsync per commit (docs/benchmarks.md, "Durability of each backend").
    pub synchronous: SqliteSynchronousMode,
}

/// SQLite's `PRAGMA synchronous` in WAL mode, as configured.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronousMode {
    #[default]
    Normal,
    Full,
}

impl Config {
    /// `database.*`: bounded, so a typo can neither disable a timeout nor make it hang.
    pub(super) fn validate_database(&self, errors: &mut Vec<ConfigError>) {
        let bounds = [
            (
                "database.connect_timeout",
                self.database.connect_timeout,
                Duration::from_millis(100),
                Duration::from_secs(60),
                "must be between 100ms and 1m",
            ),
            (
                "database.acquire_timeout",
                self.database.acquire_timeout,
                Duration::from_millis(10),
                Duration::from_secs(30),
                "must be between 10ms and 30s",
            ),
            (
                "database.statement_timeout",
                self.database.statement_timeout,
                Duration::from_millis(100),
                Duration::from_secs(600),
                "must be between 100ms and 10m",
            ),
            (
                "database.startup_timeout",
                self.database.startup_timeout,
                Duration::ZERO,
                Duration::from_secs(600),
                "must be at most 10m",
            ),
        ];
        for (key, value, min, max, message) in bounds {
            if !(min..=max).contains(&value.as_std()) {
                errors.push(ConfigError::Invalid {
                    key: key.into(),
                    message: message.into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_synchronous_reads_normal_or_full() {
        let read = |text: &str| serde_json::from_str::<SqliteSynchronousMode>(text);
        assert_eq!(read("\"full\"").ok(), Some(SqliteSynchronousMode::Full));
        assert_eq!(read("\"normal\"").ok(), Some(SqliteSynchronousMode::Normal));
        assert!(read("\"off\"").is_err(), "durability is never turned off");
    }

    #[test]
    fn timeouts_are_bounded() {
        let mut config = Config::default();
        let mut errors = Vec::new();
        config.validate_database(&mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        config.database.connect_timeout = GoDuration::from_secs(0);
        config.database.acquire_timeout = GoDuration::from_secs(31);
        config.validate_database(&mut errors);
        let keys: Vec<String> = errors
            .iter()
            .map(|e| match e {
                ConfigError::Invalid { key, .. } => key.clone(),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(
            keys,
            ["database.connect_timeout", "database.acquire_timeout"]
        );
    }
}
