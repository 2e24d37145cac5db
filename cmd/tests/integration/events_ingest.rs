//! `POST /admin/events/ingest` (issue 15 §1, the seed's eventing API): external
//! CloudEvents envelopes into the same outbox, delivered to the same sinks; retried
//! ingests answered as duplicates by `Idempotency-Key`, else by `source` and `id`;
//! refused with `eventing_disabled` while events are off; malformed envelopes are
//! `invalid_request`.

use serde_json::{Value, json};

use crate::support::event_receiver::EventReceiver;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    ingest_is_refused_while_events_are_disabled,
    an_ingested_event_is_queued_once_per_key_and_delivered,
    malformed_envelopes_are_invalid_request,
);

fn envelope(id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "https://shop.example/orders",
        "type": "com.example.order.created",
        "data": {"order": 42},
    })
}

async fn ingest(app: &TestApp, body: &Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.admin_path("/admin/events/ingest"))
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn ingest_is_refused_while_events_are_disabled(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = ingest(&app, &envelope("e1"), Some("k1")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "eventing_disabled");
    assert!(body["error_description"].is_string());
}

async fn an_ingested_event_is_queued_once_per_key_and_delivered(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    let (status, first) = ingest(&app, &envelope("e1"), Some("k1")).await;
    assert_eq!(status, 202);
    assert_eq!(first["status"], "accepted");
    let (status, again) = ingest(&app, &envelope("e1-retry"), Some("k1")).await;
    assert_eq!(status, 200);
    assert_eq!(again, json!({"status": "duplicate", "id": first["id"]}));
    // Without a key, the envelope's source and id are the key.
    let (status, second) = ingest(&app, &envelope("e2"), None).await;
    assert_eq!(status, 202);
    let (status, repeat) = ingest(&app, &envelope("e2"), None).await;
    assert_eq!((status, &repeat["status"]), (200, &json!("duplicate")));
    assert_eq!(repeat["id"], second["id"]);
    let got = receiver.wait_for(2).await;
    let ids: Vec<Value> = got.iter().map(|d| d.json()["id"].clone()).collect();
    assert_eq!(
        ids,
        [json!("e1"), json!("e2")],
        "in ingest order, each once"
    );
    assert_eq!(got[0].id, first["id"].as_str().unwrap(), "webhook-id");
    assert_eq!(got[0].json()["data"], json!({"order": 42}));
    assert!(got[0].signed_with(crate::support::event_receiver::EVENT_SECRET));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.deliveries().len(), 2);
}

async fn malformed_envelopes_are_invalid_request(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    let mut old = envelope("e1");
    old["specversion"] = json!("0.3");
    let mut untyped = envelope("e2");
    untyped.as_object_mut().unwrap().remove("type");
    let mut empty_source = envelope("e3");
    empty_source["source"] = json!("");
    for body in [old, untyped, empty_source, json!([1, 2]), json!("text")] {
        let (status, error) = ingest(&app, &body, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error"], "invalid_request");
        assert!(error["error_description"].is_string());
    }
    let long_key = "k".repeat(256);
    let (status, error) = ingest(&app, &envelope("e4"), Some(&long_key)).await;
    assert_eq!((status, &error["error"]), (400, &json!("invalid_request")));
    let outbox = app.state.events.outbox().unwrap();
    assert_eq!(
        outbox.pending_count().await.unwrap(),
        0,
        "nothing was queued"
    );
}
