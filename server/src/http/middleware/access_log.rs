//! One log line per request: method, route, status, latency and request id. The id comes
//! from `X-Request-Id` when the caller sent a sane one, else a new UUID, and is echoed
//! back. Query strings are never logged (they carry codes, tokens and challenges). The
//! client address is the socket peer, or what a trusted proxy forwarded (`forwarded.rs`).
//! The same numbers feed the HTTP series of the Prometheus metrics (`crate::prometheus`).

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::http::ListenerSettings;
use crate::http::forwarded::ClientOrigin;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let settings = ListenerSettings::of(&req);
    let origin = ClientOrigin::attach(&req);
    let client_ip = origin.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let is_health = path.starts_with("/health/") || path.starts_with("/admin/health/");
    let span = tracing::info_span!(
        "request",
        listener = settings.listener,
        request_id = %request_id,
    );
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let pattern = response.request().match_pattern();
    let status = response.status().as_u16();
    crate::prometheus::http_request(
        settings.listener,
        pattern.as_deref(),
        &method,
        status,
        started.elapsed().as_secs_f64(),
    );
    let route = pattern.unwrap_or_else(|| path.clone());
    if !(is_health && settings.skip_health_in_access_log) {
        span.in_scope(|| {
            tracing::info!(
                method = %method,
                route = %route,
                status,
                client_ip = %client_ip,
                latency_ms = started.elapsed().as_secs_f64() * 1000.0,
                "request completed"
            );
        });
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}
