//! The sampled audit events of refusals (issue 15 §1; docs/operations.md, "Sampled
//! events"): a failed client authentication reports `auth.client_failed` (client_id
//! as presented, method, reason class, endpoint; never the secret), a rate-limited
//! request `rate_limit.exceeded` (limit, key class, network, listener, route). Each
//! key reports at most once per `events.sampling.interval`, at most
//! `events.sampling.max_per_interval` in all, with the suppressed counts in the next
//! event; with events off nothing is written. Time moves only by the fixed clock.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use portunus_server::Config;
use portunus_server::clock::FixedClock;
use portunus_server::duration::GoDuration;
use portunus_server::storage::EventOutbox;
use serde_json::{Value, json};

use crate::support::event_receiver::EventReceiver;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_wrong_secret_is_reported_without_the_secret,
    a_flood_of_failures_is_bounded_and_counted,
    a_rate_limited_request_is_reported_once_per_interval,
    disabled_events_write_nothing_for_refusals,
);

const WRONG_SECRET: &str = "not-the-secret-6f1e2d3c4b5a";

/// An app on a fixed clock sampling every minute, at most `max_per_interval` events,
/// delivering to `receiver` (none: events off), with `change` applied.
async fn app_at(
    receiver: Option<&EventReceiver>,
    backend: TestBackend,
    max_per_interval: u32,
    change: impl FnOnce(&mut Config) + 'static,
) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap(),
    ));
    let mut builder = TestApp::builder(backend).clock(clock.clone());
    if let Some(receiver) = receiver {
        builder = builder.config(receiver.configurer());
    }
    let app = builder
        .config(move |c| {
            c.events.sampling.interval = GoDuration::from_secs(60);
            c.events.sampling.max_per_interval = max_per_interval;
            change(c);
        })
        .build()
        .await;
    (app, clock)
}

/// A confidential client-credentials client; its id.
async fn client(app: &TestApp) -> String {
    app.register(json!({
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
    }))
    .await
    .id
}

async fn token_with(app: &TestApp, id: &str, secret: &str) -> u16 {
    let form = [("grant_type", "client_credentials")];
    app.post_form("/oauth2/token", Some((id, secret)), &form)
        .await
        .0
}

async fn auth_events(receiver: &EventReceiver, count: usize) -> Vec<Value> {
    receiver.exactly(count, |t| t == "auth.client_failed").await
}

async fn a_wrong_secret_is_reported_without_the_secret(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let (app, _) = app_at(Some(&receiver), backend, 100, |_| {}).await;
    let id = client(&app).await;
    assert_eq!(token_with(&app, &id, WRONG_SECRET).await, 401);
    let form = [("token", "whatever"), ("client_id", "nobody-here")];
    let (status, _, _) = app.post_form("/oauth2/revoke", None, &form).await;
    assert_eq!(status, 401);

    let events = auth_events(&receiver, 2).await;
    let wrong = events.iter().find(|e| e["subject"] == id.as_str()).unwrap();
    let data = &wrong["data"];
    assert_eq!(data["client_id"], id.as_str());
    assert_eq!(data["auth_method"], "client_secret_basic");
    assert_eq!(data["reason"], "wrong_secret");
    assert_eq!(data["endpoint"], "/oauth2/token");
    assert_eq!(data["suppressed"], 0);
    assert_eq!(data["actor"], json!({"type": "unauthenticated"}));
    let unknown = events
        .iter()
        .find(|e| e["subject"] == "nobody-here")
        .unwrap();
    assert_eq!(unknown["data"]["reason"], "unknown_client");
    assert_eq!(unknown["data"]["auth_method"], "none");
    assert_eq!(unknown["data"]["endpoint"], "/oauth2/revoke");
    for delivery in receiver.deliveries() {
        assert!(!delivery.body.contains(WRONG_SECRET), "never the secret");
    }
}

async fn a_flood_of_failures_is_bounded_and_counted(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let (app, clock) = app_at(Some(&receiver), backend, 5, |_| {}).await;
    let id = client(&app).await;
    for _ in 0..50 {
        assert_eq!(token_with(&app, &id, WRONG_SECRET).await, 401);
    }
    // 8 more clients nobody registered: the cap (5 an interval) leaves room for 4.
    for n in 0..8 {
        assert_eq!(
            token_with(&app, &format!("ghost-{n}"), WRONG_SECRET).await,
            401
        );
    }
    clock.advance(chrono::Duration::seconds(61));
    assert_eq!(token_with(&app, &id, WRONG_SECRET).await, 401);

    let events = auth_events(&receiver, 6).await;
    let ours: Vec<&Value> = events
        .iter()
        .filter(|e| e["subject"] == id.as_str())
        .collect();
    assert_eq!(ours.len(), 2, "one per interval for the flooded key");
    assert_eq!(ours[0]["data"]["suppressed"], 0);
    assert_eq!(ours[1]["data"]["suppressed"], 49);
    assert_eq!(ours[1]["data"]["suppressed_other"], 4, "over the cap");
    let ghosts = events
        .iter()
        .filter(|e| e["data"]["reason"] == "unknown_client")
        .count();
    assert_eq!(ghosts, 4);
}

async fn a_rate_limited_request_is_reported_once_per_interval(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let (app, clock) = app_at(Some(&receiver), backend, 100, limited).await;
    let discovery = app.public_path("/.well-known/openid-configuration");
    let mut refused = 0;
    for _ in 0..8 {
        if app.http.get(&discovery).send().await.unwrap().status() == 429 {
            refused += 1;
        }
    }
    assert_eq!(refused, 6, "a burst of 2");
    clock.advance(chrono::Duration::seconds(61));
    let status = app.http.get(&discovery).send().await.unwrap().status();
    assert_eq!(status, 429, "the limiter's own budget has not refilled");

    let events = receiver.exactly(2, |t| t == "rate_limit.exceeded").await;
    for event in &events {
        let data = &event["data"];
        assert_eq!(data["limit"], "default");
        assert_eq!(data["key_class"], "ip");
        assert_eq!(data["client_network"], "127.0.0.0/24");
        assert_eq!(data["listener"], "public");
        assert_eq!(data["route"], "/.well-known/openid-configuration");
    }
    assert_eq!(events[0]["data"]["suppressed"], 0);
    assert_eq!(events[1]["data"]["suppressed"], 5);
    for event in &events {
        assert!(
            !event["data"].to_string().contains("127.0.0.1"),
            "no address"
        );
    }
}

/// Rate limits on, a default-group burst of 2 (one a minute after it: nothing refills
/// during a test).
fn limited(config: &mut Config) {
    config.rate_limit.enabled = true;
    config.rate_limit.groups.default.per_minute = 1;
    config.rate_limit.groups.default.burst = 2;
}

async fn disabled_events_write_nothing_for_refusals(backend: TestBackend) {
    let (app, _) = app_at(None, backend, 100, limited).await;
    assert!(!app.state.events.enabled());
    let id = client(&app).await;
    for _ in 0..3 {
        assert_eq!(token_with(&app, &id, WRONG_SECRET).await, 401);
    }
    let discovery = app.public_path("/.well-known/openid-configuration");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.http
                .get(&discovery)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    let store = crate::storage_conformance::connect(&app.db).await;
    assert_eq!(store.pending_count().await.unwrap(), 0);
}
