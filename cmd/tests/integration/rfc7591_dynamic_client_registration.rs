//! RFC 7591 dynamic client registration and RFC 7592 registration management at
//! `/oauth2/register` (Hydra's `createOidcDynamicClient`, `getOidcDynamicClient`,
//! `setOidcDynamicClient`, `deleteOidcDynamicClient`): off by default; a registered
//! client gets a server-chosen id and secret and a registration access token, which
//! reads, replaces (rotating the token) and deletes it; fields only an operator sets are
//! refused by name and leave nothing stored.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    registration_is_off_by_default,
    a_registered_client_gets_credentials_and_uses_them,
    the_registration_access_token_reads_replaces_and_deletes,
    operator_fields_and_chosen_secrets_are_refused,
    default_scope_and_initial_access_tokens,
    clients_the_operator_created_cannot_be_managed,
    the_openidconnect_crate_registers_a_client,
);

async fn enabled(backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(|c| c.oidc.dynamic_client_registration.enabled = true)
        .build()
        .await
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut request = app.http.post(app.public_path(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn manage(
    app: &TestApp,
    method: reqwest::Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.http.request(method, uri);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

fn web_app() -> Value {
    json!({
        "client_name": "Self-registered",
        "redirect_uris": ["https://rp.example.com/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
        "response_types": ["code"],
        "scope": "read"
    })
}

async fn registration_is_off_by_default(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = post(&app, "/oauth2/register", None, &web_app()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = post(&app, "/clients/register", None, &web_app()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let discovery: Value = app.discovery().await;
    assert!(
        discovery.get("registration_endpoint").is_none(),
        "{discovery}"
    );
    let clients = app.admin.list_o_auth2_clients().send().await.unwrap();
    assert!(clients.into_inner().is_empty(), "nothing was registered");
}

async fn a_registered_client_gets_credentials_and_uses_them(backend: TestBackend) {
    let app = enabled(backend).await;
    let discovery: Value = app.discovery().await;
    assert_eq!(
        discovery["registration_endpoint"],
        app.public_path("/oauth2/register")
    );

    let mut chosen_id = web_app();
    chosen_id["client_id"] = json!("i-want-this-id");
    let response = app
        .http
        .post(app.public_path("/oauth2/register"))
        .json(&chosen_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let client: Value = response.json().await.unwrap();
    let id = client["client_id"].as_str().unwrap().to_owned();
    assert_ne!(
        id, "i-want-this-id",
        "RFC 7591 §3.2.1: the server issues the id"
    );
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let uri = app.public_path(&format!("/oauth2/register/{id}"));
    assert_eq!(client["registration_client_uri"], uri);
    assert_eq!(location, uri);
    assert!(client["registration_access_token"].as_str().unwrap().len() >= 43);
    let secret = client["client_secret"].as_str().unwrap();
    assert_eq!(client["client_name"], "Self-registered");

    // The credentials work at the token endpoint.
    let token = app
        .http
        .post(app.public_path("/oauth2/token"))
        .basic_auth(&id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);

    // The operator sees the client, without the registration token or its hash.
    let seen = app
        .admin
        .get_o_auth2_client()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let seen = serde_json::to_value(seen).unwrap();
    assert!(
        seen.get("registration_access_token")
            .is_none_or(Value::is_null)
    );
    assert!(!seen.to_string().contains("sha256$"), "{seen}");

    // The alias answers the same way.
    let (status, other) = post(&app, "/clients/register", None, &web_app()).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_ne!(other["client_id"], client["client_id"]);
}

async fn the_registration_access_token_reads_replaces_and_deletes(backend: TestBackend) {
    let app = enabled(backend).await;
    let (_, client) = post(&app, "/oauth2/register", None, &web_app()).await;
    let uri = client["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = client["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    use reqwest::Method;

    // RFC 7592 §2.1: read with the token; without it, or with another, invalid_token.
    let read = manage(&app, Method::GET, &uri, Some(&token), None).await;
    assert_eq!(read.status(), StatusCode::OK);
    let read: Value = read.json().await.unwrap();
    assert!(
        read.get("client_secret").is_none_or(Value::is_null),
        "{read}"
    );
    assert!(
        read.get("registration_access_token")
            .is_none_or(Value::is_null)
    );
    assert_eq!(read["registration_client_uri"], uri.as_str());
    for wrong in [None, Some("not-the-token"), Some(secret.as_str())] {
        let response = manage(&app, Method::GET, &uri, wrong, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer error=\"invalid_token\""),
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token");
    }

    // §2.2: replace what was read, with the current secret echoed; the token rotates.
    let mut changed = read.clone();
    changed["client_name"] = json!("Renamed");
    changed["client_secret"] = json!(secret);
    let replaced = manage(&app, Method::PUT, &uri, Some(&token), Some(&changed)).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["client_name"], "Renamed");
    let rotated = replaced["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, token);
    let old = manage(&app, Method::GET, &uri, Some(&token), None).await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old token is gone"
    );
    let id = client["client_id"].as_str().unwrap();
    let still = app
        .http
        .post(app.public_path("/oauth2/token"))
        .basic_auth(id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK, "the secret was kept");

    // A secret the client chose, or another client id, is refused and changes nothing.
    let mut chosen = read.clone();
    chosen["client_secret"] = json!("a-secret-of-my-own");
    let refused = manage(&app, Method::PUT, &uri, Some(&rotated), Some(&chosen)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_client_metadata");
    let mut moved = read.clone();
    moved["client_id"] = json!("another-id");
    let refused = manage(&app, Method::PUT, &uri, Some(&rotated), Some(&moved)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let after = manage(&app, Method::GET, &uri, Some(&rotated), None).await;
    assert_eq!(
        after.status(),
        StatusCode::OK,
        "a refused replacement keeps the token"
    );
    let after: Value = after.json().await.unwrap();
    assert_eq!(after["client_name"], "Renamed");

    // §2.3: delete; the token then opens nothing.
    let deleted = manage(&app, Method::DELETE, &uri, Some(&rotated), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = manage(&app, Method::GET, &uri, Some(&rotated), None).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.admin.get_o_auth2_client().id(id).send().await.is_err(),
        "the client is deleted"
    );
}

async fn operator_fields_and_chosen_secrets_are_refused(backend: TestBackend) {
    let app = enabled(backend).await;
    let cases = [
        ("metadata", json!({"tier": "gold"})),
        ("access_token_strategy", json!("jwt")),
        ("skip_consent", json!(true)),
        ("skip_logout_consent", json!(true)),
        (
            "authorization_code_grant_access_token_lifespan",
            json!("720h"),
        ),
        ("client_secret", json!("my-own-secret")),
    ];
    for (field, value) in cases {
        let mut body = web_app();
        body[field] = value;
        let (status, error) = post(&app, "/oauth2/register", None, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {error}");
        assert_eq!(error["error"], "invalid_client_metadata", "{field}");
        let description = error["error_description"].as_str().unwrap();
        assert!(description.contains(field), "{field}: {description}");
    }
    let mut script = web_app();
    script["redirect_uris"] = json!(["javascript:alert(1)"]);
    let (status, error) = post(&app, "/oauth2/register", None, &script).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let clients = app.admin.list_o_auth2_clients().send().await.unwrap();
    assert!(clients.into_inner().is_empty(), "nothing was stored");
}

async fn default_scope_and_initial_access_tokens(backend: TestBackend) {
    let initial = "initial-access-token-0123456789abcdef";
    let app = TestApp::builder(backend)
        .config(move |c| {
            let dcr = &mut c.oidc.dynamic_client_registration;
            dcr.enabled = true;
            dcr.default_scope = vec!["openid".into(), "offline".into()];
            dcr.initial_access_tokens = vec![initial.into()];
        })
        .build()
        .await;
    let mut body = web_app();
    body.as_object_mut().unwrap().remove("scope");
    for wrong in [None, Some("initial-access-token-0123456789abcdeX")] {
        let (status, error) = post(&app, "/oauth2/register", wrong, &body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(error["error"], "invalid_token");
    }
    let (status, client) = post(&app, "/oauth2/register", Some(initial), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    assert_eq!(client["scope"], "openid offline");
    let mut named = web_app();
    named["scope"] = json!("read");
    let (_, client) = post(&app, "/oauth2/register", Some(initial), &named).await;
    assert_eq!(
        client["scope"], "read",
        "a registration's own scope wins (as Hydra)"
    );
}

async fn clients_the_operator_created_cannot_be_managed(backend: TestBackend) {
    let app = enabled(backend).await;
    app.register(json!({"client_id": "operator-made", "grant_types": ["client_credentials"]}))
        .await;
    let uri = app.public_path("/oauth2/register/operator-made");
    for token in [None, Some(""), Some("anything")] {
        let response = manage(&app, reqwest::Method::DELETE, &uri, token, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    assert!(
        app.admin
            .get_o_auth2_client()
            .id("operator-made")
            .send()
            .await
            .is_ok()
    );
}

/// An independent RFC 7591 client: the `openidconnect` crate's registration request,
/// which parses the response strictly (URLs must be URLs, algorithms known).
async fn the_openidconnect_crate_registers_a_client(backend: TestBackend) {
    use openidconnect::core::{CoreClientRegistrationRequest, CoreGrantType};
    use openidconnect::registration::EmptyAdditionalClientMetadata;
    use openidconnect::{AccessToken, RedirectUrl, RegistrationUrl};

    let initial = "initial-access-token-0123456789abcdef";
    let app = TestApp::builder(backend)
        .config(move |c| {
            let dcr = &mut c.oidc.dynamic_client_registration;
            dcr.enabled = true;
            dcr.initial_access_tokens = vec![initial.into()];
        })
        .build()
        .await;
    let endpoint = RegistrationUrl::new(app.public_path("/oauth2/register")).unwrap();
    let request = CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new("https://rp.example.com/cb".into()).unwrap()],
        EmptyAdditionalClientMetadata {},
    )
    .set_grant_types(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::ClientCredentials,
    ]));
    let refused = request.register_async(&endpoint, &app.oauth_http()).await;
    assert!(refused.is_err(), "no initial access token");
    let response = request
        .set_initial_access_token(Some(AccessToken::new(initial.into())))
        .register_async(&endpoint, &app.oauth_http())
        .await
        .expect("registered");
    let id = response.client_id().as_str().to_owned();
    let secret = response.client_secret().expect("a secret").secret().clone();
    assert!(response.registration_access_token().is_some());
    assert_eq!(
        response
            .registration_client_uri()
            .map(|u| u.url().to_string()),
        Some(app.public_path(&format!("/oauth2/register/{id}")))
    );
    let token = app
        .http
        .post(app.public_path("/oauth2/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);
}
