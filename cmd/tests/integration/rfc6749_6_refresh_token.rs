//! RFC 6749 §6 (refresh), §10.4 and RFC 9700 §4.14.2 (rotation, reuse detection),
//! through the `oauth2` crate: every refresh rotates the refresh token, a rotated one
//! presented again revokes the whole grant, `scope` narrows but never widens, the
//! rotation grace period lets a used token work a little longer, and concurrent uses
//! of one token give exactly one success and no server error.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use oauth2::basic::{BasicErrorResponseType, BasicTokenResponse};
use oauth2::{RefreshToken, RequestTokenError, Scope, TokenResponse};
use portunus_server::clock::FixedClock;
use portunus_server::duration::GoDuration;
use serde_json::json;

use crate::support::code::obtain_code;
use crate::support::flow::{FlowClient, create_client};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    every_refresh_rotates,
    reusing_a_rotated_token_revokes_the_grant,
    scope_narrows_but_never_widens,
    grace_period_lets_a_used_token_work_briefly,
    concurrent_refreshes_have_one_winner,
    expired_and_foreign_refresh_tokens_are_invalid_grant,
    lifespans_come_from_the_client,
);

/// Tokens of a code flow granting `scopes` (with `offline`, so a refresh token).
async fn tokens(app: &TestApp, client: &FlowClient, scopes: &[&str]) -> BasicTokenResponse {
    let scope = scopes.join(" ");
    let code = obtain_code(app, client, &[("scope", scope.as_str())], "ada", scopes).await;
    app.exchange_code(client, &code, None).await.unwrap()
}

async fn refresh(
    app: &TestApp,
    client: &FlowClient,
    token: &str,
    scopes: &[&str],
) -> Result<BasicTokenResponse, BasicErrorResponseType> {
    let oauth = app.code_client(client);
    let refresh = RefreshToken::new(token.to_owned());
    let mut request = oauth.exchange_refresh_token(&refresh);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    match request.request_async(&app.oauth_http()).await {
        Ok(token) => Ok(token),
        Err(RequestTokenError::ServerResponse(err)) => Err(err.error().clone()),
        Err(other) => panic!("refresh failed: {other:?}"),
    }
}

fn refresh_of(token: &BasicTokenResponse) -> String {
    token
        .refresh_token()
        .expect("a refresh token")
        .secret()
        .clone()
}

async fn active(app: &TestApp, token: &str) -> bool {
    app.introspect(token, None).await.active
}

async fn every_refresh_rotates(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let first = tokens(&app, &client, &["offline", "profile"]).await;
    let second = refresh(&app, &client, &refresh_of(&first), &[])
        .await
        .unwrap();
    assert_ne!(
        second.access_token().secret(),
        first.access_token().secret()
    );
    assert_ne!(refresh_of(&second), refresh_of(&first));
    let scopes: Vec<&str> = second
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(scopes, ["offline", "profile"]);
    assert!(!active(&app, &refresh_of(&first)).await, "used up");
    assert!(
        !active(&app, first.access_token().secret()).await,
        "the refreshed grant's earlier access token is revoked, as in Hydra"
    );
    assert!(active(&app, second.access_token().secret()).await);
    assert!(active(&app, &refresh_of(&second)).await);
    let introspected = app.introspect(second.access_token().secret(), None).await;
    assert_eq!(introspected.sub.as_deref(), Some("ada"));
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"team": "blue"}),
        "the session travels with the grant"
    );
    let third = refresh(&app, &client, &refresh_of(&second), &[]).await;
    assert!(third.is_ok(), "the new refresh token works");
}

async fn reusing_a_rotated_token_revokes_the_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let first = tokens(&app, &client, &["offline"]).await;
    let second = refresh(&app, &client, &refresh_of(&first), &[])
        .await
        .unwrap();
    let err = refresh(&app, &client, &refresh_of(&first), &[])
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
    for token in [
        first.access_token().secret().clone(),
        second.access_token().secret().clone(),
        refresh_of(&second),
    ] {
        assert!(
            !active(&app, &token).await,
            "RFC 6749 §10.4: the grant is revoked"
        );
    }
    let err = refresh(&app, &client, &refresh_of(&second), &[])
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
}

async fn scope_narrows_but_never_widens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let first = tokens(&app, &client, &["openid", "offline", "profile"]).await;
    let narrowed = refresh(&app, &client, &refresh_of(&first), &["offline"])
        .await
        .unwrap();
    let access = app.introspect(narrowed.access_token().secret(), None).await;
    assert_eq!(access.scope.as_deref(), Some("offline"));
    let rotated = app.introspect(&refresh_of(&narrowed), None).await;
    assert_eq!(
        rotated.scope.as_deref(),
        Some("openid offline profile"),
        "RFC 6749 §6: the new refresh token keeps the original scope"
    );
    let err = refresh(&app, &client, &refresh_of(&narrowed), &["offline", "email"])
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidScope);
    let full = refresh(&app, &client, &refresh_of(&narrowed), &[])
        .await
        .unwrap();
    let scopes: Vec<&str> = full.scopes().unwrap().iter().map(|s| s.as_str()).collect();
    assert_eq!(
        scopes,
        ["openid", "offline", "profile"],
        "a refused widening uses nothing up"
    );
}

async fn grace_period_lets_a_used_token_work_briefly(backend: TestBackend) {
    let start = chrono::Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| c.oauth2.grant.refresh_token.rotation_grace_period = GoDuration::from_secs(30))
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let first = tokens(&app, &client, &["offline"]).await;
    let used = refresh_of(&first);
    let second = refresh(&app, &client, &used, &[]).await.unwrap();
    assert!(
        !active(&app, &used).await,
        "spent, as far as resource servers know"
    );
    clock.advance(chrono::Duration::seconds(30));
    let again = refresh(&app, &client, &used, &[]).await;
    let again = again.expect("inside the grace period");
    assert!(active(&app, again.access_token().secret()).await);
    clock.advance(chrono::Duration::seconds(1));
    let err = refresh(&app, &client, &used, &[]).await.unwrap_err();
    assert_eq!(
        err,
        BasicErrorResponseType::InvalidGrant,
        "after the grace period"
    );
    for token in [&second, &again] {
        assert!(
            !active(&app, token.access_token().secret()).await,
            "family revoked"
        );
        assert!(!active(&app, &refresh_of(token)).await);
    }
}

async fn concurrent_refreshes_have_one_winner(backend: TestBackend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let client = Arc::new(create_client(&app, json!({})).await);
    for round in 0..3 {
        let first = tokens(&app, &client, &["offline"]).await;
        let token = refresh_of(&first);
        let attempts = (0..4).map(|_| {
            let (app, client, token) = (app.clone(), client.clone(), token.clone());
            tokio::spawn(async move { app.refresh_raw(&client, &token, None).await })
        });
        let results: Vec<(u16, serde_json::Value)> = futures::future::join_all(attempts)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let wins = results.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        for (status, body) in &results {
            assert!(
                *status == 200 || (*status == 400 && body["error"] == "invalid_grant"),
                "round {round}: {status} {body}"
            );
        }
    }
}

async fn expired_and_foreign_refresh_tokens_are_invalid_grant(backend: TestBackend) {
    let start = chrono::Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = create_client(
        &app,
        json!({"authorization_code_grant_refresh_token_lifespan": "1h"}),
    )
    .await;
    let other = create_client(&app, json!({})).await;
    let first = tokens(&app, &client, &["offline"]).await;
    let err = refresh(&app, &other, &refresh_of(&first), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BasicErrorResponseType::InvalidGrant,
        "issued to another client"
    );
    for garbage in ["nonsense", first.access_token().secret().as_str()] {
        let err = refresh(&app, &client, garbage, &[]).await.unwrap_err();
        assert_eq!(err, BasicErrorResponseType::InvalidGrant, "{garbage}");
    }
    clock.advance(chrono::Duration::hours(1));
    let err = refresh(&app, &client, &refresh_of(&first), &[])
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant, "expired");
    let no_refresh_grant =
        create_client(&app, json!({"grant_types": ["authorization_code"]})).await;
    let (status, body) = app.refresh_raw(&no_refresh_grant, "whatever", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

async fn lifespans_come_from_the_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(
        &app,
        json!({
            "refresh_token_grant_access_token_lifespan": "5m",
            "refresh_token_grant_refresh_token_lifespan": "2h",
        }),
    )
    .await;
    let first = tokens(&app, &client, &["offline"]).await;
    assert_eq!(first.expires_in(), Some(Duration::from_secs(3600)));
    let second = refresh(&app, &client, &refresh_of(&first), &[])
        .await
        .unwrap();
    assert_eq!(second.expires_in(), Some(Duration::from_secs(300)));
    let rotated = app.introspect(&refresh_of(&second), None).await;
    assert_eq!(rotated.exp.unwrap() - rotated.iat.unwrap(), 7200);
}
