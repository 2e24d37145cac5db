//! The built-in login UI's defences (docs/login-ui.md, docs/security.md): CSRF tokens
//! bound to the challenge and the browser's cookie, one generic message for every
//! failed sign-in, failed sign-ins limited per username and per address, escaped
//! client metadata, HTML error pages for bad challenges, and no `/ui/` at all unless
//! `login_ui.enabled`.

use serde_json::json;

use crate::support::browser::Browser;
use crate::support::flow::{authorize_url, create_client};
use crate::support::login_ui::{
    PASSWORD, USERNAME, app_with_ui, create_user, field, sign_in_page, submit_sign_in,
};
use crate::support::{TestApp, TestBackend};

const GENERIC: &str = "The username or password is not right.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_unknown_user_gets_one_generic_message() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    let wrong = submit_sign_in(&app, &browser, &page, USERNAME, "not the password", false).await;
    let unknown = submit_sign_in(&app, &browser, &page, "nobody", PASSWORD, false).await;
    for failed in [&wrong, &unknown] {
        assert_eq!(failed.status, 401, "{}", failed.body);
        assert_eq!(failed.location, None, "no redirect");
        assert!(failed.body.contains(GENERIC), "{}", failed.body);
        assert!(failed.body.contains("name=\"password\""), "the form again");
        assert!(!failed.body.contains("not the password"), "never echoed");
    }
    // The form still works afterwards.
    let ok = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

/// Posts the sign-in form for `challenge` with the right credentials and `token`.
async fn post(
    app: &TestApp,
    browser: &Browser,
    challenge: &str,
    token: &str,
) -> crate::support::browser::Page {
    let form = [
        ("login_challenge", challenge),
        ("csrf_token", token),
        ("username", USERNAME),
        ("password", PASSWORD),
        ("action", "sign_in"),
    ];
    browser
        .post_form(&app.public_path("/ui/login"), &form)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_this_browsers_csrf_token_are_403() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    let challenge = field(&page.body, "login_challenge");
    let token = field(&page.body, "csrf_token");
    // Missing, wrong, and right token from another browser (no or another cookie).
    let missing = post(&app, &browser, &challenge, "").await;
    let wrong = post(&app, &browser, &challenge, &"A".repeat(43)).await;
    let elsewhere = post(&app, &Browser::new(), &challenge, &token).await;
    for refused in [&missing, &wrong, &elsewhere] {
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(refused.location, None);
        assert!(
            refused.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            refused.body.contains("request_forbidden"),
            "{}",
            refused.body
        );
    }
    // A token for another challenge does not fit this one.
    let (_, other) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    let swapped = post(
        &app,
        &browser,
        &challenge,
        &field(&other.body, "csrf_token"),
    )
    .await;
    assert_eq!(swapped.status, 403);
    let right = post(&app, &browser, &challenge, &token).await;
    assert_eq!(right.status, 303, "{}", right.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_limited_per_username() {
    let app = app_with_ui(TestBackend::Sqlite, |c| {
        c.login_ui.sign_in_rate_limit.per_username = 2;
    })
    .await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    for _ in 0..2 {
        let failed = submit_sign_in(&app, &browser, &page, USERNAME, "wrong-password", false).await;
        assert_eq!(failed.status, 401);
    }
    // Now even the right password is not checked.
    let limited = submit_sign_in(&app, &browser, &page, "Ada", PASSWORD, false).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(
        limited.body.contains("Too many failed sign-ins"),
        "{}",
        limited.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_limited_per_address() {
    let app = app_with_ui(TestBackend::Sqlite, |c| {
        c.login_ui.sign_in_rate_limit.per_ip = 3;
    })
    .await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    for name in ["eve1", "eve2", "eve3"] {
        let failed = submit_sign_in(&app, &browser, &page, name, "guess-guess", false).await;
        assert_eq!(failed.status, 401);
    }
    let limited = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_metadata_is_escaped_and_unsafe_links_are_left_out() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    let client = create_client(
        &app,
        json!({
            "client_name": "<script>alert(1)</script>",
            "logo_uri": "http://insecure.example/logo.png",
        }),
    )
    .await;
    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize_url(&app, &client.id, &[])).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(page.body.contains("alert(1)"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_challenges_get_html_error_pages() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    let browser = Browser::new();
    for (path, status) in [
        ("/ui/login?login_challenge=forged", 404),
        ("/ui/consent?consent_challenge=forged", 404),
        ("/ui/logout?logout_challenge=forged", 404),
        ("/ui/login", 400),
    ] {
        let page = browser.get(&app.public_path(path)).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(page.headers.contains_key("content-security-policy"));
    }
    let put = app
        .http
        .put(app.public_path("/ui/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, POST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_login_ui_enabled_there_is_no_ui() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    for path in ["/ui/login", "/ui/consent", "/ui/logout"] {
        let response = app.http.get(app.public_path(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}
