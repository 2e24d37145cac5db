//! Security headers (issue 12, item 9): every HTML page carries a
//! `Content-Security-Policy` (its inline script allowed by hash, nothing framed but the
//! RPs' front-channel URIs, no framing of the page itself), `X-Frame-Options: DENY`,
//! `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff`; JSON carries
//! `nosniff` too.

use base64::Engine;
use reqwest::header::HeaderMap;
use serde_json::json;
use sha2::Digest;

use crate::support::browser::Browser;
use crate::support::flow::{
    accept_consent, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
};
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, logout_challenge, logout_url, sign_in,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    error_and_logged_out_pages_carry_the_strict_policy,
    the_form_post_page_runs_only_its_script_and_posts_only_to_the_client,
    the_front_channel_page_frames_only_the_relying_parties,
    json_and_the_admin_listener_carry_their_headers,
);

const STRICT: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The headers every HTML page must have; returns its policy.
fn assert_html_headers<'a>(headers: &'a HeaderMap, what: &str) -> &'a str {
    assert!(
        header(headers, "content-type").starts_with("text/html"),
        "{what}: {headers:?}"
    );
    assert_eq!(header(headers, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    let csp = header(headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.starts_with("default-src 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    csp
}

/// The text of the page's one inline script and its CSP hash-source.
fn only_script(body: &str) -> (String, String) {
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    assert!(
        !body.contains("onload="),
        "no inline event handlers: {body}"
    );
    let script = body
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("inline script")
        .to_owned();
    let digest = sha2::Sha256::digest(script.as_bytes());
    let source = format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    (script, source)
}

async fn error_and_logged_out_pages_carry_the_strict_policy(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::new();

    // The authorization endpoint's error page (no client to send the error to).
    let page = browser.get(&app.public_path("/oauth2/auth")).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(
        assert_html_headers(&page.headers, "authorize error page"),
        STRICT
    );
    assert!(!page.body.contains("<script"));

    // The logout endpoint's error page (an unregistered post-logout URI).
    let page = browser
        .get(&logout_url(
            &app,
            &[("post_logout_redirect_uri", "https://evil.example/")],
        ))
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(
        assert_html_headers(&page.headers, "logout error page"),
        STRICT
    );

    // Logout without a session and nowhere to go: the plain logged-out page.
    let page = browser
        .get(&app.public_path("/oauth2/sessions/logout"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        assert_html_headers(&page.headers, "logged-out page"),
        STRICT
    );
}

async fn the_form_post_page_runs_only_its_script_and_posts_only_to_the_client(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid"), ("response_mode", "form_post")],
    );
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = assert_html_headers(&page.headers, "form_post page");
    let (_, hash) = only_script(&page.body);
    assert!(
        csp.contains(&format!("script-src {hash};")),
        "the page's script is the one allowed: {csp}"
    );
    assert!(
        csp.contains("form-action https://client.test;"),
        "posts only to the redirect URI's origin: {csp}"
    );
    assert_eq!(csp.matches("script-src").count(), 1, "{csp}");
}

async fn the_front_channel_page_frames_only_the_relying_parties(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let rp = create_client(
        &app,
        json!({
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
            "frontchannel_logout_uri": "https://rp-a.test/fc",
            "frontchannel_logout_session_required": true,
        }),
    )
    .await;
    let other = create_client(
        &app,
        json!({"frontchannel_logout_uri": "http://127.0.0.1:8080/fc"}),
    )
    .await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &rp, "ada").await);
    sign_in(&app, &browser, &other, "ada").await;
    let url = logout_url(
        &app,
        &[
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ],
    );
    let challenge = logout_challenge(&browser, &url).await;
    let redirect = accept_logout(&app, &challenge).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = assert_html_headers(&page.headers, "front-channel logout page");
    assert!(
        csp.contains("frame-src http://127.0.0.1:8080 https://rp-a.test;"),
        "{csp}"
    );
    let (script, hash) = only_script(&page.body);
    assert!(script.contains("window.location.replace"), "{script}");
    assert!(csp.contains(&format!("script-src {hash};")), "{csp}");
    assert!(!page.body.contains("style="), "no inline styles to allow");
}

async fn json_and_the_admin_listener_carry_their_headers(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let public_json = [
        app.public_path("/.well-known/openid-configuration"),
        app.public_path("/.well-known/jwks.json"),
        app.public_path("/no/such/path"),
    ];
    for url in public_json {
        let response = app.http.get(&url).send().await.unwrap();
        assert_eq!(
            header(response.headers(), "x-content-type-options"),
            "nosniff",
            "{url}"
        );
        assert!(
            header(response.headers(), "content-type").starts_with("application/json"),
            "{url}"
        );
    }
    let token_error = app
        .http
        .post(app.public_path("/oauth2/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(token_error.headers(), "x-content-type-options"),
        "nosniff"
    );
    for path in ["/admin/clients", "/openapi.json", "/health/alive"] {
        let response = app.http.get(app.admin_path(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(response.headers(), "x-content-type-options"),
            "nosniff",
            "{path}"
        );
    }

    // Swagger UI: its own files only; no inline script, no framing.
    let response = app
        .http
        .get(app.admin_path("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    let csp = header(&headers, "content-security-policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !body.contains("<script>"),
        "Swagger UI has no inline script, so the policy needs none"
    );
    assert!(body.contains("<script src="), "{body}");
}
