//! Fuzz targets: Client ID Metadata Documents, which any host named by a `client_id`
//! URL can serve (`client/metadata_document/`): the document bytes as the resolver
//! reads them, and the `client_id` URL checks made before any fetch.

use chrono::{DateTime, Utc};

use super::{run, seeds};
use crate::client::metadata_document::{client_from_document, document_url};
use crate::client::model::TokenEndpointAuthMethod;
use crate::client::validate::UriPolicy;
use crate::config::{ClientIdMetadataDocumentConfig, SecurityProfile};

const ID: &str = "https://app.example/client.json";

const DOCUMENT_SEEDS: &[&str] = &[
    r#"{"client_id":"https://app.example/client.json","client_name":"App","client_uri":"https://app.example/","logo_uri":"https://app.example/logo.png","redirect_uris":["https://app.example/cb","http://127.0.0.1/cb"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none","scope":"openid offline_access","extra":{"x":[1,null]}}"#,
    r#"{"client_id":"https://app.example/client.json","redirect_uris":["com.example.app:/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://app.example/jwks.json"}"#,
    r#"{"client_id":"https://app.example/client.json","redirect_uris":["https://app.example/cb"],"client_secret":"s","token_endpoint_auth_method":"client_secret_basic","skip_consent":true}"#,
];

const URL_SEEDS: &[&str] = &[
    "https://app.example/client.json",
    "https://app.example:8443/a/b?c=d",
    "http://127.0.0.1:8080/client.json",
    "https://[::1]/c",
    "https://user:pw@app.example/./c#f",
];

/// A document is a public or key-authenticated code client named by its URL, or a
/// reason; never a panic.
#[test]
fn fuzz_client_id_metadata_document() {
    run(
        "client id metadata document",
        &seeds(DOCUMENT_SEEDS),
        |g, input| {
            *input = g.mutated();
            let outcome = client_from_document(
                ID,
                input,
                UriPolicy::default(),
                SecurityProfile::None,
                DateTime::<Utc>::UNIX_EPOCH,
            );
            if let Ok(client) = outcome {
                g.reached();
                assert_eq!(client.client_id, ID);
                assert!(client.metadata_document && client.secret_hash.is_none());
                assert!(matches!(
                    client.token_endpoint_auth_method,
                    TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt
                ));
                assert!(!client.redirect_uris.is_empty());
            }
        },
    );
}

/// A URL that passes is exactly its normalized https form with a path (or a dev-mode
/// loopback http URL).
#[test]
fn fuzz_client_id_metadata_document_url() {
    let config = ClientIdMetadataDocumentConfig::default();
    run(
        "client id metadata document url",
        &seeds(URL_SEEDS),
        |g, input| {
            *input = g.mutated();
            let text = String::from_utf8_lossy(input).into_owned();
            if let Ok(found) = document_url(&text, true, &config) {
                g.reached();
                assert_eq!(found.url.as_str(), text);
                assert!(found.url.scheme() == "https" || found.dev_loopback);
                assert!(found.url.fragment().is_none() && found.url.username().is_empty());
                assert_ne!(found.url.path(), "/");
            }
        },
    );
}
