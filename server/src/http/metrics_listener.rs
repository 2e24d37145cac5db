//! The optional metrics listener (`serve.metrics.port`, off by default): `GET /metrics`
//! (oauth2-proxy's path) in the Prometheus text format and nothing else, without the
//! admin API key, so a scraper can be given this port and no admin access. The same
//! series as `GET /admin/metrics/prometheus` (`crate::prometheus`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, Error, HttpResponse, web};

use super::admin::metrics::CONTENT_TYPE;

async fn metrics() -> HttpResponse {
    match crate::prometheus::render() {
        Some(text) => HttpResponse::Ok().content_type(CONTENT_TYPE).body(text),
        // Validation refuses a metrics port with metrics off; a recorder another
        // library installed first leaves nothing to serve.
        None => HttpResponse::NotFound().finish(),
    }
}

/// The app of the metrics listener.
pub fn metrics_app() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
        .route("/metrics", web::get().to(metrics))
        .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
}
