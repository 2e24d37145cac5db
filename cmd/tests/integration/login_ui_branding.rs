//! `login_ui.branding` and `login_ui.templates_dir` (issue 22 §1, docs/login-ui.md):
//! the product name, logo and colour on the pages of the running server, the logo's
//! origin (and nothing else) added to `img-src`; a sign-in through an operator's own
//! `login.html` whose form carries the challenge and CSRF token; and bad branding
//! refused by the configuration check that runs before the server starts.

use serde_json::json;

use crate::support::TestBackend;
use crate::support::browser::Browser;
use crate::support::flow::{REDIRECT_URI, authorize_url, create_client};
use crate::support::login_ui::{
    PASSWORD, USERNAME, app_with_ui, code_of, consent_page, create_user, follow, sign_in_page,
    submit_consent, submit_sign_in,
};

/// An operator's sign-in page: its own markup, the same form fields as the built-in.
const LOGIN_OVERRIDE: &str = r#"<!DOCTYPE html>
<html><head><title>{{ branding.product_name }}: {{ title }}</title><style>{{ style|safe }}</style></head>
<body><h1 id="custom">Welcome back to {{ branding.product_name }}</h1>
<p>{{ client_name }} wants you to sign in.</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
<input type="hidden" name="login_challenge" value="{{ challenge }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input name="username" value="{{ username }}"><input name="password" type="password">
<button name="action" value="sign_in">Go</button></form></body></html>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branding_and_an_override_serve_a_whole_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("login.html"), LOGIN_OVERRIDE).unwrap();
    let templates = dir.path().to_owned();
    let app = app_with_ui(TestBackend::Sqlite, move |c| {
        c.login_ui.branding.product_name = Some("Acme ID".into());
        c.login_ui.branding.logo_url = Some("https://cdn.acme.example/logo.svg".into());
        c.login_ui.branding.primary_color = Some("#c0ffee".into());
        c.login_ui.templates_dir = Some(templates);
    })
    .await;
    let user = create_user(&app).await;
    let client = create_client(&app, json!({"client_name": "<b>Shop</b>"})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<h1 id=\"custom\">Welcome back to Acme ID</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("&lt;b&gt;Shop&lt;&#x2f;b&gt; wants you"),
        "escaped: {}",
        page.body
    );
    assert!(page.body.contains("background:#c0ffee"), "{}", page.body);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src https://cdn.acme.example;"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");

    // A wrong password comes back through the override with its message.
    let wrong = submit_sign_in(&app, &browser, &page, USERNAME, "nope", false).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"custom\""), "{}", wrong.body);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);

    let signed_in = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    // The consent page has no override: the built-in one, branded.
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    for shown in [
        "<title>Allow access · Acme ID</title>",
        "<img src=\"https://cdn.acme.example/logo.svg\" alt=\"\"><span>Acme ID</span>",
        "background:#c0ffee",
    ] {
        assert!(consent.body.contains(shown), "{shown} in {}", consent.body);
    }
    let accepted = submit_consent(&app, &browser, &consent, "accept", &["openid"]).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let callback = follow(&browser, &accepted.location.unwrap()).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    let code = code_of(&callback);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, tokens) = app.token_request(&client, &form).await;
    assert_eq!(status, 200, "{tokens}");
    let introspected = app
        .introspect(tokens["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(introspected.sub.as_deref(), Some(user.id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_logo_the_policy_allows_no_images() {
    let app = app_with_ui(TestBackend::Sqlite, |c| {
        c.login_ui.branding.product_name = Some("Acme ID".into());
    })
    .await;
    let client = create_client(&app, json!({})).await;
    let (_, page) =
        sign_in_page(&app, &Browser::new(), &authorize_url(&app, &client.id, &[])).await;
    assert!(
        page.body.contains("<title>Sign in · Acme ID</title>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<img"), "{}", page.body);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'none'"), "{csp}");
}

#[test]
fn bad_branding_stops_startup_with_its_name() {
    let mut config = portunus_server::Config::default();
    config.login_ui.enabled = true;
    config.login_ui.branding.primary_color = Some("red;}*{display:none".into());
    config.login_ui.branding.logo_url = Some("javascript:alert(1)".into());
    let message = config.validate().unwrap_err().to_string();
    for named in [
        "login_ui.branding.primary_color",
        "login_ui.branding.logo_url",
    ] {
        assert!(message.contains(named), "{named} in {message}");
    }
}
