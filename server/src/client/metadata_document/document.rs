//! A fetched Client ID Metadata Document turned into a [`Client`]
//! (draft-ietf-oauth-client-id-metadata-document §4): its `client_id` equals the URL,
//! it has `redirect_uris`, no secret and no secret-based authentication (there is no
//! way to share one). The rest is RFC 7591 metadata validated exactly as for a
//! registered client, minus what only an operator may set.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::client::model::{Client, GrantType, SubjectType, TokenEndpointAuthMethod};
use crate::client::registration::refuse_operator_fields;
use crate::client::validate::{self, UriPolicy};
use crate::client::wire::OAuth2Client;
use crate::config::SecurityProfile;
use crate::error::quoted;

/// The grant types a document client may use: it acts for a user at the authorization
/// endpoint, with or without refresh tokens.
const GRANTS: [GrantType; 2] = [GrantType::AuthorizationCode, GrantType::RefreshToken];

/// Builds the client of the document `body` fetched from `client_id`; the error says
/// why the document is unusable.
pub fn client_from_document(
    client_id: &str,
    body: &[u8],
    policy: UriPolicy,
    profile: SecurityProfile,
    now: DateTime<Utc>,
) -> Result<Client, String> {
    let document: Value =
        serde_json::from_slice(body).map_err(|e| format!("the document is not JSON ({e})"))?;
    let Value::Object(mut fields) = document else {
        return Err("the document is not a JSON object".into());
    };
    match fields.get("client_id") {
        Some(Value::String(id)) if id == client_id => {}
        Some(Value::String(id)) => {
            return Err(format!(
                "the document's client_id {} differs from the URL it was fetched from",
                quoted(id)
            ));
        }
        _ => return Err("the document has no client_id string".into()),
    }
    for field in ["client_secret", "client_secret_expires_at"] {
        if fields.get(field).is_some_and(|v| !v.is_null()) {
            return Err(format!(
                "the document carries {field}, but a metadata document client has no secret"
            ));
        }
    }
    // RFC 7591's default is client_secret_basic, which a document cannot use: absent
    // means a public client.
    let method = match fields.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => TokenEndpointAuthMethod::None,
        Some(Value::String(name)) => TokenEndpointAuthMethod::parse(name)
            .filter(|m| matches!(m, TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt))
            .ok_or_else(|| {
                format!(
                    "token_endpoint_auth_method {} is not allowed; use none or private_key_jwt (no shared secret)",
                    quoted(name)
                )
            })?,
        Some(_) => return Err("token_endpoint_auth_method is not a string".into()),
    };
    fields.insert(
        "token_endpoint_auth_method".into(),
        Value::String(method.as_str().into()),
    );
    if fields
        .get("redirect_uris")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err("the document has no redirect_uris".into());
    }
    let body: OAuth2Client = serde_json::from_value(Value::Object(fields))
        .map_err(|e| format!("the document has a field of the wrong type ({e})"))?;
    let rejected = |err: crate::error::OAuth2Error| {
        err.hint
            .unwrap_or_else(|| err.kind.description().to_owned())
    };
    refuse_operator_fields(&body).map_err(rejected)?;
    let mut client = validate::validate(body, policy).map_err(rejected)?.client;
    if let Some(grant) = client.grant_types.iter().find(|g| !GRANTS.contains(g)) {
        return Err(format!(
            "grant type {} is not available to metadata document clients (authorization_code and refresh_token are)",
            grant.as_str()
        ));
    }
    if client.response_types.iter().any(|t| t != "code") {
        return Err(
            "response_types other than code are not available to metadata document clients".into(),
        );
    }
    if client.subject_type == SubjectType::Pairwise {
        return Err("subject_type pairwise is not available to metadata document clients".into());
    }
    validate::fapi2::check(profile, &client).map_err(rejected)?;
    client.client_id = client_id.to_owned();
    client.metadata_document = true;
    client.created_at = now;
    client.updated_at = now;
    Ok(client)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "https://app.example/client.json";

    fn build(document: Value) -> Result<Client, String> {
        client_from_document(
            ID,
            document.to_string().as_bytes(),
            UriPolicy::default(),
            SecurityProfile::None,
            DateTime::<Utc>::UNIX_EPOCH,
        )
    }

    fn minimal() -> Value {
        json!({
            "client_id": ID,
            "client_name": "App",
            "redirect_uris": ["https://app.example/cb"],
            "extension_field": {"ignored": true},
        })
    }

    #[test]
    fn a_minimal_document_is_a_public_code_client() {
        let client = build(minimal()).unwrap();
        assert_eq!(client.client_id, ID);
        assert_eq!(client.client_name, "App");
        assert!(client.is_public() && client.metadata_document);
        assert_eq!(client.grant_types, [GrantType::AuthorizationCode]);
        assert_eq!(client.response_types, ["code"]);
        assert!(client.secret_hash.is_none());
    }

    #[test]
    fn private_key_jwt_needs_keys() {
        let mut doc = minimal();
        doc["token_endpoint_auth_method"] = json!("private_key_jwt");
        assert!(build(doc.clone()).unwrap_err().contains("jwks"));
        doc["jwks_uri"] = json!("https://app.example/jwks.json");
        let client = build(doc).unwrap();
        assert_eq!(
            client.token_endpoint_auth_method,
            TokenEndpointAuthMethod::PrivateKeyJwt
        );
    }

    #[test]
    fn each_rule_names_its_reason() {
        let with = |key: &str, value: Value| {
            let mut doc = minimal();
            doc[key] = value;
            build(doc).unwrap_err()
        };
        assert!(with("client_id", json!("https://other.example/c")).contains("differs"));
        assert!(with("client_id", json!(7)).contains("no client_id"));
        assert!(with("client_secret", json!("s3cret-s3cret")).contains("client_secret"));
        assert!(with("client_secret_expires_at", json!(0)).contains("client_secret_expires_at"));
        for method in [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "x",
        ] {
            assert!(with("token_endpoint_auth_method", json!(method)).contains("not allowed"));
        }
        assert!(with("redirect_uris", json!([])).contains("redirect_uris"));
        assert!(with("redirect_uris", json!(["not a uri"])).contains("redirect_uris"));
        assert!(with("grant_types", json!(["client_credentials"])).contains("client_credentials"));
        assert!(with("response_types", json!(["token"])).contains("response_types"));
        assert!(with("skip_consent", json!(true)).contains("skip_consent"));
        assert!(with("subject_type", json!("pairwise")).contains("pairwise"));
        assert!(with("contacts", json!("x")).contains("wrong type"));
        assert!(build(json!([1])).unwrap_err().contains("not a JSON object"));
        let garbage = client_from_document(
            ID,
            b"{",
            UriPolicy::default(),
            SecurityProfile::None,
            DateTime::<Utc>::UNIX_EPOCH,
        );
        assert!(garbage.unwrap_err().contains("not JSON"));
    }
}
