//! The PostgreSQL client cache (issue 20, `storage/sql/client_notify.rs`): two stores on
//! one database stand for two nodes. A client changed or deleted through node A is
//! never served stale by node B once A's write returned, while B's other lookups run
//! concurrently; B survives its listener connection being killed; a write that rolls
//! back notifies nothing. PostgreSQL only (MySQL has no LISTEN and is not cached).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use portunus_server::client::model::Client;
use portunus_server::storage::ClientStore;
use portunus_server::storage::sql::{NotifiedClientStore, SqlStore};

use crate::support::TestBackend;
use crate::support::test_db::TestDatabase;

/// The database, or `None` (said on stderr) when no PostgreSQL is configured. A
/// configured server that cannot be reached fails in `TestDatabase::create`.
fn postgres() -> Option<TestDatabase> {
    if TestBackend::Postgres.server_url().is_none() {
        eprintln!("not run: no postgres server configured");
        return None;
    }
    Some(TestDatabase::create(TestBackend::Postgres))
}

async fn open(dsn: &str) -> Arc<SqlStore> {
    let dsn = dsn.to_owned();
    let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .expect("the pool opens on a blocking thread")
        .expect("the store connects");
    Arc::new(store)
}

/// Two nodes' caches on one migrated database, both listening.
async fn two_nodes(db: &TestDatabase) -> (NotifiedClientStore, NotifiedClientStore) {
    let a = open(&db.dsn).await;
    a.migrate_up().await.expect("migrations apply");
    let b = open(&db.dsn).await;
    let (a, b) = (NotifiedClientStore::start(a), NotifiedClientStore::start(b));
    wait_until("both nodes listen", || a.is_listening() && b.is_listening()).await;
    (a, b)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn client(id: &str, round: u32) -> Client {
    Client {
        client_id: id.to_owned(),
        client_name: format!("round {round}"),
        redirect_uris: vec![format!("https://rp.example/cb/{round}")],
        secret_hash: Some(format!("hash-{round}")),
        ..Client::default()
    }
}

fn round_of(found: &Option<Client>) -> Option<u32> {
    found
        .as_ref()
        .and_then(|c| c.client_name.strip_prefix("round "))
        .and_then(|n| n.parse().ok())
}

/// Two nodes with client `x` (round 1) created on A and cached on B, and a plain
/// connection to their database for changes behind their back.
async fn x_cached_on_b(
    db: &TestDatabase,
) -> (NotifiedClientStore, NotifiedClientStore, PgConnection) {
    let (a, b) = two_nodes(db).await;
    a.create_client(&client("x", 1)).await.expect("created");
    assert_eq!(round_of(&b.get_client("x").await.expect("read")), Some(1));
    assert_eq!(b.cached_len(), 1);
    (a, b, pg(&db.dsn))
}

fn pg(dsn: &str) -> PgConnection {
    portunus_server::storage::sql::init_openssl();
    PgConnection::establish(dsn).expect("a plain connection to the test database")
}

/// The lookups run while A writes: each reader sees the rounds in order (never an
/// older state after a newer one), and B answers the state of A's last returned write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_node_is_seen_by_the_other_at_once() {
    let Some(db) = postgres() else { return };
    let (a, b) = two_nodes(&db).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    a.create_client(&client("x", 0)).await.expect("created");
    assert_eq!(round_of(&b.get_client("x").await.expect("read")), Some(0));

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (b, stop) = (b.clone(), stop.clone());
            tokio::spawn(async move {
                let mut last = 0;
                let mut lookups = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let found = b.get_client("x").await.expect("read");
                    lookups += 1;
                    // Deleted between rounds: absent is fine, going back is not.
                    if let Some(round) = round_of(&found) {
                        assert!(round >= last, "round {round} after round {last}");
                        last = round;
                    }
                }
                lookups
            })
        })
        .collect();

    let mut served_from_memory = 0;
    for round in 1..=200_u32 {
        if round % 50 == 0 {
            assert_eq!(a.delete_client("x").await.ok(), Some(true));
            assert_eq!(
                b.get_client("x").await.expect("read").map(|c| c.client_id),
                None,
                "round {round}: deleted on A, still served by B"
            );
            a.create_client(&client("x", round)).await.expect("created");
        } else {
            assert_eq!(a.update_client(&client("x", round)).await.ok(), Some(true));
        }
        let seen = b.get_client("x").await.expect("read");
        assert_eq!(
            round_of(&seen),
            Some(round),
            "round {round}: B served a stale client"
        );
        let seen = seen.expect("present");
        assert_eq!(
            seen.secret_hash.as_deref(),
            Some(format!("hash-{round}").as_str())
        );
        assert_eq!(
            seen.redirect_uris,
            vec![format!("https://rp.example/cb/{round}")]
        );
        if b.cached_len() > 0 {
            served_from_memory += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut lookups = 0;
    for reader in readers {
        lookups += reader.await.expect("a reader never saw a round go back");
    }
    eprintln!(
        "concurrent lookups on B: {lookups}; rounds with B's cache filled: {served_from_memory}"
    );
    assert!(lookups > 0);
    assert!(served_from_memory > 0, "B never cached the client");
}

/// B really answers from memory: a change made behind the stores' back (no
/// notification) is not seen, which is what makes the notification necessary.
#[tokio::test]
async fn the_other_node_answers_from_memory() {
    let Some(db) = postgres() else { return };
    let (_a, b, mut conn) = x_cached_on_b(&db).await;
    conn.batch_execute("UPDATE clients SET client_name = 'round 9' WHERE id = 'x'")
        .expect("changed without a notification");
    assert_eq!(round_of(&b.get_client("x").await.expect("read")), Some(1));
    // The same change notified is seen.
    conn.batch_execute(
        "BEGIN; UPDATE clients SET client_name = 'round 10' WHERE id = 'x'; \
         SELECT pg_notify('portunus_clients', 'x'); COMMIT;",
    )
    .expect("changed with a notification");
    assert_eq!(round_of(&b.get_client("x").await.expect("read")), Some(10));
}

/// The listener connection killed: B answers correctly (reading the row) at once, then
/// listens again on a new connection and caches again, still exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listener_is_replaced_and_answers_stay_exact() {
    let Some(db) = postgres() else { return };
    let (a, b, mut conn) = x_cached_on_b(&db).await;
    for round in 2..=4_u32 {
        let pid = b.listener_pid().expect("B listens");
        conn.batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
            .expect("the listener is terminated");
        // A's write lands while B's listener is gone or coming back.
        assert_eq!(a.update_client(&client("x", round)).await.ok(), Some(true));
        assert_eq!(
            round_of(&b.get_client("x").await.expect("read")),
            Some(round),
            "round {round}: stale after the listener was killed"
        );
        wait_until("B listens again", || {
            b.listener_pid().is_some_and(|new| new != pid)
        })
        .await;
        assert_eq!(
            round_of(&b.get_client("x").await.expect("read")),
            Some(round)
        );
        assert_eq!(b.cached_len(), 1, "B caches again on its new connection");
        assert_eq!(a.delete_client("x").await.ok(), Some(true));
        assert_eq!(
            b.get_client("x").await.expect("read").map(|c| c.client_id),
            None
        );
        a.create_client(&client("x", round))
            .await
            .expect("created again");
    }
}

#[derive(diesel::QueryableByName)]
struct One {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[expect(dead_code, reason = "only the round trip matters")]
    one: i32,
}

/// What a plain listener has received so far (after a round trip).
fn received(listener: &mut PgConnection) -> Vec<String> {
    let _: Vec<One> = diesel::sql_query("SELECT 1 AS one")
        .load(listener)
        .expect("a round trip");
    listener
        .notifications_iter()
        .map(|n| n.expect("a notification").payload)
        .collect()
}

/// Writes that fail or change nothing send nothing; those that commit send the id.
#[tokio::test]
async fn only_committed_changes_notify() {
    let Some(db) = postgres() else { return };
    let store = open(&db.dsn).await;
    store.migrate_up().await.expect("migrations apply");
    let mut listener = pg(&db.dsn);
    listener
        .batch_execute("LISTEN portunus_clients")
        .expect("listening");

    store.create_client(&client("x", 1)).await.expect("created");
    assert_eq!(received(&mut listener), vec!["x".to_owned()]);

    // A duplicate id: the insert fails and its transaction rolls back.
    assert!(store.create_client(&client("x", 2)).await.is_err());
    // Unknown ids: nothing changed.
    assert_eq!(
        store.update_client(&client("nobody", 1)).await.ok(),
        Some(false)
    );
    assert_eq!(store.delete_client("nobody").await.ok(), Some(false));
    // A notifying write rolled back by hand, for the database's side of the promise.
    let mut conn = pg(&db.dsn);
    conn.batch_execute(
        "BEGIN; UPDATE clients SET client_name = 'gone' WHERE id = 'x'; \
         SELECT pg_notify('portunus_clients', 'x'); ROLLBACK;",
    )
    .expect("rolled back");
    assert_eq!(received(&mut listener), Vec::<String>::new());

    assert_eq!(store.update_client(&client("x", 3)).await.ok(), Some(true));
    assert_eq!(store.delete_client("x").await.ok(), Some(true));
    assert_eq!(
        received(&mut listener),
        vec!["x".to_owned(), "x".to_owned()]
    );
}
