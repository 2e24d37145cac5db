//! RFC 7009: token revocation by the client the token was issued to, through the
//! `oauth2` crate. Revoking either token of a family revokes the family (as Hydra);
//! another client's token is refused with `unauthorized_client`; unknown tokens are
//! answered with 200 (§2.2). Also Hydra's admin `DELETE /admin/oauth2/tokens`.

use oauth2::basic::BasicErrorResponseType;
use oauth2::{
    AccessToken, AuthType, RefreshToken, RevocationErrorResponseType, StandardRevocableToken,
};
use oauth2::{RequestTokenError, TokenResponse};
use portunus_sdk::Error;
use serde_json::{Value, json};

use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_client_revokes_its_own_access_token,
    revoking_a_refresh_token_revokes_its_family,
    another_clients_token_is_refused,
    unknown_and_revoked_tokens_are_ok,
    revocation_needs_client_authentication,
    public_clients_revoke_with_their_id,
    admin_deletes_a_clients_access_tokens,
    deleting_a_client_deletes_its_tokens,
);

async fn service(app: &TestApp, id: &str) -> Registered {
    app.register(json!({"client_id": id, "grant_types": ["client_credentials"], "scope": "read"}))
        .await
}

async fn access_token(app: &TestApp, registered: &Registered) -> String {
    app.token_client(registered, AuthType::BasicAuth)
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .expect("token")
        .access_token()
        .secret()
        .clone()
}

async fn revoke(app: &TestApp, registered: &Registered, token: StandardRevocableToken) {
    app.token_client(registered, AuthType::BasicAuth)
        .revoke_token(token)
        .unwrap()
        .request_async(&app.oauth_http())
        .await
        .expect("revoke");
}

async fn active(app: &TestApp, token: &str) -> bool {
    app.introspect(token, None).await.active
}

async fn a_client_revokes_its_own_access_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let svc = service(&app, "svc").await;
    let token = access_token(&app, &svc).await;
    let other = access_token(&app, &svc).await;
    revoke(
        &app,
        &svc,
        StandardRevocableToken::AccessToken(AccessToken::new(token.clone())),
    )
    .await;
    assert!(!active(&app, &token).await);
    assert!(
        active(&app, &other).await,
        "another grant's token stays active"
    );
}

async fn revoking_a_refresh_token_revokes_its_family(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let svc = service(&app, "svc").await;
    let (access, refresh) = app.issue_family("svc", &["read"]).await;
    let (access2, refresh2) = app.issue_family("svc", &["read"]).await;
    revoke(
        &app,
        &svc,
        StandardRevocableToken::RefreshToken(RefreshToken::new(refresh.clone())),
    )
    .await;
    assert!(!active(&app, &refresh).await);
    assert!(
        !active(&app, &access).await,
        "RFC 7009 §2.1: the access token goes too"
    );
    assert!(active(&app, &access2).await && active(&app, &refresh2).await);

    // Revoking the access token revokes the refresh token too (Hydra revokes the request).
    revoke(
        &app,
        &svc,
        StandardRevocableToken::AccessToken(AccessToken::new(access2.clone())),
    )
    .await;
    assert!(!active(&app, &refresh2).await);
}

async fn another_clients_token_is_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let owner = service(&app, "owner").await;
    let thief = service(&app, "thief").await;
    let token = access_token(&app, &owner).await;
    let result = app
        .token_client(&thief, AuthType::BasicAuth)
        .revoke_token(StandardRevocableToken::AccessToken(AccessToken::new(
            token.clone(),
        )))
        .unwrap()
        .request_async(&app.oauth_http())
        .await;
    match result {
        Err(RequestTokenError::ServerResponse(err)) => assert_eq!(
            *err.error(),
            RevocationErrorResponseType::Basic(BasicErrorResponseType::UnauthorizedClient)
        ),
        other => panic!("expected unauthorized_client, got {other:?}"),
    }
    let secret = thief.secret.as_deref().unwrap();
    let (status, _, body) = app
        .post_form(
            "/oauth2/revoke",
            Some(("thief", secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert!(active(&app, &token).await);
}

async fn unknown_and_revoked_tokens_are_ok(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let svc = service(&app, "svc").await;
    let secret = svc.secret.clone().unwrap();
    let token = access_token(&app, &svc).await;
    for _ in 0..2 {
        let (status, _, body) = app
            .post_form(
                "/oauth2/revoke",
                Some(("svc", &secret)),
                &[("token", &token)],
            )
            .await;
        assert_eq!((status, body), (200, Value::Null));
    }
    for garbage in ["garbage", "ptn_rt_x.y", "ptn_ac_AAAA.BBBB"] {
        let form = [("token", garbage), ("token_type_hint", "refresh_token")];
        let (status, _, _) = app
            .post_form("/oauth2/revoke", Some(("svc", &secret)), &form)
            .await;
        assert_eq!(status, 200, "{garbage}");
    }
    let form = [
        ("token", token.as_str()),
        ("token_type_hint", "something_else"),
    ];
    let (status, _, _) = app
        .post_form("/oauth2/revoke", Some(("svc", &secret)), &form)
        .await;
    assert_eq!(status, 200, "unknown hints are ignored (RFC 7009 §2.1)");
}

async fn revocation_needs_client_authentication(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let svc = service(&app, "svc").await;
    let token = access_token(&app, &svc).await;
    let (status, headers, body) = app
        .post_form(
            "/oauth2/revoke",
            Some(("svc", "wrong")),
            &[("token", &token)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let (status, _, body) = app
        .post_form("/oauth2/revoke", None, &[("token", &token)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let secret = svc.secret.as_deref().unwrap();
    let (status, _, body) = app
        .post_form("/oauth2/revoke", Some(("svc", secret)), &[])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(active(&app, &token).await);
}

async fn public_clients_revoke_with_their_id(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let public = app
        .register(
            json!({"client_id": "spa", "token_endpoint_auth_method": "none",
                         "grant_types": ["authorization_code", "refresh_token"],
                         "redirect_uris": ["https://spa.example.com/cb"]}),
        )
        .await;
    let (access, refresh) = app.issue_family("spa", &[]).await;
    revoke(
        &app,
        &public,
        StandardRevocableToken::RefreshToken(RefreshToken::new(refresh)),
    )
    .await;
    assert!(!active(&app, &access).await);
}

async fn admin_deletes_a_clients_access_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let a = service(&app, "client-a").await;
    let b = service(&app, "client-b").await;
    let (a1, a2, b1) = (
        access_token(&app, &a).await,
        access_token(&app, &a).await,
        access_token(&app, &b).await,
    );
    let (a3, a_refresh) = app.issue_family("client-a", &[]).await;
    let response = app
        .admin
        .delete_o_auth2_token()
        .client_id("client-a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    for token in [&a1, &a2, &a3] {
        assert!(!active(&app, token).await);
    }
    assert!(active(&app, &b1).await);
    assert!(
        active(&app, &a_refresh).await,
        "refresh tokens are not access tokens"
    );
    app.admin
        .delete_o_auth2_token()
        .client_id("no-such-client")
        .send()
        .await
        .unwrap();

    let response = app
        .http
        .delete(app.admin_path("/admin/oauth2/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    match app.admin.delete_o_auth2_token().client_id("").send().await {
        Err(Error::ErrorResponse(err)) => assert_eq!(err.status().as_u16(), 400),
        other => panic!("expected 400, got {other:?}"),
    }
}

async fn deleting_a_client_deletes_its_tokens(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let svc = service(&app, "svc").await;
    let token = access_token(&app, &svc).await;
    let (_, refresh) = app.issue_family("svc", &[]).await;
    app.admin
        .delete_o_auth2_client()
        .id("svc")
        .send()
        .await
        .unwrap();
    assert!(!active(&app, &token).await);
    assert!(!active(&app, &refresh).await);
}
