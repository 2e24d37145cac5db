//! A FAPI 2.0 client's side of the wire: `private_key_jwt` assertions whose `aud` is
//! the issuer (FAPI 2.0 Security Profile §5.3.2.1), DPoP proofs, pushed requests and
//! token requests carrying both. Everything is signed by the `jsonwebtoken` crate
//! (`support::assertion`), never by our own signer.

use serde_json::{Value, json};

use super::TestApp;
use super::assertion::{EC_1, TestKey, claims, jwks, with};
use super::browser::{Browser, param};
use super::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, consent_challenge, create_client,
    login_challenge, to_client,
};
use super::par::request_uri_url;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Registers a conforming FAPI 2.0 client (`fapi_profile: fapi2`, `private_key_jwt`
/// with EC_1, code + refresh), merged with `extra`, and gives the ID-token set an ES256
/// key so that its ID tokens can be signed (§5.4.1 rules out the default RS256).
pub async fn fapi_client(app: &TestApp, extra: Value) -> FlowClient {
    add_fapi_id_token_key(app).await;
    fapi_client_as_is(app, extra).await
}

/// Adds an ES256 key to the ID-token set (`hydra.openid.id-token`) through the admin API.
pub async fn add_fapi_id_token_key(app: &TestApp) {
    let body = portunus_sdk::types::CreateJsonWebKeySet {
        alg: "ES256".to_owned(),
        kid: uuid::Uuid::new_v4().to_string(),
        use_: "sig".to_owned(),
    };
    app.admin
        .create_json_web_key_set()
        .set("hydra.openid.id-token")
        .body(body)
        .send()
        .await
        .expect("an ES256 ID-token key");
}

/// [`fapi_client`] without touching the key sets.
pub async fn fapi_client_as_is(app: &TestApp, extra: Value) -> FlowClient {
    let body = with(
        json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": jwks(&[&EC_1]),
            "fapi_profile": "fapi2",
        }),
        extra,
    );
    create_client(app, body).await
}

/// A client assertion by `key` whose `aud` is `aud` (the issuer unless changed).
pub fn assertion_by(app: &TestApp, client_id: &str, key: &TestKey, aud: Value) -> String {
    key.sign(&with(claims(app, client_id), json!({ "aud": aud })))
}

/// A FAPI-conforming client assertion: EC_1, `aud` the issuer as a single string.
pub fn assertion(app: &TestApp, client_id: &str) -> String {
    assertion_by(app, client_id, &EC_1, json!(app.state.config.issuer()))
}

/// A DPoP proof by `key` for a POST to `path`, now.
pub fn dpop(app: &TestApp, key: &TestKey, path: &str) -> String {
    key.sign_dpop(
        None,
        &json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": "POST",
            "htu": app.public_path(path),
            "iat": app.state.clock.now().timestamp(),
        }),
    )
}

/// POSTs `form` to `path` with `client_assertion` (if any) and a `DPoP` header (if
/// any); returns status and JSON body.
pub async fn post(
    app: &TestApp,
    path: &str,
    client_assertion: Option<&str>,
    dpop: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    if let Some(assertion) = client_assertion {
        form.push(("client_assertion_type", ASSERTION_TYPE));
        form.push(("client_assertion", assertion));
    }
    let mut request = app.http.post(app.public_path(path)).form(&form);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A conforming pushed code request (redirect URI, S256 challenge) with `extra`.
pub fn pushed_form<'a>(
    challenge: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid offline"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    form
}

/// The `error` and `error_description` of a JSON error body, for messages.
pub fn error_of(body: &Value) -> (String, String) {
    (
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Walks the browser through login and consent (granting `scopes`) from a pushed
/// `request_uri`; returns the code.
pub async fn code_of(app: &TestApp, client_id: &str, request_uri: &str, scopes: &[&str]) -> String {
    let browser = Browser::new();
    let url = request_uri_url(app, client_id, request_uri, &[]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(app, &consent, scopes, false).await;
    let callback = to_client(&browser, &redirect).await;
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(app.state.config.issuer().as_str()),
        "RFC 9207 iss"
    );
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}
