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
//! - a token reported by audit events (issue 15) brings its outbox rows: the batch is
//!   then one transaction of two multi-row `INSERT`s (tokens, events), so an event
//!   exists exactly when its token does; when it fails, each token is inserted with its
//!   own events in a transaction of its own.
//!
//! Inserts of several rows at once (a grant's token family) keep their own transaction
//! on the pool: they must commit together. SQLite batches every write in `writer.rs`.

use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use diesel::prelude::*;

use super::Pool;
use super::breaker::Breaker;
use super::connection::on_native;
use super::contention;
use super::outbox::OutboxRow;
use super::schema::event_outbox;
use super::tokens::{TokenRow, insert_error, insert_row};
use super::writer::take_batch;
use crate::storage::StorageError;

/// Rows written by one statement at most.
const MAX_BATCH: usize = 128;

type Answer = tokio::sync::oneshot::Sender<Result<(), StorageError>>;

/// One token to insert, the outbox rows that report it, and who waits for the outcome.
struct Pending {
    row: TokenRow,
    events: Vec<OutboxRow>,
    answer: Answer,
}

/// The handle the store keeps; the thread ends when the last clone is dropped.
#[derive(Clone)]
pub(super) struct TokenBatch {
    rows: Sender<Pending>,
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

    /// Inserts `row` and the outbox rows `events` that report it with the rows waiting
    /// beside it; answers once committed.
    pub(super) async fn insert(
        &self,
        row: TokenRow,
        events: Vec<OutboxRow>,
    ) -> Result<(), StorageError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let pending = Pending {
            row,
            events,
            answer,
        };
        self.rows.send(pending).map_err(|_| {
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

/// Inserts the token rows `$rows` and the outbox rows `$events` so that all of them are
/// written or none: one statement when there are no events (a statement is atomic by
/// itself), else one transaction of two multi-row statements. A macro, as `insert_row!`,
/// so that it expands inside `on_native!` for each backend's connection type.
macro_rules! insert_together {
    ($conn:expr, $rows:expr, $events:expr) => {{
        let (rows, events): (&[TokenRow], &[OutboxRow]) = ($rows, $events);
        if events.is_empty() {
            match rows {
                // A batch of one as a single-row INSERT, whose text diesel keeps
                // prepared; a multi-row INSERT's text varies with its length, so
                // PostgreSQL parsed and planned every one (most batches of a login
                // flow's codes are of one row).
                [row] => insert_row!($conn, row).map(drop),
                _ => insert_row!($conn, rows).map(drop),
            }
        } else {
            $conn.transaction(|c| {
                insert_row!(c, rows)?;
                diesel::insert_into(event_outbox::table)
                    .values(events)
                    .execute(c)
                    .map(drop)
            })
        }
    }};
}

fn insert_loop(inserter: &Inserter, queue: &Receiver<Pending>) {
    while let Ok(first) = queue.recv() {
        let batch = take_batch(queue, first, MAX_BATCH);
        let mut rows = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        let mut spans = Vec::with_capacity(batch.len());
        let mut answers = Vec::with_capacity(batch.len());
        for pending in batch {
            rows.push(pending.row);
            let start = events.len();
            events.extend(pending.events);
            spans.push(start..events.len());
            answers.push(pending.answer);
        }
        let outcomes = match inserter.breaker.check() {
            Ok(()) => insert_batch(inserter, &rows, &events, &spans),
            Err(open) => rows.iter().map(|_| Err(open.clone())).collect(),
        };
        // A caller that went away (request cancelled) has no one to tell.
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// One outcome per row of `rows`, in order; `events[spans[i].clone()]` report `rows[i]`.
fn insert_batch(
    inserter: &Inserter,
    rows: &[TokenRow],
    events: &[OutboxRow],
    spans: &[Range<usize>],
) -> Vec<Result<(), StorageError>> {
    let pool = &inserter.pool;
    let checkout =
        super::breaker::checkout(pool, inserter.acquire_timeout, &inserter.breaker, true);
    let mut conn = match checkout {
        Ok(conn) => conn,
        Err(super::breaker::CheckoutFailed::BreakerOpen(open)) => {
            return rows.iter().map(|_| Err(open.clone())).collect();
        }
        Err(super::breaker::CheckoutFailed::TimedOut(e)) => {
            let error = StorageError::Unavailable(format!("no database connection: {e}"));
            return rows.iter().map(|_| Err(error.clone())).collect();
        }
    };
    // An insert can lose a lock race too (InnoDB gap locks of a concurrent revocation);
    // nothing of it was written, so it runs again (`contention.rs`).
    let mut attempt = 1;
    let together = loop {
        match on_native!(&mut **conn, |c| insert_together!(c, rows, events)) {
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
                .zip(spans)
                .map(|(row, span)| {
                    let own = events.get(span.clone()).unwrap_or_default();
                    on_native!(&mut **conn, |c| insert_together!(
                        c,
                        std::slice::from_ref(row),
                        own
                    ))
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
