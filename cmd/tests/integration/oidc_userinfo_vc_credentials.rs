//! Verifiable credentials (OpenID Connect UserInfo VC draft 00, Hydra's
//! `POST /credentials`): the nonce in the token response and in a priming answer, a
//! holder proof signed by the `jsonwebtoken` crate (never our signer), and the
//! credential verified with the published JWKS by `jsonwebtoken` too; each wrong
//! proof, nonce, scope or body is a 4xx.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, TimeZone, Utc};
use jsonwebtoken::{DecodingKey, Validation};
use portunus_server::clock::FixedClock;
use portunus_server::duration::GoDuration;
use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, RSA_1, TestKey};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    the_token_response_carries_a_nonce_with_the_draft_scope,
    a_proof_with_the_nonce_gets_a_credential_binding_the_holder_key,
    a_priming_request_gets_a_nonce_that_works,
    bad_proofs_nonces_and_bodies_are_4xx,
    tokens_without_the_scopes_are_refused,
    an_expired_nonce_is_refused,
);

const VC_SCOPE: &str = "openid userinfo_credential_draft_00";

async fn holder_client(app: &TestApp) -> Registered {
    app.register(json!({
        "grant_types": ["client_credentials"],
        "scope": "openid userinfo_credential_draft_00 read",
    }))
    .await
}

async fn token(app: &TestApp, client: &Registered, scope: &str) -> Value {
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn proof(app: &TestApp, key: &TestKey, nonce: &str) -> String {
    let claims = json!({
        "nonce": nonce,
        "aud": app.state.config.issuer(),
        "iat": app.state.clock.now().timestamp(),
    });
    key.sign_dpop(Some("openid4vci-proof+jwt"), &claims)
}

async fn credential(app: &TestApp, access_token: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.public_path("/credentials"))
        .bearer_auth(access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (status, response.json().await.unwrap())
}

fn request(proof: Option<String>) -> Value {
    match proof {
        Some(jwt) => json!({"format": "jwt_vc_json", "proof": {"proof_type": "jwt", "jwt": jwt}}),
        None => json!({"format": "jwt_vc_json"}),
    }
}

/// The credential's claims, its signature checked against the published JWKS.
async fn verified_credential(app: &TestApp, jwt: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("the signing key is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[app.state.config.issuer()]);
    validation.validate_aud = false;
    let data =
        jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("the credential verifies with the published key");
    data.claims
}

async fn the_token_response_carries_a_nonce_with_the_draft_scope(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = holder_client(&app).await;
    let with = token(&app, &client, VC_SCOPE).await;
    assert!(
        with["c_nonce_draft_00"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{with}"
    );
    assert_eq!(with["c_nonce_expires_in_draft_00"], 3600);
    let without = token(&app, &client, "openid read").await;
    assert!(without.get("c_nonce_draft_00").is_none(), "{without}");
    assert!(without.get("c_nonce_expires_in_draft_00").is_none());
}

async fn a_proof_with_the_nonce_gets_a_credential_binding_the_holder_key(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = holder_client(&app).await;
    let tokens = token(&app, &client, VC_SCOPE).await;
    let access = tokens["access_token"].as_str().unwrap();
    let nonce = tokens["c_nonce_draft_00"].as_str().unwrap();
    for key in [&EC_1, &RSA_1] {
        let (status, body) = credential(&app, access, request(Some(proof(&app, key, nonce)))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["format"], "jwt_vc_json");
        let claims = verified_credential(&app, body["credential_draft_00"].as_str().unwrap()).await;
        let did = claims["sub"].as_str().unwrap();
        let encoded = did.strip_prefix("did:jwk:").expect("a did:jwk subject");
        let holder: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap();
        let expected = key.jwk();
        for member in ["kty", "crv", "x", "y", "n", "e"] {
            assert_eq!(holder.get(member), expected.get(member), "{member}");
        }
        assert!(holder.get("d").is_none());
        assert_eq!(
            claims["vc"]["type"],
            json!(["VerifiableCredential", "UserInfoCredential"])
        );
        assert_eq!(
            claims["vc"]["@context"],
            json!(["https://www.w3.org/2018/credentials/v1"])
        );
        let subject = &claims["vc"]["credentialSubject"];
        assert_eq!(subject["id"], did);
        assert_eq!(subject["sub"], client.id.as_str());
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert_eq!(exp - iat, 3600);
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    }
}

async fn a_priming_request_gets_a_nonce_that_works(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = holder_client(&app).await;
    let tokens = token(&app, &client, VC_SCOPE).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, priming) = credential(&app, access, request(None)).await;
    assert_eq!(status, 400, "{priming}");
    assert_eq!(priming["error"], "missing_proof");
    assert!(priming["error_description"].as_str().is_some());
    assert_eq!(priming["format"], "jwt_vc_json");
    assert_eq!(priming["c_nonce_expires_in"], 3600);
    let nonce = priming["c_nonce"].as_str().unwrap();
    let (status, body) = credential(&app, access, request(Some(proof(&app, &EC_2, nonce)))).await;
    assert_eq!(status, 200, "{body}");
}

async fn bad_proofs_nonces_and_bodies_are_4xx(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = holder_client(&app).await;
    let tokens = token(&app, &client, VC_SCOPE).await;
    let access = tokens["access_token"].as_str().unwrap();
    let nonce = tokens["c_nonce_draft_00"].as_str().unwrap();
    let other = token(&app, &client, VC_SCOPE).await;
    let others_nonce = other["c_nonce_draft_00"].as_str().unwrap();
    let issuer = app.state.config.issuer();
    let now = app.state.clock.now().timestamp();

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "wrong format",
            json!({"format": "ldp_vc", "proof": {"proof_type": "jwt", "jwt": proof(&app, &EC_1, nonce)}}),
            "format",
        ),
        (
            "no format",
            json!({"proof": {"proof_type": "jwt", "jwt": proof(&app, &EC_1, nonce)}}),
            "format",
        ),
        (
            "wrong proof type",
            json!({"format": "jwt_vc_json", "proof": {"proof_type": "cwt", "jwt": proof(&app, &EC_1, nonce)}}),
            "proof type",
        ),
        (
            "no jwt",
            json!({"format": "jwt_vc_json", "proof": {"proof_type": "jwt"}}),
            "jwt",
        ),
        (
            "not a JWT",
            request(Some("not-a-jwt".into())),
            "compact JWS",
        ),
        (
            "another token's nonce",
            request(Some(proof(&app, &EC_1, others_nonce))),
            "nonce",
        ),
        (
            "a made-up nonce",
            request(Some(proof(
                &app,
                &EC_1,
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ))),
            "nonce",
        ),
        (
            "no nonce",
            request(Some(
                EC_1.sign_dpop(None, &json!({"aud": issuer, "iat": now})),
            )),
            "nonce",
        ),
        (
            "wrong aud",
            request(Some(EC_1.sign_dpop(
                None,
                &json!({"nonce": nonce, "aud": "https://other.example/", "iat": now}),
            ))),
            "aud",
        ),
        (
            "iat in the future",
            request(Some(EC_1.sign_dpop(
                None,
                &json!({"nonce": nonce, "aud": issuer, "iat": now + 3600}),
            ))),
            "future",
        ),
        (
            "signed by another key",
            request(Some(EC_1.sign_dpop_naming(
                EC_2.jwk(),
                &json!({"nonce": nonce, "aud": issuer, "iat": now}),
            ))),
            "signature",
        ),
        (
            "no jwk header",
            request(Some(
                EC_1.sign(&json!({"nonce": nonce, "aud": issuer, "iat": now})),
            )),
            "jwk",
        ),
    ];
    for (what, body, needle) in cases {
        let (status, answer) = credential(&app, access, body).await;
        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(answer["error"], "invalid_request", "{what}: {answer}");
        let description = answer["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(needle), "{what}: {description}");
    }
    // Not JSON at all.
    let response = app
        .http
        .post(app.public_path("/credentials"))
        .bearer_auth(access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // The nonce still works after all that: nothing was consumed or changed.
    let (status, _) = credential(&app, access, request(Some(proof(&app, &EC_1, nonce)))).await;
    assert_eq!(status, 200);
}

async fn tokens_without_the_scopes_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = holder_client(&app).await;
    let plain = token(&app, &client, "openid read").await;
    let (status, body) =
        credential(&app, plain["access_token"].as_str().unwrap(), request(None)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "insufficient_scope");
    let (status, body) = credential(&app, "ptn_at_not-a-real-token", request(None)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_token");
    let response = app
        .http
        .post(app.public_path("/credentials"))
        .json(&request(None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn an_expired_nonce_is_refused(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| c.ttl.vc_nonce = GoDuration::from_secs(60))
        .build()
        .await;
    let client = holder_client(&app).await;
    let tokens = token(&app, &client, VC_SCOPE).await;
    assert_eq!(tokens["c_nonce_expires_in_draft_00"], 60);
    let access = tokens["access_token"].as_str().unwrap();
    let nonce = tokens["c_nonce_draft_00"].as_str().unwrap();
    clock.advance(Duration::seconds(61));
    let (status, body) = credential(&app, access, request(Some(proof(&app, &EC_1, nonce)))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}
