//! Audit events end to end (issue 15 §1; docs/operations.md, "Events"): a token request
//! writes `token.issued` with its tokens, the worker delivers it to the webhook as a
//! signed CloudEvents envelope (Standard Webhooks headers, checked here with our own
//! HMAC) that never contains the token; a revocation follows in order; the outbound
//! guard applies to the webhook URL; with events off nothing is written.

use std::time::Duration;

use oauth2::{AuthType, TokenResponse};
use portunus_server::storage::EventOutbox;
use portunus_server::storage::sql::SqlStore;
use serde_json::{Value, json};

use crate::support::event_receiver::{Delivery, EVENT_SECRET, EventReceiver};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    token_issued_arrives_signed_and_without_the_token,
    a_revocation_follows_the_issuance_of_its_family,
    the_outbound_guard_holds_events_for_a_private_address,
    disabled_events_write_nothing,
    events_health_reports_the_sinks,
);

async fn service(app: &TestApp) -> Registered {
    app.register(json!({
        "client_id": "svc",
        "grant_types": ["client_credentials"],
        "scope": "read",
        "audience": ["https://api.example.com"],
    }))
    .await
}

async fn access_token(app: &TestApp, registered: &Registered) -> String {
    app.token_client(registered, AuthType::BasicAuth)
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("read".into()))
        .add_extra_param("audience", "https://api.example.com")
        .request_async(&app.oauth_http())
        .await
        .expect("token")
        .access_token()
        .secret()
        .clone()
}

/// The deliveries of `token.*` events once `count` arrived (registering the test's
/// client reports `client.created` too, left out here; `events_clients.rs` checks it).
async fn token_deliveries(receiver: &EventReceiver, count: usize) -> Vec<Delivery> {
    for _ in 0..400 {
        let got: Vec<Delivery> = receiver
            .deliveries()
            .into_iter()
            .filter(|d| {
                d.json()["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("token."))
            })
            .collect();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{count} token events did not arrive; got {:?}",
        receiver.deliveries()
    );
}

async fn app_with(receiver: &EventReceiver, backend: TestBackend) -> TestApp {
    let configure = receiver.configurer();
    TestApp::builder(backend).config(configure).build().await
}

async fn token_issued_arrives_signed_and_without_the_token(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let registered = service(&app).await;
    let token = access_token(&app, &registered).await;
    let delivery = token_deliveries(&receiver, 1).await.remove(0);
    assert!(delivery.signed_with(EVENT_SECRET), "{delivery:?}");
    assert!(!delivery.signed_with("another-secret-of-16+"));
    assert_eq!(delivery.content_type, "application/cloudevents+json");
    let now = app.state.clock.now().timestamp();
    let sent: i64 = delivery.timestamp.parse().unwrap();
    assert!(
        (now - sent).abs() < 60,
        "webhook-timestamp is the sending time"
    );
    let event = delivery.json();
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "token.issued");
    assert_eq!(
        event["id"],
        delivery.id.as_str(),
        "webhook-id is the event id"
    );
    assert_eq!(
        uuid::Uuid::parse_str(&delivery.id)
            .unwrap()
            .get_version_num(),
        7
    );
    assert_eq!(event["source"], app.state.config.issuer());
    assert_eq!(event["datacontenttype"], "application/json");
    let data = &event["data"];
    assert_eq!(data["schema_version"], 1);
    assert_eq!(data["actor"], json!({"type": "client", "id": "svc"}));
    assert_eq!(data["grant_type"], "client_credentials");
    assert_eq!(data["client_id"], "svc");
    assert_eq!(data["subject"], "svc");
    assert_eq!(data["scopes"], json!(["read"]));
    assert_eq!(data["audience"], json!(["https://api.example.com"]));
    assert_eq!(event["subject"], data["token_family"]);
    // Never the token, nor its signature part.
    let signature_part = token.rsplit('.').next().unwrap();
    assert!(!delivery.body.contains(&token));
    assert!(!delivery.body.contains(signature_part));
}

async fn a_revocation_follows_the_issuance_of_its_family(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let registered = service(&app).await;
    let token = access_token(&app, &registered).await;
    let revoked = app
        .http
        .post(app.public_path("/oauth2/revoke"))
        .basic_auth(&registered.id, registered.secret.as_deref())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // Revoking again deactivates nothing, so reports nothing.
    app.http
        .post(app.public_path("/oauth2/revoke"))
        .basic_auth(&registered.id, registered.secret.as_deref())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let got = token_deliveries(&receiver, 2).await;
    let events: Vec<Value> = got.iter().map(|d| d.json()).collect();
    assert_eq!(events[0]["type"], "token.issued");
    assert_eq!(events[1]["type"], "token.revoked");
    assert_eq!(events[1]["data"]["reason"], "revocation_request");
    assert_eq!(events[0]["subject"], events[1]["subject"], "one family");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(token_deliveries(&receiver, 2).await.len(), 2);
}

async fn the_outbound_guard_holds_events_for_a_private_address(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let configure = receiver.configurer();
    let app = TestApp::builder(backend)
        .config(move |c| {
            configure(c);
            c.clients.http.private_ip_exception_urls.clear();
        })
        .build()
        .await;
    assert!(app.state.config.clients.http.disallow_private_ip_ranges);
    let registered = service(&app).await;
    access_token(&app, &registered).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(receiver.deliveries().is_empty(), "127.0.0.1 is refused");
    let outbox = app.state.events.outbox().unwrap();
    assert_eq!(
        outbox.pending_count().await.unwrap(),
        2,
        "client.created and token.issued: held, not dropped"
    );
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
}

async fn disabled_events_write_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    assert!(!app.state.events.enabled());
    let registered = service(&app).await;
    access_token(&app, &registered).await;
    let dsn = app.db.dsn.clone();
    let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.pending_count().await.unwrap(), 0);
    let now = app.state.clock.now();
    let claimed = store.claim_due("probe", now, now, 10).await.unwrap();
    assert!(claimed.is_empty());
}

async fn events_health_reports_the_sinks(backend: TestBackend) {
    let off = TestApp::spawn(backend).await;
    let health: Value = off
        .http
        .get(off.public_path("/events/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"enabled": false, "plugins": []}));
    let receiver = EventReceiver::start();
    let on = app_with(&receiver, backend).await;
    let health: Value = on
        .http
        .get(on.public_path("/events/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        health,
        json!({"enabled": true, "plugins": [{"name": "webhook", "healthy": true}]})
    );
}
