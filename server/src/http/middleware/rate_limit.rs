//! Applies the rate limits (`http/rate_limit`) to a listener: the client address from
//! `http/forwarded.rs` (a forwarded one only from a trusted proxy), its endpoint
//! group from the path. Answers `429 rate_limit_exceeded` with `Retry-After` (RFC 9110
//! §10.2.3) when the budget is spent — an HTML error page on the browser endpoints
//! (`Group::is_browser_page`) — and puts the `RateLimit-Policy` and `RateLimit` fields of
//! draft-ietf-httpapi-ratelimit-headers on every response of a limited endpoint.
//! Registered only when `rate_limit.enabled` (zero cost otherwise).

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use crate::http::forwarded::ClientOrigin;
use crate::http::rate_limit::{Decision, Group, RateLimiter};

/// The rate limiter of one listener (app data).
pub struct ListenerRateLimit {
    /// `None` when rate limits are off (then the middleware is not registered).
    pub limiter: Option<Arc<RateLimiter>>,
    /// The admin listener limits introspection only (`Group::of`).
    pub admin: bool,
}

/// The error code and description of issue 14 §3 (RFC 6749 §5.2 characters).
pub const ERROR: &str = "rate_limit_exceeded";
pub const DESCRIPTION: &str = "Too many requests. Please try again later.";

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Whole seconds, rounded up: a client that waits `Retry-After` must find budget.
fn ceil_secs(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0))
}

/// `RateLimit-Policy: "token";q=20;w=60;burst=20` and `RateLimit: "token";r=3;t=9`
/// (draft-ietf-httpapi-ratelimit-headers-09 §4, §5, structured-field lists).
fn add_headers(headers: &mut HeaderMap, limiter: &RateLimiter, group: Group, decision: Decision) {
    let limit = limiter.limit(group);
    let name = group.name();
    let policy = format!("\"{name}\";q={};w=60", limit.per_minute);
    let state = format!(
        "\"{name}\";r={};t={}",
        decision.remaining,
        ceil_secs(decision.reset)
    );
    for (field, value) in [(POLICY, policy), (RATELIMIT, state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(field, value);
        }
    }
}

/// The 429 answer: HTML on the pages a browser navigates to (authorize, logout,
/// device verification), JSON elsewhere.
fn too_many_requests(path: &str, retry_after: Duration) -> HttpResponse {
    let mut builder = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS);
    builder.insert_header((RETRY_AFTER, ceil_secs(retry_after).max(1).to_string()));
    if Group::is_browser_page(path) {
        builder
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(rate_limit_page())
    } else {
        builder.json(serde_json::json!({
            "error": ERROR,
            "error_description": DESCRIPTION,
        }))
    }
}

fn rate_limit_page() -> String {
    crate::html::error_page_of(ERROR, DESCRIPTION)
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let settings = req.app_data::<web::Data<ListenerRateLimit>>().cloned();
    let Some((limiter, admin)) = settings.and_then(|s| Some((s.limiter.clone()?, s.admin))) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // The access-log middleware (outermost) attached the origin.
    let ip = req
        .extensions()
        .get::<ClientOrigin>()
        .and_then(|origin| origin.ip)
        .or_else(|| req.peer_addr().map(|a| a.ip()));
    // The path as the router matches it (unreserved characters decoded), so
    // `/oauth2/%74oken` is the token endpoint here too.
    let path = req.match_info().as_str().to_owned();
    let (Some(group), Some(ip)) = (Group::of(&path, admin), ip) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if limiter.is_allowed(ip) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(decision) = limiter.check(group, ip).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if !decision.allowed {
        crate::prometheus::rate_limit_rejected(group.name());
        limiter.report_refusal(group, admin, &path, ip);
        let mut response = too_many_requests(&path, decision.retry_after);
        add_headers(response.headers_mut(), &limiter, group, decision);
        let (request, _) = req.into_parts();
        return Ok(ServiceResponse::new(request, response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    add_headers(response.headers_mut(), &limiter, group, decision);
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::ZERO), 0);
    }

    #[test]
    fn the_description_has_only_rfc_6749_characters() {
        assert!(DESCRIPTION.chars().all(crate::error::is_description_char));
        assert!(rate_limit_page().contains(DESCRIPTION));
    }
}
