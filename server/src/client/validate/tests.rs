use super::*;

fn body() -> OAuth2Client {
    OAuth2Client {
        redirect_uris: Some(vec!["https://app.example.com/cb".into()]),
        ..OAuth2Client::default()
    }
}

fn hint_of(result: Result<ValidatedClient, OAuth2Error>) -> String {
    let err = result.expect_err("validation should fail");
    err.description()
}

#[test]
fn defaults_follow_hydra() {
    let v = validate(OAuth2Client::default(), UriPolicy::default()).unwrap();
    assert_eq!(v.client.grant_types, vec![GrantType::AuthorizationCode]);
    assert_eq!(v.client.response_types, vec!["code".to_owned()]);
    assert_eq!(v.client.scope, DEFAULT_CLIENT_SCOPE);
    assert_eq!(
        v.client.token_endpoint_auth_method,
        TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(v.client.userinfo_signed_response_alg, "none");
    assert!(v.client.metadata.is_object());
}

#[test]
fn redirect_uris_must_be_absolute_without_fragment() {
    let mut b = body();
    b.redirect_uris = Some(vec!["https://ok/cb".into(), "/relative".into()]);
    assert!(hint_of(validate(b, UriPolicy::default())).contains("redirect_uris[1]"));
    let mut b = body();
    b.redirect_uris = Some(vec!["https://ok/cb#frag".into()]);
    let err = validate(b, UriPolicy::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidRedirectUri);
    assert!(err.description().contains("fragment"));
}

#[test]
fn jwks_and_jwks_uri_are_exclusive() {
    let mut b = body();
    b.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}));
    b.jwks_uri = Some("https://app.example.com/jwks".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("jwks and jwks_uri"));
}

#[test]
fn unknown_enums_are_named() {
    let mut b = body();
    b.grant_types = Some(vec!["urn:ietf:params:oauth:grant-type:saml2-bearer".into()]);
    assert!(hint_of(validate(b, UriPolicy::default())).contains("grant_types[0]"));
    let mut b = body();
    b.response_types = Some(vec!["code banana".into()]);
    assert!(hint_of(validate(b, UriPolicy::default())).contains("response_types[0]"));
    let mut b = body();
    b.token_endpoint_auth_method = Some("magic".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("token_endpoint_auth_method"));
    let mut b = body();
    b.lifespans_mut_for_test("1 hour");
    assert!(
        hint_of(validate(b, UriPolicy::default()))
            .contains("client_credentials_grant_access_token_lifespan")
    );
}

#[test]
fn public_clients_have_no_secret() {
    let mut b = body();
    b.token_endpoint_auth_method = Some("none".into());
    b.client_secret = Some("some-secret".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("client_secret"));
    let mut b = body();
    b.client_secret = Some("abc".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("at least 6"));
}

#[test]
fn private_key_jwt_needs_keys_and_metadata_is_an_object() {
    let mut b = body();
    b.token_endpoint_auth_method = Some("private_key_jwt".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("private_key_jwt"));
    let mut b = body();
    b.metadata = Some(serde_json::json!([1, 2]));
    assert!(hint_of(validate(b, UriPolicy::default())).contains("metadata"));
    let mut b = body();
    b.scope = Some("openid \"quoted\"".into());
    assert!(hint_of(validate(b, UriPolicy::default())).contains("scope"));
    let mut b = body();
    b.allowed_cors_origins = Some(vec!["https://a.example.com/path".into()]);
    assert!(hint_of(validate(b, UriPolicy::default())).contains("allowed_cors_origins[0]"));
}

impl OAuth2Client {
    fn lifespans_mut_for_test(&mut self, value: &str) {
        self.client_credentials_grant_access_token_lifespan = Some(value.into());
    }
}

/// Issue 12 item 3: `javascript:` and `data:` redirect URIs were accepted; the form_post
/// page then submitted to them in the server's origin.
#[test]
fn script_and_local_schemes_are_refused_for_every_redirect_field() {
    let forbidden = [
        "javascript:alert(document.domain)",
        "JavaScript://x/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ];
    for uri in forbidden {
        let mut b = body();
        b.redirect_uris = Some(vec!["https://ok.example/cb".into(), uri.into()]);
        let err = validate(b, UriPolicy::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRedirectUri, "{uri}");
        assert!(err.description().contains("redirect_uris[1]"), "{uri}");

        let mut b = body();
        b.post_logout_redirect_uris = Some(vec![uri.into()]);
        let err = validate(b, UriPolicy::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRedirectUri, "{uri}");
        assert!(err.description().contains("post_logout_redirect_uris[0]"));

        let mut b = body();
        b.frontchannel_logout_uri = Some(uri.into());
        let err = validate(b, UriPolicy::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClientMetadata, "{uri}");
        assert!(err.description().contains("frontchannel_logout_uri"));
    }
}
