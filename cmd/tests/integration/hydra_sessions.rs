//! Hydra's session administration: `GET|DELETE /admin/oauth2/auth/sessions/consent` and
//! `DELETE /admin/oauth2/auth/sessions/login`.

use std::collections::BTreeSet;

use portunus_sdk::Error;
use portunus_server::oauth2::token_format;
use portunus_server::storage::TokenKind;
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    accept_consent, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    consent_sessions_are_listed_in_pages_and_revoked_with_their_tokens,
    login_sessions_are_revoked_by_subject_or_sid
);

/// Runs a flow for `subject` and returns the code.
async fn code_for(
    app: &TestApp,
    browser: &Browser,
    client_id: &str,
    subject: &str,
    remember: bool,
) -> String {
    let challenge = login_challenge(
        browser,
        &authorize_url(app, client_id, &[("scope", "openid offline")]),
    )
    .await;
    let redirect = accept_login(app, &challenge, subject, remember).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid", "offline"], true).await;
    param(&to_client(browser, &redirect).await, "code").expect("code")
}

async fn code_is_active(app: &TestApp, code: &str) -> bool {
    let verified = token_format::verify(&app.state.keys, code).expect("our code");
    let row = app
        .state
        .tokens
        .get_token(TokenKind::AuthorizationCode, &verified.signature_hash)
        .await
        .unwrap();
    row.expect("stored").active
}

async fn consent_sessions_are_listed_in_pages_and_revoked_with_their_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (a, b) = (
        create_client(&app, json!({})).await,
        create_client(&app, json!({})).await,
    );
    let browser = Browser::new();
    let code_a = code_for(&app, &browser, &a.id, "ada", false).await;
    let code_b = code_for(&app, &Browser::new(), &b.id, "ada", false).await;
    let _third = code_for(&app, &Browser::new(), &b.id, "ada", false).await;
    let code_bob = code_for(&app, &Browser::new(), &a.id, "bob", false).await;

    let all = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject("ada")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.len(), 3);
    let first = &all[0];
    assert_eq!(
        first.grant_scope,
        Some(vec!["openid".to_owned(), "offline".to_owned()])
    );
    assert_eq!(first.remember, Some(true));
    assert!(first.handled_at.is_some());
    let request = first.consent_request.as_ref().unwrap();
    assert_eq!(request.subject.as_deref(), Some("ada"));
    assert!(
        request
            .client
            .as_ref()
            .and_then(|c| c.client_id.clone())
            .is_some()
    );
    assert_eq!(
        first.session.as_ref().unwrap().access_token,
        Some(json!({"team": "blue"}))
    );

    // Pages of one, linked by the Link header.
    let mut seen = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = app
            .admin
            .list_o_auth2_consent_sessions()
            .page_size(1u64)
            .subject("ada");
        if let Some(token) = &token {
            request = request.page_token(token);
        }
        let response = request.send().await.unwrap();
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        for session in response.into_inner() {
            assert!(
                seen.insert(session.consent_request_id.unwrap()),
                "no duplicates"
            );
        }
        token = link
            .split(',')
            .find(|p| p.contains("rel=\"next\""))
            .and_then(|p| {
                param(
                    &format!(
                        "http://x{}",
                        p.split(';').next()?.trim().trim_matches(['<', '>'])
                    ),
                    "page_token",
                )
            });
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 3);
    let unknown = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject("nobody")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.is_empty());

    // Revoking ada's consent for client b revokes b's tokens for ada only.
    app.admin
        .revoke_o_auth2_consent_sessions()
        .client(&b.id)
        .subject("ada")
        .send()
        .await
        .unwrap();
    assert!(!code_is_active(&app, &code_b).await);
    assert!(code_is_active(&app, &code_a).await);
    assert!(
        code_is_active(&app, &code_bob).await,
        "other subjects keep theirs"
    );
    let left = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject("ada")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(left.len(), 1);

    app.admin
        .revoke_o_auth2_consent_sessions()
        .all(true)
        .subject("ada")
        .send()
        .await
        .unwrap();
    assert!(!code_is_active(&app, &code_a).await);
    assert!(
        app.admin
            .list_o_auth2_consent_sessions()
            .subject("ada")
            .send()
            .await
            .unwrap()
            .into_inner()
            .is_empty()
    );

    // Remembered consent is gone: the consent app is asked again (skip=false).
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &a.id, &[("scope", "openid offline")]),
    )
    .await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(request.skip, Some(false));

    match app
        .admin
        .revoke_o_auth2_consent_sessions()
        .subject("ada")
        .send()
        .await
    {
        Err(Error::ErrorResponse(r)) => {
            assert_eq!(r.status().as_u16(), 400, "client or all=true is required")
        }
        other => panic!("expected 400, got {other:?}"),
    }
    let raw = app
        .http
        .delete(app.admin_path("/admin/oauth2/auth/sessions/consent?all=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400, "subject is required");
}

async fn login_sessions_are_revoked_by_subject_or_sid(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    code_for(&app, &browser, &client.id, "ada", true).await;
    let challenge = login_challenge(&browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(request.skip);
    let sid = request.session_id.unwrap();

    app.admin
        .revoke_o_auth2_login_sessions()
        .sid(&sid)
        .send()
        .await
        .unwrap();
    let challenge = login_challenge(&browser, &url).await;
    assert!(
        !app.admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await
            .unwrap()
            .into_inner()
            .skip,
        "sid revoked"
    );

    let other = Browser::new();
    code_for(&app, &other, &client.id, "bob", true).await;
    let challenge = login_challenge(&other, &url).await;
    assert!(
        app.admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await
            .unwrap()
            .into_inner()
            .skip
    );
    app.admin
        .revoke_o_auth2_login_sessions()
        .subject("bob")
        .send()
        .await
        .unwrap();
    let challenge = login_challenge(&other, &url).await;
    assert!(
        !app.admin
            .get_o_auth2_login_request()
            .login_challenge(&challenge)
            .send()
            .await
            .unwrap()
            .into_inner()
            .skip,
        "subject revoked"
    );

    let raw = app
        .http
        .delete(app.admin_path("/admin/oauth2/auth/sessions/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
}
