//! OIDC Discovery 1.0 §3–§4 and RFC 8414 §2–§3: the metadata document is accurate for
//! this instance, and every advertised URL answers. That what it advertises works end to
//! end, and what it does not advertise does not, is `oidc_discovery_advertised.rs`.

use serde_json::{Value, json};

use crate::oidc_discovery_advertised::pkce_pair;
use crate::support::browser::{Browser, param};
use crate::support::flow::authorize_url;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    both_paths_serve_one_accurate_cacheable_document,
    every_advertised_url_answers,
    plain_pkce_is_advertised_only_when_allowed,
);

async fn metadata(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = app.http.get(app.public_path(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.json().await.unwrap())
}

pub(crate) async fn discover(app: &TestApp) -> Value {
    metadata(app, "/.well-known/openid-configuration").await.1
}

pub(crate) fn list(doc: &Value, field: &str) -> Vec<String> {
    doc[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is not a list: {doc}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn both_paths_serve_one_accurate_cacheable_document(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (headers, doc) = metadata(&app, "/.well-known/openid-configuration").await;
    let (_, rfc8414) = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(doc, rfc8414, "one document at both paths");
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("public") && cache.contains("max-age="),
        "{cache}"
    );

    let public = &app.public_url;
    assert_eq!(doc["issuer"], app.state.config.issuer());
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{public}/oauth2/auth")
    );
    assert_eq!(doc["token_endpoint"], format!("{public}/oauth2/token"));
    assert_eq!(doc["jwks_uri"], format!("{public}/.well-known/jwks.json"));
    assert_eq!(
        doc["revocation_endpoint"],
        format!("{public}/oauth2/revoke")
    );
    assert_eq!(doc["userinfo_endpoint"], format!("{public}/userinfo"));
    let grants: Vec<String> = app
        .state
        .grants
        .grant_types()
        .iter()
        .map(|g| g.as_str().to_owned())
        .collect();
    assert_eq!(list(&doc, "grant_types_supported"), grants);
    assert_eq!(
        list(&doc, "response_types_supported"),
        [
            "code",
            "id_token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token"
        ]
    );
    assert_eq!(doc["claims_parameter_supported"], true);
    assert_eq!(
        list(&doc, "response_modes_supported"),
        ["query", "fragment", "form_post"]
    );
    assert_eq!(list(&doc, "subject_types_supported"), ["public"]);
    assert_eq!(
        list(&doc, "id_token_signing_alg_values_supported"),
        ["RS256"]
    );
    assert_eq!(
        list(&doc, "userinfo_signing_alg_values_supported"),
        ["none", "RS256"]
    );
    assert_eq!(
        list(&doc, "token_endpoint_auth_methods_supported"),
        [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
        ]
    );
    let assertion_algs = list(&doc, "token_endpoint_auth_signing_alg_values_supported");
    assert!(assertion_algs.contains(&"ES256".to_owned()));
    // client_secret_jwt MACs (OIDC Core §9); request objects stay asymmetric.
    for hs in ["HS256", "HS384", "HS512"] {
        assert!(assertion_algs.contains(&hs.to_owned()), "{hs}");
    }
    assert!(
        !list(&doc, "request_object_signing_alg_values_supported")
            .iter()
            .any(|a| a.starts_with("HS"))
    );
    assert_eq!(list(&doc, "code_challenge_methods_supported"), ["S256"]);
    for scope in [
        "openid",
        "offline",
        "offline_access",
        "profile",
        "email",
        "address",
        "phone",
    ] {
        assert!(
            list(&doc, "scopes_supported").contains(&scope.to_owned()),
            "{scope}"
        );
    }
    for claim in [
        "sub",
        "email",
        "email_verified",
        "address",
        "phone_number",
        "updated_at",
    ] {
        assert!(
            list(&doc, "claims_supported").contains(&claim.to_owned()),
            "{claim}"
        );
    }
    for flag in [
        "request_parameter_supported",
        "request_uri_parameter_supported",
    ] {
        assert_eq!(
            doc[flag], true,
            "{flag}: RFC 9101 request objects are served"
        );
    }
    for flag in [
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(doc[flag], true, "{flag}: logout is served");
    }
    assert_eq!(
        doc["end_session_endpoint"].as_str(),
        Some(format!("{}oauth2/sessions/logout", doc["issuer"].as_str().unwrap()).as_str())
    );
    assert!(
        doc.get("registration_endpoint").is_none(),
        "registration is off by default"
    );
    // The public, client-authenticated introspection (RFC 7662 §2.1), not the admin one.
    assert_eq!(
        doc["introspection_endpoint"].as_str(),
        Some(format!("{}oauth/introspect", doc["issuer"].as_str().unwrap()).as_str())
    );
}

async fn every_advertised_url_answers(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc = discover(&app).await;
    let urls: Vec<(&str, String)> = doc
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("_endpoint") || k.ends_with("_uri"))
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(urls.len(), 9, "{urls:?}");
    for (field, url) in urls {
        let get = app.http.get(&url).send().await.unwrap().status().as_u16();
        let post = app
            .http
            .post(&url)
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        let post = post.status().as_u16();
        let served = |s: u16| s != 404 && s != 405;
        let ok = match field {
            "token_endpoint"
            | "revocation_endpoint"
            | "pushed_authorization_request_endpoint"
            | "device_authorization_endpoint"
            | "introspection_endpoint" => served(post),
            _ => served(get),
        };
        assert!(ok, "{field} {url}: GET {get}, POST {post}");
    }
}

async fn plain_pkce_is_advertised_only_when_allowed(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.oauth2.pkce.allow_plain = true)
        .build()
        .await;
    let doc = discover(&app).await;
    assert_eq!(
        list(&doc, "code_challenge_methods_supported"),
        ["S256", "plain"]
    );
    let client = crate::support::flow::create_client(&app, json!({})).await;
    let (_, challenge) = pkce_pair();
    let params = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "plain"),
    ];
    let page = Browser::new()
        .get(&authorize_url(&app, &client.id, &params))
        .await;
    let location = page.location.unwrap_or_default();
    assert!(
        param(&location, "error").is_none(),
        "plain is accepted: {location}"
    );
}
