use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::client::model::TokenEndpointAuthMethod;
use crate::client::secret;
use crate::clock::SystemClock;
use crate::secrets::KeyRing;
use crate::storage::memory::MemoryStore;

mod load;

fn form(pairs: &[(&str, &str)]) -> FormParams {
    FormParams::from_pairs(pairs)
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// A token request's context with `authorization` as its `Authorization` header.
fn http(authorization: Option<&str>) -> RequestContext {
    let context = RequestContext::new("POST", "https://auth.example.com/oauth2/token".into(), None);
    match authorization {
        Some(value) => context.with_header("authorization", value.as_bytes()),
        None => context,
    }
}

#[test]
fn basic_credentials_are_form_decoded() {
    let creds =
        Credentials::extract(Some(&basic("my%3Aclient", "p%40ss+word%2B")), &form(&[])).unwrap();
    assert_eq!(
        creds,
        Credentials::ClientSecretBasic {
            client_id: "my:client".into(),
            secret: "p@ss word+".into()
        }
    );
    assert!(!format!("{creds:?}").contains("p@ss"));
    let lowercase = basic("a", "b").replacen("Basic", "basic", 1);
    assert!(matches!(
        Credentials::extract(Some(&lowercase), &form(&[])).unwrap(),
        Credentials::ClientSecretBasic { .. }
    ));
}

#[test]
fn one_method_per_request() {
    let both = Credentials::extract(Some(&basic("a", "b")), &form(&[("client_secret", "b")]));
    assert_eq!(both.unwrap_err().kind, ErrorKind::InvalidRequest);
    let other_id = Credentials::extract(Some(&basic("a", "b")), &form(&[("client_id", "c")]));
    assert_eq!(other_id.unwrap_err().kind, ErrorKind::InvalidRequest);
    let same_id = Credentials::extract(Some(&basic("a", "b")), &form(&[("client_id", "a")]));
    assert!(same_id.is_ok());
    let post = Credentials::extract(None, &form(&[("client_id", "a"), ("client_secret", "b")]));
    assert_eq!(
        post.unwrap().method(),
        TokenEndpointAuthMethod::ClientSecretPost
    );
    let none = Credentials::extract(None, &form(&[("client_id", "a")]));
    assert_eq!(none.unwrap().method(), TokenEndpointAuthMethod::None);
    let jwt_bearer = crate::oauth2::private_key_jwt::JWT_BEARER;
    let jwt = Credentials::extract(
        None,
        &form(&[
            ("client_assertion", "x"),
            ("client_assertion_type", jwt_bearer),
        ]),
    );
    assert_eq!(
        jwt.unwrap(),
        Credentials::PrivateKeyJwt {
            assertion: "x".into(),
            client_id: None
        }
    );
    for incomplete in [
        form(&[("client_assertion", "x")]),
        form(&[("client_assertion_type", jwt_bearer)]),
        form(&[
            ("client_assertion", "x"),
            ("client_assertion_type", "urn:other"),
        ]),
        form(&[
            ("client_assertion", "x"),
            ("client_assertion_type", jwt_bearer),
            ("client_secret", "s"),
        ]),
    ] {
        let err = Credentials::extract(None, &incomplete).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{incomplete:?}");
    }
    let nothing = Credentials::extract(None, &form(&[]));
    assert_eq!(nothing.unwrap_err().kind, ErrorKind::InvalidClient);
    let secret_only = Credentials::extract(None, &form(&[("client_secret", "b")]));
    assert_eq!(secret_only.unwrap_err().kind, ErrorKind::InvalidRequest);
    let bearer = Credentials::extract(Some("Bearer xyz"), &form(&[("client_id", "a")]));
    assert_eq!(bearer.unwrap().method(), TokenEndpointAuthMethod::None);
    for bad in ["Basic !!!", "Basic bm9jb2xvbg", "Basic YTolZmY="] {
        let err = Credentials::extract(Some(bad), &form(&[])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{bad}");
    }
}

async fn authenticator_with(client: Client) -> ClientAuthenticator {
    let store = Arc::new(MemoryStore::new());
    store.create_client(&client).await.unwrap();
    let keys = Arc::new(KeyRing::new(&["client-auth-secret-0123456789".to_owned()]));
    let secrets = SecretVerifier::new(keys, Arc::new(SystemClock), SecretSettings::default());
    ClientAuthenticator::new(store, secrets)
}

#[tokio::test]
async fn slow_hashes_verify_once_then_hit_the_cache() {
    let client = Client {
        client_id: "chosen".into(),
        secret_hash: Some(secret::hash_chosen("correct horse").unwrap()),
        ..Client::default()
    };
    let auth = authenticator_with(client).await;
    let wrong = auth
        .authenticate(&http(Some(&basic("chosen", "wrong"))), &form(&[]))
        .await
        .unwrap_err();
    assert_eq!(wrong.kind, ErrorKind::InvalidClient);
    assert_eq!(wrong.www_authenticate.as_deref(), Some(BASIC_CHALLENGE));
    assert!(auth.secrets().verified().is_empty());
    assert_eq!(auth.secrets().failed().len(), 1);
    for _ in 0..2 {
        let ok = auth
            .authenticate(&http(Some(&basic("chosen", "correct+horse"))), &form(&[]))
            .await
            .unwrap();
        assert_eq!(ok.client_id, "chosen");
    }
    assert_eq!(auth.secrets().verified().len(), 1);
}

#[tokio::test]
async fn the_registered_method_must_be_used() {
    let generated = secret::generate_secret();
    let client = Client {
        client_id: "post-client".into(),
        secret_hash: Some(secret::hash_generated(&generated)),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        ..Client::default()
    };
    let auth = authenticator_with(client).await;
    let by_post = form(&[("client_id", "post-client"), ("client_secret", &generated)]);
    assert!(auth.authenticate(&http(None), &by_post).await.is_ok());
    assert!(
        auth.secrets().verified().is_empty(),
        "fast hashes are not cached"
    );
    assert!(auth.secrets().failed().is_empty());
    let by_basic = auth
        .authenticate(&http(Some(&basic("post-client", &generated))), &form(&[]))
        .await
        .unwrap_err();
    assert_eq!(by_basic.kind, ErrorKind::InvalidClient);
    let wrong = form(&[("client_id", "post-client"), ("client_secret", "nope")]);
    let err = auth.authenticate(&http(None), &wrong).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidClient);
    assert_eq!(err.www_authenticate, None);
    let jwt = form(&[
        ("client_assertion", "x"),
        (
            "client_assertion_type",
            crate::oauth2::private_key_jwt::JWT_BEARER,
        ),
        ("client_id", "post-client"),
    ]);
    let err = auth.authenticate(&http(None), &jwt).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidClient);
    assert!(err.description().contains("private_key_jwt"));
}

/// Issue 12 item 8: unknown client, other method, wrong secret: one description.
#[tokio::test]
async fn every_failure_reads_the_same() {
    let generated = secret::generate_secret();
    let client = Client {
        client_id: "known".into(),
        secret_hash: Some(secret::hash_generated(&generated)),
        ..Client::default()
    };
    let auth = authenticator_with(client).await;
    let attempts = [
        (Some(basic("unknown", &generated)), form(&[])),
        (Some(basic("known", &secret::generate_secret())), form(&[])),
        (
            None,
            form(&[("client_id", "known"), ("client_secret", &generated)]),
        ),
        (
            None,
            form(&[("client_id", "unknown"), ("client_secret", "x")]),
        ),
        (None, form(&[("client_id", "known")])),
    ];
    let mut descriptions = Vec::new();
    for (header, body) in attempts {
        let err = auth
            .authenticate(&http(header.as_deref()), &body)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClient);
        assert_eq!(err.www_authenticate.is_some(), header.is_some());
        descriptions.push(err.description());
    }
    descriptions.dedup();
    assert_eq!(descriptions.len(), 1, "{descriptions:#?}");
    assert!(descriptions[0].contains(AUTHENTICATION_FAILED));
}
