//! `GET /` on the public listener in dev mode: a small page that says where to go next
//! (issue 21). Outside dev mode the route is not registered and `/` stays the JSON 404
//! of any unknown path: a production server has nothing to show there.
//!
//! Every URL on the page comes from the configuration (issuer, admin port), never from
//! the request's `Host` (docs/hydra-differences.md, "URLs never come from request
//! headers").

use actix_web::{HttpResponse, web};

use crate::config::Config;
use crate::html::{DEFAULT_HTML_CSP, HtmlPage};
use crate::http::middleware::security_headers::html_response;
use crate::login_ui::demo::{CLIENT_ID, START_PATH, is_served};
use crate::state::AppState;
use crate::users::seed::DEMO_USERNAME;

/// The admin listener's base URL as a local browser reaches it: its configured host,
/// with loopback for "all interfaces" (which a browser cannot open).
pub fn admin_base_url(config: &Config) -> String {
    let host = config.bind_host(&config.serve.admin.host);
    let host = match host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1".to_owned(),
        "::" | "[::]" => "[::1]".to_owned(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_owned(),
    };
    format!("http://{host}:{}", config.serve.admin.port)
}

/// HTML-escapes configuration values put on the page.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The "Try a login" section (issue 22 §3), when the demo is served.
fn try_login(config: &Config) -> String {
    format!(
        "<h2>Try a login</h2>\n<p><a id=\"try-login\" href=\"{}{START_PATH}\">Try a login</a>: \
         an authorization code flow with PKCE for the demo client <code>{CLIENT_ID}</code> \
         through the built-in pages. Sign in as <code>{DEMO_USERNAME}</code> with the \
         password <code>portunus serve</code> printed, consent, and see the tokens' \
         claims.</p>\n",
        escape(&config.public_url())
    )
}

/// The page: links to Swagger UI, discovery and the JWKS, and the next steps; with
/// `demo`, the "Try a login" link first.
pub fn page(config: &Config, demo: bool) -> String {
    let try_login = if demo {
        try_login(config)
    } else {
        String::new()
    };
    let public = escape(&config.public_url());
    let admin = escape(&admin_base_url(config));
    let issuer = escape(&config.issuer());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Portunus (dev mode)</title></head><body>\n\
         <h1>Portunus is running (dev mode)</h1>\n\
         <p>Issuer: <code>{issuer}</code>. Dev mode is for trying Portunus out, never for \
         production.</p>\n{try_login}<ul>\n\
         <li><a href=\"{admin}/swagger-ui/\">Swagger UI</a>: every endpoint of both \
         listeners, with &ldquo;Try it out&rdquo; (served by the admin listener, \
         <code>{admin}</code>)</li>\n\
         <li><a href=\"{public}/.well-known/openid-configuration\">OpenID Connect \
         discovery</a></li>\n\
         <li><a href=\"{public}/.well-known/jwks.json\">JSON Web Key Set</a></li>\n\
         <li><a href=\"{public}/health/ready\">Readiness</a></li>\n</ul>\n\
         <h2>Get a token</h2>\n\
         <pre>portunus create client --id demo --grant-type client_credentials --scope read\n\
         PORTUNUS_CLIENT_SECRET=&lt;the secret printed above&gt; \\\n  \
         portunus perform client-credentials --client-id demo --scope read</pre>\n\
         <p>More in the repository: <code>README.md</code> (&ldquo;A five-minute \
         tour&rdquo;), <code>docs/curl.md</code> (every grant with curl), \
         <code>docs/login-consent.md</code> (the login and consent app).</p>\n\
         </body></html>\n"
    )
}

/// `GET /` (dev mode only; see the module documentation). The "Try a login" link only
/// when the login UI serves it and the demo client exists (an operator may delete it).
pub async fn dev_home(state: web::Data<AppState>) -> HttpResponse {
    let demo = is_served(&state.config)
        && matches!(state.clients.get_client(CLIENT_ID).await, Ok(Some(_)));
    html_response(
        HttpResponse::Ok(),
        HtmlPage {
            body: page(&state.config, demo),
            csp: DEFAULT_HTML_CSP.to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_url_is_reachable_from_a_local_browser() {
        let mut config = Config::default();
        config.serve.admin.port = 4445;
        config.serve.admin.host = Some("0.0.0.0".into());
        assert_eq!(admin_base_url(&config), "http://127.0.0.1:4445");
        config.serve.admin.host = Some("::1".into());
        assert_eq!(admin_base_url(&config), "http://[::1]:4445");
        config.serve.admin.host = Some("10.0.0.2".into());
        assert_eq!(admin_base_url(&config), "http://10.0.0.2:4445");
    }

    #[test]
    fn configuration_values_are_escaped() {
        let mut config = Config::default();
        config.urls.self_.issuer = Some("https://a.example/<script>".into());
        let page = page(&config, true);
        assert!(!page.contains("<script>"));
        assert!(page.contains("/ui/demo/start\""));
        assert!(!super::page(&config, false).contains("/ui/demo/start"));
        assert!(page.contains("&lt;script&gt;"));
    }
}
