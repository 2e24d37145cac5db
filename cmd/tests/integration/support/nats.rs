//! The NATS server of PORTUNUS_TEST_NATS_URL (with JetStream), for the NATS sink tests
//! (`events_nats.rs`; `.ci/run` starts Debian's nats-server and sets it; the default
//! nextest profile reports these tests as skipped). Each test makes a stream of its own
//! over a subject prefix of its own, deleted when the test ends, passed or failed.

use std::io::Read;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use portunus_server::Config;
use portunus_server::config::{EventSinkConfig, NatsSinkConfig};
use portunus_server::duration::GoDuration;
use serde_json::{Value, json};

use super::{TestApp, TestBackend};

pub const NATS_URL_VAR: &str = "PORTUNUS_TEST_NATS_URL";

/// How long the NATS tests wait for anything.
const PATIENCE: Duration = Duration::from_secs(30);

/// The configured NATS, checked to greet with its `INFO` line; `None` when unset. Set
/// but unreachable is a failure, not a skip.
pub fn nats_url() -> Option<String> {
    let Ok(url) = std::env::var(NATS_URL_VAR) else {
        eprintln!("not run: {NATS_URL_VAR} is not set");
        return None;
    };
    let address = url.trim_start_matches("nats://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address)
        .unwrap_or_else(|e| panic!("{NATS_URL_VAR}={url} is unreachable: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut greeting = [0u8; 5];
    stream.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"INFO ", "{NATS_URL_VAR}={url} is not NATS");
    Some(url)
}

/// A stream name and a subject prefix of this test's own: parallel tests and earlier
/// runs share nothing.
pub fn unique_names() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    (format!("PORTUNUS_TEST_{id}"), format!("portunus-test.{id}"))
}

/// A JetStream stream capturing `<prefix>.>`, deleted on drop.
pub struct TestStream {
    pub url: String,
    pub name: String,
    pub prefix: String,
    pub context: jetstream::Context,
}

/// The messages the stream `name` stored so far, in stream order.
pub async fn stored_messages(
    context: &jetstream::Context,
    name: &str,
) -> Vec<jetstream::message::StreamMessage> {
    let stream = context.get_stream(name).await.unwrap();
    let state = stream.get_info().await.unwrap().state;
    let mut messages = Vec::new();
    if state.messages == 0 {
        return messages;
    }
    for sequence in state.first_sequence..=state.last_sequence {
        messages.push(stream.get_raw_message(sequence).await.unwrap());
    }
    messages
}

/// Waits (bounded) until the stream `name` holds `n` messages, and returns them.
pub async fn wait_for_messages(
    context: &jetstream::Context,
    name: &str,
    n: usize,
) -> Vec<jetstream::message::StreamMessage> {
    let began = Instant::now();
    loop {
        let messages = stored_messages(context, name).await;
        if messages.len() >= n {
            return messages;
        }
        assert!(
            began.elapsed() < PATIENCE,
            "{} of {n} messages in the stream after {PATIENCE:?}",
            messages.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn jetstream(url: &str) -> jetstream::Context {
    let client = async_nats::connect(url).await.expect("connect to NATS");
    jetstream::new(client)
}

impl TestStream {
    /// The names for a stream, not created yet (`create`).
    pub async fn named(url: &str) -> TestStream {
        let (name, prefix) = unique_names();
        TestStream {
            url: url.to_owned(),
            name,
            prefix,
            context: jetstream(url).await,
        }
    }

    /// Creates the stream (file storage, JetStream's default 2 min duplicate window).
    pub async fn create(&self) {
        self.context
            .create_stream(stream::Config {
                name: self.name.clone(),
                subjects: vec![format!("{}.>", self.prefix)],
                ..Default::default()
            })
            .await
            .expect("create the test stream");
    }

    /// The messages stored so far, in stream order.
    pub async fn messages(&self) -> Vec<jetstream::message::StreamMessage> {
        stored_messages(&self.context, &self.name).await
    }

    /// Waits (bounded) until the stream holds `n` messages, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<jetstream::message::StreamMessage> {
        wait_for_messages(&self.context, &self.name, n).await
    }

    /// Waits (bounded) until a message on `subject` is stored, and returns the first.
    pub async fn wait_for_subject(&self, subject: &str) -> jetstream::message::StreamMessage {
        let began = Instant::now();
        loop {
            let messages = self.messages().await;
            if let Some(found) = messages.into_iter().find(|m| m.subject.as_str() == subject) {
                return found;
            }
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "no message on {subject} after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestStream {
    /// Deletes the stream on a runtime of its own (drop cannot await; a failed test
    /// unwinds through here too). A stream never created is "not found": ignored.
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _ = jetstream(&url).await.delete_stream(&name).await;
            });
        })
        .join();
        if deleted.is_err() {
            eprintln!("the test stream {} was not deleted", self.name);
        }
    }
}

/// Events on, delivered only to `sink`, fast: polls every 50 ms, retries after 100 ms
/// doubling to 400 ms (`events_nats.rs`, `events_nats_secured.rs`).
pub async fn app_with(sink: NatsSinkConfig) -> TestApp {
    TestApp::builder(TestBackend::Sqlite)
        .config(move |c: &mut Config| {
            c.events.enabled = true;
            c.events.sinks = vec![EventSinkConfig::Nats(sink)];
            let delivery = &mut c.events.delivery;
            delivery.poll_interval = GoDuration(Duration::from_millis(50));
            delivery.initial_backoff = GoDuration(Duration::from_millis(100));
            delivery.max_backoff = GoDuration(Duration::from_millis(400));
        })
        .build()
        .await
}

/// `GET /events/health`.
pub async fn health(app: &TestApp) -> Value {
    app.http
        .get(app.public_path("/events/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits (bounded) until `GET /events/health` reports the `nats` sink as `healthy`.
pub async fn wait_health(app: &TestApp, healthy: bool) {
    let began = Instant::now();
    loop {
        let health = health(app).await;
        if health == json!({"enabled": true, "plugins": [{"name": "nats", "healthy": healthy}]}) {
            return;
        }
        assert!(
            began.elapsed() < PATIENCE,
            "nats never became healthy={healthy}: {health}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Events not delivered yet.
pub async fn pending(app: &TestApp) -> u64 {
    let outbox = app.state.events.outbox().unwrap();
    outbox.pending_count().await.unwrap()
}

/// Waits (bounded) until the outbox has nothing left to deliver.
pub async fn wait_delivered(app: &TestApp) {
    let began = Instant::now();
    while pending(app).await > 0 {
        assert!(began.elapsed() < PATIENCE, "events still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ingests an external event of one source (one aggregate: delivered in order);
/// returns the outbox id it is delivered under.
pub async fn ingest(app: &TestApp, seq: usize) -> String {
    let response = app
        .http
        .post(format!("{}/admin/events/ingest", app.admin_url))
        .json(&json!({
            "specversion": "1.0",
            "id": format!("order-{seq}"),
            "source": "https://shop.example/orders",
            "type": "com.example.order.updated",
            "data": {"seq": seq},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Starts `serve` in dev mode in `dir` with the configuration file `config`, which it
/// must refuse: waits (bounded) for it to exit unsuccessfully and returns its standard
/// error. `what` names the bad setting in the failure message.
pub fn serve_refuses(dir: &std::path::Path, config: &std::path::Path, what: &str) -> String {
    let mut child = crate::cli::dev_server(dir, crate::cli::free_port(), crate::cli::free_port())
        .arg("--config")
        .arg(config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start portunus");
    let status =
        crate::cli::exit_within(&mut child, PATIENCE, &format!("serve started with {what}"));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    stderr
}
