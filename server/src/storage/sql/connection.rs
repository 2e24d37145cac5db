//! One connection type over the three backends (docs/architecture.md, "Storage") and the
//! r2d2 manager that opens it. The manager dispatches on the DSN's scheme itself: the
//! derived `MultiConnection::establish` tries each backend and reports only "Invalid
//! connection url for multiconnection", hiding e.g. a wrong password.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{Error, R2D2Connection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

use super::dsn::Backend;
use super::mysql::{self, MysqlConnection};

/// A connection to whichever backend the DSN names; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Mysql(MysqlConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection type, for the hot
/// statements. Through `DbConnection` diesel gives no query a static id, so it renders
/// the statement's SQL text again on every execution just to find the prepared
/// statement in its cache (profile: a third of the SQLite writer thread's time per
/// token insert); on the native connection the cache is keyed by the query's type.
macro_rules! on_native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::sql::connection::DbConnection::Postgresql($c) => $body,
            $crate::storage::sql::connection::DbConnection::Mysql($c) => $body,
            $crate::storage::sql::connection::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(super) use on_native;

/// Per-connection SQLite settings (docs/benchmarks.md). `busy_timeout` comes first so
/// that switching to WAL waits for a concurrent opener instead of failing with
/// `SQLITE_BUSY`; WAL with `synchronous = NORMAL` is durable across application crashes
/// and lets readers proceed during a write. `wal_autocheckpoint = 1000` pages (SQLite's
/// default, a 4 MB WAL) is set explicitly because it was tuned both ways: it bounds the
/// log, and a checkpoint run by the one writer stalls every write of the process. With
/// time-ordered token keys a checkpoint copies few distinct pages, so a larger WAL does
/// not pay, and `checkpointer.rs` copies the log in the background so that the writer's
/// own checkpoints only copy the tail (the measurements: docs/benchmarks.md,
/// "Optimisation log").
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
                              PRAGMA journal_mode = WAL; \
                              PRAGMA synchronous = NORMAL; \
                              PRAGMA wal_autocheckpoint = 1000; \
                              PRAGMA foreign_keys = ON;";

/// Opens [`DbConnection`]s for an r2d2 pool. Deliberately not `Debug`: the URL may hold
/// a password.
#[derive(Clone)]
pub struct ConnectionManager {
    backend: Backend,
    driver_url: String,
}

/// Initialises OpenSSL, which libpq and josekit share (one static copy, `openssl-sys`
/// vendored), without the exit handler libpq's own first call would register: at
/// process exit that handler frees OpenSSL's state while other threads (pooled
/// connections, their TLS sessions) may still use it, and the process ends in SIGSEGV
/// after its work is done (seen once in CI). `openssl_sys::init` asks for
/// `OPENSSL_INIT_NO_ATEXIT`, and OpenSSL keeps the choice of the first call. Idempotent
/// and cheap after the first call; call it before any PostgreSQL connection.
pub fn init_openssl() {
    openssl_sys::init();
}

impl ConnectionManager {
    /// `driver_url` is [`super::dsn::Dsn::driver_url`]: pool parameters removed, and for
    /// SQLite a path rather than a `sqlite://` URL, which SQLite's `establish` rejects.
    pub fn new(backend: Backend, driver_url: String) -> Self {
        Self {
            backend,
            driver_url,
        }
    }

    pub fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                init_openssl();
                PgConnection::establish(&self.driver_url).map(DbConnection::Postgresql)
            }
            Backend::Mysql => mysql::establish(&self.driver_url).map(DbConnection::Mysql),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.driver_url)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection with what the pool needs to decide whether to trust it.
pub struct PooledDb {
    conn: DbConnection,
    /// When it last went back to the pool; `None` before its first use.
    returned_at: Option<Instant>,
    /// Set when a query on it failed as only a lost connection fails (see `lose`).
    lost: bool,
}

impl PooledDb {
    /// Marks the connection as lost, so the pool drops it instead of handing it out
    /// again: diesel does not report every connection the server closed as broken.
    pub fn lose(&mut self) {
        self.lost = true;
    }
}

impl std::ops::Deref for PooledDb {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledDb {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// A connection back in the pool for less than this is handed out again without a
/// round trip to check it: under load that check (`SELECT 1`) doubled the round trips
/// of every storage call. One idle for longer (the server may have closed it meanwhile:
/// restart, idle timeout) is checked first.
const TRUSTED_IDLE: Duration = Duration::from_secs(2);

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PooledDb;
    type Error = Error;

    fn connect(&self) -> Result<PooledDb, Error> {
        self.establish()
            .map(|conn| PooledDb {
                conn,
                returned_at: None,
                lost: false,
            })
            .map_err(Error::ConnectionError)
    }

    /// Run on checkout. An SQLite connection is a file handle no server can close; a
    /// PostgreSQL or MySQL connection that was idle a while is checked with a round
    /// trip, one used moments ago is not (`TRUSTED_IDLE`). One the server closed anyway
    /// fails its next query with `Unavailable`; `SqlStore::run` then marks it lost and
    /// `has_broken` drops it (tested: `health::terminated_postgres_connections_are_replaced`,
    /// `health::ready_is_503_while_postgres_refuses_connections`).
    fn is_valid(&self, conn: &mut PooledDb) -> Result<(), Error> {
        let recently_used = conn
            .returned_at
            .is_some_and(|at| at.elapsed() < TRUSTED_IDLE);
        if matches!(conn.conn, DbConnection::Sqlite(_)) || recently_used {
            return Ok(());
        }
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(Error::QueryError)
    }

    /// Run when a connection goes back: one that broke (lost, or left inside a broken
    /// transaction) is dropped.
    fn has_broken(&self, conn: &mut PooledDb) -> bool {
        conn.returned_at = Some(Instant::now());
        conn.lost || conn.conn.is_broken()
    }
}
