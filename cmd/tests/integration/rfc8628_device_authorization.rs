//! RFC 8628, the OAuth 2.0 Device Authorization Grant, as Hydra v25 serves it:
//! `POST /oauth2/device/auth` (§3.1, §3.2), the verification URI and the device app's
//! user-code acceptance (§3.3) leading into the ordinary login and consent, the token
//! endpoint's polling answers (§3.4, §3.5: `authorization_pending`, `slow_down`,
//! `access_denied`, `expired_token`), single use under concurrency, the user-code
//! brute-force lock (§5.1), discovery (§4), and bad input answered 4xx. The happy path
//! is driven by the `oauth2` crate's device flow client.

use std::sync::Arc;

use chrono::TimeZone;
use oauth2::basic::BasicTokenResponse;
use oauth2::{
    AuthType, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse,
};
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::device::{
    DEVICE_APP_URL, DEVICE_DONE_URL, DEVICE_GRANT, accept_user_code, accept_user_code_raw, approve,
    authorize_device, configure, device_challenge, device_client, error_of, poll, to_consent,
};
use crate::support::flow::create_client;
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc8628_3_device_flow_end_to_end_with_the_oauth2_crate,
    rfc8628_3_2_response_and_user_code_shape,
    rfc8628_3_3_user_code_is_accepted_once_and_challenge_once,
    rfc8628_3_3_verifier_is_bound_to_the_browser,
    rfc8628_3_5_authorization_pending_then_slow_down_adds_5_seconds,
    rfc8628_3_5_expired_token_after_ttl,
    rfc8628_3_5_access_denied_when_consent_is_rejected,
    rfc8628_3_5_device_code_is_single_use_under_concurrent_polls,
    rfc8628_5_1_user_code_brute_force_locks_the_challenge,
    rfc8628_4_discovery_advertises_the_endpoint_and_grant,
    rfc8628_bad_input_is_answered_4xx,
);

async fn spawn(backend: TestBackend) -> TestApp {
    TestApp::builder(backend).config(configure).build().await
}

async fn spawn_at(backend: TestBackend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .config(configure)
        .clock(clock.clone())
        .build()
        .await;
    (app, clock)
}

fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
}

async fn rfc8628_3_device_flow_end_to_end_with_the_oauth2_crate(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let oauth = app
        .token_client(
            &Registered {
                id: client.id.clone(),
                secret: None,
            },
            AuthType::RequestBody,
        )
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(app.public_path("/oauth2/device/auth")).unwrap(),
        );
    let http = app.oauth_http();
    let details: StandardDeviceAuthorizationResponse = oauth
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("offline".into()))
        .request_async(&http)
        .await
        .expect("device authorization");
    assert_eq!(details.interval(), std::time::Duration::from_secs(1));
    let complete = details
        .verification_uri_complete()
        .expect("verification_uri_complete")
        .secret()
        .clone();
    assert_eq!(
        param(&complete, "user_code").as_deref(),
        Some(details.user_code().secret().as_str())
    );
    // The device polls (the crate: first at once, then every `interval`, slowing down
    // when told) while the user authorizes it in a browser.
    let polling = {
        let oauth = oauth.clone();
        let details = details.clone();
        let http = app.oauth_http();
        tokio::spawn(async move {
            oauth
                .exchange_device_access_token(&details)
                .request_async(&http, tokio::time::sleep, None)
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let browser = Browser::new();
    // The user types the code with a separator and in lower case (RFC 8628 §6.1).
    let typed = details.user_code().secret().to_lowercase();
    let typed = format!("{}-{}", &typed[..4], &typed[4..]);
    let challenge = device_challenge(&browser, details.verification_uri().as_str()).await;
    let redirect_to = accept_user_code(&app, &challenge, &typed).await;
    let consent = to_consent(&app, &browser, &redirect_to, "ada").await;
    let redirect =
        crate::support::flow::accept_consent(&app, &consent, &["openid", "offline"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(
        page.location.as_deref(),
        Some(DEVICE_DONE_URL),
        "{}",
        page.body
    );

    let tokens: BasicTokenResponse =
        tokio::time::timeout(std::time::Duration::from_secs(30), polling)
            .await
            .expect("the device gets its tokens in time")
            .unwrap()
            .expect("token response");
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["openid", "offline"]);
    assert!(
        tokens.refresh_token().is_some(),
        "offline gives a refresh token"
    );
    let introspected = app.introspect(tokens.access_token().secret(), None).await;
    assert!(introspected.active);
    assert_eq!(introspected.sub.as_deref(), Some("ada"));
    assert_eq!(introspected.client_id.as_deref(), Some(client.id.as_str()));
    // A second poll finds the code spent (or, this soon, is told to slow down).
    let (status, body) = poll(&app, &client.id, details.device_code().secret()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        matches!(error_of(&body), "invalid_grant" | "slow_down"),
        "{body}"
    );
}

async fn rfc8628_3_2_response_and_user_code_shape(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let (status, body) = authorize_device(&app, &client.id, "openid").await;
    assert_eq!(status, 200, "{body}");
    let verification_uri = text(&body, "verification_uri");
    assert_eq!(verification_uri, app.public_path("/oauth2/device/verify"));
    let user_code = text(&body, "user_code");
    assert_eq!(user_code.len(), 8);
    assert!(
        user_code
            .bytes()
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
        "{user_code}"
    );
    assert_eq!(
        text(&body, "verification_uri_complete"),
        format!("{verification_uri}?user_code={user_code}")
    );
    assert!(text(&body, "device_code").len() >= 43);
    assert_eq!(body["expires_in"], 600, "ttl.device_user_code");
    assert_eq!(
        body["interval"], 1,
        "oauth2.device_authorization.token_polling_interval"
    );
    // Codes are fresh every time.
    let (_, again) = authorize_device(&app, &client.id, "openid").await;
    assert_ne!(again["device_code"], body["device_code"]);
    assert_ne!(again["user_code"], body["user_code"]);
    // The complete URI carries the user code on to the device app for prefilling.
    let page = Browser::new()
        .get(text(&body, "verification_uri_complete"))
        .await;
    let location = page.location.unwrap();
    assert!(location.starts_with(DEVICE_APP_URL), "{location}");
    assert_eq!(param(&location, "user_code").as_deref(), Some(user_code));
    assert!(
        page.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("portunus_device_csrf="))
    );
}

async fn rfc8628_3_3_user_code_is_accepted_once_and_challenge_once(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let (uri, code) = (text(&body, "verification_uri"), text(&body, "user_code"));
    let browser = Browser::new();
    let challenge = device_challenge(&browser, uri).await;
    let redirect_to = accept_user_code(&app, &challenge, code).await;
    assert!(redirect_to.starts_with(&app.public_path("/oauth2/device/verify?device_verifier=")));
    // The same challenge again: 410 with the first answer (as login and consent).
    let (status, again) = accept_user_code_raw(&app, &challenge, json!({"user_code": code})).await;
    assert_eq!(status, 410, "{again}");
    assert_eq!(again["redirect_to"], redirect_to);
    // The same user code on another challenge: it was used.
    let other = device_challenge(&Browser::new(), uri).await;
    let (status, body) = accept_user_code_raw(&app, &other, json!({"user_code": code})).await;
    assert_eq!(
        (status, error_of(&body)),
        (400, "invalid_request"),
        "{body}"
    );
    // The verifier works once.
    let page = browser.get(&redirect_to).await;
    assert!(
        page.location
            .unwrap()
            .starts_with(crate::support::test_app::LOGIN_APP_URL)
    );
    // Its CSRF cookie went with the first use (403); a replayed cookie meets the
    // single-use record (400). Either way: refused, not redirected.
    let page = browser.get(&redirect_to).await;
    assert!(
        matches!(page.status, 400 | 403),
        "a used verifier is refused: {}",
        page.status
    );
    assert!(page.location.is_none());
}

async fn rfc8628_3_3_verifier_is_bound_to_the_browser(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let challenge = device_challenge(&Browser::new(), text(&body, "verification_uri")).await;
    let redirect_to = accept_user_code(&app, &challenge, text(&body, "user_code")).await;
    // Another browser (no device_csrf cookie) cannot continue the verification.
    let page = Browser::new().get(&redirect_to).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.location.is_none());
}

async fn rfc8628_3_5_authorization_pending_then_slow_down_adds_5_seconds(backend: TestBackend) {
    let (app, clock) = spawn_at(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let code = text(&body, "device_code");
    let (status, first) = poll(&app, &client.id, code).await;
    assert_eq!(
        (status, error_of(&first)),
        (400, "authorization_pending"),
        "{first}"
    );
    // At once again: too fast; the interval becomes 1 + 5 = 6 s.
    let (status, fast) = poll(&app, &client.id, code).await;
    assert_eq!((status, error_of(&fast)), (400, "slow_down"), "{fast}");
    clock.advance(chrono::Duration::seconds(5));
    let (_, still) = poll(&app, &client.id, code).await;
    assert_eq!(error_of(&still), "slow_down", "5 s < 6 s: and now 11 s");
    clock.advance(chrono::Duration::seconds(10));
    let (_, early) = poll(&app, &client.id, code).await;
    assert_eq!(error_of(&early), "slow_down", "10 s < 11 s");
    clock.advance(chrono::Duration::seconds(16));
    let (_, pending) = poll(&app, &client.id, code).await;
    assert_eq!(error_of(&pending), "authorization_pending", "{pending}");
    clock.advance(chrono::Duration::seconds(16));
    let (_, pending) = poll(&app, &client.id, code).await;
    assert_eq!(
        error_of(&pending),
        "authorization_pending",
        "the interval stays at 16 s"
    );
}

async fn rfc8628_3_5_expired_token_after_ttl(backend: TestBackend) {
    let (app, clock) = spawn_at(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let code = text(&body, "device_code");
    let challenge = device_challenge(&Browser::new(), text(&body, "verification_uri")).await;
    clock.advance(chrono::Duration::seconds(601));
    let (status, expired) = poll(&app, &client.id, code).await;
    assert_eq!(
        (status, error_of(&expired)),
        (400, "expired_token"),
        "{expired}"
    );
    // The user code expired too; so did the challenge.
    let (status, _) = accept_user_code_raw(
        &app,
        &challenge,
        json!({"user_code": text(&body, "user_code")}),
    )
    .await;
    assert_eq!(status, 404, "an expired challenge");
    let fresh = device_challenge(&Browser::new(), text(&body, "verification_uri")).await;
    let (status, refused) =
        accept_user_code_raw(&app, &fresh, json!({"user_code": text(&body, "user_code")})).await;
    assert_eq!(
        (status, error_of(&refused)),
        (400, "invalid_request"),
        "{refused}"
    );
}

async fn rfc8628_3_5_access_denied_when_consent_is_rejected(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let browser = Browser::new();
    let challenge = device_challenge(&browser, text(&body, "verification_uri")).await;
    let redirect_to = accept_user_code(&app, &challenge, text(&body, "user_code")).await;
    let consent = to_consent(&app, &browser, &redirect_to, "ada").await;
    let rejected = app
        .admin
        .reject_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(
            serde_json::from_value::<portunus_sdk::types::RejectOAuth2Request>(
                json!({"error": "access_denied"}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let page = browser.get(&rejected).await;
    assert_eq!(
        page.status, 403,
        "the browser sees the refusal: {}",
        page.body
    );
    let (status, denied) = poll(&app, &client.id, text(&body, "device_code")).await;
    assert_eq!(
        (status, error_of(&denied)),
        (400, "access_denied"),
        "{denied}"
    );
}

async fn rfc8628_3_5_device_code_is_single_use_under_concurrent_polls(backend: TestBackend) {
    let (app, clock) = spawn_at(backend).await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid offline").await;
    let done = approve(
        &app,
        &Browser::new(),
        text(&body, "verification_uri"),
        text(&body, "user_code"),
        &["openid", "offline"],
    )
    .await;
    assert_eq!(done, DEVICE_DONE_URL);
    let code = text(&body, "device_code").to_owned();
    let app = Arc::new(app);
    let polls = (0..8).map(|_| {
        let (app, id, code) = (app.clone(), client.id.clone(), code.clone());
        tokio::spawn(async move { poll(&app, &id, &code).await })
    });
    let results: Vec<(u16, Value)> = futures::future::join_all(polls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let issued: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(issued.len(), 1, "exactly one poll gets tokens: {results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 400);
        assert!(
            matches!(error_of(body), "slow_down" | "invalid_grant"),
            "{body}"
        );
    }
    let tokens = issued[0];
    assert!(tokens["access_token"].is_string());
    assert!(tokens["refresh_token"].is_string(), "offline");
    assert!(tokens["id_token"].is_string(), "openid");
    assert_eq!(tokens["token_type"], "bearer");
    // Later polls, at any pace, find the code spent.
    clock.advance(chrono::Duration::seconds(60));
    let (status, spent) = poll(&app, &client.id, &code).await;
    assert_eq!(
        (status, error_of(&spent)),
        (400, "invalid_grant"),
        "{spent}"
    );
}

async fn rfc8628_5_1_user_code_brute_force_locks_the_challenge(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|config| {
            configure(config);
            config.oauth2.device_authorization.user_code.max_attempts = 3;
        })
        .build()
        .await;
    let client = device_client(&app).await;
    let (_, body) = authorize_device(&app, &client.id, "openid").await;
    let uri = text(&body, "verification_uri");
    let right = text(&body, "user_code");
    let challenge = device_challenge(&Browser::new(), uri).await;
    for wrong in ["BBBBBBBB", "not a code", "CCCCCCCC"] {
        let wrong = if wrong == right { "DDDDDDDD" } else { wrong };
        let (status, body) =
            accept_user_code_raw(&app, &challenge, json!({"user_code": wrong})).await;
        assert_eq!(
            (status, error_of(&body)),
            (400, "invalid_request"),
            "{body}"
        );
    }
    // Locked: even the right code is refused on this challenge.
    let (status, locked) =
        accept_user_code_raw(&app, &challenge, json!({"user_code": right})).await;
    assert_eq!(
        (status, error_of(&locked)),
        (403, "request_forbidden"),
        "{locked}"
    );
    // A new verification (a new challenge) with the right code still works: the
    // device authorization itself was not spent by the guesses.
    let fresh = device_challenge(&Browser::new(), uri).await;
    let (status, ok) = accept_user_code_raw(&app, &fresh, json!({"user_code": right})).await;
    assert_eq!(status, 200, "{ok}");
}

async fn rfc8628_4_discovery_advertises_the_endpoint_and_grant(backend: TestBackend) {
    let app = spawn(backend).await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc: Value = app
            .http
            .get(app.public_path(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["device_authorization_endpoint"],
            app.public_path("/oauth2/device/auth"),
            "{path}"
        );
        assert!(
            doc["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(DEVICE_GRANT)),
            "{path}"
        );
    }
}

async fn rfc8628_bad_input_is_answered_4xx(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = device_client(&app).await;
    let code_only = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let unknown = "no-such-client";
    let long = "x".repeat(5000);
    // The device authorization endpoint.
    for (form, status, error) in [
        (vec![("scope", "openid")], 401, "invalid_client"),
        (vec![("client_id", unknown)], 401, "invalid_client"),
        (
            vec![("client_id", code_only.id.as_str())],
            400,
            "unauthorized_client",
        ),
        (
            vec![("client_id", client.id.as_str()), ("scope", "admin")],
            400,
            "invalid_scope",
        ),
        (
            vec![("client_id", client.id.as_str()), ("scope", long.as_str())],
            400,
            "invalid_scope",
        ),
        (
            vec![
                ("client_id", client.id.as_str()),
                ("audience", "https://other.example"),
            ],
            400,
            "invalid_request",
        ),
        (
            vec![
                ("client_id", client.id.as_str()),
                ("scope", "a"),
                ("scope", "b"),
            ],
            400,
            "invalid_request",
        ),
    ] {
        let (got, _, body) = app.post_form("/oauth2/device/auth", None, &form).await;
        assert_eq!((got, error_of(&body)), (status, error), "{form:?}: {body}");
    }
    // The token endpoint.
    let (_, other_body) = authorize_device(&app, &client.id, "openid").await;
    let other_client = device_client(&app).await;
    for (code, error) in [
        ("", "invalid_grant"),
        ("ptn_dc_unknown", "invalid_grant"),
        (long.as_str(), "invalid_grant"),
        (text(&other_body, "device_code"), "invalid_grant"),
    ] {
        let (status, body) = poll(&app, &other_client.id, code).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            matches!(error_of(&body), "invalid_grant" | "invalid_request"),
            "{error}: {body}"
        );
    }
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            None,
            &[("grant_type", DEVICE_GRANT), ("client_id", &client.id)],
        )
        .await;
    assert_eq!(
        (status, error_of(&body)),
        (400, "invalid_request"),
        "no device_code: {body}"
    );
    // The admin acceptance.
    let challenge = device_challenge(&Browser::new(), text(&other_body, "verification_uri")).await;
    for (challenge, body, status) in [
        ("garbage", json!({"user_code": "BCDFGHJK"}), 404),
        (challenge.as_str(), json!({}), 400),
        (challenge.as_str(), json!({"user_code": ""}), 400),
        (challenge.as_str(), json!({"user_code": long}), 400),
        (challenge.as_str(), json!({"user_code": 12}), 400),
    ] {
        let (got, answer) = accept_user_code_raw(&app, challenge, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    // The verification endpoint.
    let browser = Browser::new();
    for query in [
        "device_verifier=garbage",
        "login_verifier=garbage",
        "consent_verifier=x",
    ] {
        let page = browser
            .get(&format!(
                "{}?{query}",
                app.public_path("/oauth2/device/verify")
            ))
            .await;
        assert!(
            (400..500).contains(&page.status),
            "{query}: {}",
            page.status
        );
    }
}
