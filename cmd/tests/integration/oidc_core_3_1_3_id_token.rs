//! OIDC Core §3.1.3.3, §3.1.3.6, §3.1.3.7 and §12.2: the ID token of the code flow, as
//! the `openidconnect` crate verifies it — signature against `/.well-known/jwks.json`,
//! `iss`, `aud`, `exp`, `nonce`, `at_hash` — with the consent's claims merged in but
//! never over reserved ones, re-issued on refresh with the same `sub`, `auth_time` and
//! `sid`, and signed with the client's `id_token_signed_response_alg` when the key set
//! has a key of that algorithm.

use std::sync::Arc;

use chrono::TimeZone;
use openidconnect::AuthorizationCode;
use openidconnect::OAuth2TokenResponse;
use portunus_sdk::types::AcceptOAuth2ConsentRequest;
use portunus_server::clock::FixedClock;
use portunus_server::jwk::ID_TOKEN_SET;
use serde_json::{Value, json};

use crate::jwk_admin_api::create_body;
use crate::support::browser::{Browser, param};
use crate::support::code::obtain_code;
use crate::support::flow::{
    FlowClient, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::oidc::{Expect, jose_header};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_relying_party_verifies_the_id_token,
    consent_claims_never_replace_reserved_ones,
    no_id_token_without_openid,
    refreshed_id_tokens_keep_the_authentication,
    the_client_picks_the_signing_algorithm,
);

const NONCE: &str = "n-0S6_WzA2Mj";

/// Code then token response (raw JSON) for a flow granting `scopes`.
async fn token_json(app: &TestApp, client: &FlowClient, scopes: &[&str]) -> Value {
    let scope = scopes.join(" ");
    let params = [("scope", scope.as_str()), ("nonce", NONCE)];
    let code = obtain_code(app, client, &params, "ada", scopes).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::support::flow::REDIRECT_URI),
    ];
    let (status, body) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_relying_party_verifies_the_id_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let params = [("scope", "openid offline"), ("nonce", NONCE)];
    let code = obtain_code(&app, &client, &params, "ada", &["openid", "offline"]).await;
    let rp = app.rp_client(&client).await;
    let response = rp
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&app.oauth_http())
        .await
        .expect("token response with an ID token");
    let id_token = response.extra_fields().id_token().expect("id_token");
    let access_token = response.access_token().secret();
    let jwt = id_token.to_string();
    let expect = Expect {
        nonce: Some(NONCE),
        access_token: Some(access_token),
    };
    let claims = app.verify_id_token(&client.id, &jwt, expect).await;
    assert_eq!(claims.issuer().as_str(), app.state.config.issuer());
    assert_eq!(claims.subject().as_str(), "ada");
    let audiences: Vec<&str> = claims.audiences().iter().map(|a| a.as_str()).collect();
    assert_eq!(audiences, [client.id.as_str()]);
    assert_eq!(
        (claims.expiration() - claims.issue_time()).num_seconds(),
        3600
    );
    assert!(claims.auth_time().is_some());
    assert!(
        claims.additional_claims().sid.is_some(),
        "sid of the login session"
    );
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("ada@example.com"),
        "the consent's session.id_token"
    );
    let header = jose_header(&jwt);
    assert_eq!(header["alg"], "RS256", "the default (OIDC Registration §2)");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
}

/// The flow with the consent app's own `session.id_token` claims.
async fn code_with_claims(app: &TestApp, client: &FlowClient, claims: Value) -> String {
    let browser = Browser::new();
    let params = [("scope", "openid"), ("nonce", NONCE)];
    let challenge = login_challenge(&browser, &authorize_url(app, &client.id, &params)).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(json!({
        "grant_scope": ["openid"],
        "session": {"id_token": claims},
    }))
    .unwrap();
    let redirect = app
        .admin
        .accept_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let callback = to_client(&browser, &redirect).await;
    param(&callback, "code").unwrap()
}

async fn consent_claims_never_replace_reserved_ones(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let forged = json!({
        "iss": "https://evil.test/", "sub": "mallory", "aud": ["evil"], "nonce": "forged",
        "sid": "forged", "at_hash": "forged", "exp": 1, "iat": 1, "jti": "forged",
        "tier": "gold",
    });
    let code = code_with_claims(&app, &client, forged).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::support::flow::REDIRECT_URI),
    ];
    let (_, body) = app.token_request(&client, &form).await;
    let expect = Expect {
        nonce: Some(NONCE),
        access_token: body["access_token"].as_str(),
    };
    let id_token = body["id_token"].as_str().unwrap();
    let claims = app.verify_id_token(&client.id, id_token, expect).await;
    assert_eq!(claims.subject().as_str(), "ada");
    let extra = claims.additional_claims();
    assert_eq!(
        extra.tier.as_deref(),
        Some("gold"),
        "other claims are merged"
    );
    assert_ne!(extra.sid.as_deref(), Some("forged"));
    assert_ne!(extra.jti.as_deref(), Some("forged"));
}

async fn no_id_token_without_openid(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let body = token_json(&app, &client, &["offline", "profile"]).await;
    assert!(body.get("id_token").is_none(), "{body}");
    assert!(body["refresh_token"].is_string());
}

async fn refreshed_id_tokens_keep_the_authentication(backend: TestBackend) {
    let start = chrono::Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = create_client(&app, json!({})).await;
    let first = token_json(&app, &client, &["openid", "offline"]).await;
    let expect = Expect {
        nonce: Some(NONCE),
        access_token: first["access_token"].as_str(),
    };
    let original = app
        .verify_id_token(&client.id, first["id_token"].as_str().unwrap(), expect)
        .await;

    clock.advance(chrono::Duration::minutes(10));
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = app.refresh_raw(&client, refresh, None).await;
    assert_eq!(status, 200, "{second}");
    let expect = Expect {
        nonce: None,
        access_token: second["access_token"].as_str(),
    };
    let refreshed = app
        .verify_id_token(&client.id, second["id_token"].as_str().unwrap(), expect)
        .await;
    assert_eq!(refreshed.subject(), original.subject(), "OIDC Core §12.2");
    assert_eq!(refreshed.auth_time(), original.auth_time());
    assert_eq!(
        refreshed.additional_claims().sid,
        original.additional_claims().sid
    );
    assert_eq!(refreshed.audiences(), original.audiences());
    assert_eq!(
        (refreshed.issue_time() - original.issue_time()).num_seconds(),
        600,
        "iat is the time of the new token"
    );
    assert_eq!(refreshed.email(), original.email());

    let rotated = second["refresh_token"].as_str().unwrap();
    let (status, narrowed) = app.refresh_raw(&client, rotated, Some("offline")).await;
    assert_eq!(status, 200, "{narrowed}");
    assert!(
        narrowed.get("id_token").is_none(),
        "openid was narrowed away"
    );
}

async fn the_client_picks_the_signing_algorithm(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let es256 = create_client(&app, json!({"id_token_signed_response_alg": "ES256"})).await;
    let rs256 = create_client(&app, json!({"id_token_signed_response_alg": "RS256"})).await;
    let default = create_client(&app, json!({})).await;

    // Only an RS256 key yet: the ES256 client cannot get an ID token, and its code
    // stays usable.
    let code = obtain_code(&app, &es256, &[("scope", "openid")], "ada", &["openid"]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::support::flow::REDIRECT_URI),
    ];
    let (status, body) = app.token_request(&es256, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("ES256"),
        "{body}"
    );

    // Rotating to an ES256 key retires the RS256 one.
    app.admin
        .create_json_web_key_set()
        .set(ID_TOKEN_SET)
        .body(create_body("ES256", "es-1"))
        .send()
        .await
        .unwrap();
    let (status, body) = app.token_request(&es256, &form).await;
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(jose_header(id_token)["alg"], "ES256");
    assert_eq!(jose_header(id_token)["kid"], "es-1");
    let expect = Expect {
        nonce: None,
        access_token: body["access_token"].as_str(),
    };
    app.verify_id_token(&es256.id, id_token, expect).await;

    let body = token_json(&app, &default, &["openid"]).await;
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(
        jose_header(id_token)["alg"],
        "ES256",
        "no RS256 key left: the newest"
    );

    let code = obtain_code(&app, &rs256, &[("scope", "openid")], "ada", &["openid"]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::support::flow::REDIRECT_URI),
    ];
    let (status, body) = app.token_request(&rs256, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}
