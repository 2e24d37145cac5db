//! `/health/alive`, `/health/ready` (both listeners, and `/admin/health/*` on the admin
//! one), `/admin/version` and `/robots.txt`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, Responder, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::state::AppState;

/// The health status of the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = healthStatus)]
pub struct HealthStatus {
    /// Always "ok".
    pub status: String,
}

/// The not-ready status of the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = healthNotReadyStatus)]
pub struct HealthNotReadyStatus {
    /// The dependencies that are not ready, each with the reason.
    pub errors: BTreeMap<String, String>,
}

/// The version of the running server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = version)]
pub struct Version {
    /// The version of Portunus.
    pub version: String,
}

pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".into(),
    })
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    // The background probe's last outcome (`crate::health`): never waits for the database.
    match state.readiness.current() {
        Ok(()) => HttpResponse::Ok().json(HealthStatus {
            status: "ok".into(),
        }),
        Err(errors) => HttpResponse::ServiceUnavailable().json(HealthNotReadyStatus { errors }),
    }
}

/// Check HTTP server status
///
/// Answers 200 when the server is running, whether or not its dependencies are. For
/// orchestrators' liveness probes; never needs authentication.
#[utoipa::path(
    tag = "metadata",
    responses((status = 200, description = "The server is running.", body = HealthStatus))
)]
#[get("/health/alive")]
pub async fn is_alive() -> impl Responder {
    alive().await
}

/// Check HTTP server and database status
///
/// Answers 200 when the server is running and the database answers; 503 with the reason
/// per dependency otherwise. Answers at once from a background probe of the database
/// (every 0.5 s, a ping without an answer within 1 s counts as an outage), so it never
/// hangs while the database does. Refers to this node only, never to the cluster.
#[utoipa::path(
    tag = "metadata",
    responses(
        (status = 200, description = "Ready to accept requests.", body = HealthStatus),
        (status = 503, description = "Not ready to accept requests.", body = HealthNotReadyStatus)
    )
)]
#[get("/health/ready")]
pub async fn is_ready(state: web::Data<AppState>) -> impl Responder {
    ready(state).await
}

/// Return the running software version
///
/// Also served as `/version` on the admin listener.
#[utoipa::path(
    tag = "metadata",
    responses(
        (status = 200, description = "The version of this server.", body = Version),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody)
    )
)]
#[get("/version")]
pub async fn get_version() -> impl Responder {
    HttpResponse::Ok().json(Version {
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Crawlers have nothing to index on an authorization server.
pub async fn robots_txt() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("User-agent: *\nDisallow: /\n")
}
