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

/// The published document: OpenAPI 3.0.3-compatible JSON.
pub fn document() -> serde_json::Value {
    let mut document = document_v31();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    match serde_json::to_value(&document) {
        Ok(value) => crate::openapi_v30::downgrade_to_3_0(value),
        Err(_) => serde_json::Value::Null,
    }
}

/// The document as pretty JSON with a trailing newline, as checked in.
pub fn document_pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
