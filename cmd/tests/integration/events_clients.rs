//! Audit events of client management (issue 15 §1; docs/operations.md, "Events"):
//! the admin API's create, replace, secret rotation and delete report `client.created`,
//! `client.updated` (changed field names only), `client.secret_rotated` and
//! `client.deleted` with the admin as actor; dynamic registration reports with the
//! client as actor; no secret, hash or changed value ever appears; a refused change
//! (invalid metadata → 400, unknown client → 404) reports nothing.

use portunus_sdk::types::{OAuth2Client, RotateOAuth2ClientSecretBody};
use serde_json::{Value, json};

use crate::support::event_receiver::EventReceiver;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    admin_client_changes_are_reported_without_secrets,
    refused_client_changes_report_nothing,
    dynamic_registration_is_reported_as_the_clients_own,
);

const CHOSEN_SECRET: &str = "a-chosen-client-secret-0123456789";

async fn app_with(receiver: &EventReceiver, backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(receiver.configurer())
        .config(|c| c.oidc.dynamic_client_registration.enabled = true)
        .build()
        .await
}

/// The delivered `client.*` envelopes once `count` arrived, checked to be all of them.
async fn client_events(receiver: &EventReceiver, count: usize) -> Vec<Value> {
    receiver.exactly(count, |t| t.starts_with("client.")).await
}

fn body(value: Value) -> OAuth2Client {
    serde_json::from_value(value).unwrap()
}

async fn admin_client_changes_are_reported_without_secrets(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let metadata = json!({
        "client_id": "audited",
        "client_name": "Before",
        "client_secret": CHOSEN_SECRET,
        "grant_types": ["client_credentials"],
        "scope": "read",
    });
    app.admin
        .create_o_auth2_client()
        .body(body(metadata.clone()))
        .send()
        .await
        .unwrap();
    let mut replaced = metadata.clone();
    replaced["client_name"] = json!("After");
    replaced["scope"] = json!("read write");
    replaced.as_object_mut().unwrap().remove("client_secret");
    app.admin
        .set_o_auth2_client()
        .id("audited")
        .body(body(replaced))
        .send()
        .await
        .unwrap();
    let rotated = app
        .admin
        .rotate_o_auth2_client_secret()
        .id("audited")
        .body(RotateOAuth2ClientSecretBody {
            client_secret: None,
            grace_period: Some("1h".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let new_secret = rotated.client_secret.clone();
    app.admin
        .delete_o_auth2_client()
        .id("audited")
        .send()
        .await
        .unwrap();

    let events = client_events(&receiver, 4).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "client.created",
            "client.updated",
            "client.secret_rotated",
            "client.deleted"
        ],
        "one aggregate, in order"
    );
    for event in &events {
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["source"], app.state.config.issuer());
        assert_eq!(event["subject"], "audited", "keyed by the client");
        assert_eq!(event["data"]["client_id"], "audited");
        assert_eq!(event["data"]["actor"], json!({"type": "admin"}));
        assert_eq!(event["data"]["schema_version"], 1);
        let id = event["id"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    }
    let created = &events[0]["data"];
    assert_eq!(created["client_name"], "Before");
    assert_eq!(created["grant_types"], json!(["client_credentials"]));
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        events[1]["data"]["changed_fields"],
        json!(["client_name", "scope"]),
        "names, not values"
    );
    assert!(events[2]["data"]["previous_secret_expires_at"].is_string());
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    assert!(!bodies.contains(CHOSEN_SECRET));
    assert!(!bodies.contains(&new_secret));
    assert!(!bodies.contains("$argon2"), "no hash");
    assert!(!bodies.contains("After"), "no changed value");
}

async fn refused_client_changes_report_nothing(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let invalid = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&json!({"client_id": "bad", "redirect_uris": ["not a uri"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    let missing = app
        .http
        .delete(app.admin_path("/admin/clients/nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing = app
        .http
        .put(app.admin_path("/admin/clients/nobody"))
        .json(&json!({"client_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // One change that succeeds, so the wait below has something to wait for.
    app.admin
        .create_o_auth2_client()
        .body(body(
            json!({"client_id": "good", "grant_types": ["client_credentials"]}),
        ))
        .send()
        .await
        .unwrap();
    let events = client_events(&receiver, 1).await;
    assert_eq!(events[0]["subject"], "good");
    let duplicate = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&json!({"client_id": "good"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);
    client_events(&receiver, 1).await;
}

async fn dynamic_registration_is_reported_as_the_clients_own(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let response = app
        .http
        .post(app.public_path("/oauth2/register"))
        .json(&json!({
            "redirect_uris": ["https://app.example.com/cb"],
            "client_name": "Registered",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let token = registered["registration_access_token"].as_str().unwrap();
    let deleted = app
        .http
        .delete(app.public_path(&format!("/oauth2/register/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let events = client_events(&receiver, 2).await;
    assert_eq!(events[0]["type"], "client.created");
    assert_eq!(events[1]["type"], "client.deleted");
    for event in &events {
        assert_eq!(event["data"]["actor"], json!({"type": "client", "id": id}));
    }
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    assert!(!bodies.contains(token), "no registration access token");
    if let Some(secret) = registered["client_secret"].as_str() {
        assert!(!bodies.contains(secret));
    }
}
