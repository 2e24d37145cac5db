//! The pages, rendered with askama from `server/templates/login_ui/` (HTML
//! auto-escaping on: every value is escaped where it is written), each with the
//! `Content-Security-Policy` it needs: its stylesheet by hash, the logo's origin, and
//! the places its form may navigate to.
//!
//! Why `form-action` lists more than `'self'`: a form submission's navigation is checked
//! against `form-action` at every redirect it follows (CSP Level 3 §6.3.2.3, enforced by
//! Chromium), and a sign-in or consent ends with a 303 to the authorization endpoint,
//! which redirects on to the client's `redirect_uri` (or a logout to the
//! `post_logout_redirect_uri`). So the policy names the public origin and the origins of
//! the client's registered redirect URIs; nothing else.

use askama::Template;

use crate::html::{HtmlPage, error_page_of, script_hash_source};

/// The one stylesheet, inline and allowed by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}\
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;\
box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.4rem;margin-top:0}\
label{display:block;margin:.8rem 0 .3rem}input[type=text],input:not([type]),\
input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
.check{display:flex;gap:.5rem;align-items:baseline;margin:.5rem 0}.check label{margin:0}\
fieldset{border:1px solid #ccd;border-radius:.3rem}.actions{display:flex;gap:.5rem;margin-top:1.2rem}\
button{padding:.55rem 1.2rem;font-size:1rem;border:0;border-radius:.3rem;background:#2456d6;color:#fff}\
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#a4161a;font-weight:600}\
.logo{max-height:3rem}.providers a{display:block;margin:.5rem 0;padding:.55rem;\
border:1px solid #ccd;border-radius:.3rem;text-align:center;color:#1d2330;text-decoration:none}.links a{margin-right:1rem}pre{overflow-x:auto;font-size:.85rem}";

/// A page and its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub html: HtmlPage,
}

/// One requested scope as the consent page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeView {
    pub name: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "login_ui/login.html")]
pub struct LoginPage<'a> {
    pub title: &'a str,
    pub style: &'a str,
    pub action: &'a str,
    pub client_name: &'a str,
    pub challenge: &'a str,
    pub csrf_token: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    /// "Sign in with …" links to the upstream providers (`login_ui::upstream`).
    pub providers: &'a [ProviderButton],
}

/// One upstream provider's link on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderButton {
    pub label: String,
    /// `/auth/login/{id}?login_challenge=…` on the public URL.
    pub href: String,
}

#[derive(Template)]
#[template(path = "login_ui/consent.html")]
pub struct ConsentPage<'a> {
    pub title: &'a str,
    pub style: &'a str,
    pub action: &'a str,
    pub client_name: &'a str,
    pub logo_uri: Option<&'a str>,
    pub policy_uri: Option<&'a str>,
    pub tos_uri: Option<&'a str>,
    pub signed_in_as: Option<&'a str>,
    pub challenge: &'a str,
    pub csrf_token: &'a str,
    pub scopes: &'a [ScopeView],
    pub audiences: &'a [String],
}

#[derive(Template)]
#[template(path = "login_ui/logout.html")]
pub struct LogoutPage<'a> {
    pub title: &'a str,
    pub style: &'a str,
    pub action: &'a str,
    pub client_name: Option<&'a str>,
    pub challenge: &'a str,
    pub csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "login_ui/device.html")]
pub struct DevicePage<'a> {
    pub title: &'a str,
    pub style: &'a str,
    pub action: &'a str,
    pub challenge: &'a str,
    pub csrf_token: &'a str,
    pub user_code: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login_ui/error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub style: &'a str,
    pub heading: &'a str,
    pub message: &'a str,
    pub code: &'a str,
}

/// The stylesheet the templates embed (their `style` field).
pub fn style() -> &'static str {
    STYLE
}

/// The policy of a page whose form may navigate to `form_targets` (CSP source
/// expressions, `'self'` always added) and that shows an image from `image_source`.
pub fn csp(form_targets: &[String], image_source: Option<&str>) -> String {
    let mut targets = vec!["'self'".to_owned()];
    for target in form_targets {
        if !targets.contains(target) {
            targets.push(target.clone());
        }
    }
    format!(
        "default-src 'none'; style-src {}; img-src {}; form-action {}; base-uri 'none'; \
         frame-ancestors 'none'",
        script_hash_source(STYLE),
        image_source.unwrap_or("'none'"),
        targets.join(" ")
    )
}

/// Renders `template` as a page with `status` and policy `csp`. A template that fails
/// to render (a bug, not a request's fault) becomes a plain error page.
pub fn render(template: &impl Template, status: u16, csp: String) -> Page {
    match template.render() {
        Ok(body) => Page {
            status,
            html: HtmlPage { body, csp },
        },
        Err(err) => {
            tracing::error!(error = %err, "a login UI template failed to render");
            Page {
                status: 500,
                html: HtmlPage {
                    body: error_page_of("server_error", "The page could not be rendered."),
                    csp: crate::html::DEFAULT_HTML_CSP.to_owned(),
                },
            }
        }
    }
}

/// The error page for an error `code` (an RFC 6749 code) with `message`.
pub fn error(status: u16, code: &str, message: &str) -> Page {
    let heading = match status {
        403 => "This form cannot be used",
        404 | 410 => "This sign-in request is no longer valid",
        429 => "Too many attempts",
        _ => "Something went wrong",
    };
    render(
        &ErrorPage {
            title: heading,
            style: STYLE,
            heading,
            message,
            code,
        },
        status,
        csp(&[], None),
    )
}

/// A 200 page that only tells the user something (`heading`, `message`).
pub fn notice(heading: &str, message: &str) -> Page {
    render(
        &ErrorPage {
            title: heading,
            style: STYLE,
            heading,
            message,
            code: "",
        },
        200,
        csp(&[], None),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_every_page() {
        let evil = "<script>alert(1)</script>\"'&";
        let scopes = [ScopeView {
            name: evil.into(),
            description: evil.into(),
        }];
        let audiences = [evil.to_owned()];
        let pages = [
            LoginPage {
                title: "Sign in",
                style: STYLE,
                action: "/ui/login",
                client_name: evil,
                challenge: evil,
                csrf_token: evil,
                username: evil,
                error: Some(evil),
                providers: &[ProviderButton {
                    label: evil.into(),
                    href: evil.into(),
                }],
            }
            .render()
            .unwrap(),
            ConsentPage {
                title: "Consent",
                style: STYLE,
                action: "/ui/consent",
                client_name: evil,
                logo_uri: Some(evil),
                policy_uri: Some(evil),
                tos_uri: Some(evil),
                signed_in_as: Some(evil),
                challenge: evil,
                csrf_token: evil,
                scopes: &scopes,
                audiences: &audiences,
            }
            .render()
            .unwrap(),
            LogoutPage {
                title: "Sign out",
                style: STYLE,
                action: "/ui/logout",
                client_name: Some(evil),
                challenge: evil,
                csrf_token: evil,
            }
            .render()
            .unwrap(),
            DevicePage {
                title: "Connect a device",
                style: STYLE,
                action: "/ui/device",
                challenge: evil,
                csrf_token: evil,
                user_code: evil,
                error: Some(evil),
            }
            .render()
            .unwrap(),
            ErrorPage {
                title: "Error",
                style: STYLE,
                heading: evil,
                message: evil,
                code: evil,
            }
            .render()
            .unwrap(),
        ];
        for page in pages {
            assert!(!page.contains("<script>"), "{page}");
            assert!(!page.contains("\"'&"), "{page}");
            assert!(
                page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
                "{page}"
            );
            assert!(page.contains(STYLE), "the stylesheet is written as is");
        }
    }

    #[test]
    fn the_policy_allows_the_stylesheet_and_the_form_targets_only() {
        let policy = csp(&["https://auth.example".into(), "'self'".into()], None);
        assert!(policy.contains(&format!("style-src {}", script_hash_source(STYLE))));
        assert!(policy.contains("form-action 'self' https://auth.example;"));
        assert!(policy.contains("img-src 'none'"));
        assert!(!policy.contains("script-src"));
    }
}
