//! The upstream sign-in ("Sign in with …", issue 22 §1, docs/login-ui.md) in headless
//! Chromium, against two upstreams:
//!
//! - a fake provider (a real HTTP server on a loopback port, `login_ui_upstream_hs.rs`,
//!   signing its ID token with HS256 and the client secret): the client's authorization
//!   request → the built-in sign-in page → a click on the provider's button → the fake
//!   provider's own page → *Continue* → back at Portunus, which verifies the ID token and
//!   links the identity → the consent page → *Allow* → the client's redirect URI with a
//!   code, whose ID token names the linked local user;
//! - a second Portunus (a real OpenID Connect provider, built as in
//!   `login_ui_upstream.rs`: on `localhost`, with its login UI, the local user `ada` and
//!   the relying Portunus registered as a client): the provider's button → the second
//!   Portunus's own sign-in page, where the browser types the username and password →
//!   its consent page → *Allow* → `/auth/callback/idp` at the relying Portunus → its
//!   consent page → *Allow* → the client's redirect URI; the code's ID token has the
//!   relying Portunus's own subject for the linked user, the `upstream:idp` ACR and the
//!   nonce.
//!
//! What the HTTP-level tests cannot see: the link on the page works in a browser, the
//! sealed `portunus_ui_upstream` cookie survives the round trip through another origin
//! (another site, for the second Portunus) in a real cookie jar, and every redirect
//! after a sign-in or consent form, including the second Portunus's redirect to the
//! relying Portunus, passes its `form-action` policy as Chromium enforces it.
//!
//! Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver binary; when it is set,
//! a browser that cannot start is a failure, never a skip. With
//! `PORTUNUS_TEST_SCREENSHOTS=<dir>` the sign-in page with the provider's button is
//! saved there as `login-ui-upstream.png`, and the second Portunus's consent page as
//! `login-ui-upstream-portunus.png`.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use portunus_server::config::FirstLogin;
use serde_json::json;

use crate::login_ui_upstream::{code_to_id_token, idp, idp_url, oidc_provider, register_rp, rp};
use crate::login_ui_upstream_hs::{FAKE_CLIENT_SECRET, FakeProvider, UPSTREAM_SUBJECT};
use crate::support::browser::param;
use crate::support::chromium::Browser;
use crate::support::flow::FlowClient;
use crate::support::flow::create_client;
use crate::support::login_ui::{PASSWORD, USERNAME};
use crate::support::{TestApp, TestBackend};

/// The sign-in page's link to the upstream provider `idp`.
const PROVIDER_BUTTON: &str = "a[href*=\"/auth/login/idp?login_challenge=\"]";

/// Registers the client app with `rp`, opens its authorization request (with `state` and
/// `nonce`) in the browser and waits at the built-in sign-in page for the provider's
/// button, checked by its label; returns the client, its redirect URI and its app.
async fn at_the_provider_button(
    browser: &Browser,
    rp: &TestApp,
    state: &str,
    nonce: &str,
) -> (FlowClient, String, actix_web::dev::ServerHandle) {
    let (redirect_uri, client_handle) = client_app();
    let client = create_client(
        rp,
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
        .append_pair("state", state)
        .append_pair("nonce", nonce);
    browser.goto(authorize.as_str()).await;
    browser
        .wait_for_url(&rp.public_path("/ui/login?login_challenge="))
        .await;
    assert_eq!(
        browser.text(PROVIDER_BUTTON).await,
        "Sign in with Upstream IdP"
    );
    (client, redirect_uri, client_handle)
}

/// Back at the relying Portunus after the upstream: its consent page shows the client
/// and `user` (the linked local user), *Allow* lands at the client's redirect URI with
/// `state` and a code, and the code buys tokens; the ID token's claims.
async fn consent_and_exchange(
    browser: &Browser,
    rp: &TestApp,
    client: &FlowClient,
    redirect_uri: &str,
    user: &str,
    state: &str,
) -> serde_json::Value {
    browser
        .wait_for_url(&rp.public_path("/ui/consent?consent_challenge="))
        .await;
    let page = browser.wait_for_text("main", "Signed in as").await;
    for shown in ["Example App", user] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    browser.click("button[value=accept]").await;

    let landed = browser.wait_for_url(redirect_uri).await;
    assert_eq!(param(&landed, "state").as_deref(), Some(state));
    let code = param(&landed, "code").unwrap_or_else(|| panic!("no code in {landed}"));
    code_to_id_token(rp, client, &code, redirect_uri).await
}

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
    let (client, redirect_uri, client_handle) =
        at_the_provider_button(&browser, &rp, "s-upstream-1", "n-upstream-1").await;
    browser.screenshot("login-ui-upstream").await;
    browser.click(PROVIDER_BUTTON).await;

    // The fake provider's own page, on its own origin.
    browser
        .wait_for_url(&format!("{}/authorize?", fake.base))
        .await;
    browser.wait_for_text("h1", "Fake IdP").await;
    browser.click("#approve").await;

    // Back through /auth/callback/idp: the ID token verified, the identity linked.
    let id_token = consent_and_exchange(
        &browser,
        &rp,
        &client,
        &redirect_uri,
        "idp.grace",
        "s-upstream-1",
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_button_signs_in_through_a_second_portunus_and_back() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let idp = idp().await;
    let rp = rp(TestBackend::Sqlite, oidc_provider(&idp, FirstLogin::Create)).await;
    register_rp(&idp, &rp, "idp").await;
    let idp_user = idp
        .state
        .users
        .get_user_by_username(USERNAME)
        .await
        .unwrap()
        .expect("the idp's local user");
    let (client, redirect_uri, client_handle) =
        at_the_provider_button(&browser, &rp, "s-upstream-2", "n-upstream-2").await;
    browser.click(PROVIDER_BUTTON).await;

    // The upstream Portunus's own sign-in page, on `localhost`: another site.
    browser
        .wait_for_url(&idp_url(&idp, "/ui/login?login_challenge="))
        .await;
    browser.type_into("#username", USERNAME).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[value=sign_in]").await;

    // Its consent page: the relying Portunus is an ordinary client there.
    browser
        .wait_for_url(&idp_url(&idp, "/ui/consent?consent_challenge="))
        .await;
    browser.wait_for_text("main", "Signed in as").await;
    browser.screenshot("login-ui-upstream-portunus").await;
    browser.click("button[value=accept]").await;

    // Back through /auth/callback/idp to the relying Portunus's consent page.
    let id_token = consent_and_exchange(
        &browser,
        &rp,
        &client,
        &redirect_uri,
        "idp.ada",
        "s-upstream-2",
    )
    .await;
    let link = rp
        .state
        .upstreams
        .identities
        .get_identity("idp", &idp_user.id)
        .await
        .unwrap()
        .expect("the idp's subject is linked");
    assert_eq!(id_token["sub"], link.user_id.as_str());
    assert_ne!(
        id_token["sub"],
        idp_user.id.as_str(),
        "the rp's own subject"
    );
    assert_eq!(id_token["email"], "ada@example.com");
    assert_eq!(id_token["nonce"], "n-upstream-2");
    assert_eq!(id_token["acr"], "upstream:idp");
    let local = rp
        .state
        .users
        .get_user(&link.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.username, "idp.ada");
    assert!(local.password_hash.is_none());

    browser.close().await;
    client_handle.stop(false).await;
}
