//! `GET /admin/metrics/prometheus` (Hydra's path): every series in the Prometheus text
//! exposition format (`crate::prometheus`). Behind `serve.admin.api_key` like the rest
//! of the admin API (a scraper sends it as a bearer token); `404` when
//! `serve.metrics.enabled` is off. Not in the OpenAPI document (as in Hydra's).

use actix_web::{HttpResponse, web};

use crate::error::{ErrorKind, OAuth2Error};
use crate::state::AppState;

/// The content type of the text exposition format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn prometheus(state: web::Data<AppState>) -> Result<HttpResponse, OAuth2Error> {
    let rendered = state
        .config
        .serve
        .metrics
        .enabled
        .then(crate::prometheus::render)
        .flatten()
        .ok_or_else(|| {
            OAuth2Error::new(ErrorKind::NotFound)
                .with_hint("Metrics are off on this server (serve.metrics.enabled).")
        })?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(rendered))
}
