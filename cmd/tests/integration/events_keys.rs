//! Audit events of the JSON Web Key admin API (issue 15 §1; docs/operations.md,
//! "Events"): generating a key reports `key.created` (or `key.rotated` when it retires
//! keys of its use), replacing a set or a key `key.rotated`, deleting either
//! `key.deleted`; keyed by the set, the admin as actor, each key named by `kid`, `alg`
//! and `use` only: no key parameter, public or private, appears. Refused changes (a
//! duplicate kid → 409, an unknown key or set → 404) report nothing, and with events
//! off nothing is written.

use portunus_sdk::types::{JsonWebKey, JsonWebKeySet};
use portunus_server::storage::EventOutbox;
use serde_json::{Value, json};

use crate::jwk_admin_api::{create_body, error_of};
use crate::support::event_receiver::EventReceiver;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    key_changes_are_reported_without_key_material,
    disabled_events_write_nothing_for_keys,
);

/// The delivered `key.*` envelopes of `set`, once `count` arrived, checked to be all.
async fn key_events(receiver: &EventReceiver, count: usize) -> Vec<Value> {
    receiver.exactly(count, |t| t.starts_with("key.")).await
}

fn of_set<'a>(events: &'a [Value], set: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["subject"] == set).collect()
}

fn es256(kid: &str) -> Value {
    json!({"kid": kid, "alg": "ES256", "use": "sig"})
}

async fn create(app: &TestApp, set: &str, alg: &str, kid: &str) -> JsonWebKeySet {
    app.admin
        .create_json_web_key_set()
        .set(set)
        .body(create_body(alg, kid))
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// Every key parameter's value (private and public) of `keys`.
fn material(keys: &[JsonWebKey]) -> Vec<String> {
    keys.iter()
        .flat_map(|key| {
            let json = serde_json::to_value(key).unwrap();
            ["d", "k", "x", "y", "n", "p", "q"]
                .iter()
                .filter_map(|name| json[name].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn key_changes_are_reported_without_key_material(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    let mut keys = create(&app, "audit", "ES256", "k1").await.keys;
    keys.extend(create(&app, "audit", "ES256", "k2").await.keys);
    let (status, _) = error_of(
        app.admin
            .create_json_web_key_set()
            .set("audit")
            .body(create_body("ES256", "k2"))
            .send()
            .await,
    );
    assert_eq!(status, 409, "a duplicate kid is refused");
    let k2 = keys[1].clone();
    app.admin
        .set_json_web_key()
        .set("audit")
        .kid("k2")
        .body(k2)
        .send()
        .await
        .unwrap();
    app.admin
        .set_json_web_key_set()
        .set("audit")
        .body(JsonWebKeySet {
            keys: vec![keys[0].clone()],
        })
        .send()
        .await
        .unwrap();
    app.admin
        .delete_json_web_key()
        .set("audit")
        .kid("k1")
        .send()
        .await
        .unwrap();
    let (status, _) = error_of(
        app.admin
            .delete_json_web_key()
            .set("audit")
            .kid("k1")
            .send()
            .await,
    );
    assert_eq!(status, 404);
    keys.extend(create(&app, "other", "HS256", "h1").await.keys);
    app.admin
        .delete_json_web_key_set()
        .set("other")
        .send()
        .await
        .unwrap();
    let (status, _) = error_of(
        app.admin
            .delete_json_web_key_set()
            .set("other")
            .send()
            .await,
    );
    assert_eq!(status, 404);

    let events = key_events(&receiver, 7).await;
    let audit = of_set(&events, "audit");
    let types: Vec<&Value> = audit.iter().map(|e| &e["type"]).collect();
    assert_eq!(
        types,
        [
            "key.created",
            "key.rotated",
            "key.rotated",
            "key.rotated",
            "key.deleted"
        ]
    );
    assert_eq!(audit[0]["data"]["keys"], json!([es256("k1")]));
    assert_eq!(audit[1]["data"]["keys"], json!([es256("k2")]));
    assert_eq!(
        audit[1]["data"]["replaced"],
        json!([es256("k1")]),
        "k1 retires"
    );
    assert_eq!(
        audit[2]["data"]["replaced"],
        json!([es256("k2")]),
        "k2 replaced"
    );
    assert_eq!(audit[3]["data"]["keys"], json!([es256("k1")]));
    assert_eq!(
        audit[3]["data"]["replaced"],
        json!([es256("k1"), es256("k2")]),
        "the whole set replaced"
    );
    assert_eq!(audit[4]["data"]["keys"], json!([es256("k1")]));
    let other = of_set(&events, "other");
    let types: Vec<&Value> = other.iter().map(|e| &e["type"]).collect();
    assert_eq!(types, ["key.created", "key.deleted"]);
    let hs256 = json!([{"kid": "h1", "alg": "HS256", "use": "sig"}]);
    assert_eq!(other[0]["data"]["keys"], hs256);
    assert_eq!(other[1]["data"]["keys"], hs256);
    for event in &events {
        assert_eq!(event["data"]["actor"], json!({"type": "admin"}));
        assert_eq!(event["data"]["set_id"], event["subject"]);
    }
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    let material = material(&keys);
    assert!(material.len() >= 7, "{material:?}");
    for value in material {
        assert!(!bodies.contains(&value), "no key parameter is reported");
    }
}

async fn disabled_events_write_nothing_for_keys(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    assert!(!app.state.events.enabled());
    create(&app, "quiet", "ES256", "q1").await;
    create(&app, "quiet", "ES256", "q2").await;
    app.admin
        .delete_json_web_key_set()
        .set("quiet")
        .send()
        .await
        .unwrap();
    let store = crate::storage_conformance::connect(&app.db).await;
    assert_eq!(store.pending_count().await.unwrap(), 0);
}
