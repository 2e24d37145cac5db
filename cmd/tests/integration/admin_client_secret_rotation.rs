//! Client secret rotation without downtime (issue 13 §6): `POST
//! /admin/clients/{id}/secret/rotate` sets a new secret and keeps the replaced one
//! working for a grace period; `DELETE /admin/clients/{id}/secret/previous` ends the
//! period early; `portunus rotate client-secret` does the same from the command line.
//! Time is a fixed clock, moved past the period.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use portunus_sdk::types::RotateOAuth2ClientSecretBody;
use portunus_server::clock::{Clock, FixedClock};
use serde_json::{Value, json};

use crate::jwk_cli::{json_out, portunus};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    both_secrets_work_until_the_grace_period_ends,
    deleting_the_previous_secret_ends_the_period,
    rotation_refusals,
);

async fn app_at(backend: TestBackend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    (app, clock)
}

/// The status of a client-credentials request with `secret` over HTTP Basic.
async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    let (status, _, _) = app
        .post_form(
            "/oauth2/token",
            Some((id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    status
}

async fn rotate(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.admin_path(&format!("/admin/clients/{id}/secret/rotate")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn both_secrets_work_until_the_grace_period_ends(backend: TestBackend) {
    let (app, clock) = app_at(backend).await;
    let client = app
        .register(json!({"client_id": "rotating", "grant_types": ["client_credentials"]}))
        .await;
    let old = client.secret.unwrap();
    assert_eq!(token_status(&app, "rotating", &old).await, 200);

    let rotated = app
        .admin
        .rotate_o_auth2_client_secret()
        .id("rotating")
        .body(RotateOAuth2ClientSecretBody {
            client_secret: None,
            grace_period: Some("2h".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let new = rotated.client_secret.clone();
    assert_ne!(new, old);
    assert_eq!(new.len(), 43, "a generated secret");
    assert_eq!(rotated.client_secret_expires_at, 0);
    assert_eq!(
        rotated.previous_secret_expires_at,
        (clock.now() + Duration::hours(2)).timestamp()
    );
    assert_eq!(token_status(&app, "rotating", &new).await, 200);
    assert_eq!(
        token_status(&app, "rotating", &old).await,
        200,
        "grace period"
    );
    assert_eq!(token_status(&app, "rotating", "neither").await, 401);

    // An admin replacement that keeps the secret keeps the grace period too.
    let mut current: Value = app
        .http
        .get(app.admin_path("/admin/clients/rotating"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    current["client_name"] = json!("renamed");
    current.as_object_mut().unwrap().remove("client_secret");
    let response = app
        .http
        .put(app.admin_path("/admin/clients/rotating"))
        .json(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(token_status(&app, "rotating", &old).await, 200);

    clock.advance(Duration::hours(2));
    assert_eq!(
        token_status(&app, "rotating", &old).await,
        401,
        "period over"
    );
    assert_eq!(token_status(&app, "rotating", &new).await, 200);

    // A chosen secret, and the configured default period (24h).
    let (status, body) = rotate(
        &app,
        "rotating",
        json!({"client_secret": "a chosen secret"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_secret"], "a chosen secret");
    assert_eq!(
        body["previous_secret_expires_at"],
        (clock.now() + Duration::hours(24)).timestamp()
    );
    assert_eq!(token_status(&app, "rotating", "a chosen secret").await, 200);
    assert_eq!(token_status(&app, "rotating", &new).await, 200);
    // One replaced secret is kept: a second rotation ends the first one's period.
    let (_, body) = rotate(&app, "rotating", json!({})).await;
    let newest = body["client_secret"].as_str().unwrap();
    assert_eq!(token_status(&app, "rotating", newest).await, 200);
    assert_eq!(token_status(&app, "rotating", "a chosen secret").await, 200);
    assert_eq!(token_status(&app, "rotating", &new).await, 401);
}

async fn deleting_the_previous_secret_ends_the_period(backend: TestBackend) {
    let (app, _clock) = app_at(backend).await;
    let client = app
        .register(json!({"client_id": "hurry", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post"}))
        .await;
    let old = client.secret.unwrap();
    let (status, body) = rotate(&app, "hurry", json!({"grace_period": "1h"})).await;
    assert_eq!(status, 200, "{body}");
    let new = body["client_secret"].as_str().unwrap().to_owned();
    let post = |secret: String| {
        let app = &app;
        async move {
            let (status, _, _) = app
                .post_form(
                    "/oauth2/token",
                    None,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", "hurry"),
                        ("client_secret", &secret),
                    ],
                )
                .await;
            status
        }
    };
    assert_eq!(post(old.clone()).await, 200);
    app.admin
        .delete_o_auth2_client_previous_secret()
        .id("hurry")
        .send()
        .await
        .unwrap();
    assert_eq!(post(old).await, 401);
    assert_eq!(post(new).await, 200);
    // Idempotent, and 404 for an unknown client.
    let status = |path: &str| {
        let app = &app;
        let path = path.to_owned();
        async move {
            app.http
                .delete(app.admin_path(&path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/admin/clients/hurry/secret/previous").await, 204);
    assert_eq!(status("/admin/clients/nobody/secret/previous").await, 404);
}

async fn rotation_refusals(backend: TestBackend) {
    let (app, _clock) = app_at(backend).await;
    let original = app
        .register(json!({"client_id": "secretive", "grant_types": ["client_credentials"]}))
        .await
        .secret
        .unwrap();
    for (body, needle) in [
        (json!({"grace_period": "721h"}), "720h"),
        (json!({"grace_period": "soon"}), "grace_period"),
        (json!({"client_secret": "short"}), "at least"),
        (json!({"unknown": true}), "unknown"),
    ] {
        let (status, answer) = rotate(&app, "secretive", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let text = answer.to_string();
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let (status, _) = rotate(&app, "nobody", json!({})).await;
    assert_eq!(status, 404);
    app.register(json!({"client_id": "public", "grant_types": ["authorization_code"], "response_types": ["code"], "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "none"}))
        .await;
    let (status, answer) = rotate(&app, "public", json!({})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("none")
    );
    // The refused rotations changed nothing: the original secret still works.
    assert_eq!(token_status(&app, "secretive", &original).await, 200);
}

/// `portunus rotate client-secret <id>`: the server's answer as JSON or a table; the new
/// secret and, for the grace period, the old one authenticate; an unknown client fails
/// with the server's description.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_rotates_a_secret() {
    let (app, clock) = app_at(TestBackend::Sqlite).await;
    let client = app
        .register(json!({"client_id": "cli-rotating", "grant_types": ["client_credentials"]}))
        .await;
    let old = client.secret.unwrap();
    let rotated = json_out(
        &portunus(
            &app,
            &[
                "rotate",
                "client-secret",
                "cli-rotating",
                "--grace-period",
                "1h",
                "--format",
                "json",
            ],
        )
        .await,
    );
    let new = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(
        rotated["previous_secret_expires_at"],
        (clock.now() + Duration::hours(1)).timestamp()
    );
    assert_eq!(token_status(&app, "cli-rotating", &new).await, 200);
    assert_eq!(token_status(&app, "cli-rotating", &old).await, 200);
    clock.advance(Duration::hours(1));
    assert_eq!(token_status(&app, "cli-rotating", &old).await, 401);

    // A chosen secret, shown in a table.
    let table = portunus(
        &app,
        &[
            "rotate",
            "client-secret",
            "cli-rotating",
            "--secret",
            "a-chosen-secret-of-some-length",
        ],
    )
    .await;
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("PREVIOUS SECRET WORKS UNTIL"), "{text}");
    assert!(text.contains("a-chosen-secret-of-some-length"), "{text}");
    assert_eq!(
        token_status(&app, "cli-rotating", "a-chosen-secret-of-some-length").await,
        200
    );

    let unknown = portunus(&app, &["rotate", "client-secret", "no-such-client"]).await;
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("not_found"), "{stderr}");
}
