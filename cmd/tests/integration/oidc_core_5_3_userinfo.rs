//! OIDC Core §5.3 (UserInfo endpoint), §5.4 (claims by scope) and RFC 6750 §2–§3 (the
//! bearer token and the `WWW-Authenticate` challenges). Tokens come from the real code
//! flow; signed responses are verified with the `jsonwebtoken` crate against our JWKS.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_sdk::types::AcceptOAuth2ConsentRequest;
use portunus_server::clock::FixedClock;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    REDIRECT_URI, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    the_token_comes_in_the_header_or_the_form_body_not_both,
    missing_invalid_revoked_and_refresh_tokens_are_401,
    expired_tokens_are_401,
    tokens_without_openid_are_403,
    claims_follow_the_granted_scopes,
    jwt_access_tokens_work_too,
    signed_responses_for_clients_that_registered_an_alg,
);

const ALL_SCOPES: &str = "openid offline profile email address phone";

fn id_token_claims() -> Value {
    json!({
        "name": "Ada Lovelace", "given_name": "Ada", "updated_at": 1700000000,
        "email": "ada@example.com", "email_verified": true,
        "address": {"country": "UK"},
        "phone_number": "+44 20 0000", "phone_number_verified": false,
        "department": "analytical engines",
        "sub": "forged", "iss": "https://forged.test", "nonce": "forged",
    })
}

/// A client, the code flow granting `scopes` with [`id_token_claims`], and the code
/// exchanged: the token response.
async fn flow_tokens(app: &TestApp, client_extra: Value, scopes: &[&str]) -> (String, Value) {
    let mut extra = json!({"scope": ALL_SCOPES});
    for (k, v) in client_extra.as_object().unwrap() {
        extra[k] = v.clone();
    }
    let client = create_client(app, extra).await;
    let browser = Browser::new();
    let url = authorize_url(app, &client.id, &[("scope", &scopes.join(" "))]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(json!({
        "grant_scope": scopes,
        "session": {"id_token": id_token_claims()},
    }))
    .unwrap();
    let redirect = app
        .admin
        .accept_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let callback = to_client(&browser, &redirect).await;
    let code = param(&callback, "code").unwrap();
    let secret = client.secret.clone().unwrap();
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (client.id, body)
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// GET /userinfo with `Authorization: Bearer <token>`.
async fn get(app: &TestApp, token: Option<&str>) -> (u16, HeaderMap, String) {
    let mut request = app.http.get(app.public_path("/userinfo"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

fn challenge(headers: &HeaderMap) -> &str {
    headers
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

async fn the_token_comes_in_the_header_or_the_form_body_not_both(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = flow_tokens(&app, json!({}), &["openid"]).await;
    let token = access(&tokens);

    let (status, headers, body) = get(&app, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["sub"], "ada");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );

    let url = app.public_path("/userinfo");
    let by_header = app
        .http
        .post(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200, "POST with the header");
    let by_body = app
        .http
        .post(&url)
        .form(&[("access_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_body.status(),
        200,
        "POST with the form body (RFC 6750 §2.2)"
    );

    let both = app
        .http
        .post(&url)
        .bearer_auth(&token)
        .form(&[("access_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    assert_eq!(
        challenge(both.headers()),
        "Bearer error=\"invalid_request\""
    );
    assert_eq!(
        both.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );

    // RFC 6750 §2.3 (the query string) is not accepted.
    let query = app
        .http
        .get(format!("{url}?access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 401);
    assert_eq!(challenge(query.headers()), "Bearer");
}

async fn missing_invalid_revoked_and_refresh_tokens_are_401(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, tokens) = flow_tokens(&app, json!({}), &["openid", "offline"]).await;

    let (status, headers, _) = get(&app, None).await;
    assert_eq!(
        (status, challenge(&headers)),
        (401, "Bearer"),
        "RFC 6750 §3.1: no error code"
    );
    let basic = app
        .http
        .get(app.public_path("/userinfo"))
        .header(AUTHORIZATION, "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401, "another scheme is no token");

    let invalid = "Bearer error=\"invalid_token\"";
    for token in [
        "garbage",
        "ptn_at_AAAA.BBBB",
        tokens["refresh_token"].as_str().unwrap(),
    ] {
        let (status, headers, body) = get(&app, Some(token)).await;
        assert_eq!(
            (status, challenge(&headers)),
            (401, invalid),
            "{token}: {body}"
        );
        assert_eq!(json_of(&body)["error"], "invalid_token");
    }

    let token = access(&tokens);
    assert_eq!(get(&app, Some(&token)).await.0, 200);
    // The client revokes its grant (RFC 7009): the access token goes with it.
    let client = app
        .state
        .clients
        .get_client(&client_id)
        .await
        .unwrap()
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    portunus_server::oauth2::revoke::revoke(&app.state, &client, refresh)
        .await
        .unwrap();
    let (status, headers, _) = get(&app, Some(&token)).await;
    assert_eq!((status, challenge(&headers)), (401, invalid), "revoked");
}

async fn expired_tokens_are_401(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 6, 1, 9, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend).clock(clock.clone()).build().await;
    let (_, tokens) = flow_tokens(&app, json!({}), &["openid"]).await;
    let token = access(&tokens);
    assert_eq!(get(&app, Some(&token)).await.0, 200);
    clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    let (status, headers, _) = get(&app, Some(&token)).await;
    assert_eq!(
        (status, challenge(&headers)),
        (401, "Bearer error=\"invalid_token\"")
    );
}

async fn tokens_without_openid_are_403(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = flow_tokens(&app, json!({}), &["offline"]).await;
    let (status, headers, body) = get(&app, Some(&access(&tokens))).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(challenge(&headers), "Bearer error=\"insufficient_scope\"");
    assert_eq!(json_of(&body)["error"], "insufficient_scope");

    // A client-credentials token has no End-User and no openid.
    let client = app
        .register(json!({"grant_types": ["client_credentials"], "scope": "openid"}))
        .await;
    let (_, _, cc) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let cc_token = cc["access_token"].as_str().unwrap();
    let (status, headers, _) = get(&app, Some(cc_token)).await;
    assert_eq!(
        (status, challenge(&headers)),
        (403, "Bearer error=\"insufficient_scope\"")
    );
}

async fn claims_follow_the_granted_scopes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = flow_tokens(&app, json!({}), &["openid", "email"]).await;
    let (_, _, body) = get(&app, Some(&access(&tokens))).await;
    assert_eq!(
        json_of(&body),
        json!({
            "sub": "ada",
            "email": "ada@example.com",
            "email_verified": true,
            "department": "analytical engines",
        }),
        "OIDC Core §5.4: email only; non-standard claims pass; sub is never the consent's"
    );

    let scopes = ["openid", "profile", "email", "address", "phone"];
    let (_, tokens) = flow_tokens(&app, json!({}), &scopes).await;
    let (_, _, body) = get(&app, Some(&access(&tokens))).await;
    let mut expected = id_token_claims();
    for reserved in ["iss", "nonce"] {
        expected.as_object_mut().unwrap().remove(reserved);
    }
    expected["sub"] = json!("ada");
    assert_eq!(json_of(&body), expected);
}

async fn jwt_access_tokens_work_too(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = flow_tokens(
        &app,
        json!({"access_token_strategy": "jwt"}),
        &["openid", "profile"],
    )
    .await;
    let token = access(&tokens);
    assert_eq!(token.split('.').count(), 3, "an RFC 9068 JWT");
    let (status, _, body) = get(&app, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["name"], "Ada Lovelace");
}

async fn signed_responses_for_clients_that_registered_an_alg(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, tokens) = flow_tokens(
        &app,
        json!({"userinfo_signed_response_alg": "RS256"}),
        &["openid", "email"],
    )
    .await;
    let (status, headers, body) = get(&app, Some(&access(&tokens))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers[CONTENT_TYPE], "application/jwt");

    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(&body).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&client_id]);
    validation.set_issuer(&[app.state.config.issuer()]);
    validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(&body, &key, &validation)
        .expect("signed by our ID token key")
        .claims;
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["email"], "ada@example.com");
    assert!(
        claims.get("phone_number").is_none(),
        "phone was not granted"
    );

    // An algorithm the ID token key set has no key for is a server error, not a
    // silently different signature.
    let (_, tokens) = flow_tokens(
        &app,
        json!({"userinfo_signed_response_alg": "ES256"}),
        &["openid"],
    )
    .await;
    let (status, _, body) = get(&app, Some(&access(&tokens))).await;
    assert_eq!(status, 500, "{body}");
    assert!(
        json_of(&body)["error_description"]
            .as_str()
            .unwrap()
            .contains("ES256")
    );
}
