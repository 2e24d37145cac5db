//! The admin dashboard (issue 22 §2; docs/dashboard.md): server-rendered pages under
//! `/admin/ui/` on the admin listener for managing clients, JSON Web Keys and local
//! users, consent and login sessions, trusted JWT issuers, with an overview. Like the
//! login UI, it is a client of the operations the admin API exposes, not a way around
//! them: every change goes through `client::admin`, the `KeyManager`, `users::admin`,
//! `flow::sessions` and `trust::admin`, so a form gets
//! exactly the validation a JSON request gets.
//!
//! HTTP-free: the handlers (`http/admin/dashboard/`) read cookies and forms, call the
//! operations and send what this module renders.
//!
//! - `session`: the sign-in cookie when `serve.admin.api_key` is set;
//! - `pages`: templates and their Content-Security-Policy;
//! - `client_form`: the client form's fields ⇄ Hydra's `OAuth2Client`;
//! - `trust_form`: the trusted-issuer form's fields → Hydra's `trustOAuth2JwtGrantIssuer`;
//! - `overview`: the landing page's audit events and metrics.
//!
//! Every form carries a CSRF token (`login_ui::csrf`, kind `AdminDashboard`): an HMAC
//! over the browser's nonce cookie, scoped to `/admin/ui`.

pub mod client_form;
pub mod overview;
pub mod pages;
pub mod session;
pub mod trust_form;

/// Where the dashboard lives on the admin listener. Hydra's admin API has no `/admin/ui`
/// path (reference/hydra-api.json), and every page and cookie is scoped under it.
pub const PREFIX: &str = "/admin/ui";

/// The most form fields a dashboard form may have, and the longest value of one.
pub const MAX_FORM_FIELDS: usize = 64;
pub const MAX_FIELD_LEN: usize = 8192;

/// RFC 3986 §3.3: what must be escaped in a path segment of the dashboard's links.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'\'');

/// `value` as one path segment of a link.
pub fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// The page of client `id`: `/admin/ui/clients/<id>`.
pub fn client_href(id: &str) -> String {
    format!("{PREFIX}/clients/{}", segment(id))
}

/// The page of key set `set`: `/admin/ui/keys/<set>`.
pub fn key_set_href(set: &str) -> String {
    format!("{PREFIX}/keys/{}", segment(set))
}

/// The page of local user `id`: `/admin/ui/users/<id>`.
pub fn user_href(id: &str) -> String {
    format!("{PREFIX}/users/{}", segment(id))
}

/// The next page of the list at `/admin/ui/<page>`: `…?page_token=<token>`, the token
/// encoded (it comes from the storage's pagination, opaque to the dashboard).
pub fn next_page_href(page: &str, token: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("page_token", token)
        .finish();
    format!("{PREFIX}/{page}?{query}")
}

/// The sessions page of `subject`: `/admin/ui/sessions?subject=<subject>`.
pub fn sessions_href(subject: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", subject)
        .finish();
    format!("{PREFIX}/sessions?{query}")
}

/// A posted form's fields, once its size is within bounds; else why not.
pub fn bounded_form(pairs: &[(String, String)]) -> Result<(), String> {
    if pairs.len() > MAX_FORM_FIELDS {
        return Err(format!("The form has more than {MAX_FORM_FIELDS} fields."));
    }
    match pairs.iter().find(|(_, v)| v.len() > MAX_FIELD_LEN) {
        Some((name, _)) => Err(format!(
            "Field {name} is longer than {MAX_FIELD_LEN} characters."
        )),
        None => Ok(()),
    }
}

/// The first value of field `name` in `pairs` (empty when absent).
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of field `name` in `pairs` (checkbox groups).
pub fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_escape_ids_and_forms_are_bounded() {
        assert_eq!(client_href("a b/c?"), "/admin/ui/clients/a%20b%2Fc%3F");
        assert_eq!(user_href("a/b"), "/admin/ui/users/a%2Fb");
        assert_eq!(
            sessions_href("a b&c=d"),
            "/admin/ui/sessions?subject=a+b%26c%3Dd"
        );
        assert_eq!(
            key_set_href("hydra.openid.id-token"),
            "/admin/ui/keys/hydra.openid.id-token"
        );
        let long = vec![("x".to_owned(), "y".repeat(MAX_FIELD_LEN + 1))];
        assert!(bounded_form(&long).is_err());
        let many = vec![("x".to_owned(), String::new()); MAX_FORM_FIELDS + 1];
        assert!(bounded_form(&many).is_err());
        let ok = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert!(bounded_form(&ok).is_ok());
        assert_eq!(field(&ok, "a"), "1");
        assert_eq!(fields(&ok, "a"), ["1", "2"]);
        assert_eq!(field(&ok, "b"), "");
    }
}
