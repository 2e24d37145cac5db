//! The dashboard's pages, rendered with askama from `server/templates/dashboard/`
//! (HTML auto-escaping on: every value is escaped where it is written), each sent with
//! [`csp`]: the one stylesheet by hash, forms to this origin only, no script, no
//! images, no framing.

use askama::Template;

use crate::html::{DEFAULT_HTML_CSP, HtmlPage, error_page_of, script_hash_source};

/// The one stylesheet, inline and allowed by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}\
header{display:flex;gap:1.5rem;align-items:center;background:#1d2330;color:#fff;padding:.7rem 1.5rem}\
header nav{display:flex;gap:1rem;flex:1}header a{color:#fff}header form{margin:0}\
main{max-width:60rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:.5rem;\
box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.4rem;margin-top:0}h2{font-size:1.1rem}\
label{display:block;margin:.8rem 0 .3rem}input:not([type=checkbox]),textarea,select{width:100%;\
box-sizing:border-box;padding:.45rem;font-size:1rem}.narrow{max-width:26rem}\
.check{display:flex;gap:.5rem;align-items:baseline;margin:.3rem 0}.check label{margin:0}\
fieldset{border:1px solid #ccd;border-radius:.3rem;margin-top:1rem}\
.actions{display:flex;gap:.5rem;margin-top:1.2rem;align-items:center}.actions form{margin:0}\
button,a.button{display:inline-block;padding:.5rem 1.1rem;font-size:1rem;border:0;border-radius:.3rem;\
background:#2456d6;color:#fff;text-decoration:none;cursor:pointer}\
button.secondary,a.button.secondary{background:#e3e6ec;color:#1d2330}\
button.danger,a.button.danger{background:#a4161a;color:#fff}\
.error{color:#a4161a;font-weight:600}.notice{color:#1b6e2e;font-weight:600}\
.secret{border:2px solid #c98a00;background:#fff8e5;padding:1rem;border-radius:.3rem;margin:1rem 0}\
.hint{color:#5a6275;font-size:.9rem}table{border-collapse:collapse;width:100%;margin:1rem 0}\
caption{text-align:left;color:#5a6275;padding:.3rem 0}th,td{text-align:left;padding:.4rem;\
border-bottom:1px solid #e3e6ec;vertical-align:top}dl{display:grid;grid-template-columns:14rem 1fr;gap:.4rem}\
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.toolbar{display:flex;gap:1rem;align-items:end;\
justify-content:space-between}.toolbar form{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap}\
.toolbar label{width:100%}.toolbar input{width:auto}.pager a{margin-right:1rem}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";

/// A page and its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub html: HtmlPage,
}

/// What every page's frame shows: the title, the navigation (once signed in) and the
/// sign-out form (when an API key guards the dashboard).
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub style: &'static str,
    pub csrf_token: String,
    pub nav: bool,
    pub sign_out: bool,
}

impl Chrome {
    /// The frame of a page titled `title` for a browser holding `csrf_token`.
    pub fn new(title: &str, csrf_token: &str, nav: bool, sign_out: bool) -> Self {
        Self {
            title: title.to_owned(),
            style: STYLE,
            csrf_token: csrf_token.to_owned(),
            nav,
            sign_out,
        }
    }
}

/// A checkbox or option of a form: its value, label and whether it is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
pub struct SignInPage<'a> {
    pub chrome: &'a Chrome,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "dashboard/message.html")]
pub struct MessagePage<'a> {
    pub chrome: &'a Chrome,
    pub heading: &'a str,
    pub message: &'a str,
    pub is_error: bool,
    pub back: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "dashboard/confirm.html")]
pub struct ConfirmPage<'a> {
    pub chrome: &'a Chrome,
    pub heading: &'a str,
    pub message: &'a str,
    pub action: &'a str,
    pub button: &'a str,
    pub cancel: &'a str,
}

/// One row of the client list.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub client_id: String,
    pub client_name: String,
    pub grant_types: String,
    pub auth_method: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard/clients.html")]
pub struct ClientsPage<'a> {
    pub chrome: &'a Chrome,
    pub query: &'a str,
    pub rows: &'a [ClientRow],
    /// The first page's link, empty on the first page.
    pub first: &'a str,
    pub next: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// A client as its page shows it (never with a secret: that is [`ClientPage::secret`],
/// set only right after it was made).
#[derive(Debug, Clone)]
pub struct ClientView {
    pub client_id: String,
    pub client_name: String,
    pub grant_types: String,
    pub response_types: String,
    pub scope: String,
    pub auth_method: String,
    pub redirect_uris: Vec<String>,
    pub audience: Vec<String>,
    pub owner: String,
    pub created_at: String,
    pub updated_at: String,
    /// Whether the client authenticates with a secret (rotation applies).
    pub has_secret: bool,
    /// `/admin/ui/clients/<id, percent-encoded>`.
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard/client.html")]
pub struct ClientPage<'a> {
    pub chrome: &'a Chrome,
    pub client: &'a ClientView,
    pub secret: Option<&'a str>,
    pub notice: Option<&'a str>,
}

/// The values of the client form as the admin typed them (lists one per line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFormValues {
    pub client_id: String,
    pub client_name: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub redirect_uris: String,
    pub scope: String,
    pub token_endpoint_auth_method: String,
    pub audience: String,
}

#[derive(Template)]
#[template(path = "dashboard/client_form.html")]
pub struct ClientFormPage<'a> {
    pub chrome: &'a Chrome,
    pub heading: &'a str,
    pub action: &'a str,
    pub submit: &'a str,
    pub cancel: &'a str,
    pub is_new: bool,
    pub form: &'a ClientFormValues,
    pub grant_types: &'a [Choice],
    pub response_types: &'a [Choice],
    pub auth_methods: &'a [Choice],
    pub error: Option<&'a str>,
}

/// A key set link of the key page.
#[derive(Debug, Clone)]
pub struct SetLink {
    pub name: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard/keys.html")]
pub struct KeysPage<'a> {
    pub chrome: &'a Chrome,
    pub sets: &'a [SetLink],
    pub error: Option<&'a str>,
}

/// One key of a set: public metadata only.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub use_: String,
    pub kty: String,
    pub delete_href: String,
}

#[derive(Template)]
#[template(path = "dashboard/key_set.html")]
pub struct KeySetPage<'a> {
    pub chrome: &'a Chrome,
    pub set: &'a str,
    pub keys: &'a [KeyRow],
    pub action: &'a str,
    pub algorithms: &'a [&'static str],
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// One row of the user list (never a password or its hash: only whether one is set).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub has_password: bool,
    pub disabled: bool,
    /// The user's page (edit, password).
    pub href: String,
    /// The sessions page of the user's subject.
    pub sessions_href: String,
    pub delete_href: String,
}

/// The values of the user form as the admin typed them (the password is never put
/// back into a page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFormValues {
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
pub struct UsersPage<'a> {
    pub chrome: &'a Chrome,
    pub rows: &'a [UserRow],
    /// The first page's link, empty on the first page.
    pub first: &'a str,
    pub next: Option<&'a str>,
    pub form: &'a UserFormValues,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The values of a user's edit form (never the password: that has a form of its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEditValues {
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "dashboard/user.html")]
pub struct UserPage<'a> {
    pub chrome: &'a Chrome,
    pub id: &'a str,
    /// `/admin/ui/users/<id>`: the edit form's action.
    pub href: &'a str,
    pub form: &'a UserEditValues,
    pub has_password: bool,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    /// The subject's sessions page.
    pub sessions_href: &'a str,
    pub notice: Option<&'a str>,
    /// Why the edit form was refused.
    pub error: Option<&'a str>,
    /// Why the password form was refused.
    pub password_error: Option<&'a str>,
}

/// One consent a subject granted, as the sessions page lists it.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub audience: String,
    pub handled_at: String,
    pub login_session_id: String,
    pub remember: bool,
}

#[derive(Template)]
#[template(path = "dashboard/sessions.html")]
pub struct SessionsPage<'a> {
    pub chrome: &'a Chrome,
    /// The subject searched for; empty before a search.
    pub subject: &'a str,
    pub rows: &'a [ConsentRow],
    /// The authentication sessions the consents name (distinct, in order).
    pub login_sessions: &'a [String],
    /// The first page's link, empty on the first page.
    pub first: &'a str,
    pub next: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// One trusted JWT issuer of the list (public key metadata only).
#[derive(Debug, Clone)]
pub struct TrustRow {
    pub id: String,
    pub issuer: String,
    /// The subject, or empty with `allow_any_subject`.
    pub subject: String,
    pub allow_any_subject: bool,
    pub scope: String,
    pub kid: String,
    pub expires_at: String,
    pub expired: bool,
    pub delete_href: String,
}

/// The values of the trust form as the admin typed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustFormValues {
    pub issuer: String,
    pub subject: String,
    pub allow_any_subject: bool,
    pub scope: String,
    pub jwk: String,
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "dashboard/trusts.html")]
pub struct TrustsPage<'a> {
    pub chrome: &'a Chrome,
    pub rows: &'a [TrustRow],
    /// The first page's link, empty on the first page.
    pub first: &'a str,
    pub next: Option<&'a str>,
    pub form: &'a TrustFormValues,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// A number of the overview, with the page it counts.
#[derive(Debug, Clone)]
pub struct Count {
    pub label: String,
    pub value: String,
    pub href: String,
}

/// One audit event of the overview: what, when, about whom (never a token value).
#[derive(Debug, Clone)]
pub struct EventRow {
    pub event_type: String,
    pub time: String,
    pub subject: String,
    pub client_id: String,
}

/// One number of the metrics section.
#[derive(Debug, Clone)]
pub struct MetricRow {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
pub struct OverviewPage<'a> {
    pub chrome: &'a Chrome,
    pub counts: &'a [Count],
    pub events_enabled: bool,
    pub events: &'a [EventRow],
    pub metrics_enabled: bool,
    pub metrics: &'a [MetricRow],
    /// What could not be read (a store error), shown instead of that part.
    pub errors: &'a [String],
}

/// The policy of every dashboard page: the stylesheet by hash, forms posting to this
/// origin, nothing else (no script at all, so no inline script either).
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; img-src 'none'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
        script_hash_source(STYLE)
    )
}

/// Renders `template` as a page with `status`. A template that fails to render (a
/// bug, not a request's fault) becomes a plain 500 page.
pub fn render(template: &impl Template, status: u16) -> Page {
    match template.render() {
        Ok(body) => Page {
            status,
            html: HtmlPage { body, csp: csp() },
        },
        Err(err) => {
            tracing::error!(error = %err, "a dashboard template failed to render");
            Page {
                status: 500,
                html: HtmlPage {
                    body: error_page_of("server_error", "The page could not be rendered."),
                    csp: DEFAULT_HTML_CSP.to_owned(),
                },
            }
        }
    }
}

/// A page with `heading` and `message` (an error when `is_error`), with a link back.
pub fn message(
    chrome: &Chrome,
    status: u16,
    heading: &str,
    message: &str,
    is_error: bool,
    back: Option<&str>,
) -> Page {
    render(
        &MessagePage {
            chrome,
            heading,
            message,
            is_error,
            back,
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_no_script_is_allowed() {
        let evil = "<script>alert(1)</script>\"'&";
        let chrome = Chrome::new(evil, evil, true, true);
        let view = ClientView {
            client_id: evil.into(),
            client_name: evil.into(),
            grant_types: evil.into(),
            response_types: evil.into(),
            scope: evil.into(),
            auth_method: evil.into(),
            redirect_uris: vec![evil.into()],
            audience: vec![evil.into()],
            owner: evil.into(),
            created_at: evil.into(),
            updated_at: evil.into(),
            has_secret: true,
            href: evil.into(),
        };
        let form = ClientFormValues {
            client_id: evil.into(),
            client_name: evil.into(),
            redirect_uris: evil.into(),
            ..ClientFormValues::default()
        };
        let choices = [Choice {
            value: evil.into(),
            label: evil.into(),
            checked: true,
        }];
        let pages = [
            ClientPage {
                chrome: &chrome,
                client: &view,
                secret: Some(evil),
                notice: Some(evil),
            }
            .render()
            .unwrap(),
            ClientFormPage {
                chrome: &chrome,
                heading: evil,
                action: evil,
                submit: evil,
                cancel: evil,
                is_new: true,
                form: &form,
                grant_types: &choices,
                response_types: &choices,
                auth_methods: &choices,
                error: Some(evil),
            }
            .render()
            .unwrap(),
            SignInPage {
                chrome: &chrome,
                error: Some(evil),
            }
            .render()
            .unwrap(),
        ];
        for page in pages {
            assert!(!page.contains("<script>"), "{page}");
            assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
        }
        let policy = csp();
        assert!(!policy.contains("script-src"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("form-action 'self'"));
    }
}
