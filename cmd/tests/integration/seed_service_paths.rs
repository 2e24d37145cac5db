//! The path surface of the reference OAuth2 service Portunus replaces: `/oauth/token`,
//! `/oauth/revoke` and `/oauth/authorize` behave as Hydra's `/oauth2/*` endpoints, and
//! `/oauth/introspect` is RFC 7662 §2.1 introspection for authenticated clients — a
//! client learns only about its own tokens unless its registered scope holds
//! `introspect`. Discovery advertises it as `introspection_endpoint`. The health paths
//! (`/ping`, `/ready`, `/health`) are in `health.rs`.

use serde_json::{Value, json};

use crate::support::test_app::LOGIN_APP_URL;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    oauth_token_and_revoke_aliases_issue_and_revoke,
    oauth_authorize_alias_starts_the_login_flow,
    public_introspection_is_limited_to_the_clients_own_tokens,
);

/// Registers a confidential `client_credentials` client; returns (id, secret).
async fn service(app: &TestApp, id: &str, scope: &str) -> (String, String) {
    let registered = app
        .register(json!({
            "client_id": id,
            "grant_types": ["client_credentials"],
            "scope": scope,
        }))
        .await;
    (registered.id, registered.secret.expect("a secret"))
}

async fn token_at(app: &TestApp, path: &str, (id, secret): (&str, &str)) -> String {
    let (status, _, body) = app
        .post_form(
            path,
            Some((id, secret)),
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

async fn oauth_token_and_revoke_aliases_issue_and_revoke(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (id, secret) = service(&app, "svc", "read").await;
    let token = token_at(&app, "/oauth/token", (&id, &secret)).await;
    assert!(app.introspect(&token, None).await.active);

    // Client authentication is the token endpoint's.
    let (status, _, body) = app
        .post_form(
            "/oauth/token",
            Some((&id, "wrong-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let (status, _, _) = app
        .post_form("/oauth/revoke", Some((&id, &secret)), &[("token", &token)])
        .await;
    assert_eq!(status, 200);
    assert!(!app.introspect(&token, None).await.active);
}

async fn oauth_authorize_alias_starts_the_login_flow(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = app
        .register(json!({
            "client_id": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": ["https://app.example.com/cb"],
            "scope": "openid",
        }))
        .await;
    let query = format!(
        "?client_id={}&response_type=code&scope=openid&state=state-12345\
         &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb",
        client.id
    );
    let response = app
        .http
        .get(app.public_path(&format!("/oauth/authorize{query}")))
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(location.starts_with(LOGIN_APP_URL), "{location}");
    assert!(location.contains("login_challenge="), "{location}");

    // A bad request is the authorization endpoint's error page, never a redirect.
    let response = app
        .http
        .get(app.public_path("/oauth/authorize?client_id=nobody&response_type=code"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().get("location").is_none());
}

async fn introspect(app: &TestApp, (id, secret): (&str, &str), token: &str) -> (u16, Value) {
    let (status, headers, body) = app
        .post_form("/oauth/introspect", Some((id, secret)), &[("token", token)])
        .await;
    if status == 200 {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

async fn public_introspection_is_limited_to_the_clients_own_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (a, a_secret) = service(&app, "client-a", "read").await;
    let (b, b_secret) = service(&app, "client-b", "read").await;
    let (rs, rs_secret) = service(&app, "resource-server", "read introspect").await;
    let token = token_at(&app, "/oauth2/token", (&a, &a_secret)).await;

    let (status, own) = introspect(&app, (&a, &a_secret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(own["active"], true);
    assert_eq!(own["client_id"], "client-a");
    assert_eq!(own["scope"], "read");

    // Another client's token is indistinguishable from an unknown one (RFC 7662 §4).
    let (status, other) = introspect(&app, (&b, &b_secret), &token).await;
    assert_eq!((status, other), (200, json!({"active": false})));
    let (_, unknown) = introspect(&app, (&b, &b_secret), "not-a-token").await;
    assert_eq!(unknown, json!({"active": false}));

    // A resource server with the `introspect` permission sees every token.
    let (status, seen) = introspect(&app, (&rs, &rs_secret), &token).await;
    assert_eq!(status, 200);
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], "client-a");

    // RFC 7662 §2.1: the endpoint requires client authentication.
    let (status, body) = introspect(&app, (&a, "wrong-secret"), &token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _, body) = app
        .post_form("/oauth/introspect", None, &[("token", &token)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let public = app
        .register(json!({
            "client_id": "spa",
            "grant_types": ["authorization_code"],
            "redirect_uris": ["https://spa.example.com/cb"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    let (status, _, body) = app
        .post_form(
            "/oauth/introspect",
            None,
            &[("token", &token), ("client_id", &public.id)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _, body) = app
        .post_form("/oauth/introspect", Some((&a, &a_secret)), &[])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // Discovery points resource servers at it; the canonical endpoints stay canonical.
    let discovery = app.discovery().await;
    assert_eq!(
        discovery["introspection_endpoint"],
        format!("{}/oauth/introspect", app.public_url)
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth2/token", app.public_url)
    );
    let methods = discovery["introspection_endpoint_auth_methods_supported"]
        .as_array()
        .expect("methods");
    assert!(methods.contains(&json!("client_secret_basic")));
    assert!(!methods.contains(&json!("none")));
}
