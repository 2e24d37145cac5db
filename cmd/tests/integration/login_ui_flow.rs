//! The built-in login UI (issue 22 §1, docs/login-ui.md) walked over HTTP as a browser
//! does, through the real server: authorization request → `/ui/login` → sign in as a
//! local user → `/ui/consent` → code → token exchange, with the user record's claims
//! in the ID token and at UserInfo; a remembered login skipping the form; a denied
//! consent; the logout confirmation.

use portunus_sdk::types::UserBody;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{REDIRECT_URI, authorize_url, create_client};
use crate::support::login_ui::{
    PASSWORD, USERNAME, app_with_ui, code_of, consent_page, create_user, field, follow,
    sign_in_page, submit_consent, submit_sign_in,
};
use crate::support::logout::logout_url;
use crate::support::oidc::jwt_claims;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(sign_in_and_consent_issue_tokens_with_the_users_claims);

async fn sign_in_and_consent_issue_tokens_with_the_users_claims(backend: TestBackend) {
    let app = app_with_ui(backend, |_| {}).await;
    let user = create_user(&app).await;
    let client = create_client(&app, json!({"client_name": "Example App"})).await;
    let browser = Browser::new();
    let authorize = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid profile email"), ("nonce", "n-ui")],
    );

    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Example App"), "{}", page.body);
    assert!(page.body.contains("<label for=\"username\">"));
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["portunus_ui_csrf=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    let public_origin = app.public_url.trim_end_matches('/');
    assert!(
        csp.contains(&format!(
            "form-action 'self' {public_origin} https://client.test"
        )),
        "form-action covers the redirects after the post: {csp}"
    );
    assert!(csp.contains("style-src 'sha256-"), "{csp}");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["cache-control"], "no-store");

    let signed_in = submit_sign_in(&app, &browser, &page, "ADA", PASSWORD, false).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let verifier = signed_in.location.unwrap();
    assert!(verifier.contains("login_verifier="), "{verifier}");

    let (_, consent) = consent_page(&app, &browser, &verifier).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    for shown in [
        "Example App",
        "value=\"openid\"",
        "value=\"profile\"",
        "value=\"email\"",
        "See your email address",
        "Signed in as <strong>ada</strong>",
    ] {
        assert!(consent.body.contains(shown), "{shown} in {}", consent.body);
    }
    let accepted = submit_consent(
        &app,
        &browser,
        &consent,
        "accept",
        &["openid", "profile", "email"],
    )
    .await;
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
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], user.id.as_str());
    assert_eq!(id_token["email"], "ada@example.com");
    assert_eq!(id_token["email_verified"], true);
    assert_eq!(id_token["name"], "Ada Lovelace");
    assert_eq!(id_token["preferred_username"], USERNAME);
    assert_eq!(id_token["amr"], json!(["pwd"]));

    let userinfo: Value = app
        .http
        .get(app.public_path("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], user.id.as_str());
    assert_eq!(userinfo["email"], "ada@example.com");
    assert_eq!(userinfo["name"], "Ada Lovelace");
    assert_eq!(userinfo["preferred_username"], USERNAME);
}

/// Signs in with "remember me" and consents to `openid` only.
async fn remembered_sign_in(app: &TestApp, browser: &Browser, client_id: &str) -> String {
    let authorize = authorize_url(app, client_id, &[("scope", "openid")]);
    let (_, page) = sign_in_page(app, browser, &authorize).await;
    let signed_in = submit_sign_in(app, browser, &page, USERNAME, PASSWORD, true).await;
    let (_, consent) = consent_page(app, browser, &signed_in.location.unwrap()).await;
    let accepted = submit_consent(app, browser, &consent, "accept", &["openid"]).await;
    follow(browser, &accepted.location.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_login_skips_the_form() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    remembered_sign_in(&app, &browser, &client.id).await;

    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let login = follow(&browser, &authorize).await;
    let skipped = browser.get(&login).await;
    assert_eq!(skipped.status, 303, "no form: {}", skipped.body);
    let verifier = skipped.location.unwrap();
    assert!(verifier.contains("login_verifier="), "{verifier}");
    // The consent page comes next: the consent was not remembered.
    let (_, consent) = consent_page(&app, &browser, &verifier).await;
    assert_eq!(consent.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_login_of_a_disabled_user_is_denied() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    let user = create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    remembered_sign_in(&app, &browser, &client.id).await;
    app.admin
        .set_user()
        .id(&user.id)
        .body(UserBody {
            username: USERNAME.to_owned(),
            email: "ada@example.com".to_owned(),
            email_verified: Some(true),
            name: None,
            password: None,
            disabled: Some(true),
        })
        .send()
        .await
        .unwrap();

    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let login = follow(&browser, &authorize).await;
    let denied = follow(&browser, &login).await;
    let callback = follow(&browser, &denied).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "code"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_consent_sends_access_denied_to_the_client() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &client.id, &[("scope", "openid"), ("state", "s-1")]);
    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    let signed_in = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    let denied = submit_consent(&app, &browser, &consent, "deny", &[]).await;
    assert_eq!(denied.status, 303, "{}", denied.body);
    let callback = follow(&browser, &denied.location.unwrap()).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "state").as_deref(), Some("s-1"));
    assert_eq!(param(&callback, "code"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_sign_in_sends_access_denied_to_the_client() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    let challenge = field(&page.body, "login_challenge");
    let csrf = field(&page.body, "csrf_token");
    let cancelled = browser
        .post_form(
            &app.public_path("/ui/login"),
            &[
                ("login_challenge", challenge.as_str()),
                ("csrf_token", csrf.as_str()),
                ("action", "cancel"),
            ],
        )
        .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let callback = follow(&browser, &cancelled.location.unwrap()).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_grants_only_requested_scopes() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    let signed_in = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    let widened = submit_consent(&app, &browser, &consent, "accept", &["openid", "email"]).await;
    assert_eq!(widened.status, 400, "{}", widened.body);
    assert!(widened.body.contains("invalid_request"), "{}", widened.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logout_page_asks_then_ends_or_keeps_the_session() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    create_user(&app).await;
    let client = create_client(&app, json!({"client_name": "Example App"})).await;
    let browser = Browser::new();
    remembered_sign_in(&app, &browser, &client.id).await;

    // "No": the session stays.
    let logout = follow(&browser, &logout_url(&app, &[])).await;
    assert!(
        logout.starts_with(&app.public_path("/ui/logout?logout_challenge=")),
        "{logout}"
    );
    let page = browser.get(&logout).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign out?"), "{}", page.body);
    let stay = browser
        .post_form(
            &app.public_path("/ui/logout"),
            &[
                (
                    "logout_challenge",
                    field(&page.body, "logout_challenge").as_str(),
                ),
                ("csrf_token", field(&page.body, "csrf_token").as_str()),
                ("action", "reject"),
            ],
        )
        .await;
    assert_eq!(stay.status, 200, "{}", stay.body);
    assert!(stay.body.contains("still signed in"), "{}", stay.body);
    let authorize = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let login = follow(&browser, &authorize).await;
    assert_eq!(browser.get(&login).await.status, 303, "still remembered");

    // "Yes": the session ends, the next sign-in shows the form.
    let logout = follow(&browser, &logout_url(&app, &[])).await;
    let page = browser.get(&logout).await;
    let out = browser
        .post_form(
            &app.public_path("/ui/logout"),
            &[
                (
                    "logout_challenge",
                    field(&page.body, "logout_challenge").as_str(),
                ),
                ("csrf_token", field(&page.body, "csrf_token").as_str()),
                ("action", "accept"),
            ],
        )
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    let verifier = out.location.unwrap();
    assert!(verifier.contains("logout_verifier="), "{verifier}");
    let ended = browser.get(&verifier).await;
    assert!(
        ended.status == 303 || ended.status == 200,
        "{}: {}",
        ended.status,
        ended.body
    );
    let login = follow(&browser, &authorize).await;
    let form = browser.get(&login).await;
    assert_eq!(form.status, 200, "the form again: {}", form.body);
}
