//! One throw-away database per test, on every configured backend. SQLite always runs;
//! PostgreSQL and MySQL run when `PORTUNUS_TEST_POSTGRES_URL` / `PORTUNUS_TEST_MYSQL_URL`
//! name a server (any database on it: each test creates and drops its own). A configured
//! server that cannot be reached fails the test; it is never skipped.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a database that cannot be set up must fail the test"
)]

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};

use diesel::{Connection, PgConnection};

/// The server's MySQL driver (pure Rust, no libmysqlclient), blocking. It blocks on a
/// runtime of its own, which tokio refuses inside a test's runtime: `try_execute` runs it
/// on a thread of its own.
pub(crate) type MysqlConnection = diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
    diesel_async::AsyncMysqlConnection,
>;

pub const POSTGRES_URL_VAR: &str = "PORTUNUS_TEST_POSTGRES_URL";
pub const MYSQL_URL_VAR: &str = "PORTUNUS_TEST_MYSQL_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
    Mysql,
}

impl TestBackend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }

    /// The configured server URL; `None` for SQLite and for unconfigured servers.
    pub fn server_url(self) -> Option<String> {
        let var = match self {
            Self::Sqlite => return None,
            Self::Postgres => POSTGRES_URL_VAR,
            Self::Mysql => MYSQL_URL_VAR,
        };
        std::env::var(var).ok().filter(|url| !url.is_empty())
    }
}

impl fmt::Display for TestBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The backends this run covers: SQLite, plus each server configured in the environment.
pub fn backends() -> Vec<TestBackend> {
    let mut all = vec![TestBackend::Sqlite];
    all.extend(
        [TestBackend::Postgres, TestBackend::Mysql]
            .into_iter()
            .filter(|b| b.server_url().is_some()),
    );
    all
}

/// An empty database that lives as long as this value.
pub struct TestDatabase {
    pub backend: TestBackend,
    /// A DSN for `SqlStore::connect`.
    pub dsn: String,
    kind: Kind,
}

enum Kind {
    /// The directory holds the database file and goes with it.
    Sqlite {
        _dir: tempfile::TempDir,
        file: PathBuf,
    },
    /// A database created on a server, dropped through `server_url`.
    Server { server_url: String, name: String },
    /// Another value's database, which that value keeps alive and drops.
    Shared,
}

impl TestDatabase {
    /// Creates an empty database. Panics, naming the variable, when a configured server
    /// cannot be reached.
    pub fn create(backend: TestBackend) -> Self {
        let Some(server_url) = backend.server_url() else {
            assert_eq!(backend, TestBackend::Sqlite, "{backend} is not configured");
            let dir = tempfile::tempdir().expect("temp dir for the SQLite database");
            let file = dir.path().join("portunus.sqlite");
            let dsn = format!("sqlite://{}", file.display());
            return Self {
                backend,
                dsn,
                kind: Kind::Sqlite { _dir: dir, file },
            };
        };
        let name = format!("portunus_test_{}", uuid::Uuid::new_v4().simple());
        execute(backend, &server_url, &format!("CREATE DATABASE {name}"));
        Self {
            backend,
            dsn: with_database(&server_url, &name),
            kind: Kind::Server { server_url, name },
        }
    }

    /// The database's name on its server (`None` for SQLite and shared handles), for
    /// tests that change the database's own settings (`ALTER DATABASE`).
    pub fn server_name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Server { name, .. } => Some(name),
            Kind::Sqlite { .. } | Kind::Shared => None,
        }
    }

    /// The database file, for tests of SQLite's file handling.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Sqlite { file, .. } => Some(file),
            Kind::Server { .. } | Kind::Shared => None,
        }
    }

    /// Loads the rows of one `SELECT` from this database, on any backend: what a test
    /// checks underneath the server (e.g. invariants after a crash). Blocking.
    pub fn select<T>(&self, sql: &str) -> Vec<T>
    where
        T: diesel::deserialize::QueryableByName<diesel::pg::Pg>
            + diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
            + diesel::deserialize::QueryableByName<diesel::mysql::Mysql>
            + Send
            + 'static,
    {
        use diesel::RunQueryDsl;
        fn load<C, T>(url: &str, sql: &str) -> Vec<T>
        where
            C: Connection + diesel::connection::LoadConnection,
            T: diesel::deserialize::QueryableByName<C::Backend> + 'static,
            diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'static, C, T>,
        {
            let mut conn = C::establish(url).unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            diesel::sql_query(sql)
                .load(&mut conn)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
        match self.backend {
            TestBackend::Sqlite => {
                let path = self.dsn.trim_start_matches("sqlite://");
                load::<diesel::SqliteConnection, T>(path, sql)
            }
            TestBackend::Postgres => {
                portunus_server::storage::sql::init_openssl();
                load::<PgConnection, T>(&self.dsn, sql)
            }
            // The MySQL driver blocks on a runtime of its own: not on the test's.
            TestBackend::Mysql => std::thread::scope(|scope| {
                scope
                    .spawn(|| load::<MysqlConnection, T>(&self.dsn, sql))
                    .join()
                    .unwrap_or_else(|_| panic!("{sql}: the MySQL thread panicked"))
            }),
        }
    }

    /// A handle on the same database that does not own it, e.g. for a second `TestApp`
    /// on the same data: `self` must outlive the handle's users.
    pub fn shared(&self) -> TestDatabase {
        Self {
            backend: self.backend,
            dsn: self.dsn.clone(),
            kind: Kind::Shared,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Server { server_url, name } = &self.kind else {
            return; // TempDir removes the SQLite file; a shared handle owns nothing.
        };
        let statements = match self.backend {
            // WITH (FORCE) (PostgreSQL 13+) ends the sessions a store's pool still holds.
            TestBackend::Postgres => vec![
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                ),
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ],
            _ => vec![format!("DROP DATABASE IF EXISTS {name}")],
        };
        // Never panic in drop: a panic while unwinding from a failed test aborts the run.
        if let Err(e) = try_execute(self.backend, server_url, &statements) {
            eprintln!(
                "could not drop test database {name} on {}: {e}",
                self.backend
            );
        }
    }
}

/// Runs `f` on a fresh database of every configured backend, one after the other. A
/// failure names its backend; every backend runs even when an earlier one failed.
pub async fn for_each_backend<F, Fut>(f: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = Vec::new();
    // Say which backends this test did not cover, so its pass claims only what ran
    // (`.ci/run` counts the `storage test on <backend>` lines, not these).
    for (backend, var) in [
        (TestBackend::Postgres, POSTGRES_URL_VAR),
        (TestBackend::Mysql, MYSQL_URL_VAR),
    ] {
        if backend.server_url().is_none() {
            eprintln!("not run: storage test on {backend}: {var} is not set");
        }
    }
    for backend in backends() {
        eprintln!("storage test on {backend}");
        if let Err(message) = catch_failure(f(TestDatabase::create(backend))).await {
            failures.push(format!("[{backend}] {message}"));
        }
    }
    assert!(failures.is_empty(), "failed on:\n{}", failures.join("\n"));
}

/// Runs `test` to completion and returns its panic message, if it panicked.
pub async fn catch_failure<Fut>(test: Fut) -> Result<(), String>
where
    Fut: Future<Output = ()> + Send + 'static,
{
    match tokio::spawn(test).await {
        Ok(()) => Ok(()),
        Err(join) if join.is_panic() => {
            let payload = join.into_panic();
            Err(payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned()))
        }
        Err(join) => Err(join.to_string()),
    }
}

fn execute(backend: TestBackend, server_url: &str, sql: &str) {
    if let Err(e) = try_execute(backend, server_url, &[sql.to_owned()]) {
        let var = match backend {
            TestBackend::Postgres => POSTGRES_URL_VAR,
            _ => MYSQL_URL_VAR,
        };
        panic!("{var} is set, but `{sql}` failed on that {backend} server: {e}");
    }
}

fn try_execute(
    backend: TestBackend,
    server_url: &str,
    statements: &[String],
) -> Result<(), String> {
    fn run<C: Connection>(url: &str, statements: &[String]) -> Result<(), String> {
        let mut conn = C::establish(url).map_err(|e| e.to_string())?;
        for sql in statements {
            conn.batch_execute(sql).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
    match backend {
        TestBackend::Postgres => {
            portunus_server::storage::sql::init_openssl();
            run::<PgConnection>(server_url, statements)
        }
        TestBackend::Mysql => std::thread::scope(|scope| {
            scope
                .spawn(|| run::<MysqlConnection>(server_url, statements))
                .join()
                .unwrap_or_else(|_| Err("the MySQL set-up thread panicked".to_owned()))
        }),
        TestBackend::Sqlite => Err("SQLite has no server".to_owned()),
    }
}

/// `scheme://authority/<any>?query` → `scheme://authority/<database>?query`.
fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// `scheme://<any>@host/…` → `scheme://<userinfo>@host/…`.
pub fn with_user(server_url: &str, userinfo: &str) -> String {
    let (scheme, rest) = server_url.split_once("://").unwrap_or(("", server_url));
    let host_and_path = rest.split_once('@').map_or(rest, |(_, after)| after);
    format!("{scheme}://{userinfo}@{host_and_path}")
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database(
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            "t1"
        ),
        "postgres://postgres@127.0.0.1:5432/t1?sslmode=disable"
    );
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306", "t2"),
        "mysql://root@127.0.0.1:3306/t2"
    );
    assert_eq!(
        with_user("mysql://root@127.0.0.1:3306/mysql", "u:p"),
        "mysql://u:p@127.0.0.1:3306/mysql"
    );
    assert_eq!(
        with_user("postgres://127.0.0.1/x", "u"),
        "postgres://u@127.0.0.1/x"
    );
}
