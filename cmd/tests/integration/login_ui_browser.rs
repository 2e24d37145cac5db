//! The built-in login UI (issue 22 "Tests in a real browser", docs/login-ui.md) in
//! headless Chromium: Debian's `chromium` driven over WebDriver through Debian's
//! `chromedriver`, which each test starts on a free loopback port. What the HTTP-level
//! tests (login_ui_flow.rs) cannot see is checked here: the pages' forms, buttons and
//! labels work in a browser under the pages' own Content-Security-Policy (its
//! `form-action` covers the redirects after each post), and the cookies the pages set
//! are kept and sent back by a real cookie jar.
//!
//! Cases: sign in → consent lists the scopes → allow → the client's callback gets
//! `code` and `state`, and the code buys an ID token with the user record's email; a
//! wrong password shows the one generic message; deny → `error=access_denied`; a
//! remembered login skips the form; the logout confirmation → the post-logout redirect.
//!
//! Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver binary (`.ci/run` sets
//! `/usr/bin/chromedriver`; `support/chromium.rs` starts it); the default nextest
//! profile leaves these tests out. When it is set, a browser that cannot start is a
//! failure, never a skip. With
//! `PORTUNUS_TEST_SCREENSHOTS=<dir>` each page is also saved there as a PNG (the ones
//! in docs/screenshots/ were taken so).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::browser::param;
use crate::support::chromium::Browser;
use crate::support::device::{authorize_device, device_client, poll};
use crate::support::flow::{FlowClient, create_client};
use crate::support::login_ui::{PASSWORD, USERNAME, app_with_ui, create_user};
use crate::support::oidc::jwt_claims;
use crate::support::test_db::TestBackend;

/// The client's redirect target: a tiny HTTP server on a loopback port that answers
/// every request with a small page and records the request targets it saw.
struct Callback {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Callback {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream, &record);
            }
        });
        Self { base, seen }
    }

    fn redirect_uri(&self) -> String {
        format!("{}/callback", self.base)
    }

    fn post_logout_uri(&self) -> String {
        format!("{}/logged-out", self.base)
    }

    /// The request targets received under `path`.
    fn requests_to(&self, path: &str) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|t| t.starts_with(path))
            .cloned()
            .collect()
    }
}

fn answer(mut stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    if let Some(target) = head.split_whitespace().nth(1) {
        seen.lock().unwrap().push(target.to_owned());
    }
    let body = "<!doctype html><title>Example App</title><p>Back at the client.</p>";
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A test app with the login UI, the user [`USERNAME`], and a client redirecting to
/// `callback`.
async fn setup(callback: &Callback) -> (TestApp, FlowClient) {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(
        &app,
        json!({
            "client_name": "Example App",
            "redirect_uris": [callback.redirect_uri()],
            "post_logout_redirect_uris": [callback.post_logout_uri()],
        }),
    )
    .await;
    (app, client)
}

fn authorize_url(
    app: &TestApp,
    client: &FlowClient,
    callback: &Callback,
    params: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &callback.redirect_uri())
        .extend_pairs(params);
    url.into()
}

/// Fills and submits the sign-in form the browser shows.
async fn sign_in(browser: &Browser, password: &str, remember: bool) {
    browser.type_into("#username", USERNAME).await;
    browser.type_into("#password", password).await;
    if remember {
        browser.click("#remember").await;
    }
    browser.click("button[value=sign_in]").await;
}

/// The `value`s of the consent page's scope checkboxes.
async fn scopes_listed(browser: &Browser) -> Vec<String> {
    browser.find("input[name=grant_scope]").await;
    let mut scopes = Vec::new();
    for input in browser
        .client
        .find_all(Locator::Css("input[name=grant_scope]"))
        .await
        .unwrap()
    {
        scopes.push(input.attr("value").await.unwrap().unwrap_or_default());
    }
    scopes
}

/// Signs in with "remember me" and allows `openid`: the browser ends at the callback.
async fn remembered_sign_in(
    app: &TestApp,
    browser: &Browser,
    client: &FlowClient,
    callback: &Callback,
) -> String {
    browser
        .goto(&authorize_url(
            app,
            client,
            callback,
            &[("scope", "openid")],
        ))
        .await;
    browser.wait_for_url(&app.public_path("/ui/login?")).await;
    sign_in(browser, PASSWORD, true).await;
    browser.wait_for_url(&app.public_path("/ui/consent?")).await;
    browser.click("button[value=accept]").await;
    browser.wait_for_url(&callback.redirect_uri()).await
}

/// Exchanges `code` over HTTP and returns the token response.
async fn tokens_for(app: &TestApp, client: &FlowClient, callback: &Callback, code: &str) -> Value {
    let redirect_uri = callback.redirect_uri();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    let (status, tokens) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_consent_bring_a_code_to_the_client() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let callback = Callback::start();
    let (app, client) = setup(&callback).await;
    let authorize = authorize_url(
        &app,
        &client,
        &callback,
        &[
            ("scope", "openid profile email"),
            ("state", "s-browser-1"),
            ("nonce", "n-browser-1"),
        ],
    );

    browser.goto(&authorize).await;
    browser
        .wait_for_url(&app.public_path("/ui/login?login_challenge="))
        .await;
    assert_eq!(browser.text("h1").await, "Sign in");
    assert!(browser.text("main").await.contains("Example App"));
    browser.screenshot("sign-in").await;
    sign_in(&browser, PASSWORD, false).await;

    browser
        .wait_for_url(&app.public_path("/ui/consent?consent_challenge="))
        .await;
    assert_eq!(
        scopes_listed(&browser).await,
        ["openid", "profile", "email"]
    );
    let page = browser.text("main").await;
    for shown in ["Example App", "See your email address", "Signed in as ada"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    browser.screenshot("consent").await;
    browser.click("button[value=accept]").await;

    let landed = browser.wait_for_url(&callback.redirect_uri()).await;
    assert_eq!(param(&landed, "state").as_deref(), Some("s-browser-1"));
    let code = param(&landed, "code").unwrap_or_else(|| panic!("no code in {landed}"));
    assert_eq!(
        callback.requests_to("/callback").len(),
        1,
        "the callback server saw the redirect"
    );
    assert!(callback.requests_to("/callback")[0].contains(&format!("code={code}")));

    let tokens = tokens_for(&app, &client, &callback, &code).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "ada@example.com");
    assert_eq!(id_token["preferred_username"], USERNAME);
    assert_eq!(id_token["nonce"], "n-browser-1");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_shows_the_generic_message() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let callback = Callback::start();
    let (app, client) = setup(&callback).await;
    browser
        .goto(&authorize_url(
            &app,
            &client,
            &callback,
            &[("scope", "openid")],
        ))
        .await;
    browser.wait_for_url(&app.public_path("/ui/login?")).await;
    sign_in(&browser, "not the password", false).await;

    assert_eq!(
        browser.text("p.error[role=alert]").await,
        "The username or password is not right."
    );
    assert_eq!(
        browser.url().await,
        app.public_path("/ui/login"),
        "the form again, no redirect"
    );
    assert_eq!(
        browser
            .find("#username")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(USERNAME),
        "the username is kept"
    );
    assert_eq!(
        browser
            .find("#password")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the password is not echoed back"
    );
    browser.screenshot("sign-in-error").await;

    // Then the right password still works from the same form.
    browser.find("#username").await.clear().await.unwrap();
    sign_in(&browser, PASSWORD, false).await;
    browser.wait_for_url(&app.public_path("/ui/consent?")).await;

    // A challenge that does not exist: the error page, not a form.
    browser
        .goto(&app.public_path("/ui/login?login_challenge=forged"))
        .await;
    let heading = browser.text("h1").await;
    assert_eq!(heading, "This sign-in request is no longer valid");
    assert!(!browser.text("p[role=alert]").await.is_empty());
    assert!(
        browser.client.find(Locator::Css("form")).await.is_err(),
        "no form on the error page"
    );
    browser.screenshot("error").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_consent_sends_access_denied_to_the_client() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let callback = Callback::start();
    let (app, client) = setup(&callback).await;
    browser
        .goto(&authorize_url(
            &app,
            &client,
            &callback,
            &[("scope", "openid"), ("state", "s-deny")],
        ))
        .await;
    browser.wait_for_url(&app.public_path("/ui/login?")).await;
    sign_in(&browser, PASSWORD, false).await;
    browser.wait_for_url(&app.public_path("/ui/consent?")).await;
    browser.click("button[value=deny]").await;

    let landed = browser.wait_for_url(&callback.redirect_uri()).await;
    assert_eq!(param(&landed, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&landed, "state").as_deref(), Some("s-deny"));
    assert_eq!(param(&landed, "code"), None);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_login_skips_the_form_and_a_remembered_consent_the_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let callback = Callback::start();
    let (app, client) = setup(&callback).await;
    remembered_sign_in(&app, &browser, &client, &callback).await;

    browser
        .goto(&authorize_url(
            &app,
            &client,
            &callback,
            &[("scope", "openid")],
        ))
        .await;
    // Straight to the consent page (the consent was not remembered): no sign-in form.
    browser.wait_for_url(&app.public_path("/ui/consent?")).await;
    assert!(
        browser
            .client
            .find(Locator::Css("#password"))
            .await
            .is_err(),
        "no password field"
    );
    assert!(browser.text("main").await.contains("Signed in as ada"));

    // Now remember the decision too: the third authorization shows no page at all.
    browser.click("#remember").await;
    browser.click("button[value=accept]").await;
    browser.wait_for_url(&callback.redirect_uri()).await;
    browser
        .goto(&authorize_url(
            &app,
            &client,
            &callback,
            &[("scope", "openid"), ("state", "s-remembered")],
        ))
        .await;
    let landed = browser.wait_for_url(&callback.redirect_uri()).await;
    assert_eq!(param(&landed, "state").as_deref(), Some("s-remembered"));
    assert!(param(&landed, "code").is_some(), "{landed}");
    assert_eq!(callback.requests_to("/callback").len(), 3);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_logout_returns_to_the_client_signed_out() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let callback = Callback::start();
    let (app, client) = setup(&callback).await;
    let landed = remembered_sign_in(&app, &browser, &client, &callback).await;
    let code = param(&landed, "code").unwrap();
    let tokens = tokens_for(&app, &client, &callback, &code).await;

    let mut logout = url::Url::parse(&app.public_path("/oauth2/sessions/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", &callback.post_logout_uri())
        .append_pair("state", "s-logout");
    browser.goto(logout.as_str()).await;
    browser
        .wait_for_url(&app.public_path("/ui/logout?logout_challenge="))
        .await;
    assert_eq!(browser.text("h1").await, "Sign out?");
    browser.screenshot("logout").await;
    browser.click("button[value=accept]").await;

    let out = browser.wait_for_url(&callback.post_logout_uri()).await;
    assert_eq!(param(&out, "state").as_deref(), Some("s-logout"));
    assert_eq!(callback.requests_to("/logged-out").len(), 1);

    // The session is gone: the next authorization shows the sign-in form again.
    browser
        .goto(&authorize_url(
            &app,
            &client,
            &callback,
            &[("scope", "openid")],
        ))
        .await;
    browser.wait_for_url(&app.public_path("/ui/login?")).await;
    browser.find("#password").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_connected_from_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = app_with_ui(TestBackend::Sqlite, |c| {
        let base = c.public_url();
        c.urls.device.verification = Some(format!("{base}/ui/device"));
        c.urls.device.success = Some(format!("{base}/ui/device/done"));
    })
    .await;
    create_user(&app).await;
    let client = device_client(&app).await;
    let (status, device) = authorize_device(&app, &client.id, "openid").await;
    assert_eq!(status, 200, "{device}");
    let user_code = device["user_code"].as_str().unwrap();

    browser
        .goto(device["verification_uri_complete"].as_str().unwrap())
        .await;
    browser
        .wait_for_url(&app.public_path("/ui/device?device_challenge="))
        .await;
    assert_eq!(browser.text("h1").await, "Connect a device");
    assert_eq!(
        browser
            .find("#user_code")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(user_code),
        "the code of verification_uri_complete is filled in"
    );
    browser.screenshot("device").await;
    browser.click("button[type=submit]").await;

    browser.wait_for_url(&app.public_path("/ui/login?")).await;
    sign_in(&browser, PASSWORD, false).await;
    browser.wait_for_url(&app.public_path("/ui/consent?")).await;
    browser.click("button[value=accept]").await;
    browser
        .wait_for_url(&app.public_path("/ui/device/done"))
        .await;
    assert!(
        browser
            .text("main")
            .await
            .contains("Your device is connected")
    );

    let (status, tokens) = poll(&app, &client.id, device["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
    browser.close().await;
}

/// Issue 22 §3 in the browser: the dev welcome page's "Try a login" link → sign in as
/// the demo user → allow → the demo callback page shows the ID token's claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_a_login_from_the_welcome_page_shows_the_claims() {
    use portunus_server::login_ui::demo::seed::demo_client;
    use portunus_server::users::seed::{DEMO_USERNAME, demo_user};
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = app_with_ui(TestBackend::Sqlite, |c| c.dev = true).await;
    assert!(demo_client(&app.state).await.unwrap());
    let demo = demo_user(app.state.users.as_ref(), app.state.clock.as_ref())
        .await
        .unwrap()
        .unwrap();
    browser.goto(&app.public_path("/")).await;
    browser.click("#try-login").await;
    browser.wait_for_url(&app.public_path("/ui/login")).await;
    browser.type_into("#username", DEMO_USERNAME).await;
    browser.type_into("#password", &demo.password).await;
    browser.click("button[value=sign_in]").await;
    browser.wait_for_url(&app.public_path("/ui/consent")).await;
    browser.click("button[value=accept]").await;
    browser
        .wait_for_url(&app.public_path("/ui/demo/callback"))
        .await;
    let page = browser.text("body").await;
    assert!(page.contains(&demo.id), "the demo user's id as sub: {page}");
    assert!(page.contains("demo@example.com"), "{page}");
    browser.screenshot("try-a-login").await;
    browser.close().await;
}
