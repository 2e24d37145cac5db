//! Walking Hydra's login/consent flow by hand: the test plays browser (with `Browser`)
//! and the operator's login/consent app (through our SDK).

use portunus_sdk::types::{AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, OAuth2Client};
use serde_json::json;

use super::browser::{Browser, param};
use super::test_app::{CONSENT_APP_URL, LOGIN_APP_URL, TestApp};

pub const REDIRECT_URI: &str = "https://client.test/callback";

/// A client registered for the authorization-code flow.
pub struct FlowClient {
    pub id: String,
    #[allow(
        dead_code,
        reason = "used by the token endpoint tests of the code grant"
    )]
    pub secret: Option<String>,
}

/// Registers a confidential client for code + refresh, merged with `extra` fields.
pub async fn create_client(app: &TestApp, extra: serde_json::Value) -> FlowClient {
    let mut body = json!({
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid offline offline_access profile email",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let body: OAuth2Client = serde_json::from_value(body).unwrap();
    let created = app
        .admin
        .create_o_auth2_client()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    FlowClient {
        id: created.client_id.unwrap(),
        secret: created.client_secret,
    }
}

/// `/oauth2/auth?client_id=…&response_type=code&…` with `params` added.
pub fn authorize_url(app: &TestApp, client_id: &str, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT_URI);
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

/// Follows a 303 to the login app and returns the login challenge.
pub async fn login_challenge(browser: &Browser, url: &str) -> String {
    let page = browser.get(url).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(
        location.starts_with(LOGIN_APP_URL),
        "to the login app: {location}"
    );
    param(&location, "login_challenge").expect("login_challenge")
}

/// The login app's acceptance of `subject`.
pub fn login_body(subject: &str, remember: bool) -> AcceptOAuth2LoginRequest {
    serde_json::from_value(json!({"subject": subject, "remember": remember})).unwrap()
}

pub async fn accept_login(app: &TestApp, challenge: &str, subject: &str, remember: bool) -> String {
    let body = login_body(subject, remember);
    app.admin
        .accept_o_auth2_login_request()
        .login_challenge(challenge)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to
}

/// Follows the login verifier to the consent app and returns the consent challenge.
pub async fn consent_challenge(browser: &Browser, redirect_to: &str) -> String {
    let page = browser.get(redirect_to).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(
        location.starts_with(CONSENT_APP_URL),
        "to the consent app: {location}"
    );
    param(&location, "consent_challenge").expect("consent_challenge")
}

pub async fn accept_consent(
    app: &TestApp,
    challenge: &str,
    scopes: &[&str],
    remember: bool,
) -> String {
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(json!({
        "grant_scope": scopes,
        "remember": remember,
        "session": {"access_token": {"team": "blue"}, "id_token": {"email": "ada@example.com"}},
    }))
    .unwrap();
    app.admin
        .accept_o_auth2_consent_request()
        .consent_challenge(challenge)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to
}

/// Follows a verifier to its final redirect (to the client) and returns the Location.
pub async fn to_client(browser: &Browser, redirect_to: &str) -> String {
    let page = browser.get(redirect_to).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(
        location.starts_with(REDIRECT_URI),
        "back to the client: {location}"
    );
    location
}

/// The whole flow for `subject`, granting `scopes`: returns the client callback URL.
pub async fn run_code_flow(
    app: &TestApp,
    browser: &Browser,
    client_id: &str,
    params: &[(&str, &str)],
    subject: &str,
    scopes: &[&str],
) -> String {
    let challenge = login_challenge(browser, &authorize_url(app, client_id, params)).await;
    let redirect = accept_login(app, &challenge, subject, false).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, scopes, false).await;
    to_client(browser, &redirect).await
}
