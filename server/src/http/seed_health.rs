//! The health surface of the reference OAuth2 service Portunus replaces, on the public
//! listener beside Hydra's `/health/alive|ready`: `GET /ping`, `GET /ready` and
//! `GET /health`. All three read the background readiness probe (`crate::health`), so
//! none waits for the database.

use actix_web::{HttpResponse, Responder, get, web};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::health::{HealthNotReadyStatus, ready};
use crate::state::AppState;

/// The reference service's health report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = serviceHealth)]
pub struct ServiceHealth {
    /// `healthy` or `unhealthy`.
    pub status: String,
    /// `connected` or `disconnected`.
    pub database: String,
    /// The version of Portunus.
    pub version: String,
    /// When this report was made (RFC 3339, UTC).
    pub timestamp: String,
}

/// Ping the server
///
/// Answers 200 with the text `OK` while the process serves HTTP, whatever the state of
/// its dependencies.
#[utoipa::path(
    tag = "metadata",
    responses((status = 200, description = "The server is running.", content_type = "text/plain", body = String))
)]
#[get("/ping")]
pub async fn ping() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("OK")
}

/// Check readiness (reference service path)
///
/// The same answer as `/health/ready`: 200 when the database answers, 503 with the
/// reason per dependency otherwise.
#[utoipa::path(
    tag = "metadata",
    responses(
        (status = 200, description = "Ready to accept requests.", body = crate::http::health::HealthStatus),
        (status = 503, description = "Not ready to accept requests.", body = HealthNotReadyStatus)
    )
)]
#[get("/ready")]
pub async fn get_ready(state: web::Data<AppState>) -> impl Responder {
    ready(state).await
}

/// Check health (reference service shape)
///
/// `{"status":"healthy","database":"connected",…}` with 200 while the database answers;
/// `unhealthy`/`disconnected` with 503 otherwise (`unhealthy`/`connected` while the
/// server shuts down).
#[utoipa::path(
    tag = "metadata",
    responses(
        (status = 200, description = "Healthy.", body = ServiceHealth),
        (status = 503, description = "The database does not answer.", body = ServiceHealth)
    )
)]
#[get("/health")]
pub async fn get_health(state: web::Data<AppState>) -> impl Responder {
    let status = state.readiness.current();
    let healthy = status.is_ok();
    // Not ready may also mean shutting down, with the database still connected.
    let connected = status
        .as_ref()
        .err()
        .is_none_or(|failing| !failing.contains_key("database"));
    let report = ServiceHealth {
        status: if healthy { "healthy" } else { "unhealthy" }.into(),
        database: if connected {
            "connected"
        } else {
            "disconnected"
        }
        .into(),
        version: env!("CARGO_PKG_VERSION").into(),
        timestamp: state.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    if healthy {
        HttpResponse::Ok().json(report)
    } else {
        HttpResponse::ServiceUnavailable().json(report)
    }
}
