//! The pages, rendered with askama from `server/templates/login_ui/` (HTML
//! auto-escaping on: every value is escaped where it is written), or with the
//! operator's override of the same name (`overrides`), each with the
//! `Content-Security-Policy` it needs: its stylesheet by hash, the logo's origin, and
//! the places its form may navigate to.
//!
//! A page is built as its values (`View`) and rendered when sent, with the process's
//! `Look` (branding, stylesheet, overrides): the error pages are made deep in the
//! flow, where the configuration is not at hand, and every page wears the same look.
//!
//! Why `form-action` lists more than `'self'`: a form submission's navigation is checked
//! against `form-action` at every redirect it follows (CSP Level 3 §6.3.2.3, enforced by
//! Chromium), and a sign-in or consent ends with a 303 to the authorization endpoint,
//! which redirects on to the client's `redirect_uri` (or a logout to the
//! `post_logout_redirect_uri`). So the policy names the public origin and the origins of
//! the client's registered redirect URIs; nothing else.

use askama::Template;
use serde::Serialize;

use super::demo::callback::DemoPage;
use super::look::{Chrome, Look};
use crate::html::{HtmlPage, error_page_of, script_hash_source};

/// A page: its HTTP status, its values, and what its policy must allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    /// Boxed: the values are large, and pages travel in `Result`s and `Outcome`s.
    pub view: Box<View>,
    /// Origins (CSP source expressions) its form may navigate to, besides `'self'`.
    pub form_targets: Vec<String>,
    /// The origin of an image of its own (the client's logo on the consent page).
    pub image_source: Option<String>,
}

/// The values of one page, by template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Login(LoginPage),
    Consent(ConsentPage),
    Logout(LogoutPage),
    Device(DevicePage),
    Error(ErrorPage),
    Demo(DemoPage),
}

/// One requested scope as the consent page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScopeView {
    pub name: String,
    pub description: String,
}

#[derive(Template, Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[template(path = "login_ui/login.html")]
pub struct LoginPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: String,
    pub action: String,
    pub client_name: String,
    pub challenge: String,
    pub csrf_token: String,
    pub username: String,
    pub error: Option<String>,
    /// "Sign in with …" links to the upstream providers (`login_ui::upstream`).
    pub providers: Vec<ProviderButton>,
}

/// One upstream provider's link on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProviderButton {
    pub label: String,
    /// `/auth/login/{id}?login_challenge=…` on the public URL.
    pub href: String,
}

#[derive(Template, Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[template(path = "login_ui/consent.html")]
pub struct ConsentPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: String,
    pub action: String,
    pub client_name: String,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub signed_in_as: Option<String>,
    pub challenge: String,
    pub csrf_token: String,
    pub scopes: Vec<ScopeView>,
    pub audiences: Vec<String>,
}

#[derive(Template, Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[template(path = "login_ui/logout.html")]
pub struct LogoutPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: String,
    pub action: String,
    pub client_name: Option<String>,
    pub challenge: String,
    pub csrf_token: String,
}

#[derive(Template, Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[template(path = "login_ui/device.html")]
pub struct DevicePage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: String,
    pub action: String,
    pub challenge: String,
    pub csrf_token: String,
    pub user_code: String,
    pub error: Option<String>,
}

#[derive(Template, Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[template(path = "login_ui/error.html")]
pub struct ErrorPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub title: String,
    pub heading: String,
    pub message: String,
    pub code: String,
}

/// A template of the built-in login UI: its values, dressed in the `Look` to render.
pub trait BuiltIn: Template + Serialize {
    /// The file name under `templates/login_ui/` (and in `login_ui.templates_dir`).
    const NAME: &'static str;
    fn chrome_mut(&mut self) -> &mut Chrome;
}

macro_rules! built_in {
    ($($page:ty => $name:literal),* $(,)?) => {$(
        impl BuiltIn for $page {
            const NAME: &'static str = $name;
            fn chrome_mut(&mut self) -> &mut Chrome {
                &mut self.chrome
            }
        }
    )*};
}

built_in!(
    LoginPage => "login.html",
    ConsentPage => "consent.html",
    LogoutPage => "logout.html",
    DevicePage => "device.html",
    ErrorPage => "error.html",
    DemoPage => "demo.html",
);

/// The page of `view` with `status`, whose form may go to `form_targets` and which
/// shows an image from `image_source`.
pub fn page(
    view: View,
    status: u16,
    form_targets: Vec<String>,
    image_source: Option<String>,
) -> Page {
    Page {
        status,
        view: Box::new(view),
        form_targets,
        image_source,
    }
}

impl Page {
    /// The HTML of this page in `look`: the override of its template when the
    /// directory has one, else the built-in template. A template that fails to render
    /// (a bug, not a request's fault; overrides were test-rendered at startup) falls
    /// back to the built-in one, then to a plain error page.
    pub fn html(self, look: &Look) -> HtmlPage {
        let body = match *self.view {
            View::Login(p) => render_in(p, look),
            View::Consent(p) => render_in(p, look),
            View::Logout(p) => render_in(p, look),
            View::Device(p) => render_in(p, look),
            View::Error(p) => render_in(p, look),
            View::Demo(p) => render_in(p, look),
        };
        match body {
            Some(body) => HtmlPage {
                body,
                csp: csp(look, &self.form_targets, self.image_source.as_deref()),
            },
            None => HtmlPage {
                body: error_page_of("server_error", "The page could not be rendered."),
                csp: crate::html::DEFAULT_HTML_CSP.to_owned(),
            },
        }
    }
}

/// `page` dressed in `look`, through its override if there is one.
pub(crate) fn render_in<T: BuiltIn>(mut page: T, look: &Look) -> Option<String> {
    *page.chrome_mut() = look.chrome.clone();
    if let Some(rendered) = look
        .overrides
        .as_ref()
        .and_then(|o| o.render(T::NAME, &page))
    {
        match rendered {
            Ok(body) => return Some(body),
            Err(err) => {
                tracing::error!(template = T::NAME, error = %err, "a login UI template override failed to render; using the built-in page");
            }
        }
    }
    match page.render() {
        Ok(body) => Some(body),
        Err(err) => {
            tracing::error!(template = T::NAME, error = %err, "a login UI template failed to render");
            None
        }
    }
}

/// The policy of a page in `look` whose form may navigate to `form_targets` (CSP
/// source expressions, `'self'` always added) and that shows an image from
/// `image_source`, besides the configured logo.
pub fn csp(look: &Look, form_targets: &[String], image_source: Option<&str>) -> String {
    let mut targets = vec!["'self'".to_owned()];
    for target in form_targets {
        if !targets.contains(target) {
            targets.push(target.clone());
        }
    }
    let mut images: Vec<&str> = Vec::new();
    for source in [image_source, look.logo_source.as_deref()]
        .into_iter()
        .flatten()
    {
        if !images.contains(&source) {
            images.push(source);
        }
    }
    format!(
        "default-src 'none'; style-src {}; img-src {}; form-action {}; base-uri 'none'; \
         frame-ancestors 'none'",
        script_hash_source(&look.chrome.style),
        if images.is_empty() {
            "'none'".to_owned()
        } else {
            images.join(" ")
        },
        targets.join(" ")
    )
}

/// The error page for an error `code` (an RFC 6749 code) with `message`.
pub fn error(status: u16, code: &str, message: &str) -> Page {
    let heading = match status {
        403 => "This form cannot be used",
        404 | 410 => "This sign-in request is no longer valid",
        429 => "Too many attempts",
        _ => "Something went wrong",
    };
    page(
        View::Error(ErrorPage {
            title: heading.into(),
            heading: heading.into(),
            message: message.into(),
            code: code.into(),
            ..ErrorPage::default()
        }),
        status,
        Vec::new(),
        None,
    )
}

/// A 200 page that only tells the user something (`heading`, `message`).
pub fn notice(heading: &str, message: &str) -> Page {
    page(
        View::Error(ErrorPage {
            title: heading.into(),
            heading: heading.into(),
            message: message.into(),
            ..ErrorPage::default()
        }),
        200,
        Vec::new(),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Branding, LoginUiConfig};

    const EVIL: &str = "<script>alert(1)</script>\"'&";

    fn evil_views() -> Vec<View> {
        let evil = || EVIL.to_owned();
        vec![
            View::Login(LoginPage {
                title: "Sign in".into(),
                action: "/ui/login".into(),
                client_name: evil(),
                challenge: evil(),
                csrf_token: evil(),
                username: evil(),
                error: Some(evil()),
                providers: vec![ProviderButton {
                    label: evil(),
                    href: evil(),
                }],
                ..LoginPage::default()
            }),
            View::Consent(ConsentPage {
                title: "Consent".into(),
                action: "/ui/consent".into(),
                client_name: evil(),
                logo_uri: Some(evil()),
                policy_uri: Some(evil()),
                tos_uri: Some(evil()),
                signed_in_as: Some(evil()),
                challenge: evil(),
                csrf_token: evil(),
                scopes: vec![ScopeView {
                    name: evil(),
                    description: evil(),
                }],
                audiences: vec![evil()],
                ..ConsentPage::default()
            }),
            View::Logout(LogoutPage {
                title: "Sign out".into(),
                action: "/ui/logout".into(),
                client_name: Some(evil()),
                challenge: evil(),
                csrf_token: evil(),
                ..LogoutPage::default()
            }),
            View::Device(DevicePage {
                title: "Connect a device".into(),
                action: "/ui/device".into(),
                challenge: evil(),
                csrf_token: evil(),
                user_code: evil(),
                error: Some(evil()),
                ..DevicePage::default()
            }),
            View::Error(ErrorPage {
                title: "Error".into(),
                heading: evil(),
                message: evil(),
                code: evil(),
                ..ErrorPage::default()
            }),
        ]
    }

    fn assert_escaped(body: &str) {
        assert!(!body.contains("<script>"), "{body}");
        assert!(!body.contains("\"'&"), "{body}");
        assert!(
            body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"),
            "{body}"
        );
    }

    #[test]
    fn values_are_escaped_in_every_page() {
        let look = Look::default();
        for view in evil_views() {
            let html = page(view, 200, Vec::new(), None).html(&look);
            assert_escaped(&html.body);
            assert!(
                html.body.contains(&look.chrome.style),
                "the stylesheet is written as is"
            );
            assert!(html.body.contains("· Portunus</title>"), "{}", html.body);
        }
    }

    #[test]
    fn branding_is_on_every_page_escaped_and_allowed_by_the_policy() {
        // The configuration refuses such a name; the pages escape it all the same.
        let mut look = Look::from_config(&LoginUiConfig {
            branding: Branding {
                product_name: Some("Acme".into()),
                logo_url: Some("https://cdn.acme.example/logo.svg?a=1&b=2".into()),
                primary_color: Some("#a1b2c3".into()),
            },
            ..LoginUiConfig::default()
        });
        look.chrome.branding.product_name = format!("Acme {EVIL}");
        for view in evil_views() {
            let html = page(view, 200, Vec::new(), None).html(&look);
            assert_escaped(&html.body);
            assert!(html.body.contains("<title>"));
            assert!(html.body.contains("Acme &"), "{}", html.body);
            assert!(
                html.body
                    .contains("src=\"https://cdn.acme.example/logo.svg?a=1&#38;b=2\"")
                    || html
                        .body
                        .contains("src=\"https://cdn.acme.example/logo.svg?a=1&amp;b=2\""),
                "{}",
                html.body
            );
            assert!(html.body.contains("background:#a1b2c3"), "{}", html.body);
            assert!(
                !html
                    .body
                    .contains(crate::login_ui::look::DEFAULT_PRIMARY_COLOR)
            );
            assert!(
                html.csp.contains("img-src https://cdn.acme.example;"),
                "{}",
                html.csp
            );
            assert!(
                html.csp.contains(&format!(
                    "style-src {};",
                    script_hash_source(&look.chrome.style)
                )),
                "the policy allows the coloured stylesheet: {}",
                html.csp
            );
        }
    }

    #[test]
    fn the_policy_allows_the_stylesheet_and_the_form_targets_only() {
        let look = Look::default();
        let policy = csp(
            &look,
            &["https://auth.example".into(), "'self'".into()],
            None,
        );
        assert!(policy.contains(&format!(
            "style-src {}",
            script_hash_source(&look.chrome.style)
        )));
        assert!(policy.contains("form-action 'self' https://auth.example;"));
        assert!(policy.contains("img-src 'none'"));
        assert!(!policy.contains("script-src"));
        let with_client_logo = csp(&look, &[], Some("https://client.example"));
        assert!(with_client_logo.contains("img-src https://client.example;"));
    }
}
