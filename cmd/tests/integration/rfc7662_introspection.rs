//! RFC 7662: introspection on the admin listener. Active tokens carry their metadata
//! (§2.2); every inactive one — unknown, malformed, forged, expired by the server's
//! clock, revoked, missing a required scope — is exactly `{"active":false}`. Tokens
//! signed under an old system secret stay valid while it is still configured.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use oauth2::{AuthType, Scope, TokenResponse};
use portunus_server::clock::FixedClock;
use portunus_server::oauth2::token_format;
use portunus_server::secrets::KeyRing;
use portunus_server::storage::TokenKind;
use serde_json::{Value, json};

use crate::support::test_app::TEST_SYSTEM_SECRET;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    active_tokens_carry_their_metadata,
    inactive_tokens_are_exactly_active_false,
    expiry_follows_the_server_clock,
    required_scopes_must_be_granted,
    old_secrets_still_verify_after_rotation,
);

async fn token_for(app: &TestApp, id: &str, scope: &str) -> String {
    let registered = app
        .register(json!({
            "client_id": id,
            "grant_types": ["client_credentials"],
            "scope": "read write foo.*",
            "audience": ["https://api.example.com"],
        }))
        .await;
    let client = app.token_client(&registered, AuthType::BasicAuth);
    let mut request = client.exchange_client_credentials();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        request = request.add_scope(Scope::new(s.into()));
    }
    request
        .add_extra_param("audience", "https://api.example.com")
        .request_async(&app.oauth_http())
        .await
        .expect("token")
        .access_token()
        .secret()
        .clone()
}

fn inactive() -> Value {
    json!({"active": false})
}

async fn active_tokens_carry_their_metadata(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = token_for(&app, "svc", "read write").await;
    let (status, body) = app.introspect_raw(&[("token", &token)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], "svc");
    assert_eq!(body["sub"], "svc");
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["aud"], json!(["https://api.example.com"]));
    assert_eq!(body["iss"], app.state.config.issuer());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["token_use"], "access_token");
    assert_eq!(body["iat"], body["nbf"]);
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        3600
    );

    let (_, refresh) = app.issue_family("svc", &["read"]).await;
    let introspected = app.introspect(&refresh, None).await;
    assert!(introspected.active);
    assert_eq!(introspected.token_use.as_deref(), Some("refresh_token"));
    assert_eq!(introspected.sub.as_deref(), Some("user-1"));
}

async fn inactive_tokens_are_exactly_active_false(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = token_for(&app, "svc", "read").await;
    let other_keys = KeyRing::new(&["some-other-system-secret-0001".to_owned()]);
    let forged = token_format::generate(&other_keys, TokenKind::AccessToken, app.state.clock.now())
        .unwrap()
        .value;
    let unknown = token_format::generate(
        &app.state.keys,
        TokenKind::AccessToken,
        app.state.clock.now(),
    )
    .unwrap()
    .value;
    let code = token_format::generate(
        &app.state.keys,
        TokenKind::AuthorizationCode,
        app.state.clock.now(),
    )
    .unwrap()
    .value;
    let mut tampered = token.clone();
    tampered.replace_range(8..9, if &token[8..9] == "A" { "B" } else { "A" });
    for garbage in [
        "",
        "x",
        "ptn_at_",
        &forged,
        &unknown,
        &code,
        &tampered,
        &format!("{token} "),
    ] {
        assert_eq!(
            app.introspect_raw(&[("token", garbage)]).await,
            (200, inactive()),
            "{garbage:?}"
        );
    }

    app.state
        .tokens
        .revoke_family(&family_of(&app, &token).await)
        .await
        .unwrap();
    assert_eq!(
        app.introspect_raw(&[("token", &token)]).await,
        (200, inactive())
    );

    let (status, body) = app.introspect_raw(&[("scope", "read")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

async fn family_of(app: &TestApp, token: &str) -> String {
    let verified = token_format::verify(&app.state.keys, token).unwrap();
    app.state
        .tokens
        .get_token(verified.kind, &verified.signature_hash)
        .await
        .unwrap()
        .unwrap()
        .family_id
}

async fn expiry_follows_the_server_clock(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let token = token_for(&app, "svc", "read").await;
    let introspected = app.introspect(&token, None).await;
    assert_eq!(
        introspected.iat,
        Some(
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
                .unwrap()
                .timestamp()
        )
    );
    clock.advance(Duration::seconds(3599));
    assert!(app.introspect(&token, None).await.active);
    clock.advance(Duration::seconds(1));
    assert_eq!(
        app.introspect_raw(&[("token", &token)]).await,
        (200, inactive())
    );
}

async fn required_scopes_must_be_granted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = token_for(&app, "svc", "read foo.*").await;
    for (required, active) in [
        ("read", true),
        ("read foo.bar", true),
        ("foo.bar.baz", true),
        ("write", false),
        ("read write", false),
        ("foo", false),
    ] {
        let introspected = app.introspect(&token, Some(required)).await;
        assert_eq!(introspected.active, active, "{required}");
    }
    let (_, body) = app
        .introspect_raw(&[("token", &token), ("scope", "write")])
        .await;
    assert_eq!(body, inactive());
}

/// A token signed under the old secret introspects on a server whose `secrets.system`
/// is `[new, old]`, and not on one that dropped the old secret.
async fn old_secrets_still_verify_after_rotation(backend: TestBackend) {
    let old = TestApp::spawn(backend).await;
    let token = token_for(&old, "svc", "read").await;
    let rotated = TestApp::builder(backend)
        .database(old.db.shared())
        .config(|c| {
            c.secrets.system = vec![
                "portunus-test-system-secret-0002".into(),
                TEST_SYSTEM_SECRET.into(),
            ];
        })
        .build()
        .await;
    let introspected = rotated.introspect(&token, None).await;
    assert!(introspected.active);
    assert_eq!(introspected.client_id.as_deref(), Some("svc"));
    let fresh = token_for(&rotated, "svc2", "read").await;
    assert!(rotated.introspect(&fresh, None).await.active);
    assert_eq!(
        old.introspect_raw(&[("token", &fresh)]).await,
        (200, inactive())
    );

    let dropped = TestApp::builder(backend)
        .database(old.db.shared())
        .config(|c| c.secrets.system = vec!["portunus-test-system-secret-0002".into()])
        .build()
        .await;
    assert_eq!(
        dropped.introspect_raw(&[("token", &token)]).await,
        (200, inactive())
    );
    assert!(dropped.introspect(&fresh, None).await.active);
}
