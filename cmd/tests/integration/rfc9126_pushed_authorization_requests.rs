//! RFC 9126, OAuth 2.0 Pushed Authorization Requests: `POST /oauth2/par` authenticates
//! the client as the token endpoint does, validates the request as `/oauth2/auth`
//! would, and answers 201 with a `request_uri` that the authorization endpoint accepts
//! once, from the same client, within `ttl.par`; `require_pushed_authorization_requests`
//! globally and per client; discovery. The code is exchanged with the `oauth2` crate.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_server::clock::FixedClock;
use serde_json::json;

use crate::support::assertion::{EC_1, assertion_form, jwks};
use crate::support::browser::{Browser, param};
use crate::support::code::pkce_pair;
use crate::support::flow::{
    REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge, create_client,
    login_challenge, to_client,
};
use crate::support::hybrid::{NONCE, create_hybrid_client, fragment_param};
use crate::support::par::{PAR_PREFIX, object_claims, push, push_ok, request_uri_url, sign_object};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9126_2_pushed_code_flow_end_to_end,
    rfc9126_4_request_uri_is_single_use,
    rfc9126_2_2_request_uri_expires_after_ttl_par,
    rfc9126_2_2_request_uri_is_bound_to_its_client,
    rfc9126_5_par_required_globally,
    rfc9126_6_par_required_per_client,
    rfc9126_2_unauthenticated_push_is_refused,
    rfc9126_2_private_key_jwt_client_pushes,
    rfc9126_2_1_pushed_request_object,
    rfc9126_2_1_invalid_requests_are_refused_up_front,
    rfc9126_4_implicit_and_hybrid_responses,
    rfc9126_5_discovery_advertises_par,
);

/// Follows the browser from `url` through login and consent to the client.
async fn through_flow(app: &TestApp, browser: &Browser, url: &str) -> String {
    let challenge = login_challenge(browser, url).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    to_client(browser, &redirect).await
}

/// The error page the authorization endpoint shows for `url`: status and error code.
async fn error_page(browser: &Browser, url: &str) -> (u16, String) {
    let page = browser.get(url).await;
    assert!(
        page.location.is_none(),
        "not redirected: {:?}",
        page.location
    );
    (page.status, page.body)
}

async fn rfc9126_2_pushed_code_flow_end_to_end(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let (verifier, challenge) = pkce_pair();
    let (status, body) = push(
        &app,
        &client,
        &[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid offline"),
            ("state", "pushed-state"),
            ("nonce", NONCE),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], 60, "ttl.par defaults to 60s");
    let request_uri = body["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with(PAR_PREFIX), "{request_uri}");
    assert!(request_uri.len() > PAR_PREFIX.len() + 40, "{request_uri}");

    // RFC 9126 §4: query parameters other than client_id and request_uri are ignored.
    let browser = Browser::new();
    let url = request_uri_url(
        &app,
        &client.id,
        request_uri,
        &[("state", "query-state"), ("scope", "openid admin")],
    );
    let callback = through_flow(&app, &browser, &url).await;
    assert_eq!(param(&callback, "state").as_deref(), Some("pushed-state"));
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(app.state.config.issuer().as_str()),
        "RFC 9207 iss"
    );
    let code = param(&callback, "code").expect("code");
    let token = app
        .exchange_code(&client, &code, Some(&verifier))
        .await
        .expect("the code of a pushed request is exchanged");
    assert!(
        !oauth2::TokenResponse::access_token(&token)
            .secret()
            .is_empty()
    );
}

async fn rfc9126_4_request_uri_is_single_use(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let request_uri = push_ok(&app, &client, &[]).await;
    let url = request_uri_url(&app, &client.id, &request_uri, &[]);
    login_challenge(&Browser::new(), &url).await;
    let (status, body) = error_page(&Browser::new(), &url).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_request_uri"), "{body}");
    // A made-up reference is no better.
    let url = request_uri_url(&app, &client.id, &format!("{PAR_PREFIX}made-up"), &[]);
    let (_, body) = error_page(&Browser::new(), &url).await;
    assert!(body.contains("invalid_request_uri"), "{body}");
}

async fn rfc9126_2_2_request_uri_expires_after_ttl_par(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| c.ttl.par = portunus_server::duration::GoDuration::from_secs(5))
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let (status, body) = push(
        &app,
        &client,
        &[("response_type", "code"), ("redirect_uri", REDIRECT_URI)],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], 5);
    let request_uri = body["request_uri"].as_str().unwrap();
    clock.advance(chrono::Duration::seconds(5));
    let url = request_uri_url(&app, &client.id, request_uri, &[]);
    let (status, body) = error_page(&Browser::new(), &url).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_request_uri"), "{body}");

    // Within its lifetime it works.
    let request_uri = push_ok(&app, &client, &[]).await;
    clock.advance(chrono::Duration::seconds(4));
    let url = request_uri_url(&app, &client.id, &request_uri, &[]);
    login_challenge(&Browser::new(), &url).await;
}

async fn rfc9126_2_2_request_uri_is_bound_to_its_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let owner = create_client(&app, json!({})).await;
    let other = create_client(&app, json!({})).await;
    let request_uri = push_ok(&app, &owner, &[]).await;
    let url = request_uri_url(&app, &other.id, &request_uri, &[]);
    let (status, body) = error_page(&Browser::new(), &url).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_request_uri"), "{body}");
    // The other client's attempt did not use it up.
    let url = request_uri_url(&app, &owner.id, &request_uri, &[]);
    login_challenge(&Browser::new(), &url).await;
}

async fn rfc9126_5_par_required_globally(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.oauth2.par.required = true)
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let page = Browser::new()
        .get(&authorize_url(&app, &client.id, &[("scope", "openid")]))
        .await;
    let location = page.location.expect("an error for the client");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(
        param(&location, "error_description")
            .unwrap()
            .contains("pushed"),
        "{location}"
    );
    let request_uri = push_ok(&app, &client, &[]).await;
    let url = request_uri_url(&app, &client.id, &request_uri, &[]);
    login_challenge(&Browser::new(), &url).await;
    let doc: serde_json::Value = app.discovery().await;
    assert_eq!(doc["require_pushed_authorization_requests"], true);
}

async fn rfc9126_6_par_required_per_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let strict = create_client(&app, json!({"require_pushed_authorization_requests": true})).await;
    let relaxed = create_client(&app, json!({})).await;
    let fetched = app
        .admin
        .get_o_auth2_client()
        .id(&strict.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.require_pushed_authorization_requests, Some(true));
    let page = Browser::new()
        .get(&authorize_url(&app, &strict.id, &[]))
        .await;
    let location = page.location.expect("an error for the client");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    login_challenge(&Browser::new(), &authorize_url(&app, &relaxed.id, &[])).await;
    let request_uri = push_ok(&app, &strict, &[]).await;
    let url = request_uri_url(&app, &strict.id, &request_uri, &[]);
    login_challenge(&Browser::new(), &url).await;
}

async fn rfc9126_2_unauthenticated_push_is_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let form = [
        ("client_id", client.id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, _, body) = app.post_form("/oauth2/par", None, &form).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    let (status, headers, body) = app
        .post_form(
            "/oauth2/par",
            Some((&client.id, "wrong-secret")),
            &form[1..],
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(headers.contains_key("www-authenticate"));
}

async fn rfc9126_2_private_key_jwt_client_pushes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(
        &app,
        json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&EC_1])}),
    )
    .await;
    // RFC 9126 §2: the issuer identifier is a valid audience (so is the PAR URL).
    for aud in [app.state.config.issuer(), app.public_path("/oauth2/par")] {
        let mut claims = crate::support::assertion::claims(&app, &client.id);
        claims["aud"] = json!(aud);
        let assertion = EC_1.sign(&claims);
        let mut form = assertion_form(&assertion);
        form.retain(|(k, _)| *k != "grant_type");
        form.push(("response_type", "code".to_owned()));
        form.push(("redirect_uri", REDIRECT_URI.to_owned()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = app.post_form("/oauth2/par", None, &pairs).await;
        assert_eq!(status, 201, "{aud}: {body}");
        let request_uri = body["request_uri"].as_str().unwrap();
        let url = request_uri_url(&app, &client.id, request_uri, &[]);
        login_challenge(&Browser::new(), &url).await;
    }
}

async fn rfc9126_2_1_pushed_request_object(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(
        &app,
        json!({"jwks": jwks(&[&EC_1]), "request_object_signing_alg": "ES256"}),
    )
    .await;
    let object = sign_object(&EC_1, &object_claims(&app, &client.id, json!({})));
    let (status, body) = push(&app, &client, &[("request", &object)]).await;
    assert_eq!(status, 201, "{body}");
    let url = request_uri_url(&app, &client.id, body["request_uri"].as_str().unwrap(), &[]);
    let callback = through_flow(&app, &Browser::new(), &url).await;
    assert_eq!(
        param(&callback, "state").as_deref(),
        Some("from-the-object")
    );
    assert!(param(&callback, "code").is_some(), "{callback}");

    // An object with the wrong audience is refused when pushed.
    let bad = sign_object(
        &EC_1,
        &object_claims(
            &app,
            &client.id,
            json!({"aud": "https://elsewhere.example"}),
        ),
    );
    let (status, body) = push(&app, &client, &[("request", &bad)]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request_object");
}

async fn rfc9126_2_1_invalid_requests_are_refused_up_front(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    for (form, error) in [
        (
            vec![
                ("response_type", "code"),
                ("redirect_uri", "https://evil.example/cb"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "admin"),
            ],
            "invalid_scope",
        ),
        (
            vec![("response_type", "device"), ("redirect_uri", REDIRECT_URI)],
            "unsupported_response_type",
        ),
        (
            vec![
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("request_uri", "urn:ietf:params:oauth:request_uri:x"),
            ],
            "invalid_request",
        ),
    ] {
        let (status, body) = push(&app, &client, &form).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert_eq!(body["error"], error, "{form:?}: {body}");
    }
    // A client_id in the form must be the authenticated client's.
    let other = create_client(&app, json!({})).await;
    let (status, body) = push(
        &app,
        &client,
        &[
            ("client_id", &other.id),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

async fn rfc9126_4_implicit_and_hybrid_responses(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    for response_type in ["id_token token", "code id_token"] {
        let (status, body) = push(
            &app,
            &client,
            &[
                ("response_type", response_type),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid"),
                ("nonce", NONCE),
                ("state", "s"),
            ],
        )
        .await;
        assert_eq!(status, 201, "{response_type}: {body}");
        let url = request_uri_url(&app, &client.id, body["request_uri"].as_str().unwrap(), &[]);
        let location = through_flow(&app, &Browser::new(), &url).await;
        assert!(
            fragment_param(&location, "id_token").is_some(),
            "{response_type}: {location}"
        );
        assert_eq!(
            fragment_param(&location, "iss").as_deref(),
            Some(app.state.config.issuer().as_str())
        );
    }
}

async fn rfc9126_5_discovery_advertises_par(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc: serde_json::Value = app
        .http
        .get(app.public_path("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        app.public_path("/oauth2/par")
    );
    assert_eq!(doc["require_pushed_authorization_requests"], false);
    assert_eq!(doc["request_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], true);
    assert_eq!(doc["require_request_uri_registration"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let algs: Vec<&str> = doc["request_object_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for alg in ["RS256", "PS256", "ES256", "EdDSA", "none"] {
        assert!(algs.contains(&alg), "{alg} in {algs:?}");
    }
    assert!(!algs.contains(&"HS256"), "{algs:?}");
    // The SDK's typed document has the fields too.
    let typed = app
        .sdk
        .public()
        .discover_oidc_configuration()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        typed.pushed_authorization_request_endpoint.as_deref(),
        Some(app.public_path("/oauth2/par").as_str())
    );
}
