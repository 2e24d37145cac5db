//! SQLite's single writer with group commit (docs/benchmarks.md).
//!
//! SQLite admits one writing transaction at a time. With every pooled connection writing
//! on its own, concurrent requests queue on SQLite's file lock (`busy_timeout` sleeps and
//! retries) and each pays for its own commit. Here one thread owns one connection and
//! performs every write of this process: it takes whatever writes are waiting (up to
//! [`MAX_BATCH`]), runs each inside its own savepoint within one `BEGIN IMMEDIATE`
//! transaction, commits once, and only then answers each of them. So:
//!
//! - durability is unchanged: no caller hears "done" before its write is committed (WAL,
//!   `synchronous = NORMAL`, as for every connection, `connection.rs`);
//! - isolation is unchanged: the batch's writes run one after another, as SQLite would
//!   have serialised them anyway; a write that fails rolls back to its savepoint and
//!   leaves the others in the batch untouched;
//! - a commit that fails fails every write of its batch, with the commit's error.
//!
//! Other processes (`portunus janitor`, a second server on the same file) still write
//! through their own connections; `BEGIN IMMEDIATE` waits for them under `busy_timeout`
//! rather than failing on a stale read snapshot as a deferred transaction could.
//!
//! PostgreSQL and MySQL have row locks and concurrent commits: they keep the pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::R2D2Connection;
use diesel::result::Error as DieselError;

use super::checkpointer::Kick;
use super::connection::{ConnectionManager, DbConnection};
use crate::storage::StorageError;

/// Writes committed together at most; bounds how long the first of them waits.
const MAX_BATCH: usize = 256;

/// Answers a write once its batch's commit is known: `None` when it committed, or the
/// commit's error.
type Reply = Box<dyn FnOnce(Option<StorageError>) + Send>;
/// A write: runs inside the batch's transaction and returns how to answer it, or, when
/// the batch cannot run (no connection, `BEGIN` failed), answers that error at once.
type Job = Box<dyn FnOnce(Result<&mut DbConnection, &StorageError>) -> Option<Reply> + Send>;

/// The handle the store keeps; cloning it shares the one writer thread, which ends when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: Sender<Job>,
    /// Writes sent and not yet taken into a batch (the queue depth metric).
    pending: Arc<AtomicUsize>,
}

impl Writer {
    /// Starts the writer thread with a connection of its own from `manager`.
    pub fn start(manager: ConnectionManager) -> Result<Writer, StorageError> {
        let conn = manager.establish().map_err(|e| {
            StorageError::Unavailable(format!("cannot open the SQLite writer: {e}"))
        })?;
        let kick = super::checkpointer::start(&manager)?;
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let pending = Arc::new(AtomicUsize::new(0));
        let taken = pending.clone();
        std::thread::Builder::new()
            .name("portunus-sqlite-writer".to_owned())
            .spawn(move || write_loop(&manager, Some(conn), &queue, &kick, &taken))
            .map_err(|e| {
                StorageError::Unavailable(format!("cannot start the SQLite writer: {e}"))
            })?;
        Ok(Writer { jobs, pending })
    }

    /// Runs `work` in the next batch and answers after that batch committed.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        // The caller may have gone away (request cancelled): then there is no one to tell,
        // and the `send`s below fail harmlessly.
        let job: Job = Box::new(move |conn| match conn {
            Err(error) => {
                let _ = answer.send(Err(error.clone()));
                None
            }
            Ok(conn) => {
                let outcome = in_savepoint(conn, work);
                Some(Box::new(move |commit_error| {
                    let result = match (outcome, commit_error) {
                        (Ok(_), Some(error)) => Err(error),
                        (outcome, _) => outcome,
                    };
                    let _ = answer.send(result);
                }))
            }
        });
        let depth = self
            .pending
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let metrics = crate::prometheus::enabled();
        if metrics {
            crate::prometheus::sqlite_writer_queue(depth);
        }
        self.jobs
            .send(job)
            .map_err(|_| StorageError::Unavailable("the SQLite writer has stopped".to_owned()))?;
        let result = answered.await.map_err(|_| {
            StorageError::Unavailable("the SQLite writer stopped before answering".to_owned())
        })?;
        if metrics && let Err(err) = &result {
            crate::prometheus::db_error("sqlite", err.kind());
        }
        result
    }
}

/// Why a savepoint rolled back: the work's own error, or diesel's around it.
enum SavepointError {
    Work(StorageError),
    Diesel(DieselError),
}

impl From<DieselError> for SavepointError {
    fn from(err: DieselError) -> Self {
        SavepointError::Diesel(err)
    }
}

/// `work` in a savepoint: nested inside the batch's transaction, diesel's `transaction`
/// issues `SAVEPOINT` … `RELEASE`, or `ROLLBACK TO` when `work` fails.
fn in_savepoint<T, F>(conn: &mut DbConnection, work: F) -> Result<T, StorageError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, StorageError>,
{
    conn.transaction(|conn| work(conn).map_err(SavepointError::Work))
        .map_err(|e| match e {
            SavepointError::Work(e) => e,
            SavepointError::Diesel(e) => super::map_diesel(e),
        })
}

fn write_loop(
    manager: &ConnectionManager,
    mut conn: Option<DbConnection>,
    queue: &Receiver<Job>,
    kick: &Kick,
    pending: &AtomicUsize,
) {
    // `recv` fails only once every `Writer` is gone: the store was dropped.
    while let Ok(first) = queue.recv() {
        let batch = take_batch(queue, first, MAX_BATCH);
        // The sender counted before sending, so this never goes below zero.
        let left = pending
            .fetch_sub(batch.len(), Ordering::Relaxed)
            .saturating_sub(batch.len());
        if crate::prometheus::enabled() {
            crate::prometheus::sqlite_writer_queue(left);
            crate::prometheus::sqlite_writer_batch(batch.len());
        }
        if conn.as_mut().is_some_and(|c| c.is_broken()) {
            conn = None;
        }
        let connection = match conn.take() {
            Some(c) => Ok(c),
            None => manager.establish().map_err(|e| {
                StorageError::Unavailable(format!("cannot reopen the SQLite writer: {e}"))
            }),
        };
        match connection {
            Ok(mut c) => {
                if run_batch(&mut c, batch) {
                    conn = Some(c);
                }
                kick.after_commit();
            }
            Err(error) => fail_batch(batch, &error),
        }
    }
}

/// `first` and whatever else is already waiting in `queue`, up to `max` in all: a batch
/// never waits for more work to arrive.
pub(super) fn take_batch<T>(queue: &Receiver<T>, first: T, max: usize) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(item) => batch.push(item),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
        }
    }
    batch
}

/// Answers every write of a batch that could not run with `error`.
fn fail_batch(batch: Vec<Job>, error: &StorageError) {
    tracing::error!(%error, writes = batch.len(), "SQLite writes not run");
    for job in batch {
        let _ = job(Err(error));
    }
}

/// Runs one batch; returns whether the connection may be used again.
fn run_batch(conn: &mut DbConnection, batch: Vec<Job>) -> bool {
    let began = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        // The writer is only started for SQLite (`SqlStore::connect`).
        _ => Err(DieselError::BrokenTransactionManager),
    };
    if let Err(e) = began {
        fail_batch(batch, &super::map_diesel(e));
        return true;
    }
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    for job in jobs.by_ref() {
        // A panic in one write must not end the thread every write depends on. The
        // panicking write's caller hears that the writer stopped before answering; the
        // rest of the batch is not committed and fails with an error.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Ok(&mut *conn))));
        match ran {
            Ok(reply) => replies.extend(reply),
            Err(_) => {
                let error = StorageError::Database(
                    "a write in the same batch failed unexpectedly; nothing was committed"
                        .to_owned(),
                );
                tracing::error!("an SQLite write panicked; its batch was rolled back");
                fail_batch(jobs.collect(), &error);
                for reply in replies {
                    reply(Some(error.clone()));
                }
                // Closing the connection rolls back whatever the batch wrote.
                return false;
            }
        }
    }
    let committed = <DbConnection as Connection>::TransactionManager::commit_transaction(conn);
    let commit_error = match committed {
        Ok(()) => None,
        Err(e) => {
            // diesel rolls back after a failed COMMIT; make sure nothing stays open.
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Some(super::map_diesel(e))
        }
    };
    for reply in replies {
        reply(commit_error.clone());
    }
    true
}

#[cfg(test)]
pub(super) mod tests {
    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::storage::sql::dsn::Backend;

    fn writer(dir: &tempfile::TempDir) -> Writer {
        writer_at(&dir.path().join("writer.sqlite"))
    }

    /// A writer on the SQLite file at `path` (created when missing).
    pub(in crate::storage::sql) fn writer_at(path: &std::path::Path) -> Writer {
        let manager = ConnectionManager::new(
            Backend::Sqlite,
            path.display().to_string(),
            crate::storage::sql::SqlOptions::default(),
        );
        Writer::start(manager).unwrap()
    }

    async fn count(writer: &Writer) -> i64 {
        writer
            .write(|conn| {
                use diesel::prelude::*;
                diesel::sql_query("SELECT COUNT(*) AS n FROM t")
                    .get_result::<Count>(conn)
                    .map(|c| c.n)
                    .map_err(super::super::map_diesel)
            })
            .await
            .unwrap()
    }

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    /// A write that runs `sql` (statements separated by `;`).
    pub(in crate::storage::sql) fn exec(
        sql: impl Into<String>,
    ) -> impl FnOnce(&mut DbConnection) -> Result<(), StorageError> {
        let sql = sql.into();
        move |conn| conn.batch_execute(&sql).map_err(super::super::map_diesel)
    }

    /// A write that panics fails its own caller and its batch, and the writer goes on:
    /// later writes commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_does_not_stop_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        writer
            .write(exec("CREATE TABLE t (x INTEGER)"))
            .await
            .unwrap();
        let panicked = writer
            .write(|_conn| -> Result<(), StorageError> { panic!("a bug in a write") })
            .await;
        assert!(
            matches!(panicked, Err(StorageError::Unavailable(_))),
            "{panicked:?}"
        );
        writer
            .write(exec("INSERT INTO t VALUES (1)"))
            .await
            .unwrap();
        assert_eq!(count(&writer).await, 1);
    }

    /// A write that fails rolls back to its savepoint; the writes batched with it commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        writer
            .write(exec("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            .await
            .unwrap();
        let writes = (0..20).map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                // Every fifth write inserts a row and then fails on a duplicate: both of
                // its statements must vanish, and nothing else.
                let sql = match i % 5 {
                    0 => format!(
                        "INSERT INTO t VALUES ({n}); INSERT INTO t VALUES ({n})",
                        n = 100 + i
                    ),
                    _ => format!("INSERT INTO t VALUES ({i})"),
                };
                writer.write(exec(sql)).await
            })
        });
        let outcomes = futures::future::join_all(writes).await;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            assert_eq!(outcome.unwrap().is_ok(), i % 5 != 0, "write {i}");
        }
        assert_eq!(count(&writer).await, 16);
    }
}
