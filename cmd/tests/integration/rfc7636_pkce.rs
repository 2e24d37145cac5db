//! RFC 7636: Proof Key for Code Exchange. The `oauth2` crate makes the verifier and its
//! S256 challenge (§4.1, §4.2); the token endpoint checks the verifier (§4.6) and
//! refuses a missing or wrong one, and one sent for a code issued without a challenge
//! (a downgrade, RFC 9700 §2.1.1); `plain` is refused unless configured (§4.2, §7.2).
//! A failed verification does not use the code up.

use oauth2::TokenResponse;
use oauth2::basic::BasicErrorResponseType;
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::code::{obtain_code, pkce_pair};
use crate::support::flow::{authorize_url, create_client};
use crate::support::test_app::LOGIN_APP_URL;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    s256_verifier_is_accepted,
    wrong_or_missing_verifiers_are_invalid_grant,
    a_verifier_without_a_challenge_is_invalid_grant,
    plain_is_refused_unless_allowed,
    public_clients_must_send_a_challenge,
);

fn with_challenge(challenge: &str) -> [(&str, &str); 2] {
    [
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

async fn s256_verifier_is_accepted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let (verifier, challenge) = pkce_pair();
    let code = obtain_code(&app, &client, &with_challenge(&challenge), "ada", &[]).await;
    let token = app
        .exchange_code(&client, &code, Some(&verifier))
        .await
        .unwrap();
    assert!(
        app.introspect(token.access_token().secret(), None)
            .await
            .active
    );
}

async fn wrong_or_missing_verifiers_are_invalid_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let (verifier, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let code = obtain_code(&app, &client, &with_challenge(&challenge), "ada", &[]).await;
    for wrong in [Some(other_verifier.as_str()), Some("too-short"), None] {
        let err = app.exchange_code(&client, &code, wrong).await.unwrap_err();
        assert_eq!(err, BasicErrorResponseType::InvalidGrant, "{wrong:?}");
    }
    assert!(
        app.exchange_code(&client, &code, Some(&verifier))
            .await
            .is_ok(),
        "failed verifications leave the code usable"
    );
}

async fn a_verifier_without_a_challenge_is_invalid_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let (verifier, _) = pkce_pair();
    let code = obtain_code(&app, &client, &[], "ada", &[]).await;
    let err = app
        .exchange_code(&client, &code, Some(&verifier))
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
}

async fn plain_is_refused_unless_allowed(backend: TestBackend) {
    let verifier = "plain-verifier-0123456789-0123456789-0123456789";
    let plain = [
        ("code_challenge", verifier),
        ("code_challenge_method", "plain"),
    ];
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let page = Browser::new()
        .get(&authorize_url(&app, &client.id, &plain))
        .await;
    let location = page.location.expect("redirect to the client");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request"),
        "{location}"
    );

    let app = TestApp::builder(backend)
        .config(|c| c.oauth2.pkce.allow_plain = true)
        .build()
        .await;
    let client = create_client(&app, json!({})).await;
    let code = obtain_code(&app, &client, &plain, "ada", &[]).await;
    let err = app
        .exchange_code(&client, &code, Some(&format!("{verifier}x")))
        .await
        .unwrap_err();
    assert_eq!(err, BasicErrorResponseType::InvalidGrant);
    assert!(
        app.exchange_code(&client, &code, Some(verifier))
            .await
            .is_ok()
    );
}

async fn public_clients_must_send_a_challenge(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let public = create_client(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let page = Browser::new()
        .get(&authorize_url(&app, &public.id, &[]))
        .await;
    let location = page.location.expect("redirect");
    assert!(!location.starts_with(LOGIN_APP_URL), "{location}");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
}
