//! Dev mode's "Try a login" (issue 22 §3): the welcome page's link starts an
//! authorization code flow with PKCE for the demo client, the demo user signs in and
//! consents on the built-in pages, and `/ui/demo/callback` shows the claims. A tampered
//! `state`, a refused consent and a missing flow cookie end on error pages; outside
//! dev mode there is no demo client, no link and no callback.

use portunus_server::login_ui::demo::{CLIENT_ID, seed::demo_client};
use portunus_server::users::seed::{DEMO_USERNAME, demo_user};

use crate::support::TestBackend;
use crate::support::browser::{Browser, param};
use crate::support::login_ui::{
    app_with_ui, consent_page, follow, sign_in_page, submit_consent, submit_sign_in,
};

/// The `href` of the welcome page's "Try a login" link.
fn try_login_href(home: &str) -> String {
    let marker = "id=\"try-login\" href=\"";
    let start = home
        .find(marker)
        .unwrap_or_else(|| panic!("no link in {home}"))
        + marker.len();
    let end = home[start..].find('"').unwrap() + start;
    home[start..end].to_owned()
}

/// The page's text with askama's escaping of quotes undone.
fn unescaped(html: &str) -> String {
    html.replace("&#34;", "\"").replace("&quot;", "\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_a_login_signs_in_the_demo_user_and_shows_the_claims() {
    let app = app_with_ui(TestBackend::Sqlite, |c| c.dev = true).await;
    assert!(demo_client(&app.state).await.unwrap());
    assert!(!demo_client(&app.state).await.unwrap(), "seeded once");
    let demo = demo_user(app.state.users.as_ref(), app.state.clock.as_ref())
        .await
        .unwrap()
        .unwrap();

    let browser = Browser::new();
    let home = browser.get(&app.public_path("/")).await;
    assert_eq!(home.status, 200);
    let start = try_login_href(&home.body);
    assert_eq!(start, app.public_path("/ui/demo/start"));
    let authorize = follow(&browser, &start).await;
    assert!(
        authorize.starts_with(&app.public_path("/oauth2/auth?")),
        "{authorize}"
    );
    assert_eq!(param(&authorize, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let flow_cookie = browser
        .cookie(&app.public_url, "portunus_ui_demo")
        .expect("flow cookie");
    assert!(!flow_cookie.contains(&param(&authorize, "state").unwrap()));

    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let signed_in =
        submit_sign_in(&app, &browser, &page, DEMO_USERNAME, &demo.password, false).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    let accepted = submit_consent(
        &app,
        &browser,
        &consent,
        "accept",
        &["openid", "offline", "profile", "email"],
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let callback = follow(&browser, &accepted.location.unwrap()).await;
    assert!(
        callback.starts_with(&app.public_path("/ui/demo/callback?code=")),
        "{callback}"
    );

    let landing = browser.get(&callback).await;
    assert_eq!(landing.status, 200, "{}", landing.body);
    assert!(landing.headers.contains_key("content-security-policy"));
    assert_eq!(landing.headers["x-frame-options"], "DENY");
    assert_eq!(landing.headers["cache-control"], "no-store");
    let body = unescaped(&landing.body);
    for shown in [
        format!("\"sub\": \"{}\"", demo.id),
        "\"email\": \"demo@example.com\"".to_owned(),
        format!("\"client_id\": \"{CLIENT_ID}\""),
        "\"active\": true".to_owned(),
    ] {
        assert!(body.contains(&shown), "{shown} in {body}");
    }
    // The flow is used once: its cookie is gone, and the same callback again fails.
    assert!(
        browser
            .cookie(&app.public_url, "portunus_ui_demo")
            .is_none()
    );
    let again = browser.get(&callback).await;
    assert_eq!(again.status, 400, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_a_login_refuses_a_foreign_state_and_shows_errors() {
    let app = app_with_ui(TestBackend::Sqlite, |c| c.dev = true).await;
    assert!(demo_client(&app.state).await.unwrap());
    let browser = Browser::new();
    let authorize = follow(&browser, &app.public_path("/ui/demo/start")).await;
    let state = param(&authorize, "state").unwrap();
    let callback = app.public_path("/ui/demo/callback");

    let tampered = browser
        .get(&format!("{callback}?code=abc&state={state}x"))
        .await;
    assert_eq!(tampered.status, 400, "{}", tampered.body);
    assert!(
        tampered.body.contains("does not match"),
        "{}",
        tampered.body
    );
    assert!(tampered.headers.contains_key("content-security-policy"));

    // The flow cookie went with the failed callback: start again.
    let authorize = follow(&browser, &app.public_path("/ui/demo/start")).await;
    let state = param(&authorize, "state").unwrap();
    let denied = browser
        .get(&format!(
            "{callback}?error=access_denied&error_description=%3Cscript%3E&state={state}"
        ))
        .await;
    assert_eq!(denied.status, 400, "{}", denied.body);
    assert!(denied.body.contains("access_denied"), "{}", denied.body);
    assert!(!denied.body.contains("<script>"), "{}", denied.body);

    let elsewhere = Browser::new()
        .get(&format!("{callback}?code=abc&state={state}"))
        .await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    assert!(elsewhere.body.contains("expired"), "{}", elsewhere.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_dev_mode_there_is_no_demo() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    assert!(!demo_client(&app.state).await.unwrap());
    assert!(
        app.state
            .clients
            .get_client(CLIENT_ID)
            .await
            .unwrap()
            .is_none()
    );
    for path in ["/", "/ui/demo/start", "/ui/demo/callback?code=a&state=b"] {
        let response = app.http.get(app.public_path(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

/// Dev mode without the demo client (not seeded, or deleted): no link on the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_link_without_the_demo_client() {
    let app = app_with_ui(TestBackend::Sqlite, |c| c.dev = true).await;
    let home = app.http.get(app.public_path("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(!home.text().await.unwrap().contains("/ui/demo/start"));
}
