//! The admin dashboard (docs/dashboard.md) in headless Chromium, as
//! login_ui_browser.rs drives the login UI: sign in with `serve.admin.api_key`, create
//! a client with the form, read its secret off the page, see the client listed. What
//! the HTTP tests (admin_dashboard.rs) cannot see is checked here: the forms, labels and
//! buttons work in a browser under the pages' own Content-Security-Policy, and the
//! SameSite=Strict, path-scoped session cookie is kept and sent by a real cookie jar.
//!
//! Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver binary (left out of the
//! default nextest profile); with `PORTUNUS_TEST_SCREENSHOTS=$PWD/docs/screenshots` the pages
//! are saved as `dashboard-*.png`. The second test walks the other pages: a user
//! created and edited, the sessions its flow left revoked, an issuer trusted, and the
//! overview with the audit events all of that reported.

use chrono::Duration;
use oauth2::{AuthType, Scope, TokenResponse};
use serde_json::json;

use crate::support::TestApp;
use crate::support::assertion::EC_1;
use crate::support::chromium::Browser;
use crate::support::event_receiver::EventReceiver;
use crate::support::flow::{create_client, run_code_flow};
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

    // Signed in, the overview; on to the clients by the navigation.
    browser.wait_for_url(&app.admin_path("/admin/ui/")).await;
    assert_eq!(browser.text("h1").await, "Overview");
    browser
        .click("header nav a[href='/admin/ui/clients']")
        .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sessions_trusted_issuers_and_the_overview() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let receiver = EventReceiver::start();
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(receiver.configurer())
        .build()
        .await;

    // A user, created and then edited on its own page.
    browser.goto(&app.admin_path("/admin/ui/users")).await;
    browser.type_into("#username", "ada").await;
    browser.type_into("#email", "ada@example.com").await;
    browser.type_into("#name", "Ada Lovelace").await;
    browser
        .type_into("#password", "a password that is long enough")
        .await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/users?created"))
        .await;
    browser
        .click("main table a[href^='/admin/ui/users/']")
        .await;
    let user_url = browser
        .wait_for_url(&app.admin_path("/admin/ui/users/"))
        .await;
    let id = user_url
        .rsplit('/')
        .next()
        .expect("the user id in the URL")
        .to_owned();
    browser.click("#email_verified").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_url(&format!("{user_url}?saved")).await;
    browser.wait_for_text("main", "The user was saved.").await;
    let user = app
        .admin
        .get_user()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(serde_json::to_value(&user).unwrap()["email_verified"] == true);
    browser.screenshot("dashboard-user").await;

    // A flow for the user's subject leaves a consent; the dashboard revokes it.
    let client = create_client(&app, json!({"client_name": "Shop"})).await;
    let http = crate::support::browser::Browser::new();
    run_code_flow(
        &app,
        &http,
        &client.id,
        &[("scope", "openid")],
        &id,
        &["openid"],
    )
    .await;
    browser
        .click("a[href^='/admin/ui/sessions?subject=']")
        .await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/sessions?subject="))
        .await;
    let table = browser.text("main table").await;
    assert!(table.contains(&client.id), "{table}");
    assert!(table.contains("openid"), "{table}");
    browser.screenshot("dashboard-sessions").await;
    browser.click("main table form button[type=submit]").await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/sessions?"))
        .await;
    // The URL before the post already had this prefix: wait for the new page's text.
    browser.wait_for_text("main", "consent was revoked").await;
    let left = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(left.is_empty());

    // An issuer trusted with a pasted key.
    browser.goto(&app.admin_path("/admin/ui/trust")).await;
    let expires = (app.state.clock.now() + Duration::days(30))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    browser.type_into("#issuer", "https://idp.example").await;
    browser.click("#allow_any_subject").await;
    browser.type_into("#scope", "read write").await;
    browser.type_into("#jwk", &EC_1.jwk().to_string()).await;
    browser.type_into("#expires_at", &expires).await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_url(&app.admin_path("/admin/ui/trust?created"))
        .await;
    let table = browser.text("main table").await;
    assert!(table.contains("https://idp.example"), "{table}");
    assert!(table.contains("any subject"), "{table}");
    browser.screenshot("dashboard-trust").await;
    let trusts = app
        .admin
        .list_trusted_o_auth2_jwt_grant_issuers()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trusts.len(), 1);

    // The overview: counts, and the events of all of the above, newest first.
    browser.goto(&app.admin_path("/admin")).await;
    browser.wait_for_url(&app.admin_path("/admin/ui/")).await;
    assert_eq!(browser.text("h1").await, "Overview");
    let main = browser.text("main").await;
    for shown in [
        "trust.created",
        "consent.accepted",
        "client.created",
        "Tokens issued",
    ] {
        assert!(main.contains(shown), "{shown}: {main}");
    }
    browser.screenshot("dashboard-overview").await;
    browser.close().await;
}
