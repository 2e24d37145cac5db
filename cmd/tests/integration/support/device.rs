//! The device flow (RFC 8628) from the outside: the device's requests (raw form posts,
//! for probing the wire), the browser's walk through the device app, login and consent
//! (the test plays the apps, through our SDK), and the configuration tests share.

use portunus_sdk::types::AcceptDeviceUserCodeRequest;
use serde_json::{Value, json};

use super::TestApp;
use super::browser::{Browser, param};
use super::flow::{FlowClient, accept_consent, accept_login, consent_challenge, create_client};

/// The operator's device app and the page after it: never contacted.
pub const DEVICE_APP_URL: &str = "https://device.test/verify";
pub const DEVICE_DONE_URL: &str = "https://device.test/done";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Device URLs and a 1 s polling interval (so the `oauth2` crate's polling is quick).
pub fn configure(config: &mut portunus_server::Config) {
    config.urls.device.verification = Some(DEVICE_APP_URL.to_owned());
    config.urls.device.success = Some(DEVICE_DONE_URL.to_owned());
    config.oauth2.device_authorization.token_polling_interval =
        portunus_server::duration::GoDuration::from_secs(1);
}

/// A public client registered for the device grant (and refresh tokens).
pub async fn device_client(app: &TestApp) -> FlowClient {
    create_client(
        app,
        json!({
            "grant_types": [DEVICE_GRANT, "refresh_token"],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "none",
        }),
    )
    .await
}

/// `POST /oauth2/device/auth` for a public client: status and JSON body.
pub async fn authorize_device(app: &TestApp, client_id: &str, scope: &str) -> (u16, Value) {
    let form = [("client_id", client_id), ("scope", scope)];
    let (status, headers, body) = app.post_form("/oauth2/device/auth", None, &form).await;
    if status == 200 {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

/// One poll of the token endpoint by a public client: status and JSON body.
pub async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    let form = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", device_code),
        ("client_id", client_id),
    ];
    let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
    (status, body)
}

/// The error code of a JSON error body.
pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

/// The browser opens `url` (the verification URI) and lands at the device app:
/// returns the device challenge.
pub async fn device_challenge(browser: &Browser, url: &str) -> String {
    let page = browser.get(url).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(
        location.starts_with(DEVICE_APP_URL),
        "to the device app: {location}"
    );
    param(&location, "device_challenge").expect("device_challenge")
}

/// The device app submits `user_code` for `challenge` through the SDK.
pub async fn accept_user_code(app: &TestApp, challenge: &str, user_code: &str) -> String {
    app.admin
        .accept_user_code_request()
        .device_challenge(challenge)
        .body(AcceptDeviceUserCodeRequest {
            user_code: Some(user_code.to_owned()),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("accept user code: {e}"))
        .into_inner()
        .redirect_to
}

/// The same, raw: status and JSON body (for error probes).
pub async fn accept_user_code_raw(app: &TestApp, challenge: &str, body: Value) -> (u16, Value) {
    let url = format!(
        "{}?device_challenge={}",
        app.admin_path("/admin/oauth2/auth/requests/device/accept"),
        url::form_urlencoded::byte_serialize(challenge.as_bytes()).collect::<String>()
    );
    let response = app.http.put(url).json(&body).send().await.expect("accept");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// From the device verifier's `redirect_to` through login (as `subject`) to the
/// consent challenge.
pub async fn to_consent(
    app: &TestApp,
    browser: &Browser,
    redirect_to: &str,
    subject: &str,
) -> String {
    let page = browser.get(redirect_to).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    let login =
        param(&location, "login_challenge").unwrap_or_else(|| panic!("to login: {location}"));
    let redirect = accept_login(app, &login, subject, false).await;
    consent_challenge(browser, &redirect).await
}

/// The whole browser side for `user_code`: device app, login, consent granting
/// `scopes`; returns where the browser ends.
pub async fn approve(
    app: &TestApp,
    browser: &Browser,
    verification_uri: &str,
    user_code: &str,
    scopes: &[&str],
) -> String {
    let challenge = device_challenge(browser, verification_uri).await;
    let redirect_to = accept_user_code(app, &challenge, user_code).await;
    let consent = to_consent(app, browser, &redirect_to, "ada").await;
    let redirect = accept_consent(app, &consent, scopes, false).await;
    let page = browser.get(&redirect).await;
    page.location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body))
}
