//! The one OpenAPI document of both listeners, collected from the same registrations the
//! apps use (`public::routes`, `admin::routes`), in the 3.0.3-compatible form progenitor
//! reads (`crate::openapi_v30`). `portunus openapi` prints it; `openapi/openapi.json` is
//! this document, checked by a freshness test.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::http::{admin, public};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portunus",
        description = "OAuth 2.0 and OpenID Connect server, wire-compatible with Ory Hydra v2. Paths under /admin are served by the admin listener (default :4445), the others by the public listener (default :4444).",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "oAuth2", description = "OAuth 2.0 clients, flows and tokens"),
        (name = "oidc", description = "OpenID Connect"),
        (name = "jwk", description = "JSON Web Keys"),
        (name = "users", description = "Local users of the built-in login UI"),
        (name = "events", description = "Audit events (CloudEvents 1.0)"),
        (name = "metadata", description = "Health and version")
    )
)]
struct BaseDocument;

/// The document as utoipa builds it (OpenAPI 3.1).
pub fn document_v31() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(BaseDocument::openapi())
        .configure(public::routes)
        .configure(admin::routes)
        .split_for_parts();
    document
}

/// The public listener in the published document: the dev server's address. A running
/// server serves the document with its own public URL instead (`document_for`).
pub const DOCUMENT_PUBLIC_URL: &str = "http://127.0.0.1:4444";

/// The published document: OpenAPI 3.0.3-compatible JSON.
pub fn document() -> serde_json::Value {
    document_for(DOCUMENT_PUBLIC_URL)
}

/// The document with `public_url` as the server of the public listener's paths.
pub fn document_for(public_url: &str) -> serde_json::Value {
    let mut document = document_v31();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    match serde_json::to_value(&document) {
        Ok(value) => {
            let mut value = crate::openapi_v30::downgrade_to_3_0(value);
            crate::http::rate_limit::openapi::declare_rate_limit_responses(&mut value);
            add_servers(&mut value, public_url);
            value
        }
        Err(_) => serde_json::Value::Null,
    }
}

/// One document, two listeners (OpenAPI 3.0.3 §4.7.9 Path Item `servers`): the
/// document-wide server is `/`, the listener that serves the document and Swagger UI
/// (the admin one); each public path names the public listener, so Swagger UI's "Try it
/// out" calls the right one. The SDK takes its base URL from its caller.
fn add_servers(document: &mut serde_json::Value, public_url: &str) {
    use serde_json::json;
    let public_url = public_url.trim_end_matches('/');
    if let Some(object) = document.as_object_mut() {
        object.insert(
            "servers".into(),
            json!([{"url": "/", "description": "the admin listener (serves this document)"}]),
        );
    }
    let Some(paths) = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let admin = path == "/admin" || path.starts_with("/admin/");
        if let (false, Some(item)) = (admin, item.as_object_mut()) {
            item.insert(
                "servers".into(),
                json!([{"url": public_url, "description": "the public listener"}]),
            );
        }
    }
}

/// The document as pretty JSON with a trailing newline, as checked in.
pub fn document_pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
