//! Security headers on every response of both listeners (issue 12, item 9):
//! `X-Content-Type-Options: nosniff` everywhere (JSON included), and on HTML
//! `Content-Security-Policy`, `X-Frame-Options: DENY` and `Referrer-Policy:
//! no-referrer`. A handler that knows what its page needs (the form_post page, the
//! front-channel logout page) sets its own policy (`html_response`); other HTML gets
//! `DEFAULT_HTML_CSP`, and Swagger UI a policy for its bundled files.
//!
//! `Referrer-Policy: no-referrer` matters most: the pages are reached with codes,
//! verifiers and tokens in their URLs, which must not leak to what they link or load.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderMap, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, HttpResponseBuilder};

use crate::html::{DEFAULT_HTML_CSP, HtmlPage};

/// Swagger UI (admin listener): its scripts, styles, images and the document are its
/// own files; it sets inline styles and uses `data:` images. Nothing from elsewhere,
/// no inline script, no framing.
pub const SWAGGER_UI_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// An HTML response with `page`'s own policy.
pub fn html_response(mut builder: HttpResponseBuilder, page: HtmlPage) -> HttpResponse {
    if let Ok(csp) = HeaderValue::from_str(&page.csp) {
        builder.insert_header((CONTENT_SECURITY_POLICY, csp));
    }
    builder
        .content_type("text/html; charset=utf-8")
        .body(page.body)
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Adds the headers to `headers` of a response to a request for `path`.
pub fn add_security_headers(path: &str, headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !is_html(headers) {
        return;
    }
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        let policy = if path == "/swagger-ui" || path.starts_with("/swagger-ui/") {
            SWAGGER_UI_CSP
        } else {
            DEFAULT_HTML_CSP
        };
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    }
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// `SWAGGER_UI_CSP` that may also connect to the public listener's origin (the
/// document's public paths name it: `http/openapi.rs`).
pub fn swagger_ui_csp(public_url: &str) -> String {
    let origin = url::Url::parse(public_url)
        .ok()
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
        .map(|o| o.ascii_serialization());
    match origin {
        Some(origin) => SWAGGER_UI_CSP.replace(
            "connect-src 'self'",
            &format!("connect-src 'self' {origin}"),
        ),
        None => SWAGGER_UI_CSP.to_owned(),
    }
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let path = req.path().to_owned();
    let swagger_csp = (path == "/swagger-ui" || path.starts_with("/swagger-ui/"))
        .then(|| req.app_data::<actix_web::web::Data<crate::state::AppState>>())
        .flatten()
        .map(|state| swagger_ui_csp(&state.config.public_url()));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if let Some(csp) = swagger_csp.and_then(|csp| HeaderValue::from_str(&csp).ok())
        && is_html(headers)
        && !headers.contains_key(CONTENT_SECURITY_POLICY)
    {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    add_security_headers(&path, headers);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    fn get<'a>(headers: &'a HeaderMap, name: &actix_web::http::header::HeaderName) -> &'a str {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn json_gets_nosniff_only() {
        let mut headers = with_type("application/json");
        add_security_headers("/oauth2/token", &mut headers);
        assert_eq!(get(&headers, &X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(!headers.contains_key(CONTENT_SECURITY_POLICY));
        assert!(!headers.contains_key(X_FRAME_OPTIONS));
        let mut empty = HeaderMap::new();
        add_security_headers("/oauth2/auth", &mut empty);
        assert_eq!(get(&empty, &X_CONTENT_TYPE_OPTIONS), "nosniff");
    }

    #[test]
    fn html_gets_the_default_policy_unless_it_has_one() {
        let mut headers = with_type("text/html; charset=utf-8");
        add_security_headers("/oauth2/auth", &mut headers);
        assert_eq!(get(&headers, &CONTENT_SECURITY_POLICY), DEFAULT_HTML_CSP);
        assert_eq!(get(&headers, &X_FRAME_OPTIONS), "DENY");
        assert_eq!(get(&headers, &REFERRER_POLICY), "no-referrer");
        let mut own = with_type("TEXT/HTML");
        own.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'sha256-x'"),
        );
        add_security_headers("/oauth2/auth", &mut own);
        assert_eq!(get(&own, &CONTENT_SECURITY_POLICY), "script-src 'sha256-x'");
        assert_eq!(get(&own, &X_FRAME_OPTIONS), "DENY");
        let mut swagger = with_type("text/html");
        add_security_headers("/swagger-ui/", &mut swagger);
        assert_eq!(get(&swagger, &CONTENT_SECURITY_POLICY), SWAGGER_UI_CSP);
    }
}
