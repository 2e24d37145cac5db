//! RFC 9449 through the code flow of a public client: §10 `dpop_jkt` binds the code
//! (mismatch → `invalid_grant`), §5 the public client's refresh token is bound (another
//! key → `invalid_grant`), and §7 the UserInfo endpoint takes the bound token only as
//! `Authorization: DPoP` with a proof whose `ath` is the token's hash (Bearer use,
//! `ath` mismatch and another key are refused with a `DPoP` challenge). Proofs are
//! signed by the `jsonwebtoken` crate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::rfc9449_dpop::proof_claims;
use crate::support::assertion::{EC_1, EC_2, TestKey, with};
use crate::support::code::{obtain_code, pkce_pair};
use crate::support::flow::{REDIRECT_URI, create_client};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9449_10_dpop_jkt_binds_the_code_and_5_binds_the_public_clients_refresh_token,
    rfc9449_7_userinfo_takes_a_bound_token_only_with_a_proof_over_it,
    rfc9449_9_userinfo_answers_with_the_next_nonce,
);

/// POSTs `form` to the token endpoint with `proof` as the DPoP header (if any).
async fn post_token(app: &TestApp, form: &[(&str, &str)], proof: Option<&str>) -> (u16, Value) {
    let mut request = app.http.post(app.public_path("/oauth2/token")).form(form);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn token_proof(app: &TestApp, key: &TestKey) -> String {
    key.sign_dpop(None, &proof_claims(app, "POST", "/oauth2/token"))
}

/// A public client's code, bound to `dpop_jkt`, and its PKCE verifier.
async fn bound_code(app: &TestApp, client_id: &str, jkt: &str) -> (String, String) {
    let client = crate::support::flow::FlowClient {
        id: client_id.to_owned(),
        secret: None,
    };
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("scope", "openid offline"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("dpop_jkt", jkt),
    ];
    let code = obtain_code(app, &client, &params, "ada", &["openid", "offline"]).await;
    (code, verifier)
}

async fn rfc9449_10_dpop_jkt_binds_the_code_and_5_binds_the_public_clients_refresh_token(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let (code, verifier) = bound_code(&app, &client.id, &EC_1.thumbprint()).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
        ("client_id", client.id.as_str()),
    ];
    // §10: another key, or no proof at all, cannot redeem the code.
    let (status, body) = post_token(&app, &form, Some(&token_proof(&app, &EC_2))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("dpop_jkt")
    );
    let (status, body) = post_token(&app, &form, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = post_token(&app, &form, Some(&token_proof(&app, &EC_1))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let introspected = app.introspect(&refresh, None).await;
    assert_eq!(
        introspected.cnf.expect("bound refresh token").jkt,
        EC_1.thumbprint()
    );

    // §5: the public client's refresh token needs a proof by the same key.
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", client.id.as_str()),
    ];
    let (status, body) = post_token(&app, &refresh_form, Some(&token_proof(&app, &EC_2))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = post_token(&app, &refresh_form, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = post_token(&app, &refresh_form, Some(&token_proof(&app, &EC_1))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");

    // A malformed dpop_jkt is refused at the authorization endpoint.
    let url = crate::support::flow::authorize_url(&app, &client.id, &[("dpop_jkt", "short")]);
    let page = crate::support::browser::Browser::new().get(&url).await;
    let location = page.location.unwrap_or_default();
    assert!(location.contains("error=invalid_request"), "{location}");
}

fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// GET /userinfo with `authorization` and an optional DPoP proof.
async fn userinfo(app: &TestApp, authorization: &str, proof: Option<&str>) -> (u16, String, Value) {
    let mut request = app
        .http
        .get(app.public_path("/userinfo"))
        .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        challenge,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn rfc9449_7_userinfo_takes_a_bound_token_only_with_a_proof_over_it(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let (code, verifier) = bound_code(&app, &client.id, &EC_1.thumbprint()).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
        ("client_id", client.id.as_str()),
    ];
    let (status, body) = post_token(&app, &form, Some(&token_proof(&app, &EC_1))).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let get_claims = || {
        with(
            proof_claims(&app, "GET", "/userinfo"),
            json!({"ath": ath(&token)}),
        )
    };

    let (status, challenge, body) = userinfo(
        &app,
        &format!("DPoP {token}"),
        Some(&EC_1.sign_dpop(None, &get_claims())),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sub"], "ada");
    assert_eq!(challenge, "");

    // §7.2: a bound token presented as a bearer token is refused.
    let (status, challenge, body) = userinfo(&app, &format!("Bearer {token}"), None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_token");
    assert!(
        challenge.starts_with("DPoP error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.contains("algs=\"ES256"), "{challenge}");

    // ath of another token, a proof by another key, no proof, a replayed proof.
    let wrong_ath = with(get_claims(), json!({"ath": ath("another token")}));
    let cases = [
        (Some(EC_1.sign_dpop(None, &wrong_ath)), "invalid_dpop_proof"),
        (Some(EC_2.sign_dpop(None, &get_claims())), "invalid_token"),
        (None, "invalid_dpop_proof"),
        (
            Some(EC_1.sign_dpop(None, &with(get_claims(), json!({"htm": "POST"})))),
            "invalid_dpop_proof",
        ),
    ];
    for (proof, error) in cases {
        let (status, challenge, body) =
            userinfo(&app, &format!("DPoP {token}"), proof.as_deref()).await;
        assert_eq!(status, 401, "{error}: {body}");
        assert_eq!(body["error"], error);
        assert!(
            challenge.starts_with(&format!("DPoP error=\"{error}\"")),
            "{challenge}"
        );
    }
    let once = EC_1.sign_dpop(None, &get_claims());
    let (status, _, _) = userinfo(&app, &format!("DPoP {token}"), Some(&once)).await;
    assert_eq!(status, 200);
    let (status, _, body) = userinfo(&app, &format!("DPoP {token}"), Some(&once)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
}

/// RFC 9449 §9: with `oauth2.dpop.nonce` on, UserInfo (a resource) asks for a nonce
/// (`401 use_dpop_nonce` with `DPoP-Nonce`) and its successful DPoP answers carry the
/// nonce to use next (§8.2 as applied to resources by §9), so a client never fails
/// twice.
async fn rfc9449_9_userinfo_answers_with_the_next_nonce(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|config| config.oauth2.dpop.nonce = true)
        .build()
        .await;
    let client = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let (code, verifier) = bound_code(&app, &client.id, &EC_1.thumbprint()).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
        ("client_id", client.id.as_str()),
    ];
    let (status, body) = post_token(&app, &form, Some(&token_proof(&app, &EC_1))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "use_dpop_nonce");
    let nonce = app.state.dpop.current_nonce().expect("nonces are on");
    let claims = with(
        proof_claims(&app, "POST", "/oauth2/token"),
        json!({"nonce": nonce}),
    );
    let (status, body) = post_token(&app, &form, Some(&EC_1.sign_dpop(None, &claims))).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();

    let get = |nonce: Option<&str>| {
        let mut claims = with(
            proof_claims(&app, "GET", "/userinfo"),
            json!({"ath": ath(&token)}),
        );
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        EC_1.sign_dpop(None, &claims)
    };
    let send = |proof: String| {
        app.http
            .get(app.public_path("/userinfo"))
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", proof)
            .send()
    };
    let refused = send(get(None)).await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let asked = refused.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("DPoP error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    let answered = send(get(Some(asked.as_str()))).await.unwrap();
    assert_eq!(answered.status().as_u16(), 200);
    let next = answered.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !next.is_empty(),
        "RFC 9449 §9: the next nonce comes with the answer"
    );
    let claims: Value = answered.json().await.unwrap();
    assert_eq!(claims["sub"], "ada");
    // A Bearer answer carries no nonce: the header is DPoP's.
    let (plain, _) = app.issue_family(&client.id, &["openid"]).await;
    let bearer = app
        .http
        .get(app.public_path("/userinfo"))
        .header("Authorization", format!("Bearer {plain}"))
        .send()
        .await
        .unwrap();
    assert!(!bearer.headers().contains_key("dpop-nonce"));
}
