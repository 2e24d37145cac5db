//! Numbers that meet a time (issue 12 item 6): `max_age` from the RP (OIDC Core
//! §3.1.2.1) with a session cookie, and `remember_for` from the login and consent apps.
//! Extreme values get a 4xx (JSON for the apps, a redirect for the RP) or are honoured,
//! never a 500 or a dropped connection, and the flow can still be completed afterwards.

use portunus_server::flow::remember::MAX_REMEMBER_FOR;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge, create_client,
    login_challenge, to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    remember_for_extremes_are_refused_and_the_flow_completes,
    max_age_extremes_with_a_session_are_honoured_or_refused,
);

/// `remember_for` values outside 0..=MAX_REMEMBER_FOR, as JSON numbers.
const OUT_OF_RANGE: [i64; 6] = [
    -1,
    i64::MIN,
    MAX_REMEMBER_FOR + 1,
    10_000_000_000_000,
    9_223_372_036_854_776,
    i64::MAX,
];

/// Bodies whose `remember_for` is not an `i64` at all.
const NOT_INTEGERS: [&str; 6] = [
    "1e13",
    "1.5",
    "18446744073709551615",
    "1e400",
    "\"NaN\"",
    "\"9223372036\"",
];

/// PUTs `body` to an accept endpoint of the admin API; returns status and JSON body.
async fn put_json(app: &TestApp, path: &str, body: String) -> (u16, Value) {
    let response = app
        .http
        .put(app.admin_path(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the admin API answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Every extreme `remember_for` is a 400 naming the field (or a JSON error for a value
/// that is no integer), and the challenge stays usable.
async fn refuses_extremes(app: &TestApp, path: &str, body: impl Fn(&str) -> String) {
    let numbers = OUT_OF_RANGE.map(|n| n.to_string());
    for value in numbers.iter().map(String::as_str) {
        let (status, error) = put_json(app, path, body(value)).await;
        assert_eq!(status, 400, "remember_for {value}: {error}");
        assert_eq!(error["error"], "invalid_request", "{error}");
        let description = error["error_description"].as_str().unwrap_or_default();
        assert!(
            description.contains("remember_for"),
            "{value}: {description}"
        );
    }
    for value in NOT_INTEGERS {
        let (status, error) = put_json(app, path, body(value)).await;
        assert_eq!(status, 400, "remember_for {value}: {error}");
        assert_eq!(error["error"], "invalid_request", "{error}");
    }
}

async fn remember_for_extremes_are_refused_and_the_flow_completes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid offline")]);
    let challenge = login_challenge(&browser, &url).await;
    let sid = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner()
        .session_id
        .expect("session_id");

    let login_path =
        format!("/admin/oauth2/auth/requests/login/accept?login_challenge={challenge}");
    refuses_extremes(&app, &login_path, |v| {
        format!(r#"{{"subject":"ada","remember":true,"remember_for":{v}}}"#)
    })
    .await;
    // The longest accepted value is honoured: the session is stored (on every backend)
    // with an expiry ten years ahead, and the flow goes on.
    let body = format!(r#"{{"subject":"ada","remember":true,"remember_for":{MAX_REMEMBER_FOR}}}"#);
    let (status, accepted) = put_json(&app, &login_path, body).await;
    assert_eq!(status, 200, "{accepted}");
    let redirect = accepted["redirect_to"].as_str().unwrap();
    let consent = consent_challenge(&browser, redirect).await;
    let session = app
        .state
        .login_sessions
        .get_login_session(&sid)
        .await
        .unwrap()
        .expect("the remembered session");
    let days = (session.expires_at - app.state.clock.now()).num_days();
    assert!((3649..=3650).contains(&days), "{days} days");

    let consent_path =
        format!("/admin/oauth2/auth/requests/consent/accept?consent_challenge={consent}");
    refuses_extremes(&app, &consent_path, |v| {
        format!(r#"{{"grant_scope":["openid","offline"],"remember":true,"remember_for":{v}}}"#)
    })
    .await;
    let body = format!(
        r#"{{"grant_scope":["openid","offline"],"remember":true,"remember_for":{MAX_REMEMBER_FOR}}}"#
    );
    let (status, accepted) = put_json(&app, &consent_path, body).await;
    assert_eq!(status, 200, "{accepted}");
    let callback = to_client(&browser, accepted["redirect_to"].as_str().unwrap()).await;
    let code = param(&callback, "code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, tokens) = app.token_request(&client, &form).await;
    assert_eq!(status, 200, "{tokens}");

    // Both remembered decisions read back: the login and the consent are skipped.
    let challenge = login_challenge(&browser, &url).await;
    let login = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(login.skip, "the session is remembered");
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
    assert_eq!(request.skip, Some(true), "the consent is remembered");
    // ...for ten years, not for ever: the stored expiry read back on this backend.
    let now = app.state.clock.now();
    for (days, remembered) in [(3649, true), (3651, false)] {
        let at = now + chrono::TimeDelta::days(days);
        let found = app
            .state
            .consents
            .find_remembered_consent("ada", &client.id, at)
            .await
            .unwrap();
        assert_eq!(found.is_some(), remembered, "after {days} days");
    }
}

/// `max_age` values an RP may send with a session cookie: integers up to `i64::MAX` are
/// honoured (the session is younger, so the login is skipped), anything else is an
/// `invalid_request` redirect to the client. Never a 500.
async fn max_age_extremes_with_a_session_are_honoured_or_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", true).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    to_client(&browser, &redirect).await;

    let honoured = [
        "9223372036854776",
        "9223372036854775807",
        "2147483647",
        "4294967295",
        "3600",
    ];
    for max_age in honoured {
        let url = authorize_url(
            &app,
            &client.id,
            &[("scope", "openid"), ("max_age", max_age)],
        );
        let challenge = login_challenge(&browser, &url).await;
        let login = app
            .admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(login.skip, "max_age={max_age}: the session is younger");
    }
    // One of them all the way to the client.
    let url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid"), ("max_age", "9223372036854776")],
    );
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let callback = to_client(&browser, &redirect).await;
    assert!(param(&callback, "code").is_some(), "{callback}");

    let refused = [
        "-1",
        "-9223372036854775808",
        "9223372036854775808",
        "18446744073709551615",
        "1e13",
        "1.5",
        "NaN",
        "inf",
        "99999999999999999999999999999999",
    ];
    for max_age in refused {
        let url = authorize_url(
            &app,
            &client.id,
            &[("scope", "openid"), ("max_age", max_age)],
        );
        let page = browser.get(&url).await;
        assert_eq!(page.status, 303, "max_age={max_age:?}: {}", page.body);
        let location = page.location.unwrap_or_default();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request"),
            "max_age={max_age:?}: {location}"
        );
    }
    // max_age=0 asks for a fresh authentication.
    let url = authorize_url(&app, &client.id, &[("scope", "openid"), ("max_age", "0")]);
    let challenge = login_challenge(&browser, &url).await;
    let login = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!login.skip, "max_age=0");
}
