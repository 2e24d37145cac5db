//! FAPI 2.0 Security Profile (final), one test per clause, for a client registered
//! with `fapi_profile: fapi2` and for every client under `oauth2.profile: fapi2`.
//! `docs/fapi2.md` maps each clause to the test here. Assertions, proofs and request
//! objects are signed by the `jsonwebtoken` crate; the PKCE pair is the `oauth2`
//! crate's.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, RSA_1, jwks, with};
use crate::support::browser::Browser;
use crate::support::code::pkce_pair;
use crate::support::fapi::{
    add_fapi_id_token_key, assertion, assertion_by, code_of, dpop, error_of, fapi_client,
    fapi_client_as_is, post, pushed_form,
};
use crate::support::flow::{REDIRECT_URI, authorize_url, create_client};
use crate::support::oidc::jose_header;
use crate::support::par::{object_claims, sign_object};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    fapi2_admin_refuses_non_conforming_client_metadata,
    fapi2_5_3_2_2_authorization_requests_must_be_pushed,
    fapi2_5_3_2_2_only_response_type_code,
    fapi2_5_3_2_2_pkce_s256_is_required,
    fapi2_5_3_2_2_redirect_uri_is_required_in_par,
    fapi2_5_3_2_1_clients_authenticate_with_private_key_jwt_only,
    fapi2_5_3_2_1_assertion_aud_is_the_issuer_as_a_single_string,
    fapi2_5_3_2_1_access_tokens_are_sender_constrained_by_dpop,
    fapi2_5_4_1_rs256_and_none_are_refused,
    fapi2_5_4_1_id_tokens_are_signed_with_a_fapi_algorithm,
    fapi2_5_3_2_1_codes_live_at_most_60_seconds,
    fapi2_5_3_2_1_refresh_tokens_are_not_rotated,
    fapi2_5_3_2_1_concurrent_refreshes_without_rotation_all_succeed,
    fapi2_global_profile_discovery_advertises_exactly_what_is_on,
);

fn fapi2_everywhere(config: &mut portunus_server::Config) {
    config.oauth2.profile = portunus_server::config::SecurityProfile::Fapi2;
}

async fn admin_create(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&body)
        .send()
        .await
        .expect("create client");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

fn conforming_body() -> Value {
    json!({
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks(&[&EC_1]),
        "fapi_profile": "fapi2",
    })
}

async fn fapi2_admin_refuses_non_conforming_client_metadata(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = admin_create(&app, conforming_body()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["fapi_profile"], "fapi2");
    for (change, field) in [
        (
            json!({"token_endpoint_auth_method": "client_secret_basic", "jwks": null}),
            "token_endpoint_auth_method",
        ),
        (
            json!({"token_endpoint_auth_method": "none", "jwks": null}),
            "token_endpoint_auth_method",
        ),
        (
            json!({"token_endpoint_auth_signing_alg": "RS256"}),
            "token_endpoint_auth_signing_alg",
        ),
        (
            json!({"request_object_signing_alg": "none"}),
            "request_object_signing_alg",
        ),
        (
            json!({"response_types": ["code", "code id_token"]}),
            "response_types",
        ),
        (
            json!({"grant_types": ["authorization_code", "implicit"]}),
            "grant_types",
        ),
        (json!({"fapi_profile": "fapi1"}), "fapi_profile"),
    ] {
        let (status, body) = admin_create(&app, with(conforming_body(), change.clone())).await;
        assert_eq!(status, 400, "{change}: {body}");
        let (error, description) = error_of(&body);
        assert_eq!(error, "invalid_client_metadata", "{change}");
        assert!(description.contains(field), "{change}: {description}");
    }
    // A patch that breaks a rule is refused as well.
    let id = created["client_id"].as_str().unwrap();
    let response = app
        .http
        .patch(app.admin_path(&format!("/admin/clients/{id}")))
        .json(&json!([{"op": "replace", "path": "/response_types", "value": ["code token"]}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Under oauth2.profile fapi2 every client is held to the profile.
    let strict = TestApp::builder(backend)
        .config(fapi2_everywhere)
        .build()
        .await;
    let (status, body) = admin_create(&strict, json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).1.contains("private_key_jwt"), "{body}");
    let mut plain = conforming_body();
    plain.as_object_mut().unwrap().remove("fapi_profile");
    let (status, body) = admin_create(&strict, plain).await;
    assert_eq!(status, 201, "{body}");
}

async fn fapi2_5_3_2_2_authorization_requests_must_be_pushed(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({})).await;
    let (_, challenge) = pkce_pair();
    let url = authorize_url(
        &app,
        &client.id,
        &[
            ("scope", "openid"),
            ("state", "s-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let page = Browser::new().get(&url).await;
    let location = page.location.expect("the error goes to the client");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    let url = url::Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "invalid_request");
    assert!(
        query["error_description"].contains("FAPI 2.0 Security Profile Section 5.3.2.2"),
        "{query:?}"
    );
    assert_eq!(query["state"], "s-1");

    // Pushed, the same request is accepted.
    let (status, body) = post(
        &app,
        "/oauth2/par",
        Some(&assertion(&app, &client.id)),
        None,
        &pushed_form(&challenge, &[]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn fapi2_5_3_2_2_only_response_type_code(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({})).await;
    let (_, challenge) = pkce_pair();
    for response_type in ["code id_token", "id_token", "token"] {
        let mut form = pushed_form(&challenge, &[("nonce", "n-1")]);
        form[0] = ("response_type", response_type);
        let (status, body) = post(
            &app,
            "/oauth2/par",
            Some(&assertion(&app, &client.id)),
            None,
            &form,
        )
        .await;
        assert_eq!(status, 400, "{response_type}: {body}");
        let (error, description) = error_of(&body);
        assert_eq!(error, "unsupported_response_type", "{response_type}");
        assert!(description.contains("FAPI 2.0"), "{description}");
    }
}

async fn fapi2_5_3_2_2_pkce_s256_is_required(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({})).await;
    let form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
    ];
    let (status, body) = post(
        &app,
        "/oauth2/par",
        Some(&assertion(&app, &client.id)),
        None,
        &form,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("S256"), "{description}");
}

async fn fapi2_5_3_2_2_redirect_uri_is_required_in_par(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // One registered redirect URI: plain OAuth 2.0 would let the request omit it.
    let client = fapi_client(&app, json!({})).await;
    let (_, challenge) = pkce_pair();
    let form: Vec<_> = pushed_form(&challenge, &[])
        .into_iter()
        .filter(|(name, _)| *name != "redirect_uri")
        .collect();
    let (status, body) = post(
        &app,
        "/oauth2/par",
        Some(&assertion(&app, &client.id)),
        None,
        &form,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("redirect_uri"), "{description}");
}

async fn fapi2_5_3_2_1_clients_authenticate_with_private_key_jwt_only(backend: TestBackend) {
    // A client registered before the server switched to the profile.
    let before = TestApp::spawn(backend).await;
    let legacy = create_client(
        &before,
        json!({"grant_types": ["client_credentials"], "response_types": []}),
    )
    .await;
    let after = TestApp::builder(backend)
        .same_database_as(&before)
        .config(fapi2_everywhere)
        .build()
        .await;
    let response = after
        .http
        .post(after.public_path("/oauth2/token"))
        .basic_auth(&legacy.id, legacy.secret.as_deref())
        .header("DPoP", dpop(&after, &EC_1, "/oauth2/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_client");
    assert!(description.contains("private_key_jwt"), "{description}");
    // The same client on the node without the profile still works.
    let response = before
        .http
        .post(before.public_path("/oauth2/token"))
        .basic_auth(&legacy.id, legacy.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

async fn fapi2_5_3_2_1_assertion_aud_is_the_issuer_as_a_single_string(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({"grant_types": ["client_credentials"]})).await;
    let issuer = app.state.config.issuer();
    for aud in [
        json!(app.public_path("/oauth2/token")),
        json!([issuer.clone()]),
        json!(app.public_path("/oauth2/par")),
    ] {
        let assertion = assertion_by(&app, &client.id, &EC_1, aud.clone());
        let (status, body) = post(
            &app,
            "/oauth2/token",
            Some(&assertion),
            Some(&dpop(&app, &EC_2, "/oauth2/token")),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(status, 401, "{aud}: {body}");
        let (error, description) = error_of(&body);
        assert_eq!(error, "invalid_client");
        assert!(description.contains("single string"), "{description}");
    }
    let (status, body) = post(
        &app,
        "/oauth2/token",
        Some(&assertion(&app, &client.id)),
        Some(&dpop(&app, &EC_2, "/oauth2/token")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn fapi2_5_3_2_1_access_tokens_are_sender_constrained_by_dpop(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({"grant_types": ["client_credentials"]})).await;
    let form = [("grant_type", "client_credentials")];
    let (status, body) = post(
        &app,
        "/oauth2/token",
        Some(&assertion(&app, &client.id)),
        None,
        &form,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("sender-constrained"), "{description}");
    let (status, body) = post(
        &app,
        "/oauth2/token",
        Some(&assertion(&app, &client.id)),
        Some(&dpop(&app, &EC_2, "/oauth2/token")),
        &form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let introspected = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(introspected.cnf.expect("cnf").jkt, EC_2.thumbprint());
}

async fn fapi2_5_4_1_rs256_and_none_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(
        &app,
        json!({"jwks": jwks(&[&EC_1, &RSA_1]), "grant_types": ["authorization_code", "client_credentials"]}),
    )
    .await;
    let issuer = json!(app.state.config.issuer());
    let form = [("grant_type", "client_credentials")];
    // A client assertion signed RS256.
    let rs256 = assertion_by(&app, &client.id, &RSA_1, issuer.clone());
    let (status, body) = post(
        &app,
        "/oauth2/token",
        Some(&rs256),
        Some(&dpop(&app, &EC_2, "/oauth2/token")),
        &form,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(error_of(&body).1.contains("5.4.1"), "{body}");
    // A DPoP proof signed RS256.
    let (status, body) = post(
        &app,
        "/oauth2/token",
        Some(&assertion(&app, &client.id)),
        Some(&dpop(&app, &RSA_1, "/oauth2/token")),
        &form,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("5.4.1"), "{description}");
    // Request objects signed RS256, or not at all.
    let (_, challenge) = pkce_pair();
    let claims = object_claims(
        &app,
        &client.id,
        json!({"code_challenge": challenge, "code_challenge_method": "S256"}),
    );
    let unsigned = crate::support::assertion::unsecured(&claims);
    for object in [sign_object(&RSA_1, &claims), unsigned] {
        let (status, body) = post(
            &app,
            "/oauth2/par",
            Some(&assertion(&app, &client.id)),
            None,
            &[("request", object.as_str())],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        let (error, description) = error_of(&body);
        assert_eq!(error, "invalid_request_object");
        assert!(description.contains("5.4.1"), "{description}");
    }
    // ES256 passes.
    let (status, body) = post(
        &app,
        "/oauth2/par",
        Some(&assertion(&app, &client.id)),
        None,
        &[("request", sign_object(&EC_1, &claims).as_str())],
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Pushes a conforming request with a DPoP proof by EC_2, runs the flow; returns
/// the code and the PKCE verifier.
async fn pushed_code(app: &TestApp, client_id: &str, scopes: &[&str]) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let (status, body) = post(
        app,
        "/oauth2/par",
        Some(&assertion(app, client_id)),
        Some(&dpop(app, &EC_2, "/oauth2/par")),
        &pushed_form(&challenge, &[]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let code = code_of(
        app,
        client_id,
        body["request_uri"].as_str().unwrap(),
        scopes,
    )
    .await;
    (code, verifier)
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (u16, Value) {
    post(
        app,
        "/oauth2/token",
        Some(&assertion(app, client_id)),
        Some(&dpop(app, &EC_2, "/oauth2/token")),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
}

/// §5.4.1 for ID tokens of a client that names no `id_token_signed_response_alg`: never
/// the default RS256. A covered client on a server whose ID-token set holds RS256 only
/// is refused naming the clause; with an ES256 key in the set, that key signs; under
/// `oauth2.profile: fapi2` the set starts with an ES256 key.
async fn fapi2_5_4_1_id_tokens_are_signed_with_a_fapi_algorithm(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client_as_is(&app, json!({})).await;
    let (code, verifier) = pushed_code(&app, &client.id, &["openid"]).await;
    let (status, body) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("5.4.1"), "{description}");

    add_fapi_id_token_key(&app).await;
    let (code, verifier) = pushed_code(&app, &client.id, &["openid"]).await;
    let (status, body) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jose_header(body["id_token"].as_str().unwrap())["alg"],
        "ES256"
    );

    let everywhere = TestApp::builder(backend)
        .config(fapi2_everywhere)
        .build()
        .await;
    let set = everywhere
        .admin
        .get_json_web_key_set()
        .set("hydra.openid.id-token")
        .send()
        .await
        .unwrap()
        .into_inner();
    let algs: Vec<Option<&str>> = set.keys.iter().map(|k| k.alg.as_deref()).collect();
    assert_eq!(algs, [Some("ES256")]);
    let client = fapi_client_as_is(&everywhere, json!({})).await;
    let (code, verifier) = pushed_code(&everywhere, &client.id, &["openid"]).await;
    let (status, body) = exchange(&everywhere, &client.id, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jose_header(body["id_token"].as_str().unwrap())["alg"],
        "ES256"
    );
}

fn fixed_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap(),
    ))
}

async fn fapi2_5_3_2_1_codes_live_at_most_60_seconds(backend: TestBackend) {
    let clock = fixed_clock();
    // ttl.auth_code is 10 minutes: the profile shortens it for its clients.
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let client = fapi_client(&app, json!({})).await;
    let (code, verifier) = pushed_code(&app, &client.id, &["openid"]).await;
    clock.advance(chrono::Duration::seconds(61));
    let (status, body) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("expired"), "{description}");
    // Within 60 seconds the code works, and the tokens are DPoP-bound.
    let (code, verifier) = pushed_code(&app, &client.id, &["openid"]).await;
    clock.advance(chrono::Duration::seconds(59));
    let (status, body) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
}

async fn fapi2_5_3_2_1_refresh_tokens_are_not_rotated(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({})).await;
    let (code, verifier) = pushed_code(&app, &client.id, &["openid", "offline"]).await;
    let (status, tokens) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");
    for round in 0..2 {
        let (status, body) = post(
            &app,
            "/oauth2/token",
            Some(&assertion(&app, &client.id)),
            Some(&dpop(&app, &EC_2, "/oauth2/token")),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await;
        assert_eq!(status, 200, "round {round}: {body}");
        assert_eq!(body["token_type"], "DPoP");
        assert!(body.get("refresh_token").is_none(), "not rotated: {body}");
        assert!(
            app.introspect(body["access_token"].as_str().unwrap(), None)
                .await
                .active
        );
    }
    assert!(app.introspect(refresh_token, None).await.active);
}

/// Without rotation there is no "used" refresh token: a client that refreshes from
/// several threads at once (a race that, with rotation, is reuse and revokes the
/// family) gets a new access token each time, and its refresh token stays valid.
async fn fapi2_5_3_2_1_concurrent_refreshes_without_rotation_all_succeed(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = fapi_client(&app, json!({})).await;
    let (code, verifier) = pushed_code(&app, &client.id, &["openid", "offline"]).await;
    let (status, tokens) = exchange(&app, &client.id, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");
    let refreshes = (0..8).map(|_| {
        let (app, client_id) = (&app, client.id.as_str());
        async move {
            post(
                app,
                "/oauth2/token",
                Some(&assertion(app, client_id)),
                Some(&dpop(app, &EC_2, "/oauth2/token")),
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ],
            )
            .await
        }
    });
    let answers = futures::future::join_all(refreshes).await;
    let mut access_tokens = std::collections::HashSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "not rotated: {body}");
        access_tokens.insert(body["access_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        access_tokens.len(),
        8,
        "a distinct access token per refresh"
    );
    for token in &access_tokens {
        assert!(app.introspect(token, None).await.active);
    }
    assert!(app.introspect(refresh_token, None).await.active);
}

async fn fapi2_global_profile_discovery_advertises_exactly_what_is_on(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(fapi2_everywhere)
        .build()
        .await;
    let doc: Value = app
        .http
        .get(app.public_path("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    let fapi_algs = json!(["PS256", "ES256", "EdDSA"]);
    assert_eq!(
        doc["token_endpoint_auth_signing_alg_values_supported"],
        fapi_algs
    );
    assert_eq!(
        doc["request_object_signing_alg_values_supported"],
        fapi_algs
    );
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["require_pushed_authorization_requests"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // Without the profile nothing of it is advertised.
    let plain = TestApp::spawn(backend).await;
    let doc: Value = plain
        .http
        .get(plain.public_path("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["require_pushed_authorization_requests"], false);
    assert!(doc["response_types_supported"].as_array().unwrap().len() > 1);
}

/// §5.4.1 for userinfo: a client registered with `userinfo_signed_response_alg: RS256`
/// before `oauth2.profile: fapi2` was turned on (registration refuses RS256 now) gets
/// an error naming the clause from userinfo, never an RS256 JWT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_5_4_1_a_legacy_rs256_userinfo_client_gets_no_rs256_jwt() {
    let before = TestApp::spawn(TestBackend::Sqlite).await;
    let registered = before
        .register(json!({
            "grant_types": ["client_credentials", "refresh_token"],
            "scope": "openid offline",
            "userinfo_signed_response_alg": "RS256",
        }))
        .await;
    let (token, _) = before
        .issue_family(&registered.id, &["openid", "offline"])
        .await;
    let userinfo = |app: &TestApp| {
        app.http
            .get(app.public_path("/userinfo"))
            .bearer_auth(&token)
            .send()
    };
    let signed = userinfo(&before).await.unwrap();
    assert_eq!(signed.status().as_u16(), 200);
    let jwt = signed.text().await.unwrap();
    assert_eq!(
        jose_header(&jwt)["alg"],
        "RS256",
        "before the profile: {jwt}"
    );

    let after = TestApp::builder(TestBackend::Sqlite)
        .same_database_as(&before)
        .config(fapi2_everywhere)
        .build()
        .await;
    let refused = userinfo(&after).await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("FAPI 2.0 Security Profile Section 5.4.1"),
        "{body}"
    );
}
