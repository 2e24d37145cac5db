//! Readiness of the SQL store (`StorageHealth`). Ready means: a connection is available
//! within [`PING_TIMEOUT`], the schema answers a query and has every embedded migration
//! (like Hydra's readiness check, a half-migrated database is not ready), and for SQLite
//! the database file is still the one the store opened.
//!
//! The ping goes past the circuit breaker and feeds it (`breaker.rs`): the background
//! readiness probe (`crate::health`) is what closes it again once the database answers.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;

use super::{SqlStore, migrations};
use crate::storage::{StorageError, StorageHealth};

/// How long a ping waits for a connection: within the readiness probe's own bound
/// (`crate::health::PROBE_TIMEOUT`), so that a ping never outlives the probe that
/// started it by more than its query.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// The (device, inode) pair of a file. Open SQLite connections keep writing to the inode
/// they opened; if the file at the path is removed or replaced, those writes go to an
/// orphaned inode while new connections open a different database, so this is an outage
/// even though every query still succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileIdentity {
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    #[cfg(unix)]
    pub(super) fn of(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Without inode numbers only the file's presence can be checked.
    #[cfg(not(unix))]
    pub(super) fn of(path: &Path) -> std::io::Result<Self> {
        std::fs::metadata(path).map(|_| Self { dev: 0, ino: 0 })
    }
}

#[async_trait]
impl StorageHealth for SqlStore {
    async fn ping(&self) -> Result<(), StorageError> {
        let backend = self.backend;
        let sqlite_file = self.sqlite_file.clone();
        let pending = self
            .run_with_timeout(PING_TIMEOUT, false, move |conn| {
                if let Some(file) = &sqlite_file
                    && FileIdentity::of(&file.path).ok() != Some(file.identity)
                {
                    return Err(StorageError::Unavailable(format!(
                        "database file {} was removed or replaced after the server opened \
                         it; restart the server",
                        file.path.display()
                    )));
                }
                migrations::pending_read_only(conn, backend)
            })
            .await?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(StorageError::Unavailable(format!(
                "the database schema is not up to date, pending migrations: {}; \
                 run `portunus migrate sql up`",
                pending.join(", ")
            )))
        }
    }
}
