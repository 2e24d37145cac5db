//! RFC 6749 §2.3: client authentication at the token endpoint — `client_secret_basic`
//! (with §2.3.1's form-encoding of id and secret), `client_secret_post`, `none`, one
//! method per request, the registered method only, and `401 invalid_client` with
//! `WWW-Authenticate` after a Basic attempt (§5.2).

use oauth2::basic::BasicErrorResponseType;
use oauth2::{AuthType, RequestTokenError, TokenResponse};
use serde_json::json;

use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    basic_credentials_are_form_decoded,
    client_secret_post_works_when_registered,
    the_registered_method_is_the_only_one_accepted,
    wrong_secrets_are_401_with_a_challenge_only_after_basic,
    one_method_per_request,
    public_clients_cannot_use_client_credentials,
    an_assertion_naming_no_client_is_invalid_client,
    chosen_secrets_are_verified_once_and_changes_take_effect,
);

const SPECIAL_ID: &str = "svc:a&b=c+d%é";
const SPECIAL_SECRET: &str = "p@ss:w&rd +%/é=";

fn cc_client(id: &str, method: &str) -> serde_json::Value {
    json!({
        "client_id": id,
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": method,
        "scope": "read",
    })
}

async fn error_of(
    client: &crate::support::oauth::TokenClient,
    app: &TestApp,
) -> BasicErrorResponseType {
    match client
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
    {
        Err(RequestTokenError::ServerResponse(err)) => err.error().clone(),
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn basic_credentials_are_form_decoded(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut body = cc_client(SPECIAL_ID, "client_secret_basic");
    body["client_secret"] = json!(SPECIAL_SECRET);
    let registered = app.register(body).await;
    let client = app.token_client(&registered, AuthType::BasicAuth);
    let token = client
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .expect("token with form-encoded Basic credentials");
    assert!(token.access_token().secret().starts_with("ptn_at_"));
    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert_eq!(introspected.client_id.as_deref(), Some(SPECIAL_ID));
}

async fn client_secret_post_works_when_registered(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = app
        .register(cc_client("post-client", "client_secret_post"))
        .await;
    let client = app.token_client(&registered, AuthType::RequestBody);
    let token = client
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .expect("token with client_secret_post");
    assert!(
        app.introspect(token.access_token().secret(), None)
            .await
            .active
    );
}

async fn the_registered_method_is_the_only_one_accepted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let basic = app
        .register(cc_client("basic-client", "client_secret_basic"))
        .await;
    let post = app
        .register(cc_client("post-client", "client_secret_post"))
        .await;
    for (registered, wrong) in [
        (&basic, AuthType::RequestBody),
        (&post, AuthType::BasicAuth),
    ] {
        let client = app.token_client(registered, wrong);
        assert_eq!(
            error_of(&client, &app).await,
            BasicErrorResponseType::InvalidClient
        );
    }
    let secret = basic.secret.as_deref().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "basic-client"),
        ("client_secret", secret),
    ];
    let (status, headers, body) = app.post_form("/oauth2/token", None, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.get("www-authenticate").is_none());
    // Which method the client registered is not told (issue 12 item 8: it would tell
    // that the client exists); the same answer as for an unknown client.
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("registered for another authentication method")
            && !description.contains("client_secret_basic"),
        "{description}"
    );
}

async fn wrong_secrets_are_401_with_a_challenge_only_after_basic(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    app.register(cc_client("basic-client", "client_secret_basic"))
        .await;
    app.register(cc_client("post-client", "client_secret_post"))
        .await;
    let grant = [("grant_type", "client_credentials")];

    let (status, headers, body) = app
        .post_form("/oauth2/token", Some(("basic-client", "wrong")), &grant)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(headers["www-authenticate"], "Basic realm=\"portunus\"");
    assert_eq!(headers["cache-control"], "no-store");

    let (status, headers, _) = app
        .post_form("/oauth2/token", Some(("no-such-client", "x")), &grant)
        .await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));

    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "post-client"),
        ("client_secret", "wrong"),
    ];
    let (status, headers, body) = app.post_form("/oauth2/token", None, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.get("www-authenticate").is_none());

    let (status, _, body) = app.post_form("/oauth2/token", None, &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn one_method_per_request(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = app
        .register(cc_client("basic-client", "client_secret_basic"))
        .await;
    let secret = registered.secret.as_deref().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_secret", secret),
    ];
    let (status, _, body) = app
        .post_form("/oauth2/token", Some(("basic-client", secret)), &form)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let form = [("grant_type", "client_credentials"), ("client_id", "other")];
    let (status, _, body) = app
        .post_form("/oauth2/token", Some(("basic-client", secret)), &form)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

async fn public_clients_cannot_use_client_credentials(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register(cc_client("public-client", "none")).await;
    assert!(registered.secret.is_none());
    let client = app.token_client(&registered, AuthType::BasicAuth);
    assert_eq!(
        error_of(&client, &app).await,
        BasicErrorResponseType::UnauthorizedClient
    );
}

/// `private_key_jwt` itself is checked in `rfc7523_private_key_jwt.rs`.
async fn an_assertion_naming_no_client_is_invalid_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
    ];
    let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("'iss' and 'sub'")
    );
}

/// Argon2id runs once per client and process; a new secret (new stored hash) is never
/// answered from the cache, and the old one stops working at once.
async fn chosen_secrets_are_verified_once_and_changes_take_effect(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut body = cc_client("chosen", "client_secret_basic");
    body["client_secret"] = json!("first-chosen-secret");
    let first = app.register(body.clone()).await;
    let client = app.token_client(&first, AuthType::BasicAuth);
    for _ in 0..3 {
        client
            .exchange_client_credentials()
            .request_async(&app.oauth_http())
            .await
            .expect("token");
    }
    assert_eq!(app.state.client_auth.secrets().verified().len(), 1);

    body["client_secret"] = json!("second-chosen-secret");
    let replaced: portunus_sdk::types::OAuth2Client = serde_json::from_value(body).unwrap();
    app.admin
        .set_o_auth2_client()
        .id("chosen")
        .body(replaced)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(&client, &app).await,
        BasicErrorResponseType::InvalidClient
    );
    let second = Registered {
        id: "chosen".into(),
        secret: Some("second-chosen-secret".into()),
    };
    app.token_client(&second, AuthType::BasicAuth)
        .exchange_client_credentials()
        .request_async(&app.oauth_http())
        .await
        .expect("token with the new secret");
}
