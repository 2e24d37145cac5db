//! The admin dashboard (docs/dashboard.md) in headless Chromium, as
//! login_ui_browser.rs drives the login UI: sign in with `serve.admin.api_key`, create
//! a client with the form, read its secret off the page, see the client listed. What
//! the HTTP tests (admin_dashboard.rs) cannot see is checked here: the forms, labels and
//! buttons work in a browser under the pages' own Content-Security-Policy, and the
//! SameSite=Strict, path-scoped session cookie is kept and sent by a real cookie jar.
//!
//! Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver binary (left out of the
//! default nextest profile); with `PORTUNUS_TEST_SCREENSHOTS=docs/screenshots` the pages
//! are saved as `dashboard-*.png`.

use oauth2::{AuthType, Scope, TokenResponse};

use crate::support::TestApp;
use crate::support::chromium::Browser;
use crate::support::oauth::Registered;
use crate::support::test_db::TestBackend;

const API_KEY: &str = "dashboard-browser-admin-api-key-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_create_a_client_and_see_it_listed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.serve.admin.api_key = Some(API_KEY.to_owned()))
        .build()
        .await;

    browser.goto(&app.admin_path("/admin")).await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/sign-in"))
        .await;
    assert_eq!(browser.text("h1").await, "Sign in");
    browser.screenshot("dashboard-sign-in").await;
    browser.type_into("#api_key", API_KEY).await;
    browser.click("main button[type=submit]").await;

    browser
        .wait_for_url(&app.admin_path("/admin/ui/clients"))
        .await;
    assert_eq!(browser.text("h1").await, "OAuth 2.0 clients");
    browser.click("a[href='/admin/ui/create-client']").await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/create-client"))
        .await;
    browser.type_into("#client_id", "browser-svc").await;
    browser.type_into("#client_name", "Browser Service").await;
    // The defaults are the code flow's; this client only uses client credentials.
    browser
        .click("input[name=grant_types][value=authorization_code]")
        .await;
    browser
        .click("input[name=grant_types][value=refresh_token]")
        .await;
    browser
        .click("input[name=grant_types][value=client_credentials]")
        .await;
    browser.type_into("#scope", "read").await;
    browser.screenshot("dashboard-create-client").await;
    browser.click("main form button[type=submit]").await;

    let secret_field = browser.find("#client_secret").await;
    let secret = secret_field
        .attr("value")
        .await
        .unwrap()
        .expect("the secret on the page");
    assert!(browser.text("main").await.contains("never again"));
    browser.screenshot("dashboard-client-created").await;

    browser.goto(&app.admin_path("/admin/ui/clients")).await;
    let listed = browser.text("main table").await;
    assert!(listed.contains("browser-svc"), "{listed}");
    assert!(listed.contains("Browser Service"), "{listed}");
    assert!(!browser.text("main").await.contains(&secret));
    browser.screenshot("dashboard-clients").await;

    let registered = Registered {
        id: "browser-svc".to_owned(),
        secret: Some(secret),
    };
    let token = app
        .token_client(&registered, AuthType::BasicAuth)
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .request_async(&app.oauth_http())
        .await
        .expect("the secret read off the page buys a token");
    assert!(!token.access_token().secret().is_empty());
    browser.close().await;
}
