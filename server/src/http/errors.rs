//! How `OAuth2Error` becomes an HTTP response, and the handlers that turn actix's
//! extractor failures (bad JSON, query, path, form; wrong content type; huge bodies) into
//! the same JSON shape instead of actix's plain-text 400.
//!
//! A body of the wrong media type is HTTP's 415 (RFC 9110 §15.5.16) with the RFC 6749
//! §5.2 code `invalid_request` (there is no `unsupported_media_type` code). A JSON
//! endpoint called with no body at all (no `Content-Type`, no length) gets 400
//! `invalid_request` saying the body is missing, as Hydra answers; the form endpoints
//! read that as an empty form (`form_body.rs`).

use actix_web::error::{
    InternalError, JsonPayloadError, PathError, QueryPayloadError, UrlencodedError,
};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::allowed_methods::AllowedMethods;
use super::form_body::declares_no_body;
use crate::error::{ErrorKind, OAuth2Error};

impl ResponseError for OAuth2Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status() >= 500 {
            // The request id is on the enclosing span (http::middleware::access_log).
            tracing::error!(
                error = self.kind.code(),
                debug = self.debug.as_deref().unwrap_or(""),
                "request failed"
            );
        }
        let mut response = HttpResponse::build(self.status_code())
            .insert_header(CacheControl(vec![CacheDirective::NoStore]))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(self.body(false));
        if let Some(challenge) = &self.www_authenticate
            && let Ok(value) = header::HeaderValue::from_str(challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(nonce) = &self.dpop_nonce
            && let Ok(value) = header::HeaderValue::from_str(nonce)
        {
            response.headers_mut().insert(
                header::HeaderName::from_static(crate::oauth2::dpop::NONCE_HEADER),
                value,
            );
        }
        // RFC 9110 §10.2.3: when to retry a 503 (a full queue of secret verifications,
        // an unavailable database); a second is long enough for either to drain.
        if self.kind == ErrorKind::TemporarilyUnavailable {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        // Kept for the middleware that adds `error_hint`/`error_debug` when exposed.
        response.extensions_mut().insert(self.clone());
        response
    }
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, req| json_error(&err, req))
}

pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _req| form_error(&err))
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| query_error(&err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| path_error(&err).into())
}

/// `invalid_request` (RFC 6749 §5.2) with status 415: the body is not of `expected`.
pub fn unsupported_media_type(expected: &str) -> actix_web::Error {
    let err = OAuth2Error::invalid_request(format!(
        "The request body must be sent as {expected} (Content-Type)."
    ));
    let mut response = err.error_response();
    *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    InternalError::from_response(err, response).into()
}

fn json_error(err: &JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::ContentType
            if !req.headers().contains_key(header::CONTENT_TYPE) && declares_no_body(req) =>
        {
            OAuth2Error::invalid_request(
                "The request body is missing: send a JSON object as application/json.",
            )
            .into()
        }
        JsonPayloadError::ContentType => unsupported_media_type("application/json"),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            OAuth2Error::new(ErrorKind::PayloadTooLarge)
                .with_hint(err.to_string())
                .into()
        }
        JsonPayloadError::Deserialize(inner) => OAuth2Error::invalid_request(format!(
            "The request body is not valid JSON for this endpoint: {inner}."
        ))
        .into(),
        other => {
            OAuth2Error::invalid_request(format!("The request body could not be read: {other}."))
                .into()
        }
    }
}

fn form_error(err: &UrlencodedError) -> actix_web::Error {
    match err {
        UrlencodedError::ContentType => unsupported_media_type("application/x-www-form-urlencoded"),
        UrlencodedError::Overflow { .. } => OAuth2Error::new(ErrorKind::PayloadTooLarge)
            .with_hint(err.to_string())
            .into(),
        other => {
            OAuth2Error::invalid_request(format!("The form body is malformed: {other}.")).into()
        }
    }
}

fn query_error(err: &QueryPayloadError) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("The query string is malformed: {err}."))
}

fn path_error(err: &PathError) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("The URL path is malformed: {err}."))
}

/// The default service: a JSON 404 for an unknown path, a JSON 405 with `Allow` for a
/// known path asked with another method (RFC 9110 §15.5.6, `allowed_methods.rs`).
pub async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, OAuth2Error> {
    let allowed = req
        .app_data::<web::Data<AllowedMethods>>()
        .and_then(|table| table.of(req.path()));
    let Some(allowed) = allowed else {
        return Err(OAuth2Error::not_found(format!(
            "No endpoint at {} {}.",
            req.method(),
            req.path()
        )));
    };
    let err = OAuth2Error::new(ErrorKind::MethodNotAllowed).with_hint(format!(
        "{} does not answer {}; it answers {allowed}.",
        req.path(),
        req.method()
    ));
    let mut response = err.error_response();
    // Method names joined by ", " always make a valid header value.
    if let Ok(value) = header::HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}
