//! The client form: which grant types, response types and authentication methods it
//! offers, its fields read into Hydra's `OAuth2Client` (the body the admin API takes),
//! and a client shown as the form and the client page show it. Nothing is checked
//! here: `client::admin` validates what the form sends, as it does a JSON body.

use super::pages::{Choice, ClientFormValues, ClientRow, ClientView};
use super::{client_href, field, fields};
use crate::client::wire::OAuth2Client;

/// The grant types the form offers (value, label).
pub const GRANT_TYPES: &[(&str, &str)] = &[
    ("authorization_code", "Authorization code"),
    ("refresh_token", "Refresh token"),
    ("client_credentials", "Client credentials"),
    ("implicit", "Implicit"),
    (
        "urn:ietf:params:oauth:grant-type:device_code",
        "Device authorization (RFC 8628)",
    ),
    (
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "JWT bearer (RFC 7523)",
    ),
    (
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "Token exchange (RFC 8693)",
    ),
    ("password", "Resource owner password"),
];

/// The response types the form offers.
pub const RESPONSE_TYPES: &[&str] = &[
    "code",
    "id_token",
    "token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
];

/// The token endpoint authentication methods the form offers (value, label).
pub const AUTH_METHODS: &[(&str, &str)] = &[
    ("client_secret_basic", "client_secret_basic (HTTP Basic)"),
    ("client_secret_post", "client_secret_post (form body)"),
    ("private_key_jwt", "private_key_jwt (RFC 7523)"),
    ("client_secret_jwt", "client_secret_jwt (RFC 7523)"),
    ("none", "none (public client)"),
];

/// Lines of a textarea, trimmed, empty ones dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `Some(list)` unless it is empty (then the server's default applies).
fn non_empty(list: Vec<String>) -> Option<Vec<String>> {
    (!list.is_empty()).then_some(list)
}

/// The values a posted client form holds.
pub fn values_of(pairs: &[(String, String)]) -> ClientFormValues {
    ClientFormValues {
        client_id: field(pairs, "client_id").trim().to_owned(),
        client_name: field(pairs, "client_name").to_owned(),
        grant_types: fields(pairs, "grant_types"),
        response_types: fields(pairs, "response_types"),
        redirect_uris: field(pairs, "redirect_uris").to_owned(),
        scope: field(pairs, "scope").trim().to_owned(),
        token_endpoint_auth_method: field(pairs, "token_endpoint_auth_method").to_owned(),
        audience: field(pairs, "audience").to_owned(),
    }
}

/// The form's values of an existing client.
pub fn values_from(client: &OAuth2Client) -> ClientFormValues {
    ClientFormValues {
        client_id: client.client_id.clone().unwrap_or_default(),
        client_name: client.client_name.clone().unwrap_or_default(),
        grant_types: client.grant_types.clone().unwrap_or_default(),
        response_types: client.response_types.clone().unwrap_or_default(),
        redirect_uris: client.redirect_uris.clone().unwrap_or_default().join("\n"),
        scope: client.scope.clone().unwrap_or_default(),
        token_endpoint_auth_method: client
            .token_endpoint_auth_method
            .clone()
            .unwrap_or_default(),
        audience: client.audience.clone().unwrap_or_default().join("\n"),
    }
}

/// The body to create a client from, or to replace `base` (an existing client's
/// metadata: what the form does not show is kept) with. An id is only taken for a
/// new client.
pub fn body_of(values: &ClientFormValues, base: Option<OAuth2Client>) -> OAuth2Client {
    let is_new = base.is_none();
    let mut body = base.unwrap_or_default();
    if is_new && !values.client_id.is_empty() {
        body.client_id = Some(values.client_id.clone());
    }
    body.client_name = Some(values.client_name.clone());
    body.grant_types = non_empty(values.grant_types.clone());
    body.response_types = non_empty(values.response_types.clone());
    body.redirect_uris = Some(lines(&values.redirect_uris));
    body.scope = Some(values.scope.clone());
    body.token_endpoint_auth_method =
        Some(values.token_endpoint_auth_method.clone()).filter(|m| !m.is_empty());
    body.audience = Some(lines(&values.audience));
    // Read-only fields of the admin API's answer are not part of a replacement.
    body.client_secret = None;
    body.registration_access_token = None;
    body.created_at = None;
    body.updated_at = None;
    body
}

/// The form's checkboxes and options, marked as `values` chooses.
pub fn choices(values: &ClientFormValues) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let grants = GRANT_TYPES
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            checked: values.grant_types.iter().any(|g| g == value),
        })
        .collect();
    let responses = RESPONSE_TYPES
        .iter()
        .map(|value| Choice {
            value: (*value).to_owned(),
            label: (*value).to_owned(),
            checked: values.response_types.iter().any(|r| r == value),
        })
        .collect();
    let chosen = if values.token_endpoint_auth_method.is_empty() {
        "client_secret_basic"
    } else {
        values.token_endpoint_auth_method.as_str()
    };
    let methods = AUTH_METHODS
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            checked: *value == chosen,
        })
        .collect();
    (grants, responses, methods)
}

fn joined(list: &Option<Vec<String>>) -> String {
    list.as_deref().unwrap_or_default().join(", ")
}

fn timestamp(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// A client as its page shows it.
pub fn view_of(client: &OAuth2Client) -> ClientView {
    let id = client.client_id.clone().unwrap_or_default();
    let auth_method = client
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_default();
    ClientView {
        href: client_href(&id),
        client_name: client.client_name.clone().unwrap_or_default(),
        grant_types: joined(&client.grant_types),
        response_types: joined(&client.response_types),
        scope: client.scope.clone().unwrap_or_default(),
        has_secret: matches!(
            auth_method.as_str(),
            "client_secret_basic" | "client_secret_post"
        ),
        auth_method,
        redirect_uris: client.redirect_uris.clone().unwrap_or_default(),
        audience: client.audience.clone().unwrap_or_default(),
        owner: client.owner.clone().unwrap_or_default(),
        created_at: timestamp(client.created_at),
        updated_at: timestamp(client.updated_at),
        client_id: id,
    }
}

/// A client as the list shows it.
pub fn row_of(client: &OAuth2Client) -> ClientRow {
    let id = client.client_id.clone().unwrap_or_default();
    ClientRow {
        href: client_href(&id),
        client_name: client.client_name.clone().unwrap_or_default(),
        grant_types: joined(&client.grant_types),
        auth_method: client
            .token_endpoint_auth_method
            .clone()
            .unwrap_or_default(),
        client_id: id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_posted_form_becomes_a_client_body() {
        let values = values_of(&pairs(&[
            ("client_id", " my-app "),
            ("client_name", "My App"),
            ("grant_types", "client_credentials"),
            ("grant_types", "refresh_token"),
            (
                "redirect_uris",
                "https://a.example/cb\r\n\r\n https://b.example/cb ",
            ),
            ("scope", "read write"),
            ("token_endpoint_auth_method", "client_secret_post"),
            ("audience", ""),
        ]));
        let body = body_of(&values, None);
        assert_eq!(body.client_id.as_deref(), Some("my-app"));
        assert_eq!(
            body.grant_types.as_deref().unwrap(),
            ["client_credentials", "refresh_token"]
        );
        assert_eq!(body.response_types, None, "none checked: the default");
        assert_eq!(
            body.redirect_uris.as_deref().unwrap(),
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(body.audience.as_deref().unwrap(), [] as [String; 0]);
        let (grants, _, methods) = choices(&values);
        assert!(
            grants
                .iter()
                .any(|c| c.value == "client_credentials" && c.checked)
        );
        assert!(
            methods
                .iter()
                .any(|c| c.value == "client_secret_post" && c.checked)
        );
        let base = OAuth2Client {
            client_id: Some("kept".into()),
            owner: Some("team".into()),
            ..OAuth2Client::default()
        };
        let replaced = body_of(&values, Some(base));
        assert_eq!(
            replaced.client_id.as_deref(),
            Some("kept"),
            "the id never changes"
        );
        assert_eq!(
            replaced.owner.as_deref(),
            Some("team"),
            "other metadata is kept"
        );
    }
}
