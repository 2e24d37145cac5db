//! RFC 9396: rich authorization requests. `authorization_details` at `/oauth2/auth`
//! and `/oauth2/par` (§3): the consent request carries `requested_authorization_details`,
//! the consent app grants (possibly narrowed) details of requested types as
//! `grant_authorization_details`, and the granted details appear in the token response
//! (§7), in JWT access tokens verified with the `jsonwebtoken` crate (§9.1) and in
//! introspection (§9.2); a code exchange or refresh narrows them (§6.2); client
//! credentials name them directly (§6); malformed, unknown, not allowed and oversized
//! details are `invalid_authorization_details` (§5). Codes are exchanged with the
//! `oauth2` crate.

use serde_json::{Value, json};

use crate::support::assertion::{EC_1, jwks};
use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, REDIRECT_URI, accept_login, authorize_url, consent_challenge, create_client,
    login_challenge, to_client,
};
use crate::support::par::{object_claims, push, push_ok, request_uri_url, sign_object};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9396_consent_grants_details_into_tokens,
    rfc9396_consent_grants_only_requested_types,
    rfc9396_remembered_consent_covers_granted_details,
    rfc9396_pushed_requests_carry_details,
    rfc9396_3_request_objects_carry_details,
    rfc9396_5_bad_details_are_refused_at_authorize,
    rfc9396_6_2_token_requests_narrow_details,
    rfc9396_6_client_credentials_name_details,
    rfc9396_10_client_types_are_validated,
    rfc9396_7_implicit_responses_carry_details_with_the_token,
    rfc9396_3_device_authorization_requests_carry_details,
);

const PAYMENT: &str = "payment_initiation";
const ACCOUNTS: &str = "account_information";

fn payment() -> Value {
    json!({
        "type": PAYMENT,
        "actions": ["initiate", "status"],
        "locations": ["https://bank.example.com/payments"],
        "instructedAmount": {"currency": "EUR", "amount": "123.50"},
        "creditorName": "Merchant A",
    })
}

fn accounts() -> Value {
    json!({"type": ACCOUNTS, "actions": ["list_accounts", "read_balances"]})
}

/// An app that supports both types (and `unused`, which no client registers).
async fn spawn(backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(|c| {
            c.oauth2.authorization_details.types_supported =
                vec![PAYMENT.to_owned(), ACCOUNTS.to_owned(), "unused".to_owned()];
        })
        .build()
        .await
}

/// A code + refresh client that may use both types; `jwt` chooses RFC 9068 access
/// tokens.
async fn client(app: &TestApp, jwt: bool) -> FlowClient {
    let mut extra = json!({"authorization_details_types": [PAYMENT, ACCOUNTS]});
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

/// Accepts the consent with `body` over the admin API; `Err(status, body)` when refused.
async fn accept(app: &TestApp, consent: &str, body: Value) -> Result<String, (u16, Value)> {
    let response = app
        .http
        .put(app.admin_path(&format!(
            "/admin/oauth2/auth/requests/consent/accept?consent_challenge={consent}"
        )))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    if status == 200 {
        Ok(body["redirect_to"].as_str().unwrap().to_owned())
    } else {
        Err((status, body))
    }
}

/// The whole flow from `url`, granting `granted`; returns the code.
async fn code_from(app: &TestApp, url: &str, requested: &Value, granted: Value) -> String {
    let browser = Browser::new();
    let (consent, request) = to_consent(app, &browser, url).await;
    assert_eq!(&request["requested_authorization_details"], requested);
    let redirect = accept(
        app,
        &consent,
        json!({"grant_scope": ["openid", "offline_access"], "grant_authorization_details": granted}),
    )
    .await
    .expect("consent accepted");
    let callback = to_client(&browser, &redirect).await;
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}

/// The authorization URL asking for `details`.
fn details_url(app: &TestApp, client: &FlowClient, details: &Value) -> String {
    let text = details.to_string();
    authorize_url(
        app,
        &client.id,
        &[
            ("scope", "openid offline_access"),
            ("authorization_details", &text),
        ],
    )
}

/// Exchanges `code` with a raw token request (the `oauth2` crate's typed response has
/// no `authorization_details`); `Err(error)` when refused.
async fn exchange(
    app: &TestApp,
    client: &FlowClient,
    code: &str,
    details: Option<&Value>,
) -> Result<Value, String> {
    let text = details.map(Value::to_string);
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(text) = &text {
        form.push(("authorization_details", text));
    }
    let (status, body) = app.token_request(client, &form).await;
    if status == 200 {
        Ok(body)
    } else {
        Err(body["error"].as_str().unwrap_or_default().to_owned())
    }
}

/// Introspection's `authorization_details` of an active token.
async fn introspected(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.introspect_raw(&[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true, "{body}");
    body["authorization_details"].clone()
}

/// Verifies a JWT access token with `jsonwebtoken`; returns its claims.
async fn verify_jwt(app: &TestApp, token: &str) -> Value {
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
    validation.validate_aud = false;
    validation.set_issuer(&[app.state.config.issuer()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("JWT rejected: {e}"))
        .claims
}

async fn rfc9396_consent_grants_details_into_tokens(backend: TestBackend) {
    let app = spawn(backend).await;
    let discovery: Value = app
        .http
        .get(app.public_path("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["authorization_details_types_supported"],
        json!([PAYMENT, ACCOUNTS, "unused"])
    );
    let client = client(&app, true).await;
    let requested = json!([payment(), accounts()]);
    // The consent app narrows the payment's actions and leaves out the accounts.
    let mut narrowed = payment();
    narrowed["actions"] = json!(["initiate"]);
    let granted = json!([narrowed]);
    let url = details_url(&app, &client, &requested);
    let code = code_from(&app, &url, &requested, granted.clone()).await;
    let tokens = exchange(&app, &client, &code, None).await.unwrap();
    assert_eq!(tokens["authorization_details"], granted, "§7: {tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        verify_jwt(&app, access).await["authorization_details"],
        granted
    );
    assert_eq!(introspected(&app, access).await, granted);

    // The consent session remembers what was granted.
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
        sessions[0]["grant_authorization_details"], granted,
        "{sessions}"
    );
}

async fn rfc9396_consent_grants_only_requested_types(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = client(&app, false).await;
    let browser = Browser::new();
    let url = details_url(&app, &client, &json!([payment()]));
    let (consent, _) = to_consent(&app, &browser, &url).await;
    let (status, body) = accept(
        &app,
        &consent,
        json!({"grant_authorization_details": [accounts()]}),
    )
    .await
    .unwrap_err();
    assert_eq!(status, 400, "{ACCOUNTS} was not requested: {body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("did not ask for"),
        "{body}"
    );
    let (status, _) = accept(
        &app,
        &consent,
        json!({"grant_authorization_details": [{"actions": ["initiate"]}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(status, 400, "a granted detail needs a type");
    // Without grant_authorization_details nothing is granted (as for grant_scope).
    let redirect = accept(&app, &consent, json!({"grant_scope": ["openid"]}))
        .await
        .unwrap();
    let callback = to_client(&browser, &redirect).await;
    let tokens = exchange(&app, &client, &param(&callback, "code").unwrap(), None)
        .await
        .unwrap();
    assert!(tokens.get("authorization_details").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspected(&app, access).await, Value::Null);
}

/// A remembered consent lets the consent app skip a request whose details are within
/// the granted ones, and not one that asks for more.
async fn rfc9396_remembered_consent_covers_granted_details(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = client(&app, false).await;
    let mut initiate = payment();
    initiate["actions"] = json!(["initiate"]);
    let browser = Browser::new();
    let url = details_url(&app, &client, &json!([payment()]));
    let (consent, request) = to_consent(&app, &browser, &url).await;
    assert_eq!(request["skip"], false, "{request}");
    let redirect = accept(
        &app,
        &consent,
        json!({
            "grant_scope": ["openid", "offline_access"],
            "grant_authorization_details": [initiate],
            "remember": true,
        }),
    )
    .await
    .unwrap();
    // The consent is recorded when the user agent brings the verifier back.
    let callback = to_client(&browser, &redirect).await;
    assert!(param(&callback, "code").is_some(), "{callback}");
    for (details, skip) in [(json!([initiate]), true), (json!([payment()]), false)] {
        let url = details_url(&app, &client, &details);
        let (_, request) = to_consent(&app, &Browser::new(), &url).await;
        assert_eq!(request["skip"], skip, "{details}: {request}");
    }
}

async fn rfc9396_pushed_requests_carry_details(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = client(&app, false).await;
    let requested = json!([accounts()]);
    let text = requested.to_string();
    let request_uri = push_ok(&app, &client, &[("authorization_details", &text)]).await;
    let url = request_uri_url(&app, &client.id, &request_uri, &[]);
    let code = code_from(&app, &url, &requested, requested.clone()).await;
    let tokens = exchange(&app, &client, &code, None).await.unwrap();
    assert_eq!(tokens["authorization_details"], requested);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspected(&app, access).await, requested);

    // PAR refuses what /oauth2/auth would (RFC 9126 §2.1: same validation).
    let (status, body) = push(
        &app,
        &client,
        &[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("authorization_details", r#"[{"type":"unused"}]"#),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_authorization_details")),
        "{body}"
    );
}

/// RFC 9396 §3 with RFC 9101: in a signed request object the details are a JSON array
/// claim (the `jsonwebtoken` crate signs it).
async fn rfc9396_3_request_objects_carry_details(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = create_client(
        &app,
        json!({"jwks": jwks(&[&EC_1]), "authorization_details_types": [PAYMENT, ACCOUNTS]}),
    )
    .await;
    let requested = json!([payment(), accounts()]);
    let claims = object_claims(
        &app,
        &client.id,
        json!({"authorization_details": requested.clone()}),
    );
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("request", &sign_object(&EC_1, &claims));
    let code = code_from(&app, url.as_str(), &requested, requested.clone()).await;
    let tokens = exchange(&app, &client, &code, None).await.unwrap();
    assert_eq!(tokens["authorization_details"], requested);
}

/// Malformed, unknown, not allowed and oversized details, each sent back to the client.
async fn rfc9396_5_bad_details_are_refused_at_authorize(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = client(&app, false).await;
    let browser = Browser::new();
    let oversized = json!([{"type": PAYMENT, "pad": "x".repeat(9 * 1024)}]).to_string();
    let too_many = Value::Array(vec![accounts(); 17]).to_string();
    for (details, why) in [
        ("not json", "not valid JSON"),
        (r#"{"type":"payment_initiation"}"#, "JSON array"),
        (r#"[{"actions":["initiate"]}]"#, "type"),
        (
            r#"[{"type":"payment_initiation","actions":"initiate"}]"#,
            "array of strings",
        ),
        (r#"[{"type":"wire_transfer"}]"#, "not supported"),
        (
            r#"[{"type":"unused"}]"#,
            "not allowed for this OAuth 2.0 Client",
        ),
        (oversized.as_str(), "bytes"),
        (too_many.as_str(), "objects"),
    ] {
        let page = browser
            .get(&authorize_url(
                &app,
                &client.id,
                &[("authorization_details", details)],
            ))
            .await;
        let location = page.location.unwrap_or_default();
        assert!(
            location.starts_with(REDIRECT_URI),
            "{why}: an error for the client: {location}"
        );
        assert_eq!(
            param(&location, "error").as_deref(),
            Some("invalid_authorization_details"),
            "{why}: {location}"
        );
        let description = param(&location, "error_description").unwrap_or_default();
        assert!(description.contains(why), "{why}: {description}");
    }
}

async fn rfc9396_6_2_token_requests_narrow_details(backend: TestBackend) {
    let app = spawn(backend).await;
    let client = client(&app, false).await;
    let requested = json!([payment(), accounts()]);
    let url = details_url(&app, &client, &requested);
    let code = code_from(&app, &url, &requested, requested.clone()).await;
    // A code exchange may ask for less: the accounts only.
    let only_accounts = json!([accounts()]);
    let tokens = exchange(&app, &client, &code, Some(&only_accounts))
        .await
        .unwrap();
    assert_eq!(tokens["authorization_details"], only_accounts);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspected(&app, access).await, only_accounts);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The refresh token kept the whole grant: a refresh may narrow to the payment,
    // with fewer actions.
    let mut fewer = payment();
    fewer["actions"] = json!(["status"]);
    let text = json!([fewer]).to_string();
    let (status, body) = app
        .token_request(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("authorization_details", &text),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], json!([fewer]));
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // Wider than granted, malformed or oversized: 400, and nothing consumed.
    let mut wider = payment();
    wider["actions"] = json!(["initiate", "cancel"]);
    let wider = json!([wider]).to_string();
    let oversized = json!([{"type": PAYMENT, "pad": "x".repeat(9 * 1024)}]).to_string();
    for (details, why) in [
        (wider.as_str(), "never widen"),
        (r#"[{"type":"payment_initiation""#, "not valid JSON"),
        (oversized.as_str(), "bytes"),
    ] {
        let (status, body) = app
            .token_request(
                &client,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh),
                    ("authorization_details", details),
                ],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_authorization_details")),
            "{why}: {body}"
        );
        assert!(
            body["error_description"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    let (status, body) = app
        .token_request(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], requested, "the whole grant");
}

async fn rfc9396_6_client_credentials_name_details(backend: TestBackend) {
    let app = spawn(backend).await;
    let service = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "authorization_details_types": [ACCOUNTS],
            "access_token_strategy": "jwt",
        }))
        .await;
    let secret = service.secret.clone().unwrap();
    let details = json!([accounts()]);
    let text = details.to_string();
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&service.id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("authorization_details", &text),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], details);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        verify_jwt(&app, access).await["authorization_details"],
        details
    );
    assert_eq!(introspected(&app, access).await, details);
    for bad in [
        json!([payment()]).to_string(),
        "[".to_owned(),
        json!([{"type": ACCOUNTS, "pad": "x".repeat(9 * 1024)}]).to_string(),
    ] {
        let (status, _, body) = app
            .post_form(
                "/oauth2/token",
                Some((&service.id, &secret)),
                &[
                    ("grant_type", "client_credentials"),
                    ("authorization_details", &bad),
                ],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_authorization_details")),
            "{body}"
        );
    }
}

/// RFC 9396 §10: the client metadata round-trips through storage, and a type outside
/// `authorization_details_types_supported` or malformed is refused, over the admin API
/// and dynamic registration (RFC 7591).
async fn rfc9396_10_client_types_are_validated(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            c.oauth2.authorization_details.types_supported =
                vec![PAYMENT.to_owned(), ACCOUNTS.to_owned()];
            c.oidc.dynamic_client_registration.enabled = true;
        })
        .build()
        .await;
    let register = |types: Value| {
        app.http
            .post(app.public_path("/oauth2/register"))
            .json(&json!({
                "redirect_uris": ["https://rp.example.com/cb"],
                "authorization_details_types": types,
            }))
            .send()
    };
    let response = register(json!([ACCOUNTS])).await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["authorization_details_types"],
        json!([ACCOUNTS]),
        "{body}"
    );
    let response = register(json!(["wire_transfer"])).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");

    let client = client(&app, false).await;
    let stored: Value = app
        .http
        .get(app.admin_path(&format!("/admin/clients/{}", client.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stored["authorization_details_types"],
        json!([PAYMENT, ACCOUNTS])
    );
    for types in [json!(["wire_transfer"]), json!(["has space"]), json!([""])] {
        let response = app
            .http
            .post(app.admin_path("/admin/clients"))
            .json(&json!({"authorization_details_types": types}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{types}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    }
}

/// §7: an access token in the fragment (implicit, hybrid `code token`) comes with the
/// granted details, as the token response does; a response without an access token
/// (`code id_token`) has none.
async fn rfc9396_7_implicit_responses_carry_details_with_the_token(backend: TestBackend) {
    use crate::support::hybrid::{fragment_param, hybrid_url};
    let app = TestApp::builder(backend)
        .config(|c| {
            c.oauth2.authorization_details.types_supported =
                vec![PAYMENT.to_owned(), ACCOUNTS.to_owned()];
            c.oauth2.allow_token_response_type = true;
        })
        .build()
        .await;
    let client = create_client(
        &app,
        json!({
            "authorization_details_types": [PAYMENT, ACCOUNTS],
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["token", "code token", "code id_token"],
        }),
    )
    .await;
    let requested = json!([payment(), accounts()]);
    let granted = json!([payment()]);
    for (response_type, with_token) in [
        ("token", true),
        ("code token", true),
        ("code id_token", false),
    ] {
        let url = hybrid_url(
            &app,
            &client.id,
            response_type,
            &[("authorization_details", &requested.to_string())],
        );
        let browser = Browser::new();
        let (consent, request) = to_consent(&app, &browser, &url).await;
        assert_eq!(request["requested_authorization_details"], requested);
        let redirect = accept(
            &app,
            &consent,
            json!({"grant_scope": ["openid"], "grant_authorization_details": granted}),
        )
        .await
        .expect("consent accepted");
        let callback = to_client(&browser, &redirect).await;
        let details = fragment_param(&callback, "authorization_details");
        if with_token {
            let details: Value = serde_json::from_str(
                &details.unwrap_or_else(|| panic!("{response_type}: no details in {callback}")),
            )
            .unwrap();
            assert_eq!(details, granted, "{response_type}");
            let token = fragment_param(&callback, "access_token").unwrap();
            assert_eq!(introspected(&app, &token).await, granted, "{response_type}");
        } else {
            assert_eq!(details, None, "{response_type}: {callback}");
        }
    }
}

/// §3: the device authorization request (RFC 8628 §3.1) takes `authorization_details`
/// as it takes `scope`: checked against the client's types there, shown to the consent
/// app, and what the user grants is what the device's tokens carry.
async fn rfc9396_3_device_authorization_requests_carry_details(backend: TestBackend) {
    use crate::support::device::{
        DEVICE_GRANT, accept_user_code, configure, device_challenge, error_of, poll,
        to_consent as device_to_consent,
    };
    let app = TestApp::builder(backend)
        .config(|c| {
            configure(c);
            c.oauth2.authorization_details.types_supported =
                vec![PAYMENT.to_owned(), ACCOUNTS.to_owned()];
        })
        .build()
        .await;
    let client = create_client(
        &app,
        json!({
            "grant_types": [DEVICE_GRANT],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "none",
            "authorization_details_types": [PAYMENT],
        }),
    )
    .await;
    let device_auth = |details: Value| {
        let (app, id) = (&app, client.id.clone());
        async move {
            let text = details.to_string();
            let form = [
                ("client_id", id.as_str()),
                ("scope", "openid"),
                ("authorization_details", text.as_str()),
            ];
            let (status, _, body) = app.post_form("/oauth2/device/auth", None, &form).await;
            (status, body)
        }
    };
    // A type the client may not use is refused at the device endpoint.
    let (status, body) = device_auth(json!([accounts()])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body), "invalid_authorization_details");

    let requested = json!([payment()]);
    let (status, body) = device_auth(requested.clone()).await;
    assert_eq!(status, 200, "{body}");
    let browser = Browser::new();
    let challenge = device_challenge(&browser, body["verification_uri"].as_str().unwrap()).await;
    let redirect_to = accept_user_code(&app, &challenge, body["user_code"].as_str().unwrap()).await;
    let consent = device_to_consent(&app, &browser, &redirect_to, "ada").await;
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = serde_json::to_value(request).unwrap();
    assert_eq!(
        request["requested_authorization_details"], requested,
        "{request}"
    );
    let mut narrowed = payment();
    narrowed["actions"] = json!(["status"]);
    let granted = json!([narrowed]);
    let redirect = accept(
        &app,
        &consent,
        json!({"grant_scope": ["openid"], "grant_authorization_details": granted}),
    )
    .await
    .expect("consent accepted");
    browser.get(&redirect).await;
    let (status, tokens) = poll(&app, &client.id, body["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["authorization_details"], granted, "§7: {tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspected(&app, access).await, granted);
}
