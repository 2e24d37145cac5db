//! RFC 7523 §2.1 and §3: the JWT bearer authorization grant with issuers trusted through
//! Hydra's trust API. Assertions are signed with the `jsonwebtoken` crate
//! (`support::assertion`), never with our own signer; the trust relationships are
//! created through the SDK.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::assertion::{
    EC_1, EC_2, JWT_BEARER_GRANT, RSA_1, grant_claims, trust, unsecured, with,
};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_trusted_assertion_is_exchanged_for_an_access_token,
    any_subject_kidless_rs256_and_issuer_audience_are_accepted,
    public_clients_may_use_the_grant,
    every_failed_assertion_check_is_invalid_grant,
    an_assertion_is_used_once,
    scopes_are_limited_by_the_trust_and_the_client,
    trust_expiry_and_deletion_end_the_grant,
    client_authentication_and_registration_are_required,
    iat_and_jti_are_optional_only_when_configured,
    openid_is_granted_without_an_id_token,
);

const ISSUER: &str = "https://idp.example.com";

async fn client(app: &TestApp, id: &str, grant_types: Value) -> Registered {
    app.register(json!({
        "client_id": id,
        "grant_types": grant_types,
        "scope": "openid read write admin",
        "audience": ["https://api.example.com"],
    }))
    .await
}

/// POSTs a JWT bearer grant request with Basic authentication as `client`.
async fn exchange(
    app: &TestApp,
    client: &Registered,
    assertion: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("grant_type", JWT_BEARER_GRANT), ("assertion", assertion)];
    form.extend_from_slice(extra);
    let secret = client.secret.clone().unwrap_or_default();
    let (status, _, body) = app
        .post_form("/oauth2/token", Some((&client.id, &secret)), &form)
        .await;
    (status, body)
}

/// Asserts a `400 error` whose description contains `needle`.
fn refused(result: (u16, Value), error: &str, needle: &str) {
    let (status, body) = result;
    assert_eq!(status, 400, "{needle}: {body}");
    assert_eq!(body["error"], error, "{needle}: {body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
}

async fn a_trusted_assertion_is_exchanged_for_an_access_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read", "write"]).await;

    let assertion = EC_1.sign(&grant_claims(&app, ISSUER, "alice"));
    let (status, body) = exchange(
        &app,
        &client,
        &assertion,
        &[("scope", "read"), ("audience", "https://api.example.com")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "read");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let token = body["access_token"].as_str().unwrap();
    let introspected = app.introspect(token, None).await;
    assert!(introspected.active);
    // §2.1: the token is about the assertion's subject, issued to the client.
    assert_eq!(introspected.sub.as_deref(), Some("alice"));
    assert_eq!(introspected.client_id.as_deref(), Some("jb"));
    assert_eq!(introspected.scope.as_deref(), Some("read"));
    assert_eq!(
        introspected.aud,
        Some(vec!["https://api.example.com".to_owned()]),
        "the assertion's own aud is not granted (oauth2.grant.jwt.omit_assertion_audience)"
    );
}

async fn any_subject_kidless_rs256_and_issuer_audience_are_accepted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, None, &RSA_1, &["read"]).await;
    trust(&app, ISSUER, None, &EC_2, &["read"]).await;
    // No kid: every key trusted for the issuer is tried; aud may be the issuer.
    let claims = with(
        grant_claims(&app, ISSUER, "bob"),
        json!({"aud": [app.state.config.issuer(), "https://other.example"]}),
    );
    let (status, body) = exchange(&app, &client, &RSA_1.sign_with_kid(None, &claims), &[]).await;
    assert_eq!(status, 200, "{body}");
    let introspected = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(introspected.sub.as_deref(), Some("bob"));
    // The header's kid selects the key; a key of another type never verifies.
    let claims = grant_claims(&app, ISSUER, "carol");
    let (status, body) = exchange(&app, &client, &EC_2.sign(&claims), &[]).await;
    assert_eq!(status, 200, "{body}");
}

async fn public_clients_may_use_the_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    app.register(json!({
        "client_id": "spa",
        "grant_types": [JWT_BEARER_GRANT],
        "token_endpoint_auth_method": "none",
        "scope": "read",
    }))
    .await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let assertion = EC_1.sign(&grant_claims(&app, ISSUER, "alice"));
    let form = [
        ("grant_type", JWT_BEARER_GRANT),
        ("assertion", assertion.as_str()),
        ("client_id", "spa"),
        ("scope", "read"),
    ];
    let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
    assert_eq!(
        status, 200,
        "RFC 7521 §4.1: client authentication is optional: {body}"
    );
}

async fn every_failed_assertion_check_is_invalid_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let good = || grant_claims(&app, ISSUER, "alice");
    let now = app.state.clock.now().timestamp();

    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[("grant_type", JWT_BEARER_GRANT)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );

    let cases: Vec<(String, &str)> = vec![
        ("not-a-jwt".to_owned(), "compact JWS"),
        ("e30.e30.".to_owned(), "algorithm"),
        ("!!.e30.sig".to_owned(), "base64url"),
        (unsecured(&good()), "algorithm"),
        ("x".repeat(17 * 1024), "longer than"),
        (EC_1.sign(&with(good(), json!({"iss": null}))), "'iss'"),
        (EC_1.sign(&with(good(), json!({"sub": ""}))), "'sub'"),
        (
            EC_1.sign(&with(good(), json!({"iss": "https://evil.example"}))),
            "No unexpired key",
        ),
        (
            EC_1.sign(&with(good(), json!({"sub": "mallory"}))),
            "No unexpired key",
        ),
        (
            EC_1.sign_with_kid(Some("other"), &good()),
            "No unexpired key",
        ),
        // Signed by another key, naming the trusted key's kid.
        (
            EC_2.sign_with_kid(Some(EC_1.kid), &good()),
            "does not verify",
        ),
        (
            EC_1.sign(&with(
                good(),
                json!({"aud": "https://elsewhere.example/token"}),
            )),
            "'aud'",
        ),
        (EC_1.sign(&with(good(), json!({"aud": null}))), "'aud'"),
        (EC_1.sign(&with(good(), json!({"exp": null}))), "no 'exp'"),
        (EC_1.sign(&with(good(), json!({"exp": now - 1}))), "expired"),
        (
            EC_1.sign(&with(good(), json!({"exp": "soon"}))),
            "NumericDate",
        ),
        (
            EC_1.sign(&with(good(), json!({"exp": now + 721 * 3600}))),
            "max_ttl",
        ),
        (EC_1.sign(&with(good(), json!({"iat": null}))), "no 'iat'"),
        (
            EC_1.sign(&with(good(), json!({"iat": now + 3600}))),
            "future",
        ),
        (
            EC_1.sign(&with(good(), json!({"nbf": now + 3600}))),
            "'nbf'",
        ),
        (EC_1.sign(&with(good(), json!({"jti": null}))), "no 'jti'"),
        (
            EC_1.sign(&with(good(), json!({"exp": 1e300}))),
            "NumericDate",
        ),
    ];
    for (assertion, needle) in cases {
        refused(
            exchange(&app, &client, &assertion, &[]).await,
            "invalid_grant",
            needle,
        );
    }
    // None of the refusals used up the good assertion's jti, and nothing was issued.
    let (status, body) = exchange(&app, &client, &EC_1.sign(&good()), &[]).await;
    assert_eq!(status, 200, "{body}");
}

async fn an_assertion_is_used_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    trust(
        &app,
        "https://other-idp.example",
        Some("alice"),
        &EC_2,
        &["read"],
    )
    .await;
    let claims = grant_claims(&app, ISSUER, "alice");
    let assertion = EC_1.sign(&claims);
    assert_eq!(exchange(&app, &client, &assertion, &[]).await.0, 200);
    refused(
        exchange(&app, &client, &assertion, &[]).await,
        "invalid_grant",
        "used before",
    );
    // A fresh assertion with the same jti by the same issuer is a replay too …
    let again = EC_1.sign(&with(
        claims.clone(),
        json!({"iat": claims["iat"].as_i64().unwrap() - 1}),
    ));
    refused(
        exchange(&app, &client, &again, &[]).await,
        "invalid_grant",
        "used before",
    );
    // … but a jti is unique per issuer (RFC 7519 §4.1.7): another issuer may use it.
    let other = with(claims, json!({"iss": "https://other-idp.example"}));
    assert_eq!(
        exchange(&app, &client, &EC_2.sign(&other), &[]).await.0,
        200
    );
}

async fn scopes_are_limited_by_the_trust_and_the_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(
        &app,
        ISSUER,
        Some("alice"),
        &EC_1,
        &["read", "write", "delete"],
    )
    .await;
    let sign = || EC_1.sign(&grant_claims(&app, ISSUER, "alice"));
    // "admin" is the client's, not the trust's; "delete" the trust's, not the client's.
    refused(
        exchange(&app, &client, &sign(), &[("scope", "read admin")]).await,
        "invalid_scope",
        "admin",
    );
    refused(
        exchange(&app, &client, &sign(), &[("scope", "delete")]).await,
        "invalid_scope",
        "delete",
    );
    refused(
        exchange(
            &app,
            &client,
            &sign(),
            &[("audience", "https://evil.example")],
        )
        .await,
        "invalid_request",
        "audience",
    );
    let (status, body) = exchange(&app, &client, &sign(), &[("scope", "write read")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "write read");
}

async fn trust_expiry_and_deletion_end_the_grant(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    let id = trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    trust(&app, ISSUER, Some("bob"), &EC_2, &["read"]).await;
    assert_eq!(
        exchange(
            &app,
            &client,
            &EC_1.sign(&grant_claims(&app, ISSUER, "alice")),
            &[]
        )
        .await
        .0,
        200
    );
    app.admin
        .delete_trusted_o_auth2_jwt_grant_issuer()
        .id(&id)
        .send()
        .await
        .expect("delete");
    refused(
        exchange(
            &app,
            &client,
            &EC_1.sign(&grant_claims(&app, ISSUER, "alice")),
            &[],
        )
        .await,
        "invalid_grant",
        "No unexpired key",
    );
    // The relationships last an hour (support::assertion::trust).
    clock.advance(Duration::minutes(61));
    refused(
        exchange(
            &app,
            &client,
            &EC_2.sign(&grant_claims(&app, ISSUER, "bob")),
            &[],
        )
        .await,
        "invalid_grant",
        "No unexpired key",
    );
}

async fn client_authentication_and_registration_are_required(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    let other = client(&app, "cc", json!(["client_credentials"])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let sign = || EC_1.sign(&grant_claims(&app, ISSUER, "alice"));
    let (status, body) = exchange(&app, &other, &sign(), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    let wrong = Registered {
        id: registered.id.clone(),
        secret: Some("not-the-secret".to_owned()),
    };
    let (status, body) = exchange(&app, &wrong, &sign(), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    // Without any client authentication or client_id: no client.
    let assertion = sign();
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            None,
            &[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
}

async fn iat_and_jti_are_optional_only_when_configured(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|config| {
            config.oauth2.grant.jwt.iat_optional = true;
            config.oauth2.grant.jwt.jti_optional = true;
            config.oauth2.grant.jwt.max_ttl = portunus_server::duration::GoDuration::from_secs(600);
        })
        .build()
        .await;
    let client = client(&app, "jb", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let bare = with(
        grant_claims(&app, ISSUER, "alice"),
        json!({"iat": null, "jti": null}),
    );
    let (status, body) = exchange(&app, &client, &EC_1.sign(&bare), &[]).await;
    assert_eq!(status, 200, "{body}");
    // Without iat, max_ttl counts from now.
    let now = app.state.clock.now().timestamp();
    let long = with(bare, json!({"exp": now + 11 * 60}));
    refused(
        exchange(&app, &client, &EC_1.sign(&long), &[]).await,
        "invalid_grant",
        "max_ttl",
    );
}

/// `openid` is a scope like any other here: granted within the trust's scopes, UserInfo
/// answers for the assertion's subject, but no ID token is made, since this server did
/// not authenticate the end-user (OIDC Core §2; as Hydra, docs/hydra-differences.md).
async fn openid_is_granted_without_an_id_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, "jb-oidc", json!([JWT_BEARER_GRANT])).await;
    trust(&app, ISSUER, Some("alice"), &EC_1, &["openid", "read"]).await;
    let assertion = EC_1.sign(&grant_claims(&app, ISSUER, "alice"));
    let (status, body) = exchange(&app, &client, &assertion, &[("scope", "openid read")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid read", "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");

    let userinfo = app
        .http
        .get(app.public_path("/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 200);
    let claims: Value = userinfo.json().await.unwrap();
    assert_eq!(claims["sub"], "alice", "{claims}");
}
