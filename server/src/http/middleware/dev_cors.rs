//! Dev mode only: the public listener answers CORS (Fetch Standard §3.2) for one
//! origin, the admin listener's, so Swagger UI (served there) can "Try it out" on the
//! public paths, which the OpenAPI document points at the public listener. Outside dev
//! mode, and in dev mode with `serve.public.cors.enabled`, `middleware/cors.rs` alone
//! decides.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, HeaderValue, ORIGIN, VARY,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::config::Config;
use crate::http::public::home::admin_base_url;
use crate::state::AppState;

/// The origin Swagger UI runs on: `urls.self.admin` when set, else the admin
/// listener's address (public/home.rs).
pub fn admin_origin(config: &Config) -> Option<String> {
    let base = config
        .urls
        .self_
        .admin
        .clone()
        .unwrap_or_else(|| admin_base_url(config));
    let origin = url::Url::parse(&base).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

pub async fn dev_cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let allowed = req
        .app_data::<web::Data<AppState>>()
        // `serve.public.cors` on: that policy alone decides (middleware/cors.rs).
        .filter(|state| state.config.dev && !state.config.serve.public.cors.enabled)
        .and_then(|state| admin_origin(&state.config))
        .filter(|origin| {
            req.headers()
                .get(ORIGIN)
                .is_some_and(|sent| sent.as_bytes() == origin.as_bytes())
        })
        .and_then(|origin| HeaderValue::from_str(&origin).ok());
    let Some(origin) = allowed else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if req.method() == Method::OPTIONS && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    {
        // A preflight: what Swagger UI sends before a form POST with an Authorization
        // header or a JSON body.
        let response = HttpResponse::NoContent()
            .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
            .insert_header((ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type"))
            .insert_header((ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((VARY, "Origin"))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    response
        .headers_mut()
        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    response
        .headers_mut()
        .append(VARY, HeaderValue::from_static("Origin"));
    Ok(response.map_into_left_body())
}
