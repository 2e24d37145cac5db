//! The storage ports on diesel, one implementation for SQLite, PostgreSQL and MySQL
//! (docs/architecture.md, "Storage"). diesel is imported only below this module.
//!
//! r2d2 and diesel block, so database calls run on tokio's blocking pool
//! (`SqlStore::run`), with two measured exceptions for SQLite (docs/benchmarks.md):
//! writes go to one writer thread that commits them in batches (`writer.rs`), and point
//! reads by key run on the async worker itself when a pooled connection is idle
//! (`SqlStore::read`).

mod breaker;
mod checkpointer;
mod client_notify;
mod clients;
mod connection;
mod contention;
mod device_codes;
mod dsn;
#[cfg(test)]
mod dsn_fuzz;
mod flows;
mod health;
mod initial_access_tokens;
mod janitor;
mod janitor_lock;
mod json_web_keys;
mod jti;
mod migrations;
mod mysql;
mod outbox;
mod pg_reads;
mod pg_redeem;
mod pg_session_upsert;
mod pushed_requests;
mod schema;
mod statement_timeout;
mod token_batch;
mod tokens;
mod trusts;
mod user_identities;
mod users;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tracing::Instrument;

pub use client_notify::NotifiedClientStore;
pub use connection::init_openssl;
pub use dsn::Backend;
pub use janitor::{ExpiredGroup, ExpiredKind, MAX_BATCH as MAX_JANITOR_BATCH, cutoff};
pub use janitor_lock::JanitorLock;

use crate::storage::StorageError;
use connection::{ConnectionManager, DbConnection};

/// `database.connect_timeout`'s default: opening one PostgreSQL or MySQL connection
/// (TCP, TLS, authentication) gives up after this long.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `database.acquire_timeout`'s default: how long a storage call waits for a pooled
/// connection before it fails as `Unavailable` (a 503): long enough to ride out a burst
/// on a busy pool, short enough that a request fails fast while the database is gone
/// instead of holding its client (issue 23).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// The store's `database.*` settings (docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlOptions {
    /// Opening one connection.
    pub connect_timeout: Duration,
    /// Waiting for a pooled connection.
    pub acquire_timeout: Duration,
    /// SQLite's `synchronous` pragma.
    pub sqlite_synchronous: SqliteSynchronous,
    /// PostgreSQL and MySQL: the longest a statement may run (`statement_timeout.rs`);
    /// `None` (the CLI's connections) sets no limit.
    pub statement_timeout: Option<Duration>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            sqlite_synchronous: SqliteSynchronous::Normal,
            statement_timeout: None,
        }
    }
}

/// When an SQLite commit in WAL mode is synced to disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    /// The WAL is synced at checkpoints: a commit survives a crash of the process, the
    /// last ones may be lost on a power loss or OS crash.
    #[default]
    Normal,
    /// Every commit syncs the WAL: it survives a power loss too, at one fsync per
    /// commit (the writer thread's group commit shares it between the writes waiting).
    Full,
}

type Pool = r2d2::Pool<ConnectionManager>;

/// One embedded migration and whether the database has applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub name: String,
    pub applied: bool,
}

/// The SQL store: a connection pool and what the health check needs to know.
#[derive(Clone)]
pub struct SqlStore {
    pool: Pool,
    backend: Backend,
    sqlite_file: Option<SqliteFile>,
    /// SQLite only: the thread every write of this process goes through.
    writer: Option<writer::Writer>,
    /// PostgreSQL and MySQL: single-token inserts grouped into one statement.
    token_batch: Option<token_batch::TokenBatch>,
    /// Fails storage calls at once while the database is unreachable (`breaker.rs`).
    breaker: Arc<breaker::Breaker>,
    /// `database.acquire_timeout`.
    acquire_timeout: Duration,
    /// Opens connections outside the pool (the janitor's lock, `janitor_lock.rs`).
    manager: ConnectionManager,
    /// PostgreSQL without TLS: the hottest point reads in the request's own runtime
    /// (`pg_reads.rs`).
    pg_reads: Option<Arc<pg_reads::PgReads>>,
}

/// Where an SQLite store's writes run: through the writer thread (a server) or on the
/// pool (a one-shot command).
#[derive(Debug, Clone, Copy)]
enum Writes {
    Batched,
    OnThePool,
}

/// The SQLite database file as it was when the store opened it; see `health.rs`.
#[derive(Debug, Clone)]
struct SqliteFile {
    path: PathBuf,
    identity: health::FileIdentity,
}

/// By hand: the pool is not `Debug`, since its manager holds a URL that may carry a
/// password.
impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .field("sqlite_file", &self.sqlite_file)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Opens a pool for `dsn` (see `dsn.rs` for the accepted forms and pool
    /// parameters). One connection is established first so that a bad DSN, host or
    /// password fails here with the driver's own message; SQLite creates the file if it
    /// is missing. Does not migrate. Blocks while connecting: call it from startup code
    /// or `spawn_blocking`.
    pub fn connect(dsn: &str) -> Result<SqlStore, StorageError> {
        Self::connect_with(dsn, SqlOptions::default())
    }

    /// [`connect`](Self::connect) with the server's `database.*` settings.
    pub fn connect_with(dsn: &str, options: SqlOptions) -> Result<SqlStore, StorageError> {
        Self::open(dsn::parse(dsn)?, Writes::Batched, options)
    }

    /// Like [`connect`](Self::connect), for a command that runs its queries one after
    /// another and exits (`migrate`, `janitor`): one connection, opened when first
    /// needed. A pool that opens idle connections in the background could still be
    /// connecting when the process exits, and libpq connecting (TLS negotiation) while
    /// the process runs its exit handlers crashed `portunus janitor` now and then
    /// (SIGSEGV after its work was done). Its writes go through that connection too: a
    /// writer thread batches concurrent writes, and a command has none.
    pub fn connect_for_command(dsn: &str) -> Result<SqlStore, StorageError> {
        let mut parsed = dsn::parse(dsn)?;
        parsed.pool.max_size = 1;
        parsed.pool.min_idle = Some(0);
        Self::open(parsed, Writes::OnThePool, SqlOptions::default())
    }

    fn open(
        parsed: dsn::Dsn,
        writes: Writes,
        options: SqlOptions,
    ) -> Result<SqlStore, StorageError> {
        let backend = parsed.backend;
        let sqlite_path = parsed
            .sqlite_path
            .map(|path| std::path::absolute(&path).unwrap_or(path));
        let database = match &sqlite_path {
            Some(path) => format!("SQLite database {}", path.display()),
            None => format!("{} database", backend.as_str()),
        };
        let manager = ConnectionManager::new(backend, parsed.driver_url, options);
        let first = r2d2::ManageConnection::connect(&manager).map_err(|e| {
            StorageError::Unavailable(format!("cannot connect to the {database}: {e}"))
        })?;
        let sqlite_file = match sqlite_path {
            Some(path) => {
                let identity = health::FileIdentity::of(&path).map_err(|e| {
                    StorageError::Unavailable(format!("cannot inspect the {database}: {e}"))
                })?;
                Some(SqliteFile { path, identity })
            }
            None => None,
        };
        drop(first);
        let writer = match (backend, writes) {
            (Backend::Sqlite, Writes::Batched) => Some(writer::Writer::start(manager.clone())?),
            _ => None,
        };
        let sizing = parsed.pool;
        let unpooled = manager.clone();
        let breaker = Arc::new(breaker::Breaker::new(backend.as_str()));
        let pool = r2d2::Pool::builder()
            .max_size(sizing.max_size)
            .min_idle(sizing.min_idle)
            .max_lifetime(sizing.max_lifetime)
            .idle_timeout(sizing.idle_timeout)
            .connection_timeout(options.acquire_timeout)
            .error_handler(Box::new(breaker::ConnectFailures(breaker.clone())))
            .build_unchecked(manager);
        let token_batch = match (backend, writes) {
            (Backend::Postgres | Backend::Mysql, Writes::Batched) => {
                Some(token_batch::TokenBatch::start(
                    pool.clone(),
                    breaker.clone(),
                    options.acquire_timeout,
                )?)
            }
            _ => None,
        };
        let pg_reads = match (backend, writes) {
            (Backend::Postgres, Writes::Batched) => pg_reads::PgReads::new(
                unpooled.driver_url(),
                breaker.clone(),
                options.connect_timeout,
                options.statement_timeout,
            )
            .map(Arc::new),
            _ => None,
        };
        Ok(SqlStore {
            pool,
            backend,
            sqlite_file,
            writer,
            token_batch,
            breaker,
            acquire_timeout: options.acquire_timeout,
            manager: unpooled,
            pg_reads,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the hottest point reads run in the request's own runtime
    /// (`pg_reads.rs`: PostgreSQL whose DSN rules out TLS) rather than through libpq on
    /// the blocking pool. Logged at startup; the tests check which path they cover.
    pub fn reads_in_runtime(&self) -> bool {
        self.pg_reads.is_some()
    }

    /// Applies every pending migration; returns the names applied (empty when the schema
    /// is current).
    pub async fn migrate_up(&self) -> Result<Vec<String>, StorageError> {
        self.run(migrations::run_pending).await
    }

    /// Every embedded migration, oldest first, with whether it has been applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StorageError> {
        self.run(migrations::status).await
    }

    /// The migration names embedded for `backend`, oldest first.
    pub fn migration_names(backend: Backend) -> Vec<String> {
        migrations::names(backend)
    }

    /// Runs `work` with a pooled connection on the blocking pool; at once `Unavailable`
    /// while the breaker is open. `work` must be one statement or one transaction: it
    /// runs again when it lost a lock race (`contention.rs`).
    async fn run<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let span = self.span::<F>();
        traced(
            &span,
            self.run_untraced(work).instrument(span.clone()).await,
        )
    }

    /// [`span`](Self::span) for a call that runs no closure on a connection: `here` is a
    /// closure of the store method, which names the span.
    fn span_of<F>(&self, _here: &F) -> tracing::Span {
        self.span::<F>()
    }

    /// The trace's span of one storage call (`crate::telemetry::spans::storage`), named
    /// after the store method whose closure `F` is.
    fn span<F>(&self) -> tracing::Span {
        crate::telemetry::spans::storage::<F>(match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
            Backend::Mysql => "mysql",
        })
    }

    async fn run_untraced<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        self.breaker.check()?;
        self.run_with_timeout(self.acquire_timeout, true, work)
            .await
    }

    /// A point read (one row by key). On SQLite it runs right here when a pooled
    /// connection is idle: such a read takes microseconds, WAL readers never wait for the
    /// writer, and the hop to the blocking pool and back cost more than the read itself
    /// (two context switches per call, the largest item in the profile). When no
    /// connection is idle it takes the blocking pool like everything else, so an async
    /// worker never waits for a connection.
    async fn read<T, F>(&self, mut work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let span = self.span::<F>();
        if let Err(err) = self.breaker.check() {
            return traced(&span, Err(err));
        }
        if self.backend == Backend::Sqlite
            && let Some(mut conn) = self.pool.try_get()
        {
            return traced(&span, span.in_scope(|| work(&mut conn)));
        }
        traced(
            &span,
            self.run_untraced(work).instrument(span.clone()).await,
        )
    }

    /// A write of the server's request paths: on SQLite through the writer thread (group
    /// commit, `writer.rs`), elsewhere on the pool.
    async fn write<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let span = self.span::<F>();
        let result = async {
            match &self.writer {
                Some(writer) => {
                    self.breaker.check()?;
                    writer.write(work).await
                }
                None => self.run_untraced(work).await,
            }
        }
        .instrument(span.clone())
        .await;
        traced(&span, result)
    }

    /// [`run`](Self::run) past the breaker, waiting up to `timeout` for a connection;
    /// what it meets feeds the breaker (the readiness probe closes it this way).
    async fn run_with_timeout<T, F>(
        &self,
        timeout: Duration,
        watch_breaker: bool,
        mut work: F,
    ) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let backend = self.backend;
        let breaker = self.breaker.clone();
        tokio::task::spawn_blocking(move || {
            let metrics = crate::prometheus::enabled();
            let asked = metrics.then(std::time::Instant::now);
            let checkout = breaker::checkout(&pool, timeout, &breaker, watch_breaker);
            let mut conn = checkout.map_err(|failed| {
                let e = match failed {
                    breaker::CheckoutFailed::BreakerOpen(open) => return open,
                    breaker::CheckoutFailed::TimedOut(e) => e,
                };
                let err = StorageError::Unavailable(format!(
                    "no {} connection available: {e}",
                    backend.as_str()
                ));
                if metrics {
                    crate::prometheus::db_error(backend.as_str(), err.kind());
                }
                err
            })?;
            if let Some(asked) = asked {
                let state = pool.state();
                crate::prometheus::db_checkout(
                    backend.as_str(),
                    state.connections,
                    state.idle_connections,
                    pool.max_size(),
                    asked.elapsed().as_secs_f64(),
                );
            }
            let mut attempt = 1;
            loop {
                let result = work(&mut conn);
                // A PostgreSQL or MySQL connection that failed this way is gone (see
                // `connection.rs`). An SQLite one is a file handle: replacing it would
                // open (and create) whatever file is now at the path, e.g. while the
                // health check reports the database file missing.
                if backend != Backend::Sqlite && matches!(result, Err(StorageError::Unavailable(_)))
                {
                    conn.lose();
                }
                // A lost lock race was rolled back: run the work again (`contention.rs`).
                if matches!(result, Err(StorageError::Contention(_)))
                    && attempt < contention::MAX_ATTEMPTS
                {
                    std::thread::sleep(contention::backoff(attempt));
                    attempt += 1;
                    continue;
                }
                breaker.record(&result);
                if metrics && let Err(err) = &result {
                    crate::prometheus::db_error(backend.as_str(), err.kind());
                }
                return result;
            }
        })
        .await
        .map_err(|e| StorageError::Database(format!("storage task failed: {e}")))?
    }
}

/// Marks the storage span failed with the error's kind; passes the result on.
fn traced<T>(span: &tracing::Span, result: Result<T, StorageError>) -> Result<T, StorageError> {
    if let Err(err) = &result {
        crate::telemetry::spans::failed(span, err.kind());
    }
    result
}

/// A timestamp as every backend stores it: PostgreSQL and MySQL keep microseconds, SQLite
/// would keep nanoseconds, so truncating here makes all three return the same instant.
fn to_column(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    at.trunc_subsecs(6).naive_utc()
}

/// The row of a lookup by primary key, loaded without `LIMIT`. diesel's `.first()` binds
/// its limit (`LIMIT ?`), and SQLite (as libsqlite3-sys builds it) re-prepared such a
/// cached statement on every execution: the profile showed `sqlite3_step` →
/// `sqlite3Reprepare` → the SQL parser on each lookup. Without the limit the cached
/// statement is reused (introspection 17.5k → 37k req/s, docs/benchmarks.md). A key
/// matches one row at most, so nothing else changes.
fn by_key<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// An affected-row count as the ports report it.
fn count(affected: usize) -> u64 {
    u64::try_from(affected).unwrap_or(u64::MAX)
}

/// Maps a diesel error onto the ports' error. The text is the database's message, which
/// names constraints and columns but not values; callers replace the text of `Conflict`
/// with what the conflict is about.
fn map_diesel(err: DieselError) -> StorageError {
    if contention::lost_race(&err) {
        return StorageError::Contention(err.to_string());
    }
    if statement_timeout::timed_out(&err) {
        return StorageError::Timeout(err.to_string());
    }
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            StorageError::Conflict("a row with this key already exists".to_owned())
        }
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => StorageError::Unavailable(info.message().to_owned()),
        DieselError::BrokenTransactionManager => {
            StorageError::Unavailable("the connection's transaction state is broken".to_owned())
        }
        DieselError::DeserializationError(e) => StorageError::Corrupt(e.to_string()),
        other => StorageError::Database(other.to_string()),
    }
}
