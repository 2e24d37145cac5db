//! OIDC Core §3.3 (the hybrid flow): `code id_token`, `code token` and
//! `code id_token token` return the code and tokens in the fragment (or by form_post,
//! never in the query); the ID token carries `c_hash` for the code and `at_hash` for
//! the access token (§3.3.2.11), checked by the `openidconnect` crate; the code
//! exchanges at the token endpoint for an ID token of the same End-User with the nonce
//! (§3.3.3.6); the access token works at introspection.

use crate::support::browser::{Browser, param};
use crate::support::flow::{REDIRECT_URI, accept_consent, accept_login, consent_challenge};
use crate::support::hybrid::{
    NONCE, create_hybrid_client, fragment_param, hybrid_url, run_hybrid_flow,
    verify_response_id_token,
};
use crate::support::oidc::Expect;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    every_hybrid_type_in_the_fragment,
    form_post_carries_code_and_tokens,
    nonce_is_required_and_query_refused,
    plain_code_is_unchanged,
);

async fn every_hybrid_type_in_the_fragment(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    for response_type in ["code id_token", "code token", "code id_token token"] {
        let url = hybrid_url(&app, &client.id, response_type, &[]);
        let location = run_hybrid_flow(&app, &Browser::new(), &url, &["openid"]).await;
        assert!(
            location.starts_with(&format!("{REDIRECT_URI}#")),
            "{location}"
        );
        assert_eq!(param(&location, "state").as_deref(), Some("af0ifjsldkj"));
        let code = fragment_param(&location, "code").expect("code");
        let access_token = fragment_param(&location, "access_token");
        let id_token = fragment_param(&location, "id_token");
        assert_eq!(
            access_token.is_some(),
            response_type.split(' ').any(|w| w == "token"),
            "{response_type}: {location}"
        );
        assert_eq!(id_token.is_some(), response_type.contains("id_token"));
        if let Some(id_token) = &id_token {
            let claims = verify_response_id_token(
                &app,
                &client.id,
                id_token,
                access_token.as_deref(),
                Some(&code),
            )
            .await;
            assert_eq!(claims.subject().as_str(), "ada");
        }
        if let Some(access_token) = &access_token {
            assert_eq!(param(&location, "token_type").as_deref(), Some("bearer"));
            assert!(app.introspect(access_token, None).await.active);
        }

        // §3.3.3: the code exchanges as in the code flow, with the request's nonce.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        let (status, body) = app.token_request(&client, &form).await;
        assert_eq!(status, 200, "{response_type}: {body}");
        let exchanged = body["access_token"].as_str().unwrap();
        let expect = Expect {
            nonce: Some(NONCE),
            access_token: Some(exchanged),
        };
        let token_id = body["id_token"].as_str().expect("id_token");
        let claims = app.verify_id_token(&client.id, token_id, expect).await;
        assert_eq!(claims.subject().as_str(), "ada");
    }
}

async fn form_post_carries_code_and_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let browser = Browser::new();
    let url = hybrid_url(
        &app,
        &client.id,
        "code id_token token",
        &[("response_mode", "form_post")],
    );
    let challenge = crate::support::flow::login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200);
    for name in ["code", "access_token", "id_token", "state"] {
        assert!(
            page.body.contains(&format!("name=\"{name}\"")),
            "{name}: {}",
            page.body
        );
    }
}

async fn nonce_is_required_and_query_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let cases = [
        ("code id_token", ("nonce", "")),
        ("code id_token token", ("nonce", "")),
        ("code id_token", ("response_mode", "query")),
        ("code token", ("response_mode", "query")),
    ];
    for (response_type, extra) in cases {
        let url = hybrid_url(&app, &client.id, response_type, &[extra]);
        let page = Browser::new().get(&url).await;
        let location = page.location.unwrap_or_default();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{response_type} {extra:?}: {location}"
        );
    }
    // `code token` returns no ID token: no nonce needed.
    let url = hybrid_url(&app, &client.id, "code token", &[("nonce", "")]);
    let location = run_hybrid_flow(&app, &Browser::new(), &url, &["openid"]).await;
    assert!(fragment_param(&location, "access_token").is_some());
}

async fn plain_code_is_unchanged(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let url = hybrid_url(&app, &client.id, "code", &[]);
    let location = run_hybrid_flow(&app, &Browser::new(), &url, &["openid"]).await;
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?")),
        "{location}"
    );
    assert!(param(&location, "code").is_some());
    assert!(param(&location, "id_token").is_none());
}
