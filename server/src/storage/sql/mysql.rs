//! MySQL and MariaDB connections without a C client library: diesel-async's pure-Rust
//! driver (mysql_async) behind diesel's blocking `Connection` API, so it is one more
//! variant of [`super::connection::DbConnection`] and every query, migration and pool
//! check is written once. diesel's own `MysqlConnection` links libmysqlclient, which
//! needs `libmariadb-dev` to build; its bundled build is GPL-2.0-only and needs cmake
//! (docs/building.md).
//!
//! diesel-async's `AsyncConnectionWrapper` does the blocking; the newtype
//! [`MysqlConnection`] only forwards to it, because `#[derive(MultiConnection)]` needs
//! diesel's `MultiConnectionHelper`, which no crate implements for the wrapper and which
//! the orphan rule lets us implement only for a type of ours.
//!
//! Each connection owns a single-threaded tokio runtime that only it uses, and every
//! call blocks on that runtime from the calling thread, so the socket's I/O runs on the
//! thread that asked for it. diesel-async's default instead borrows the runtime that is
//! current when the connection opens: a pooled connection would then depend on that
//! runtime staying alive (a test's runtime ends with the test) and on another thread to
//! drive its I/O. Blocking from an async worker panics either way; these connections
//! are used on tokio's blocking pool and on plain threads (r2d2, the token batcher),
//! as `SqlStore` documents.
//!
//! TLS is rustls (`require_ssl=true`, `ssl_ca=`; docs/building.md for what it verifies):
//! mysql_async's default, native-tls, would link the system's OpenSSL again.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, DefaultLoadingMode, Instrumentation, LoadConnection,
    MultiConnectionHelper, SimpleConnection, TransactionManager, TransactionManagerStatus,
};
use diesel::expression::QueryMetadata;
use diesel::migration::MigrationConnection;
use diesel::mysql::Mysql;
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::r2d2::R2D2Connection;
use diesel::result::{
    ConnectionError, ConnectionResult, DatabaseErrorKind, Error as DieselError, QueryResult,
};
use diesel::sql_types::TypeMetadata;
use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::{AsyncConnectionWrapper, BlockOn};

/// What does the work: the async connection, blocked on with the connection's runtime.
type Wrapped = AsyncConnectionWrapper<AsyncMysqlConnection, OwnRuntime>;

/// A blocking MySQL connection: `diesel::Connection<Backend = Mysql>`.
pub struct MysqlConnection(Wrapped);

/// The connection's own runtime (see the module docs). `None` only while it is dropped.
pub struct OwnRuntime(Option<tokio::runtime::Runtime>);

/// A runtime dropped the ordinary way waits for its blocking threads, and tokio panics
/// when that happens on an async worker ("Cannot drop a runtime in a context where
/// blocking is not allowed"); a pool, and so its connections, is dropped wherever its
/// last owner ends, e.g. at the end of `portunus janitor`'s async main. This one never
/// spawns blocking work of its own that could be lost, so it is shut down without
/// waiting.
impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

thread_local! {
    /// The runtime [`establish`] built for the connection it is opening. diesel-async
    /// asks for the runtime through an infallible constructor (`BlockOn::get_runtime`),
    /// so building it, which can fail (no file descriptor left), happens before, where
    /// the failure can be reported as a connection error.
    static PREPARED: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

fn new_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    // I/O for the socket, time for mysql_async's timeouts.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

impl BlockOn for OwnRuntime {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        match &self.0 {
            Some(runtime) => runtime.block_on(f),
            // `&self` cannot outlive the value, and only its `drop` empties it.
            None => unreachable!("a MySQL connection used while it is dropped"),
        }
    }

    /// Takes the runtime [`establish`] prepared on this thread. `Connection::establish`
    /// called directly, which this crate never does, finds none and builds one here.
    #[expect(
        clippy::expect_used,
        reason = "unreachable through `establish`, the only way this crate connects"
    )]
    fn get_runtime() -> Self {
        let prepared = PREPARED.with(|slot| slot.borrow_mut().take());
        Self(Some(
            prepared.unwrap_or_else(|| new_runtime().expect("a tokio runtime")),
        ))
    }
}

/// Opens a connection to `url` (`mysql://user:password@host:port/database`), giving up
/// after `timeout`: mysql_async has no connect timeout of its own, and a server that
/// accepts the TCP connection but never answers held startup for minutes (issue 23).
pub fn establish(
    url: &str,
    timeout: Duration,
    statement_timeout: Option<Duration>,
) -> ConnectionResult<MysqlConnection> {
    let (url, ssl_ca) = where_the_url_says(url)?;
    let runtime = new_runtime().map_err(|e| {
        ConnectionError::BadConnection(format!("cannot start the MySQL driver's runtime: {e}"))
    })?;
    let inner = runtime
        .block_on(async {
            tokio::time::timeout(timeout, open(&url, ssl_ca, statement_timeout)).await
        })
        .map_err(|_| {
            ConnectionError::BadConnection(format!(
                "the MySQL server did not answer within {} ms (database.connect_timeout)",
                timeout.as_millis()
            ))
        })??;
    // `Wrapped::from` takes the runtime out of the slot (`get_runtime`).
    PREPARED.with(|slot| *slot.borrow_mut() = Some(runtime));
    Ok(MysqlConnection(Wrapped::from(inner)))
}

/// Opens the connection with the options diesel-async's `establish` sets (no statement
/// cache of the driver's own, found rather than changed rows) and hands it to
/// diesel-async, which runs its session set-up (UTC, utf8mb4) as `establish` does.
///
/// `ssl_ca=/path/ca.pem` (libmysqlclient's name; mysql_async's URL has no way to name a
/// CA): TLS, verified against that CA instead of the built-in web roots. mysql_async
/// takes the CA only through its options.
async fn open(
    url: &str,
    ssl_ca: Option<String>,
    statement_timeout: Option<Duration>,
) -> ConnectionResult<AsyncMysqlConnection> {
    let opts = mysql_async::Opts::from_url(url)
        .map_err(|e| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    let mut builder = mysql_async::OptsBuilder::from_opts(opts.clone())
        .stmt_cache_size(0)
        .client_found_rows(true);
    if let Some(ssl_ca) = ssl_ca {
        let ssl = opts
            .ssl_opts()
            .cloned()
            .unwrap_or_default()
            .with_root_certs(vec![std::path::PathBuf::from(ssl_ca).into()]);
        builder = builder.ssl_opts(ssl);
    }
    let mut conn = mysql_async::Conn::new(builder)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    english_messages(&mut conn).await;
    if let Some(timeout) = statement_timeout {
        limit_statements(&mut conn, timeout).await;
    }
    AsyncMysqlConnection::try_from(conn).await
}

/// Asks for the server's messages in English on this session: deadlocks, lock wait
/// timeouts and statement timeouts are recognised by their text (diesel-async keeps
/// no error number, see `with_kind`), and a server whose `lc_messages` is another
/// language would turn each of them into a 500. Any user may set the session value.
async fn english_messages(conn: &mut mysql_async::Conn) {
    use mysql_async::prelude::Queryable;
    if let Err(e) = conn.query_drop("SET SESSION lc_messages = 'en_US'").await {
        tracing::warn!(
            error = %e,
            "could not set lc_messages to en_US: deadlocks and statement timeouts are recognised only in English"
        );
    }
}

/// Sets `database.statement_timeout` on the session, in MariaDB's or MySQL's words
/// (`statement_timeout.rs`). A server that knows neither keeps no limit, said once per
/// connection in the log rather than refusing to serve.
async fn limit_statements(conn: &mut mysql_async::Conn, timeout: Duration) {
    use mysql_async::prelude::Queryable;
    for statement in super::statement_timeout::mysql_statements(timeout) {
        if conn.query_drop(statement).await.is_ok() {
            return;
        }
    }
    tracing::warn!(
        "the MySQL server supports neither max_statement_time nor max_execution_time: \
         database.statement_timeout does not apply"
    );
}

/// The URL mysql_async gets, and the `ssl_ca` parameter taken out of it.
///
/// mysql_async's `prefer_socket` defaults to on: after connecting to 127.0.0.1 over TCP
/// it asks the server for its Unix socket and reconnects there, so a server that
/// authenticates `root@localhost` by the process's Unix user (MariaDB's `unix_socket`
/// plugin) would see a different account than the URL names. Off unless the URL asks,
/// as libmysqlclient behaved.
fn where_the_url_says(url: &str) -> ConnectionResult<(String, Option<String>)> {
    let mut parsed = url::Url::parse(url)
        .map_err(|e| ConnectionError::InvalidConnectionUrl(format!("not a URL: {e}")))?;
    let mut ssl_ca = None;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs() {
        if key == "ssl_ca" {
            ssl_ca = Some(value.into_owned());
        } else {
            pairs.push((key.into_owned(), value.into_owned()));
        }
    }
    if !pairs.iter().any(|(key, _)| key == "prefer_socket") {
        pairs.push(("prefer_socket".to_owned(), "false".to_owned()));
    }
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    Ok((parsed.into(), ssl_ca))
}

/// MySQL's message for error 1213 (`ER_LOCK_DEADLOCK`) in its default language.
const DEADLOCK: &str = "Deadlock found when trying to get lock; try restarting transaction";

/// MySQL's message for error 1205 (`ER_LOCK_WAIT_TIMEOUT`) in its default language.
const LOCK_WAIT_TIMEOUT: &str = "Lock wait timeout exceeded; try restarting transaction";

/// diesel maps error 1213, a deadlock victim whose transaction the server rolled back,
/// to `SerializationFailure`, which the store retries (`contention.rs`); diesel-async
/// reports it as `Unknown` and keeps only the message, not the code, so the message
/// is recognised here; every session asks for English messages (`english_messages`),
/// whatever the server's `lc_messages`. A lock wait timeout
/// (1205) is treated the same way: the statement was rolled back, and `contention.rs`
/// runs the whole transaction again.
fn with_kind<T>(result: QueryResult<T>) -> QueryResult<T> {
    match result {
        Err(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info))
            if info.message() == DEADLOCK || info.message() == LOCK_WAIT_TIMEOUT =>
        {
            Err(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                info,
            ))
        }
        other => other,
    }
}

// Everything below forwards to `Wrapped`.

impl SimpleConnection for MysqlConnection {
    fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        with_kind(self.0.batch_execute(query))
    }
}

impl ConnectionSealed for MysqlConnection {}

impl Connection for MysqlConnection {
    type Backend = Mysql;
    type TransactionManager = Transactions;

    fn establish(database_url: &str) -> ConnectionResult<Self> {
        establish(database_url, super::DEFAULT_CONNECT_TIMEOUT, None)
    }

    fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
    where
        T: QueryFragment<Mysql> + QueryId,
    {
        with_kind(self.0.execute_returning_count(source))
    }

    fn transaction_state(
        &mut self,
    ) -> &mut <Transactions as TransactionManager<Self>>::TransactionStateData {
        self.0.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.0.instrumentation()
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.0.set_instrumentation(instrumentation);
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        self.0.set_prepared_statement_cache_size(size);
    }
}

impl LoadConnection<DefaultLoadingMode> for MysqlConnection {
    type Cursor<'conn, 'query> = <Wrapped as LoadConnection>::Cursor<'conn, 'query>;
    type Row<'conn, 'query> = <Wrapped as LoadConnection>::Row<'conn, 'query>;

    fn load<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> QueryResult<Self::Cursor<'conn, 'query>>
    where
        T: Query + QueryFragment<Mysql> + QueryId + 'query,
        Mysql: QueryMetadata<T::SqlType>,
    {
        with_kind(self.0.load(source))
    }
}

/// `Wrapped`'s transaction manager, for the newtype.
pub struct Transactions;

type Inner = <Wrapped as Connection>::TransactionManager;

impl TransactionManager<MysqlConnection> for Transactions {
    type TransactionStateData = <Inner as TransactionManager<Wrapped>>::TransactionStateData;

    fn begin_transaction(conn: &mut MysqlConnection) -> QueryResult<()> {
        Inner::begin_transaction(&mut conn.0)
    }

    fn rollback_transaction(conn: &mut MysqlConnection) -> QueryResult<()> {
        Inner::rollback_transaction(&mut conn.0)
    }

    fn commit_transaction(conn: &mut MysqlConnection) -> QueryResult<()> {
        with_kind(Inner::commit_transaction(&mut conn.0))
    }

    fn transaction_manager_status_mut(conn: &mut MysqlConnection) -> &mut TransactionManagerStatus {
        Inner::transaction_manager_status_mut(&mut conn.0)
    }

    fn is_broken_transaction_manager(conn: &mut MysqlConnection) -> bool {
        Inner::is_broken_transaction_manager(&mut conn.0)
    }
}

impl R2D2Connection for MysqlConnection {
    fn ping(&mut self) -> QueryResult<()> {
        self.0.ping()
    }

    fn is_broken(&mut self) -> bool {
        R2D2Connection::is_broken(&mut self.0)
    }
}

impl MigrationConnection for MysqlConnection {
    fn setup(&mut self) -> QueryResult<usize> {
        self.0.setup()
    }
}

/// What diesel's own `MysqlConnection` does: MySQL has no type metadata to look up (`()`).
impl MultiConnectionHelper for MysqlConnection {
    fn to_any<'a>(
        lookup: &mut <Mysql as TypeMetadata>::MetadataLookup,
    ) -> &mut (dyn std::any::Any + 'a) {
        lookup
    }

    fn from_any(
        lookup: &mut dyn std::any::Any,
    ) -> Option<&mut <Mysql as TypeMetadata>::MetadataLookup> {
        lookup.downcast_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::{DEADLOCK, DatabaseErrorKind, DieselError, where_the_url_says, with_kind};

    fn unknown(message: &str) -> diesel::QueryResult<()> {
        Err(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn a_deadlock_is_a_serialization_failure_as_diesel_reports_it() {
        assert!(matches!(
            with_kind(unknown(DEADLOCK)),
            Err(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                _
            ))
        ));
        assert!(matches!(
            with_kind(unknown("Table 'x' doesn't exist")),
            Err(DieselError::DatabaseError(DatabaseErrorKind::Unknown, _))
        ));
    }

    fn url(dsn: &str) -> Option<(String, Option<String>)> {
        where_the_url_says(dsn).ok()
    }

    #[test]
    fn the_socket_is_used_only_when_the_url_asks() {
        let plain = "mysql://u:p@127.0.0.1:3306/db?prefer_socket=false";
        assert_eq!(
            url("mysql://u:p@127.0.0.1:3306/db"),
            Some((plain.to_owned(), None))
        );
        let tls = "mysql://u@db/x?require_ssl=true&prefer_socket=false";
        assert_eq!(
            url("mysql://u@db/x?require_ssl=true"),
            Some((tls.to_owned(), None))
        );
        let socket = "mysql://u@127.0.0.1/x?prefer_socket=true";
        assert_eq!(url(socket), Some((socket.to_owned(), None)));
    }

    #[test]
    fn ssl_ca_is_taken_out_of_the_url() {
        assert_eq!(
            url("mysql://u@db/x?require_ssl=true&ssl_ca=%2Fetc%2Fca.pem"),
            Some((
                "mysql://u@db/x?require_ssl=true&prefer_socket=false".to_owned(),
                Some("/etc/ca.pem".to_owned())
            ))
        );
    }
}
