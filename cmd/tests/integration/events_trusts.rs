//! Audit events of the JWT bearer grant's trust relationships (issue 15 §1;
//! docs/operations.md, "Events"): creating one through the admin API reports
//! `trust.created`, deleting it `trust.deleted`, with the admin as actor and the key's
//! `kid`, never the key; a refused create (a second relationship for the same issuer,
//! subject and key → 409) and deleting an unknown id (404) report nothing.

use serde_json::{Value, json};

use crate::support::assertion::{EC_1, trust};
use crate::support::event_receiver::EventReceiver;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(trust_changes_are_reported_with_the_kid_only);

const ISSUER: &str = "https://issuer.partner.test";

/// The delivered `trust.*` envelopes once `count` arrived, checked to be all of them.
async fn trust_events(receiver: &EventReceiver, count: usize) -> Vec<Value> {
    receiver.exactly(count, |t| t.starts_with("trust.")).await
}

async fn trust_changes_are_reported_with_the_kid_only(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    let id = trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let duplicate = app
        .http
        .post(app.admin_path("/admin/trust/grants/jwt-bearer/issuers"))
        .json(&json!({
            "issuer": ISSUER,
            "subject": "alice",
            "scope": ["read"],
            "jwk": EC_1.jwk(),
            "expires_at": (app.state.clock.now() + chrono::Duration::hours(1)).to_rfc3339(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);
    app.admin
        .delete_trusted_o_auth2_jwt_grant_issuer()
        .id(&id)
        .send()
        .await
        .unwrap();
    let missing = app
        .http
        .delete(app.admin_path(&format!("/admin/trust/grants/jwt-bearer/issuers/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let events = trust_events(&receiver, 2).await;
    assert_eq!(events[0]["type"], "trust.created");
    assert_eq!(events[1]["type"], "trust.deleted");
    let kid = events[0]["data"]["kid"].clone();
    assert!(kid.as_str().is_some_and(|k| !k.is_empty()), "{kid}");
    if let Some(given) = EC_1.jwk().get("kid") {
        assert_eq!(&kid, given);
    }
    for event in &events {
        assert_eq!(event["subject"], id.as_str(), "keyed by the relationship");
        let data = &event["data"];
        assert_eq!(data["actor"], json!({"type": "admin"}));
        assert_eq!(data["id"], id.as_str());
        assert_eq!(data["issuer"], ISSUER);
        assert_eq!(data["subject"], "alice");
        assert_eq!(data["allow_any_subject"], false);
        assert_eq!(data["scope"], json!(["read"]));
        assert_eq!(data["kid"], kid);
        assert!(data["expires_at"].is_string());
        assert!(data.get("jwk").is_none() && data.get("public_key").is_none());
    }
    let x = EC_1.jwk()["x"].as_str().unwrap().to_owned();
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    assert!(!bodies.contains(&x), "no key material");
}
