//! RFC 8707: resource indicators. `resource` at `/oauth2/auth`, `/oauth2/par` and the
//! token endpoint: the consent request carries `requested_resource`, the consent app
//! grants a subset as `grant_resource`, the access token's `aud` is the granted
//! resources (introspection, and JWTs verified with the `jsonwebtoken` crate); a code
//! exchange or refresh narrows to a granted resource (§2.2); malformed, unknown and not
//! allowed resources are `invalid_target`. Codes are exchanged with the `oauth2` crate.

use oauth2::{AuthorizationCode, RequestTokenError, TokenResponse};
use portunus_sdk::types::AcceptOAuth2ConsentRequest;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::par::{push, push_ok, request_uri_url};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    the_consent_app_grants_requested_resources,
    grant_resource_is_a_subset_of_the_request,
    unknown_and_malformed_resources_are_invalid_target,
    token_requests_narrow_to_a_granted_resource,
    pushed_requests_carry_resources,
    client_credentials_name_resources,
);

const MCP: &str = "https://mcp.example.com/mcp";
const FILES: &str = "https://files.example.com/";

/// A code + refresh client whose `audience` list allows both resources; `jwt` chooses
/// RFC 9068 access tokens.
async fn client(app: &TestApp, jwt: bool) -> FlowClient {
    let mut extra = json!({"audience": [MCP, FILES]});
    if jwt {
        extra["access_token_strategy"] = json!("jwt");
    }
    create_client(app, extra).await
}

/// Runs login and returns the consent challenge and the consent request as JSON.
async fn to_consent(app: &TestApp, browser: &Browser, url: &str) -> (String, Value) {
    let challenge = login_challenge(browser, url).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(browser, &redirect).await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    (consent, serde_json::to_value(request).unwrap())
}

/// Accepts the consent with `body` through the SDK; `Err(status)` when refused.
async fn accept(app: &TestApp, consent: &str, body: Value) -> Result<String, u16> {
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(body).unwrap();
    match app
        .admin
        .accept_o_auth2_consent_request()
        .consent_challenge(consent)
        .body(body)
        .send()
        .await
    {
        Ok(response) => Ok(response.into_inner().redirect_to),
        Err(err) => Err(err.status().map(|s| s.as_u16()).unwrap_or(0)),
    }
}

/// The whole flow asking for `resources`, granting `granted`; returns the code.
async fn code_for(
    app: &TestApp,
    client: &FlowClient,
    resources: &[&str],
    granted: &[&str],
) -> String {
    let browser = Browser::new();
    let mut params = vec![("scope", "openid offline_access")];
    params.extend(resources.iter().map(|r| ("resource", *r)));
    let (consent, request) =
        to_consent(app, &browser, &authorize_url(app, &client.id, &params)).await;
    assert_eq!(request["requested_resource"], json!(resources));
    let redirect = accept(
        app,
        &consent,
        json!({"grant_scope": ["openid", "offline_access"], "grant_resource": granted}),
    )
    .await
    .expect("consent accepted");
    let callback = to_client(&browser, &redirect).await;
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}

/// Exchanges `code` with the `oauth2` crate, naming `resource` if given.
async fn exchange(
    app: &TestApp,
    client: &FlowClient,
    code: &str,
    resource: Option<&str>,
) -> Result<oauth2::basic::BasicTokenResponse, String> {
    let oauth = app.code_client(client);
    let mut request = oauth.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(resource) = resource {
        request = request.add_extra_param("resource", resource);
    }
    match request.request_async(&app.oauth_http()).await {
        Ok(token) => Ok(token),
        Err(RequestTokenError::ServerResponse(err)) => Err(err.error().to_string()),
        Err(other) => panic!("token request failed: {other:?}"),
    }
}

async fn audience_of(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.introspect_raw(&[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true, "{body}");
    body["aud"].clone()
}

/// Verifies a JWT access token with `jsonwebtoken` for `audience`; returns its claims.
async fn verify_jwt(app: &TestApp, token: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.state.config.issuer()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("JWT rejected: {e}"))
        .claims
}

async fn the_consent_app_grants_requested_resources(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, true).await;
    let code = code_for(&app, &client, &[MCP, FILES], &[MCP]).await;
    let tokens = exchange(&app, &client, &code, None).await.unwrap();
    let access = tokens.access_token().secret();
    let claims = verify_jwt(&app, access, MCP).await;
    assert_eq!(claims["aud"], json!([MCP]), "only the granted resource");
    assert_eq!(audience_of(&app, access).await, json!([MCP]));

    // The consent session lists the granted resources among the audiences.
    let sessions = app
        .http
        .get(app.admin_path("/admin/oauth2/auth/sessions/consent?subject=ada"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        sessions[0]["grant_access_token_audience"],
        json!([MCP]),
        "{sessions}"
    );
}

async fn grant_resource_is_a_subset_of_the_request(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, false).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("resource", MCP)]);
    let (consent, _) = to_consent(&app, &browser, &url).await;
    let refused = accept(&app, &consent, json!({"grant_resource": [FILES]})).await;
    assert_eq!(refused, Err(400), "FILES was not requested");
    // Without grant_resource nothing is granted: the token names the client.
    let redirect = accept(&app, &consent, json!({})).await.unwrap();
    let callback = to_client(&browser, &redirect).await;
    let code = param(&callback, "code").unwrap();
    let tokens = exchange(&app, &client, &code, None).await.unwrap();
    assert_eq!(
        audience_of(&app, tokens.access_token().secret()).await,
        json!([])
    );
}

async fn unknown_and_malformed_resources_are_invalid_target(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, false).await;
    let browser = Browser::new();
    for resource in [
        "https://unknown.example.com/",
        "https://mcp.example.com/mcp#fragment",
        "relative/path",
    ] {
        let page = browser
            .get(&authorize_url(&app, &client.id, &[("resource", resource)]))
            .await;
        let location = page.location.unwrap_or_default();
        assert!(
            location.starts_with(crate::support::flow::REDIRECT_URI),
            "{resource}: an error for the client: {location}"
        );
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_target"),
            "{resource}: {location}"
        );
    }
    let (status, body) = push(
        &app,
        &client,
        &[
            ("response_type", "code"),
            ("redirect_uri", crate::support::flow::REDIRECT_URI),
            ("resource", "https://unknown.example.com/"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );

    // At the token endpoint: a resource that was not granted.
    let code = code_for(&app, &client, &[MCP], &[MCP]).await;
    for resource in [FILES, "not a uri"] {
        let err = exchange(&app, &client, &code, Some(resource))
            .await
            .unwrap_err();
        assert_eq!(err, "invalid_target", "{resource}");
    }
}

async fn token_requests_narrow_to_a_granted_resource(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, false).await;
    let code = code_for(&app, &client, &[MCP, FILES], &[MCP, FILES]).await;
    let tokens = exchange(&app, &client, &code, Some(MCP)).await.unwrap();
    assert_eq!(
        audience_of(&app, tokens.access_token().secret()).await,
        json!([MCP]),
        "RFC 8707 §2.2: narrowed to the named resource"
    );
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    // The refresh token keeps the whole grant: a refresh may name the other resource.
    let (status, body) = app
        .token_request(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("resource", FILES),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        audience_of(&app, body["access_token"].as_str().unwrap()).await,
        json!([FILES])
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = app
        .token_request(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("resource", "https://unknown.example.com/"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );
    // invalid_target consumed nothing: the refresh token still works, for both.
    let (status, body) = app
        .token_request(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        audience_of(&app, body["access_token"].as_str().unwrap()).await,
        json!([MCP, FILES])
    );
}

async fn pushed_requests_carry_resources(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = client(&app, false).await;
    let request_uri = push_ok(&app, &client, &[("resource", FILES), ("resource", MCP)]).await;
    let browser = Browser::new();
    let url = request_uri_url(&app, &client.id, &request_uri, &[]);
    let (consent, request) = to_consent(&app, &browser, &url).await;
    let mut requested: Vec<String> =
        serde_json::from_value(request["requested_resource"].clone()).unwrap();
    requested.sort();
    assert_eq!(requested, vec![FILES.to_owned(), MCP.to_owned()]);
    let redirect = accept(
        &app,
        &consent,
        json!({"grant_scope": ["openid"], "grant_resource": [FILES]}),
    )
    .await
    .unwrap();
    let callback = to_client(&browser, &redirect).await;
    let tokens = exchange(&app, &client, &param(&callback, "code").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        audience_of(&app, tokens.access_token().secret()).await,
        json!([FILES])
    );
}

async fn client_credentials_name_resources(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let service = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "audience": [MCP],
        }))
        .await;
    let secret = service.secret.clone().unwrap();
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&service.id, &secret)),
            &[("grant_type", "client_credentials"), ("resource", MCP)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        audience_of(&app, body["access_token"].as_str().unwrap()).await,
        json!([MCP])
    );
    for resource in [FILES, "https://mcp.example.com/mcp#x"] {
        let (status, _, body) = app
            .post_form(
                "/oauth2/token",
                Some((&service.id, &secret)),
                &[("grant_type", "client_credentials"), ("resource", resource)],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{body}"
        );
    }
}
