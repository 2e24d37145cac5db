//! Group inserts of single tokens for PostgreSQL and MySQL.
//!
//! Issuing one token (client_credentials, an authorization code) inserts one row. On
//! PostgreSQL and MySQL each insert is a round trip that wakes a server process, and its
//! commit waits for the server's log flush: measured, PostgreSQL spent a full core at
//! 3.5k tokens/s, mostly in the kernel waking backends (docs/benchmarks.md). Here one
//! thread takes the single-row inserts waiting at that moment (up to [`MAX_BATCH`]) and
//! writes them with one multi-row `INSERT` — one statement, one round trip, one commit —
//! and only then answers each caller. So:
//!
//! - durability is unchanged: the statement commits (autocommit) before anyone hears
//!   "done";
//! - a failing row fails alone: a multi-row `INSERT` is atomic, so when it fails nothing
//!   of it was written, and the rows are then inserted one by one, each answered with
//!   its own outcome (a conflict, an unknown client);
//! - a statement that lost a lock race is run again, as the store does (`contention.rs`);
//! - a connection that failed as unreachable is dropped (`PooledDb::lose`), as for every
//!   other statement.
//!
//! Inserts of several rows at once (a grant's token family) keep their own transaction
//! on the pool: they must commit together. SQLite batches every write in `writer.rs`.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use diesel::prelude::*;

use super::Pool;
use super::breaker::Breaker;
use super::connection::on_native;
use super::contention;
use super::tokens::{TokenRow, insert_error, insert_row};
use super::writer::take_batch;
use crate::storage::StorageError;

/// Rows written by one statement at most.
const MAX_BATCH: usize = 128;

type Answer = tokio::sync::oneshot::Sender<Result<(), StorageError>>;

/// The handle the store keeps; the thread ends when the last clone is dropped.
#[derive(Clone)]
pub(super) struct TokenBatch {
    rows: Sender<(TokenRow, Answer)>,
}

impl TokenBatch {
    /// `acquire_timeout` bounds the wait for a connection, as for every storage call;
    /// what the inserts meet feeds `breaker`.
    pub(super) fn start(
        pool: Pool,
        breaker: Arc<Breaker>,
        acquire_timeout: Duration,
    ) -> Result<TokenBatch, StorageError> {
        let (rows, queue) = std::sync::mpsc::channel();
        let inserter = Inserter {
            pool,
            breaker,
            acquire_timeout,
        };
        std::thread::Builder::new()
            .name("portunus-token-inserts".to_owned())
            .spawn(move || insert_loop(&inserter, &queue))
            .map_err(|e| {
                StorageError::Unavailable(format!("cannot start the token insert thread: {e}"))
            })?;
        Ok(TokenBatch { rows })
    }

    /// Inserts `row` with the rows waiting beside it; answers once committed.
    pub(super) async fn insert(&self, row: TokenRow) -> Result<(), StorageError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.rows.send((row, answer)).map_err(|_| {
            StorageError::Unavailable("the token insert thread has stopped".to_owned())
        })?;
        answered.await.map_err(|_| {
            StorageError::Unavailable("the token insert thread stopped before answering".into())
        })?
    }
}

/// What the insert thread works with.
struct Inserter {
    pool: Pool,
    breaker: Arc<Breaker>,
    acquire_timeout: Duration,
}

fn insert_loop(inserter: &Inserter, queue: &Receiver<(TokenRow, Answer)>) {
    while let Ok(first) = queue.recv() {
        let batch = take_batch(queue, first, MAX_BATCH);
        let (rows, answers): (Vec<TokenRow>, Vec<Answer>) = batch.into_iter().unzip();
        let outcomes = match inserter.breaker.check() {
            Ok(()) => insert_batch(inserter, &rows),
            Err(open) => rows.iter().map(|_| Err(open.clone())).collect(),
        };
        // A caller that went away (request cancelled) has no one to tell.
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// One outcome per row of `rows`, in order.
fn insert_batch(inserter: &Inserter, rows: &[TokenRow]) -> Vec<Result<(), StorageError>> {
    let pool = &inserter.pool;
    let mut conn = match pool.get_timeout(inserter.acquire_timeout) {
        Ok(conn) => conn,
        Err(e) => {
            if pool.state().connections < pool.max_size() {
                inserter.breaker.failure();
            }
            let error = StorageError::Unavailable(format!("no database connection: {e}"));
            return rows.iter().map(|_| Err(error.clone())).collect();
        }
    };
    // An insert can lose a lock race too (InnoDB gap locks of a concurrent revocation);
    // nothing of it was written, so it runs again (`contention.rs`).
    let mut attempt = 1;
    let together = loop {
        match on_native!(&mut **conn, |c| insert_row!(c, rows)) {
            Err(error) if contention::lost_race(&error) && attempt < contention::MAX_ATTEMPTS => {
                std::thread::sleep(contention::backoff(attempt));
                attempt += 1;
            }
            outcome => break outcome,
        }
    };
    let outcomes: Vec<Result<(), StorageError>> = match together {
        Ok(_) => rows.iter().map(|_| Ok(())).collect(),
        Err(error) => match insert_error(error) {
            lost @ StorageError::Unavailable(_) => rows.iter().map(|_| Err(lost.clone())).collect(),
            // A batch of one has its own outcome already.
            failed if rows.len() == 1 => vec![Err(failed)],
            // Nothing was written; find which rows fail, and write the others.
            _ => rows
                .iter()
                .map(|row| {
                    on_native!(&mut **conn, |c| insert_row!(c, row))
                        .map(drop)
                        .map_err(insert_error)
                })
                .collect(),
        },
    };
    if outcomes
        .iter()
        .any(|outcome| matches!(outcome, Err(StorageError::Unavailable(_))))
    {
        conn.lose();
        inserter.breaker.failure();
    } else {
        inserter.breaker.success();
    }
    outcomes
}
