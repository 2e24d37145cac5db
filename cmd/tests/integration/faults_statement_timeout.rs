//! `database.statement_timeout` (issue 23): a statement that waits on a row lock held
//! elsewhere is cut off by the database at the limit and the request answers 503
//! `temporarily_unavailable` (not 500, not a hang), and the same request succeeds once
//! the lock is gone. PostgreSQL and MariaDB; SQLite has no server to hold a lock in.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use portunus_sdk::types::{JsonPatch, OAuth2Client};
use portunus_server::duration::GoDuration;
use serde_json::json;

use crate::support::test_db::{MysqlConnection, TestDatabase};
use crate::support::{TestApp, TestBackend};

/// Holds `SELECT … FOR UPDATE` on the client row `id` in an open transaction on a
/// connection of its own until told to let go; returns once the lock is held.
fn hold_client_row(backend: TestBackend, dsn: &str, id: &str) -> mpsc::Sender<()> {
    fn hold<C: Connection>(
        dsn: &str,
        sql: &str,
        held: mpsc::Sender<()>,
        release: mpsc::Receiver<()>,
    ) {
        let mut conn = C::establish(dsn).expect("the lock holder connects");
        conn.batch_execute(sql).expect("the lock is taken");
        let _ = held.send(());
        let _ = release.recv();
        conn.batch_execute("ROLLBACK")
            .expect("the lock is released");
    }
    let sql = format!("BEGIN; SELECT id FROM clients WHERE id = '{id}' FOR UPDATE;");
    let (release, released) = mpsc::channel();
    let (held, is_held) = mpsc::channel();
    let dsn = dsn.to_owned();
    // A thread of its own: the MySQL driver blocks on a runtime of its own.
    std::thread::spawn(move || match backend {
        TestBackend::Postgres => {
            portunus_server::storage::sql::init_openssl();
            hold::<diesel::PgConnection>(&dsn, &sql, held, released);
        }
        TestBackend::Mysql => hold::<MysqlConnection>(&dsn, &sql, held, released),
        TestBackend::Sqlite => unreachable!("SQLite has no server"),
    });
    is_held
        .recv_timeout(Duration::from_secs(30))
        .expect("the lock holder took its lock");
    release
}

async fn a_statement_waiting_on_a_lock_answers_503_at_the_limit(backend: TestBackend) {
    if backend.server_url().is_none() {
        eprintln!("not run: no {backend} server configured");
        return;
    }
    answers_503_at_the_limit_on(TestDatabase::create(backend)).await;
}

async fn answers_503_at_the_limit_on(db: TestDatabase) {
    let backend = db.backend;
    let dsn = db.dsn.clone();
    let app = TestApp::builder(backend)
        .database(db)
        .config(|c| c.database.statement_timeout = GoDuration(Duration::from_secs(1)))
        .build()
        .await;
    let client: OAuth2Client = serde_json::from_value(json!({"client_id": "locked"})).unwrap();
    app.admin
        .create_o_auth2_client()
        .body(client)
        .send()
        .await
        .unwrap();
    let patch: Vec<JsonPatch> = vec![
        serde_json::from_value(json!({"op": "replace", "path": "/client_name", "value": "x"}))
            .unwrap(),
    ];

    let release = hold_client_row(backend, &dsn, "locked");
    let started = Instant::now();
    let err = app
        .admin
        .patch_o_auth2_client()
        .id("locked")
        .body(patch.clone())
        .send()
        .await
        .expect_err("the update waits on the lock and is cut off");
    let waited = started.elapsed();
    let status = err.status().map(|s| s.as_u16());
    assert_eq!(status, Some(503), "{err:?}");
    // Well under the 50 s InnoDB lock wait or an unbounded PostgreSQL wait.
    assert!(waited < Duration::from_secs(20), "{waited:?}");

    let _ = release.send(());
    let patched = app
        .admin
        .patch_o_auth2_client()
        .id("locked")
        .body(patch)
        .send()
        .await
        .expect("served once the lock is gone")
        .into_inner();
    assert_eq!(patched.client_name.as_deref(), Some("x"));
}

mod a_statement_waiting_on_a_lock_answers_503_at_the_limit {
    use crate::support::TestBackend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_statement_waiting_on_a_lock_answers_503_at_the_limit(TestBackend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        super::a_statement_waiting_on_a_lock_answers_503_at_the_limit(TestBackend::Mysql).await;
    }
}

/// The MariaDB server's messages in German for as long as it lives (`SET GLOBAL
/// lc_messages`), English again when dropped. Only new sessions see it: the server's
/// own sessions ask for English (`storage/sql/mysql.rs`), the tests' do not care.
struct ServerLanguage {
    url: String,
}

impl ServerLanguage {
    fn set(url: &str, language: &str) -> Self {
        let set = |url: String, sql: String| {
            std::thread::spawn(move || {
                let mut conn = MysqlConnection::establish(&url).expect("connect to MariaDB");
                conn.batch_execute(&sql).expect("SET GLOBAL lc_messages");
            })
            .join()
            .expect("the MariaDB thread");
        };
        set(
            url.to_owned(),
            format!("SET GLOBAL lc_messages = '{language}'"),
        );
        Self {
            url: url.to_owned(),
        }
    }
}

impl Drop for ServerLanguage {
    fn drop(&mut self) {
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(mut conn) = MysqlConnection::establish(&url) {
                let _ = conn.batch_execute("SET GLOBAL lc_messages = 'en_US'");
            }
        })
        .join();
    }
}

/// A server whose `lc_messages` is German still gets its statement timeouts
/// recognised (503, not 500): every session of the server asks for English (MariaDB)
/// or `C` (PostgreSQL).
mod a_server_in_another_language_still_answers_503 {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;

    use crate::support::TestBackend;
    use crate::support::test_db::TestDatabase;

    /// PostgreSQL: the test database's sessions start in German (`ALTER DATABASE … SET
    /// lc_messages`; the `de_DE.UTF-8` locale must exist on the server's machine, which
    /// `.ci/run` makes sure of), checked on a session of the test's own first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(url) = TestBackend::Postgres.server_url() else {
            eprintln!("not run: no postgres server configured");
            return;
        };
        let db = TestDatabase::create(TestBackend::Postgres);
        let name = db
            .server_name()
            .expect("a database on the server")
            .to_owned();
        portunus_server::storage::sql::init_openssl();
        let mut admin = diesel::PgConnection::establish(&url).expect("connect to PostgreSQL");
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} SET lc_messages = 'de_DE.UTF-8'"
            ))
            .expect(
                "the de_DE.UTF-8 locale exists where PostgreSQL runs \
                 (localedef -i de_DE -f UTF-8 de_DE.UTF-8, then restart the cluster)",
            );
        let mut session = diesel::PgConnection::establish(&db.dsn).expect("connect to the test db");
        let german = session
            .batch_execute("SELECT 1/0")
            .expect_err("division by zero fails")
            .to_string();
        assert!(german.contains("Division durch Null"), "{german}");
        drop(session);
        super::answers_503_at_the_limit_on(db).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        let Some(url) = TestBackend::Mysql.server_url() else {
            eprintln!("not run: no mysql server configured");
            return;
        };
        let _german = super::ServerLanguage::set(&url, "de_DE");
        super::a_statement_waiting_on_a_lock_answers_503_at_the_limit(TestBackend::Mysql).await;
    }
}
