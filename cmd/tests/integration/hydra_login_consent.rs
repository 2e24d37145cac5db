//! Hydra's login and consent challenge flow (`/oauth2/auth` ↔ `/admin/oauth2/auth/requests/*`),
//! walked by hand: this test is the browser and the login/consent app.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_sdk::Error;
use portunus_sdk::types::RejectOAuth2Request;
use portunus_server::clock::FixedClock;
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge, create_client,
    login_body, login_challenge, run_code_flow, to_client,
};
use crate::support::test_app::CONSENT_APP_URL;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    full_flow_issues_a_code_and_echoes_state,
    login_request_shows_the_authorization_request,
    handled_requests_answer_410_and_verifiers_are_single_use,
    rejections_reach_the_client,
    remembered_login_skips_and_prompt_login_forces,
    remembered_consent_skips_and_skip_consent_clients_skip,
    flow_started_on_one_node_finishes_on_another,
);

fn status_of<T: std::fmt::Debug>(
    result: Result<portunus_sdk::ResponseValue<T>, Error<portunus_sdk::types::ErrorOAuth2>>,
) -> (u16, portunus_sdk::types::ErrorOAuth2) {
    match result {
        Err(Error::ErrorResponse(r)) => (r.status().as_u16(), r.into_inner()),
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn full_flow_issues_a_code_and_echoes_state(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let callback = run_code_flow(
        &app,
        &browser,
        &client.id,
        &[
            ("scope", "openid offline"),
            ("state", "xyz-state-123"),
            ("nonce", "n-1"),
        ],
        "ada",
        &["openid", "offline"],
    )
    .await;
    assert!(
        param(&callback, "code").is_some_and(|c| c.starts_with("ptn_ac_")),
        "{callback}"
    );
    assert_eq!(param(&callback, "state").as_deref(), Some("xyz-state-123"));
    assert_eq!(param(&callback, "scope").as_deref(), Some("openid offline"));
    // The CSRF cookies are gone once used.
    assert!(
        browser
            .cookie(&app.public_url, "portunus_login_csrf")
            .is_none()
    );
    assert!(
        browser
            .cookie(&app.public_url, "portunus_consent_csrf")
            .is_none()
    );
}

async fn login_request_shows_the_authorization_request(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({"audience": ["https://api.test"]})).await;
    let browser = Browser::new();
    let url = authorize_url(
        &app,
        &client.id,
        &[
            ("scope", "openid profile"),
            ("audience", "https://api.test"),
            ("login_hint", "ada@example.com"),
            ("ui_locales", "de en"),
        ],
    );
    let challenge = login_challenge(&browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(request.challenge, challenge);
    assert!(!request.skip);
    assert_eq!(request.subject, "");
    assert_eq!(
        request.client.client_id.as_deref(),
        Some(client.id.as_str())
    );
    assert_eq!(request.client.client_secret, None, "never the secret");
    assert_eq!(request.requested_scope, vec!["openid", "profile"]);
    assert_eq!(
        request.requested_access_token_audience,
        vec!["https://api.test"]
    );
    assert!(request.request_url.contains("/oauth2/auth?"));
    assert!(request.session_id.as_ref().is_some_and(|s| !s.is_empty()));
    let context = request.oidc_context.unwrap();
    assert_eq!(context.login_hint.as_deref(), Some("ada@example.com"));
    assert_eq!(
        context.ui_locales,
        Some(vec!["de".to_owned(), "en".to_owned()])
    );

    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(request.subject.as_deref(), Some("ada"));
    assert_eq!(request.skip, Some(false));
    assert_eq!(
        request.requested_scope,
        Some(vec!["openid".to_owned(), "profile".to_owned()])
    );

    // Tampered and unknown challenges are JSON 404s, never 500s.
    // Two characters replaced by others than they were (a fixed "AA" left the challenge
    // unchanged whenever it already held "AA" there).
    let mut tampered = challenge.clone();
    let replacement = if &challenge[10..12] == "AA" {
        "BB"
    } else {
        "AA"
    };
    tampered.replace_range(10..12, replacement);
    assert_ne!(tampered, challenge);
    let (status, error) = status_of(
        app.admin
            .get_o_auth2_login_request()
            .login_challenge(&tampered)
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (404, "not_found"));
    let (status, _) = status_of(
        app.admin
            .get_o_auth2_consent_request()
            .consent_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 404, "a login challenge is not a consent challenge");
}

async fn handled_requests_answer_410_and_verifiers_are_single_use(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let (status, error) = status_of(
        app.admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    assert_eq!(
        error.redirect_to.as_deref(),
        Some(redirect.as_str()),
        "410 carries the first redirect"
    );
    let body = login_body("mallory", false);
    let (status, error) = status_of(
        app.admin
            .accept_o_auth2_login_request()
            .login_challenge(&challenge)
            .body(body)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    assert_eq!(error.redirect_to.as_deref(), Some(redirect.as_str()));

    let consent = consent_challenge(&browser, &redirect).await;
    // The same login verifier again: refused at the client.
    let again = browser.get(&redirect).await;
    let location = again.location.expect("redirect");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert!(param(&location, "error").is_some(), "{location}");

    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let (status, _) = status_of(
        app.admin
            .get_o_auth2_consent_request()
            .consent_challenge(&consent)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    let callback = to_client(&browser, &redirect).await;
    assert!(param(&callback, "code").is_some());
    let replay = browser.get(&redirect).await.location.expect("redirect");
    assert_eq!(
        param(&replay, "error").as_deref(),
        Some("request_forbidden"),
        "CSRF cookie was consumed: {replay}"
    );

    // A verifier presented by another browser (no CSRF cookie) is refused.
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let stranger = Browser::new();
    let location = stranger.get(&redirect).await.location.expect("redirect");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("request_forbidden"),
        "{location}"
    );
}

async fn rejections_reach_the_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid"), ("state", "s1")]);
    let challenge = login_challenge(&browser, &url).await;
    let body = RejectOAuth2Request {
        error: Some("access_denied".into()),
        error_description: Some("The user cancelled.".into()),
        ..Default::default()
    };
    let redirect = app
        .admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert!(
        param(&location, "error_description").is_some_and(|d| d.contains("The user cancelled."))
    );
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));

    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = app
        .admin
        .reject_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("access_denied"),
        "Hydra's default error"
    );
}

async fn remembered_login_skips_and_prompt_login_forces(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", true).await;
    let consent = consent_challenge(&browser, &redirect).await;
    assert!(
        browser
            .cookie(&app.public_url, "portunus_session")
            .is_some(),
        "remembered: session cookie set"
    );
    to_client(
        &browser,
        &accept_consent(&app, &consent, &["openid"], false).await,
    )
    .await;

    let challenge = login_challenge(&browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(request.skip, "the session is remembered");
    assert_eq!(request.subject, "ada");
    let body = login_body("bob", false);
    let (status, error) = status_of(
        app.admin
            .accept_o_auth2_login_request()
            .login_challenge(&challenge)
            .body(body)
            .send()
            .await,
    );
    assert_eq!(status, 400);
    assert!(
        error.error_description.contains("subject"),
        "{}",
        error.error_description
    );

    let forced = login_challenge(
        &browser,
        &authorize_url(
            &app,
            &client.id,
            &[("scope", "openid"), ("prompt", "login")],
        ),
    )
    .await;
    assert!(
        !app.admin
            .get_o_auth2_login_request()
            .login_challenge(&forced)
            .send()
            .await
            .unwrap()
            .into_inner()
            .skip,
        "prompt=login"
    );

    // prompt=none with a session goes on; without one it is login_required.
    let none_url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid"), ("prompt", "none"), ("state", "n")],
    );
    login_challenge(&browser, &none_url).await;
    let stranger = Browser::new();
    let location = stranger.get(&none_url).await.location.expect("redirect");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("login_required"),
        "{location}"
    );
    assert_eq!(param(&location, "state").as_deref(), Some("n"));
}

async fn remembered_consent_skips_and_skip_consent_clients_skip(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid offline")]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", true).await;
    let consent = consent_challenge(&browser, &redirect).await;
    to_client(
        &browser,
        &accept_consent(&app, &consent, &["openid", "offline"], true).await,
    )
    .await;

    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        request.skip,
        Some(true),
        "same client and scopes were remembered"
    );

    // prompt=none: with remembered consent it is not consent_required.
    let wider = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid offline profile"), ("prompt", "none")],
    );
    let login = browser.get(&wider).await.location.expect("to login");
    let challenge = param(&login, "login_challenge").unwrap();
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let location = browser.get(&redirect).await.location.expect("redirect");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("consent_required"),
        "a wider scope needs consent: {location}"
    );

    let trusted = create_client(&app, json!({"skip_consent": true})).await;
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &trusted.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let location = browser.get(&redirect).await.location.expect("redirect");
    assert!(
        !location.starts_with(CONSENT_APP_URL),
        "skip_consent skips the consent app"
    );
    assert!(param(&location, "code").is_some(), "{location}");
}

async fn flow_started_on_one_node_finishes_on_another(backend: TestBackend) {
    let first = TestApp::spawn(backend).await;
    // Nodes behind one name share one configured public URL (here: the first node's).
    let shared_public_url = format!("{}/", first.public_url);
    let second = TestApp::builder(backend)
        .same_database_as(&first)
        .config(move |c| c.urls.self_.public = Some(shared_public_url))
        .build()
        .await;
    let client = create_client(&first, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&first, &client.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&second, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&second, &consent, &["openid"], false).await;
    assert!(
        redirect.starts_with(&first.public_url),
        "verifier URLs return to the URL the browser used, whichever node decided"
    );
    // The browser's last step lands on the second node (same host, so same cookies).
    let location = browser
        .get(&redirect.replace(&first.public_url, &second.public_url))
        .await
        .location
        .unwrap();
    assert!(param(&location, "code").is_some(), "{location}");
    let (status, _) = status_of(
        first
            .admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410, "both nodes know the request was handled");
}

/// Challenges expire after ttl.login_consent_request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_challenges_are_refused() {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 5, 1, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(TestBackend::Sqlite)
        .clock(clock.clone())
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    clock.advance(chrono::Duration::minutes(31));
    let (status, error) = status_of(
        app.admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert!(
        error.error_description.contains("expired"),
        "{}",
        error.error_description
    );
}

/// RFC 6749 §4.1.2.1: errors about the client or redirect URI are shown, never redirected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_redirects_get_an_error_page() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", "https://evil.test/steal");
    let page = browser.get(url.as_str()).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none(), "never an open redirect");
    assert!(
        page.body.contains("invalid_request") && page.body.contains("redirect_uri"),
        "{}",
        page.body
    );

    let page = browser
        .get(&app.public_path("/oauth2/auth?client_id=nobody&response_type=code"))
        .await;
    assert_eq!(page.status, 401);
    assert!(page.location.is_none());

    // After the redirect URI is known, errors go back to it.
    let location = browser
        .get(&authorize_url(
            &app,
            &client.id,
            &[("scope", "admin"), ("state", "q")],
        ))
        .await
        .location
        .unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(param(&location, "state").as_deref(), Some("q"));
    let public = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let location = browser
        .get(&authorize_url(&app, &public.id, &[("scope", "openid")]))
        .await
        .location
        .unwrap();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request"),
        "PKCE is required of public clients"
    );
    assert!(
        param(&location, "error_description")
            .unwrap()
            .contains("code_challenge")
    );

    // response_mode=form_post answers with an auto-submitting form.
    let challenge = login_challenge(
        &browser,
        &authorize_url(
            &app,
            &client.id,
            &[
                ("scope", "openid"),
                ("response_mode", "form_post"),
                ("state", "fp"),
            ],
        ),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("action=\"{REDIRECT_URI}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"code\"") && page.body.contains("value=\"fp\""));

    // POST to the authorization endpoint works like GET (OIDC Core §3.1.2.1).
    let page = browser
        .post_form(
            &app.public_path("/oauth2/auth"),
            &[
                ("client_id", &client.id),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
        )
        .await;
    assert!(
        page.location
            .is_some_and(|l| l.contains("login_challenge="))
    );
}

/// Dev mode has no `urls.self.*`: the default issuer is `http://127.0.0.1:<port>/`,
/// where the dev server listens, so a flow started on 127.0.0.1 comes back to
/// 127.0.0.1 (not `localhost`), or the browser would not send the CSRF cookie. (The URL
/// comes from configuration, never from the request: security_forwarded_headers.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_public_url_verifiers_return_to_the_host_the_flow_started_on() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .self_urls(crate::support::test_app::SelfUrls::Neither)
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    assert!(redirect.starts_with(&app.public_url), "{redirect}");
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    assert!(param(&to_client(&browser, &redirect).await, "code").is_some());
}
