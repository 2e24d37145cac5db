//! Routes of the public listener. Each feature registers its own routes here; the
//! OpenAPI document is collected from the same registrations.

pub mod authorize;
pub mod credentials;
pub mod demo_login;
pub mod device;
pub mod discovery;
pub mod events;
pub mod forward_auth;
pub mod home;
pub mod jwks;
pub mod login_ui;
pub mod login_ui_upstream;
pub mod logout;
pub mod par;
pub mod register;
pub mod revoke;
pub mod seed_paths;
pub mod sign_out;
pub mod token;
pub mod userinfo;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::{health, seed_health};

/// The routes below that the OpenAPI document leaves out (as Hydra's does), for the
/// `Allow` header of a 405 (`allowed_methods.rs`).
pub const UNDOCUMENTED: &[(&str, &str)] = &[
    ("/oauth2/auth", "POST"),
    ("/oauth/authorize", "POST"),
    ("/oauth2/sign_out", "POST"),
    ("/oauth2/sessions/logout", "POST"),
    ("/userinfo", "POST"),
    ("/robots.txt", "GET"),
    ("/clients/register", "POST"),
];

/// Documented and undocumented routes of the public listener.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::is_alive)
        .service(health::is_ready)
        .service(jwks::discover_json_web_keys)
        .service(authorize::o_auth2_authorize)
        .route(
            "/oauth2/auth",
            web::post().to(authorize::o_auth2_authorize_post),
        )
        .service(logout::revoke_oidc_session)
        .route(
            "/oauth2/sessions/logout",
            web::post().to(logout::revoke_oidc_session_post),
        )
        .service(token::oauth2_token_exchange)
        .service(par::o_auth2_pushed_authorization_request)
        .service(device::o_auth2_device_flow)
        .service(device::perform_o_auth2_device_verification_flow)
        .service(revoke::revoke_o_auth2_token)
        .service(discovery::discover_oidc_configuration)
        .service(discovery::discover_o_auth2_authorization_server)
        .service(credentials::create_verifiable_credential)
        .service(userinfo::get_oidc_user_info)
        .service(forward_auth::forward_auth)
        .service(sign_out::sign_out_get)
        .route("/oauth2/sign_out", web::post().to(sign_out::sign_out_post))
        .route(
            "/userinfo",
            web::post().to(userinfo::get_oidc_user_info_post),
        )
        .service(register::create_oidc_dynamic_client)
        .service(register::get_oidc_dynamic_client)
        .service(register::set_oidc_dynamic_client)
        .service(register::delete_oidc_dynamic_client)
        .route(
            "/clients/register",
            web::post().to(register::create_oidc_dynamic_client_alias),
        )
        .service(seed_health::ping)
        .service(seed_health::get_ready)
        .service(seed_health::get_health)
        .service(events::get_events_health)
        .service(seed_paths::oauth_authorize)
        .route(
            "/oauth/authorize",
            web::post().to(authorize::o_auth2_authorize_post),
        )
        .service(seed_paths::oauth_token)
        .service(seed_paths::oauth_revoke)
        .service(seed_paths::oauth_introspect)
        .route("/robots.txt", web::get().to(health::robots_txt));
}
