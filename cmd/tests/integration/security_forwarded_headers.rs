//! No URL the server hands out comes from request headers (issue 12, item 1): the
//! `request_url` and `redirect_to` of login, consent and logout requests are under the
//! configured public URL whatever `Host`, `X-Forwarded-Host`, `X-Forwarded-Proto` or
//! `Forwarded` the user agent (or an attacker who sends the victim the link) sent.
//!
//! The attack this pins down: an attacker starts `/oauth2/auth` with
//! `X-Forwarded-Host: evil.example` and sends the login link to a victim; once the
//! victim logs in, the login app sends the victim's browser to the `redirect_to` the
//! admin API handed it, i.e. to `evil.example` with the login verifier, which the
//! attacker replays. With `X-Forwarded-Proto: javascript` the `redirect_to` became a
//! `javascript:` URL. It only shows when `urls.self.public` is unset, so these tests run
//! with only `urls.self.issuer` set, and with neither (dev mode defaults).

use portunus_sdk::types::RejectOAuth2Request;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge, create_client,
    login_challenge, to_client,
};
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, logout_challenge, logout_url, sign_in,
};
use crate::support::test_app::{LOGIN_APP_URL, LOGOUT_APP_URL, SelfUrls};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    authorization_urls_ignore_forged_headers_with_issuer_only,
    authorization_urls_ignore_forged_headers_with_dev_defaults,
    logout_urls_ignore_forged_headers_with_issuer_only,
    logout_urls_ignore_forged_headers_with_dev_defaults,
    a_foreign_request_url_is_never_handed_out,
);

/// Header sets an attacker controls: each alone, then all at once.
fn forgeries() -> Vec<Vec<(&'static str, &'static str)>> {
    let each = vec![
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "javascript"),
        (
            "forwarded",
            "for=203.0.113.7;host=evil.example;proto=javascript",
        ),
        ("x-forwarded-for", "203.0.113.7"),
    ];
    let mut sets: Vec<Vec<_>> = each.iter().map(|h| vec![*h]).collect();
    sets.push(each);
    sets
}

fn header_map(headers: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

fn forging_browser(headers: &[(&'static str, &'static str)]) -> Browser {
    let browser = Browser::new();
    browser.send_also(header_map(headers));
    browser
}

/// `url` is on this server's configured public URL: scheme, host and port.
fn assert_ours(app: &TestApp, url: &str, what: &str, forged: &[(&str, &str)]) {
    let base = format!("{}/", app.public_url);
    assert!(
        url.starts_with(&base),
        "{what} must be under {base} whatever the headers ({forged:?}): {url}"
    );
    let parsed = url::Url::parse(url).unwrap();
    assert_eq!(parsed.scheme(), "http", "{what}: {url}");
    assert_eq!(parsed.host_str(), Some("127.0.0.1"), "{what}: {url}");
}

async fn app_with(backend: TestBackend, self_urls: SelfUrls) -> TestApp {
    TestApp::builder(backend).self_urls(self_urls).build().await
}

async fn authorization_urls_ignore_forged_headers_with_issuer_only(backend: TestBackend) {
    let app = app_with(backend, SelfUrls::IssuerOnly).await;
    for forged in forgeries() {
        authorization_flow(&app, &forged).await;
    }
}

async fn authorization_urls_ignore_forged_headers_with_dev_defaults(backend: TestBackend) {
    let app = app_with(backend, SelfUrls::Neither).await;
    for forged in forgeries() {
        authorization_flow(&app, &forged).await;
    }
}

async fn logout_urls_ignore_forged_headers_with_issuer_only(backend: TestBackend) {
    let app = app_with(backend, SelfUrls::IssuerOnly).await;
    for forged in forgeries() {
        logout_flow(&app, &forged).await;
    }
}

async fn logout_urls_ignore_forged_headers_with_dev_defaults(backend: TestBackend) {
    let app = app_with(backend, SelfUrls::Neither).await;
    for forged in forgeries() {
        logout_flow(&app, &forged).await;
    }
}

/// GET and POST `/oauth2/auth`, login and consent accepted and rejected, every
/// verifier followed, all with the forged headers.
async fn authorization_flow(app: &TestApp, forged: &[(&'static str, &'static str)]) {
    let browser = forging_browser(forged);
    let client = create_client(app, json!({})).await;
    let params = [("scope", "openid"), ("state", "state-1"), ("nonce", "n-1")];

    // GET /oauth2/auth → login app → login accepted → consent app → consent accepted.
    let challenge = login_challenge(&browser, &authorize_url(app, &client.id, &params)).await;
    let login = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_ours(app, &login.request_url, "login request_url", forged);
    let redirect = accept_login(app, &challenge, "victim", false).await;
    assert_ours(app, &redirect, "login accept redirect_to", forged);
    assert!(param(&redirect, "login_verifier").is_some(), "{redirect}");
    let consent = consent_challenge(&browser, &redirect).await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    let consent_url = request.request_url.expect("consent request_url");
    assert_ours(app, &consent_url, "consent request_url", forged);
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    assert_ours(app, &redirect, "consent accept redirect_to", forged);
    let callback = to_client(&browser, &redirect).await;
    assert!(param(&callback, "code").is_some(), "{callback}");

    // POST /oauth2/auth (OIDC Core §3.1.2.1) → login rejected.
    let page = browser
        .post_form(
            &app.public_path("/oauth2/auth"),
            &[
                ("client_id", client.id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid"),
                ("state", "state-2"),
            ],
        )
        .await;
    let location = page.location.expect("redirect to the login app");
    assert!(location.starts_with(LOGIN_APP_URL), "{location}");
    let challenge = param(&location, "login_challenge").expect("login_challenge");
    let rejected = app
        .admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    assert_ours(app, &rejected, "login reject redirect_to", forged);
    let callback = to_client(&browser, &rejected).await;
    assert_eq!(
        param(&callback, "error").as_deref(),
        Some("access_denied"),
        "{callback}"
    );

    // GET again → login accepted → consent rejected.
    let challenge = login_challenge(&browser, &authorize_url(app, &client.id, &params)).await;
    let redirect = accept_login(app, &challenge, "victim", false).await;
    assert_ours(app, &redirect, "login accept redirect_to", forged);
    let consent = consent_challenge(&browser, &redirect).await;
    let rejected = app
        .admin
        .reject_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    assert_ours(app, &rejected, "consent reject redirect_to", forged);
    let callback = to_client(&browser, &rejected).await;
    assert_eq!(
        param(&callback, "error").as_deref(),
        Some("access_denied"),
        "{callback}"
    );
}

/// Logout started with GET and with POST, accepted, the verifier followed. The user
/// signs in with plain headers (the authorization flow has its own test), then the
/// logout requests carry the forged ones.
async fn logout_flow(app: &TestApp, forged: &[(&'static str, &'static str)]) {
    let browser = Browser::new();
    let client = create_client(app, json!({"post_logout_redirect_uris": [POST_LOGOUT_URI]})).await;

    let hint = id_token(&sign_in(app, &browser, &client, "victim").await);
    browser.send_also(header_map(forged));
    let url = logout_url(
        app,
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", "bye"),
        ],
    );
    let challenge = logout_challenge(&browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_logout_request()
        .logout_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    let request_url = request.request_url.expect("logout request_url");
    assert_ours(app, &request_url, "logout request_url", forged);
    let redirect = accept_logout(app, &challenge).await;
    assert_ours(app, &redirect, "logout accept redirect_to", forged);
    let page = browser.get(&redirect).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(location.starts_with(POST_LOGOUT_URI), "{location}");

    browser.send_also(HeaderMap::new());
    let hint = id_token(&sign_in(app, &browser, &client, "victim").await);
    browser.send_also(header_map(forged));
    let page = browser
        .post_form(
            &app.public_path("/oauth2/sessions/logout"),
            &[
                ("id_token_hint", hint.as_str()),
                ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ],
        )
        .await;
    let location = page.location.expect("redirect to the logout app");
    assert!(location.starts_with(LOGOUT_APP_URL), "{location}");
    let challenge = param(&location, "logout_challenge").expect("logout_challenge");
    let redirect = accept_logout(app, &challenge).await;
    assert_ours(app, &redirect, "logout accept redirect_to (POST)", forged);
    let page = browser.get(&redirect).await;
    let location = page.location.expect("on to the post-logout URI");
    assert!(location.starts_with(POST_LOGOUT_URI), "{location}");
}

/// Defence in depth: a flow whose request URL is not under this node's
/// `urls.self.public` (here: started on a node with another public URL) gets an error
/// from accept, never a `redirect_to` to the foreign URL.
async fn a_foreign_request_url_is_never_handed_out(backend: TestBackend) {
    let first = app_with(backend, SelfUrls::IssuerOnly).await;
    let second = TestApp::builder(backend)
        .same_database_as(&first)
        .config(|c| c.urls.self_.public = Some("https://auth.example.com/".into()))
        .build()
        .await;
    let browser = Browser::new();
    let client = create_client(&first, json!({})).await;
    let url = authorize_url(&first, &client.id, &[("scope", "openid")]);
    let challenge = login_challenge(&browser, &url).await;
    let body = crate::support::flow::login_body("victim", false);
    let err = second
        .admin
        .accept_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(body)
        .send()
        .await
        .expect_err("a foreign request URL is refused");
    let portunus_sdk::Error::ErrorResponse(response) = err else {
        panic!("expected an error response, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(response.into_inner().error, "server_error");
    // The node it started on still completes it.
    let redirect = accept_login(&first, &challenge, "victim", false).await;
    assert_ours(&first, &redirect, "login accept redirect_to", &[]);
}
