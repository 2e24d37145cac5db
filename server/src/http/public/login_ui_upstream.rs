//! `GET /auth/login/{provider}`, `GET /auth/callback/{provider}` and `GET|POST
//! /auth/logout`: sign-in through upstream identity providers and the session logout of
//! the built-in login UI (`login_ui::upstream`, `login_ui::session_logout`,
//! docs/login-ui.md), registered with the login UI. Thin: read the path, query, form
//! and cookies, call `login_ui`, send a 303 or the page. The upstream flow's sealed
//! cookie is set on the way out and deleted on the way back, whatever the outcome: a
//! flow is used once.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};

use super::authorize::{cookie, cookies_of};
use super::login_ui::{browser, query, respond};
use crate::config::SameSiteMode;
use crate::flow::cookies::SetCookie;
use crate::http::form_body::FormPairs;
use crate::http::forwarded::ClientOrigin;
use crate::login_ui::upstream::flow_cookie::{COOKIE_NAME, LIFETIME_SECONDS};
use crate::login_ui::upstream::{callback, start};
use crate::login_ui::{Outcome, session_logout};
use crate::oauth2::form::FormParams;
use crate::state::AppState;

/// The routes, for `http::public_app` (undocumented: pages, not API).
pub const ROUTES: &[(&str, &str)] = &[
    ("/auth/login/{provider}", "GET"),
    ("/auth/callback/{provider}", "GET"),
    (session_logout::PATH, "GET"),
    (session_logout::PATH, "POST"),
];

/// Registers the routes on `app`'s service config.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login/{provider}", web::get().to(upstream_login))
        .route(
            "/auth/callback/{provider}",
            web::get().to(upstream_callback),
        )
        .route(session_logout::PATH, web::get().to(session_logout_get))
        .route(session_logout::PATH, web::post().to(session_logout_post));
}

/// The flow cookie: `SameSite=Lax` whatever `serve.cookies.same_site_mode` says, as
/// the provider's redirect back is a cross-site navigation a `Strict` cookie misses.
fn flow_cookie(state: &AppState, value: String, max_age: i64) -> SetCookie {
    let mut spec = SetCookie::new(&state.config, COOKIE_NAME, value, Some(max_age));
    spec.same_site = SameSiteMode::Lax;
    spec
}

fn with_cookie(mut response: HttpResponse, req: &HttpRequest, spec: &SetCookie) -> HttpResponse {
    let https = ClientOrigin::of(req).https;
    // A cookie built here always renders to a valid header.
    let _ = response.add_cookie(&cookie(spec, https));
    response
}

/// `GET /auth/login/{provider}?login_challenge=…`: on to the provider.
pub async fn upstream_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let challenge = match query(&req).require("login_challenge") {
        Ok(challenge) => challenge.to_owned(),
        Err(err) => {
            let page = crate::login_ui::pages::error(400, err.kind.code(), &err.description());
            return respond(&state, &req, &browser, new_cookie, Outcome::Page(page));
        }
    };
    match start::begin(&state, &state.upstreams, &path, &challenge).await {
        Ok((url, value)) => {
            let response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .insert_header(CacheControl(vec![CacheDirective::NoStore]))
                .finish();
            with_cookie(
                response,
                &req,
                &flow_cookie(&state, value, LIFETIME_SECONDS),
            )
        }
        Err(page) => respond(&state, &req, &browser, new_cookie, Outcome::Page(page)),
    }
}

/// `GET /auth/callback/{provider}?code=…&state=…`: back from the provider.
pub async fn upstream_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let flow = req.cookie(COOKIE_NAME).map(|c| c.value().to_owned());
    let outcome = callback::finish(
        &state,
        &state.upstreams,
        &path,
        &query(&req),
        flow.as_deref(),
    )
    .await;
    let response = respond(&state, &req, &browser, new_cookie, outcome);
    with_cookie(response, &req, &flow_cookie(&state, String::new(), 0))
}

/// `GET /auth/logout`: the sign-out confirmation.
pub async fn session_logout_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = session_logout::show(&state, &browser);
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `POST /auth/logout`: ends the browser's session (CSRF-checked).
pub async fn session_logout_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let params = FormParams::new(form.0);
    match session_logout::submit(&state, &params, &browser, &cookies_of(&req)).await {
        Ok(result) => super::logout::respond(&req, result),
        Err(outcome) => respond(&state, &req, &browser, new_cookie, outcome),
    }
}
