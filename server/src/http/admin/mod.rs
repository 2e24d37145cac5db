//! Routes of the admin listener, all under `/admin` (Hydra's layout, so one document and
//! one SDK cover both listeners).

pub mod client_secret;
pub mod clients;
pub mod dashboard;
pub mod device;
pub mod events;
pub mod flows;
pub mod initial_access_tokens;
pub mod keys;
pub mod logout;
pub mod metrics;
pub mod sessions;
pub mod tokens;
pub mod trust;
pub mod user_identities;
pub mod users;

use actix_web::web;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::health;

/// The routes of this listener that the OpenAPI document leaves out, for the `Allow`
/// header of a 405 (`allowed_methods.rs`).
pub const UNDOCUMENTED: &[(&str, &str)] = &[
    ("/admin/health/alive", "GET"),
    ("/admin/health/ready", "GET"),
    ("/health/alive", "GET"),
    ("/health/ready", "GET"),
    (crate::http::OPENAPI_PATH, "GET"),
    ("/swagger-ui", "GET"),
    ("/admin/metrics/prometheus", "GET"),
];

/// Documented admin routes (`/admin/...`) and the undocumented health aliases.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        // actix tries the routes in the order registered and matches each route with a
        // path parameter by a regular expression: the busiest routes (introspection and
        // the login, consent and logout challenges, all without parameters) come before
        // the `{id}` routes, which cost every request behind them a regex match (~3% of
        // the server's CPU in the soak's mix, docs/benchmarks.md). Their paths do not
        // overlap, so the order changes no answer.
        scope::scope("/admin")
            .service(tokens::introspect_o_auth2_token)
            .service(flows::get_o_auth2_login_request)
            .service(flows::accept_o_auth2_login_request)
            .service(flows::reject_o_auth2_login_request)
            .service(flows::get_o_auth2_consent_request)
            .service(flows::accept_o_auth2_consent_request)
            .service(flows::reject_o_auth2_consent_request)
            .service(device::accept_user_code_request)
            .service(logout::get_o_auth2_logout_request)
            .service(logout::accept_o_auth2_logout_request)
            .service(logout::reject_o_auth2_logout_request)
            .service(health::get_version)
            .service(clients::list_o_auth2_clients)
            .service(clients::create_o_auth2_client)
            .service(clients::get_o_auth2_client)
            .service(clients::set_o_auth2_client)
            .service(clients::patch_o_auth2_client)
            .service(clients::delete_o_auth2_client)
            .service(clients::set_o_auth2_client_lifespans)
            .service(client_secret::rotate_o_auth2_client_secret)
            .service(client_secret::delete_o_auth2_client_previous_secret)
            .service(keys::create_json_web_key_set)
            .service(keys::get_json_web_key_set)
            .service(keys::set_json_web_key_set)
            .service(keys::delete_json_web_key_set)
            .service(keys::get_json_web_key)
            .service(keys::set_json_web_key)
            .service(keys::delete_json_web_key)
            .service(sessions::list_o_auth2_consent_sessions)
            .service(sessions::revoke_o_auth2_consent_sessions)
            .service(sessions::revoke_o_auth2_login_sessions)
            .service(tokens::delete_o_auth2_token)
            .service(initial_access_tokens::list_o_auth2_initial_access_tokens)
            .service(initial_access_tokens::create_o_auth2_initial_access_token)
            .service(initial_access_tokens::get_o_auth2_initial_access_token)
            .service(initial_access_tokens::delete_o_auth2_initial_access_token)
            .service(events::ingest_event)
            .service(trust::list_trusted_o_auth2_jwt_grant_issuers)
            .service(trust::trust_o_auth2_jwt_grant_issuer)
            .service(trust::get_trusted_o_auth2_jwt_grant_issuer)
            .service(trust::delete_trusted_o_auth2_jwt_grant_issuer)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::set_user)
            .service(users::patch_user)
            .service(users::set_user_password)
            .service(users::delete_user)
            .service(user_identities::list_user_identities)
            .service(user_identities::unlink_user_identity)
            .route("/health/alive", web::get().to(health::alive))
            .route("/health/ready", web::get().to(health::ready))
            .route("/metrics/prometheus", web::get().to(metrics::prometheus)),
    );
}

/// The health routes the admin listener serves without the prefix (documented once, on
/// the public listener's registration).
pub fn unprefixed_health(cfg: &mut ServiceConfig) {
    cfg.route("/health/alive", web::get().to(health::alive))
        .route("/health/ready", web::get().to(health::ready));
}
