//! RFC 7591 §3 initial access tokens an operator creates over the admin API
//! (`/admin/oauth2/register/initial-access-tokens`), driven through our SDK: with
//! `require_initial_access_token` only their holders register, each token allows at
//! most `max_uses` registrations (also when they race), a refused registration does not
//! use it up, and expired or revoked tokens let nobody in.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use portunus_sdk::types::CreateOAuth2InitialAccessToken;
use portunus_server::clock::{Clock, FixedClock};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::jwk_admin_api::{error_of, json};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_token_registers_up_to_max_uses_clients,
    racing_registrations_never_pass_max_uses,
    expired_and_revoked_tokens_let_nobody_in,
    tokens_are_listed_in_pages_without_their_values,
    invalid_tokens_requests_are_400_naming_the_field,
);

async fn app_at(backend: TestBackend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| {
            let dcr = &mut c.oidc.dynamic_client_registration;
            dcr.enabled = true;
            dcr.require_initial_access_token = true;
        })
        .build()
        .await;
    (app, clock)
}

fn sdk_body(value: Value) -> CreateOAuth2InitialAccessToken {
    serde_json::from_value(value).unwrap()
}

/// Creates a token over the SDK; returns its id and value.
async fn create(app: &TestApp, body: Value) -> (String, String) {
    let created = app
        .admin
        .create_o_auth2_initial_access_token()
        .body(sdk_body(body))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body = json(&created.into_inner());
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/admin/oauth2/register/initial-access-tokens/{id}")
    );
    (id, body["token"].as_str().unwrap().to_owned())
}

/// The token's stored state as the admin API reads it.
async fn read(app: &TestApp, id: &str) -> Value {
    let token = app
        .admin
        .get_o_auth2_initial_access_token()
        .id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    json(&token)
}

async fn register(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.public_path("/oauth2/register"))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn web_app() -> Value {
    json!({
        "client_name": "Registered with an initial access token",
        "redirect_uris": ["https://rp.example.com/cb"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    })
}

async fn assert_invalid_token(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token", "{body}");
}

async fn a_token_registers_up_to_max_uses_clients(backend: TestBackend) {
    let (app, _) = app_at(backend).await;
    // Required and none presented, or a stranger presented: refused.
    assert_invalid_token(register(&app, None, &web_app()).await).await;
    assert_invalid_token(register(&app, Some("an-unknown-token"), &web_app()).await).await;

    let (id, token) = create(&app, json!({"max_uses": 2})).await;
    let stored = read(&app, &id).await;
    assert_eq!(stored["uses"], 0);
    assert_eq!(stored["max_uses"], 2);
    assert!(stored.get("token").is_none(), "shown only once: {stored}");
    let created_at = chrono::DateTime::parse_from_rfc3339(stored["created_at"].as_str().unwrap());
    let expires_at = chrono::DateTime::parse_from_rfc3339(stored["expires_at"].as_str().unwrap());
    assert_eq!(
        expires_at.unwrap() - created_at.unwrap(),
        Duration::hours(24),
        "the default lifespan"
    );

    // A refused registration gives its use back.
    let mut operator_only = web_app();
    operator_only["skip_consent"] = json!(true);
    let refused = register(&app, Some(&token), &operator_only).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(read(&app, &id).await["uses"], 0);

    for expected_uses in 1..=2 {
        let response = register(&app, Some(&token), &web_app()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let client: Value = response.json().await.unwrap();
        assert!(client["registration_access_token"].is_string(), "{client}");
        assert_eq!(read(&app, &id).await["uses"], expected_uses);
    }
    assert_invalid_token(register(&app, Some(&token), &web_app()).await).await;
    let clients = app.admin.list_o_auth2_clients().send().await.unwrap();
    assert_eq!(clients.into_inner().len(), 2, "two registrations, no more");
}

async fn racing_registrations_never_pass_max_uses(backend: TestBackend) {
    let (app, _) = app_at(backend).await;
    let (id, token) = create(&app, json!({"max_uses": 1})).await;
    let app = Arc::new(app);
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move { register(&app, Some(&token), &web_app()).await.status() })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::UNAUTHORIZED => {}
            other => panic!("a racing registration got {other}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(read(&app, &id).await["uses"], 1);
    let clients = app.admin.list_o_auth2_clients().send().await.unwrap();
    assert_eq!(clients.into_inner().len(), 1);
}

async fn expired_and_revoked_tokens_let_nobody_in(backend: TestBackend) {
    let (app, clock) = app_at(backend).await;
    let expires_at = clock.now() + Duration::hours(1);
    let (_, expiring) = create(&app, json!({"expires_at": expires_at.to_rfc3339()})).await;
    let (revoked_id, revoked) = create(&app, json!({})).await;

    assert_eq!(
        register(&app, Some(&expiring), &web_app()).await.status(),
        StatusCode::CREATED
    );
    clock.advance(Duration::hours(1));
    assert_invalid_token(register(&app, Some(&expiring), &web_app()).await).await;

    let deleted = app
        .admin
        .delete_o_auth2_initial_access_token()
        .id(&revoked_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_invalid_token(register(&app, Some(&revoked), &web_app()).await).await;
    let (status, error) = error_of(
        app.admin
            .get_o_auth2_initial_access_token()
            .id(&revoked_id)
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert_eq!(error.error, "not_found");
    let (status, _) = error_of(
        app.admin
            .delete_o_auth2_initial_access_token()
            .id(&revoked_id)
            .send()
            .await,
    );
    assert_eq!(status, 404);
}

async fn tokens_are_listed_in_pages_without_their_values(backend: TestBackend) {
    let (app, _) = app_at(backend).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&app, json!({})).await.0);
    }
    ids.sort();
    let first = app
        .admin
        .list_o_auth2_initial_access_tokens()
        .page_size(2)
        .send()
        .await
        .unwrap();
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let first: Vec<Value> = first.into_inner().iter().map(json).collect();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|t| t.get("token").is_none()), "{first:?}");
    let next = link
        .split(',')
        .find(|l| l.contains("rel=\"next\""))
        .and_then(|l| l.split("page_token=").nth(1))
        .and_then(|t| t.split(['>', '&']).next())
        .unwrap_or_else(|| panic!("a next link: {link}"))
        .to_owned();
    let second = app
        .admin
        .list_o_auth2_initial_access_tokens()
        .page_size(2)
        .page_token(next)
        .send()
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<String> = first
        .iter()
        .chain(second.iter().map(json).collect::<Vec<_>>().iter())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ids);
}

async fn invalid_tokens_requests_are_400_naming_the_field(backend: TestBackend) {
    let (app, clock) = app_at(backend).await;
    let now = clock.now();
    let cases = [
        (json!({"max_uses": 0}), "max_uses"),
        (json!({"max_uses": -1}), "max_uses"),
        (json!({"max_uses": 1_000_001}), "max_uses"),
        (json!({"expires_at": now.to_rfc3339()}), "expires_at"),
        (
            json!({"expires_at": (now + Duration::days(367)).to_rfc3339()}),
            "expires_at",
        ),
        (json!({"max_uses": 1, "uses": 0}), "uses"),
    ];
    for (body, field) in cases {
        let response = app
            .http
            .post(app.admin_path("/admin/oauth2/register/initial-access-tokens"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request", "{body}: {error}");
        assert!(
            error["error_description"].as_str().unwrap().contains(field),
            "{body}: {error}"
        );
    }
    let listed = app
        .admin
        .list_o_auth2_initial_access_tokens()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(listed.is_empty(), "nothing was stored: {listed:?}");
}
