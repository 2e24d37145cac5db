//! PostgreSQL's point reads in the request's runtime (`storage/sql/pg_reads.rs`): used
//! only where libpq would not encrypt, the same rows as through libpq, correct under
//! pipelining, and back after the server closed their connections. PostgreSQL only:
//! the path exists on no other backend (the token clauses in `tokens.rs` cover every
//! backend through whichever path the configured DSN selects).

use chrono::{Duration, TimeZone, Utc};
use portunus_server::client::model::Client;
use portunus_server::storage::sql::SqlStore;
use portunus_server::storage::{ClientStore, StorageError, StoredToken, TokenKind, TokenStore};

use super::migrated;
use crate::support::test_db::{TestBackend, TestDatabase};

/// A fresh PostgreSQL database, or `None` (said on stderr) when none is configured.
fn postgres() -> Option<TestDatabase> {
    if TestBackend::Postgres.server_url().is_none() {
        eprintln!("not run: PostgreSQL is not configured");
        return None;
    }
    Some(TestDatabase::create(TestBackend::Postgres))
}

/// `dsn` with its `sslmode` replaced by `mode`.
fn with_sslmode(dsn: &str, mode: &str) -> String {
    let (base, query) = dsn.split_once('?').unwrap_or((dsn, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sslmode="))
        .collect();
    let sslmode = format!("sslmode={mode}");
    params.push(&sslmode);
    format!("{base}?{}", params.join("&"))
}

async fn store_with_sslmode(db: &TestDatabase, mode: &str) -> SqlStore {
    let dsn = with_sslmode(&db.dsn, mode);
    tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("connecting with sslmode={mode}: {e}"))
}

/// A store on `db` whose token reads run in the runtime (checked, so that a test using
/// it cannot quietly cover libpq instead).
async fn store_reading_in_runtime(db: &TestDatabase) -> SqlStore {
    let store = store_with_sslmode(db, "disable").await;
    assert!(
        store.reads_in_runtime(),
        "sslmode=disable reads in the runtime"
    );
    store
}

fn token(n: u32, client: &str) -> StoredToken {
    let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    StoredToken {
        signature_hash: format!("pg-reads-{n:04}"),
        kind: TokenKind::AccessToken,
        family_id: format!("family-{n}"),
        client_id: client.to_owned(),
        subject: format!("user ✓ {n}"),
        granted_scope: vec!["openid".into(), "offline_access".into()],
        granted_audience: vec!["https://api.example.com".into()],
        session: "AQIDBA==".repeat(200),
        request_data: n.is_multiple_of(2).then(|| "c2VhbGVk".to_owned()),
        issued_at: at + Duration::microseconds(123_456),
        expires_at: at + Duration::seconds(3600),
        active: !n.is_multiple_of(3),
        used_at: n.is_multiple_of(5).then(|| at + Duration::seconds(30)),
        parent_family_id: n.is_multiple_of(7).then(|| "parent".to_owned()),
    }
}

async fn with_client_and_tokens(store: &SqlStore, count: u32) -> Vec<StoredToken> {
    let client = Client {
        client_id: "pg-reads-client".to_owned(),
        ..Client::default()
    };
    store.create_client(&client).await.unwrap();
    let tokens: Vec<_> = (1..=count).map(|n| token(n, "pg-reads-client")).collect();
    store.insert_tokens(&tokens).await.unwrap();
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_dsn_without_tls_reads_in_the_runtime() {
    let Some(db) = postgres() else { return };
    migrated(&db).await;
    store_reading_in_runtime(&db).await;
    // libpq would encrypt these (or try to): the reads stay on libpq.
    for mode in ["prefer", "require", "allow"] {
        let store = store_with_sslmode(&db, mode).await;
        assert!(!store.reads_in_runtime(), "sslmode={mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_paths_read_the_same_rows() {
    let Some(db) = postgres() else { return };
    migrated(&db).await;
    let in_runtime = store_reading_in_runtime(&db).await;
    let libpq = store_with_sslmode(&db, "require").await;
    assert!(!libpq.reads_in_runtime());
    let tokens = with_client_and_tokens(&in_runtime, 14).await;
    for expected in &tokens {
        let a = in_runtime
            .get_token(expected.kind, &expected.signature_hash)
            .await
            .unwrap();
        let b = libpq
            .get_token(expected.kind, &expected.signature_hash)
            .await
            .unwrap();
        assert_eq!(a.as_ref(), Some(expected), "in the runtime");
        assert_eq!(b.as_ref(), Some(expected), "through libpq");
    }
    for store in [&in_runtime, &libpq] {
        let wrong_kind = store
            .get_token(TokenKind::RefreshToken, &tokens[0].signature_hash)
            .await
            .unwrap();
        assert_eq!(wrong_kind, None);
        let unknown = store
            .get_token(TokenKind::AccessToken, "pg-reads-none")
            .await
            .unwrap();
        assert_eq!(unknown, None);
    }
}

/// Many reads of one thread at once share (and pipeline on) its one connection; each
/// gets its own row.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_reads_of_one_thread_each_get_their_row() {
    let Some(db) = postgres() else { return };
    migrated(&db).await;
    let store = store_reading_in_runtime(&db).await;
    let tokens = with_client_and_tokens(&store, 64).await;
    let reads = tokens
        .iter()
        .map(|t| store.get_token(t.kind, &t.signature_hash));
    let got = futures::future::join_all(reads).await;
    for (expected, got) in tokens.iter().zip(got) {
        assert_eq!(got.unwrap().as_ref(), Some(expected));
    }
}

/// The server ending the thread's connection (a restart, an administrator) costs at
/// most one read an `Unavailable` (503), never another error; the next one reconnects.
#[tokio::test(flavor = "current_thread")]
async fn reads_reconnect_after_the_server_closed_their_connection() {
    let Some(db) = postgres() else { return };
    migrated(&db).await;
    let store = store_reading_in_runtime(&db).await;
    let tokens = with_client_and_tokens(&store, 1).await;
    let read = || store.get_token(tokens[0].kind, &tokens[0].signature_hash);
    assert_eq!(read().await.unwrap().as_ref(), Some(&tokens[0]));
    let name = db.server_name().unwrap().to_owned();
    let terminated: Vec<TerminatedCount> = db.select(&format!(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ));
    assert!(
        terminated[0].n >= 1,
        "the read's connection was there to end"
    );
    // Let the connection's driver see the close.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    match read().await {
        Ok(got) => assert_eq!(got.as_ref(), Some(&tokens[0])),
        Err(StorageError::Unavailable(_)) => {}
        Err(other) => panic!("a closed connection must read as unavailable: {other}"),
    }
    assert_eq!(read().await.unwrap().as_ref(), Some(&tokens[0]));
}

#[derive(diesel::QueryableByName)]
struct TerminatedCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
