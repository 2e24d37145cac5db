//! PostgreSQL point reads in the request's own runtime (issue 20; docs/benchmarks.md,
//! "PostgreSQL reads in the runtime").
//!
//! Every other PostgreSQL call runs libpq on tokio's blocking pool: the request's worker
//! hands the query to a blocking thread, which sleeps on the socket until PostgreSQL
//! answers and then wakes the worker. Under introspection load a third of the server's
//! CPU went to the kernel switching those threads in and out. The hottest point read (a
//! token by its signature hash) runs here instead, on a tokio-postgres connection driven
//! by the calling thread's runtime: the query waits in the runtime beside the thread's
//! other requests, and the concurrent queries of one thread are pipelined on its
//! connection (PostgreSQL answers them in order, one connection's queries one at a time).
//!
//! One connection per runtime thread and store, opened on first use and again once it
//! has closed; a store's connections close when the store is dropped. The connection
//! budget grows by one per server worker thread that reads (docs/scaling.md).
//!
//! These connections have no TLS, so a store uses them only where libpq would not
//! encrypt either: `sslmode=disable`, or every host a Unix socket. Any other DSN — or
//! one whose parameters tokio-postgres does not know — keeps every read on libpq.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, watch};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use super::breaker::Breaker;
use crate::storage::StorageError;

/// A store's reads on its threads' own connections.
pub(super) struct PgReads {
    /// Tells this store's connections apart from another store's on the same thread.
    id: u64,
    config: Config,
    breaker: Arc<Breaker>,
    /// The longest one read waits, connecting included: past the DSN's connect timeout
    /// and the server's statement timeout, so that those report first, as on libpq.
    limit: Duration,
    /// Never sent on: dropped with the store, which ends every connection it opened
    /// (their drivers wait for it) and lets threads forget the store's slots.
    alive: watch::Sender<()>,
}

/// A thread's connection, with the statements prepared on it.
struct ThreadConnection {
    client: Client,
    prepared: std::sync::Mutex<HashMap<&'static str, Statement>>,
}

/// Where a thread keeps its connection of one store; the lock is held while connecting,
/// so that the thread's other requests wait for that connection instead of opening more.
type Slot = Arc<Mutex<Option<Arc<ThreadConnection>>>>;

thread_local! {
    /// This thread's slot of each store (by [`PgReads::id`]), with the store's liveness.
    static SLOTS: RefCell<HashMap<u64, (Slot, watch::Receiver<()>)>> =
        RefCell::new(HashMap::new());
}

/// Numbers the stores of the process.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl PgReads {
    /// The reads for the libpq URL `driver_url` (connect and statement timeouts already
    /// in it), or `None` when its connections would use TLS or tokio-postgres cannot
    /// read it: the store then reads through libpq as before.
    pub(super) fn new(
        driver_url: &str,
        breaker: Arc<Breaker>,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Option<Self> {
        let config: Config = match driver_url.parse() {
            Ok(config) => config,
            Err(e) => {
                // The error names the parameter, never the password.
                tracing::info!(error = %e, "PostgreSQL point reads stay on libpq: the DSN has parameters tokio-postgres does not read");
                return None;
            }
        };
        let hosts = config.get_hosts();
        let unix_only = !hosts.is_empty() && hosts.iter().all(|h| matches!(h, Host::Unix(_)));
        if config.get_ssl_mode() != SslMode::Disable && !unix_only {
            tracing::info!(
                "PostgreSQL point reads go through libpq on the blocking pool: the DSN \
                 allows TLS (sslmode=disable or a Unix socket runs them in the request's \
                 runtime, docs/configuration.md)"
            );
            return None;
        }
        tracing::info!("PostgreSQL point reads run in the request's runtime (no TLS)");
        let margin = Duration::from_secs(1);
        let limit = connect_timeout
            .saturating_add(statement_timeout.unwrap_or(Duration::from_secs(30)))
            .saturating_add(margin);
        Some(Self {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            config,
            breaker,
            limit,
            alive: watch::Sender::new(()),
        })
    }

    /// The one row `sql` selects with `params`, or none. `sql` is prepared once per
    /// connection. Fails at once while the breaker is open and feeds it like every other
    /// storage call.
    pub(super) async fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StorageError> {
        self.breaker.check()?;
        let result = match tokio::time::timeout(self.limit, self.query_on_thread(sql, params)).await
        {
            Ok(result) => result,
            Err(_) => Err(StorageError::Unavailable(format!(
                "PostgreSQL did not answer within {} ms",
                self.limit.as_millis()
            ))),
        };
        if matches!(result, Err(StorageError::Unavailable(_))) {
            // The next read of this thread opens a new connection.
            self.forget_thread_connection();
        }
        self.breaker.record(&result);
        if let Err(err) = &result
            && crate::prometheus::enabled()
        {
            crate::prometheus::db_error("postgres", err.kind());
        }
        result
    }

    async fn query_on_thread(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StorageError> {
        let conn = self.thread_connection().await?;
        let prepared = conn
            .prepared
            .lock()
            .ok()
            .and_then(|statements| statements.get(sql).cloned());
        let statement = match prepared {
            Some(statement) => statement,
            None => {
                let statement = conn.client.prepare(sql).await.map_err(storage_error)?;
                if let Ok(mut statements) = conn.prepared.lock() {
                    statements.insert(sql, statement.clone());
                }
                statement
            }
        };
        conn.client
            .query_opt(&statement, params)
            .await
            .map_err(storage_error)
    }

    /// This thread's connection, opened when there is none or it has closed.
    async fn thread_connection(&self) -> Result<Arc<ThreadConnection>, StorageError> {
        let slot = self.thread_slot();
        let mut held = slot.lock().await;
        if let Some(conn) = held.as_ref()
            && !conn.client.is_closed()
        {
            return Ok(conn.clone());
        }
        *held = None;
        let (client, connection) =
            self.config.connect(NoTls).await.map_err(|e| {
                StorageError::Unavailable(format!("cannot connect to PostgreSQL: {e}"))
            })?;
        let mut alive = self.alive.subscribe();
        // Driven by this thread's runtime (an actix worker's runtime is single-threaded):
        // the socket is read where the queries are made. It ends when the connection
        // closes, the runtime stops, or the store is dropped (`changed` then fails).
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "a PostgreSQL read connection closed");
                    }
                }
                _ = alive.changed() => {}
            }
        });
        let conn = Arc::new(ThreadConnection {
            client,
            prepared: std::sync::Mutex::new(HashMap::new()),
        });
        *held = Some(conn.clone());
        Ok(conn)
    }

    fn thread_slot(&self) -> Slot {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            if let Some((slot, _)) = slots.get(&self.id) {
                return slot.clone();
            }
            // A store's first read on this thread: forget the slots of dropped stores.
            slots.retain(|_, (_, alive)| alive.has_changed().is_ok());
            let slot = Slot::default();
            slots.insert(self.id, (slot.clone(), self.alive.subscribe()));
            slot
        })
    }

    /// Drops this thread's connection (unless another read is connecting right now).
    fn forget_thread_connection(&self) {
        let slot = SLOTS.with(|slots| slots.borrow().get(&self.id).map(|(slot, _)| slot.clone()));
        if let Some(slot) = slot
            && let Ok(mut held) = slot.try_lock()
        {
            *held = None;
        }
    }
}

/// A tokio-postgres error as the ports report it: the statement timeout as `Timeout`
/// (`statement_timeout.rs`), a lost or refused connection as `Unavailable` (what the
/// breaker counts), anything else the database said as `Database`.
fn storage_error(err: tokio_postgres::Error) -> StorageError {
    let Some(code) = err.code() else {
        // No SQLSTATE: the connection failed, closed, or its I/O did.
        return StorageError::Unavailable(format!("PostgreSQL: {err}"));
    };
    if *code == SqlState::QUERY_CANCELED {
        return StorageError::Timeout(err.to_string());
    }
    // Class 08 (connection exception) and the server shutting down or starting.
    if code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ]
        .contains(code)
    {
        return StorageError::Unavailable(format!("PostgreSQL: {err}"));
    }
    StorageError::Database(err.to_string())
}

/// A column of a row [`PgReads::query_opt`] returned, or `Corrupt` naming it.
pub(super) fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    name: &str,
) -> Result<T, StorageError> {
    row.try_get(index)
        .map_err(|e| StorageError::Corrupt(format!("column {name}: {e}")))
}
