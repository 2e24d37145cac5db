//! CORS (Fetch Standard §3.2, Hydra's `serve.{public,admin}.cors` and the client field
//! `allowed_cors_origins`), with real preflight requests: which paths answer, for which
//! origins, with which headers; an origin allowed by no rule gets no CORS header.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    cors_is_off_by_default,
    configured_origins_may_call_the_token_endpoint,
    a_clients_origin_is_allowed_for_that_client_only,
    discovery_and_jwks_are_open_to_any_origin,
    userinfo_allows_the_tokens_clients_origin,
    navigation_endpoints_never_answer_cors,
    the_admin_listener_allows_configured_origins_before_its_api_key,
);

const SPA: &str = "http://spa.localhost:5173";
const OTHER: &str = "https://evil.example";
const ADMIN_KEY: &str = "an-admin-api-key-for-the-cors-test";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A preflight for a POST with `Authorization` and `DPoP` headers.
async fn preflight(app: &TestApp, url: &str, origin: &str) -> (StatusCode, HeaderMap) {
    let response = app
        .http
        .request(Method::OPTIONS, url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, dpop")
        .send()
        .await
        .unwrap();
    (response.status(), response.headers().clone())
}

async fn token_request(
    app: &TestApp,
    origin: &str,
    id: &str,
    secret: &str,
    scope: &str,
) -> (StatusCode, HeaderMap) {
    let response = app
        .http
        .post(app.public_path("/oauth2/token"))
        .header("Origin", origin)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    (response.status(), response.headers().clone())
}

async fn cors_app(backend: TestBackend, origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
    TestApp::builder(backend)
        .config(move |c| {
            c.serve.public.cors.enabled = true;
            c.serve.public.cors.allowed_origins = origins;
            c.serve.public.cors.max_age = 600;
        })
        .build()
        .await
}

async fn machine(app: &TestApp, origins: &[&str]) -> (String, String) {
    let client = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "scope": "read",
            "allowed_cors_origins": origins,
        }))
        .await;
    (client.id, client.secret.unwrap())
}

async fn cors_is_off_by_default(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (id, secret) = machine(&app, &[SPA]).await;
    let (_, headers) = preflight(&app, &app.public_path("/oauth2/token"), SPA).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    let (status, headers) = token_request(&app, SPA, &id, &secret, "read").await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        None,
        "without serve.public.cors.enabled a client's origins do nothing (as in Hydra)"
    );
}

async fn configured_origins_may_call_the_token_endpoint(backend: TestBackend) {
    let app = cors_app(backend, &[SPA, "https://*.apps.example"]).await;
    let (id, secret) = machine(&app, &[]).await;
    let url = app.public_path("/oauth2/token");

    let (status, headers) = preflight(&app, &url, SPA).await;
    assert_eq!(status, 204);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    assert_eq!(
        header(&headers, "access-control-allow-credentials"),
        Some("true")
    );
    let methods = header(&headers, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = header(&headers, "access-control-allow-headers").unwrap_or_default();
    assert!(
        allowed.contains("Authorization") && allowed.contains("DPoP"),
        "{allowed}"
    );
    assert_eq!(header(&headers, "access-control-max-age"), Some("600"));
    assert!(header(&headers, "vary").is_some_and(|v| v.contains("Origin")));

    let (status, headers) = preflight(&app, &url, "https://one.apps.example").await;
    assert_eq!(status, 204);
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some("https://one.apps.example")
    );
    for refused in [
        OTHER,
        "https://apps.example",
        "null",
        "https://x.apps.example.evil",
    ] {
        let (_, headers) = preflight(&app, &url, refused).await;
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            None,
            "{refused}"
        );
        assert_eq!(header(&headers, "access-control-allow-methods"), None);
    }

    let (status, headers) = token_request(&app, SPA, &id, &secret, "read").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    let exposed = header(&headers, "access-control-expose-headers").unwrap_or_default();
    assert!(exposed.contains("DPoP-Nonce"), "{exposed}");
    let (status, headers) = token_request(&app, OTHER, &id, &secret, "read").await;
    assert_eq!(status, 200, "CORS never changes what the server does");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}

async fn a_clients_origin_is_allowed_for_that_client_only(backend: TestBackend) {
    let app = cors_app(backend, &[]).await;
    let (spa_id, spa_secret) = machine(&app, &[SPA]).await;
    let (other_id, other_secret) = machine(&app, &[]).await;
    let url = app.public_path("/oauth2/token");

    // A preflight has no credentials: answered because some client registered SPA.
    let (status, headers) = preflight(&app, &url, SPA).await;
    assert_eq!(status, 204);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    let (_, headers) = preflight(&app, &url, OTHER).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);

    let (status, headers) = token_request(&app, SPA, &spa_id, &spa_secret, "read").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    // An error after the client authenticated is readable too (the SPA must see it).
    let (status, headers) = token_request(&app, SPA, &spa_id, &spa_secret, "write").await;
    assert_eq!(status, 400);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    // Another client from the SPA's origin: not allowed.
    let (status, headers) = token_request(&app, SPA, &other_id, &other_secret, "read").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    // Wrong credentials: no client authenticated, no CORS.
    let (status, headers) = token_request(&app, SPA, &spa_id, "wrong-secret", "read").await;
    assert_eq!(status, 401);
    assert_eq!(header(&headers, "access-control-allow-origin"), None);

    // Revocation, as the same client.
    let response = app
        .http
        .post(app.public_path("/oauth2/revoke"))
        .header("Origin", SPA)
        .basic_auth(&spa_id, Some(&spa_secret))
        .form(&[("token", "unknown-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        Some(SPA)
    );
}

async fn discovery_and_jwks_are_open_to_any_origin(backend: TestBackend) {
    let app = cors_app(backend, &[]).await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ] {
        let response = app
            .http
            .get(app.public_path(path))
            .header("Origin", OTHER)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(
            header(headers, "access-control-allow-origin"),
            Some(OTHER),
            "{path}"
        );
        assert_eq!(
            header(headers, "access-control-allow-credentials"),
            None,
            "{path}: public documents are read without credentials"
        );
        let (status, headers) = preflight(&app, &app.public_path(path), OTHER).await;
        assert_eq!(status, 204, "{path}");
        assert_eq!(header(&headers, "access-control-allow-origin"), Some(OTHER));
    }
}

async fn userinfo_allows_the_tokens_clients_origin(backend: TestBackend) {
    let app = cors_app(backend, &[]).await;
    let spa = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "scope": "openid",
            "allowed_cors_origins": [SPA],
        }))
        .await;
    let (access, _) = app.issue_family(&spa.id, &["openid", "offline"]).await;
    for (origin, expected) in [(SPA, Some(SPA)), (OTHER, None)] {
        let response = app
            .http
            .get(app.public_path("/userinfo"))
            .header("Origin", origin)
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(response.headers(), "access-control-allow-origin"),
            expected,
            "{origin}"
        );
    }
}

async fn navigation_endpoints_never_answer_cors(backend: TestBackend) {
    let app = cors_app(backend, &["*"]).await;
    for path in [
        "/oauth2/auth?client_id=x",
        "/oauth2/sessions/logout",
        "/health/alive",
    ] {
        let response = app
            .http
            .get(app.public_path(path))
            .header("Origin", SPA)
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(response.headers(), "access-control-allow-origin"),
            None,
            "{path}"
        );
    }
}

async fn the_admin_listener_allows_configured_origins_before_its_api_key(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            c.serve.admin.cors.enabled = true;
            c.serve.admin.cors.allowed_origins = vec![SPA.to_owned()];
            c.serve.admin.api_key = Some(ADMIN_KEY.to_owned());
        })
        .build()
        .await;
    let url = app.admin_path("/admin/clients");
    let (status, headers) = preflight(&app, &url, SPA).await;
    assert_eq!(status, 204);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(SPA));
    let (_, headers) = preflight(&app, &url, OTHER).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    let response = app
        .http
        .get(&url)
        .header("Origin", SPA)
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        Some(SPA)
    );
    // The public listener's policy is its own: still off.
    let (_, headers) = preflight(&app, &app.public_path("/oauth2/token"), SPA).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}
