//! Walking the built-in login UI (`/ui/*`) as a browser does: a test app with
//! `login_ui.enabled` and the app URLs pointed at it, a local user, and helpers that
//! read the forms' hidden fields and post them back.

use portunus_sdk::types::{User, UserBody};

use super::TestApp;
use super::browser::{Browser, Page, param};
use super::test_db::TestBackend;

pub const USERNAME: &str = "ada";
pub const PASSWORD: &str = "correct horse battery staple";

/// A test app serving the login UI, with `change` applied last.
pub async fn app_with_ui(
    backend: TestBackend,
    change: impl FnOnce(&mut portunus_server::Config) + 'static,
) -> TestApp {
    TestApp::builder(backend)
        .config(|c| {
            c.login_ui.enabled = true;
            let base = c.public_url();
            c.urls.login = Some(format!("{base}/ui/login"));
            c.urls.consent = Some(format!("{base}/ui/consent"));
            c.urls.logout = Some(format!("{base}/ui/logout"));
            change(c);
        })
        .build()
        .await
}

/// Creates the user [`USERNAME`] with [`PASSWORD`], a verified email and a name.
pub async fn create_user(app: &TestApp) -> User {
    app.admin
        .create_user()
        .body(UserBody {
            username: USERNAME.to_owned(),
            email: "ada@example.com".to_owned(),
            email_verified: Some(true),
            name: Some("Ada Lovelace".to_owned()),
            password: Some(PASSWORD.to_owned()),
            disabled: None,
        })
        .send()
        .await
        .expect("create user")
        .into_inner()
}

/// The `value` of the form field named `name` in `html`.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end].to_owned()
}

/// Follows `url` (a 303) and returns where it points.
pub async fn follow(browser: &Browser, url: &str) -> String {
    let page = browser.get(url).await;
    assert_eq!(page.status, 303, "{url}: {}", page.body);
    page.location.expect("Location")
}

/// From the authorization URL to the sign-in page: (its URL, the page).
pub async fn sign_in_page(app: &TestApp, browser: &Browser, authorize: &str) -> (String, Page) {
    let login = follow(browser, authorize).await;
    assert!(
        login.starts_with(&app.public_path("/ui/login?login_challenge=")),
        "{login}"
    );
    let page = browser.get(&login).await;
    (login, page)
}

/// Posts the sign-in form of `page` with `username` and `password`.
pub async fn submit_sign_in(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    username: &str,
    password: &str,
    remember: bool,
) -> Page {
    let challenge = field(&page.body, "login_challenge");
    let csrf = field(&page.body, "csrf_token");
    let mut form = vec![
        ("login_challenge", challenge.as_str()),
        ("csrf_token", csrf.as_str()),
        ("username", username),
        ("password", password),
        ("action", "sign_in"),
    ];
    if remember {
        form.push(("remember", "true"));
    }
    browser
        .post_form(&app.public_path("/ui/login"), &form)
        .await
}

/// From the login verifier to the consent page: (its URL, the page).
pub async fn consent_page(app: &TestApp, browser: &Browser, verifier_url: &str) -> (String, Page) {
    let consent = follow(browser, verifier_url).await;
    assert!(
        consent.starts_with(&app.public_path("/ui/consent?consent_challenge=")),
        "{consent}"
    );
    let page = browser.get(&consent).await;
    (consent, page)
}

/// Posts the consent form of `page` with `action` and the `scopes` checked.
pub async fn submit_consent(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    action: &str,
    scopes: &[&str],
) -> Page {
    let challenge = field(&page.body, "consent_challenge");
    let csrf = field(&page.body, "csrf_token");
    let mut form = vec![
        ("consent_challenge", challenge.as_str()),
        ("csrf_token", csrf.as_str()),
        ("action", action),
    ];
    form.extend(scopes.iter().map(|s| ("grant_scope", *s)));
    browser
        .post_form(&app.public_path("/ui/consent"), &form)
        .await
}

/// The code in the client callback `url`.
pub fn code_of(url: &str) -> String {
    param(url, "code").unwrap_or_else(|| panic!("no code in {url}"))
}
