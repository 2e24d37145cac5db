//! `GET /events/health`: whether audit events are on and how each sink fared, in the
//! shape of the reference service's eventing health (`crate::events`).

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// One sink ("plugin" in the reference service's words).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = eventsPluginHealth)]
pub struct EventsPluginHealth {
    /// `webhook`, `nats` or `stdout`.
    pub name: String,
    /// Whether the last delivery to it succeeded (true before the first); for `nats`
    /// also whether its client is connected.
    pub healthy: bool,
}

/// The eventing health report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = eventsHealth)]
pub struct EventsHealth {
    /// `events.enabled`.
    pub enabled: bool,
    /// The configured sinks; empty when disabled.
    pub plugins: Vec<EventsPluginHealth>,
}

/// Check the audit events' health
///
/// Whether events are enabled (`events.enabled`, `OAUTH2_EVENTS_ENABLED`) and, per
/// configured sink, whether its last delivery succeeded. Always 200: a failing sink
/// delays events, it loses none.
#[utoipa::path(
    tag = "metadata",
    responses(
        (status = 200, description = "The eventing health.", body = EventsHealth),
        (status = 500, description = "Internal error.", body = crate::error::ErrorBody)
    )
)]
#[get("/events/health")]
pub async fn get_events_health(state: web::Data<AppState>) -> HttpResponse {
    let plugins = state
        .events
        .sink_health()
        .into_iter()
        .map(|(name, healthy)| EventsPluginHealth {
            name: name.to_owned(),
            healthy,
        })
        .collect();
    HttpResponse::Ok().json(EventsHealth {
        enabled: state.events.enabled(),
        plugins,
    })
}
