//! HTTP: the only module (with `app.rs`) that knows actix-web. Builds the two listeners'
//! apps from the same route registrations that produce the OpenAPI document.

pub mod admin;
pub mod allowed_methods;
pub mod cors;
pub mod errors;
pub mod form_body;
pub mod forwarded;
pub mod health;
pub mod metrics_listener;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod public;
pub mod rate_limit;
pub mod request_context;
pub mod seed_health;
pub mod tls;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, Error, HttpResponse, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::config::{Cidr, Config};
use crate::state::AppState;
use allowed_methods::AllowedMethods;
use cors::client_origins::ClientOrigins;
use cors::{CorsPolicy, Route};
use middleware::cors::ListenerCors;
use middleware::rate_limit::ListenerRateLimit;
use rate_limit::RateLimiter;

/// Where the admin listener serves the OpenAPI document (Swagger UI loads it from here).
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Per-listener settings the middleware reads from app data.
#[derive(Debug, Clone)]
pub struct ListenerSettings {
    pub listener: &'static str,
    pub skip_health_in_access_log: bool,
    pub api_key: Option<Arc<str>>,
    pub expose_errors: bool,
    /// Peers whose forwarded headers count (`forwarded.rs`).
    pub trusted_proxies: Arc<[Cidr]>,
    /// The listener itself serves HTTPS (`http/tls`): every request came over TLS.
    pub tls: bool,
}

impl ListenerSettings {
    /// The settings of the app serving `req` (defaults if none were registered).
    pub fn of(req: &ServiceRequest) -> ListenerSettings {
        req.app_data::<web::Data<ListenerSettings>>()
            .map(|d| d.get_ref().clone())
            .unwrap_or(ListenerSettings {
                listener: "unknown",
                skip_health_in_access_log: false,
                api_key: None,
                expose_errors: false,
                trusted_proxies: Arc::from([]),
                tls: false,
            })
    }
}

fn shared_app_data(
    config: &Config,
) -> (
    web::JsonConfig,
    web::FormConfig,
    web::QueryConfig,
    web::PathConfig,
) {
    let limit = config.serve.request_body_limit;
    (
        errors::json_config(limit),
        errors::form_config(limit),
        errors::query_config(),
        errors::path_config(),
    )
}

/// Whether to register the rate limiting middleware (only when `limiter` is set), and
/// the app data it reads (`middleware/rate_limit.rs`).
fn rate_limit_data(
    limiter: Option<Arc<RateLimiter>>,
    admin: bool,
) -> (bool, web::Data<ListenerRateLimit>) {
    (
        limiter.is_some(),
        web::Data::new(ListenerRateLimit { limiter, admin }),
    )
}

/// The public listener's app.
pub fn public_app(
    state: web::Data<AppState>,
    client_origins: Arc<ClientOrigins>,
    rate_limiter: Option<Arc<RateLimiter>>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let (json, form, query, path) = shared_app_data(&config);
    let settings = ListenerSettings {
        listener: "public",
        skip_health_in_access_log: config.serve.public.request_log.disable_for_health,
        api_key: None,
        expose_errors: config.oauth2.expose_internal_errors,
        trusted_proxies: Arc::from(config.trusted_proxies(false)),
        tls: tls::source_for(&config, false).is_some(),
    };
    let cors = ListenerCors {
        policy: CorsPolicy::new(&config.serve.public.cors),
        route: cors::public_route,
        client_origins: Some(client_origins),
    };
    let (limited, rate_limit) = rate_limit_data(rate_limiter, false);
    let (app, api) = App::new()
        .into_utoipa_app()
        .app_data(state)
        .app_data(web::Data::new(settings))
        .app_data(web::Data::new(cors))
        .app_data(rate_limit)
        .app_data(json)
        .app_data(form)
        .app_data(query)
        .app_data(path)
        .configure(public::routes)
        .split_for_parts();
    // `GET /` only in dev mode (public/home.rs); elsewhere `/` is an unknown path.
    let mut undocumented = public::UNDOCUMENTED.to_vec();
    let app = if config.dev {
        undocumented.push(("/", "GET"));
        app.route("/", web::get().to(public::home::dev_home))
    } else {
        app
    };
    // The built-in login UI only when configured (public/login_ui.rs).
    let app = if config.login_ui.enabled {
        undocumented.extend_from_slice(public::login_ui::ROUTES);
        // Upstream providers and `/auth/logout` (public/login_ui_upstream.rs).
        undocumented.extend_from_slice(public::login_ui_upstream::ROUTES);
        app.configure(public::login_ui::routes)
            .configure(public::login_ui_upstream::routes)
    } else {
        app
    };
    // Dev mode's "Try a login" (public/demo_login.rs) on top of the login UI.
    let app = if crate::login_ui::demo::is_served(&config) {
        undocumented.extend_from_slice(public::demo_login::ROUTES);
        app.configure(public::demo_login::routes)
    } else {
        app
    };
    app.app_data(web::Data::new(AllowedMethods::new(&api, &undocumented)))
        .default_service(web::to(errors::route_not_found))
        .wrap(from_fn(middleware::error_body::error_body))
        .wrap(Condition::new(
            limited,
            from_fn(middleware::rate_limit::rate_limit),
        ))
        .wrap(from_fn(middleware::json_newline::json_newline))
        .wrap(from_fn(middleware::cors::cors))
        .wrap(from_fn(middleware::dev_cors::dev_cors))
        .wrap(from_fn(middleware::security_headers::security_headers))
        .wrap(from_fn(middleware::access_log::access_log))
}

/// The admin listener's app: `/admin/*`, the unprefixed aliases, health, Swagger UI.
/// `document` is the OpenAPI document serialized once: every worker builds its own app,
/// and each holding the document as a `serde_json::Value` kept ~0.8 MB more per
/// admin worker.
pub fn admin_app(
    state: web::Data<AppState>,
    document: web::Bytes,
    rate_limiter: Option<Arc<RateLimiter>>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let (json, form, query, path) = shared_app_data(&config);
    let settings = ListenerSettings {
        listener: "admin",
        skip_health_in_access_log: config.serve.admin.request_log.disable_for_health,
        api_key: config.serve.admin.api_key.as_deref().map(Arc::from),
        expose_errors: config.oauth2.expose_internal_errors,
        trusted_proxies: Arc::from(config.trusted_proxies(true)),
        tls: tls::source_for(&config, true).is_some(),
    };
    let cors = ListenerCors {
        policy: CorsPolicy::new(&config.serve.admin.cors),
        route: |_| Route::Configured,
        client_origins: None,
    };
    let (limited, rate_limit) = rate_limit_data(rate_limiter, true);
    let (app, api) = App::new()
        .into_utoipa_app()
        .app_data(state)
        .app_data(web::Data::new(settings))
        .app_data(web::Data::new(cors))
        .app_data(rate_limit)
        .app_data(json)
        .app_data(form)
        .app_data(query)
        .app_data(path)
        // The dashboard's pages (admin/dashboard/) before the API's `/admin` scope.
        .configure(admin::dashboard::routes)
        .configure(admin::routes)
        .configure(admin::unprefixed_health)
        .split_for_parts();
    let undocumented = [admin::UNDOCUMENTED, admin::dashboard::ROUTES].concat();
    app.app_data(web::Data::new(AllowedMethods::new(&api, &undocumented)))
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").config(SwaggerConfig::from(OPENAPI_PATH)))
        .route(
            OPENAPI_PATH,
            web::get().to(move || {
                let document = document.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type(ContentType::json())
                        .body(document)
                }
            }),
        )
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                HttpResponse::Found()
                    .insert_header((actix_web::http::header::LOCATION, "/swagger-ui/"))
                    .finish()
            }),
        )
        .default_service(web::to(errors::route_not_found))
        .wrap(from_fn(middleware::error_body::error_body))
        .wrap(Condition::new(
            limited,
            from_fn(middleware::rate_limit::rate_limit),
        ))
        .wrap(from_fn(middleware::json_newline::json_newline))
        .wrap(from_fn(middleware::api_key::require_api_key))
        // Outside the API key check: a preflight carries no credentials.
        .wrap(from_fn(middleware::cors::cors))
        .wrap(from_fn(middleware::admin_prefix::admin_prefix))
        .wrap(from_fn(middleware::security_headers::security_headers))
        .wrap(from_fn(middleware::access_log::access_log))
}
