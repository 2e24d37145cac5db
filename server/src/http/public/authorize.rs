//! `GET|POST /oauth2/auth`: the authorization endpoint (RFC 6749 §3.1). A browser
//! endpoint: it answers with redirects, a form_post page or an error page.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, web};

use crate::config::SameSiteMode;
use crate::flow::authorize::{self, Outcome};
use crate::flow::cookies::SetCookie;
use crate::html::error_page;
use crate::http::forwarded::ClientOrigin;
use crate::http::middleware::security_headers::html_response;
use crate::oauth2::authorize::response::{AuthorizeResponse, form_post_page};
use crate::oauth2::form::FormParams;
use crate::state::AppState;

/// The cookie `spec` describes. `https`: a trusted proxy says the user agent used
/// HTTPS, which turns `Secure` on even where the configuration leaves it off (dev mode
/// behind a TLS proxy); nothing in a request turns it off.
pub(crate) fn cookie(spec: &SetCookie, https: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(spec.name.clone(), spec.value.clone())
        .path("/")
        .http_only(true)
        .secure(spec.secure || https)
        .same_site(match spec.same_site {
            SameSiteMode::Strict => SameSite::Strict,
            SameSiteMode::Lax => SameSite::Lax,
            SameSiteMode::None => SameSite::None,
        })
        .finish();
    if let Some(max_age) = spec.max_age {
        cookie.set_max_age(actix_web::cookie::time::Duration::seconds(max_age));
    }
    if let Some(domain) = &spec.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

pub(crate) fn respond(
    state: &AppState,
    req: &HttpRequest,
    result: authorize::AuthorizeResult,
) -> HttpResponse {
    let mut builder: HttpResponseBuilder = match &result.outcome {
        Outcome::Redirect(url) | Outcome::Client(AuthorizeResponse::Redirect(url)) => {
            let mut b = HttpResponse::SeeOther();
            b.insert_header((header::LOCATION, url.clone()));
            b
        }
        Outcome::Client(AuthorizeResponse::FormPost { .. }) => HttpResponse::Ok(),
        Outcome::ErrorPage(err) => match &state.config.urls.error {
            Some(error_url) => {
                let mut url = url::Url::parse(error_url).ok();
                if let Some(url) = url.as_mut() {
                    url.query_pairs_mut()
                        .append_pair("error", err.kind.code())
                        .append_pair("error_description", &err.description());
                }
                let mut b = HttpResponse::SeeOther();
                b.insert_header((
                    header::LOCATION,
                    url.map(String::from).unwrap_or_else(|| error_url.clone()),
                ));
                b
            }
            None => HttpResponse::build(
                actix_web::http::StatusCode::from_u16(err.status()).unwrap_or_default(),
            ),
        },
    };
    builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    let https = ClientOrigin::of(req).https;
    for spec in &result.cookies {
        builder.cookie(cookie(spec, https));
    }
    match result.outcome {
        Outcome::Client(AuthorizeResponse::FormPost { action, params }) => {
            html_response(builder, form_post_page(&action, &params))
        }
        Outcome::ErrorPage(err) if state.config.urls.error.is_none() => builder
            .content_type("text/html; charset=utf-8")
            .body(error_page(&err)),
        _ => builder.finish(),
    }
}

pub(crate) fn cookies_of(req: &HttpRequest) -> HashMap<String, String> {
    req.cookies()
        .map(|jar| {
            jar.iter()
                .map(|c| (c.name().to_owned(), c.value().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The URL of this request as the login, consent and logout apps see it (and send
/// the user agent back to): the configured public base URL (`Config::public_url`) with
/// the request's path and `query`. Never the request's `Host` or forwarded headers:
/// they are the sender's to choose, and a base taken from them sent verifiers to the
/// sender's host (issue 12, item 1).
pub(crate) fn request_url(state: &AppState, req: &HttpRequest, query: &str) -> String {
    let base = state.config.public_url();
    match query {
        "" => format!("{base}{}", req.path()),
        query => format!("{base}{}?{query}", req.path()),
    }
}

pub(crate) fn pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// OAuth 2.0 authorize endpoint
///
/// Starts or continues an authorization: redirects the user agent to the login app,
/// the consent app, or back to the client (RFC 6749 §4.1). Not for API clients.
#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The form_post response page (response_mode=form_post).", content_type = "text/html", body = String),
        (status = 303, description = "On to the login app, the consent app, the client, or urls.error."),
        (status = 400, description = "An error page (e.g. the client or redirect URI is invalid).", content_type = "text/html", body = String),
        (status = 401, description = "An error page (the client is unknown).", content_type = "text/html", body = String),
        (status = 500, description = "An error page (internal error).", content_type = "text/html", body = String),
        (status = 503, description = "An error page (database unavailable).", content_type = "text/html", body = String)
    )
)]
#[get("/oauth2/auth")]
pub async fn o_auth2_authorize(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    authorize_get(state, req).await
}

/// `GET` of the authorization endpoint, at whichever path routed here (the canonical
/// one or the seed service's alias): the login and consent apps send the user agent
/// back to that same path.
pub(crate) async fn authorize_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let params = FormParams::new(pairs(req.query_string()));
    let result = authorize::handle(
        &state,
        &params,
        &cookies_of(&req),
        &request_url(&state, &req, req.query_string()),
    )
    .await;
    respond(&state, &req, result)
}

/// RFC 6749 §3.1: "The authorization server MUST support the use of the HTTP GET method
/// … and MAY support the use of the POST method as well." OIDC Core §3.1.2.1 requires
/// POST with form-encoded parameters.
pub async fn o_auth2_authorize_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: String,
) -> HttpResponse {
    let mut all = pairs(req.query_string());
    all.extend(pairs(&body));
    let params = FormParams::new(all);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(&body))
        .finish();
    let url = request_url(&state, &req, &query);
    let result = authorize::handle(&state, &params, &cookies_of(&req), &url).await;
    respond(&state, &req, result)
}
