//! Hydra serves every admin path also without its `/admin` prefix (`/clients` is
//! `/admin/clients`). The router only knows the prefixed paths; this rewrites the rest
//! before routing.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;

/// Paths the admin listener serves as they are.
fn served_unprefixed(path: &str) -> bool {
    path == "/admin"
        || path.starts_with("/admin/")
        || path.starts_with("/health/")
        || path == "/swagger-ui"
        || path.starts_with("/swagger-ui/")
        || path == "/openapi.json"
}

pub async fn admin_prefix(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    if !served_unprefixed(req.path()) {
        let rewritten = match req.uri().query() {
            Some(query) => format!("/admin{}?{query}", req.path()),
            None => format!("/admin{}", req.path()),
        };
        if let Ok(uri) = rewritten.parse::<Uri>() {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
        }
    }
    next.call(req).await
}
