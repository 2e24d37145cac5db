//! The janitor `serve` runs (issue 15 §2, `janitor.*`): a server with a short
//! `janitor.interval` deletes expired rows on its own and counts them in its metrics;
//! the cluster lock lets one run at a time per database (two stores stand for two
//! nodes); the task stops with its stop signal.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use portunus_server::client::model::Client;
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::config::{Config, JanitorConfig};
use portunus_server::duration::GoDuration;
use portunus_server::janitor::task::Janitor;
use portunus_server::janitor::{Outcome, Settings, run_once};
use portunus_server::storage::{ClientStore, StoredToken, TokenStore};

use crate::janitor::{open, token, token_exists};
use crate::support::test_db::TestDatabase;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    the_server_janitor_deletes_expired_rows_on_its_own,
    the_janitor_lock_admits_one_run_at_a_time,
);

async fn the_server_janitor_deletes_expired_rows_on_its_own(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            c.janitor.interval = GoDuration::from_secs(1);
            c.janitor.batch_size = 2;
        })
        .build()
        .await;
    let store = open(&app.db.dsn).await;
    let client = Client {
        client_id: "janitor-client".to_owned(),
        ..Client::default()
    };
    store.create_client(&client).await.unwrap();
    let now = SystemClock.now();
    let mut rows: Vec<StoredToken> = (0..5)
        .map(|n| token(n, now, -Duration::minutes(5)))
        .collect();
    rows.push(token(99, now, Duration::hours(1)));
    store.insert_tokens(&rows).await.unwrap();

    // Nobody runs `portunus janitor`: the server's own janitor deletes them.
    let mut left = 5;
    for _ in 0..100 {
        left = 0;
        for n in 0..5 {
            left += u32::from(token_exists(&store, n).await);
        }
        if left == 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(
        left, 0,
        "expired tokens left after 10 s of janitor.interval 1s"
    );
    assert!(token_exists(&store, 99).await, "the live token was deleted");

    // The rows are gone before the run ends: the run goes on over the other tables and
    // records its outcome last, so wait for the series rather than read them once.
    let wanted = [
        r#"portunus_janitor_rows_deleted_total{table="oauth2_tokens"} 5"#,
        r#"portunus_janitor_runs_total{outcome="completed"}"#,
        "portunus_janitor_run_duration_seconds_count",
    ];
    let mut body = String::new();
    for _ in 0..100 {
        body = app
            .http
            .get(app.admin_path("/admin/metrics/prometheus"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if wanted.iter().all(|series| body.contains(series)) {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    for series in wanted {
        assert!(
            body.contains(series),
            "{series} missing after 10 s:\n{body}"
        );
    }
}

/// Two stores on one database stand for two nodes: while one holds the lock the other
/// cannot take it and its run is skipped; after the release (or the holder's end) it
/// can.
async fn the_janitor_lock_admits_one_run_at_a_time(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let first = open(&db.dsn).await;
    first.migrate_up().await.unwrap();
    let second = open(&db.dsn).await;

    let held = first
        .try_janitor_lock()
        .await
        .unwrap()
        .expect("a free lock");
    assert!(
        second.try_janitor_lock().await.unwrap().is_none(),
        "a second node took the held lock"
    );
    assert!(
        first.try_janitor_lock().await.unwrap().is_none(),
        "a second run of the same node took the held lock"
    );
    let skipped = run_once(&second, &SystemClock, &Settings::all(100), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(skipped, Outcome::Skipped);

    held.release().await.unwrap();
    let taken = second
        .try_janitor_lock()
        .await
        .unwrap()
        .expect("the released lock is free");
    assert!(first.try_janitor_lock().await.unwrap().is_none());

    // A holder that goes away without releasing (a node that died) frees it too.
    drop(taken);
    let mut again = None;
    for _ in 0..50 {
        again = first.try_janitor_lock().await.unwrap();
        if again.is_some() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let again = again.expect("the dropped lock was never freed");
    again.release().await.unwrap();
    let ran = run_once(&second, &SystemClock, &Settings::all(100), &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(ran, Outcome::Completed(ref tables) if !tables.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_janitor_stops_with_its_signal() {
    let db = TestDatabase::create(TestBackend::Sqlite);
    let store = Arc::new(open(&db.dsn).await);
    store.migrate_up().await.unwrap();
    let config = Config {
        janitor: JanitorConfig {
            interval: GoDuration::from_secs(3600),
            ..JanitorConfig::default()
        },
        ..Config::default()
    };
    let janitor = Janitor::from_config(&config, store.clone(), Arc::new(SystemClock))
        .expect("enabled by default");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(janitor.run(stopped));
    tokio::time::sleep(StdDuration::from_millis(50)).await;
    assert!(!task.is_finished(), "the janitor ended before its signal");
    stop.send(true).unwrap();
    tokio::time::timeout(StdDuration::from_secs(5), task)
        .await
        .expect("the janitor did not stop")
        .unwrap();

    let mut off = Config::default();
    off.janitor.enabled = false;
    assert!(Janitor::from_config(&off, store, Arc::new(SystemClock)).is_none());
}
