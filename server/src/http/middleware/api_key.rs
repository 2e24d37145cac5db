//! Optional bearer API key for the admin listener (`serve.admin.api_key`). Health probes
//! stay open so orchestrators need no secret. Compared in constant time. The admin
//! dashboard's pages (`/admin`, `/admin/ui/*`) check the key themselves: once in a
//! sign-in form, then by a sealed session cookie (`http/admin/dashboard`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use subtle::ConstantTimeEq;

use crate::error::{ErrorKind, OAuth2Error};
use crate::http::ListenerSettings;

pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let Some(expected) = ListenerSettings::of(&req).api_key else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let path = req.path();
    // Probes and the API's own documentation stay open; the document holds no secrets.
    // The dashboard's pages check their own sign-in (http/admin/dashboard: the key
    // once, then a sealed session cookie), which a browser can keep.
    let open = path.starts_with("/health/")
        || path == "/admin"
        || path == crate::dashboard::PREFIX
        || path.starts_with("/admin/ui/")
        || path.starts_with("/admin/health/")
        || path == "/openapi.json"
        || path == "/swagger-ui"
        || path.starts_with("/swagger-ui/");
    if open {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let matches: bool = presented.as_bytes().ct_eq(expected.as_bytes()).into();
    if matches {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let err = OAuth2Error::new(ErrorKind::Unauthorized).with_hint(
        "The admin API requires the header Authorization: Bearer <serve.admin.api_key>.",
    );
    let mut response = err.error_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        actix_web::http::header::HeaderValue::from_static("Bearer realm=\"portunus-admin\""),
    );
    Ok(req.into_response(response).map_into_right_body())
}
