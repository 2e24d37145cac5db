//! OIDC Core §3.1.2.1 `id_token_hint`, `acr_values` and §5.5 `claims` in the
//! authorization request: a hint is verified (signature with the ID-token keys, issuer;
//! expired hints are accepted), its claims reach the login app in
//! `oidc_context.id_token_hint_claims`; a session of another End-User is not reused
//! (`login_required` with `prompt=none`, else `skip=false`); an invalid hint is
//! `invalid_request`. `acr_values` and the `claims` object reach `oidc_context`; a
//! malformed `claims` is `invalid_request`.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge,
    create_client, login_challenge, to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_matching_hint_proceeds,
    a_hint_for_another_user_needs_a_login,
    invalid_hints_are_invalid_requests,
    expired_hints_are_accepted,
    acr_values_and_claims_reach_the_login_app,
);

/// Logs `subject` in with `remember` in `browser` and returns the ID token.
async fn id_token_for(
    app: &TestApp,
    browser: &Browser,
    client: &FlowClient,
    subject: &str,
    remember: bool,
) -> String {
    let url = authorize_url(app, &client.id, &[("scope", "openid"), ("nonce", "n1")]);
    let challenge = login_challenge(browser, &url).await;
    let redirect = accept_login(app, &challenge, subject, remember).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    let location = to_client(browser, &redirect).await;
    let code = param(&location, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, body) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{body}");
    body["id_token"].as_str().unwrap().to_owned()
}

/// The login request as the login app reads it (raw JSON).
async fn login_request(app: &TestApp, challenge: &str) -> Value {
    let response = app
        .http
        .get(app.admin_path("/admin/oauth2/auth/requests/login"))
        .query(&[("login_challenge", challenge)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn a_matching_hint_proceeds(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let hint = id_token_for(&app, &browser, &client, "ada", true).await;
    let params = [
        ("scope", "openid"),
        ("prompt", "none"),
        ("id_token_hint", hint.as_str()),
    ];
    let challenge = login_challenge(&browser, &authorize_url(&app, &client.id, &params)).await;
    let request = login_request(&app, &challenge).await;
    assert_eq!(request["skip"], true, "{request}");
    assert_eq!(request["subject"], "ada");
    let claims = &request["oidc_context"]["id_token_hint_claims"];
    assert_eq!(claims["sub"], "ada", "{request}");
    assert_eq!(claims["aud"], json!([client.id]));
}

async fn a_hint_for_another_user_needs_a_login(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let bob_hint = id_token_for(&app, &Browser::new(), &client, "bob", false).await;
    let browser = Browser::new();
    id_token_for(&app, &browser, &client, "ada", true).await;

    let params = [
        ("scope", "openid"),
        ("prompt", "none"),
        ("state", "s1"),
        ("id_token_hint", bob_hint.as_str()),
    ];
    let page = browser.get(&authorize_url(&app, &client.id, &params)).await;
    let location = page.location.unwrap();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));

    let params = [("scope", "openid"), ("id_token_hint", bob_hint.as_str())];
    let challenge = login_challenge(&browser, &authorize_url(&app, &client.id, &params)).await;
    let request = login_request(&app, &challenge).await;
    assert_eq!(request["skip"], false, "ada's session is not bob's");
    assert_eq!(request["subject"], "");
    assert_eq!(
        request["oidc_context"]["id_token_hint_claims"]["sub"],
        "bob"
    );
}

async fn invalid_hints_are_invalid_requests(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let hint = id_token_for(&app, &Browser::new(), &client, "ada", false).await;
    let mut parts: Vec<String> = hint.split('.').map(str::to_owned).collect();
    let first = if parts[2].starts_with('A') { 'B' } else { 'A' };
    parts[2] = format!("{first}{}", &parts[2][1..]);
    let tampered = parts.join(".");
    let unsigned = crate::support::assertion::unsecured(&json!({
        "iss": app.state.config.issuer(), "sub": "ada", "aud": [client.id]
    }));
    for bad in ["not-a-jwt", tampered.as_str(), unsigned.as_str()] {
        let params = [("scope", "openid"), ("id_token_hint", bad)];
        let page = Browser::new()
            .get(&authorize_url(&app, &client.id, &params))
            .await;
        let location = page.location.unwrap();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{bad}: {location}"
        );
    }
}

async fn expired_hints_are_accepted(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = create_client(&app, json!({})).await;
    let hint = id_token_for(&app, &Browser::new(), &client, "ada", false).await;
    clock.advance(chrono::Duration::days(2));
    let params = [("scope", "openid"), ("id_token_hint", hint.as_str())];
    let challenge =
        login_challenge(&Browser::new(), &authorize_url(&app, &client.id, &params)).await;
    let request = login_request(&app, &challenge).await;
    assert_eq!(
        request["oidc_context"]["id_token_hint_claims"]["sub"],
        "ada"
    );
}

async fn acr_values_and_claims_reach_the_login_app(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let claims = json!({"id_token": {"email": {"essential": true}}, "userinfo": {"name": null}});
    let claims_text = claims.to_string();
    let params = [
        ("scope", "openid"),
        ("acr_values", "urn:mace:incommon:iap:silver urn:acr:mfa"),
        ("claims", claims_text.as_str()),
    ];
    let challenge =
        login_challenge(&Browser::new(), &authorize_url(&app, &client.id, &params)).await;
    let context = &login_request(&app, &challenge).await["oidc_context"];
    assert_eq!(
        context["acr_values"],
        json!(["urn:mace:incommon:iap:silver", "urn:acr:mfa"])
    );
    assert_eq!(context["claims"], claims);

    for bad in ["{", "[\"email\"]", "\"email\""] {
        let params = [("scope", "openid"), ("claims", bad)];
        let page = Browser::new()
            .get(&authorize_url(&app, &client.id, &params))
            .await;
        let location = page.location.unwrap();
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{bad}: {location}"
        );
    }
}
