//! Encoding authorization responses (RFC 6749 §4.1.2) and their errors (§4.1.2.1) for
//! the chosen response mode; HTTP-free: the handler turns these into responses.

use super::request::{RedirectTarget, ResponseMode};
use crate::error::OAuth2Error;
use crate::html::{HtmlPage, html_escape, origin_source, script_hash_source};

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
}
