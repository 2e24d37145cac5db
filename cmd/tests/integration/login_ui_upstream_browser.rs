//! The upstream sign-in ("Sign in with …", issue 22 §1, docs/login-ui.md) in headless
//! Chromium: the client's authorization request → the built-in sign-in page → a click
//! on the provider's button → the fake provider's own page (a real HTTP server on a
//! loopback port, `login_ui_upstream_hs.rs`, signing its ID token with HS256 and the
//! client secret) → *Continue* → back at Portunus, which verifies the ID token and
//! links the identity → the consent page → *Allow* → the client's redirect URI with a
//! code, whose ID token names the linked local user.
//!
//! What the HTTP-level tests cannot see: the link on the page works in a browser, the
//! sealed `portunus_ui_upstream` cookie survives the round trip through another origin
//! in a real cookie jar, and every redirect after the consent form passes its
//! `form-action` policy as Chromium enforces it.
//!
//! Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver binary; when it is set,
//! a browser that cannot start is a failure, never a skip. With
//! `PORTUNUS_TEST_SCREENSHOTS=<dir>` the sign-in page with the provider's button is
//! saved there as `login-ui-upstream.png`.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

use crate::login_ui_upstream::{claims_of, rp};
use crate::login_ui_upstream_hs::{FAKE_CLIENT_SECRET, FakeProvider, UPSTREAM_SUBJECT};
use crate::support::TestBackend;
use crate::support::browser::param;
use crate::support::chromium::Browser;
use crate::support::flow::create_client;

/// The client's redirect target: a small page on a loopback port of its own.
fn client_app() -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let callback = format!("http://{}/callback", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().route(
            "/callback",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/html")
                    .body("<!doctype html><title>Example App</title><p>Back at the client.</p>")
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (callback, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_button_signs_in_through_the_upstream_and_back() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let fake = FakeProvider::start(FAKE_CLIENT_SECRET, true);
    let rp = rp(TestBackend::Sqlite, fake.provider(true)).await;
    let (redirect_uri, client_handle) = client_app();
    let client = create_client(
        &rp,
        json!({"client_name": "Example App", "redirect_uris": [redirect_uri]}),
    )
    .await;
    let mut authorize = url::Url::parse(&rp.public_path("/oauth2/auth")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "s-upstream-1")
        .append_pair("nonce", "n-upstream-1");

    browser.goto(authorize.as_str()).await;
    browser
        .wait_for_url(&rp.public_path("/ui/login?login_challenge="))
        .await;
    let button = "a[href*=\"/auth/login/idp?login_challenge=\"]";
    assert_eq!(browser.text(button).await, "Sign in with Upstream IdP");
    browser.screenshot("login-ui-upstream").await;
    browser.click(button).await;

    // The fake provider's own page, on its own origin.
    browser
        .wait_for_url(&format!("{}/authorize?", fake.base))
        .await;
    browser.wait_for_text("h1", "Fake IdP").await;
    browser.click("#approve").await;

    // Back through /auth/callback/idp: the ID token verified, the identity linked.
    browser
        .wait_for_url(&rp.public_path("/ui/consent?consent_challenge="))
        .await;
    let page = browser.wait_for_text("main", "Signed in as").await;
    for shown in ["Example App", "idp.grace"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    browser.click("button[value=accept]").await;

    let landed = browser.wait_for_url(&redirect_uri).await;
    assert_eq!(param(&landed, "state").as_deref(), Some("s-upstream-1"));
    let code = param(&landed, "code").unwrap_or_else(|| panic!("no code in {landed}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    let (status, tokens) = rp.token_request(&client, &form).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims_of(tokens["id_token"].as_str().unwrap());
    let link = rp
        .state
        .upstreams
        .identities
        .get_identity("idp", UPSTREAM_SUBJECT)
        .await
        .unwrap()
        .expect("the upstream subject is linked");
    assert_eq!(id_token["sub"], link.user_id.as_str());
    assert_eq!(id_token["email"], "grace@example.com");
    assert_eq!(id_token["nonce"], "n-upstream-1");
    assert_eq!(id_token["acr"], "upstream:idp");
    assert_eq!(fake.tokens_issued(), 1);

    browser.close().await;
    client_handle.stop(false).await;
    fake.stop().await;
}
