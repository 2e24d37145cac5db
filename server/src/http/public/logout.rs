//! `GET|POST /oauth2/sessions/logout`: the OP's `end_session_endpoint` (OIDC
//! RP-Initiated Logout 1.0 §2: "The OP MUST support the use of the HTTP GET and POST
//! methods"). A browser endpoint: it answers with redirects and HTML pages.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::authorize::{cookie, cookies_of, pairs, request_url};
use crate::flow::logout::browser::{self as logout, LogoutOutcome, LogoutResult};
use crate::html::{DEFAULT_HTML_CSP, HtmlPage, error_page};
use crate::http::forwarded::ClientOrigin;
use crate::http::middleware::security_headers::html_response;
use crate::oauth2::form::FormParams;
use crate::state::AppState;

pub(crate) fn respond(req: &HttpRequest, result: LogoutResult) -> HttpResponse {
    let (mut builder, page) = match result.outcome {
        LogoutOutcome::Redirect(url) => {
            let mut b = HttpResponse::SeeOther();
            b.insert_header((header::LOCATION, url));
            (b, None)
        }
        LogoutOutcome::Page(page) => (HttpResponse::Ok(), Some(page)),
        LogoutOutcome::ErrorPage(err) => (
            HttpResponse::build(StatusCode::from_u16(err.status()).unwrap_or_default()),
            Some(HtmlPage {
                body: error_page(&err),
                csp: DEFAULT_HTML_CSP.to_owned(),
            }),
        ),
    };
    builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    let https = ClientOrigin::of(req).https;
    for spec in &result.cookies {
        builder.cookie(cookie(spec, https));
    }
    match page {
        Some(page) => html_response(builder, page),
        None => builder.finish(),
    }
}

/// OpenID Connect front- and back-channel enabled logout
///
/// The relying party sends the user agent here to log out (OIDC RP-Initiated Logout
/// 1.0) with `id_token_hint`, `post_logout_redirect_uri`, `state` and `client_id`. With
/// a session the user agent goes on to the logout app; then the session ends, the
/// relying parties are notified (front- and back-channel) and the user agent goes to the
/// registered `post_logout_redirect_uri`. Not for API clients.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The front-channel logout page, or a logged-out page.", content_type = "text/html", body = String),
        (status = 303, description = "On to the logout app or the post-logout redirect."),
        (status = 400, description = "An error page (e.g. an unregistered post_logout_redirect_uri).", content_type = "text/html", body = String),
        (status = 403, description = "An error page (the logout CSRF cookie is missing or wrong).", content_type = "text/html", body = String),
        (status = 500, description = "An error page (internal error, or urls.logout not configured).", content_type = "text/html", body = String),
        (status = 503, description = "An error page (database unavailable).", content_type = "text/html", body = String)
    )
)]
#[get("/oauth2/sessions/logout")]
pub async fn revoke_oidc_session(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let query = req.query_string();
    let params = FormParams::new(pairs(query));
    let url = request_url(&state, &req, query);
    respond(
        &req,
        logout::handle(&state, &params, &cookies_of(&req), &url).await,
    )
}

/// RP-Initiated Logout 1.0 §2: POST with form-encoded parameters.
pub async fn revoke_oidc_session_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: String,
) -> HttpResponse {
    let mut all = pairs(req.query_string());
    all.extend(pairs(&body));
    let params = FormParams::new(all);
    let url = request_url(&state, &req, "");
    respond(
        &req,
        logout::handle(&state, &params, &cookies_of(&req), &url).await,
    )
}
