//! OIDC Core §8, §8.1 and OIDC Registration §2 (`sector_identifier_uri`): pairwise
//! subject identifiers. `subject_type=pairwise` is refused unless
//! `oidc.subject_identifiers.supported_types` lists it; a `sector_identifier_uri` is
//! fetched (SSRF guard: loopback only when `clients.http.disallow_private_ip_ranges` is
//! off) and must list every redirect URI; without one, the redirect URIs must share one
//! host. The pairwise `sub` = base64url(SHA-256(sector ‖ local sub ‖ salt)) appears in
//! ID tokens, userinfo and JWT access tokens; introspection keeps the local `sub` and
//! adds `obfuscated_subject` (as Hydra); an `id_token_hint` with a pairwise `sub`
//! matches the session of its End-User.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::assertion::JwksServer;
use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge,
    create_client, login_challenge, to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    pairwise_needs_the_server_to_support_it,
    the_sector_document_must_list_every_redirect_uri,
    the_client_sees_its_pairwise_sub_everywhere,
);

const SALT: &str = "pairwise-test-salt-0001";

async fn pairwise_app(backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(|c| {
            c.oidc.subject_identifiers.supported_types = vec!["public".into(), "pairwise".into()];
            c.oidc.subject_identifiers.pairwise.salt = SALT.to_owned();
            c.clients.http.disallow_private_ip_ranges = false;
        })
        .build()
        .await
}

fn expected_sub(sector: &str, subject: &str) -> String {
    let digest = Sha256::digest(format!("{sector}{subject}{SALT}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// POST /admin/clients with `body`: status and JSON answer.
async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn pairwise_body(extra: Value) -> Value {
    let mut body = json!({
        "subject_type": "pairwise",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn pairwise_needs_the_server_to_support_it(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = register(&app, pairwise_body(json!({}))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata");
    let doc: Value = app.discovery().await;
    assert_eq!(doc["subject_types_supported"], json!(["public"]));

    let app = pairwise_app(backend).await;
    let (status, body) = register(&app, pairwise_body(json!({}))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["subject_type"], "pairwise");
}

async fn the_sector_document_must_list_every_redirect_uri(backend: TestBackend) {
    let app = pairwise_app(backend).await;
    let sector = JwksServer::start(json!([REDIRECT_URI, "https://other.test/cb"])).await;
    let with_sector = |uris: Value| {
        pairwise_body(json!({"sector_identifier_uri": sector.url, "redirect_uris": uris}))
    };
    let (status, body) = register(
        &app,
        with_sector(json!([REDIRECT_URI, "https://other.test/cb"])),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = register(&app, with_sector(json!(["https://third.test/cb"]))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
    sector.set(json!({"not": "an array"}));
    let (status, body) = register(&app, with_sector(json!([REDIRECT_URI]))).await;
    assert_eq!(status, 400, "{body}");

    // Two hosts and no sector_identifier_uri: no sector to derive.
    let two_hosts =
        pairwise_body(json!({"redirect_uris": [REDIRECT_URI, "https://other.test/cb"]}));
    let (status, body) = register(&app, two_hosts).await;
    assert_eq!(status, 400, "{body}");

    // The SSRF guard (on by default) refuses the loopback sector document.
    let guarded = TestApp::builder(backend)
        .config(|c| {
            c.oidc.subject_identifiers.supported_types = vec!["pairwise".into()];
            c.oidc.subject_identifiers.pairwise.salt = SALT.to_owned();
        })
        .build()
        .await;
    sector.set(json!([REDIRECT_URI]));
    let (status, body) = register(&guarded, with_sector(json!([REDIRECT_URI]))).await;
    assert_eq!(status, 400, "{body}");
}

/// The code flow for `subject` with `remember`: the token response.
async fn tokens(
    app: &TestApp,
    browser: &Browser,
    client: &FlowClient,
    params: &[(&str, &str)],
) -> Value {
    let challenge = login_challenge(browser, &authorize_url(app, &client.id, params)).await;
    let redirect = accept_login(app, &challenge, "ada", true).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    let location = to_client(browser, &redirect).await;
    let code = param(&location, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, body) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn the_client_sees_its_pairwise_sub_everywhere(backend: TestBackend) {
    let app = pairwise_app(backend).await;
    let client = create_client(&app, json!({"subject_type": "pairwise"})).await;
    let browser = Browser::new();
    let body = tokens(
        &app,
        &browser,
        &client,
        &[("scope", "openid"), ("nonce", "n1")],
    )
    .await;
    let expected = expected_sub("client.test", "ada");
    let id_token = body["id_token"].as_str().unwrap();
    let expect = crate::support::oidc::Expect {
        nonce: Some("n1"),
        access_token: body["access_token"].as_str(),
    };
    let claims = app.verify_id_token(&client.id, id_token, expect).await;
    assert_eq!(claims.subject().as_str(), expected);

    let access_token = body["access_token"].as_str().unwrap();
    let introspected = app.introspect(access_token, None).await;
    assert_eq!(introspected.sub.as_deref(), Some("ada"));
    assert_eq!(
        introspected.obfuscated_subject.as_deref(),
        Some(expected.as_str())
    );
    let userinfo: Value = app
        .http
        .get(app.public_path("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], expected.as_str());

    // The hint carries the pairwise sub; it matches ada's session.
    let params = [
        ("scope", "openid"),
        ("prompt", "none"),
        ("id_token_hint", id_token),
    ];
    let page = browser.get(&authorize_url(&app, &client.id, &params)).await;
    let location = page.location.unwrap();
    assert!(location.contains("login_challenge="), "{location}");

    // JWT access tokens carry it too; a public client sees the local subject.
    let jwt_client = create_client(
        &app,
        json!({"subject_type": "pairwise", "access_token_strategy": "jwt"}),
    )
    .await;
    let body = tokens(&app, &Browser::new(), &jwt_client, &[("scope", "openid")]).await;
    assert_eq!(
        payload(body["access_token"].as_str().unwrap())["sub"],
        expected.as_str()
    );
    let public = create_client(&app, json!({})).await;
    let body = tokens(&app, &Browser::new(), &public, &[("scope", "openid")]).await;
    assert_eq!(payload(body["id_token"].as_str().unwrap())["sub"], "ada");
}
