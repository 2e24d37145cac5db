//! OIDC Core §9 `client_secret_jwt` (RFC 7523 §2.2, §3): a client assertion MACed with
//! the client secret (HS256/384/512, made by the `jsonwebtoken` crate). The server needs
//! the secret itself to check the MAC, so it keeps such secrets sealed under the system
//! secret, never in clear and never as a password-style hash (docs/security.md).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::assertion::{assertion_form, claims, with};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    hmac_assertions_authenticate_and_the_secret_is_sealed_at_rest,
    bad_assertions_are_401_invalid_client,
    switching_methods_keeps_or_replaces_the_secret,
);

/// A chosen secret of 48 bytes: enough for HS256 and HS384, not HS512.
const CHOSEN: &str = "a-chosen-client-secret-of-48-bytes-0123456789abc";

fn mac(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn create(app: &TestApp, id: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "client_id": id,
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_jwt",
        "scope": "read",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let response = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn token_request(app: &TestApp, assertion: &str) -> (u16, Value) {
    let form = assertion_form(assertion);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = app.post_form("/oauth2/token", None, &pairs).await;
    (status, body)
}

async fn refused(app: &TestApp, assertion: &str, needle: &str) {
    let (status, body) = token_request(app, assertion).await;
    assert_eq!(status, 401, "{needle}: {body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
}

async fn hmac_assertions_authenticate_and_the_secret_is_sealed_at_rest(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = create(&app, "mac", json!({})).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 86, "64 random bytes: long enough for HS512");

    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let (status, body) = token_request(&app, &mac(alg, &claims(&app, "mac"), &secret)).await;
        assert_eq!(status, 200, "{alg:?}: {body}");
        let introspected = app
            .introspect(body["access_token"].as_str().unwrap(), None)
            .await;
        assert_eq!(introspected.client_id.as_deref(), Some("mac"));
    }
    // The revocation endpoint authenticates the same way.
    let (_, body) =
        token_request(&app, &mac(Algorithm::HS256, &claims(&app, "mac"), &secret)).await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    let mut form = assertion_form(&mac(Algorithm::HS256, &claims(&app, "mac"), &secret));
    form.push(("token", access.clone()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = app.post_form("/oauth2/revoke", None, &pairs).await;
    assert_eq!(status, 200);
    assert!(!app.introspect(&access, None).await.active);

    // At rest: sealed, not the secret, not a hash a password check could match.
    let stored = app
        .state
        .clients
        .get_client("mac")
        .await
        .unwrap()
        .unwrap()
        .secret_hash
        .unwrap();
    assert!(stored.starts_with("sealed$"), "{stored}");
    assert!(!stored.contains(&secret));
    // Never answered by the admin API again.
    let fetched: Value = app
        .http
        .get(app.admin_path("/admin/clients/mac"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        fetched
            .get("client_secret")
            .is_none_or(|s| s.is_null() || s == "")
    );
    assert_eq!(fetched["token_endpoint_auth_method"], "client_secret_jwt");
}

async fn bad_assertions_are_401_invalid_client(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = create(
        &app,
        "chosen",
        json!({"client_secret": CHOSEN, "token_endpoint_auth_signing_alg": "HS384"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let good = claims(&app, "chosen");
    let (status, body) = token_request(&app, &mac(Algorithm::HS384, &good, CHOSEN)).await;
    assert_eq!(status, 200, "{body}");
    refused(&app, &mac(Algorithm::HS384, &good, CHOSEN), "used before").await;
    refused(
        &app,
        &mac(
            Algorithm::HS384,
            &claims(&app, "chosen"),
            "not-the-secret-but-long-enough-0123456789abcdef",
        ),
        "could not be verified",
    )
    .await;
    refused(
        &app,
        &mac(Algorithm::HS256, &claims(&app, "chosen"), CHOSEN),
        "token_endpoint_auth_signing_alg HS384",
    )
    .await;
    refused(
        &app,
        &mac(
            Algorithm::HS384,
            &with(
                claims(&app, "chosen"),
                json!({"aud": "https://elsewhere.example"}),
            ),
            CHOSEN,
        ),
        "aud",
    )
    .await;
    refused(
        &app,
        &mac(
            Algorithm::HS384,
            &with(claims(&app, "chosen"), json!({"exp": 1})),
            CHOSEN,
        ),
        "expired",
    )
    .await;

    // RFC 7518 §3.2: a 48-byte secret is too short a key for HS512.
    let (status, created) = create(&app, "short-for-512", json!({"client_secret": CHOSEN})).await;
    assert_eq!(status, 201, "{created}");
    refused(
        &app,
        &mac(Algorithm::HS512, &claims(&app, "short-for-512"), CHOSEN),
        "shorter than the 64 bytes",
    )
    .await;

    // The secret is a MAC key only: Basic or post with it fail like a wrong secret.
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some(("chosen", CHOSEN)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // A chosen secret shorter than an HS256 key is refused at registration.
    let (status, body) = create(
        &app,
        "weak",
        json!({"client_secret": "only-twenty-chars-xx"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("at least 32 bytes")
    );
    // So is an asymmetric token_endpoint_auth_signing_alg.
    let (status, body) = create(
        &app,
        "asymmetric",
        json!({"token_endpoint_auth_signing_alg": "RS256"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

async fn switching_methods_keeps_or_replaces_the_secret(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, created) = create(&app, "switch", json!({"client_secret": CHOSEN})).await;
    assert_eq!(created["client_secret"], CHOSEN);
    let mut body = created.clone();
    body.as_object_mut().unwrap().remove("client_secret");

    // client_secret_jwt → client_secret_basic: the same secret, now hashed.
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let response = app
        .http
        .put(app.admin_path("/admin/clients/switch"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let replaced: Value = response.json().await.unwrap();
    assert!(
        replaced
            .get("client_secret")
            .is_none_or(|s| s.is_null() || s == "")
    );
    let (status, _, token) = app
        .post_form(
            "/oauth2/token",
            Some(("switch", CHOSEN)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{token}");

    // Back to client_secret_jwt: a hash cannot become a MAC key, so a new secret.
    body["token_endpoint_auth_method"] = json!("client_secret_jwt");
    let replaced: Value = app
        .http
        .put(app.admin_path("/admin/clients/switch"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_secret = replaced["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, CHOSEN);
    let (status, body) = token_request(
        &app,
        &mac(Algorithm::HS512, &claims(&app, "switch"), new_secret),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
