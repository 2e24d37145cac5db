//! RFC 9449 §10.1: DPoP with pushed authorization requests. A `DPoP` proof on
//! `/oauth2/par` binds the authorization code to the proof's key, as `dpop_jkt` does;
//! both together must name the same key (`invalid_request` otherwise); a bad proof at
//! PAR is `invalid_dpop_proof`. Proofs are signed by the `jsonwebtoken` crate and
//! thumbprints computed by the test.

use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, TestKey};
use crate::support::code::pkce_pair;
use crate::support::fapi::{code_of, dpop, error_of};
use crate::support::flow::{FlowClient, REDIRECT_URI, create_client};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9449_10_1_a_proof_at_par_binds_the_code,
    rfc9449_10_1_dpop_jkt_and_the_proof_must_name_one_key,
    rfc9449_10_1_dpop_jkt_alone_at_par_binds_the_code,
    rfc9449_10_1_a_bad_proof_at_par_is_invalid_dpop_proof,
);

/// POSTs `form` to `path` as `client` (HTTP Basic) with an optional DPoP header.
async fn post_basic(
    app: &TestApp,
    client: &FlowClient,
    path: &str,
    proof: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.public_path(path))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(form);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Pushes a code request (plus `extra`) with `proof`; returns status and body, and
/// the PKCE verifier.
async fn push(
    app: &TestApp,
    client: &FlowClient,
    proof: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, Value, String) {
    let (verifier, challenge) = pkce_pair();
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    let (status, body) = post_basic(app, client, "/oauth2/par", proof, &form).await;
    (status, body, verifier)
}

/// Exchanges `code` with a proof by `key` (or none).
async fn exchange(
    app: &TestApp,
    client: &FlowClient,
    code: &str,
    verifier: &str,
    key: Option<&TestKey>,
) -> (u16, Value) {
    let proof = key.map(|key| dpop(app, key, "/oauth2/token"));
    post_basic(
        app,
        client,
        "/oauth2/token",
        proof.as_deref(),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
}

/// A code from a push with `proof` and `extra`; returns (code, verifier).
async fn pushed_code(
    app: &TestApp,
    client: &FlowClient,
    proof: Option<&str>,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (status, body, verifier) = push(app, client, proof, extra).await;
    assert_eq!(status, 201, "{body}");
    let code = code_of(
        app,
        &client.id,
        body["request_uri"].as_str().unwrap(),
        &["openid"],
    )
    .await;
    (code, verifier)
}

async fn rfc9449_10_1_a_proof_at_par_binds_the_code(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let proof = dpop(&app, &EC_1, "/oauth2/par");
    let (code, verifier) = pushed_code(&app, &client, Some(&proof), &[]).await;
    for (key, what) in [(Some(&EC_2), "another key"), (None, "no proof")] {
        let (status, body) = exchange(&app, &client, &code, &verifier, key).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(error_of(&body).0, "invalid_grant", "{what}");
    }
    let proof = dpop(&app, &EC_1, "/oauth2/par");
    let (code, verifier) = pushed_code(&app, &client, Some(&proof), &[]).await;
    let (status, body) = exchange(&app, &client, &code, &verifier, Some(&EC_1)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let introspected = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(introspected.cnf.expect("cnf").jkt, EC_1.thumbprint());
}

async fn rfc9449_10_1_dpop_jkt_and_the_proof_must_name_one_key(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let other = EC_2.thumbprint();
    let proof = dpop(&app, &EC_1, "/oauth2/par");
    let (status, body, _) =
        push(&app, &client, Some(&proof), &[("dpop_jkt", other.as_str())]).await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("dpop_jkt"), "{description}");
    let same = EC_1.thumbprint();
    let proof = dpop(&app, &EC_1, "/oauth2/par");
    let (code, verifier) =
        pushed_code(&app, &client, Some(&proof), &[("dpop_jkt", same.as_str())]).await;
    let (status, body) = exchange(&app, &client, &code, &verifier, Some(&EC_1)).await;
    assert_eq!(status, 200, "{body}");
}

async fn rfc9449_10_1_dpop_jkt_alone_at_par_binds_the_code(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let jkt = EC_2.thumbprint();
    let (code, verifier) = pushed_code(&app, &client, None, &[("dpop_jkt", jkt.as_str())]).await;
    let (status, body) = exchange(&app, &client, &code, &verifier, Some(&EC_1)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).0, "invalid_grant");
    let (code, verifier) = pushed_code(&app, &client, None, &[("dpop_jkt", jkt.as_str())]).await;
    let (status, body) = exchange(&app, &client, &code, &verifier, Some(&EC_2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
}

async fn rfc9449_10_1_a_bad_proof_at_par_is_invalid_dpop_proof(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    // A proof made for the token endpoint does not fit the PAR endpoint (htu).
    let proof = dpop(&app, &EC_1, "/oauth2/token");
    let (status, body, _) = push(&app, &client, Some(&proof), &[]).await;
    assert_eq!(status, 400, "{body}");
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("htu"), "{description}");
    // A proof used once is not accepted again.
    let proof = dpop(&app, &EC_1, "/oauth2/par");
    let (status, body, _) = push(&app, &client, Some(&proof), &[]).await;
    assert_eq!(status, 201, "{body}");
    let (status, body, _) = push(&app, &client, Some(&proof), &[]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).0, "invalid_dpop_proof");
}
