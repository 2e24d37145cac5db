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
use super::statement_timeout::with_pg_statement_timeout;
use super::{SqlOptions, SqliteSynchronous};

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
///
/// `database.sqlite.synchronous: full` replaces `NORMAL` with `FULL`: every commit then
/// also syncs the WAL, so an answered write survives a power loss too (docs/benchmarks.md,
/// "Durability of each backend").
fn sqlite_pragmas(synchronous: SqliteSynchronous) -> String {
    let synchronous = match synchronous {
        SqliteSynchronous::Normal => "NORMAL",
        SqliteSynchronous::Full => "FULL",
    };
    format!(
        "PRAGMA busy_timeout = 5000; \
         PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = {synchronous}; \
         PRAGMA wal_autocheckpoint = 1000; \
         PRAGMA foreign_keys = ON;"
    )
}

/// Opens [`DbConnection`]s for an r2d2 pool. Deliberately not `Debug`: the URL may hold
/// a password.
#[derive(Clone)]
pub struct ConnectionManager {
    backend: Backend,
    driver_url: String,
    connect_timeout: Duration,
    /// MySQL: set on each session after connecting (PostgreSQL's is in the URL).
    statement_timeout: Option<Duration>,
    /// SQLite only: the statements every new connection runs first.
    sqlite_pragmas: String,
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
    /// `options.connect_timeout` bounds the opening of one connection on PostgreSQL and
    /// MySQL (`database.connect_timeout`); SQLite opens a file.
    pub fn new(backend: Backend, driver_url: String, options: SqlOptions) -> Self {
        let driver_url = match backend {
            Backend::Postgres => with_pg_statement_timeout(
                with_pg_connect_timeout(driver_url, options.connect_timeout),
                options.statement_timeout,
            ),
            Backend::Mysql | Backend::Sqlite => driver_url,
        };
        Self {
            backend,
            driver_url,
            connect_timeout: options.connect_timeout,
            statement_timeout: options.statement_timeout,
            sqlite_pragmas: sqlite_pragmas(options.sqlite_synchronous),
        }
    }

    /// The URL the driver is given (for PostgreSQL with the connect and statement
    /// timeouts added); may hold a password.
    pub(super) fn driver_url(&self) -> &str {
        &self.driver_url
    }

    pub fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                init_openssl();
                let mut conn = PgConnection::establish(&self.driver_url)?;
                english_messages(&mut conn);
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Mysql => mysql::establish(
                &self.driver_url,
                self.connect_timeout,
                self.statement_timeout,
            )
            .map(DbConnection::Mysql),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.driver_url)?;
                conn.batch_execute(&self.sqlite_pragmas)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Asks for PostgreSQL's messages untranslated: deadlocks and statement timeouts are
/// recognised by their text (diesel reports neither SQLSTATE 40P01 nor 57014), so a
/// server whose `lc_messages` is another language would turn them into 500s.
/// `lc_messages` is a superuser setting: a role without it (PostgreSQL 15: `GRANT SET ON
/// PARAMETER lc_messages TO <role>`) keeps the server's language, said once in the log.
fn english_messages(conn: &mut PgConnection) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if let Err(e) = conn.batch_execute("SET lc_messages TO 'C'")
        && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            error = %e,
            "could not set lc_messages to C: unless the server's messages are in English, \
             deadlocks and statement timeouts answer 500 instead of being retried or 503 \
             (GRANT SET ON PARAMETER lc_messages TO the database role)"
        );
    }
}

/// libpq waits for a server without limit unless the URL says `connect_timeout` (whole
/// seconds): a PostgreSQL that accepted the TCP connection but never answered held
/// `serve` for 40–100 s (issue 23). One the DSN sets itself is kept.
fn with_pg_connect_timeout(url: String, timeout: Duration) -> String {
    let has_query = url.contains('?');
    if has_query && url.contains("connect_timeout=") {
        return url;
    }
    let secs = timeout
        .as_secs()
        .saturating_add(u64::from(timeout.subsec_nanos() > 0))
        .max(1);
    let separator = if has_query { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={secs}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    /// `PRAGMA synchronous` of a new connection: 1 is NORMAL, 2 is FULL.
    fn synchronous_of(mode: SqliteSynchronous) -> i32 {
        use diesel::RunQueryDsl;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.sqlite").display().to_string();
        let options = SqlOptions {
            sqlite_synchronous: mode,
            ..SqlOptions::default()
        };
        let manager = ConnectionManager::new(Backend::Sqlite, path, options);
        let DbConnection::Sqlite(mut conn) = manager.establish().unwrap() else {
            panic!("an SQLite connection");
        };
        let rows: Vec<Pragma> = diesel::sql_query("PRAGMA synchronous")
            .load(&mut conn)
            .unwrap();
        rows[0].synchronous
    }

    #[test]
    fn sqlite_synchronous_follows_the_setting() {
        assert_eq!(synchronous_of(SqliteSynchronous::Normal), 1);
        assert_eq!(synchronous_of(SqliteSynchronous::Full), 2);
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_set_one() {
        let secs = Duration::from_millis(2500);
        assert_eq!(
            with_pg_connect_timeout("postgres://h/db".into(), secs),
            "postgres://h/db?connect_timeout=3"
        );
        assert_eq!(
            with_pg_connect_timeout("postgres://h/db?sslmode=disable".into(), Duration::ZERO),
            "postgres://h/db?sslmode=disable&connect_timeout=1"
        );
        assert_eq!(
            with_pg_connect_timeout("postgres://h/db?connect_timeout=9".into(), secs),
            "postgres://h/db?connect_timeout=9"
        );
    }
}
