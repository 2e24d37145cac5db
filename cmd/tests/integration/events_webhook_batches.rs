//! A webhook sink with `batch_size` (docs/operations.md, "Events"): the events of a
//! claimed batch go in requests of at most `batch_size` events, as a JSON array in
//! CloudEvents batched mode (HTTP binding §3.3), signed over the whole body with a
//! `webhook-id` naming exactly the events carried; none is lost or left out, and a
//! single event still goes alone in structured mode. The worker and its sinks work the
//! same on every backend (the outbox itself is tested on all three in
//! `events_outbox.rs` and the storage conformance suite), so this runs on SQLite.

use std::collections::BTreeSet;
use std::time::Duration;

use oauth2::AuthType;
use portunus_server::Config;
use portunus_server::config::EventSinkConfig;
use portunus_server::duration::GoDuration;
use serde_json::{Value, json};

use crate::support::event_receiver::{Delivery, EVENT_SECRET, EventReceiver};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend};

const BATCH: usize = 8;
const TOKENS: usize = 20;

/// Events to `receiver` in requests of at most `BATCH`; the worker polls every 2 s, so
/// the tokens a test issues at once are claimed together.
async fn app_with(receiver: &EventReceiver) -> TestApp {
    let configure = receiver.configurer();
    TestApp::builder(TestBackend::Sqlite)
        .config(move |config: &mut Config| {
            configure(config);
            for sink in &mut config.events.sinks {
                if let EventSinkConfig::Webhook(hook) = sink {
                    hook.batch_size = BATCH;
                }
            }
            config.events.delivery.poll_interval = GoDuration(Duration::from_secs(2));
        })
        .build()
        .await
}

async fn service(app: &TestApp) -> Registered {
    app.register(json!({
        "client_id": "batched",
        "grant_types": ["client_credentials"],
        "scope": "read",
    }))
    .await
}

/// `TOKENS` client_credentials tokens, one after another.
async fn issue_tokens(app: &TestApp, registered: &Registered) {
    let client = app.token_client(registered, AuthType::BasicAuth);
    for _ in 0..TOKENS {
        client
            .exchange_client_credentials()
            .request_async(&app.oauth_http())
            .await
            .expect("token");
    }
}

/// The `token.issued` envelopes delivered so far, with the deliveries that carried them.
fn issued(receiver: &EventReceiver) -> (Vec<Delivery>, Vec<Value>) {
    let carrying: Vec<Delivery> = receiver
        .deliveries()
        .into_iter()
        .filter(|d| d.envelopes().iter().any(|e| e["type"] == "token.issued"))
        .collect();
    let envelopes = carrying
        .iter()
        .flat_map(Delivery::envelopes)
        .filter(|e| e["type"] == "token.issued")
        .collect();
    (carrying, envelopes)
}

async fn wait_for_issued(receiver: &EventReceiver, count: usize) -> (Vec<Delivery>, Vec<Value>) {
    for _ in 0..400 {
        let (carrying, envelopes) = issued(receiver);
        if envelopes.len() >= count {
            return (carrying, envelopes);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{count} token.issued events did not arrive: {:?}",
        receiver.deliveries()
    );
}

#[tokio::test]
async fn events_go_in_signed_batches_and_none_is_left_out() {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver).await;
    let registered = service(&app).await;
    issue_tokens(&app, &registered).await;

    let (carrying, envelopes) = wait_for_issued(&receiver, TOKENS).await;
    let ids: BTreeSet<&str> = envelopes.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids.len(),
        TOKENS,
        "each token's event, none left out: {ids:?}"
    );
    let mut batched = 0;
    for delivery in &carrying {
        assert!(delivery.signed_with(EVENT_SECRET), "{delivery:?}");
        let carried = delivery.envelopes();
        assert!(
            carried.len() <= BATCH,
            "{} events in one request",
            carried.len()
        );
        if carried.len() > 1 {
            batched += 1;
            assert_eq!(delivery.content_type, "application/cloudevents-batch+json");
            assert!(delivery.id.starts_with("batch_"), "{}", delivery.id);
            assert!(delivery.json().is_array());
        } else {
            assert_eq!(delivery.content_type, "application/cloudevents+json");
            assert_eq!(delivery.id, carried[0]["id"].as_str().unwrap());
        }
        for envelope in &carried {
            assert_eq!(envelope["specversion"], "1.0", "{envelope}");
        }
    }
    assert!(
        batched > 0,
        "{TOKENS} events claimed together went one per request: {carrying:?}"
    );
    // A batch's id names its events: two different batches never share it.
    let batch_ids: Vec<&str> = carrying
        .iter()
        .filter(|d| d.id.starts_with("batch_"))
        .map(|d| d.id.as_str())
        .collect();
    let distinct: BTreeSet<&str> = batch_ids.iter().copied().collect();
    assert_eq!(distinct.len(), batch_ids.len(), "{batch_ids:?}");
}

#[tokio::test]
async fn a_refused_batch_is_sent_again_whole() {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver).await;
    let registered = service(&app).await;
    receiver
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    issue_tokens(&app, &registered).await;
    // Wait until the worker tried (and was refused), then let deliveries through.
    for _ in 0..200 {
        if receiver.refused.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.refused.load(std::sync::atomic::Ordering::SeqCst) > 0);
    assert!(
        issued(&receiver).1.is_empty(),
        "nothing taken while refused"
    );
    receiver
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);

    let (_, envelopes) = wait_for_issued(&receiver, TOKENS).await;
    let ids: BTreeSet<&str> = envelopes.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), TOKENS, "{ids:?}");
}
