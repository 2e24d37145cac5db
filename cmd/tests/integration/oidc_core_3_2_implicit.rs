//! OIDC Core §3.2 (the implicit flow) and RFC 6749 §4.2: `id_token` and
//! `id_token token` return their tokens in the fragment by default (or by form_post),
//! never in the query; `nonce` is required; the ID token is verified by the
//! `openidconnect` crate, with `at_hash` when an access token comes with it; the
//! access token works at introspection and userinfo; plain `token` only when
//! `oauth2.allow_token_response_type` is on; the client must have registered the type
//! and the implicit grant.

use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{REDIRECT_URI, create_client, login_challenge};
use crate::support::hybrid::{
    NONCE, create_hybrid_client, fragment_param, hybrid_url, run_hybrid_flow,
    verify_response_id_token,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    id_token_alone_comes_in_the_fragment,
    id_token_token_returns_a_working_access_token,
    form_post_carries_the_tokens,
    nonce_and_openid_are_required,
    tokens_never_go_in_the_query,
    plain_token_only_when_enabled,
    the_client_must_register_type_and_grant,
);

async fn id_token_alone_comes_in_the_fragment(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let url = hybrid_url(&app, &client.id, "id_token", &[]);
    let location = run_hybrid_flow(&app, &Browser::new(), &url, &["openid"]).await;
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}#")),
        "{location}"
    );
    assert_eq!(
        fragment_param(&location, "state").as_deref(),
        Some("af0ifjsldkj")
    );
    for absent in ["code", "access_token", "token_type"] {
        assert!(param(&location, absent).is_none(), "{absent}: {location}");
    }
    let id_token = fragment_param(&location, "id_token").expect("id_token");
    let claims = verify_response_id_token(&app, &client.id, &id_token, None, None).await;
    assert_eq!(claims.subject().as_str(), "ada");
    assert_eq!(claims.nonce().map(|n| n.secret().as_str()), Some(NONCE));
    assert!(claims.auth_time().is_some());
}

async fn id_token_token_returns_a_working_access_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let url = hybrid_url(
        &app,
        &client.id,
        "id_token token",
        &[("scope", "openid email")],
    );
    let location = run_hybrid_flow(&app, &Browser::new(), &url, &["openid", "email"]).await;
    let access_token = fragment_param(&location, "access_token").expect("access_token");
    assert_eq!(param(&location, "token_type").as_deref(), Some("bearer"));
    assert_eq!(param(&location, "expires_in").as_deref(), Some("3600"));
    assert_eq!(param(&location, "scope").as_deref(), Some("openid email"));
    assert!(
        param(&location, "refresh_token").is_none(),
        "RFC 6749 §4.2.2"
    );
    let id_token = param(&location, "id_token").expect("id_token");
    verify_response_id_token(&app, &client.id, &id_token, Some(&access_token), None).await;

    let introspected = app.introspect(&access_token, None).await;
    assert!(introspected.active);
    assert_eq!(introspected.sub.as_deref(), Some("ada"));
    assert_eq!(introspected.client_id.as_deref(), Some(client.id.as_str()));
    let userinfo = app
        .http
        .get(app.public_path("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let body: Value = userinfo.json().await.unwrap();
    assert_eq!(body["sub"], "ada");
}

async fn form_post_carries_the_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let browser = Browser::new();
    let url = hybrid_url(
        &app,
        &client.id,
        "id_token token",
        &[("response_mode", "form_post")],
    );
    let challenge = login_challenge(&browser, &url).await;
    let redirect = crate::support::flow::accept_login(&app, &challenge, "ada", false).await;
    let consent = crate::support::flow::consent_challenge(&browser, &redirect).await;
    let redirect = crate::support::flow::accept_consent(&app, &consent, &["openid"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200);
    for name in ["access_token", "id_token", "token_type", "state"] {
        assert!(
            page.body.contains(&format!("name=\"{name}\"")),
            "{name}: {}",
            page.body
        );
    }
}

/// The error of an authorization request, wherever the response mode put it.
async fn error_of(app: &TestApp, url: &str) -> (String, String) {
    let page = Browser::new().get(url).await;
    let location = page
        .location
        .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body));
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    let _ = app;
    (
        param(&location, "error").unwrap_or_default(),
        location.clone(),
    )
}

async fn nonce_and_openid_are_required(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    for response_type in ["id_token", "id_token token"] {
        let url = hybrid_url(&app, &client.id, response_type, &[("nonce", "")]);
        let (error, location) = error_of(&app, &url).await;
        assert_eq!(error, "invalid_request", "{response_type}: {location}");
        assert!(
            location.contains('#'),
            "errors use the fragment: {location}"
        );
        assert!(
            param(&location, "error_description")
                .unwrap()
                .contains("nonce")
        );

        let url = hybrid_url(&app, &client.id, response_type, &[("scope", "email")]);
        let (error, location) = error_of(&app, &url).await;
        assert_eq!(error, "invalid_request", "{response_type}: {location}");
    }
}

async fn tokens_never_go_in_the_query(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    for response_type in ["id_token", "id_token token"] {
        let url = hybrid_url(
            &app,
            &client.id,
            response_type,
            &[("response_mode", "query")],
        );
        let (error, location) = error_of(&app, &url).await;
        assert_eq!(error, "invalid_request", "{response_type}: {location}");
    }
}

async fn plain_token_only_when_enabled(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_hybrid_client(&app).await;
    let url = hybrid_url(&app, &client.id, "token", &[]);
    let (error, _) = error_of(&app, &url).await;
    assert_eq!(error, "unsupported_response_type");
    drop(app);

    let app = TestApp::builder(backend)
        .config(|c| c.oauth2.allow_token_response_type = true)
        .build()
        .await;
    let client = create_hybrid_client(&app).await;
    let url = hybrid_url(
        &app,
        &client.id,
        "token",
        &[("scope", "email"), ("nonce", "")],
    );
    let location = run_hybrid_flow(&app, &Browser::new(), &url, &["email"]).await;
    let access_token = fragment_param(&location, "access_token").expect("access_token");
    assert!(param(&location, "id_token").is_none());
    assert!(app.introspect(&access_token, None).await.active);
}

async fn the_client_must_register_type_and_grant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // Registered id_token, but without the implicit grant.
    let without_grant = create_client(
        &app,
        json!({"response_types": ["code", "id_token"], "grant_types": ["authorization_code"]}),
    )
    .await;
    // The implicit grant, but only the code response type.
    let without_type = create_client(
        &app,
        json!({"response_types": ["code"], "grant_types": ["authorization_code", "implicit"]}),
    )
    .await;
    for client in [without_grant, without_type] {
        let url = hybrid_url(&app, &client.id, "id_token", &[]);
        let (error, location) = error_of(&app, &url).await;
        assert_eq!(error, "unauthorized_client", "{location}");
    }
    // Word order does not matter (a set match).
    let client = create_client(
        &app,
        json!({"response_types": ["token id_token"], "grant_types": ["implicit"]}),
    )
    .await;
    let url = hybrid_url(&app, &client.id, "id_token token", &[]);
    let location = login_challenge(&Browser::new(), &url).await;
    assert!(!location.is_empty());
}
