//! The NATS JetStream sink of the audit events (issue 15 §1; docs/operations.md,
//! "Events"): a token request's `token.issued` is stored by JetStream under
//! `<subject_prefix>.token.issued` as the structured CloudEvents envelope (CloudEvents
//! NATS binding 1.0.2 §3) with `Nats-Msg-Id` = the event id, so a redelivery is stored
//! once; events wait in the outbox while no stream captures their subject and then
//! arrive in order, none missing; `GET /events/health` shows `nats` unhealthy meanwhile;
//! `serve` starts while NATS is down; a bad `subject_prefix` stops `serve` at startup.
//!
//! `jetstream_*` need PORTUNUS_TEST_NATS_URL (a nats-server with JetStream: `.ci/run`
//! starts one; the default nextest profile reports them skipped) and fail when it is set
//! but unreachable. Each makes a stream and a subject prefix of its own, deleted at the
//! end. The sink's state lives in memory and the outbox is tested on every backend
//! elsewhere (`events_outbox.rs`), so these run on SQLite only.

use std::time::Duration;

use async_nats::jetstream::message::StreamMessage;
use chrono::DateTime;
use oauth2::{AuthType, TokenResponse};
use portunus_server::Config;
use portunus_server::config::{EventSinkConfig, NatsSinkConfig};
use portunus_server::duration::GoDuration;
use portunus_server::events::sinks::Sink;
use portunus_server::storage::OutboxEvent;
use serde_json::{Value, json};

use crate::cli::free_port;
use crate::support::TestApp;
use crate::support::nats::{
    TestStream, app_with, ingest, nats_url, pending, serve_refuses, wait_delivered, wait_health,
};

fn sink(url: &str, prefix: &str, stream: Option<&str>) -> NatsSinkConfig {
    NatsSinkConfig {
        url: url.to_owned(),
        subject_prefix: prefix.to_owned(),
        stream: stream.map(str::to_owned),
        timeout: GoDuration(Duration::from_secs(2)),
        user: None,
        password: None,
        token: None,
        tls_ca_path: None,
    }
}

fn header(message: &StreamMessage, name: &str) -> String {
    message
        .headers
        .get(name)
        .map(|value| value.as_str().to_owned())
        .unwrap_or_else(|| panic!("no {name} header: {:?}", message.headers))
}

fn json_of(message: &StreamMessage) -> Value {
    serde_json::from_slice(&message.payload).unwrap()
}

/// A client_credentials token for a new client `svc`.
async fn issue_token(app: &TestApp) -> String {
    let registered = app
        .register(json!({
            "client_id": "svc",
            "grant_types": ["client_credentials"],
            "scope": "read",
        }))
        .await;
    app.token_client(&registered, AuthType::BasicAuth)
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("read".into()))
        .request_async(&app.oauth_http())
        .await
        .expect("token")
        .access_token()
        .secret()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_token_issued_is_stored_under_its_subject_with_the_event_id() {
    let Some(url) = nats_url() else { return };
    let stream = TestStream::named(&url).await;
    stream.create().await;
    let app = app_with(sink(&url, &stream.prefix, Some(&stream.name))).await;
    let token = issue_token(&app).await;
    // Registering the client reports events of its own (`client.*`): pick the token's.
    let subject = format!("{}.token.issued", stream.prefix);
    let message = &stream.wait_for_subject(&subject).await;
    let event = json_of(message);
    assert_eq!(header(message, "Nats-Msg-Id"), event["id"]);
    assert_eq!(
        header(message, "content-type"),
        "application/cloudevents+json"
    );
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "token.issued");
    let id = event["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(event["source"], app.state.config.issuer());
    assert_eq!(event["datacontenttype"], "application/json");
    let data = &event["data"];
    assert_eq!(data["actor"], json!({"type": "client", "id": "svc"}));
    assert_eq!(data["grant_type"], "client_credentials");
    assert_eq!(data["client_id"], "svc");
    assert_eq!(data["scopes"], json!(["read"]));
    assert!(data["token_family"].is_string());
    assert_eq!(event["subject"], data["token_family"]);
    // Never the token, nor its signature part.
    let payload = String::from_utf8(message.payload.to_vec()).unwrap();
    assert!(!payload.contains(&token));
    assert!(!payload.contains(token.rsplit('.').next().unwrap()));
    // Marked delivered once JetStream acknowledged it; each event stored once.
    wait_delivered(&app).await;
    wait_health(&app, true).await;
    let stored = stream.messages().await;
    let ids: std::collections::HashSet<String> =
        stored.iter().map(|m| header(m, "Nats-Msg-Id")).collect();
    assert_eq!(ids.len(), stored.len(), "a duplicate was stored");
    let issued = stored.iter().filter(|m| m.subject.as_str() == subject);
    assert_eq!(issued.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_a_redelivery_is_stored_once_and_the_expected_stream_is_enforced() {
    let Some(url) = nats_url() else { return };
    let stream = TestStream::named(&url).await;
    stream.create().await;
    let http = Config::default().clients.http;
    let event = |id: &str| OutboxEvent {
        id: id.to_owned(),
        aggregate_key: "family-1".into(),
        event_type: "token.revoked".into(),
        envelope: json!({"specversion": "1.0", "id": id, "type": "token.revoked"}).to_string(),
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    };
    let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let config = EventSinkConfig::Nats(sink(&url, &stream.prefix, Some(&stream.name)));
    let nats = Sink::new(&config, &http).unwrap();
    let first = event(&uuid::Uuid::now_v7().to_string());
    // At-least-once: the worker sends an event again when it could not record the
    // first delivery; JetStream keeps one copy (same Nats-Msg-Id).
    nats.send(&first, at).await.unwrap();
    nats.send(&first, at).await.unwrap();
    assert_eq!(stream.messages().await.len(), 1);
    let second = event(&uuid::Uuid::now_v7().to_string());
    nats.send(&second, at).await.unwrap();
    let ids: Vec<String> = stream
        .messages()
        .await
        .iter()
        .map(|m| header(m, "Nats-Msg-Id"))
        .collect();
    assert_eq!(ids, [first.id.clone(), second.id.clone()]);
    assert!(nats.healthy());
    // A subject captured by another stream than the configured one is refused by
    // JetStream (Nats-Expected-Stream): a failure, nothing stored.
    let config = EventSinkConfig::Nats(sink(&url, &stream.prefix, Some("PORTUNUS_NOT_IT")));
    let elsewhere = Sink::new(&config, &http).unwrap();
    let third = event(&uuid::Uuid::now_v7().to_string());
    let refused = elsewhere.send(&third, at).await.unwrap_err();
    assert!(refused.contains(&stream.prefix), "{refused}");
    assert!(!elsewhere.healthy());
    assert_eq!(stream.messages().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_events_wait_for_a_missing_stream_then_arrive_in_order() {
    let Some(url) = nats_url() else { return };
    let stream = TestStream::named(&url).await;
    let app = app_with(sink(&url, &stream.prefix, None)).await;
    let mut ids = Vec::new();
    for seq in 0..10 {
        ids.push(ingest(&app, seq).await);
    }
    // No stream captures the subject: every attempt fails, nothing is dropped.
    wait_health(&app, false).await;
    assert_eq!(pending(&app).await, 10);
    stream.create().await;
    let messages = stream.wait_for(10).await;
    wait_delivered(&app).await;
    let messages_after = stream.messages().await;
    assert_eq!(messages_after.len(), 10, "none stored twice");
    let seqs: Vec<u64> = messages
        .iter()
        .map(|m| json_of(m)["data"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..10).collect::<Vec<u64>>());
    let msg_ids: Vec<String> = messages.iter().map(|m| header(m, "Nats-Msg-Id")).collect();
    assert_eq!(msg_ids, ids, "Nats-Msg-Id is the outbox id, in order");
    let subject = format!("{}.com.example.order.updated", stream.prefix);
    assert!(messages.iter().all(|m| m.subject.as_str() == subject));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_health_shows_nats_unhealthy_while_it_fails_and_healthy_after() {
    let Some(url) = nats_url() else { return };
    let stream = TestStream::named(&url).await;
    let app = app_with(sink(&url, &stream.prefix, Some(&stream.name))).await;
    // Connected, nothing sent yet.
    wait_health(&app, true).await;
    ingest(&app, 0).await;
    wait_health(&app, false).await;
    assert_eq!(pending(&app).await, 1);
    stream.create().await;
    wait_health(&app, true).await;
    assert_eq!(stream.wait_for(1).await.len(), 1);
    wait_delivered(&app).await;
}

/// Needs no NATS: nothing listens on the port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_while_nats_is_down_and_events_wait() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    let app = app_with(sink(&url, "portunus.events", None)).await;
    let ready = app
        .http
        .get(app.admin_path("/admin/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    wait_health(&app, false).await;
    ingest(&app, 0).await;
    // Attempts fail (with backoff) and the event stays queued.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(pending(&app).await, 1);
    wait_health(&app, false).await;
}

/// Needs no NATS: the configuration is refused before anything connects.
#[test]
fn a_bad_subject_prefix_stops_serve_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("events.yaml");
    std::fs::write(
        &config,
        "events:\n  enabled: true\n  sinks:\n    - type: nats\n      url: nats://127.0.0.1:4222\n      subject_prefix: \"portunus.*\"\n",
    )
    .unwrap();
    let stderr = serve_refuses(dir.path(), &config, "subject_prefix \"portunus.*\"");
    assert!(
        stderr.contains("events.sinks[0].subject_prefix"),
        "{stderr}"
    );
    assert!(stderr.contains("wildcard"), "{stderr}");
}
