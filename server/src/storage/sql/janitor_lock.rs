//! The janitor's cluster lock: one janitor run at a time per database, whichever node or
//! command starts it (docs/operations.md, "Janitor"). A run that does not get the lock
//! is skipped, never queued: the holder is cleaning the same rows.
//!
//! - PostgreSQL: `pg_try_advisory_lock` on a connection of its own, opened for the run
//!   outside the pool (the command's pool has one connection, which the deletes need).
//!   The lock is the session's, so it lasts until `pg_advisory_unlock` or until the
//!   connection ends — a node that dies mid-run frees it with its connection. Advisory
//!   locks are per database.
//! - MySQL: `GET_LOCK(name, 0)` / `RELEASE_LOCK(name)`, likewise on a connection of its
//!   own. Named locks are per server, so the name carries a hash of the database name:
//!   two deployments on one MySQL server do not block each other.
//! - SQLite: an exclusive advisory lock (`flock`) on the file `<database>.janitor.lock`
//!   beside the database, which the kernel releases when the process ends. It keeps a
//!   server's janitor and a `portunus janitor` on the same file from running together.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Integer};

use super::connection::DbConnection;
use super::dsn::Backend;
use super::{SqlStore, map_diesel};
use crate::storage::StorageError;

/// The first key of the janitor's PostgreSQL advisory lock ("jnit"); the token family
/// locks use another (`tokens.rs`), so the two can never collide.
const PG_LOCK_SPACE: i32 = 0x6a6e_6974;
const PG_LOCK_KEY: i32 = 1;

/// MySQL's lock name: the prefix and the SHA-1 of the database name, 57 characters (at
/// most 64 are allowed).
const MYSQL_LOCK_NAME: &str = "CONCAT('portunus_janitor_', SHA1(COALESCE(DATABASE(), '')))";

/// The held lock; [`JanitorLock::release`] gives it back. Dropping it releases it too
/// (the connection closes, the file handle closes), only less promptly.
pub struct JanitorLock {
    held: Held,
}

enum Held {
    Connection(Box<DbConnection>),
    File(File),
}

impl std::fmt::Debug for JanitorLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.held {
            Held::Connection(_) => "session",
            Held::File(_) => "file",
        };
        f.debug_struct("JanitorLock").field("held", &how).finish()
    }
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = BigInt)]
    locked: i64,
}

impl SqlStore {
    /// Takes the janitor's lock without waiting: `None` when another run holds it.
    pub async fn try_janitor_lock(&self) -> Result<Option<JanitorLock>, StorageError> {
        let manager = self.manager.clone();
        let lock_file = self.sqlite_file.as_ref().map(|file| lock_path(&file.path));
        let backend = self.backend;
        tokio::task::spawn_blocking(move || match (backend, lock_file) {
            (Backend::Sqlite, Some(path)) => try_file_lock(path),
            (Backend::Sqlite, None) => Err(StorageError::Database(
                "an SQLite store without a database file".to_owned(),
            )),
            (Backend::Postgres | Backend::Mysql, _) => {
                let mut conn = manager.establish().map_err(|e| {
                    StorageError::Unavailable(format!("cannot open the janitor's connection: {e}"))
                })?;
                if try_session_lock(&mut conn)? {
                    Ok(Some(JanitorLock {
                        held: Held::Connection(Box::new(conn)),
                    }))
                } else {
                    Ok(None)
                }
            }
        })
        .await
        .map_err(|e| StorageError::Database(format!("janitor lock task failed: {e}")))?
    }
}

impl JanitorLock {
    /// Gives the lock back and closes what held it.
    pub async fn release(self) -> Result<(), StorageError> {
        tokio::task::spawn_blocking(move || match self.held {
            Held::Connection(mut conn) => release_session_lock(&mut conn),
            Held::File(file) => file
                .unlock()
                .map_err(|e| StorageError::Database(format!("unlocking the janitor lock: {e}"))),
        })
        .await
        .map_err(|e| StorageError::Database(format!("janitor unlock task failed: {e}")))?
    }
}

/// `<database>.janitor.lock`, beside the database file.
fn lock_path(database: &std::path::Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".janitor.lock");
    PathBuf::from(name)
}

fn try_file_lock(path: PathBuf) -> Result<Option<JanitorLock>, StorageError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            StorageError::Unavailable(format!(
                "cannot open the janitor lock file {}: {e}",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JanitorLock {
            held: Held::File(file),
        })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(StorageError::Database(format!(
            "cannot lock the janitor lock file {}: {e}",
            path.display()
        ))),
    }
}

fn try_session_lock(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let row: Locked = match conn {
        DbConnection::Postgresql(conn) => diesel::sql_query(
            "SELECT CAST(pg_try_advisory_lock($1, $2) AS INTEGER)::BIGINT AS locked",
        )
        .bind::<Integer, _>(PG_LOCK_SPACE)
        .bind::<Integer, _>(PG_LOCK_KEY)
        .get_result(conn),
        DbConnection::Mysql(conn) => diesel::sql_query(format!(
            "SELECT CAST(COALESCE(GET_LOCK({MYSQL_LOCK_NAME}, 0), 0) AS SIGNED) AS locked"
        ))
        .get_result(conn),
        DbConnection::Sqlite(_) => {
            return Err(StorageError::Database(
                "SQLite's janitor lock is a file".to_owned(),
            ));
        }
    }
    .map_err(map_diesel)?;
    Ok(row.locked == 1)
}

fn release_session_lock(conn: &mut DbConnection) -> Result<(), StorageError> {
    match conn {
        DbConnection::Postgresql(conn) => diesel::sql_query(
            "SELECT CAST(pg_advisory_unlock($1, $2) AS INTEGER)::BIGINT AS locked",
        )
        .bind::<Integer, _>(PG_LOCK_SPACE)
        .bind::<Integer, _>(PG_LOCK_KEY)
        .get_result::<Locked>(conn),
        DbConnection::Mysql(conn) => diesel::sql_query(format!(
            "SELECT CAST(COALESCE(RELEASE_LOCK({MYSQL_LOCK_NAME}), 0) AS SIGNED) AS locked"
        ))
        .get_result::<Locked>(conn),
        DbConnection::Sqlite(_) => return Ok(()),
    }
    .map(|_| ())
    .map_err(map_diesel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_database() {
        assert_eq!(
            lock_path(std::path::Path::new("/var/lib/portunus/db.sqlite")),
            PathBuf::from("/var/lib/portunus/db.sqlite.janitor.lock")
        );
    }
}
