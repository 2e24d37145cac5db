//! The checked-in `openapi/openapi.json` and its copy `sdk/openapi.json` (the one the
//! SDK is generated from, inside the SDK crate so that it is packaged) are the server's
//! document, and the document is one progenitor can read and Hydra's SDKs recognise.

use std::collections::BTreeSet;

const REFRESH: &str = "cargo run -p portunus-server --example export_openapi";

/// The checked-in copies, relative to the workspace root.
const CHECKED_IN: [&str; 2] = ["openapi/openapi.json", "sdk/openapi.json"];

fn checked_in_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

#[test]
fn checked_in_document_is_fresh() {
    let current = portunus_server::http::openapi::document_pretty();
    for relative in CHECKED_IN {
        let checked_in = std::fs::read_to_string(checked_in_path(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(
            checked_in == current,
            "{relative} is stale: the server's routes changed. Refresh it with:\n  {REFRESH}"
        );
    }
}

#[test]
fn document_is_openapi_3_0_with_hydra_shapes() {
    let doc = portunus_server::http::openapi::document();
    assert_eq!(doc["openapi"], "3.0.3");
    let text = doc.to_string();
    assert!(!text.contains("\"type\":["), "3.1 type arrays remain");
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "servers" {
                continue; // the public paths' listener, not an operation
            }
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{method} {path}: {id}"
            );
            assert!(
                operation_ids.insert(id.clone()),
                "duplicate operationId {id}"
            );
            assert!(
                operation["responses"].get("default").is_none(),
                "{id}: no default responses"
            );
        }
        let public = [
            "/health/alive",
            "/health/ready",
            "/.well-known/jwks.json",
            "/oauth2/token",
            "/oauth2/revoke",
            "/oauth2/par",
            "/oauth2/auth",
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
            "/userinfo",
            "/oauth2/sessions/logout",
            "/oauth2/register",
            "/oauth2/register/{id}",
            "/credentials",
            "/oauth2/device/auth",
            "/oauth2/device/verify",
            "/oauth2/forward-auth",
            "/oauth2/sign_out",
            // The reference OAuth2 service's surface (issue 15 §4).
            "/ping",
            "/ready",
            "/health",
            "/oauth/authorize",
            "/oauth/token",
            "/oauth/revoke",
            "/oauth/introspect",
            // The seed's eventing health (issue 15 §1).
            "/events/health",
        ];
        assert!(
            path.starts_with("/admin/") || public.contains(&path.as_str()),
            "{path}"
        );
    }
    for id in [
        "list_o_auth2_clients",
        "create_o_auth2_client",
        "get_o_auth2_client",
        "set_o_auth2_client",
        "patch_o_auth2_client",
        "delete_o_auth2_client",
        "set_o_auth2_client_lifespans",
        "is_alive",
        "is_ready",
        "get_version",
        "create_json_web_key_set",
        "get_json_web_key_set",
        "set_json_web_key_set",
        "delete_json_web_key_set",
        "get_json_web_key",
        "set_json_web_key",
        "delete_json_web_key",
        "discover_json_web_keys",
        "oauth2_token_exchange",
        "revoke_o_auth2_token",
        "introspect_o_auth2_token",
        "delete_o_auth2_token",
        "discover_oidc_configuration",
        "get_oidc_user_info",
        "revoke_oidc_session",
        "get_o_auth2_logout_request",
        "accept_o_auth2_logout_request",
        "reject_o_auth2_logout_request",
        "create_oidc_dynamic_client",
        "get_oidc_dynamic_client",
        "set_oidc_dynamic_client",
        "delete_oidc_dynamic_client",
        "o_auth2_device_flow",
        "forward_auth",
        "perform_o_auth2_device_verification_flow",
        "accept_user_code_request",
    ] {
        assert!(operation_ids.contains(id), "missing {id}");
    }
    // Form bodies have exactly one media type (progenitor); the token response and
    // introspection keep Hydra's schema names.
    for path in [
        "/oauth2/token",
        "/oauth2/revoke",
        "/admin/oauth2/introspect",
    ] {
        let content = doc["paths"][path]["post"]["requestBody"]["content"]
            .as_object()
            .unwrap();
        let types: Vec<&String> = content.keys().collect();
        assert_eq!(types, ["application/x-www-form-urlencoded"], "{path}");
    }
    for schema in [
        "oAuth2TokenExchange",
        "introspectedOAuth2Token",
        "oidcConfiguration",
        "oidcUserInfo",
        "oAuth2LogoutRequest",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let client = &doc["components"]["schemas"]["oAuth2Client"]["properties"];
    let hydra: serde_json::Value =
        serde_json::from_str(include_str!("hydra_client_fields.json")).unwrap();
    for field in hydra.as_array().unwrap() {
        let field = field.as_str().unwrap();
        assert!(
            client.get(field).is_some(),
            "oAuth2Client lacks Hydra's field {field}"
        );
    }
}

/// The admin listener serves Swagger UI from files built into the binary, and the
/// document it shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_and_the_document_are_served() {
    let app = crate::support::TestApp::spawn(crate::support::TestBackend::Sqlite).await;
    let redirect = app
        .http
        .get(app.admin_path("/swagger-ui"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 302);
    assert_eq!(redirect.headers()["location"], "/swagger-ui/");
    let ui = app
        .http
        .get(app.admin_path("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status().as_u16(), 200);
    assert!(ui.text().await.unwrap().contains("Swagger UI"));
    let served: serde_json::Value = app
        .http
        .get(app.admin_path("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served,
        portunus_server::http::openapi::document_for(&app.public_url)
    );
    // Public paths name the public listener, admin paths the listener serving the
    // document, so Swagger UI's "Try it out" calls the right one (issue 21).
    let public_server = served["paths"]["/oauth2/token"]["servers"][0]["url"].as_str();
    assert_eq!(public_server, Some(app.public_url.trim_end_matches('/')));
    assert!(served["paths"]["/admin/clients"].get("servers").is_none());
    assert_eq!(served["servers"][0]["url"], "/");
}
