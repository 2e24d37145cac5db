//! RFC 9068: JWT access tokens, chosen by `strategies.access_token` or per client by
//! `access_token_strategy`. The `jsonwebtoken` crate (code we did not write) verifies
//! them against `/.well-known/jwks.json`: header `typ: at+jwt` (§2.1), claims `iss`,
//! `sub`, `aud`, `exp`, `iat`, `jti`, `client_id`, `scope` (§2.2). Introspection and
//! revocation work on them as on opaque tokens; forged or tampered ones are inactive.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portunus_server::config::AccessTokenStrategyConfig;
use serde_json::{Value, json};

use crate::support::code::obtain_code;
use crate::support::flow::{REDIRECT_URI, create_client};
use crate::support::oauth::Registered;
use crate::support::oidc::{Expect, jose_header};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    client_credentials_issue_verifiable_jwts,
    the_client_can_choose_the_format,
    code_flow_jwts_carry_the_session,
    revoked_deleted_forged_and_tampered_jwts_are_inactive,
);

fn jwt_config(config: &mut portunus_server::Config) {
    config.strategies.access_token = AccessTokenStrategyConfig::Jwt;
}

/// Verifies an access token with `jsonwebtoken` against the public JWKS; returns the
/// claims. `aud` must contain `audience`.
async fn verify(app: &TestApp, token: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.state.config.issuer()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud", "jti"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("JWT rejected: {e}"))
        .claims
}

async fn client_credentials(
    app: &TestApp,
    registered: &Registered,
    form: &[(&str, &str)],
) -> Value {
    let mut form = form.to_vec();
    form.push(("grant_type", "client_credentials"));
    let secret = registered.secret.as_deref().unwrap();
    let (status, _, body) = app
        .post_form("/oauth2/token", Some((&registered.id, secret)), &form)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn service(app: &TestApp, extra: Value) -> Registered {
    let mut body = json!({
        "grant_types": ["client_credentials"],
        "scope": "read write",
        "audience": ["https://api.example.com"],
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.register(body).await
}

async fn client_credentials_issue_verifiable_jwts(backend: TestBackend) {
    let app = TestApp::builder(backend).config(jwt_config).build().await;
    let svc = service(&app, json!({})).await;
    let form = [
        ("scope", "read write"),
        ("audience", "https://api.example.com"),
    ];
    let body = client_credentials(&app, &svc, &form).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(body["token_type"], "bearer");
    let claims = verify(&app, token, "https://api.example.com").await;
    assert_eq!(claims["sub"], svc.id.as_str());
    assert_eq!(claims["client_id"], svc.id.as_str());
    assert_eq!(claims["aud"], json!(["https://api.example.com"]));
    assert_eq!(claims["scope"], "read write", "RFC 9068 §2.2.3");
    assert_eq!(
        claims["scp"],
        json!(["read", "write"]),
        "as Hydra writes it"
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600);
    assert!(claims["jti"].is_string());

    let introspected = app.introspect(token, None).await;
    assert!(introspected.active);
    assert_eq!(introspected.sub.as_deref(), Some(svc.id.as_str()));
    assert_eq!(introspected.scope.as_deref(), Some("read write"));

    // Without a requested audience, the token names the client (RFC 9068 §2.2: aud is
    // required).
    let body = client_credentials(&app, &svc, &[("scope", "read")]).await;
    let claims = verify(&app, body["access_token"].as_str().unwrap(), &svc.id).await;
    assert_eq!(claims["aud"], json!([svc.id]));
}

async fn the_client_can_choose_the_format(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let opaque = service(&app, json!({})).await;
    let jwt = service(&app, json!({"access_token_strategy": "jwt"})).await;
    let body = client_credentials(&app, &opaque, &[]).await;
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("ptn_at_")
    );
    let body = client_credentials(&app, &jwt, &[]).await;
    verify(&app, body["access_token"].as_str().unwrap(), &jwt.id).await;

    let app = TestApp::builder(backend).config(jwt_config).build().await;
    let opaque = service(&app, json!({"access_token_strategy": "opaque"})).await;
    let body = client_credentials(&app, &opaque, &[]).await;
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("ptn_at_")
    );
}

async fn code_flow_jwts_carry_the_session(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({"access_token_strategy": "jwt"})).await;
    let params = [("scope", "openid offline"), ("nonce", "n-1")];
    let code = obtain_code(&app, &client, &params, "ada", &["openid", "offline"]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, body) = app.token_request(&client, &form).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    let claims = verify(&app, access, &client.id).await;
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["ext"], json!({"team": "blue"}), "Hydra's ext claims");
    assert!(
        body["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("ptn_rt_")
    );
    let expect = Expect {
        nonce: Some("n-1"),
        access_token: Some(access),
    };
    app.verify_id_token(&client.id, body["id_token"].as_str().unwrap(), expect)
        .await;

    let refresh = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = app.refresh_raw(&client, refresh, None).await;
    assert_eq!(status, 200, "{refreshed}");
    let claims = verify(
        &app,
        refreshed["access_token"].as_str().unwrap(),
        &client.id,
    )
    .await;
    assert_eq!(claims["sub"], "ada");
}

async fn revoked_deleted_forged_and_tampered_jwts_are_inactive(backend: TestBackend) {
    let app = TestApp::builder(backend).config(jwt_config).build().await;
    let svc = service(&app, json!({})).await;
    let secret = svc.secret.clone().unwrap();
    let token = client_credentials(&app, &svc, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(app.introspect(&token, None).await.active);

    let (head, rest) = token.rsplit_once('.').unwrap();
    let flipped = if rest.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}.{flipped}{}", &rest[1..]);
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "mallory", "exp": 4_000_000_000u64}),
        &jsonwebtoken::EncodingKey::from_secret(b"not-our-key"),
    )
    .unwrap();
    let mut header = jose_header(&token);
    header["alg"] = json!("none");
    let payload = token.split('.').nth(1).unwrap();
    let unsigned = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(header.to_string()));
    for bad in [tampered, forged, unsigned, format!("{head}.")] {
        assert!(!app.introspect(&bad, None).await.active, "{bad}");
    }

    let (status, _, _) = app
        .post_form(
            "/oauth2/revoke",
            Some((&svc.id, &secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(!app.introspect(&token, None).await.active, "RFC 7009");

    let other = client_credentials(&app, &svc, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(app.introspect(&other, None).await.active);
    let response = app
        .http
        .delete(app.admin_path(&format!("/admin/oauth2/tokens?client_id={}", svc.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(
        !app.introspect(&other, None).await.active,
        "deleted with the client's tokens"
    );
}
