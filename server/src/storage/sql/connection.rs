//! One connection type over the three backends (DESIGN §4) and the r2d2 manager that opens
//! it. The manager dispatches on the DSN's scheme itself: the derived
//! `MultiConnection::establish` tries each backend and reports only "Invalid connection
//! url for multiconnection", hiding e.g. a wrong password (STACK.md).

use diesel::connection::SimpleConnection;
use diesel::r2d2::{Error, R2D2Connection};
use diesel::{Connection, ConnectionError, MysqlConnection, PgConnection, SqliteConnection};

use super::dsn::Backend;

/// A connection to whichever backend the DSN names; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Mysql(MysqlConnection),
    Sqlite(SqliteConnection),
}

/// Per-connection SQLite settings (STACK.md, DESIGN §7). `busy_timeout` comes first so
/// that switching to WAL waits for a concurrent opener instead of failing with
/// `SQLITE_BUSY`; WAL with `synchronous = NORMAL` is durable across application crashes
/// and lets readers proceed during a write.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
                              PRAGMA journal_mode = WAL; \
                              PRAGMA synchronous = NORMAL; \
                              PRAGMA foreign_keys = ON;";

/// Opens [`DbConnection`]s for an r2d2 pool. Deliberately not `Debug`: the URL may hold
/// a password.
#[derive(Clone)]
pub struct ConnectionManager {
    backend: Backend,
    driver_url: String,
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

    fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                PgConnection::establish(&self.driver_url).map(DbConnection::Postgresql)
            }
            Backend::Mysql => MysqlConnection::establish(&self.driver_url).map(DbConnection::Mysql),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.driver_url)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = Error;

    fn connect(&self) -> Result<DbConnection, Error> {
        self.establish().map_err(Error::ConnectionError)
    }

    /// r2d2 runs this on checkout, so a connection the server closed (restart, idle
    /// timeout) is replaced before a request sees it. An SQLite connection is a file
    /// handle no server can close, so it skips the round trip (one per storage call).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Error> {
        if matches!(conn, DbConnection::Sqlite(_)) {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(Error::QueryError)
    }

    /// A connection left inside a broken transaction must not be reused.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
