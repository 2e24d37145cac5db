//! RFC 9101 (JWT-Secured Authorization Request) and OIDC Core §6: request objects by
//! value (`request`) and by reference (`request_uri` to a URL the client registered),
//! signed with the client's registered key by the `jsonwebtoken` crate. Only the
//! object's parameters count (RFC 9101 §6.3); `iss`/`aud`, the signature, the
//! registered algorithm and `none` are checked; encrypted objects are refused clearly.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, RSA_1, jwks};
use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, accept_consent, accept_login, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::par::{HostedObject, object_claims, sign_object};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    rfc9101_6_3_signed_request_object_drives_the_flow,
    rfc9101_4_wrong_audience_is_refused,
    rfc9101_6_3_wrong_key_is_refused,
    rfc9101_10_5_registered_algorithm_is_enforced,
    rfc9101_unsigned_objects_only_when_registered,
    rfc9101_6_3_client_id_must_match,
    rfc9101_5_2_request_uri_must_be_registered,
    rfc9101_encrypted_request_objects_are_refused,
    rfc9101_10_8_jti_replay_is_refused_when_configured,
);

async fn signed_client(app: &TestApp, extra: Value) -> FlowClient {
    let mut body = json!({"jwks": jwks(&[&EC_1, &RSA_1])});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    create_client(app, body).await
}

/// `/oauth2/auth?client_id=…&<name>=<value>` plus `extra`.
fn url_with(
    app: &TestApp,
    client_id: &str,
    name: &str,
    value: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair(name, value);
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

/// Asserts the authorization endpoint shows (never redirects) `error` for `url`.
async fn shows_error(url: &str, error: &str, needle: &str) {
    let page = Browser::new().get(url).await;
    assert!(
        page.location.is_none(),
        "not redirected: {:?}",
        page.location
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains(error), "{error} in {}", page.body);
    assert!(page.body.contains(needle), "{needle:?} in {}", page.body);
}

async fn rfc9101_6_3_signed_request_object_drives_the_flow(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({})).await;
    for key in [&EC_1, &RSA_1] {
        let object = sign_object(key, &object_claims(&app, &client.id, json!({})));
        // Parameters beside the object are not used (RFC 9101 §6.3).
        let url = url_with(
            &app,
            &client.id,
            "request",
            &object,
            &[
                ("response_type", "code"),
                ("state", "outside"),
                ("scope", "openid admin"),
            ],
        );
        let browser = Browser::new();
        let challenge = login_challenge(&browser, &url).await;
        let redirect = accept_login(&app, &challenge, "ada", false).await;
        let consent = consent_challenge(&browser, &redirect).await;
        let redirect = accept_consent(&app, &consent, &["openid"], false).await;
        let callback = to_client(&browser, &redirect).await;
        assert_eq!(
            param(&callback, "state").as_deref(),
            Some("from-the-object")
        );
        let code = param(&callback, "code").expect("code");
        app.exchange_code(&client, &code, None)
            .await
            .expect("the code is exchanged");
    }
}

async fn rfc9101_4_wrong_audience_is_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({})).await;
    for changes in [
        json!({"aud": "https://elsewhere.example"}),
        json!({"aud": null}),
        json!({"iss": "someone-else"}),
        json!({"exp": 1}),
    ] {
        let object = sign_object(&EC_1, &object_claims(&app, &client.id, changes.clone()));
        let url = url_with(&app, &client.id, "request", &object, &[]);
        shows_error(&url, "invalid_request_object", "request object").await;
    }
}

async fn rfc9101_6_3_wrong_key_is_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({})).await;
    // EC_2 is not registered; with EC_1's kid the signature does not verify.
    let claims = object_claims(&app, &client.id, json!({}));
    for object in [
        EC_2.sign(&claims),
        EC_2.sign_with_kid(Some("ec-1"), &claims),
    ] {
        let url = url_with(&app, &client.id, "request", &object, &[]);
        shows_error(&url, "invalid_request_object", "verified").await;
    }
}

async fn rfc9101_10_5_registered_algorithm_is_enforced(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({"request_object_signing_alg": "RS256"})).await;
    let object = sign_object(&EC_1, &object_claims(&app, &client.id, json!({})));
    let url = url_with(&app, &client.id, "request", &object, &[]);
    shows_error(&url, "invalid_request_object", "RS256").await;
    let object = sign_object(&RSA_1, &object_claims(&app, &client.id, json!({})));
    login_challenge(
        &Browser::new(),
        &url_with(&app, &client.id, "request", &object, &[]),
    )
    .await;
}

/// An unsigned JWT (RFC 7519 §6).
fn unsecured(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.", part(&json!({"alg": "none"})), part(claims))
}

async fn rfc9101_unsigned_objects_only_when_registered(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let signed = signed_client(&app, json!({})).await;
    let object = unsecured(&object_claims(&app, &signed.id, json!({})));
    let url = url_with(&app, &signed.id, "request", &object, &[]);
    shows_error(&url, "invalid_request_object", "none").await;

    let unsigned = create_client(&app, json!({"request_object_signing_alg": "none"})).await;
    let object = unsecured(&object_claims(&app, &unsigned.id, json!({})));
    let url = url_with(&app, &unsigned.id, "request", &object, &[]);
    login_challenge(&Browser::new(), &url).await;
}

async fn rfc9101_6_3_client_id_must_match(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({})).await;
    let object = sign_object(
        &EC_1,
        &object_claims(&app, &client.id, json!({"client_id": "another"})),
    );
    let url = url_with(&app, &client.id, "request", &object, &[]);
    shows_error(&url, "invalid_request_object", "client_id").await;
    let object = sign_object(&EC_1, &object_claims(&app, &client.id, json!({})));
    let url = url_with(
        &app,
        &client.id,
        "request",
        &object,
        &[("response_type", "code id_token")],
    );
    shows_error(&url, "invalid_request_object", "response_type").await;
}

async fn rfc9101_5_2_request_uri_must_be_registered(backend: TestBackend) {
    let placeholder = HostedObject::start(String::new()).await;
    let hosted = placeholder.url.clone();
    let exempt = hosted.clone();
    let app = TestApp::builder(backend)
        .config(move |c| c.clients.http.private_ip_exception_urls = vec![exempt])
        .build()
        .await;
    let client = signed_client(&app, json!({"request_uris": [hosted.clone()]})).await;
    placeholder.set(sign_object(
        &EC_1,
        &object_claims(&app, &client.id, json!({})),
    ));
    // Registered: fetched through the guard and used.
    login_challenge(
        &Browser::new(),
        &url_with(&app, &client.id, "request_uri", &hosted, &[]),
    )
    .await;
    // Not registered: refused without a fetch.
    let other = format!("{hosted}?other");
    let url = url_with(&app, &client.id, "request_uri", &other, &[]);
    shows_error(&url, "invalid_request_uri", "registered").await;
    // Registered but serving a bad object.
    placeholder.set(sign_object(
        &EC_2,
        &object_claims(&app, &client.id, json!({})),
    ));
    let url = url_with(&app, &client.id, "request_uri", &hosted, &[]);
    shows_error(&url, "invalid_request_object", "verified").await;
}

async fn rfc9101_encrypted_request_objects_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = signed_client(&app, json!({})).await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#);
    let jwe = format!("{header}.a2V5.aXY.Y2lwaGVy.dGFn");
    let url = url_with(&app, &client.id, "request", &jwe, &[]);
    shows_error(&url, "invalid_request_object", "Encrypted").await;
}

/// `oauth2.request_object.jti_required`: every object needs `jti` and `exp`, and a
/// `jti` works once per client (on every node: the shared replay table); without the
/// setting the same object may be sent again.
async fn rfc9101_10_8_jti_replay_is_refused_when_configured(backend: TestBackend) {
    // The nodes share one issuer, so that one object fits them all.
    const ISSUER: &str = "https://as.example/";
    let plain = TestApp::builder(backend)
        .config(|config| config.urls.self_.issuer = Some(ISSUER.to_owned()))
        .build()
        .await;
    let client = signed_client(&plain, json!({})).await;
    let object = sign_object(
        &EC_1,
        &object_claims(&plain, &client.id, json!({"jti": "object-1"})),
    );
    let url = url_with(&plain, &client.id, "request", &object, &[]);
    login_challenge(&Browser::new(), &url).await;
    login_challenge(&Browser::new(), &url).await;

    let strict = TestApp::builder(backend)
        .same_database_as(&plain)
        .config(|config| {
            config.urls.self_.issuer = Some(ISSUER.to_owned());
            config.oauth2.request_object.jti_required = true;
        })
        .build()
        .await;
    let url = url_with(&strict, &client.id, "request", &object, &[]);
    login_challenge(&Browser::new(), &url).await;
    shows_error(&url, "invalid_request_object", "used before").await;
    let second = TestApp::builder(backend)
        .same_database_as(&plain)
        .config(|config| {
            config.urls.self_.issuer = Some(ISSUER.to_owned());
            config.oauth2.request_object.jti_required = true;
        })
        .build()
        .await;
    let url = url_with(&second, &client.id, "request", &object, &[]);
    shows_error(&url, "invalid_request_object", "used before").await;
    // Without jti, or without exp, an object is refused.
    for changes in [
        json!({"jti": null}),
        json!({"jti": "object-2", "exp": null}),
    ] {
        let claims = object_claims(&strict, &client.id, changes.clone());
        let url = url_with(
            &strict,
            &client.id,
            "request",
            &sign_object(&EC_1, &claims),
            &[],
        );
        shows_error(&url, "invalid_request_object", "jti_required").await;
    }
}
