//! Audit events under faults (issue 15 §1): a receiver down for a while gets every event
//! afterwards, in order, none missing; `portunus serve` killed with SIGKILL while a
//! delivery is in flight delivers it after a restart (the lease ran out); a change that
//! rolls back reports nothing (its event is part of the transaction: the clause
//! `storage_conformance::event_outbox::a_failed_reporting_write_leaves_no_event` runs
//! that on every backend).

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{dev_server, free_port};
use crate::support::event_receiver::{Delivery, EVENT_SECRET, EventReceiver};
use crate::support::test_db::TestDatabase;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    events_wait_for_a_receiver_that_is_down_then_arrive_in_order,
    sigkill_mid_delivery_loses_no_event,
);

fn envelope(seq: usize) -> Value {
    json!({
        "specversion": "1.0",
        "id": format!("order-{seq}"),
        "source": "https://shop.example/orders",
        "type": "com.example.order.updated",
        "data": {"seq": seq},
    })
}

async fn ingest(http: &reqwest::Client, admin_url: &str, seq: usize) {
    let response = http
        .post(format!("{admin_url}/admin/events/ingest"))
        .json(&envelope(seq))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

/// The sequence numbers delivered, each delivery counted once by `webhook-id`
/// (at-least-once may repeat one), in arrival order.
fn sequence(deliveries: &[Delivery]) -> Vec<u64> {
    let mut seen = std::collections::HashSet::new();
    deliveries
        .iter()
        .filter(|d| seen.insert(d.id.clone()))
        .filter_map(|d| d.json()["data"]["seq"].as_u64())
        .collect()
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let began = Instant::now();
    while !done() {
        assert!(began.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn events_wait_for_a_receiver_that_is_down_then_arrive_in_order(backend: TestBackend) {
    let receiver = EventReceiver::start();
    receiver.down.store(true, Ordering::SeqCst);
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    for seq in 0..10 {
        ingest(&app.http, &app.admin_url, seq).await;
    }
    // Several attempts fail (with backoff), and nothing is dropped meanwhile.
    wait_until("the worker never tried", || {
        receiver.refused.load(Ordering::SeqCst) >= 3
    })
    .await;
    let outbox = app.state.events.outbox().unwrap();
    assert_eq!(outbox.pending_count().await.unwrap(), 10);
    assert!(receiver.deliveries().is_empty());
    let health: Value = app
        .http
        .get(app.public_path("/events/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["plugins"][0]["healthy"], false);
    receiver.down.store(false, Ordering::SeqCst);
    let got = receiver.wait_for(10).await;
    assert_eq!(sequence(&got), (0..10).collect::<Vec<u64>>());
    assert!(got.iter().all(|d| d.signed_with(EVENT_SECRET)));
    for _ in 0..100 {
        if outbox.pending_count().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(outbox.pending_count().await.unwrap(), 0);
}

/// The server process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `serve all --dev` on `dsn` with events delivered to `url`: a 1 s lease, so a killed
/// node's claim is free again soon after the restart.
fn start(dir: &Path, dsn: &str, public: u16, admin: u16, url: &str) -> Server {
    let config = dir.join("events.yaml");
    std::fs::write(
        &config,
        format!(
            "events:\n  enabled: true\n  sinks:\n    - type: webhook\n      url: {url}\n      secret: {EVENT_SECRET}\n      timeout: 20s\n  delivery:\n    poll_interval: 50ms\n    initial_backoff: 100ms\n    max_backoff: 400ms\n    lease: 1s\nclients:\n  http:\n    private_ip_exception_urls: [\"{url}\"]\n"
        ),
    )
    .unwrap();
    Server(
        dev_server(dir, public, admin)
            .arg("--config")
            .arg(&config)
            .env("DSN", dsn)
            .env("LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portunus"),
    )
}

async fn wait_ready(http: &reqwest::Client, admin: u16) {
    let url = format!("http://127.0.0.1:{admin}/admin/health/ready");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = http.get(&url).send().await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("portunus did not become ready");
}

async fn sigkill_mid_delivery_loses_no_event(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let receiver = EventReceiver::start();
    receiver.stall.store(true, Ordering::SeqCst);
    let (public, admin) = (free_port(), free_port());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let admin_url = format!("http://127.0.0.1:{admin}");
    let mut server = start(dir.path(), &db.dsn, public, admin, &receiver.url);
    wait_ready(&http, admin).await;
    for seq in 0..5 {
        ingest(&http, &admin_url, seq).await;
    }
    // The first event is on the wire, unanswered: kill the sender now.
    wait_until("no delivery started", || {
        receiver.stalled.load(Ordering::SeqCst) >= 1
    })
    .await;
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    receiver.stall.store(false, Ordering::SeqCst);
    assert!(receiver.deliveries().is_empty());
    let _server = start(dir.path(), &db.dsn, public, admin, &receiver.url);
    wait_ready(&http, admin).await;
    let got = receiver.wait_for(5).await;
    assert_eq!(sequence(&got), (0..5).collect::<Vec<u64>>());
}
