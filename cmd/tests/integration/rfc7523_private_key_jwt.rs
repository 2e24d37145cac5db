//! RFC 7523 §2.2, §3 and OIDC Core §9: `private_key_jwt` client authentication at the
//! token and revocation endpoints. Assertions are signed with the `jsonwebtoken` crate
//! (`support::assertion`), never with our own signer; keys come from the client's
//! inline `jwks` or from its `jwks_uri`, served by a small local server.

use std::sync::Arc;

use chrono::TimeZone;
use oauth2::{AuthType, TokenResponse};
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::assertion::{
    EC_1, EC_2, JwksServer, RSA_1, assertion_form, claims, jwks, unsecured, with,
};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    inline_keys_authenticate_es256_and_rs256_at_token_and_revocation,
    jwks_uri_is_cached_and_fetched_again_once_for_a_new_kid,
    jwks_uri_on_a_private_address_is_refused_by_default,
    invalid_assertions_are_401_with_a_precise_hint,
    the_registered_signing_alg_is_enforced,
    incomplete_or_mixed_credentials_are_400,
);

async fn register(app: &TestApp, id: &str, keys: Value) -> Registered {
    let mut body = json!({
        "client_id": id,
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "read",
    });
    for (k, v) in keys.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.register(body).await
}

/// POSTs a client-credentials request authenticated by `assertion`.
async fn token_request(app: &TestApp, assertion: &str) -> (u16, Value) {
    let form = assertion_form(assertion);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = app.post_form("/oauth2/token", None, &pairs).await;
    (status, body)
}

/// Asserts a `401 invalid_client` whose description contains `needle`.
async fn refused(app: &TestApp, assertion: &str, needle: &str) {
    let (status, body) = token_request(app, assertion).await;
    assert_eq!(status, 401, "{needle}: {body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
}

async fn inline_keys_authenticate_es256_and_rs256_at_token_and_revocation(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let keys = json!({"jwks": jwks(&[&EC_1, &RSA_1])});
    let client = register(&app, "pkjwt", keys).await;

    // Through the `oauth2` crate: the assertion rides as extra parameters, client_id in
    // the body (RFC 7521 §4.2 allows it when it names the same client).
    let token = app
        .token_client(&client, AuthType::RequestBody)
        .exchange_client_credentials()
        .add_extra_param(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .add_extra_param("client_assertion", EC_1.sign(&claims(&app, "pkjwt")))
        .request_async(&app.oauth_http())
        .await
        .expect("ES256 assertion");
    assert!(
        app.introspect(token.access_token().secret(), None)
            .await
            .active
    );

    let issuer_aud = with(
        claims(&app, "pkjwt"),
        json!({"aud": [app.state.config.issuer()]}),
    );
    let (status, body) = token_request(&app, &RSA_1.sign(&issuer_aud)).await;
    assert_eq!(status, 200, "RS256 with the issuer as audience: {body}");
    let access = body["access_token"].as_str().unwrap().to_owned();

    // RFC 7009 §2.1: the revocation endpoint authenticates the same way.
    let assertion = EC_1.sign(&claims(&app, "pkjwt"));
    let mut form = assertion_form(&assertion);
    form[0] = ("token", access.clone());
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = app.post_form("/oauth2/revoke", None, &pairs).await;
    assert_eq!(status, 200, "{body}");
    assert!(!app.introspect(&access, None).await.active);
}

async fn jwks_uri_is_cached_and_fetched_again_once_for_a_new_kid(backend: TestBackend) {
    let server = JwksServer::start(jwks(&[&EC_1])).await;
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap(),
    ));
    let exempt = server.url.clone();
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(move |c| c.clients.http.private_ip_exception_urls = vec![exempt])
        .build()
        .await;
    register(&app, "remote", json!({"jwks_uri": server.url})).await;

    for _ in 0..2 {
        let (status, body) = token_request(&app, &EC_1.sign(&claims(&app, "remote"))).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(server.hits(), 1, "the set is cached");

    // The client rotates: a kid the cache lacks is fetched again, but not more often
    // than every 10 s.
    server.set(jwks(&[&EC_1, &EC_2]));
    refused(&app, &EC_2.sign(&claims(&app, "remote")), "ec-2").await;
    assert_eq!(server.hits(), 1, "no refetch right after a fetch");
    clock.advance(chrono::Duration::seconds(11));
    let (status, body) = token_request(&app, &EC_2.sign(&claims(&app, "remote"))).await;
    assert_eq!(status, 200, "the new key after one refetch: {body}");
    assert_eq!(server.hits(), 2);
    refused(
        &app,
        &EC_2.sign_with_kid(Some("unknown"), &claims(&app, "remote")),
        "unknown",
    )
    .await;
    assert_eq!(
        server.hits(),
        2,
        "an unknown kid does not hammer the client"
    );
}

async fn jwks_uri_on_a_private_address_is_refused_by_default(backend: TestBackend) {
    let server = JwksServer::start(jwks(&[&EC_1])).await;
    let app = TestApp::spawn(backend).await;
    register(&app, "loopback", json!({"jwks_uri": server.url})).await;
    let named = server.url.replace("127.0.0.1", "localhost");
    register(&app, "named", json!({"jwks_uri": named})).await;
    refused(
        &app,
        &EC_1.sign(&claims(&app, "loopback")),
        "disallow_private_ip_ranges",
    )
    .await;
    refused(
        &app,
        &EC_1.sign(&claims(&app, "named")),
        "disallow_private_ip_ranges",
    )
    .await;
    assert_eq!(server.hits(), 0, "nothing reached the private address");
}

async fn invalid_assertions_are_401_with_a_precise_hint(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    register(&app, "strict", json!({"jwks": jwks(&[&EC_1])})).await;
    let valid = || claims(&app, "strict");
    let now = app.state.clock.now().timestamp();
    let cases = [
        (with(valid(), json!({"exp": now - 1})), "expired"),
        (with(valid(), json!({"exp": null})), "'exp'"),
        (
            with(valid(), json!({"aud": "https://elsewhere.test/token"})),
            "'aud'",
        ),
        (with(valid(), json!({"iss": "other"})), "'iss' and 'sub'"),
        (with(valid(), json!({"sub": "other"})), "'iss' and 'sub'"),
        (with(valid(), json!({"jti": null})), "'jti'"),
        (with(valid(), json!({"iat": now + 3600})), "'iat'"),
        (with(valid(), json!({"nbf": now + 3600})), "'nbf'"),
    ];
    for (claims, needle) in cases {
        refused(&app, &EC_1.sign(&claims), needle).await;
    }
    refused(&app, &EC_1.sign_with_kid(Some("nope"), &valid()), "nope").await;
    refused(
        &app,
        &EC_2.sign_with_kid(Some("ec-1"), &valid()),
        "signature",
    )
    .await;
    refused(&app, &unsecured(&valid()), "'none'").await;
    refused(
        &app,
        &EC_1.sign(&with(valid(), json!({"iss": "ghost", "sub": "ghost"}))),
        "The client is unknown, is registered for another authentication method",
    )
    .await;

    // RFC 7523 §3: a jti is single-use, even when nothing else changed.
    let once = EC_1.sign(&valid());
    assert_eq!(token_request(&app, &once).await.0, 200);
    refused(&app, &once, "jti").await;
    let reused_jti = with(valid(), json!({"jti": "fixed"}));
    assert_eq!(token_request(&app, &EC_1.sign(&reused_jti)).await.0, 200);
    refused(&app, &EC_1.sign(&reused_jti), "used before").await;

    // A client registered for a secret cannot authenticate with an assertion.
    app.register(json!({"client_id": "secretive", "grant_types": ["client_credentials"]}))
        .await;
    refused(
        &app,
        &EC_1.sign(&claims(&app, "secretive")),
        "is registered for another authentication method",
    )
    .await;
}

async fn the_registered_signing_alg_is_enforced(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let keys = json!({
        "jwks": jwks(&[&EC_1, &RSA_1]),
        "token_endpoint_auth_signing_alg": "ES256",
    });
    register(&app, "es-only", keys).await;
    assert_eq!(
        token_request(&app, &EC_1.sign(&claims(&app, "es-only")))
            .await
            .0,
        200
    );
    refused(
        &app,
        &RSA_1.sign(&claims(&app, "es-only")),
        "token_endpoint_auth_signing_alg ES256",
    )
    .await;
}

async fn incomplete_or_mixed_credentials_are_400(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    register(&app, "mixed", json!({"jwks": jwks(&[&EC_1])})).await;
    let assertion = EC_1.sign(&claims(&app, "mixed"));
    let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("client_assertion_type", jwt_bearer),
            ("client_assertion", &assertion),
            ("client_id", "mixed"),
            ("client_secret", "a-secret-that-should-not-be-here"),
        ],
        &[("client_assertion", &assertion)],
        &[("client_assertion_type", jwt_bearer)],
        &[
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", &assertion),
        ],
    ];
    for case in cases {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(case);
        let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{case:?}: {body}"
        );
    }
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some(("mixed", "secret")),
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", jwt_bearer),
                ("client_assertion", &assertion),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "Basic too: {body}"
    );
    let other_id = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", jwt_bearer),
        ("client_assertion", assertion.as_str()),
        ("client_id", "someone-else"),
    ];
    let (status, _, body) = app.post_form("/oauth2/token", None, &other_id).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("differs")
    );
}
