//! Routes of the public listener. Each feature registers its own routes here; the
//! OpenAPI document is collected from the same registrations.

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::health;

/// Documented and undocumented routes of the public listener.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::is_alive)
        .service(health::is_ready)
        .route("/robots.txt", web::get().to(health::robots_txt));
}
