//! `GET|POST /ui/login`, `/ui/consent`, `/ui/logout`, `/ui/device` and
//! `GET /ui/device/done`: the built-in login UI
//! (`login_ui/`, docs/login-ui.md), registered only when `login_ui.enabled` is on.
//! Thin: read the query or form, the browser's CSRF nonce cookie and its address, call
//! `login_ui`, send a 303 or the page. Every answer is `Cache-Control: no-store` (the
//! pages carry challenges and CSRF tokens) and gets the security headers with the
//! page's own policy.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::flow::cookies::SetCookie;
use crate::http::form_body::FormPairs;
use crate::http::forwarded::ClientOrigin;
use crate::http::middleware::security_headers::html_response;
use crate::http::public::authorize::cookie;
use crate::login_ui::{self, Browser, Outcome, csrf, pages};
use crate::oauth2::form::FormParams;
use crate::state::AppState;

/// The routes, for `http::public_app` (undocumented: pages, not API).
pub const ROUTES: &[(&str, &str)] = &[
    ("/ui/login", "GET"),
    ("/ui/login", "POST"),
    ("/ui/consent", "GET"),
    ("/ui/consent", "POST"),
    ("/ui/logout", "GET"),
    ("/ui/logout", "POST"),
    ("/ui/device", "GET"),
    ("/ui/device", "POST"),
    ("/ui/device/done", "GET"),
];

/// Registers the pages on `app`'s service config.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui/login", web::get().to(login_get))
        .route("/ui/login", web::post().to(login_post))
        .route("/ui/consent", web::get().to(consent_get))
        .route("/ui/consent", web::post().to(consent_post))
        .route("/ui/logout", web::get().to(logout_get))
        .route("/ui/logout", web::post().to(logout_post))
        .route("/ui/device", web::get().to(device_get))
        .route("/ui/device", web::post().to(device_post))
        .route("/ui/device/done", web::get().to(device_done));
}

/// The browser's CSRF nonce and address; `new_cookie` when it had no valid nonce.
pub(super) fn browser(req: &HttpRequest) -> (Browser, bool) {
    let existing = req
        .cookie(csrf::COOKIE_NAME)
        .map(|c| c.value().to_owned())
        .filter(|v| csrf::is_nonce(v));
    let new_cookie = existing.is_none();
    let nonce = existing.unwrap_or_else(csrf::new_nonce);
    let ip = ClientOrigin::of(req).ip;
    (Browser { nonce, ip }, new_cookie)
}

pub(super) fn respond(
    state: &AppState,
    req: &HttpRequest,
    browser: &Browser,
    new_cookie: bool,
    outcome: Outcome,
) -> HttpResponse {
    let mut builder = match &outcome {
        Outcome::Redirect(url) => {
            let mut b = HttpResponse::SeeOther();
            b.insert_header((header::LOCATION, url.clone()));
            b
        }
        Outcome::Page(page) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(page.status).unwrap_or_default(),
        ),
    };
    builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    if new_cookie {
        // A session cookie: it lives as long as the browser, the token as long as
        // its challenge.
        let spec = SetCookie::new(
            &state.config,
            csrf::COOKIE_NAME,
            browser.nonce.clone(),
            None,
        );
        builder.cookie(cookie(&spec, ClientOrigin::of(req).https));
    }
    match outcome {
        Outcome::Redirect(_) => builder.finish(),
        Outcome::Page(page) => html_response(builder, page.html(&state.login_look)),
    }
}

pub(super) fn query(req: &HttpRequest) -> FormParams {
    FormParams::new(
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// The query's `name` parameter, or the 400 page naming it.
fn challenge(req: &HttpRequest, name: &str) -> Result<String, Outcome> {
    query(req)
        .require(name)
        .map(str::to_owned)
        .map_err(|err| Outcome::Page(pages::error(400, err.kind.code(), &err.description())))
}

/// `GET /ui/login?login_challenge=…`: the sign-in form, or on at once for a
/// remembered login.
pub async fn login_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = match challenge(&req, "login_challenge") {
        Ok(challenge) => {
            login_ui::login::show(&state, state.users.as_ref(), &challenge, &browser).await
        }
        Err(page) => page,
    };
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `POST /ui/login`: sign in with a username and password, or cancel.
pub async fn login_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = login_ui::login::submit(
        &state,
        state.users.as_ref(),
        &state.sign_in_limiter,
        &FormParams::new(form.0),
        &browser,
    )
    .await;
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `GET /ui/consent?consent_challenge=…`: the consent page, or on at once for a
/// remembered consent.
pub async fn consent_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = match challenge(&req, "consent_challenge") {
        Ok(challenge) => {
            login_ui::consent::show(&state, state.users.as_ref(), &challenge, &browser).await
        }
        Err(page) => page,
    };
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `POST /ui/consent`: allow the checked scopes, or deny.
pub async fn consent_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = login_ui::consent::submit(
        &state,
        state.users.as_ref(),
        &FormParams::new(form.0),
        &browser,
    )
    .await;
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `GET /ui/logout?logout_challenge=…`: the logout confirmation.
pub async fn logout_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = match challenge(&req, "logout_challenge") {
        Ok(challenge) => login_ui::logout::show(&state, &challenge, &browser).await,
        Err(page) => page,
    };
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `POST /ui/logout`: sign out, or stay signed in.
pub async fn logout_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = login_ui::logout::submit(&state, &FormParams::new(form.0), &browser).await;
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `GET /ui/device?device_challenge=…[&user_code=…]`: the user-code form.
pub async fn device_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = match challenge(&req, "device_challenge") {
        Ok(challenge) => {
            let code = query(&req)
                .get("user_code")
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_owned();
            login_ui::device::show(&state, &challenge, &code, &browser)
        }
        Err(page) => page,
    };
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `POST /ui/device`: submits the user code.
pub async fn device_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    let outcome = login_ui::device::submit(&state, &FormParams::new(form.0), &browser).await;
    respond(&state, &req, &browser, new_cookie, outcome)
}

/// `GET /ui/device/done`: the device is authorized.
pub async fn device_done(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (browser, new_cookie) = browser(&req);
    respond(&state, &req, &browser, new_cookie, login_ui::device::done())
}
