//! `GET|POST /oauth2/sign_out`: the reverse-proxy service's sign-out
//! (docs/forward-auth.md). Thin: reads `rd` (query or form) or else the
//! `X-Auth-Request-Redirect` header, hands it with the cookies to
//! `flow::logout::sign_out`, and answers as the logout endpoint does. A browser
//! endpoint: redirects and HTML pages.

use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use super::authorize::{cookies_of, pairs, request_url};
use super::logout::respond;
use crate::flow::logout::sign_out::sign_out;
use crate::state::AppState;

/// The header a proxy uses to pass the return URL (the proxy's own name for it).
pub const REDIRECT_HEADER: &str = "x-auth-request-redirect";

/// The query of `/oauth2/sign_out`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query; the handler reads raw pairs")]
pub struct SignOutQuery {
    /// Where to send the browser afterwards; honoured only for hosts in
    /// `urls.allowed_return_domains`.
    rd: Option<String>,
}

/// The requested return URL: `rd` from the parameters, else the header. A header that
/// is not valid text counts as absent.
fn return_url(req: &HttpRequest, params: &[(String, String)]) -> Option<String> {
    params
        .iter()
        .find(|(name, _)| name == "rd")
        .map(|(_, value)| value.clone())
        .or_else(|| {
            req.headers()
                .get(REDIRECT_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        })
}

async fn handle(state: &AppState, req: &HttpRequest, params: &[(String, String)]) -> HttpResponse {
    let rd = return_url(req, params);
    let url = request_url(state, req, "");
    respond(
        req,
        sign_out(state, &cookies_of(req), rd.as_deref(), &url).await,
    )
}

/// Sign out of Portunus (reverse proxies)
///
/// Ends the browser's Portunus session, notifies its relying parties (front- and
/// back-channel logout), clears the session cookie and redirects to `rd` (or the
/// `X-Auth-Request-Redirect` header) when its host is in `urls.allowed_return_domains`,
/// else to `urls.post_logout_redirect` or a logged-out page. POST takes `rd` as a form
/// field. Served with forward-auth (`oauth2.forward_auth.enabled`). Not for API clients.
#[utoipa::path(
    tag = "oidc",
    params(SignOutQuery),
    responses(
        (status = 200, description = "The front-channel logout page, or a logged-out page.", content_type = "text/html", body = String),
        (status = 303, description = "On to the allowed return URL or urls.post_logout_redirect."),
        (status = 404, description = "An error page (forward-auth, and with it sign-out, is not enabled).", content_type = "text/html", body = String),
        (status = 500, description = "An error page (internal error).", content_type = "text/html", body = String),
        (status = 503, description = "An error page (database unavailable).", content_type = "text/html", body = String)
    )
)]
#[get("/oauth2/sign_out")]
pub async fn sign_out_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let params = pairs(req.query_string());
    handle(&state, &req, &params).await
}

/// `POST /oauth2/sign_out` with `rd` in the query or a form body.
pub async fn sign_out_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: String,
) -> HttpResponse {
    let mut params = pairs(&body);
    params.extend(pairs(req.query_string()));
    handle(&state, &req, &params).await
}
