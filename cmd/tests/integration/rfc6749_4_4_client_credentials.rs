//! RFC 6749 §4.4: the client credentials grant through the `oauth2` crate — opaque
//! bearer tokens, no refresh token, scopes checked with `strategies.scope` (Hydra's
//! wildcard or exact), audiences from the client's list, lifespans, and the grant-type
//! errors of §5.2. Every answer carries `Cache-Control: no-store` (§5.1).

use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{AuthType, RequestTokenError, Scope, TokenResponse};
use portunus_server::config::ScopeStrategy;
use serde_json::json;

use crate::support::oauth::{Registered, TokenClient};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    issues_an_opaque_bearer_token_without_refresh_token,
    responses_are_never_cached,
    lifespans_come_from_the_client_or_the_config,
    grant_type_errors,
    wildcard_scopes,
    exact_scopes,
    audiences_must_be_registered,
);

async fn service(app: &TestApp, id: &str) -> Registered {
    app.register(json!({
        "client_id": id,
        "grant_types": ["client_credentials"],
        "scope": "read write foo.*",
        "audience": ["https://api.example.com", "https://other.example.com"],
    }))
    .await
}

async fn error_of(
    request: oauth2::ClientCredentialsTokenRequest<'_, BasicErrorResponse, BasicTokenResponse>,
    app: &TestApp,
) -> BasicErrorResponseType {
    match request.request_async(&app.oauth_http()).await {
        Err(RequestTokenError::ServerResponse(err)) => err.error().clone(),
        other => panic!("expected an error response, got {other:?}"),
    }
}

fn client(app: &TestApp, registered: &Registered) -> TokenClient {
    app.token_client(registered, AuthType::BasicAuth)
}

async fn issues_an_opaque_bearer_token_without_refresh_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = service(&app, "svc").await;
    let token = client(&app, &registered)
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("foo.bar".into()))
        .request_async(&app.oauth_http())
        .await
        .expect("token");
    assert_eq!(*token.token_type(), oauth2::basic::BasicTokenType::Bearer);
    assert!(token.access_token().secret().starts_with("ptn_at_"));
    assert!(token.refresh_token().is_none(), "RFC 6749 §4.4.3");
    assert_eq!(token.expires_in(), Some(Duration::from_secs(3600)));
    let scopes: Vec<&str> = token.scopes().unwrap().iter().map(|s| s.as_str()).collect();
    assert_eq!(scopes, ["read", "foo.bar"]);

    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert!(introspected.active);
    assert_eq!(introspected.sub.as_deref(), Some("svc"));
    assert_eq!(introspected.scope.as_deref(), Some("read foo.bar"));
}

async fn responses_are_never_cached(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = service(&app, "svc").await;
    let secret = registered.secret.as_deref().unwrap();
    for (form, status) in [
        (vec![("grant_type", "client_credentials")], 200),
        (
            vec![("grant_type", "client_credentials"), ("scope", "admin")],
            400,
        ),
    ] {
        let (got, headers, _) = app
            .post_form("/oauth2/token", Some(("svc", secret)), &form)
            .await;
        assert_eq!(got, status);
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["pragma"], "no-cache");
    }
    // Without scope, nothing is granted (as Hydra): no `scope` in the response.
    let form = [("grant_type", "client_credentials")];
    let (_, _, body) = app
        .post_form("/oauth2/token", Some(("svc", secret)), &form)
        .await;
    assert_eq!(body["token_type"], "bearer");
    assert!(body.get("scope").is_none() && body.get("refresh_token").is_none());
}

async fn lifespans_come_from_the_client_or_the_config(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.ttl.access_token = portunus_server::duration::GoDuration::from_secs(600))
        .build()
        .await;
    let default = service(&app, "default").await;
    let token = client(&app, &default)
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .unwrap();
    assert_eq!(token.expires_in(), Some(Duration::from_secs(600)));
    let custom = app
        .register(json!({
            "client_id": "custom",
            "grant_types": ["client_credentials"],
            "client_credentials_grant_access_token_lifespan": "30m",
        }))
        .await;
    let token = client(&app, &custom)
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .unwrap();
    assert_eq!(token.expires_in(), Some(Duration::from_secs(1800)));
    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert_eq!(introspected.exp.unwrap() - introspected.iat.unwrap(), 1800);
}

type Form<'a> = &'a [(&'a str, &'a str)];

async fn grant_type_errors(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = service(&app, "svc").await;
    let secret = registered.secret.as_deref().unwrap();
    let cases: [(Form, u16, &str); 4] = [
        (&[("grant_type", "password")], 400, "unsupported_grant_type"),
        (&[("grant_type", "implicit")], 400, "unsupported_grant_type"),
        (&[("scope", "read")], 400, "invalid_request"),
        (
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            400,
            "invalid_request",
        ),
    ];
    for (form, status, error) in cases {
        let (got, _, body) = app
            .post_form("/oauth2/token", Some(("svc", secret)), form)
            .await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{form:?}"
        );
    }
    let no_grant = app
        .register(
            json!({"client_id": "code-only", "grant_types": ["authorization_code"],
                         "redirect_uris": ["https://app.example.com/cb"]}),
        )
        .await;
    let request = client(&app, &no_grant);
    let error = error_of(request.exchange_client_credentials(), &app).await;
    assert_eq!(error, BasicErrorResponseType::UnauthorizedClient);

    let json_body = app
        .http
        .post(app.public_path("/oauth2/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert!(json_body.status().is_client_error());
    let body: serde_json::Value = json_body.json().await.unwrap();
    assert!(body["error"].is_string());
}

async fn wildcard_scopes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = service(&app, "svc").await;
    let client = client(&app, &registered);
    for allowed in ["read write", "foo.bar", "foo.bar.baz", "foo.*"] {
        let request = client
            .exchange_client_credentials()
            .add_scopes(allowed.split(' ').map(|s| Scope::new(s.into())));
        request
            .request_async(&app.oauth_http())
            .await
            .unwrap_or_else(|e| panic!("{allowed}: {e:?}"));
    }
    for refused in ["admin", "read admin", "foo", "fo.bar"] {
        let request = client
            .exchange_client_credentials()
            .add_scopes(refused.split(' ').map(|s| Scope::new(s.into())));
        assert_eq!(
            error_of(request, &app).await,
            BasicErrorResponseType::InvalidScope,
            "{refused}"
        );
    }
}

async fn exact_scopes(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.strategies.scope = ScopeStrategy::Exact)
        .build()
        .await;
    let registered = service(&app, "svc").await;
    let client = client(&app, &registered);
    for allowed in ["read", "foo.*"] {
        let request = client
            .exchange_client_credentials()
            .add_scope(Scope::new(allowed.into()));
        request
            .request_async(&app.oauth_http())
            .await
            .unwrap_or_else(|e| panic!("{allowed}: {e:?}"));
    }
    let request = client
        .exchange_client_credentials()
        .add_scope(Scope::new("foo.bar".into()));
    assert_eq!(
        error_of(request, &app).await,
        BasicErrorResponseType::InvalidScope
    );
}

async fn audiences_must_be_registered(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = service(&app, "svc").await;
    let client = client(&app, &registered);
    let token = client
        .exchange_client_credentials()
        .add_extra_param("audience", "https://api.example.com")
        .add_extra_param("audience", "https://other.example.com")
        .request_async(&app.oauth_http())
        .await
        .expect("repeated audience");
    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert_eq!(
        introspected.aud.unwrap(),
        ["https://api.example.com", "https://other.example.com"]
    );
    let token = client
        .exchange_client_credentials()
        .add_extra_param(
            "audience",
            "https://other.example.com https://api.example.com",
        )
        .request_async(&app.oauth_http())
        .await
        .expect("space-separated audience");
    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert_eq!(introspected.aud.unwrap().len(), 2);
    let request = client.exchange_client_credentials().add_extra_param(
        "audience",
        "https://api.example.com https://evil.example.com",
    );
    assert_eq!(
        error_of(request, &app).await,
        BasicErrorResponseType::InvalidRequest
    );
    let request = client
        .exchange_client_credentials()
        .add_extra_param("audience", "https://api.example.com/sub");
    assert_eq!(
        error_of(request, &app).await,
        BasicErrorResponseType::InvalidRequest
    );
}
