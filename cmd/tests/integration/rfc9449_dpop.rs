//! RFC 9449 at the token endpoint: §4.3 proof checks (each claim wrong in turn, replay),
//! §5 binding (`token_type: DPoP`, `cnf.jkt` in JWT access tokens and introspection),
//! §5.2 `dpop_bound_access_tokens`, §8 server nonces, §5.1 discovery. Proofs are signed
//! by the `jsonwebtoken` crate (`support::assertion`), never by our own signer, and
//! thumbprints are computed by the test.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, RSA_1, TestKey, with};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9449_5_client_credentials_opaque_and_jwt_tokens_are_bound,
    rfc9449_4_3_each_claim_wrong_in_turn_is_invalid_dpop_proof,
    rfc9449_11_1_a_replayed_proof_is_refused,
    rfc9449_5_2_dpop_bound_access_tokens_requires_a_proof,
    rfc9449_8_use_dpop_nonce_then_the_nonce_is_accepted,
);

/// RFC 9449 §4.2 claims for a POST to the app's token endpoint, now.
pub fn proof_claims(app: &TestApp, method: &str, path: &str) -> Value {
    json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "htm": method,
        "htu": app.public_path(path),
        "iat": app.state.clock.now().timestamp(),
    })
}

async fn service(app: &TestApp, extra: Value) -> Registered {
    let mut body = json!({
        "grant_types": ["client_credentials"],
        "scope": "read",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.register(body).await
}

/// A client-credentials request with `proof` as the DPoP header (if any).
pub async fn token_with_proof(
    app: &TestApp,
    client: &Registered,
    proof: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .http
        .post(app.public_path("/oauth2/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials"), ("scope", "read")]);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.expect("token request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

fn proof(app: &TestApp, key: &TestKey) -> String {
    key.sign_dpop(None, &proof_claims(app, "POST", "/oauth2/token"))
}

async fn rfc9449_5_client_credentials_opaque_and_jwt_tokens_are_bound(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let opaque = service(&app, json!({})).await;
    let (status, _, body) = token_with_proof(&app, &opaque, Some(&proof(&app, &EC_1))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap();
    let introspected = app.introspect(token, None).await;
    assert!(introspected.active);
    assert_eq!(introspected.token_type.as_deref(), Some("DPoP"));
    assert_eq!(
        introspected.cnf.expect("cnf").jkt,
        EC_1.thumbprint(),
        "RFC 9449 §6.2"
    );
    // Without a proof: a bearer token, no cnf.
    let (status, _, body) = token_with_proof(&app, &opaque, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let plain = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert!(plain.cnf.is_none());
    assert_eq!(plain.token_type.as_deref(), Some("Bearer"));

    // RFC 9449 §6.1: a JWT access token carries cnf.jkt (RS256 proof this time).
    let jwt = service(&app, json!({"access_token_strategy": "jwt"})).await;
    let (status, _, body) = token_with_proof(&app, &jwt, Some(&proof(&app, &RSA_1))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["cnf"]["jkt"], RSA_1.thumbprint());
    assert_eq!(
        app.introspect(token, None).await.cnf.expect("cnf").jkt,
        RSA_1.thumbprint()
    );

    // §5.1: discovery advertises the algorithms.
    let discovery: Value = app.discovery().await;
    assert_eq!(
        discovery["dpop_signing_alg_values_supported"],
        json!(["ES256", "PS256", "RS256", "EdDSA"])
    );
}

/// Asserts a `400 invalid_dpop_proof` whose description contains `needle`.
async fn refused(app: &TestApp, client: &Registered, proof: &str, needle: &str) {
    let (status, _, body) = token_with_proof(app, client, Some(proof)).await;
    assert_eq!(status, 400, "{needle}: {body}");
    assert_eq!(body["error"], "invalid_dpop_proof", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
}

async fn rfc9449_4_3_each_claim_wrong_in_turn_is_invalid_dpop_proof(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = service(&app, json!({})).await;
    let claims = || proof_claims(&app, "POST", "/oauth2/token");
    let now = app.state.clock.now().timestamp();
    let cases: Vec<(String, &str)> = vec![
        (EC_1.sign_dpop(Some("JWT"), &claims()), "dpop+jwt"),
        (EC_1.sign(&claims()), "'typ'"),
        (
            EC_1.sign_dpop(None, &with(claims(), json!({"jti": null}))),
            "'jti'",
        ),
        (
            EC_1.sign_dpop(None, &with(claims(), json!({"htm": "GET"}))),
            "'htm'",
        ),
        (
            EC_1.sign_dpop(
                None,
                &with(
                    claims(),
                    json!({"htu": "https://evil.example/oauth2/token"}),
                ),
            ),
            "'htu'",
        ),
        (
            EC_1.sign_dpop(
                None,
                &with(claims(), json!({"htu": app.public_path("/oauth2/revoke")})),
            ),
            "'htu'",
        ),
        (
            EC_1.sign_dpop(None, &with(claims(), json!({"iat": now - 3600}))),
            "too long ago",
        ),
        (
            EC_1.sign_dpop(None, &with(claims(), json!({"iat": now + 3600}))),
            "future",
        ),
        (
            EC_1.sign_dpop(None, &with(claims(), json!({"iat": null}))),
            "'iat'",
        ),
        ("not-a-jwt".to_owned(), "three dot-separated parts"),
    ];
    for (proof, needle) in &cases {
        refused(&app, &client, proof, needle).await;
    }
    // A proof signed by one key naming another in its jwk.
    let mismatched = EC_1.sign_dpop_naming(EC_2.jwk(), &claims());
    refused(&app, &client, &mismatched, "signature").await;
    // Query and fragment of htu are ignored (§4.3 step 9).
    let with_query = with(
        claims(),
        json!({"htu": format!("{}?x=1#f", app.public_path("/oauth2/token"))}),
    );
    let (status, _, body) =
        token_with_proof(&app, &client, Some(&EC_1.sign_dpop(None, &with_query))).await;
    assert_eq!(status, 200, "{body}");
}

async fn rfc9449_11_1_a_replayed_proof_is_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = service(&app, json!({})).await;
    let once = proof(&app, &EC_1);
    let (status, _, body) = token_with_proof(&app, &client, Some(&once)).await;
    assert_eq!(status, 200, "{body}");
    refused(&app, &client, &once, "used before").await;
    // A second node on the same database sees the first one's proofs.
    let other = TestApp::builder(backend)
        .same_database_as(&app)
        .build()
        .await;
    let (status, _, body) = token_with_proof(&other, &client, Some(&once)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_dpop_proof");
}

async fn rfc9449_5_2_dpop_bound_access_tokens_requires_a_proof(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = service(&app, json!({"dpop_bound_access_tokens": true})).await;
    let fetched = app
        .admin
        .get_o_auth2_client()
        .id(&client.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.dpop_bound_access_tokens, Some(true));
    let (status, _, body) = token_with_proof(&app, &client, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_dpop_proof");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("dpop_bound_access_tokens")
    );
    let (status, _, body) = token_with_proof(&app, &client, Some(&proof(&app, &EC_2))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
}

async fn rfc9449_8_use_dpop_nonce_then_the_nonce_is_accepted(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|config| config.oauth2.dpop.nonce = true)
        .build()
        .await;
    let client = service(&app, json!({})).await;
    let (status, headers, body) = token_with_proof(&app, &client, Some(&proof(&app, &EC_1))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "use_dpop_nonce");
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_owned();
    assert!(!nonce.is_empty());
    let claims = with(
        proof_claims(&app, "POST", "/oauth2/token"),
        json!({"nonce": nonce}),
    );
    let (status, headers, body) =
        token_with_proof(&app, &client, Some(&EC_1.sign_dpop(None, &claims))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert!(headers.contains_key("dpop-nonce"), "RFC 9449 §8.2");
    let forged = with(
        proof_claims(&app, "POST", "/oauth2/token"),
        json!({"nonce": "forged-nonce"}),
    );
    let (status, _, body) =
        token_with_proof(&app, &client, Some(&EC_1.sign_dpop(None, &forged))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "use_dpop_nonce");
}
