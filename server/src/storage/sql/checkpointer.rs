//! Copies SQLite's write-ahead log into the database file beside the writer
//! (`writer.rs`), so that the writer's own checkpoints stay short.
//!
//! In WAL mode a commit only appends to the log; a checkpoint later copies the logged
//! pages into the database file and syncs it. With `wal_autocheckpoint` the committing
//! connection does that copy itself once the log holds 1000 pages, and with one writer
//! thread every write of the process waits meanwhile: that pause was the token
//! endpoint's p99 (docs/benchmarks.md, "Optimisation log").
//!
//! Here a second thread, on a connection of its own, runs a `PASSIVE` checkpoint after
//! the writer commits (at most every [`PAUSE`]). A passive checkpoint takes no lock a
//! reader or the writer waits for; it copies what no open read transaction still needs.
//! It cannot *restart* the log, though — only a checkpoint that has copied every frame,
//! followed by the writer's next transaction, rewinds the log to its start — and
//! under a steady stream of commits it never catches the last frame. So the writer keeps
//! its `wal_autocheckpoint` as the bound on the log's size: when it fires, nearly every
//! frame is already copied, and the writer copies only the tail before the log restarts.
//! (A checkpointer without that bound let the log grow to 1.5 GB under load.)
//!
//! Durability is untouched: commits are durable in the log (WAL, `synchronous = NORMAL`)
//! whether or not a checkpoint has copied them yet.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;

use super::connection::{ConnectionManager, DbConnection};
use crate::storage::StorageError;

/// The least time between two checkpoints: lets a few commits gather so that a page
/// written by several of them is copied once.
const PAUSE: Duration = Duration::from_millis(5);

/// Tells the checkpointer that the log has grown. Never blocks: one pending signal is
/// enough, further ones are dropped.
pub struct Kick(SyncSender<()>);

impl Kick {
    pub fn after_commit(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            // The checkpointer stopped (it logged why); the writer's own checkpoints
            // still bound the log.
            Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Starts the checkpointer on a connection of its own; it ends when the [`Kick`] is
/// dropped (with the writer thread).
pub fn start(manager: &ConnectionManager) -> Result<Kick, StorageError> {
    let conn = manager.establish().map_err(|e| {
        StorageError::Unavailable(format!("cannot open the SQLite checkpointer: {e}"))
    })?;
    let (kick, kicked) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("portunus-sqlite-checkpointer".to_owned())
        .spawn(move || run(conn, &kicked))
        .map_err(|e| {
            StorageError::Unavailable(format!("cannot start the SQLite checkpointer: {e}"))
        })?;
    Ok(Kick(kick))
}

fn run(mut conn: DbConnection, kicked: &Receiver<()>) {
    while kicked.recv().is_ok() {
        if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            // Nothing is lost: the writer's own checkpoints take over.
            tracing::warn!(%error, "SQLite checkpoint failed");
            if conn.is_broken() {
                return;
            }
        }
        std::thread::sleep(PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Instant;

    use super::*;
    use crate::storage::sql::writer::tests::{exec, writer_at};

    /// `mxFrame` (frames in the log) and `nBackfill` (frames copied into the database)
    /// from the WAL-index header in the `-shm` file (sqlite.org/walformat.html §2.1:
    /// `mxFrame` at byte 16 of the first header copy, `nBackfill` at byte 96), read
    /// without running a checkpoint, which would do the checkpointer's work itself.
    fn wal_progress(db: &Path) -> (u32, u32) {
        let shm = std::fs::read(db.with_extension("sqlite-shm")).unwrap();
        let word = |at: usize| u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap());
        (word(16), word(96))
    }

    /// Commits are copied into the database file soon after, long before the writer's
    /// own checkpoint (at 1000 pages) would run: without the checkpointer `nBackfill`
    /// stays 0 here.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_are_copied_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.sqlite");
        let writer = writer_at(&path);
        writer
            .write(exec("CREATE TABLE t (x INTEGER)"))
            .await
            .unwrap();
        for _ in 0..20 {
            writer
                .write(exec("INSERT INTO t VALUES (1)"))
                .await
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (frames, copied) = wal_progress(&path);
            if frames > 0 && copied == frames {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "log not copied: {copied} of {frames} frames"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
