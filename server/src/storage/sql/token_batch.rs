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
//! - a connection that failed as unreachable is dropped (`PooledDb::lose`), as for every
//!   other statement.
//!
//! Inserts of several rows at once (a grant's token family) keep their own transaction
//! on the pool: they must commit together. SQLite batches every write in `writer.rs`.

use std::sync::mpsc::{Receiver, Sender};

use diesel::prelude::*;

use super::connection::on_native;
use super::tokens::{TokenRow, insert_error, insert_row};
use super::writer::take_batch;
use super::{CHECKOUT_TIMEOUT, Pool};
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
    pub(super) fn start(pool: Pool) -> Result<TokenBatch, StorageError> {
        let (rows, queue) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("portunus-token-inserts".to_owned())
            .spawn(move || insert_loop(&pool, &queue))
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

fn insert_loop(pool: &Pool, queue: &Receiver<(TokenRow, Answer)>) {
    while let Ok(first) = queue.recv() {
        let batch = take_batch(queue, first, MAX_BATCH);
        let (rows, answers): (Vec<TokenRow>, Vec<Answer>) = batch.into_iter().unzip();
        let outcomes = insert_batch(pool, &rows);
        // A caller that went away (request cancelled) has no one to tell.
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// One outcome per row of `rows`, in order.
fn insert_batch(pool: &Pool, rows: &[TokenRow]) -> Vec<Result<(), StorageError>> {
    let mut conn = match pool.get_timeout(CHECKOUT_TIMEOUT) {
        Ok(conn) => conn,
        Err(e) => {
            let error = StorageError::Unavailable(format!("no database connection: {e}"));
            return rows.iter().map(|_| Err(error.clone())).collect();
        }
    };
    let together = on_native!(&mut **conn, |c| insert_row!(c, rows));
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
    }
    outcomes
}
