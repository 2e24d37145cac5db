//! Logout from the relying party's and the logout app's side: sign in with a
//! remembered session, send the browser to `/oauth2/sessions/logout`, accept the logout
//! challenge through our SDK.

use serde_json::Value;

use super::TestApp;
use super::browser::{Browser, param};
use super::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge,
    login_challenge, to_client,
};
use super::test_app::LOGOUT_APP_URL;

/// A post-logout redirect URI test clients register.
pub const POST_LOGOUT_URI: &str = "https://client.test/logged-out";

/// Runs the flow for `subject` with a remembered login (the browser keeps a session
/// cookie) and returns the token response (with `id_token`).
pub async fn sign_in(
    app: &TestApp,
    browser: &Browser,
    client: &FlowClient,
    subject: &str,
) -> Value {
    let url = authorize_url(
        app,
        &client.id,
        &[("scope", "openid"), ("nonce", "n-logout")],
    );
    let challenge = login_challenge(browser, &url).await;
    let redirect = accept_login(app, &challenge, subject, true).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    let code = param(&to_client(browser, &redirect).await, "code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, body) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The ID token of a token response.
pub fn id_token(tokens: &Value) -> String {
    tokens["id_token"].as_str().expect("id_token").to_owned()
}

/// The `sid` claim of an ID token (read without verification: the tests that need a
/// verified one verify it separately).
pub fn sid_of(id_token: &str) -> String {
    super::oidc::jwt_claims(id_token)["sid"]
        .as_str()
        .expect("sid")
        .to_owned()
}

/// `/oauth2/sessions/logout` with `params`.
pub fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/sessions/logout")).unwrap();
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

/// Follows the logout request to the logout app and returns the logout challenge.
pub async fn logout_challenge(browser: &Browser, url: &str) -> String {
    let page = browser.get(url).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(
        location.starts_with(LOGOUT_APP_URL),
        "to the logout app: {location}"
    );
    param(&location, "logout_challenge").expect("logout_challenge")
}

pub async fn accept_logout(app: &TestApp, challenge: &str) -> String {
    app.admin
        .accept_o_auth2_logout_request()
        .logout_challenge(challenge)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to
}

/// Whether the browser's next authorization request would skip the login UI.
pub async fn login_skipped(app: &TestApp, browser: &Browser, client_id: &str) -> bool {
    let url = authorize_url(app, client_id, &[("scope", "openid")]);
    let challenge = login_challenge(browser, &url).await;
    app.admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner()
        .skip
}
