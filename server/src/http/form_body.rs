//! The body of the form-encoded endpoints (token, revocation, introspection):
//! `application/x-www-form-urlencoded` (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1).
//!
//! A request with no body and no `Content-Type` is an empty form, so it gets the same
//! answer as any form missing a parameter (`invalid_request` naming it), not a media
//! type error RFC 6749 has no code for. A non-empty body of another type stays a 415,
//! with the RFC's `invalid_request` (`errors.rs`).

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;

/// Whether the request's headers say it has no body: `Content-Length: 0`, or neither
/// `Content-Length` nor `Transfer-Encoding` (RFC 9112 §6.3: then the length is zero).
pub fn declares_no_body(req: &HttpRequest) -> bool {
    let headers = req.headers();
    match headers.get(CONTENT_LENGTH) {
        Some(length) => length.to_str().is_ok_and(|l| l.trim() == "0"),
        None => !headers.contains_key(TRANSFER_ENCODING),
    }
}

/// The decoded pairs of a form body, in order; empty for a request without a body and
/// without a `Content-Type`.
pub struct FormPairs(pub Vec<(String, String)>);

impl FromRequest for FormPairs {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(CONTENT_TYPE) && declares_no_body(req) {
            return Box::pin(async { Ok(FormPairs(Vec::new())) });
        }
        // Everything else as actix reads forms, with `errors::form_config`'s answers.
        let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move { Ok(FormPairs(form.await?.into_inner())) })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn no_length_and_no_chunking_means_no_body() {
        assert!(declares_no_body(&TestRequest::post().to_http_request()));
        assert!(declares_no_body(
            &TestRequest::post()
                .insert_header((CONTENT_LENGTH, "0"))
                .to_http_request()
        ));
        assert!(!declares_no_body(
            &TestRequest::post()
                .insert_header((CONTENT_LENGTH, "3"))
                .to_http_request()
        ));
        assert!(!declares_no_body(
            &TestRequest::post()
                .insert_header((TRANSFER_ENCODING, "chunked"))
                .to_http_request()
        ));
    }
}
