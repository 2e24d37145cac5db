//! OIDC Discovery 1.0 §3 and RFC 8414 §2, end to end: every grant type, client
//! authentication method, response type and response mode the metadata advertises
//! works, and what it does not advertise (other grants and response types, `plain`
//! PKCE) does not, nor another method than the client registered; request objects and PAR are advertised and
//! tested in `rfc9101_request_objects.rs` and `rfc9126_pushed_authorization_requests.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portunus_server::oauth2::private_key_jwt::JWT_BEARER;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::oidc_discovery::{discover, list};
use crate::support::assertion::{EC_1, EC_2, JWT_BEARER_GRANT, claims, grant_claims, jwks, trust};
use crate::support::browser::{Browser, param};
use crate::support::device::DEVICE_GRANT;
use crate::support::flow::{REDIRECT_URI, authorize_url, run_code_flow};
use crate::support::{TestApp, TestBackend, per_backend};

/// RFC 8693 §2.1.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

per_backend!(
    every_advertised_grant_and_auth_method_works,
    every_advertised_response_mode_works,
    nothing_unadvertised_works,
);

/// How a client authenticates one token request: Basic credentials and form fields.
struct Auth {
    basic: Option<(String, String)>,
    fields: Vec<(&'static str, String)>,
}

pub(crate) fn pkce_pair() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes().repeat(2));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// How a client of `method` authenticates one token request: Basic credentials, and
/// form fields (a fresh assertion each time: a jti is single-use).
fn auth_for(app: &TestApp, method: &str, id: &str, secret: &str) -> Auth {
    let (basic, fields) = match method {
        "client_secret_basic" => (Some((id.to_owned(), secret.to_owned())), vec![]),
        "client_secret_post" => (
            None,
            vec![
                ("client_id", id.to_owned()),
                ("client_secret", secret.to_owned()),
            ],
        ),
        "private_key_jwt" => (
            None,
            vec![
                ("client_assertion_type", JWT_BEARER.to_owned()),
                ("client_assertion", EC_1.sign(&claims(app, id))),
            ],
        ),
        // OIDC Core §9: the assertion MACed with the client secret, by jsonwebtoken.
        "client_secret_jwt" => (
            None,
            vec![
                ("client_assertion_type", JWT_BEARER.to_owned()),
                (
                    "client_assertion",
                    jsonwebtoken::encode(
                        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                        &claims(app, id),
                        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
                    )
                    .unwrap(),
                ),
            ],
        ),
        "none" => (None, vec![("client_id", id.to_owned())]),
        other => panic!("advertised method {other} has no test"),
    };
    Auth { basic, fields }
}

/// A token request with `fields`, authenticated as [`auth_for`] says.
async fn token(app: &TestApp, auth: Auth, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.extend(auth.fields.iter().map(|(k, v)| (*k, v.as_str())));
    let basic = auth
        .basic
        .as_ref()
        .map(|(id, secret)| (id.as_str(), secret.as_str()));
    let (status, _, body) = app.post_form("/oauth2/token", basic, &form).await;
    (status, body)
}

/// Runs the code flow (with PKCE) for `id` and exchanges the code.
async fn code_tokens(app: &TestApp, method: &str, id: &str, secret: &str) -> (u16, Value) {
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("scope", "openid offline"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let browser = Browser::new();
    let callback = run_code_flow(app, &browser, id, &params, "ada", &["openid", "offline"]).await;
    let code = param(&callback, "code").unwrap();
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    token(app, auth_for(app, method, id, secret), &fields).await
}

/// RFC 8628: a device authorization authenticated as [`auth_for`] says, approved in a
/// browser, then polled once with the same authentication.
async fn device_tokens(app: &TestApp, method: &str, id: &str, secret: &str) -> (u16, Value) {
    let auth = auth_for(app, method, id, secret);
    let mut form: Vec<(&str, &str)> = vec![("scope", "openid offline")];
    form.extend(auth.fields.iter().map(|(k, v)| (*k, v.as_str())));
    let basic = auth.basic.as_ref().map(|(i, s)| (i.as_str(), s.as_str()));
    let (status, _, started) = app.post_form("/oauth2/device/auth", basic, &form).await;
    assert_eq!(status, 200, "device authorization with {method}: {started}");
    let text = |name: &str| started[name].as_str().unwrap().to_owned();
    let done = crate::support::device::approve(
        app,
        &Browser::new(),
        &text("verification_uri"),
        &text("user_code"),
        &["openid", "offline"],
    )
    .await;
    assert_eq!(done, crate::support::device::DEVICE_DONE_URL);
    let code = text("device_code");
    let fields = [("grant_type", DEVICE_GRANT), ("device_code", code.as_str())];
    token(app, auth_for(app, method, id, secret), &fields).await
}

async fn every_advertised_grant_and_auth_method_works(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(crate::support::device::configure)
        .build()
        .await;
    let doc = discover(&app).await;
    trust(&app, "https://idp.example", None, &EC_2, &[]).await;
    for method in list(&doc, "token_endpoint_auth_methods_supported") {
        let mut body = json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials", JWT_BEARER_GRANT, DEVICE_GRANT, TOKEN_EXCHANGE_GRANT],
            "response_types": ["code"],
            "scope": "openid offline",
            "token_endpoint_auth_method": method,
            "token_exchange": {"allow_impersonation": true},
        });
        if method == "private_key_jwt" {
            body["jwks"] = jwks(&[&EC_1]);
        }
        let client = app.register(body).await;
        let (id, secret) = (
            client.id.as_str(),
            client.secret.clone().unwrap_or_default(),
        );
        for grant in list(&doc, "grant_types_supported") {
            let (status, body) = match grant.as_str() {
                "authorization_code" => code_tokens(&app, &method, id, &secret).await,
                "refresh_token" => {
                    let (_, tokens) = code_tokens(&app, &method, id, &secret).await;
                    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
                    let fields = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
                    token(&app, auth_for(&app, &method, id, &secret), &fields).await
                }
                "client_credentials" => {
                    let fields = [("grant_type", "client_credentials")];
                    let (status, body) =
                        token(&app, auth_for(&app, &method, id, &secret), &fields).await;
                    if method == "none" {
                        // RFC 6749 §4.4: confidential clients only.
                        assert_eq!(body["error"], "unauthorized_client", "{body}");
                        continue;
                    }
                    (status, body)
                }
                JWT_BEARER_GRANT => {
                    let claims = grant_claims(&app, "https://idp.example", "ada");
                    let assertion = EC_2.sign(&claims);
                    let fields = [("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)];
                    token(&app, auth_for(&app, &method, id, &secret), &fields).await
                }
                DEVICE_GRANT => device_tokens(&app, &method, id, &secret).await,
                TOKEN_EXCHANGE_GRANT => {
                    if method == "none" {
                        // Token exchange is for confidential clients.
                        let fields = [("grant_type", TOKEN_EXCHANGE_GRANT)];
                        let (_, body) =
                            token(&app, auth_for(&app, &method, id, &secret), &fields).await;
                        assert_eq!(body["error"], "unauthorized_client", "{body}");
                        continue;
                    }
                    // The client's own token, exchanged (impersonation).
                    let fields = [("grant_type", "client_credentials")];
                    let (_, own) = token(&app, auth_for(&app, &method, id, &secret), &fields).await;
                    let subject = own["access_token"].as_str().unwrap().to_owned();
                    let fields = [
                        ("grant_type", TOKEN_EXCHANGE_GRANT),
                        ("subject_token", subject.as_str()),
                        (
                            "subject_token_type",
                            "urn:ietf:params:oauth:token-type:access_token",
                        ),
                    ];
                    token(&app, auth_for(&app, &method, id, &secret), &fields).await
                }
                other => panic!("advertised grant {other} has no test"),
            };
            assert_eq!(status, 200, "{grant} with {method}: {body}");
        }
    }
}

async fn every_advertised_response_mode_works(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc = discover(&app).await;
    let client = crate::support::flow::create_client(&app, json!({})).await;
    for mode in list(&doc, "response_modes_supported") {
        let browser = Browser::new();
        let params = [("scope", "openid"), ("response_mode", mode.as_str())];
        let url = authorize_url(&app, &client.id, &params);
        let challenge = crate::support::flow::login_challenge(&browser, &url).await;
        let redirect = crate::support::flow::accept_login(&app, &challenge, "ada", false).await;
        let consent = crate::support::flow::consent_challenge(&browser, &redirect).await;
        let redirect =
            crate::support::flow::accept_consent(&app, &consent, &["openid"], false).await;
        let page = browser.get(&redirect).await;
        match mode.as_str() {
            "query" => assert!(page.location.unwrap().contains("?code="), "query"),
            "fragment" => assert!(page.location.unwrap().contains("#code="), "fragment"),
            "form_post" => {
                assert_eq!(page.status, 200);
                assert!(page.body.contains("name=\"code\""), "{}", page.body);
            }
            other => panic!("advertised response mode {other} has no test"),
        }
    }
}

async fn nothing_unadvertised_works(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc = discover(&app).await;
    let grants = list(&doc, "grant_types_supported");
    let client = app
        .register(json!({"grant_types": ["client_credentials", "implicit"], "response_types": ["code", "token"], "redirect_uris": [REDIRECT_URI]}))
        .await;
    let secret = client.secret.clone().unwrap();
    for grant in ["implicit", "password"] {
        assert!(!grants.contains(&grant.to_owned()));
        let (status, _, body) = app
            .post_form(
                "/oauth2/token",
                Some((&client.id, &secret)),
                &[("grant_type", grant)],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_grant_type")),
            "{grant}"
        );
    }
    let response_types = list(&doc, "response_types_supported");
    for response_type in ["token", "none", "code code", "code device"] {
        assert!(!response_types.contains(&response_type.to_owned()));
        let url = authorize_url(&app, &client.id, &[]).replace(
            "response_type=code",
            &format!("response_type={}", response_type.replace(' ', "+")),
        );
        let page = Browser::new().get(&url).await;
        let location = page.location.unwrap_or_default();
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("unsupported_response_type"),
            "{response_type}: {location}"
        );
    }
    let (_, challenge) = pkce_pair();
    // Request objects are advertised (RFC 9101); their refusals are in
    // rfc9101_request_objects.rs.
    for (name, value) in [("code_challenge_method", "plain")] {
        let mut params = vec![(name, value)];
        if name == "code_challenge_method" {
            params.push(("code_challenge", challenge.as_str()));
        }
        let page = Browser::new()
            .get(&authorize_url(&app, &client.id, &params))
            .await;
        let location = page.location.unwrap_or_default();
        assert!(
            param(&location, "error").is_some(),
            "{name} must be refused: {location}"
        );
    }
    // client_secret_jwt (an HMAC assertion) is accepted only from clients registered
    // for it: this one uses client_secret_basic.
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(&app, &client.id),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let (status, _, _) = app
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &hs256),
            ],
        )
        .await;
    assert_eq!(status, 401, "client_secret_jwt");
}
