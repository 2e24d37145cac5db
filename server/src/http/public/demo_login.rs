//! `GET /ui/demo/start` and `GET /ui/demo/callback`: dev mode's "Try a login"
//! (`login_ui/demo/`, issue 22 §3), registered only in dev mode with the login UI. Thin:
//! start a flow (sealed cookie, 303 to the authorization endpoint) or hand the
//! callback's query and cookie to `login_ui::demo::callback`. Every answer is
//! `Cache-Control: no-store`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::flow::cookies::SetCookie;
use crate::http::forwarded::ClientOrigin;
use crate::http::middleware::security_headers::html_response;
use crate::http::public::authorize::cookie;
use crate::login_ui::demo::{CALLBACK_PATH, START_PATH, callback, flow_cookie};
use crate::login_ui::pages::{self, Page};
use crate::oauth2::form::FormParams;
use crate::state::AppState;

/// The routes, for `http::public_app` (undocumented: pages, not API).
pub const ROUTES: &[(&str, &str)] = &[(START_PATH, "GET"), (CALLBACK_PATH, "GET")];

/// Registers the routes on `app`'s service config.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(START_PATH, web::get().to(demo_start))
        .route(CALLBACK_PATH, web::get().to(demo_callback));
}

fn page_response(state: &AppState, req: &HttpRequest, page: Page, set: SetCookie) -> HttpResponse {
    let mut builder = HttpResponse::build(StatusCode::from_u16(page.status).unwrap_or_default());
    builder
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .cookie(cookie(&set, ClientOrigin::of(req).https));
    html_response(builder, page.html(&state.login_look))
}

/// `GET /ui/demo/start`: a new flow for the demo client (PKCE, `state`, `nonce`) kept
/// in a sealed cookie, and a 303 to the authorization endpoint.
pub async fn demo_start(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some((url, value)) =
        flow_cookie::start(&state.config, &state.flow.cookie_keys, state.clock.now())
    else {
        let page = pages::error(
            500,
            "server_error",
            "The demo sign-in could not be started.",
        );
        return page_response(
            &state,
            &req,
            page,
            SetCookie::delete(&state.config, flow_cookie::COOKIE_NAME),
        );
    };
    let set = SetCookie::new(
        &state.config,
        flow_cookie::COOKIE_NAME,
        value,
        Some(flow_cookie::LIFETIME_SECONDS),
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .cookie(cookie(&set, ClientOrigin::of(&req).https))
        .finish()
}

/// `GET /ui/demo/callback`: the demo client's redirect URI. The flow cookie is deleted
/// whatever the outcome: a flow is used once.
pub async fn demo_callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let query = FormParams::new(
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    );
    let flow = req
        .cookie(flow_cookie::COOKIE_NAME)
        .map(|c| c.value().to_owned());
    let page = callback::finish(
        &state,
        &state.grants,
        &state.flow.cookie_keys,
        &query,
        flow.as_deref(),
        ClientOrigin::of(&req).ip,
    )
    .await;
    page_response(
        &state,
        &req,
        page,
        SetCookie::delete(&state.config, flow_cookie::COOKIE_NAME),
    )
}
