//! RFC 6749 §4.1.3/§4.1.4: exchanging an authorization code at the token endpoint,
//! through the `oauth2` crate after the whole login/consent flow. The code is bound to
//! its client and redirect URI, expires, is used once — a second use revokes what the
//! first issued (§4.1.2) — and a refresh token comes only with `offline`.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use oauth2::TokenResponse;
use oauth2::basic::BasicErrorResponseType;
use portunus_server::clock::FixedClock;
use portunus_server::duration::GoDuration;
use serde_json::json;

use crate::support::code::{obtain_code, pkce_pair};
use crate::support::flow::{FlowClient, REDIRECT_URI, create_client};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_code_is_exchanged_for_tokens,
    no_refresh_token_without_offline_or_the_refresh_grant,
    lifespans_come_from_the_client,
    the_code_is_bound_to_its_client,
    redirect_uri_must_repeat_the_authorization_requests,
    expired_codes_are_refused,
    reusing_a_code_revokes_what_it_issued,
    concurrent_exchanges_have_one_winner,
    public_clients_exchange_with_pkce,
    malformed_unknown_and_missing_codes,
);

async fn a_code_is_exchanged_for_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let params = [("scope", "openid offline"), ("state", "s-1")];
    let code = obtain_code(&app, &client, &params, "ada", &["openid", "offline"]).await;
    let token = app.exchange_code(&client, &code, None).await.unwrap();
    assert!(token.access_token().secret().starts_with("ptn_at_"));
    assert!(
        token
            .refresh_token()
            .is_some_and(|t| t.secret().starts_with("ptn_rt_"))
    );
    assert_eq!(token.expires_in(), Some(Duration::from_secs(3600)));
    let scopes: Vec<&str> = token.scopes().unwrap().iter().map(|s| s.as_str()).collect();
    assert_eq!(scopes, ["openid", "offline"]);

    let access = app.introspect(token.access_token().secret(), None).await;
    assert!(access.active);
    assert_eq!(access.sub.as_deref(), Some("ada"));
    assert_eq!(access.client_id.as_deref(), Some(client.id.as_str()));
    assert_eq!(access.token_use.as_deref(), Some("access_token"));
    assert_eq!(
        serde_json::to_value(&access.ext).unwrap(),
        json!({"team": "blue"}),
        "the consent's session.access_token"
    );
    let refresh = token.refresh_token().unwrap().secret();
    let refresh = app.introspect(refresh, None).await;
    assert!(refresh.active);
    assert_eq!(refresh.token_use.as_deref(), Some("refresh_token"));
    assert_eq!(refresh.exp.unwrap() - refresh.iat.unwrap(), 720 * 3600);
}

async fn no_refresh_token_without_offline_or_the_refresh_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let params = [("scope", "openid offline")];
    let code = obtain_code(&app, &client, &params, "ada", &["openid"]).await;
    let token = app.exchange_code(&client, &code, None).await.unwrap();
    assert!(token.refresh_token().is_none(), "offline was not granted");

    let offline_access = [("scope", "offline_access")];
    let code = obtain_code(&app, &client, &offline_access, "ada", &["offline_access"]).await;
    let token = app.exchange_code(&client, &code, None).await.unwrap();
    assert!(token.refresh_token().is_some(), "offline_access counts too");

    let no_refresh_grant =
        create_client(&app, json!({"grant_types": ["authorization_code"]})).await;
    let code = obtain_code(&app, &no_refresh_grant, &params, "ada", &["offline"]).await;
    let token = app
        .exchange_code(&no_refresh_grant, &code, None)
        .await
        .unwrap();
    assert!(token.refresh_token().is_none(), "no refresh_token grant");
}

async fn lifespans_come_from_the_client(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.ttl.refresh_token = GoDuration::from_secs(7200))
        .build()
        .await;
    let client = create_client(
        &app,
        json!({"authorization_code_grant_access_token_lifespan": "30m"}),
    )
    .await;
    let code = obtain_code(&app, &client, &[("scope", "offline")], "ada", &["offline"]).await;
    let token = app.exchange_code(&client, &code, None).await.unwrap();
    assert_eq!(token.expires_in(), Some(Duration::from_secs(1800)));
    let refresh = app
        .introspect(token.refresh_token().unwrap().secret(), None)
        .await;
    assert_eq!(refresh.exp.unwrap() - refresh.iat.unwrap(), 7200);
}

async fn the_code_is_bound_to_its_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let other = create_client(&app, json!({})).await;
    let code = obtain_code(&app, &client, &[], "ada", &[]).await;
    let err = app.exchange_code(&other, &code, None).await.unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
    // A failed attempt by another client does not use the code up.
    assert!(app.exchange_code(&client, &code, None).await.is_ok());
}

async fn redirect_uri_must_repeat_the_authorization_requests(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(
        &app,
        json!({"redirect_uris": [REDIRECT_URI, "https://client.test/other"]}),
    )
    .await;
    let code = obtain_code(&app, &client, &[], "ada", &[]).await;
    let cases: [&[(&str, &str)]; 2] = [
        &[("grant_type", "authorization_code"), ("code", &code)],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://client.test/other"),
        ],
    ];
    for form in cases {
        let (status, body) = app.token_request(&client, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    assert!(app.exchange_code(&client, &code, None).await.is_ok());
}

async fn expired_codes_are_refused(backend: TestBackend) {
    let start = chrono::Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| c.ttl.auth_code = GoDuration::from_secs(60))
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let code = obtain_code(&app, &client, &[], "ada", &[]).await;
    clock.advance(chrono::Duration::seconds(60));
    let err = app.exchange_code(&client, &code, None).await.unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant, "expired at 60 s");
    let fresh = obtain_code(&app, &client, &[], "ada", &[]).await;
    clock.advance(chrono::Duration::seconds(59));
    assert!(app.exchange_code(&client, &fresh, None).await.is_ok());
}

async fn reusing_a_code_revokes_what_it_issued(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let code = obtain_code(&app, &client, &[("scope", "offline")], "ada", &["offline"]).await;
    let token = app.exchange_code(&client, &code, None).await.unwrap();
    let access = token.access_token().secret().clone();
    let refresh = token.refresh_token().unwrap().secret().clone();
    assert!(app.introspect(&access, None).await.active);

    let err = app.exchange_code(&client, &code, None).await.unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
    assert!(
        !app.introspect(&access, None).await.active,
        "RFC 6749 §4.1.2"
    );
    assert!(!app.introspect(&refresh, None).await.active);
    let (status, body) = app.refresh_raw(&client, &refresh, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

async fn concurrent_exchanges_have_one_winner(backend: TestBackend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let client = Arc::new(create_client(&app, json!({})).await);
    let code = obtain_code(&app, &client, &[("scope", "offline")], "ada", &["offline"]).await;
    let attempts = (0..4).map(|_| {
        let (app, client, code) = (app.clone(), client.clone(), code.clone());
        tokio::spawn(async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ];
            app.token_request(&client, &form).await
        })
    });
    let results: Vec<(u16, serde_json::Value)> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{results:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{results:?}"
    );
}

async fn public_clients_exchange_with_pkce(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let public = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    assert!(public.secret.is_none());
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("scope", "offline"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = obtain_code(&app, &public, &params, "ada", &["offline"]).await;
    let token = app
        .exchange_code(&public, &code, Some(&verifier))
        .await
        .unwrap();
    assert!(
        app.introspect(token.access_token().secret(), None)
            .await
            .active
    );
    assert!(token.refresh_token().is_some());
}

async fn malformed_unknown_and_missing_codes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client: FlowClient = create_client(&app, json!({})).await;
    let (access, _) = app.issue_family(&client.id, &[]).await;
    let forged = format!("ptn_ac_{}.{}", "A".repeat(43), "B".repeat(43));
    for code in ["nonsense", forged.as_str(), access.as_str()] {
        let err = app.exchange_code(&client, code, None).await.unwrap_err();
        assert_eq!(err, BasicErrorResponseType::InvalidGrant, "{code}");
    }
    let (status, body) = app
        .token_request(&client, &[("grant_type", "authorization_code")])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}
