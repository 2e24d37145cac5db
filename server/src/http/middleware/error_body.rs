//! Every error status leaves the server with a JSON `{"error","error_description"}` body:
//! responses actix produced itself (405, an empty 404) are replaced, and when
//! `oauth2.expose_internal_errors` is on, `error_hint`/`error_debug` are added.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

use crate::error::{ErrorKind, OAuth2Error};
use crate::http::ListenerSettings;

fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::RequestForbidden,
        404 => ErrorKind::NotFound,
        405 => ErrorKind::MethodNotAllowed,
        409 => ErrorKind::Conflict,
        413 => ErrorKind::PayloadTooLarge,
        // RFC 6749 §5.2 has no media-type code; 415 stays the status.
        415 => ErrorKind::InvalidRequest,
        503 => ErrorKind::TemporarilyUnavailable,
        500..=599 => ErrorKind::ServerError,
        _ => ErrorKind::InvalidRequest,
    }
}

pub async fn error_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let expose = ListenerSettings::of(&req).expose_errors;
    let response = next.call(req).await?;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response.map_into_left_body());
    }
    let known = response
        .response()
        .extensions()
        .get::<OAuth2Error>()
        .cloned();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let error = match known {
        Some(err) if expose => err,
        Some(_) => return Ok(response.map_into_left_body()),
        // JSON errors are already right; HTML is a browser endpoint's error page.
        None if is_json || is_html => return Ok(response.map_into_left_body()),
        None => OAuth2Error::new(kind_for_status(status.as_u16())),
    };
    let (req, old) = response.into_parts();
    let mut replacement = HttpResponse::build(status).json(error.body(expose));
    for (name, value) in old.headers() {
        if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    replacement
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(ServiceResponse::new(req, replacement).map_into_right_body())
}
