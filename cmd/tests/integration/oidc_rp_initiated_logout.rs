//! OIDC RP-Initiated Logout 1.0 §2–§3 at `/oauth2/sessions/logout`, with Hydra's logout
//! challenge API: the hint is verified (expired hints accepted), the post-logout URI
//! must be one the hinted client registered (never an open redirect), `state` comes
//! back, decisions are final (410), verifiers are single use, and the session is gone.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_sdk::Error;
use portunus_server::clock::FixedClock;
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{FlowClient, create_client};
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, login_skipped, logout_challenge, logout_url, sid_of,
    sign_in,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    logout_with_a_hint_ends_the_session_and_echoes_state,
    logout_without_a_session_goes_straight_on,
    open_redirects_are_refused,
    decisions_are_final_and_verifiers_single_use,
    rejected_logout_keeps_the_session,
    the_hint_must_name_the_sessions_subject,
    expired_hints_are_accepted,
    skip_logout_consent_clients_log_out_at_once,
    a_pairwise_hint_names_the_sessions_subject,
);

fn status_of<T: std::fmt::Debug>(
    result: Result<portunus_sdk::ResponseValue<T>, Error<portunus_sdk::types::ErrorOAuth2>>,
) -> (u16, portunus_sdk::types::ErrorOAuth2) {
    match result {
        Err(Error::ErrorResponse(r)) => (r.status().as_u16(), r.into_inner()),
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn rp(app: &TestApp) -> FlowClient {
    create_client(app, json!({"post_logout_redirect_uris": [POST_LOGOUT_URI]})).await
}

fn session_cookie(app: &TestApp) -> String {
    app.state.config.serve.cookies.names.session.clone()
}

async fn logout_with_a_hint_ends_the_session_and_echoes_state(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    assert!(
        browser
            .cookie(&app.public_url, &session_cookie(&app))
            .is_some()
    );
    let url = logout_url(
        &app,
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", "s-1 2"),
        ],
    );
    let challenge = logout_challenge(&browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_logout_request()
        .logout_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(request.subject.as_deref(), Some("ada"));
    assert_eq!(request.sid, Some(sid_of(&hint)));
    assert_eq!(request.rp_initiated, Some(true));
    let listed = request.client.expect("client");
    assert_eq!(listed.client_id.as_deref(), Some(client.id.as_str()));
    assert!(
        request
            .request_url
            .unwrap()
            .contains("/oauth2/sessions/logout?")
    );
    let redirect = accept_logout(&app, &challenge).await;
    let done = browser.get(&redirect).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.expect("to the RP");
    assert!(location.starts_with(POST_LOGOUT_URI), "{location}");
    assert_eq!(param(&location, "state").as_deref(), Some("s-1 2"));
    assert!(
        browser
            .cookie(&app.public_url, &session_cookie(&app))
            .is_none()
    );
    let gone = app
        .state
        .login_sessions
        .get_login_session(&sid_of(&hint))
        .await;
    assert_eq!(gone.unwrap(), None, "the authentication session is deleted");
    assert!(!login_skipped(&app, &browser, &client.id).await);
}

async fn logout_without_a_session_goes_straight_on(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let hint = id_token(&sign_in(&app, &Browser::new(), &client, "ada").await);
    let stranger = Browser::new();
    let page = stranger.get(&logout_url(&app, &[])).await;
    assert_eq!(page.status, 200, "a plain logged-out page");
    assert!(page.body.contains("logged out"), "{}", page.body);
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ("state", "xyz"),
    ];
    let page = stranger.get(&logout_url(&app, &params)).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("{POST_LOGOUT_URI}?state=xyz").as_str())
    );
    let form = [
        ("client_id", client.id.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ];
    let page = stranger.post_form(&logout_url(&app, &[]), &form).await;
    assert_eq!(page.status, 303, "POST works too: {}", page.body);
    assert_eq!(page.location.as_deref(), Some(POST_LOGOUT_URI));
    let configured = TestApp::builder(backend)
        .config(|c| c.urls.post_logout_redirect = Some("https://home.test/bye".into()))
        .build()
        .await;
    let page = stranger.get(&logout_url(&configured, &[])).await;
    assert_eq!(page.location.as_deref(), Some("https://home.test/bye"));
}

async fn open_redirects_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let other = create_client(
        &app,
        json!({"post_logout_redirect_uris": ["https://other.test/bye"]}),
    )
    .await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let mut bytes = hint.clone().into_bytes();
    let i = bytes.len() - 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        // Not registered by anyone.
        vec![
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://evil.test/"),
        ],
        // A prefix of a registered URI is not a match.
        vec![
            ("id_token_hint", &hint),
            (
                "post_logout_redirect_uri",
                "https://client.test/logged-out/x",
            ),
        ],
        // Registered, but by another client than the hint's.
        vec![
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://other.test/bye"),
        ],
        // No client to match against.
        vec![("post_logout_redirect_uri", POST_LOGOUT_URI)],
        // client_id contradicting the hint.
        vec![
            ("id_token_hint", &hint),
            ("client_id", &other.id),
            ("post_logout_redirect_uri", "https://other.test/bye"),
        ],
        // A hint this server did not sign.
        vec![
            ("id_token_hint", &tampered),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ],
        // An unknown client.
        vec![
            ("client_id", "nobody"),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ],
    ];
    for params in cases {
        let page = browser.get(&logout_url(&app, &params)).await;
        assert_eq!(page.status, 400, "{params:?}: {}", page.body);
        assert_eq!(page.location, None, "{params:?}: never a redirect");
    }
    assert!(
        login_skipped(&app, &browser, &client.id).await,
        "session kept"
    );
}

async fn decisions_are_final_and_verifiers_single_use(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    sign_in(&app, &browser, &client, "ada").await;
    let challenge = logout_challenge(&browser, &logout_url(&app, &[])).await;
    let request = app
        .admin
        .get_o_auth2_logout_request()
        .logout_challenge(&challenge)
        .send()
        .await;
    let request = request.unwrap().into_inner();
    assert_eq!(request.rp_initiated, Some(false));
    assert!(request.client.is_none());
    let redirect = accept_logout(&app, &challenge).await;
    let (status, error) = status_of(
        app.admin
            .accept_o_auth2_logout_request()
            .logout_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    assert_eq!(error.redirect_to.as_deref(), Some(redirect.as_str()));
    let (status, _) = status_of(
        app.admin
            .get_o_auth2_logout_request()
            .logout_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    let (status, _) = status_of(
        app.admin
            .reject_o_auth2_logout_request()
            .logout_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    let (status, _) = status_of(
        app.admin
            .get_o_auth2_logout_request()
            .logout_challenge("forged")
            .send()
            .await,
    );
    assert_eq!(status, 404);

    let csrf_name = &app.state.config.serve.cookies.names.logout_csrf;
    let csrf = browser
        .cookie(&app.public_url, csrf_name)
        .expect("CSRF cookie");
    let stolen = app.http.get(&redirect).send().await.unwrap();
    assert_eq!(stolen.status(), 403, "without the CSRF cookie");
    let done = browser.get(&redirect).await;
    assert_eq!(done.status, 200, "logged-out page: {}", done.body);
    let replay = app
        .http
        .get(&redirect)
        .header("cookie", format!("{csrf_name}={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400, "a verifier is single use");
    assert!(replay.text().await.unwrap().contains("used already"));
}

async fn rejected_logout_keeps_the_session(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ("state", "k"),
    ];
    let challenge = logout_challenge(&browser, &logout_url(&app, &params)).await;
    app.admin
        .reject_o_auth2_logout_request()
        .logout_challenge(&challenge)
        .send()
        .await
        .expect("204");
    let (status, error) = status_of(
        app.admin
            .accept_o_auth2_logout_request()
            .logout_challenge(&challenge)
            .send()
            .await,
    );
    assert_eq!(status, 410);
    assert_eq!(
        error.redirect_to.as_deref(),
        Some(format!("{POST_LOGOUT_URI}?state=k").as_str())
    );
    assert!(login_skipped(&app, &browser, &client.id).await);
}

async fn the_hint_must_name_the_sessions_subject(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    sign_in(&app, &browser, &client, "ada").await;
    let bobs = id_token(&sign_in(&app, &Browser::new(), &client, "bob").await);
    let page = browser
        .get(&logout_url(&app, &[("id_token_hint", &bobs)]))
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(login_skipped(&app, &browser, &client.id).await);
}

async fn expired_hints_are_accepted(backend: TestBackend) {
    let start = chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    clock.advance(chrono::Duration::hours(3));
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ];
    let challenge = logout_challenge(&browser, &logout_url(&app, &params)).await;
    let redirect = accept_logout(&app, &challenge).await;
    let done = browser.get(&redirect).await;
    assert_eq!(done.location.as_deref(), Some(POST_LOGOUT_URI));
}

async fn skip_logout_consent_clients_log_out_at_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(
        &app,
        json!({"post_logout_redirect_uris": [POST_LOGOUT_URI], "skip_logout_consent": true}),
    )
    .await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    // A bare client_id proves nothing: the logout app still asks.
    let bare = [("client_id", client.id.as_str())];
    logout_challenge(&browser, &logout_url(&app, &bare)).await;
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ];
    let page = browser.get(&logout_url(&app, &params)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(POST_LOGOUT_URI),
        "no logout app"
    );
    assert!(
        browser
            .cookie(&app.public_url, &session_cookie(&app))
            .is_none()
    );
    assert!(!login_skipped(&app, &browser, &client.id).await);
}

async fn a_pairwise_hint_names_the_sessions_subject(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            let ids = &mut c.oidc.subject_identifiers;
            ids.supported_types = vec!["public".into(), "pairwise".into()];
            ids.pairwise.salt = "logout-pairwise-salt-0001".into();
        })
        .build()
        .await;
    let client = create_client(
        &app,
        json!({"post_logout_redirect_uris": [POST_LOGOUT_URI], "subject_type": "pairwise"}),
    )
    .await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let params = [("id_token_hint", hint.as_str())];
    let challenge = logout_challenge(&browser, &logout_url(&app, &params)).await;
    let request = app
        .admin
        .get_o_auth2_logout_request()
        .logout_challenge(&challenge)
        .send()
        .await;
    assert_eq!(
        request.unwrap().into_inner().subject.as_deref(),
        Some("ada")
    );
}
