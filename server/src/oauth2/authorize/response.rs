//! Encoding authorization responses (RFC 6749 §4.1.2) and their errors (§4.1.2.1) for
//! the chosen response mode; HTTP-free: the handler turns these into responses.

use super::request::{RedirectTarget, ResponseMode};
use crate::error::OAuth2Error;

/// What the user agent receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeResponse {
    /// 303 to this URL.
    Redirect(String),
    /// An auto-submitting HTML form (OAuth 2.0 Form Post Response Mode §2).
    FormPost {
        action: String,
        params: Vec<(String, String)>,
    },
}

/// The success response: `params`, then `state` (RFC 6749 §4.1.2) and `iss` for the
/// target. RFC 9207 §2: "Authorization servers supporting this specification MUST provide
/// their issuer identifier to the client in the iss parameter in any authorization
/// response", so a client can tell which server answered (the mix-up defence of RFC 9700
/// §4.4). Every response the user agent carries to the client is built here, errors
/// included, in every response mode.
pub fn success(target: &RedirectTarget, mut params: Vec<(String, String)>) -> AuthorizeResponse {
    if let Some(state) = &target.state {
        params.push(("state".into(), state.clone()));
    }
    if !target.issuer.is_empty() {
        params.push(("iss".into(), target.issuer.clone()));
    }
    encode(target, params)
}

/// The error response: `error`, `error_description`, `state` (RFC 6749 §4.1.2.1) and
/// `iss` (RFC 9207 §2).
pub fn error(err: &OAuth2Error, target: &RedirectTarget) -> AuthorizeResponse {
    let params = vec![
        ("error".to_owned(), err.kind.code().to_owned()),
        ("error_description".to_owned(), err.description()),
    ];
    success(target, params)
}

fn encode(target: &RedirectTarget, params: Vec<(String, String)>) -> AuthorizeResponse {
    match target.response_mode {
        ResponseMode::FormPost => AuthorizeResponse::FormPost {
            action: target.redirect_uri.clone(),
            params,
        },
        ResponseMode::Query => {
            // RFC 6749 §3.1.2: the redirect URI's own query "MUST be retained".
            let mut url = match url::Url::parse(&target.redirect_uri) {
                Ok(url) => url,
                Err(_) => return AuthorizeResponse::Redirect(target.redirect_uri.clone()),
            };
            url.query_pairs_mut().extend_pairs(params);
            AuthorizeResponse::Redirect(url.into())
        }
        ResponseMode::Fragment => {
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let base = target.redirect_uri.split('#').next().unwrap_or_default();
            AuthorizeResponse::Redirect(format!("{base}#{fragment}"))
        }
    }
}

/// An HTML page with the `Content-Security-Policy` it needs: its inline script is
/// allowed by hash, whatever it loads or submits to by origin, nothing else. The HTTP
/// layer sends `csp` as the header (and adds the other security headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    pub body: String,
    pub csp: String,
}

/// The policy of pages with nothing to load, run, submit or frame (error pages): also
/// what the HTTP layer gives any HTML response that brings no policy of its own.
pub const DEFAULT_HTML_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// CSP Level 3 §2.3.1 hash-source for an inline `<script>` whose text is `script`.
pub fn script_hash_source(script: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// CSP Level 3 §2.3.1 source expression for `url`'s origin (`https://rp.example:8443`),
/// or its scheme (`com.example.app:`) when it has no host. `None` when the URL does not
/// parse; a host with characters a source expression cannot hold also falls back to the
/// scheme, so no URL can add a directive.
pub fn origin_source(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let scheme = parsed.scheme();
    let plain = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
    };
    Some(match parsed.host_str() {
        Some(host) if plain(host) => match parsed.port() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        },
        _ => format!("{scheme}:"),
    })
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// The script of the form_post page (fixed, so its hash is too).
const FORM_POST_SCRIPT: &str = "document.forms[0].submit();";

/// The Form Post Response Mode page: a form that submits itself to the client. Its
/// policy runs only that script and submits only to the redirect URI's origin.
pub fn form_post_page(action: &str, params: &[(String, String)]) -> HtmlPage {
    let inputs: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
                html_escape(name),
                html_escape(value)
            )
        })
        .collect();
    let body = format!(
        "<!DOCTYPE html><html><head><title>Submit This Form</title></head><body>\
         <form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{FORM_POST_SCRIPT}</script></body></html>",
        html_escape(action)
    );
    let form_action = origin_source(action).unwrap_or_else(|| "'none'".to_owned());
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {form_action}; base-uri 'none'; frame-ancestors 'none'",
        script_hash_source(FORM_POST_SCRIPT)
    );
    HtmlPage { body, csp }
}

/// The page shown when an error cannot be sent to the client.
pub fn error_page(err: &OAuth2Error) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body>\
         <h1>{}</h1><p>{}</p></body></html>",
        html_escape(err.kind.code()),
        html_escape(&err.description())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://auth.example.com/";
    const ISS: &str = "iss=https%3A%2F%2Fauth.example.com%2F";

    fn target(mode: ResponseMode) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: "https://app.example.com/cb?keep=1".into(),
            state: Some("s t&".into()),
            response_mode: mode,
            issuer: ISSUER.into(),
        }
    }

    #[test]
    fn query_keeps_the_redirect_query_and_adds_state_and_iss() {
        let r = success(
            &target(ResponseMode::Query),
            vec![("code".into(), "abc".into())],
        );
        assert_eq!(
            r,
            AuthorizeResponse::Redirect(format!(
                "https://app.example.com/cb?keep=1&code=abc&state=s+t%26&{ISS}"
            ))
        );
    }

    #[test]
    fn fragment_and_form_post() {
        let r = success(
            &target(ResponseMode::Fragment),
            vec![("code".into(), "abc".into())],
        );
        assert_eq!(
            r,
            AuthorizeResponse::Redirect(format!(
                "https://app.example.com/cb?keep=1#code=abc&state=s+t%26&{ISS}"
            ))
        );
        let AuthorizeResponse::FormPost { action, params } = error(
            &OAuth2Error::new(crate::error::ErrorKind::AccessDenied),
            &target(ResponseMode::FormPost),
        ) else {
            panic!("form post expected")
        };
        let page = form_post_page(&action, &params);
        assert!(page.body.contains("name=\"error\" value=\"access_denied\""));
        assert!(page.body.contains("value=\"s t&amp;\""), "{page:?}");
        assert!(
            page.csp.contains("form-action https://app.example.com;"),
            "{}",
            page.csp
        );
        // The one inline script is the one the policy's hash allows.
        let script = page
            .body
            .split("<script>")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap();
        assert!(
            page.csp.contains(&script_hash_source(script)),
            "{}",
            page.csp
        );
        assert!(!page.body.contains("onload="), "no inline handlers");
        assert!(
            page.body
                .contains(&format!("name=\"iss\" value=\"{ISSUER}\"")),
            "{page:?}"
        );
    }

    /// RFC 9207 §2: "in any authorization response", errors included, in every mode.
    #[test]
    fn every_response_carries_iss_once() {
        let err = OAuth2Error::new(crate::error::ErrorKind::InvalidScope);
        for mode in [
            ResponseMode::Query,
            ResponseMode::Fragment,
            ResponseMode::FormPost,
        ] {
            for response in [
                success(&target(mode), vec![("code".into(), "abc".into())]),
                error(&err, &target(mode)),
            ] {
                let pairs: Vec<(String, String)> = match response {
                    AuthorizeResponse::FormPost { params, .. } => params,
                    AuthorizeResponse::Redirect(url) => {
                        let encoded = match mode {
                            ResponseMode::Fragment => url.split_once('#').unwrap().1.to_owned(),
                            _ => url::Url::parse(&url).unwrap().query().unwrap().to_owned(),
                        };
                        url::form_urlencoded::parse(encoded.as_bytes())
                            .into_owned()
                            .collect()
                    }
                };
                let iss: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| k == "iss")
                    .map(|(_, v)| v.as_str())
                    .collect();
                assert_eq!(iss, vec![ISSUER], "{mode:?}: {pairs:?}");
            }
        }
    }

    #[test]
    fn source_expressions_are_origins_or_schemes() {
        assert_eq!(
            origin_source("https://rp.example:8443/cb?x=1").as_deref(),
            Some("https://rp.example:8443")
        );
        assert_eq!(
            origin_source("http://[::1]:9000/cb").as_deref(),
            Some("http://[::1]:9000")
        );
        assert_eq!(
            origin_source("com.example.app:/callback").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(
            origin_source("myapp://a;script-src%20*/cb").as_deref(),
            Some("myapp:"),
            "a host that could add a directive is cut to the scheme"
        );
        assert_eq!(origin_source("not a url"), None);
        // RFC 4648 base64 of the SHA-256 of the empty string.
        assert_eq!(
            script_hash_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
