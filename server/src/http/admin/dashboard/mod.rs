//! `GET /admin` and the pages under `/admin/ui/` (`dashboard`, docs/dashboard.md),
//! registered on the admin listener before the API's `/admin` scope. Undocumented in
//! the OpenAPI document (pages, not API), like the login UI's.
//!
//! Access: `serve.admin.api_key`'s bearer check (`middleware/api_key.rs`) leaves these
//! paths to [`Visit::allowed`]: with a key configured, a page needs the sealed session
//! cookie the sign-in form sets; without one, the dashboard is as open as the API.
//! Every POST checks the form's CSRF token first ([`Visit::csrf_ok`]). Every answer is
//! `Cache-Control: no-store` (pages hold CSRF tokens and, once, client secrets) and
//! gets the security headers with the dashboard's own policy.

pub mod clients;
pub mod keys;
pub mod overview;
pub mod sessions;
pub mod trust;
pub mod users;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dashboard::pages::{self, Chrome, Page, SignInPage};
use crate::dashboard::{PREFIX, bounded_form, field, session};
use crate::http::ListenerSettings;
use crate::http::form_body::FormPairs;
use crate::http::forwarded::ClientOrigin;
use crate::http::middleware::security_headers::html_response;
use crate::login_ui::csrf::{self, FormKind};
use crate::state::AppState;

/// The browser's CSRF nonce cookie on the admin listener (scoped to [`PREFIX`]).
pub const CSRF_COOKIE: &str = "portunus_admin_csrf";

/// The routes, for `http::admin_app` (undocumented: pages, not API; the `Allow`
/// header of a 405 lists them).
pub const ROUTES: &[(&str, &str)] = &[
    ("/admin", "GET"),
    ("/admin/ui", "GET"),
    ("/admin/ui/", "GET"),
    ("/admin/ui/sign-in", "GET"),
    ("/admin/ui/sign-in", "POST"),
    ("/admin/ui/sign-out", "POST"),
    ("/admin/ui/clients", "GET"),
    ("/admin/ui/clients", "POST"),
    ("/admin/ui/create-client", "GET"),
    ("/admin/ui/clients/{id}", "GET"),
    ("/admin/ui/clients/{id}/edit", "GET"),
    ("/admin/ui/clients/{id}/edit", "POST"),
    ("/admin/ui/clients/{id}/delete", "GET"),
    ("/admin/ui/clients/{id}/delete", "POST"),
    ("/admin/ui/clients/{id}/rotate-secret", "POST"),
    ("/admin/ui/keys", "GET"),
    ("/admin/ui/keys/{set}", "GET"),
    ("/admin/ui/keys/{set}", "POST"),
    ("/admin/ui/keys/{set}/{kid}/delete", "GET"),
    ("/admin/ui/keys/{set}/{kid}/delete", "POST"),
    ("/admin/ui/users", "GET"),
    ("/admin/ui/users", "POST"),
    ("/admin/ui/users/{id}", "GET"),
    ("/admin/ui/users/{id}", "POST"),
    ("/admin/ui/users/{id}/password", "POST"),
    ("/admin/ui/users/{id}/delete", "GET"),
    ("/admin/ui/users/{id}/delete", "POST"),
    ("/admin/ui/sessions", "GET"),
    ("/admin/ui/sessions/revoke-consent", "POST"),
    ("/admin/ui/sessions/revoke-login", "POST"),
    ("/admin/ui/trust", "GET"),
    ("/admin/ui/trust", "POST"),
    ("/admin/ui/trust/{id}/delete", "GET"),
    ("/admin/ui/trust/{id}/delete", "POST"),
];

/// Registers the pages; must come before the `/admin` scope, which would otherwise
/// take every `/admin/…` path. The pages live in a scope of their own: actix matches
/// a scope's static prefix first, so the API's requests skip the pages' `{id}` routes
/// and the regular expression each of them costs (~3% of the server's CPU in the
/// soak's mix, docs/benchmarks.md) instead of trying every one of them.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/admin", web::get().to(home)).service(
        scope::scope("/admin/ui")
            .route("", web::get().to(overview::show))
            .route("/", web::get().to(overview::show))
            .route("/sign-in", web::get().to(sign_in_form))
            .route("/sign-in", web::post().to(sign_in))
            .route("/sign-out", web::post().to(sign_out))
            .route("/clients", web::get().to(clients::list))
            .route("/clients", web::post().to(clients::create))
            .route("/create-client", web::get().to(clients::create_form))
            .route("/clients/{id}", web::get().to(clients::show))
            .route("/clients/{id}/edit", web::get().to(clients::edit_form))
            .route("/clients/{id}/edit", web::post().to(clients::edit))
            .route(
                "/clients/{id}/delete",
                web::get().to(clients::confirm_delete),
            )
            .route("/clients/{id}/delete", web::post().to(clients::delete))
            .route(
                "/clients/{id}/rotate-secret",
                web::post().to(clients::rotate_secret),
            )
            .route("/keys", web::get().to(keys::index))
            .route("/keys/{set}", web::get().to(keys::show))
            .route("/keys/{set}", web::post().to(keys::create))
            .route(
                "/keys/{set}/{kid}/delete",
                web::get().to(keys::confirm_delete),
            )
            .route("/keys/{set}/{kid}/delete", web::post().to(keys::delete))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}/delete", web::get().to(users::confirm_delete))
            .route("/users/{id}/delete", web::post().to(users::delete))
            .route("/users/{id}", web::get().to(users::show))
            .route("/users/{id}", web::post().to(users::edit))
            .route("/users/{id}/password", web::post().to(users::set_password))
            .route("/sessions", web::get().to(sessions::show))
            .route(
                "/sessions/revoke-consent",
                web::post().to(sessions::revoke_consent),
            )
            .route(
                "/sessions/revoke-login",
                web::post().to(sessions::revoke_login),
            )
            .route("/trust", web::get().to(trust::list))
            .route("/trust", web::post().to(trust::create))
            .route("/trust/{id}/delete", web::get().to(trust::confirm_delete))
            .route("/trust/{id}/delete", web::post().to(trust::delete)),
    );
}

/// One request of a browser to the dashboard: its CSRF nonce (new when it had none),
/// whether it may see the pages, and whether its cookies must be `Secure`.
pub struct Visit {
    nonce: String,
    new_nonce: bool,
    /// The form token of this browser's nonce.
    pub csrf_token: String,
    /// Signed in, or no API key guards the dashboard.
    pub allowed: bool,
    /// An API key guards the dashboard (the pages show "Sign out").
    pub guarded: bool,
    https: bool,
}

impl Visit {
    /// Reads the browser's cookies.
    pub fn of(state: &AppState, req: &HttpRequest) -> Self {
        let existing = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| csrf::is_nonce(v));
        let new_nonce = existing.is_none();
        let nonce = existing.unwrap_or_else(csrf::new_nonce);
        let csrf_token = csrf::token(&state.cookie_keys, FormKind::AdminDashboard, "", &nonce)
            .unwrap_or_default();
        let api_key = state.config.serve.admin.api_key.as_deref();
        let allowed = match api_key {
            None => true,
            Some(key) => req.cookie(session::COOKIE_NAME).is_some_and(|c| {
                session::is_valid(&state.cookie_keys, key, c.value(), state.clock.now())
            }),
        };
        let tls = req
            .app_data::<web::Data<ListenerSettings>>()
            .is_some_and(|s| s.tls);
        Self {
            nonce,
            new_nonce,
            csrf_token,
            allowed,
            guarded: api_key.is_some(),
            https: tls || ClientOrigin::of(req).https,
        }
    }

    /// Whether a posted form carries this browser's CSRF token (constant time).
    pub fn csrf_ok(&self, state: &AppState, form: &[(String, String)]) -> bool {
        !self.new_nonce
            && csrf::verify(
                &state.cookie_keys,
                FormKind::AdminDashboard,
                "",
                Some(&self.nonce),
                Some(field(form, "csrf_token")),
            )
    }

    /// The frame of a page titled `title`.
    pub fn chrome(&self, title: &str) -> Chrome {
        Chrome::new(
            title,
            &self.csrf_token,
            self.allowed,
            self.guarded && self.allowed,
        )
    }

    /// A cookie of the dashboard: HttpOnly, SameSite=Strict, scoped to its pages,
    /// `Secure` when the browser reached the admin listener over HTTPS.
    fn cookie(&self, name: &'static str, value: String, max_age: Option<i64>) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path(PREFIX)
            .http_only(true)
            .secure(self.https)
            .same_site(SameSite::Strict)
            .finish();
        if let Some(seconds) = max_age {
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(seconds));
        }
        cookie
    }

    fn builder(&self, status: u16) -> actix_web::HttpResponseBuilder {
        let mut builder =
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default());
        builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
        if self.new_nonce {
            // A session cookie: the nonce lives as long as the browser.
            builder.cookie(self.cookie(CSRF_COOKIE, self.nonce.clone(), None));
        }
        builder
    }

    /// Sends `page`.
    pub fn page(&self, page: Page) -> HttpResponse {
        html_response(self.builder(page.status), page.html)
    }

    /// A 303 to `location`.
    pub fn redirect(&self, location: &str) -> HttpResponse {
        let mut builder = self.builder(303);
        builder.insert_header((header::LOCATION, location.to_owned()));
        builder.finish()
    }

    /// The answer to a request that may not see the pages: a page is sent to the
    /// sign-in form, a form is refused with 401.
    pub fn refused(&self, is_post: bool) -> HttpResponse {
        if is_post {
            self.page(pages::message(
                &self.chrome("Sign-in required"),
                401,
                "Sign-in required",
                "Sign in with the admin API key first.",
                true,
                Some("/admin/ui/sign-in"),
            ))
        } else {
            self.redirect("/admin/ui/sign-in")
        }
    }

    /// The 403 page of a form without this browser's CSRF token.
    pub fn csrf_failure(&self) -> HttpResponse {
        self.page(pages::message(
            &self.chrome("Form expired"),
            403,
            "This form cannot be used",
            "This form has expired or was not sent from this browser. Go back, reload the page and try again.",
            true,
            Some("/admin/ui/"),
        ))
    }

    /// The page that asks before a deletion: `title` is also its heading and its
    /// button; the form posts to `action`, `cancel` leads back.
    pub fn confirm(&self, title: &str, message: &str, action: &str, cancel: &str) -> HttpResponse {
        let chrome = self.chrome(title);
        self.page(pages::render(
            &pages::ConfirmPage {
                chrome: &chrome,
                heading: title,
                message,
                action,
                button: title,
                cancel,
            },
            200,
        ))
    }

    /// The page of a form whose fields are out of bounds or that the operation refused
    /// (`status`, `message`), for forms without a page of their own to show it on.
    pub fn error(&self, status: u16, message: &str, back: &str) -> HttpResponse {
        self.page(pages::message(
            &self.chrome("Error"),
            status,
            "That did not work",
            message,
            true,
            Some(back),
        ))
    }
}

/// The checks every posted dashboard form passes first: signed in, CSRF token, bounded
/// fields. `Some` is the answer to send instead.
pub fn refusal(state: &AppState, visit: &Visit, form: &[(String, String)]) -> Option<HttpResponse> {
    if !visit.allowed {
        return Some(visit.refused(true));
    }
    if !visit.csrf_ok(state, form) {
        return Some(visit.csrf_failure());
    }
    bounded_form(form)
        .err()
        .map(|message| visit.error(400, &message, "/admin/ui/"))
}

/// `GET /admin`: on to the overview at `/admin/ui/`, where the path-scoped cookies
/// are sent.
async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    visit.redirect("/admin/ui/")
}

fn sign_in_page(visit: &Visit, status: u16, error: Option<&str>) -> HttpResponse {
    let chrome = visit.chrome("Sign in");
    visit.page(pages::render(
        &SignInPage {
            chrome: &chrome,
            error,
        },
        status,
    ))
}

/// `GET /admin/ui/sign-in`: the form asking for the admin API key (on to the pages
/// when no key is configured or the browser is signed in).
async fn sign_in_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if visit.allowed {
        return visit.redirect("/admin/ui/");
    }
    sign_in_page(&visit, 200, None)
}

/// `POST /admin/ui/sign-in`: checks the key (constant time) and sets the session
/// cookie; a wrong key is a 401 with the form again.
async fn sign_in(state: web::Data<AppState>, req: HttpRequest, form: FormPairs) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    let Some(api_key) = state.config.serve.admin.api_key.as_deref() else {
        return visit.redirect("/admin/ui/");
    };
    if !visit.csrf_ok(&state, &form.0) {
        return visit.csrf_failure();
    }
    let presented = field(&form.0, "api_key");
    if presented.len() > session::MAX_KEY_LEN || !session::key_matches(presented, api_key) {
        tracing::warn!(
            client_ip = ?ClientOrigin::of(&req).ip,
            "admin dashboard sign-in with a wrong API key"
        );
        return sign_in_page(&visit, 401, Some("That is not the admin API key."));
    }
    let Some(value) = session::start(&state.cookie_keys, api_key, state.clock.now()) else {
        return visit.error(
            500,
            "The session could not be started.",
            "/admin/ui/sign-in",
        );
    };
    let mut response = visit.redirect("/admin/ui/");
    let cookie = visit.cookie(session::COOKIE_NAME, value, Some(session::LIFETIME_SECONDS));
    if response.add_cookie(&cookie).is_err() {
        return visit.error(
            500,
            "The session could not be started.",
            "/admin/ui/sign-in",
        );
    }
    response
}

/// `POST /admin/ui/sign-out`: deletes the session cookie.
async fn sign_out(state: web::Data<AppState>, req: HttpRequest, form: FormPairs) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.csrf_ok(&state, &form.0) {
        return visit.csrf_failure();
    }
    let mut response = visit.redirect("/admin/ui/sign-in");
    let gone = visit.cookie(session::COOKIE_NAME, String::new(), Some(0));
    if response.add_cookie(&gone).is_err() {
        return visit.error(500, "The session could not be ended.", "/admin/ui/");
    }
    response
}

/// What an operation's error says on a page: its description (with the hint naming
/// the field), and its status when that is a client error; a server error stays one.
pub fn error_text(err: &crate::error::OAuth2Error) -> (u16, String) {
    (err.status(), err.description())
}
