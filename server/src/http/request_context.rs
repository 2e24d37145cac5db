//! Builds the protocol's view of a request ([`RequestContext`]) from actix's: the
//! endpoint's URL from `urls.self.public` (never `Host` or forwarded headers), the
//! client's address from `http/forwarded.rs`, and the headers the protocol reads.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};

use crate::config::Config;
use crate::error::OAuth2Error;
use crate::http::forwarded::ClientOrigin;
use crate::oauth2::request_context::{PROTOCOL_HEADERS, RequestContext};

/// The context of `req` to the public endpoint at `path` (`/oauth2/token`).
pub fn request_context(req: &HttpRequest, config: &Config, path: &str) -> RequestContext {
    let url = format!("{}{path}", config.public_url());
    let mut context = RequestContext::new(req.method().as_str(), url, ClientOrigin::of(req).ip);
    for (name, _) in PROTOCOL_HEADERS {
        for value in req.headers().get_all(name) {
            context = context.with_header(name, value.as_bytes());
        }
    }
    context
}

/// The `Authorization` header's value; a value that is not visible ASCII is
/// `invalid_request` (the UserInfo endpoint's bearer token, RFC 6750 §2.1).
pub fn authorization_header(req: &HttpRequest) -> Result<Option<&str>, OAuth2Error> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|value| {
            value.to_str().map_err(|_| {
                OAuth2Error::invalid_request("The Authorization header is not valid ASCII.")
            })
        })
        .transpose()
}

/// Hands the client `http` acted for (if any) to the CORS middleware, which checks the
/// response's origin against that client's `allowed_cors_origins` (http/cors).
pub fn expose_client(req: &HttpRequest, http: &RequestContext) {
    if let Some(id) = http.client_id() {
        req.extensions_mut()
            .insert(crate::http::cors::AuthenticatedClient(id.to_owned()));
    }
}
