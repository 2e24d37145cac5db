//! One log line per request: method, route, status, latency and request id. The id comes
//! from `X-Request-Id` when the caller sent a sane one, else a new UUID, and is echoed
//! back. Query strings are never logged (they carry codes, tokens and challenges). The
//! client address is the socket peer, or what a trusted proxy forwarded (`forwarded.rs`).
//! The same numbers feed the HTTP series of the Prometheus metrics (`crate::prometheus`).
//! With tracing on, the request's server span starts here (continuing the caller's
//! `traceparent`), and the request id is its trace id, so log lines and traces meet; a
//! caller's `X-Request-Id` is then kept as a span attribute.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::http::ListenerSettings;
use crate::http::forwarded::ClientOrigin;
use crate::telemetry::{propagation, spans};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let sent_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    let settings = ListenerSettings::of(&req);
    let origin = ClientOrigin::attach(&req);
    let client_ip = origin.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let server_span = spans::http_server(&method, &path, req.headers(), settings.listener);
    let request_id = match propagation::trace_id(&server_span) {
        Some(trace_id) => {
            if let Some(sent) = sent_id {
                server_span.set_attribute("http.request.header.x-request-id", sent);
            }
            trace_id
        }
        None => sent_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let is_health = path.starts_with("/health/") || path.starts_with("/admin/health/");
    let span = tracing::info_span!(
        "request",
        listener = settings.listener,
        request_id = %request_id,
    );
    let started = Instant::now();
    // The log's span outside, the trace's inside: code below sees the trace's as current.
    let mut response = next
        .call(req)
        .instrument(server_span.clone())
        .instrument(span.clone())
        .await?;
    let pattern = response.request().match_pattern();
    let status = response.status().as_u16();
    spans::http_server_answered(&server_span, &method, pattern.as_deref(), status);
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
